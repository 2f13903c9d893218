/**
 * Shared harness of the reliability ("chaos") scripts in this folder.
 *
 * Each scenario gets a stack of real components it can hurt: a private Temporal dev server on a
 * SQLite file (so it can be restarted with its state), a database of its own (created on the
 * configured PostgreSQL, or on a private cluster the scenario can restart), the SMTP and SMS
 * sinks in this process (so they can be switched off), and the worker and the API as child
 * processes (so they can be killed with SIGKILL), their logs captured to files.
 *
 * A scenario returns a {@link ChaosResult}: figures to print and named checks; `ok` only when
 * every check passed. `runAsScript` prints it and sets the exit code, so each scenario is both an
 * `npm run chaos:<name>` script and a function the integration tests call with `size: 'small'`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { freePort, issuanceProgress, waitUntil } from '../../bench/support';
import { databaseForTool, type EmbeddedPostgres } from '../../dev/embedded-postgres';
import { loadConfig } from '../../lib/config';
import { createPool, type Pool } from '../../lib/db';
import { migrate } from '../../lib/migrate';
import { encryptedDataConverter, payloadCodecFromConfig } from '../../lib/payload-codec';
import { resolveTemporalBinary } from '../../dev/temporal-binaries';
import { startSmtpSink, type SmtpSink, type StoredMail } from '../../dev/sinks/smtp-sink';
import { startSmsSink, type SmsSink, type StoredSms } from '../../dev/sinks/sms-sink';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { credentialStateQuery, credentialWorkflowId } from '../../workflows/definitions';
import { makeCitizen, type CitizenRequest } from '../../test/support/citizens';
import { halfFrom } from '../../test/support/issuance';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// ---------------------------------------------------------------------------------------------
// Results

/** `small` runs in CI in well under two minutes; `full` is the manual run with the real figures. */
export type ChaosSize = 'small' | 'full';

export interface ChaosRunOptions {
  size?: ChaosSize;
  /** A PostgreSQL server (any database on it) where the scenario creates a database of its own. */
  databaseUrl?: string;
  /** Progress lines; default: stderr with a timestamp. */
  log?: (line: string) => void;
}

export interface ChaosCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface ChaosResult {
  scenario: string;
  size: ChaosSize;
  ok: boolean;
  seconds: number;
  figures: Record<string, string | number>;
  checks: ChaosCheck[];
  /** Where the logs and the Temporal database were kept (only when a check failed or CHAOS_KEEP is set). */
  keptDir?: string;
}

/** Collects the figures and checks of one run. */
export class ChaosReport {
  readonly figures: Record<string, string | number> = {};
  readonly checks: ChaosCheck[] = [];
  private readonly started = performance.now();
  keptDir?: string;

  constructor(
    readonly scenario: string,
    readonly size: ChaosSize,
  ) {}

  figure(name: string, value: string | number): void {
    this.figures[name] = typeof value === 'number' && !Number.isInteger(value) ? Number(value.toFixed(1)) : value;
  }

  /** Records a check; `detail` says what was seen, most useful when it failed. */
  check(name: string, ok: boolean, detail?: string): boolean {
    this.checks.push({ name, ok, ...(detail ? { detail } : {}) });
    return ok;
  }

  get ok(): boolean {
    return this.checks.length > 0 && this.checks.every((c) => c.ok);
  }

  result(): ChaosResult {
    return {
      scenario: this.scenario,
      size: this.size,
      ok: this.ok,
      seconds: Number(((performance.now() - this.started) / 1000).toFixed(1)),
      figures: { ...this.figures },
      checks: [...this.checks],
      ...(this.keptDir ? { keptDir: this.keptDir } : {}),
    };
  }
}

