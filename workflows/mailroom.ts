/**
 * Closing a mail-room batch: run by the daily schedule or by an operator. The batch is closed (new
 * letters go to the next day), its print file is built in parts of 500 letters (one activity each,
 * heartbeating), merged with the CSV manifest, and a short transaction marks the letters
 * dispatched; the workflow then tells each credential, which starts its deadline. Runs started
 * before the print files existed dispatch in one activity, as they did (patch 'mailroom-print-files').
 */
import { getExternalWorkflowHandle, patched, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { credentialWorkflowId, letterDispatchedSignal, mailRoomProgressQuery, type MailRoomBatchInput, type MailRoomProgress } from './definitions';
import { MailroomProgressAttribute } from './search-attributes';

const { dispatchMailRoomBatch } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '5 minutes',
  // A big batch takes minutes; it heartbeats throughout (worker/heartbeat.ts), so a dead worker shows in seconds.
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

const { closeMailRoomBatch, buildPrintPart, assemblePrintFiles, signalDispatchedLetters } = proxyActivities<ReturnType<typeof createActivities>>({
  // A part of 500 letters takes seconds; the merge of a national day's parts, or its signals, minutes.
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

const SIGNAL_CHUNK = 100;
/** Parts built at once: a worker renders on one core; more workers share the parts. */
const PART_CONCURRENCY = 2;

export async function mailRoomBatchWorkflow(input: MailRoomBatchInput): Promise<{ dispatched: number }> {
  let progress: MailRoomProgress = { phase: 'closing', batchDate: input.batchDate, done: 0, total: 0, partsDone: 0, parts: 0 };
  setHandler(mailRoomProgressQuery, () => {
    if (progress.phase !== 'printing' || !progress.startedAt) return progress;
    const seconds = (Date.now() - Date.parse(progress.startedAt)) / 1000;
    const rate = seconds > 0 ? progress.done / seconds : 0;
    return { ...progress, lettersPerSecond: rate, secondsLeft: rate > 0 ? (progress.total - progress.done) / rate : undefined };
  });
  // The MailroomProgress search attribute, only when it changes (each upsert is a history event).
  let published = -1;
  const publishProgress = (percent: number) => {
    if (percent === published) return;
    published = percent;
    upsertSearchAttributes([{ key: MailroomProgressAttribute, value: percent }]);
  };
  let result: Awaited<ReturnType<typeof dispatchMailRoomBatch>>;
  if (patched('mailroom-print-files')) {
    // The day is fixed once, so a run crossing midnight keeps working on the same batch.
    const closed = await closeMailRoomBatch({ batchDate: input.batchDate, closedBy: input.dispatchedBy });
    const batchDate = closed.batchDate;
    progress = { ...progress, batchDate, total: closed.total, parts: closed.parts };
    if (closed.status === 'closed') {
      progress = { ...progress, phase: 'printing', startedAt: new Date(Date.now()).toISOString() };
      publishProgress(0);
      let next = 1;
      await Promise.all(
        Array.from({ length: Math.min(PART_CONCURRENCY, closed.parts) }, async () => {
          while (next <= closed.parts) {
            const part = next++;
            const { letters } = await buildPrintPart({ batchDate, part });
            progress = { ...progress, done: progress.done + letters, partsDone: progress.partsDone + 1 };
            publishProgress(Math.floor((100 * progress.partsDone) / Math.max(1, closed.parts)));
          }
        }),
      );
      progress = { ...progress, phase: 'dispatching' };
      await assemblePrintFiles({ batchDate });
    }
    if (patched('mailroom-signals-from-activity')) {
      const dispatched = await dispatchMailRoomBatch({ batchDate, dispatchedBy: input.dispatchedBy, printFiles: true, lettersInResult: false });
      const count = dispatched.count ?? 0;
      progress = { ...progress, phase: 'dispatched', done: count, total: count };
      publishProgress(100);
      await signalDispatchedLetters({ batchDate });
      return { dispatched: count };
    }
    result = await dispatchMailRoomBatch({ batchDate, dispatchedBy: input.dispatchedBy, printFiles: true });
    progress = { ...progress, phase: 'dispatched', done: result.letters.length, total: result.letters.length };
    publishProgress(100);
  } else {
    result = await dispatchMailRoomBatch(input);
  }
  const { letters, dispatchedAt } = result;
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

