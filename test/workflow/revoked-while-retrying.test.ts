/**
 * A credential revoked while its first half is still being retried (the SMS gateway is down):
 * the pending delivery is cancelled and the workflow ends. On a time-skipping server of its own:
 * the cancelled retries it leaves behind held the shared clock of the lifecycle tests, whose
 * later timers then never fired.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { createActivities } from '../../activities';
import { credentialStateQuery, DEFAULT_ISSUANCE_POLICY, revokeCredentialUpdate, type CredentialWorkflowInput } from '../../workflows/definitions';
import { pinCredentialWorkflow } from '../../workflows/credential';
import { createTimeSkippingEnv, withTimeSkippingWorker, type StartedRun } from '../support/time-skipping';

type Activities = ReturnType<typeof createActivities>;

let env: TestWorkflowEnvironment;
const started: StartedRun[] = [];
const delivered: string[] = [];

const activities: Partial<Activities> = {
  prepareIssuance: async () => ({ channels: ['sms', 'email'], addressMismatch: false }),
  issueInitialPin: async (a) => ({ pinVersion: 1, firstHalf: [{ outboxId: `fh-${a.credentialId}`, channel: 'sms' }], letterId: `l-${a.credentialId}` }),
  deliverNotification: async (a) => {
    if (a.outboxId.startsWith('fh-')) throw new Error('SMS gateway down');
    delivered.push(a.outboxId);
    return { channel: 'email', messageId: '<m>' };
  },
  queueLetter: async () => ({ batchDate: '2026-01-01' }),
  enqueueReminder: async () => ({ outboxIds: [] }),
  revokeCredential: async (a) => ({ revokedAt: new Date().toISOString(), outboxIds: [`rev-${a.credentialId}`], delegationIds: [], cancelledClaimIds: [] }),
};

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

it('is revoked cleanly while the first half is being retried: the pending delivery is cancelled and the workflow ends', async () => {
  await withTimeSkippingWorker(env, { prefix: 'wf-revoked-retrying', activities, started }, async (taskQueue) => {
    const credentialId = randomUUID();
    // Simplified procedure on, so its 12-hour alert timer runs too.
    const input: CredentialWorkflowInput = { credentialId, policy: { ...DEFAULT_ISSUANCE_POLICY, simplifiedProcedure: true } };
    const handle = await env.client.workflow.start(pinCredentialWorkflow, { workflowId: `pin-${credentialId}`, taskQueue, args: [input] });
    started.push(handle);
    let view = await handle.query(credentialStateQuery);
    for (let i = 0; i < 400 && view.state !== 'awaiting_letter_dispatch'; i++) {
      await new Promise((r) => setTimeout(r, 25));
      view = await handle.query(credentialStateQuery);
    }
    expect(view.firstHalf).toEqual([{ channel: 'sms', state: 'pending' }]);
    await handle.executeUpdate(revokeCredentialUpdate, { args: [{ requestedBy: 'citizen', reason: 'holder' }] });
    expect((await handle.result()).state).toBe('revoked');
    expect(delivered).toContain(`rev-${credentialId}`);
  });
  // The re-issue in the same situation is tested on the dev server (test/integration/interrupts.test.ts):
  // the time-skipping server refuses a workflow task that cancels a retrying activity and continues as new.
});