/** The report as printed by the scripts: figures, then one line per check. */
export function formatResult(r: ChaosResult): string {
  const width = Math.max(10, ...Object.keys(r.figures).map((k) => k.length));
  const lines = [`chaos:${r.scenario} (${r.size})  ${r.ok ? 'PASSED' : 'FAILED'}  in ${r.seconds} s`];
  for (const [k, v] of Object.entries(r.figures)) lines.push(`  ${k.padEnd(width)}  ${v}`);
  for (const c of r.checks) lines.push(`  [${c.ok ? 'ok' : 'FAIL'}] ${c.name}${c.detail ? ` — ${c.detail}` : ''}`);
  if (r.keptDir) lines.push(`  logs and state kept in ${r.keptDir}`);
  return lines.join('\n');
}

/** CHAOS_SIZE=full selects the full size; anything else (or nothing) the small one. */
export function sizeFromEnv(env: NodeJS.ProcessEnv = process.env): ChaosSize {
  return env.CHAOS_SIZE === 'full' ? 'full' : 'small';
}

/** A positive integer from the environment (CHAOS_N and friends), else the size's default. */
export function numberFromEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
}

export const defaultLog = (line: string): void => {
  console.error(`[${new Date().toISOString().slice(11, 23)}] ${line}`);
};

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** True when the module at `metaUrl` is the script node was started with. */
export function isMain(metaUrl: string): boolean {
  return process.argv[1] !== undefined && metaUrl === pathToFileURL(path.resolve(process.argv[1])).href;
}

