/**
 * Benefit claims. Filing gives a protocol number and a received timestamp at once (the
 * claim's deadline stops); with an ordinary PIN the claim then waits for the PIN to become
 * dispositivo, with a dispositivo PIN (or a COVID bonus under the simplified procedure) it goes
 * straight to processing. One workflow per claim (`claim-<id>`).
 *
 *   GET  /api/claims/types        → the claim types this session may file
 *   POST /api/claims              { type } (+ optional Idempotency-Key) → 202 the claim
 *   GET  /api/claims              → the citizen's claims
 *   GET  /api/claims/:claimId     → one of them (someone else's is "not found")
 */
import { Router } from 'express';
import { requireCitizen, sessionContext } from '../../services/access/sessions';
import { admittedClaim, claimIdParams, claimNotFound, claimOf, claimTypesFor, claimsOf, fileClaim } from '../../services/conversion/claims';
import type { ApiDeps } from '../deps';
import { catalogueFor } from '../../domain/services';

export function claimRoutes(deps: ApiDeps): Router {
  const r = Router();
  const ctx = sessionContext(deps);

  r.get('/claims/types', async (req, res) => {
    const citizen = await requireCitizen(ctx, req);
    res.json({ types: claimTypesFor(citizen, catalogueFor(deps.policy)) });
  });

  r.post('/claims', async (req, res) => {
    const citizen = await requireCitizen(ctx, req);
    const { service, admission } = admittedClaim(citizen, req.body, 'own', catalogueFor(deps.policy));
    const filed = await fileClaim(deps, {
      credentialId: citizen.credentialId,
      service,
      admission,
      rawKey: req.get('idempotency-key'),
      keyScope: citizen.credentialId,
      filedBy: 'citizen',
    });
    res.status(filed.status).json(filed.body);
  });

  r.get('/claims', async (req, res) => {
    const citizen = await requireCitizen(ctx, req);
    res.json({ claims: await claimsOf(deps, citizen.credentialId) });
  });

  r.get('/claims/:claimId', async (req, res) => {
    const citizen = await requireCitizen(ctx, req);
    const params = claimIdParams.safeParse(req.params);
    if (!params.success) throw claimNotFound();
    const claim = await claimOf(deps, citizen.credentialId, params.data.claimId);
    if (!claim) throw claimNotFound();
    res.json(claim);
  });

  return r;
}
