/**
 * One workflow per credential (`pin-<credentialId>`): the whole life of a PIN.
 *
 * Issuance: the 16-character PIN is generated and hashed inside an activity; the first half
 * goes to the citizen's contacts through the outbox, the second half is posted; then the
 * workflow waits for the first access with a deadline, a reminder and a bounded number of new
 * letters. Access: the first access activates the personal 8-character PIN; it expires after 6
 * months (3 for an intermediary) with a reminder 14 days before; the guided regeneration starts a
 * new cycle, and each cycle continues as new so the history stays short over years.
 * No secret ever passes through this code: the API hashes PINs and passes version numbers.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time';
import type { createActivities } from '../activities';
import {
  completeFirstAccessUpdate,
  credentialStateQuery,
  DEFAULT_ACCESS_POLICY,
  letterDispatchedSignal,
  regeneratePinUpdate,
  requestNewLetterUpdate,
  type ActiveCycle,
  type CredentialView,
  type CredentialWorkflowInput,
} from './definitions';

import { PinStateAttribute, PinTypeAttribute } from './search-attributes';

type Activities = ReturnType<typeof createActivities>;

/**
 * Mirrors the state and PIN type into search attributes (no personal data) so operations can
 * filter credentials in the Temporal UI. Added after runs were already open: behind a patch, so
 * those runs replay without it.
 */
function publishState(view: CredentialView): void {
  if (!patched('pin-search-attributes')) return;
  upsertSearchAttributes([
    { key: PinStateAttribute, value: view.state },
    { key: PinTypeAttribute, value: view.pinType },
  ]);
}

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
  const access = input.access ?? DEFAULT_ACCESS_POLICY;
  const view: CredentialView = {
    credentialId,
    state: input.resume?.state ?? 'requested',
    pinType: input.resume?.pinType ?? 'ordinary',
    pinVersion: input.resume?.pinVersion ?? 0,
    firstHalf: [],
    letters: [],
    addressMismatch: false,
    reminderSent: false,
    simplifiedScope: policy.simplifiedProcedure && !input.resume,
    pinExpiresAt: input.resume?.pinExpiresAt,
    expiryReminderSent: false,
    cycle: input.resume?.cycle ?? 0,
  };
  /** Bumped by every update that activates a PIN, to wake the waits below. */
  let activations = 0;
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

  const activate = async (pinVersion: number, reason: 'first_access' | 'regeneration') => {
    const { pinExpiresAt } = await db.activatePersonalPin({
      credentialId,
      pinVersion,
      previousVersion: view.pinVersion,
      reason,
      citizenMonths: access.citizenPinValidityMonths,
      intermediaryMonths: access.intermediaryPinValidityMonths,
      ...(access.pinValidityOverride ? { validityMs: msToNumber(access.pinValidityOverride) } : {}),
    });
    view.pinVersion = pinVersion;
    view.pinExpiresAt = pinExpiresAt;
    view.expiryReminderSent = false;
    view.state = 'active';
    publishState(view);
    view.simplifiedScope = false;
    view.cycle = (view.cycle ?? 0) + 1;
    activations++;
    return { pinExpiresAt };
  };
  // A handler that is waiting on its activity has moved the state on already (checked here
  // and again in the handler, because two updates can both pass the validator).
  let activating = false;
  const refuseActivation = (allowed: CredentialView['state'][], pinVersion: number) => {
    if (activating || !allowed.includes(view.state)) throw ApplicationFailure.nonRetryable('NOT_ALLOWED_NOW', 'CONFLICT');
    if (!Number.isInteger(pinVersion) || pinVersion <= view.pinVersion) throw ApplicationFailure.nonRetryable('STALE_VERSION', 'CONFLICT');
  };
  const activateOnce = async (allowed: CredentialView['state'][], pinVersion: number, reason: 'first_access' | 'regeneration') => {
    refuseActivation(allowed, pinVersion);
    activating = true;
    try {
      return await activate(pinVersion, reason);
    } finally {
      activating = false;
    }
  };
  const WAITING_FIRST_ACCESS: CredentialView['state'][] = ['awaiting_first_access', 'awaiting_letter_dispatch'];
  setHandler(completeFirstAccessUpdate, ({ pinVersion }) => activateOnce(WAITING_FIRST_ACCESS, pinVersion, 'first_access'), {
    validator: ({ pinVersion }) => refuseActivation(WAITING_FIRST_ACCESS, pinVersion),
  });
  setHandler(regeneratePinUpdate, ({ pinVersion }) => activateOnce(['pin_expired'], pinVersion, 'regeneration'), {
    validator: ({ pinVersion }) => refuseActivation(['pin_expired'], pinVersion),
  });

  if (input.resume) {
    publishState(view);
    return activeCycles(input, view, () => activations);
  }

  view.state = 'issuing';
  publishState(view);
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
  if (activations === 0) {
    view.state = 'awaiting_letter_dispatch';
    publishState(view);
  }
  await condition(() => lastDispatchAt !== undefined || activations > 0);
  if (activations === 0) {
    view.state = 'awaiting_first_access';
    publishState(view);
  }

  // Wait for the first access. The deadline runs from the latest dispatched letter; the reminder
  // (offering a new letter) goes once, counted from the first dispatch.
  const firstDispatchAt = lastDispatchAt ?? Date.now();
  while (activations === 0) {
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
    await condition(() => dispatchCount !== seen || activations > 0, wakeAt - now);
  }

  await firstHalfDelivered;
  if (activations === 0) {
    await db.expireInitialPin({ credentialId, pinVersion: view.pinVersion });
    view.state = 'expired';
    publishState(view);
    await condition(allHandlersFinished);
    return view;
  }
  return activeCycles(input, view, () => activations);
}

/**
 * The personal PIN's cycle: reminder 14 days before expiry, expiry, then (whenever the holder
 * comes back) the guided regeneration; the next cycle continues as new with a short history.
 */
async function activeCycles(input: CredentialWorkflowInput, view: CredentialView, activations: () => number): Promise<CredentialView> {
  const access = input.access ?? DEFAULT_ACCESS_POLICY;
  const { credentialId } = input;
  const startCount = activations();
  const expiresAt = () => Date.parse(view.pinExpiresAt!);

  if (view.state === 'active') {
    const reminderAt = expiresAt() - msToNumber(access.expiryReminderBefore);
    if (Date.now() < reminderAt) await condition(() => activations() !== startCount, reminderAt - Date.now());
    if (activations() === startCount && view.state === 'active' && !view.expiryReminderSent) {
      view.expiryReminderSent = true;
      const { outboxIds } = await db.enqueueExpiryReminder({ credentialId, pinVersion: view.pinVersion, pinExpiresAt: view.pinExpiresAt! });
      for (const outboxId of outboxIds) await delivery.deliverNotification({ outboxId });
    }
    if (activations() === startCount && Date.now() < expiresAt()) {
      await condition(() => activations() !== startCount, expiresAt() - Date.now());
    }
    if (activations() === startCount) {
      await db.expirePersonalPin({ credentialId, pinVersion: view.pinVersion });
      view.state = 'pin_expired';
      publishState(view);
    }
  }
  // Expired: wait, without a deadline, for the holder's next access and its regeneration.
  await condition(() => activations() !== startCount);
  await condition(allHandlersFinished);
  const next: ActiveCycle = {
    state: 'active',
    pinVersion: view.pinVersion,
    pinType: view.pinType,
    pinExpiresAt: view.pinExpiresAt!,
    cycle: view.cycle ?? 1,
  };
  return continueAsNew<typeof pinCredentialWorkflow>({ ...input, access, resume: next });
}
