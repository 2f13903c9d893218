/**
 * The citizen portal's PIN request pages, over real HTTP: the router mounted at /portal in an
 * Express app on port 0, a small cookie jar on top of fetch, and a fake `submit` that records its
 * calls and deduplicates by idempotency key like the real service.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { portalRoutes, type PortalDeps, type PortalSubmitResult } from '../../portal/index';
import { escapeHtml } from '../../web/html';
import { computeCodiceFiscale } from '../../domain/codice-fiscale';
import { DomainError, ErrorType, type FieldIssue } from '../../domain/errors';
import { deliveryPlan, type PinRequest } from '../../domain/pin-request';
import { Browser, csrfOf, type Page } from '../support/browser';

const TODAY = new Date('2025-06-01T10:00:00Z');

// ---------------------------------------------------------------------------------------------
// Test doubles and helpers

interface SubmitCall {
  request: PinRequest;
  warnings: FieldIssue[];
  idempotencyKey?: string;
}

/** Like the real service: the same idempotency key answers with the first result. */
function fakeService() {
  const byKey = new Map<string, PortalSubmitResult>();
  const calls: SubmitCall[] = [];
  /** What each successful call answered, in order. */
  const answers: PortalSubmitResult[] = [];
  let created = 0;
  let failWith: Error | undefined;
  const submit: PortalDeps['submit'] = async (request, warnings, opts) => {
    calls.push({ request, warnings, idempotencyKey: opts.idempotencyKey });
    // Long enough for two concurrent confirmations to overlap.
    await new Promise((resolve) => setTimeout(resolve, 30));
    if (failWith) throw failWith;
    const key = opts.idempotencyKey ?? JSON.stringify(request);
    const previous = byKey.get(key);
    if (previous) {
      answers.push(previous);
      return { created: false, result: previous };
    }
    const result: PortalSubmitResult = {
      requestId: randomUUID(),
      protocol: `PIN.2026.${String(byKey.size + 1).padStart(8, '0')}`,
      credentialId: randomUUID(),
      status: 'accepted',
      deliveryPlan: deliveryPlan(request),
      warnings,
    };
    byKey.set(key, result);
    answers.push(result);
    created++;
    return { created: true, result };
  };
  return {
    submit,
    calls,
    answers,
    get created() {
      return created;
    },
    fail(err: Error | undefined) {
      failWith = err;
    },
  };
}

interface Portal {
  url: string;
  service: ReturnType<typeof fakeService>;
  close: () => Promise<void>;
}

async function startPortal(opts: Partial<PortalDeps> & { service?: ReturnType<typeof fakeService> } = {}): Promise<Portal> {
  const service = opts.service ?? fakeService();
  const app = express();
  app.use(
    '/portal',
    portalRoutes({ eligibilityPolicy: true, now: () => TODAY, ...opts, submit: opts.submit ?? service.submit }),
  );
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    service,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}




function hiddenValue(body: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(body);
  if (!m?.[1]) throw new Error(`no hidden field ${name}`);
  return m[1];
}

/**
 * The markup of one field's block (form-group, select-wrapper, radio fieldset or checkbox),
 * located by the field's id: errors must appear inside it, i.e. next to the field.
 */
function fieldBlock(body: string, id: string): string {
  const at = body.indexOf(`id="${id}"`);
  if (at < 0) throw new Error(`field ${id} not found`);
  const starts = ['<div class="form-group">', '<div class="select-wrapper', '<fieldset', '<div class="form-check mb-4">'];
  const start = Math.max(...starts.map((s) => body.lastIndexOf(s, at)));
  const ends = starts.map((s) => body.indexOf(s, at)).filter((i) => i > 0);
  const formEnd = body.indexOf('</form>', at);
  return body.slice(start, Math.min(formEnd, ...ends));
}

function expectFieldError(body: string, id: string, message: string): void {
  const block = fieldBlock(body, id);
  expect(block, `${id} marked invalid`).toMatch(/is-invalid/);
  expect(block, `${id} has aria-invalid`).toContain('aria-invalid="true"');
  const feedback = new RegExp(`<div class="invalid-feedback d-block" id="${id}-error">([\\s\\S]*?)</div>`).exec(block);
  expect(feedback?.[1], `${id} feedback`).toContain(escapeHtml(message));
}

