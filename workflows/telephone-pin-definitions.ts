/**
 * Messages, inputs and views of the telephone-PIN workflow (`telpin-<telephonePinId>`). The API
 * imports this module, never the workflow body, so it holds only definitions and plain types.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/** The four validities a citizen can choose. */
export type TelephonePinValidity = '1d' | '1w' | '1m' | '3m';
export const TELEPHONE_PIN_VALIDITIES: readonly TelephonePinValidity[] = ['1d', '1w', '1m', '3m'];

/**
 * A fallback length per validity, for a start that gives no `validFor`. The API always gives
 * one: it adds calendar days and months on the Italian calendar in the database (a month from
 * 31 January ends on the last day of February) and passes the exact length in milliseconds, so
 * the timer ends the PIN when the database says it ends.
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
  /** The citizen's identity session (its id, never its token) that asked, for the audit trail. */
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
