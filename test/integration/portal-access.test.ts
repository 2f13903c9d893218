/**
 * The portal's access pages on the real servers (PostgreSQL, Temporal, the sinks): a citizen
 * requests a PIN through the API, collects both halves (SMS and letter PDF), and then — only
 * through the portal's HTML pages, with a cookie jar and the CSRF tokens the pages carry — does
 * the first access and sees the 8-character PIN once, fails a login with a wrong PIN, logs in,
 * sees the personal area with the services of the session, and logs out. A second citizen asks
 * for a new letter and meets the one-per-24-hours limit.
 *
 * Then, when Chromium is installed, the same pages are driven in a headless browser and
 * captured into test-artifacts/portal/ for a human to look at.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCitizen } from '../support/citizens';
import { requestAndCollect, waitForView, type Issued } from '../support/issuance';
import { startTestStack, type TestStack } from '../support/stack';
import { artifactsDir, hasChromium, launchChromium } from '../support/chromium';
import { Browser } from '../support/browser';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});



function shownPin(body: string): string | undefined {
  return /<p class="portal-pin" id="new-pin">([\s\S]*?)<\/p>/.exec(body)?.[1]?.replace(/<[^>]+>/g, '');
}

/** Someone else's PIN of the right shape: the same characters, one changed. */
const wrongPin = (pin: string) => pin.slice(0, 7) + (pin.endsWith('A') ? 'B' : 'A');

describe('first access, login, personal area and logout through the portal pages', () => {
  let issued: Issued;
  let browser: Browser;
  let personalPin: string;

  beforeAll(async () => {
    issued = await requestAndCollect(stack, makeCitizen());
    browser = new Browser(stack.baseUrl);
  });

  it('answers a wrong second half with the generic error, the codice fiscale kept and no PIN shown back', async () => {
    const page = await browser.submit('/portal/first-access', {
      codiceFiscale: issued.citizen.codiceFiscale,
      pinFirst: issued.firstHalf,
      pinSecond: wrongPin(issued.secondHalf),
    });
    expect(page.status).toBe(401);
    expect(page.body).toContain('Codice fiscale o PIN non corretti');
    expect(page.body).toContain(`value="${issued.citizen.codiceFiscale}"`);
    expect(page.body).not.toContain(issued.firstHalf);
    expect(shownPin(page.body)).toBeUndefined();
  });

  it('does the first access with the two halves and shows the 8-character PIN once', async () => {
    const typedFirst = `${issued.firstHalf.slice(0, 4)} ${issued.firstHalf.slice(4)}`.toLowerCase();
    const page = await browser.submit('/portal/first-access', { codiceFiscale: issued.citizen.codiceFiscale, pinFirst: typedFirst, pinSecond: issued.secondHalf });
    expect(page.status, page.body.slice(0, 500)).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const pin = shownPin(page.body);
    expect(pin).toMatch(/^[A-Z2-9]{8}$/);
    personalPin = pin!;
    expect(page.body).toContain('href="/portal/login"');

    const view = await waitForView(stack, issued.credentialId, (v) => v.state === 'active');
    expect(view.pinVersion).toBe(2);

    // Shown once: the same halves again are told the first access was made (never shown again),
    // and the PIN is nowhere but that answer.
    const again = await browser.submit('/portal/first-access', { codiceFiscale: issued.citizen.codiceFiscale, pinFirst: issued.firstHalf, pinSecond: issued.secondHalf });
    expect(again.status).toBe(200);
    expect(again.body).toContain('Primo accesso già fatto');
    expect(again.body).not.toContain('id="new-pin"');
    expect(again.body).not.toContain(personalPin);
    expect(browser.setCookies.join('\n')).not.toContain(personalPin);
    expect(stack.logLines.join('\n')).not.toContain(personalPin);
    for (const table of ['pin_secrets', 'audit_log', 'credential_events', 'outbox', 'credentials', 'sessions']) {
      const { rows } = await stack.pool.query<{ row: string }>(`SELECT t::text AS row FROM ${table} t`);
      expect(rows.some((r) => r.row.includes(personalPin)), table).toBe(false);
    }
  });

  it('answers a wrong PIN at login with the generic error and no session', async () => {
    const page = await browser.submit('/portal/login', { codiceFiscale: issued.citizen.codiceFiscale, pin: wrongPin(personalPin) });
    expect(page.status).toBe(401);
    expect(page.body).toContain('Codice fiscale o PIN non corretti');
    expect(page.body).not.toContain(personalPin);
    expect(browser.cookies.has('pin_session')).toBe(false);
    const { rows } = await stack.pool.query<{ decision: string }>(
      `SELECT decision FROM audit_log WHERE action = 'login' AND subject = $1::text ORDER BY id DESC LIMIT 1`,
      [issued.credentialId],
    );
    expect(rows[0]?.decision).toBe('denied');
  });

  it('logs in, shows the personal area with the services of a pensioner, and logs out', async () => {
    // The institute's records say this holder is a pensioner: the session's profile follows them.
    await stack.pool.query(
      `INSERT INTO institute_records (codice_fiscale, residence, profile) VALUES ($1::text, $2::jsonb, '{"category":"pensioner","scheme":"private"}'::jsonb)
       ON CONFLICT (codice_fiscale) DO UPDATE SET profile = EXCLUDED.profile`,
      [issued.citizen.codiceFiscale, JSON.stringify(issued.citizen.residence)],
    );
    const login = await browser.submit('/portal/login', { codiceFiscale: issued.citizen.codiceFiscale.toLowerCase(), pin: personalPin.toLowerCase() });
    expect(login.status, login.body.slice(0, 500)).toBe(303);
    expect(login.location).toBe('/portal/home');
    const cookie = browser.setCookies.find((c) => c.startsWith('pin_session=')) ?? '';
    for (const attribute of [/;\s*HttpOnly/i, /;\s*Secure/i, /;\s*SameSite=Strict/i, /;\s*Path=\//]) expect(cookie).toMatch(attribute);

    const home = await browser.get('/portal/home');
    expect(home.status).toBe(200);
    expect(home.body).toContain(issued.citizen.codiceFiscale);
    expect(home.body).toMatch(/id="pin-type" data-scope="ordinary">PIN ordinario/);
    expect(home.body).toContain('Pensionato – Gestione privata');
    expect(home.body).toContain('data-service="personal-data"');
    expect(home.body).toContain('data-service="pension-statement"');
    expect(home.body).not.toContain('data-service="contribution-statement"');
    expect(home.body).not.toContain('data-kind="claim"');
    expect(home.body).toContain('id="dispositivo-note"');

    const { rows: live } = await stack.pool.query<{ n: string }>(`SELECT count(*) AS n FROM sessions WHERE credential_id = $1::uuid AND revoked_at IS NULL`, [issued.credentialId]);
    expect(live[0]!.n).toBe('1');

    const csrf = /name="_csrf" value="([^"]+)"/.exec(home.body)![1]!;
    const out = await browser.request('POST', '/portal/logout', { _csrf: csrf });
    expect(out.status).toBe(303);
    expect(out.location).toBe('/portal/login?out=1');
    expect(browser.cookies.has('pin_session')).toBe(false);
    const { rows: ended } = await stack.pool.query<{ revoked_reason: string | null }>(`SELECT revoked_reason FROM sessions WHERE credential_id = $1::uuid`, [issued.credentialId]);
    expect(ended.map((r) => r.revoked_reason)).toEqual(['logout']);
    expect((await browser.get('/portal/home')).location).toBe('/portal/login');
  });
});

