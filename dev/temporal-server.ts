/**
 * The real Temporal server — the same binary a production cluster runs, not the CLI's dev server
 * — for `npm run start:cluster`, `cluster:check` and `cluster:bench` (docs/decisions/0026).
 *
 * - Binaries: `server` and the SQL schema tool `sql` of go.temporal.io/server, and the Web UI's
 *   own server (github.com/temporalio/ui-server, the one the CLI embeds), built from the Go module
 *   proxy into `.cache/temporal-server/` when absent — our machines reach only package registries,
 *   and Temporal's release downloads are not one (decision 0002). A cold build takes ~13 minutes.
 * - Persistence and visibility on PostgreSQL (plugin `postgres12`), in two databases set up and
 *   upgraded with the SQL tool's embedded schemas, as an operator would.
 * - The server is one process with all four services (frontend, history, matching, worker) on
 *   loopback; only the frontend's port is chosen by the caller, the internal ones are free ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { stringify } from 'yaml';
import { Connection } from '@temporalio/client';
import { alive } from './embedded-postgres';
import { commandFailure, findOnPath, runCommand, withDirLock } from './temporal-binaries';

/** Pinned versions: the server and its schema tool, the UI server of the CLI 1.9.1 (UI 2.54.1), the Go toolchain. */
export const TEMPORAL_SERVER_PINS = {
  goToolchain: 'go1.27.3',
  server: { module: 'go.temporal.io/server', version: 'v1.32.2' },
  ui: { module: 'github.com/temporalio/ui-server/v2', version: 'v2.54.1' },
} as const;

/** `<repo>/.cache/temporal-server`: `bin/server`, `bin/sql`, `ui/bin/server`. */
export function temporalServerCacheDir(): string {
  return path.join(fileURLToPath(new URL('..', import.meta.url)), '.cache', 'temporal-server');
}

export interface TemporalServerBinaries {
  server: string;
  sql: string;
  /** The Web UI server, when it could be had; otherwise `uiProblem` says why not. */
  ui?: string;
  uiProblem?: string;
}

type Log = (line: string) => void;

/** Whether `file --version` names `version` (e.g. "temporal version 1.32.2"). */
async function probe(file: string, version: string): Promise<{ ok: boolean; detail: string }> {
  if (!existsSync(file)) return { ok: false, detail: 'absent' };
  const run = await runCommand(file, ['--version'], { env: process.env, timeoutMs: 30_000 });
  const out = run.output.trim().split('\n')[0] ?? '';
  return run.code === 0 && out.includes(version.replace(/^v/, '')) ? { ok: true, detail: out } : { ok: false, detail: `prints ${JSON.stringify(out)}, not ${version}` };
}

