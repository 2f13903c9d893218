/**
 * PIN request to dispatched letter, through the HTTP API, on the real Temporal dev server,
 * PostgreSQL and the SMTP/SMS sinks: one message per channel, one letter whose half joins the
 * first to verify against the stored hashes, nothing new on a repeat, and no plaintext PIN in
 * any history, log line or table.
 */
import { randomUUID } from 'node:crypto';
import { pdfText } from '../support/pdf';
import { consoleLogin, createTestStaff } from '../support/staff';
import { createMailRoom } from '../../services/mailroom';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueStaffToken } from '../../services/staff/auth';
import { keyedHashMatches } from '../../lib/secrets';
import { credentialWorkflowId, type CredentialView } from '../../workflows/definitions';
import { PinStateAttribute, PinTypeAttribute } from '../../workflows/search-attributes';
import { makeCitizen, type CitizenRequest } from '../support/citizens';
import { halfFrom, requestAndCollect as requestAndCollectFor, waitForView, type Issued } from '../support/issuance';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let staffToken: string;
let mailRoomToken: string;

beforeAll(async () => {
  stack = await startTestStack();
  staffToken = await issueStaffToken(stack.pool, 'op-issuance-test', 'operator');
  mailRoomToken = await issueStaffToken(stack.pool, 'ops-issuance-test', 'operations');
});
afterAll(async () => {
  await stack?.stop();
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted field by field
  return { status: res.status, body: (await res.json()) as Record<string, any>, headers: res.headers };
}

async function waitForState(credentialId: string, state: CredentialView['state']): Promise<CredentialView> {
  return waitForView(stack, credentialId, (v) => v.state === state && v.firstHalf.every((f) => f.state === 'sent'));
}

const requestAndCollect = (citizen: CitizenRequest) => requestAndCollectFor(stack, citizen);

describe('PIN request and initial issuance', () => {
  let issued: Issued;

  beforeAll(async () => {
    issued = await requestAndCollect(makeCitizen());
  });

  it('reviews a request without storing anything', async () => {
    const citizen = makeCitizen();
    const res = await post('/api/pin-requests/review', citizen);
    expect(res.status).toBe(200);
    expect(res.body.review).toBeDefined();
    expect(res.body.deliveryPlan).toBeDefined();
    const { rowCount } = await stack.pool.query('SELECT 1 FROM credentials WHERE codice_fiscale = $1::text', [citizen.codiceFiscale]);
    expect(rowCount).toBe(0);
  });

  it('sends exactly one first-half message per channel, with the same half on each', async () => {
    const { citizen, firstHalf } = issued;
    // Besides the receipt with the protocol number, one message with the first half per channel.
    const firstHalfOnly = (m: { headers: Record<string, string> }) => m.headers['x-purpose'] === 'first-half';
    const mails = (await stack.mails({ to: citizen.email })).filter(firstHalfOnly);
    const pecs = (await stack.mails({ to: citizen.pec })).filter(firstHalfOnly);
    expect(mails).toHaveLength(1);
    expect(pecs).toHaveLength(1);
    const receipt = (await stack.mails({ to: citizen.email })).find((m) => m.headers['x-purpose'] === 'request-received');
    expect(receipt?.subject).toMatch(/Richiesta di PIN ricevuta \(PIN\.\d{4}\.\d{8}\)/);
    expect(receipt?.text).not.toContain(firstHalf);
    expect(mails[0]!.headers['x-channel']).toBe('email');
    expect(pecs[0]!.headers['x-channel']).toBe('pec');
    expect(halfFrom(mails[0]!.text)).toBe(firstHalf);
    expect(halfFrom(pecs[0]!.text)).toBe(firstHalf);
    // Deterministic Message-IDs: the one recorded in the outbox is the one that arrived.
    const { rows } = await stack.pool.query<{ message_id: string; status: string; payload_enc: Buffer | null }>(
      `SELECT message_id, status, payload_enc FROM outbox WHERE credential_id = $1::uuid AND channel = 'email' AND purpose = 'first-half'`,
      [issued.credentialId],
    );
    expect(rows[0]!.message_id).toBe(mails[0]!.messageId);
    expect(rows[0]!.status).toBe('sent');
    expect(rows[0]!.payload_enc).toBeNull();
  });

  it('posts a letter whose half joins the first to verify against the stored hashes', async () => {
    const { rows } = await stack.pool.query<{ salt: Buffer; first_half_hash: Buffer; second_half_hash: Buffer }>(
      'SELECT salt, first_half_hash, second_half_hash FROM pin_secrets WHERE credential_id = $1::uuid',
      [issued.credentialId],
    );
    expect(rows).toHaveLength(1);
    const s = rows[0]!;
    const pepper = stack.deps.keys.pepper;
    expect(keyedHashMatches(pepper, s.salt, 'first', issued.firstHalf, s.first_half_hash)).toBe(true);
    expect(keyedHashMatches(pepper, s.salt, 'second', issued.secondHalf, s.second_half_hash)).toBe(true);
    // And a wrong half does not.
    const wrong = issued.secondHalf.slice(0, 7) + (issued.secondHalf.endsWith('A') ? 'B' : 'A');
    expect(keyedHashMatches(pepper, s.salt, 'second', wrong, s.second_half_hash)).toBe(false);
    const letters = await stack.pool.query('SELECT status FROM letters WHERE credential_id = $1::uuid', [issued.credentialId]);
    expect(letters.rows).toEqual([{ status: 'queued' }]);
  });

  it('returns the first result for a repeated request and starts nothing new', async () => {
    const again = await post('/api/pin-requests', issued.citizen);
    expect(again.status).toBe(200);
    expect(again.body.requestId).toBe(issued.requestId);
    expect(again.body.credentialId).toBe(issued.credentialId);
    const { rows } = await stack.pool.query<{ n: string }>('SELECT count(*) AS n FROM credentials WHERE codice_fiscale = $1::text', [
      issued.citizen.codiceFiscale,
    ]);
    expect(rows[0]!.n).toBe('1');
    await new Promise((r) => setTimeout(r, 500));
    expect(await stack.smses({ to: issued.citizen.mobile })).toHaveLength(1);
    // The receipt and the first half: each once.
    expect((await stack.mails({ to: issued.citizen.email })).map((m) => m.headers['x-purpose']).sort()).toEqual(['first-half', 'request-received']);
  });

  it('refuses a different request for a codice fiscale with a live credential (409)', async () => {
    const res = await post('/api/pin-requests', { ...issued.citizen, preferredTimeSlot: '17-20' });
    expect(res.status).toBe(409);
    expect(res.body.error.type).toBe('CONFLICT');
    expect(res.body.error.message.it).toBeTruthy();
    expect(res.body.error.message.en).toBeTruthy();
  });

  it('honours an explicit idempotency key', async () => {
    const citizen = makeCitizen({ mobile: undefined, preferredPhone: 'home', homePhone: '+5491140001234' });
    const key = `key-${citizen.codiceFiscale}`;
    const first = await post('/api/pin-requests', citizen, { 'idempotency-key': key });
    const second = await post('/api/pin-requests', citizen, { 'idempotency-key': key });
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.body.requestId).toBe(first.body.requestId);
    // No mobile: the first half goes by e-mail and PEC only.
    const view = await waitForState(first.body.credentialId, 'awaiting_letter_dispatch');
    expect(view.firstHalf.map((f) => f.channel)).toEqual(['email', 'pec']);
  });

  it('dispatches the mail-room batch and starts waiting for the first access', async () => {
    const { rows } = await stack.pool.query<{ d: string; file_path: string }>(
      `SELECT to_char(batch_date, 'YYYY-MM-DD') AS d, file_path FROM letters WHERE credential_id = $1::uuid`,
      [issued.credentialId],
    );
    const batchDate = rows[0]!.d;
    const refused = await post(`/api/mailroom/batches/${batchDate}/dispatch`, {});
    expect(refused.status).toBe(401);
    const wrongRole = await post(`/api/mailroom/batches/${batchDate}/dispatch`, {}, { authorization: `Bearer ${staffToken}` });
    expect(wrongRole.status).toBe(403);
    // The open batch lists the letters filed in it (it used to say 0 until dispatched).
    // (Other files share the day's batch: at least this letter, whatever they add meanwhile.)
    const recent = await createMailRoom({ pool: stack.pool, temporal: stack.client, log: stack.deps.log }).recentBatches();
    expect(recent.find((b) => b.day === batchDate)).toMatchObject({ status: 'open', letter_count: expect.any(Number) });
    expect(recent.find((b) => b.day === batchDate)!.letter_count).toBeGreaterThanOrEqual(1);
    // A day to come with nothing filed in it cannot be closed ahead.
    const future = await post('/api/mailroom/batches/2099-01-01/dispatch', {}, { authorization: `Bearer ${mailRoomToken}` });
    expect(future.status).toBe(400);
    expect(future.body.error.fields[0]).toMatchObject({ field: 'date', code: 'date_in_future' });
    expect((await stack.pool.query(`SELECT 1 FROM mailroom_batches WHERE batch_date = '2099-01-01'`)).rowCount).toBe(0);
    const res = await post(`/api/mailroom/batches/${batchDate}/dispatch`, {}, { authorization: `Bearer ${mailRoomToken}` });
    expect(res.status).toBe(200);
    expect(res.body.dispatched).toBeGreaterThanOrEqual(1);
    const view = await waitForState(issued.credentialId, 'awaiting_first_access');
    expect(view.letters[0]!.state).toBe('dispatched');
    expect(Date.parse(view.firstAccessDeadline!) - Date.parse(view.letters[0]!.dispatchedAt!)).toBe(60 * 24 * 3600 * 1000);
    const manifest = JSON.parse(await readFile(`${stack.mailroomDir}/${batchDate}/manifest.json`, 'utf8')) as { letters: { letterId: string }[] };
    expect(manifest.letters.map((l) => l.letterId)).toContain(view.letters[0]!.letterId);
  });

  it('shows operations the state in search attributes, with no personal data in ids or attributes', async () => {
    const handle = stack.client.workflow.getHandle(credentialWorkflowId(issued.credentialId));
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(PinStateAttribute)).toBe('awaiting_first_access');
    expect(description.typedSearchAttributes.get(PinTypeAttribute)).toBe('ordinary');
    const visible = JSON.stringify({ id: description.workflowId, attributes: description.searchAttributes, memo: description.memo });
    for (const personal of [issued.citizen.codiceFiscale, issued.citizen.surname, issued.citizen.email!, issued.citizen.mobile!]) {
      expect(visible).not.toContain(personal);
    }
  });

  it('reads a request back through the API without personal data or secrets', async () => {
    const res = await fetch(`${stack.baseUrl}/api/pin-requests/${issued.requestId}`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text) as { credential: CredentialView };
    expect(body.credential.credentialId).toBe(issued.credentialId);
    expect(text).not.toContain(issued.citizen.codiceFiscale);
    expect(text).not.toContain(issued.firstHalf);
  });

  it('gives the request a protocol number: in the answer, the status, a printable receipt, and findable on the console', async () => {
    const citizen = makeCitizen();
    const accepted = await post('/api/pin-requests', citizen);
    expect(accepted.body.protocol).toMatch(/^PIN\.\d{4}\.\d{8}$/);
    const status = (await (await fetch(`${stack.baseUrl}/api/pin-requests/${accepted.body.requestId}`)).json()) as { protocol: string };
    expect(status.protocol).toBe(accepted.body.protocol);
    const receipt = await fetch(`${stack.baseUrl}/api/pin-requests/${accepted.body.requestId}/receipt`);
    expect(receipt.status).toBe(200);
    expect(receipt.headers.get('content-type')).toBe('application/pdf');
    const text = (await pdfText(new Uint8Array(await receipt.arrayBuffer()))).replace(/\s+/g, ' ');
    expect(text).toContain(accepted.body.protocol);
    expect(text).toContain(`${citizen.name} ${citizen.surname}`);
    expect(text).not.toContain(citizen.mobile!);
    expect((await fetch(`${stack.baseUrl}/api/pin-requests/${randomUUID()}/receipt`)).status).toBe(404);
    // Staff find the citizen by the protocol number they read out.
    const clerk = await createTestStaff(stack, 'clerk');
    const browser = await consoleLogin(stack, clerk);
    const found = await browser.get(`/console/citizens?cf=${encodeURIComponent(accepted.body.protocol)}`);
    expect(found.status).toBe(200);
    expect(found.body).toContain(citizen.codiceFiscale);
  });

  it('records the contact-centre operator for a request made by phone, and refuses it without one', async () => {
    const citizen = makeCitizen({ channel: 'contact_centre' });
    const anonymous = await post('/api/pin-requests', citizen);
    expect(anonymous.status).toBe(401);
    const res = await post('/api/pin-requests', citizen, { authorization: `Bearer ${staffToken}` });
    expect(res.status).toBe(202);
    const { rows } = await stack.pool.query<{ operator_id: string; channel: string }>('SELECT operator_id, channel FROM pin_requests WHERE id = $1::uuid', [
      res.body.requestId,
    ]);
    expect(rows[0]).toEqual({ operator_id: 'op-issuance-test', channel: 'contact_centre' });
  });

  it('never lets a plaintext PIN into workflow histories, logs or tables (canary)', async () => {
    const second = await requestAndCollect(makeCitizen());
    const secrets = [issued, second].flatMap((i) => [i.firstHalf, i.secondHalf, i.firstHalf + i.secondHalf]);
    const spaced = secrets.map((s) => s.replace(/(.{4})(?=.)/g, '$1 '));
    const needles = [...secrets, ...spaced];

    const histories: string[] = [];
    for (const i of [issued, second]) {
      histories.push(await stack.historyText(credentialWorkflowId(i.credentialId)));
    }
    const logs = stack.logLines.join('\n');
    const tables = await stack.pool.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    let dump = '';
    for (const { table_name } of tables.rows) {
      const { rows } = await stack.pool.query(`SELECT t::text AS row FROM "${table_name}" t`);
      dump += rows.map((r: { row: string }) => r.row).join('\n');
    }
    expect(histories.join('').length).toBeGreaterThan(1000);
    expect(dump.length).toBeGreaterThan(1000);
    for (const needle of needles) {
      expect(histories.some((h) => h.includes(needle)), `history contains ${needle.length}-char secret`).toBe(false);
      expect(logs.includes(needle), 'log contains a secret').toBe(false);
      expect(dump.includes(needle), 'a table contains a secret').toBe(false);
    }
  });
});

