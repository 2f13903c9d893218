/**
 * Messages and views of a benefit claim's workflow (`claim-<claimId>`). A claim filed with an
 * ordinary PIN is received (its deadline stops) and held until the PIN becomes dispositivo; in
 * processing it waits for the back office's decision. The claimant may withdraw it before the
 * decision; it is cancelled when the credential it waits on is revoked.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export type ClaimStatus = 'received' | 'waiting_for_dispositivo' | 'in_processing' | ClaimEnd;

/** How a claim's life ends. */
export type ClaimEnd = 'accepted' | 'rejected' | 'withdrawn' | 'cancelled';
export const CLAIM_ENDS = ['accepted', 'rejected', 'withdrawn', 'cancelled'] as const satisfies readonly ClaimEnd[];

export interface ClaimInput {
  claimId: string;
  credentialId: string;
}

export interface ClaimView {
  claimId: string;
  status: ClaimStatus;
  releasedAt?: string;
  /** The decision's reason (a rejection always has one). */
  reason?: string;
}

export const claimStateQuery = defineQuery<ClaimView>('claimState');
/** Sent by the credential's workflow when the PIN became dispositivo (drained from `claim_releases`). */
export const releaseClaimSignal = defineSignal('releaseClaim');
/** Sent by the credential's workflow when it was revoked: the claim held for it is cancelled (the row says so already). */
export const cancelClaimSignal = defineSignal('cancelClaim');

/** The API's HMAC over who decides, on which claim, what (lib/authority.ts); checked by the activity. */
export interface ClaimGrant {
  keyId: number;
  issuedAt: string;
  mac: string;
}

/** The back office decides a claim in processing: accepted, or rejected with a reason. */
export const decideClaimUpdate = defineUpdate<ClaimView, [{ decision: 'accepted' | 'rejected'; reason?: string; staffId: string; role: string; grant?: ClaimGrant }]>('decideClaim');

/** The claimant withdraws the claim before a decision. */
export const withdrawClaimUpdate = defineUpdate<ClaimView, [{ by: string }]>('withdrawClaim');

export const claimWorkflowId = (claimId: string): string => `claim-${claimId}`;
export const CLAIM_WORKFLOW_TYPE = 'benefitClaimWorkflow';
