/**
 * Schedules the system relies on, created (or left alone) at worker start so a fresh cluster
 * needs no manual step: the mail room closes the day's batch at 17:00 Rome time.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { MAILROOM_SCHEDULE_ID, MAILROOM_WORKFLOW_TYPE, type MailRoomBatchInput } from '../workflows/definitions';

export async function ensureSchedules(client: Client, taskQueue: string): Promise<void> {
  const input: MailRoomBatchInput = { dispatchedBy: 'schedule' };
  try {
    await client.schedule.create({
      scheduleId: MAILROOM_SCHEDULE_ID,
      spec: { calendars: [{ hour: 17, minute: 0 }], timezone: 'Europe/Rome' },
      action: { type: 'startWorkflow', workflowType: MAILROOM_WORKFLOW_TYPE, taskQueue, args: [input] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}
