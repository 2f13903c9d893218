/**
 * `npm run cluster:bench` — how issuance scales on the cluster profile (docs/decisions/0026):
 * the measurement of `bench:issuance` (bench/issuance-run.ts) against
 *
 *   - the real Temporal server on PostgreSQL with 1 worker process, then with 2,
 *   - the CLI's dev server (SQLite in memory) with 1 worker process, then with 2,
 *
 * each on a fresh server and database, one after the other in the same run, with the no-op floor
 * of each. Beside the rates it prints the CPU seconds each component spent per issuance (Temporal,
 * PostgreSQL, workers, API, sinks, the load generator), read from /proc: on a shared machine the
 * rates move with the neighbours' load, the CPU cost per issuance much less.
 *
 *   BENCH_N=600 BENCH_CONCURRENCY=32 BENCH_CONFIGS=cluster-1,cluster-2,dev-1,dev-2 npm run cluster:bench
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { startThrowawayCluster } from '../dev/cluster';
import { databaseForTool } from '../dev/embedded-postgres';
import { executableFor, resolveTemporalBinary } from '../dev/temporal-binaries';
import { TEMPORAL_SERVER_PINS } from '../dev/temporal-server';
import { createPool } from '../lib/db';
import { migrate } from '../lib/migrate';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { pidsMatching, postmasterPid, processes, thisProcess } from './cpu';
import { runIssuanceBench, type IssuanceFigures } from './issuance-run';
import { Cleanup, fmt } from './support';

const N = Number(process.env.BENCH_N ?? 600);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const WARMUP = Math.min(N, Number(process.env.BENCH_WARMUP ?? CONCURRENCY * 2));
const CONFIGS = (process.env.BENCH_CONFIGS ?? 'cluster-1,cluster-2,dev-1,dev-2').split(',').map((c) => c.trim());
const log = (line: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

interface Result {
  config: string;
  figures: IssuanceFigures;
}

async function onCluster(workers: number): Promise<IssuanceFigures> {
  const cleanup = new Cleanup();
  const dir = mkdtempSync(path.join(tmpdir(), 'cluster-bench-'));
  cleanup.add(async () => rmSync(dir, { recursive: true, force: true }));
  try {
    const cluster = await startThrowawayCluster({ name: 'cluster-bench', dir });
    cleanup.add(() => cluster.release());
    log(`cluster up in ${fmt(cluster.startSeconds)} s at ${cluster.server.address}`);
    const pool = createPool(cluster.databaseUrl, 4);
    cleanup.add(() => pool.end());
    await migrate(pool);
    const connection = await Connection.connect({ address: cluster.server.address });
    cleanup.add(() => connection.close());
    return await runIssuanceBench({
      connection,
      address: cluster.server.address,
      databaseUrl: cluster.databaseUrl,
      pool,
      workers,
      n: N,
      concurrency: CONCURRENCY,
      warmup: WARMUP,
      cpu: {
        temporal: processes(() => [cluster.server.pid]),
        postgres: processes(() => [cluster.postgresDataDir ? postmasterPid(cluster.postgresDataDir) : undefined]),
        bench: thisProcess,
      },
      log,
    });
  } finally {
    await cleanup.run();
  }
}

async function onDevServer(workers: number): Promise<IssuanceFigures> {
  const cleanup = new Cleanup();
  try {
    const database = await databaseForTool('cluster-bench-dev', {});
    cleanup.add(() => database.release());
    const pool = createPool(database.url, 4);
    cleanup.add(() => pool.end());
    await migrate(pool);
    const cli = await resolveTemporalBinary('cli', { allowSdkDownload: true });
    const env = await TestWorkflowEnvironment.createLocal({
      server: { executable: executableFor(cli), ip: '127.0.0.1', searchAttributes: SEARCH_ATTRIBUTES, log: { format: 'pretty', level: 'error' } },
    });
    cleanup.add(() => env.teardown());
    const port = env.address.split(':').at(-1)!;
    log(`dev server up at ${env.address}`);
    return await runIssuanceBench({
      connection: env.connection,
      address: env.address,
      databaseUrl: database.url,
      pool,
      workers,
      n: N,
      concurrency: CONCURRENCY,
      warmup: WARMUP,
      cpu: {
        temporal: processes(() => pidsMatching('start-dev', `--port ${port} `)),
        postgres: processes(() => [database.embedded ? postmasterPid(database.embedded.dataDir) : undefined]),
        bench: thisProcess,
      },
      log,
    });
  } finally {
    await cleanup.run();
  }
}

const COMPONENTS = ['temporal', 'postgres', 'workers', 'api', 'sinks', 'bench'];

function report(results: Result[], load: { before: number[]; after: number[] }): string {
  const row = (cells: string[], widths: number[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const w1 = [22, 10, 8, 12, 12, 8];
  const lines = [
    `cluster:bench  N=${N} concurrency=${CONCURRENCY} warm-up=${WARMUP}  (${cpus().length} cores; load average ${load.before.map((l) => l.toFixed(1)).join(' ')} before, ${load.after.map((l) => l.toFixed(1)).join(' ')} after)`,
    `  cluster = Temporal server ${TEMPORAL_SERVER_PINS.server.version} on PostgreSQL (4 history shards); dev = the CLI's dev server (SQLite in memory); one API process each`,
    '',
    row(['configuration', 'accept/s', 'p99 ms', 'issuances/s', 'floor wf/s', 'e2e/floor'], w1),
    ...results.map(({ config, figures: f }) =>
      row([config, fmt(f.acceptRate), fmt(f.p99), fmt(f.e2eRate), fmt(f.floorRate), `${fmt((100 * f.e2eRate) / f.floorRate)} %`], w1),
    ),
    '',
    'CPU ms per issuance, end to end (first half on every channel, letter in the batch), and cores busy:',
    row(['configuration', ...COMPONENTS, 'total', 'cores'], [22, ...COMPONENTS.map(() => 9), 9, 7]),
  ];
  const perItem = (cpu: Record<string, number> | undefined, count: number, seconds: number) => {
    const total = COMPONENTS.reduce((s, c) => s + (cpu?.[c] ?? 0), 0);
    return [...COMPONENTS.map((c) => (cpu?.[c] === undefined ? '-' : fmt((1000 * cpu[c]) / count))), fmt((1000 * total) / count), (total / seconds).toFixed(2)];
  };
  for (const { config, figures: f } of results) lines.push(row([config, ...perItem(f.cpuE2e, f.accepted, f.e2eSeconds)], [22, ...COMPONENTS.map(() => 9), 9, 7]));
  lines.push('', 'CPU ms per workflow of the floor (no-op activities):');
  lines.push(row(['configuration', 'temporal', 'postgres', 'workers', 'bench', 'total', 'cores'], [22, 9, 9, 9, 9, 9, 7]));
  for (const { config, figures: f } of results) {
    const c = f.cpuFloor ?? {};
    const parts = ['temporal', 'postgres', 'workers', 'bench'];
    const total = parts.reduce((s, k) => s + (c[k] ?? 0), 0);
    lines.push(row([config, ...parts.map((k) => fmt((1000 * (c[k] ?? 0)) / N)), fmt((1000 * total) / N), (total / f.floorSeconds).toFixed(2)], [22, 9, 9, 9, 9, 9, 7]));
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  const before = loadavg();
  const results: Result[] = [];
  for (const config of CONFIGS) {
    const m = /^(cluster|dev)-(\d)$/.exec(config);
    if (!m) throw new Error(`BENCH_CONFIGS: "${config}" is not cluster-<workers> or dev-<workers>`);
    const workers = Number(m[2]);
    const label = `${m[1] === 'cluster' ? 'cluster' : 'dev server'}, ${workers} worker${workers > 1 ? 's' : ''}`;
    log(`${label}: ${N} issuances`);
    const figures = m[1] === 'cluster' ? await onCluster(workers) : await onDevServer(workers);
    log(`${label}: ${fmt(figures.e2eRate)} issuances/s, floor ${fmt(figures.floorRate)} workflows/s`);
    results.push({ config: label, figures });
  }
  console.log(report(results, { before, after: loadavg() }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
