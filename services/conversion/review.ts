/**
 * The clerks' review of conversion cases: the queue and a case's detail (reads), and the claim,
 * decision and second review (updates to the case's review workflow, which checks the reviewer's
 * role and records the decision).
 */
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import type { ServiceDeps } from '../deps';
import { DomainError, ErrorType } from '../../domain/errors';
import { claimCaseUpdate, decideCaseUpdate, reviewWorkflowId, secondReviewUpdate, type ReviewView } from '../../workflows/review-definitions';
import { type StaffPrincipal } from '../staff/auth';
import { grantAuthority } from '../../lib/authority';
import { DECISION_NOTE_MAX, REJECTION_REASON_CODES, rejectionText, type RejectionReasonCode } from '../../domain/review-reasons';

/** `reason` of a case the credential's workflow refused to open (services/conversion/conversions.ts): no clerk's decision. */
const SYSTEM_CLOSED = 'refused_by_workflow';

const REVIEW_STATUSES = ['open', 'claimed', 'awaiting_second_review', 'approved', 'rejected'] as const;

export const READERS = ['clerk', 'supervisor', 'admin'] as const;

export const REVIEWERS = ['clerk', 'supervisor'] as const;

export const reviewQueueQuery = z.strictObject({
  status: z.enum(REVIEW_STATUSES).optional(),
  escalated: z.enum(['true', 'false']).optional(),
  mine: z.enum(['true', 'false']).optional(),
});

export const caseIdParams = z.strictObject({ caseId: z.guid() });

/**
 * A decision's reason: a rejection picks `reasonCode` from the list (domain/review-reasons.ts),
 * whose text the citizen is told in their language; `note` is for the staff only (required with
 * "other"). `reason`, the free text of the API before reason codes, is still accepted: it is
 * taken as the note (and, for a rejection without a code, as "other").
 */
const reasonFields = {
  reasonCode: z.enum(REJECTION_REASON_CODES).optional(),
  note: z.string().trim().max(DECISION_NOTE_MAX).optional(),
  reason: z.string().trim().max(DECISION_NOTE_MAX).optional(),
};

const issue = (path: string, it: string, en: string) => ({ code: 'custom' as const, path: [path], message: en, params: { message: { it, en } } });

function checkReason(rejecting: boolean, b: { reasonCode?: string; note?: string; reason?: string }, ctx: z.RefinementCtx): void {
  if (b.note !== undefined && b.reason !== undefined) ctx.addIssue(issue('reason', 'Usa solo «note» (al posto di «reason»).', 'Use only “note” (instead of “reason”).'));
  const note = b.note || b.reason;
  if (!rejecting) {
    if (b.reasonCode !== undefined) ctx.addIssue(issue('reasonCode', 'Un motivo di rifiuto si indica solo per respingere.', 'A rejection reason goes with a rejection only.'));
  } else if (b.reasonCode === undefined && !b.reason) {
    ctx.addIssue(issue('reasonCode', 'Scegli il motivo del rifiuto.', 'Choose the reason for the rejection.'));
  } else if (b.reasonCode === 'other' && !note) {
    ctx.addIssue(issue('note', 'Con «Altro motivo» scrivi una nota che spieghi il rifiuto.', 'With “Another reason”, write a note that explains the rejection.'));
  }
}

export const decisionBody = z.strictObject({ decision: z.enum(['approve', 'reject']), ...reasonFields }).superRefine((b, ctx) => checkReason(b.decision === 'reject', b, ctx));

export const secondReviewBody = z.strictObject({ decision: z.enum(['confirm', 'reject']), ...reasonFields }).superRefine((b, ctx) => checkReason(b.decision === 'reject', b, ctx));

