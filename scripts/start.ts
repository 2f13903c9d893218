/**
 * `npm start`: the whole stack for a newcomer, on embedded defaults.
 *
 * Brings up, in order: the Temporal dev server (SQLite file + Web UI), PostgreSQL (DATABASE_URL
 * or an embedded PostgreSQL server kept in the data folder), the SMTP and SMS sinks (unless
 * real endpoints are configured), migrations, then the worker and the API as supervised child
 * processes (restarted with back-off if they crash). Ctrl-C stops everything in reverse
 * order; the data folder keeps the state for the next start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig, ConfigError } from '../lib/config';
import { createPool } from '../lib/db';
import { createLogger } from '../lib/logger';
import { migrate } from '../lib/migrate';
import { executableFor, resolveTemporalBinary } from '../dev/temporal-binaries';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../dev/embedded-postgres';
import { startSmtpSink, type SmtpSink } from '../dev/sinks/smtp-sink';
import { startSmsSink, type SmsSink } from '../dev/sinks/sms-sink';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { readStackFile, removeStackFile, writeStackFile } from '../dev/stack-file';
import { mailroomDir as mailroomDirOf, publicBaseUrl } from '../lib/runtime';
import { loadPayloadKeys } from '../lib/payload-codec';
import { loadKeys } from '../lib/keys';
import { importInstituteRecords, reportLines } from '../services/reference-data';
import type { DevOidcProvider } from '../dev/oidc-provider';
import { randomBytes } from 'node:crypto';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = createLogger({ name: 'start' });

const ports = {
  temporal: Number(process.env.TEMPORAL_DEV_PORT ?? 7233),
  temporalUi: Number(process.env.TEMPORAL_UI_PORT ?? 8233),
  postgres: Number(process.env.EMBEDDED_PG_PORT ?? 55433),
  smtp: Number(process.env.SMTP_SINK_PORT ?? 2525),
  smtpHttp: Number(process.env.SMTP_SINK_HTTP_PORT ?? 8025),
  sms: Number(process.env.SMS_SINK_PORT ?? 8026),
  oidc: Number(process.env.OIDC_DEV_PORT ?? 8027),
};

interface Supervised {
  name: string;
  child?: ChildProcess;
  restarts: number;
  stopping: boolean;
}

function supervise(name: string, script: string, env: NodeJS.ProcessEnv): Supervised {
  const s: Supervised = { name, restarts: 0, stopping: false };
  const launch = () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, script)], { env, stdio: 'inherit', cwd: root });
    s.child = child;
    child.on('exit', (code, signal) => {
      if (s.stopping) return;
      s.restarts++;
      const delay = Math.min(30_000, 1_000 * 2 ** Math.min(s.restarts, 5));
      log.error({ process: name, code, signal, restartInMs: delay }, 'process exited; restarting');
      setTimeout(launch, delay).unref();
    });
  };
  launch();
  return s;
}

async function stopChild(s: Supervised): Promise<void> {
  s.stopping = true;
  const child = s.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** What has been started so far, stopped in reverse order on Ctrl-C or when a later step fails. */
/** The development data set loaded at start (never in production). */
const DEV_RECORDS = fileURLToPath(new URL('../dev/data/institute-records.csv', import.meta.url));

