/**
 * The portal's "PIN telefonico" (MyINPS) on the real stack with the development OpenID provider:
 * a citizen signs in with SPID, CIE or CNS, creates a telephone PIN (shown once), sees it in the
 * list, revokes it and signs out. First as plain HTTP (cookies, CSRF, what each answer holds),
 * then in headless Chromium, the way a person walks it, in Italian and in English.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCitizen } from '../support/citizens';
import { CookieJar, jarFetch, signInAs } from '../support/identity';
import { artifactsDir, hasChromium, launchChromium } from '../support/chromium';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ identityProvider: true });
});
afterAll(async () => {
  await stack?.stop();
});

const csrfOf = (page: string): string => /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
const form = (values: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(values).toString(),
});

describe('the telephone PIN pages over HTTP', () => {
  it('offers the SPID/CIE/CNS sign-in to a visitor, and refuses creation without it', async () => {
    const jar = new CookieJar();
    const page = await jarFetch(jar, `${stack.baseUrl}/portal/telephone-pin`);
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('Entra con SPID, CIE o CNS');
    expect(text).toContain('un giorno, una settimana, un mese o tre mesi');
    const created = await jarFetch(jar, `${stack.baseUrl}/portal/telephone-pin`, form({ validity: '1d' }));
    expect(created.status).toBe(401);
  });

  it('signs in, creates a PIN shown once, lists it without the PIN, revokes it, signs out', async () => {
    const { codiceFiscale } = makeCitizen();
    const signedIn = await signInAs(stack, { codiceFiscale, givenName: 'Carla', familyName: 'Prova', method: 'CIE' }, `${stack.baseUrl}/portal/identity/login`);
    const { jar } = signedIn;
    expect(signedIn.url).toBe(`${stack.baseUrl}/portal/telephone-pin`);
    const area = await signedIn.res.text();
    expect(area).toContain(codiceFiscale);
    expect(area).toContain('CIE (Carta d’Identità Elettronica)');
    expect(area).toContain('Non hai ancora creato un PIN telefonico.');

    // No CSRF token: nothing is created.
    expect((await jarFetch(jar, `${stack.baseUrl}/portal/telephone-pin`, form({ validity: '1m' }))).status).toBe(403);
    // No validity chosen: the field says so.
    const missing = await jarFetch(jar, `${stack.baseUrl}/portal/telephone-pin`, form({ _csrf: csrfOf(area) }));
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain('Scegli quanto deve durare il PIN telefonico (campo obbligatorio).');

    const created = await jarFetch(jar, `${stack.baseUrl}/portal/telephone-pin`, form({ _csrf: csrfOf(area), validity: '1m' }));
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const shown = await created.text();
    const pin = /id="telephone-pin"><span>(\d{4})<\/span><span>(\d{4})<\/span>/.exec(shown)!.slice(1).join('');
    expect(pin).toMatch(/^\d{8}$/);
    const { rows } = await stack.pool.query<{ id: string; status: string }>('SELECT id, status FROM telephone_pins WHERE codice_fiscale = $1::text', [codiceFiscale]);
    expect(rows).toEqual([{ id: expect.any(String), status: 'active' }]);

    const list = await (await jarFetch(jar, `${stack.baseUrl}/portal/telephone-pin`)).text();
    expect(list).toContain(`data-telephone-pin="${rows[0]!.id}"`);
    expect(list).toContain('Un mese');
    expect(list).toContain('id="one-active"');
    expect(list).not.toContain(pin);

    // Made again while this one is active (a second press, the answer lost): told that one is active, not "failed".
    const twice = await jarFetch(jar, `${stack.baseUrl}/portal/telephone-pin`, form({ _csrf: csrfOf(area), validity: '1m' }));
    expect(twice.status).toBe(200);
    const twiceText = await twice.text();
    expect(twiceText).toContain('Hai già un PIN telefonico attivo');
    expect(twiceText).toContain('se non l’hai annotato, revocalo e creane uno nuovo');
    expect(twiceText).not.toContain('Operazione non riuscita');

    // Revoking is final: the button opens a page that says what follows; only its confirmation revokes.
    expect(list).toContain(`href="/portal/telephone-pin/${rows[0]!.id}/revoke"`);
    const ask = await (await jarFetch(jar, `${stack.baseUrl}/portal/telephone-pin/${rows[0]!.id}/revoke`)).text();
    expect(ask).toContain('Vuoi revocare il PIN telefonico?');
    expect(ask).toContain('il Contact center non potrà più riconoscerti con questo codice');
    const unconfirmed = await jarFetch(jar, `${stack.baseUrl}/portal/telephone-pin/${rows[0]!.id}/revoke`, form({ _csrf: csrfOf(ask) }));
    expect(unconfirmed.status).toBe(303);
    expect(unconfirmed.headers.get('location')).toBe(`/portal/telephone-pin/${rows[0]!.id}/revoke`);
    expect((await stack.pool.query<{ status: string }>('SELECT status FROM telephone_pins WHERE id = $1::uuid', [rows[0]!.id])).rows[0]!.status).toBe('active');
    const revoked = await jarFetch(jar, `${stack.baseUrl}/portal/telephone-pin/${rows[0]!.id}/revoke`, form({ _csrf: csrfOf(ask), confirmed: 'yes' }));
    expect(revoked.status).toBe(303);
    // Confirmed again: told as revoked.
    const revokedTwice = await jarFetch(jar, `${stack.baseUrl}/portal/telephone-pin/${rows[0]!.id}/revoke`, form({ _csrf: csrfOf(ask), confirmed: 'yes' }));
    expect(revokedTwice.headers.get('location')).toBe('/portal/telephone-pin?revoked=1');
    const after = await (await jarFetch(jar, new URL(revoked.headers.get('location')!, stack.baseUrl).href)).text();
    expect(after).toContain('PIN telefonico revocato');
    expect(after).toContain('data-status="revoked"');

    const out = await jarFetch(jar, `${stack.baseUrl}/portal/identity/logout`, form({ _csrf: csrfOf(after) }));
    expect(out.status).toBe(200);
    expect(await out.text()).toContain('Sei uscito');
    const again = await (await jarFetch(jar, `${stack.baseUrl}/portal/telephone-pin`)).text();
    expect(again).toContain('Entra con SPID, CIE o CNS');
  });

  it('a revocation while Temporal answers too slowly is never told "not done"; confirmed again, it is revoked', async () => {
    const { codiceFiscale } = makeCitizen();
    const signedIn = await signInAs(stack, { codiceFiscale, givenName: 'Elsa', familyName: 'Prova', method: 'SPID' }, `${stack.baseUrl}/portal/identity/login`);
    const { jar } = signedIn;
    const area = await signedIn.res.text();
    expect((await jarFetch(jar, `${stack.baseUrl}/portal/telephone-pin`, form({ _csrf: csrfOf(area), validity: '1d' }))).status).toBe(201);
    const { rows } = await stack.pool.query<{ id: string }>('SELECT id FROM telephone_pins WHERE codice_fiscale = $1::text', [codiceFiscale]);
    const ask = await (await jarFetch(jar, `${stack.baseUrl}/portal/telephone-pin/${rows[0]!.id}/revoke`)).text();
    // The same session on a second API whose Temporal calls give up after 1 ms.
    const slow = await stack.extraApi({ temporalTimeoutMs: 1 });
    try {
      const first = await fetch(`${slow.baseUrl}/portal/telephone-pin/${rows[0]!.id}/revoke`, {
        ...form({ _csrf: csrfOf(ask), confirmed: 'yes' }),
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(new URL(stack.baseUrl)) },
        redirect: 'manual',
      });
      const text = await first.text();
      expect(text).not.toMatch(/Operazione non riuscita|Servizio momentaneamente non disponibile/);
      if (first.status !== 303) {
        expect(first.status).toBe(503);
        expect(text).toContain('Esito non ancora confermato');
      }
    } finally {
      slow.close();
    }
    const again = await jarFetch(jar, `${stack.baseUrl}/portal/telephone-pin/${rows[0]!.id}/revoke`, form({ _csrf: csrfOf(ask), confirmed: 'yes' }));
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe('/portal/telephone-pin?revoked=1');
    const { rows: after } = await stack.pool.query<{ status: string }>('SELECT status FROM telephone_pins WHERE id = $1::uuid', [rows[0]!.id]);
    expect(after[0]!.status).toBe('revoked');
  });

  it('tells a sign-in cancelled at the provider, with the way to try again', async () => {
    const jar = new CookieJar();
    const start = await jarFetch(jar, `${stack.baseUrl}/portal/identity/login`);
    let res = await jarFetch(jar, start.headers.get('location')!);
    let url = new URL(res.headers.get('location')!, start.headers.get('location')!).href;
    res = await jarFetch(jar, url);
    const abort = /action="(\/interaction\/[^"]+\/abort)"/.exec(await res.text())![1]!;
    res = await jarFetch(jar, new URL(abort, stack.idp!.issuer).href, { method: 'POST' });
    url = new URL(res.headers.get('location')!, stack.idp!.issuer).href;
    while (!url.startsWith(stack.baseUrl)) {
      res = await jarFetch(jar, url);
      url = new URL(res.headers.get('location')!, url).href;
    }
    const back = await jarFetch(jar, url);
    expect(back.status).toBe(401);
    const text = await back.text();
    expect(text).toContain('Accesso annullato presso il gestore di identità.');
    expect(text).toContain('Entra con SPID, CIE o CNS');
  });
});


describe.skipIf(!hasChromium)('the telephone PIN in headless Chromium', () => {
  it('a citizen signs in with SPID, creates a three-month PIN, revokes it (English, 390 px wide)', async () => {
    const ARTIFACTS = artifactsDir('portal');
    const { codiceFiscale } = makeCitizen();
    stack.idp!.addIdentity({ codiceFiscale, givenName: 'Dario', familyName: 'Prova', method: 'SPID' });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 900 } });
      const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });
      await page.goto(`${stack.baseUrl}/portal/telephone-pin?lang=en`);
      await shot('telephone-pin-sign-in-en.png');
      await page.click('#sign-in');
      // The provider's own screen: pick the test identity.
      await page.click(`button:has-text("${codiceFiscale}")`);
      await page.waitForURL('**/portal/telephone-pin');
      expect(await page.locator('#codice-fiscale').innerText()).toBe(codiceFiscale);
      expect(await page.locator('h1').innerText()).toBe('Telephone PIN');
      await page.click('label[for=f-validity-3m]');
      await page.click('button:has-text("Create the telephone PIN")');
      const pin = (await page.locator('#telephone-pin').innerText()).replace(/\s/g, '');
      expect(pin).toMatch(/^\d{8}$/);
      await shot('telephone-pin-created-en.png');
      await page.click('text=Back to your telephone PINs');
      expect(await page.locator('[data-status="active"]').innerText()).toBe('Active');
      expect(await page.content()).not.toContain(pin);
      await page.click('a:has-text("Revoke")');
      await page.waitForURL('**/revoke');
      expect(await page.locator('h1').innerText()).toBe('Do you want to revoke the telephone PIN?');
      await shot('telephone-pin-revoke-confirm-en.png');
      await page.click('button:has-text("Yes, revoke the telephone PIN")');
      await page.waitForURL('**/portal/telephone-pin?revoked=1');
      expect(await page.locator('[data-status="revoked"]').innerText()).toBe('Revoked');
      await shot('telephone-pin-revoked-en.png');
      await page.click('button:has-text("Sign out")');
      expect(await page.locator('#sign-in').count()).toBe(1);
    } finally {
      await browser.close();
    }
  });
});
