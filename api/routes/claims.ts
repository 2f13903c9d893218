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
 *   GET  /api/claims/:claimId/receipt → its printable receipt (PDF)
 *   POST /api/claims/:claimId/withdraw → withdrawn before a decision
 *   GET  /api/staff/claims        → claims in processing (back office)
 *   GET  /api/staff/claims/:claimId → one claim, whoever's it is (back office)
 *   POST /api/staff/claims/:claimId/decision { decision: accepted|rejected, reason } → decided, the claimant told
 */
import { Router } from 'express';
import { requireCitizen, sessionContext } from '../../services/access/sessions';
import { admittedClaim, claimForStaff, claimIdParams, claimNotFound, claimOf, claimReceipt, CLAIM_RECEIPT_NAME, claimTypesFor, claimsInProcessing, claimsOf, decideClaim, fileClaim, withdrawClaim } from '../../services/conversion/claims';
import { requireStaff } from '../../services/staff/auth';
import type { ApiDeps } from '../deps';
import { catalogueFor } from '../../domain/services';
import { sendDocument } from '../../web/documents';

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

  /** The printable receipt (PDF) of one of the citizen's claims. */
  r.get('/claims/:claimId/receipt', async (req, res) => {
    const citizen = await requireCitizen(ctx, req);
    const params = claimIdParams.safeParse(req.params);
    if (!params.success) throw claimNotFound();
    const pdf = await claimReceipt(deps, citizen.credentialId, params.data.claimId);
    sendDocument(res, { mediaType: 'application/pdf', displayName: CLAIM_RECEIPT_NAME }, pdf, 'attachment');
  });

  /** The claimant withdraws a claim not yet decided (409 once decided). */
  r.post('/claims/:claimId/withdraw', async (req, res) => {
    const citizen = await requireCitizen(ctx, req);
    const params = claimIdParams.safeParse(req.params);
    if (!params.success) throw claimNotFound();
    res.json(await withdrawClaim(deps, citizen.credentialId, params.data.claimId, 'citizen'));
  });

  /** The back office: claims in processing, and the decision on one of them. */
  r.get('/staff/claims', async (req, res) => {
    await requireStaff(deps.pool, req, ['clerk', 'supervisor', 'admin']);
    res.json({ claims: await claimsInProcessing(deps) });
  });

  r.get('/staff/claims/:claimId', async (req, res) => {
    await requireStaff(deps.pool, req, ['clerk', 'supervisor', 'admin']);
    const params = claimIdParams.safeParse(req.params);
    if (!params.success) throw claimNotFound();
    res.json(await claimForStaff(deps, params.data.claimId));
  });

  r.post('/staff/claims/:claimId/decision', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, ['clerk', 'supervisor']);
    const params = claimIdParams.safeParse(req.params);
    if (!params.success) throw claimNotFound();
    res.json(await decideClaim(deps, staff, params.data.claimId, req.body));
  });

  return r;
}
