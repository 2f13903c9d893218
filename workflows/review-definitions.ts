/**
 * Messages and views of the conversion review (a child of the credential's workflow, one per
 * case, id `review-<caseId>`). The clerk's decisions are updates with validators: the caller
 * learns at once whether the action was accepted.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';

export type ReviewStatus = 'open' | 'claimed' | 'awaiting_second_review' | 'approved' | 'rejected';

/** Staff roles that may review (the API passes the authenticated staff member). */
export const REVIEWER_ROLES = ['clerk', 'supervisor'] as const;

export interface Reviewer {
  staffId: string;
  role: string;
  /**
   * The API's HMAC over who acts, on which case, doing what (lib/authority.ts): the activity that
   * records the action refuses it without a valid one, so a forged reviewer changes nothing.
   */
  grant?: { keyId: number; issuedAt: string; mac: string };
}

export interface ReviewInput {
  caseId: string;
  credentialId: string;
  /** Working days before an unclaimed or undecided case is escalated (real default: 5). */
  escalateAfterWorkingDays: number;
}

export interface ReviewView {
  caseId: string;
  status: ReviewStatus;
  secondReviewRequired: boolean;
  claimedBy?: string;
  firstDecisionBy?: string;
  decidedBy?: string;
  /** A rejection's reason, from the list (domain/review-reasons.ts). */
  reasonCode?: string;
  /** The clerk's note for the staff (never sent to the citizen). */
  note?: string;
  /** The free-text reason of a decision made before reason codes (migration 026). */
  reason?: string;
  /** When the case goes to a supervisor if still open. */
  escalateAt?: string;
  escalatedAt?: string;
  openedAt?: string;
}

/**
 * What a decision says besides approve/reject: a rejection's reason code and the clerk's note;
 * `reason` is the free text that decisions carried before reason codes, still accepted from a
 * client (or a history) of that time.
 */
export interface DecisionReason {
  reasonCode?: string;
  note?: string;
  reason?: string;
}

export interface ReviewOutcome {
  caseId: string;
  decision: 'approved' | 'rejected';
  reason?: string;
}

export const reviewStateQuery = defineQuery<ReviewView>('reviewState');
/** A clerk takes the case; a supervisor may take over a case claimed by someone else. */
export const claimCaseUpdate = defineUpdate<ReviewView, [{ reviewer: Reviewer }]>('claimCase');
/** The claiming clerk approves or rejects; a reason code is required to reject (and a note with "other"). */
export const decideCaseUpdate = defineUpdate<ReviewView, [{ reviewer: Reviewer; decision: 'approve' | 'reject' } & DecisionReason]>('decideCase');
/** A second, different clerk confirms (or overturns) an approval that needs a second review. */
export const secondReviewUpdate = defineUpdate<ReviewView, [{ reviewer: Reviewer; decision: 'confirm' | 'reject' } & DecisionReason]>('secondReview');

export const reviewWorkflowId = (caseId: string): string => `review-${caseId}`;
export const REVIEW_WORKFLOW_TYPE = 'conversionReviewWorkflow';

/** Failure types of refused review actions; the API maps them to 403 / 409 / 400. */
export const ReviewRefusal = {
  WrongRole: 'FORBIDDEN',
  Closed: 'CONFLICT',
  NotClaimant: 'CONFLICT',
  ReasonRequired: 'VALIDATION',
  SameReviewer: 'CONFLICT',
} as const;
