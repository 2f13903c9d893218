/**
 * Messages, inputs and views of the delegation workflow (`delegation-<delegationId>`). The API
 * imports this module, never the workflow body. No personal data: ids and times only.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export type DelegationScope = 'consult' | 'consult_and_claims';

export interface DelegationInput {
  delegationId: string;
  /** The delegator's credential: the only citizen who may revoke through this workflow. */
  delegatorCredentialId: string;
  /** When the delegation ends by itself (ISO instant: midnight, Rome time, after the end date). */
  endsAt: string;
}

/** `ending`: the end is being written to the database. */
export type DelegationState = 'active' | 'ending' | 'expired' | 'revoked';

export interface DelegationView {
  delegationId: string;
  state: DelegationState;
  endsAt: string;
  endedAt?: string;
}

/** Who revokes: the delegator (by credential) or a clerk (by staff id), as the API authenticated them. */
export type DelegationRevoker = { kind: 'delegator'; credentialId: string } | { kind: 'clerk'; staffId: string };

export const delegationStateQuery = defineQuery<DelegationView>('delegationState');
/** Revocation: an update, so the API answers once the end is written; refused once ended. */
export const revokeDelegationUpdate = defineUpdate<DelegationView, [{ requestedBy: DelegationRevoker }]>('revokeDelegation');

/**
 * The delegator's credential was revoked (sent by its workflow): the delegation ends with it, and
 * both are told. A new PIN of the same person does not bring it back (docs/decisions/0018).
 */
export const delegatorRevokedSignal = defineSignal<[{ credentialId: string }]>('delegatorRevoked');

export const delegationWorkflowId = (delegationId: string): string => `delegation-${delegationId}`;
export const DELEGATION_WORKFLOW_TYPE = 'delegationWorkflow';
