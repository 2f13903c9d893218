/**
 * The portal's "Deleghe" page on the real servers, through HTML pages with a cookie jar: a holder
 * of a dispositivo PIN delegates a trusted person (errors on the form first); the delegate, with
 * an ordinary PIN, finds it pending on the same page, cannot use it until accepting it, accepts,
 * then gives it up; a second one is declined; a delegation registered at an office by a clerk is
 * accepted the same way. The delegate acts for the delegator on a page of its own: the
 * delegator's claims, and (within the scope) a claim filed for them through the check page and
 * the declaration; an ended delegation says so. Every post needs the page's CSRF token; someone
 * else's delegation is "not found". When Chromium is installed the page is also driven in a headless browser and
 * captured into test-artifacts/portal/.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { italianCalendarDate } from '../../domain/calendar';
import { Browser, csrfOf } from '../support/browser';
import { makeCitizen } from '../support/citizens';
import { activeCitizen, asWorker, type ActiveCitizen } from '../support/issuance';
import { caller, mailTo, staffToken } from '../support/lifecycle';
import { artifactsDir, hasChromium, launchChromium } from '../support/chromium';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const inDays = (n: number) => italianCalendarDate(new Date(Date.now() + n * 86_400_000));

interface PortalCitizen {
  citizen: ActiveCitizen;
  browser: Browser;
}

/** A citizen logged in through the portal's login page; `dispositivo` makes their PIN one (a database fixture). */
async function loggedIn(opts: { dispositivo?: boolean } = {}): Promise<PortalCitizen> {
  const citizen = await activeCitizen(stack, makeCitizen());
  await asWorker(stack, citizen.credentialId);
  if (opts.dispositivo) await stack.pool.query(`UPDATE credentials SET pin_type = 'dispositivo' WHERE id = $1::uuid`, [citizen.credentialId]);
  const browser = new Browser(stack.baseUrl);
  const login = await browser.submit('/portal/login', { codiceFiscale: citizen.citizen.codiceFiscale, pin: citizen.pin });
  expect(login.status, login.body.slice(0, 300)).toBe(303);
  return { citizen, browser };
}

const statusOf = (body: string, id: string) => new RegExp(`id="delegation-${id}" data-status="([a-z]+)"`).exec(body)?.[1];
const idsIn = (body: string) => [...body.matchAll(/id="delegation-([0-9a-f-]{36})"/g)].map((m) => m[1]!);

