/**
 * Every portal form on the real stack, sent empty: each required field is named in the error
 * summary (linked to it) and beside the field, as "obbligatorio" / "required" — never as a format
 * ("usa il formato"), an unknown code or a length ("ne ha 0"). The revocation form reports its four
 * fields at once, and tells a resident abroad without a health-insurance card what to do instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { italianCalendarDate } from '../../domain/calendar';
import { Browser, csrfOf, type Page } from '../support/browser';
import { makeCitizen } from '../support/citizens';
import { activeCitizen, asWorker } from '../support/issuance';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

/** What an empty field must never be told. */
const NOT_FOR_EMPTY = /formato|sconosciut|ne ha 0|ne hai inserit[ei] 0|non valid|format|unknown|it has 0/i;

/** The feedback shown beside a field. */
function feedbackOf(body: string, field: string): string {
  const id = `f-${field.replace(/\./g, '-')}`;
  const m = new RegExp(`id="${id}-error">([^<]*)<`).exec(body);
  expect(m, `feedback beside ${id}`).not.toBeNull();
  return m![1]!;
}

/** An empty form's answer: 400, the summary links every field, each says it is required and nothing else. */
function expectRequired(page: Page, fields: readonly string[], word = /obbligatori/) {
  expect(page.status).toBe(400);
  expect(page.body).toMatch(/<title>(Errore|Error): /);
  const summary = /<div class="alert alert-danger"[^>]*id="error-summary">([\s\S]*?)<\/div>/.exec(page.body)?.[1] ?? '';
  for (const field of fields) {
    expect(summary, `summary links ${field}`).toContain(`href="#f-${field.replace(/\./g, '-')}"`);
    const text = feedbackOf(page.body, field);
    expect(text, field).toMatch(word);
    expect(text, field).not.toMatch(NOT_FOR_EMPTY);
  }
}

const inDays = (n: number) => italianCalendarDate(new Date(Date.now() + n * 86_400_000));

