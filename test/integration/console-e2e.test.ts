/**
 * The console in a real browser (headless Chromium from the Debian package, driven by
 * playwright-core) against the real stack:
 *  (a) a clerk logs in with password + TOTP (computed from the seeded secret), opens the queue,
 *      sees the documents inline, claims a conversion the citizen asked for through the API, is
 *      refused a rejection for "another reason" without its note, approves it, and the
 *      citizen's waiting claim is released (→ in_processing);
 *  (b) a contact-centre operator verifies a caller's telephone PIN (a wrong one first);
 *  (c) a clerk registers a delegation handed in at the office from the home page's link (a
 *      missing declaration first), and attaches a received fax to a holder's conversion case;
 *  (d) after a counter issuance, the print page frames the sealed envelope, fetched once.
 * Screenshots go to test-artifacts/console-e2e/ (ignored by git) as the run's artifacts.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { makeCitizen } from '../support/citizens';
import { activeCitizen, asWorker, waitFor, type ActiveCitizen } from '../support/issuance';
import { identitySession } from '../support/identity';
import { createTestStaff, totpCode, type TestStaff } from '../support/staff';
import { apiCall, requestConversion } from '../support/api';
import { launchChromium } from '../support/chromium';
import { startTestStack, type TestStack } from '../support/stack';

const ARTIFACTS = path.resolve('test-artifacts', 'console-e2e');


let stack: TestStack;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startTestStack({ secondReviewSampleRate: 0, identityProvider: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const api = (method: string, url: string, opts: Parameters<typeof apiCall>[3] = {}) => apiCall(stack, method, url, opts);

/** What the citizen does through the API: a claim that waits, then the conversion request with both documents. */
async function citizenAsksForConversion(c: ActiveCitizen): Promise<{ caseId: string; claimId: string }> {
  await asWorker(stack, c.credentialId);
  const claim = await api('POST', '/api/claims', { token: c.token, json: { type: 'parental-leave' } });
  expect(claim.status).toBe(202);
  expect(claim.body.status).toBe('waiting_for_dispositivo');
  const caseId = await requestConversion(stack, c);
  return { caseId, claimId: claim.body.claimId as string };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Logs in through the login form as a person would, with the code of the current step (or the next one). */
async function logIn(page: Page, staff: TestStaff, name: string, offsetSteps = 0): Promise<void> {
  await page.goto(`${stack.baseUrl}/console/`);
  // Not logged in: the console sends the browser to its login page.
  expect(new URL(page.url()).pathname).toBe('/console/login');
  await page.fill('input[name="username"]', staff.username);
  await page.fill('input[name="password"]', staff.password);
  await page.fill('input[name="code"]', totpCode(staff.totpSecret, offsetSteps));
  await shot(page, `${name}-01-login`);
  await Promise.all([page.waitForURL(`${stack.baseUrl}/console/`), page.click('button[type="submit"]')]);
  await expect(page.textContent('[data-testid="staff-user"]')).resolves.toContain(staff.username);
}

describe('console in Chromium', () => {
  it('(a) a clerk logs in with TOTP, claims and approves a conversion, and the citizen’s waiting claim is released', async () => {
    const citizen = await activeCitizen(stack, makeCitizen());
    const { caseId, claimId } = await citizenAsksForConversion(citizen);
    // The review workflow has opened the case (it sets the escalation deadline).
    await waitFor('case open', async () => {
      const { rows } = await stack.pool.query<{ escalate_at: Date | null }>('SELECT escalate_at FROM review_cases WHERE id = $1::uuid', [caseId]);
      return rows[0]?.escalate_at ? true : undefined;
    });
    const clerk = await createTestStaff(stack, 'clerk');
    const context = await browser.newContext({ locale: 'it-IT' });
    const page = await context.newPage();
    const documentResponses: { url: string; status: number; type: string | null }[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/api/staff/documents/')) documentResponses.push({ url: r.url(), status: r.status(), type: r.headers()['content-type'] ?? null });
    });
    try {
      await logIn(page, clerk, 'a');

      await page.goto(`${stack.baseUrl}/console/review`);
      const row = page.locator('[data-testid="review-queue"] tr', { hasText: citizen.citizen.codiceFiscale });
      await expect(row.count()).resolves.toBe(1);
      // Five working days ahead: shown in days and hours.
      await expect(row.locator('[data-testid="time-left"]').textContent()).resolves.toMatch(/^\d+ g \d+ h$/);
      await shot(page, 'a-02-queue');

      await Promise.all([page.waitForURL(`**/console/review/${caseId}`), row.locator('[data-testid="case-link"]').click()]);
      // The documents inline: the scan as an image that actually loaded, the signed form in a frame.
      const img = page.locator('[data-testid="document-image"]');
      await expect(
        img.evaluate((el) => {
          const image = el as unknown as { complete: boolean; naturalWidth: number };
          return image.complete && image.naturalWidth > 0;
        }),
      ).resolves.toBe(true);
      await expect(page.locator('[data-testid="document-pdf"]').getAttribute('src')).resolves.toMatch(/^\/api\/staff\/documents\/[0-9a-f-]{36}$/);
      // Both served with their stored type (the PDF viewer may fetch its document more than once).
      const served = (type: string) => documentResponses.some((d) => d.status === 200 && d.type === type);
      await waitFor('both documents served to the browser', async () => (served('application/pdf') && served('image/png') ? true : undefined), 10_000);
      expect(documentResponses.filter((d) => d.status >= 400)).toEqual([]);
      await shot(page, 'a-03-case');

      await Promise.all([page.waitForURL((u) => u.pathname === `/console/review/${caseId}` && u.searchParams.get('done') === 'claim'), page.click('[data-testid="claim"]')]);
      await expect(page.textContent('[data-testid="notice"]')).resolves.toContain('presa in carico');
      await expect(page.textContent('[data-testid="case-status"]')).resolves.toBe('In lavorazione');
      // A rejection picks its reason from the list: "other" without a note is refused on the note, the choice kept.
      await page.selectOption('#f-reasonCode', 'other');
      await Promise.all([page.waitForURL((u) => u.pathname === `/console/review/${caseId}/decision`), page.click('[data-testid="reject"]')]);
      await page.locator('#f-note-error').waitFor();
      await expect(page.inputValue('#f-reasonCode')).resolves.toBe('other');
      await expect(page.textContent('[data-testid="case-status"]')).resolves.toBe('In lavorazione');
      await shot(page, 'a-035-reject-needs-note');
      await Promise.all([page.waitForURL((u) => u.pathname === `/console/review/${caseId}` && u.searchParams.get('done') === 'decision'), page.click('[data-testid="approve"]')]);
      await expect(page.textContent('[data-testid="case-status"]')).resolves.toBe('Approvata');
      await shot(page, 'a-04-approved');

      // The citizen's timeline says who did what.
      await page.goto(`${stack.baseUrl}/console/citizens?cf=${citizen.citizen.codiceFiscale}`);
      const timeline = await page.textContent('[data-testid="timeline"]');
      expect(timeline).toContain('Conversione a dispositivo richiesta');
      expect(timeline).toContain(`Pratica approvata`);
      // Named as a person reads it: the role and the username, not the stored "staff:" actor.
      expect(timeline).toContain(`personale ${clerk.username}`);
      expect(timeline).not.toContain(`staff:${clerk.username}`);
      await shot(page, 'a-05-timeline');
    } finally {
      await context.close();
    }

    // The citizen's claim, filed while the PIN was ordinary, goes to processing.
    const released = await waitFor('claim in processing', async () => {
      const c = await api('GET', `/api/claims/${claimId}`, { token: citizen.token });
      return c.body.status === 'in_processing' ? c.body : undefined;
    });
    expect(released.releasedAt).toBeDefined();
    const { rows } = await stack.pool.query<{ action: string; decision: string }>(
      `SELECT action, decision FROM audit_log WHERE actor = $1::text AND action LIKE 'console.%' ORDER BY id`,
      [`staff:${clerk.username}`],
    );
    expect(rows).toEqual([
      { action: 'console.login', decision: 'granted' },
      { action: 'console.review.claim', decision: 'done' },
      // The rejection without its note, refused, is audited too.
      { action: 'console.review.decision', decision: 'refused' },
      { action: 'console.review.decision', decision: 'done' },
      { action: 'console.citizen_lookup', decision: 'done' },
    ]);
    const reads = await stack.pool.query(`SELECT 1 FROM audit_log WHERE actor = $1::text AND action = 'document_read'`, [`staff:${clerk.username}`]);
    expect(reads.rowCount).toBeGreaterThanOrEqual(2);
  });

  it('(b) a contact-centre operator verifies a caller’s telephone PIN', async () => {
    const { codiceFiscale } = makeCitizen();
    const created = await api('POST', '/api/telephone-pins', { json: { validity: '1d' }, token: await identitySession(stack, codiceFiscale) });
    expect(created.status).toBe(201);
    const pin = created.body.pin as string;
    const operator = await createTestStaff(stack, 'operator');
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    try {
      await logIn(page, operator, 'b');
      await page.goto(`${stack.baseUrl}/console/contact-centre/verify?lang=en`);
      await page.fill('input[name="codiceFiscale"]', codiceFiscale);
      await page.fill('input[name="telephonePin"]', pin.slice(0, 7) + String((Number(pin[7]) + 1) % 10));
      await page.click('form[action$="/verify"] button[type="submit"]');
      await page.locator('[data-testid="verify-result"].alert-danger').waitFor();
      await shot(page, 'b-02-refused');

      await page.fill('input[name="codiceFiscale"]', codiceFiscale);
      await page.fill('input[name="telephonePin"]', pin);
      await shot(page, 'b-03-form');
      await page.click('form[action$="/verify"] button[type="submit"]');
      await page.locator('[data-testid="verify-result"]', { hasText: `Caller verified: ${codiceFiscale}` }).waitFor();
      // The PIN typed is never shown back.
      expect(await page.content()).not.toContain(pin);
      await shot(page, 'b-04-verified');
    } finally {
      await context.close();
    }
    const { rows } = await stack.pool.query<{ actor: string; decision: string }>(
      `SELECT actor, decision FROM audit_log WHERE action = 'telephone_pin.verify_caller' AND detail->>'codiceFiscale' = $1 ORDER BY id`,
      [codiceFiscale],
    );
    expect(rows).toEqual([
      { actor: `operator:${operator.username}`, decision: 'refused' },
      { actor: `operator:${operator.username}`, decision: 'verified' },
    ]);
  });

  it('(c) a clerk registers a delegation handed in at the office, and attaches a received fax', async () => {
    const holder = await activeCitizen(stack, makeCitizen());
    const { codiceFiscale: delegatorCf } = makeCitizen();
    const clerk = await createTestStaff(stack, 'clerk');
    const context = await browser.newContext({ locale: 'it-IT' });
    const page = await context.newPage();
    try {
      await logIn(page, clerk, 'c');
      await Promise.all([page.waitForURL('**/console/counter/delegations'), page.click('a[href="/console/counter/delegations"]')]);
      await page.fill('#f-delegatorCodiceFiscale', delegatorCf);
      await page.fill('#f-delegateCodiceFiscale', holder.citizen.codiceFiscale);
      await page.selectOption('#f-scope', 'consult_and_claims');
      await page.fill('#f-endsOn', new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10));
      await page.fill('#f-office', 'Torino');
      await page.selectOption('#f-delegatorDocument-type', 'carta_identita');
      await page.fill('#f-delegatorDocument-number', 'AY1234567');
      await page.fill('#f-delegatorDocument-issuer', 'Comune di Torino');
      await page.fill('#f-delegatorDocument-issuedOn', '2021-06-01');
      await page.fill('#f-delegatorDocument-expiresOn', '2031-05-31');
      await shot(page, 'c-01-delegation-form');
      await page.click('form[method="post"][action$="/counter/delegations"] button[type="submit"]');
      // Without the declaration that the signed form was received: the form comes back with the error.
      await page.locator('#error-summary a[href="#f-signedFormReceived"]').waitFor();
      await shot(page, 'c-02-delegation-missing-declaration');
      await page.click('label[for="f-signedFormReceived"]');
      await page.click('form[method="post"][action$="/counter/delegations"] button[type="submit"]');
      await page.locator('[data-testid="delegation-status"]', { hasText: 'In attesa di accettazione' }).waitFor();
      await shot(page, 'c-03-delegation-registered');
      const id = await page.getAttribute('[data-testid="delegation-receipt"]', 'data-delegation');
      const { rows } = await stack.pool.query('SELECT status, source, office FROM delegations WHERE id = $1::uuid', [id]);
      expect(rows).toEqual([{ status: 'pending', source: 'office', office: 'Torino' }]);

      await page.goto(`${stack.baseUrl}/console/counter/fax-intake`);
      await page.fill('#f-codiceFiscale', holder.citizen.codiceFiscale);
      const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\n'), Buffer.alloc(512, 0x20), Buffer.from('\n%%EOF\n')]);
      await page.setInputFiles('#f-fax', { name: 'fax-ricevuto.pdf', mimeType: 'application/pdf', buffer: pdf });
      await page.click('form[action$="/counter/fax-intake"] button[type="submit"]');
      await page.locator('[data-testid="notice"]', { hasText: 'Fax allegato' }).waitFor();
      await shot(page, 'c-04-fax-attached');
      await Promise.all([page.waitForURL('**/console/review/*'), page.click('[data-testid="case-link"]')]);
      await shot(page, 'c-05-fax-case');
    } finally {
      await context.close();
    }
    const cases = await stack.pool.query('SELECT source FROM review_cases WHERE credential_id = $1::uuid', [holder.credentialId]);
    expect(cases.rows).toEqual([{ source: 'fax' }]);
  });
  it('(d) a clerk issues at the counter and the print page frames the sealed envelope, fetched once', async () => {
    const citizen = makeCitizen();
    const clerk = await createTestStaff(stack, 'clerk');
    const context = await browser.newContext({ locale: 'it-IT' });
    const page = await context.newPage();
    const envelopeResponses: { status: number; type: string | null; cache: string | null }[] = [];
    page.on('response', (r) => {
      if (/\/console\/counter\/envelope\/[^/]+\/pdf$/.test(new URL(r.url()).pathname)) {
        envelopeResponses.push({ status: r.status(), type: r.headers()['content-type'] ?? null, cache: r.headers()['cache-control'] ?? null });
      }
    });
    try {
      await logIn(page, clerk, 'd');
      await page.goto(`${stack.baseUrl}/console/counter`);
      const csrf = (await page.getAttribute('form[action$="/counter"] input[name="_csrf"]', 'value'))!;
      // The form posted as the page would (the same session and token), then the redirect followed in the page.
      const issued = await page.request.post(`${stack.baseUrl}/console/counter`, {
        maxRedirects: 0,
        form: {
          _csrf: csrf,
          codiceFiscale: citizen.codiceFiscale,
          surname: citizen.surname,
          name: citizen.name,
          birthDate: citizen.birthDate,
          sex: citizen.sex,
          birthProvince: citizen.birthProvince,
          birthMunicipality: citizen.birthMunicipality,
          'residence.abroad': citizen.residence.abroad ? 'yes' : 'no',
          'residence.country': citizen.residence.country,
          'residence.address': citizen.residence.address,
          'residence.city': citizen.residence.city,
          'residence.postalCode': citizen.residence.postalCode,
          mobile: citizen.mobile ?? '',
          email: citizen.email ?? '',
          preferredPhone: citizen.preferredPhone,
          preferredTimeSlot: citizen.preferredTimeSlot,
          office: 'Roma Eur',
          'identityDocument.type': 'passaporto_estero',
          'identityDocument.number': 'AAB123456',
          'identityDocument.issuer': 'República Argentina',
          'identityDocument.issuingCountry': 'AR',
          'identityDocument.issuedOn': '2021-04-01',
          'identityDocument.expiresOn': '2031-03-31',
        },
      });
      expect(issued.status()).toBe(303);
      await page.goto(`${stack.baseUrl}${issued.headers().location}`);
      await page.locator('[data-testid="envelope-frame"]').waitFor();
      await waitFor('the envelope served to the frame', async () => (envelopeResponses.some((r) => r.status === 200) ? true : undefined), 10_000);
      await page.waitForTimeout(2500);
      await shot(page, 'd-01-envelope-print-page');
      // One network answer with the PDF (the viewer's own read of that stream shows as a second
      // response without headers), none refused: the server handed the envelope over once.
      expect(envelopeResponses.filter((r) => r.type !== null)).toEqual([{ status: 200, type: 'application/pdf', cache: 'no-store, max-age=0' }]);
      expect(envelopeResponses.filter((r) => r.status !== 200)).toEqual([]);
      const served = await stack.pool.query(`SELECT 1 FROM audit_log WHERE action = 'console.counter.envelope_shown' AND actor = $1::text`, [`staff:${clerk.username}`]);
      expect(served.rowCount).toBe(1);
      // A reload shows the page without the envelope.
      await page.reload();
      await page.locator('[data-testid="envelope-served"]').waitFor();
      await shot(page, 'd-02-envelope-reloaded');
      await Promise.all([page.waitForURL((u) => u.pathname === '/console/counter'), page.click('[data-testid="envelope-close"]')]);
      await expect(page.textContent('[data-testid="notice"]')).resolves.toContain('Pagina della busta chiusa');
    } finally {
      await context.close();
    }
  });
});
