/**
 * The portal's access pages (first access, new letter, login, personal area, logout,
 * regeneration) over real HTTP: the portal router mounted at /portal on port 0, with fakes of the
 * access services that record their calls and fail on demand the way the real ones do.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterEach, describe, expect, it } from 'vitest';
import { portalRoutes } from '../../portal/index';
import type { Credentials, NewPinAnswer, PortalAccess } from '../../portal/access';
import { escapeHtml } from '../../web/html';
import { CredentialLockedError } from '../../services/access/attempts';
import type { CitizenPrincipal } from '../../services/access/sessions';
import { computeCodiceFiscale } from '../../domain/codice-fiscale';
import { DomainError, ErrorType, invalidCredentialsError, validationError } from '../../domain/errors';
import { Browser, csrfOf } from '../support/browser';

const NOW = new Date('2025-06-01T10:00:00Z');
const CF = computeCodiceFiscale({ surname: 'Rossi', name: 'Maria', birthDate: '1950-03-12', sex: 'F', birthProvince: 'RM', birthMunicipality: 'Roma' });
const FIRST = 'ABCD2345';
const SECOND = 'EFGH6789';
const NEW_PIN = 'KMNP7QRS';
const TOKEN = 'T'.repeat(43);

// ---------------------------------------------------------------------------------------------
// Test doubles

type Method = 'firstAccess' | 'regenerate' | 'resendLetter' | 'login' | 'logout';

function fakeAccess() {
  const calls = {
    firstAccess: [] as Credentials[],
    regenerate: [] as Credentials[],
    resendLetter: [] as { codiceFiscale: string; firstHalf: string }[],
    login: [] as Credentials[],
    logout: 0,
  };
  const failures: Partial<Record<Method, unknown>> = {};
  let principal: CitizenPrincipal | undefined;
  let loggedIn = false;
  const failIfAsked = (m: Method) => {
    if (failures[m] !== undefined) throw failures[m];
  };
  const answer = (): NewPinAnswer => ({ status: 'active', pin: NEW_PIN, pinExpiresAt: '2025-12-01T10:00:00.000Z', message: { it: 'x', en: 'x' } });
  const access: PortalAccess = {
    async firstAccess(_req, creds) {
      calls.firstAccess.push(creds);
      failIfAsked('firstAccess');
      return answer();
    },
    async regenerate(_req, creds) {
      calls.regenerate.push(creds);
      failIfAsked('regenerate');
      return answer();
    },
    async resendLetter(_req, creds) {
      calls.resendLetter.push(creds);
      failIfAsked('resendLetter');
      return { seq: 2, message: { it: 'Ti invieremo una nuova lettera.', en: 'We will send you a new letter.' } };
    },
    async login(_req, creds) {
      calls.login.push(creds);
      failIfAsked('login');
      loggedIn = true;
      return { token: TOKEN, expiresAt: new Date(NOW.getTime() + 8 * 3_600_000) };
    },
    async logout() {
      calls.logout++;
      loggedIn = false;
    },
    async session(req) {
      return loggedIn && (req.headers.cookie ?? '').includes(`pin_session=${TOKEN}`) ? principal : undefined;
    },
    letterLimits: { minIntervalMs: 24 * 3_600_000, maxInWindow: 4, windowMs: 30 * 86_400_000 },
  };
  return {
    access,
    calls,
    fail(m: Method, err: unknown) {
      failures[m] = err;
    },
    /** The holder a login opens a session for. */
    holder(p: Partial<CitizenPrincipal>) {
      principal = {
        credentialId: '00000000-0000-4000-8000-000000000001',
        codiceFiscale: CF,
        pinType: 'ordinary',
        scope: 'ordinary',
        profile: { category: 'citizen' },
        intermediary: false,
        expiresAt: new Date(NOW.getTime() + 8 * 3_600_000),
        idleExpiresAt: new Date(NOW.getTime() + 15 * 60_000),
        ...p,
      };
    },
  };
}

let servers: Server[] = [];
afterEach(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
  servers = [];
});

async function startPortal(withAccess = true) {
  const fake = fakeAccess();
  const app = express();
  app.use(
    '/portal',
    portalRoutes({
      submit: () => Promise.reject(new Error('not used')),
      eligibilityPolicy: true,
      now: () => NOW,
      ...(withAccess ? { access: fake.access } : {}),
    }),
  );
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return { fake, browser: new Browser(`http://127.0.0.1:${(server.address() as AddressInfo).port}`) };
}




