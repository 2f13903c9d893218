/**
 * Sending what an activity queued in the outbox: one `deliverNotification` activity per outbox
 * row, one after the other, in the order the rows were returned (a citizen gets a PIN's messages
 * in order; docs/decisions/0004-credential-workflow-shape.md).
 */
import { delivery } from './activity-proxies';

/**
 * Delivers each outbox row in turn and resolves once the last one is delivered.
 * `onDelivered(i)` runs as soon as `outboxIds[i]` is delivered, before the next delivery starts.
 *
 * Its caller resumes one microtask later than after a loop of awaits written in place. That only
 * matters to a caller that then issues another command (timer, activity) while a handler may
 * resume in the same activation: the handler's command can then come first, a different command
 * order from the one a history recorded, and replay compares that order. Those callers use
 * `deliveries` below instead. Nothing else differs.
 */
export async function deliverAll(outboxIds: readonly string[], onDelivered?: (index: number) => void): Promise<void> {
  for (const [index, outboxId] of outboxIds.entries()) {
    await delivery.deliverNotification({ outboxId });
    onDelivered?.(index);
  }
}

/**
 * The same deliveries, for a caller that awaits each one itself:
 * `for (const delivered of deliveries(outboxIds)) await delivered;`. Each delivery starts when the
 * loop asks for it, after the previous one was awaited, so they still run one at a time; and the
 * caller resumes right after the last delivery, as with a loop written in place (see `deliverAll`).
 */
export function* deliveries(outboxIds: readonly string[]): Generator<Promise<unknown>, void, undefined> {
  for (const outboxId of outboxIds) yield delivery.deliverNotification({ outboxId });
}
