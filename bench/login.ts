/**
 * `npm run bench:login` — logins (codice fiscale + PIN → session) through the HTTP API under
 * concurrency, beside the raw argon2id verification rate of the same machine, in the same run.
 *
 * The API runs in a child process built as `api/main.ts` builds it (`createApp`, configuration
 * from the environment, its own event loop and libuv pool), against the real PostgreSQL; only
 * its Temporal connection is lazy, because a login never reaches Temporal. Every login pays for
 * HTTP, the lookup, the argon2id verification, the counter and session rows and the chained
 * audit append, on the same cores as PostgreSQL and this load generator.
 *
 * The raw rate is the best this machine does: `verifyPin` (argon2id m=19 MiB, t=2, p=1, with
 * the pepper) back to back in a child process of its own, twice as many in flight as pool
 * threads, measured with libuv's default pool (4 threads) and with one thread per core, the
 * better of the two being the reference. Rounds alternate the raw measurement and a share of
 * the logins, so a change of the machine's background load weighs on both figures alike.
 *
 * The API child gets UV_THREADPOOL_SIZE = cores (BENCH_API_THREADS overrides): with more
 * threads than cores, 19 MiB argon2 instances evict each other from the caches and the rate
 * drops by 10–15% (see the two raw figures).
 *
 * Rates move by ±10% from run to run on a shared machine, so the CPU each login costs is also
 * printed, per process (from /proc: the API's event loop and its other threads, the API's
 * PostgreSQL backends found by application_name, this process), against the CPU of one raw
 * verification: a steadier measure of how much of a login is the hash.
 *
 *   BENCH_LOGINS=4000 BENCH_CONCURRENCY=16 BENCH_CREDENTIALS=200 BENCH_ROUNDS=4 npm run bench:login
 */
import { Cleanup, fmt, freePort, percentile, waitUntil } from './support';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../api/app';
import { hashPin, verifyPin } from '../lib/pin-hash';
import { generatePin } from '../lib/secrets';
import { loadConfig } from '../lib/config';
import { databaseForTool } from '../dev/embedded-postgres';
import { createPool } from '../lib/db';
import { createLogger } from '../lib/logger';
import { migrate } from '../lib/migrate';
import { keyAuditLog } from '../lib/audit';
import { loadKeys } from '../lib/keys';
import { encryptedDataConverter, payloadCodecFromConfig } from '../lib/payload-codec';
import { requireDatabaseUrl } from '../lib/runtime';
import { makeCitizen } from '../test/support/citizens';
import { DEFAULT_ISSUANCE_POLICY } from '../workflows/definitions';

const LOGINS = Number(process.env.BENCH_LOGINS ?? 4000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const CREDENTIALS = Number(process.env.BENCH_CREDENTIALS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const RAW_SECONDS = Number(process.env.BENCH_RAW_SECONDS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 300);
const CORES = os.availableParallelism();
const API_THREADS = Number(process.env.BENCH_API_THREADS ?? CORES);
const RAW_THREADS = [...new Set([4, CORES])];
const TARGET = 0.8;
const APP_NAME = `bench-login-${process.pid}`;


/** Child mode: the API as `api/main.ts` builds it, with a lazy Temporal connection. */
async function serve(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ level: config.LOG_LEVEL, name: 'api' });
  const pool = keyAuditLog(createPool(requireDatabaseUrl(config), config.DATABASE_POOL_SIZE), loadKeys(config).secrets);
  const connection = Connection.lazy({ address: config.TEMPORAL_ADDRESS });
  const app = createApp({
    trustedProxies: ['loopback'],
    pool,
    pepper: loadKeys(config).pepper,
    temporal: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: encryptedDataConverter(payloadCodecFromConfig(config)) }),
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    log,
    policy: { ...DEFAULT_ISSUANCE_POLICY, simplifiedProcedure: config.SIMPLIFIED_PROCEDURE },
    eligibilityPolicy: config.ELIGIBILITY_POLICY,
  });
  const server = app.listen(config.API_PORT, config.API_HOST);
  process.on('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    void pool.end().then(() => process.exit(0));
  });
}

/** Child mode: argon2id verifications per second on this process's libuv pool; prints the rate. */
async function raw(seconds: number): Promise<void> {
  const pepper = randomBytes(32);
  const pin = generatePin(8);
  const stored = await hashPin(pepper, pin);
  const inFlight = 2 * Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const until = t0 + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < until) {
        if (!(await verifyPin(pepper, stored, pin))) throw new Error('raw verification failed');
        done++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({ done, seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
}

function spawnTs(args: string[], env: NodeJS.ProcessEnv, stdout: 'inherit' | 'pipe'): ChildProcess {
  const profileDir = process.env.BENCH_PROFILE_DIR;
  return spawn(process.execPath, [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), '--import', 'tsx', 'bench/login.ts', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', stdout, 'inherit'],
  });
}

interface RawResult {
  done: number;
  seconds: number;
  cpuSeconds: number;
}

async function measureRaw(threads: number): Promise<RawResult> {
  const child = spawnTs(['--raw', String(RAW_SECONDS)], { UV_THREADPOOL_SIZE: String(threads) }, 'pipe');
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`raw measurement exited with ${code}`);
  return JSON.parse(out) as RawResult;
}