/** The block of one field (its form-group), located by the field's id. */
function fieldBlock(body: string, id: string): string {
  const at = body.indexOf(`id="${id}"`);
  if (at < 0) throw new Error(`field ${id} not found`);
  const start = body.lastIndexOf('<div class="form-group">', at);
  const end = body.indexOf('</div>\n</div>', at);
  return body.slice(start, end < 0 ? undefined : end);
}

function expectFieldError(body: string, id: string, message: string): void {
  const block = fieldBlock(body, id);
  expect(block, `${id} marked invalid`).toMatch(/is-invalid/);
  expect(block, `${id} has aria-invalid`).toContain('aria-invalid="true"');
  const feedback = new RegExp(`<div class="invalid-feedback d-block" id="${id}-error">([\\s\\S]*?)</div>`).exec(block);
  expect(feedback?.[1], `${id} feedback`).toContain(escapeHtml(message));
}

function summaryOf(body: string): string {
  const m = /<div class="alert alert-danger" role="alert" aria-labelledby="error-summary-title"[\s\S]*?<\/div>/.exec(body);
  return m?.[0] ?? '';
}

/** The PIN shown on a new-PIN page, without its markup. */
function shownPin(body: string): string | undefined {
  const m = /<p class="portal-pin" id="new-pin">([\s\S]*?)<\/p>/.exec(body);
  return m?.[1]?.replace(/<[^>]+>/g, '');
}

// ---------------------------------------------------------------------------------------------

