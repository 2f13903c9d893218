/**
 * Payload encryption end to end, on the real dev server and PostgreSQL: a PIN issued through the
 * API (request, both halves, letter dispatched, first access) leaves a history whose payloads are
 * all ciphertext, with no personal datum anywhere in its raw bytes; the codec endpoint opens them
 * for operations staff only; and /metrics shows the funnel moving, labelled by route pattern.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { inject } from 'vitest';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { issueStaffToken } from '../../services/staff/auth';
import { ENCODING_ENCRYPTED, METADATA_KEY_ID } from '../../lib/payload-codec';
import { collectMetrics } from '../../lib/metrics';
import { credentialWorkflowId, mailRoomWorkflowId } from '../../workflows/definitions';
import { makeCitizen } from '../support/citizens';
import { requestAndCollect, waitForView, type Issued } from '../support/issuance';
import { startTestStack, type TestStack } from '../support/stack';
import { createTestStaff, openTestSession } from '../support/staff';

type IPayload = temporal.api.common.v1.IPayload;

let stack: TestStack;
let operationsToken: string;
let clerkToken: string;

/** Value of one series in an exposition text (0 when absent). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

const stage = (text: string, s: string) => sample(text, `pin_issuance_stage_total{stage="${s}"}`);

async function scrape(token: string | null = stack.metricsToken): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(`${stack.baseUrl}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

/** Every page of the run's history, as the server sends it (no codec involved). */
async function rawHistory(workflowId: string): Promise<temporal.api.history.v1.IHistory> {
  const events: temporal.api.history.v1.IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await stack.client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId }, nextPageToken });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return { events };
}

/**
 * Payloads no codec sees, by design free of personal data: search attributes (the server indexes
 * them: state and PIN type, workflows/search-attributes.ts) and the marker of `patched()` (the SDK
 * core writes the patch id itself).
 */
const EXEMPT = new Set(['searchAttributes', 'patch-data']);

/** The payloads of a history, except the exempt ones. */
function payloadsOf(node: unknown, out: IPayload[] = [], key = ''): IPayload[] {
  if (!node || typeof node !== 'object' || EXEMPT.has(key)) return out;
  if (node instanceof Uint8Array) return out;
  // Decoded messages carry their fields' defaults on the prototype: a Payload has both of these.
  if ('metadata' in node && 'data' in node) {
    out.push(node as IPayload);
    return out;
  }
  for (const [k, v] of Object.entries(node)) payloadsOf(v, out, k);
  return out;
}

const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');

/** The history's wire bytes with the exempt payloads taken out. */
function bytesWithoutExempt(h: temporal.api.history.v1.IHistory): string {
  const History = temporal.api.history.v1.History;
  const copy = History.fromObject(History.toObject(History.decode(History.encode(h).finish())));
  for (const e of copy.events) {
    if (e.workflowExecutionStartedEventAttributes) e.workflowExecutionStartedEventAttributes.searchAttributes = null;
    if (e.upsertWorkflowSearchAttributesEventAttributes) e.upsertWorkflowSearchAttributesEventAttributes.searchAttributes = null;
    if (e.markerRecordedEventAttributes?.details?.['patch-data']) delete e.markerRecordedEventAttributes.details['patch-data'];
  }
  return Buffer.from(History.encode(copy).finish()).toString('latin1');
}

/** Every string and object key of at least 5 characters in a decoded value. */
function wordsOf(v: unknown, out = new Set<string>()): Set<string> {
  if (typeof v === 'string' && v.length >= 5) out.add(v);
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (!Array.isArray(v) && k.length >= 5) out.add(k);
      wordsOf(x, out);
    }
  }
  return out;
}
const toJson = (p: IPayload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});
const fromJson = (p: { metadata: Record<string, string>; data: string }): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});

async function codec(op: 'encode' | 'decode', body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.baseUrl}/codec/${op}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as { payloads?: { metadata: Record<string, string>; data: string }[]; error?: { type: string } } };
}

let before: string;
let issued: Issued;
let citizenToken: string;
let batchDate: string;
let history: temporal.api.history.v1.IHistory;

