/**
 * The conversion sweep's names and shapes, for the worker's schedule and for callers that start
 * it by type without importing its body.
 */
export const CONVERSION_SWEEP_WORKFLOW_TYPE = 'conversionSweepWorkflow';
export const CONVERSION_SWEEP_SCHEDULE_ID = 'conversion-sweep';
/** How often the schedule runs the sweep. */
export const CONVERSION_SWEEP_EVERY = '15 minutes';

export interface ConversionSweepInput {
  /** Cases filed at least this long ago (minutes); a younger one may still be opening. Default 10. */
  olderThanMinutes?: number;
  /** Cases asked about in one run, oldest first; the next run takes the rest. Default 200. */
  limit?: number;
}

export interface ConversionSweepResult {
  /** Open cases found without a review. */
  found: number;
  /** Their reviews opened (or found already open) on being asked again. */
  opened: number;
  /** Refused by the workflow, or its workflow has ended: the case closed, its documents free. */
  released: number;
  /** Not settled in this run (no answer in time, or not asked once Temporal stopped answering): left for the next. */
  unanswered: number;
}
