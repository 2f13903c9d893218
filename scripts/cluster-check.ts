/**
 * `npm run cluster:check` — what the cluster profile promises, checked on a throw-away cluster:
 * the real Temporal server on PostgreSQL (dev/cluster.ts), two workers and two APIs as separate
 * processes, the sinks in this process.
 *
 * 1. CLUSTER_CHECK_N (200) PIN requests, alternately through each API; a third of the way in,
 *    one worker and one API are killed with SIGKILL and not restarted. A request that finds its
 *    API gone is sent again, with the same Idempotency-Key, through the other one.
 * 2. Every issuance completes exactly once (the reliability scripts' checks: one credential, one
 *    secret, one letter, one message per channel, workflows in the expected state).
 * 3. The mail-room schedule exists once, though both workers created it at start.
 * 4. Search-attribute filters answer on SQL visibility (counts and lists by PinState/PinChannel).
 * 5. The payload codec and the failure converter hold against the real server: a history read raw
 *    has only encrypted payloads and no personal datum; a failed workflow's message and stack
 *    are ciphertext there and clear through the codec.
 * 6. Temporal's rows really are in PostgreSQL (`temporal`, `temporal_visibility`).
 *
 * Prints a report; exits 1 on any failed check, and stops by itself after CLUSTER_CHECK_TIMEOUT_S
 * (600 s) whatever happens. Not part of `npm test`: `.ci/run` runs it when the server is built.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import { freePort, issuanceProgress, waitForPollers, waitUntil } from '../bench/support';
import { startThrowawayCluster, type ThrowawayCluster } from '../dev/cluster';
import { startSmsSink } from '../dev/sinks/sms-sink';
import { startSmtpSink } from '../dev/sinks/smtp-sink';
import { TEMPORAL_DATABASES, TEMPORAL_SERVER_PINS, provisionTemporalServer } from '../dev/temporal-server';
import { loadConfig } from '../lib/config';
import { createPool } from '../lib/db';
import { migrate } from '../lib/migrate';
import { ENCODING_ENCRYPTED, METADATA_KEY_ID, encryptedDataConverter, payloadCodecFromConfig, type AesGcmPayloadCodec } from '../lib/payload-codec';
import { CLAIM_WORKFLOW_TYPE, claimWorkflowId } from '../workflows/claim-definitions';
import { CREDENTIAL_WORKFLOW_TYPE, MAILROOM_SCHEDULE_ID, MAILROOM_WORKFLOW_TYPE, credentialWorkflowId } from '../workflows/definitions';
import { CONVERSION_SWEEP_SCHEDULE_ID, CONVERSION_SWEEP_WORKFLOW_TYPE } from '../workflows/conversion-sweep-definitions';
import {
  ChaosReport,
  ManagedProcess,
  mapLimit,
  ROOT,
  defaultLog,
  numberFromEnv,
  paced,
  postPinRequest,
  sleep,
  statusSummary,
  uniqueCitizen,
  verifyIssuances,
  waitForIssuance,
  type Attempt,
  type Submission,
} from './chaos/harness';

type IPayload = proto.temporal.api.common.v1.IPayload;
type IHistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

const N = numberFromEnv('CLUSTER_CHECK_N', 200);
const TIMEOUT_S = numberFromEnv('CLUSTER_CHECK_TIMEOUT_S', 600);
const NAMESPACE = 'default';
const TASK_QUEUE = 'cluster-check';
const log = defaultLog;

/** What a submission went through: the API (0 or 1) of each attempt and of the acceptance. */
interface Routed extends Submission {
  apis: number[];
  acceptedBy?: number;
}

/** Stopped in reverse order at the end, on failure, or when the time is up. */
const cleanup: (() => Promise<unknown>)[] = [];
async function runCleanup(): Promise<void> {
  for (const step of cleanup.splice(0).reverse()) await step().catch((err: unknown) => log(`clean-up step failed: ${String(err)}`));
}