beforeAll(async () => {
  stack = await startTestStack();
  operationsToken = await issueStaffToken(stack.pool, 'ops-codec-test', 'operations');
  clerkToken = await issueStaffToken(stack.pool, 'clerk-codec-test', 'clerk');
  before = (await scrape()).text;

  issued = await requestAndCollect(stack, makeCitizen());
  // Close the batch the letter went into (today's, or a later one if today's is already closed).
  const { rows } = await stack.pool.query<{ batch_date: string }>(
    `SELECT to_char(batch_date, 'YYYY-MM-DD') AS batch_date FROM letters WHERE credential_id = $1::uuid`,
    [issued.credentialId],
  );
  batchDate = rows[0]!.batch_date;
  const dispatch = await fetch(`${stack.baseUrl}/api/mailroom/batches/${batchDate}/dispatch`, { method: 'POST', headers: { authorization: `Bearer ${operationsToken}` } });
  expect(dispatch.status).toBe(200);
  await waitForView(stack, issued.credentialId, (v) => v.state === 'awaiting_first_access');

  const firstAccess = await fetch(`${stack.baseUrl}/api/first-access`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ codiceFiscale: issued.citizen.codiceFiscale, pin: issued.firstHalf + issued.secondHalf }),
  });
  expect(firstAccess.status).toBe(200);
  const { pin } = (await firstAccess.json()) as { pin: string };
  await waitForView(stack, issued.credentialId, (v) => v.state === 'active');
  const login = await fetch(`${stack.baseUrl}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ codiceFiscale: issued.citizen.codiceFiscale, pin }),
  });
  expect(login.status).toBe(201);
  citizenToken = ((await login.json()) as { token: string }).token;
  history = await rawHistory(credentialWorkflowId(issued.credentialId));
});
afterAll(async () => {
  await stack?.stop();
});

describe('workflow history at rest', () => {
  it('holds only encrypted payloads, under the current key', () => {
    const payloads = payloadsOf(history.events);
    // Input, activity arguments and results, the update of the first access and its result...
    expect(payloads.length).toBeGreaterThan(10);
    for (const p of payloads) {
      expect(text(p.metadata?.encoding)).toBe(ENCODING_ENCRYPTED);
      expect(text(p.metadata?.[METADATA_KEY_ID])).toBe(stack.payloadCodec.currentKeyId);
      expect(Object.keys(p.metadata ?? {}).sort()).toEqual(['encoding', METADATA_KEY_ID].sort());
    }
  });

  it('has no personal datum, id, PIN type or payload field anywhere in its raw bytes', async () => {
    const bytes = bytesWithoutExempt(history);
    expect(bytes.length).toBeGreaterThan(2000);
    const { citizen, credentialId } = issued;
    const personal = [citizen.codiceFiscale, citizen.email!, citizen.pec!, citizen.mobile!, citizen.surname, citizen.residence.address, issued.firstHalf, issued.secondHalf];
    // What the payloads say in clear: ids, field names, the policy, 'first_access', dates...
    const decoded = (await stack.payloadCodec.decode(payloadsOf(history.events))).map((p) => defaultPayloadConverter.fromPayload<unknown>(p));
    const fields = [...wordsOf(decoded)];
    expect(fields).toEqual(expect.arrayContaining([credentialId, batchDate, 'firstAccessDeadline', 'first_access', 'letterId']));
    // Workflow ids stay readable for the server: this run's (`pin-<uuid>`, pseudonymous) and that
    // of the mail-room batch that signalled it (`mailroom-<date>`). Nothing else may show either.
    const outsideIds = bytes.split(credentialWorkflowId(credentialId)).join('').split(mailRoomWorkflowId(batchDate)).join('');
    for (const needle of [...personal, ...fields, 'ordinary', 'json/plain']) expect(outsideIds.includes(needle), needle).toBe(false);
    expect(decoded).toContainEqual(expect.objectContaining({ credentialId }));
  });
});

describe('codec endpoint', () => {
  const bodyOf = () => ({ payloads: payloadsOf(history.events).map(toJson) });

  it('decodes the history for operations staff', async () => {
    const res = await codec('decode', bodyOf(), { authorization: `Bearer ${operationsToken}`, 'x-namespace': 'default' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const decoded = res.body.payloads!.map(fromJson);
    expect(decoded).toHaveLength(bodyOf().payloads.length);
    expect(decoded.every((p) => text(p.metadata?.encoding) !== ENCODING_ENCRYPTED)).toBe(true);
    const values = decoded.map((p) => defaultPayloadConverter.fromPayload<unknown>(p));
    // The workflow input and the first access, in clear again.
    expect(values).toContainEqual(expect.objectContaining({ credentialId: issued.credentialId, policy: expect.any(Object) }));
    expect(values).toContainEqual(expect.objectContaining({ credentialId: issued.credentialId, reason: 'first_access' }));
  });

  it('encodes for the UI what the app can then decode', async () => {
    const plain = defaultPayloadConverter.toPayload({ note: 'from the UI' });
    const res = await codec('encode', { payloads: [toJson(plain)] }, { authorization: `Bearer ${operationsToken}` });
    expect(res.status).toBe(200);
    const sealed = fromJson(res.body.payloads![0]!);
    expect(text(sealed.metadata?.encoding)).toBe(ENCODING_ENCRYPTED);
    const [opened] = await stack.payloadCodec.decode([sealed]);
    expect(defaultPayloadConverter.fromPayload(opened!)).toEqual({ note: 'from the UI' });
  });

  it('refuses callers without a token, clerks and citizens; answers bad bodies with a structured error', async () => {
    const none = await codec('decode', bodyOf());
    expect(none.status).toBe(401);
    expect(none.body.error?.type).toBe('UNAUTHENTICATED');
    expect(none.body.payloads).toBeUndefined();
    const clerk = await codec('decode', bodyOf(), { authorization: `Bearer ${clerkToken}` });
    expect(clerk.status).toBe(403);
    expect(clerk.body.error?.type).toBe('FORBIDDEN');
    const citizen = await codec('decode', bodyOf(), { authorization: `Bearer ${citizenToken}` });
    expect(citizen.status).toBe(403); // a citizen session is refused as such (services/staff/auth.ts)
    expect(citizen.body.payloads).toBeUndefined();

    const malformed = await codec('decode', { payloads: [{ data: 'not base64!' }] }, { authorization: `Bearer ${operationsToken}` });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error?.type).toBe('VALIDATION');
    const [sealed] = await stack.payloadCodec.encode([defaultPayloadConverter.toPayload('x')]);
    const tampered = toJson(sealed!);
    tampered.data = Buffer.from(Buffer.from(tampered.data, 'base64').map((b, i) => (i === 20 ? b ^ 1 : b))).toString('base64');
    const altered = await codec('decode', { payloads: [tampered] }, { authorization: `Bearer ${operationsToken}` });
    expect(altered.status).toBe(400);
  });

  it('lets the Web UI decode with the console session cookie of an operations account (no CSRF token), and no other role', async () => {
    const [sealed] = await stack.payloadCodec.encode([defaultPayloadConverter.toPayload('in the clear')]);
    const ops = await createTestStaff(stack, 'operations', 'codec-ops');
    const clerk = await createTestStaff(stack, 'clerk', 'codec-clerk');
    const cookieOf = async (accountId: string) => (await openTestSession(stack, accountId)).cookie;
    const asUi = async (cookie: string, contentType = 'application/json') =>
      fetch(`${stack.baseUrl}/codec/decode`, {
        method: 'POST',
        headers: { origin: 'http://127.0.0.1:8233', cookie, 'content-type': contentType, 'x-namespace': 'default' },
        body: JSON.stringify({ payloads: [toJson(sealed!)] }),
      });
    const ok = await asUi(await cookieOf(ops.accountId));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    const [decoded] = ((await ok.json()) as { payloads: ReturnType<typeof toJson>[] }).payloads;
    expect(Buffer.from(decoded!.data, 'base64').toString()).toBe('"in the clear"');
    expect((await asUi(await cookieOf(clerk.accountId))).status).toBe(403);
    // A form post (what a cross-site page could send without a preflight) is refused before anything is read.
    expect((await asUi(await cookieOf(ops.accountId), 'text/plain')).status).toBe(415);
  });

  it('answers the UI origin\'s CORS preflight (X-Namespace included), and no other origin', async () => {
    const preflight = await fetch(`${stack.baseUrl}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:8233', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace,authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-namespace');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    // Refusals carry CORS headers too, so the UI can show why.
    const refused = await codec('decode', bodyOf(), { origin: 'http://127.0.0.1:8233' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
    const foreign = await fetch(`${stack.baseUrl}/codec/decode`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('metrics', () => {
  it('are refused without the metrics token', async () => {
    expect((await scrape(null)).status).toBe(401);
    expect((await scrape('not-the-token')).status).toBe(401);
  });

  it('count the issuance funnel and requests by route pattern', async () => {
    const after = await scrape();
    expect(after.status).toBe(200);
    expect(after.type).toContain('text/plain');
    const t = after.text;
    expect(stage(t, 'requested') - stage(before, 'requested')).toBe(1);
    expect(stage(t, 'pin_issued') - stage(before, 'pin_issued')).toBe(1);
    // One first-half message per channel: SMS, e-mail, PEC.
    expect(stage(t, 'first_half_sent') - stage(before, 'first_half_sent')).toBe(3);
    expect(stage(t, 'letter_queued') - stage(before, 'letter_queued')).toBe(1);
    // The batch may also hold letters other test files queued for the same day.
    expect(stage(t, 'letter_dispatched') - stage(before, 'letter_dispatched')).toBeGreaterThanOrEqual(1);
    expect(stage(t, 'first_access') - stage(before, 'first_access')).toBe(1);
    expect(sample(t, 'pin_mailroom_batch_letters_count') - sample(before, 'pin_mailroom_batch_letters_count')).toBe(1);
    expect(sample(t, 'pin_notifications_sent_total{channel="sms",purpose="first-half"}')).toBeGreaterThanOrEqual(1);

    expect(sample(t, 'pin_http_requests_total{method="POST",route="/api/mailroom/batches/:date/dispatch",status="200"}')).toBe(1);
    expect(sample(t, 'pin_http_requests_total{method="POST",route="/api/pin-requests",status="202"}')).toBe(1);
    expect(sample(t, 'pin_http_requests_total{method="POST",route="/codec/decode",status="403"}')).toBeGreaterThanOrEqual(1);
    expect(t).toMatch(/pin_http_request_duration_seconds_bucket\{le="0\.1",method="POST",route="\/api\/first-access",status="200"\}/);
    for (const needle of [batchDate, issued.credentialId, issued.citizen.codiceFiscale, issued.citizen.email!]) expect(t).not.toContain(needle);

    // Scrape-time gauges are there, and the review-queue metrics are defined for the review feature.
    expect(t).toMatch(/^pin_outbox_pending \d+$/m);
    expect(t).toMatch(/^pin_outbox_oldest_pending_age_seconds [\d.e+-]+$/m);
    expect(t).toMatch(/^pin_review_queue_depth \d+$/m);
    expect(t).toMatch(/^pin_review_escalations_total \d+$/m);
  });

  it('read the outbox lag and the review queue from the database when scraped', async () => {
    // A connection of its own (one, so session state holds) to stage what each gauge reads.
    const pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 1 });
    try {
      await pool.query(`CREATE TEMP TABLE outbox (status text, created_at timestamptz)`);
      await pool.query(`INSERT INTO outbox VALUES ('pending', now() - interval '90 seconds'), ('pending', now()), ('sent', now() - interval '1 hour')`);
      // Review cases (migrations/008's columns that matter): a temporary table shadows any real one.
      await pool.query(`CREATE TEMP TABLE review_cases (status text, created_at timestamptz)`);
      await pool.query(
        `INSERT INTO review_cases VALUES ('open', now() - interval '12 days'), ('claimed', now()), ('awaiting_second_review', now()), ('approved', now() - interval '30 days'), ('rejected', now())`,
      );
      let t = await collectMetrics(pool);
      expect(sample(t, 'pin_outbox_pending')).toBe(2);
      expect(sample(t, 'pin_outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(90);
      expect(sample(t, 'pin_outbox_oldest_pending_age_seconds')).toBeLessThan(120);
      expect(sample(t, 'pin_review_queue_depth')).toBe(3);
      // Twelve days hold more than five working days; a decided case is never late.
      expect(sample(t, 'pin_review_cases_past_sla')).toBe(1);
      expect(sample(t, 'pin_review_oldest_open_age_seconds')).toBeGreaterThanOrEqual(12 * 86_400 - 60);
      expect(sample(t, 'pin_metrics_collect_errors_total{collector="review_queue"}')).toBe(0);

      // Without the table (nothing on the search path), the depth is 0 and the scrape still answers.
      await pool.query('DROP TABLE review_cases');
      await pool.query('SET search_path = pg_catalog');
      const errorsBefore = sample(t, 'pin_metrics_collect_errors_total{collector="outbox"}');
      t = await collectMetrics(pool);
      expect(sample(t, 'pin_review_queue_depth')).toBe(0);
      expect(sample(t, 'pin_metrics_collect_errors_total{collector="review_queue"}')).toBe(0);
      // The temporary outbox is still found (pg_temp is always searched): no error there either.
      expect(sample(t, 'pin_metrics_collect_errors_total{collector="outbox"}')).toBe(errorsBefore);
    } finally {
      await pool.end();
    }
  });
});
