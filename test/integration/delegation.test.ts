/**
 * Delegation on the real servers: a holder of a dispositivo PIN delegates a trusted person online,
 * or a clerk registers a delegation handed in at an office (the delegator needs no PIN); both are
 * told; the delegation is pending until the delegate, logged in with their own PIN, accepts it
 * (or declines it; unanswered it lapses); then the delegate consults and files claims for the
 * delegator within the scope, each action audited "delegate for delegator"; out of scope,
 * someone else's, pending, revoked and expired delegations are refused. Either party and a clerk
 * may revoke it.
 *
 * The delegator's PIN is made dispositivo (and given a worker's profile) by a database fixture:
 * the conversion itself is tested in its own files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { italianCalendarDate } from '../../domain/calendar';
import { formatDateLong } from '../../forms/layout';
import { pdfText } from '../support/pdf';
import { acceptDelegationUpdate, delegationStateQuery, delegationWorkflowId } from '../../workflows/delegation-definitions';
import { makeCitizen } from '../support/citizens';
import { activeCitizen, asWorker, waitFor, type ActiveCitizen } from '../support/issuance';
import { caller, mailTo, mailsMatching, staffToken } from '../support/lifecycle';
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
/** The delegate accepts a pending delegation. */
async function accept(by: ActiveCitizen, id: string) {
  const accepted = await call('POST', `/api/delegations/${id}/accept`, { token: by.token });
  expect(accepted.status).toBe(200);
  expect(accepted.body.status).toBe('active');
  return accepted;
}

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
    expect(created.body).toMatchObject({
      delegatorCodiceFiscale: delegator.citizen.codiceFiscale,
      delegateCodiceFiscale: delegate.citizen.codiceFiscale,
      scope: 'consult_and_claims',
      status: 'pending',
      source: 'online',
    });
    expect(Date.parse(created.body.endsAt)).toBeGreaterThan(Date.now() + 30 * DAY);
    // Accepted within 30 days at most, never past its end.
    expect(Date.parse(created.body.acceptBy)).toBeGreaterThan(Date.now() + 29 * DAY);
    expect(Date.parse(created.body.acceptBy)).toBeLessThanOrEqual(Date.now() + 30 * DAY);
    // One live (pending or active) delegation per pair.
    expect((await delegate$(delegator, { delegateCodiceFiscale: delegate.citizen.codiceFiscale, scope: 'consult', endsOn: inDays(5) })).status).toBe(409);
    await mailTo(stack, delegator.citizen.email!, /in attesa di accettazione/);
    await mailTo(stack, delegate.citizen.email!, /Delega da accettare/);

    // Pending: the delegate cannot use it yet (the refusal audited), the delegator cannot accept it.
    const early = await call('GET', `/api/delegators/${id}/claims`, { token: delegate.token });
    expect(early.status).toBe(403);
    expect(early.body.error.details.reason).toBe('DELEGATION_PENDING');
    expect(early.body.error.message.en).toMatch(/not been accepted/);
    expect((await call('POST', `/api/delegations/${id}/accept`, { token: delegator.token })).status).toBe(404);
    expect((await call('POST', `/api/delegations/${id}/accept`, { token: other.token })).status).toBe(404);
    expect((await call('POST', `/api/delegations/${id}/accept`)).status).toBe(401);
    const accepted = await accept(delegate, id);
    expect(Date.parse(accepted.body.acceptedAt)).toBeLessThanOrEqual(Date.now());
    expect((await call('POST', `/api/delegations/${id}/accept`, { token: delegate.token })).status).toBe(409);
    expect((await call('POST', `/api/delegations/${id}/decline`, { token: delegate.token })).status).toBe(409);
    await mailTo(stack, delegator.citizen.email!, /Delega accettata/);
    await mailTo(stack, delegate.citizen.email!, /Delega accettata/);

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
    // The claimant is told the claim was received, once, and that their delegate filed it; the delegate is not.
    const protocol = filed.body.protocol as string;
    const receivedMail = await waitFor('the claim-received mail', async () =>
      (await stack.mails({ to: delegator.citizen.email! })).find((m) => m.headers['x-purpose'] === 'claim-received' && m.subject.includes(protocol)),
    );
    expect(receivedMail.text).toContain('presentata per te dal tuo delegato');
    expect((await stack.mails({ to: delegator.citizen.email! })).filter((m) => m.headers['x-purpose'] === 'claim-received')).toHaveLength(1);
    expect((await stack.mails({ to: delegate.citizen.email! })).filter((m) => m.subject.includes(protocol))).toEqual([]);
    const audit = await stack.pool.query<{ actor: string; action: string; subject: string; decision: string; detail: { delegationId: string } }>(
      `SELECT actor, action, subject, decision, detail FROM audit_log WHERE action IN ('delegate.consult_claims', 'delegate.file_claim') AND detail->>'delegationId' = $1::text ORDER BY id`,
      [id],
    );
    expect(audit.rows.map((a) => [a.action, a.decision, a.actor, a.subject])).toEqual([
      ['delegate.consult_claims', 'refused', `delegate:${delegate.credentialId}`, delegator.credentialId],
      ['delegate.consult_claims', 'delegate_for_delegator', `delegate:${delegate.credentialId}`, delegator.credentialId],
      ['delegate.file_claim', 'delegate_for_delegator', `delegate:${delegate.credentialId}`, delegator.credentialId],
    ]);

    // Nobody else can use it, the delegator cannot use it on himself, and a claim type the delegator's profile lacks is refused.
    expect((await call('GET', `/api/delegators/${id}/claims`, { token: other.token })).status).toBe(404);
    expect((await call('GET', `/api/delegators/${id}/claims`, { token: delegator.token })).status).toBe(404);
    expect((await call('POST', `/api/delegators/${id}/claims`, { token: delegate.token, body: { type: 'pension-recalculation' } })).status).toBe(403);
    // Only its two parties revoke it as citizens.
    expect((await call('POST', `/api/delegations/${id}/revoke`, { token: other.token })).status).toBe(404);

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
    // Three days to its end: it must be accepted by then.
    expect(created.body.acceptBy).toBe(created.body.endsAt);
    await accept(other, id);
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
    await accept(delegate, id);
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