/** Past the limit everything started is stopped and the run fails: the run is bounded whatever happens. */
function armWatchdog(): NodeJS.Timeout {
  return setTimeout(() => {
    log(`cluster:check did not finish within ${TIMEOUT_S} s; stopping everything`);
    keep = true;
    void Promise.race([runCleanup(), sleep(30_000)]).then(() => process.exit(1));
  }, TIMEOUT_S * 1000);
}
let watchdog: NodeJS.Timeout | undefined;
/** Keep the logs and configuration of a run that failed or ran out of time. */
let keep = false;

async function main(): Promise<boolean> {
  // Built once (minutes) before the clock starts; .ci/run calls this only when it is built.
  await provisionTemporalServer({ log });
  watchdog = armWatchdog();
  const report = new ChaosReport('cluster-check', 'full');
  const dir = mkdtempSync(path.join(tmpdir(), 'cluster-check-'));
  cleanup.push(async () => (keep ? log(`logs and configuration kept in ${dir}`) : rmSync(dir, { recursive: true, force: true })));

  const cluster: ThrowawayCluster = await startThrowawayCluster({ name: 'cluster-check', dir, namespace: NAMESPACE, log });
  cleanup.push(() => cluster.release());
  report.figure('cluster up (schemas, server, namespace) (s)', cluster.startSeconds);
  log(`Temporal ${TEMPORAL_SERVER_PINS.server.version} at ${cluster.server.address}, PostgreSQL at ${cluster.postgres.host}:${cluster.postgres.port}`);

  const pool = createPool(cluster.databaseUrl, 8, 10_000);
  cleanup.push(() => pool.end());
  await migrate(pool);
  const [smtp, sms] = await Promise.all([startSmtpSink({ smtpPort: 0, httpPort: 0 }), startSmsSink({ port: 0 })]);
  cleanup.push(() => Promise.all([smtp.close(), sms.close()]));
  const apiPorts = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    TEMPORAL_ADDRESS: cluster.server.address,
    TEMPORAL_NAMESPACE: NAMESPACE,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    DATABASE_URL: cluster.databaseUrl,
    DATABASE_POOL_SIZE: '20',
    SMTP_URL: `smtp://127.0.0.1:${smtp.smtpPort}?pool=true&maxConnections=8`,
    SMS_GATEWAY_URL: sms.url,
    API_HOST: '127.0.0.1',
    DATA_DIR: path.join(dir, 'data'),
    MAILROOM_DIR: path.join(dir, 'mailroom'),
    PIN_PEPPER: randomBytes(32).toString('base64'),
    SECRETS_KEY: randomBytes(32).toString('base64'),
    PAYLOAD_KEYS: `cluster:${randomBytes(32).toString('base64')}`,
    // One load generator stands for many citizens.
    API_CLIENT_RATE_PER_MINUTE: '0',
  };
  const codec = payloadCodecFromConfig(loadConfig(env));
  const connection = await Connection.connect({ address: cluster.server.address });
  cleanup.push(() => connection.close());
  const client = new Client({ connection, namespace: NAMESPACE, dataConverter: encryptedDataConverter(codec) });

  const proc = (name: string, script: string, extra: NodeJS.ProcessEnv = {}) =>
    new ManagedProcess(name, process.execPath, ['--import', 'tsx', path.join(ROOT, script)], { ...env, ...extra }, path.join(dir, `${name}.log`), log);
  const workers = [proc('worker-1', 'worker/main.ts'), proc('worker-2', 'worker/main.ts')];
  const apis = apiPorts.map((port, i) => proc(`api-${i + 1}`, 'api/main.ts', { API_PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}` }));
  const bases = apiPorts.map((port) => `http://127.0.0.1:${port}`);
  cleanup.push(() => Promise.all([...apis, ...workers].map((p) => p.stop())));
  const t0 = performance.now();
  // Together, as a deployment rolls them out: both workers create the schedule at once.
  [...workers, ...apis].forEach((p) => p.start());
  await Promise.all([
    ...workers.map((w) => w.waitForOutput(/"msg":"worker started"/, 180_000)),
    ...apis.map((a, i) =>
      waitUntil(async () => {
        if (!a.running) throw new Error(`${a.name} exited while starting; see ${a.logFile}`);
        return (await fetch(`${bases[i]}/readyz`).catch(() => undefined))?.status === 200;
      }, 180_000),
    ),
  ]);
  await waitForPollers(client, TASK_QUEUE, 120_000, 2);
  report.figure('2 workers polling and 2 APIs ready (s)', (performance.now() - t0) / 1000);

  // ---- 1. the issuances, with a worker and an API killed a third of the way in ----
  const submissions: Routed[] = Array.from({ length: N }, () => ({ citizen: uniqueCitizen(), key: randomUUID(), attempts: [], apis: [] }));
  const rate = Number(process.env.CLUSTER_CHECK_RATE ?? 10);
  const windowMs = (N / rate) * 1000;
  const tRun = performance.now();
  const submitting = paced(submissions, rate, (s, i) => submitThroughEither(bases, s, i % 2, Date.now() + 180_000));
  await sleep(windowMs / 3);
  const acceptedAtKill = submissions.filter((s) => s.credentialId).length;
  const { letters: lettersAtKill } = await issuanceProgress(pool, submissions.filter((s) => s.credentialId).map((s) => s.credentialId!));
  await Promise.all([workers[0]!.kill9(), apis[0]!.kill9()]);
  log(`kill -9 worker-1 and api-1: ${acceptedAtKill} accepted, ${lettersAtKill} of them with their letter filed`);
  report.figure('killed with SIGKILL (not restarted)', `worker-1 and api-1 after ${(windowMs / 3000).toFixed(0)} s: ${acceptedAtKill} requests accepted, ${lettersAtKill} letters filed`);
  await submitting;
  const accepted = submissions.filter((s) => s.credentialId);
  const attempts = submissions.flatMap((s) => s.attempts);
  report.figure('API answers', statusSummary(attempts));
  report.figure('accepted by api-1 / api-2', `${accepted.filter((s) => s.acceptedBy === 0).length} / ${accepted.filter((s) => s.acceptedBy === 1).length}`);
  report.figure('requests re-sent to api-2 after api-1 died', submissions.filter((s) => s.apis.includes(0) && s.acceptedBy === 1).length);
  report.check(`all ${N} requests accepted`, accepted.length === N, `${accepted.length} accepted; ${attempts.filter((a) => a.error).slice(0, 2).map((a) => `${a.status} ${a.error}`).join('; ')}`);
  report.check(
    'both APIs accepted requests',
    accepted.some((s) => s.acceptedBy === 0) && accepted.some((s) => s.acceptedBy === 1),
    `api-1 ${accepted.filter((s) => s.acceptedBy === 0).length}, api-2 ${accepted.filter((s) => s.acceptedBy === 1).length}`,
  );
  const seconds = await waitForIssuance({ pool }, accepted.map((s) => s.credentialId!), 300_000, log);
  report.figure('issuances complete, from the first request (s)', (performance.now() - tRun) / 1000);
  report.figure('after the last request (s)', seconds);
  // What the kill cost: tasks the dead worker held, timed out and done again by the other one.
  const interrupted = await interruptedWork(client, accepted.map((s) => s.credentialId!));
  report.figure('workflows whose task the dead worker held', `${interrupted.workflows} (${interrupted.workflowTasks} workflow tasks timed out, ${interrupted.activityRetries} activities retried)`);
  report.check('the kill interrupted work in flight, which the other worker finished', interrupted.workflows > 0, 'no history shows a task taken over: the kill came at a quiet moment');
  const stack = { pool, client, sms, smtp };
  await verifyIssuances(stack, report, accepted.map((s) => ({ citizen: s.citizen, credentialId: s.credentialId! })));
  report.check('the surviving worker and API did not crash', workers[1]!.unexpectedExits === 0 && apis[1]!.unexpectedExits === 0, `worker-2 ${workers[1]!.unexpectedExits}, api-2 ${apis[1]!.unexpectedExits} unexpected exits`);

  // ---- 3. the schedule, created by both workers at start ----
  await checkSchedule(client, report);

  // ---- 4. search attributes on SQL visibility ----
  await checkSearchAttributes(client, report, accepted.map((s) => s.credentialId!));

  // ---- 5. payloads and failures as the server stores them ----
  await checkEncryptedHistory(client, codec, report, accepted.slice(0, 3));
  await checkEncryptedFailure(client, report);

  // ---- 6. where Temporal keeps its state ----
  await checkPersistence(cluster, client, report, N);

  keep = !report.ok;
  const result = report.result();
  console.log(
    [
      `cluster:check  ${result.ok ? 'PASSED' : 'FAILED'}  in ${result.seconds} s  (Temporal server ${TEMPORAL_SERVER_PINS.server.version} on PostgreSQL, 2 workers, 2 APIs, ${N} issuances)`,
      ...Object.entries(result.figures).map(([k, v]) => `  ${k.padEnd(48)}  ${v}`),
      ...result.checks.map((c) => `  [${c.ok ? 'ok' : 'FAIL'}] ${c.name}${c.detail && !c.ok ? ` — ${c.detail}` : ''}`),
    ].join('\n'),
  );
  return result.ok;
}

/**
 * Sends a request through API `first`; when that API does not answer at all (status 0: killed),
 * through the other one with the same Idempotency-Key; 429/503 are retried after Retry-After.
 */
async function submitThroughEither(bases: string[], s: Routed, first: number, deadline: number): Promise<void> {
  let which = first;
  for (;;) {
    const a: Attempt = await postPinRequest(bases[which]!, s.citizen, s.key);
    s.attempts.push(a);
    s.apis.push(which);
    if (a.credentialId) {
      s.credentialId = a.credentialId;
      s.acceptedBy = which;
      return;
    }
    if (a.status !== 0 && a.status !== 429 && a.status !== 503) return;
    if (Date.now() > deadline) return;
    if (a.status === 0) which = 1 - which;
    await sleep(a.status === 0 ? 100 : Math.max(1, Number(a.retryAfter) || 1) * 1000);
  }
}

/** Histories with a workflow task that timed out (its worker died) or an activity started again. */
async function interruptedWork(client: Client, credentialIds: string[]): Promise<{ workflows: number; workflowTasks: number; activityRetries: number }> {
  let workflows = 0;
  let workflowTasks = 0;
  let activityRetries = 0;
  await mapLimit(credentialIds, 8, async (id) => {
    const events = await rawHistory(client, credentialWorkflowId(id));
    const timedOut = events.filter((e) => e.workflowTaskTimedOutEventAttributes).length;
    const retried = events.filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1).length;
    workflowTasks += timedOut;
    activityRetries += retried;
    if (timedOut + retried > 0) workflows++;
  });
  return { workflows, workflowTasks, activityRetries };
}

