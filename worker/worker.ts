/**
 * Worker construction, separate from the entry point so tests build one on a unique task
 * queue with a pre-bundled workflow code and their own activity dependencies.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';
import type { PayloadCodec } from '@temporalio/common';
import { createActivities, type ActivityDeps } from '../activities';
import { encryptedDataConverter, FAILURE_CONVERTER_PATH } from '../lib/payload-codec';
import { heartbeatWhileRunning } from './heartbeat';

const here = path.dirname(fileURLToPath(import.meta.url));
const requireHere = createRequire(import.meta.url);
const WORKFLOWS_PATH = requireHere.resolve(path.join(here, '..', 'workflows', 'index.ts'));
/** Refuses commands carrying payloads the application did not encrypt (workflows/interceptors.ts). */
const WORKFLOW_INTERCEPTORS_PATH = requireHere.resolve(path.join(here, '..', 'workflows', 'interceptors.ts'));

/** Bundles the workflow code once (about 2 s); reuse the result for every worker of a run. */
export async function bundleWorkflows(): Promise<WorkflowBundleOption> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [WORKFLOW_INTERCEPTORS_PATH],
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: quietBundlerLogger,
  });
  return { code };
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
};

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  workflowBundle?: WorkflowBundleOption;
  maxConcurrentActivityTaskExecutions?: number;
  /** Encrypts payloads (lib/payload-codec.ts); clients of the same workflows must use the same one. */
  payloadCodec?: PayloadCodec;
}

export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities(opts.deps),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    // Codecs run in the worker's main thread, outside the workflow sandbox: the bundle is unaffected.
    ...(opts.payloadCodec ? { dataConverter: encryptedDataConverter(opts.payloadCodec) } : {}),
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? 100,
    // Activities are mostly waiting on PostgreSQL and SMTP: many can run at once on 2 cores.
    maxConcurrentWorkflowTaskExecutions: 40,
    // With a pre-built bundle the workflow interceptors are already in it (bundleWorkflows).
    interceptors: { activity: [heartbeatWhileRunning()], ...(opts.workflowBundle ? {} : { workflowModules: [WORKFLOW_INTERCEPTORS_PATH] }) },
  });
}
