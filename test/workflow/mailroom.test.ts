/**
 * The mail-room batch workflow on the time-skipping server: it closes the batch through its
 * activity and tells each credential that its letter left, which starts the 60-day deadline.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { Context } from '@temporalio/activity';
import type { createActivities } from '../../activities';
import { credentialStateQuery, DEFAULT_ISSUANCE_POLICY, type CredentialWorkflowInput } from '../../workflows/definitions';
import { mailRoomBatchWorkflow, pinCredentialWorkflow } from '../../workflows';
import { saveHistory } from '../support/histories';
import { createTimeSkippingEnv } from '../support/time-skipping';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

describe('mail-room batch', () => {
  it('dispatches the batch and signals every credential whose letter was in it, skipping ended ones', async () => {
    const taskQueue = `wf-mailroom-${randomUUID()}`;
    const credentials = [randomUUID(), randomUUID()];
    const gone = randomUUID(); // a credential whose workflow no longer exists
    const dispatchCalls: unknown[] = [];
    const activities: Partial<ReturnType<typeof createActivities>> = {
      prepareIssuance: async () => ({ channels: [], addressMismatch: false }),
      issueInitialPin: async ({ credentialId }) => ({ pinVersion: 1, firstHalf: [], letterId: `letter-${credentialId}` }),
      queueLetter: async () => ({ batchDate: '2026-03-02' }),
      dispatchMailRoomBatch: async (input) => {
        dispatchCalls.push(input);
        return {
          letters: [...credentials, gone].map((c) => ({ letterId: `letter-${c}`, credentialId: c })),
          dispatchedAt: new Date(Context.current().info.currentAttemptScheduledTimestampMs).toISOString(),
          manifestPath: '/tmp/manifest.json',
        };
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
      expect(dispatchCalls).toEqual([{ batchDate: '2026-03-02', dispatchedBy: 'test' }]);
      for (const h of handles) {
        const view = await h.query(credentialStateQuery);
        expect(view.state).toBe('awaiting_first_access');
        expect(view.letters[0]!.state).toBe('dispatched');
      }
      await saveHistory('mailroom-batch-dispatched', batch);
      await Promise.all(handles.map((h) => h.terminate('test finished')));
    });
  });
});