function expectNoFieldError(body: string, id: string): void {
  expect(fieldBlock(body, id)).not.toMatch(/is-invalid/);
}

// ---------------------------------------------------------------------------------------------
// A citizen

interface Citizen {
  step1: Record<string, string>;
  step2: Record<string, string>;
  step3: Record<string, string>;
}

function citizen(over: { surname?: string; name?: string; birthDate?: string; birthProvince?: string; birthMunicipality?: string; sex?: 'M' | 'F' } = {}): Citizen {
  const person = {
    surname: over.surname ?? 'Rossi',
    name: over.name ?? 'Maria',
    birthDate: over.birthDate ?? '1980-01-01',
    sex: over.sex ?? 'F',
    birthProvince: over.birthProvince ?? 'RM',
    birthMunicipality: over.birthMunicipality ?? 'Roma',
  };
  return {
    step1: {
      codiceFiscale: computeCodiceFiscale(person),
      'residence.abroad': 'yes',
      'residence.country': 'AR',
      'residence.address': 'Avenida Corrientes 1234',
      'residence.city': 'Buenos Aires',
      'residence.postalCode': 'C1043',
      'residence.province': 'CABA',
    },
    step2: { ...person },
    step3: {
      homePhone: '',
      mobile: '+54 9 11 1234 5678',
      email: 'maria.rossi@example.org',
      pec: '',
      preferredPhone: 'mobile',
      preferredTimeSlot: '14-17',
    },
  };
}

/** Walks steps 1-3 and returns the review page. */
async function walkToReview(b: Browser, c: Citizen): Promise<Page> {
  const s1 = await b.submitForm('/portal/request', '/portal/request', c.step1);
  expect(s1.status, s1.body.slice(0, 200)).toBe(303);
  expect(s1.location).toBe('/portal/request/personal');
  const s2 = await b.submitForm('/portal/request/personal', '/portal/request/personal', c.step2);
  expect(s2.status).toBe(303);
  expect(s2.location).toBe('/portal/request/contacts');
  const s3 = await b.submitForm('/portal/request/contacts', '/portal/request/contacts', c.step3);
  expect(s3.status).toBe(303);
  expect(s3.location).toBe('/portal/request/review');
  const review = await b.follow(s3);
  expect(review.status).toBe(200);
  return review;
}

// ---------------------------------------------------------------------------------------------

let portal: Portal;
beforeAll(async () => {
  portal = await startPortal();
});
afterAll(async () => {
  await portal.close();
});
afterEach(() => {
  portal.service.fail(undefined);
});

