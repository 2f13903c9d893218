/**
 * Messages, inputs and views of the delegation workflow (`delegation-<delegationId>`). The API
 * imports this module, never the workflow body. No personal data: ids and times only.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export type DelegationScope = 'consult' | 'consult_and_claims';

export interface DelegationInput {
  delegationId: string;
  /**
   * The delegator's credential: the only citizen who may revoke through this workflow. Absent
   * for a delegation registered at an office, which is bound to the person identified there
   * (the API matches the delegator's codice fiscale before asking).
   */
  delegatorCredentialId?: string;
  /** When the delegation ends by itself (ISO instant: midnight, Rome time, after the end date). */
  endsAt: string;
  /**
   * Days the delegate has to accept a new delegation (the consent step, docs/decisions/0022);
   * never past `endsAt`. Default `DELEGATION_ACCEPTANCE_DAYS`.
   */
  acceptWithinDays?: number;
  /**
   * The acceptance deadline as stored (ISO instant); when given it wins over `acceptWithinDays`,
   * so the notices, the lapse timer and the API's check agree whatever the worker's delay.
   */
  acceptBy?: string;
}

/** Days a delegate has to accept a delegation before it lapses, unless the input says otherwise. */
export const DELEGATION_ACCEPTANCE_DAYS = 30;

/**
 * `pending`: waiting for the delegate's consent; `accepting`: the acceptance is being written;
 * `ending`: the end is being written to the database. `declined` by the delegate, `lapsed` when
 * not accepted in time.
 */
export type DelegationState = 'pending' | 'accepting' | 'active' | 'ending' | 'expired' | 'revoked' | 'declined' | 'lapsed';

export interface DelegationView {
  delegationId: string;
  state: DelegationState;
  endsAt: string;
  /** Until when a pending delegation may be accepted. */
  acceptBy?: string;
  /** The credential of the delegate who accepted it. */
  acceptedBy?: string;
  endedAt?: string;
}

/**
 * Who revokes: the delegator (by credential), the delegate (by the credential they logged in
 * with) or a clerk (by staff id), as the API authenticated them.
 */
export type DelegationRevoker = { kind: 'delegator'; credentialId: string } | { kind: 'delegate'; credentialId: string } | { kind: 'clerk'; staffId: string };

export const delegationStateQuery = defineQuery<DelegationView>('delegationState');
/** Revocation: an update, so the API answers once the end is written; refused once ended. */
export const revokeDelegationUpdate = defineUpdate<DelegationView, [{ requestedBy: DelegationRevoker }]>('revokeDelegation');
/** The delegate (their credential, as the API authenticated them) accepts a pending delegation. */
export const acceptDelegationUpdate = defineUpdate<DelegationView, [{ delegateCredentialId: string }]>('acceptDelegation');
/** The delegate declines a pending delegation: it ends, both are told. */
export const declineDelegationUpdate = defineUpdate<DelegationView, [{ delegateCredentialId: string }]>('declineDelegation');

/**
 * The delegator's credential was revoked (sent by its workflow): the delegation ends with it, and
 * both are told. A new PIN of the same person does not bring it back (docs/decisions/0018).
 */
export const delegatorRevokedSignal = defineSignal<[{ credentialId: string }]>('delegatorRevoked');

export const delegationWorkflowId = (delegationId: string): string => `delegation-${delegationId}`;
export const DELEGATION_WORKFLOW_TYPE = 'delegationWorkflow';