/** Share of all cores busy over `ms` (from /proc/stat; undefined elsewhere): the background load the figures share the machine with. */
async function busyShare(ms: number): Promise<number | undefined> {
  const read = async () => {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = line[3]! + line[4]!;
    return { idle, total: line.reduce((a, b) => a + b, 0) };
  };
  try {
    const a = await read();
    await new Promise((r) => setTimeout(r, ms));
    const b = await read();
    return 1 - (b.idle - a.idle) / (b.total - a.total);
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds (user + system) used so far by these processes, from /proc (0 for any that cannot
 * be read); `mainThread` reads only each process's main thread (its event loop).
 */
async function cpuSecondsOf(pids: number[], mainThread = false): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    const stat = await readFile(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    if (!stat) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100; // USER_HZ
}

const cleanup = new Cleanup();

async function main(): Promise<void> {
  const database = await databaseForTool('bench-login');
  cleanup.add(() => database.release());
  const databaseUrl = database.url;
  const pool = createPool(databaseUrl, 4);
  cleanup.add(() => pool.end());
  await migrate(pool);
  const pepper = randomBytes(32);

  // ---- fixtures: credentials with an active personal PIN, varied profiles and PIN types ----
  const profiles = [
    { category: 'pensioner', scheme: 'private' },
    { category: 'pensioner', scheme: 'public' },
    { category: 'employee', scheme: 'private' },
    { category: 'employee', scheme: 'public' },
    { category: 'self_employed', scheme: 'private' },
  ];
  const fixtures: { codiceFiscale: string; pin: string }[] = [];
  let made = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (made < CREDENTIALS) {
        const i = made++;
        const citizen = makeCitizen();
        const id = randomUUID();
        const pin = generatePin(8);
        const hash = await hashPin(pepper, pin);
        await pool.query(
          `INSERT INTO credentials (id, codice_fiscale, state, pin_type, channel, holder, contacts, residence, profile, workflow_started_at)
           VALUES ($1::uuid, $2::text, 'active', $3::text, 'online', '{}'::jsonb, '{}'::jsonb, $4::jsonb, $5::jsonb, now())`,
          [id, citizen.codiceFiscale, i % 3 === 0 ? 'dispositivo' : 'ordinary', JSON.stringify(citizen.residence), JSON.stringify(profiles[i % profiles.length])],
        );
        await pool.query(
          `INSERT INTO pin_secrets (credential_id, version, kind, pin_hash, salt, status, activated_at, expires_at)
           VALUES ($1::uuid, 1, 'personal', $2::text, $3::bytea, 'active', now(), now() + interval '6 months')`,
          [id, hash, randomBytes(16)],
        );
        fixtures.push({ codiceFiscale: citizen.codiceFiscale, pin });
      }
    }),
  );

  // ---- the API in its own process ----
  const port = await freePort();
  const api = spawnTs(
    ['--serve'],
    {
      DATABASE_URL: `${databaseUrl}${databaseUrl.includes('?') ? '&' : '?'}application_name=${APP_NAME}`,
      DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? '10',
      PIN_PEPPER: pepper.toString('base64'),
      SECRETS_KEY: randomBytes(32).toString('base64'),
      API_PORT: String(port),
      LOG_LEVEL: 'warn',
      UV_THREADPOOL_SIZE: String(API_THREADS),
    },
    'inherit',
  );
  await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok === true, 60_000);

  // node:http with keep-alive rather than fetch: the load generator shares the cores with the
  // system under test, so it should cost as little as it can (fetch costs about 3 times more).
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const attempt = (f: { codiceFiscale: string; pin: string }, ip: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify(f);
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/api/sessions',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-forwarded-for': ip },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  // Warm-up: JIT, connections, prepared statements, the decoy hash, PostgreSQL's caches.
  let warm = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      while (warm < WARMUP) await attempt(fixtures[warm++ % fixtures.length]!, `10.0.0.${w + 1}`);
    }),
  );

  const background = await busyShare(2_000);
  const latencies: number[] = [];
  let refused = 0;
  let loginSeconds = 0;
  const rawTotals = new Map(RAW_THREADS.map((t) => [t, { done: 0, seconds: 0, cpuSeconds: 0 }]));
  // CPU spent on the logins: the API process, its PostgreSQL backends, this load generator.
  const backends = async () => (await pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1::text', [APP_NAME])).rows.map((r) => r.pid);
  const backendCpu = async (pids: number[]) => new Map(await Promise.all(pids.map(async (pid) => [pid, await cpuSecondsOf([pid])] as const)));
  const cpu = { api: 0, apiMain: 0, db: 0, client: 0 };
  const perRound: string[] = [];
  let next = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    const rawNow: string[] = [];
    for (const threads of RAW_THREADS) {
      const r = await measureRaw(threads);
      const total = rawTotals.get(threads)!;
      total.done += r.done;
      total.seconds += r.seconds;
      total.cpuSeconds += r.cpuSeconds;
      rawNow.push(`${threads} threads ${fmt(r.done / r.seconds)}/s`);
    }
    const upTo = Math.round((LOGINS * round) / ROUNDS);
    const from = next;
    const t0 = performance.now();
    const [api0, apiMain0, db0, client0] = [await cpuSecondsOf([api.pid!]), await cpuSecondsOf([api.pid!], true), await backendCpu(await backends()), process.cpuUsage()];
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, w) => {
        // One address per client, as citizens log in from their own connections.
        const ip = `10.${1 + (w >> 8)}.${w & 255}.1`;
        while (next < upTo) {
          const f = fixtures[next++ % fixtures.length]!;
          const start = performance.now();
          const status = await attempt(f, ip);
          latencies.push(performance.now() - start);
          if (status !== 201 && ++refused <= 3) console.error(`login refused: ${status}`);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    loginSeconds += seconds;
    cpu.api += (await cpuSecondsOf([api.pid!])) - api0;
    cpu.apiMain += (await cpuSecondsOf([api.pid!], true)) - apiMain0;
    // Backends opened during the round count from zero; one closed during it is missed (rare).
    for (const [pid, seconds] of await backendCpu(await backends())) cpu.db += seconds - (db0.get(pid) ?? 0);
    const c = process.cpuUsage(client0);
    cpu.client += (c.user + c.system) / 1e6;
    perRound.push(`round ${round}: logins ${fmt((upTo - from) / seconds)}/s; raw ${rawNow.join(', ')}`);
  }
  agent.destroy();
  await new Promise<void>((resolve) => {
    api.once('exit', () => resolve());
    api.kill('SIGTERM');
  });

  const rawRates = RAW_THREADS.map((t) => ({ threads: t, rate: rawTotals.get(t)!.done / rawTotals.get(t)!.seconds, cpuMs: (1000 * rawTotals.get(t)!.cpuSeconds) / rawTotals.get(t)!.done }));
  const best = rawRates.reduce((a, b) => (b.rate > a.rate ? b : a));
  const sorted = [...latencies].sort((a, b) => a - b);
  const ms = (seconds: number) => ((1000 * seconds) / LOGINS).toFixed(2);
  const rate = (LOGINS - refused) / loginSeconds;
  console.log(
    [
      `bench:login  logins=${LOGINS} concurrency=${CONCURRENCY} credentials=${CREDENTIALS} rounds=${ROUNDS}  cores=${CORES}  API UV_THREADPOOL_SIZE=${API_THREADS}`,
      `logins              ${LOGINS - refused} granted (${refused} refused) in ${fmt(loginSeconds)} s`,
      `login rate          ${fmt(rate)} logins/s`,
      `login latency       p50 ${fmt(percentile(sorted, 50))} ms   p99 ${fmt(percentile(sorted, 99))} ms   max ${fmt(sorted.at(-1) ?? 0)} ms`,
      `raw argon2id        ${rawRates.map((r) => `${fmt(r.rate)}/s with ${r.threads} pool threads`).join(', ')}  (reference: the best)`,
      `logins / raw        ${fmt((100 * rate) / best.rate)} %  (target >= ${TARGET * 100} %)`,
      `CPU per login       ${ms(cpu.api)} API (${ms(cpu.apiMain)} of it on the event loop) + ${ms(cpu.db)} PostgreSQL + ${ms(cpu.client)} load generator = ${ms(cpu.api + cpu.db + cpu.client)} ms;` +
        ` raw argon2id ${best.cpuMs.toFixed(2)} ms CPU per verification → the hash is ${fmt((100 * best.cpuMs) / ((1000 * (cpu.api + cpu.db + cpu.client)) / LOGINS))} % of a login's CPU` +
        ` (${fmt((100 * best.cpuMs) / ((1000 * cpu.api) / LOGINS))} % of the API process's)`,
      `background load     ${background === undefined ? 'unknown' : `${fmt(100 * background)} % of all cores busy just before the rounds (other processes)`}`,
      ...perRound.map((l) => `  ${l}`),
    ].join('\n'),
  );
  await cleanup.run();
  if (refused > 0) process.exitCode = 1;
}

const mode = process.argv[2];
if (mode === '--serve') {
  await serve();
} else if (mode === '--raw') {
  await raw(Number(process.argv[3] ?? RAW_SECONDS));
} else {
  await main().catch(async (err: unknown) => {
    console.error(err);
    await cleanup.run();
    process.exit(1);
  });
}
