/**
 * The citizen's conversion request (ordinary → dispositivo), after uploading the signed form and
 * an identity document (api/routes/conversion-documents.ts):
 *
 *   POST /api/conversion/requests          { signedRequestDocumentId, identityDocumentId } → 202 { caseId, status }
 *   GET  /api/conversion/requests/current  → 200 the latest case of the citizen's credential, or 404
 */
import { Router } from 'express';
import { DomainError, ErrorType } from '../../domain/errors';
import { requireCitizen, sessionContext } from '../../services/access/sessions';
import { conversionRequestBody, currentConversionCase } from '../../services/conversion/conversion-cases';
import { openConversion } from '../../services/conversion/conversions';
import { parseInput } from '../../services/schemas/validate';
import type { ApiDeps } from '../deps';

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
        it: 'Richiesta ricevuta: un operatore verificherà i documenti. Riceverai l\'esito per e-mail.',
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
