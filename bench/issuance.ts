/**
 * `npm run bench:issuance` — PIN requests through the HTTP API on the real stack (Temporal dev
 * server, PostgreSQL, SMTP and SMS sinks, real activities), then the floor: the same workflow
 * shape with no-op activities, started directly, on the same server in the same run.
 *
 * The sinks, the worker and the API run as separate processes, as they would in production.
 * Prints: accepted requests/s, p50/p99 accept latency, end-to-end issuances/s (first half sent
 * on every channel and the letter rendered into the mail-room batch) and the floor.
 *
 *   BENCH_N=1000 BENCH_CONCURRENCY=32 npm run bench:issuance
 */
import { fmt, freePort, completedIssuances, percentile, Cleanup, waitForPollers, waitForWorkflows, waitUntil } from './support';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { createActivities } from '../activities';
import { databaseForTool } from '../dev/embedded-postgres';
import { createPool } from '../lib/db';
import { AesGcmPayloadCodec, encryptedDataConverter, parsePayloadKeys } from '../lib/payload-codec';
import { migrate } from '../lib/migrate';
import { executableFor, resolveTemporalBinary } from '../dev/temporal-binaries';
import { makeCitizen } from '../test/support/citizens';
import { bundleWorkflows } from '../worker/worker';
import { CREDENTIAL_WORKFLOW_TYPE, DEFAULT_ISSUANCE_POLICY, credentialWorkflowId, type CredentialWorkflowInput } from '../workflows/definitions';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import type { pinCredentialWorkflow } from '../workflows/credential';

const N = Number(process.env.BENCH_N ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);


function spawnTs(script: string, env: NodeJS.ProcessEnv): ChildProcess {
  // BENCH_PROFILE=dir writes a V8 CPU profile of each process there (open it in Chrome DevTools).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') console.error(`${script} exited with ${code ?? signal}`);
  });
  return child;
}

const cleanup = new Cleanup();

