/**
 * The shared test helper ends what a test left running without stalling the next test. The
 * time-skipping server holds its clock while an activity attempt or a workflow task is
 * outstanding, and a run terminated in that moment never gives the clock back: every later sleep
 * on the server then waits in real time (this hung the delegation tests in CI). The helper waits
 * for such a run to be idle, with its worker still running, before it ends it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { delegationWorkflow } from '../../workflows/delegation';
import { delegationWorkflowId } from '../../workflows/delegation-definitions';
import { createTimeSkippingEnv, withTimeSkippingWorker, type StartedRun } from '../support/time-skipping';

const DAY = 86_400_000;
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

it('a test that ends while an activity is under way leaves the clock free for the next one', async () => {
  const started: StartedRun[] = [];
  let attemptStarted = false;
  let attemptFinished = false;
  const slowNotice = async () => {
    attemptStarted = true;
    await new Promise((r) => setTimeout(r, 2_000));
    attemptFinished = true;
    return { outboxIds: [] };
  };
  await withTimeSkippingWorker(env, { prefix: 'wf-cleanup', activities: { notifyDelegationCreated: slowNotice }, started }, async (taskQueue) => {
    const delegationId = randomUUID();
    const endsAt = new Date((await env.currentTimeMs()) + 90 * DAY).toISOString();
    started.push(await env.client.workflow.start(delegationWorkflow, { workflowId: delegationWorkflowId(delegationId), taskQueue, args: [{ delegationId, endsAt }] }));
    while (!attemptStarted) await new Promise((r) => setTimeout(r, 20));
  });
  expect(attemptFinished, 'the run was ended before its attempt finished').toBe(true);

  // A day on the server's clock takes no real time once nothing holds it.
  const before = await env.currentTimeMs();
  const outcome = await Promise.race([env.sleep(DAY).then(() => 'slept'), new Promise((r) => setTimeout(() => r('clock held'), 15_000))]);
  expect(outcome).toBe('slept');
  expect((await env.currentTimeMs()) - before).toBeGreaterThanOrEqual(DAY);
});
