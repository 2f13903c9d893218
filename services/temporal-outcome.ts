/**
 * What a failed Temporal call means for the work it asked for. A refusal (the workflow's
 * validator or handler said no, the workflow does not exist, it is already running) is a definite
 * answer. Anything else — the request's deadline passed (api/temporal-deadline.ts), the frontend
 * answered UNAVAILABLE, the connection dropped — leaves the outcome unknown: the update or the start
 * may have been carried out after all. A service must then not tell the citizen "it failed"; it
 * reads the outcome from the database, or says the work is under way.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { DomainError } from '../domain/errors';

/** True when the call may have been carried out although it failed (no definite answer came). */
export function outcomeUnknown(err: unknown): boolean {
  return !(
    err instanceof WorkflowUpdateFailedError ||
    err instanceof WorkflowNotFoundError ||
    err instanceof WorkflowExecutionAlreadyStartedError ||
    err instanceof DomainError
  );
}

/** How long a start whose first answer was lost may take to be asked again. */
export const SECOND_CHANCE_MS = 5_000;

/**
 * Starts a workflow whose start must be known before the service answers (a service that undoes
 * its write when the workflow cannot be started). When the first start's outcome is unknown it is
 * asked once more, with a deadline of its own (the request's may have passed): "already started"
 * then means the first one did start. Only a second failure is thrown — and a start refused twice,
 * or a server down for both, was in all likelihood not carried out.
 */
export async function startSettled(temporal: Pick<Client, 'withDeadline'>, start: () => Promise<unknown>): Promise<void> {
  try {
    await start();
    return;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    if (!outcomeUnknown(err)) throw err;
  }
  try {
    await temporal.withDeadline(Date.now() + SECOND_CHANCE_MS, start);
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    throw err;
  }
}
