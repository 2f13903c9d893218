/**
 * Commands that did not come from the application are refused here. The worker's payload codec
 * turns every payload not encrypted with the application's key into the refusal mark
 * (domain/payload-refusal.ts); only a caller of the Temporal frontend without the key can send
 * one. What carries the mark changes nothing:
 * - a workflow started with it fails at once, non-retryable, before its first command;
 * - an update is rejected by its validation (no history event for a rejected update), or,
 *   for an update without a validator, fails before its handler runs;
 * - a signal is dropped (logged), and the workflow goes on hearing real ones;
 * - a query is refused;
 * - an activity or child-workflow result with it (an activity completed by id from outside)
 *   stops the workflow task, which retries until an operator looks: the workflow never goes on
 *   from a forged result.
 */
import { ApplicationFailure, log, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { carriesRefusedPayload, isRefusedPayload, UNENCRYPTED_PAYLOAD } from '../domain/payload-refusal';

function refused(what: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`${what} refused: a payload not encrypted with the application key`, UNENCRYPTED_PAYLOAD);
}

function refuseForgedResult<T>(result: T, what: string): T {
  // A plain Error (not a Temporal failure) fails the workflow task, not the workflow.
  if (isRefusedPayload(result)) throw new Error(`${what} result refused: a payload not encrypted with the application key`);
  return result;
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        if (carriesRefusedPayload(input.args)) throw refused('workflow input');
        return next(input);
      },
      validateUpdate(input, next) {
        if (carriesRefusedPayload(input.args)) throw refused(`update ${input.name}`);
        next(input);
      },
      async handleUpdate(input, next) {
        if (carriesRefusedPayload(input.args)) throw refused(`update ${input.name}`);
        return next(input);
      },
      async handleSignal(input, next) {
        if (carriesRefusedPayload(input.args)) {
          log.warn('signal dropped: a payload not encrypted with the application key', { signal: input.signalName });
          return;
        }
        return next(input);
      },
      async handleQuery(input, next) {
        if (carriesRefusedPayload(input.args)) throw refused(`query ${input.queryName}`);
        return next(input);
      },
    },
  ],
  outbound: [
    {
      async scheduleActivity(input, next) {
        return refuseForgedResult(await next(input), `activity ${input.activityType}`);
      },
      async scheduleLocalActivity(input, next) {
        return refuseForgedResult(await next(input), `local activity ${input.activityType}`);
      },
      async startChildWorkflowExecution(input, next) {
        const [started, completed] = await next(input);
        return [started, completed.then((result) => refuseForgedResult(result, `child workflow ${input.workflowType}`))];
      },
    },
  ],
});