describe('home page and assets', () => {
  it('explains the PIN and who may request it, in Italian by default, with security headers', async () => {
    const b = new Browser(portal.url);
    const home = await b.get('/portal');
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toMatch(/text\/html/);
    expect(home.body).toContain('<html lang="it">');
    expect(home.body).toContain('Richiedi PIN');
    expect(home.body).toContain('href="/portal/request"');
    expect(home.body).toContain('Dal 1° ottobre 2021');
    expect(home.body).toContain('residenti all&#39;estero');
    expect(home.body).toMatch(/<h1[^>]*>Il PIN INPS<\/h1>/);
    const csp = home.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(home.headers.get('cache-control')).toBe('no-store');
    expect(home.body).not.toMatch(/<script/i);
  });

  it('switches to English with ?lang=en and remembers the choice in a cookie', async () => {
    const b = new Browser(portal.url);
    const en = await b.get('/portal?lang=en');
    expect(en.body).toContain('<html lang="en">');
    expect(en.body).toContain('Request a PIN');
    expect(en.body).toContain('Since 1 October 2021');
    expect(b.cookies.get('portal_lang')).toBe('en');
    const step1 = await b.get('/portal/request');
    expect(step1.body).toContain('<html lang="en">');
    expect(step1.body).toContain('Tax code and residence');
    const back = await b.get('/portal/request?lang=it');
    expect(back.body).toContain('<html lang="it">');
    expect(back.body).toContain('Codice fiscale e residenza');
  });

  it('serves bootstrap-italia (CSS, fonts, SVG sprite) and the portal stylesheet', async () => {
    const b = new Browser(portal.url);
    const css = await b.get('/portal/assets/bootstrap-italia/css/bootstrap-italia.min.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/text\/css/);
    const sprite = await b.get('/portal/assets/bootstrap-italia/svg/sprites.svg');
    expect(sprite.status).toBe(200);
    expect(sprite.body).toContain('id="it-check"');
    const font = await b.get('/portal/assets/bootstrap-italia/fonts/Titillium_Web/titillium-web-v10-latin-ext_latin-regular.woff2');
    expect(font.status).toBe(200);
    const own = await b.get('/portal/assets/portal/portal.css');
    expect(own.status).toBe(200);
    expect(own.body).toContain("font-family: 'Titillium Web'");
    const missing = await b.get('/portal/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('Pagina non trovata');
  });
});

describe('the request, step by step', () => {
  it('walks codice fiscale → personal data → contacts → review → confirm → done', async () => {
    const b = new Browser(portal.url);
    const before = portal.service.calls.length;
    const c = citizen();

    const step1 = await b.get('/portal/request');
    expect(step1.status).toBe(200);
    expect(step1.body).toContain('<label for="f-codiceFiscale" class="active">Codice fiscale');
    expect(step1.body).toContain('aria-current="step"');
    expect(b.cookies.has('portal_csrf')).toBe(true);

    const review = await walkToReview(b, c);
    expect(review.body).toContain('Riepilogo e conferma');
    expect(review.body).toContain(c.step1.codiceFiscale);
    expect(review.body).toContain('Rossi');
    expect(review.body).toContain('Buenos Aires');
    expect(review.body).toContain('dalle 14 alle 17');
    expect(review.body).toMatch(/<button type="submit" class="btn btn-primary">Conferma<\/button>/);
    expect(review.body).toMatch(/href="\/portal\/request\/contacts">Indietro<\/a>/);
    expect(review.body).toContain('I primi 8 caratteri del PIN ti arriveranno via SMS');
    expect(portal.service.calls.length).toBe(before);

    const key = hiddenValue(review.body, 'idempotencyKey');
    const confirmed = await b.post('/portal/request/confirm', { _csrf: csrfOf(review.body), idempotencyKey: key });
    expect(confirmed.status).toBe(303);
    expect(confirmed.location).toBe('/portal/request/done');
    expect(portal.service.calls.length).toBe(before + 1);
    const call = portal.service.calls.at(-1)!;
    expect(call.idempotencyKey).toBe(key);
    expect(call.request).toMatchObject({
      channel: 'online',
      codiceFiscale: c.step1.codiceFiscale,
      surname: 'Rossi',
      name: 'Maria',
      birthDate: '1980-01-01',
      sex: 'F',
      residence: { abroad: true, country: 'AR', city: 'Buenos Aires', postalCode: 'C1043', province: 'CABA' },
      mobile: '+5491112345678',
      email: 'maria.rossi@example.org',
      preferredPhone: 'mobile',
      preferredTimeSlot: '14-17',
      hasItalianIdentityDocument: false,
    });
    expect(b.cookies.has('portal_draft')).toBe(false);

    const done = await b.follow(confirmed);
    expect(done.status).toBe(200);
    expect(done.body).toContain('Richiesta inserita');
    expect(done.body).toContain('La richiesta del PIN è stata inserita correttamente.');
    expect(await requestIdOf(done)).toBe(portal.service.answers.at(-1)?.requestId);
    expect(done.body).toContain('via SMS al numero +54*******5678');
    expect(done.body).toContain('per posta, con una lettera all&#39;indirizzo di residenza (Buenos Aires, Argentina)');
    expect(done.body).toContain('Telefono preferenziale');
    // Reloading the done page shows it again; the draft is gone, so a new request starts empty.
    expect((await b.get('/portal/request/done')).body).toContain('Richiesta inserita');
    const fresh = await b.get('/portal/request');
    expect(fresh.body).toContain('id="f-codiceFiscale" name="codiceFiscale" value=""');
  });

  it('shows the done page in English with the request id from the service', async () => {
    const b = new Browser(portal.url);
    const review = await walkToReview(b, citizen({ name: 'Giulia' }));
    const confirmed = await b.post('/portal/request/confirm', {
      _csrf: csrfOf(review.body),
      idempotencyKey: hiddenValue(review.body, 'idempotencyKey'),
    });
    const done = await b.get(`${confirmed.location ?? ''}?lang=en`);
    expect(done.body).toContain('<html lang="en">');
    expect(done.body).toContain('Request received');
    expect(done.body).toContain('The first 8 characters of the PIN will reach you by text message to +54*******5678 and by e-mail to m**********@example.org');
    expect(portal.service.calls.at(-1)?.request.name).toBe('Giulia');
    expect(await requestIdOf(done)).toBe(portal.service.answers.at(-1)?.requestId);
  });

  it('keeps the draft across steps, language switches and "Indietro"', async () => {
    const b = new Browser(portal.url);
    const c = citizen();
    await b.submitForm('/portal/request', '/portal/request', c.step1);
    const personalEn = await b.get('/portal/request/personal?lang=en');
    expect(personalEn.body).toContain('Personal data');
    expect(personalEn.body).toContain(`<span class="portal-code">${c.step1.codiceFiscale}</span>`);
    const step1Again = await b.get('/portal/request');
    expect(step1Again.body).toContain('value="Avenida Corrientes 1234"');
    expect(step1Again.body).toMatch(/value="yes" checked/);
    expect(step1Again.body).toContain('<option value="AR" selected>Argentina</option>');
    // Later steps are not reachable before the earlier ones are complete.
    const early = await b.get('/portal/request/review');
    expect(early.status).toBe(303);
    expect(early.location).toBe('/portal/request/personal');
  });

  it('lets every valid value fit in its field (maxlength)', async () => {
    const b = new Browser(portal.url);
    const c = citizen();
    const pages: Array<[string, Record<string, string>]> = [
      ['/portal/request', c.step1],
      ['/portal/request/personal', c.step2],
      ['/portal/request/contacts', { ...c.step3, pec: 'maria.rossi@pec.example.it', homePhone: '+39 06 1234 5678' }],
    ];
    for (const [path, form] of pages) {
      const page = await b.get(path);
      for (const [name, value] of Object.entries(form)) {
        const input = new RegExp(`<input [^>]*name="${name.replace('.', '\\.')}"[^>]*>`).exec(page.body)?.[0];
        const max = input && /maxlength="(\d+)"/.exec(input)?.[1];
        if (max) expect(value.length, `${name} fits maxlength ${max}`).toBeLessThanOrEqual(Number(max));
      }
      expect((await b.post(path, { _csrf: csrfOf(page.body), ...form })).status).toBe(303);
    }
    const personal = await b.get('/portal/request/personal');
    expect(personal.body).toMatch(/name="birthProvince" value="RM"[^>]*maxlength="2"/);
  });

  it('sends a visitor without a draft back to step 1', async () => {
    const b = new Browser(portal.url);
    const contacts = await b.get('/portal/request/contacts');
    expect(contacts.status).toBe(303);
    expect(contacts.location).toBe('/portal/request');
    const done = await b.get('/portal/request/done');
    expect(done.status).toBe(303);
    expect(done.location).toBe('/portal');
  });

  it('treats a tampered draft cookie as an expired session', async () => {
    const b = new Browser(portal.url);
    await b.submitForm('/portal/request', '/portal/request', citizen().step1);
    const draft = b.cookies.get('portal_draft') ?? '';
    b.cookies.set('portal_draft', draft.slice(0, -4) + (draft.endsWith('AAAA') ? 'BBBB' : 'AAAA'));
    const personal = await b.get('/portal/request/personal');
    expect(personal.status).toBe(303);
    expect(personal.location).toBe('/portal/request?expired=1');
    const step1 = await b.follow(personal);
    expect(step1.body).toContain('La sessione è scaduta');
  });
});

describe('errors next to the fields', () => {
  it('reports a codice fiscale with a wrong check character on the codice fiscale field', async () => {
    const b = new Browser(portal.url);
    const c = citizen();
    const cf = c.step1.codiceFiscale ?? '';
    const wrong = cf.slice(0, 15) + (cf.endsWith('A') ? 'B' : 'A');
    const res = await b.submitForm('/portal/request', '/portal/request', { ...c.step1, codiceFiscale: wrong });
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/<title>Errore: /);
    expectFieldError(res.body, 'f-codiceFiscale', 'Il carattere di controllo del codice fiscale non è corretto');
    expect(res.body).toContain('<a href="#f-codiceFiscale">Codice fiscale</a>');
    expect(res.body).toContain('id="error-summary"');
    expect(res.body).toContain(`value="${wrong}"`);
    for (const ok of ['f-residence-address', 'f-residence-city', 'f-residence-postalCode', 'f-residence-country']) {
      expectNoFieldError(res.body, ok);
    }
  });

  it('reports missing residence data and a country for a residence abroad', async () => {
    const b = new Browser(portal.url);
    const res = await b.submitForm('/portal/request', '/portal/request', {
      codiceFiscale: '',
      'residence.abroad': 'yes',
      'residence.country': '',
      'residence.address': '',
      'residence.city': 'Paris',
      'residence.postalCode': '75001',
    });
    expect(res.status).toBe(400);
    expectFieldError(res.body, 'f-codiceFiscale', '«Codice fiscale» è obbligatorio.');
    expectFieldError(res.body, 'f-residence-country', '«Stato di residenza» è obbligatorio.');
    expectFieldError(res.body, 'f-residence-address', '«Indirizzo di residenza» è obbligatorio.');
    expectNoFieldError(res.body, 'f-residence-city');
  });

  it('reports missing contacts on each contact field, in Italian and in English', async () => {
    const b = new Browser(portal.url);
    const c = citizen();
    await b.submitForm('/portal/request', '/portal/request', c.step1);
    await b.submitForm('/portal/request/personal', '/portal/request/personal', c.step2);
    const empty = { homePhone: '', mobile: '', email: '', pec: '', preferredPhone: '', preferredTimeSlot: '' };
    const it1 = await b.submitForm('/portal/request/contacts', '/portal/request/contacts', empty);
    expect(it1.status).toBe(400);
    expectFieldError(it1.body, 'f-homePhone', 'Indica almeno un numero di telefono, fisso o cellulare (obbligatorio).');
    expectFieldError(it1.body, 'f-mobile', 'Indica almeno un numero di telefono, fisso o cellulare (obbligatorio).');
    expectFieldError(it1.body, 'f-email', 'Indica almeno un indirizzo e-mail o PEC (obbligatorio).');
    expectFieldError(it1.body, 'f-pec', 'Indica almeno un indirizzo e-mail o PEC (obbligatorio).');
    expectFieldError(it1.body, 'f-preferredPhone', '«Telefono preferito» è obbligatorio.');
    expectFieldError(it1.body, 'f-preferredTimeSlot', '«Fascia oraria preferita» è obbligatorio.');
    // The summary lists a shared message once.
    expect(it1.body.match(/Indica almeno un numero di telefono/g)?.length).toBe(3);
    // The rules are on the page.
    expect(it1.body).toContain('prefisso internazionale');
    expect(it1.body).toContain('almeno due contatti tra cellulare, e-mail e PEC');

    // The submitted step shows its errors again when displayed in the other language.
    const en = await b.get('/portal/request/contacts?lang=en');
    expectFieldError(en.body, 'f-homePhone', 'Give at least one phone number, home or mobile (required).');
    expectFieldError(en.body, 'f-email', 'Give at least one e-mail or PEC address (required).');
    expect(en.body).toContain('international prefix');

    const bad = await b.submitForm('/portal/request/contacts', '/portal/request/contacts', {
      ...c.step3,
      mobile: '333 1234567',
      email: 'not-an-address',
      preferredPhone: 'home',
    });
    expect(bad.status).toBe(400);
    expectFieldError(bad.body, 'f-mobile', 'Invalid number: give it in international format');
    expectFieldError(bad.body, 'f-email', 'Invalid e-mail address.');
    expectFieldError(bad.body, 'f-preferredPhone', 'You chose the home phone as preferred but did not give it.');
    expectNoFieldError(bad.body, 'f-pec');
  });

  it('shows a codice fiscale that contradicts the personal data next to the contradicted datum', async () => {
    const b = new Browser(portal.url);
    const c = citizen();
    await b.submitForm('/portal/request', '/portal/request', c.step1);
    const res = await b.submitForm('/portal/request/personal', '/portal/request/personal', { ...c.step2, surname: 'Bianchi', sex: 'M' });
    expect(res.status).toBe(400);
    expectFieldError(res.body, 'f-surname', 'Il cognome non corrisponde al codice fiscale');
    expectFieldError(res.body, 'f-sex', 'Il sesso indicato non corrisponde al codice fiscale');
    expectNoFieldError(res.body, 'f-name');
    expectNoFieldError(res.body, 'f-birthDate');
  });

  it('accepts a birth date typed as DD/MM/YYYY', async () => {
    const b = new Browser(portal.url);
    const c = citizen();
    await b.submitForm('/portal/request', '/portal/request', c.step1);
    const res = await b.submitForm('/portal/request/personal', '/portal/request/personal', { ...c.step2, birthDate: '01/01/1980' });
    expect(res.status).toBe(303);
  });

  it('answers a citizen who is not eligible at step 1 with a page about SPID, CIE and CNS, not with a field to correct', async () => {
    const b = new Browser(portal.url);
    const c = citizen();
    const inItaly = await b.submitForm('/portal/request', '/portal/request', {
      ...c.step1,
      'residence.abroad': 'no',
      'residence.country': '',
      'residence.address': 'Via del Corso 1',
      'residence.city': 'Roma',
      'residence.postalCode': '00186',
      'residence.province': 'RM',
    });
    expect(inItaly.status).toBe(303);
    expect(inItaly.location).toBe('/portal/request/not-eligible');
    const answer = await b.follow(inItaly);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('Il PIN non può esserti rilasciato');
    expect(answer.body).toMatch(/id="not-eligible-reason">Hai indicato la residenza in Italia\. Dal 1 ottobre 2021 il PIN viene rilasciato solo/);
    // What each of them is, not only their names.
    expect(answer.body).toContain('<strong>SPID</strong> – Sistema Pubblico di Identità Digitale');
    expect(answer.body).toContain('<strong>CIE</strong> – Carta d’Identità Elettronica');
    expect(answer.body).toContain('<strong>CNS</strong> – Carta Nazionale dei Servizi');
    // Not an error page: no "Errore:" title, no error summary, no invalid field.
    expect(answer.body).not.toContain('<title>Errore');
    expect(answer.body).not.toContain('id="error-summary"');
    expect(answer.body).not.toContain('is-invalid');
    // The answers are kept; the way back shows them without calling them wrong.
    expect(answer.body).toContain('href="/portal/request" id="change-answers"');
    const back = await b.get('/portal/request');
    expect(back.body).toContain('value="no" checked');
    expect(back.body).not.toContain('is-invalid');
    // The next steps stay closed.
    expect((await b.get('/portal/request/personal')).location).toBe('/portal/request');

    const withDocument = await b.submitForm('/portal/request', '/portal/request', { ...c.step1, hasItalianIdentityDocument: 'yes' });
    expect(withDocument.location).toBe('/portal/request/not-eligible');
    expect((await b.follow(withDocument)).body).toContain('Hai dichiarato di avere un documento di identità italiano.');
    // Answered as eligible after all: the answer page sends back to the form, and the form goes on.
    const fixed = await b.submitForm('/portal/request', '/portal/request', c.step1);
    expect(fixed.location).toBe('/portal/request/personal');
    expect((await b.get('/portal/request/not-eligible')).location).toBe('/portal/request');
  });

  it('lets a resident in Italy through when the eligibility policy is off, and then requires the province', async () => {
    const open = await startPortal({ eligibilityPolicy: false });
    try {
      const b = new Browser(open.url);
      const step1 = {
        ...citizen().step1,
        'residence.abroad': 'no',
        'residence.address': 'Via del Corso 1',
        'residence.city': 'Roma',
        'residence.postalCode': '00186',
        'residence.province': '',
      };
      const missing = await b.submitForm('/portal/request', '/portal/request', step1);
      expect(missing.status).toBe(400);
      expectFieldError(missing.body, 'f-residence-province', 'La provincia è obbligatoria per la residenza in Italia.');
      const ok = await b.submitForm('/portal/request', '/portal/request', { ...step1, 'residence.province': 'rm' });
      expect(ok.status).toBe(303);
    } finally {
      await open.close();
    }
  });
});

describe('the review page', () => {
  it('escapes what the citizen typed', async () => {
    const b = new Browser(portal.url);
    const c = citizen({ surname: "D'Angelo" });
    const attack = '<script>alert("x")</script> & Co';
    // A surname with markup never passes validation, and is echoed escaped on the form.
    await b.submitForm('/portal/request', '/portal/request', { ...c.step1 });
    const rejected = await b.submitForm('/portal/request/personal', '/portal/request/personal', { ...c.step2, surname: '<script>alert(1)</script>' });
    expect(rejected.status).toBe(400);
    expect(rejected.body).not.toContain('<script>alert(1)</script>');
    expect(rejected.body).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;"');

    const review = await walkToReview(new Browser(portal.url), {
      ...c,
      step1: { ...c.step1, 'residence.address': attack, 'residence.province': '"><img src=x onerror=alert(1)>' },
    });
    expect(review.body).not.toContain('<script>alert');
    expect(review.body).not.toContain('<img src=x');
    expect(review.body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
    expect(review.body).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(review.body).toContain('D&#39;Angelo');
    expect(review.body).not.toMatch(/<script/i);
  });

  it('shows warnings: only one recovery contact, and a birthplace code of a dissolved municipality', async () => {
    const b = new Browser(portal.url);
    // Bellagio (CO) had the code A744 until its merger in 2014; born there in 1930.
    const c = citizen({ birthProvince: 'CO', birthMunicipality: 'Bellagio', birthDate: '1930-03-15' });
    expect(c.step1.codiceFiscale?.slice(11, 15)).toBe('A744');
    const review = await walkToReview(b, {
      ...c,
      step3: { ...c.step3, homePhone: '+39 031 950 123', mobile: '', preferredPhone: 'home' },
    });
    expect(review.body).toMatch(/class="alert alert-warning[ "]/);
    expect(review.body).toContain('Ti consigliamo di indicare almeno due recapiti tra cellulare, e-mail e PEC');
    expect(review.body).toContain('comune omonimo poi soppresso');
    const en = await b.get('/portal/request/review?lang=en');
    expect(en.body).toContain('We advise giving at least two contacts among mobile, e-mail and PEC');
    expect(en.body).toContain('Back');
    expect(en.body).toContain('Confirm');
  });

  it('confirms once when "Conferma" is posted twice with the same idempotency key', async () => {
    const b = new Browser(portal.url);
    const review = await walkToReview(b, citizen({ name: 'Anna' }));
    const form = { _csrf: csrfOf(review.body), idempotencyKey: hiddenValue(review.body, 'idempotencyKey') };
    const before = portal.service.calls.length;
    const createdBefore = portal.service.created;
    // Both posts leave with the same cookies, as a double click does.
    const jarA = new Browser(portal.url);
    const jarB = new Browser(portal.url);
    for (const [k, v] of b.cookies) {
      jarA.cookies.set(k, v);
      jarB.cookies.set(k, v);
    }
    const [first, second] = await Promise.all([jarA.post('/portal/request/confirm', form), jarB.post('/portal/request/confirm', form)]);
    expect(first.status).toBe(303);
    expect(second.status).toBe(303);
    // A third, later post of the same page (e.g. a reload of the POST).
    const jarC = new Browser(portal.url);
    for (const [k, v] of b.cookies) jarC.cookies.set(k, v);
    const third = await jarC.post('/portal/request/confirm', form);
    expect(third.status).toBe(303);

    expect(portal.service.calls.length - before).toBe(1);
    expect(portal.service.created - createdBefore).toBe(1);
    const ids = await Promise.all([jarA, jarB, jarC].map(async (jar) => requestIdOf(await jar.get('/portal/request/done'))));
    expect(new Set(ids).size).toBe(1);
    // The browser that got the done cookie goes straight to the done page on a repeat.
    const repeat = await jarA.post('/portal/request/confirm', form);
    expect(repeat.location).toBe('/portal/request/done');
    expect(portal.service.calls.length - before).toBe(1);
  });

  it('relies on the service to deduplicate across instances: same key, same request id', async () => {
    const service = fakeService();
    const one = await startPortal({ service, cookieSecret: 'shared secret for the test' });
    const two = await startPortal({ service, cookieSecret: 'shared secret for the test' });
    try {
      const b = new Browser(one.url);
      const review = await walkToReview(b, citizen());
      const form = { _csrf: csrfOf(review.body), idempotencyKey: hiddenValue(review.body, 'idempotencyKey') };
      const other = new Browser(two.url);
      for (const [k, v] of b.cookies) other.cookies.set(k, v);
      await b.post('/portal/request/confirm', form);
      await other.post('/portal/request/confirm', form);
      expect(service.calls.length).toBe(2);
      expect(service.created).toBe(1);
      const ids = [await requestIdOf(await b.get('/portal/request/done')), await requestIdOf(await other.get('/portal/request/done'))];
      expect(ids[0]).toBe(ids[1]);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('explains a conflict (a live PIN already exists) and keeps the review', async () => {
    const b = new Browser(portal.url);
    const review = await walkToReview(b, citizen());
    portal.service.fail(
      new DomainError(ErrorType.Conflict, {
        it: 'Esiste già un PIN attivo o in corso di rilascio per questo codice fiscale.',
        en: 'A PIN is already active or being issued for this codice fiscale.',
      }),
    );
    const res = await b.post('/portal/request/confirm', { _csrf: csrfOf(review.body), idempotencyKey: hiddenValue(review.body, 'idempotencyKey') });
    expect(res.status).toBe(409);
    expect(res.body).toContain('Hai già un PIN');
    expect(res.body).toContain('Esiste già un PIN attivo o in corso di rilascio per questo codice fiscale.');
    expect(res.body).toContain('ripristino');
    expect(res.body).toContain('Riepilogo e conferma');
    expect(b.cookies.has('portal_draft')).toBe(true);
  });

  it('says the outcome is not confirmed yet (never "failed") when the service is unavailable, and the retry goes through', async () => {
    const b = new Browser(portal.url);
    const review = await walkToReview(b, citizen());
    const form = { _csrf: csrfOf(review.body), idempotencyKey: hiddenValue(review.body, 'idempotencyKey') };
    portal.service.fail(new DomainError(ErrorType.Unavailable, { it: 'Servizio non disponibile.', en: 'Service unavailable.' }));
    const failed = await b.post('/portal/request/confirm', form);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('60');
    expect(failed.body).toContain('Esito non ancora confermato');
    expect(failed.body).toContain('Premi di nuovo «Conferma» tra qualche minuto');
    expect(failed.body).toContain('non verrà inserita due volte');
    expect(failed.body).not.toMatch(/non è stato possibile|non riuscit/i);
    // The page keeps the same key, so the retry is the same request.
    expect(hiddenValue(failed.body, 'idempotencyKey')).toBe(form.idempotencyKey);
    portal.service.fail(new Error('connect ECONNREFUSED'));
    expect((await b.post('/portal/request/confirm', form)).status).toBe(503);
    portal.service.fail(undefined);
    const ok = await b.post('/portal/request/confirm', form);
    expect(ok.status).toBe(303);
    expect((await b.follow(ok)).body).toContain('Richiesta inserita');
  });
});

describe('CSRF protection', () => {
  it('rejects posts without the token, with a wrong token, or marked cross-site', async () => {
    const b = new Browser(portal.url);
    const c = citizen();
    const page = await b.get('/portal/request');
    const token = csrfOf(page.body);
    const noToken = await b.post('/portal/request', c.step1);
    expect(noToken.status).toBe(403);
    expect(noToken.body).toContain('Sessione non valida');
    const wrong = await b.post('/portal/request', { ...c.step1, _csrf: 'x'.repeat(43) });
    expect(wrong.status).toBe(403);
    const crossSite = await b.post('/portal/request', { ...c.step1, _csrf: token }, { 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    // A forged form from another site has no cookie to match.
    const stranger = new Browser(portal.url);
    expect((await stranger.post('/portal/request', { ...c.step1, _csrf: token })).status).toBe(403);
    expect((await b.post('/portal/request', { ...c.step1, _csrf: token })).status).toBe(303);
  });

  it('rejects a confirmation without the token and submits nothing', async () => {
    const b = new Browser(portal.url);
    const review = await walkToReview(b, citizen());
    const before = portal.service.calls.length;
    const res = await b.post('/portal/request/confirm', { idempotencyKey: hiddenValue(review.body, 'idempotencyKey') });
    expect(res.status).toBe(403);
    expect(portal.service.calls.length).toBe(before);
  });
});

/** The request a done page is about (its receipt link names it; the page shows its protocol number). */
async function requestIdOf(done: Page): Promise<string> {
  expect(done.body).toMatch(/id="request-protocol">PIN\.\d{4}\.\d{8}</);
  const m = /href="\/api\/pin-requests\/([0-9a-f-]{36})\/receipt"/.exec(done.body);
  if (!m?.[1]) throw new Error(`no request id in page (status ${done.status})`);
  return m[1];
}