describe('a pending delegation whose delegator’s PIN is revoked', () => {
  it('ends with the revocation, before anyone accepted it', async () => {
    const giver = await activeCitizen(stack, makeCitizen());
    await stack.pool.query(`UPDATE credentials SET pin_type = 'dispositivo' WHERE id = $1::uuid`, [giver.credentialId]);
    const created = await delegate$(giver, { delegateCodiceFiscale: other.citizen.codiceFiscale, scope: 'consult', endsOn: inDays(20) });
    expect(created.body.status).toBe('pending');
    const id = created.body.delegationId as string;
    const operator = await staffToken(stack, 'operator');
    expect(
      (await call('POST', `/api/contact-centre/credentials/${giver.credentialId}/revoke`, { token: operator, body: { verification: { method: 'identity_questions', note: 'caller verified by questions' } } })).status,
    ).toBe(200);
    await waitFor('the pending delegation ended', async () => {
      const { rows } = await stack.pool.query<{ status: string; ended_by: string }>('SELECT status, ended_by FROM delegations WHERE id = $1::uuid', [id]);
      return rows[0]?.status === 'revoked' ? rows[0] : undefined;
    });
    expect((await call('POST', `/api/delegations/${id}/accept`, { token: other.token })).status).toBe(409);
  });
});

const DOCUMENT = { type: 'carta_identita', number: 'AY1234567', issuer: 'Comune di Roma', issuedOn: '2020-01-15', expiresOn: '2030-01-14' };
const FOREIGN_PASSPORT = { type: 'passaporto_estero', number: 'AAA123456', issuer: 'Ministerio del Interior', issuingCountry: 'AR', issuedOn: '2021-03-02', expiresOn: '2031-03-01' };

