/**
 * Messages and views of a benefit claim's workflow (`claim-<claimId>`). A claim filed with an
 * ordinary PIN is received (its deadline stops) and held until the PIN becomes dispositivo.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export type ClaimStatus = 'received' | 'waiting_for_dispositivo' | 'in_processing';

export interface ClaimInput {
  claimId: string;
  credentialId: string;
}

export interface ClaimView {
  claimId: string;
  status: ClaimStatus;
  releasedAt?: string;
}

export const claimStateQuery = defineQuery<ClaimView>('claimState');
/** Sent by the credential's workflow when the PIN became dispositivo (drained from `claim_releases`). */
export const releaseClaimSignal = defineSignal('releaseClaim');

export const claimWorkflowId = (claimId: string): string => `claim-${claimId}`;
export const CLAIM_WORKFLOW_TYPE = 'benefitClaimWorkflow';