describe('a new letter through the portal', () => {
  it('sends one with the first half; asked again within 24 hours, it says the letter is already requested', async () => {
    const issued = await requestAndCollect(stack, makeCitizen());
    const browser = new Browser(stack.baseUrl);
    const form = await browser.get('/portal/letter');
    expect(form.body).toContain('al massimo una nuova lettera ogni 24 ore e non più di 4 nuove lettere in 30 giorni');
    const sent = await browser.submit('/portal/letter', { codiceFiscale: issued.citizen.codiceFiscale, firstHalf: issued.firstHalf });
    expect(sent.status, sent.body.slice(0, 500)).toBe(200);
    expect(sent.body).toContain('Nuova lettera richiesta');
    expect(sent.body).toContain('lettera numero 2');
    const again = await browser.submit('/portal/letter', { codiceFiscale: issued.citizen.codiceFiscale, firstHalf: issued.firstHalf });
    expect(again.status).toBe(200);
    expect(again.body).toContain('Nuova lettera già richiesta');
    await waitForView(stack, issued.credentialId, (v) => v.letters.length === 2);
  });
});


describe.skipIf(!hasChromium)('screenshots in headless Chromium', () => {
  it('captures the first-access form with errors, the new PIN shown once and the personal area', async () => {
    const ARTIFACTS = artifactsDir('portal');
    const issued = await requestAndCollect(stack, makeCitizen());
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
      const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });

      await page.goto(`${stack.baseUrl}/portal`);
      await shot('home-access-links.png');

      // The form with errors: a wrong check character, a short first half, no second half.
      await page.goto(`${stack.baseUrl}/portal/first-access`);
      const cf = issued.citizen.codiceFiscale;
      await page.fill('#f-codiceFiscale', cf.slice(0, 15) + (cf.endsWith('A') ? 'B' : 'A'));
      await page.fill('#f-pinFirst', issued.firstHalf.slice(0, 6));
      await page.click('button[type=submit]');
      await expect.poll(() => page.locator('#error-summary').count()).toBe(1);
      await shot('first-access-errors.png');

      await page.fill('#f-codiceFiscale', cf);
      await page.fill('#f-pinFirst', issued.firstHalf);
      await page.fill('#f-pinSecond', issued.secondHalf);
      await page.click('button[type=submit]');
      const pin = (await page.locator('#new-pin').innerText()).replace(/\s/g, '');
      expect(pin).toMatch(/^[A-Z2-9]{8}$/);
      await shot('first-access-new-pin.png');

      await page.click('text=Accedi con il nuovo PIN');
      await page.fill('#f-codiceFiscale', cf);
      await page.fill('#f-pin', wrongPin(pin));
      await page.click('button[type=submit]');
      await shot('login-wrong-pin.png');
      await page.fill('#f-pin', pin);
      await page.click('button[type=submit]');
      await page.waitForURL('**/portal/home');
      await shot('personal-area.png');

      await page.goto(`${stack.baseUrl}/portal/letter?lang=en`);
      await shot('letter-en.png');
    } finally {
      await browser.close();
    }
  });
});
