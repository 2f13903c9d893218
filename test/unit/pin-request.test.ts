import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DomainError, type FieldIssue } from '../../domain/errors';
import { applyOmocodia, computeCodiceFiscale } from '../../domain/codice-fiscale';
import {
  deliveryPlan,
  isEmailAddress,
  isInternationalPhone,
  maskEmail,
  maskPhone,
  PREFERRED_TIME_SLOTS,
  pinRequestInputSchema,
  summarisePinRequest,
  validatePinRequest,
  type ValidatePinRequestOptions,
} from '../../domain/pin-request';

const TODAY = new Date('2025-06-01T10:00:00Z');
const OPTS: ValidatePinRequestOptions = { today: TODAY, eligibilityPolicy: true };
const ROSSI_CF = 'RSSMRA80A01H501U';

/** A complete, valid, eligible request: resident abroad, no Italian identity document. */
function body(): Record<string, unknown> {
  return {
    channel: 'online',
    codiceFiscale: ROSSI_CF,
    surname: 'Rossi',
    name: 'Mario',
    birthDate: '1980-01-01',
    sex: 'M',
    birthProvince: 'RM',
    birthMunicipality: 'Roma',
    residence: {
      abroad: true,
      country: 'AR',
      address: 'Avenida Corrientes 1234',
      city: 'Buenos Aires',
      postalCode: 'C1043',
      province: 'CABA',
    },
    mobile: '+54 9 11 1234 5678',
    email: 'mario.rossi@example.com',
    preferredPhone: 'mobile',
    preferredTimeSlot: '08-11',
    hasItalianIdentityDocument: false,
  };
}

function residence(over: Record<string, unknown>): Record<string, unknown> {
  return { ...(body().residence as Record<string, unknown>), ...over };
}

const ITALIAN_RESIDENCE = { abroad: false, country: 'IT', address: 'Via del Corso 1', city: 'Roma', postalCode: '00186', province: 'RM' };

