/**
 * The conversion sweep, run by a schedule (worker/schedules.ts): a conversion request whose
 * case was recorded but whose review never opened (the API lost the workflow's answer and then
 * its process ended) is asked again, so no request waits forever unseen by the clerks. One
 * activity does the work; this workflow gives it a schedule, retries and a place in the Web UI.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { ConversionSweepInput, ConversionSweepResult } from './conversion-sweep-definitions';

const { reaskUnopenedConversions } = proxyActivities<ReturnType<typeof createActivities>>({
  // Up to 200 cases, each answered in milliseconds; a run stops after 5 unanswered asks of 10 s.
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5 },
});

export async function conversionSweepWorkflow(input: ConversionSweepInput = {}): Promise<ConversionSweepResult> {
  return reaskUnopenedConversions({ olderThanMinutes: input.olderThanMinutes ?? 10, limit: input.limit ?? 200 });
}
