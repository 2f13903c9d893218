import { sendDocument } from '../../web/documents';
import { Router, type Request } from 'express';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { ApiDeps } from '../deps';
import { requireStaff } from '../../services/staff/auth';
import type { createPinRequestService } from '../../services/issuance/pin-requests';
import { DomainError, ErrorType } from '../../domain/errors';
import { deliveryPlan, summarisePinRequest, validatePinRequest } from '../../domain/pin-request';
import { credentialStateQuery, credentialWorkflowId } from '../../workflows/definitions';
import { isUuid } from '../../domain/ids';


/**
 * The citizen's (or operator's) PIN request: `review` shows the data back without storing
 * anything; `POST /pin-requests` is the confirmation ("Conferma") that stores and starts.
 */
export function pinRequestRoutes(deps: ApiDeps, service: ReturnType<typeof createPinRequestService>): Router {
  const r = Router();
  const now = deps.now ?? (() => new Date());

  async function validated(req: Request) {
    const result = validatePinRequest(req.body, { today: now(), eligibilityPolicy: deps.eligibilityPolicy });
    // A contact-centre request is made by an authenticated operator, and recorded as such.
    const operator =
      result.request.channel === 'contact_centre' ? await requireStaff(deps.pool, req, ['operator', 'supervisor', 'admin']) : undefined;
    return { ...result, operator };
  }

  r.post('/pin-requests/review', async (req, res) => {
    const { request, warnings } = await validated(req);
    res.json({ review: summarisePinRequest(request), deliveryPlan: deliveryPlan(request), warnings });
  });

  r.post('/pin-requests', async (req, res) => {
    const idempotencyKey = req.get('idempotency-key');
    if (idempotencyKey !== undefined && !/^[A-Za-z0-9_-]{8,128}$/.test(idempotencyKey)) {
      throw new DomainError(ErrorType.Validation, { it: 'Chiave di idempotenza non valida.', en: 'Invalid idempotency key.' }, [
        {
          field: 'Idempotency-Key',
          code: 'invalid_idempotency_key',
          message: { it: 'Da 8 a 128 caratteri tra lettere, cifre, - e _', en: '8 to 128 characters: letters, digits, - and _' },
        },
      ]);
    }
    const { request, warnings, operator } = await validated(req);
    const { created, result } = await service.submit(request, warnings, { idempotencyKey, operatorId: operator?.staffId });
    res.status(created ? 202 : 200).json(result);
  });

  r.get('/pin-requests/:id', async (req, res) => {
    if (!isUuid(req.params.id)) throw new DomainError(ErrorType.NotFound, { it: 'Richiesta non trovata.', en: 'Request not found.' });
    const status = await service.status(req.params.id);
    const credential = await deps.temporal.workflow
      .getHandle(credentialWorkflowId(status.credentialId))
      .query(credentialStateQuery)
      .catch((err: unknown) => {
        // Accepted but not yet started by the workflow starter: the request is queued.
        if (err instanceof WorkflowNotFoundError) return { credentialId: status.credentialId, state: 'requested' as const };
        throw err;
      });
    res.json({ requestId: req.params.id, ...status, credential });
  });

  /** The printable receipt (PDF), by the request's unguessable id. */
  r.get('/pin-requests/:id/receipt', async (req, res) => {
    if (!isUuid(req.params.id)) throw new DomainError(ErrorType.NotFound, { it: 'Richiesta non trovata.', en: 'Request not found.' });
    const pdf = await service.receipt(req.params.id);
    sendDocument(res, { mediaType: 'application/pdf', displayName: 'ricevuta-richiesta-pin.pdf' }, pdf, 'attachment');
  });

  return r;
}
