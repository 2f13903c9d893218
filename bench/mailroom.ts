/**
 * `npm run bench:mailroom` — a day's batch of the mail room at the 2020 scale (about 105,000
 * letters a day), N letters at a time, through the real activities on the real PostgreSQL and a
 * Temporal dev server, beside the raw pdf-lib render rate of the same letter in the same run.
 *
 * 1. N credentials, their initial PIN rows (second half encrypted) and letters are stored in bulk
 *    with SQL, as issuance stores them (test/support/letters.ts).
 * 2. Filing: the real `queueLetter` for every letter (read, decrypt, render, write 0600, file in
 *    the day's batch), BENCH_CONCURRENCY at a time, in this process. CPU is measured with
 *    process.cpuUsage over the phase (cores used = CPU time / wall time), and PostgreSQL's
 *    separately (from /proc) when the bench runs its own server.
 * 3. Raw: `renderSecondHalfLetter` of the same kind of letter, back to back on one core, before
 *    and after the filing; the reference is their mean.
 * 4. Dispatch: the real mail-room workflow on a worker built as `worker/main.ts` builds it
 *    (heartbeats included): close, print file in parts of 500, merge and CSV, one short
 *    transaction, then signalDispatchedLetters telling the (here absent) credential workflows.
 *    End to end, start to result.
 *
 *   BENCH_N=10000 BENCH_CONCURRENCY=8 npm run bench:mailroom
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities, type ActivityDeps } from '../activities';
import { databaseForTool } from '../dev/embedded-postgres';
import { executableFor, resolveTemporalBinary } from '../dev/temporal-binaries';
import { renderSecondHalfLetter } from '../forms';
import { createPool } from '../lib/db';
import { createLogger } from '../lib/logger';
import { migrate } from '../lib/migrate';
import { AesGcmPayloadCodec, encryptedDataConverter, parsePayloadKeys } from '../lib/payload-codec';
import { seedLetters, type SeededLetter } from '../test/support/letters';
import { bundleWorkflows, createWorker } from '../worker/worker';
import { MAILROOM_WORKFLOW_TYPE, mailRoomProgressQuery, mailRoomWorkflowId } from '../workflows/definitions';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import type { mailRoomBatchWorkflow } from '../workflows/mailroom';
import { Cleanup, fmt } from './support';

const N = Number(process.env.BENCH_N ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const RAW_SECONDS = Number(process.env.BENCH_RAW_SECONDS ?? 3);
const TARGET = 0.7;
const TICKS = 100; // USER_HZ on Linux: /proc's CPU times are in 1/100 s

const cleanup = new Cleanup();

/** CPU seconds of a PostgreSQL server (postmaster, its live children, and its reaped ones) from /proc; undefined elsewhere. */
function postgresCpuSeconds(dataDir: string | undefined): number | undefined {
  if (!dataDir || !existsSync(path.join(dataDir, 'postmaster.pid')) || !existsSync('/proc/self/stat')) return undefined;
  const master = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const fields = (pid: number | string) => {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return text.slice(text.lastIndexOf(')') + 2).split(' ');
    } catch {
      return undefined;
    }
  };
  const own = fields(master);
  if (!own) return undefined;
  // After the command: state is field 0, ppid 1, utime 11, stime 12, cutime 13, cstime 14.
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    const f = fields(pid);
    if (f && Number(f[1]) === master) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / TICKS;
}

/**
 * Renders the same kind of letter back to back for `seconds`: letters per second of wall time on
 * one core, and per second of this process's CPU (the steadier figure when other processes share
 * the cores).
 */
async function rawRenderRate(seconds: number): Promise<{ wall: number; cpu: number }> {
  const input = {
    reference: `L-${randomUUID()}`,
    date: '2026-03-02',
    recipient: { fullName: 'Giulia D’Amico', addressLines: ['Via Roma 12', '00100 Roma (RM)'], country: 'Italia' },
    secondHalf: 'Ab3$xY7!',
  };
  for (let i = 0; i < 20; i++) await renderSecondHalfLetter(input); // warm-up
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    await renderSecondHalfLetter({ ...input, reference: `L-${randomUUID()}` });
    n++;
  }
  const c = process.cpuUsage(c0);
  return { wall: n / ((performance.now() - t0) / 1000), cpu: n / ((c.user + c.system) / 1e6) };
}

