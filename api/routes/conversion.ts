/**
 * The citizen's conversion request (ordinary → dispositivo), after uploading the signed form and
 * an identity document (api/routes/conversion-documents.ts):
 *
 *   POST /api/conversion/requests          { signedRequestDocumentId, identityDocumentId } → 202 { caseId, status }
 *   GET  /api/conversion/requests/current  → 200 the latest case of the citizen's credential, or 404
 */
import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app';
import { requireCitizen, sessionContext } from '../../services/access/sessions';
import { DomainError, ErrorType } from '../../domain/errors';
import { openConversion } from '../../services/conversion/conversions';
import { parseInput } from '../../services/schemas/validate';

export const conversionRequestBody = z.strictObject({ signedRequestDocumentId: z.guid(), identityDocumentId: z.guid() });

export const conversionCaseView = z.strictObject({
  caseId: z.guid(),
  status: z.enum(['open', 'claimed', 'awaiting_second_review', 'approved', 'rejected']),
  source: z.enum(['online', 'fax', 'office']),
  createdAt: z.iso.datetime(),
  decidedAt: z.iso.datetime().optional(),
  reason: z.string().optional(),
});

/**
 * The latest conversion case of a credential as the citizen sees it (shared with the portal), or
 * undefined: cases the workflow refused never existed for the citizen; the status is the
 * case's own and the reason is shown only for a rejection.
 */
export async function currentConversionCase(deps: Pick<ApiDeps, 'pool'>, credentialId: string): Promise<z.output<typeof conversionCaseView> | undefined> {
  const { rows } = await deps.pool.query<{ id: string; status: string; source: string; created_at: Date; decided_at: Date | null; reason: string | null }>(
    `SELECT id, status, source, created_at, decided_at, reason FROM review_cases WHERE credential_id = $1::uuid
      AND coalesce(reason, '') <> 'refused_by_workflow' ORDER BY created_at DESC LIMIT 1`,
    [credentialId],
  );
  const c = rows[0];
  if (!c) return undefined;
  return conversionCaseView.parse({
    caseId: c.id,
    status: c.status,
    source: c.source,
    createdAt: c.created_at.toISOString(),
    ...(c.decided_at ? { decidedAt: c.decided_at.toISOString() } : {}),
    ...(c.status === 'rejected' && c.reason ? { reason: c.reason } : {}),
  });
}

export function conversionRoutes(deps: ApiDeps): Router {
  const r = Router();
  const ctx = sessionContext(deps);

  r.post('/conversion/requests', async (req, res) => {
    const citizen = await requireCitizen(ctx, req);
    if (citizen.scope === 'simplified') {
      throw new DomainError(ErrorType.Forbidden, {
        it: 'Per la conversione serve l\'accesso con il PIN completo.',
        en: 'The conversion needs a login with the full PIN.',
      });
    }
    const body = parseInput(conversionRequestBody, req.body);
    const opened = await openConversion(deps, {
      credentialId: citizen.credentialId,
      documentIds: [body.signedRequestDocumentId, body.identityDocumentId],
      source: 'online',
      createdBy: 'citizen',
    });
    res.status(202).json({
      ...opened,
      message: {
        it: 'Richiesta ricevuta: un operatore verificherà i documenti. Riceverà l\'esito per e-mail.',
        en: 'Request received: a clerk will check the documents. The outcome will reach you by e-mail.',
      },
    });
  });

  r.get('/conversion/requests/current', async (req, res) => {
    const citizen = await requireCitizen(ctx, req);
    const current = await currentConversionCase(deps, citizen.credentialId);
    if (!current) throw new DomainError(ErrorType.NotFound, { it: 'Nessuna richiesta di conversione.', en: 'No conversion request.' });
    res.json(current);
  });

  return r;
}
