import { Router } from 'express';
import type { ApiDeps } from '../deps';
import { requireStaff } from '../../services/staff/auth';
import { DomainError, ErrorType } from '../../domain/errors';
import { isUuid } from '../../domain/ids';
import { createContactCentreService } from '../../services/contact-centre';
import { callbackOutcomeBodySchema, callbackOutcomeSchema } from '../../services/schemas/api';
import { parseInput } from '../../services/schemas/validate';

/** Contact-centre work lists and actions taken for a caller. */
export function contactCentreRoutes(deps: ApiDeps): Router {
  const r = Router();

  const contactCentre = createContactCentreService(deps);

  /** Open call-back tasks (a declared residence that differs from the institute's records). */
  r.get('/callback-tasks', async (req, res) => {
    await requireStaff(deps.pool, req, ['operator', 'supervisor', 'admin']);
    const tasks = await contactCentre.callbackTasks();
    res.json({
      tasks: tasks.map((t) => ({
        taskId: t.id,
        credentialId: t.credential_id,
        reason: t.reason,
        phone: t.phone,
        timeSlot: t.time_slot,
        createdAt: t.created_at.toISOString(),
        codiceFiscale: t.codice_fiscale,
        holder: `${t.holder.name} ${t.holder.surname}`,
        attempts: t.attempts,
      })),
    });
  });

  /** The outcome of one call: the request is verified, refused, or waits for another call. */
  r.post('/callback-tasks/:id/outcome', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, ['operator', 'supervisor', 'admin']);
    if (!isUuid(req.params.id)) throw new DomainError(ErrorType.NotFound, { it: 'Attività non trovata.', en: 'Task not found.' });
    const body = parseInput(callbackOutcomeBodySchema, req.body);
    res.json(callbackOutcomeSchema.parse(await contactCentre.recordCallbackOutcome(staff, req.params.id, body)));
  });

  /** A caller did not get the letter: a new one, within the limits the workflow enforces. */
  r.post('/credentials/:id/letters', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, ['operator', 'supervisor', 'admin']);
    if (!isUuid(req.params.id)) throw new DomainError(ErrorType.NotFound, { it: 'Credenziale non trovata.', en: 'Credential not found.' });
    res.status(201).json(await contactCentre.requestNewLetter(staff.staffId, req.params.id));
  });

  return r;
}