describe('bad input', () => {
  it('answers 400 listing every bad field, in Italian and English, and stores nothing', async () => {
    const citizen = makeCitizen();
    const bad = { ...citizen, codiceFiscale: citizen.codiceFiscale.slice(0, 15) + (citizen.codiceFiscale.endsWith('A') ? 'B' : 'A'), email: undefined, pec: undefined };
    const res = await post('/api/pin-requests', bad);
    expect(res.status).toBe(400);
    expect(res.body.error.type).toBe('VALIDATION');
    const fields = (res.body.error.fields as { field: string; message: { it: string; en: string } }[]).map((f) => f.field);
    expect(fields).toContain('codiceFiscale');
    expect(fields.some((f) => f === 'email' || f === 'pec' || f === 'contacts')).toBe(true);
    for (const f of res.body.error.fields) {
      expect(f.message.it).toBeTruthy();
      expect(f.message.en).toBeTruthy();
    }
    const { rowCount } = await stack.pool.query('SELECT 1 FROM credentials WHERE codice_fiscale = $1::text', [citizen.codiceFiscale]);
    expect(rowCount).toBe(0);
  });

  it('answers 422 with the reason for a citizen resident in Italy', async () => {
    const citizen = makeCitizen({ residence: { abroad: false, country: 'IT', address: 'Via Roma 1', city: 'Torino', postalCode: '10121', province: 'TO' } });
    const res = await post('/api/pin-requests', citizen);
    expect(res.status).toBe(422);
    expect(res.body.error.type).toBe('NOT_ELIGIBLE');
    const { rowCount } = await stack.pool.query('SELECT 1 FROM credentials WHERE codice_fiscale = $1::text', [citizen.codiceFiscale]);
    expect(rowCount).toBe(0);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await fetch(`${stack.baseUrl}/api/pin-requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"codiceFiscale":' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { type: string } };
    expect(body.error.type).toBe('VALIDATION');
  });
});
