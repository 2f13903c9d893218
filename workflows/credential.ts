/**
 * One workflow per credential (`pin-<credentialId>`): the whole life of a PIN.
 *
 * Issuance: the 16-character PIN is generated and hashed inside an activity; the first half
 * goes to the citizen's contacts through the outbox, the second half is posted; then the
 * workflow waits for the first access with a deadline, a reminder and a bounded number of new
 * letters. Access: the first access activates the personal 8-character PIN; it expires after 6
 * months (3 for an intermediary) with a reminder 14 days before; the guided regeneration starts a
 * new cycle, and each cycle continues as new so the history stays short over years.
 * Conversion to dispositivo, revocation and re-issue arrive as messages at any point of that life.
 * No secret ever passes through this code: the API hashes PINs and passes version numbers.
 *
 * Shape: `CredentialLife` holds one run's state; `run()` registers every handler, lives the life
 * in a cancellation scope and, when a revocation or re-issue cancelled it, ends the run.
 */
import {
  ActivityFailure,
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
import type { UpdateDefinition } from '@temporalio/common';
import { db } from './activity-proxies';
import { deliverAll, deliveries } from './deliveries';
import { durationToMs } from '../domain/durations';
import {
  completeFirstAccessUpdate,
  CALLBACK_OUTCOMES,
  conversionDecidedSignal,
  credentialStateQuery,
  DEFAULT_ACCESS_POLICY,
  DEFAULT_ISSUANCE_POLICY,
  DEFAULT_REVIEW_POLICY,
  letterDispatchedSignal,
  letterReturnedUpdate,
  recordCallbackOutcomeUpdate,
  regeneratePinUpdate,
  reissuePinUpdate,
  requestConversionUpdate,
  requestNewLetterUpdate,
  revokeCredentialUpdate,
  type AccessPolicy,
  type ActiveCycle,
  type CallbackView,
  type CredentialState,
  type CredentialView,
  type CredentialWorkflowInput,
  type IssuancePolicy,
  type LetterDispatched,
  type NewLetterResult,
  type ReviewPolicy,
  type TwoChannelIssue,
} from './definitions';
import { REVIEW_WORKFLOW_TYPE, reviewWorkflowId, type ReviewInput, type ReviewOutcome } from './review-definitions';
import { cancelClaimSignal, claimWorkflowId, releaseClaimSignal } from './claim-definitions';
import { delegationWorkflowId, delegatorRevokedSignal } from './delegation-definitions';
import type { conversionReviewWorkflow } from './review';
import { PinChannelAttribute, PinStateAttribute, PinTypeAttribute } from './search-attributes';

/** True for an activity refused as FORBIDDEN (non-retryable): nothing was written. */
const isForbidden = (err: unknown): boolean =>
  err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === 'FORBIDDEN';

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

/**
 * A revocation or re-issue cancels a delivery still being retried (gateway down) or a wait: that
 * rejection must not go unhandled, which would fail every workflow task from then on.
 */
function ignoreInterrupt(err: unknown): void {
  if (!isCancellation(err)) throw err;
}

/** The request an update carries. */
type RequestOf<U> = U extends UpdateDefinition<unknown, [infer Request]> ? Request : never;

/** Set by revocation or re-issue before the life is cancelled. */
type Interrupt = { kind: 'revoke'; outboxIds: string[]; delegationIds?: string[]; cancelledClaimIds?: string[] } | { kind: 'reissue'; next: TwoChannelIssue };

const WAITING_FIRST_ACCESS: CredentialState[] = ['awaiting_first_access', 'awaiting_letter_dispatch'];
const CONVERTIBLE: CredentialState[] = ['active', 'pin_expired'];
const REVOCABLE: CredentialState[] = ['awaiting_letter_dispatch', 'awaiting_first_access', 'active', 'pin_expired'];

/** Returns `run()`'s own promise: an async wrapper would settle microtasks later (see `CredentialLife`). */
export function pinCredentialWorkflow(input: CredentialWorkflowInput): Promise<CredentialView> {
  return new CredentialLife(input).run();
}

/**
 * One run of a credential's workflow: the view the query returns, the counters and flags the
 * handlers share with the waits, and one method per phase.
 *
 * Replay compares the commands of each workflow task in order, and when two coroutines (the life
 * and a handler) resume in the same activation their commands interleave by microtask. So the
 * methods keep the async shape of the functions they came from: the same async functions, each
 * awaiting what it awaited before or returning the promise it returned before. A step of a phase
 * that awaits is not moved into an awaited method of its own, which would add a microtask; for
 * the same reason, where a phase goes on to a timer or an activity after sending notices, it
 * awaits each delivery itself (`deliveries`) rather than `deliverAll` (see workflows/deliveries.ts).
 */
class CredentialLife {
  private readonly credentialId: string;
  private readonly policy: IssuancePolicy;
  private readonly access: AccessPolicy;
  private readonly review: ReviewPolicy;
  private readonly view: CredentialView;
  /** Bumped by every update that activates a PIN, to wake the waits. */
  private activations = 0;
  /** Workflow time (ms) of each new letter requested by the citizen, for the resend limits. */
  private readonly resendTimes: number[] = [];
  private lastDispatchAt: number | undefined;
  private dispatchCount = 0;
  /**
   * An activation whose activity is still running: the state has moved on already (checked in
   * the validator and again in the handler, because two updates can both pass the validator).
   */
  private activating = false;
  private interrupt: Interrupt | undefined;
  private interrupting = false;
  /** A call-back outcome whose activity is still running (one at a time). */
  private recordingCallback = false;
  /** The life below the interrupts: revocation and re-issue cancel it. */
  private readonly life = new CancellationScope();

  constructor(private readonly input: CredentialWorkflowInput) {
    const { credentialId, policy, resume, twoChannel } = input;
    this.credentialId = credentialId;
    this.policy = policy;
    this.access = input.access ?? DEFAULT_ACCESS_POLICY;
    this.review = input.review ?? DEFAULT_REVIEW_POLICY;
    this.view = {
      credentialId,
      state: resume?.state ?? 'requested',
      pinType: resume?.pinType ?? twoChannel?.pinType ?? 'ordinary',
      pinVersion: resume?.pinVersion ?? (twoChannel ? twoChannel.pinVersion - 1 : 0),
      firstHalf: [],
      letters: [],
      addressMismatch: false,
      reminderSent: false,
      simplifiedScope: policy.simplifiedProcedure && !resume && !twoChannel,
      pinExpiresAt: resume?.pinExpiresAt,
      expiryReminderSent: false,
      cycle: resume?.cycle ?? twoChannel?.cycle ?? 0,
      ...(resume?.conversion ? { conversion: resume.conversion } : {}),
      ...(input.channel ? { channel: input.channel } : {}),
    };
  }

  async run(): Promise<CredentialView> {
    this.registerHandlers();
    try {
      return await this.life.run(() => this.live());
    } catch (err) {
      if (!this.interrupt || !isCancellation(err)) throw err;
    }
    // The life was interrupted; the interrupting handler has already done the database work.
    const interrupt = this.interrupt;
    if (interrupt.kind === 'revoke') await deliverAll(interrupt.outboxIds);
    // Added after runs were revoked without it: behind a patch, so their histories replay.
    if (interrupt.kind === 'revoke' && patched('end-delegations-on-revocation')) await this.endDelegations(interrupt.delegationIds ?? []);
    // Claims held for this PIN are cancelled with it (the revocation's transaction did the rows).
    if (interrupt.kind === 'revoke' && interrupt.cancelledClaimIds?.length && patched('cancel-claims-on-revocation')) await this.cancelClaims(interrupt.cancelledClaimIds);
    await condition(allHandlersFinished);
    if (interrupt.kind === 'revoke') return this.view;
    const { credentialId, policy, access, review, view } = this;
    return continueAsNew<typeof pinCredentialWorkflow>({ credentialId, policy, access, review, twoChannel: interrupt.next, ...(view.channel ? { channel: view.channel } : {}) });
  }

  /** Every message of the credential, registered before the first await so no early message is lost. */
  private registerHandlers(): void {
    setHandler(credentialStateQuery, () => this.view);
    setHandler(letterDispatchedSignal, (dispatched) => this.letterDispatched(dispatched));

    // Issuance: new letters, and letters that came back.
    setHandler(requestNewLetterUpdate, ({ requestedBy }) => this.sendNewLetter(requestedBy), {
      validator: ({ requestedBy }) => {
        if (!requestedBy) throw new Error('requestedBy is required');
        this.refuseNewLetterIfLimited();
      },
    });
    setHandler(letterReturnedUpdate, (request) => this.letterReturned(request), {
      validator: ({ letterId, recordedBy }) => this.refuseReturn(letterId, recordedBy),
    });

    // The residence call-back that verifies the requester before anything is made or sent.
    setHandler(recordCallbackOutcomeUpdate, (request) => this.recordCallback(request), { validator: (request) => this.refuseCallback(request) });

    // Access: the first access and each regeneration activate a personal PIN.
    setHandler(completeFirstAccessUpdate, ({ pinVersion }) => this.activateOnce(WAITING_FIRST_ACCESS, pinVersion, 'first_access'), {
      validator: ({ pinVersion }) => this.refuseActivation(WAITING_FIRST_ACCESS, pinVersion),
    });
    setHandler(regeneratePinUpdate, ({ pinVersion }) => this.activateOnce(['pin_expired'], pinVersion, 'regeneration'), {
      validator: ({ pinVersion }) => this.refuseActivation(['pin_expired'], pinVersion),
    });

    // Conversion to dispositivo.
    setHandler(requestConversionUpdate, ({ caseId }) => this.requestConversion(caseId), {
      validator: ({ caseId }) => this.refuseConversion(caseId),
    });
    setHandler(conversionDecidedSignal, (outcome) => this.conversionDecided(outcome));

    // Interrupts of the life.
    setHandler(revokeCredentialUpdate, (request) => this.revoke(request), { validator: (_request) => this.refuseInterrupt() });
    setHandler(reissuePinUpdate, (request) => this.reissue(request), { validator: (_request) => this.refuseInterrupt() });
  }

  /**
   * The life this run lives: a new credential is issued by letter; a run continued as new goes on
   * with the next PIN cycle or with a PIN re-issued over two channels.
   */
  private live(): Promise<CredentialView> {
    return this.input.resume || this.input.twoChannel ? this.continueLife() : this.issueByLetter();
  }

  /** A run continued as new: the next cycle of the personal PIN, or a re-issued PIN. */
  private async continueLife(): Promise<CredentialView> {
    if (this.input.resume) {
      publishState(this.view);
      return this.activeCycles();
    }
    return this.issueOverTwoChannels(this.input.twoChannel!);
  }

  private setState(state: CredentialState): void {
    this.view.state = state;
    publishState(this.view);
  }

  // ---- issuance and the wait for the first access ----

  /**
   * Issuance by letter, then the wait for the first access: the first half goes to each contact
   * channel while the letter with the second half waits for the mail room; the deadline runs
   * from the latest dispatched letter.
   */
  private async issueByLetter(): Promise<CredentialView> {
    const { credentialId, policy, view } = this;
    this.setState('issuing');
    const plan = await db.prepareIssuance({ credentialId });
    view.addressMismatch = plan.addressMismatch;
    if (plan.requestChannel) view.channel = plan.requestChannel;
    // The citizen's receipt by e-mail (protocol number, what comes next), alongside the rest: a
    // mail outage must not hold up the PIN and its letter (the outbox row keeps the message).
    if (plan.receivedNoticeIds?.length && patched('request-received-notice')) void deliverAll(plan.receivedNoticeIds).catch(() => undefined);
    // A residence that differs from the record: nothing is made or sent until a call verifies
    // the requester (runs from before this was so issued at once and went on to the call).
    if (plan.addressMismatch && patched('callback-before-issuance') && !(await this.verifiedByCallback())) return view;

    const issued = await db.issueInitialPin({ credentialId, pinVersion: 1 });
    view.pinVersion = issued.pinVersion;
    view.firstHalf = issued.firstHalf.map((m) => ({ channel: m.channel, state: 'pending' as const }));
    view.letters.push({ letterId: issued.letterId, seq: 1, state: 'queued', queuedAt: new Date().toISOString() });
    const firstHalfDelivered = this.sendFirstHalf(issued.firstHalf.map((m) => m.outboxId), issued.pinVersion);

    await db.queueLetter({ letterId: issued.letterId });
    if (this.activations === 0) this.setState('awaiting_letter_dispatch');
    await condition(() => this.lastDispatchAt !== undefined || this.activations > 0);
    if (this.activations === 0) this.setState('awaiting_first_access');

    // Wait for the first access. The deadline runs from the latest dispatched letter; the reminder
    // (offering a new letter) goes once, counted from the first dispatch.
    const firstDispatchAt = this.lastDispatchAt ?? Date.now();
    while (this.activations === 0) {
      const now = Date.now();
      const deadline = this.lastDispatchAt! + durationToMs(policy.firstAccessDeadline);
      const reminderAt = firstDispatchAt + durationToMs(policy.reminderAfter);
      view.firstAccessDeadline = new Date(deadline).toISOString();
      if (now >= deadline) break;
      if (!view.reminderSent && now >= reminderAt) {
        view.reminderSent = true;
        const { outboxIds } = await db.enqueueReminder({ credentialId, pinVersion: view.pinVersion });
        for (const delivered of deliveries(outboxIds)) await delivered;
        continue;
      }
      const wakeAt = view.reminderSent ? deadline : Math.min(reminderAt, deadline);
      const seen = this.dispatchCount;
      await condition(() => this.dispatchCount !== seen || this.activations > 0, wakeAt - now);
    }

    await firstHalfDelivered;
    if (this.activations === 0) {
      await db.expireInitialPin({ credentialId, pinVersion: view.pinVersion });
      this.setState('expired');
      await condition(allHandlersFinished);
      return view;
    }
    return this.activeCycles();
  }

  /**
   * Waits for the call-back's outcome: verified (the letter will go to the address confirmed on
   * the call), or refused — not verified, no answer after the allowed calls, or no outcome within
   * the window — in which case the request ends and its contacts are told.
   */
  private async verifiedByCallback(): Promise<boolean> {
    const { credentialId, policy, view } = this;
    const deadline = Date.now() + durationToMs(policy.callbackWindow ?? DEFAULT_ISSUANCE_POLICY.callbackWindow!);
    view.callback = { status: 'open', attempts: 0, deadline: new Date(deadline).toISOString() };
    this.setState('awaiting_callback');
    await condition(() => view.callback!.status !== 'open', deadline - Date.now());
    await condition(() => !this.recordingCallback);
    if (view.callback.status === 'verified') {
      this.setState('issuing');
      return true;
    }
    const outcome = view.callback.status === 'open' ? 'expired' : (view.callback.outcome ?? 'not_verified');
    const refused = await db.refuseUnverifiedRequest({ credentialId, outcome });
    Object.assign(view.callback, { status: 'refused', outcome });
    this.setState('refused');
    await deliverAll(refused.outboxIds);
    await condition(allHandlersFinished);
    return false;
  }

  private refuseCallback({ outcome, address, staffId }: RequestOf<typeof recordCallbackOutcomeUpdate>): void {
    if (!staffId) throw ApplicationFailure.nonRetryable('staffId is required', 'VALIDATION');
    if (!(CALLBACK_OUTCOMES as readonly string[]).includes(outcome)) throw ApplicationFailure.nonRetryable('UNKNOWN_OUTCOME', 'VALIDATION');
    if (outcome === 'verified' && address !== 'record' && address !== 'declared') throw ApplicationFailure.nonRetryable('ADDRESS_REQUIRED', 'VALIDATION');
    if (this.view.state !== 'awaiting_callback' || this.view.callback?.status !== 'open' || this.recordingCallback) throw ApplicationFailure.nonRetryable('NOT_AWAITING_CALLBACK', 'CONFLICT');
  }

  private async recordCallback(request: RequestOf<typeof recordCallbackOutcomeUpdate>): Promise<CallbackView> {
    const callback = this.view.callback!;
    this.refuseCallback(request);
    this.recordingCallback = true;
    try {
      const recorded = await db.recordCallbackAttempt({
        credentialId: this.credentialId,
        ...request,
        attempt: callback.attempts + 1,
        maxAttempts: this.policy.callbackMaxAttempts ?? DEFAULT_ISSUANCE_POLICY.callbackMaxAttempts!,
      });
      Object.assign(callback, { attempts: recorded.attempts, status: recorded.status, outcome: request.outcome });
    } finally {
      this.recordingCallback = false;
    }
    return { ...callback };
  }

  /**
   * Starts the first half's delivery, to each channel in order (one outbox row per channel),
   * alongside the letter; issuance waits for it only at the end of the first-access wait.
   */
  private sendFirstHalf(outboxIds: string[], pinVersion: number): Promise<void> {
    const delivered = deliverAll(outboxIds, (i) => {
      this.view.firstHalf[i]!.state = 'sent';
    });
    let done = false;
    void delivered
      .then(() => {
        done = true;
      })
      .catch(ignoreInterrupt);
    if (this.policy.simplifiedProcedure) {
      // The 2020 procedure promised the first half within 12 hours: tell operations when it is late.
      void condition(() => done, this.policy.firstHalfAlertAfter)
        .then(async (inTime) => {
          if (!inTime) await db.raiseAlert({ credentialId: this.credentialId, kind: 'first_half_late', key: `first-half-late-${pinVersion}` });
        })
        .catch(ignoreInterrupt);
    }
    return delivered;
  }

  /**
   * Recovery and remote identification: a new 16-character PIN whose first half goes by SMS (or
   * the e-mail when there is no mobile) and second half to the e-mail or PEC, no letter; then the
   * first access, within the same deadline as a posted PIN.
   */
  private async issueOverTwoChannels(issue: TwoChannelIssue): Promise<CredentialView> {
    // Remote identification ends with the 8-character dispositivo PIN, usable at once (runs from
    // before issued a 16-character PIN that waited for a first access).
    if (issue.reason === 'remote_identification' && patched('remote-identification-dispositivo-pin')) return this.issueDispositivoOverTwoChannels(issue);
    const { credentialId, policy, view } = this;
    view.delivery = 'two_channel';
    this.setState('issuing');
    const issued = await db.issueTwoChannelPin({ credentialId, pinVersion: issue.pinVersion, reason: issue.reason });
    view.pinVersion = issue.pinVersion;
    view.firstHalf = issued.halves.map((m) => ({ channel: m.channel, state: 'pending' as const }));
    if (this.activations === 0) this.setState('awaiting_first_access');
    view.firstAccessDeadline = new Date(Date.now() + durationToMs(policy.firstAccessDeadline)).toISOString();
    // Both halves, in order (as listed in `view.firstHalf`), then the notices.
    let half = 0;
    for (const delivered of deliveries(issued.halves.map((m) => m.outboxId))) {
      await delivered;
      view.firstHalf[half++]!.state = 'sent';
    }
    for (const delivered of deliveries(issued.noticeIds)) await delivered;

    await condition(() => this.activations > 0, Date.parse(view.firstAccessDeadline) - Date.now());
    if (this.activations === 0) {
      await db.expireInitialPin({ credentialId, pinVersion: view.pinVersion });
      this.setState('expired');
      await condition(allHandlersFinished);
      return view;
    }
    return this.activeCycles();
  }

  /** The dispositivo PIN of a remote identification: two parts on two contacts, active at once. */
  private async issueDispositivoOverTwoChannels(issue: TwoChannelIssue): Promise<CredentialView> {
    const { credentialId, access, view } = this;
    view.delivery = 'two_channel';
    this.setState('issuing');
    const issued = await db.issueDispositivoPinOverTwoChannels({
      credentialId,
      pinVersion: issue.pinVersion,
      citizenMonths: access.citizenPinValidityMonths,
      intermediaryMonths: access.intermediaryPinValidityMonths,
      ...(access.pinValidityOverride ? { validityMs: durationToMs(access.pinValidityOverride) } : {}),
    });
    Object.assign(view, { pinVersion: issue.pinVersion, pinType: 'dispositivo', pinExpiresAt: issued.pinExpiresAt, expiryReminderSent: false, cycle: issue.cycle + 1 });
    view.firstHalf = issued.halves.map((m) => ({ channel: m.channel, state: 'pending' as const }));
    this.setState('active');
    let part = 0;
    for (const delivered of deliveries(issued.halves.map((m) => m.outboxId))) {
      await delivered;
      view.firstHalf[part++]!.state = 'sent';
    }
    for (const delivered of deliveries(issued.noticeIds)) await delivered;
    return this.activeCycles();
  }

  // Messages during that wait: letters dispatched, new letters asked for, letters returned.

  private letterDispatched({ letterId, dispatchedAt }: LetterDispatched): void {
    const letter = this.view.letters.find((l) => l.letterId === letterId);
    if (!letter || letter.state !== 'queued') return; // duplicate or stale signal: nothing to do
    letter.state = 'dispatched';
    letter.dispatchedAt = dispatchedAt;
    this.lastDispatchAt = Math.max(this.lastDispatchAt ?? 0, Date.parse(dispatchedAt));
    this.dispatchCount++;
  }

  private resendRefusal(): string | undefined {
    const { view, policy, resendTimes } = this;
    if (view.state !== 'awaiting_first_access' && view.state !== 'awaiting_letter_dispatch') return 'NOT_WAITING';
    if (view.delivery === 'two_channel') return 'NOT_WAITING'; // no letter to send again
    const now = Date.now();
    const last = resendTimes[resendTimes.length - 1];
    if (last !== undefined && now - last < durationToMs(policy.minResendInterval)) return 'TOO_SOON';
    const inWindow = resendTimes.filter((t) => now - t < durationToMs(policy.resendWindow)).length;
    if (inWindow >= policy.maxResendsInWindow) return 'WINDOW_LIMIT';
    return undefined;
  }

  private refuseNewLetterIfLimited(): void {
    const refusal = this.resendRefusal();
    if (refusal) throw ApplicationFailure.nonRetryable(refusal, refusal === 'NOT_WAITING' ? 'CONFLICT' : 'RATE_LIMITED');
  }

  private async sendNewLetter(requestedBy: string): Promise<NewLetterResult> {
    const { credentialId, view } = this;
    // Checked again here: two updates may pass the validator before either records its time.
    this.refuseNewLetterIfLimited();
    this.resendTimes.push(Date.now());
    const seq = view.letters.length + 1;
    const { letterId } = await db.createResendLetter({ credentialId, pinVersion: view.pinVersion, seq, requestedBy });
    view.letters.push({ letterId, seq, state: 'queued', queuedAt: new Date().toISOString() });
    await db.queueLetter({ letterId });
    return { letterId, seq };
  }

  private refuseReturn(letterId: string, recordedBy: string): void {
    const { view } = this;
    if (!recordedBy) throw ApplicationFailure.nonRetryable('recordedBy is required', 'VALIDATION');
    if (view.state !== 'awaiting_first_access' && view.state !== 'awaiting_letter_dispatch') throw ApplicationFailure.nonRetryable('NOT_WAITING', 'CONFLICT');
    const letter = view.letters.find((l) => l.letterId === letterId);
    if (!letter) throw ApplicationFailure.nonRetryable('UNKNOWN_LETTER', 'NOT_FOUND');
    if (letter.state !== 'dispatched') throw ApplicationFailure.nonRetryable('NOT_DISPATCHED', 'CONFLICT');
  }

  private async letterReturned({ letterId, recordedBy }: RequestOf<typeof letterReturnedUpdate>): Promise<{ newLetter?: NewLetterResult; refusal?: string }> {
    const { credentialId, view } = this;
    this.refuseReturn(letterId, recordedBy);
    view.letters.find((l) => l.letterId === letterId)!.state = 'returned';
    // Letters still waiting in an open batch carry the old half too: they are voided with it.
    const { voidedLetterIds } = await db.voidPostedHalf({ credentialId, pinVersion: view.pinVersion, letterId, recordedBy });
    for (const l of view.letters) if (voidedLetterIds.includes(l.letterId)) l.state = 'void';
    const refusal = this.resendRefusal();
    if (refusal) {
      await db.raiseAlert({ credentialId, kind: 'letter_returned_no_resend', key: `returned-${letterId}` });
      return { refusal };
    }
    // A new letter, as if the citizen had asked for it (within the same limits).
    this.resendTimes.push(Date.now());
    const seq = view.letters.length + 1;
    const { letterId: newId } = await db.createResendLetter({ credentialId, pinVersion: view.pinVersion, seq, requestedBy: recordedBy });
    view.letters.push({ letterId: newId, seq, state: 'queued', queuedAt: new Date().toISOString() });
    await db.queueLetter({ letterId: newId });
    return { newLetter: { letterId: newId, seq } };
  }

  // ---- access: the personal PIN's cycles ----

  private refuseActivation(allowed: CredentialState[], pinVersion: number): void {
    if (this.activating || !allowed.includes(this.view.state)) throw ApplicationFailure.nonRetryable('NOT_ALLOWED_NOW', 'CONFLICT');
    if (!Number.isInteger(pinVersion) || pinVersion <= this.view.pinVersion) throw ApplicationFailure.nonRetryable('STALE_VERSION', 'CONFLICT');
  }

  private async activateOnce(allowed: CredentialState[], pinVersion: number, reason: 'first_access' | 'regeneration'): Promise<{ pinExpiresAt: string }> {
    this.refuseActivation(allowed, pinVersion);
    this.activating = true;
    try {
      return await this.activate(pinVersion, reason);
    } finally {
      this.activating = false;
    }
  }

  private async activate(pinVersion: number, reason: 'first_access' | 'regeneration'): Promise<{ pinExpiresAt: string }> {
    const { credentialId, access, view } = this;
    const { pinExpiresAt } = await db.activatePersonalPin({
      credentialId,
      pinVersion,
      previousVersion: view.pinVersion,
      reason,
      citizenMonths: access.citizenPinValidityMonths,
      intermediaryMonths: access.intermediaryPinValidityMonths,
      ...(access.pinValidityOverride ? { validityMs: durationToMs(access.pinValidityOverride) } : {}),
    });
    view.pinVersion = pinVersion;
    view.pinExpiresAt = pinExpiresAt;
    view.expiryReminderSent = false;
    this.setState('active');
    view.simplifiedScope = false;
    view.cycle = (view.cycle ?? 0) + 1;
    this.activations++;
    return { pinExpiresAt };
  }

  /**
   * The personal PIN's cycle: reminder 14 days before expiry, expiry, then (whenever the holder
   * comes back) the guided regeneration; the next cycle continues as new with a short history.
   */
  private async activeCycles(): Promise<CredentialView> {
    const { credentialId, access, view } = this;
    const startCount = this.activations;
    const activatedAgain = () => this.activations !== startCount;
    const expiresAt = () => Date.parse(view.pinExpiresAt!);

    if (view.state === 'active') {
      const reminderAt = expiresAt() - durationToMs(access.expiryReminderBefore);
      if (Date.now() < reminderAt) await condition(activatedAgain, reminderAt - Date.now());
      if (!activatedAgain() && view.state === 'active' && !view.expiryReminderSent) {
        view.expiryReminderSent = true;
        const { outboxIds } = await db.enqueueExpiryReminder({ credentialId, pinVersion: view.pinVersion, pinExpiresAt: view.pinExpiresAt! });
        for (const delivered of deliveries(outboxIds)) await delivered;
      }
      if (!activatedAgain() && Date.now() < expiresAt()) {
        await condition(activatedAgain, expiresAt() - Date.now());
      }
      if (!activatedAgain()) {
        await db.expirePersonalPin({ credentialId, pinVersion: view.pinVersion });
        this.setState('pin_expired');
      }
    }
    // Expired: wait, without a deadline, for the holder's next access and its regeneration.
    await condition(activatedAgain);
    await condition(allHandlersFinished);
    const next: ActiveCycle = {
      state: 'active',
      pinVersion: view.pinVersion,
      pinType: view.pinType,
      pinExpiresAt: view.pinExpiresAt!,
      cycle: view.cycle ?? 1,
      ...(view.conversion ? { conversion: view.conversion } : {}),
    };
    return continueAsNew<typeof pinCredentialWorkflow>({ ...this.input, access, resume: next, ...(view.channel ? { channel: view.channel } : {}) });
  }

  // ---- conversion to dispositivo ----

  private refuseConversion(caseId: string): void {
    const { view } = this;
    if (!caseId) throw ApplicationFailure.nonRetryable('caseId is required', 'VALIDATION');
    if (this.interrupting || !CONVERTIBLE.includes(view.state)) throw ApplicationFailure.nonRetryable('NOT_ALLOWED_NOW', 'CONFLICT');
    if (view.pinType === 'dispositivo') throw ApplicationFailure.nonRetryable('ALREADY_DISPOSITIVO', 'CONFLICT');
    if (view.conversion?.status === 'in_review' && view.conversion.caseId !== caseId) throw ApplicationFailure.nonRetryable('REVIEW_IN_PROGRESS', 'CONFLICT');
  }

  private async requestConversion(caseId: string): Promise<{ caseId: string }> {
    const { view } = this;
    this.refuseConversion(caseId);
    if (view.conversion?.caseId === caseId) return { caseId }; // a retried request
    view.conversion = { caseId, status: 'in_review' };
    const reviewInput: ReviewInput = { caseId, credentialId: this.credentialId, escalateAfterWorkingDays: this.review.escalateAfterWorkingDays };
    // Abandoned, not terminated, when this run continues as new: the review goes on and
    // reports its decision by signal to whichever run is current.
    await startChild<typeof conversionReviewWorkflow>(REVIEW_WORKFLOW_TYPE, {
      workflowId: reviewWorkflowId(caseId),
      args: [reviewInput],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    return { caseId };
  }

  private async conversionDecided(outcome: ReviewOutcome): Promise<void> {
    try {
      await this.actOnDecision(outcome);
    } catch (err) {
      // The activity found no such decision in the case row: not the review's signal. Nothing changed.
      if (isForbidden(err)) return;
      throw err;
    }
  }

  private async actOnDecision({ caseId, decision, reason }: ReviewOutcome): Promise<void> {
    const { credentialId, view } = this;
    if (view.state === 'revoked') return;
    if (decision === 'approved') {
      const converted = await db.convertToDispositivo({ credentialId, caseId });
      view.pinType = 'dispositivo';
      publishState(view);
      view.conversion = { caseId, status: 'approved' };
      await this.releaseClaims(converted.releasedClaimIds);
      await deliverAll(converted.outboxIds);
    } else {
      const closed = await db.closeRejectedConversion({ credentialId, caseId, reason: reason ?? '' });
      view.conversion = { caseId, status: 'rejected' };
      await deliverAll(closed.outboxIds);
    }
  }

  /** Signals each released claim's workflow; one not started yet reads its status when it starts. */
  private async releaseClaims(claimIds: string[]): Promise<void> {
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
  }

  // ---- interrupts: revocation and re-issue ----

  private refuseInterrupt(): void {
    if (this.interrupting || this.activating || !REVOCABLE.includes(this.view.state)) throw ApplicationFailure.nonRetryable('NOT_ALLOWED_NOW', 'CONFLICT');
  }

  /** Tells the workflow of each delegation this credential gave that its delegator's PIN is revoked. */
  private async endDelegations(delegationIds: string[]): Promise<void> {
    for (const delegationId of delegationIds) {
      try {
        await getExternalWorkflowHandle(delegationWorkflowId(delegationId)).signal(delegatorRevokedSignal, { credentialId: this.credentialId });
      } catch {
        // Already ended (its timer ran out): nothing to tell.
      }
    }
  }

  /** Tells the workflow of each claim held for this PIN that it is cancelled. */
  private async cancelClaims(claimIds: string[]): Promise<void> {
    for (const claimId of claimIds) {
      try {
        await getExternalWorkflowHandle(claimWorkflowId(claimId)).signal(cancelClaimSignal);
      } catch {
        // Not running: when it starts it reads 'cancelled' from its row.
      }
    }
  }

  private async revoke({ requestedBy, reason, grant }: RequestOf<typeof revokeCredentialUpdate>): Promise<{ revokedAt: string }> {
    const { view } = this;
    this.refuseInterrupt();
    this.interrupting = true;
    let revoked: Awaited<ReturnType<typeof db.revokeCredential>>;
    try {
      revoked = await db.revokeCredential({ credentialId: this.credentialId, requestedBy, reason, ...(grant ? { grant } : {}) });
    } catch (err) {
      // Refused (an unproven authority) or failed: nothing changed, and later requests are heard.
      this.interrupting = false;
      throw err;
    }
    view.revokedAt = revoked.revokedAt;
    this.setState('revoked');
    this.interrupt = { kind: 'revoke', outboxIds: revoked.outboxIds, delegationIds: revoked.delegationIds, cancelledClaimIds: revoked.cancelledClaimIds ?? [] };
    this.life.cancel();
    return { revokedAt: revoked.revokedAt };
  }

  private async reissue({ requestedBy, reason, pinType, requestKey, grant }: RequestOf<typeof reissuePinUpdate>): Promise<{ pinVersion: number }> {
    const { view } = this;
    this.refuseInterrupt();
    this.interrupting = true;
    let superseded: Awaited<ReturnType<typeof db.supersedeForReissue>>;
    try {
      superseded = await db.supersedeForReissue({
        credentialId: this.credentialId,
        requestedBy,
        reason,
        pinType: pinType ?? view.pinType,
        ...(requestKey ? { requestKey } : {}),
        ...(grant ? { grant, requestedPinType: pinType ?? '' } : {}),
      });
    } catch (err) {
      this.interrupting = false;
      throw err;
    }
    view.pinType = superseded.pinType;
    await this.releaseClaims(superseded.releasedClaimIds);
    this.interrupt = { kind: 'reissue', next: { reason, pinType: superseded.pinType, pinVersion: superseded.pinVersion, cycle: view.cycle ?? 0 } };
    this.life.cancel();
    return { pinVersion: superseded.pinVersion };
  }
}