/** `go install pkg@version…` into `gobin`, with GOTOOLCHAIN pinned; progress every 30 s. */
async function goInstall(packages: string[], gobin: string, cwd: string, log: Log): Promise<void> {
  const go = await findOnPath('go');
  if (!go) throw new Error('go is not on PATH: install Go (any recent version; GOTOOLCHAIN fetches the pinned one from the module proxy)');
  mkdirSync(gobin, { recursive: true });
  const started = Date.now();
  let fetched = 0;
  const ticker = setInterval(() => log(`go install still running (${Math.round((Date.now() - started) / 1000)} s, ${fetched} modules fetched; ~13 min cold)`), 30_000);
  ticker.unref();
  try {
    log(`GOTOOLCHAIN=${TEMPORAL_SERVER_PINS.goToolchain} GOBIN=${gobin} go install ${packages.join(' ')}`);
    const run = await runCommand(go, ['install', ...packages], {
      // cwd is the cache: no surrounding go.mod interferes.
      env: { ...process.env, GOTOOLCHAIN: TEMPORAL_SERVER_PINS.goToolchain, GOBIN: gobin },
      cwd,
      timeoutMs: 45 * 60_000,
      onLine: (line) => {
        if (line.startsWith('go: downloading')) fetched++;
      },
    });
    if (run.spawnError || run.code !== 0) throw new Error(`go install failed: ${commandFailure(run)}`);
    log(`built in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    clearInterval(ticker);
  }
}

/**
 * The server, the SQL tool and (with `ui`) the UI server: from the cache when they are there at
 * the pinned versions, else built with `go install` under the cache's lock (parallel callers
 * build once). The UI is optional: when it cannot be built the cluster runs without it.
 */
export async function provisionTemporalServer(opts: { cacheDir?: string; log?: Log; ui?: boolean } = {}): Promise<TemporalServerBinaries> {
  const cacheDir = path.resolve(opts.cacheDir ?? temporalServerCacheDir());
  const log: Log = (l) => opts.log?.(`[temporal-server] ${l}`);
  const { server: s, ui: u } = TEMPORAL_SERVER_PINS;
  const bin = { server: path.join(cacheDir, 'bin', 'server'), sql: path.join(cacheDir, 'bin', 'sql'), ui: path.join(cacheDir, 'ui', 'bin', 'server') };
  const serverReady = async () => (await probe(bin.server, s.version)).ok && (await probe(bin.sql, s.version)).ok;
  const uiReady = async () => (await probe(bin.ui, u.version)).ok;
  if ((await serverReady()) && (!opts.ui || (await uiReady()))) return { server: bin.server, sql: bin.sql, ...(opts.ui ? { ui: bin.ui } : {}) };
  mkdirSync(cacheDir, { recursive: true });
  return withDirLock(
    path.join(cacheDir, '.install.lock'),
    async () => {
      if (!(await serverReady())) {
        log(`building the Temporal server ${s.version} and its SQL tool from the Go module proxy`);
        await goInstall([`${s.module}/cmd/server@${s.version}`, `${s.module}/cmd/tools/sql@${s.version}`], path.dirname(bin.server), cacheDir, log);
        for (const file of [bin.server, bin.sql]) {
          const p = await probe(file, s.version);
          if (!p.ok) throw new Error(`${file} was built but ${p.detail}`);
        }
      }
      if (!opts.ui) return { server: bin.server, sql: bin.sql };
      if (await uiReady()) return { server: bin.server, sql: bin.sql, ui: bin.ui };
      try {
        log(`building the Temporal Web UI server ${u.version} from the Go module proxy`);
        await goInstall([`${u.module}/cmd/server@${u.version}`], path.dirname(bin.ui), cacheDir, log);
        const p = await probe(bin.ui, u.version);
        if (!p.ok) throw new Error(`${bin.ui} was built but ${p.detail}`);
        return { server: bin.server, sql: bin.sql, ui: bin.ui };
      } catch (err) {
        return { server: bin.server, sql: bin.sql, uiProblem: (err as Error).message };
      }
    },
    { log },
  );
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: the two databases and their schemas

export interface PostgresEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
}

export const TEMPORAL_DATABASES = { default: 'temporal', visibility: 'temporal_visibility' } as const;

/** Host, port and credentials of a `postgres://` URL. */
export function postgresEndpoint(url: string): PostgresEndpoint {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 5432), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
}

/**
 * Creates the `temporal` and `temporal_visibility` databases when missing and brings their
 * schemas to the version this server needs, with the server's own SQL tool and the schemas it
 * embeds (`setup-schema -v 0.0` creates the version table, `update-schema` applies every
 * versioned step not yet applied — so it also upgrades a cluster made by an older server).
 */
export async function setupTemporalSchemas(opts: { sql: string; postgres: PostgresEndpoint; log?: Log }): Promise<void> {
  const { host, port, user, password } = opts.postgres;
  const admin = new pg.Client({ host, port, user, password, database: 'postgres' });
  await admin.connect();
  try {
    for (const db of Object.values(TEMPORAL_DATABASES)) {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1::text', [db]);
      if (!rowCount) await admin.query(`CREATE DATABASE "${db}"`);
    }
  } finally {
    await admin.end();
  }
  const schemas: [string, string][] = [
    [TEMPORAL_DATABASES.default, 'postgresql/v12/temporal'],
    [TEMPORAL_DATABASES.visibility, 'postgresql/v12/visibility'],
  ];
  for (const [db, schema] of schemas) {
    // The password goes through the environment, not the command line (visible in `ps`).
    const env = { ...process.env, SQL_PASSWORD: password };
    const base = ['--plugin', 'postgres12', '--ep', host, '--port', String(port), '--user', user, '--db', db];
    for (const args of [
      ['setup-schema', '-v', '0.0'],
      ['update-schema', '--schema-name', schema],
    ]) {
      const run = await runCommand(opts.sql, [...base, ...args], { env, timeoutMs: 120_000 });
      if (run.spawnError || run.code !== 0) throw new Error(`sql ${args[0]} of ${db} failed: ${commandFailure(run)}`);
    }
    opts.log?.(`[temporal-server] database ${db}: schema ${schema} up to date`);
  }
}

// ---------------------------------------------------------------------------------------------
// The server's configuration

export interface TemporalServerPorts {
  frontend: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
  metrics: number;
}

export interface TemporalServerConfigOptions {
  postgres: PostgresEndpoint;
  ports: TemporalServerPorts;
  /**
   * Shards of the history service: fixed for a cluster's life. 4 here, as in Temporal's
   * development configurations: one history host on 2 cores gains nothing from more.
   */
  numHistoryShards?: number;
  /** Connections each of the server's stores may open. */
  maxConns?: number;
  logLevel?: string;
  dynamicConfigFile: string;
}

/** The server's configuration (Temporal's `config/development-postgres12.yaml`, on loopback, our ports). */
export function temporalServerConfig(o: TemporalServerConfigOptions): Record<string, unknown> {
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${o.postgres.host}:${o.postgres.port}`,
      connectProtocol: 'tcp',
      user: o.postgres.user,
      password: o.postgres.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (grpcPort: number, membershipPort: number) => ({ rpc: { grpcPort, membershipPort, bindOnLocalHost: true } });
  return {
    log: { stdout: true, level: o.logLevel ?? 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: o.numHistoryShards ?? 4,
      datastores: {
        'postgres-default': store(TEMPORAL_DATABASES.default, o.maxConns ?? 20),
        'postgres-visibility': store(TEMPORAL_DATABASES.visibility, Math.max(2, Math.round((o.maxConns ?? 20) / 2))),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      metrics: { prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `127.0.0.1:${o.ports.metrics}` } },
    },
    services: {
      frontend: service(o.ports.frontend, o.ports.frontendMembership),
      history: service(o.ports.history, o.ports.historyMembership),
      matching: service(o.ports.matching, o.ports.matchingMembership),
      worker: service(o.ports.worker, o.ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${o.ports.frontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: o.dynamicConfigFile, pollInterval: '10s' },
  };
}

/**
 * Dynamic configuration: the defaults of Temporal 1.32 suit this project (updates, schedules
 * and SQL visibility are on), so the file only fixes what the operator may want to tune. The
 * deployment files carry the same (deploy/temporal/dynamicconfig.yaml, the Helm values).
 */
export const TEMPORAL_DYNAMIC_CONFIG = `# Temporal dynamic configuration (polled every 10 s). Keys: go.temporal.io/server common/dynamicconfig.
# Workflow ids are "pin-<uuid>", "mailroom-<date>", "review-<uuid>": far below the limit.
limit.maxIDLength:
  - value: 255
# The server would ask temporal.io for newer versions; a back-office machine does not call out.
frontend.enableServerVersionCheck:
  - value: false
`;

// ---------------------------------------------------------------------------------------------
// Running it

/** A process of ours (the server, the UI) writing to a log file, stopped with SIGTERM then SIGKILL. */
export interface ServerProcess {
  pid: number;
  logFile: string;
  /** True until it exits. */
  readonly running: boolean;
  /** Called once if it exits without being asked to. */
  onUnexpectedExit(fn: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  stop(graceMs?: number): Promise<void>;
}

/** Every process started here, killed if this process exits without stopping them. */
const started = new Set<ChildProcess>();
process.once('exit', () => started.forEach((c) => c.kill('SIGKILL')));

function spawnLogged(file: string, args: string[], logFile: string, pidFile: string, cwd: string): ServerProcess {
  const fd = openSync(logFile, 'a');
  // A process group of its own: Ctrl-C in the terminal must not stop the server before the
  // workers have drained through it; the supervisor stops it last.
  const child = spawn(file, args, { cwd, stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  started.add(child);
  writeFileSync(pidFile, `${child.pid}\n${args.join(' ')}\n`);
  let stopping = false;
  let unexpected: ((code: number | null, signal: NodeJS.Signals | null) => void) | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      started.delete(child);
      rmSync(pidFile, { force: true });
      if (!stopping) unexpected?.(code, signal);
      resolve();
    }),
  );
  return {
    pid: child.pid!,
    logFile,
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    onUnexpectedExit(fn) {
      unexpected = fn;
    },
    async stop(graceMs = 20_000) {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * A server left behind by a supervisor that was killed (SIGKILL reaches no child) still holds
 * the ports and the data: stop it before starting another, as embedded-postgres does for its
 * postmaster. Only a process whose command line is the one recorded is touched.
 */
async function stopLeftover(pidFile: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  const [pidLine, args] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return;
  }
  if (!args || !cmdline.includes(args)) return;
  process.kill(pid, 'SIGTERM');
  const until = Date.now() + 20_000;
  while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

function tailOf(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * A free loopback port below 32768: the server records its services' ports in PostgreSQL as
 * `smallint` (cluster_membership), so the kernel's ephemeral ports (32768 and up) make it fail
 * at start ("value out of range for type smallint").
 */
export async function freeLowPort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = randomInt(10_000, 32_768);
    if (await portIsFree(port)) return port;
  }
  throw new Error('no free port below 32768 on 127.0.0.1');
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export interface RunningTemporalServer extends ServerProcess {
  /** `127.0.0.1:<frontend port>` */
  address: string;
  ports: TemporalServerPorts;
  /** The server's own Prometheus metrics. */
  metricsUrl: string;
  configFile: string;
}

export interface StartTemporalServerOptions {
  binaries: Pick<TemporalServerBinaries, 'server'>;
  /** Folder of the configuration, the log and the pid file. */
  dir: string;
  postgres: PostgresEndpoint;
  /** The frontend's gRPC port (what workers and clients dial). Default: a free port. */
  frontendPort?: number;
  numHistoryShards?: number;
  maxConns?: number;
  logLevel?: string;
  /** How long to wait for the frontend to answer. Default 90 s (a cold start on a busy machine). */
  readyTimeoutMs?: number;
}

/** Writes the configuration, starts the server and waits until its frontend answers. */
export async function startTemporalServer(o: StartTemporalServerOptions): Promise<RunningTemporalServer> {
  mkdirSync(o.dir, { recursive: true });
  const pidFile = path.join(o.dir, 'server.pid');
  await stopLeftover(pidFile);
  // A taken frontend port is said plainly rather than as the server's bind failure in its log.
  if (o.frontendPort !== undefined && !(await portIsFree(o.frontendPort)))
    throw new Error(`port ${o.frontendPort} of the Temporal frontend is taken (is npm start running?): set TEMPORAL_DEV_PORT to another one`);
  const frontend = o.frontendPort ?? (await freeLowPort());
  const others: number[] = [];
  while (others.length < 8) {
    const port = await freeLowPort();
    if (port !== frontend && !others.includes(port)) others.push(port);
  }
  const [frontendMembership, history, historyMembership, matching, matchingMembership, worker, workerMembership, metrics] = others as [number, number, number, number, number, number, number, number];
  const ports: TemporalServerPorts = { frontend, frontendMembership, history, historyMembership, matching, matchingMembership, worker, workerMembership, metrics };
  const configFile = path.join(o.dir, 'config.yaml');
  const dynamicConfigFile = path.join(o.dir, 'dynamicconfig.yaml');
  writeFileSync(dynamicConfigFile, TEMPORAL_DYNAMIC_CONFIG);
  const config = temporalServerConfig({ postgres: o.postgres, ports, dynamicConfigFile, numHistoryShards: o.numHistoryShards, maxConns: o.maxConns, logLevel: o.logLevel });
  // 0600: it holds the database password.
  writeFileSync(configFile, `# Written by dev/temporal-server.ts at each start.\n${stringify(config)}`, { mode: 0o600 });
  const logFile = path.join(o.dir, 'server.log');
  const proc = spawnLogged(o.binaries.server, ['--config-file', configFile, '--allow-no-auth', 'start'], logFile, pidFile, o.dir);
  const address = `127.0.0.1:${frontend}`;
  const until = Date.now() + (o.readyTimeoutMs ?? 90_000);
  for (;;) {
    if (!proc.running) throw new Error(`the Temporal server exited while starting; ${logFile} ends with:\n${tailOf(logFile)}`);
    const connection = await Connection.connect({ address, connectTimeout: 1_000 }).catch(() => undefined);
    if (connection) {
      const ok = await connection.workflowService.getSystemInfo({}).then(
        () => true,
        () => false,
      );
      await connection.close();
      if (ok) break;
    }
    if (Date.now() > until) {
      await proc.stop();
      throw new Error(`the Temporal server did not answer on ${address} in time; ${logFile} ends with:\n${tailOf(logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return Object.assign(proc, { address, ports, metricsUrl: `http://127.0.0.1:${metrics}/metrics`, configFile }) as RunningTemporalServer;
}

export interface RunningTemporalUi extends ServerProcess {
  url: string;
}

/**
 * The Temporal Web UI against a frontend: the UI server the CLI's dev server embeds, run alone
 * (the CLI has no command for the UI without its own dev server).
 */
export async function startTemporalUi(o: {
  binary: string;
  dir: string;
  port: number;
  temporalAddress: string;
  namespace: string;
  /** Remote codec endpoint the browser calls to show payloads in clear (see README). */
  codecEndpoint?: string;
}): Promise<RunningTemporalUi> {
  const configDir = path.join(o.dir, 'config');
  mkdirSync(configDir, { recursive: true });
  const pidFile = path.join(o.dir, 'ui.pid');
  await stopLeftover(pidFile);
  const url = `http://127.0.0.1:${o.port}`;
  const config = {
    temporalGrpcAddress: o.temporalAddress,
    host: '127.0.0.1',
    port: o.port,
    publicPath: '',
    enableUi: true,
    defaultNamespace: o.namespace,
    // No call to temporal.io from a back-office machine.
    disableNewsFetch: true,
    refreshInterval: '0s',
    cors: { cookieInsecure: true, allowOrigins: [url, `http://localhost:${o.port}`], unsafeAllowAllOrigins: false },
    auth: { enabled: false },
    ...(o.codecEndpoint ? { codec: { endpoint: o.codecEndpoint, includeCredentials: true } } : {}),
  };
  writeFileSync(path.join(configDir, 'cluster.yaml'), stringify(config));
  const logFile = path.join(o.dir, 'ui.log');
  const proc = spawnLogged(o.binary, ['--root', o.dir, '--config', 'config', '--env', 'cluster', 'start'], logFile, pidFile, o.dir);
  const until = Date.now() + 30_000;
  for (;;) {
    if (!proc.running) throw new Error(`the Temporal UI exited while starting; ${logFile} ends with:\n${tailOf(logFile)}`);
    if ((await fetch(url).catch(() => undefined))?.ok) break;
    if (Date.now() > until) {
      await proc.stop();
      throw new Error(`the Temporal UI did not answer on ${url} in time; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return Object.assign(proc, { url }) as RunningTemporalUi;
}
