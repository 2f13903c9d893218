import { Router } from 'express';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { ApiDeps } from '../app';
import { requireStaff } from '../auth';
import { DomainError, ErrorType } from '../../domain/errors';
import { MAILROOM_WORKFLOW_TYPE, mailRoomWorkflowId, type MailRoomBatchInput } from '../../workflows/definitions';

/** Mail-room operations: close a day's batch and hand it to the post (also run daily by a schedule). */
export function mailRoomRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.post('/mailroom/batches/:date/dispatch', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, ['clerk', 'supervisor', 'operations', 'admin']);
    const batchDate = req.params.date;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(batchDate) || Number.isNaN(Date.parse(batchDate))) {
      throw new DomainError(ErrorType.Validation, { it: 'Data non valida.', en: 'Invalid date.' }, [
        { field: 'date', code: 'invalid_date', message: { it: 'Formato AAAA-MM-GG', en: 'Format YYYY-MM-DD' } },
      ]);
    }
    const input: MailRoomBatchInput = { batchDate, dispatchedBy: `staff:${staff.staffId}` };
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
    const result = (await handle.result()) as { dispatched: number };
    res.json({ batchDate, dispatched: result.dispatched });
  });
  return r;
}
