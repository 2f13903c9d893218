/**
 * Revocation (revoca) of a PIN (docs/decisions/0011-recovery-revocation-delegation.md).
 *
 *   POST /api/revocations { codiceFiscale, healthCard: { number, expiresOn }, email | pec } → 200
 *        { status: revoked | already_revoked, revokedAt, message }, or 202 { status: in_progress, message }
 *   POST /api/contact-centre/credentials/:credentialId/revoke { verification, note? }      → 200
 *
 * The holder proves it is them with the health-insurance card (tessera sanitaria) as the
 * institute knows it (`health_cards`: the number only as an HMAC) and an e-mail or PEC address
 * registered with the PIN. An unknown codice fiscale and any mismatch get the same answer; tries
 * are limited per codice fiscale. The credential's workflow revokes (`revokeCredentialUpdate`)
 * and answers once the database says so, so a login right after the answer is refused.
 */
import { Router } from 'express';
import { createRevocationService, notFound } from '../../services/lifecycle/revocation';
import { credentialIdParams, staffRevokedSchema } from '../../services/schemas/lifecycle';
import { requireStaff } from '../../services/staff/auth';
import type { ApiDeps } from '../deps';

export function revocationRoutes(deps: ApiDeps): Router {
  const r = Router();
  const service = createRevocationService(deps);

  r.post('/revocations', async (req, res) => {
    const answer = await service.revokeByHolder(req, req.body);
    res.setHeader('Cache-Control', 'no-store');
    res.status(answer.status === 'in_progress' ? 202 : 200).json(answer);
  });

  r.post('/contact-centre/credentials/:credentialId/revoke', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, ['operator', 'supervisor']);
    const params = credentialIdParams.safeParse(req.params);
    if (!params.success) throw notFound();
    const { revokedAt } = await service.revokeByOperator(staff, params.data.credentialId, req.body);
    res.json(staffRevokedSchema.parse({ credentialId: params.data.credentialId, revokedAt }));
  });

  return r;
}
