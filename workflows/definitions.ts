/**
 * Messages, inputs and views of the credential workflow. The API imports this module (never the
 * workflow bodies), so it holds only definitions and plain types.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ReviewOutcome } from './review-definitions';
import type { CredentialState } from '../domain/credential';

/** Policy durations are workflow inputs with the real defaults, so tests can shorten them. */
export interface IssuancePolicy {
  /** How long after the letter is dispatched the initial PIN stays usable. */
  firstAccessDeadline: string;
  /** When, after dispatch, the citizen is reminded and offered a new letter. */
  reminderAfter: string;
  /** New letters allowed in `resendWindow`. */
  maxResendsInWindow: number;
  resendWindow: string;
  /** Minimum time between two new letters. */
  minResendInterval: string;
  /** 2020 simplified procedure: the first half alone is accepted for the listed bonus claims. */
  simplifiedProcedure: boolean;
  /** Alert when the first half is not delivered within this time (simplified procedure). */
  firstHalfAlertAfter: string;
  /**
   * A request whose residence differs from the record waits this long for the call-back to
   * verify the requester, then is refused (absent in runs started before the call-back verified).
   */
  callbackWindow?: string;
  /** Calls nobody answered before the request is refused. */
  callbackMaxAttempts?: number;
}

export const DEFAULT_ISSUANCE_POLICY: IssuancePolicy = {
  firstAccessDeadline: '60 days',
  reminderAfter: '15 days',
  callbackWindow: '10 days',
  callbackMaxAttempts: 3,
  maxResendsInWindow: 4,
  resendWindow: '30 days',
  minResendInterval: '24 hours',
  simplifiedProcedure: false,
  firstHalfAlertAfter: '12 hours',
};

/**
 * Life of the personal 8-character PIN: it lasts a number of calendar months from its activation
 * (by default 6, 3 for an institutional intermediary), and the holder is reminded before it expires.
 */
export interface AccessPolicy {
  /** Calendar months a citizen's PIN lasts. */
  citizenPinValidityMonths: number;
  /** Calendar months an institutional intermediary's PIN lasts. */
  intermediaryPinValidityMonths: number;
  /** How long before expiry the holder is reminded. */
  expiryReminderBefore: string;
  /** A fixed validity instead of calendar months: for tests and drills, never set in production. */
  pinValidityOverride?: string;
}

export const DEFAULT_ACCESS_POLICY: AccessPolicy = {
  citizenPinValidityMonths: 6,
  intermediaryPinValidityMonths: 3,
  expiryReminderBefore: '14 days',
};

/** Where a continued-as-new run picks up: the credential is past issuance. */
export interface ActiveCycle {
  state: 'active' | 'pin_expired';
  pinVersion: number;
  pinType: 'ordinary' | 'dispositivo';
  pinExpiresAt: string;
  cycle: number;
  /** A conversion in review or decided, carried over so a second request is refused meanwhile. */
  conversion?: CredentialView['conversion'];
}

/** The review of a conversion request (docs/decisions/0012-conversion-review-claims.md). */
export interface ReviewPolicy {
  /** A case unclaimed or undecided for this many working days goes to a supervisor. */
  escalateAfterWorkingDays: number;
}

export const DEFAULT_REVIEW_POLICY: ReviewPolicy = { escalateAfterWorkingDays: 5 };

export type PinType = 'ordinary' | 'dispositivo';

/**
 * A new 16-character PIN whose halves both go to contact channels (first half by SMS, second
 * to the e-mail or PEC), no letter: recovery, and the contact centre's remote identification.
 */
export interface TwoChannelIssue {
  reason: 'recovery' | 'remote_identification';
  /** The PIN type the new PIN carries (remote identification makes it dispositivo). */
  pinType: PinType;
  /** Version of the new initial PIN. */
  pinVersion: number;
  /** PIN cycles already completed, carried over. */
  cycle: number;
}

