/**
 * The time-skipping test server, set up like a real namespace: the project's search attributes
 * registered (workflows upsert them, and an unregistered one fails the workflow task).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, inject } from 'vitest';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { registerSearchAttributes } from '../../dev/temporal-namespace';

export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: inject('testServerPath') } } });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

/** A workflow a test started: ended by `withTimeSkippingWorker` once it is idle. */
export interface StartedRun {
  terminate(reason: string): Promise<unknown>;
  describe(): Promise<{ status: { name: string }; raw: { pendingActivities?: { state?: unknown; attempt?: number | null }[] | null } }>;
  fetchHistory(): Promise<{ events?: { eventType?: unknown }[] | null }>;
}

const IDLE_WAIT_MS = 20_000;

/**
 * Whether a run holds the test server's clock: the server stops skipping time while a workflow
 * task or an activity attempt is outstanding, and terminating the run then never gives that lock
 * back (the worker's answer is refused), so every later sleep on the server waits in real time.
 * A first attempt still queued counts; one waiting out a retry's backoff does not.
 */
async function holdsClock(run: StartedRun): Promise<boolean> {
  const described = await run.describe();
  if (described.status.name !== 'RUNNING') return false;
  const busy = (described.raw.pendingActivities ?? []).some(
    (a) => a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED || (a.attempt ?? 1) <= 1,
  );
  if (busy) return true;
  const last = (await run.fetchHistory()).events?.at(-1)?.eventType;
  const { EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EVENT_TYPE_WORKFLOW_TASK_STARTED } = temporal.api.enums.v1.EventType;
  return last === EVENT_TYPE_WORKFLOW_TASK_SCHEDULED || last === EVENT_TYPE_WORKFLOW_TASK_STARTED;
}

/**
 * Ends the runs a test left open, each once it is idle (bounded in real time), while the worker
 * still runs so an attempt under way can finish: one left running with a timer would hold the
 * clock on a queue with no worker once the timer fires, and one ended mid-task holds it for good.
 */
export async function endRuns(runs: StartedRun[]): Promise<void> {
  const deadline = Date.now() + IDLE_WAIT_MS;
  for (const run of runs) {
    while (Date.now() < deadline && (await holdsClock(run).catch(() => false))) await new Promise((r) => setTimeout(r, 50));
  }
  await Promise.all(runs.map((run) => run.terminate('test finished').catch(() => undefined)));
}

/**
 * Runs `fn` with a worker on a fresh task queue and the run's pre-built bundle, then ends every
 * workflow in `started` (see `endRuns`) before the worker stops.
 */
export async function withTimeSkippingWorker<T>(
  env: TestWorkflowEnvironment,
  opts: { prefix: string; activities: object; started: StartedRun[] },
  fn: (taskQueue: string) => Promise<T>,
): Promise<T> {
  const taskQueue = `${opts.prefix}-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { code: readFileSync(inject('workflowBundlePath'), 'utf8') },
    activities: opts.activities,
  });
  return worker.runUntil(async () => {
    try {
      return await fn(taskQueue);
    } finally {
      await endRuns(opts.started.splice(0));
    }
  });
}

/** The reason a workflow gave for refusing an update (its validator's or handler's failure message). */
export async function updateRefusal(p: Promise<unknown>): Promise<string | undefined> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return ((err as WorkflowUpdateFailedError).cause as { message?: string }).message;
}
