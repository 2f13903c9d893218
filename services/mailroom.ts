import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { ServiceDeps } from './deps';
import { MAILROOM_WORKFLOW_TYPE, mailRoomWorkflowId, type MailRoomBatchInput } from '../workflows/definitions';

/**
 * Closes a day's batch through its workflow (started once per day; a second caller waits for the
 * same run) and answers how many letters went out. Shared by this route and the console.
 */
export async function dispatchMailRoomBatch(deps: Pick<ServiceDeps, 'temporal' | 'taskQueue'>, batchDate: string, dispatchedBy: string): Promise<{ dispatched: number }> {
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

