/**
 * The PIN request (online or through the contact centre): input schema, validation that lists
 * every problem at once, the eligibility policy, the review shown before confirmation, and how
 * the two halves of the PIN will reach the citizen.
 *
 * Validation runs in stages, each one only on the data the previous stage accepted, but all
 * stages run before anything is reported, so the citizen sees every bad field in one answer:
 * 1. shape and format of each field on its own (zod schemas, one per field);
 * 2. rules that need context or another field (birth date in the past, postal code by country,
 *    contacts, preferred phone, birthplace known);
 * 3. the codice fiscale against the personal data.
 * Eligibility is decided only on valid data.
 */
import { z } from 'zod';
import { fieldIssue, DomainError, ErrorType, validationError, type Bilingual, type FieldIssue } from './errors';
import { formatItalianDate, formatLongDate, italianCalendarDate, parseIsoDate } from './calendar';
import { isCurrentProvince, isKnownProvince, FOREIGN_PROVINCE } from './belfiore';
import {
  birthplaceCandidates,
  birthplaceUnknownIssue,
  checkCodiceFiscaleConsistency,
  normaliseCodiceFiscale,
  validateCodiceFiscaleFormat,
  type CodiceFiscalePerson,
  type Sex,
} from './codice-fiscale';
import { countryName, isIsoCountryCode } from './countries';

// ---------------------------------------------------------------------------------------------
// Fixed lists

/** How the request arrives: the citizen online, or an operator for a caller. */
const CHANNELS = Object.freeze([
  { id: 'online', label: { it: 'Online', en: 'Online' } },
  { id: 'contact_centre', label: { it: 'Contact center', en: 'Contact centre' } },
] as const);
export type Channel = (typeof CHANNELS)[number]['id'];

/** Time slots in which the citizen prefers to be called back, with labels for the forms. */
export const PREFERRED_TIME_SLOTS = Object.freeze([
  { id: '08-11', label: { it: 'dalle 8 alle 11', en: '8 am to 11 am' } },
  { id: '11-14', label: { it: 'dalle 11 alle 14', en: '11 am to 2 pm' } },
  { id: '14-17', label: { it: 'dalle 14 alle 17', en: '2 pm to 5 pm' } },
  { id: '17-20', label: { it: 'dalle 17 alle 20', en: '5 pm to 8 pm' } },
] as const);
export type PreferredTimeSlot = (typeof PREFERRED_TIME_SLOTS)[number]['id'];

/** Which of the two phones the citizen prefers to be called on. */
const PREFERRED_PHONES = Object.freeze(['home', 'mobile'] as const);
export type PreferredPhone = (typeof PREFERRED_PHONES)[number];

/** Default start of the eligibility restriction (new PINs only for residents abroad without an Italian document). */
const DEFAULT_ELIGIBILITY_CUTOFF = '2021-10-01';

/** Earliest accepted birth date. */
const MIN_BIRTH_DATE = '1900-01-01';

// ---------------------------------------------------------------------------------------------
// The normalised request

/** Residence, Italian or foreign. */
export interface Residence {
  abroad: boolean;
  /** ISO 3166-1 alpha-2, upper case; `IT` exactly when not abroad. */
  country: string;
  address: string;
  city: string;
  postalCode: string;
  /** Province sigla (upper case) for an Italian residence; free text (state, region) abroad. */
  province?: string;
}

/**
 * A valid PIN request, normalised: strings trimmed and inner white space collapsed, codice
 * fiscale upper case without spaces, province and country codes upper case, names and
 * surnames in the case they were typed, phones as `+` and digits, e-mail domains lower case.
 * Optional contacts that were empty or `null` are absent.
 */
export interface PinRequest {
  channel: Channel;
  codiceFiscale: string;
  surname: string;
  name: string;
  /** `YYYY-MM-DD`. */
  birthDate: string;
  sex: Sex;
  /** Province sigla, or `EE` when born abroad. */
  birthProvince: string;
  /** Municipality of birth, or the country when born abroad, as typed. */
  birthMunicipality: string;
  residence: Residence;
  homePhone?: string;
  mobile?: string;
  email?: string;
  pec?: string;
  preferredPhone: PreferredPhone;
  preferredTimeSlot: PreferredTimeSlot;
  hasItalianIdentityDocument: boolean;
}

/** Options of `validatePinRequest`. */
export interface ValidatePinRequestOptions {
  /** The current instant; its Italian calendar date is "today". */
  today: Date;
  /** Whether the 2021 restriction is applied at all. */
  eligibilityPolicy: boolean;
  /** First day of the restriction, `YYYY-MM-DD`; default `2021-10-01`. */
  eligibilityCutoff?: string;
  /**
   * Who reads a refusal: the applicant ("hai indicato…", the portal and the API), or the staff
   * member who entered the data for them (a clerk, an operator: "la persona ha indicato…").
   */
  audience?: 'applicant' | 'staff';
}

// ---------------------------------------------------------------------------------------------
// Field labels and messages

