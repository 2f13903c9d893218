/**
 * First access (16 → 8 characters) and the guided regeneration after expiry, through the HTTP
 * API on the real servers. The PIN validity is shortened to seconds for this file (the real
 * 6/3 calendar months are covered by the time-skipping tests).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialWorkflowId } from '../../workflows/definitions';
import { verifyPin } from '../../lib/pin-hash';
import { makeCitizen } from '../support/citizens';
import { requestAndCollect, waitForView, type Issued } from '../support/issuance';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ access: { pinValidityOverride: '6 seconds', expiryReminderBefore: '2 seconds' } });
});
afterAll(async () => {
  await stack?.stop();
});

async function post(path: string, body: unknown) {
  const res = await fetch(`${stack.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text(), cacheControl: res.headers.get('cache-control') };
}

describe('first access and regeneration', () => {
  let issued: Issued;
  let personalPin: string;

  beforeAll(async () => {
    issued = await requestAndCollect(stack, makeCitizen());
  });

  it('refuses a wrong PIN and an unknown codice fiscale with the same answer', async () => {
    const wrongPin = issued.firstHalf + issued.secondHalf.slice(0, 7) + (issued.secondHalf.endsWith('A') ? 'B' : 'A');
    const wrong = await post('/api/first-access', { codiceFiscale: issued.citizen.codiceFiscale, pin: wrongPin });
    const unknown = await post('/api/first-access', { codiceFiscale: makeCitizen().codiceFiscale, pin: issued.firstHalf + issued.secondHalf });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(JSON.parse(wrong.text)).toEqual(JSON.parse(unknown.text));
    const { rows } = await stack.pool.query<{ consecutive_failures: number }>('SELECT consecutive_failures FROM credential_access WHERE credential_id = $1::uuid', [
      issued.credentialId,
    ]);
    expect(rows[0]!.consecutive_failures).toBe(1);
  });

  it('answers 400 for a malformed request and counts nothing', async () => {
    const res = await post('/api/first-access', { codiceFiscale: 'NOTACODE', pin: '123' });
    expect(res.status).toBe(400);
    const fields = (JSON.parse(res.text) as { error: { fields: { field: string }[] } }).error.fields.map((f) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['codiceFiscale', 'pin']));
  });

  it('assigns an 8-character PIN once, with all 16 characters; the initial PIN is dead afterwards', async () => {
    // Typed with spaces and in lower case, as people do.
    const typed = `${issued.firstHalf.slice(0, 4)} ${issued.firstHalf.slice(4)} ${issued.secondHalf}`.toLowerCase();
    const res = await post('/api/first-access', { codiceFiscale: issued.citizen.codiceFiscale.toLowerCase(), pin: typed });
    expect(res.status).toBe(200);
    expect(res.cacheControl).toBe('no-store');
    const body = JSON.parse(res.text) as { pin: string; pinExpiresAt: string };
    expect(body.pin).toMatch(/^[A-Z2-9]{8}$/);
    personalPin = body.pin;

    const view = await waitForView(stack, issued.credentialId, (v) => v.state === 'active');
    expect(view.pinVersion).toBe(2);
    expect(view.pinExpiresAt).toBe(body.pinExpiresAt);
    const { rows } = await stack.pool.query<{ version: number; kind: string; status: string; pin_hash: string | null; second_half_enc: Buffer | null }>(
      'SELECT version, kind, status, pin_hash, second_half_enc FROM pin_secrets WHERE credential_id = $1::uuid ORDER BY version',
      [issued.credentialId],
    );
    expect(rows.map((r) => [r.version, r.kind, r.status])).toEqual([
      [1, 'initial', 'superseded'],
      [2, 'personal', 'active'],
    ]);
    expect(rows[0]!.second_half_enc).toBeNull();
    expect(rows[1]!.pin_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPin(stack.deps.keys.pepper, rows[1]!.pin_hash!, personalPin)).toBe(true);
    const state = await stack.pool.query<{ state: string }>('SELECT state FROM credentials WHERE id = $1::uuid', [issued.credentialId]);
    expect(state.rows[0]!.state).toBe('active');

    // The same 16 characters again (the answer, the only place the PIN was shown, lost on the way):
    // told it is done, with what to do — not "wrong PIN", and nothing counted against the holder.
    const again = await post('/api/first-access', { codiceFiscale: issued.citizen.codiceFiscale, pin: issued.firstHalf + issued.secondHalf });
    expect(again.status).toBe(409);
    expect(JSON.parse(again.text).error).toMatchObject({ type: 'CONFLICT', details: { reason: 'ALREADY_DONE' } });
    expect(JSON.parse(again.text).error.message.it).toContain('Il primo accesso con questo PIN è già stato fatto');
    const failures = await stack.pool.query<{ consecutive_failures: number }>('SELECT consecutive_failures FROM credential_access WHERE credential_id = $1::uuid', [issued.credentialId]);
    expect(failures.rows[0]!.consecutive_failures).toBe(0);
    // A wrong second half is still a wrong PIN.
    const wrongHalf = issued.secondHalf.slice(0, 7) + (issued.secondHalf.endsWith('A') ? 'B' : 'A');
    expect((await post('/api/first-access', { codiceFiscale: issued.citizen.codiceFiscale, pin: issued.firstHalf + wrongHalf })).status).toBe(401);
  });

  it('keeps the new PIN out of workflow history, logs and tables', async () => {
    const history = await stack.historyText(credentialWorkflowId(issued.credentialId));
    expect(history).not.toContain(personalPin);
    expect(stack.logLines.join('\n')).not.toContain(personalPin);
    for (const table of ['pin_secrets', 'audit_log', 'credential_events', 'outbox', 'credentials']) {
      const { rows } = await stack.pool.query<{ row: string }>(`SELECT t::text AS row FROM ${table} t`);
      expect(rows.some((r) => r.row.includes(personalPin)), table).toBe(false);
    }
  });

  it('reminds before expiry, expires the PIN, and regenerates it with the old PIN as a new cycle', async () => {
    await waitForView(stack, issued.credentialId, (v) => v.expiryReminderSent === true, 20_000);
    const reminder = await waitForMail(issued.citizen.email!, 'sta per scadere');
    expect(reminder).toBe(true);
    await waitForView(stack, issued.credentialId, (v) => v.state === 'pin_expired', 20_000);
    const { rows } = await stack.pool.query<{ state: string }>('SELECT state FROM credentials WHERE id = $1::uuid', [issued.credentialId]);
    expect(rows[0]!.state).toBe('pin_expired');

    const wrong = await post('/api/pin/regenerate', { codiceFiscale: issued.citizen.codiceFiscale, pin: personalPin === 'AAAAAAAA' ? 'BBBBBBBB' : 'AAAAAAAA' });
    expect(wrong.status).toBe(401);
    const res = await post('/api/pin/regenerate', { codiceFiscale: issued.citizen.codiceFiscale, pin: personalPin });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text) as { pin: string };
    expect(body.pin).not.toBe(personalPin);
    const view = await waitForView(stack, issued.credentialId, (v) => v.state === 'active' && v.cycle === 2);
    expect(view).toMatchObject({ pinVersion: 3, pinType: 'ordinary' });
    // The next cycle runs in a fresh run of the workflow (continue-as-new keeps histories short).
    const described = await stack.client.workflow.getHandle(credentialWorkflowId(issued.credentialId)).describe();
    expect(described.historyLength).toBeLessThan(30);
    // The old personal PIN no longer regenerates anything: asked again, it is told the PIN was replaced.
    const replay = await post('/api/pin/regenerate', { codiceFiscale: issued.citizen.codiceFiscale, pin: personalPin });
    expect(replay.status).toBe(409);
    expect(JSON.parse(replay.text).error).toMatchObject({ details: { reason: 'ALREADY_DONE' } });
    expect(JSON.parse(replay.text).error.message.it).toContain('Il PIN scaduto è già stato sostituito');
    const { rows: versions } = await stack.pool.query('SELECT 1 FROM pin_secrets WHERE credential_id = $1::uuid', [issued.credentialId]);
    expect(versions).toHaveLength(3);
  });
});

async function waitForMail(to: string, subjectPart: string, timeoutMs = 15_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if ((await stack.mails({ to })).some((m) => m.subject.includes(subjectPart))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('a new letter asked for by the citizen', () => {
  it('proves the request with the first half and keeps the one-per-24-hours limit', async () => {
    const issued = await requestAndCollect(stack, makeCitizen());
    const wrong = await post('/api/letters/resend', { codiceFiscale: issued.citizen.codiceFiscale, firstHalf: issued.secondHalf });
    expect(wrong.status).toBe(401);
    const ok = await post('/api/letters/resend', { codiceFiscale: issued.citizen.codiceFiscale, firstHalf: issued.firstHalf });
    expect(ok.status).toBe(201);
    expect(JSON.parse(ok.text)).toMatchObject({ seq: 2 });
    const again = await post('/api/letters/resend', { codiceFiscale: issued.citizen.codiceFiscale, firstHalf: issued.firstHalf });
    expect(again.status).toBe(429);
    const view = await waitForView(stack, issued.credentialId, (v) => v.letters.length === 2);
    expect(view.letters[1]!.state).toBe('queued');
    const { rows } = await stack.pool.query<{ n: string }>(`SELECT count(*) AS n FROM letters WHERE credential_id = $1::uuid AND file_path IS NOT NULL`, [issued.credentialId]);
    expect(rows[0]!.n).toBe('2');
  });
});

describe('first access under the lockout rules', () => {
  it('locks a known and an unknown codice fiscale alike after three failures, with the wait in Retry-After', async () => {
    const issued = await requestAndCollect(stack, makeCitizen());
    const wrong = issued.firstHalf + issued.secondHalf.slice(0, 7) + (issued.secondHalf.endsWith('A') ? 'B' : 'A');
    const unknown = makeCitizen().codiceFiscale;
    const answers: Record<string, { status: number; body: string; retryAfter: string | null }[]> = { known: [], unknown: [] };
    for (let i = 0; i < 4; i++) {
      for (const [who, cf] of [['known', issued.citizen.codiceFiscale], ['unknown', unknown]] as const) {
        const res = await fetch(`${stack.baseUrl}/api/first-access`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ codiceFiscale: cf, pin: wrong }) });
        answers[who]!.push({ status: res.status, body: await res.text(), retryAfter: res.headers.get('retry-after') });
      }
    }
    expect(answers.known!.map((a) => a.status)).toEqual([401, 401, 401, 429]);
    expect(answers.unknown!.map((a) => a.status)).toEqual([401, 401, 401, 429]);
    expect(answers.known![3]!.body).toBe(answers.unknown![3]!.body);
    expect(Number(answers.known![3]!.retryAfter)).toBeGreaterThan(5);
    // While locked, even the right PIN is refused without being checked.
    const right = await post('/api/first-access', { codiceFiscale: issued.citizen.codiceFiscale, pin: issued.firstHalf + issued.secondHalf });
    expect(right.status).toBe(429);
    const { rows } = await stack.pool.query<{ decision: string }>(`SELECT decision FROM audit_log WHERE subject = $1::text AND action = 'first_access' ORDER BY id`, [issued.credentialId]);
    expect(rows.map((r) => r.decision)).toEqual(['denied', 'denied', 'denied', 'locked', 'locked']);
  });
});