describe('delegation registered at an INPS office', () => {
  let clerk: string;
  const officeBody = (delegatorCf: string, delegateCf: string, overrides: Record<string, unknown> = {}) => ({
    delegatorCodiceFiscale: delegatorCf,
    delegateCodiceFiscale: delegateCf,
    scope: 'consult_and_claims',
    endsOn: inDays(90),
    office: 'Roma Eur',
    delegatorDocument: DOCUMENT,
    delegateDocument: FOREIGN_PASSPORT,
    signedFormReceived: true,
    ...overrides,
  });
  const register = (body: unknown, opts: { token?: string; key?: string } = {}) =>
    call('POST', '/api/staff/delegations', { token: opts.token ?? clerk, body, ...(opts.key ? { headers: { 'idempotency-key': opts.key } } : {}) });
  const rowsFor = async (delegatorCf: string) => (await stack.pool.query('SELECT id FROM delegations WHERE delegator_cf = $1::text', [delegatorCf])).rowCount;

  beforeAll(async () => {
    clerk = await staffToken(stack, 'clerk');
  });

  it('refuses the wrong people and bad input with a structured answer, changing nothing', async () => {
    const person = makeCitizen();
    const body = officeBody(person.codiceFiscale, delegate.citizen.codiceFiscale);
    expect((await call('POST', '/api/staff/delegations', { body })).status).toBe(401);
    expect((await register(body, { token: await staffToken(stack, 'operator') })).status).toBe(403);
    expect((await register(body, { token: await staffToken(stack, 'operations') })).status).toBe(403);
    const citizenCall = await call('POST', '/api/staff/delegations', { token: delegate.token, body });
    expect(citizenCall.status).toBe(403);

    const bad = await register(
      officeBody(person.codiceFiscale.slice(0, 15) + '!', person.codiceFiscale, {
        endsOn: inDays(400),
        delegatorDocument: { ...DOCUMENT, expiresOn: '2025-01-01' },
        delegateDocument: { ...FOREIGN_PASSPORT, issuingCountry: undefined },
      }),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.type).toBe('VALIDATION');
    expect(bad.body.error.message).toEqual({ it: expect.any(String), en: expect.any(String) });
    const fields = (bad.body.error.fields as { field: string; code: string; message: { it: string; en: string } }[]).map((f) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['delegatorCodiceFiscale', 'endsOn', 'delegatorDocument.expiresOn', 'delegateDocument.issuingCountry']));
    for (const f of bad.body.error.fields) expect(f.message).toEqual({ it: expect.any(String), en: expect.any(String) });
    // The signed form is required, the schema strict.
    const noForm = await register(officeBody(person.codiceFiscale, delegate.citizen.codiceFiscale, { signedFormReceived: false }));
    expect(noForm.status).toBe(400);
    expect(noForm.body.error.fields.map((f: { field: string }) => f.field)).toContain('signedFormReceived');
    expect((await register({ ...body, extra: 1 })).status).toBe(400);
    const self = await register(officeBody(person.codiceFiscale, person.codiceFiscale));
    expect(self.status).toBe(400);
    expect(self.body.error.fields[0].code).toBe('self_delegation');
    expect((await register(body, { key: 'bad key!' })).status).toBe(400);
    expect(await rowsFor(person.codiceFiscale)).toBe(0);
  });

  it('registers it for a delegator without a PIN: pending, unusable until the delegate accepts; then the delegate acts, and gives it up', async () => {
    // The delegator holds no PIN at all: identified at the office from the document.
    const person = makeCitizen();
    const body = officeBody(person.codiceFiscale, delegate.citizen.codiceFiscale, { scope: 'consult' });
    const created = await register(body, { key: 'office-delegation-0001' });
    expect(created.status).toBe(201);
    const id = created.body.delegationId as string;
    expect(created.body).toMatchObject({ delegatorCodiceFiscale: person.codiceFiscale, delegateCodiceFiscale: delegate.citizen.codiceFiscale, status: 'pending', source: 'office', scope: 'consult' });

    // The receipt for the delegator: the registering clerk's only, audited, without contact details.
    expect(created.body.receipt).toBe(`/api/staff/delegations/${id}/receipt`);
    const receipt = await fetch(`${stack.baseUrl}${created.body.receipt}`, { headers: { authorization: `Bearer ${clerk}` } });
    expect(receipt.status).toBe(200);
    expect(receipt.headers.get('content-type')).toBe('application/pdf');
    expect(receipt.headers.get('cache-control')).toBe('no-store');
    const text = (await pdfText(new Uint8Array(await receipt.arrayBuffer()))).replace(/\s+/g, ' ');
    for (const expected of [
      'Ricevuta di registrazione della delega',
      person.codiceFiscale,
      `${delegate.citizen.name} ${delegate.citizen.surname} – ${delegate.citizen.codiceFiscale}`,
      'Sola consultazione dei dati',
      formatDateLong(body.endsOn as string, 'it'),
      'Roma Eur',
      'accettata online',
      'presso una sede INPS',
      'revoked at any time',
    ]) {
      expect(text).toContain(expected);
    }
    const acceptBy = formatDateLong(italianCalendarDate(new Date(Date.parse(created.body.acceptBy) - 1)), 'it');
    expect(text).toContain(`entro il ${acceptBy}`);
    for (const contact of [delegate.citizen.email!, delegate.citizen.mobile].filter(Boolean)) expect(text).not.toContain(contact);
    const otherClerk = await staffToken(stack, 'clerk');
    expect((await fetch(`${stack.baseUrl}${created.body.receipt}`, { headers: { authorization: `Bearer ${otherClerk}` } })).status).toBe(404);
    expect((await fetch(`${stack.baseUrl}${created.body.receipt}`, { headers: { authorization: `Bearer ${await staffToken(stack, 'operator')}` } })).status).toBe(403);
    const served = await stack.pool.query(`SELECT actor FROM audit_log WHERE action = 'delegation.receipt' AND subject = $1::text AND decision = 'served'`, [id]);
    expect(served.rowCount).toBe(1);
    // A retry with the same key is the same delegation; the key for other data is refused; without a key, one live per pair.
    const retried = await register(body, { key: 'office-delegation-0001' });
    expect(retried.status).toBe(200);
    expect(retried.body.delegationId).toBe(id);
    expect(retried.body.receipt).toBe(created.body.receipt);
    expect((await register({ ...body, scope: 'consult_and_claims' }, { key: 'office-delegation-0001' })).status).toBe(422);
    expect((await register(body)).status).toBe(409);
    expect(await rowsFor(person.codiceFiscale)).toBe(1);

    const stored = await stack.pool.query<{ source: string; office: string; registered_by: string; delegator_credential_id: string | null }>(
      'SELECT source, office, registered_by, delegator_credential_id FROM delegations WHERE id = $1::uuid',
      [id],
    );
    expect(stored.rows[0]).toMatchObject({ source: 'office', office: 'Roma Eur', delegator_credential_id: null });
    expect(stored.rows[0]!.registered_by).toMatch(/^staff:clerk-/);
    const checks = await stack.pool.query<{ party: string; document_type: string; issuing_country: string }>(
      'SELECT party, document_type, issuing_country FROM delegation_identity_checks WHERE delegation_id = $1::uuid ORDER BY party',
      [id],
    );
    expect(checks.rows).toEqual([
      { party: 'delegate', document_type: 'passaporto_estero', issuing_country: 'AR' },
      { party: 'delegator', document_type: 'carta_identita', issuing_country: 'IT' },
    ]);
    const audit = await stack.pool.query<{ detail: { signedFormReceived: boolean } }>(`SELECT detail FROM audit_log WHERE action = 'delegation.register_office' AND subject = $1::text`, [id]);
    expect(audit.rows.map((r) => r.detail.signedFormReceived)).toEqual([true]);
    // The delegate is told, with the office; the delegator has no contacts here (told at the office).
    const notice = await mailTo(stack, delegate.citizen.email!, new RegExp(`${person.codiceFiscale}[\\s\\S]*Roma Eur|Roma Eur[\\s\\S]*${person.codiceFiscale}`));
    expect(notice.subject).toMatch(/Delega da accettare/);

    const pendingUse = await call('GET', `/api/delegators/${id}/claims`, { token: delegate.token });
    expect(pendingUse.status).toBe(403);
    expect(pendingUse.body.error.details.reason).toBe('DELEGATION_PENDING');
    expect((await call('GET', '/api/delegations/received', { token: delegate.token })).body.delegations.find((d: { delegationId: string }) => d.delegationId === id).status).toBe('pending');

    await accept(delegate, id);
    // The delegator has no PIN yet: nothing to consult.
    const noPin = await call('GET', `/api/delegators/${id}/claims`, { token: delegate.token });
    expect(noPin.status).toBe(409);
    expect(noPin.body.error.details.reason).toBe('DELEGATOR_WITHOUT_PIN');

    // The delegate gives it up: both told (the delegate by mail).
    const givenUp = await call('POST', `/api/delegations/${id}/revoke`, { token: delegate.token });
    expect(givenUp.status).toBe(200);
    expect(givenUp.body.status).toBe('revoked');
    const ended = await stack.pool.query<{ ended_by: string }>('SELECT ended_by FROM delegations WHERE id = $1::uuid', [id]);
    expect(ended.rows[0]!.ended_by).toBe(`delegate:${delegate.credentialId}`);
    await mailTo(stack, delegate.citizen.email!, /Delega terminata/);
    expect((await call('POST', `/api/delegations/${id}/revoke`, { token: delegate.token })).status).toBe(409);
  });

  it('for a delegator who holds a PIN: the delegate accepts and files for them; the delegator revokes it', async () => {
    const holder = await activeCitizen(stack, makeCitizen());
    await asWorker(stack, holder.credentialId);
    const created = await register(officeBody(holder.citizen.codiceFiscale, other.citizen.codiceFiscale, { delegateDocument: undefined }));
    expect(created.status).toBe(201);
    const id = created.body.delegationId as string;
    // Each notice names the other person and gives its days as people read them.
    const holderName = `${holder.citizen.name} ${holder.citizen.surname}`;
    const otherName = `${other.citizen.name} ${other.citizen.surname}`;
    const endsOn = formatDateLong(created.body.endsOn, 'it');
    const toDelegator = await mailTo(stack, holder.citizen.email!, /in attesa di accettazione/);
    // (The same delegate has other delegations: the one from this holder.)
    const toDelegate = await mailTo(stack, other.citizen.email!, new RegExp(`${holder.citizen.codiceFiscale}\\) ti ha delegato`));
    expect(toDelegator.text).toContain(`${otherName} (codice fiscale ${other.citizen.codiceFiscale})`);
    expect(toDelegate.text).toContain(`${holderName} (codice fiscale ${holder.citizen.codiceFiscale}) ti ha delegato presso la sede INPS di Roma Eur`);
    for (const text of [toDelegator.text, toDelegate.text]) {
      expect(text).toContain(`fino al ${endsOn}`);
      expect(text).toContain(`until ${formatDateLong(created.body.endsOn, 'en')}`);
      expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    }
    await accept(other, id);
    expect((await mailTo(stack, holder.citizen.email!, /Delega accettata/)).text).toContain(`${otherName} (codice fiscale ${other.citizen.codiceFiscale}) ha accettato la tua delega`);

    const filed = await call('POST', `/api/delegators/${id}/claims`, { token: other.token, body: { type: 'parental-leave' }, headers: { 'idempotency-key': 'office-deleg-claim-1' } });
    expect(filed.status).toBe(202);
    // The holder's PIN is ordinary: the claim is received and held until it is dispositivo.
    expect(filed.body).toMatchObject({ type: 'parental-leave', status: 'waiting_for_dispositivo', filedBy: `delegate:${other.credentialId}:delegation:${id}` });
    const mine = await call('GET', '/api/claims', { token: holder.token });
    expect(mine.body.claims.map((c: { claimId: string }) => c.claimId)).toEqual([filed.body.claimId]);
    expect((await call('GET', '/api/delegations', { token: holder.token })).body.delegations.map((d: { delegationId: string; source: string }) => [d.delegationId, d.source])).toEqual([[id, 'office']]);

    const revoked = await call('POST', `/api/delegations/${id}/revoke`, { token: holder.token });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('revoked');
    await mailTo(stack, holder.citizen.email!, /Delega terminata/);
    await mailTo(stack, other.citizen.email!, /Delega terminata/);
    const refused = await call('GET', `/api/delegators/${id}/claims`, { token: other.token });
    expect(refused.body.error.details.reason).toBe('DELEGATION_REVOKED');
  });

  it('is declined by the delegate, lapses when not accepted in time, and a clerk revokes a pending one', async () => {
    const declined = await register(officeBody(makeCitizen().codiceFiscale, other.citizen.codiceFiscale));
    expect(declined.status).toBe(201);
    const declinedId = declined.body.delegationId as string;
    const answer = await call('POST', `/api/delegations/${declinedId}/decline`, { token: other.token });
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('declined');
    expect((await call('POST', `/api/delegations/${declinedId}/accept`, { token: other.token })).status).toBe(409);
    const refused = await call('GET', `/api/delegators/${declinedId}/claims`, { token: other.token });
    expect(refused.status).toBe(403);
    expect(refused.body.error.details.reason).toBe('DELEGATION_DECLINED');
    await waitFor('the decline notice', async () => ((await mailsMatching(stack, other.citizen.email!, /rifiutata dal delegato/)).length ? true : undefined));

    // Its acceptance deadline passed (written as passed; the timer is the workflow test's): lapsed for the API at once.
    const lapsing = await register(officeBody(makeCitizen().codiceFiscale, other.citizen.codiceFiscale));
    const lapsingId = lapsing.body.delegationId as string;
    await stack.pool.query(`UPDATE delegations SET accept_by = now() - interval '1 second' WHERE id = $1::uuid`, [lapsingId]);
    const late = await call('POST', `/api/delegations/${lapsingId}/accept`, { token: other.token });
    expect(late.status).toBe(409);
    expect(late.body.error.details.status).toBe('lapsed');
    const lapsedUse = await call('GET', `/api/delegators/${lapsingId}/claims`, { token: other.token });
    expect(lapsedUse.body.error.details.reason).toBe('DELEGATION_LAPSED');
    expect((await call('GET', '/api/delegations/received', { token: other.token })).body.delegations.find((d: { delegationId: string }) => d.delegationId === lapsingId).status).toBe('lapsed');
    // An acceptance that passed the API's check just before the deadline but reaches the workflow
    // after it (a worker running late) is refused by the database too: the row never turns active.
    await expect(
      stack.client.workflow.getHandle(delegationWorkflowId(lapsingId)).executeUpdate(acceptDelegationUpdate, { args: [{ delegateCredentialId: other.credentialId }] }),
    ).rejects.toThrow();
    const { rows: still } = await stack.pool.query<{ status: string }>('SELECT status FROM delegations WHERE id = $1::uuid', [lapsingId]);
    expect(still[0]!.status).toBe('pending');

    const pending = await register(officeBody(makeCitizen().codiceFiscale, delegate.citizen.codiceFiscale));
    const pendingId = pending.body.delegationId as string;
    const byClerk = await call('POST', `/api/staff/delegations/${pendingId}/revoke`, { token: clerk, body: { reason: 'the delegator came back to the office' } });
    expect(byClerk.status).toBe(200);
    expect(byClerk.body.status).toBe('revoked');
    expect((await call('POST', `/api/delegations/${pendingId}/accept`, { token: delegate.token })).status).toBe(409);
  });
});