const LABELS: Readonly<Record<string, Bilingual>> = {
  channel: { it: 'Canale', en: 'Channel' },
  codiceFiscale: { it: 'Codice fiscale', en: 'Codice fiscale (tax code)' },
  surname: { it: 'Cognome', en: 'Surname' },
  name: { it: 'Nome', en: 'Name' },
  birthDate: { it: 'Data di nascita', en: 'Date of birth' },
  sex: { it: 'Sesso', en: 'Sex' },
  birthProvince: { it: 'Provincia di nascita', en: 'Province of birth' },
  birthMunicipality: { it: 'Comune (o Stato estero) di nascita', en: 'Municipality (or foreign country) of birth' },
  residence: { it: 'Residenza', en: 'Residence' },
  'residence.abroad': { it: "Residenza all'estero", en: 'Resident abroad' },
  'residence.country': { it: 'Stato di residenza', en: 'Country of residence' },
  'residence.address': { it: 'Indirizzo di residenza', en: 'Residence address' },
  'residence.city': { it: 'Comune o città di residenza', en: 'Municipality or city of residence' },
  'residence.postalCode': { it: 'CAP / codice postale', en: 'Postal code' },
  'residence.province': { it: 'Provincia di residenza', en: 'Province (or state) of residence' },
  homePhone: { it: 'Telefono fisso', en: 'Home phone' },
  mobile: { it: 'Cellulare', en: 'Mobile phone' },
  email: { it: 'E-mail', en: 'E-mail' },
  pec: { it: 'PEC (posta elettronica certificata)', en: 'PEC (certified e-mail)' },
  preferredPhone: { it: 'Telefono preferito', en: 'Preferred phone' },
  preferredTimeSlot: { it: 'Fascia oraria preferita', en: 'Preferred time slot' },
  hasItalianIdentityDocument: { it: 'Documento di identità italiano', en: 'Italian identity document' },
  contacts: { it: 'Recapiti', en: 'Contacts' },
};

/** An enumerated value of a request field as a person reads it (the value itself when it has no name). */
function valueLabel(field: string, value: string): Bilingual {
  if (field === 'preferredTimeSlot') return PREFERRED_TIME_SLOTS.find((s) => s.id === value)?.label ?? same(value);
  if (field === 'channel') return CHANNELS.find((c) => c.id === value)?.label ?? same(value);
  if (field === 'preferredPhone') return value === 'home' ? label('homePhone') : value === 'mobile' ? label('mobile') : same(value);
  return same(value);
}

function label(field: string): Bilingual {
  return LABELS[field] ?? { it: field, en: field };
}


/** Parameters attached to a zod refinement: the stable code and the message to report. */
interface RuleParams {
  code: string;
  it: string;
  en: string;
}

function rule(code: string, it: string, en: string): { params: RuleParams; abort: true } {
  return { params: { code, it, en }, abort: true };
}

const KIND_OF_VALUE: Readonly<Record<string, Bilingual>> = {
  string: { it: 'un testo', en: 'a text' },
  boolean: { it: 'vero o falso', en: 'true or false' },
  object: { it: 'un oggetto', en: 'an object' },
};

/** Turns the first zod issue of one field into a bilingual `FieldIssue` with a stable code. */
function fromZodIssue(field: string, zi: z.core.$ZodIssue): FieldIssue {
  const l = label(field);
  switch (zi.code) {
    case 'custom': {
      const p = zi.params as RuleParams | undefined;
      if (p) return fieldIssue(field, p.code, p.it, p.en);
      break;
    }
    case 'invalid_type': {
      const kind = KIND_OF_VALUE[zi.expected] ?? { it: zi.expected, en: zi.expected };
      return fieldIssue(field, 'invalid_type', `«${l.it}» deve essere ${kind.it}.`, `"${l.en}" must be ${kind.en}.`);
    }
    case 'too_small':
      return fieldIssue(field, 'required', `«${l.it}» è obbligatorio.`, `"${l.en}" is required.`);
    case 'too_big':
      return fieldIssue(
        field,
        'too_long',
        `«${l.it}» può avere al massimo ${String(zi.maximum)} caratteri.`,
        `"${l.en}" can have at most ${String(zi.maximum)} characters.`,
      );
    case 'invalid_value': {
      // The values by their names where they have one (a time slot, a phone): a person reads this.
      const allowed = (lang: 'it' | 'en') => zi.values.map((v) => valueLabel(field, String(v))[lang]).join(', ');
      return fieldIssue(field, 'invalid_value', `Valore non ammesso per «${l.it}»: scegli tra ${allowed('it')}.`, `Value not allowed for "${l.en}": choose ${allowed('en')}.`);
    }
    default:
      break;
  }
  return fieldIssue(field, 'invalid_value', `«${l.it}» non è valido.`, `"${l.en}" is not valid.`);
}

// ---------------------------------------------------------------------------------------------
// Field formats