/** The reason as the review workflow takes it: a code (legacy free text alone: "other") and the note. */
function decisionReason(rejecting: boolean, b: { reasonCode?: RejectionReasonCode; note?: string; reason?: string }): { reasonCode?: RejectionReasonCode; note?: string } {
  const note = b.note || b.reason || undefined;
  // Free text alone is a rejection of the API before reason codes: "other", with the text as its note.
  const reasonCode = rejecting ? (b.reasonCode ?? (b.reason ? 'other' : undefined)) : undefined;
  return { ...(reasonCode ? { reasonCode } : {}), ...(note ? { note } : {}) };
}

export interface CaseRow {
  id: string;
  credential_id: string;
  source: string;
  status: string;
  high_risk: boolean;
  risk_flags: string[];
  second_review_required: boolean;
  claimed_by: string | null;
  first_decision_by: string | null;
  decided_by: string | null;
  reason: string | null;
  reason_code: RejectionReasonCode | null;
  note: string | null;
  escalate_at: Date | null;
  escalated_at: Date | null;
  created_at: Date;
  decided_at: Date | null;
  codice_fiscale: string;
  holder: { name: string; surname: string };
}

const CASE_COLUMNS = `r.id, r.credential_id, r.source, r.status, r.high_risk, r.risk_flags, r.second_review_required, r.claimed_by,
  r.first_decision_by, r.decided_by, r.reason, r.reason_code, r.note, r.escalate_at, r.escalated_at, r.created_at, r.decided_at, c.codice_fiscale, c.holder`;

/** A case as staff screens show it; `secondsToEscalation` is negative once overdue. */
function caseView(row: CaseRow, now: Date) {
  // The free text of a decision made before reason codes; not the marker of a case the system closed.
  const legacy = row.reason === SYSTEM_CLOSED ? null : row.reason;
  return {
    caseId: row.id,
    credentialId: row.credential_id,
    source: row.source,
    status: row.status,
    highRisk: row.high_risk,
    riskFlags: row.risk_flags,
    secondReviewRequired: row.second_review_required,
    claimedBy: row.claimed_by,
    firstDecisionBy: row.first_decision_by,
    decidedBy: row.decided_by,
    /** A rejection's reason in Italian (the code's text, or the free text of a decision made before codes). */
    reason: row.status === 'rejected' ? (rejectionText(row.reason_code, legacy)?.it ?? null) : null,
    reasonCode: row.reason_code,
    /** The clerk's note for the staff (before reason codes: an approval's free text). */
    note: row.note ?? (row.status === 'rejected' ? null : legacy),
    codiceFiscale: row.codice_fiscale,
    holder: `${row.holder.name} ${row.holder.surname}`,
    createdAt: row.created_at.toISOString(),
    decidedAt: row.decided_at?.toISOString() ?? null,
    escalateAt: row.escalate_at?.toISOString() ?? null,
    escalatedAt: row.escalated_at?.toISOString() ?? null,
    secondsToEscalation: row.escalate_at && !row.decided_at ? Math.round((row.escalate_at.getTime() - now.getTime()) / 1000) : null,
  };
}

export const caseNotFound = () => new DomainError(ErrorType.NotFound, { it: 'Pratica non trovata.', en: 'Case not found.' });

