/**
 * The portal never tells a citizen that something failed when it may have happened. A second API
 * on the same servers gives its Temporal calls a 1 ms deadline (as `api/temporal-deadline.ts` does
 * with the configured one when the frontend is slow): every durable action's call then fails without
 * an answer, after its database write. Each page must say the work is received or under way — or
 * done, when the database already says so — and where to follow it; and the same action made again,
 * on a normal API, must be told "done" / "already done", never "refused" or "not found".
 *
 * Before: recovery confirm answered 503 and then 409 "cannot be recovered now" while the PIN had
 * been re-issued; a revocation made again after a lost answer was told "no active PIN"; the same
 * first access or new letter again was "wrong PIN" or "not available".
 */
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { italianCalendarDate } from '../../domain/calendar';
import { registerHealthCard } from '../../services/lifecycle/revocation';
import { reviewWorkflowId } from '../../workflows/review-definitions';
import { delegationWorkflowId } from '../../workflows/delegation-definitions';
import { Browser, csrfOf, type Page } from '../support/browser';
import { makeCitizen } from '../support/citizens';
import { activeCitizen, asWorker, requestAndCollect, waitFor, waitForView, type ActiveCitizen } from '../support/issuance';
import { caller, linkTokenFrom, mailTo } from '../support/lifecycle';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let slow: { baseUrl: string; close(): void };

beforeAll(async () => {
  stack = await startTestStack({ secondReviewSampleRate: 0 });
  // The same servers and database; every Temporal call a request makes gives up after 1 ms.
  slow = await stack.extraApi({ temporalTimeoutMs: 1 });
});
afterAll(async () => {
  slow?.close();
  await stack?.stop();
});

/** Words of a failure the pages must not say about work that may have been done. */
const FAILURE_TOLD = /Operazione non riuscita|non è stato possibile|non può essere ripristinato|non corrispond|non corretti|Delega non (revocata|registrata)|Domanda non (ritirata|presentata)|Recapiti non modificati|Richiesta non inviata|Servizio momentaneamente non disponibile/;

function expectNoFailureTold(page: Page): void {
  expect(page.body).not.toMatch(FAILURE_TOLD);
  expect(page.body).not.toMatch(/<title>Errore/);
  expect([200, 202, 303, 503]).toContain(page.status);
}

/** The same browser (cookies) pointed at another API of the stack. */
function sameBrowserOn(base: string, from?: Browser): Browser {
  const b = new Browser(base);
  for (const [k, v] of from?.cookies ?? []) b.cookies.set(k, v);
  return b;
}

async function loggedIn(opts: { dispositivo?: boolean } = {}): Promise<{ citizen: ActiveCitizen; browser: Browser }> {
  const citizen = await activeCitizen(stack, makeCitizen());
  await asWorker(stack, citizen.credentialId);
  if (opts.dispositivo) await stack.pool.query(`UPDATE credentials SET pin_type = 'dispositivo' WHERE id = $1::uuid`, [citizen.credentialId]);
  const browser = new Browser(stack.baseUrl);
  expect((await browser.submit('/portal/login', { codiceFiscale: citizen.citizen.codiceFiscale, pin: citizen.pin })).status).toBe(303);
  return { citizen, browser };
}

const inDays = (n: number) => italianCalendarDate(new Date(Date.now() + n * 86_400_000));

describe('recovery confirmed while Temporal answers too slowly', () => {
  it('is told "confirmed, under way" with what happens next, and the link pressed again "already confirmed"; one re-issue', async () => {
    const a = await activeCitizen(stack, makeCitizen());
    expect((await caller(stack)('POST', '/api/recovery/requests', { body: { codiceFiscale: a.citizen.codiceFiscale, email: a.citizen.email, pec: a.citizen.pec } })).status).toBe(202);
    const token = linkTokenFrom((await mailTo(stack, a.citizen.email!, /Conferma il ripristino/)).text);

    const onSlow = new Browser(slow.baseUrl);
    const page = await onSlow.get(`/portal/recovery/confirm?token=${token}`);
    const first = await onSlow.post('/portal/recovery/confirm', { _csrf: csrfOf(page.body), token });
    expectNoFailureTold(first);
    expect(first.body).toMatch(/id="recovery-done" data-status="(in_progress|confirmed)"/);
    expect(first.body).toContain('Cosa succede ora');
    expect(first.body).toContain('«Le mie richieste»');
    // The case this is about did happen: the re-issue's answer did not come in time.
    expect(stack.logLines.some((l) => l.includes('recovery re-issue not confirmed in time'))).toBe(true);

    // Pressed again on a portal whose Temporal answers: done now, or already — never refused.
    const onFast = new Browser(stack.baseUrl);
    const again = await onFast.post('/portal/recovery/confirm', { _csrf: csrfOf((await onFast.get(`/portal/recovery/confirm?token=${token}`)).body), token });
    expectNoFailureTold(again);
    expect(again.status).toBe(200);
    expect(again.body).toMatch(/data-status="(confirmed|already_confirmed)"/);
    const view = await waitForView(stack, a.credentialId, (v) => v.delivery === 'two_channel' && v.state === 'awaiting_first_access');
    expect(view.pinVersion).toBe(3);
    // Once more, after the re-issue: "already confirmed", with the way on.
    const third = await onFast.post('/portal/recovery/confirm', { _csrf: csrfOf((await onFast.get(`/portal/recovery/confirm?token=${token}`)).body), token });
    expect(third.status).toBe(200);
    expect(third.body).toContain('Ripristino già confermato');
    expect(third.body).toContain('data-status="already_confirmed"');
    expect(third.body).toContain('href="/portal/first-access"');
    const { rows } = await stack.pool.query(`SELECT 1 FROM credential_events WHERE credential_id = $1::uuid AND type = 'reissue_recovery'`, [a.credentialId]);
    expect(rows).toHaveLength(1);
  });
});

