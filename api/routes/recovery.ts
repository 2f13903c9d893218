/**
 * Recovery (ripristino) of a PIN (docs/decisions/0011-recovery-revocation-delegation.md).
 *
 *   POST /api/recovery/requests { codiceFiscale, mobile?, email?, pec? } → 202, always the same body
 *   POST /api/recovery/confirm  { token }                                 → 200 { status: confirmed, pinVersion, message }
 *                                                                           or 202 { status: in_progress, message }
 *
 * A request names at least two of the contacts registered at the PIN request; when they match
 * the live credential's, a single-use link valid 24 hours goes to the e-mail or PEC (created and
 * sent by `recoveryLinkWorkflow`, stored only as SHA-256). The answer is the same whether the
 * codice fiscale exists or the contacts match, and at most 3 requests per codice fiscale are
 * accepted in 24 hours, for any codice fiscale. Confirming the link asks the credential's
 * workflow to re-issue the PIN over two channels (`reissuePinUpdate`, reason `recovery`).
 */
import { Router } from 'express';
import { createRecoveryService } from '../../services/lifecycle/recovery';
import type { ApiDeps } from '../deps';

export function recoveryRoutes(deps: ApiDeps): Router {
  const r = Router();
  const service = createRecoveryService(deps);

  r.post('/recovery/requests', async (req, res) => {
    const answer = await service.request(req, req.body);
    res.setHeader('Cache-Control', 'no-store');
    res.status(202).json(answer);
  });

  r.post('/recovery/confirm', async (req, res) => {
    const answer = await service.confirm(req, req.body);
    res.setHeader('Cache-Control', 'no-store');
    res.status(answer.status === 'confirmed' ? 200 : 202).json(answer);
  });

  return r;
}