/** Letters of any alphabet, combining marks, spaces, apostrophes, hyphens and dots. */
const PERSON_NAME = /^[\p{L}\p{M}' ’.-]+$/u;

/** Whether a string is a syntactically valid e-mail address (ASCII, dot-atom local part). */
export function isEmailAddress(text: string): boolean {
  if (text.length > 254) return false;
  const at = text.lastIndexOf('@');
  if (at < 1) return false;
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  if (local.length > 64) return false;
  if (!/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/.test(local)) return false;
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  const tld = labels[labels.length - 1] ?? '';
  if (!/^[A-Za-z]{2,63}$/.test(tld)) return false;
  return labels.every((part) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(part));
}

/**
 * Whether a string is a phone number in international format: `+`, a country code and the
 * number, 8 to 15 digits in all (E.164 allows 15), spaces allowed between digits.
 */
export function isInternationalPhone(text: string): boolean {
  if (!/^\+[0-9 ]+$/.test(text)) return false;
  const digits = text.slice(1).replace(/ /g, '');
  return /^[1-9][0-9]{7,14}$/.test(digits);
}

const collapseSpaces = (s: string) => s.replace(/\s+/g, ' ');

const personName = z
  .string()
  .trim()
  .overwrite(collapseSpaces)
  .min(1)
  .max(60)
  .refine(
    (s) => PERSON_NAME.test(s) && /\p{L}/u.test(s),
    rule(
      'invalid_characters',
      'Sono ammessi solo lettere, spazi, apostrofi e trattini.',
      'Only letters, spaces, apostrophes and hyphens are allowed.',
    ),
  );

const text = (max: number) => z.string().trim().overwrite(collapseSpaces).min(1).max(max);

const phone = z
  .string()
  .trim()
  .refine(
    isInternationalPhone,
    rule(
      'invalid_phone',
      'Numero non valido: indicalo in formato internazionale con il prefisso, ad es. +39 333 1234567.',
      'Invalid number: give it in international format with the country code, e.g. +39 333 1234567.',
    ),
  )
  .overwrite((s) => s.replace(/ /g, ''));

const emailAddress = (what: Bilingual) =>
  z
    .string()
    .trim()
    .refine(
      isEmailAddress,
      rule('invalid_email', `Indirizzo ${what.it} non valido.`, `Invalid ${what.en} address.`),
    )
    // The local part is case-sensitive in theory; the domain never is.
    .overwrite((s) => {
      const at = s.lastIndexOf('@');
      return s.slice(0, at + 1) + s.slice(at + 1).toLowerCase();
    });

const codiceFiscaleField = z
  .string()
  .overwrite(normaliseCodiceFiscale)
  .min(1)
  .superRefine((cf, ctx) => {
    const first = validateCodiceFiscaleFormat(cf).errors[0];
    if (first) {
      ctx.addIssue({ code: 'custom', params: { code: first.code, ...first.message }, input: cf });
    }
  });

const birthDateField = z
  .string()
  .trim()
  // Empty is "required", not "use the format".
  .min(1)
  .refine(
    (s) => parseIsoDate(s) !== undefined,
    rule('invalid_date', 'Data non valida: usa il formato AAAA-MM-GG.', 'Invalid date: use the YYYY-MM-DD format.'),
  );

const birthProvinceField = z
  .string()
  .trim()
  .toUpperCase()
  // Empty is "required", not "unknown code".
  .min(1)
  .refine(
    (s) => s === FOREIGN_PROVINCE || (/^[A-Z]{2}$/.test(s) && isKnownProvince(s)),
    rule(
      'invalid_province',
      'Sigla di provincia sconosciuta; per i nati all\'estero indica EE.',
      'Unknown province code; for people born abroad use EE.',
    ),
  );

const countryField = z
  .string()
  .trim()
  .toUpperCase()
  .refine(
    isIsoCountryCode,
    rule(
      'invalid_country',
      'Stato non valido: usa il codice ISO 3166-1 di due lettere (ad es. IT, DE, AR).',
      'Invalid country: use the two-letter ISO 3166-1 code (e.g. IT, DE, AR).',
    ),
  );

const timeSlotIds = PREFERRED_TIME_SLOTS.map((s) => s.id) as [PreferredTimeSlot, ...PreferredTimeSlot[]];
const channelIds = CHANNELS.map((c) => c.id) as [Channel, ...Channel[]];

/** Per-field schemas of the residence object. */
const RESIDENCE_FIELDS = {
  abroad: z.boolean(),
  country: countryField,
  address: text(200),
  city: text(100),
  postalCode: z.string().trim().toUpperCase().min(1).max(12),
  province: text(60),
} as const;
const RESIDENCE_OPTIONAL: ReadonlySet<string> = new Set(['province']);

/** Per-field schemas of the request. */
const REQUEST_FIELDS = {
  // `contact_center` is the spelling clients used before migration 011; it is still accepted.
  channel: z.preprocess((v) => (v === 'contact_center' ? 'contact_centre' : v), z.enum(channelIds)),
  codiceFiscale: codiceFiscaleField,
  surname: personName,
  name: personName,
  birthDate: birthDateField,
  sex: z.enum(['M', 'F']),
  birthProvince: birthProvinceField,
  birthMunicipality: text(100),
  homePhone: phone,
  mobile: phone,
  email: emailAddress({ it: 'e-mail', en: 'e-mail' }),
  pec: emailAddress({ it: 'PEC', en: 'PEC' }),
  preferredPhone: z.enum(PREFERRED_PHONES),
  preferredTimeSlot: z.enum(timeSlotIds),
  hasItalianIdentityDocument: z.boolean(),
} as const;
const REQUEST_OPTIONAL: ReadonlySet<string> = new Set(['homePhone', 'mobile', 'email', 'pec']);

/**
 * The request's JSON shape as a zod schema (strict: unknown keys rejected), built from the same
 * per-field schemas `validatePinRequest` uses; `z.toJSONSchema(pinRequestInputSchema, { io:
 * 'input' })` gives the OpenAPI body. The rules across fields (contacts, preferred phone,
 * country vs abroad, postal code, birthplace, codice fiscale consistency) and the leniency
 * towards `null` or empty optional contacts live in `validatePinRequest` only.
 */
export const pinRequestInputSchema = z.strictObject({
  ...REQUEST_FIELDS,
  homePhone: REQUEST_FIELDS.homePhone.optional(),
  mobile: REQUEST_FIELDS.mobile.optional(),
  email: REQUEST_FIELDS.email.optional(),
  pec: REQUEST_FIELDS.pec.optional(),
  residence: z.strictObject({ ...RESIDENCE_FIELDS, province: RESIDENCE_FIELDS.province.optional() }),
});

// ---------------------------------------------------------------------------------------------
// Validation

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `undefined`, `null` and blank strings all mean "not given" for an optional field. */
function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function requiredIssue(field: string): FieldIssue {
  const l = label(field);
  return fieldIssue(field, 'required', `«${l.it}» è obbligatorio.`, `"${l.en}" is required.`);
}

function unknownFieldIssue(field: string): FieldIssue {
  return fieldIssue(field, 'unknown_field', `Campo non previsto: «${field}».`, `Unexpected field: "${field}".`);
}

/**
 * Parses each field of `input` with its own schema. Values of valid fields go to `values`,
 * problems to `issues`; absent optional fields go to neither.
 */
function parseFields(
  input: Record<string, unknown>,
  schemas: Readonly<Record<string, z.ZodType>>,
  optional: ReadonlySet<string>,
  prefix: string,
  issues: FieldIssue[],
  handledElsewhere: ReadonlySet<string> = new Set(),
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(schemas, key) && !handledElsewhere.has(key)) issues.push(unknownFieldIssue(prefix + key));
  }
  for (const [key, schema] of Object.entries(schemas)) {
    const path = prefix + key;
    const raw = input[key];
    if (optional.has(key) && isAbsent(raw)) continue;
    if (raw === undefined || raw === null) {
      issues.push(requiredIssue(path));
      continue;
    }
    const parsed = schema.safeParse(raw);
    if (parsed.success) values[key] = parsed.data;
    else if (parsed.error.issues[0]) issues.push(fromZodIssue(path, parsed.error.issues[0]));
  }
  return values;
}

