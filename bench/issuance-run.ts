/**
 * One measurement of `bench:issuance` against a given Temporal frontend and PostgreSQL (the dev
 * server in `bench:issuance`, the dev server and the real cluster in `cluster:bench`):
 *
 * 1. the real stack — the sinks, `workers` worker processes and one API process, as in
 *    production — takes PIN requests over HTTP; measured: accepted requests/s and latency after a
 *    warm-up, and end-to-end issuances/s (first half sent on every channel, letter in the batch);
 * 2. the floor — the same workflow with no-op activities and the same payload encryption, in
 *    `workers` worker processes of its own (bench/floor-worker.ts), started directly.
 *
 * With a CPU sampler, also the CPU seconds each component spent during each phase.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, type Connection } from '@temporalio/client';
import type { Pool } from '../lib/db';
import { AesGcmPayloadCodec, encryptedDataConverter, parsePayloadKeys } from '../lib/payload-codec';
import { makeCitizen } from '../test/support/citizens';
import { CREDENTIAL_WORKFLOW_TYPE, DEFAULT_ISSUANCE_POLICY, credentialWorkflowId, type CredentialWorkflowInput } from '../workflows/definitions';
import type { pinCredentialWorkflow } from '../workflows/credential';
import { cpuSpent, processes, type CpuSampler } from './cpu';
import { completedIssuances, freePort, percentile, waitForPollers, waitForWorkflows, waitUntil } from './support';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface IssuanceRunOptions {
  /** Client connection to the frontend; `address` is what the child processes dial. */
  connection: Connection;
  address: string;
  namespace?: string;
  databaseUrl: string;
  pool: Pool;
  /** Worker processes of the stack, and of the floor. */
  workers: number;
  n: number;
  concurrency: number;
  warmup: number;
  /** Components outside this run whose CPU to account for (Temporal, PostgreSQL), by name. */
  cpu?: Record<string, () => number>;
  log?: (line: string) => void;
}

export interface IssuanceFigures {
  accepted: number;
  refused: number;
  warmup: number;
  acceptRate: number;
  p50: number;
  p99: number;
  e2eRate: number;
  e2eSeconds: number;
  floorRate: number;
  floorSeconds: number;
  /** CPU seconds per component during the end-to-end phase and during the floor. */
  cpuE2e?: Record<string, number>;
  cpuFloor?: Record<string, number>;
}

function spawnTs(script: string, env: NodeJS.ProcessEnv): ChildProcess {
  // BENCH_PROFILE=dir writes a V8 CPU profile of each process there (open it in Chrome DevTools).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', path.join(root, script)], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') console.error(`${script} exited with ${code ?? signal}`);
  });
  return child;
}

const stopAll = (children: ChildProcess[]): Promise<void[]> =>
  Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );

export async function runIssuanceBench(o: IssuanceRunOptions): Promise<IssuanceFigures> {
  const namespace = o.namespace ?? 'default';
  const log = o.log ?? (() => undefined);
  // One payload key for the stack and the floor: both pay for the same encryption of payloads.
  const payloadKeys = `bench:${randomBytes(32).toString('base64')}`;
  const client = new Client({ connection: o.connection, namespace, dataConverter: encryptedDataConverter(new AesGcmPayloadCodec(parsePayloadKeys(payloadKeys))) });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-data-'));
  const [smtpPort, smtpHttpPort, smsPort, apiPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const taskQueue = `bench-${randomUUID()}`;
  const stackEnv: NodeJS.ProcessEnv = {
    LOG_LEVEL: 'warn',
    TEMPORAL_ADDRESS: o.address,
    TEMPORAL_NAMESPACE: namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_URL: o.databaseUrl,
    DATABASE_POOL_SIZE: '20',
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}?pool=true&maxConnections=8`,
    SMS_GATEWAY_URL: `http://127.0.0.1:${smsPort}`,
    API_PORT: String(apiPort),
    DATA_DIR: dataDir,
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
  const sinks = spawnTs('dev/sinks/main.ts', stackEnv);
  const workers = Array.from({ length: o.workers }, () => spawnTs('worker/main.ts', stackEnv));
  const api = spawnTs('api/main.ts', stackEnv);
  const stack = [sinks, ...workers, api];
  // An interrupted bench must not leave the stack running behind it.
  const killChildren = () => stack.forEach((c) => c.kill('SIGKILL'));
  process.once('exit', killChildren);
  const sample: CpuSampler = () => ({
    ...Object.fromEntries(Object.entries(o.cpu ?? {}).map(([k, read]) => [k, read()])),
    workers: processes(() => workers.map((w) => w.pid))(),
    api: processes(() => [api.pid])(),
    sinks: processes(() => [sinks.pid])(),
  });
  try {
    const base = `http://127.0.0.1:${apiPort}`;
    await waitUntil(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, 180_000);
    // The workers bundle their workflows before they poll: measure only once all of them do.
    await waitForPollers(client, taskQueue, 180_000, o.workers);

    // Warm-up: the first requests of a fresh process run cold code (JIT); they are issued like
    // the others but left out of the acceptance figures, as in bench:login.
    const bodies = Array.from({ length: o.n + o.warmup }, () => JSON.stringify(makeCitizen()));
    const latencies: number[] = [];
    const timeline: [number, number][] = [];
    const credentialIds: string[] = [];
    let refused = 0;
    const send = async (from: number, to: number, measured: boolean) => {
      let next = from;
      await Promise.all(
        Array.from({ length: o.concurrency }, async () => {
          while (next < to) {
            const body = bodies[next++]!;
            const start = performance.now();
            const res = await fetch(`${base}/api/pin-requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
            if (measured) latencies.push(performance.now() - start);
            if (measured && process.env.BENCH_DEBUG) timeline.push([start - t0, performance.now() - start]);
            if (res.status === 202) credentialIds.push(((await res.json()) as { credentialId: string }).credentialId);
            else {
              refused++;
              const text = await res.text();
              if (refused <= 3) console.error(`refused: ${res.status} ${text.slice(0, 300)}`);
            }
          }
        }),
      );
    };
    const cpu0 = o.cpu ? sample() : undefined;
    const tw = performance.now();
    let t0 = tw;
    await send(0, o.warmup, false);
    t0 = performance.now();
    await send(o.warmup, o.warmup + o.n, true);
    const acceptSeconds = (performance.now() - t0) / 1000;
    for (const [at, ms] of timeline) if (ms > 200) console.error(`slow: at ${at.toFixed(0)} ms took ${ms.toFixed(0)} ms`);
    if (credentialIds.length === 0) throw new Error('no request was accepted');
    await waitForWorkflows({
      label: 'issuance',
      client,
      workflowIds: credentialIds.map(credentialWorkflowId),
      progress: async () => ({ done: (await completedIssuances(o.pool, credentialIds)).length, total: credentialIds.length }),
      log,
    });
    // End to end counts the warm-up requests too, from the moment they were sent.
    const e2eSeconds = (performance.now() - tw) / 1000;
    const cpuE2e = cpu0 ? cpuSpent(cpu0, sample()) : undefined;
    await stopAll(stack);

    // ---- the floor: same shape, no-op activities, started directly ----
    const floorQueue = `floor-${randomUUID()}`;
    const floorEnv = { ...process.env, TEMPORAL_ADDRESS: o.address, TEMPORAL_NAMESPACE: namespace, FLOOR_TASK_QUEUE: floorQueue, PAYLOAD_KEYS: payloadKeys };
    const letters = new Map<number, number>();
    const floorWorkers = Array.from({ length: o.workers }, (_, i) => {
      const child = fork(path.join(root, 'bench', 'floor-worker.ts'), [], { env: floorEnv, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      child.on('message', (m: { letters?: number }) => {
        if (typeof m.letters === 'number') letters.set(i, m.letters);
      });
      return child;
    });
    process.once('exit', () => floorWorkers.forEach((c) => c.kill('SIGKILL')));
    const floorSample: CpuSampler = () => ({
      ...Object.fromEntries(Object.entries(o.cpu ?? {}).map(([k, read]) => [k, read()])),
      workers: processes(() => floorWorkers.map((w) => w.pid))(),
    });
    try {
      await waitForPollers(client, floorQueue, 180_000, o.workers);
      const floorCpu0 = o.cpu ? floorSample() : undefined;
      const f0 = performance.now();
      let started = 0;
      const floorIds: string[] = [];
      await Promise.all(
        Array.from({ length: o.concurrency }, async () => {
          while (started < o.n) {
            started++;
            const input: CredentialWorkflowInput = { credentialId: randomUUID(), policy: DEFAULT_ISSUANCE_POLICY };
            floorIds.push(credentialWorkflowId(input.credentialId));
            await client.workflow.start<typeof pinCredentialWorkflow>(CREDENTIAL_WORKFLOW_TYPE, { workflowId: credentialWorkflowId(input.credentialId), taskQueue: floorQueue, args: [input] });
          }
        }),
      );
      // Deliveries run alongside the letter; give them the same completion criterion (all done).
      const queued = () => [...letters.values()].reduce((a, b) => a + b, 0);
      await waitForWorkflows({ label: 'floor', client, workflowIds: floorIds, progress: async () => ({ done: queued(), total: o.n }), log });
      const floorSeconds = (performance.now() - f0) / 1000;
      const cpuFloor = floorCpu0 ? cpuSpent(floorCpu0, floorSample()) : undefined;
      const sorted = [...latencies].sort((a, b) => a - b);
      return {
        accepted: credentialIds.length,
        refused,
        warmup: o.warmup,
        acceptRate: latencies.length / acceptSeconds,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        e2eRate: credentialIds.length / e2eSeconds,
        e2eSeconds,
        floorRate: o.n / floorSeconds,
        floorSeconds,
        ...(cpuE2e ? { cpuE2e } : {}),
        ...(cpuFloor ? { cpuFloor } : {}),
      };
    } finally {
      await stopAll(floorWorkers);
    }
  } finally {
    await stopAll(stack);
    process.removeListener('exit', killChildren);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