describe('first access', () => {
  it('shows the form in Italian: codice fiscale and the two halves, CSRF, no script, no-store', async () => {
    const { browser } = await startPortal();
    const page = await browser.get('/portal/first-access');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<html lang="it">');
    expect(page.body).toContain('Primo accesso');
    expect(page.body).toContain('Prima parte (SMS/e-mail)');
    expect(page.body).toContain('Seconda parte (lettera)');
    expect(page.body).toMatch(/<input type="password"[^>]*name="pinFirst"/);
    expect(page.body).toMatch(/<input type="password"[^>]*name="pinSecond"/);
    expect(page.body).toMatch(/<input type="text"[^>]*name="codiceFiscale"/);
    expect(csrfOf(page.body)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(page.body).not.toMatch(/<script/i);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.body).toContain('href="/portal/letter"');
  });

  it('switches to English with ?lang=en and keeps it', async () => {
    const { browser } = await startPortal();
    const en = await browser.get('/portal/first-access?lang=en');
    expect(en.body).toContain('<html lang="en">');
    expect(en.body).toContain('First part (text message/e-mail)');
    expect(en.body).toContain('Second part (letter)');
    expect(browser.cookies.get('portal_lang')).toBe('en');
    const again = await browser.get('/portal/login');
    expect(again.body).toContain('Log in with your PIN');
    const posted = await browser.submit('/portal/first-access', { codiceFiscale: '', pinFirst: '', pinSecond: '' });
    expect(posted.body).toContain('Please check the data you entered');
    expect(posted.body).toContain('Enter the second part of the PIN, printed in the letter (required).');
  });

  it('reports missing and malformed fields next to each field and in the summary, and calls nothing', async () => {
    const { browser, fake } = await startPortal();
    const empty = await browser.submit('/portal/first-access', { codiceFiscale: '', pinFirst: '', pinSecond: '' });
    expect(empty.status).toBe(400);
    expect(empty.body).toMatch(/<title>Errore: Primo accesso/);
    expectFieldError(empty.body, 'f-codiceFiscale', 'Inserisci il codice fiscale (campo obbligatorio).');
    expectFieldError(empty.body, 'f-pinFirst', 'Inserisci la prima parte del PIN, ricevuta via SMS o e-mail (campo obbligatorio).');
    expectFieldError(empty.body, 'f-pinSecond', 'Inserisci la seconda parte del PIN, stampata nella lettera (campo obbligatorio).');
    const summary = summaryOf(empty.body);
    expect(summary).toContain('href="#f-codiceFiscale"');
    expect(summary).toContain('href="#f-pinFirst"');
    expect(summary).toContain('href="#f-pinSecond"');

    const wrongCheck = CF.slice(0, 15) + (CF.endsWith('A') ? 'B' : 'A');
    const bad = await browser.submit('/portal/first-access', { codiceFiscale: wrongCheck, pinFirst: 'ABCD234', pinSecond: 'EFGH678O' });
    expect(bad.status).toBe(400);
    expectFieldError(bad.body, 'f-codiceFiscale', 'Il carattere di controllo del codice fiscale non è corretto');
    expectFieldError(bad.body, 'f-pinFirst', 'Sono 8 caratteri: ne hai inseriti 7.');
    expectFieldError(bad.body, 'f-pinSecond', 'mai 0, 1, I, L oppure O');
    expect(fake.calls.firstAccess).toHaveLength(0);
  });

  it('joins the halves as typed (spaces, lower case) and shows the new PIN once, uncached, kept nowhere', async () => {
    const { browser, fake } = await startPortal();
    const page = await browser.submit('/portal/first-access', { codiceFiscale: CF.toLowerCase(), pinFirst: 'abcd 2345', pinSecond: 'EFGH-6789' });
    expect(page.status).toBe(200);
    expect(fake.calls.firstAccess).toEqual([{ codiceFiscale: CF.toLowerCase(), pin: FIRST + SECOND }]);
    expect(shownPin(page.body)).toBe(NEW_PIN);
    expect(page.body.split(NEW_PIN.slice(0, 4)).length - 1).toBe(1);
    expect(page.body).toContain('non verrà più visualizzato');
    expect(page.body).toContain('Il PIN di 16 caratteri non è più valido.');
    expect(page.body).toContain('1 dicembre 2025');
    expect(page.body).toContain('href="/portal/login"');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('pragma')).toBe('no-cache');
    // No language link: following it would lose the PIN.
    expect(page.body).not.toContain('lang=en');
    // Not in a cookie, not in a redirect, not shown again.
    expect(browser.setCookies.join('\n')).not.toContain(NEW_PIN);
    expect(page.location).toBeNull();
    const later = await browser.get('/portal/first-access');
    expect(later.body).not.toContain(NEW_PIN);
    expect(later.body).not.toContain(FIRST);
  });

  it('never writes a typed PIN back into the page', async () => {
    const { browser } = await startPortal();
    const page = await browser.submit('/portal/first-access', { codiceFiscale: 'NOTACODE', pinFirst: FIRST, pinSecond: SECOND });
    expect(page.status).toBe(400);
    expect(page.body).not.toContain(FIRST);
    expect(page.body).not.toContain(SECOND);
    expect(page.body).toContain('value="NOTACODE"');
  });

  it('answers a wrong PIN with the generic message, keeping only the codice fiscale', async () => {
    const { browser, fake } = await startPortal();
    fake.fail('firstAccess', invalidCredentialsError());
    const page = await browser.submit('/portal/first-access', { codiceFiscale: CF, pinFirst: FIRST, pinSecond: SECOND });
    expect(page.status).toBe(401);
    expect(page.body).toContain('Codice fiscale o PIN non corretti');
    expect(page.body).toContain('Dopo 3 tentativi non riusciti di seguito');
    expect(page.body).toContain(`value="${CF}"`);
    expect(page.body).not.toContain(FIRST);
    expect(page.body).not.toContain(SECOND);
    expect(page.body).toMatch(/<title>Errore: /);
  });

  it('escapes the codice fiscale typed', async () => {
    const { browser } = await startPortal();
    const page = await browser.submit('/portal/first-access', { codiceFiscale: '"><script>alert(1)</script>', pinFirst: FIRST, pinSecond: SECOND });
    expect(page.status).toBe(400);
    expect(page.body).not.toContain('<script>alert(1)</script>');
    expect(page.body).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });

  it('explains a temporary lock with the wait, and a permanent one with recovery or revocation', async () => {
    const { browser, fake } = await startPortal();
    fake.fail('firstAccess', new CredentialLockedError({ locked: 'temporary', until: new Date(NOW.getTime() + 300_000), retryAfterSeconds: 300 }));
    const temporary = await browser.submit('/portal/first-access', { codiceFiscale: CF, pinFirst: FIRST, pinSecond: SECOND });
    expect(temporary.status).toBe(429);
    expect(temporary.headers.get('retry-after')).toBe('300');
    expect(temporary.body).toContain('Accesso sospeso per troppi tentativi');
    expect(temporary.body).toContain('Potrai riprovare tra 5 minuti.');

    fake.fail('firstAccess', new CredentialLockedError({ locked: 'permanent', since: NOW }));
    const permanent = await browser.submit('/portal/first-access?lang=en', { codiceFiscale: CF, pinFirst: FIRST, pinSecond: SECOND });
    expect(permanent.status).toBe(403);
    expect(permanent.body).toContain('Access blocked');
    expect(permanent.body).toContain('recovery of the PIN');
    expect(permanent.body).toContain('revocation of the PIN');
  });

  it('refuses a post without the CSRF token, with a wrong one, or marked cross-site', async () => {
    const { browser, fake } = await startPortal();
    const form = { codiceFiscale: CF, pinFirst: FIRST, pinSecond: SECOND };
    await browser.get('/portal/first-access');
    expect((await browser.post('/portal/first-access', form)).status).toBe(403);
    expect((await browser.post('/portal/first-access', { ...form, _csrf: 'x'.repeat(43) })).status).toBe(403);
    const page = await browser.get('/portal/first-access');
    const crossSite = await browser.post('/portal/first-access', { ...form, _csrf: csrfOf(page.body) }, { 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body).toContain('Sessione non valida');
    expect(fake.calls.firstAccess).toHaveLength(0);
  });
});