/** Wall time of each activity type in the run's history (first scheduled to last completed), then of what followed the last. */
async function phasesOf(handle: { fetchHistory(): Promise<{ events?: import('@temporalio/proto').temporal.api.history.v1.IHistoryEvent[] | null }> }): Promise<string[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const ms = (e: (typeof events)[number]) => Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
  const typeOf = new Map<string, string>();
  const spans = new Map<string, [number, number]>();
  let lastActivity = 0;
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const type = scheduled.activityType?.name ?? '?';
      typeOf.set(String(e.eventId), type);
      const span = spans.get(type);
      spans.set(type, [span?.[0] ?? ms(e), span?.[1] ?? ms(e)]);
    }
    const completed = e.activityTaskCompletedEventAttributes;
    if (completed) {
      const type = typeOf.get(String(completed.scheduledEventId))!;
      spans.get(type)![1] = ms(e);
      lastActivity = ms(e);
    }
  }
  const end = ms(events.at(-1)!);
  return [...[...spans].map(([type, [a, b]]) => `${type} ${fmt((b - a) / 1000)} s`), `after the last activity ${fmt((end - lastActivity) / 1000)} s`];
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<void> {
  // The worker runs in this process: only its warnings.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const database = await databaseForTool('bench-mailroom');
  cleanup.add(() => database.release());
  const pgDir = process.env.DATABASE_URL ? undefined : path.resolve('.cache', 'postgres', `bench-mailroom-${process.pid}`);
  const pool = createPool(database.url, 12);
  cleanup.add(() => pool.end());
  await migrate(pool);
  const mailroomDir = mkdtempSync(path.join(tmpdir(), 'bench-mailroom-'));
  cleanup.add(async () => rmSync(mailroomDir, { recursive: true, force: true }));
  const deps: ActivityDeps = {
    pool,
    // The mail room sends nothing: channels that refuse, so a stray send would show.
    mailer: { send: async () => Promise.reject(new Error('no mail in bench:mailroom')), close: () => undefined },
    sms: { send: async () => Promise.reject(new Error('no SMS in bench:mailroom')) },
    keys: { pepper: randomBytes(32), secrets: { currentId: 1, keys: new Map([[1, randomBytes(32)]]) } },
    mailFrom: 'pin@inps.example',
    pecFrom: 'pin@pec.inps.example',
    mailroomDir,
    publicBaseUrl: 'http://127.0.0.1',
    log: createLogger({ level: 'warn', name: 'bench-mailroom' }),
  };
  const activities = createActivities(deps);

  // 1. The day's letters, stored as issuance stores them.
  const s0 = performance.now();
  const letters: SeededLetter[] = [];
  for (let i = 0; i < N; i += 2_000) letters.push(...(await seedLetters(pool, deps.keys, Math.min(2_000, N - i))));
  const seedSeconds = (performance.now() - s0) / 1000;

  const rawBefore = await rawRenderRate(RAW_SECONDS);

  // 2. Filing through the real activity.
  const days = new Set<string>();
  let next = 0;
  const pg0 = postgresCpuSeconds(pgDir);
  const cpu0 = process.cpuUsage();
  const q0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < letters.length) {
        const l = letters[next++]!;
        days.add((await activities.queueLetter({ letterId: l.letterId })).batchDate);
      }
    }),
  );
  const queueSeconds = (performance.now() - q0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const pg1 = postgresCpuSeconds(pgDir);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const cores = cpuSeconds / queueSeconds;
  const pgCores = pg0 !== undefined && pg1 !== undefined ? (pg1 - pg0) / queueSeconds : undefined;

  const rawAfter = await rawRenderRate(RAW_SECONDS);
  const raw = (rawBefore.wall + rawAfter.wall) / 2;
  const rawCpu = (rawBefore.cpu + rawAfter.cpu) / 2;
  const rate = N / queueSeconds;

  // 4. Dispatch through the workflow, on a worker as worker/main.ts builds it.
  const cli = await resolveTemporalBinary('cli', { allowSdkDownload: true });
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: executableFor(cli), ip: '127.0.0.1', searchAttributes: SEARCH_ATTRIBUTES, log: { format: 'pretty', level: 'error' } },
  });
  cleanup.add(() => env.teardown());
  const codec = new AesGcmPayloadCodec(parsePayloadKeys(`bench:${randomBytes(32).toString('base64')}`));
  const client = new Client({ connection: env.connection, dataConverter: encryptedDataConverter(codec) });
  const taskQueue = `bench-mailroom-${randomUUID()}`;
  const connection = await NativeConnection.connect({ address: env.address });
  cleanup.add(() => connection.close());
  const worker = await createWorker({ connection, namespace: 'default', taskQueue, deps, workflowBundle: await bundleWorkflows(), payloadCodec: codec });
  const running = worker.run();
  cleanup.add(async () => {
    worker.shutdown();
    await running;
  });
  let dispatched = 0;
  const phases: string[] = [];
  const d0 = performance.now();
  for (const batchDate of [...days].sort()) {
    const handle = await client.workflow.start<typeof mailRoomBatchWorkflow>(MAILROOM_WORKFLOW_TYPE, { workflowId: mailRoomWorkflowId(batchDate), taskQueue, args: [{ batchDate, dispatchedBy: 'bench' }] });
    const progress = process.env.BENCH_DEBUG
      ? setInterval(() => {
          handle
            .query(mailRoomProgressQuery)
            .then((p) => console.error(`${p.phase}: ${p.done}/${p.total} letters, ${fmt(p.lettersPerSecond ?? 0)}/s, ${fmt(p.secondsLeft ?? 0)} s left`))
            .catch(() => undefined);
        }, 5_000)
      : undefined;
    dispatched += (await handle.result()).dispatched;
    clearInterval(progress);
    phases.push(...(await phasesOf(handle)));
  }
  const dispatchSeconds = (performance.now() - d0) / 1000;
  if (dispatched !== N) throw new Error(`dispatched ${dispatched} letters of ${N}`);
  const files = (await pool.query<{ print_path: string | null; csv_path: string | null }>('SELECT print_path, csv_path FROM mailroom_batches WHERE batch_date = ANY($1::date[])', [[...days]])).rows;
  const size = (f: string | null) => (f ? statSync(f).size : 0);
  const printBytes = files.reduce((a, f) => a + size(f.print_path), 0);
  const csvBytes = files.reduce((a, f) => a + size(f.csv_path), 0);

  const perCore = rate / cores / raw;
  console.log(
    [
      `bench:mailroom  N=${N} concurrency=${CONCURRENCY}  (target: filing >= ${TARGET * 100}% of raw per core used)`,
      `stored             ${N} letters in ${fmt(seedSeconds)} s (bulk SQL: credentials, pin_secrets with the encrypted half, letters)`,
      `filing             ${fmt(rate)} letters/s  (${fmt(queueSeconds)} s: queueLetter read, decrypt, render, write 0600, file in batch ${[...days].join(', ')})`,
      `raw render         ${fmt(raw)} letters/s  (pdf-lib, same letter, one core; ${fmt(rawBefore.wall)} before, ${fmt(rawAfter.wall)} after; ${fmt(rawCpu)} per CPU second)`,
      `cores used         ${cores.toFixed(2)}  (this process: ${fmt(cpuSeconds)} s CPU / ${fmt(queueSeconds)} s)${pgCores === undefined ? '' : `; PostgreSQL ${pgCores.toFixed(2)} more`}`,
      `filing / raw       ${fmt(100 * (rate / raw))} %  (per process, whatever its cores)`,
      `per core / raw     ${fmt(100 * perCore)} %  (filing rate per core used / raw)`,
      `per CPU s / raw    ${fmt((100 * (N / cpuSeconds)) / rawCpu)} %  (letters per CPU second, filing / raw: the same ratio, steadier on a shared machine)`,
      `dispatch           ${fmt(dispatchSeconds)} s  (workflow start to result: close, ${Math.ceil(N / 500)} parts, merge, CSV, mark ${dispatched} dispatched, signals)`,
      `print files        ${mb(printBytes)} PDF, ${mb(csvBytes)} CSV`,
      `dispatch phases    ${phases.join('; ')}`,
    ].join('\n'),
  );
  await cleanup.run();
}

main().catch(async (err) => {
  console.error(err);
  await cleanup.run();
  process.exit(1);
});
