/**
 * One citizen cannot reach another's credential, documents, claims or conversion, whether ids
 * are guessed, enumerated or known: every such request gets the same answer as for an id that
 * does not exist, and no personal data. Staff-only data refuses citizen sessions.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCitizen } from '../support/citizens';
import { activeCitizen, asWorker, type ActiveCitizen } from '../support/issuance';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let alice: ActiveCitizen;
let bob: ActiveCitizen;
let aliceClaimId: string;
let aliceDocumentId: string;

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

async function call(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, text: await res.text() };
}

beforeAll(async () => {
  stack = await startTestStack({ secondReviewSampleRate: 0 });
  [alice, bob] = await Promise.all([activeCitizen(stack, makeCitizen()), activeCitizen(stack, makeCitizen())]);
  await asWorker(stack, alice.credentialId);
  const claim = await call('POST', '/api/claims', alice.token, { type: 'parental-leave' });
  expect(claim.status).toBe(202);
  aliceClaimId = (JSON.parse(claim.text) as { claimId: string }).claimId;
  const upload = await fetch(`${stack.baseUrl}/api/conversion/documents?kind=identity_document&filename=id.png`, {
    method: 'POST',
    headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'image/png' },
    body: PNG,
  });
  expect(upload.status).toBe(201);
  aliceDocumentId = ((await upload.json()) as { documentId: string }).documentId;
});
afterAll(async () => {
  await stack?.stop();
});

const personalDataOf = (c: ActiveCitizen) => [c.citizen.codiceFiscale, c.citizen.surname, c.citizen.email!, c.citizen.mobile!];

describe('a citizen and somebody else’s data', () => {
  it('gets the same "not found" for another citizen’s claim as for ids that exist nowhere', async () => {
    const known = await call('GET', `/api/claims/${aliceClaimId}`, bob.token);
    expect(known.status).toBe(404);
    // Enumeration: random and sequential-looking ids answer exactly like the real one.
    const guesses = [randomUUID(), randomUUID(), '00000000-0000-0000-0000-000000000001', aliceClaimId.replace(/.$/, (c) => (c === '0' ? '1' : '0'))];
    for (const id of guesses) {
      const r = await call('GET', `/api/claims/${id}`, bob.token);
      expect({ status: r.status, text: r.text }).toEqual({ status: known.status, text: known.text });
    }
    for (const datum of personalDataOf(alice)) expect(known.text).not.toContain(datum);
    // Bob's own list holds nothing of Alice's.
    const list = await call('GET', '/api/claims', bob.token);
    expect(list.text).not.toContain(aliceClaimId);
  });

  it('cannot use another citizen’s uploaded document in a conversion request', async () => {
    const own = await fetch(`${stack.baseUrl}/api/conversion/documents?kind=signed_request&filename=form.pdf`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bob.token}`, 'content-type': 'application/pdf' },
      body: Buffer.from('%PDF-1.4\n%%EOF\n'),
    });
    expect(own.status).toBe(201);
    const bobDocumentId = ((await own.json()) as { documentId: string }).documentId;
    const stolen = await call('POST', '/api/conversion/requests', bob.token, { signedRequestDocumentId: bobDocumentId, identityDocumentId: aliceDocumentId });
    const missing = await call('POST', '/api/conversion/requests', bob.token, { signedRequestDocumentId: bobDocumentId, identityDocumentId: randomUUID() });
    expect(stolen.status).toBe(404);
    expect(stolen.text).toBe(missing.text);
    const cases = await stack.pool.query('SELECT count(*)::int AS n FROM review_cases WHERE credential_id = $1::uuid', [bob.credentialId]);
    expect(cases.rows[0].n).toBe(0);
    const doc = await stack.pool.query('SELECT case_id FROM documents WHERE id = $1::uuid', [aliceDocumentId]);
    expect(doc.rows[0].case_id).toBeNull();
  });

  it('never reads documents or review cases back, not even their own: those are staff routes', async () => {
    for (const path of [`/api/staff/documents/${aliceDocumentId}`, '/api/review/cases', `/api/review/cases/${randomUUID()}`, '/api/callback-tasks']) {
      const r = await call('GET', path, alice.token);
      expect(r.status, path).toBe(403);
      for (const datum of personalDataOf(alice)) expect(r.text).not.toContain(datum);
    }
  });

  it('sees only their own conversion request and session', async () => {
    const mine = await call('GET', '/api/session', bob.token);
    expect(mine.status).toBe(200);
    for (const datum of personalDataOf(alice)) expect(mine.text).not.toContain(datum);
    expect((await call('GET', '/api/conversion/requests/current', bob.token)).status).toBe(404);
  });
});