describe('portal: Deleghe', () => {
  it('a dispositivo holder delegates a trusted person; the delegate accepts on the page, uses it, and revokes it; a second one is declined', async () => {
    const delegator = await loggedIn({ dispositivo: true });
    const delegate = await loggedIn();

    const home = await delegator.browser.get('/portal/home');
    expect(home.body).toContain('id="link-delegations"');
    expect(home.body).toContain('href="/portal/delegations"');
    const page = await delegator.browser.get('/portal/delegations');
    expect(page.status).toBe(200);
    expect(page.body).toContain('persona di fiducia');
    expect(page.body).toContain('id="delegation-form"');
    expect(page.body).toContain('id="given-none"');

    // Errors on the form, nothing stored.
    const self = await delegator.browser.submit('/portal/delegations', { delegateCodiceFiscale: delegator.citizen.citizen.codiceFiscale, scope: 'consult', endsOn: inDays(400) });
    expect(self.status).toBe(400);
    expect(self.body).toContain('id="error-summary"');
    expect(self.body).toContain('href="#f-delegateCodiceFiscale"');
    expect(self.body).toContain('href="#f-endsOn"');
    const noScope = await delegator.browser.submit('/portal/delegations', { delegateCodiceFiscale: delegate.citizen.citizen.codiceFiscale, endsOn: inDays(30) });
    expect(noScope.status).toBe(400);
    expect(noScope.body).toContain('href="#f-scope"');
    expect((await stack.pool.query('SELECT 1 FROM delegations WHERE delegator_cf = $1::text', [delegator.citizen.citizen.codiceFiscale])).rowCount).toBe(0);
    // Without the page's token: refused.
    expect((await delegator.browser.post('/portal/delegations', { delegateCodiceFiscale: delegate.citizen.citizen.codiceFiscale, scope: 'consult', endsOn: inDays(30) })).status).toBe(403);

    const given = await delegator.browser.submit('/portal/delegations', { delegateCodiceFiscale: delegate.citizen.citizen.codiceFiscale, scope: 'consult_and_claims', endsOn: inDays(30) });
    expect(given.status).toBe(303);
    expect(given.location).toBe('/portal/delegations?done=created');
    const after = await delegator.browser.follow(given);
    expect(after.body).toContain('Delega registrata');
    const [id] = idsIn(after.body);
    expect(statusOf(after.body, id!)).toBe('pending');
    expect(after.body).toContain(`id="revoke-${id}"`);

    // The delegate (ordinary PIN): no form to delegate online, the received one pending with its buttons.
    const received = await delegate.browser.get('/portal/delegations');
    expect(received.body).toContain('id="dispositivo-needed"');
    expect(statusOf(received.body, id!)).toBe('pending');
    expect(received.body).toContain(`id="accept-${id}"`);
    expect(received.body).toContain(`id="decline-${id}"`);
    const api = caller(stack);
    expect((await api('GET', `/api/delegators/${id}/claims`, { token: delegate.citizen.token })).body.error.details.reason).toBe('DELEGATION_PENDING');
    // Not the delegator's to accept; not without the token.
    const byDelegator = await delegator.browser.post(`/portal/delegations/${id}/accept`, { _csrf: csrfOf(after.body) });
    expect(byDelegator.status).toBe(404);
    expect(byDelegator.body).toContain('Delega non trovata');
    expect((await delegate.browser.post(`/portal/delegations/${id}/accept`, {})).status).toBe(403);

    const accepted = await delegate.browser.post(`/portal/delegations/${id}/accept`, { _csrf: csrfOf(received.body) });
    expect(accepted.status).toBe(303);
    const acceptedPage = await delegate.browser.follow(accepted);
    expect(acceptedPage.body).toContain('Delega accettata');
    expect(statusOf(acceptedPage.body, id!)).toBe('active');
    expect((await api('GET', `/api/delegators/${id}/claims`, { token: delegate.citizen.token })).status).toBe(200);
    await mailTo(stack, delegator.citizen.citizen.email!, /Delega accettata/);
    // Accepting twice (a second press, an answer lost): told as accepted, nothing changes.
    const twice = await delegate.browser.post(`/portal/delegations/${id}/accept`, { _csrf: csrfOf(received.body) });
    expect(twice.status).toBe(303);
    expect((await delegate.browser.follow(twice)).body).toContain('Delega accettata');

    // Revoking is final: the button opens a page that says what follows; only its confirmation revokes.
    expect(acceptedPage.body).toContain(`href="/portal/delegations/${id}/revoke" id="revoke-${id}"`);
    const ask = await delegate.browser.get(`/portal/delegations/${id}/revoke`);
    expect(ask.status).toBe(200);
    expect(ask.body).toContain('Vuoi revocare la delega?');
    expect(ask.body).toContain('non potrai più operare per conto di questa persona');
    const unconfirmed = await delegate.browser.post(`/portal/delegations/${id}/revoke`, { _csrf: csrfOf(ask.body) });
    expect(unconfirmed.location).toBe(`/portal/delegations/${id}/revoke`);
    expect(statusOf((await delegate.browser.get('/portal/delegations')).body, id!)).toBe('active');
    const revoked = await delegate.browser.post(`/portal/delegations/${id}/revoke`, { _csrf: csrfOf(ask.body), confirmed: 'yes' });
    expect(revoked.status).toBe(303);
    expect(statusOf((await delegate.browser.follow(revoked)).body, id!)).toBe('revoked');
    // Confirmed again: told as revoked, not "not revoked".
    const revokedTwice = await delegate.browser.post(`/portal/delegations/${id}/revoke`, { _csrf: csrfOf(ask.body), confirmed: 'yes' });
    expect(revokedTwice.location).toBe('/portal/delegations?done=revoked');
    // The page of an ended delegation leads back to the list.
    expect((await delegate.browser.get(`/portal/delegations/${id}/revoke`)).location).toBe('/portal/delegations');
    expect(statusOf((await delegator.browser.get('/portal/delegations')).body, id!)).toBe('revoked');

    // A second one, declined.
    const again = await delegator.browser.submit('/portal/delegations', { delegateCodiceFiscale: delegate.citizen.citizen.codiceFiscale, scope: 'consult', endsOn: inDays(10) });
    expect(again.status).toBe(303);
    const second = idsIn((await delegate.browser.get('/portal/delegations')).body).find((x) => x !== id)!;
    const declinePage = await delegate.browser.get('/portal/delegations?lang=en');
    expect(declinePage.body).toContain('Delegations received');
    expect(declinePage.body).toContain('Awaiting acceptance');
    const askDecline = await delegate.browser.get(`/portal/delegations/${second}/decline?lang=en`);
    expect(askDecline.body).toContain('Do you want to decline the delegation?');
    const declined = await delegate.browser.post(`/portal/delegations/${second}/decline`, { _csrf: csrfOf(askDecline.body), confirmed: 'yes' });
    expect(declined.status).toBe(303);
    const declinedPage = await delegate.browser.follow(declined);
    expect(declinedPage.body).toContain('Delegation declined');
    expect(statusOf(declinedPage.body, second)).toBe('declined');
  });

  it('a delegation registered at an office is accepted on the same page; a first-half session cannot manage delegations', async () => {
    const delegate = await loggedIn();
    const { codiceFiscale: delegatorCf } = makeCitizen();
    const clerk = await staffToken(stack, 'clerk');
    const registered = await caller(stack)('POST', '/api/staff/delegations', {
      token: clerk,
      body: {
        delegatorCodiceFiscale: delegatorCf,
        delegateCodiceFiscale: delegate.citizen.citizen.codiceFiscale,
        scope: 'consult',
        endsOn: inDays(90),
        office: 'Napoli',
        delegatorDocument: { type: 'cie', number: 'CA12345AB', issuer: 'Comune di Napoli', issuedOn: '2022-05-10', expiresOn: '2032-05-09' },
        signedFormReceived: true,
      },
    });
    expect(registered.status).toBe(201);
    const id = registered.body.delegationId as string;
    const page = await delegate.browser.get('/portal/delegations');
    expect(statusOf(page.body, id)).toBe('pending');
    expect(page.body).toContain('presso una sede INPS');
    expect(page.body).toContain(delegatorCf);
    const accepted = await delegate.browser.post(`/portal/delegations/${id}/accept`, { _csrf: csrfOf(page.body) });
    expect(accepted.status).toBe(303);
    expect(statusOf((await delegate.browser.follow(accepted)).body, id)).toBe('active');
    const { rows } = await stack.pool.query<{ status: string; accepted_by: string }>('SELECT status, accepted_by FROM delegations WHERE id = $1::uuid', [id]);
    expect(rows[0]).toEqual({ status: 'active', accepted_by: delegate.citizen.credentialId });

    // Not logged in: to the login page.
    const anonymous = await new Browser(stack.baseUrl).get('/portal/delegations');
    expect(anonymous.status).toBe(303);
    expect(anonymous.location).toBe('/portal/login');
  });
});

