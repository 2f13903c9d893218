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
  CancellationScope,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  setHandler,
  startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time';
import { db, delivery } from './activity-proxies';
import {
  completeFirstAccessUpdate,
  conversionDecidedSignal,
  credentialStateQuery,
  DEFAULT_ACCESS_POLICY,
  DEFAULT_REVIEW_POLICY,
  letterDispatchedSignal,
  letterReturnedUpdate,
  regeneratePinUpdate,
  reissuePinUpdate,
  requestConversionUpdate,
  requestNewLetterUpdate,
  revokeCredentialUpdate,
  type ActiveCycle,
  type CredentialView,
  type CredentialWorkflowInput,
  type TwoChannelIssue,
} from './definitions';
import { reviewWorkflowId, type ReviewInput } from './review-definitions';
import { claimWorkflowId, releaseClaimSignal } from './claim-definitions';
import type { conversionReviewWorkflow } from './review';

import { PinChannelAttribute, PinStateAttribute, PinTypeAttribute } from './search-attributes';


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
    // Added later still; a second patch keeps the runs that upserted without it replaying.
    ...(view.channel && patched('pin-channel-attribute') ? [{ key: PinChannelAttribute, value: view.channel }] : []),
  ]);
}



export async function pinCredentialWorkflow(input: CredentialWorkflowInput): Promise<CredentialView> {
  const { credentialId, policy } = input;
  const access = input.access ?? DEFAULT_ACCESS_POLICY;
  const twoChannel = input.twoChannel;
  const view: CredentialView = {
    credentialId,
    state: input.resume?.state ?? 'requested',
    pinType: input.resume?.pinType ?? twoChannel?.pinType ?? 'ordinary',
    pinVersion: input.resume?.pinVersion ?? (twoChannel ? twoChannel.pinVersion - 1 : 0),
    firstHalf: [],
    letters: [],
    addressMismatch: false,
    reminderSent: false,
    simplifiedScope: policy.simplifiedProcedure && !input.resume && !twoChannel,
    pinExpiresAt: input.resume?.pinExpiresAt,
    expiryReminderSent: false,
    cycle: input.resume?.cycle ?? twoChannel?.cycle ?? 0,
    ...(input.resume?.conversion ? { conversion: input.resume.conversion } : {}),
    ...(input.channel ? { channel: input.channel } : {}),
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
    if (view.delivery === 'two_channel') return 'NOT_WAITING'; // no letter to send again
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

  const refuseReturn = (letterId: string, recordedBy: string) => {
    if (!recordedBy) throw ApplicationFailure.nonRetryable('recordedBy is required', 'VALIDATION');
    if (view.state !== 'awaiting_first_access' && view.state !== 'awaiting_letter_dispatch') throw ApplicationFailure.nonRetryable('NOT_WAITING', 'CONFLICT');
    const letter = view.letters.find((l) => l.letterId === letterId);
    if (!letter) throw ApplicationFailure.nonRetryable('UNKNOWN_LETTER', 'NOT_FOUND');
    if (letter.state !== 'dispatched') throw ApplicationFailure.nonRetryable('NOT_DISPATCHED', 'CONFLICT');
  };
  setHandler(
    letterReturnedUpdate,
    async ({ letterId, recordedBy }) => {
      refuseReturn(letterId, recordedBy);
      view.letters.find((l) => l.letterId === letterId)!.state = 'returned';
      // Letters still waiting in an open batch carry the old half too: they are voided with it.
      const { voidedLetterIds } = await db.voidPostedHalf({ credentialId, pinVersion: view.pinVersion, letterId, recordedBy });
      for (const l of view.letters) if (voidedLetterIds.includes(l.letterId)) l.state = 'void';
      const refusal = resendRefusal();
      if (refusal) {
        await db.raiseAlert({ credentialId, kind: 'letter_returned_no_resend', key: `returned-${letterId}` });
        return { refusal };
      }
      resendTimes.push(Date.now());
      const seq = view.letters.length + 1;
      const { letterId: newId } = await db.createResendLetter({ credentialId, pinVersion: view.pinVersion, seq, requestedBy: recordedBy });
      view.letters.push({ letterId: newId, seq, state: 'queued', queuedAt: new Date().toISOString() });
      await db.queueLetter({ letterId: newId });
      return { newLetter: { letterId: newId, seq } };
    },
    { validator: ({ letterId, recordedBy }) => refuseReturn(letterId, recordedBy) },
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

  // ---- conversion, revocation and re-issue (interrupts of the life below) ----
  const review = input.review ?? DEFAULT_REVIEW_POLICY;
  /** Set by revocation or re-issue before the life below is cancelled. */
  let interrupt: { kind: 'revoke'; outboxIds: string[] } | { kind: 'reissue'; next: TwoChannelIssue } | undefined;
  let interrupting = false;
  const life = new CancellationScope();

  /** Signals each released claim's workflow; one not started yet reads its status when it starts. */
  const releaseClaims = async (claimIds: string[]) => {
    if (claimIds.length === 0) return;
    const signalled: string[] = [];
    for (const claimId of claimIds) {
      try {
        await getExternalWorkflowHandle(claimWorkflowId(claimId)).signal(releaseClaimSignal);
        signalled.push(claimId);
      } catch {
        // Not running (yet, or any more): the claim row already says 'released'.
      }
    }
    await db.markClaimReleasesSignalled({ claimIds: signalled });
  };

  const CONVERTIBLE: CredentialView['state'][] = ['active', 'pin_expired'];
  const refuseConversion = (caseId: string) => {
    if (!caseId) throw ApplicationFailure.nonRetryable('caseId is required', 'VALIDATION');
    if (interrupting || !CONVERTIBLE.includes(view.state)) throw ApplicationFailure.nonRetryable('NOT_ALLOWED_NOW', 'CONFLICT');
    if (view.pinType === 'dispositivo') throw ApplicationFailure.nonRetryable('ALREADY_DISPOSITIVO', 'CONFLICT');
    if (view.conversion?.status === 'in_review' && view.conversion.caseId !== caseId) throw ApplicationFailure.nonRetryable('REVIEW_IN_PROGRESS', 'CONFLICT');
  };
  setHandler(
    requestConversionUpdate,
    async ({ caseId }) => {
      refuseConversion(caseId);
      if (view.conversion?.caseId === caseId) return { caseId }; // a retried request
      view.conversion = { caseId, status: 'in_review' };
      const reviewInput: ReviewInput = { caseId, credentialId, escalateAfterWorkingDays: review.escalateAfterWorkingDays };
      // Abandoned, not terminated, when this run continues as new: the review goes on and
      // reports its decision by signal to whichever run is current.
      await startChild<typeof conversionReviewWorkflow>('conversionReviewWorkflow', {
        workflowId: reviewWorkflowId(caseId),
        args: [reviewInput],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      return { caseId };
    },
    { validator: ({ caseId }) => refuseConversion(caseId) },
  );

  setHandler(conversionDecidedSignal, async ({ caseId, decision, reason }) => {
    if (view.state === 'revoked') return;
    if (decision === 'approved') {
      const converted = await db.convertToDispositivo({ credentialId, caseId });
      view.pinType = 'dispositivo';
      publishState(view);
      view.conversion = { caseId, status: 'approved' };
      await releaseClaims(converted.releasedClaimIds);
      for (const outboxId of converted.outboxIds) await delivery.deliverNotification({ outboxId });
    } else {
      view.conversion = { caseId, status: 'rejected' };
      const closed = await db.closeRejectedConversion({ credentialId, caseId, reason: reason ?? '' });
      for (const outboxId of closed.outboxIds) await delivery.deliverNotification({ outboxId });
    }
  });

  const REVOCABLE: CredentialView['state'][] = ['awaiting_letter_dispatch', 'awaiting_first_access', 'active', 'pin_expired'];
  const refuseInterrupt = (allowed: CredentialView['state'][]) => {
    if (interrupting || activating || !allowed.includes(view.state)) throw ApplicationFailure.nonRetryable('NOT_ALLOWED_NOW', 'CONFLICT');
  };
  setHandler(
    revokeCredentialUpdate,
    async ({ requestedBy, reason }) => {
      refuseInterrupt(REVOCABLE);
      interrupting = true;
      const revoked = await db.revokeCredential({ credentialId, requestedBy, reason });
      view.state = 'revoked';
      view.revokedAt = revoked.revokedAt;
      publishState(view);
      interrupt = { kind: 'revoke', outboxIds: revoked.outboxIds };
      life.cancel();
      return { revokedAt: revoked.revokedAt };
    },
    { validator: (_request) => refuseInterrupt(REVOCABLE) },
  );
  setHandler(
    reissuePinUpdate,
    async ({ requestedBy, reason, pinType }) => {
      refuseInterrupt(REVOCABLE);
      interrupting = true;
      const superseded = await db.supersedeForReissue({ credentialId, requestedBy, reason, pinType: pinType ?? view.pinType });
      view.pinType = superseded.pinType;
      await releaseClaims(superseded.releasedClaimIds);
      interrupt = { kind: 'reissue', next: { reason, pinType: superseded.pinType, pinVersion: superseded.pinVersion, cycle: view.cycle ?? 0 } };
      life.cancel();
      return { pinVersion: superseded.pinVersion };
    },
    { validator: (_request) => refuseInterrupt(REVOCABLE) },
  );

  try {
    return await life.run(async () => {
      if (input.resume) {
        publishState(view);
        return activeCycles(input, view, () => activations);
      }

      if (twoChannel) return twoChannelIssuance(input, twoChannel, view, () => activations);

      view.state = 'issuing';
      publishState(view);
      const plan = await db.prepareIssuance({ credentialId });
      view.addressMismatch = plan.addressMismatch;
      if (plan.requestChannel) view.channel = plan.requestChannel;

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
      // A revocation or re-issue cancels a delivery still being retried (gateway down): that
      // rejection must not go unhandled, which would fail every workflow task from then on.
      const ignoreInterrupt = (err: unknown): void => {
        if (!isCancellation(err)) throw err;
      };
      void firstHalfDelivered
        .then(() => {
          firstHalfDone = true;
        })
        .catch(ignoreInterrupt);
      if (policy.simplifiedProcedure) {
        // The 2020 procedure promised the first half within 12 hours: tell operations when it is late.
        void condition(() => firstHalfDone, policy.firstHalfAlertAfter)
          .then(async (inTime) => {
            if (!inTime) await db.raiseAlert({ credentialId, kind: 'first_half_late', key: `first-half-late-${issued.pinVersion}` });
          })
          .catch(ignoreInterrupt);
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

    });
  } catch (err) {
    if (!interrupt || !isCancellation(err)) throw err;
  }
  // The life was interrupted; the interrupting handler has already done the database work.
  if (interrupt.kind === 'revoke') {
    for (const outboxId of interrupt.outboxIds) await delivery.deliverNotification({ outboxId });
    await condition(allHandlersFinished);
    return view;
  }
  await condition(allHandlersFinished);
  return continueAsNew<typeof pinCredentialWorkflow>({ credentialId, policy, access, review, twoChannel: interrupt.next, ...(view.channel ? { channel: view.channel } : {}) });
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
    ...(view.conversion ? { conversion: view.conversion } : {}),
  };
  return continueAsNew<typeof pinCredentialWorkflow>({ ...input, access, resume: next, ...(view.channel ? { channel: view.channel } : {}) });
}

/**
 * Recovery and remote identification: a new 16-character PIN whose first half goes by SMS (or
 * the e-mail when there is no mobile) and second half to the e-mail or PEC, no letter; then the
 * first access, within the same deadline as a posted PIN.
 */
async function twoChannelIssuance(
  input: CredentialWorkflowInput,
  issue: TwoChannelIssue,
  view: CredentialView,
  activations: () => number,
): Promise<CredentialView> {
  const { credentialId, policy } = input;
  view.state = 'issuing';
  view.delivery = 'two_channel';
  publishState(view);
  const issued = await db.issueTwoChannelPin({ credentialId, pinVersion: issue.pinVersion, reason: issue.reason });
  view.pinVersion = issue.pinVersion;
  view.firstHalf = issued.halves.map((m) => ({ channel: m.channel, state: 'pending' as const }));
  if (activations() === 0) {
    view.state = 'awaiting_first_access';
    publishState(view);
  }
  view.firstAccessDeadline = new Date(Date.now() + msToNumber(policy.firstAccessDeadline)).toISOString();
  for (const [i, m] of issued.halves.entries()) {
    await delivery.deliverNotification({ outboxId: m.outboxId });
    view.firstHalf[i]!.state = 'sent';
  }
  for (const outboxId of issued.noticeIds) await delivery.deliverNotification({ outboxId });
  await condition(() => activations() > 0, Date.parse(view.firstAccessDeadline) - Date.now());
  if (activations() === 0) {
    await db.expireInitialPin({ credentialId, pinVersion: view.pinVersion });
    view.state = 'expired';
    publishState(view);
    await condition(allHandlersFinished);
    return view;
  }
  return activeCycles(input, view, activations);
}
