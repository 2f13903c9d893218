/**
 * `npm run bench:issuance` — PIN requests through the HTTP API on the real stack (Temporal dev
 * server, PostgreSQL, SMTP and SMS sinks, real activities), then the floor: the same workflow
 * shape with no-op activities, started directly, on the same server in the same run
 * (bench/issuance-run.ts; `npm run cluster:bench` runs the same against the real Temporal server).
 *
 * The sinks, the worker and the API run as separate processes, as they would in production.
 * Prints: accepted requests/s, p50/p99 accept latency, end-to-end issuances/s (first half sent
 * on every channel and the letter rendered into the mail-room batch) and the floor.
 *
 *   BENCH_N=1000 BENCH_CONCURRENCY=32 BENCH_WORKERS=1 npm run bench:issuance
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { databaseForTool } from '../dev/embedded-postgres';
import { executableFor, resolveTemporalBinary } from '../dev/temporal-binaries';
import { createPool } from '../lib/db';
import { migrate } from '../lib/migrate';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { runIssuanceBench } from './issuance-run';
import { Cleanup, fmt } from './support';

const N = Number(process.env.BENCH_N ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);

const cleanup = new Cleanup();

async function main(): Promise<void> {
  const database = await databaseForTool('bench-issuance');
  cleanup.add(() => database.release());
  const pool = createPool(database.url, 4);
  cleanup.add(() => pool.end());
  await migrate(pool);
  const cli = await resolveTemporalBinary('cli', { allowSdkDownload: true });
  // The project's search attributes, as `npm start` registers them: without them every
  // credential workflow task fails (BadSearchAttributes) and nothing is ever issued.
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: executableFor(cli), ip: '127.0.0.1', searchAttributes: SEARCH_ATTRIBUTES, log: { format: 'pretty', level: 'error' } },
  });
  cleanup.add(() => env.teardown());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

  const r = await runIssuanceBench({
    connection: env.connection,
    address: env.address,
    databaseUrl: database.url,
    pool,
    workers: WORKERS,
    n: N,
    concurrency: CONCURRENCY,
    warmup: Math.min(N, Number(process.env.BENCH_WARMUP ?? CONCURRENCY * 2)),
    log: process.env.BENCH_DEBUG ? (l) => console.error(l) : undefined,
  });
  console.log(
    [
      `bench:issuance  N=${N} concurrency=${CONCURRENCY} workers=${WORKERS}  (2-core target: accept >= 400 req/s, p99 <= 250 ms, end-to-end >= 70% of floor)`,
      `accepted            ${r.accepted} (${r.refused} refused; ${r.warmup} of them warm-up, left out of rate and latency)`,
      `accept rate         ${fmt(r.acceptRate)} req/s`,
      `accept latency      p50 ${fmt(r.p50)} ms   p99 ${fmt(r.p99)} ms`,
      `end-to-end          ${fmt(r.e2eRate)} issuances/s  (${fmt(r.e2eSeconds)} s for all: first half sent on every channel, letter in the batch)`,
      `floor (no-op)       ${fmt(r.floorRate)} workflows/s  (same workflow, same payload encryption, activities that do nothing, ${WORKERS} worker process${WORKERS > 1 ? 'es' : ''})`,
      `end-to-end / floor  ${fmt((100 * r.e2eRate) / r.floorRate)} %`,
    ].join('\n'),
  );
  await cleanup.run();
}

main().catch(async (err) => {
  console.error(err);
  await cleanup.run();
  process.exit(1);
});
