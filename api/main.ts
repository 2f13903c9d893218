/**
 * API entry point: connects to PostgreSQL and Temporal, serves the HTTP API, and closes the
 * listener and connections on SIGINT/SIGTERM.
 */
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../lib/config';
import { createPool, warmPool } from '../lib/db';
import { createLogger } from '../lib/logger';
import { migrate } from '../lib/migrate';
import { documentsDir, mailroomDir, requireDatabaseUrl, trustedProxies, auditCheckpointFile } from '../lib/runtime';
import { keyAuditLog } from '../lib/audit';
import { loadKeys } from '../lib/keys';
import { createHmac } from 'node:crypto';
import { temporalConnectionOptions } from '../lib/temporal';
import { encryptedDataConverter, payloadCodecFromConfig, temporalUiOrigins } from '../lib/payload-codec';
import { metricsAccess } from '../lib/metrics';
import { DEFAULT_ISSUANCE_POLICY } from '../workflows/definitions';
import { apiBusy, createApp } from './app';
import type { InFlight } from './deps';
import { createWorkflowStarter } from '../services/issuance/workflow-starter';

const config = loadConfig();
const log = createLogger({ level: config.LOG_LEVEL, name: 'api' });
const keys = loadKeys(config);
const pool = keyAuditLog(createPool(requireDatabaseUrl(config), config.DATABASE_POOL_SIZE), keys.secrets);
await migrate(pool);
await warmPool(pool, config.DATABASE_POOL_SIZE);
const connection = await Connection.connect(temporalConnectionOptions(config));
// The same codec as the worker's: what one encrypts, the other reads.
const payloadCodec = payloadCodecFromConfig(config);
const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: encryptedDataConverter(payloadCodec) });

const policy = { ...DEFAULT_ISSUANCE_POLICY, simplifiedProcedure: config.SIMPLIFIED_PROCEDURE };
const inFlight: InFlight = { count: 0 };
const starter = createWorkflowStarter({ pool, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, policy, log, busy: () => apiBusy(inFlight) });
const app = createApp({
  pool,
  pepper: keys.pepper,
  temporal,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  log,
  policy,
  eligibilityPolicy: config.ELIGIBILITY_POLICY,
  onAccepted: starter.kick,
  identityProvider: config.OIDC_ISSUER
    ? {
        issuer: config.OIDC_ISSUER,
        clientId: config.OIDC_CLIENT_ID,
        clientSecret: config.OIDC_CLIENT_SECRET!,
        acceptedAcr: config.OIDC_ACCEPTED_ACR.split(',').map((v) => v.trim()).filter(Boolean),
        fiscalNumberClaim: config.OIDC_FISCAL_NUMBER_CLAIM,
        defaultMethod: config.OIDC_DEFAULT_METHOD,
        // loadConfig refuses an http issuer in production: only the development provider is plain http.
        allowInsecureHttp: config.OIDC_ISSUER.startsWith('http:'),
      }
    : undefined,
  publicBaseUrl: config.PUBLIC_BASE_URL,
  letterRetentionDays: config.LETTER_RETENTION_DAYS,
  // A key of its own for the portal cookie, derived so that no extra secret needs managing.
  cookieSecret: createHmac('sha256', keys.secrets.keys.get(1)!).update('portal-draft-cookie').digest('base64'),
  payloadCodec,
  documentsDir: documentsDir(config),
  secrets: keys.secrets,
  auditCheckpointFile: auditCheckpointFile(config),
  mailroomDir: mailroomDir(config),
  codecOrigins: temporalUiOrigins(config),
  trustedProxies: trustedProxies(config),
  metrics: metricsAccess(config),
  admission: {
    maxInFlight: config.API_MAX_IN_FLIGHT,
    maxQueue: config.API_MAX_QUEUE,
    queueWaitMs: config.API_QUEUE_WAIT_MS,
    retryAfterSeconds: config.API_RETRY_AFTER_SECONDS,
    clientPerMinute: config.API_CLIENT_RATE_PER_MINUTE,
    clientBurst: config.API_CLIENT_BURST,
  },
  temporalTimeoutMs: config.API_TEMPORAL_TIMEOUT_MS,
  handlerTimeoutMs: config.API_HANDLER_TIMEOUT_MS,
}, inFlight);
const server = app.listen(config.API_PORT, config.API_HOST, () => {
  log.info({ url: `http://${config.API_HOST}:${config.API_PORT}` }, 'api listening');
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info('api stopping');
  server.close();
  server.closeIdleConnections();
  await starter.stop();
  await connection.close();
  await pool.end();
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
