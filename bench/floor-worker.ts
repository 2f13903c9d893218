/**
 * The floor of `bench:issuance` and `cluster:bench`: a worker process running the credential
 * workflow with activities that do nothing, with the same payload encryption as the stack. It
 * runs in a process of its own, as the real workers do, so one or two of them compare with one or
 * two real workers, and the load generator's CPU is not in their way.
 *
 * Started by bench/issuance-run.ts with an IPC channel: says `{ ready: true }` once it polls,
 * then `{ letters: n }` as the workflows queue their (no-op) letters; stops on SIGTERM.
 *
 * Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, FLOOR_TASK_QUEUE, PAYLOAD_KEYS.
 */
import { randomUUID } from 'node:crypto';
import { DefaultLogger, NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import type { createActivities } from '../activities';
import { AesGcmPayloadCodec, encryptedDataConverter, parsePayloadKeys } from '../lib/payload-codec';
import { bundleWorkflows } from '../worker/worker';

const send = (m: object): void => {
  process.send?.(m);
};

Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } }, shutdownSignals: ['SIGINT', 'SIGTERM'] });

let letters = 0;
let reported = 0;
const noop: Partial<ReturnType<typeof createActivities>> = {
  prepareIssuance: async () => ({ channels: ['sms', 'email', 'pec'], addressMismatch: false }),
  issueInitialPin: async ({ pinVersion }) => ({
    pinVersion,
    firstHalf: [
      { outboxId: 'a', channel: 'sms' },
      { outboxId: 'b', channel: 'email' },
      { outboxId: 'c', channel: 'pec' },
    ],
    letterId: randomUUID(),
  }),
  deliverNotification: async () => ({ channel: 'sms', messageId: '<x>' }),
  queueLetter: async () => {
    letters++;
    return { batchDate: '2026-01-01' };
  },
};

const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
const worker = await Worker.create({
  connection,
  namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  taskQueue: process.env.FLOOR_TASK_QUEUE!,
  dataConverter: encryptedDataConverter(new AesGcmPayloadCodec(parsePayloadKeys(process.env.PAYLOAD_KEYS!))),
  workflowBundle: await bundleWorkflows(),
  activities: noop,
  // As worker/worker.ts configures the real workers.
  maxConcurrentActivityTaskExecutions: 100,
  maxConcurrentWorkflowTaskExecutions: 40,
});
// Progress ten times a second: one message per letter would cost the floor its own CPU.
const ticker = setInterval(() => {
  if (letters !== reported) send({ letters: (reported = letters) });
}, 100);
send({ ready: true });
await worker.run();
clearInterval(ticker);
send({ letters });
await connection.close();
process.exit(0);
