/**
 * One workflow per benefit claim (`claim-<claimId>`). The claim was received by the API (its
 * protocol number and timestamp stop the deadline); with an ordinary PIN it waits here until the
 * credential's workflow releases it on conversion to dispositivo, then goes to processing and
 * waits for the back office's decision. Before the decision the claimant may withdraw it; a
 * revocation of the credential cancels a claim still held for it.
 */
import { ApplicationFailure, allHandlersFinished, condition, patched, setHandler } from '@temporalio/workflow';
import { db } from './activity-proxies';
import { deliverAll } from './deliveries';
import {
  CLAIM_ENDS,
  cancelClaimSignal,
  claimStateQuery,
  decideClaimUpdate,
  releaseClaimSignal,
  withdrawClaimUpdate,
  type ClaimEnd,
  type ClaimInput,
  type ClaimView,
} from './claim-definitions';

const isEnd = (status: string): status is ClaimEnd => (CLAIM_ENDS as readonly string[]).includes(status);

export async function benefitClaimWorkflow({ claimId }: ClaimInput): Promise<ClaimView> {
  const view: ClaimView = { claimId, status: 'received' };
  let released = false;
  let busy = false;
  const ended = () => isEnd(view.status);
  setHandler(claimStateQuery, () => view);
  setHandler(releaseClaimSignal, () => {
    released = true;
  });
  setHandler(cancelClaimSignal, () => {
    if (view.status === 'waiting_for_dispositivo' || view.status === 'received') view.status = 'cancelled';
  });
  const refuseUnlessOpen = (allowed: readonly string[]) => {
    if (busy || !allowed.includes(view.status)) throw ApplicationFailure.nonRetryable('NOT_ALLOWED_NOW', 'CONFLICT');
  };
  setHandler(
    withdrawClaimUpdate,
    async ({ by }) => {
      refuseUnlessOpen(['waiting_for_dispositivo', 'in_processing']);
      busy = true;
      try {
        await db.withdrawClaim({ claimId, by });
        view.status = 'withdrawn';
      } finally {
        busy = false;
      }
      return view;
    },
    { validator: (_request) => refuseUnlessOpen(['waiting_for_dispositivo', 'in_processing']) },
  );
  setHandler(
    decideClaimUpdate,
    async (decision) => {
      refuseUnlessOpen(['in_processing']);
      busy = true;
      try {
        const { outboxIds } = await db.decideClaim({ claimId, ...decision });
        Object.assign(view, { status: decision.decision, ...(decision.reason ? { reason: decision.reason } : {}) });
        await deliverAll(outboxIds);
      } finally {
        busy = false;
      }
      return view;
    },
    {
      validator: ({ decision, reason }) => {
        if (decision !== 'accepted' && decision !== 'rejected') throw ApplicationFailure.nonRetryable('UNKNOWN_DECISION', 'VALIDATION');
        if (decision === 'rejected' && !reason?.trim()) throw ApplicationFailure.nonRetryable('REASON_REQUIRED', 'VALIDATION');
        refuseUnlessOpen(['in_processing']);
      },
    },
  );

  // The claimant's confirmation (protocol number, received time, what comes next): queued once,
  // then delivered beside the claim's life, so a mail server that is down holds nothing up; the
  // run ends only once it is delivered. Runs from before it sent none.
  let receivedNotice: Promise<void> = Promise.resolve();
  if (patched('claim-received-notice')) {
    const { outboxIds } = await db.noticeClaimReceived({ claimId });
    receivedNotice = deliverAll(outboxIds).catch(() => undefined);
  }

  // The database is the source of truth: a release that happened before this workflow ran
  // (the signal then found nothing to signal) shows up as status 'released'; a claim cancelled or
  // withdrawn before it ran is over.
  const { status } = await db.loadClaimStatus({ claimId });
  if (isEnd(status)) {
    view.status = status;
    await receivedNotice;
    return view;
  }
  if (status === 'waiting_for_dispositivo' && !released) {
    view.status = 'waiting_for_dispositivo';
    await condition(() => released || ended());
  }
  if (ended()) {
    await condition(allHandlersFinished);
    await receivedNotice;
    return view;
  }
  busy = true; // no withdrawal while the hand-off to processing runs
  const { releasedAt } = await db.beginClaimProcessing({ claimId });
  busy = false;
  view.status = 'in_processing';
  view.releasedAt = releasedAt;
  // Runs from before claims were decided here ended at processing.
  if (!patched('claim-decision')) {
    await receivedNotice;
    return view;
  }
  await condition(ended);
  await condition(allHandlersFinished);
  await receivedNotice;
  return view;
}