const cleanup: (() => Promise<void>)[] = [];

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const dataDir = path.resolve(root, config.DATA_DIR);
  // One stack per data folder: a second one would fight the first over its database and files.
  const running = readStackFile(dataDir);
  if (running) {
    console.error(`npm start is already running on ${dataDir} (pid ${running.pid}, API ${running.apiUrl}); stop it first, or set DATA_DIR to another folder.`);
    process.exit(2);
  }
  mkdirSync(path.join(dataDir, 'temporal'), { recursive: true });

  // Temporal: the official CLI dev server, found or provisioned without the SDK's download.
  const cli = await resolveTemporalBinary('cli', { log: (m) => log.info(m), allowSdkDownload: true });
  log.info({ source: cli.source }, 'starting the Temporal dev server');
  const temporal = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: executableFor(cli),
      ip: '127.0.0.1',
      port: ports.temporal,
      ui: true,
      uiPort: ports.temporalUi,
      namespace: config.TEMPORAL_NAMESPACE,
      dbFilename: path.join(dataDir, 'temporal', 'temporal.db'),
      searchAttributes: SEARCH_ATTRIBUTES,
      log: { format: 'pretty', level: 'warn' },
    },
  });
  cleanup.push(() => temporal.teardown());

  let databaseUrl = config.DATABASE_URL;
  let embedded: EmbeddedPostgres | undefined;
  if (!databaseUrl) {
    // The usual port when it is free, else another: a second checkout can run beside this one.
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(dataDir, 'postgres'),
      preferredPort: ports.postgres,
      durable: true,
    });
    databaseUrl = embedded.url;
    cleanup.push(() => embedded!.stop());
  }
  const pool = createPool(databaseUrl, 1);
  const applied = await migrate(pool);
  log.info({ applied }, 'migrations applied');
  // The development data set: enough people on record to try every path (profiles, schemes,
  // intermediaries, residences in Italy and abroad, health cards for the online revocation).
  if (config.NODE_ENV !== 'production') {
    const report = await importInstituteRecords(pool, loadKeys({ ...config, DATA_DIR: dataDir }).pepper, readFileSync(DEV_RECORDS, 'utf8'));
    for (const line of reportLines(report, path.relative(process.cwd(), DEV_RECORDS))) {
      if (report.rejected.length) log.warn(line);
      else log.info(line);
    }
  }
  await pool.end();

  let smtpUrl = config.SMTP_URL;
  let smtpSink: SmtpSink | undefined;
  if (!smtpUrl) {
    smtpSink = await startSmtpSink({
      smtpPort: ports.smtp,
      httpPort: ports.smtpHttp,
      storeFile: path.join(dataDir, 'sinks', 'mail.jsonl'),
    });
    smtpUrl = `smtp://127.0.0.1:${smtpSink.smtpPort}`;
    cleanup.push(() => smtpSink!.close());
  }
  let smsUrl = config.SMS_GATEWAY_URL;
  let smsSink: SmsSink | undefined;
  if (!smsUrl) {
    smsSink = await startSmsSink({ port: ports.sms, apiKey: config.SMS_GATEWAY_KEY, storeFile: path.join(dataDir, 'sinks', 'sms.jsonl') });
    smsUrl = smsSink.url;
    cleanup.push(() => smsSink!.close());
  }

  // The SPID/CIE/CNS sign-in: a development OpenID provider with test identities, unless a real
  // provider is configured — and never in production, where an unconfigured sign-in answers 503.
  // Its client secret lives only as long as this process; the package is a development one.
  let oidcEnv: NodeJS.ProcessEnv = {};
  let devIdp: DevOidcProvider | undefined;
  if (!config.OIDC_ISSUER && config.NODE_ENV !== 'production') {
    const { startDevOidcProvider } = await import('../dev/oidc-provider');
    const clientSecret = randomBytes(24).toString('base64url');
    const origins = [...new Set([publicBaseUrl(config), `http://127.0.0.1:${config.API_PORT}`, `http://localhost:${config.API_PORT}`])];
    devIdp = await startDevOidcProvider({
      port: ports.oidc,
      clients: [{ clientId: config.OIDC_CLIENT_ID, clientSecret, redirectUris: origins.flatMap((o) => [`${o}/portal/identity/callback`, `${o}/api/identity/callback`]) }],
    });
    cleanup.push(() => devIdp!.close());
    oidcEnv = { OIDC_ISSUER: devIdp.issuer, OIDC_CLIENT_SECRET: clientSecret };
  }

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...oidcEnv,
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    DATABASE_URL: databaseUrl,
    SMTP_URL: smtpUrl,
    SMS_GATEWAY_URL: smsUrl,
    DATA_DIR: dataDir,
    // The codec endpoint answers the UI this script starts, on whatever port it was given.
    TEMPORAL_UI_ORIGIN: config.TEMPORAL_UI_ORIGIN ?? `http://127.0.0.1:${ports.temporalUi},http://localhost:${ports.temporalUi}`,
  };
  // Creates the development keys (payload key included) once, before the worker and the API
  // start together and would both try to write dev-keys.json.
  const payloadKeys = loadPayloadKeys({ ...config, DATA_DIR: dataDir });
  const children = [supervise('worker', 'worker/main.ts', env), supervise('api', 'api/main.ts', env)];

  const api = `http://${config.API_HOST}:${config.API_PORT}`;
  const lines = [
    '',
    'PIN back-office is starting:',
    `  API              ${api}   (health ${api}/readyz)`,
    `  Portal           ${api}/portal`,
    `  Console          ${api}/console`,
    `  Temporal Web UI  http://127.0.0.1:${ports.temporalUi}   (payloads encrypted, key "${payloadKeys.currentId}"; codec ${api}/codec, see README)`,
    `  Metrics          ${api}/metrics${config.WORKER_METRICS_PORT !== undefined ? `, worker http://${config.WORKER_METRICS_HOST}:${config.WORKER_METRICS_PORT}/metrics` : ''}`,
    `  Temporal gRPC    127.0.0.1:${ports.temporal}  (namespace ${config.TEMPORAL_NAMESPACE})`,
    `  PostgreSQL       ${embedded ? `embedded PostgreSQL at 127.0.0.1:${embedded.port} (${embedded.dataDir})` : 'DATABASE_URL'}`,
    smtpSink ? `  E-mail/PEC inbox ${smtpSink.httpUrl}  (SMTP 127.0.0.1:${smtpSink.smtpPort})` : '  E-mail/PEC       SMTP_URL',
    smsSink ? `  SMS inbox        ${smsSink.url}` : '  SMS              SMS_GATEWAY_URL',
    devIdp ? `  SPID/CIE (dev)   ${devIdp.issuer}  (test identities; ${api}/portal/telephone-pin)` : `  SPID/CIE         ${config.OIDC_ISSUER ?? 'not configured (OIDC_ISSUER)'}`,
    `  Data folder      ${dataDir}`,
    'Press Ctrl-C to stop.',
    '',
  ];
  console.log(lines.join('\n'));
  writeStackFile(dataDir, {
    pid: process.pid,
    apiUrl: api,
    databaseUrl,
    temporalAddress: `127.0.0.1:${ports.temporal}`,
    temporalUiUrl: `http://127.0.0.1:${ports.temporalUi}`,
    ...(smtpSink ? { mailInboxUrl: smtpSink.httpUrl } : {}),
    ...(smsSink ? { smsInboxUrl: smsSink.url } : {}),
    mailroomDir: mailroomDirOf({ ...config, DATA_DIR: dataDir }),
  });
  cleanup.unshift(async () => removeStackFile(dataDir));

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log.info('stopping');
    await Promise.all(children.map(stopChild));
    for (const fn of cleanup.reverse()) await fn().catch((err) => log.warn({ err }, 'cleanup step failed'));
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch(async (err) => {
  log.fatal({ err }, 'start failed');
  // Nothing started before the failure is left running (a Temporal server, PostgreSQL).
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  process.exit(1);
});
