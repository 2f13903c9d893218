/**
 * Messages, inputs and views of the telephone-PIN workflow (`telpin-<telephonePinId>`). The API
 * imports this module, never the workflow body, so it holds only definitions and plain types.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/** The four validities a citizen can choose. */
export type TelephonePinValidity = '1d' | '1w' | '1m' | '3m';
export const TELEPHONE_PIN_VALIDITIES: readonly TelephonePinValidity[] = ['1d', '1w', '1m', '3m'];

/**
 * How long each validity lasts, as fixed durations: one month is 30 days and three months are
 * 90 days, not calendar months. A fixed length is the same for everybody whatever the start
 * date (no 31 January + 1 month question), needs no time zone, and is exactly what a workflow
 * timer measures; the exact `expiresAt` is shown to the citizen when the PIN is created.
 */
export const TELEPHONE_PIN_VALIDITY: Readonly<Record<TelephonePinValidity, string>> = {
  '1d': '1 day',
  '1w': '7 days',
  '1m': '30 days',
  '3m': '90 days',
};

export interface TelephonePinWorkflowInput {
  /** Pseudonymous id: the workflow id is `telpin-<telephonePinId>`; no codice fiscale in ids. */
  telephonePinId: string;
  validity: TelephonePinValidity;
  /** How long the PIN stays valid from the start; defaults to `TELEPHONE_PIN_VALIDITY[validity]`. */
  validFor?: string;
}

/** `revoking` lasts while the revocation's database write runs. */
export type TelephonePinState = 'active' | 'revoking' | 'revoked' | 'expired' | 'locked';

/** What the query returns: no secret, no personal data. */
export interface TelephonePinView {
  telephonePinId: string;
  validity: TelephonePinValidity;
  state: TelephonePinState;
  expiresAt: string;
  endedAt?: string;
}

export interface RevokeTelephonePinRequest {
  /** Who asked, e.g. `citizen`; recorded in the audit log. */
  revokedBy: string;
  /** The identity-broker assertion (jti) that authenticated the request, for the audit trail. */
  assertionId?: string;
}

export const telephonePinStateQuery = defineQuery<TelephonePinView>('telephonePinState');
/** The citizen revokes the PIN: an update, so the API answers only once it is revoked. */
export const revokeTelephonePinUpdate = defineUpdate<TelephonePinView, [RevokeTelephonePinRequest]>('revokeTelephonePin');
/** Sent by the API after too many wrong verifications locked the PIN (already written to the database). */
export const telephonePinLockedSignal = defineSignal('telephonePinLocked');

export const telephonePinWorkflowId = (telephonePinId: string): string => `telpin-${telephonePinId}`;

/** Workflow type name, for callers that start the workflow without importing its body. */
export const TELEPHONE_PIN_WORKFLOW_TYPE = 'telephonePinWorkflow';
