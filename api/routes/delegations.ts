/**
 * Delegation over HTTP (services/delegation.ts holds the rules):
 *
 *   POST /api/delegations                           { delegateCodiceFiscale, scope, endsOn } → 201
 *   GET  /api/delegations                           the delegations the caller gave
 *   GET  /api/delegations/received                  the delegations the caller received
 *   POST /api/delegations/:delegationId/revoke      either party ends it (a pending one the delegate declines)
 *   POST /api/delegations/:delegationId/accept      the delegate accepts a pending one (it can be used from then on)
 *   POST /api/delegations/:delegationId/decline     the delegate declines a pending one
 *   POST /api/staff/delegations                     a clerk registers one handed in at an office → 201 (200: same Idempotency-Key)
 *   GET  /api/staff/delegations/:delegationId/receipt the printable receipt of an office registration (its clerk only)
 *   POST /api/staff/delegations/:delegationId/revoke  a clerk ends it
 *   GET  /api/delegators/:delegationId/claims       the delegate consults the delegator's claims
 *   POST /api/delegators/:delegationId/claims       the delegate files a claim for the delegator
 */
import { Router, type Request } from 'express';
import type { ApiDeps } from '../deps';
import { requireCitizen, sessionContext, type CitizenPrincipal } from '../../services/access/sessions';
import { requireStaff } from '../../services/staff/auth';
import { DomainError, ErrorType } from '../../domain/errors';
import { delegationIdParams, delegationListSchema, officeDelegationViewSchema } from '../../services/schemas/lifecycle';
import { sendDocument } from '../../web/documents';
import { createDelegationService, officeDelegationReceiptPath } from '../../services/delegation';

const notFound = () => new DomainError(ErrorType.NotFound, { it: 'Delega non trovata.', en: 'Delegation not found.' });

export function delegationRoutes(deps: ApiDeps): Router {
  const r = Router();
  const ctx = sessionContext(deps);
  const delegations = createDelegationService(deps);

  /** A personal session (the first half alone is not enough to give or use a delegation). */
  async function personalSession(req: Request): Promise<CitizenPrincipal> {
    const citizen = await requireCitizen(ctx, req);
    if (citizen.scope === 'simplified') {
      throw new DomainError(ErrorType.Forbidden, { it: 'Accedi con il PIN di 8 caratteri.', en: 'Log in with your 8-character PIN.' }, [], { reason: 'PERSONAL_PIN_REQUIRED' });
    }
    return citizen;
  }

  function delegationId(req: Request): string {
    const params = delegationIdParams.safeParse(req.params);
    if (!params.success) throw notFound();
    return params.data.delegationId;
  }

  r.post('/delegations', async (req, res) => {
    res.status(201).json(await delegations.create(await personalSession(req), req.body));
  });

  r.get('/delegations', async (req, res) => {
    res.json(delegationListSchema.parse({ delegations: await delegations.given(await personalSession(req)) }));
  });

  r.get('/delegations/received', async (req, res) => {
    res.json(delegationListSchema.parse({ delegations: await delegations.received(await personalSession(req)) }));
  });

  r.post('/delegations/:delegationId/revoke', async (req, res) => {
    const citizen = await personalSession(req);
    res.json(await delegations.revokeByParty(citizen, delegationId(req)));
  });

  r.post('/delegations/:delegationId/accept', async (req, res) => {
    const delegate = await personalSession(req);
    res.json(await delegations.accept(delegate, delegationId(req)));
  });

  r.post('/delegations/:delegationId/decline', async (req, res) => {
    const delegate = await personalSession(req);
    res.json(await delegations.decline(delegate, delegationId(req)));
  });

  r.post('/staff/delegations', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, ['clerk', 'supervisor']);
    const registered = await delegations.registerAtOffice(staff, req.body, req.get('idempotency-key'));
    const receipt = officeDelegationReceiptPath(registered.delegation.delegationId);
    res.status(registered.replayed ? 200 : 201).json(officeDelegationViewSchema.parse({ ...registered.delegation, receipt }));
  });

  r.get('/staff/delegations/:delegationId/receipt', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, ['clerk', 'supervisor']);
    const { pdf, displayName } = await delegations.officeReceipt(staff, delegationId(req));
    sendDocument(res, { mediaType: 'application/pdf', displayName }, pdf);
  });

  r.post('/staff/delegations/:delegationId/revoke', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, ['clerk', 'supervisor']);
    res.json(await delegations.revokeByClerk(staff.staffId, delegationId(req), req.body));
  });

  r.get('/delegators/:delegationId/claims', async (req, res) => {
    const delegate = await personalSession(req);
    const consulted = await delegations.consultClaims(delegate, delegationId(req));
    res.setHeader('Cache-Control', 'no-store');
    res.json(consulted);
  });

  r.post('/delegators/:delegationId/claims', async (req, res) => {
    const delegate = await personalSession(req);
    const filed = await delegations.fileClaimFor(delegate, delegationId(req), req.body, req.get('idempotency-key'));
    res.status(filed.status).json(filed.body);
  });

  return r;
}
