/**
 * `npm run start:cluster`: the stack of `npm start` on the production topology, on one machine
 * (docs/decisions/0026-cluster-profile.md):
 *
 * - the real Temporal server (go.temporal.io/server, built from the Go module proxy into
 *   `.cache/temporal-server/` the first time) instead of the CLI's dev server, with persistence
 *   and visibility in PostgreSQL (databases `temporal` and `temporal_visibility` beside the
 *   application's, schemas set up by Temporal's SQL tool), the namespace and the project's search
 *   attributes registered through the operator API, and the Web UI;
 * - two worker processes and two API processes (CLUSTER_WORKERS, CLUSTER_APIS), the APIs behind
 *   a local round-robin proxy on API_PORT (dev/round-robin-proxy.ts), each process supervised and
 *   restarted with back-off;
 * - the same PostgreSQL, sinks and development sign-in as `npm start` (dev/dev-stack.ts).
 *
 * State lives in `.data/cluster` (or DATA_DIR), apart from `npm start`'s: the application's rows
 * and the workflows that drive them must stay on the same Temporal. Ctrl-C stops the processes,
 * then the proxy, the UI, the Temporal server and PostgreSQL, in that order.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { loadConfig, ConfigError } from '../lib/config';
import { createLogger } from '../lib/logger';
import { loadPayloadKeys } from '../lib/payload-codec';
import { STAFF_SESSION_COOKIE } from '../services/staff/sessions';
import { mailroomDir as mailroomDirOf, publicBaseUrl } from '../lib/runtime';
import { devPorts, exitAfterFailedStart, startApplicationDatabase, startDevChannels, startDevIdentity, stopOnSignals, type Cleanup } from '../dev/dev-stack';
import { startRoundRobinProxy } from '../dev/round-robin-proxy';
import { readStackFile, removeStackFile, writeStackFile } from '../dev/stack-file';
import { supervise, type Supervised } from '../dev/supervise';
import { ensureNamespace } from '../dev/temporal-namespace';
import { postgresEndpoint, provisionTemporalServer, setupTemporalSchemas, startTemporalServer, startTemporalUi, TEMPORAL_SERVER_PINS } from '../dev/temporal-server';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = createLogger({ name: 'start-cluster' });
const ports = devPorts();
const cleanup: Cleanup = [];

function count(name: string, fallback: number): number {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n < 1 || n > 8) {
    console.error(`${name} must be a whole number from 1 to 8, got "${process.env[name]}"`);
    process.exit(2);
  }
  return n;
}

/** A path as short as it can be said: relative inside the repository, absolute outside it. */
const shown = (p: string): string => (p.startsWith(`${root}${path.sep}`) ? path.relative(root, p) : p);

