import { Router } from 'express';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { ApiDeps } from '../app';
import { requireStaff } from '../../services/staff/auth';
import { DomainError, ErrorType } from '../../domain/errors';
import { parseIsoDate } from '../../domain/calendar';
import { MAILROOM_WORKFLOW_TYPE, mailRoomWorkflowId, type MailRoomBatchInput } from '../../workflows/definitions';

/**
 * Closes a day's batch through its workflow (started once per day; a second caller waits for the
 * same run) and answers how many letters went out. Shared by this route and the console.
 */
export async function dispatchMailRoomBatch(deps: Pick<ApiDeps, 'temporal' | 'taskQueue'>, batchDate: string, dispatchedBy: string): Promise<{ dispatched: number }> {
  const input: MailRoomBatchInput = { batchDate, dispatchedBy };
  let handle;
  try {
    handle = await deps.temporal.workflow.start(MAILROOM_WORKFLOW_TYPE, {
      workflowId: mailRoomWorkflowId(batchDate),
      taskQueue: deps.taskQueue,
      args: [input],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    handle = deps.temporal.workflow.getHandle(mailRoomWorkflowId(batchDate));
  }
  return (await handle.result()) as { dispatched: number };
}

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
