/** A citizen's current conversion case, as the API and the portal show it. */
import { z } from 'zod';
import type { ServiceDeps } from '../deps';
import { REJECTION_REASON_CODES, rejectionText } from '../../domain/review-reasons';
import { bilingualSchema } from '../schemas/api';

export const conversionRequestBody = z.strictObject({ signedRequestDocumentId: z.guid(), identityDocumentId: z.guid() });

export const conversionCaseView = z.strictObject({
  caseId: z.guid(),
  status: z.enum(['open', 'claimed', 'awaiting_second_review', 'approved', 'rejected']),
  source: z.enum(['online', 'fax', 'office']),
  createdAt: z.iso.datetime(),
  decidedAt: z.iso.datetime().optional(),
  /** A rejection's reason in Italian (kept from before reason codes); `reasonText` has both languages. */
  reason: z.string().optional(),
  reasonCode: z.enum(REJECTION_REASON_CODES).optional(),
  reasonText: bilingualSchema.optional(),
});

/**
 * The latest conversion case of a credential as the citizen sees it (shared with the portal), or
 * undefined: cases the workflow refused never existed for the citizen; the status is the
 * case's own and the reason is shown only for a rejection.
 */
export async function currentConversionCase(deps: Pick<ServiceDeps, 'pool'>, credentialId: string): Promise<z.output<typeof conversionCaseView> | undefined> {
  const { rows } = await deps.pool.query<{ id: string; status: string; source: string; created_at: Date; decided_at: Date | null; reason: string | null; reason_code: string | null }>(
    `SELECT id, status, source, created_at, decided_at, reason, reason_code FROM review_cases WHERE credential_id = $1::uuid
      AND coalesce(reason, '') <> 'refused_by_workflow' ORDER BY created_at DESC LIMIT 1`,
    [credentialId],
  );
  const c = rows[0];
  if (!c) return undefined;
  // The citizen is told the reason's text, never the clerk's note.
  const said = c.status === 'rejected' ? rejectionText(c.reason_code, c.reason) : undefined;
  return conversionCaseView.parse({
    caseId: c.id,
    status: c.status,
    source: c.source,
    createdAt: c.created_at.toISOString(),
    ...(c.decided_at ? { decidedAt: c.decided_at.toISOString() } : {}),
    ...(said ? { reason: said.it, reasonText: said, ...(c.reason_code ? { reasonCode: c.reason_code } : {}) } : {}),
  });
}