/** `host:port` with the port moved by `by` (the replicas' own metrics ports). */
const offsetAddress = (address: string, by: number): string => address.replace(/:(\d+)$/, (_, p: string) => `:${Number(p) + by}`);

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
  const workers = count('CLUSTER_WORKERS', 2);
  const apis = count('CLUSTER_APIS', 2);
  const dataDir = process.env.DATA_DIR ? path.resolve(root, process.env.DATA_DIR) : path.join(root, '.data', 'cluster');
  const running = readStackFile(dataDir);
  if (running) {
    console.error(`a stack is already running on ${dataDir} (pid ${running.pid}, API ${running.apiUrl}); stop it first, or set DATA_DIR to another folder.`);
    process.exit(2);
  }
  mkdirSync(dataDir, { recursive: true });

  const binaries = await provisionTemporalServer({ log: (m) => log.info(m), ui: true });
  const { databaseUrl, embedded } = await startApplicationDatabase({ config: { ...config, DATA_DIR: dataDir }, dataDir, port: ports.postgres, log, cleanup });

  // Temporal's two databases live on the same PostgreSQL server as the application's here; a
  // deployment gives them a server of their own (docs/decisions/0026).
  const postgres = postgresEndpoint(databaseUrl);
  await setupTemporalSchemas({ sql: binaries.sql, postgres, log: (m) => log.info(m) });
  const server = await startTemporalServer({ binaries, dir: path.join(dataDir, 'temporal'), postgres, frontendPort: ports.temporal });
  cleanup.push(() => server.stop());
  server.onUnexpectedExit((code, signal) => log.error({ code, signal, log: server.logFile }, 'the Temporal server exited; stop with Ctrl-C and look at its log'));
  const connection = await Connection.connect({ address: server.address });
  const namespace = await ensureNamespace(connection, config.TEMPORAL_NAMESPACE).finally(() => connection.close());
  log.info({ namespace: config.TEMPORAL_NAMESPACE, ...namespace }, 'namespace ready');

  let uiUrl: string | undefined;
  if (binaries.ui) {
    const ui = await startTemporalUi({ binary: binaries.ui, dir: path.join(dataDir, 'temporal', 'ui'), port: ports.temporalUi, temporalAddress: server.address, namespace: config.TEMPORAL_NAMESPACE });
    cleanup.push(() => ui.stop());
    uiUrl = ui.url;
  } else {
    log.warn({ reason: binaries.uiProblem }, 'no Temporal Web UI: its server could not be built');
  }

  const channels = await startDevChannels({ config, dataDir, ports, cleanup });
  const identity = await startDevIdentity({ config, ports, cleanup });

  const publicUrl = publicBaseUrl(config);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...identity.env,
    TEMPORAL_ADDRESS: server.address,
    DATABASE_URL: databaseUrl,
    SMTP_URL: channels.smtpUrl,
    SMS_GATEWAY_URL: channels.smsUrl,
    DATA_DIR: dataDir,
    // Links in messages name the proxy, not a replica.
    PUBLIC_BASE_URL: publicUrl,
    TEMPORAL_UI_ORIGIN: config.TEMPORAL_UI_ORIGIN ?? `http://127.0.0.1:${ports.temporalUi},http://localhost:${ports.temporalUi}`,
  };
  // Creates the development keys once, before the replicas start together and race to write them.
  const payloadKeys = loadPayloadKeys({ ...config, DATA_DIR: dataDir });

  const children: Supervised[] = [];
  for (let i = 0; i < workers; i++) {
    children.push(
      supervise(`worker-${i + 1}`, 'worker/main.ts', {
        ...env,
        ...(config.WORKER_METRICS_PORT !== undefined ? { WORKER_METRICS_PORT: String(config.WORKER_METRICS_PORT + i) } : {}),
        ...(config.TEMPORAL_SDK_METRICS_ADDRESS ? { TEMPORAL_SDK_METRICS_ADDRESS: offsetAddress(config.TEMPORAL_SDK_METRICS_ADDRESS, i) } : {}),
      }, log),
    );
  }
  const replicaPorts = Array.from({ length: apis }, (_, i) => config.API_PORT + 1 + i);
  for (const [i, port] of replicaPorts.entries()) children.push(supervise(`api-${i + 1}`, 'api/main.ts', { ...env, API_HOST: '127.0.0.1', API_PORT: String(port) }, log));
  // Sticky for the console's session: its sealed envelopes wait in one replica's memory.
  const proxy = await startRoundRobinProxy({ host: config.API_HOST, port: config.API_PORT, upstreams: replicaPorts.map((port) => ({ host: '127.0.0.1', port })), stickyCookie: STAFF_SESSION_COOKIE });
  cleanup.push(() => proxy.close());

  const api = proxy.url;
  const lines = [
    '',
    `PIN back-office (cluster profile: Temporal server ${TEMPORAL_SERVER_PINS.server.version} on PostgreSQL, ${workers} workers, ${apis} APIs) is starting:`,
    `  API              ${api}   (health ${api}/readyz; round robin over ${replicaPorts.map((p) => `127.0.0.1:${p}`).join(', ')})`,
    `  Portal           ${api}/portal`,
    `  Console          ${api}/console`,
    uiUrl
      ? `  Temporal Web UI  ${uiUrl}   (payloads encrypted, key "${payloadKeys.currentId}"; codec ${api}/codec, see README)`
      : `  Temporal Web UI  none: ${binaries.uiProblem ?? 'not built'}`,
    `  Temporal gRPC    ${server.address}  (namespace ${config.TEMPORAL_NAMESPACE}; server log ${shown(server.logFile)}, metrics ${server.metricsUrl})`,
    `  Temporal store   PostgreSQL databases temporal and temporal_visibility at ${postgres.host}:${postgres.port}`,
    `  Metrics          ${replicaPorts.map((p) => `http://127.0.0.1:${p}/metrics`).join(', ')}${config.WORKER_METRICS_PORT !== undefined ? `; workers ${Array.from({ length: workers }, (_, i) => `http://${config.WORKER_METRICS_HOST}:${config.WORKER_METRICS_PORT! + i}/metrics`).join(', ')}` : ''}`,
    `  PostgreSQL       ${embedded ? `embedded PostgreSQL at 127.0.0.1:${embedded.port} (${embedded.dataDir})` : 'DATABASE_URL'}`,
    channels.smtpSink ? `  E-mail/PEC inbox ${channels.smtpSink.httpUrl}  (SMTP 127.0.0.1:${channels.smtpSink.smtpPort})` : '  E-mail/PEC       SMTP_URL',
    channels.smsSink ? `  SMS inbox        ${channels.smsSink.url}` : '  SMS              SMS_GATEWAY_URL',
    identity.devIdp ? `  SPID/CIE (dev)   ${identity.devIdp.issuer}  (test identities; ${api}/portal/telephone-pin)` : `  SPID/CIE         ${config.OIDC_ISSUER ?? 'not configured (OIDC_ISSUER)'}`,
    `  Data folder      ${dataDir}   (tools: DATA_DIR=${shown(dataDir)} npm run staff:create -- …)`,
    'Press Ctrl-C to stop.',
    '',
  ];
  console.log(lines.join('\n'));
  writeStackFile(dataDir, {
    pid: process.pid,
    apiUrl: api,
    databaseUrl,
    temporalAddress: server.address,
    ...(uiUrl ? { temporalUiUrl: uiUrl } : {}),
    ...(channels.smtpSink ? { mailInboxUrl: channels.smtpSink.httpUrl } : {}),
    ...(channels.smsSink ? { smsInboxUrl: channels.smsSink.url } : {}),
    mailroomDir: mailroomDirOf({ ...config, DATA_DIR: dataDir }),
  });
  cleanup.unshift(async () => removeStackFile(dataDir));

  stopOnSignals(children, cleanup, log);
}

main().catch((err: unknown) => exitAfterFailedStart(err, cleanup, log, 'start:cluster'));