describe('revocation confirmed while Temporal answers too slowly', () => {
  it('is told "under way" (or done), never "no active PIN"; made again it is "already revoked"', async () => {
    const p = await activeCitizen(stack, makeCitizen());
    const card = { number: `80380${String(randomInt(1e9)).padStart(9, '0')}${String(randomInt(1e6)).padStart(6, '0')}`, expiresOn: '2031-03-31' };
    await registerHealthCard(stack.pool, stack.deps.keys.pepper, { codiceFiscale: p.citizen.codiceFiscale, ...card });
    const data = { codiceFiscale: p.citizen.codiceFiscale, healthCardNumber: card.number, healthCardExpiresOn: card.expiresOn, address: p.citizen.email! };
    const revokeOn = async (b: Browser): Promise<Page> => {
      const asked = await b.submit('/portal/revoke', data);
      expect(asked.body).toContain('Vuoi revocare il PIN?');
      const sealed = /name="revocation" value="([^"]+)"/.exec(asked.body)![1]!;
      return b.post('/portal/revoke/confirm', { _csrf: csrfOf(asked.body), revocation: sealed, confirmed: 'yes' });
    };

    const first = await revokeOn(new Browser(slow.baseUrl));
    expectNoFailureTold(first);
    expect(stack.logLines.some((l) => l.includes('holder revocation not confirmed in time'))).toBe(true);
    expect(first.body).toMatch(/id="revoked" data-status="(in_progress|revoked)"/);
    if (first.status === 202) {
      expect(first.body).toContain('Revoca in corso');
      expect(first.body).toContain('riceverai un avviso ai recapiti registrati');
    }

    // Made again on a portal whose Temporal answers: revoked now, or already.
    const again = await revokeOn(new Browser(stack.baseUrl));
    expectNoFailureTold(again);
    expect(again.status).toBe(200);
    expect(again.body).toMatch(/data-status="(revoked|already_revoked)"/);
    await waitFor('revoked', async () => ((await stack.pool.query<{ state: string }>('SELECT state FROM credentials WHERE id = $1::uuid', [p.credentialId])).rows[0]?.state === 'revoked' ? true : undefined));
    const third = await revokeOn(new Browser(stack.baseUrl));
    expect(third.status).toBe(200);
    expect(third.body).toContain('PIN già revocato');
    expect(third.body).toContain('data-status="already_revoked"');
    expect((await caller(stack)('POST', '/api/sessions', { body: { codiceFiscale: p.citizen.codiceFiscale, pin: p.pin } })).status).toBe(401);
  });
});

