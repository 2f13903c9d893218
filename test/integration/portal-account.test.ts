/**
 * The PIN holder's own pages on the real stack: the personal area with the holder's name, the PIN
 * type and its expiry, links to every page a holder has; "Le mie richieste" with the protocol
 * number and the letter; "Modifica recapiti" (refused as a whole when a field is bad, saved with
 * notices to the old and the new addresses otherwise); the portal's home links to recovery,
 * revocation and the telephone PIN. Then the same walk in headless Chromium at 390 px.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, csrfOf } from '../support/browser';
import { makeCitizen } from '../support/citizens';
import { activeCitizen, requestAndCollect, waitFor, type ActiveCitizen } from '../support/issuance';
import { mailTo } from '../support/lifecycle';
import { artifactsDir, hasChromium, launchChromium } from '../support/chromium';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let holder: ActiveCitizen;
let browser: Browser;

beforeAll(async () => {
  stack = await startTestStack();
  holder = await activeCitizen(stack, makeCitizen());
  browser = new Browser(stack.baseUrl);
  const login = await browser.submitForm('/portal/login', '/portal/login', { codiceFiscale: holder.citizen.codiceFiscale, pin: holder.pin });
  expect(login.status).toBe(303);
});
afterAll(async () => {
  await stack?.stop();
});

describe('the portal for a PIN holder', () => {
  it('links recovery, revocation and the telephone PIN from the home page', async () => {
    const home = await new Browser(stack.baseUrl).get('/portal');
    for (const href of ['/portal/recovery', '/portal/revoke', '/portal/telephone-pin', '/portal/login']) expect(home.body).toContain(`href="${href}"`);
  });

  it('shows the holder’s name, the PIN type and its expiry in the personal area, with links to their pages', async () => {
    const home = await browser.get('/portal/home');
    expect(home.status).toBe(200);
    expect(home.body).toContain(`id="holder-name">${holder.citizen.name} ${holder.citizen.surname}</dd>`);
    expect(home.body).toContain('data-scope="ordinary"');
    const { rows } = await stack.pool.query<{ expires_at: Date }>(`SELECT expires_at FROM pin_secrets WHERE credential_id = $1::uuid AND status = 'active'`, [holder.credentialId]);
    expect(home.body).toContain(`<time datetime="${rows[0]!.expires_at.toISOString()}">`);
    for (const href of ['/portal/requests', '/portal/contacts', '/portal/claims', '/portal/conversion']) expect(home.body).toContain(`href="${href}"`);
  });

  it('lists the holder’s own requests with the protocol number and the letter', async () => {
    const page = await browser.get('/portal/requests');
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const { rows } = await stack.pool.query<{ protocol: string }>('SELECT protocol FROM pin_requests WHERE credential_id = $1::uuid', [holder.credentialId]);
    expect(rows[0]!.protocol).toMatch(/^PIN\.\d{4}\.\d{8}$/);
    expect(page.body).toContain(rows[0]!.protocol);
    expect(page.body).toContain('Richiesta del PIN online');
    expect(page.body).toContain('Lettera con la seconda parte del PIN (n. 1)');
    // Only their own: another citizen's protocol is not there.
    const other = await stack.pool.query<{ protocol: string }>('SELECT protocol FROM pin_requests WHERE credential_id <> $1::uuid AND protocol IS NOT NULL LIMIT 1', [holder.credentialId]);
    if (other.rows[0]) expect(page.body).not.toContain(other.rows[0].protocol);
    // Without a session: to the login.
    expect((await new Browser(stack.baseUrl).get('/portal/requests')).location).toBe('/portal/login');
  });

  it('refuses a contact change with a bad field as a whole, naming the field, and changes nothing', async () => {
    const form = await browser.get('/portal/contacts');
    expect(form.body).toContain(`value="${holder.citizen.email}"`);
    const bad = await browser.post('/portal/contacts', {
      _csrf: csrfOf(form.body),
      mobile: holder.citizen.mobile!,
      email: 'not-an-address',
      preferredPhone: 'mobile',
      preferredTimeSlot: '08-11',
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('id="error-summary"');
    expect(bad.body).toContain('href="#f-email"');
    const { rows } = await stack.pool.query('SELECT 1 FROM contact_changes WHERE credential_id = $1::uuid', [holder.credentialId]);
    expect(rows).toHaveLength(0);
  });

  it('saves a new e-mail and tells both the old and the new address', async () => {
    const form = await browser.get('/portal/contacts');
    const newEmail = `nuovo.${Date.now()}@example.org`;
    const saved = await browser.post('/portal/contacts', {
      _csrf: csrfOf(form.body),
      mobile: holder.citizen.mobile!,
      email: newEmail,
      pec: holder.citizen.pec ?? '',
      preferredPhone: 'mobile',
      preferredTimeSlot: '11-14',
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toContain('id="contacts-saved"');
    const change = await waitFor('the contact change', async () => {
      const { rows } = await stack.pool.query<{ changed_by: string; new_contacts: { email: string } }>('SELECT changed_by, new_contacts FROM contact_changes WHERE credential_id = $1::uuid', [holder.credentialId]);
      return rows[0];
    });
    expect(change).toMatchObject({ changed_by: 'citizen', new_contacts: { email: newEmail } });
    await mailTo(stack, holder.citizen.email!, /recapiti/i);
    await mailTo(stack, newEmail, /recapiti/i);
    const requests = await browser.get('/portal/requests');
    expect(requests.body).toContain('Recapiti modificati');
    // Without the CSRF token nothing is saved.
    const forged = await browser.post('/portal/contacts', { mobile: holder.citizen.mobile!, email: 'x@example.org', preferredPhone: 'mobile', preferredTimeSlot: '08-11' });
    expect(forged.status).toBe(403);
  });
});

describe('a first-half session (simplified procedure)', () => {
  it('sees neither the contacts nor the timeline, and cannot change the contacts', async () => {
    const simplified = await startTestStack({ policy: { simplifiedProcedure: true } });
    try {
      const issued = await requestAndCollect(simplified, makeCitizen());
      const b = new Browser(simplified.baseUrl);
      const login = await b.submitForm('/portal/login', '/portal/login', { codiceFiscale: issued.citizen.codiceFiscale, pin: issued.firstHalf });
      expect(login.status).toBe(303);
      const home = await b.get('/portal/home');
      expect(home.body).toContain('data-scope="simplified"');
      expect(home.body).not.toContain('href="/portal/contacts"');
      expect(home.body).not.toContain('href="/portal/requests"');
      for (const path of ['/portal/contacts', '/portal/requests']) {
        const page = await b.get(path);
        expect(page.status, path).toBe(403);
        expect(page.body).toContain('Serve il PIN completo');
        expect(page.body, path).not.toContain(issued.citizen.email!);
      }
      const posted = await b.post('/portal/contacts', { _csrf: csrfOf(home.body), mobile: issued.citizen.mobile!, email: 'altro@example.org', preferredPhone: 'mobile', preferredTimeSlot: '08-11' });
      expect(posted.status).toBe(403);
      const { rows } = await simplified.pool.query('SELECT 1 FROM contact_changes WHERE credential_id = $1::uuid', [issued.credentialId]);
      expect(rows).toHaveLength(0);
    } finally {
      await simplified.stop();
    }
  });
});


describe.skipIf(!hasChromium)('the personal area in headless Chromium', () => {
  it('a holder logs in, reads their requests and opens the contacts form (Italian, 390 px wide)', async () => {
    const ARTIFACTS = artifactsDir('portal');
    const chrome = await launchChromium();
    try {
      const page = await chrome.newPage({ viewport: { width: 390, height: 900 } });
      const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });
      await page.goto(`${stack.baseUrl}/portal/login`);
      await page.fill('#f-codiceFiscale', holder.citizen.codiceFiscale);
      await page.fill('#f-pin', holder.pin);
      await page.click('button[type=submit]');
      await page.waitForURL('**/portal/home');
      expect(await page.locator('#holder-name').innerText()).toBe(`${holder.citizen.name} ${holder.citizen.surname}`);
      await shot('personal-area-holder.png');
      await page.click('#link-requests a');
      await page.waitForURL('**/portal/requests');
      expect(await page.locator('#my-requests tbody tr').count()).toBeGreaterThanOrEqual(2);
      await shot('my-requests.png');
      await page.goto(`${stack.baseUrl}/portal/contacts`);
      expect(await page.locator('#f-mobile').inputValue()).toBe(holder.citizen.mobile);
      await shot('contacts-form.png');
    } finally {
      await chrome.close();
    }
  });
});
