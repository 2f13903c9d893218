/**
 * One workflow per credential (`pin-<credentialId>`): the whole life of a PIN.
 *
 * This file covers the request and the initial issuance: the 16-character PIN is generated and
 * hashed inside an activity; the first half goes to the citizen's contacts through the outbox,
 * the second half is posted; then the workflow waits for the first access with a deadline, a
 * reminder and a bounded number of new letters. No secret ever passes through this code.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time';
import type { createActivities } from '../activities';
import {
  credentialStateQuery,
  letterDispatchedSignal,
  requestNewLetterUpdate,
  type CredentialView,
  type CredentialWorkflowInput,
} from './definitions';

type Activities = ReturnType<typeof createActivities>;

/** Database work: short, retried on transient faults until it succeeds. */
const db = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Delivery to SMTP / the SMS gateway: an endpoint may be down for a while, so retries back off
 * up to five minutes and stop after three days (then the outbox row stays 'failed' for ops).
 * The outbox makes every retry send at most once.
 */
const delivery = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '3 days',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

export async function pinCredentialWorkflow(input: CredentialWorkflowInput): Promise<CredentialView> {
  const { credentialId, policy } = input;
  const view: CredentialView = {
    credentialId,
    state: 'requested',
    pinType: 'ordinary',
    pinVersion: 0,
    firstHalf: [],
    letters: [],
    addressMismatch: false,
    reminderSent: false,
    simplifiedScope: policy.simplifiedProcedure,
  };
  /** Workflow time (ms) of each new letter requested by the citizen, for the resend limits. */
  const resendTimes: number[] = [];
  let lastDispatchAt: number | undefined;
  let dispatchCount = 0;

  // Handlers are registered before the first await so no early message is lost.
  setHandler(credentialStateQuery, () => view);

  setHandler(letterDispatchedSignal, ({ letterId, dispatchedAt }) => {
    const letter = view.letters.find((l) => l.letterId === letterId);
    if (!letter || letter.state !== 'queued') return; // duplicate or stale signal: nothing to do
    letter.state = 'dispatched';
    letter.dispatchedAt = dispatchedAt;
    lastDispatchAt = Math.max(lastDispatchAt ?? 0, Date.parse(dispatchedAt));
    dispatchCount++;
  });

  const resendRefusal = (): string | undefined => {
    if (view.state !== 'awaiting_first_access' && view.state !== 'awaiting_letter_dispatch') return 'NOT_WAITING';
    const now = Date.now();
    const last = resendTimes[resendTimes.length - 1];
    if (last !== undefined && now - last < msToNumber(policy.minResendInterval)) return 'TOO_SOON';
    const inWindow = resendTimes.filter((t) => now - t < msToNumber(policy.resendWindow)).length;
    if (inWindow >= policy.maxResendsInWindow) return 'WINDOW_LIMIT';
    return undefined;
  };

  const refuseNewLetterIfLimited = (): void => {
    const refusal = resendRefusal();
    if (refusal) throw ApplicationFailure.nonRetryable(refusal, refusal === 'NOT_WAITING' ? 'CONFLICT' : 'RATE_LIMITED');
  };

  setHandler(
    requestNewLetterUpdate,
    async ({ requestedBy }) => {
      // Checked again here: two updates may pass the validator before either records its time.
      refuseNewLetterIfLimited();
      resendTimes.push(Date.now());
      const seq = view.letters.length + 1;
      const { letterId } = await db.createResendLetter({ credentialId, pinVersion: view.pinVersion, seq, requestedBy });
      view.letters.push({ letterId, seq, state: 'queued', queuedAt: new Date().toISOString() });
      await db.queueLetter({ letterId });
      return { letterId, seq };
    },
    {
      validator: ({ requestedBy }) => {
        if (!requestedBy) throw new Error('requestedBy is required');
        refuseNewLetterIfLimited();
      },
    },
  );

  view.state = 'issuing';
  const plan = await db.prepareIssuance({ credentialId });
  view.addressMismatch = plan.addressMismatch;

  const issued = await db.issueInitialPin({ credentialId, pinVersion: 1 });
  view.pinVersion = issued.pinVersion;
  view.firstHalf = issued.firstHalf.map((m) => ({ channel: m.channel, state: 'pending' as const }));
  view.letters.push({ letterId: issued.letterId, seq: 1, state: 'queued', queuedAt: new Date().toISOString() });

  // First half to each channel, in order, alongside the letter; one outbox row per channel.
  const firstHalfDelivered = (async () => {
    for (const [i, m] of issued.firstHalf.entries()) {
      await delivery.deliverNotification({ outboxId: m.outboxId });
      view.firstHalf[i]!.state = 'sent';
    }
  })();
  let firstHalfDone = false;
  void firstHalfDelivered.then(() => {
    firstHalfDone = true;
  });
  if (policy.simplifiedProcedure) {
    // The 2020 procedure promised the first half within 12 hours: tell operations when it is late.
    void condition(() => firstHalfDone, policy.firstHalfAlertAfter).then(async (inTime) => {
      if (!inTime) await db.raiseAlert({ credentialId, kind: 'first_half_late', key: `first-half-late-${issued.pinVersion}` });
    });
  }

  await db.queueLetter({ letterId: issued.letterId });
  view.state = 'awaiting_letter_dispatch';
  await condition(() => lastDispatchAt !== undefined);
  view.state = 'awaiting_first_access';

  // Wait for the first access. The deadline runs from the latest dispatched letter; the reminder
  // (offering a new letter) goes once, counted from the first dispatch.
  const firstDispatchAt = lastDispatchAt!;
  for (;;) {
    const now = Date.now();
    const deadline = lastDispatchAt! + msToNumber(policy.firstAccessDeadline);
    const reminderAt = firstDispatchAt + msToNumber(policy.reminderAfter);
    view.firstAccessDeadline = new Date(deadline).toISOString();
    if (now >= deadline) break;
    if (!view.reminderSent && now >= reminderAt) {
      view.reminderSent = true;
      const { outboxIds } = await db.enqueueReminder({ credentialId, pinVersion: view.pinVersion });
      for (const outboxId of outboxIds) await delivery.deliverNotification({ outboxId });
      continue;
    }
    const wakeAt = view.reminderSent ? deadline : Math.min(reminderAt, deadline);
    const seen = dispatchCount;
    await condition(() => dispatchCount !== seen, wakeAt - now);
  }

  await db.expireInitialPin({ credentialId, pinVersion: view.pinVersion });
  view.state = 'expired';
  await firstHalfDelivered;
  await condition(allHandlersFinished);
  return view;
}
