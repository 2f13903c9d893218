/**
 * Delegation on the real servers: a holder of a dispositivo PIN delegates a trusted person, both
 * are told; the delegate, logged in with their own PIN, consults and files claims for the
 * delegator within the scope, each action audited "delegate for delegator"; out of scope,
 * someone else's, revoked and expired delegations are refused.
 *
 * The delegator's PIN is made dispositivo (and given a worker's profile) by a database fixture:
 * the conversion itself is tested in its own files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { italianCalendarDate } from '../../domain/calendar';
import { delegationStateQuery, delegationWorkflowId } from '../../workflows/delegation-definitions';
import { makeCitizen } from '../support/citizens';
import { activeCitizen, waitFor, type ActiveCitizen } from '../support/issuance';
import { caller, mailTo, staffToken } from '../support/lifecycle';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let call: ReturnType<typeof caller>;
let delegator: ActiveCitizen;
let delegate: ActiveCitizen;
let other: ActiveCitizen;

const DAY = 86_400_000;
const inDays = (n: number) => italianCalendarDate(new Date(Date.now() + n * DAY));

beforeAll(async () => {
  stack = await startTestStack();
  call = caller(stack);
  [delegator, delegate, other] = [await activeCitizen(stack, makeCitizen()), await activeCitizen(stack, makeCitizen()), await activeCitizen(stack, makeCitizen())];
  await stack.pool.query(`UPDATE credentials SET pin_type = 'dispositivo', profile = '{"category": "employee", "scheme": "private"}'::jsonb WHERE id = $1::uuid`, [
    delegator.credentialId,
  ]);
});
afterAll(async () => {
  await stack?.stop();
});

const delegate$ = (by: ActiveCitizen, body: Record<string, unknown>) => call('POST', '/api/delegations', { token: by.token, body });

describe('delegation', () => {
  it('needs a dispositivo PIN and valid data', async () => {
    const ordinary = await delegate$(delegate, { delegateCodiceFiscale: other.citizen.codiceFiscale, scope: 'consult', endsOn: inDays(10) });
    expect(ordinary.status).toBe(403);
    expect(ordinary.body.error.details.reason).toBe('DISPOSITIVO_REQUIRED');
    expect((await call('POST', '/api/delegations', { body: { delegateCodiceFiscale: other.citizen.codiceFiscale, scope: 'consult', endsOn: inDays(10) } })).status).toBe(401);
    const self = await delegate$(delegator, { delegateCodiceFiscale: delegator.citizen.codiceFiscale, scope: 'consult', endsOn: inDays(10) });
    expect(self.status).toBe(400);
    expect(self.body.error.fields[0].code).toBe('self_delegation');
    const past = await delegate$(delegator, { delegateCodiceFiscale: other.citizen.codiceFiscale, scope: 'consult', endsOn: inDays(-1) });
    expect(past.status).toBe(400);
    const tooFar = await delegate$(delegator, { delegateCodiceFiscale: other.citizen.codiceFiscale, scope: 'consult', endsOn: inDays(400) });
    expect(tooFar.status).toBe(400);
    expect((await delegate$(delegator, { delegateCodiceFiscale: other.citizen.codiceFiscale, scope: 'everything', endsOn: inDays(10) })).status).toBe(400);
  });

  it('lets the delegate consult and file claims for the delegator, audited as delegate for delegator; the delegator revokes it', async () => {
    const created = await delegate$(delegator, { delegateCodiceFiscale: delegate.citizen.codiceFiscale.toLowerCase(), scope: 'consult_and_claims', endsOn: inDays(30) });
    expect(created.status).toBe(201);
    const id = created.body.delegationId as string;
    expect(created.body).toMatchObject({ delegatorCodiceFiscale: delegator.citizen.codiceFiscale, delegateCodiceFiscale: delegate.citizen.codiceFiscale, scope: 'consult_and_claims', status: 'active' });
    expect(Date.parse(created.body.endsAt)).toBeGreaterThan(Date.now() + 30 * DAY);
    // One active delegation per pair.
    expect((await delegate$(delegator, { delegateCodiceFiscale: delegate.citizen.codiceFiscale, scope: 'consult', endsOn: inDays(5) })).status).toBe(409);
    await mailTo(stack, delegator.citizen.email!, /Delega registrata/);
    await mailTo(stack, delegate.citizen.email!, /Ha ricevuto una delega/);

    const received = await call('GET', '/api/delegations/received', { token: delegate.token });
    expect(received.body.delegations.map((d: { delegationId: string }) => d.delegationId)).toContain(id);
    const given = await call('GET', '/api/delegations', { token: delegator.token });
    expect(given.body.delegations.map((d: { delegationId: string }) => d.delegationId)).toContain(id);

    const consulted = await call('GET', `/api/delegators/${id}/claims`, { token: delegate.token });
    expect(consulted.status).toBe(200);
    expect(consulted.body).toEqual({ delegationId: id, claims: [] });
    const filed = await call('POST', `/api/delegators/${id}/claims`, { token: delegate.token, body: { type: 'parental-leave' }, headers: { 'idempotency-key': 'delegate-claim-1' } });
    expect(filed.status).toBe(202);
    expect(filed.body).toMatchObject({ type: 'parental-leave', status: 'released', filedBy: `delegate:${delegate.credentialId}:delegation:${id}` });
    // A retry with the same key is the same claim.
    const retried = await call('POST', `/api/delegators/${id}/claims`, { token: delegate.token, body: { type: 'parental-leave' }, headers: { 'idempotency-key': 'delegate-claim-1' } });
    expect(retried.status).toBe(200);
    expect(retried.body.claimId).toBe(filed.body.claimId);
    // The claim is the delegator's, and it goes to processing (dispositivo PIN).
    const mine = await call('GET', '/api/claims', { token: delegator.token });
    expect(mine.body.claims).toEqual([expect.objectContaining({ claimId: filed.body.claimId, filedBy: `delegate:${delegate.credentialId}:delegation:${id}` })]);
    await waitFor('claim in processing', async () => {
      const { rows } = await stack.pool.query<{ status: string }>('SELECT status FROM benefit_claims WHERE id = $1::uuid', [filed.body.claimId]);
      return rows[0]?.status === 'in_processing' ? true : undefined;
    });
    const audit = await stack.pool.query<{ actor: string; action: string; subject: string; decision: string; detail: { delegationId: string } }>(
      `SELECT actor, action, subject, decision, detail FROM audit_log WHERE action IN ('delegate.consult_claims', 'delegate.file_claim') AND detail->>'delegationId' = $1::text ORDER BY id`,
      [id],
    );
    expect(audit.rows.map((a) => [a.action, a.decision, a.actor, a.subject])).toEqual([
      ['delegate.consult_claims', 'delegate_for_delegator', `delegate:${delegate.credentialId}`, delegator.credentialId],
      ['delegate.file_claim', 'delegate_for_delegator', `delegate:${delegate.credentialId}`, delegator.credentialId],
    ]);

    // Nobody else can use it, the delegator cannot use it on himself, and a claim type the delegator's profile lacks is refused.
    expect((await call('GET', `/api/delegators/${id}/claims`, { token: other.token })).status).toBe(404);
    expect((await call('GET', `/api/delegators/${id}/claims`, { token: delegator.token })).status).toBe(404);
    expect((await call('POST', `/api/delegators/${id}/claims`, { token: delegate.token, body: { type: 'pension-recalculation' } })).status).toBe(403);
    // Only the delegator revokes it as a citizen.
    expect((await call('POST', `/api/delegations/${id}/revoke`, { token: delegate.token })).status).toBe(404);

    const revoked = await call('POST', `/api/delegations/${id}/revoke`, { token: delegator.token });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('revoked');
    const refused = await call('GET', `/api/delegators/${id}/claims`, { token: delegate.token });
    expect(refused.status).toBe(403);
    expect(refused.body.error.details.reason).toBe('DELEGATION_REVOKED');
    expect((await call('POST', `/api/delegators/${id}/claims`, { token: delegate.token, body: { type: 'parental-leave' } })).status).toBe(403);
    expect((await call('POST', `/api/delegations/${id}/revoke`, { token: delegator.token })).status).toBe(409);
    await mailTo(stack, delegator.citizen.email!, /Delega terminata/);
    await mailTo(stack, delegate.citizen.email!, /Delega terminata/);
    const view = await stack.client.workflow.getHandle(delegationWorkflowId(id)).query(delegationStateQuery);
    expect(view.state).toBe('revoked');
  });

  it('refuses a claim when the scope is consult only', async () => {
    const created = await delegate$(delegator, { delegateCodiceFiscale: other.citizen.codiceFiscale, scope: 'consult', endsOn: inDays(3) });
    expect(created.status).toBe(201);
    const id = created.body.delegationId as string;
    expect((await call('GET', `/api/delegators/${id}/claims`, { token: other.token })).status).toBe(200);
    const outOfScope = await call('POST', `/api/delegators/${id}/claims`, { token: other.token, body: { type: 'parental-leave' } });
    expect(outOfScope.status).toBe(403);
    expect(outOfScope.body.error.details.reason).toBe('OUT_OF_SCOPE');
    const claims = await stack.pool.query(`SELECT 1 FROM benefit_claims WHERE filed_by LIKE $1::text`, [`%delegation:${id}`]);
    expect(claims.rowCount).toBe(0);
    const refusedAudit = await stack.pool.query<{ decision: string }>(`SELECT decision FROM audit_log WHERE action = 'delegate.file_claim' AND detail->>'delegationId' = $1::text`, [id]);
    expect(refusedAudit.rows.map((r) => r.decision)).toEqual(['refused']);

    // Past its end (the end time written as already passed, as the timer's test covers the wait): refused as expired.
    await stack.pool.query(`UPDATE delegations SET ends_at = now() - interval '1 second' WHERE id = $1::uuid`, [id]);
    const expired = await call('GET', `/api/delegators/${id}/claims`, { token: other.token });
    expect(expired.status).toBe(403);
    expect(expired.body.error.details.reason).toBe('DELEGATION_EXPIRED');
    const listed = await call('GET', '/api/delegations', { token: delegator.token });
    expect(listed.body.delegations.find((d: { delegationId: string }) => d.delegationId === id).status).toBe('expired');
  });

  it('can be revoked by a clerk', async () => {
    const created = await delegate$(delegator, { delegateCodiceFiscale: delegate.citizen.codiceFiscale, scope: 'consult', endsOn: inDays(60) });
    expect(created.status).toBe(201);
    const id = created.body.delegationId as string;
    const path = `/api/staff/delegations/${id}/revoke`;
    expect((await call('POST', path, { token: await staffToken(stack, 'operator') })).status).toBe(403);
    const byClerk = await call('POST', path, { token: await staffToken(stack, 'clerk'), body: { reason: 'requested at the office' } });
    expect(byClerk.status).toBe(200);
    expect(byClerk.body.status).toBe('revoked');
    const ended = await stack.pool.query<{ ended_by: string }>('SELECT ended_by FROM delegations WHERE id = $1::uuid', [id]);
    expect(ended.rows[0]!.ended_by).toMatch(/^clerk:/);
    expect((await call('GET', `/api/delegators/${id}/claims`, { token: delegate.token })).status).toBe(403);
  });
});