/** Runs a scenario as a script: prints its report, exit code 1 when a check failed. */
export function runAsScript(run: (opts: ChaosRunOptions) => Promise<ChaosResult>): void {
  run({ size: sizeFromEnv() }).then(
    (result) => {
      console.log(formatResult(result));
      process.exit(result.ok ? 0 : 1);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Child processes

/** Every child started here, so a crashed run does not leave them behind. */
const children = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => children.forEach((c) => c.kill('SIGKILL')));
  }
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/**
 * A child process whose output goes straight to a log file (the file descriptor is the child's
 * stdout and stderr, so a SIGKILL loses nothing it had written), and which can be stopped,
 * killed and started again.
 */
export class ManagedProcess {
  private child?: ChildProcess;
  private logOffset = 0;
  private expectingExit = false;
  /** Exits nobody asked for (a crash). */
  unexpectedExits = 0;
  starts = 0;

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    readonly logFile: string,
    private readonly log: (line: string) => void,
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    const fd = openSync(this.logFile, 'a');
    this.logOffset = statSync(this.logFile).size;
    const child = spawn(this.command, this.args, { cwd: ROOT, env: this.env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.expectingExit = false;
    this.starts++;
    child.once('exit', (code, signal) => {
      if (this.expectingExit) return;
      this.unexpectedExits++;
      this.log(`${this.name} exited unexpectedly (${code ?? signal}); see ${this.logFile}`);
    });
    track(child);
    this.child = child;
  }

  /** Output written since the last start. */
  outputSinceStart(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8').slice(this.logOffset) : '';
  }

  /** Resolves once the output since the last start matches `pattern`; fails if the process exits first. */
  async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void> {
    await waitUntil(async () => {
      if (!this.running) throw new Error(`${this.name} exited while starting; see ${this.logFile}`);
      return pattern.test(this.outputSinceStart());
    }, timeoutMs).catch((err: Error) => {
      throw new Error(`${this.name}: ${err.message} waiting for ${pattern}; see ${this.logFile}`);
    });
  }

  /** Sends `signal` and waits for the exit; a process still there after `graceMs` gets SIGKILL. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
    this.expectingExit = true;
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** `kill -9`: no shutdown hook, no drain. */
  kill9(): Promise<void> {
    return this.stop('SIGKILL');
  }
}

/** `node --import tsx <script>` from the repository root. */
function tsProcess(name: string, script: string, env: NodeJS.ProcessEnv, logFile: string, log: (line: string) => void): ManagedProcess {
  return new ManagedProcess(name, process.execPath, ['--import', 'tsx', path.join(ROOT, script)], env, logFile, log);
}

// ---------------------------------------------------------------------------------------------
// Temporal dev server

/**
 * The Temporal CLI dev server on a SQLite file and a fixed port, so that stopping and starting
 * it again gives back the same server with the same state.
 */
export class TemporalDevServer {
  private constructor(
    readonly address: string,
    private readonly proc: ManagedProcess,
  ) {}

  static async start(dir: string, log: (line: string) => void): Promise<TemporalDevServer> {
    const cli = await resolveTemporalBinary('cli');
    if (!('path' in cli)) throw new Error('the Temporal CLI is not available (npm run provision:temporal)');
    const port = await freePort();
    const args = [
      'server',
      'start-dev',
      '--db-filename',
      path.join(dir, 'temporal.db'),
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--headless',
      '--log-level',
      'error',
      ...SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a.name}=${TypedSearchAttributes.toMetadataType(a.type)}`]),
    ];
    const server = new TemporalDevServer(`127.0.0.1:${port}`, new ManagedProcess('temporal', cli.path, args, process.env, path.join(dir, 'temporal.log'), log));
    await server.start();
    return server;
  }

  get unexpectedExits(): number {
    return this.proc.unexpectedExits;
  }

  /** Starts the server and waits until the default namespace answers. */
  async start(): Promise<void> {
    this.proc.start();
    await waitUntil(async () => {
      if (!this.proc.running) throw new Error(`the Temporal dev server exited; see ${this.proc.logFile}`);
      const connection = await Connection.connect({ address: this.address, connectTimeout: 1_000 }).catch(() => undefined);
      if (!connection) return false;
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return true;
      } catch {
        return false;
      } finally {
        await connection.close();
      }
    }, 60_000);
  }

  stop(): Promise<void> {
    return this.proc.stop('SIGTERM', 20_000);
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/**
 * Every row of every table of the database at `url`, as text (what `pg_dump` would hold of the
 * data). Made with SQL rather than `pg_dump`, whose version must match the server's and which
 * the embedded server does not ship.
 */
export async function dumpDatabase(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ name: string }>(
      "SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    );
    const parts: string[] = [];
    for (const { name } of tables) {
      // Row values as PostgreSQL's own text output (bytea as hex), one line per row.
      const { rows } = await client.query<{ line: string }>(`SELECT t::text AS line FROM ${name} t`);
      parts.push(`-- ${name}`, ...rows.map((r) => r.line));
    }
    return parts.join('\n');
  } finally {
    await client.end();
  }
}

/** The server the scenarios create their databases on: the option, CHAOS_DATABASE_URL, DATABASE_URL, or an embedded one. */
async function scenarioServer(opts: ChaosRunOptions, scenario: string): Promise<{ url: string; release(): Promise<void> }> {
  const given = opts.databaseUrl ?? process.env.CHAOS_DATABASE_URL;
  if (given) return { url: given, release: async () => undefined };
  return databaseForTool(`chaos-${scenario}`);
}

/**
 * A fresh database `<db>_chaos_<scenario>` on the server of `url` (dropped first if an earlier
 * run left it), so that counts, dumps and searches see only this run.
 */
export async function createScenarioDatabase(url: string, scenario: string): Promise<string> {
  const u = new URL(url);
  const name = `${decodeURIComponent(u.pathname.slice(1)) || 'postgres'}_chaos_${scenario}`.replace(/[^a-z0-9_]/gi, '_').toLowerCase().slice(0, 63);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  u.pathname = `/${name}`;
  return u.toString();
}

async function dropScenarioDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.slice(1));
  u.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: u.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

// ---------------------------------------------------------------------------------------------
// The stack

export interface ChaosStackOptions {
  scenario: string;
  run: ChaosRunOptions;
  /** Use this PostgreSQL (a private cluster) instead of a database on the configured server. */
  postgres?: EmbeddedPostgres;
  /** LOG_LEVEL of the worker and the API (default info). */
  logLevel?: string;
  /** Extra environment of the API (admission limits, say). */
  apiEnv?: NodeJS.ProcessEnv;
}

export interface ChaosStack {
  dir: string;
  databaseUrl: string;
  env: NodeJS.ProcessEnv;
  pool: Pool;
  /** A client with the stack's payload codec, so queries and histories read in clear. */
  client: Client;
  temporal: TemporalDevServer;
  worker: ManagedProcess;
  api: ManagedProcess;
  smtp: SmtpSink;
  sms: SmsSink;
  baseUrl: string;
  mailroomDir: string;
  pepper: Buffer;
  /** Starts the worker and waits until it polls. */
  startWorker(): Promise<void>;
  /** Starts the API and waits until /readyz answers 200. */
  startApi(): Promise<void>;
  /** Stops everything; keeps the folder (logs, Temporal database) when `keep`. */
  stop(keep: boolean): Promise<void>;
}

export async function startChaosStack(opts: ChaosStackOptions): Promise<ChaosStack> {
  const log = opts.run.log ?? defaultLog;
  const dir = mkdtempSync(path.join(tmpdir(), `chaos-${opts.scenario}-`));
  const server = opts.postgres ? { url: opts.postgres.url, release: async () => undefined } : await scenarioServer(opts.run, opts.scenario);
  const databaseUrl = opts.postgres ? opts.postgres.url : await createScenarioDatabase(server.url, opts.scenario.replace(/-/g, '_'));
  const pool = createPool(databaseUrl, 8, 10_000);
  await migrate(pool);
  log(`${opts.scenario}: database ${new URL(databaseUrl).pathname.slice(1)} on port ${new URL(databaseUrl).port}, state in ${dir}`);

  const temporal = await TemporalDevServer.start(dir, log);
  const [smtp, sms, apiPort] = await Promise.all([startSmtpSink({ smtpPort: 0, httpPort: 0 }), startSmsSink({ port: 0 }), freePort()]);
  const pepper = randomBytes(32);
  const mailroomDir = path.join(dir, 'mailroom');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: opts.logLevel ?? 'info',
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: `chaos-${opts.scenario}`,
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '20',
    SMTP_URL: `smtp://127.0.0.1:${smtp.smtpPort}?pool=true&maxConnections=8`,
    SMS_GATEWAY_URL: sms.url,
    API_HOST: '127.0.0.1',
    API_PORT: String(apiPort),
    PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
    DATA_DIR: path.join(dir, 'data'),
    MAILROOM_DIR: mailroomDir,
    PIN_PEPPER: pepper.toString('base64'),
    SECRETS_KEY: randomBytes(32).toString('base64'),
    PAYLOAD_KEYS: `chaos:${randomBytes(32).toString('base64')}`,
    // This one load generator stands for many citizens: no per-address limit unless a scenario sets one.
    API_CLIENT_RATE_PER_MINUTE: '0',
    API_TEMPORAL_TIMEOUT_MS: '10000',
    ...opts.apiEnv,
  };
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: 'default', dataConverter: encryptedDataConverter(payloadCodecFromConfig(loadConfig(env))) });
  const worker = tsProcess('worker', 'worker/main.ts', env, path.join(dir, 'worker.log'), log);
  const api = tsProcess('api', 'api/main.ts', env, path.join(dir, 'api.log'), log);
  const baseUrl = `http://127.0.0.1:${apiPort}`;

  const stack: ChaosStack = {
    dir,
    databaseUrl,
    env,
    pool,
    client,
    temporal,
    worker,
    api,
    smtp,
    sms,
    baseUrl,
    mailroomDir,
    pepper,
    async startWorker() {
      worker.start();
      await worker.waitForOutput(/"msg":"worker started"/, 120_000);
    },
    async startApi() {
      api.start();
      await waitUntil(async () => {
        if (!api.running) throw new Error(`the API exited while starting; see ${api.logFile}`);
        return (await fetch(`${baseUrl}/readyz`).catch(() => undefined))?.status === 200;
      }, 120_000);
    },
    async stop(keep) {
      await Promise.all([api.stop(), worker.stop()]);
      await connection.close();
      await temporal.stop();
      await Promise.all([smtp.close(), sms.close()]);
      await pool.end();
      const keepAll = keep || Boolean(process.env.CHAOS_KEEP);
      if (!opts.postgres && !keepAll) await dropScenarioDatabase(databaseUrl).catch((err: unknown) => log(`could not drop the scenario database: ${String(err)}`));
      if (!keepAll) await server.release();
      if (keepAll) log(`${opts.scenario}: logs and Temporal state kept in ${dir}${opts.postgres ? '' : `, database ${new URL(databaseUrl).pathname.slice(1)} kept`}`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all([stack.startWorker(), stack.startApi()]);
  } catch (err) {
    await stack.stop(true);
    throw err;
  }
  return stack;
}

/**
 * Starts a stack, runs `body`, stops the stack (keeping its folder when a check failed) and
 * returns the report's result. A thrown error becomes a failed check, so the figures gathered
 * until then are still printed.
 */
export async function withStack(
  report: ChaosReport,
  opts: ChaosStackOptions,
  body: (stack: ChaosStack) => Promise<void>,
): Promise<ChaosResult> {
  const stack = await startChaosStack(opts);
  try {
    await body(stack);
  } catch (err) {
    report.check('scenario ran to the end', false, err instanceof Error ? err.message : String(err));
  } finally {
    if (!report.ok) report.keptDir = stack.dir;
    await stack.stop(!report.ok);
  }
  return report.result();
}

// ---------------------------------------------------------------------------------------------
// Requests

/** One answer of `POST /api/pin-requests` (status 0: no answer at all). */
export interface Attempt {
  status: number;
  retryAfter: string | null;
  ms: number;
  at: number;
  credentialId?: string;
  /** The answer's body when it was an acceptance. */
  body?: string;
  error?: string;
}

const issuedContacts = new Set<string>();

/**
 * A test citizen whose codice fiscale, mobile and addresses no other citizen of this process has:
 * the checks match messages to citizens by recipient, and random numbers do collide now and then.
 */
export function uniqueCitizen(overrides: Partial<CitizenRequest> = {}): CitizenRequest {
  for (;;) {
    const c = makeCitizen(overrides);
    const keys = [c.codiceFiscale, c.mobile, c.email, c.pec].filter((k): k is string => Boolean(k));
    if (keys.some((k) => issuedContacts.has(k))) continue;
    keys.forEach((k) => issuedContacts.add(k));
    return c;
  }
}

/** Sends one PIN request; never throws (a refused connection is status 0). */
export async function postPinRequest(baseUrl: string, citizen: CitizenRequest, key: string, headers: Record<string, string> = {}): Promise<Attempt> {
  const start = performance.now();
  try {
    const res = await fetch(`${baseUrl}/api/pin-requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key, ...headers },
      body: JSON.stringify(citizen),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let credentialId: string | undefined;
    if (res.status === 202 || res.status === 200) credentialId = (JSON.parse(text) as { credentialId: string }).credentialId;
    const error = res.status >= 400 ? text.slice(0, 300) : undefined;
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      ms: performance.now() - start,
      at: Date.now(),
      ...(credentialId ? { credentialId, body: text } : {}),
      ...(error ? { error } : {}),
    };
  } catch (err) {
    return { status: 0, retryAfter: null, ms: performance.now() - start, at: Date.now(), error: (err as Error).message };
  }
}

/** A citizen's request as a client that honours Retry-After would make it. */
export interface Submission {
  citizen: CitizenRequest;
  key: string;
  attempts: Attempt[];
  credentialId?: string;
}

/**
 * Sends the request until it is accepted (202, or 200 for a repeat), waiting as long as each
 * 429/503 says (or a second when the API does not answer at all), with the same idempotency key
 * every time; gives up at `deadline` or on any other answer. Each wait is stretched by a random
 * part of itself, as real clients' are: thousands refused in the same second would otherwise all
 * come back in the same second, again and again.
 */
export async function submitUntilAccepted(
  baseUrl: string,
  submission: Submission,
  opts: { deadline: number; headers?: Record<string, string> },
): Promise<Submission> {
  for (;;) {
    const a = await postPinRequest(baseUrl, submission.citizen, submission.key, opts.headers);
    submission.attempts.push(a);
    if (a.credentialId) {
      submission.credentialId = a.credentialId;
      return submission;
    }
    if (a.status !== 0 && a.status !== 429 && a.status !== 503) return submission;
    const told = a.status === 0 ? 1_000 : Math.max(1, Number(a.retryAfter) || 1) * 1_000;
    const waitMs = told + randomInt(told);
    if (Date.now() + waitMs > opts.deadline) return submission;
    await sleep(waitMs);
  }
}

/**
 * Calls `fn` for each item at `ratePerSecond` (open loop: an item is started on time whether or
 * not the earlier ones have finished) and resolves when all have finished. With `burst` > 1 the
 * items leave in groups of that size at the same average rate, as real surges arrive.
 */
export async function paced<T>(items: T[], ratePerSecond: number, fn: (item: T, index: number) => Promise<void>, burst = 1): Promise<void> {
  const t0 = performance.now();
  const running: Promise<void>[] = [];
  for (const [i, item] of items.entries()) {
    const due = t0 + (Math.floor(i / burst) * burst * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    running.push(fn(item, i));
  }
  await Promise.all(running);
}

/** Counts of the HTTP statuses seen, e.g. `202×58 503×3`. */
export function statusSummary(attempts: readonly Pick<Attempt, 'status'>[]): string {
  const counts = new Map<number, number>();
  for (const a of attempts) counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${s}×${n}`)
    .join(' ');
}

/** The problems of a set of answers: statuses other than the allowed ones, and 429/503 without Retry-After. */
export function answerProblems(attempts: Attempt[], allowed: readonly number[]): { unexpected: Attempt[]; withoutRetryAfter: Attempt[] } {
  return {
    unexpected: attempts.filter((a) => !allowed.includes(a.status)),
    withoutRetryAfter: attempts.filter((a) => (a.status === 429 || a.status === 503) && !a.retryAfter),
  };
}

// ---------------------------------------------------------------------------------------------
// Completion and verification

/** Waits until every credential's letter is filed and none of its messages is pending; returns the seconds waited. */
export async function waitForIssuance(stack: Pick<ChaosStack, 'pool'>, credentialIds: string[], timeoutMs: number, log: (line: string) => void): Promise<number> {
  const t0 = performance.now();
  let lastLog = 0;
  await waitUntil(async () => {
    const { letters, pending } = await issuanceProgress(stack.pool, credentialIds);
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log(`progress: ${letters}/${credentialIds.length} letters filed, ${pending} messages pending`);
    }
    return letters === credentialIds.length && pending === 0;
  }, timeoutMs).catch(async () => {
    const { letters, pending } = await issuanceProgress(stack.pool, credentialIds);
    throw new Error(`issuance not complete after ${timeoutMs / 1000} s: ${letters}/${credentialIds.length} letters filed, ${pending} messages pending`);
  });
  return (performance.now() - t0) / 1000;
}

/** What a citizen received, read from the sinks. */
export interface Received {
  sms: StoredSms[];
  email: StoredMail[];
  pec: StoredMail[];
}

/** The first-half messages per recipient address or number, from the sinks. */
export function receivedBy(stack: Pick<ChaosStack, 'sms' | 'smtp'>): (citizen: CitizenRequest) => Received {
  const smsTo = new Map<string, StoredSms[]>();
  for (const m of stack.sms.messages()) smsTo.set(m.to, [...(smsTo.get(m.to) ?? []), m]);
  const mailTo = new Map<string, StoredMail[]>();
  for (const m of stack.smtp.messages()) {
    if (m.headers['x-purpose'] !== 'first-half') continue;
    for (const to of m.envelope.rcptTo) mailTo.set(to.toLowerCase(), [...(mailTo.get(to.toLowerCase()) ?? []), m]);
  }
  return (c) => ({
    sms: smsTo.get(c.mobile ?? '') ?? [],
    email: mailTo.get((c.email ?? '').toLowerCase()) ?? [],
    pec: mailTo.get((c.pec ?? '').toLowerCase()) ?? [],
  });
}

/** The channels a citizen's first half goes to, in delivery order (as activities/issuance.ts contactChannels). */
export function channelsOf(c: CitizenRequest): ('sms' | 'email' | 'pec')[] {
  return [...(c.mobile ? ['sms' as const] : []), ...(c.email ? ['email' as const] : []), ...(c.pec ? ['pec' as const] : [])];
}

/** Runs `fn` over `items` with at most `concurrency` at a time. */
export async function mapLimit<T, R>(items: T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

const sample = (xs: string[]): string => `${xs.slice(0, 3).join('; ')}${xs.length > 3 ? ` (+${xs.length - 3} more)` : ''}`;

/**
 * The exactly-once checks shared by the scenarios, for citizens whose requests were accepted:
 * one credential, one PIN secret, one letter filed in a batch, one first-half outbox row per
 * channel all sent, the workflow waiting for the letter's dispatch (or the first access), one SMS,
 * and per e-mail/PEC one message (any duplicate carrying its twin's Message-ID, counted), in the
 * order SMS → e-mail → PEC, all with the same half.
 */
export async function verifyIssuances(stack: Pick<ChaosStack, 'pool' | 'client' | 'sms' | 'smtp'>, report: ChaosReport, issued: { citizen: CitizenRequest; credentialId: string }[]): Promise<void> {
  const ids = issued.map((i) => i.credentialId);
  const cfs = issued.map((i) => i.citizen.codiceFiscale);
  const q = async (sql: string, params: unknown[]) => (await stack.pool.query<{ k: string; n: string }>(sql, params)).rows;
  const countBy = (rows: { k: string; n: string }[]) => new Map(rows.map((r) => [r.k, Number(r.n)]));

  const credentials = countBy(await q('SELECT codice_fiscale AS k, count(*) AS n FROM credentials WHERE codice_fiscale = ANY($1::text[]) GROUP BY 1', [cfs]));
  const badCredentials = issued.filter((i) => credentials.get(i.citizen.codiceFiscale) !== 1).map((i) => `${i.citizen.codiceFiscale}: ${credentials.get(i.citizen.codiceFiscale) ?? 0}`);
  report.check('one credential row per citizen', badCredentials.length === 0, sample(badCredentials));

  const secrets = countBy(await q('SELECT credential_id::text AS k, count(*) AS n FROM pin_secrets WHERE credential_id = ANY($1::uuid[]) GROUP BY 1', [ids]));
  const letters = countBy(await q('SELECT credential_id::text AS k, count(*) AS n FROM letters WHERE credential_id = ANY($1::uuid[]) AND batch_date IS NOT NULL GROUP BY 1', [ids]));
  const allLetters = countBy(await q('SELECT credential_id::text AS k, count(*) AS n FROM letters WHERE credential_id = ANY($1::uuid[]) GROUP BY 1', [ids]));
  const sent = countBy(
    await q(`SELECT credential_id::text AS k, count(*) AS n FROM outbox WHERE credential_id = ANY($1::uuid[]) AND purpose = 'first-half' AND status = 'sent' GROUP BY 1`, [ids]),
  );
  // First-half rows only: the request's receipt (purpose request-received) is a message of its own.
  const allOutbox = countBy(await q(`SELECT credential_id::text AS k, count(*) AS n FROM outbox WHERE credential_id = ANY($1::uuid[]) AND purpose = 'first-half' GROUP BY 1`, [ids]));
  const channelCount = new Map(issued.map((i) => [i.credentialId, channelsOf(i.citizen).length]));
  const bad = (m: Map<string, number>, want?: number) =>
    ids.filter((id) => (m.get(id) ?? 0) !== (want ?? channelCount.get(id))).map((id) => `${id}: ${m.get(id) ?? 0}`);
  report.check('one PIN secret per citizen', bad(secrets, 1).length === 0, sample(bad(secrets, 1)));
  report.check('one letter per citizen, filed in a batch', bad(letters, 1).length === 0 && bad(allLetters, 1).length === 0, sample([...bad(allLetters, 1), ...bad(letters, 1)]));
  report.check('one first-half outbox row per channel of the citizen, all sent', bad(sent).length === 0 && bad(allOutbox).length === 0, sample([...bad(allOutbox), ...bad(sent)]));
  const attempts = (await stack.pool.query<{ max: number | null; retried: string }>(
    'SELECT max(attempts) AS max, count(*) FILTER (WHERE attempts > 1) AS retried FROM outbox WHERE credential_id = ANY($1::uuid[])',
    [ids],
  )).rows[0]!;
  report.figure('outbox rows sent after a retry', Number(attempts.retried));
  report.figure('most delivery attempts of one row', attempts.max ?? 0);

  const states = await mapLimit(issued, 16, async (i) => {
    const v = await stack.client.workflow.getHandle(credentialWorkflowId(i.credentialId)).query(credentialStateQuery).catch((err: Error) => err);
    if (v instanceof Error) return `${i.credentialId}: ${v.message}`;
    const ok =
      (v.state === 'awaiting_letter_dispatch' || v.state === 'awaiting_first_access') &&
      v.firstHalf.every((f) => f.state === 'sent') &&
      v.firstHalf.length === channelsOf(i.citizen).length;
    return ok ? undefined : `${i.credentialId}: ${v.state}, first half ${v.firstHalf.map((f) => f.state).join('/')}`;
  });
  const badStates = states.filter((s): s is string => s !== undefined);
  report.check('every workflow reached awaiting_letter_dispatch with the first half sent', badStates.length === 0, sample(badStates));

  const { rows: outboxIds } = await stack.pool.query<{ credential_id: string; channel: string; message_id: string }>(
    `SELECT credential_id::text, channel, message_id FROM outbox WHERE credential_id = ANY($1::uuid[]) AND purpose = 'first-half'`,
    [ids],
  );
  const messageIdOf = new Map(outboxIds.map((r) => [`${r.credential_id}:${r.channel}`, r.message_id]));
  const received = receivedBy(stack);
  const problems: string[] = [];
  const outOfOrder: string[] = [];
  const duplicates = { email: 0, pec: 0 };
  for (const i of issued) {
    const r = received(i.citizen);
    const channels = channelsOf(i.citizen);
    if (r.sms.length !== (channels.includes('sms') ? 1 : 0)) problems.push(`${i.citizen.mobile}: ${r.sms.length} SMS`);
    const halves = new Set<string>();
    for (const s of r.sms) halves.add(halfFrom(s.text));
    for (const channel of ['email', 'pec'] as const) {
      const mails = r[channel];
      if (!channels.includes(channel)) {
        if (mails.length) problems.push(`${i.credentialId}: ${channel} without a ${channel} address`);
        continue;
      }
      const distinct = new Set(mails.map((m) => m.messageId));
      if (mails.length === 0) problems.push(`${i.credentialId}: no ${channel}`);
      else if (distinct.size !== 1) problems.push(`${i.credentialId}: ${distinct.size} different ${channel} Message-IDs`);
      else if ([...distinct][0] !== messageIdOf.get(`${i.credentialId}:${channel}`)) problems.push(`${i.credentialId}: ${channel} Message-ID is not the outbox row's`);
      duplicates[channel] += Math.max(0, mails.length - 1);
      for (const m of mails) halves.add(halfFrom(m.text));
    }
    if (halves.size !== 1) problems.push(`${i.credentialId}: ${halves.size} different first halves`);
    // In the order the citizen's channels are served: SMS, e-mail, PEC.
    const times = channels.map((c) => Date.parse(r[c][0]?.receivedAt ?? ''));
    if (!times.every((t, k) => !Number.isNaN(t) && (k === 0 || times[k - 1]! <= t))) outOfOrder.push(i.credentialId);
  }
  report.check('exactly one first-half message per channel per citizen (duplicates share the Message-ID), same half on all', problems.length === 0, sample(problems));
  report.check('first half delivered in order (SMS → e-mail → PEC) for every citizen', outOfOrder.length === 0, sample(outOfOrder));
  report.figure('e-mail duplicates (same Message-ID)', duplicates.email);
  report.figure('PEC duplicates (same Message-ID)', duplicates.pec);
  report.figure('SMS duplicates dropped by the gateway (same key)', stack.sms.duplicatesReceived());
}