export interface CredentialWorkflowInput {
  /** Pseudonymous id: the workflow id is `pin-<credentialId>`; no personal data in ids. */
  credentialId: string;
  policy: IssuancePolicy;
  /** Absent in runs started before access existed: the defaults apply. */
  access?: AccessPolicy;
  /** Absent in runs started before conversions existed: the defaults apply. */
  review?: ReviewPolicy;
  /** Set by continue-as-new: each PIN cycle is a fresh run with a short history. */
  resume?: ActiveCycle;
  /** Set by continue-as-new after a recovery or remote identification: issue over two channels. */
  twoChannel?: TwoChannelIssue;
  /** How the PIN was requested (online, contact_centre, counter), carried over for the `PinChannel` search attribute. */
  channel?: string;
}

/** The credential's states: one vocabulary with the database and the API (domain/credential.ts). */
export type { CredentialState } from '../domain/credential';

export type LetterState = 'queued' | 'dispatched' | 'returned' | 'void';

export interface LetterView {
  letterId: string;
  seq: number;
  state: LetterState;
  queuedAt: string;
  dispatchedAt?: string;
}

/** What the `state` query returns: no secrets, no personal data. */
export interface CredentialView {
  credentialId: string;
  state: CredentialState;
  pinType: 'ordinary' | 'dispositivo';
  pinVersion: number;
  firstHalf: { channel: 'sms' | 'email' | 'pec'; state: 'pending' | 'sent' }[];
  letters: LetterView[];
  addressMismatch: boolean;
  reminderSent: boolean;
  firstAccessDeadline?: string;
  simplifiedScope: boolean;
  /** When the personal PIN expires (after the first access). */
  pinExpiresAt?: string;
  expiryReminderSent?: boolean;
  /** PIN cycles completed (first access, then one per regeneration). */
  cycle?: number;
  /** The conversion to dispositivo in progress or last decided. */
  conversion?: { caseId: string; status: 'in_review' | 'approved' | 'rejected' };
  /** The residence call-back this request waits for or went through. */
  callback?: CallbackView;
  /** How the current initial PIN's halves travel. */
  delivery?: 'letter' | 'two_channel';
  /** How the PIN was requested: online, contact_centre, counter. */
  channel?: string;
  revokedAt?: string;
}

export interface LetterDispatched {
  letterId: string;
  dispatchedAt: string;
}

export interface NewLetterResult {
  letterId: string;
  seq: number;
}

export const credentialStateQuery = defineQuery<CredentialView>('state');
/** Sent by the mail room when the batch holding a letter is handed to the post. */
export const letterDispatchedSignal = defineSignal<[LetterDispatched]>('letterDispatched');
/** "I did not get my letter": a new letter with the same second half, within the limits. */
export const requestNewLetterUpdate = defineUpdate<NewLetterResult, [{ requestedBy: string }]>('requestNewLetter');

/**
 * The API has verified the initial PIN and stored the new personal PIN's hash as a pending
 * version; the workflow activates it. Carries a version number only, never a secret.
 */
export const completeFirstAccessUpdate = defineUpdate<{ pinExpiresAt: string }, [{ pinVersion: number }]>('completeFirstAccess');
/** Same for the guided regeneration after expiry: the new PIN keeps type and access. */
export const regeneratePinUpdate = defineUpdate<{ pinExpiresAt: string }, [{ pinVersion: number }]>('regeneratePin');

/**
 * A conversion request was stored (documents attached, case row written): the workflow opens
 * the review as a child workflow. Idempotent for the same case id.
 */
export const requestConversionUpdate = defineUpdate<{ caseId: string }, [{ caseId: string }]>('requestConversion');

/**
 * Sent by the review workflow when its case is decided. A signal, not the child's result: the
 * review outlives a continue-as-new of the credential's run, and a signal reaches the current run.
 */
export const conversionDecidedSignal = defineSignal<[ReviewOutcome]>('conversionDecided');

/**
 * Revocation (by the holder or the contact centre): the PIN and its sessions die at once and the
 * credential's life ends. Answers when the database says so, so a login right after is refused.
 */
