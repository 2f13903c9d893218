/**
 * What `npm start` and `npm run start:cluster` both run around Temporal: the application's
 * PostgreSQL (DATABASE_URL or an embedded server kept in the data folder) with its migrations
 * and the development records, the SMTP and SMS sinks unless real endpoints are configured, and
 * the development OpenID provider. Each part registers its own clean-up.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../lib/config';
import { createPool } from '../lib/db';
import { loadKeys } from '../lib/keys';
import type { Logger } from '../lib/logger';
import { migrate } from '../lib/migrate';
import { publicBaseUrl } from '../lib/runtime';
import { importInstituteRecords, reportLines } from '../services/reference-data';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
import type { DevOidcProvider } from './oidc-provider';
import { startSmsSink, type SmsSink } from './sinks/sms-sink';
import { startSmtpSink, type SmtpSink } from './sinks/smtp-sink';
import { stopChild, type Supervised } from './supervise';

/** Steps that undo what was started, run in reverse order on Ctrl-C or when a later step fails. */
export type Cleanup = (() => Promise<void>)[];

/**
 * Ctrl-C or SIGTERM stops the supervised processes first (workers drain their tasks through the
 * Temporal server, so the server goes after them), then runs the cleanup steps, newest first.
 */
export function stopOnSignals(children: readonly Supervised[], cleanup: Cleanup, log: Logger): void {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log.info('stopping');
    await Promise.all(children.map(stopChild));
    for (const fn of cleanup.reverse()) await fn().catch((err: unknown) => log.warn({ err }, 'cleanup step failed'));
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

/** A start that failed half-way leaves nothing it started running (a Temporal server, PostgreSQL). */
export async function exitAfterFailedStart(err: unknown, cleanup: Cleanup, log: Logger, what: string): Promise<never> {
  log.fatal({ err }, `${what} failed`);
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  process.exit(1);
}

/** The ports of what the development stack runs itself (README, "Configuration"). */
export function devPorts(env: NodeJS.ProcessEnv = process.env) {
  return {
    temporal: Number(env.TEMPORAL_DEV_PORT ?? 7233),
    temporalUi: Number(env.TEMPORAL_UI_PORT ?? 8233),
    postgres: Number(env.EMBEDDED_PG_PORT ?? 55433),
    smtp: Number(env.SMTP_SINK_PORT ?? 2525),
    smtpHttp: Number(env.SMTP_SINK_HTTP_PORT ?? 8025),
    sms: Number(env.SMS_SINK_PORT ?? 8026),
    oidc: Number(env.OIDC_DEV_PORT ?? 8027),
  };
}
export type DevPorts = ReturnType<typeof devPorts>;

/** The development data set loaded at start (never in production). */
const DEV_RECORDS = fileURLToPath(new URL('./data/institute-records.csv', import.meta.url));

/**
 * The application's database: DATABASE_URL, or an embedded PostgreSQL server kept in
 * `<dataDir>/postgres` (its usual port when free, else another: a second checkout can run
 * beside this one); migrated, with the development records outside production.
 */
export async function startApplicationDatabase(opts: { config: Config; dataDir: string; port: number; log: Logger; cleanup: Cleanup }): Promise<{ databaseUrl: string; embedded?: EmbeddedPostgres }> {
  const { config, dataDir, log } = opts;
  let databaseUrl = config.DATABASE_URL;
  let embedded: EmbeddedPostgres | undefined;
  if (!databaseUrl) {
    const started = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'postgres'), preferredPort: opts.port, durable: true });
    embedded = started;
    databaseUrl = started.url;
    opts.cleanup.push(() => started.stop());
  }
  const pool = createPool(databaseUrl, 1);
  try {
    const applied = await migrate(pool);
    log.info({ applied }, 'migrations applied');
    // Enough people on record to try every path (profiles, schemes, intermediaries, residences in
    // Italy and abroad, health cards for the online revocation).
    if (config.NODE_ENV !== 'production') {
      const report = await importInstituteRecords(pool, loadKeys({ ...config, DATA_DIR: dataDir }).pepper, readFileSync(DEV_RECORDS, 'utf8'));
      for (const line of reportLines(report, path.relative(process.cwd(), DEV_RECORDS))) {
        if (report.rejected.length) log.warn(line);
        else log.info(line);
      }
    }
  } finally {
    await pool.end();
  }
  return { databaseUrl, ...(embedded ? { embedded } : {}) };
}

export interface DevChannels {
  smtpUrl: string;
  smsUrl: string;
  smtpSink?: SmtpSink;
  smsSink?: SmsSink;
}

/** The e-mail/PEC and SMS endpoints: the configured ones, else the local sinks keeping messages in the data folder. */
export async function startDevChannels(opts: { config: Config; dataDir: string; ports: DevPorts; cleanup: Cleanup }): Promise<DevChannels> {
  const { config, dataDir, ports } = opts;
  let smtpUrl = config.SMTP_URL;
  let smtpSink: SmtpSink | undefined;
  if (!smtpUrl) {
    const sink = await startSmtpSink({ smtpPort: ports.smtp, httpPort: ports.smtpHttp, storeFile: path.join(dataDir, 'sinks', 'mail.jsonl') });
    smtpSink = sink;
    smtpUrl = `smtp://127.0.0.1:${sink.smtpPort}`;
    opts.cleanup.push(() => sink.close());
  }
  let smsUrl = config.SMS_GATEWAY_URL;
  let smsSink: SmsSink | undefined;
  if (!smsUrl) {
    const sink = await startSmsSink({ port: ports.sms, apiKey: config.SMS_GATEWAY_KEY, storeFile: path.join(dataDir, 'sinks', 'sms.jsonl') });
    smsSink = sink;
    smsUrl = sink.url;
    opts.cleanup.push(() => sink.close());
  }
  return { smtpUrl, smsUrl, ...(smtpSink ? { smtpSink } : {}), ...(smsSink ? { smsSink } : {}) };
}

/**
 * The SPID/CIE/CNS sign-in: a development OpenID provider with test identities, unless a real
 * provider is configured — and never in production, where an unconfigured sign-in answers 503.
 * Its client secret lives only as long as this process; the package is a development one.
 * Returns the environment the API needs to use it.
 */
export async function startDevIdentity(opts: { config: Config; ports: DevPorts; cleanup: Cleanup }): Promise<{ env: NodeJS.ProcessEnv; devIdp?: DevOidcProvider }> {
  const { config } = opts;
  if (config.OIDC_ISSUER || config.NODE_ENV === 'production') return { env: {} };
  const { startDevOidcProvider } = await import('./oidc-provider');
  const clientSecret = randomBytes(24).toString('base64url');
  const origins = [...new Set([publicBaseUrl(config), `http://127.0.0.1:${config.API_PORT}`, `http://localhost:${config.API_PORT}`])];
  const devIdp = await startDevOidcProvider({
    port: opts.ports.oidc,
    clients: [{ clientId: config.OIDC_CLIENT_ID, clientSecret, redirectUris: origins.flatMap((o) => [`${o}/portal/identity/callback`, `${o}/api/identity/callback`]) }],
  });
  opts.cleanup.push(() => devIdp.close());
  return { env: { OIDC_ISSUER: devIdp.issuer, OIDC_CLIENT_SECRET: clientSecret }, devIdp };
}
