/**
 * Worker entry point: connects to Temporal and PostgreSQL, applies migrations, polls the task
 * queue. SIGINT/SIGTERM drain in-flight tasks before exit (graceful shutdown).
 */
import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { migrate } from '../lib/migrate';
import { startAuditCheckpoints } from '../lib/audit-checkpoints';
import { auditCheckpointFile } from '../lib/runtime';
import { buildActivityDeps } from './deps';
import { temporalConnectionOptions } from '../lib/temporal';
import { encryptedDataConverter, payloadCodecFromConfig } from '../lib/payload-codec';
import { metricsAccess } from '../lib/metrics';
import { startMetricsServer } from './metrics-server';
import { bundleWorkflows, createWorker } from './worker';
import { ensureSchedules } from './schedules';

const config = loadConfig();
const log = createLogger({ level: config.LOG_LEVEL, name: 'worker' });
Runtime.install({
  logger: {
    log: (level, message, meta) => log[level.toLowerCase() as 'info']?.(meta ?? {}, message),
    trace: () => undefined,
    debug: () => undefined,
    info: (m, meta) => log.info(meta ?? {}, m),
    warn: (m, meta) => log.warn(meta ?? {}, m),
    error: (m, meta) => log.error(meta ?? {}, m),
  },
  telemetryOptions: {
    logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) },
    // The SDK's own metrics (workflow task failures, slots, poll latency), for the alerts of
    // docs/operations.md; served by the SDK's core on their own address.
    ...(config.TEMPORAL_SDK_METRICS_ADDRESS ? { metrics: { prometheus: { bindAddress: config.TEMPORAL_SDK_METRICS_ADDRESS } } } : {}),
  },
  shutdownSignals: ['SIGINT', 'SIGTERM'],
});

const deps = buildActivityDeps(config, log);
await migrate(deps.pool);
const payloadCodec = payloadCodecFromConfig(config);
const connection = await NativeConnection.connect(temporalConnectionOptions(config));
const clientConnection = await Connection.connect(temporalConnectionOptions(config));
// Schedules hold workflow arguments: encrypted like every other payload.
await ensureSchedules(
  new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: encryptedDataConverter(payloadCodec) }),
  config.TEMPORAL_TASK_QUEUE,
);
await clientConnection.close();
const worker = await createWorker({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  deps,
  // The worker accepts only what was encrypted with the key: plain JSON sent to the Temporal
  // frontend by someone without it is refused (workflows/interceptors.ts).
  payloadCodec: payloadCodecFromConfig(config, { refusePlaintext: true }),
  // Production runs a bundle prepared at build time would be faster to start; bundling here
  // keeps `npm start` a single step.
  workflowBundle: await bundleWorkflows(),
});
const metricsServer =
  config.WORKER_METRICS_PORT === undefined
    ? undefined
    : await startMetricsServer({ port: config.WORKER_METRICS_PORT, host: config.WORKER_METRICS_HOST, pool: deps.pool, access: metricsAccess(config) });
if (metricsServer) log.info({ url: metricsServer.url }, 'worker metrics listening');
const checkpoints = startAuditCheckpoints({ pool: deps.pool, ring: deps.keys.secrets, file: auditCheckpointFile(config), everyMs: config.AUDIT_CHECKPOINT_MINUTES * 60_000, log });
log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker started');
await worker.run();
checkpoints.stop();
await metricsServer?.close();
await connection.close();
deps.mailer.close();
await deps.pool.end();
log.info('worker stopped');