/** Runs validation expecting a 400 and returns its issues. */
function issuesOf(input: unknown, opts: ValidatePinRequestOptions = OPTS): FieldIssue[] {
  try {
    validatePinRequest(input, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    const e = err as DomainError;
    expect(e.type).toBe('VALIDATION');
    expect(e.status).toBe(400);
    return e.fields;
  }
  throw new Error('expected a validation error');
}

const pairs = (issues: FieldIssue[]) => issues.map((i) => `${i.field}:${i.code}`);

describe('a valid request', () => {
  it('is normalised', () => {
    const input = {
      ...body(),
      codiceFiscale: ' rss mra 80a01 h501u ',
      surname: '  Rossi  ',
      name: 'Mario',
      birthProvince: 'rm',
      residence: residence({ country: 'ar', postalCode: 'c1043' }),
      mobile: '+54 9 11 1234 5678',
      email: ' Mario.Rossi@Example.COM ',
      pec: 'mario.rossi@PEC.example.it',
      homePhone: null,
    };
    const { request, warnings } = validatePinRequest(input, OPTS);
    expect(request).toEqual({
      channel: 'online',
      codiceFiscale: ROSSI_CF,
      surname: 'Rossi',
      name: 'Mario',
      birthDate: '1980-01-01',
      sex: 'M',
      birthProvince: 'RM',
      birthMunicipality: 'Roma',
      residence: {
        abroad: true,
        country: 'AR',
        address: 'Avenida Corrientes 1234',
        city: 'Buenos Aires',
        postalCode: 'C1043',
        province: 'CABA',
      },
      mobile: '+5491112345678',
      email: 'Mario.Rossi@example.com',
      pec: 'mario.rossi@pec.example.it',
      preferredPhone: 'mobile',
      preferredTimeSlot: '08-11',
      hasItalianIdentityDocument: false,
    });
    expect('homePhone' in request).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('keeps the case of names and collapses inner spaces', () => {
    const cf = computeCodiceFiscale({ surname: 'De  Luca', name: 'anna maria', birthDate: '1970-02-02', sex: 'F', birthProvince: 'NA', birthMunicipality: 'Napoli' });
    const { request } = validatePinRequest(
      { ...body(), codiceFiscale: cf, surname: 'De  Luca', name: 'anna maria', birthDate: '1970-02-02', sex: 'F', birthProvince: 'NA', birthMunicipality: 'Napoli' },
      OPTS,
    );
    expect(request.surname).toBe('De Luca');
    expect(request.name).toBe('anna maria');
  });

  it('accepts an omocodic codice fiscale', () => {
    const cf = applyOmocodia(ROSSI_CF, 2);
    expect(validatePinRequest({ ...body(), codiceFiscale: cf }, OPTS).request.codiceFiscale).toBe(cf);
  });

  it('accepts someone born abroad (EE)', () => {
    const cf = computeCodiceFiscale({ surname: 'Rossi', name: 'Mario', birthDate: '1980-01-01', sex: 'M', birthProvince: 'EE', birthMunicipality: 'Argentina' });
    const { request, warnings } = validatePinRequest({ ...body(), codiceFiscale: cf, birthProvince: 'EE', birthMunicipality: 'Argentina' }, OPTS);
    expect(request.birthProvince).toBe('EE');
    expect(warnings).toEqual([]);
  });

  it('accepts every preferred time slot, each with both labels', () => {
    expect(PREFERRED_TIME_SLOTS.map((s) => s.id)).toEqual(['08-11', '11-14', '14-17', '17-20']);
    for (const slot of PREFERRED_TIME_SLOTS) {
      expect(slot.label.it).not.toBe('');
      expect(slot.label.en).not.toBe('');
      expect(validatePinRequest({ ...body(), preferredTimeSlot: slot.id }, OPTS).request.preferredTimeSlot).toBe(slot.id);
    }
  });

  it('passes the birthplace warnings through (ceased municipality)', () => {
    const person = { surname: 'Rossi', name: 'Mario', birthDate: '1990-05-05', sex: 'M' as const, birthProvince: 'PT', birthMunicipality: 'Abetone' };
    const cf = computeCodiceFiscale(person);
    const { warnings } = validatePinRequest({ ...body(), ...person, codiceFiscale: cf, birthMunicipality: 'Abetone Cutigliano' }, OPTS);
    expect(pairs(warnings)).toEqual(['codiceFiscale:cf_birthplace_changed']);
  });
});

describe('field rules', () => {
  it.each([
    ['channel', 'fax', 'channel:invalid_value'],
    ['channel', undefined, 'channel:required'],
    ['codiceFiscale', undefined, 'codiceFiscale:required'],
    ['codiceFiscale', '', 'codiceFiscale:required'],
    ['codiceFiscale', 12345, 'codiceFiscale:invalid_type'],
    ['codiceFiscale', 'RSSMRA80A01', 'codiceFiscale:cf_format'],
    ['codiceFiscale', 'RSSMRA80A01H501A', 'codiceFiscale:cf_check_char'],
    ['surname', '', 'surname:required'],
    ['surname', '   ', 'surname:required'],
    ['surname', 'R0ssi', 'surname:invalid_characters'],
    ['surname', "'-", 'surname:invalid_characters'],
    ['surname', 'R'.repeat(61), 'surname:too_long'],
    ['name', 42, 'name:invalid_type'],
    ['birthDate', '01/01/1980', 'birthDate:invalid_date'],
    ['birthDate', '1980-02-30', 'birthDate:invalid_date'],
    ['birthDate', '2030-01-01', 'birthDate:date_not_past'],
    ['birthDate', '2025-06-01', 'birthDate:date_not_past'],
    ['birthDate', '1899-12-31', 'birthDate:date_too_early'],
    ['sex', 'X', 'sex:invalid_value'],
    ['birthProvince', 'ZZ', 'birthProvince:invalid_province'],
    ['birthProvince', 'Roma', 'birthProvince:invalid_province'],
    ['birthMunicipality', 'Paperopoli', 'birthMunicipality:cf_birthplace_unknown'],
    ['birthMunicipality', '', 'birthMunicipality:required'],
    ['mobile', '3331234567', 'mobile:invalid_phone'],
    ['mobile', '+39 333', 'mobile:invalid_phone'],
    ['mobile', '+39 333 1234567 890123', 'mobile:invalid_phone'],
    ['mobile', '+39-333-1234567', 'mobile:invalid_phone'],
    ['homePhone', '+0 123 4567890', 'homePhone:invalid_phone'],
    ['email', 'mario.rossi@example', 'email:invalid_email'],
    ['email', 'mario rossi@example.com', 'email:invalid_email'],
    ['pec', 'pec@@example.it', 'pec:invalid_email'],
    ['preferredPhone', 'office', 'preferredPhone:invalid_value'],
    ['preferredTimeSlot', '09-12', 'preferredTimeSlot:invalid_value'],
    ['preferredTimeSlot', undefined, 'preferredTimeSlot:required'],
    ['hasItalianIdentityDocument', 'no', 'hasItalianIdentityDocument:invalid_type'],
    ['hasItalianIdentityDocument', undefined, 'hasItalianIdentityDocument:required'],
    ['residence', undefined, 'residence:required'],
    ['residence', 'Buenos Aires', 'residence:invalid_type'],
  ])('%s = %j → %s', (field, value, expected) => {
    const input = body();
    if (value === undefined) delete input[field];
    else input[field] = value;
    expect(pairs(issuesOf(input))).toEqual([expected]);
  });

  it('gives every issue a bilingual message', () => {
    const fields = issuesOf({ ...body(), surname: '', mobile: 'x', email: 'y' });
    for (const f of fields) {
      expect(f.message.it.length).toBeGreaterThan(5);
      expect(f.message.en.length).toBeGreaterThan(5);
      expect(f.message.it).not.toBe(f.message.en);
    }
  });

  it.each([
    [{ country: 'XX' }, 'residence.country:invalid_country'],
    [{ country: 'EU' }, 'residence.country:invalid_country'],
    [{ country: 'IT' }, 'residence.country:residence_country_mismatch'],
    [{ abroad: 'yes' }, 'residence.abroad:invalid_type'],
    [{ address: '' }, 'residence.address:required'],
    [{ city: undefined }, 'residence.city:required'],
    [{ postalCode: '#1' }, 'residence.postalCode:invalid_postal_code'],
    [{ province: 'P'.repeat(61) }, 'residence.province:too_long'],
  ])('residence abroad %o → %s', (over, expected) => {
    const r = residence(over);
    for (const [k, v] of Object.entries(over)) if (v === undefined) delete r[k];
    expect(pairs(issuesOf({ ...body(), residence: r }))).toEqual([expected]);
  });

  it.each([
    [{ country: 'AR' }, 'residence.country:residence_country_mismatch'],
    [{ postalCode: '186' }, 'residence.postalCode:invalid_postal_code'],
    [{ postalCode: '0018A' }, 'residence.postalCode:invalid_postal_code'],
    [{ province: undefined }, 'residence.province:required'],
    [{ province: '' }, 'residence.province:required'],
    [{ province: 'ZZ' }, 'residence.province:invalid_province'],
  ])('residence in Italy %o → %s', (over, expected) => {
    const r: Record<string, unknown> = { ...ITALIAN_RESIDENCE, ...over };
    for (const [k, v] of Object.entries(over)) if (v === undefined) delete r[k];
    // Eligibility does not matter here: validation fails first.
    expect(pairs(issuesOf({ ...body(), residence: r }))).toEqual([expected]);
  });

  it('does not require a province abroad, and upper-cases an Italian one', () => {
    const abroad = residence({});
    delete abroad.province;
    expect(validatePinRequest({ ...body(), residence: abroad }, OPTS).request.residence.province).toBeUndefined();
    const italian = validatePinRequest(
      { ...body(), residence: { ...ITALIAN_RESIDENCE, province: 'rm' } },
      { ...OPTS, eligibilityPolicy: false },
    );
    expect(italian.request.residence.province).toBe('RM');
  });

  it('requires one of home phone and mobile, reported on both', () => {
    const input: Record<string, unknown> = { ...body(), preferredPhone: 'home' };
    delete input.mobile;
    expect(pairs(issuesOf(input))).toEqual(['homePhone:phone_required', 'mobile:phone_required', 'preferredPhone:preferred_phone_missing']);
  });

  it('requires one of e-mail and PEC, reported on both', () => {
    const input = body();
    delete input.email;
    expect(pairs(issuesOf(input))).toEqual(['email:email_or_pec_required', 'pec:email_or_pec_required']);
  });

  it('treats null and blank optional contacts as not given', () => {
    expect(pairs(issuesOf({ ...body(), email: '', pec: null }))).toEqual(['email:email_or_pec_required', 'pec:email_or_pec_required']);
    const ok = validatePinRequest({ ...body(), homePhone: '  ', pec: null }, OPTS).request;
    expect(ok.homePhone).toBeUndefined();
    expect(ok.pec).toBeUndefined();
  });

  it('accepts a PEC instead of an e-mail and a home phone instead of a mobile', () => {
    const input: Record<string, unknown> = { ...body(), pec: 'mario@pec.it', homePhone: '+54 11 4321 8765', preferredPhone: 'home' };
    delete input.email;
    delete input.mobile;
    const { request } = validatePinRequest(input, OPTS);
    expect(request.homePhone).toBe('+541143218765');
    expect(request.pec).toBe('mario@pec.it');
  });

  it('wants the preferred phone to be one that was given', () => {
    expect(pairs(issuesOf({ ...body(), preferredPhone: 'home' }))).toEqual(['preferredPhone:preferred_phone_missing']);
    expect(validatePinRequest({ ...body(), homePhone: '+54 11 4321 8765', preferredPhone: 'home' }, OPTS).request.preferredPhone).toBe('home');
  });

  it('checks the codice fiscale against the personal data', () => {
    expect(pairs(issuesOf({ ...body(), surname: 'Bianchi' }))).toEqual(['codiceFiscale:cf_surname_mismatch']);
    expect(pairs(issuesOf({ ...body(), name: 'Luigi' }))).toEqual(['codiceFiscale:cf_name_mismatch']);
    expect(pairs(issuesOf({ ...body(), birthDate: '1980-01-02' }))).toEqual(['codiceFiscale:cf_birthdate_mismatch']);
    expect(pairs(issuesOf({ ...body(), sex: 'F' }))).toEqual(['codiceFiscale:cf_sex_mismatch']);
    expect(pairs(issuesOf({ ...body(), birthProvince: 'MI', birthMunicipality: 'Milano' }))).toEqual([
      'codiceFiscale:cf_birthplace_mismatch',
    ]);
  });

  it('still compares a code whose only fault is the check character', () => {
    expect(pairs(issuesOf({ ...body(), codiceFiscale: 'RSSMRA80A01H501A', surname: 'Verdi' }))).toEqual([
      'codiceFiscale:cf_check_char',
      'codiceFiscale:cf_surname_mismatch',
    ]);
  });

  it('does not compare components whose own field is invalid', () => {
    // The bad date is reported once, on birthDate, not again as a codice fiscale mismatch.
    expect(pairs(issuesOf({ ...body(), birthDate: '2030-01-01' }))).toEqual(['birthDate:date_not_past']);
  });
});

describe('unknown fields and shape', () => {
  it('rejects unknown fields at every level', () => {
    expect(pairs(issuesOf({ ...body(), nickname: 'Marietto', residence: residence({ floor: 3 }) }))).toEqual([
      'nickname:unknown_field',
      'residence.floor:unknown_field',
    ]);
  });

  it.each([null, 'text', 42, [], [body()]])('rejects a body that is not an object (%j)', (input) => {
    expect(issuesOf(input)).toMatchObject([{ field: '', code: 'invalid_type' }]);
  });
});

describe('every bad field at once', () => {
  it('lists all problems in one error', () => {
    const input = {
      ...body(),
      channel: 'post',
      surname: '',
      birthDate: 'yesterday',
      sex: 'male',
      residence: { abroad: false, country: 'AR', address: '', city: 'Roma', postalCode: '1', extra: true },
      mobile: '12345',
      email: 'not-an-email',
      preferredTimeSlot: '00-24',
      hasItalianIdentityDocument: 'maybe',
      unexpected: 1,
    };
    const found = pairs(issuesOf(input));
    expect(found).toEqual(
      expect.arrayContaining([
        'unexpected:unknown_field',
        'channel:invalid_value',
        'surname:required',
        'birthDate:invalid_date',
        'sex:invalid_value',
        'mobile:invalid_phone',
        'email:invalid_email',
        'preferredTimeSlot:invalid_value',
        'hasItalianIdentityDocument:invalid_type',
        'residence.extra:unknown_field',
        'residence.address:required',
        'residence.country:residence_country_mismatch',
        'residence.postalCode:invalid_postal_code',
        'residence.province:required',
      ]),
    );
    expect(found).toHaveLength(14);
  });
});

describe('advice on recovery contacts', () => {
  it('warns when fewer than two of mobile, e-mail and PEC are given', () => {
    const input: Record<string, unknown> = { ...body(), homePhone: '+54 11 4321 8765', preferredPhone: 'home' };
    delete input.mobile;
    const { warnings } = validatePinRequest(input, OPTS);
    expect(warnings).toMatchObject([{ field: 'contacts', code: 'recovery_contacts_advised' }]);
    expect(warnings[0]?.message.it).toMatch(/due recapiti/);
    expect(warnings[0]?.message.en).toMatch(/two contacts/);
  });

  it('does not warn with two of them', () => {
    expect(validatePinRequest(body(), OPTS).warnings).toEqual([]);
    const emailAndPec: Record<string, unknown> = { ...body(), homePhone: '+54 11 4321 8765', preferredPhone: 'home', pec: 'm@pec.it' };
    delete emailAndPec.mobile;
    expect(validatePinRequest(emailAndPec, OPTS).warnings).toEqual([]);
  });
});

describe('eligibility', () => {
  const inItaly = () => ({ ...body(), residence: { ...ITALIAN_RESIDENCE } });
  const notEligible = (input: unknown, opts: ValidatePinRequestOptions): DomainError => {
    try {
      validatePinRequest(input, opts);
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      return err as DomainError;
    }
    throw new Error('expected NOT_ELIGIBLE');
  };

  it('refuses a resident in Italy after the cut-off with a bilingual 422', () => {
    const err = notEligible(inItaly(), OPTS);
    expect(err.type).toBe('NOT_ELIGIBLE');
    expect(err.status).toBe(422);
    expect(err.details).toEqual({ reason: 'resident_in_italy', cutoff: '2021-10-01' });
    expect(err.userMessage.it).toMatch(/residenti all'estero/);
    expect(err.userMessage.en).toMatch(/resident abroad/);
    expect(err.userMessage.en).toMatch(/SPID, CIE or CNS/);
  });

  it('speaks to the applicant on the portal, and about the person to the clerk or operator who entered the data', () => {
    const applicant = notEligible(inItaly(), OPTS);
    expect(applicant.userMessage.it).toMatch(/^Hai indicato la residenza in Italia\. Dal 1 ottobre 2021 /);
    expect(applicant.userMessage.it).toMatch(/usa SPID, CIE o CNS\.$/);
    const staff = notEligible(inItaly(), { ...OPTS, audience: 'staff' });
    expect(staff.userMessage.it).toMatch(/^La persona ha la residenza in Italia\./);
    expect(staff.userMessage.it).toMatch(/Indica alla persona di accedere ai servizi con SPID, CIE o CNS\.$/);
    expect(staff.userMessage.en).toMatch(/^The person is resident in Italy\. Since 1 October 2021 /);
    expect(staff.userMessage.it).not.toMatch(/\b(hai|usa)\b/i);
  });

  it('refuses a resident abroad who has an Italian identity document', () => {
    const err = notEligible({ ...body(), hasItalianIdentityDocument: true }, OPTS);
    expect(err.status).toBe(422);
    expect(err.details.reason).toBe('has_italian_identity_document');
  });

  it('accepts a resident abroad without an Italian document', () => {
    expect(validatePinRequest(body(), OPTS).request.residence.abroad).toBe(true);
  });

  it('accepts everybody before the cut-off', () => {
    const before = { ...OPTS, today: new Date('2021-09-30T12:00:00Z') };
    expect(validatePinRequest(inItaly(), before).request.residence.country).toBe('IT');
    expect(validatePinRequest({ ...body(), hasItalianIdentityDocument: true }, before).request.hasItalianIdentityDocument).toBe(true);
  });

  it('applies from the cut-off day itself, in Italian time', () => {
    expect(notEligible(inItaly(), { ...OPTS, today: new Date('2021-10-01T08:00:00Z') }).status).toBe(422);
    // 22:30 UTC on 30 September is already 00:30 on 1 October in Rome.
    expect(notEligible(inItaly(), { ...OPTS, today: new Date('2021-09-30T22:30:00Z') }).status).toBe(422);
    expect(validatePinRequest(inItaly(), { ...OPTS, today: new Date('2021-09-30T21:30:00Z') }).request).toBeDefined();
  });

  it('accepts everybody when the policy is off', () => {
    const off = { ...OPTS, eligibilityPolicy: false };
    expect(validatePinRequest(inItaly(), off).request.residence.abroad).toBe(false);
    expect(validatePinRequest({ ...inItaly(), hasItalianIdentityDocument: true }, off).request).toBeDefined();
  });

  it('honours a custom cut-off', () => {
    const opts = { ...OPTS, eligibilityCutoff: '2026-01-01' };
    expect(validatePinRequest(inItaly(), opts).request).toBeDefined();
    expect(notEligible(inItaly(), { ...opts, today: new Date('2026-01-01T12:00:00Z') }).details.cutoff).toBe('2026-01-01');
  });

  it('validates first: invalid data from a non-eligible citizen is a 400', () => {
    const err = notEligible({ ...inItaly(), surname: '' }, OPTS);
    expect(err.status).toBe(400);
    expect(pairs(err.fields)).toEqual(['surname:required']);
  });

  it('rejects a malformed cut-off as a programming error', () => {
    expect(() => validatePinRequest(body(), { ...OPTS, eligibilityCutoff: '1/10/2021' })).toThrow(/eligibilityCutoff/);
  });
});

describe('formats', () => {
  it.each([
    ['+393331234567', true],
    ['+39 333 123 4567', true],
    ['+1 202 555 0143', true],
    ['+12345678', true], // 8 digits: the minimum
    ['+123456789012345', true], // 15 digits: the maximum
    ['+1234567', false],
    ['+1234567890123456', false],
    ['00393331234567', false],
    ['+39(333)1234567', false],
    ['+', false],
  ])('phone %s → %s', (phone, ok) => {
    expect(isInternationalPhone(phone)).toBe(ok);
  });

  it.each([
    ['a@b.it', true],
    ['mario.rossi+pin@mail.example.com', true],
    ["o'brien@example.ie", true],
    ['@example.com', false],
    ['mario@', false],
    ['mario@example', false],
    ['mario..rossi@example.com', false],
    ['.mario@example.com', false],
    ['mario@-example.com', false],
    ['mario@example.c', false],
    ['màrio@example.com', false],
  ])('e-mail %s → %s', (email, ok) => {
    expect(isEmailAddress(email)).toBe(ok);
  });
});

describe('review before confirmation', () => {
  it('shows every field with bilingual labels and readable values', () => {
    const { request } = validatePinRequest({ ...body(), pec: 'mario@pec.it' }, OPTS);
    const summary = summarisePinRequest(request);
    expect(summary.sections.map((s) => s.id)).toEqual(['request', 'personal', 'residence', 'contacts', 'preferences']);
    const items = Object.fromEntries(summary.sections.flatMap((s) => s.items).map((i) => [i.field, i]));
    expect(items.codiceFiscale?.value.it).toBe(ROSSI_CF);
    expect(items.birthDate?.value).toEqual({ it: '01/01/1980', en: '01/01/1980' });
    expect(items.sex?.value).toEqual({ it: 'Maschio', en: 'Male' });
    expect(items.birthMunicipality?.value.it).toBe('Roma (RM)');
    expect(items['residence.country']?.value.it).toBe('Argentina');
    expect(items['residence.address']?.value.it).toContain('Avenida Corrientes 1234');
    expect(items.mobile?.value.it).toBe('+5491112345678');
    expect(items.pec?.value.it).toBe('mario@pec.it');
    expect(items.homePhone).toBeUndefined();
    expect(items.preferredTimeSlot?.value).toEqual({ it: 'dalle 8 alle 11', en: '8 am to 11 am' });
    expect(items.preferredPhone?.value.en).toBe('Mobile phone');
    expect(items.hasItalianIdentityDocument?.value).toEqual({ it: 'No', en: 'No' });
    for (const i of Object.values(items)) {
      expect(i.label.it).not.toBe('');
      expect(i.label.en).not.toBe('');
    }
    expect(summary.confirmPrompt.it).toMatch(/conferma/);
  });
});

describe('delivery plan', () => {
  it('sends the first half to mobile, e-mail and PEC, the second by letter', () => {
    const { request } = validatePinRequest({ ...body(), pec: 'mario@pec.it' }, OPTS);
    const plan = deliveryPlan(request);
    expect(plan.firstHalf.map((s) => [s.channel, s.destination])).toEqual([
      ['sms', '+5491112345678'],
      ['email', 'mario.rossi@example.com'],
      ['pec', 'mario@pec.it'],
    ]);
    expect(plan.secondHalf).toHaveLength(1);
    expect(plan.secondHalf[0]).toMatchObject({ channel: 'letter' });
    expect(plan.secondHalf[0]?.destination).toContain('Avenida Corrientes 1234');
    expect(plan.secondHalf[0]?.destination).toContain('Argentina');
    // The message names destinations only in masked form.
    expect(plan.message.it).toContain(maskPhone('+5491112345678'));
    expect(plan.message.it).not.toContain('+5491112345678');
    expect(plan.message.en).not.toContain('mario.rossi@example.com');
    expect(plan.message.it).toMatch(/primi 8 caratteri/);
    expect(plan.message.en).toMatch(/first 8 characters/);
    expect(plan.message.en).toMatch(/letter/);
    // "una procedura guidata assegna all'utente un PIN di 8 caratteri": the 8-character PIN is assigned, not chosen.
    expect(plan.message.it).toContain('ti verrà assegnato il PIN definitivo di 8 caratteri');
    expect(plan.message.it).not.toMatch(/scegli/i);
    expect(plan.message.en).not.toMatch(/choose/i);
  });

  it('without a mobile, the first half goes by e-mail only', () => {
    const input: Record<string, unknown> = { ...body(), homePhone: '+54 11 4321 8765', preferredPhone: 'home' };
    delete input.mobile;
    const plan = deliveryPlan(validatePinRequest(input, OPTS).request);
    expect(plan.firstHalf.map((s) => s.channel)).toEqual(['email']);
    expect(plan.message.it).not.toMatch(/SMS/);
  });

  it('describes an Italian residence without a country', () => {
    const { request } = validatePinRequest({ ...body(), residence: { ...ITALIAN_RESIDENCE } }, { ...OPTS, eligibilityPolicy: false });
    const letter = deliveryPlan(request).secondHalf[0];
    expect(letter?.destination).toBe('Via del Corso 1, 00186 Roma (RM)');
  });

  it('masks phones and e-mail addresses', () => {
    expect(maskPhone('+393331234567')).toBe('+39******4567');
    expect(maskEmail('mario@example.it')).toBe('m****@example.it');
  });
});

describe('input schema', () => {
  it('converts to a strict JSON Schema for the API description', () => {
    const schema = z.toJSONSchema(pinRequestInputSchema, { io: 'input' }) as {
      additionalProperties?: boolean;
      required?: string[];
      properties: Record<string, { additionalProperties?: boolean }>;
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(['channel', 'codiceFiscale', 'residence', 'preferredTimeSlot']));
    expect(schema.required).not.toContain('mobile');
    expect(schema.properties.residence?.additionalProperties).toBe(false);
  });
});
