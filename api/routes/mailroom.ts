import { Router } from 'express';
import { parseIsoDate } from '../../domain/calendar';
import { DomainError, ErrorType } from '../../domain/errors';
import { dispatchMailRoomBatch } from '../../services/mailroom';
import { requireStaff } from '../../services/staff/auth';
import type { ApiDeps } from '../deps';

/** Mail-room operations: close a day's batch and hand it to the post (also run daily by a schedule). */
export function mailRoomRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.post('/mailroom/batches/:date/dispatch', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, ['clerk', 'supervisor', 'operations', 'admin']);
    const batchDate = req.params.date;
    // A real calendar day (Date.parse takes 2024-02-30, PostgreSQL does not: the dispatch
    // activity then failed and retried for ever while this request hung), and no year 0.
    const day = parseIsoDate(batchDate);
    if (!day || day.year < 1) {
      throw new DomainError(ErrorType.Validation, { it: 'Data non valida.', en: 'Invalid date.' }, [
        { field: 'date', code: 'invalid_date', message: { it: 'Formato AAAA-MM-GG', en: 'Format YYYY-MM-DD' } },
      ]);
    }
    const result = await dispatchMailRoomBatch(deps, batchDate, `staff:${staff.staffId}`);
    res.json({ batchDate, dispatched: result.dispatched });
  });
  return r;
}