/** Reads a parsed value only when it passed its own schema. */
function valid<T>(values: Record<string, unknown>, key: string): T | undefined {
  return values[key] as T | undefined;
}

/**
 * The rules across the contact fields, shared by the request and by later contact changes: at
 * least one phone (home or mobile), at least one of e-mail and PEC, and the preferred phone given.
 */
function contactRuleIssues(given: (key: string) => boolean, preferredPhone: PreferredPhone | undefined): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!given('homePhone') && !given('mobile')) {
    const [it, en] = [
      'Indica almeno un numero di telefono, fisso o cellulare (obbligatorio).',
      'Give at least one phone number, home or mobile (required).',
    ];
    issues.push(fieldIssue('homePhone', 'phone_required', it, en), fieldIssue('mobile', 'phone_required', it, en));
  }
  if (!given('email') && !given('pec')) {
    const [it, en] = ['Indica almeno un indirizzo e-mail o PEC (obbligatorio).', 'Give at least one e-mail or PEC address (required).'];
    issues.push(fieldIssue('email', 'email_or_pec_required', it, en), fieldIssue('pec', 'email_or_pec_required', it, en));
  }
  if (preferredPhone !== undefined && !given(preferredPhone === 'home' ? 'homePhone' : 'mobile')) {
    issues.push(
      preferredPhone === 'home'
        ? fieldIssue(
            'preferredPhone',
            'preferred_phone_missing',
            'Hai scelto il telefono fisso come preferito ma non lo hai indicato.',
            'You chose the home phone as preferred but did not give it.',
          )
        : fieldIssue(
            'preferredPhone',
            'preferred_phone_missing',
            'Hai scelto il cellulare come preferito ma non lo hai indicato.',
            'You chose the mobile phone as preferred but did not give it.',
          ),
    );
  }
  return issues;
}

const RECOVERY_CONTACTS_ADVISED = (): FieldIssue =>
  fieldIssue(
    'contacts',
    'recovery_contacts_advised',
    'Ti consigliamo di indicare almeno due recapiti tra cellulare, e-mail e PEC: servono per recuperare il PIN.',
    'We advise giving at least two contacts among mobile, e-mail and PEC: they are needed to recover the PIN.',
  );

/**
 * Validates and normalises a PIN request.
 *
 * Throws `validationError(fields)` (VALIDATION, 400) listing every bad field, or a
 * `DomainError` NOT_ELIGIBLE (422) when the data are valid, the eligibility policy is on, today
 * (Italian date) is on or after the cut-off and the citizen is not both resident abroad and
 * without an Italian identity document. Issue field paths use dot notation
 * (`residence.country`); a non-object body is reported on the empty path.
 *
 * Warnings (returned, not thrown): fewer than two of mobile, e-mail and PEC
 * (`recovery_contacts_advised`), and explainable birthplace differences in the codice fiscale
 * (`cf_birthplace_historical`, `cf_birthplace_changed`).
 */
