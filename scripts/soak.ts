/**
 * `npm run soak` — many people at once on the stack exactly as `npm start` builds it: the
 * script runs `scripts/start.ts` itself (embedded PostgreSQL, Temporal dev server, sinks, worker
 * and API as its children) in a folder of its own, on free ports, and then:
 *
 * - J citizens walk the whole journey concurrently: PIN request → first half from the SMS sink →
 *   second half from the posted letter (the PDF in the mail room) → first access (16 → 8) →
 *   login → session and services → the portal's pages (login form, home, conversion, claims,
 *   logout) → logout of the API session, which then answers 401;
 * - meanwhile clerks and a supervisor, created with `npm run staff:create`, log in to the console
 *   with password and TOTP, choose their own password (as the console asks at the first login)
 *   and keep reading the review queue.
 *
 * Checks: every journey completes, no answer is ≥ 500, the stack logs no error line, and Ctrl-C
 * (SIGINT) stops everything, the embedded PostgreSQL included.
 *
 *   npm run soak                          # 24 journeys, 3 console users (the CI size)
 *   CHAOS_SIZE=full npm run soak          # 120 journeys, 6 console users
 *   SOAK_JOURNEYS=60 npm run soak
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort, percentile } from '../bench/support';
import { alive } from '../dev/embedded-postgres';
import { readStackFile, type StackFile } from '../dev/stack-file';
import { base32Decode, totpAt } from '../lib/totp';
import { Browser, csrfOf } from '../test/support/browser';
import { halfFrom, secondHalfFrom, waitFor } from '../test/support/issuance';
import { pdfText } from '../test/support/pdf';
import {
  ChaosReport,
  ManagedProcess,
  ROOT,
  defaultLog,
  isMain,
  numberFromEnv,
  runAsScript,
  sizeFromEnv,
  sleep,
  statusSummary,
  uniqueCitizen,
  type ChaosResult,
  type ChaosRunOptions,
} from './chaos/harness';

const run$ = promisify(execFile);

/** One HTTP answer as the soak saw it. */
interface Answer {
  what: string;
  status: number;
}

/** Lines of the stack's output that report an error: pino level ≥ 50, or a plain line that says so. */
export function errorLines(output: string): string[] {
  return output.split('\n').filter((line) => {
    const t = line.trim();
    if (!t) return false;
    if (t.startsWith('{')) {
      try {
        return Number((JSON.parse(t) as { level?: unknown }).level) >= 50;
      } catch {
        return false;
      }
    }
    return /\b(ERROR|FATAL|PANIC|Unhandled|uncaught)\b/i.test(t) || /^\s*(\w+)?Error: /.test(t);
  });
}

class SoakClient {
  readonly answers: Answer[] = [];
  constructor(readonly base: string) {}