describe('new letter, first access and regeneration made again', () => {
  it('a new letter asked while Temporal answers too slowly is "requested"; asked again, "already requested"; one letter', async () => {
    const issued = await requestAndCollect(stack, makeCitizen());
    const form = { codiceFiscale: issued.citizen.codiceFiscale, firstHalf: issued.firstHalf };
    const first = await new Browser(slow.baseUrl).submit('/portal/letter', form);
    expectNoFailureTold(first);
    expect(first.status).toBe(200);
    expect(first.body).toContain('Nuova lettera richiesta');
    const again = await new Browser(stack.baseUrl).submit('/portal/letter', form);
    expectNoFailureTold(again);
    expect(again.status).toBe(200);
    await waitFor('the new letter', async () => ((await stack.pool.query(`SELECT 1 FROM letters WHERE credential_id = $1::uuid AND reason = 'resend'`, [issued.credentialId])).rowCount ? true : undefined));
    const third = await new Browser(stack.baseUrl).submit('/portal/letter', form);
    expect(third.status).toBe(200);
    expect(third.body).toContain('Nuova lettera già richiesta');
    expect(third.body).not.toContain('Nuova lettera non disponibile');
    const { rows } = await stack.pool.query(`SELECT 1 FROM letters WHERE credential_id = $1::uuid AND reason = 'resend'`, [issued.credentialId]);
    expect(rows).toHaveLength(1);
  });

  it('a first access while Temporal answers too slowly shows the PIN; made again once it works, "already made", nothing counted', async () => {
    const issued = await requestAndCollect(stack, makeCitizen());
    const form = { codiceFiscale: issued.citizen.codiceFiscale, pinFirst: issued.firstHalf, pinSecond: issued.secondHalf };
    const first = await new Browser(slow.baseUrl).submit('/portal/first-access', form);
    expectNoFailureTold(first);
    expect(first.status).toBe(200);
    let pin = /id="new-pin"><span>(\w{4})<\/span><span>(\w{4})<\/span>/.exec(first.body)!.slice(1).join('');
    // Whether or not the activation reached the workflow, the PIN shown ends up working (the
    // first access made again while it is not active shows the one that works).
    await waitFor('the shown PIN works', async () => {
      const login = await caller(stack)('POST', '/api/sessions', { body: { codiceFiscale: issued.citizen.codiceFiscale, pin } });
      if (login.status === 201) return true;
      const retry = await new Browser(stack.baseUrl).submit('/portal/first-access', form);
      const shown = /id="new-pin"><span>(\w{4})<\/span><span>(\w{4})<\/span>/.exec(retry.body);
      if (shown) pin = shown.slice(1).join('');
      return undefined;
    });
    const again = await new Browser(stack.baseUrl).submit('/portal/first-access', form);
    expect(again.status).toBe(200);
    expect(again.body).toContain('Primo accesso già fatto');
    expect(again.body).toContain('Il primo accesso con questo PIN è già stato fatto');
    expect(again.body).not.toMatch(FAILURE_TOLD);
    const { rows } = await stack.pool.query<{ consecutive_failures: number }>('SELECT consecutive_failures FROM credential_access WHERE credential_id = $1::uuid', [issued.credentialId]);
    expect(rows[0]!.consecutive_failures).toBe(0);
  });
});