export function validatePinRequest(
  input: unknown,
  opts: ValidatePinRequestOptions,
): { request: PinRequest; warnings: FieldIssue[] } {
  const cutoff = opts.eligibilityCutoff ?? DEFAULT_ELIGIBILITY_CUTOFF;
  if (!parseIsoDate(cutoff)) throw new Error(`eligibilityCutoff must be YYYY-MM-DD, got ${cutoff}`);
  const today = italianCalendarDate(opts.today);

  if (!isPlainObject(input)) {
    throw validationError([
      fieldIssue('', 'invalid_type', 'La richiesta deve essere un oggetto JSON.', 'The request must be a JSON object.'),
    ]);
  }

  const issues: FieldIssue[] = [];
  const warnings: FieldIssue[] = [];
  const top = parseFields(input, REQUEST_FIELDS, REQUEST_OPTIONAL, '', issues, new Set(['residence']));

  let res: Record<string, unknown> = {};
  const rawResidence = input.residence;
  if (rawResidence === undefined || rawResidence === null) issues.push(requiredIssue('residence'));
  else if (!isPlainObject(rawResidence)) {
    issues.push(fieldIssue('residence', 'invalid_type', '«Residenza» deve essere un oggetto.', '"Residence" must be an object.'));
  } else {
    res = parseFields(rawResidence, RESIDENCE_FIELDS, RESIDENCE_OPTIONAL, 'residence.', issues);
  }

  // -- Stage 2: context and cross-field rules, each on fields that passed stage 1.

  const birthDate = valid<string>(top, 'birthDate');
  if (birthDate !== undefined) {
    if (birthDate >= today) {
      issues.push(
        fieldIssue('birthDate', 'date_not_past', 'La data di nascita deve essere nel passato.', 'The date of birth must be in the past.'),
      );
    } else if (birthDate < MIN_BIRTH_DATE) {
      issues.push(
        fieldIssue(
          'birthDate',
          'date_too_early',
          'La data di nascita non può essere anteriore al 1900.',
          'The date of birth cannot be before 1900.',
        ),
      );
    }
  }
  const birthDateOk = birthDate !== undefined && !issues.some((i) => i.field === 'birthDate');

  const birthProvince = valid<string>(top, 'birthProvince');
  const birthMunicipality = valid<string>(top, 'birthMunicipality');
  let birthplaceKnown = false;
  if (birthProvince !== undefined && birthMunicipality !== undefined) {
    const unknown = birthplaceUnknownIssue(birthProvince, birthMunicipality);
    if (unknown) issues.push(unknown);
    else birthplaceKnown = true;
  }

  const abroad = valid<boolean>(res, 'abroad');
  const country = valid<string>(res, 'country');
  if (abroad !== undefined && country !== undefined && abroad === (country === 'IT')) {
    issues.push(
      abroad
        ? fieldIssue(
            'residence.country',
            'residence_country_mismatch',
            "Per la residenza all'estero indica uno Stato diverso dall'Italia.",
            'For a residence abroad give a country other than Italy.',
          )
        : fieldIssue(
            'residence.country',
            'residence_country_mismatch',
            'Per la residenza in Italia lo Stato deve essere IT.',
            'For a residence in Italy the country must be IT.',
          ),
    );
  }
  const postalCode = valid<string>(res, 'postalCode');
  if (abroad !== undefined && postalCode !== undefined) {
    const ok = abroad ? /^[A-Z0-9](?:[A-Z0-9 -]{0,10}[A-Z0-9])?$/.test(postalCode) : /^[0-9]{5}$/.test(postalCode);
    if (!ok) {
      issues.push(
        abroad
          ? fieldIssue(
              'residence.postalCode',
              'invalid_postal_code',
              'Codice postale non valido: lettere, cifre, spazi e trattini, al massimo 12 caratteri.',
              'Invalid postal code: letters, digits, spaces and hyphens, at most 12 characters.',
            )
          : fieldIssue(
              'residence.postalCode',
              'invalid_postal_code',
              'Il CAP deve avere 5 cifre.',
              'The Italian postal code (CAP) must have 5 digits.',
            ),
      );
    }
  }
  if (abroad === false && isPlainObject(rawResidence)) {
    const province = valid<string>(res, 'province');
    if (isAbsent(rawResidence.province)) {
      issues.push(
        fieldIssue(
          'residence.province',
          'required',
          'La provincia è obbligatoria per la residenza in Italia.',
          'The province is required for a residence in Italy.',
        ),
      );
    } else if (province !== undefined && !(/^[A-Z]{2}$/i.test(province) && isCurrentProvince(province))) {
      issues.push(
        fieldIssue(
          'residence.province',
          'invalid_province',
          'Sigla di provincia non valida (ad es. RM, MI, NA).',
          'Invalid province code (e.g. RM, MI, NA).',
        ),
      );
    }
  }

  issues.push(...contactRuleIssues((key) => !isAbsent(input[key]), valid<PreferredPhone>(top, 'preferredPhone')));

  // -- Stage 3: the codice fiscale against the personal data that are valid.

  const codiceFiscale = valid<string>(top, 'codiceFiscale');
  const rawCf = input.codiceFiscale;
  const cfCheckCharOnly =
    typeof rawCf === 'string' &&
    validateCodiceFiscaleFormat(rawCf).errors.every((i) => i.code === 'cf_check_char');
  if (codiceFiscale !== undefined || (typeof rawCf === 'string' && rawCf.trim() !== '' && cfCheckCharOnly)) {
    // A wrong check character is reported already; the rest of the code is still compared so
    // that a mistyped surname does not need a second round trip.
    const person: CodiceFiscalePerson = {};
    const surname = valid<string>(top, 'surname');
    const name = valid<string>(top, 'name');
    const sex = valid<Sex>(top, 'sex');
    if (surname !== undefined) person.surname = surname;
    if (name !== undefined) person.name = name;
    if (birthDateOk && birthDate !== undefined) person.birthDate = birthDate;
    if (sex !== undefined) person.sex = sex;
    if (birthplaceKnown && birthProvince !== undefined && birthMunicipality !== undefined) {
      person.birthProvince = birthProvince;
      person.birthMunicipality = birthMunicipality;
    }
    const check = checkCodiceFiscaleConsistency(codiceFiscale ?? normaliseCodiceFiscale(String(rawCf)), person, {
      today: opts.today,
    });
    issues.push(...check.errors);
    warnings.push(...check.warnings);
  }

  if (issues.length > 0) throw validationError(issues);

  // Every field passed: assemble the normalised request from the parsed values.
  const residence: Residence = {
    abroad: res.abroad as boolean,
    country: res.country as string,
    address: res.address as string,
    city: res.city as string,
    postalCode: res.postalCode as string,
  };
  if (res.province !== undefined) {
    residence.province = residence.abroad ? (res.province as string) : (res.province as string).toUpperCase();
  }
  const request: PinRequest = {
    channel: top.channel as Channel,
    codiceFiscale: top.codiceFiscale as string,
    surname: top.surname as string,
    name: top.name as string,
    birthDate: top.birthDate as string,
    sex: top.sex as Sex,
    birthProvince: top.birthProvince as string,
    birthMunicipality: top.birthMunicipality as string,
    residence,
    preferredPhone: top.preferredPhone as PreferredPhone,
    preferredTimeSlot: top.preferredTimeSlot as PreferredTimeSlot,
    hasItalianIdentityDocument: top.hasItalianIdentityDocument as boolean,
  };
  for (const key of ['homePhone', 'mobile', 'email', 'pec'] as const) {
    const value = top[key];
    if (typeof value === 'string') request[key] = value;
  }

  const recoveryContacts = [request.mobile, request.email, request.pec].filter((v) => v !== undefined).length;
  if (recoveryContacts < 2) warnings.push(RECOVERY_CONTACTS_ADVISED());

  const eligibility = checkEligibility(request, {
    today: opts.today,
    eligibilityPolicy: opts.eligibilityPolicy,
    eligibilityCutoff: cutoff,
    ...(opts.audience ? { audience: opts.audience } : {}),
  });
  if (!eligibility.eligible) {
    throw new DomainError(ErrorType.NotEligible, eligibility.message, [], {
      reason: eligibility.reason,
      cutoff,
    });
  }
  return { request, warnings };
}


