/**
 * The conversion sweep's workflow: one activity, given the schedule's defaults (cases older than
 * 10 minutes, 200 at most) or what it was started with, retried when its attempt fails, its
 * counts returned for the Web UI. What the activity does is tested on the real servers
 * (test/integration/conversion-sweep.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { createActivities } from '../../activities';
import { conversionSweepWorkflow } from '../../workflows/conversion-sweep';
import type { ConversionSweepInput } from '../../workflows/conversion-sweep-definitions';
import { saveHistory } from '../support/histories';
import { createTimeSkippingEnv, withTimeSkippingWorker, type StartedRun } from '../support/time-skipping';

type Activities = ReturnType<typeof createActivities>;

let env: TestWorkflowEnvironment;
const started: StartedRun[] = [];
const asked: { input: Required<ConversionSweepInput>; attempt: number }[] = [];
/** Runs whose first attempt fails (the database away for a moment). */
const failFirst = new Set<number>();

const activities: Partial<Activities> = {
  reaskUnopenedConversions: async (input) => {
    const { attempt } = Context.current().info;
    asked.push({ input, attempt });
    if (failFirst.has(input.limit) && attempt === 1) throw new Error('connection terminated');
    return { found: 3, opened: 2, released: 1, unanswered: 0 };
  },
};

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const sweep = (taskQueue: string, input?: ConversionSweepInput) =>
  env.client.workflow.execute(conversionSweepWorkflow, { workflowId: `conversion-sweep-${randomUUID()}`, taskQueue, args: input ? [input] : [] });

it('asks with the schedule’s defaults, or with what it was started with, and returns the counts', async () => {
  await withTimeSkippingWorker(env, { prefix: 'wf-sweep', activities, started }, async (taskQueue) => {
    const workflowId = `conversion-sweep-${randomUUID()}`;
    const handle = await env.client.workflow.start(conversionSweepWorkflow, { workflowId, taskQueue, args: [{}] });
    started.push(handle);
    expect(await handle.result()).toEqual({ found: 3, opened: 2, released: 1, unanswered: 0 });
    expect(asked.at(-1)).toEqual({ input: { olderThanMinutes: 10, limit: 200 }, attempt: 1 });
    await saveHistory('conversion-sweep', handle);

    await sweep(taskQueue, { olderThanMinutes: 0, limit: 5 });
    expect(asked.at(-1)!.input).toEqual({ olderThanMinutes: 0, limit: 5 });
    await sweep(taskQueue);
    expect(asked.at(-1)!.input).toEqual({ olderThanMinutes: 10, limit: 200 });
  });
});

it('tries again when an attempt fails', async () => {
  await withTimeSkippingWorker(env, { prefix: 'wf-sweep', activities, started }, async (taskQueue) => {
    failFirst.add(7);
    expect(await sweep(taskQueue, { limit: 7 })).toEqual({ found: 3, opened: 2, released: 1, unanswered: 0 });
    expect(asked.filter((a) => a.input.limit === 7).map((a) => a.attempt)).toEqual([1, 2]);
  });
});