async function checkSchedule(client: Client, report: ChaosReport): Promise<void> {
  // Listing schedules reads visibility, which trails the writes by a moment.
  const expected = new Map([
    [MAILROOM_SCHEDULE_ID, MAILROOM_WORKFLOW_TYPE],
    [CONVERSION_SWEEP_SCHEDULE_ID, CONVERSION_SWEEP_WORKFLOW_TYPE],
  ]);
  let ids: string[] = [];
  await waitUntil(async () => {
    ids = [];
    for await (const s of client.schedule.list()) ids.push(s.scheduleId);
    return ids.length >= expected.size;
  }, 30_000).catch(() => undefined);
  const types = await Promise.all(
    [...expected.keys()].map(async (id) => {
      const action = (await client.schedule.getHandle(id).describe().catch(() => undefined))?.action;
      return action && action.type === 'startWorkflow' ? action.workflowType : undefined;
    }),
  );
  report.check(
    'the mail-room and conversion-sweep schedules exist once each (both workers created them at start)',
    ids.length === expected.size && [...expected].every(([id, type], i) => ids.filter((x) => x === id).length === 1 && types[i] === type),
    `schedules listed: ${ids.join(', ') || 'none'}; actions ${types.map((t) => t ?? 'none').join(', ')}`,
  );
}