// ---------------------------------------------------------------------------------------------
// Contacts alone (a later change of contacts keeps the rules of the request)

/** The contact part of a request, normalised as in `PinRequest`. */
export interface ContactDetails {
  homePhone?: string;
  mobile?: string;
  email?: string;
  pec?: string;
  preferredPhone: PreferredPhone;
  preferredTimeSlot: PreferredTimeSlot;
}

const CONTACT_FIELDS = {
  homePhone: REQUEST_FIELDS.homePhone,
  mobile: REQUEST_FIELDS.mobile,
  email: REQUEST_FIELDS.email,
  pec: REQUEST_FIELDS.pec,
  preferredPhone: REQUEST_FIELDS.preferredPhone,
  preferredTimeSlot: REQUEST_FIELDS.preferredTimeSlot,
} as const;

/** The JSON shape of a contact set (formats only; the rules across fields are in `validateContacts`). */
export const contactsInputSchema = z.strictObject({
  homePhone: CONTACT_FIELDS.homePhone.optional(),
  mobile: CONTACT_FIELDS.mobile.optional(),
  email: CONTACT_FIELDS.email.optional(),
  pec: CONTACT_FIELDS.pec.optional(),
  preferredPhone: CONTACT_FIELDS.preferredPhone,
  preferredTimeSlot: CONTACT_FIELDS.preferredTimeSlot,
});

/**
 * Validates a whole set of contacts with the same field formats and cross-field rules as the PIN
 * request (one phone, one of e-mail/PEC, the preferred phone given, international prefixes).
 * Throws `validationError` listing every bad field; returns the normalised contacts and the
 * `recovery_contacts_advised` warning when fewer than two of mobile, e-mail and PEC remain.
 */
export function validateContacts(input: unknown): { contacts: ContactDetails; warnings: FieldIssue[] } {
  if (!isPlainObject(input)) {
    throw validationError([fieldIssue('', 'invalid_type', 'I recapiti devono essere un oggetto JSON.', 'The contacts must be a JSON object.')]);
  }
  const issues: FieldIssue[] = [];
  const values = parseFields(input, CONTACT_FIELDS, REQUEST_OPTIONAL, '', issues);
  issues.push(...contactRuleIssues((key) => !isAbsent(input[key]), valid<PreferredPhone>(values, 'preferredPhone')));
  if (issues.length > 0) throw validationError(issues);
  const contacts: ContactDetails = {
    preferredPhone: values.preferredPhone as PreferredPhone,
    preferredTimeSlot: values.preferredTimeSlot as PreferredTimeSlot,
  };
  for (const key of ['homePhone', 'mobile', 'email', 'pec'] as const) {
    const value = values[key];
    if (typeof value === 'string') contacts[key] = value;
  }
  const recoveryContacts = [contacts.mobile, contacts.email, contacts.pec].filter((v) => v !== undefined).length;
  return { contacts, warnings: recoveryContacts < 2 ? [RECOVERY_CONTACTS_ADVISED()] : [] };
}

// ---------------------------------------------------------------------------------------------
// Eligibility