/** Reads for the queue and the case page (also used by the console). */
export function createReviewReads(deps: Pick<ServiceDeps, 'now' | 'pool'>) {
  const now = () => deps.now?.() ?? new Date();
  return {
    async queue(filter: z.infer<typeof reviewQueueQuery>, staff: StaffPrincipal) {
      const statuses = filter.status ? [filter.status] : ['open', 'claimed', 'awaiting_second_review'];
      const { rows } = await deps.pool.query<CaseRow>(
        `SELECT ${CASE_COLUMNS} FROM review_cases r JOIN credentials c ON c.id = r.credential_id
          WHERE r.status = ANY($1::text[])
            AND ($2::boolean IS NULL OR (r.escalated_at IS NOT NULL) = $2::boolean)
            AND ($3::text IS NULL OR r.claimed_by = $3::text)
            AND coalesce(r.reason, '') <> '${SYSTEM_CLOSED}'
          ORDER BY r.escalate_at NULLS LAST, r.created_at LIMIT 200`,
        [statuses, filter.escalated === undefined ? null : filter.escalated === 'true', filter.mine === 'true' ? staff.staffId : null],
      );
      return rows.map((row) => caseView(row, now()));
    },
    async detail(caseId: string) {
      const { rows } = await deps.pool.query<CaseRow>(`SELECT ${CASE_COLUMNS} FROM review_cases r JOIN credentials c ON c.id = r.credential_id WHERE r.id = $1::uuid`, [caseId]);
      if (!rows[0]) throw caseNotFound();
      const docs = await deps.pool.query<{ id: string; kind: string; media_type: string; size_bytes: number; display_name: string; created_at: Date }>(
        'SELECT id, kind, media_type, size_bytes, display_name, created_at FROM documents WHERE case_id = $1::uuid ORDER BY created_at',
        [caseId],
      );
      return {
        ...caseView(rows[0], now()),
        documents: docs.rows.map((d) => ({
          documentId: d.id,
          kind: d.kind,
          mediaType: d.media_type,
          sizeBytes: d.size_bytes,
          name: d.display_name,
          uploadedAt: d.created_at.toISOString(),
        })),
      };
    },
  };
}

/** The review actions, as the API and the console call them. */
export function createReviewActions(deps: Pick<ServiceDeps, 'pool' | 'temporal' | 'secrets'>) {
  const workflow = (caseId: string) => deps.temporal.workflow.getHandle(reviewWorkflowId(caseId));
  /** A decided case's workflow has ended: say "decided" (409), not "not found". */
  const handle = (caseId: string) => ({
    async executeUpdate<Ret, Args extends [unknown, ...unknown[]]>(def: UpdateDefinition<Ret, Args>, opts: { args: Args }): Promise<Ret> {
      const { rows } = await deps.pool.query<{ status: string }>('SELECT status FROM review_cases WHERE id = $1::uuid', [caseId]);
      if (!rows[0]) throw caseNotFound();
      if (rows[0].status === 'approved' || rows[0].status === 'rejected') {
        throw new DomainError(ErrorType.Conflict, { it: 'La pratica è già stata decisa.', en: 'The case has already been decided.' }, [], { reason: 'CASE_CLOSED' });
      }
      return workflow(caseId).executeUpdate(def, opts);
    },
  });
  /** The authenticated staff member as the workflow receives them, with the API's grant for this command. */
  const reviewer = (staff: StaffPrincipal, caseId: string, command: string) => {
    if (!deps.secrets) throw new DomainError(ErrorType.Unavailable, { it: 'Servizio non configurato.', en: 'Service not configured.' });
    return { staffId: staff.staffId, role: staff.role, grant: grantAuthority(deps.secrets, { actor: `staff:${staff.staffId}`, role: staff.role, target: caseId, action: command }) };
  };
  return {
    claim: (caseId: string, staff: StaffPrincipal): Promise<ReviewView> => handle(caseId).executeUpdate(claimCaseUpdate, { args: [{ reviewer: reviewer(staff, caseId, 'claim') }] }),
    decide: (caseId: string, staff: StaffPrincipal, body: z.infer<typeof decisionBody>): Promise<ReviewView> =>
      handle(caseId).executeUpdate(decideCaseUpdate, {
        args: [{ reviewer: reviewer(staff, caseId, `decide:${body.decision}`), decision: body.decision, ...decisionReason(body.decision === 'reject', body) }],
      }),
    secondReview: (caseId: string, staff: StaffPrincipal, body: z.infer<typeof secondReviewBody>): Promise<ReviewView> =>
      handle(caseId).executeUpdate(secondReviewUpdate, {
        args: [{ reviewer: reviewer(staff, caseId, `second_review:${body.decision}`), decision: body.decision, ...decisionReason(body.decision === 'reject', body) }],
      }),
  };
}

