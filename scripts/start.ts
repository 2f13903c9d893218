/**
 * `npm start`: the whole stack for a newcomer, on embedded defaults.
 *
 * Brings up, in order: the Temporal dev server (SQLite file + Web UI), PostgreSQL (DATABASE_URL
 * or an embedded PostgreSQL server kept in the data folder), the SMTP and SMS sinks (unless
 * real endpoints are configured), migrations, then the worker and the API as supervised child
 * processes (restarted with back-off if they crash). Ctrl-C stops everything in reverse
 * order; the data folder keeps the state for the next start.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig, ConfigError } from '../lib/config';
import { createLogger } from '../lib/logger';
import { executableFor, resolveTemporalBinary } from '../dev/temporal-binaries';
import { devPorts, exitAfterFailedStart, startApplicationDatabase, startDevChannels, startDevIdentity, stopOnSignals, type Cleanup } from '../dev/dev-stack';
import { supervise } from '../dev/supervise';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { readStackFile, removeStackFile, writeStackFile } from '../dev/stack-file';
import { mailroomDir as mailroomDirOf } from '../lib/runtime';
import { loadPayloadKeys } from '../lib/payload-codec';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = createLogger({ name: 'start' });
const ports = devPorts();

/** What has been started so far, stopped in reverse order on Ctrl-C or when a later step fails. */
const cleanup: Cleanup = [];

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

  const { databaseUrl, embedded } = await startApplicationDatabase({ config, dataDir, port: ports.postgres, log, cleanup });
  const { smtpUrl, smsUrl, smtpSink, smsSink } = await startDevChannels({ config, dataDir, ports, cleanup });
  const { env: oidcEnv, devIdp } = await startDevIdentity({ config, ports, cleanup });

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
  const children = [supervise('worker', 'worker/main.ts', env, log), supervise('api', 'api/main.ts', env, log)];

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

  stopOnSignals(children, cleanup, log);
}

main().catch((err: unknown) => exitAfterFailedStart(err, cleanup, log, 'start'));
