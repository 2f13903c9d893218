/**
 * Remote identification by the contact centre (services/lifecycle/remote-identification.ts):
 *
 *   POST /api/contact-centre/remote-identifications
 *        { codiceFiscale, method, identityDocument: { type, number, issuer, expiresOn } } → 202
 */
import { Router } from 'express';
import type { ApiDeps } from '../deps';
import { requireStaff } from '../../services/staff/auth';
import { identifyRemotely } from '../../services/lifecycle/remote-identification';

export function remoteIdentificationRoutes(deps: ApiDeps): Router {
  const r = Router();

  r.post('/contact-centre/remote-identifications', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, ['operator', 'supervisor']);
    res.status(202).json(await identifyRemotely(deps, staff, req.body));
  });

  return r;
}