async function checkSearchAttributes(client: Client, report: ChaosReport, credentialIds: string[]): Promise<void> {
  const ours = `WorkflowType = '${CREDENTIAL_WORKFLOW_TYPE}' AND PinState = 'awaiting_letter_dispatch' AND PinChannel = 'online' AND PinType = 'ordinary'`;
  let counted = -1;
  await waitUntil(async () => {
    counted = (await client.workflow.count(ours)).count;
    return counted === credentialIds.length;
  }, 60_000).catch(() => undefined);
  report.check(`count by PinState, PinChannel and PinType on SQL visibility: ${credentialIds.length}`, counted === credentialIds.length, `counted ${counted}`);
  const sample = credentialIds.slice(0, 5).map(credentialWorkflowId);
  const listed: string[] = [];
  for await (const w of client.workflow.list({ query: `PinState = 'awaiting_letter_dispatch' AND WorkflowId IN (${sample.map((id) => `'${id}'`).join(', ')})` })) listed.push(w.workflowId);
  const none = (await client.workflow.count(`PinState IN ('active', 'revoked', 'expired') AND PinChannel = 'online'`)).count;
  report.check('list by PinState and workflow ids finds exactly those; no credential in a state it is not in', listed.sort().join() === [...sample].sort().join() && none === 0, `listed ${listed.length} of ${sample.length}; ${none} active/revoked/expired`);
}

