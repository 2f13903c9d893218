/**
 * The one way a conversion request's case is given up before its review opened: the credential's
 * workflow refused it (its state had moved on) or has ended. The case is closed as refused and its
 * documents are free for a new request. A case whose review opened (it has an escalation
 * deadline) is never touched here.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { withTransaction, type Pool } from './db';

/** A request to open the review answered "no" for good: refused by the workflow, or its workflow has ended. */
export function definitelyRefused(err: unknown): boolean {
  return err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError;
}

/** Closes the case and frees its documents; false when its review had opened or it was already closed. */
export async function releaseUnopenedCase(pool: Pool, caseId: string): Promise<boolean> {
  return withTransaction(pool, async (client) => {
    const closed = await client.query(
      `UPDATE review_cases SET status = 'rejected', reason = 'refused_by_workflow', decided_at = now()
        WHERE id = $1::uuid AND status = 'open' AND escalate_at IS NULL`,
      [caseId],
    );
    if (closed.rowCount === 0) return false;
    await client.query('UPDATE documents SET case_id = NULL WHERE case_id = $1::uuid', [caseId]);
    return true;
  });
}