describe('a new letter', () => {
  it('explains the limits, in Italian and English', async () => {
    const { browser } = await startPortal();
    const it = await browser.get('/portal/letter');
    expect(it.body).toContain('Non hai ricevuto la lettera?');
    expect(it.body).toContain('al massimo una nuova lettera ogni 24 ore e non più di 4 nuove lettere in 30 giorni');
    const en = await browser.get('/portal/letter?lang=en');
    expect(en.body).toContain('Didn’t get the letter?');
    expect(en.body).toContain('at most one new letter every 24 hours, and no more than 4 new letters in 30 days');
  });

  it('asks for a new letter with the first half', async () => {
    const { browser, fake } = await startPortal();
    const page = await browser.submit('/portal/letter', { codiceFiscale: CF, firstHalf: 'abcd2345' });
    expect(page.status).toBe(200);
    expect(fake.calls.resendLetter).toEqual([{ codiceFiscale: CF, firstHalf: FIRST }]);
    expect(page.body).toContain('Nuova lettera richiesta');
    expect(page.body).toContain('lettera numero 2');
    expect(page.body).not.toContain(FIRST);
  });

  it('shows a new letter asked again within the day as already requested, and the other refusals of the limits as the API words them', async () => {
    const { browser, fake } = await startPortal();
    const refuse = (reason: string, type: string) => new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.nonRetryable(reason, type));
    fake.fail('resendLetter', refuse('TOO_SOON', 'RATE_LIMITED'));
    const tooSoon = await browser.submit('/portal/letter', { codiceFiscale: CF, firstHalf: FIRST });
    // Asked again within the day (a reload, an answer lost): told as done, not as refused.
    expect(tooSoon.status).toBe(200);
    expect(tooSoon.body).toContain('Nuova lettera già richiesta');
    expect(tooSoon.body).toContain('Hai già chiesto una nuova lettera nelle ultime 24 ore: è in preparazione');
    expect(tooSoon.body).not.toMatch(/<title>Errore/);
    fake.fail('resendLetter', refuse('WINDOW_LIMIT', 'RATE_LIMITED'));
    const window = await browser.submit('/portal/letter?lang=en', { codiceFiscale: CF, firstHalf: FIRST });
    expect(window.status).toBe(429);
    expect(window.body).toContain('The maximum number of new letters (4 in 30 days) has been reached.');
    fake.fail('resendLetter', refuse('NOT_WAITING', 'CONFLICT'));
    const done = await browser.submit('/portal/letter?lang=it', { codiceFiscale: CF, firstHalf: FIRST });
    expect(done.status).toBe(409);
    expect(done.body).toContain('Il PIN non è in attesa del primo accesso.');
    fake.fail('resendLetter', invalidCredentialsError());
    const wrong = await browser.submit('/portal/letter', { codiceFiscale: CF, firstHalf: FIRST });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('Codice fiscale o PIN non corretti');
  });
});

