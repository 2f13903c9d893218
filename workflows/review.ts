/**
 * The review of one conversion request (`review-<caseId>`), a child of the credential's
 * workflow. A clerk claims the case and approves or rejects it with a reason; some cases (high
 * risk, or sampled) need a second, different clerk to confirm an approval. A case unclaimed or
 * undecided for 5 working days goes to a supervisor and the citizen is told it is in progress.
 * The parent applies the outcome (the PIN becomes dispositivo, held claims are released).
 */
import { ApplicationFailure, allHandlersFinished, condition, getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';
import { db } from './activity-proxies';
import { deliverAll } from './deliveries';
import { addWorkingDays } from '../domain/working-days';
import { decisionReasonProblem } from '../domain/review-reasons';
import { conversionDecidedSignal, credentialWorkflowId } from './definitions';
import {
  REVIEWER_ROLES,
  ReviewRefusal,
  claimCaseUpdate,
  decideCaseUpdate,
  reviewStateQuery,
  secondReviewUpdate,
  type DecisionReason,
  type ReviewInput,
  type ReviewOutcome,
  type ReviewView,
  type Reviewer,
} from './review-definitions';



const refuse = (message: string, type: string): never => {
  throw ApplicationFailure.nonRetryable(message, type);
};

export async function conversionReviewWorkflow(input: ReviewInput): Promise<ReviewOutcome> {
  const { caseId } = input;
  const view: ReviewView = { caseId, status: 'open', secondReviewRequired: false };
  /** An action whose activity is still running: the next one waits for it to land. */
  let busy = false;
  const final = () => view.status === 'approved' || view.status === 'rejected';

  const checkReviewer = (reviewer: Reviewer) => {
    if (!(REVIEWER_ROLES as readonly string[]).includes(reviewer.role) || !reviewer.staffId) refuse('WRONG_ROLE', ReviewRefusal.WrongRole);
    if (final()) refuse('CASE_CLOSED', ReviewRefusal.Closed);
    if (busy) refuse('CASE_BUSY', ReviewRefusal.Closed);
  };
  const checkClaim = ({ reviewer }: { reviewer: Reviewer }) => {
    checkReviewer(reviewer);
    if (view.status === 'awaiting_second_review') refuse('AWAITING_SECOND_REVIEW', ReviewRefusal.Closed);
    // A supervisor may take over a claimed case (escalation); a clerk only takes a free one.
    if (view.status === 'claimed' && view.claimedBy !== reviewer.staffId && reviewer.role !== 'supervisor') refuse('ALREADY_CLAIMED', ReviewRefusal.NotClaimant);
  };
  // A rejection needs a reason code ("other" also a note), or the free text of a decision sent
  // before the codes: every decision an earlier version accepted is accepted again on replay.
  const checkReason = (rejecting: boolean, given: DecisionReason) => {
    const problem = decisionReasonProblem(rejecting, given);
    if (problem) refuse(problem, ReviewRefusal.ReasonRequired);
  };
  const checkDecision = ({ reviewer, decision, ...given }: { reviewer: Reviewer; decision: string } & DecisionReason) => {
    checkReviewer(reviewer);
    if (view.status !== 'claimed' || view.claimedBy !== reviewer.staffId) refuse('NOT_CLAIMED_BY_YOU', ReviewRefusal.NotClaimant);
    if (decision !== 'approve' && decision !== 'reject') refuse('BAD_DECISION', ReviewRefusal.ReasonRequired);
    checkReason(decision === 'reject', given);
  };
  const checkSecond = ({ reviewer, decision, ...given }: { reviewer: Reviewer; decision: string } & DecisionReason) => {
    checkReviewer(reviewer);
    if (view.status !== 'awaiting_second_review') refuse('NO_SECOND_REVIEW_PENDING', ReviewRefusal.Closed);
    if (reviewer.staffId === view.firstDecisionBy) refuse('SAME_REVIEWER', ReviewRefusal.SameReviewer);
    if (decision !== 'confirm' && decision !== 'reject') refuse('BAD_DECISION', ReviewRefusal.ReasonRequired);
    checkReason(decision === 'reject', given);
  };
  /**
   * The code and the note as recorded: nothing when absent, so a decision of a history made
   * before the codes schedules its activity with the same input as then.
   */
  const coded = ({ reasonCode, note }: DecisionReason, rejecting: boolean): { reasonCode?: string; note?: string } => {
    const trimmed = note?.trim();
    return { ...(rejecting && reasonCode ? { reasonCode } : {}), ...(trimmed ? { note: trimmed } : {}) };
  };

  /** Runs one accepted action: checked again (two updates can pass the validator), then recorded. */
  const act = async (check: () => void, apply: () => Promise<void>): Promise<ReviewView> => {
    check();
    busy = true;
    try {
      await apply();
    } finally {
      busy = false;
    }
    return view;
  };

  setHandler(reviewStateQuery, () => view);
  setHandler(
    claimCaseUpdate,
    (args) =>
      act(
        () => checkClaim(args),
        async () => {
          await db.recordReviewAction({ caseId, action: 'claim', staffId: args.reviewer.staffId, authority: { role: args.reviewer.role, command: 'claim', grant: args.reviewer.grant } });
          view.status = 'claimed';
          view.claimedBy = args.reviewer.staffId;
        },
      ),
    { validator: checkClaim },
  );
  setHandler(
    decideCaseUpdate,
    (args) =>
      act(
        () => checkDecision(args),
        async () => {
          const { reviewer, decision } = args;
          const reason = args.reason?.trim();
          const given = coded(args, decision === 'reject');
          if (decision === 'reject') {
            await db.recordReviewAction({ caseId, action: 'reject', staffId: reviewer.staffId, reason, ...given, authority: { role: reviewer.role, command: `decide:${decision}`, grant: reviewer.grant } });
            Object.assign(view, { status: 'rejected', decidedBy: reviewer.staffId, reason, ...given });
          } else if (view.secondReviewRequired) {
            await db.recordReviewAction({ caseId, action: 'first_approval', staffId: reviewer.staffId, reason, ...given, authority: { role: reviewer.role, command: `decide:${decision}`, grant: reviewer.grant } });
            Object.assign(view, { status: 'awaiting_second_review', firstDecisionBy: reviewer.staffId, ...given });
          } else {
            await db.recordReviewAction({ caseId, action: 'approve', staffId: reviewer.staffId, reason, ...given, authority: { role: reviewer.role, command: `decide:${decision}`, grant: reviewer.grant } });
            Object.assign(view, { status: 'approved', firstDecisionBy: reviewer.staffId, decidedBy: reviewer.staffId, ...given });
          }
        },
      ),
    { validator: checkDecision },
  );
  setHandler(
    secondReviewUpdate,
    (args) =>
      act(
        () => checkSecond(args),
        async () => {
          const { reviewer, decision } = args;
          const reason = args.reason?.trim();
          const given = coded(args, decision === 'reject');
          await db.recordReviewAction({
            caseId,
            action: decision === 'confirm' ? 'approve' : 'reject',
            staffId: reviewer.staffId,
            reason,
            ...given,
            authority: { role: reviewer.role, command: `second_review:${decision}`, grant: reviewer.grant },
          });
          Object.assign(view, { status: decision === 'confirm' ? 'approved' : 'rejected', decidedBy: reviewer.staffId, reason, ...given });
        },
      ),
    { validator: checkSecond },
  );

  const openedAt = Date.now();
  const escalateAt = addWorkingDays(openedAt, input.escalateAfterWorkingDays);
  view.openedAt = new Date(openedAt).toISOString();
  view.escalateAt = new Date(escalateAt).toISOString();
  const opened = await db.openReview({ caseId, escalateAt: view.escalateAt });
  view.secondReviewRequired = opened.secondReviewRequired;

  if (!(await condition(final, escalateAt - Date.now()))) {
    view.escalatedAt = new Date().toISOString();
    const { outboxIds } = await db.escalateReview({ caseId });
    await deliverAll(outboxIds);
    await condition(final);
  }
  await condition(allHandlersFinished);
  const outcome: ReviewOutcome = { caseId, decision: view.status === 'approved' ? 'approved' : 'rejected', ...(view.reason ? { reason: view.reason } : {}) };
  try {
    await getExternalWorkflowHandle(credentialWorkflowId(input.credentialId)).signal(conversionDecidedSignal, outcome);
  } catch {
    // The credential's life has ended (revoked): the case row keeps the decision.
  }
  return outcome;
}
