/**
 * Messages, inputs and views of the credential workflow. The API imports this module (never the
 * workflow bodies), so it holds only definitions and plain types.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

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
}

export const DEFAULT_ISSUANCE_POLICY: IssuancePolicy = {
  firstAccessDeadline: '60 days',
  reminderAfter: '15 days',
  maxResendsInWindow: 4,
  resendWindow: '30 days',
  minResendInterval: '24 hours',
  simplifiedProcedure: false,
  firstHalfAlertAfter: '12 hours',
};

/** Life of the personal 8-character PIN (DESIGN §2 "Expiry"). */
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
}

export interface CredentialWorkflowInput {
  /** Pseudonymous id: the workflow id is `pin-<credentialId>`; no personal data in ids. */
  credentialId: string;
  policy: IssuancePolicy;
  /** Absent in runs started before access existed: the defaults apply. */
  access?: AccessPolicy;
  /** Set by continue-as-new: each PIN cycle is a fresh run with a short history. */
  resume?: ActiveCycle;
}

export type CredentialState =
  | 'requested'
  | 'issuing'
  | 'awaiting_letter_dispatch'
  | 'awaiting_first_access'
  | 'active'
  | 'pin_expired'
  | 'expired'
  | 'revoked';

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

export const credentialWorkflowId = (credentialId: string): string => `pin-${credentialId}`;

/** Mail-room batch closing, run daily by a schedule or by an operator. */
export interface MailRoomBatchInput {
  /** `YYYY-MM-DD`; absent when run by the daily schedule, meaning "today in Rome". */
  batchDate?: string;
  dispatchedBy: string;
}
export const mailRoomWorkflowId = (batchDate: string): string => `mailroom-${batchDate}`;
export const MAILROOM_SCHEDULE_ID = 'mailroom-daily';

/** Workflow type names, for callers that start workflows without importing their bodies. */
export const CREDENTIAL_WORKFLOW_TYPE = 'pinCredentialWorkflow';
export const MAILROOM_WORKFLOW_TYPE = 'mailRoomBatchWorkflow';