  /** A JSON call; `ip` stands for the citizen's own address (the portal's proxy forwards it). */
  async json(what: string, method: string, route: string, ip: string, body?: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${this.base}${route}`, {
      method,
      headers: {
        'x-forwarded-for': ip,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    this.answers.push({ what, status: res.status });
    const text = await res.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { text };
    }
    return { status: res.status, body: parsed };
  }

  /** Records a browser page's answer. */
  page<T extends { status: number }>(what: string, page: T): T {
    this.answers.push({ what, status: page.status });
    return page;
  }
}

function expectStatus(what: string, got: number, want: number | number[]): void {
  const ok = Array.isArray(want) ? want.includes(got) : got === want;
  if (!ok) throw new Error(`${what}: ${got}, expected ${String(want)}`);
}

/** One citizen from the request to the logout; resolves with the journey's seconds. */
async function journey(client: SoakClient, stack: StackFile, db: pg.Pool, i: number): Promise<number> {
  const t0 = performance.now();
  const ip = `10.77.${Math.floor(i / 250)}.${1 + (i % 250)}`;
  const citizen = uniqueCitizen();
  const requested = await client.json('request', 'POST', '/api/pin-requests', ip, citizen);
  expectStatus('PIN request', requested.status, 202);
  const credentialId = String(requested.body.credentialId);

  // The first half, as the citizen reads it on the phone.
  const sms = await waitFor(
    'the first half by SMS',
    async () => {
      const res = await fetch(`${stack.smsInboxUrl}/api/messages?to=${encodeURIComponent(citizen.mobile!)}`);
      const list = (await res.json()) as { text: string }[];
      return list.find((m) => /PIN/.test(m.text));
    },
    120_000,
  );
  const firstHalf = halfFrom(sms.text);
  // The second half, as the postman brings it: the letter rendered into the mail room.
  const letterFile = await waitFor(
    'the letter',
    async () => (await db.query<{ file_path: string }>('SELECT file_path FROM letters WHERE credential_id = $1::uuid AND file_path IS NOT NULL', [credentialId])).rows[0]?.file_path,
    120_000,
  );
  const secondHalf = secondHalfFrom(await pdfText(new Uint8Array(await readFile(letterFile))));
  if (!secondHalf) throw new Error(`no second half in the letter of ${credentialId}`);

  // First access may come before the workflow expects it (409): wait as the page would tell.
  const firstAccess = await waitFor(
    'the first access',
    async () => {
      const r = await client.json('first access', 'POST', '/api/first-access', ip, { codiceFiscale: citizen.codiceFiscale, pin: firstHalf + secondHalf });
      if (r.status === 200) return r;
      expectStatus('first access', r.status, [409, 429]);
      return undefined;
    },
    120_000,
  );
  const pin = String(firstAccess.body.pin);

  const login = await waitFor(
    'the login',
    async () => {
      const r = await client.json('login', 'POST', '/api/sessions', ip, { codiceFiscale: citizen.codiceFiscale, pin });
      if (r.status === 201) return r;
      // Until the workflow has recorded the activation, the new PIN may not be usable yet.
      expectStatus('login', r.status, [401, 409]);
      return undefined;
    },
    60_000,
  );
  const token = String(login.body.token);
  expectStatus('session', (await client.json('session', 'GET', '/api/session', ip, undefined, token)).status, 200);
  const services = await client.json('services', 'GET', '/api/session/services', ip, undefined, token);
  expectStatus('services', services.status, 200);
  if (!Array.isArray(services.body.services) || services.body.services.length === 0) throw new Error('no services listed');

  // The portal, as a browser: login form, personal area, conversion and claims pages, logout.
  const browser = new Browser(`${stack.apiUrl}/portal`);
  const headers = { 'x-forwarded-for': ip };
  const form = client.page('portal login form', await browser.request('GET', '/login', undefined, headers));
  expectStatus('portal login form', form.status, 200);
  const posted = client.page('portal login', await browser.request('POST', '/login', { _csrf: csrfOf(form.body), codiceFiscale: citizen.codiceFiscale, pin }, headers));
  expectStatus('portal login', posted.status, 303);
  for (const p of ['/home', '/conversion', '/claims']) expectStatus(`portal ${p}`, client.page(`portal ${p}`, await browser.request('GET', p, undefined, headers)).status, 200);
  const home = await browser.request('GET', '/home', undefined, headers);
  const out = client.page('portal logout', await browser.request('POST', '/logout', { _csrf: csrfOf(home.body) }, headers));
  expectStatus('portal logout', out.status, 303);

  expectStatus('logout', (await client.json('logout', 'DELETE', '/api/session', ip, undefined, token)).status, 204);
  expectStatus('session after logout', (await client.json('session after logout', 'GET', '/api/session', ip, undefined, token)).status, 401);
  return (performance.now() - t0) / 1000;
}

interface StaffLogin {
  username: string;
  password: string;
  totpSecret: string;
}

/** `npm run staff:create` as an administrator would run it, against the running stack. */
async function createStaff(env: NodeJS.ProcessEnv, role: string, username: string): Promise<StaffLogin> {
  const { stdout } = await run$(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/create-staff.ts'), '--username', username, '--role', role], { cwd: ROOT, env });
  const password = /password:\s+(\S+)/.exec(stdout)?.[1];
  const totpSecret = /TOTP secret:\s+(\S+)/.exec(stdout)?.[1];
  if (!password || !totpSecret) throw new Error(`staff:create printed no credentials: ${stdout}`);
  return { username, password, totpSecret };
}

/** A console user: logs in with password + TOTP, reads the review queue until `until()`, logs out. */
async function consoleUser(client: SoakClient, stack: StackFile, staff: StaffLogin, ip: string, until: () => boolean): Promise<number> {
  const browser = new Browser(`${stack.apiUrl}/console`);
  const headers = { 'x-forwarded-for': ip };
  const form = client.page('console login form', await browser.request('GET', '/login', undefined, headers));
  expectStatus('console login form', form.status, 200);
  const code = totpAt(base32Decode(staff.totpSecret), Date.now());
  const login = client.page('console login', await browser.request('POST', '/login', { _csrf: csrfOf(form.body), username: staff.username, password: staff.password, code }, headers));
  expectStatus('console login', login.status, 303);
  // A generated password is changed at the first login, as a new colleague would.
  const change = client.page('console password form', await browser.request('GET', '/password', undefined, headers));
  expectStatus('console password form', change.status, 200);
  const chosen = `${randomUUID()} soak`;
  const changed = client.page('console password change', await browser.request('POST', '/password', { _csrf: csrfOf(change.body), current: staff.password, password: chosen, repeat: chosen }, headers));
  expectStatus('console password change', changed.status, 303);
  let reads = 0;
  while (!until()) {
    const queue = client.page('review queue', await browser.request('GET', '/review', undefined, headers));
    expectStatus('review queue', queue.status, 200);
    reads++;
    await sleep(300);
  }
  const home = await browser.request('GET', '/', undefined, headers);
  expectStatus('console logout', client.page('console logout', await browser.request('POST', '/logout', { _csrf: csrfOf(home.body) }, headers)).status, 303);
  return reads;
}

export async function run(opts: ChaosRunOptions = {}): Promise<ChaosResult> {
  const size = opts.size ?? sizeFromEnv();
  const log = opts.log ?? defaultLog;
  const journeys = numberFromEnv('SOAK_JOURNEYS', size === 'full' ? 120 : 24);
  const consoleUsers = numberFromEnv('SOAK_CONSOLE_USERS', size === 'full' ? 6 : 3);
  const report = new ChaosReport('soak', size);
  report.figure('concurrent citizen journeys', journeys);
  report.figure('console users reading the review queue', consoleUsers);

  const dir = mkdtempSync(path.join(tmpdir(), 'soak-'));
  // The embedded PostgreSQL runs as 'postgres' when we are root: it must be able to enter the folder.
  chmodSync(dir, 0o755);
  const dataDir = path.join(dir, 'data');
  const [temporal, ui, postgres, smtp, smtpHttp, sms, api] = await Promise.all(Array.from({ length: 7 }, () => freePort()));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    TEMPORAL_DEV_PORT: String(temporal),
    TEMPORAL_UI_PORT: String(ui),
    EMBEDDED_PG_PORT: String(postgres),
    SMTP_SINK_PORT: String(smtp),
    SMTP_SINK_HTTP_PORT: String(smtpHttp),
    SMS_SINK_PORT: String(sms),
    API_PORT: String(api),
    LOG_LEVEL: 'info',
  };
  // Nothing of the caller's stack leaks in: the embedded defaults, as a newcomer gets them.
  for (const k of ['DATABASE_URL', 'SMTP_URL', 'SMS_GATEWAY_URL', 'TEMPORAL_ADDRESS', 'PUBLIC_BASE_URL', 'NODE_ENV', 'MAILROOM_DIR', 'DOCUMENTS_DIR']) delete env[k];
  const start = new ManagedProcess('npm start', process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/start.ts')], env, path.join(dir, 'start.log'), log);

  let ok = false;
  try {
    const t0 = performance.now();
    start.start();
    const stack = await waitFor(
      'npm start',
      async () => {
        if (!start.running) throw new Error(`npm start exited; see ${start.logFile}`);
        const s = readStackFile(dataDir);
        if (!s) return undefined;
        const ready = await fetch(`${s.apiUrl}/readyz`).catch(() => undefined);
        return ready?.status === 200 ? s : undefined;
      },
      240_000,
    );
    report.figure('seconds until npm start was ready', (performance.now() - t0) / 1000);
    report.check('npm start ran PostgreSQL from the embedded server in its data folder', existsSync(path.join(dataDir, 'postgres', 'PG_VERSION')) && !stack.databaseUrl.includes('pglite'));
    // Let the worker reach polling (it bundles the workflows after the API is up).
    await start.waitForOutput(/worker started/, 120_000);

    const roles = ['clerk', 'supervisor', 'clerk', 'clerk', 'supervisor', 'clerk'];
    const staff = await Promise.all(Array.from({ length: consoleUsers }, (_, k) => createStaff(env, roles[k % roles.length]!, `soak-${k}-${randomUUID().slice(0, 6)}`)));

    const db = new pg.Pool({ connectionString: stack.databaseUrl, max: 4 });
    const client = new SoakClient(stack.apiUrl);
    const durations: number[] = [];
    const failures: string[] = [];
    let done = false;
    const j0 = performance.now();
    const consoleRuns = staff.map((s, k) =>
      consoleUser(client, stack, s, `10.78.0.${k + 1}`, () => done).catch((err: unknown) => {
        failures.push(`console ${s.username}: ${err instanceof Error ? err.message : String(err)}`);
        return 0;
      }),
    );
    await Promise.all(
      Array.from({ length: journeys }, (_, i) =>
        journey(client, stack, db, i).then(
          (s) => void durations.push(s),
          (err: unknown) => void failures.push(`journey ${i}: ${err instanceof Error ? err.message : String(err)}`),
        ),
      ),
    );
    done = true;
    const reads = await Promise.all(consoleRuns);
    await db.end();
    const seconds = (performance.now() - j0) / 1000;

    const sorted = [...durations].sort((a, b) => a - b);
    const fivehundreds = client.answers.filter((a) => a.status >= 500);
    report.figure('seconds for all journeys', seconds);
    report.figure('journey seconds p50 / max', sorted.length ? `${percentile(sorted, 50).toFixed(1)} / ${sorted.at(-1)!.toFixed(1)}` : '-');
    report.figure('HTTP answers', statusSummary(client.answers));
    report.figure('review-queue reads', reads.reduce((a, b) => a + b, 0));
    report.check(`every journey completed — request to logout`, durations.length === journeys && failures.length === 0, `${durations.length} of ${journeys}; ${failures.slice(0, 3).join('; ')}`);
    report.check('no answer ≥ 500', fivehundreds.length === 0, `${fivehundreds.length}: ${fivehundreds.slice(0, 5).map((a) => `${a.what} ${a.status}`).join(', ')}`);
    report.check('every console user logged in and read the queue', reads.every((r) => r > 0), reads.join(', '));
    const errors = errorLines(start.outputSinceStart());
    report.check('no error line in the logs of the stack', errors.length === 0, `${errors.length}: ${errors.slice(0, 3).map((l) => l.slice(0, 300)).join(' | ')}`);

    // Ctrl-C: everything stops, the embedded PostgreSQL too.
    const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
    const pgPid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : undefined;
    await start.stop('SIGINT', 60_000);
    const pgAlive = pgPid !== undefined && alive(pgPid);
    report.check('Ctrl-C stopped the stack and its PostgreSQL', !start.running && pgPid !== undefined && !pgAlive && !existsSync(pidFile), `postgres pid ${pgPid ?? 'unknown'} ${pgAlive ? 'still running' : 'stopped'}`);
    ok = report.ok;
  } catch (err) {
    report.check('soak ran to the end', false, err instanceof Error ? err.message : String(err));
  } finally {
    await start.stop('SIGINT', 60_000);
    if (ok && !process.env.CHAOS_KEEP) rmSync(dir, { recursive: true, force: true });
    else report.keptDir = dir;
  }
  return report.result();
}

if (isMain(import.meta.url)) runAsScript(run);