/** The payloads of raw history events, except those no codec sees by design (search attributes, patch markers). */
function payloadsOf(node: unknown, out: IPayload[] = [], key = ''): IPayload[] {
  if (!node || typeof node !== 'object' || key === 'searchAttributes' || key === 'patch-data' || node instanceof Uint8Array) return out;
  if ('metadata' in node && 'data' in node) {
    out.push(node as IPayload);
    return out;
  }
  for (const [k, v] of Object.entries(node)) payloadsOf(v, out, k);
  return out;
}

async function rawHistory(client: Client, workflowId: string): Promise<IHistoryEvent[]> {
  const events: IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({ namespace: NAMESPACE, execution: { workflowId }, nextPageToken });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return events;
}

const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');

/** A history's wire bytes, as the server stores and sends them (searched for text in clear). */
const wireBytes = (events: IHistoryEvent[]): string => Buffer.from(proto.temporal.api.history.v1.History.encode({ events }).finish()).toString('latin1');

/** The URL of another database on the same server. */
function databaseUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function checkEncryptedHistory(client: Client, codec: AesGcmPayloadCodec, report: ChaosReport, sample: Routed[]): Promise<void> {
  const keyId = codec.currentKeyId;
  const problems: string[] = [];
  let payloads = 0;
  for (const s of sample) {
    const events = await rawHistory(client, credentialWorkflowId(s.credentialId!));
    const found = payloadsOf(events);
    payloads += found.length;
    for (const p of found) {
      if (text(p.metadata?.encoding) !== ENCODING_ENCRYPTED || text(p.metadata?.[METADATA_KEY_ID]) !== keyId) problems.push(`${s.credentialId}: a payload encoded ${text(p.metadata?.encoding)}`);
    }
    // Search attributes stay readable by design (states, channels, PIN types): none is personal.
    const bytes = wireBytes(events);
    for (const personal of [s.citizen.codiceFiscale, s.citizen.surname, s.citizen.email, s.citizen.mobile, s.citizen.pec].filter((v): v is string => Boolean(v))) {
      if (bytes.includes(personal)) problems.push(`${s.credentialId}: ${personal} in clear`);
    }
    // The application, with the key, reads them again.
    const decoded = (await codec.decode(found as Payload[])).map((p) => defaultPayloadConverter.fromPayload<unknown>(p));
    if (!JSON.stringify(decoded).includes(s.credentialId!)) problems.push(`${s.credentialId}: not found in the decoded payloads`);
  }
  report.check(`raw histories (${sample.length}) hold only payloads encrypted under the current key, no personal datum; the codec opens them`, problems.length === 0 && payloads > 10, `${payloads} payloads; ${problems.slice(0, 3).join('; ')}`);
}

