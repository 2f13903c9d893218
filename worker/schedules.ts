/**
 * Schedules the system relies on, created (or left alone) at worker start so a fresh cluster
 * needs no manual step: the mail room closes the day's batch at 17:00 Rome time, and the
 * conversion sweep asks again every 15 minutes for reviews that never opened.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { MAILROOM_SCHEDULE_ID, MAILROOM_WORKFLOW_TYPE, type MailRoomBatchInput } from '../workflows/definitions';
import { CONVERSION_SWEEP_EVERY, CONVERSION_SWEEP_SCHEDULE_ID, CONVERSION_SWEEP_WORKFLOW_TYPE, type ConversionSweepInput } from '../workflows/conversion-sweep-definitions';

export async function ensureSchedules(client: Client, taskQueue: string): Promise<void> {
  const mailroom: MailRoomBatchInput = { dispatchedBy: 'schedule' };
  const sweep: ConversionSweepInput = {};
  await createOnce(client, {
    scheduleId: MAILROOM_SCHEDULE_ID,
    spec: { calendars: [{ hour: 17, minute: 0 }], timezone: 'Europe/Rome' },
    action: { type: 'startWorkflow', workflowType: MAILROOM_WORKFLOW_TYPE, taskQueue, args: [mailroom] },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
  });
  await createOnce(client, {
    scheduleId: CONVERSION_SWEEP_SCHEDULE_ID,
    spec: { intervals: [{ every: CONVERSION_SWEEP_EVERY }] },
    action: { type: 'startWorkflow', workflowType: CONVERSION_SWEEP_WORKFLOW_TYPE, taskQueue, args: [sweep] },
    // A run missed while the cluster was down is not made up: the next one finds the same cases.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
  });
}

/** Creates a schedule unless it exists (every worker calls this at start). */
async function createOnce(client: Client, options: ScheduleOptions): Promise<void> {
  try {
    await client.schedule.create(options);
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}
