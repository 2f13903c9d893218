/**
 * The time-skipping test server, set up like a real namespace: the project's search attributes
 * registered (workflows upsert them, and an unregistered one fails the workflow task).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, inject } from 'vitest';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { registerSearchAttributes } from '../../dev/temporal-namespace';

export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: inject('testServerPath') } } });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

/**
 * Runs `fn` with a worker on a fresh task queue and the run's pre-built bundle, then terminates
 * every workflow in `started`: one left running with a timer would hold the test server's clock
 * on a queue that no longer has a worker, and stall every later test.
 */
export async function withTimeSkippingWorker<T>(
  env: TestWorkflowEnvironment,
  opts: { prefix: string; activities: object; started: { terminate(reason: string): Promise<unknown> }[] },
  fn: (taskQueue: string) => Promise<T>,
): Promise<T> {
  const taskQueue = `${opts.prefix}-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { code: readFileSync(inject('workflowBundlePath'), 'utf8') },
    activities: opts.activities,
  });
  try {
    return await worker.runUntil(fn(taskQueue));
  } finally {
    await Promise.all(opts.started.splice(0).map((h) => h.terminate('test finished').catch(() => undefined)));
  }
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