async function main(): Promise<void> {
  const database = await databaseForTool('bench-issuance');
  cleanup.add(() => database.release());
  const databaseUrl = database.url;
  const pool = createPool(databaseUrl, 4);
  cleanup.add(() => pool.end());
  await migrate(pool);
  const cli = await resolveTemporalBinary('cli', { allowSdkDownload: true });
  // The project's search attributes, as `npm start` registers them: without them every
  // credential workflow task fails (BadSearchAttributes) and nothing is ever issued.
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: executableFor(cli), ip: '127.0.0.1', searchAttributes: SEARCH_ATTRIBUTES, log: { format: 'pretty', level: 'error' } },
  });
  cleanup.add(() => env.teardown());

  // One payload key for the stack and the floor: both pay for the same encryption of payloads.
  const payloadKeys = `bench:${randomBytes(32).toString('base64')}`;
  const codecConverter = encryptedDataConverter(new AesGcmPayloadCodec(parsePayloadKeys(payloadKeys)));
  const client = new Client({ connection: env.connection, dataConverter: codecConverter });

  // ---- the real stack through the API: sinks, worker and API each in its own process ----
  const [smtpPort, smtpHttpPort, smsPort, apiPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const taskQueue = `bench-${randomUUID()}`;
  const stackEnv: NodeJS.ProcessEnv = {
    LOG_LEVEL: 'warn',
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '20',
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}?pool=true&maxConnections=8`,
    SMS_GATEWAY_URL: `http://127.0.0.1:${smsPort}`,
    API_PORT: String(apiPort),
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bench-data-')),
    PIN_PEPPER: randomBytes(32).toString('base64'),
    PAYLOAD_KEYS: payloadKeys,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    SMTP_SINK_PORT: String(smtpPort),
    SMTP_SINK_HTTP_PORT: String(smtpHttpPort),
    SMS_SINK_PORT: String(smsPort),
    SMTP_SINK_STORE: '',
    SMS_SINK_STORE: '',
    // One client sends everything here: the per-client limit (api/admission.ts) would be measured instead.
    API_CLIENT_RATE_PER_MINUTE: '0',
  };
  const children = [spawnTs('dev/sinks/main.ts', stackEnv), spawnTs('worker/main.ts', stackEnv), spawnTs('api/main.ts', stackEnv)];
  // An interrupted bench must not leave the stack running behind it.
  const killChildren = () => children.forEach((c) => c.kill('SIGKILL'));
  process.once('exit', killChildren);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  const base = `http://127.0.0.1:${apiPort}`;
  await waitUntil(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, 120_000);
  // The worker bundles its workflows before it polls: measure only once it does.
  await waitForPollers(client, taskQueue);

  // Warm-up: the first requests of a fresh process run cold code (JIT); they are issued like the
  // others but left out of the acceptance figures, as in bench:login.
  const WARMUP = Math.min(N, Number(process.env.BENCH_WARMUP ?? CONCURRENCY * 2));
  const bodies = Array.from({ length: N + WARMUP }, () => JSON.stringify(makeCitizen()));
  const latencies: number[] = [];
  const timeline: [number, number][] = [];
  const credentialIds: string[] = [];
  let failures = 0;
  let t0 = performance.now();
  /** Sends bodies[from, to) from CONCURRENCY clients; records latencies when `measured`. */
  const send = async (from: number, to: number, measured: boolean) => {
    let next = from;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < to) {
          const body = bodies[next++]!;
          const start = performance.now();
          const res = await fetch(`${base}/api/pin-requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
          if (measured) latencies.push(performance.now() - start);
          if (measured && process.env.BENCH_DEBUG) timeline.push([start - t0, performance.now() - start]);
          if (res.status === 202) credentialIds.push(((await res.json()) as { credentialId: string }).credentialId);
          else {
            failures++;
            const text = await res.text();
            if (failures <= 3) console.error(`refused: ${res.status} ${text.slice(0, 300)}`);
          }
        }
      }),
    );
  };
  const tw = performance.now();
  await send(0, WARMUP, false);
  t0 = performance.now();
  await send(WARMUP, WARMUP + N, true);
  const acceptSeconds = (performance.now() - t0) / 1000;
  if (process.env.BENCH_DEBUG) for (const [at, ms] of timeline) if (ms > 200) console.error(`slow: at ${at.toFixed(0)} ms took ${ms.toFixed(0)} ms`);
  if (credentialIds.length === 0) throw new Error('no request was accepted');
  await waitForWorkflows({
    label: 'issuance',
    client,
    workflowIds: credentialIds.map(credentialWorkflowId),
    progress: async () => ({ done: (await completedIssuances(pool, credentialIds)).length, total: credentialIds.length }),
    log: process.env.BENCH_DEBUG ? (l) => console.error(l) : undefined,
  });
  // End to end counts the warm-up requests too, from the moment they were sent.
  const e2eSeconds = (performance.now() - tw) / 1000;
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
  const workflowBundle = await bundleWorkflows();

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
    dataConverter: codecConverter,
    taskQueue: floorQueue,
    workflowBundle,
    activities: noop,
    maxConcurrentActivityTaskExecutions: 100,
    maxConcurrentWorkflowTaskExecutions: 40,
  });
  const floorRunning = floorWorker.run();
  const f0 = performance.now();
  let started = 0;
  const floorIds: string[] = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (started < N) {
        started++;
        const input: CredentialWorkflowInput = { credentialId: randomUUID(), policy: DEFAULT_ISSUANCE_POLICY };
        floorIds.push(credentialWorkflowId(input.credentialId));
        await client.workflow.start<typeof pinCredentialWorkflow>(CREDENTIAL_WORKFLOW_TYPE, { workflowId: credentialWorkflowId(input.credentialId), taskQueue: floorQueue, args: [input] });
      }
    }),
  );
  // Deliveries run alongside the letter; give them the same completion criterion (all done).
  await waitForWorkflows({ label: 'floor', client, workflowIds: floorIds, progress: async () => ({ done: lettersQueued, total: N }) });
  const floorSeconds = (performance.now() - f0) / 1000;
  floorWorker.shutdown();
  await floorRunning;

  const sorted = [...latencies].sort((a, b) => a - b);
  const acceptRate = latencies.length / acceptSeconds;
  const e2eRate = credentialIds.length / e2eSeconds;
  const floorRate = N / floorSeconds;
  console.log(
    [
      `bench:issuance  N=${N} concurrency=${CONCURRENCY}  (2-core target: accept >= 400 req/s, p99 <= 250 ms, end-to-end >= 70% of floor)`,
      `accepted            ${credentialIds.length} (${failures} refused; ${WARMUP} of them warm-up, left out of rate and latency)`,
      `accept rate         ${fmt(acceptRate)} req/s`,
      `accept latency      p50 ${fmt(percentile(sorted, 50))} ms   p99 ${fmt(percentile(sorted, 99))} ms`,
      `end-to-end          ${fmt(e2eRate)} issuances/s  (${fmt(e2eSeconds)} s for all: first half sent on every channel, letter in the batch)`,
      `floor (no-op)       ${fmt(floorRate)} workflows/s  (same workflow, same payload encryption, activities that do nothing)`,
      `end-to-end / floor  ${fmt((100 * e2eRate) / floorRate)} %`,
    ].join('\n'),
  );
  await cleanup.run();
}

main().catch(async (err) => {
  console.error(err);
  await cleanup.run();
  process.exit(1);
});
