/**
 * Closing a mail-room batch: run by the daily schedule or by an operator. The activity marks
 * the letters dispatched; the workflow then tells each credential, which starts its deadline.
 */
import { getExternalWorkflowHandle, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { credentialWorkflowId, letterDispatchedSignal, type MailRoomBatchInput } from './definitions';

const { dispatchMailRoomBatch } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '5 minutes',
  // A big batch takes minutes; it heartbeats throughout (worker/heartbeat.ts), so a dead worker shows in seconds.
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

const SIGNAL_CHUNK = 100;

export async function mailRoomBatchWorkflow(input: MailRoomBatchInput): Promise<{ dispatched: number }> {
  const { letters, dispatchedAt } = await dispatchMailRoomBatch(input);
  for (let i = 0; i < letters.length; i += SIGNAL_CHUNK) {
    await Promise.all(
      letters.slice(i, i + SIGNAL_CHUNK).map(async ({ letterId, credentialId }) => {
        try {
          await getExternalWorkflowHandle(credentialWorkflowId(credentialId)).signal(letterDispatchedSignal, { letterId, dispatchedAt });
        } catch {
          // The credential's workflow has ended (expired, revoked): the letter needs no follow-up.
        }
      }),
    );
  }
  return { dispatched: letters.length };
}
