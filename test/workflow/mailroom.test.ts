/**
 * The mail-room batch workflow on the time-skipping server: it closes the batch, builds its print
 * file part by part (progress in a query and the MailroomProgress search attribute), assembles it,
 * dispatches, and has each credential told that its letter left (by an activity: the letters are
 * not in the history), which starts the 60-day deadline.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { Context } from '@temporalio/activity';
import type { createActivities } from '../../activities';
import { credentialStateQuery, DEFAULT_ISSUANCE_POLICY, letterDispatchedSignal, mailRoomProgressQuery, type CredentialWorkflowInput } from '../../workflows/definitions';
import { MailroomProgressAttribute } from '../../workflows/search-attributes';
import { mailRoomBatchWorkflow, pinCredentialWorkflow } from '../../workflows';
import { saveHistory } from '../support/histories';
import { createTimeSkippingEnv, endRuns } from '../support/time-skipping';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

describe('mail-room batch', () => {
  it('dispatches the batch and has every credential whose letter was in it told, skipping ended ones', async () => {
    const taskQueue = `wf-mailroom-${randomUUID()}`;
    const credentials = [randomUUID(), randomUUID()];
    const gone = randomUUID(); // a credential whose workflow no longer exists
    const dispatchCalls: unknown[] = [];
    const signalCalls: string[] = [];
    let dispatchedAt = '';
    const activities: Partial<ReturnType<typeof createActivities>> = {
      prepareIssuance: async () => ({ channels: [], addressMismatch: false }),
      issueInitialPin: async ({ credentialId }) => ({ pinVersion: 1, firstHalf: [], letterId: `letter-${credentialId}` }),
      queueLetter: async () => ({ batchDate: '2026-03-02' }),
      closeMailRoomBatch: async ({ batchDate }) => ({ batchDate: batchDate!, status: 'closed', total: 3, parts: 1 }),
      buildPrintPart: async () => ({ letters: 3 }),
      assemblePrintFiles: async () => ({ printSha256: 'p', csvSha256: 'c', letters: 3 }),
      dispatchMailRoomBatch: async (input) => {
        dispatchCalls.push(input);
        dispatchedAt = new Date(Context.current().info.currentAttemptScheduledTimestampMs).toISOString();
        return { letters: [], count: 3, dispatchedAt, manifestPath: '/tmp/manifest.json' };
      },
      // As the real activity does (test/integration/mailroom-print.test.ts): through the worker's client.
      signalDispatchedLetters: async ({ batchDate }) => {
        signalCalls.push(batchDate);
        let ended = 0;
        for (const c of [...credentials, gone]) {
          await Context.current()
            .client.workflow.getHandle(`pin-${c}`)
            .signal(letterDispatchedSignal, { letterId: `letter-${c}`, dispatchedAt })
            .catch(() => ended++);
        }
        return { signalled: 3 - ended, ended };
      },
      expireInitialPin: async () => undefined,
      // The test server skips time while waiting, so the day-15 reminder may come due.
      enqueueReminder: async () => ({ outboxIds: [] }),
      deliverNotification: async () => ({ channel: 'email', messageId: '<m>' }),
    };
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { code: readFileSync(inject('workflowBundlePath'), 'utf8') },
      activities,
    });
    await worker.runUntil(async () => {
      const handles = await Promise.all(
        credentials.map((credentialId) => {
          const input: CredentialWorkflowInput = { credentialId, policy: DEFAULT_ISSUANCE_POLICY };
          return env.client.workflow.start(pinCredentialWorkflow, { workflowId: `pin-${credentialId}`, taskQueue, args: [input] });
        }),
      );
      for (const h of handles) {
        for (let i = 0; i < 200 && (await h.query(credentialStateQuery)).state !== 'awaiting_letter_dispatch'; i++) await new Promise((r) => setTimeout(r, 25));
      }
      const batch = await env.client.workflow.start(mailRoomBatchWorkflow, {
        workflowId: `mailroom-2026-03-02-${randomUUID()}`,
        taskQueue,
        args: [{ batchDate: '2026-03-02', dispatchedBy: 'test' }],
      });
      expect(await batch.result()).toEqual({ dispatched: 3 });
      // The letters are not in the history: only their count, and the activity that tells the credentials.
      expect(dispatchCalls).toEqual([{ batchDate: '2026-03-02', dispatchedBy: 'test', printFiles: true, lettersInResult: false }]);
      expect(signalCalls).toEqual(['2026-03-02']);
      for (const h of handles) {
        const view = await h.query(credentialStateQuery);
        expect(view.state).toBe('awaiting_first_access');
        expect(view.letters[0]!.state).toBe('dispatched');
      }
      await saveHistory('mailroom-batch-signals-from-activity', batch);
      await endRuns(handles);
    });
  });

  it('closes the batch, builds its print file in parts with progress, then dispatches', async () => {
    const taskQueue = `wf-mailroom-print-${randomUUID()}`;
    const calls: string[] = [];
    let releaseLastPart!: () => void;
    const lastPartMayFinish = new Promise<void>((r) => (releaseLastPart = r));
    let lastPartStarted!: () => void;
    const lastPartRunning = new Promise<void>((r) => (lastPartStarted = r));
    const activities: Partial<ReturnType<typeof createActivities>> = {
      closeMailRoomBatch: async (input) => {
        calls.push(`close ${JSON.stringify(input)}`);
        // The schedule gives no date: the activity fixes it, and every later step uses that day.
        return { batchDate: '2026-03-03', status: 'closed', total: 1_200, parts: 3 };
      },
      buildPrintPart: async ({ batchDate, part }) => {
        calls.push(`part ${batchDate} ${part}`);
        if (part === 3) {
          lastPartStarted();
          await lastPartMayFinish;
          return { letters: 200 };
        }
        return { letters: 500 };
      },
      assemblePrintFiles: async ({ batchDate }) => {
        calls.push(`assemble ${batchDate}`);
        return { printSha256: 'p', csvSha256: 'c', letters: 1_200 };
      },
      dispatchMailRoomBatch: async (input) => {
        calls.push(`dispatch ${JSON.stringify(input)}`);
        return { letters: [], count: 1_200, dispatchedAt: '2026-03-03T16:00:00.000Z', manifestPath: '/tmp/manifest.json' };
      },
      signalDispatchedLetters: async ({ batchDate }) => {
        calls.push(`signal ${batchDate}`);
        return { signalled: 1_200, ended: 0 };
      },
    };
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { code: readFileSync(inject('workflowBundlePath'), 'utf8') },
      activities,
    });
    await worker.runUntil(async () => {
      const batch = await env.client.workflow.start(mailRoomBatchWorkflow, { workflowId: `mailroom-print-${randomUUID()}`, taskQueue, args: [{ dispatchedBy: 'schedule' }] });
      await lastPartRunning;
      // Parts 1 and 2 done, part 3 running: 1,000 of 1,200 letters, two thirds of the parts.
      let progress = await batch.query(mailRoomProgressQuery);
      for (let i = 0; i < 100 && progress.partsDone < 2; i++) {
        await new Promise((r) => setTimeout(r, 25));
        progress = await batch.query(mailRoomProgressQuery);
      }
      expect(progress).toMatchObject({ phase: 'printing', batchDate: '2026-03-03', done: 1_000, total: 1_200, partsDone: 2, parts: 3 });
      expect(progress.startedAt).toBeDefined();
      expect((await batch.describe()).typedSearchAttributes.get(MailroomProgressAttribute)).toBe(66);
      releaseLastPart();
      expect(await batch.result()).toEqual({ dispatched: 1_200 });
      expect(await batch.query(mailRoomProgressQuery)).toMatchObject({ phase: 'dispatched', done: 1_200, total: 1_200 });
      expect((await batch.describe()).typedSearchAttributes.get(MailroomProgressAttribute)).toBe(100);
      expect(calls[0]).toBe('close {"closedBy":"schedule"}');
      expect(calls.slice(1, 4).sort()).toEqual(['part 2026-03-03 1', 'part 2026-03-03 2', 'part 2026-03-03 3']);
      expect(calls.slice(4)).toEqual(['assemble 2026-03-03', 'dispatch {"batchDate":"2026-03-03","dispatchedBy":"schedule","printFiles":true,"lettersInResult":false}', 'signal 2026-03-03']);
      await saveHistory('mailroom-batch-print-files-signals-from-activity', batch);
    });
  });
});
