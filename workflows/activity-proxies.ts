/**
 * The two kinds of activity calls every workflow makes, with their timeouts and retries in one
 * place. Activities are imported as a type only: the bodies run in the worker, not in the sandbox.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';

type Activities = ReturnType<typeof createActivities>;

/**
 * Every activity heartbeats while it runs (worker/heartbeat.ts): when its worker dies, the
 * heartbeat timeout, not the start-to-close one, says so, and the retry starts seconds later.
 * Timeouts are not part of replay's determinism check, so running workflows take the new
 * values at their next activity without a patch (the replay gate proves the old histories).
 */
const HEARTBEAT_TIMEOUT = '5 seconds';

/** Database work: short, retried on transient faults until it succeeds. */
export const db = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Delivery to SMTP / the SMS gateway: an endpoint may be down for a while, so retries back off
 * up to five minutes and stop after three days (then the outbox row stays 'failed' for ops).
 * The outbox makes every retry send at most once.
 */
export const delivery = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  scheduleToCloseTimeout: '3 days',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});