describe('the holder’s own pages while Temporal answers too slowly', () => {
  it('a contact change is saved with its notices, and the same change sent again is "already done"', async () => {
    const h = await loggedIn();
    const onSlow = sameBrowserOn(slow.baseUrl, h.browser);
    const newEmail = `nuovo.${randomInt(1e9)}@example.org`;
    const change = { mobile: h.citizen.citizen.mobile!, email: newEmail, pec: h.citizen.citizen.pec!, preferredPhone: 'mobile', preferredTimeSlot: h.citizen.citizen.preferredTimeSlot };
    const saved = await onSlow.submit('/portal/contacts', change);
    expectNoFailureTold(saved);
    expect(saved.status).toBe(200);
    expect(saved.body).toContain('data-changed="yes"');
    // Its notices' workflow did start: the new address is told.
    await mailTo(stack, newEmail, /Nuovo recapito del PIN/);
    const again = await h.browser.submit('/portal/contacts', change);
    expect(again.status).toBe(200);
    expect(again.body).toContain('data-changed="no"');
    expect(again.body).toContain('Se li hai appena salvati, la modifica è già fatta');
  });

  it('a delegation given is registered, and the same form sent again is the same delegation, not a conflict', async () => {
    const giver = await loggedIn({ dispositivo: true });
    const delegate = await activeCitizen(stack, makeCitizen());
    const onSlow = sameBrowserOn(slow.baseUrl, giver.browser);
    const page = await onSlow.get('/portal/delegations');
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(page.body)![1]!;
    const form = { _csrf: csrfOf(page.body), idempotencyKey: key, delegateCodiceFiscale: delegate.citizen.codiceFiscale, scope: 'consult', endsOn: inDays(30) };
    const created = await onSlow.post('/portal/delegations', form);
    expectNoFailureTold(created);
    expect(created.location).toBe('/portal/delegations?done=created');
    const again = await giver.browser.post('/portal/delegations', form);
    expect(again.location).toBe('/portal/delegations?done=created');
    const { rows } = await stack.pool.query<{ id: string }>('SELECT id FROM delegations WHERE delegator_cf = $1::text', [giver.citizen.citizen.codiceFiscale]);
    expect(rows).toHaveLength(1);
    // Its workflow runs (the start asked again when its first answer was lost).
    await stack.client.workflow.getHandle(delegationWorkflowId(rows[0]!.id)).describe();

    // Revoked on the slow API: done, or "not confirmed yet" with where to see it — never "not revoked".
    const ask = await onSlow.get(`/portal/delegations/${rows[0]!.id}/revoke`);
    const revoked = await onSlow.post(`/portal/delegations/${rows[0]!.id}/revoke`, { _csrf: csrfOf(ask.body), confirmed: 'yes' });
    expectNoFailureTold(revoked);
    if (revoked.status !== 303) {
      expect(revoked.body).toContain('Esito non ancora confermato');
      expect(revoked.body).toContain('ricarica la pagina');
    }
    // Confirmed again on a normal API: revoked.
    const again2 = await giver.browser.post(`/portal/delegations/${rows[0]!.id}/revoke`, { _csrf: csrfOf(ask.body), confirmed: 'yes' });
    expect(again2.location).toBe('/portal/delegations?done=revoked');
    const { rows: after } = await stack.pool.query<{ status: string }>('SELECT status FROM delegations WHERE id = $1::uuid', [rows[0]!.id]);
    expect(after[0]!.status).toBe('revoked');
  });

  it('a claim is filed and withdrawn: never told "not done" for what was done', async () => {
    const c = await loggedIn();
    const onSlow = sameBrowserOn(slow.baseUrl, c.browser);
    const list = await onSlow.get('/portal/claims');
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(list.body)![1]!;
    const filed = await onSlow.post('/portal/claims', { _csrf: csrfOf(list.body), idempotencyKey: key, type: 'parental-leave', confirming: 'yes', declaration: 'yes' });
    expectNoFailureTold(filed);
    const claimId = /^\/portal\/claims\/([0-9a-f-]{36})\?filed=1$/.exec(filed.location ?? '')![1]!;

    const ask = await onSlow.get(`/portal/claims/${claimId}/withdraw`);
    expect(ask.body).toContain('Vuoi ritirare la domanda?');
    const first = await onSlow.post(`/portal/claims/${claimId}/withdraw`, { _csrf: csrfOf(ask.body), confirmed: 'yes' });
    expectNoFailureTold(first);
    if (first.status !== 303) expect(first.body).toContain('Esito non ancora confermato');
    // The withdrawal asked for on the slow API may still be under way (or may never have left):
    // the same action again (a refresh, a second click) is sent once it has settled, and is
    // answered as done either way, never as a failure.
    const status = async () => (await stack.pool.query<{ status: string }>('SELECT status FROM benefit_claims WHERE id = $1::uuid', [claimId])).rows[0]?.status;
    for (let i = 0; i < 40 && (await status()) !== 'withdrawn'; i++) await new Promise((r) => setTimeout(r, 250));
    const again = await c.browser.post(`/portal/claims/${claimId}/withdraw`, { _csrf: csrfOf(ask.body), confirmed: 'yes' });
    expect(again.location, `${again.status} ${again.body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').slice(0, 600)}`).toBe(`/portal/claims/${claimId}?withdrawn=1`);
    await waitFor('withdrawn', async () => ((await status()) === 'withdrawn' ? true : undefined));
  });

  it('a conversion request is received, said so with where to follow it, and its review opens without a second request', async () => {
    const c = await loggedIn();
    const onSlow = sameBrowserOn(slow.baseUrl, c.browser);
    const page = await onSlow.get('/portal/conversion');
    const pdf = Buffer.from(await (await fetch(`${stack.baseUrl}/portal/conversion/form`, { headers: { cookie: [...c.browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } })).arrayBuffer());
    const form = new FormData();
    form.append('_csrf', csrfOf(page.body));
    form.append('signedRequest', new File([pdf], 'modulo-firmato.pdf', { type: 'application/pdf' }));
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
    form.append('identityDocument', new File([png], 'documento.png', { type: 'image/png' }));
    const sent = await onSlow.postMultipart('/portal/conversion', form);
    expectNoFailureTold(sent);
    expect(sent.location).toBe('/portal/conversion?sent=1');
    expect(stack.logLines.some((l) => l.includes('conversion request not confirmed in time'))).toBe(true);
    const shown = await c.browser.follow(sent);
    expect(shown.body).toContain('Richiesta inviata');
    expect(shown.body).toContain('«Le mie richieste»');
    const { rows } = await stack.pool.query<{ id: string }>('SELECT id FROM review_cases WHERE credential_id = $1::uuid', [c.citizen.credentialId]);
    expect(rows).toHaveLength(1);
    // The workflow was asked again after the answer: the review opens.
    await waitFor('the review workflow', async () => ((await stack.client.workflow.getHandle(reviewWorkflowId(rows[0]!.id)).describe().catch(() => undefined)) ? true : undefined));
  });
});
