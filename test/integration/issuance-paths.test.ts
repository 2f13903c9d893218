/**
 * The other paths of issuance on the real servers, with shortened policy durations: an address
 * that differs from the institute's records opens a call-back task for the contact centre; a
 * caller gets a new letter within the limits; the reminder arrives; the unused PIN expires and a
 * new request becomes possible.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueStaffToken } from '../../services/staff/auth';
import { createCitizenAccountService } from '../../services/citizen-account';
import { requestsPage } from '../../portal/account-pages';
import { credentialStateQuery, credentialWorkflowId, type CredentialView } from '../../workflows/definitions';
import { makeCitizen } from '../support/citizens';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let operator: string;
let mailroom: string;

beforeAll(async () => {
  stack = await startTestStack({ policy: { reminderAfter: '3 seconds', firstAccessDeadline: '6 seconds' } });
  operator = await issueStaffToken(stack.pool, 'op-paths', 'operator');
  mailroom = await issueStaffToken(stack.pool, 'ops-paths', 'operations');
});
afterAll(async () => {
  await stack?.stop();
});

async function call(method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { type: string; message: { it: string; en: string } } } };
}

async function waitForView(credentialId: string, ok: (v: CredentialView) => boolean, timeoutMs = 30_000): Promise<CredentialView> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    // Not found until the workflow starter has started it.
    const v = await stack.client.workflow.getHandle(credentialWorkflowId(credentialId)).query(credentialStateQuery).catch(() => undefined);
    if (v && ok(v)) return v;
    if (Date.now() > until) throw new Error(`timed out; last state ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('issuance paths', () => {
  it('holds a request whose residence differs from the record until the call-back verifies it, then posts the letter to the confirmed address', async () => {
    const citizen = makeCitizen();
    await stack.pool.query(
      `INSERT INTO institute_records (codice_fiscale, residence) VALUES ($1::text, $2::jsonb)`,
      [citizen.codiceFiscale, JSON.stringify({ abroad: true, country: 'AR', address: 'Calle Distinta 1', city: 'Rosario', postalCode: 'S2000' })],
    );
    const same = makeCitizen();
    await stack.pool.query(`INSERT INTO institute_records (codice_fiscale, residence) VALUES ($1::text, $2::jsonb)`, [
      same.codiceFiscale,
      JSON.stringify({ ...same.residence, address: same.residence.address.toUpperCase() }),
    ]);
    const a = await call('POST', '/api/pin-requests', citizen);
    const b = await call('POST', '/api/pin-requests', same);
    const viewA = await waitForView(a.body.credentialId as string, (v) => v.state === 'awaiting_callback');
    const viewB = await waitForView(b.body.credentialId as string, (v) => v.state === 'awaiting_letter_dispatch');
    expect(viewA.addressMismatch).toBe(true);
    expect(viewB.addressMismatch).toBe(false);
    // Nothing made, sent or posted for the request waiting for its call.
    const made = async () =>
      (
        await stack.pool.query<{ n: string }>(
          `SELECT (SELECT count(*) FROM pin_secrets WHERE credential_id = $1::uuid) + (SELECT count(*) FROM outbox WHERE credential_id = $1::uuid AND purpose <> 'request-received')
                + (SELECT count(*) FROM letters WHERE credential_id = $1::uuid) AS n`,
          [a.body.credentialId],
        )
      ).rows[0]!.n;
    expect(await made()).toBe('0');

    expect((await call('GET', '/api/callback-tasks')).status).toBe(401);
    const list = await call('GET', '/api/callback-tasks', undefined, operator);
    expect(list.status).toBe(200);
    const tasks = list.body.tasks as { taskId: string; credentialId: string; phone: string; timeSlot: string; reason: string }[];
    const mine = tasks.filter((t) => t.credentialId === a.body.credentialId);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ phone: citizen.mobile, timeSlot: citizen.preferredTimeSlot, reason: 'residence_mismatch', attempts: 0 });
    expect(tasks.some((t) => t.credentialId === b.body.credentialId)).toBe(false);

    const outcome = (body: Record<string, unknown>) => call('POST', `/api/callback-tasks/${mine[0]!.taskId}/outcome`, body, operator);
    const noAddress = await outcome({ outcome: 'verified' });
    expect(noAddress.status).toBe(400);
    expect(JSON.stringify(noAddress.body)).toContain('"field":"address"');
    expect((await outcome({ outcome: 'unreachable', note: 'no answer at 9:10' })).body).toMatchObject({ status: 'open', attempts: 1 });
    expect(await made()).toBe('0');
    const verified = await outcome({ outcome: 'verified', address: 'record', note: 'asked date and place of birth, last employer' });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ status: 'verified', attempts: 2 });
    await waitForView(a.body.credentialId as string, (v) => v.state === 'awaiting_letter_dispatch');
    // The letter goes to the residence on record, the one the call confirmed.
    const { rows } = await stack.pool.query<{ residence: { city: string } }>('SELECT residence FROM credentials WHERE id = $1::uuid', [a.body.credentialId]);
    expect(rows[0]!.residence.city).toBe('Rosario');
    const task = await stack.pool.query('SELECT status, attempts, outcome, address, last_attempt_by FROM callback_tasks WHERE id = $1::uuid', [mine[0]!.taskId]);
    expect(task.rows[0]).toEqual({ status: 'verified', attempts: 2, outcome: 'verified', address: 'record', last_attempt_by: 'staff:op-paths' });
    expect((await outcome({ outcome: 'not_verified' })).status).toBe(409);
    // The citizen's own timeline ("Le mie richieste") shows both calls and where the request stands.
    const timeline = await createCitizenAccountService(stack).timeline(citizen.codiceFiscale);
    expect(timeline.filter((e) => e.kind === 'callback').map((e) => e.status)).toEqual(['verified', 'unreachable']);
    expect(timeline.find((e) => e.kind === 'request')).toMatchObject({ status: expect.stringMatching(/^awaiting_(letter_dispatch|first_access)$/), protocol: expect.stringMatching(/^PIN\.\d{4}\.\d{8}$/) });
    const page = requestsPage({ lang: 'it', base: '/portal', selfPath: '/requests' }, timeline);
    expect(page).toContain('Telefonata di verifica della residenza');
    expect(page).toContain('residenza verificata');
    expect(page).toContain('non ti abbiamo trovato al telefono');
    expect(page).toContain('PIN inviato');
  });

  it('sends a new letter for a caller once in 24 hours, reminds, expires, and then accepts a new request', async () => {
    const citizen = makeCitizen();
    const first = await call('POST', '/api/pin-requests', citizen);
    expect(first.status).toBe(202);
    const credentialId = first.body.credentialId as string;
    const view = await waitForView(credentialId, (v) => v.state === 'awaiting_letter_dispatch');
    const { rows } = await stack.pool.query<{ d: string }>(`SELECT to_char(batch_date, 'YYYY-MM-DD') AS d FROM letters WHERE id = $1::uuid`, [
      view.letters[0]!.letterId,
    ]);

    const letter = await call('POST', `/api/credentials/${credentialId}/letters`, {}, operator);
    expect(letter.status).toBe(201);
    expect(letter.body.seq).toBe(2);
    const tooSoon = await call('POST', `/api/credentials/${credentialId}/letters`, {}, operator);
    expect(tooSoon.status).toBe(429);
    expect(tooSoon.body.error!.message.en).toMatch(/24 hours/);
    const unknown = await call('POST', `/api/credentials/00000000-0000-4000-8000-000000000000/letters`, {}, operator);
    expect(unknown.status).toBe(404);

    // Both letters go out with the batch; the deadline starts from the dispatch.
    expect((await call('POST', `/api/mailroom/batches/${rows[0]!.d}/dispatch`, {}, mailroom)).status).toBe(200);
    await waitForView(credentialId, (v) => v.state === 'awaiting_first_access' && v.letters.every((l) => l.state === 'dispatched'));

    // The reminder reaches every channel, once.
    await waitForView(credentialId, (v) => v.reminderSent);
    const reminderMail = await waitForMessages(() => stack.mails({ to: citizen.email }), (m) => m.subject.includes('non è ancora stato usato'));
    expect(reminderMail).toHaveLength(1);

    const expired = await waitForView(credentialId, (v) => v.state === 'expired', 30_000);
    expect(expired.state).toBe('expired');
    const { rows: secrets } = await stack.pool.query<{ second_half_enc: Buffer | null }>(
      'SELECT second_half_enc FROM pin_secrets WHERE credential_id = $1::uuid',
      [credentialId],
    );
    expect(secrets[0]!.second_half_enc).toBeNull();

    const anew = await call('POST', '/api/pin-requests', { ...citizen, preferredTimeSlot: '14-17' });
    expect(anew.status).toBe(202);
    expect(anew.body.credentialId).not.toBe(credentialId);
  });
});

async function waitForMessages<T>(fetchAll: () => Promise<T[]>, match: (m: T) => boolean, timeoutMs = 20_000): Promise<T[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = (await fetchAll()).filter(match);
    if (found.length > 0 || Date.now() > until) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
}