/** Why a citizen cannot get a new PIN under the 2021 policy. */
export type IneligibilityReason = 'resident_in_italy' | 'has_italian_identity_document';

/** Outcome of the eligibility policy for one request. */
export type Eligibility =
  | { eligible: true }
  | { eligible: false; reason: IneligibilityReason; message: Bilingual };

/**
 * Since the cut-off (1 October 2021 by default) a new PIN goes only to citizens resident
 * abroad who have no Italian identity document; everybody else uses SPID, CIE or CNS.
 * With the policy off, or before the cut-off (Italian calendar date), everybody is eligible.
 */
export function checkEligibility(
  request: Pick<PinRequest, 'residence' | 'hasItalianIdentityDocument'>,
  opts: Pick<ValidatePinRequestOptions, 'today' | 'eligibilityPolicy' | 'eligibilityCutoff' | 'audience'>,
): Eligibility {
  const cutoff = opts.eligibilityCutoff ?? DEFAULT_ELIGIBILITY_CUTOFF;
  if (!opts.eligibilityPolicy || italianCalendarDate(opts.today) < cutoff) return { eligible: true };
  if (request.residence.abroad && !request.hasItalianIdentityDocument) return { eligible: true };
  const since = { it: formatLongDate(cutoff, 'it'), en: formatLongDate(cutoff, 'en') };
  const rule = {
    it: `Dal ${since.it} il PIN viene rilasciato solo ai cittadini residenti all'estero che non hanno un documento di identità italiano.`,
    en: `Since ${since.en} a PIN is issued only to citizens resident abroad who have no Italian identity document.`,
  };
  const staff = opts.audience === 'staff';
  const instead = staff
    ? { it: 'Indica alla persona di accedere ai servizi con SPID, CIE o CNS.', en: 'Tell the person to access the services with SPID, CIE or CNS.' }
    : { it: 'Per accedere ai servizi usa SPID, CIE o CNS.', en: 'Please use SPID, CIE or CNS to access the services.' };
  const why = (fact: Bilingual): Bilingual => ({ it: `${fact.it} ${rule.it} ${instead.it}`, en: `${fact.en} ${rule.en} ${instead.en}` });
  if (!request.residence.abroad) {
    return {
      eligible: false,
      reason: 'resident_in_italy',
      message: why(staff ? { it: 'La persona ha la residenza in Italia.', en: 'The person is resident in Italy.' } : { it: 'Hai indicato la residenza in Italia.', en: 'You gave a residence in Italy.' }),
    };
  }
  return {
    eligible: false,
    reason: 'has_italian_identity_document',
    message: why(
      staff
        ? { it: 'La persona ha un documento di identità italiano.', en: 'The person has an Italian identity document.' }
        : { it: 'Hai dichiarato di avere un documento di identità italiano.', en: 'You stated that you have an Italian identity document.' },
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// Review and delivery

/** One line of the review screen. */
export interface ReviewItem {
  field: string;
  label: Bilingual;
  value: Bilingual;
}

/** A group of lines of the review screen. */
export interface ReviewSection {
  id: 'request' | 'personal' | 'residence' | 'contacts' | 'preferences';
  title: Bilingual;
  items: ReviewItem[];
}

/** What the citizen (or the operator) reviews before confirming. */
export interface PinRequestSummary {
  sections: ReviewSection[];
  confirmPrompt: Bilingual;
}

const same = (value: string): Bilingual => ({ it: value, en: value });

function item(field: string, value: Bilingual): ReviewItem {
  return { field, label: label(field), value };
}

function birthplaceText(request: PinRequest): Bilingual {
  if (request.birthProvince === FOREIGN_PROVINCE) {
    const country = birthplaceCandidates(FOREIGN_PROVINCE, request.birthMunicipality).inProvince[0];
    const name = country?.name ?? request.birthMunicipality;
    return { it: `${name} (Stato estero)`, en: `${name} (foreign country)` };
  }
  const place = birthplaceCandidates(request.birthProvince, request.birthMunicipality).inProvince[0];
  return same(`${place?.name ?? request.birthMunicipality} (${request.birthProvince})`);
}

function addressLines(r: Residence): string {
  const province = r.province ? (r.abroad ? `, ${r.province}` : ` (${r.province})`) : '';
  return `${r.address}, ${r.postalCode} ${r.city}${province}`;
}

/**
 * The review data shown before the citizen confirms: every field with a bilingual label and
 * value (dates in the reader's format, codes turned into names). Nothing is stored yet.
 */
export function summarisePinRequest(request: PinRequest): PinRequestSummary {
  const channel = CHANNELS.find((c) => c.id === request.channel)?.label ?? same(request.channel);
  const slot = PREFERRED_TIME_SLOTS.find((s) => s.id === request.preferredTimeSlot)?.label ?? same(request.preferredTimeSlot);
  const country = countryName(request.residence.country);
  const yesNo = (b: boolean): Bilingual => (b ? { it: 'Sì', en: 'Yes' } : { it: 'No', en: 'No' });
  const contacts: ReviewItem[] = [];
  for (const key of ['homePhone', 'mobile', 'email', 'pec'] as const) {
    const value = request[key];
    if (value !== undefined) contacts.push(item(key, same(value)));
  }
  return {
    sections: [
      { id: 'request', title: { it: 'Richiesta', en: 'Request' }, items: [item('channel', channel)] },
      {
        id: 'personal',
        title: { it: 'Dati anagrafici', en: 'Personal data' },
        items: [
          item('codiceFiscale', same(request.codiceFiscale)),
          item('surname', same(request.surname)),
          item('name', same(request.name)),
          // Day/month/year in English too, as British English writes dates (no ISO date on a page).
          item('birthDate', { it: formatItalianDate(request.birthDate), en: formatItalianDate(request.birthDate) }),
          item('sex', request.sex === 'F' ? { it: 'Femmina', en: 'Female' } : { it: 'Maschio', en: 'Male' }),
          item('birthMunicipality', birthplaceText(request)),
        ],
      },
      {
        id: 'residence',
        title: { it: 'Residenza', en: 'Residence' },
        items: [
          item('residence.abroad', yesNo(request.residence.abroad)),
          item('residence.country', country),
          item('residence.address', same(addressLines(request.residence))),
        ],
      },
      { id: 'contacts', title: { it: 'Recapiti', en: 'Contacts' }, items: contacts },
      {
        id: 'preferences',
        title: { it: 'Preferenze e dichiarazioni', en: 'Preferences and statements' },
        items: [
          item('preferredPhone', request.preferredPhone === 'home' ? label('homePhone') : label('mobile')),
          item('preferredTimeSlot', slot),
          item('hasItalianIdentityDocument', yesNo(request.hasItalianIdentityDocument)),
        ],
      },
    ],
    confirmPrompt: {
      it: 'Controlla i dati e conferma la richiesta. Dopo la conferma la richiesta viene registrata.',
      en: 'Check the data and confirm the request. On confirmation the request is recorded.',
    },
  };
}

/** One way a half of the PIN travels. */
export interface DeliveryStep {
  channel: 'sms' | 'email' | 'pec' | 'letter';
  destination: string;
  /** The destination partly hidden, for screens and logs. */
  maskedDestination: string;
  description: Bilingual;
}

/** How the two halves of the 16-character PIN will reach the citizen. */
export interface DeliveryPlan {
  /** First 8 characters: to every mobile, e-mail and PEC given. */
  firstHalf: DeliveryStep[];
  /** Last 8 characters: a letter to the residence address. */
  secondHalf: DeliveryStep[];
  message: Bilingual;
}

/** `+393331234567` → `+39******4567`: enough to recognise one's own number. */
export function maskPhone(phone: string): string {
  const keepEnd = 4;
  const keepStart = Math.min(3, Math.max(0, phone.length - keepEnd));
  if (phone.length <= keepStart + keepEnd) return phone;
  return phone.slice(0, keepStart) + '*'.repeat(phone.length - keepStart - keepEnd) + phone.slice(-keepEnd);
}

/** `mario.rossi@example.it` → `m*********@example.it`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return email;
  return email.charAt(0) + '*'.repeat(Math.max(1, at - 1)) + email.slice(at);
}

/**
 * How the two halves will arrive: the first 8 characters by SMS to the mobile (if given) and
 * by e-mail and/or PEC (whichever are given), the last 8 in a letter posted to the residence
 * address. The message uses masked destinations.
 */
export function deliveryPlan(request: PinRequest): DeliveryPlan {
  const firstHalf: DeliveryStep[] = [];
  if (request.mobile !== undefined) {
    firstHalf.push({
      channel: 'sms',
      destination: request.mobile,
      maskedDestination: maskPhone(request.mobile),
      description: { it: `via SMS al numero ${maskPhone(request.mobile)}`, en: `by text message to ${maskPhone(request.mobile)}` },
    });
  }
  if (request.email !== undefined) {
    firstHalf.push({
      channel: 'email',
      destination: request.email,
      maskedDestination: maskEmail(request.email),
      description: { it: `via e-mail a ${maskEmail(request.email)}`, en: `by e-mail to ${maskEmail(request.email)}` },
    });
  }
  if (request.pec !== undefined) {
    firstHalf.push({
      channel: 'pec',
      destination: request.pec,
      maskedDestination: maskEmail(request.pec),
      description: { it: `via PEC a ${maskEmail(request.pec)}`, en: `by PEC to ${maskEmail(request.pec)}` },
    });
  }
  const r = request.residence;
  const country = countryName(r.country);
  const address = addressLines(r);
  const letter: DeliveryStep = {
    channel: 'letter',
    destination: r.abroad ? `${address}, ${country.en}` : address,
    maskedDestination: `${r.postalCode} ${r.city}${r.abroad ? `, ${country.en}` : ''}`,
    description: r.abroad
      ? { it: `per posta, con una lettera all'indirizzo di residenza (${r.city}, ${country.it})`, en: `by post, in a letter to the residence address (${r.city}, ${country.en})` }
      : { it: `per posta, con una lettera all'indirizzo di residenza (${r.city})`, en: `by post, in a letter to the residence address (${r.city})` },
  };
  const firstIt = firstHalf.map((s) => s.description.it).join(' e ');
  const firstEn = firstHalf.map((s) => s.description.en).join(' and ');
  return {
    firstHalf,
    secondHalf: [letter],
    message: {
      it: `I primi 8 caratteri del PIN ti arriveranno ${firstIt}; gli altri 8 ${letter.description.it}. Al primo accesso con il PIN completo di 16 caratteri ti verrà assegnato il PIN definitivo di 8 caratteri.`,
      en: `The first 8 characters of the PIN will reach you ${firstEn}; the other 8 ${letter.description.en}. At the first access with the full 16-character PIN you will be given your final 8-character PIN.`,
    },
  };
}
