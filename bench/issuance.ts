/**
 * `npm run bench:issuance` — PIN requests through the HTTP API on the real stack (Temporal dev
 * server, PostgreSQL, SMTP and SMS sinks, real activities), then the floor: the same workflow
 * shape with no-op activities, started directly, on the same server in the same run.
 *
 * Prints: accepted requests/s, p50/p99 accept latency, end-to-end issuances/s (first half sent
 * on every channel and the letter rendered into the mail-room batch) and the floor.
 *
 *   BENCH_N=1000 BENCH_CONCURRENCY=32 npm run bench:issuance
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createApp } from '../api/app';
import type { createActivities } from '../activities';
import { createHttpSmsGateway, createSmtpMailer } from '../activities/channels';
import { startSmsSink } from '../dev/sinks/sms-sink';
import { startSmtpSink } from '../dev/sinks/smtp-sink';
import { createPool } from '../lib/db';
import { createLogger } from '../lib/logger';
import { migrate } from '../lib/migrate';
import { executableFor, resolveTemporalBinary } from '../lib/temporal-binaries';
import { makeCitizen } from '../test/support/citizens';
import { bundleWorkflows, createWorker } from '../worker/worker';
import { CREDENTIAL_WORKFLOW_TYPE, DEFAULT_ISSUANCE_POLICY, type CredentialWorkflowInput } from '../workflows/definitions';

const N = Number(process.env.BENCH_N ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const fmt = (n: number) => n.toFixed(1);

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL ?? execFileSync('bash', ['scripts/ensure-postgres.sh'], { encoding: 'utf8' }).trim();
  // Separate pools, as the API and the worker are separate processes in production.
  const pool = createPool(databaseUrl, 4);
  const apiPool = createPool(databaseUrl, 20);
  const workerPool = createPool(databaseUrl, 20, 30_000);
  await migrate(pool);
  const cli = await resolveTemporalBinary('cli', { allowSdkDownload: true });
  const env = await TestWorkflowEnvironment.createLocal({ server: { executable: executableFor(cli), ip: '127.0.0.1', log: { format: 'pretty', level: 'error' } } });
  const [smtp, sms] = await Promise.all([startSmtpSink({ smtpPort: 0, httpPort: 0 }), startSmsSink({ port: 0 })]);
  const log = createLogger({ level: 'warn', name: 'bench' });
  const workflowBundle = await bundleWorkflows();
  const client = env.client as Client;

  // ---- the real stack through the API ----
  const taskQueue = `bench-${randomUUID()}`;
  const deps = {
    pool: workerPool,
    mailer: createSmtpMailer(`smtp://127.0.0.1:${smtp.smtpPort}?pool=true&maxConnections=8`),
    sms: createHttpSmsGateway(sms.url),
    keys: { pepper: randomBytes(32), secrets: { currentId: 1, keys: new Map([[1, randomBytes(32)]]) } },
    mailFrom: 'bench@pin.example',
    pecFrom: 'bench@pec.pin.example',
    mailroomDir: mkdtempSync(path.join(tmpdir(), 'bench-mailroom-')),
    publicBaseUrl: 'http://bench',
    log,
  };
  const worker = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, deps, workflowBundle });
  const running = worker.run();
  const app = createApp({ pool: apiPool, temporal: client, taskQueue, log, policy: DEFAULT_ISSUANCE_POLICY, eligibilityPolicy: true });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const bodies = Array.from({ length: N }, () => JSON.stringify(makeCitizen()));
  const latencies: number[] = [];
  const credentialIds: string[] = [];
  let next = 0;
  let failures = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < N) {
        const body = bodies[next++]!;
        const start = performance.now();
        const res = await fetch(`${base}/api/pin-requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        latencies.push(performance.now() - start);
        if (res.status === 202) credentialIds.push(((await res.json()) as { credentialId: string }).credentialId);
        else {
          failures++;
          const text = await res.text();
          if (failures <= 3) console.error(`refused: ${res.status} ${text.slice(0, 300)}`);
        }
      }
    }),
  );
  const acceptSeconds = (performance.now() - t0) / 1000;
  const issued = async () => {
    const { rows } = await pool.query<{ letters: string; pending: string }>(
      `SELECT (SELECT count(*) FROM letters WHERE credential_id = ANY($1::uuid[]) AND batch_date IS NOT NULL) AS letters,
              (SELECT count(*) FROM outbox WHERE credential_id = ANY($1::uuid[]) AND status <> 'sent') AS pending`,
      [credentialIds],
    );
    if (process.env.BENCH_DEBUG) console.error(`progress: ${rows[0]!.letters}/${credentialIds.length} letters, ${rows[0]!.pending} pending`);
    return Number(rows[0]!.letters) === credentialIds.length && Number(rows[0]!.pending) === 0;
  };
  await waitUntil(issued, 30 * 60_000);
  const e2eSeconds = (performance.now() - t0) / 1000;
  server.close();
  worker.shutdown();
  await running;

  // ---- the floor: same shape, no-op activities, started directly ----
  const floorQueue = `floor-${randomUUID()}`;
  let lettersQueued = 0;
  const noop: Partial<ReturnType<typeof createActivities>> = {
    prepareIssuance: async () => ({ channels: ['sms', 'email', 'pec'], addressMismatch: false }),
    issueInitialPin: async ({ pinVersion }) => ({
      pinVersion,
      firstHalf: [
        { outboxId: 'a', channel: 'sms' },
        { outboxId: 'b', channel: 'email' },
        { outboxId: 'c', channel: 'pec' },
      ],
      letterId: randomUUID(),
    }),
    deliverNotification: async () => ({ channel: 'sms', messageId: '<x>' }),
    queueLetter: async () => {
      lettersQueued++;
      return { batchDate: '2026-01-01' };
    },
  };
  const floorWorker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: floorQueue,
    workflowBundle,
    activities: noop,
    maxConcurrentActivityTaskExecutions: 100,
    maxConcurrentWorkflowTaskExecutions: 40,
  });
  const floorRunning = floorWorker.run();
  const f0 = performance.now();
  let started = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (started < N) {
        started++;
        const input: CredentialWorkflowInput = { credentialId: randomUUID(), policy: DEFAULT_ISSUANCE_POLICY };
        await client.workflow.start(CREDENTIAL_WORKFLOW_TYPE, { workflowId: `pin-${input.credentialId}`, taskQueue: floorQueue, args: [input] });
      }
    }),
  );
  // Deliveries run alongside the letter; give them the same completion criterion (all done).
  await waitUntil(async () => lettersQueued >= N, 30 * 60_000);
  const floorSeconds = (performance.now() - f0) / 1000;
  floorWorker.shutdown();
  await floorRunning;

  const sorted = [...latencies].sort((a, b) => a - b);
  const acceptRate = credentialIds.length / acceptSeconds;
  const e2eRate = credentialIds.length / e2eSeconds;
  const floorRate = N / floorSeconds;
  console.log(
    [
      `bench:issuance  N=${N} concurrency=${CONCURRENCY}  (2-core target: accept >= 300 req/s, p99 <= 250 ms, end-to-end >= 70% of floor)`,
      `accepted            ${credentialIds.length} (${failures} refused)`,
      `accept rate         ${fmt(acceptRate)} req/s`,
      `accept latency      p50 ${fmt(percentile(sorted, 50))} ms   p99 ${fmt(percentile(sorted, 99))} ms`,
      `end-to-end          ${fmt(e2eRate)} issuances/s  (${fmt(e2eSeconds)} s for all: first half sent on every channel, letter in the batch)`,
      `floor (no-op)       ${fmt(floorRate)} workflows/s`,
      `end-to-end / floor  ${fmt((100 * e2eRate) / floorRate)} %`,
    ].join('\n'),
  );
  deps.mailer.close();
  await Promise.all([env.teardown(), smtp.close(), sms.close()]);
  await Promise.all([pool.end(), apiPool.end(), workerPool.end()]);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
