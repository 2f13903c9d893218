/**
 * API entry point: connects to PostgreSQL and Temporal, serves the HTTP API, and closes the
 * listener and connections on SIGINT/SIGTERM.
 */
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../lib/config';
import { createPool } from '../lib/db';
import { createLogger } from '../lib/logger';
import { migrate } from '../lib/migrate';
import { requireDatabaseUrl } from '../lib/runtime';
import { loadKeys } from '../lib/keys';
import { createHmac } from 'node:crypto';
import { temporalConnectionOptions } from '../lib/temporal';
import { DEFAULT_ISSUANCE_POLICY } from '../workflows/definitions';
import { createApp, type InFlight } from './app';
import { createWorkflowStarter } from './workflow-starter';

const config = loadConfig();
const log = createLogger({ level: config.LOG_LEVEL, name: 'api' });
const pool = createPool(requireDatabaseUrl(config), config.DATABASE_POOL_SIZE);
await migrate(pool);
const connection = await Connection.connect(temporalConnectionOptions(config));
const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });

const policy = { ...DEFAULT_ISSUANCE_POLICY, simplifiedProcedure: config.SIMPLIFIED_PROCEDURE };
const inFlight: InFlight = { count: 0 };
const starter = createWorkflowStarter({ pool, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, policy, log, busy: () => inFlight.count > 0 });
const keys = loadKeys(config);
const app = createApp({
  pool,
  pepper: keys.pepper,
  temporal,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  log,
  policy,
  eligibilityPolicy: config.ELIGIBILITY_POLICY,
  onAccepted: starter.kick,
  identityBrokerPublicKey: config.IDENTITY_BROKER_PUBLIC_KEY,
  // A key of its own for the portal cookie, derived so that no extra secret needs managing.
  cookieSecret: createHmac('sha256', keys.secrets.keys.get(1)!).update('portal-draft-cookie').digest('base64'),
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
