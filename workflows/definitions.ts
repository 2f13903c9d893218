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

export interface CredentialWorkflowInput {
  /** Pseudonymous id: the workflow id is `pin-<credentialId>`; no personal data in ids. */
  credentialId: string;
  policy: IssuancePolicy;
}

export type CredentialState =
  | 'requested'
  | 'issuing'
  | 'awaiting_letter_dispatch'
  | 'awaiting_first_access'
  | 'active'
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