async function checkEncryptedFailure(client: Client, report: ChaosReport): Promise<void> {
  // A claim workflow for a claim that does not exist fails with "claim <id> not found".
  const claimId = randomUUID();
  const handle = await client.workflow.start(CLAIM_WORKFLOW_TYPE, { workflowId: claimWorkflowId(claimId), taskQueue: TASK_QUEUE, args: [{ claimId, credentialId: randomUUID() }] });
  const failure = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  const cause = failure instanceof WorkflowFailedError ? (failure.cause as (Error & { cause?: Error }) | undefined) : undefined;
  const clear = cause?.cause?.message ?? cause?.message ?? '';
  const events = await rawHistory(client, claimWorkflowId(claimId));
  const raw = wireBytes(events);
  const failed = events.find((e) => e.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes?.failure;
  const encoding = text(failed?.encodedAttributes?.metadata?.encoding);
  report.check(
    'a failure is ciphertext in the server ("Encoded failure", binary/encrypted attributes, no message or stack) and clear through the codec',
    clear.includes('not found') && !raw.includes('not found') && failed?.message === 'Encoded failure' && encoding === ENCODING_ENCRYPTED && !/at async|activities\//.test(raw),
    `decoded "${clear}"; stored message "${failed?.message}", attributes ${encoding}`,
  );
}

async function checkPersistence(cluster: ThrowawayCluster, client: Client, report: ChaosReport, n: number): Promise<void> {
  const { serverVersion } = await client.workflowService.getSystemInfo({});
  const count = async (database: string, sql: string): Promise<number> => {
    const c = new pg.Client({ connectionString: databaseUrl(cluster.databaseUrl, database) });
    await c.connect();
    try {
      return Number((await c.query<{ n: string }>(sql)).rows[0]!.n);
    } finally {
      await c.end();
    }
  };
  const executions = await count(TEMPORAL_DATABASES.default, 'SELECT count(*) AS n FROM executions');
  const visible = await count(TEMPORAL_DATABASES.visibility, `SELECT count(*) AS n FROM executions_visibility WHERE workflow_type_name = '${CREDENTIAL_WORKFLOW_TYPE}'`);
  report.figure('Temporal rows in PostgreSQL', `${executions} executions (temporal), ${visible} credential workflows (temporal_visibility)`);
  report.check(
    `the real server ${TEMPORAL_SERVER_PINS.server.version} keeps executions and visibility in PostgreSQL`,
    serverVersion === TEMPORAL_SERVER_PINS.server.version.replace(/^v/, '') && executions >= n && visible === n,
    `server ${serverVersion}; ${executions} executions, ${visible} visible credential workflows`,
  );
}

main().then(
  async (ok) => {
    clearTimeout(watchdog);
    await runCleanup();
    process.exit(ok ? 0 : 1);
  },
  async (err: unknown) => {
    clearTimeout(watchdog);
    console.error('cluster:check FAILED:', err);
    keep = true;
    await runCleanup();
    process.exit(1);
  },
);