/** The page's CSRF token as its cookie holds it (a page without a form has no field to read it from). */
const csrfCookie = (browser: Browser): string => [...browser.cookies].find(([name]) => /csrf/i.test(name))![1];

describe('portal: acting for the delegator', () => {
  /** A delegation from a dispositivo holder (a worker) to `delegate`, accepted through the API (the page flow is tested above). */
  async function accepted(delegator: PortalCitizen, delegate: PortalCitizen, scope: 'consult' | 'consult_and_claims'): Promise<string> {
    const api = caller(stack);
    // A worker's profile, for the claims on offer (a database fixture, as in delegation.test.ts).
    await stack.pool.query(`UPDATE credentials SET profile = '{"category": "employee", "scheme": "private"}'::jsonb WHERE id = $1::uuid`, [delegator.citizen.credentialId]);
    const given = await api('POST', '/api/delegations', { token: delegator.citizen.token, body: { delegateCodiceFiscale: delegate.citizen.citizen.codiceFiscale, scope, endsOn: inDays(30) } });
    expect(given.status, given.text).toBe(201);
    const id = given.body.delegationId as string;
    expect((await api('POST', `/api/delegations/${id}/accept`, { token: delegate.citizen.token })).status).toBe(200);
    return id;
  }

  it('the delegate opens "Opera per conto di …" from the Deleghe page, sees the claims and files one for the delegator through the check page and the declaration', async () => {
    const delegator = await loggedIn({ dispositivo: true });
    const delegate = await loggedIn();
    const who = `${delegator.citizen.citizen.name} ${delegator.citizen.citizen.surname}`;
    const id = await accepted(delegator, delegate, 'consult_and_claims');
    // One claim of the delegator's own, to be listed.
    const own = await caller(stack)('POST', '/api/claims', { token: delegator.citizen.token, body: { type: 'pension-claim' } });
    expect(own.status, own.text).toBe(202);

    const list = await delegate.browser.get('/portal/delegations');
    expect(list.body).toContain(`href="/portal/delegations/${id}/claims" id="act-${id}"`);
    // The delegator's side of the same delegation has no such link.
    expect((await delegator.browser.get('/portal/delegations')).body).not.toContain(`id="act-${id}"`);

    const page = await delegate.browser.get(`/portal/delegations/${id}/claims`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`Opera per conto di ${who}`);
    expect(page.body).toContain(own.body.protocol);
    expect(page.body).toContain('id="claim-form"');
    expect(page.body).toContain('Consultazione e presentazione di domande');
    const consulted = await stack.pool.query(`SELECT 1 FROM audit_log WHERE action = 'delegate.consult_claims' AND decision = 'delegate_for_delegator' AND actor = $1::text`, [`delegate:${delegate.citizen.credentialId}`]);
    expect(consulted.rowCount).toBeGreaterThan(0);
    const en = await delegate.browser.get(`/portal/delegations/${id}/claims?lang=en`);
    expect(en.body).toContain(`Act for ${who}`);
    expect(en.body).toContain('The delegator’s claims');
    await delegate.browser.get(`/portal/delegations/${id}/claims?lang=it`);

    // Errors on the form; without the page's token: refused.
    const empty = await delegate.browser.post(`/portal/delegations/${id}/claims`, { _csrf: csrfOf(page.body) });
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('href="#f-type"');
    const unknown = await delegate.browser.post(`/portal/delegations/${id}/claims`, { _csrf: csrfOf(page.body), type: 'no-such-claim' });
    expect(unknown.status).toBe(403);
    expect(unknown.body).toContain('non è disponibile per il PIN o il profilo del delegante');
    expect((await delegate.browser.post(`/portal/delegations/${id}/claims`, { type: 'parental-leave' })).status).toBe(403);

    // Check your answers, then the declaration: only then is it filed.
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(page.body)![1]!;
    const check = await delegate.browser.post(`/portal/delegations/${id}/claims`, { _csrf: csrfOf(page.body), type: 'parental-leave', idempotencyKey: key });
    expect(check.status).toBe(200);
    expect(check.body).toContain('Controlla e presenta la domanda');
    expect(check.body).toContain(`Per conto di`);
    expect(check.body).toContain(who);
    expect(check.body).toContain(`action="/portal/delegations/${id}/claims"`);
    const noDeclaration = await delegate.browser.post(`/portal/delegations/${id}/claims`, { _csrf: csrfOf(check.body), type: 'parental-leave', idempotencyKey: key, confirming: 'yes' });
    expect(noDeclaration.status).toBe(400);
    expect(noDeclaration.body).toContain('href="#f-declaration"');
    expect((await stack.pool.query(`SELECT 1 FROM benefit_claims WHERE credential_id = $1::uuid AND claim_type = 'parental-leave'`, [delegator.citizen.credentialId])).rowCount).toBe(0);
    const confirm = { _csrf: csrfOf(check.body), type: 'parental-leave', idempotencyKey: key, confirming: 'yes', declaration: 'yes' };
    const filed = await delegate.browser.post(`/portal/delegations/${id}/claims`, confirm);
    expect(filed.status).toBe(303);
    expect(filed.location).toMatch(new RegExp(`^/portal/delegations/${id}/claims\\?filed=[0-9a-f-]{36}$`));
    const done = await delegate.browser.follow(filed);
    expect(done.body).toContain('Domanda presentata');
    expect(done.body).toContain(`per conto di ${who}`);
    // Sent twice (a double press): one claim.
    expect((await delegate.browser.post(`/portal/delegations/${id}/claims`, confirm)).status).toBe(303);
    const { rows } = await stack.pool.query<{ filed_by: string }>(`SELECT filed_by FROM benefit_claims WHERE credential_id = $1::uuid AND claim_type = 'parental-leave'`, [delegator.citizen.credentialId]);
    expect(rows).toEqual([{ filed_by: `delegate:${delegate.citizen.credentialId}:delegation:${id}` }]);
    const audited = await stack.pool.query(`SELECT 1 FROM audit_log WHERE action = 'delegate.file_claim' AND decision = 'delegate_for_delegator' AND actor = $1::text`, [`delegate:${delegate.citizen.credentialId}`]);
    expect(audited.rowCount).toBe(1);

    // Someone else's, the delegator's own id, a made-up one: not found.
    const stranger = await loggedIn();
    expect((await stranger.browser.get(`/portal/delegations/${id}/claims`)).status).toBe(404);
    expect((await delegator.browser.get(`/portal/delegations/${id}/claims`)).status).toBe(404);
    expect((await delegate.browser.get('/portal/delegations/not-an-id/claims')).status).toBe(404);
    await stranger.browser.get('/portal/delegations');
    const strangerPost = await stranger.browser.post(`/portal/delegations/${id}/claims`, { _csrf: csrfCookie(stranger.browser), type: 'parental-leave' });
    expect(strangerPost.status).toBe(404);
    expect(strangerPost.body).not.toContain(own.body.protocol);

    // Revoked by the delegator: the page says so and shows nothing of theirs.
    expect((await caller(stack)('POST', `/api/delegations/${id}/revoke`, { token: delegator.citizen.token })).status).toBe(200);
    const ended = await delegate.browser.get(`/portal/delegations/${id}/claims`);
    expect(ended.status).toBe(200);
    expect(ended.body).toContain('id="unusable"');
    expect(ended.body).toContain('è stata revocata');
    expect(ended.body).not.toContain(own.body.protocol);
    expect(ended.body).not.toContain('id="claim-form"');
    expect((await delegate.browser.get('/portal/delegations')).body).not.toContain(`id="act-${id}"`);
  });

  it('a consult-only delegation shows the claims and offers no filing; a pending one is not found', async () => {
    const delegator = await loggedIn({ dispositivo: true });
    const delegate = await loggedIn();
    const id = await accepted(delegator, delegate, 'consult');
    const page = await delegate.browser.get(`/portal/delegations/${id}/claims`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('id="consult-only"');
    expect(page.body).not.toContain('id="claim-form"');
    expect(page.body).toContain('id="no-claims"');
    // Posted anyway: refused on the page, nothing filed.
    const forced = await delegate.browser.post(`/portal/delegations/${id}/claims`, { _csrf: csrfCookie(delegate.browser), type: 'parental-leave', declaration: 'yes' });
    expect(forced.status).toBe(403);
    expect(forced.body).toContain('solo la consultazione');
    expect((await stack.pool.query('SELECT 1 FROM benefit_claims WHERE credential_id = $1::uuid', [delegator.citizen.credentialId])).rowCount).toBe(0);

    const pending = await caller(stack)('POST', '/api/delegations', { token: (await loggedIn({ dispositivo: true })).citizen.token, body: { delegateCodiceFiscale: delegate.citizen.citizen.codiceFiscale, scope: 'consult_and_claims', endsOn: inDays(30) } });
    expect(pending.status).toBe(201);
    expect((await delegate.browser.get(`/portal/delegations/${pending.body.delegationId}/claims`)).status).toBe(404);
  });
});

describe.skipIf(!hasChromium)('the Deleghe page in headless Chromium', () => {
  it('gives a delegation, and the delegate accepts it by pressing the button', async () => {
    const ARTIFACTS = artifactsDir('portal');
    const delegator = await activeCitizen(stack, makeCitizen());
    await stack.pool.query(`UPDATE credentials SET pin_type = 'dispositivo' WHERE id = $1::uuid`, [delegator.credentialId]);
    const delegate = await activeCitizen(stack, makeCitizen());
    const browser = await launchChromium();
    try {
      const logIn = async (c: ActiveCitizen) => {
        const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
        const page = await context.newPage();
        await page.goto(`${stack.baseUrl}/portal/login`);
        await page.fill('#f-codiceFiscale', c.citizen.codiceFiscale);
        await page.fill('#f-pin', c.pin);
        await page.click('button[type=submit]');
        await page.waitForURL('**/portal/home');
        return page;
      };
      const shot = (page: Awaited<ReturnType<typeof logIn>>, name: string) => page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });

      const giver = await logIn(delegator);
      await giver.click('#link-delegations a');
      await giver.waitForURL('**/portal/delegations');
      await giver.fill('#f-delegateCodiceFiscale', delegate.citizen.codiceFiscale);
      // bootstrap-italia draws its own radio: the label is what a person clicks.
      await giver.click('label[for="f-scope-consult"]');
      await giver.fill('#f-endsOn', inDays(20));
      await giver.click('#delegation-form button[type=submit]');
      await giver.waitForURL('**/portal/delegations?done=created');
      await shot(giver, 'delegations-given.png');

      const taker = await logIn(delegate);
      await taker.goto(`${stack.baseUrl}/portal/delegations`);
      await shot(taker, 'delegations-received-pending.png');
      await taker.click('button[id^="accept-"]');
      await taker.waitForURL('**/portal/delegations?done=accepted');
      expect(await taker.locator('#received-list li').getAttribute('data-status')).toBe('active');
      await shot(taker, 'delegations-received-accepted.png');

      // The consult-only delegation's page: the delegator's claims, no filing.
      await taker.click('a[id^="act-"]');
      await taker.waitForURL('**/portal/delegations/*/claims');
      expect(await taker.locator('h1').textContent()).toBe(`Opera per conto di ${delegator.citizen.name} ${delegator.citizen.surname}`);
      expect(await taker.locator('#consult-only').count()).toBe(1);
      await shot(taker, 'delegations-acting.png');
    } finally {
      await browser.close();
    }
  });
});