describe('every portal form sent empty', () => {
  it('the request steps: each required field, and the contacts rule, as "obbligatorio"', async () => {
    const b = new Browser(stack.baseUrl);
    const step1 = await b.submit('/portal/request', {});
    expectRequired(step1, ['codiceFiscale', 'residence.abroad', 'residence.address', 'residence.city', 'residence.postalCode']);

    const c = makeCitizen();
    const ok = await b.submit('/portal/request', {
      codiceFiscale: c.codiceFiscale,
      'residence.abroad': 'yes',
      'residence.country': c.residence.country!,
      'residence.address': c.residence.address,
      'residence.city': c.residence.city,
      'residence.postalCode': c.residence.postalCode,
    });
    expect(ok.status, ok.body.slice(0, 400)).toBe(303);
    const personal = await b.submit('/portal/request/personal', {});
    // The date and the province, empty, used to say "use the format" and "unknown province code".
    expectRequired(personal, ['surname', 'name', 'birthDate', 'sex', 'birthProvince', 'birthMunicipality']);
  });

  it('first access, new letter, login and regeneration', async () => {
    const b = new Browser(stack.baseUrl);
    expectRequired(await b.submit('/portal/first-access', {}), ['codiceFiscale', 'pinFirst', 'pinSecond']);
    expectRequired(await b.submit('/portal/letter', {}), ['codiceFiscale', 'firstHalf']);
    expectRequired(await b.submit('/portal/login', {}), ['codiceFiscale', 'pin']);
    expectRequired(await b.submit('/portal/regenerate', {}), ['codiceFiscale', 'expiredPin']);
    // In English too.
    expectRequired(await b.submit('/portal/login?lang=en', {}), ['codiceFiscale', 'pin'], /\(required\)/);
  });

  it('recovery: the codice fiscale and the two contacts', async () => {
    const b = new Browser(stack.baseUrl);
    expectRequired(await b.submit('/portal/recovery', {}), ['codiceFiscale', 'mobile']);
  });

  it('revocation: all four fields at once, in the summary with their links and beside each field', async () => {
    const b = new Browser(stack.baseUrl);
    const empty = await b.submit('/portal/revoke', {});
    expectRequired(empty, ['codiceFiscale', 'healthCardNumber', 'healthCardExpiresOn', 'address']);
    const summary = /id="error-summary">([\s\S]*?)<\/div>/.exec(empty.body)![1]!;
    expect(summary.match(/<li>/g)).toHaveLength(4);
    // Wrong, not empty: each wrong field at once, said as what is wrong; nothing revoked, no confirmation asked.
    const wrong = await b.submit('/portal/revoke', { codiceFiscale: 'RSSMRA80', healthCardNumber: '123', healthCardExpiresOn: '31/12/2030', address: 'not-an-address' });
    expect(wrong.status).toBe(400);
    expect(feedbackOf(wrong.body, 'codiceFiscale')).toContain('16 caratteri');
    expect(feedbackOf(wrong.body, 'healthCardNumber')).toContain('20 cifre: ne hai inserite 3');
    expect(feedbackOf(wrong.body, 'healthCardExpiresOn')).toContain('Data non valida');
    expect(feedbackOf(wrong.body, 'address')).toContain('Indirizzo non valido');
    expect(wrong.body).not.toContain('Vuoi revocare il PIN?');
  });

  it('the holder’s contacts, a new delegation, a claim and the conversion upload', async () => {
    const holder = await activeCitizen(stack, makeCitizen());
    await asWorker(stack, holder.credentialId);
    await stack.pool.query(`UPDATE credentials SET pin_type = 'dispositivo' WHERE id = $1::uuid`, [holder.credentialId]);
    const b = new Browser(stack.baseUrl);
    expect((await b.submit('/portal/login', { codiceFiscale: holder.citizen.codiceFiscale, pin: holder.pin })).status).toBe(303);

    // One rule for the two phones (and one for e-mail and PEC): listed once, linked to the first.
    const contacts = await b.submit('/portal/contacts', {});
    expectRequired(contacts, ['homePhone', 'email', 'preferredPhone', 'preferredTimeSlot']);
    expect(feedbackOf(contacts.body, 'mobile')).toMatch(/obbligatorio/);
    expectRequired(await b.submit('/portal/delegations', {}), ['delegateCodiceFiscale', 'scope', 'endsOn']);
    expectRequired(await b.submit('/portal/claims', { type: '' }), ['type']);
    // A new delegation with only its end date still lists the other two, and keeps the date.
    const partial = await b.submit('/portal/delegations', { endsOn: inDays(10) });
    expectRequired(partial, ['delegateCodiceFiscale', 'scope']);
    expect(partial.body).toContain(`value="${inDays(10)}"`);

    // The conversion's upload needs an ordinary PIN.
    const ordinary = await activeCitizen(stack, makeCitizen());
    const o = new Browser(stack.baseUrl);
    expect((await o.submit('/portal/login', { codiceFiscale: ordinary.citizen.codiceFiscale, pin: ordinary.pin })).status).toBe(303);
    const page = await o.get('/portal/conversion');
    const form = new FormData();
    form.append('_csrf', csrfOf(page.body));
    expectRequired(await o.postMultipart('/portal/conversion', form), ['signedRequest', 'identityDocument']);
  });
});

describe('the revocation page', () => {
  it('tells a resident abroad without a health-insurance card what to do instead, in both languages', async () => {
    const b = new Browser(stack.baseUrl);
    const it_ = await b.get('/portal/revoke');
    const box = /<section class="callout note mt-5" id="no-health-card"[\s\S]*?<\/section>/.exec(it_.body)?.[0] ?? '';
    expect(box).toContain('Non hai la tessera sanitaria?');
    expect(box).toContain('Chiama il Contact center');
    expect(box).toContain('+39 06 164 164 dall’estero');
    expect(box).toContain('href="/portal/recovery"');
    const en = await b.get('/portal/revoke?lang=en');
    const boxEn = /id="no-health-card"[\s\S]*?<\/section>/.exec(en.body)?.[0] ?? '';
    expect(boxEn).toContain('No health-insurance card?');
    expect(boxEn).toContain('+39 06 164 164 from abroad');
    expect(boxEn).not.toMatch(/\b(della|chiama|dall’estero)\b/);
  });
});