/** The API's HMAC over who asks, on which credential, for what (lib/authority.ts); checked by the first activity. */
export interface CommandGrant {
  keyId: number;
  issuedAt: string;
  mac: string;
}

export const revokeCredentialUpdate = defineUpdate<{ revokedAt: string }, [{ requestedBy: string; reason: 'holder' | 'contact_centre' | 'staff'; grant?: CommandGrant }]>(
  'revokeCredential',
);

/**
 * Recovery or remote identification: the current PIN and its sessions die and a new
 * 16-character PIN is issued over two contact channels; then the first access applies again.
 */
export const reissuePinUpdate = defineUpdate<
  { pinVersion: number },
  [
    {
      requestedBy: string;
      reason: TwoChannelIssue['reason'];
      pinType?: PinType;
      /**
       * The request this re-issue answers (e.g. `recovery:<linkId>`): the database records the
       * re-issue under it, so a caller that lost the answer can see it happened and not ask twice.
       */
      requestKey?: string;
      grant?: CommandGrant;
    },
  ]
>('reissuePin');

/**
 * A dispatched letter came back to the sender: the half it carries is void (a new second half
 * replaces it, the first half stays) and a new letter goes out within the resend limits; past
 * them, operations are alerted instead.
 */
export const letterReturnedUpdate = defineUpdate<{ newLetter?: NewLetterResult; refusal?: string }, [{ letterId: string; recordedBy: string }]>(
  'letterReturned',
);

/** What an operator's call-back found: the requester verified, not verified, or not reached. */
export type CallbackOutcome = 'verified' | 'not_verified' | 'unreachable';
export const CALLBACK_OUTCOMES = ['verified', 'not_verified', 'unreachable'] as const satisfies readonly CallbackOutcome[];

export interface CallbackView {
  status: 'open' | 'verified' | 'refused';
  /** Calls recorded so far. */
  attempts: number;
  /** When the request is refused if still not verified. */
  deadline: string;
  /** The last call's outcome, or `expired` when the days ran out. */
  outcome?: CallbackOutcome | 'expired';
}

/**
 * A contact-centre operator records one call-back. A verified requester's letter goes to the
 * address confirmed on the call: the institute's record, or the residence the request declared;
 * until then no PIN exists. Not verified, or not reached after the allowed calls: refused.
 */
export const recordCallbackOutcomeUpdate = defineUpdate<
  CallbackView,
  [{ outcome: CallbackOutcome; address?: 'record' | 'declared'; staffId: string; note?: string; grant?: CommandGrant }]
>('recordCallbackOutcome');

export const credentialWorkflowId = (credentialId: string): string => `pin-${credentialId}`;

/** Mail-room batch closing, run daily by a schedule or by an operator. */
export interface MailRoomBatchInput {
  /** `YYYY-MM-DD`; absent when run by the daily schedule, meaning "today in Rome". */
  batchDate?: string;
  dispatchedBy: string;
}
export const mailRoomWorkflowId = (batchDate: string): string => `mailroom-${batchDate}`;

/** Where a batch's dispatch has got: closing, building the print file part by part, dispatching, done. */
export interface MailRoomProgress {
  phase: 'closing' | 'printing' | 'dispatching' | 'dispatched';
  batchDate?: string;
  /** Letters in the print file so far, of `total`. */
  done: number;
  total: number;
  /** Parts of 500 letters built, of `parts`. */
  partsDone: number;
  parts: number;
  /** When printing started (ISO), and the rate since then; time left at that rate. */
  startedAt?: string;
  lettersPerSecond?: number;
  secondsLeft?: number;
}
export const mailRoomProgressQuery = defineQuery<MailRoomProgress>('mailRoomProgress');
export const MAILROOM_SCHEDULE_ID = 'mailroom-daily';

/** Workflow type names, for callers that start workflows without importing their bodies. */
export const CREDENTIAL_WORKFLOW_TYPE = 'pinCredentialWorkflow';
export const MAILROOM_WORKFLOW_TYPE = 'mailRoomBatchWorkflow';