describe('login, personal area and logout', () => {
  it('logs in: a session cookie (HttpOnly, Secure, SameSite=Strict) and the personal area', async () => {
    const { browser, fake } = await startPortal();
    fake.holder({});
    const page = await browser.submit('/portal/login', { codiceFiscale: CF, pin: NEW_PIN });
    expect(page.status).toBe(303);
    expect(page.location).toBe('/portal/home');
    expect(fake.calls.login).toEqual([{ codiceFiscale: CF, pin: NEW_PIN }]);
    const cookie = browser.setCookies.find((c) => c.startsWith('pin_session='));
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Secure/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\//);
    const home = await browser.get('/portal/home');
    expect(home.status).toBe(200);
    expect(home.body).toContain('La tua area personale');
    // Logged in already: the login page sends to the personal area.
    expect((await browser.get('/portal/login')).location).toBe('/portal/home');
  });

  it('answers wrong credentials generically, and never shows the PIN back', async () => {
    const { browser, fake } = await startPortal();
    fake.fail('login', invalidCredentialsError());
    const page = await browser.submit('/portal/login', { codiceFiscale: CF, pin: NEW_PIN });
    expect(page.status).toBe(401);
    expect(page.body).toContain('Codice fiscale o PIN non corretti');
    expect(page.body).not.toContain(NEW_PIN);
    expect(browser.cookies.has('pin_session')).toBe(false);
  });

  it('requires both fields before asking the service', async () => {
    const { browser, fake } = await startPortal();
    const page = await browser.submit('/portal/login', { codiceFiscale: '', pin: '' });
    expect(page.status).toBe(400);
    expectFieldError(page.body, 'f-codiceFiscale', 'Inserisci il codice fiscale (campo obbligatorio).');
    expectFieldError(page.body, 'f-pin', 'Inserisci il PIN (campo obbligatorio).');
    expect(fake.calls.login).toHaveLength(0);
  });

  it('explains the per-address throttle and the temporary lock with their waits', async () => {
    const { browser, fake } = await startPortal();
    fake.fail('login', new DomainError(ErrorType.RateLimited, { it: 'x', en: 'x' }, [], { reason: 'THROTTLED', retryAfterSeconds: 30 }));
    const throttled = await browser.submit('/portal/login', { codiceFiscale: CF, pin: NEW_PIN });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('30');
    expect(throttled.body).toContain('Troppi tentativi da questa connessione');
    expect(throttled.body).toContain('Riprova tra 30 secondi.');
    fake.fail('login', new CredentialLockedError({ locked: 'temporary', until: new Date(NOW.getTime() + 3_600_000), retryAfterSeconds: 3600 }));
    const locked = await browser.submit('/portal/login?lang=en', { codiceFiscale: CF, pin: NEW_PIN });
    expect(locked.status).toBe(429);
    expect(locked.body).toContain('You can try again in 1 hour.');
  });

  it('sends an expired PIN to the regeneration, which shows the new PIN once', async () => {
    const { browser, fake } = await startPortal();
    fake.fail('login', new DomainError(ErrorType.Forbidden, { it: 'x', en: 'x' }, [], { reason: 'PIN_EXPIRED' }));
    const expired = await browser.submit('/portal/login', { codiceFiscale: CF, pin: NEW_PIN });
    expect(expired.status).toBe(403);
    expect(expired.body).toContain('Il PIN è scaduto');
    expect(expired.body).toContain('href="/portal/regenerate"');

    const form = await browser.get('/portal/regenerate');
    expect(form.body).toContain('PIN scaduto');
    expect(form.body).toMatch(/<input type="password"[^>]*name="expiredPin"/);
    const page = await browser.post('/portal/regenerate', { _csrf: csrfOf(form.body), codiceFiscale: CF, expiredPin: 'ZZZZ2222' });
    expect(page.status).toBe(200);
    expect(fake.calls.regenerate).toEqual([{ codiceFiscale: CF, pin: 'ZZZZ2222' }]);
    expect(shownPin(page.body)).toBe(NEW_PIN);
    expect(page.body).toContain('Il PIN scaduto non è più valido.');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.body).not.toContain('ZZZZ2222');
  });

  it('points a 16-character PIN to the first access', async () => {
    const { browser, fake } = await startPortal();
    fake.fail(
      'login',
      validationError([{ field: 'pin', code: 'use_first_access', message: { it: 'Con il PIN di 16 caratteri si usa il primo accesso.', en: 'The 16-character PIN is for the first access.' } }]),
    );
    const page = await browser.submit('/portal/login', { codiceFiscale: CF, pin: FIRST + SECOND });
    expect(page.status).toBe(400);
    expectFieldError(page.body, 'f-pin', 'Con il PIN di 16 caratteri si usa il primo accesso.');
    expect(page.body).toContain('href="/portal/first-access"');
  });

  it('explains a permanent lock: recovery or revocation', async () => {
    const { browser, fake } = await startPortal();
    fake.fail('login', new CredentialLockedError({ locked: 'permanent', since: NOW }));
    const page = await browser.submit('/portal/login', { codiceFiscale: CF, pin: NEW_PIN });
    expect(page.status).toBe(403);
    expect(page.body).toContain('Accesso bloccato');
    expect(page.body).toContain('ripristino del PIN');
    expect(page.body).toContain('revoca del PIN');
  });

  it('sends a visitor without a live session to the login', async () => {
    const { browser } = await startPortal();
    const none = await browser.get('/portal/home');
    expect(none.status).toBe(303);
    expect(none.location).toBe('/portal/login');
    browser.cookies.set('pin_session', TOKEN);
    const stale = await browser.get('/portal/home');
    expect(stale.location).toBe('/portal/login?expired=1');
    expect(browser.cookies.has('pin_session')).toBe(false);
    const login = await browser.get(stale.location!);
    expect(login.body).toContain('Accedi per continuare');
  });

  it('shows a pensioner with an ordinary PIN the pensioner services only, no claims, and how to become dispositivo', async () => {
    const { browser, fake } = await startPortal();
    fake.holder({ profile: { category: 'pensioner', scheme: 'private' } });
    await browser.submit('/portal/login', { codiceFiscale: CF, pin: NEW_PIN });
    const home = await browser.get('/portal/home');
    expect(home.body).toContain(`<span class="portal-code" id="codice-fiscale">${CF}</span>`);
    expect(home.body).toMatch(/id="pin-type" data-scope="ordinary">PIN ordinario/);
    expect(home.body).toContain('Pensionato – Gestione privata');
    expect(home.body).toContain('data-service="pension-statement"');
    expect(home.body).toContain('Cedolino della pensione');
    expect(home.body).not.toContain('data-service="contribution-statement"');
    expect(home.body).not.toContain('data-kind="claim"');
    expect(home.body).toContain('id="dispositivo-note"');
    expect(home.body).toContain('il PIN deve diventare dispositivo');
  });

  it('shows an employee with a dispositivo PIN the claims, in English', async () => {
    const { browser, fake } = await startPortal();
    fake.holder({ pinType: 'dispositivo', scope: 'dispositivo', profile: { category: 'employee', scheme: 'private' } });
    await browser.submit('/portal/login', { codiceFiscale: CF, pin: NEW_PIN });
    const home = await browser.get('/portal/home?lang=en');
    expect(home.body).toContain('Your personal area');
    expect(home.body).toContain('“Dispositivo” PIN');
    expect(home.body).toContain('data-service="unemployment-naspi"');
    expect(home.body).toContain('NASpI unemployment benefit');
    expect(home.body).not.toContain('data-service="pension-statement"');
    expect(home.body).not.toContain('id="dispositivo-note"');
  });

  it('logs out only with the CSRF token: the session ends and the cookie is cleared', async () => {
    const { browser, fake } = await startPortal();
    fake.holder({});
    await browser.submit('/portal/login', { codiceFiscale: CF, pin: NEW_PIN });
    const home = await browser.get('/portal/home');
    expect(home.body).toMatch(/<form method="post" action="\/portal\/logout"/);
    expect((await browser.post('/portal/logout', {})).status).toBe(403);
    expect(fake.calls.logout).toBe(0);
    const out = await browser.post('/portal/logout', { _csrf: csrfOf(home.body) });
    expect(out.status).toBe(303);
    expect(out.location).toBe('/portal/login?out=1');
    expect(fake.calls.logout).toBe(1);
    expect(browser.cookies.has('pin_session')).toBe(false);
    expect((await browser.get(out.location!)).body).toContain('Sei uscito');
    expect((await browser.get('/portal/home')).location).toBe('/portal/login');
  });
});

describe('the portal home', () => {
  it('links the access pages', async () => {
    const { browser } = await startPortal();
    const home = await browser.get('/portal');
    expect(home.body).toContain('Hai già un PIN?');
    for (const path of ['/portal/login', '/portal/first-access', '/portal/letter', '/portal/regenerate']) expect(home.body).toContain(`href="${path}"`);
  });

  it('offers no access page without the access services', async () => {
    const { browser } = await startPortal(false);
    expect((await browser.get('/portal')).body).not.toContain('href="/portal/login"');
    expect((await browser.get('/portal/login')).status).toBe(404);
  });
});
