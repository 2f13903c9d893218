import { Router } from 'express';
import type { ApiDeps } from '../deps';
import { requireStaff } from '../../services/staff/auth';
import { DomainError, ErrorType } from '../../domain/errors';
import { credentialWorkflowId, requestNewLetterUpdate } from '../../workflows/definitions';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Contact-centre work lists and actions taken for a caller. */
export function contactCentreRoutes(deps: ApiDeps): Router {
  const r = Router();

  /** Open call-back tasks (a declared residence that differs from the institute's records). */
  r.get('/callback-tasks', async (req, res) => {
    await requireStaff(deps.pool, req, ['operator', 'supervisor', 'admin']);
    const { rows } = await deps.pool.query<{
      id: string;
      credential_id: string;
      reason: string;
      phone: string;
      time_slot: string;
      created_at: Date;
      codice_fiscale: string;
      holder: { name: string; surname: string };
    }>(
      `SELECT t.id, t.credential_id, t.reason, t.phone, t.time_slot, t.created_at, c.codice_fiscale, c.holder
         FROM callback_tasks t JOIN credentials c ON c.id = t.credential_id
        WHERE t.status = 'open' ORDER BY t.created_at LIMIT 200`,
    );
    res.json({
      tasks: rows.map((t) => ({
        taskId: t.id,
        credentialId: t.credential_id,
        reason: t.reason,
        phone: t.phone,
        timeSlot: t.time_slot,
        createdAt: t.created_at.toISOString(),
        codiceFiscale: t.codice_fiscale,
        holder: `${t.holder.name} ${t.holder.surname}`,
      })),
    });
  });

  r.post('/callback-tasks/:id/done', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, ['operator', 'supervisor', 'admin']);
    if (!UUID.test(req.params.id)) throw new DomainError(ErrorType.NotFound, { it: 'Attività non trovata.', en: 'Task not found.' });
    const { rowCount } = await deps.pool.query(
      `UPDATE callback_tasks SET status = 'done', closed_at = now(), closed_by = $2::text WHERE id = $1::uuid AND status = 'open'`,
      [req.params.id, staff.staffId],
    );
    if (!rowCount) throw new DomainError(ErrorType.NotFound, { it: 'Attività non trovata o già chiusa.', en: 'Task not found or already closed.' });
    res.json({ taskId: req.params.id, status: 'done' });
  });

  /** A caller did not get the letter: a new one, within the limits the workflow enforces. */
  r.post('/credentials/:id/letters', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, ['operator', 'supervisor', 'admin']);
    if (!UUID.test(req.params.id)) throw new DomainError(ErrorType.NotFound, { it: 'Credenziale non trovata.', en: 'Credential not found.' });
    const result = await deps.temporal.workflow
      .getHandle(credentialWorkflowId(req.params.id))
      .executeUpdate(requestNewLetterUpdate, { args: [{ requestedBy: `operator:${staff.staffId}` }] });
    res.status(201).json(result);
  });

  return r;
}
