/**
 * Recovery link (`recovery-<linkId>`): an activity creates the link (token hashed, e-mail/PEC in
 * the outbox), the message is delivered, and the link's lifetime runs as a timer; an unused
 * link is marked expired when it ends. The API checks the expiry time itself as well, so a link
 * never outlives 24 hours even if this workflow is late.
 *
 * Contact-change notices (`contacts-<changeId>`): the old and new addresses are told.
 */
import { condition, setHandler } from '@temporalio/workflow';
import { db, delivery } from './activity-proxies';
import { deliverAll } from './deliveries';
import { durationToMs } from '../domain/durations';
import {
  RECOVERY_LINK_VALIDITY,
  recoveryLinkStateQuery,
  recoveryLinkUsedSignal,
  type ContactNoticesInput,
  type RecoveryLinkInput,
  type RecoveryLinkView,
} from './recovery-definitions';

export async function recoveryLinkWorkflow(input: RecoveryLinkInput): Promise<RecoveryLinkView> {
  const validForMs = durationToMs(input.validFor ?? RECOVERY_LINK_VALIDITY);
  const view: RecoveryLinkView = { linkId: input.linkId, state: 'creating' };
  let used = false;
  setHandler(recoveryLinkStateQuery, () => view);
  setHandler(recoveryLinkUsedSignal, () => {
    used = true;
  });

  const { outboxId } = await db.issueRecoveryLink({ linkId: input.linkId, validForMs });
  if (!outboxId) {
    view.state = 'not_sent';
    return view;
  }
  const expiresAtMs = Date.now() + validForMs;
  view.expiresAt = new Date(expiresAtMs).toISOString();
  view.state = 'sent';
  await delivery.deliverNotification({ outboxId });
  // A delivery that took longer than the lifetime (mail server down for a day) leaves no wait.
  const remaining = expiresAtMs - Date.now();
  const settled = remaining > 0 ? await condition(() => used, remaining) : used;
  if (settled) {
    view.state = 'used';
    return view;
  }
  await db.expireRecoveryLink({ linkId: input.linkId });
  view.state = 'expired';
  return view;
}

export async function contactNoticesWorkflow(input: ContactNoticesInput): Promise<{ sent: number }> {
  const { outboxIds } = await db.enqueueContactChangeNotices({ changeId: input.changeId });
  await deliverAll(outboxIds);
  return { sent: outboxIds.length };
}
