/**
 * One workflow per delegation (`delegation-<delegationId>`): the notices when it starts, the
 * delegate's consent (a new delegation is pending until the delegate accepts it, and lapses when
 * nobody does; docs/decisions/0022), a timer to its end date, and an early end when the
 * delegator, the delegate or a clerk revokes it. The API checks the database (status and end
 * time) on every use, so this workflow decides when the delegation starts and ends and who is
 * told, never whether a given action is allowed.
 */
import { ApplicationFailure, allHandlersFinished, condition, patched, setHandler } from '@temporalio/workflow';
import { db } from './activity-proxies';
import { deliverAll, deliveries } from './deliveries';
import {
  DELEGATION_ACCEPTANCE_DAYS,
  acceptDelegationUpdate,
  declineDelegationUpdate,
  delegationStateQuery,
  delegatorRevokedSignal,
  revokeDelegationUpdate,
  type DelegationInput,
  type DelegationRevoker,
  type DelegationView,
} from './delegation-definitions';

const DAY = 86_400_000;

export async function delegationWorkflow(input: DelegationInput): Promise<DelegationView> {
  // Every delegation started since the consent step waits for the delegate's acceptance; one
  // started before (already active, its history without the marker) carries on as it was.
  const consentStep = patched('delegation-consent');
  const view: DelegationView = { delegationId: input.delegationId, state: consentStep ? 'pending' : 'active', endsAt: input.endsAt };
  let endNotices: string[] = [];
  let acceptNotices: string[] = [];

  setHandler(delegationStateQuery, () => view);

  const live = (): boolean => view.state === 'active' || view.state === 'pending';
  const refuse = (requestedBy: DelegationRevoker | undefined): void => {
    if (!live()) throw ApplicationFailure.nonRetryable('DELEGATION_ENDED', 'CONFLICT');
    if (requestedBy?.kind === 'delegator') {
      // An office delegation has no delegator credential: the API matched the person.
      if (input.delegatorCredentialId !== undefined && requestedBy.credentialId !== input.delegatorCredentialId) throw ApplicationFailure.nonRetryable('NOT_DELEGATOR', 'FORBIDDEN');
    } else if (requestedBy?.kind === 'delegate') {
      // Pending, the delegate declines rather than revokes. A delegation binds the person, not one
      // PIN of theirs: the API matched the delegate's codice fiscale (acting is checked the same
      // way), so a delegate with a new PIN can still give it up.
      if (view.state !== 'active' || !requestedBy.credentialId) throw ApplicationFailure.nonRetryable('NOT_DELEGATE', 'FORBIDDEN');
    } else if (requestedBy?.kind !== 'clerk' || !requestedBy.staffId) {
      throw ApplicationFailure.nonRetryable('NOT_DELEGATOR', 'FORBIDDEN');
    }
  };
  const refuseConsent = (delegateCredentialId: string | undefined): void => {
    if (view.state !== 'pending') throw ApplicationFailure.nonRetryable('NOT_PENDING', 'CONFLICT');
    if (!delegateCredentialId) throw ApplicationFailure.nonRetryable('NOT_DELEGATE', 'FORBIDDEN');
  };
  const end = async (reason: 'expired' | 'revoked' | 'declined' | 'lapsed', endedBy: string): Promise<void> => {
    view.state = 'ending';
    const ended = await db.endDelegation({ delegationId: input.delegationId, reason, endedBy });
    view.state = ended.status;
    view.endedAt = ended.endedAt;
    endNotices = ended.outboxIds;
  };
  const revoker = (requestedBy: DelegationRevoker): string => {
    if (requestedBy.kind === 'delegate' && patched('delegation-revoked-by-delegate')) return `delegate:${requestedBy.credentialId}`;
    return requestedBy.kind === 'delegator' ? `delegator:${requestedBy.credentialId}` : `clerk:${(requestedBy as { staffId: string }).staffId}`;
  };

  setHandler(
    revokeDelegationUpdate,
    async ({ requestedBy }) => {
      // Checked again: two updates may both pass the validator.
      refuse(requestedBy);
      await end('revoked', revoker(requestedBy));
      return view;
    },
    { validator: ({ requestedBy }) => refuse(requestedBy) },
  );

  setHandler(
    acceptDelegationUpdate,
    async ({ delegateCredentialId }) => {
      refuseConsent(delegateCredentialId);
      view.state = 'accepting';
      let accepted: { outboxIds: string[] };
      try {
        accepted = await db.acceptDelegation({ delegationId: input.delegationId, delegateCredentialId });
      } catch (err) {
        // Refused by the database (the row is no longer pending): still pending here, the timer decides.
        view.state = 'pending';
        throw err;
      }
      view.state = 'active';
      view.acceptedBy = delegateCredentialId;
      acceptNotices = accepted.outboxIds;
      return view;
    },
    { validator: ({ delegateCredentialId }) => refuseConsent(delegateCredentialId) },
  );

  setHandler(
    declineDelegationUpdate,
    async ({ delegateCredentialId }) => {
      refuseConsent(delegateCredentialId);
      await end('declined', `delegate:${delegateCredentialId}`);
      return view;
    },
    { validator: ({ delegateCredentialId }) => refuseConsent(delegateCredentialId) },
  );

  setHandler(delegatorRevokedSignal, async ({ credentialId }) => {
    if (credentialId !== input.delegatorCredentialId) return;
    // An acceptance or an end being written finishes first; then a live delegation still ends.
    await condition(() => view.state !== 'accepting' && view.state !== 'ending');
    if (!live()) return;
    await end('revoked', `revocation:${credentialId}`);
  });

  if (consentStep) {
    const acceptBy = input.acceptBy
      ? Math.min(Date.parse(input.acceptBy), Date.parse(input.endsAt))
      : Math.min(Date.now() + (input.acceptWithinDays ?? DELEGATION_ACCEPTANCE_DAYS) * DAY, Date.parse(input.endsAt));
    view.acceptBy = new Date(acceptBy).toISOString();
    const { outboxIds } = await db.notifyDelegationCreated({ delegationId: input.delegationId, acceptBy: view.acceptBy });
    for (const delivered of deliveries(outboxIds)) await delivered;
    const waiting = acceptBy - Date.now();
    const answered = waiting > 0 ? await condition(() => view.state !== 'pending' && view.state !== 'accepting', waiting) : view.state !== 'pending';
    if (!answered) {
      // An acceptance under way when the time ran out finishes first; a refused one leaves it pending.
      if (view.state === 'accepting') await condition(() => view.state !== 'accepting');
      if (view.state === 'pending') await end('lapsed', 'system');
    }
    for (const delivered of deliveries(acceptNotices)) await delivered;
  } else {
    const { outboxIds } = await db.notifyDelegationCreated({ delegationId: input.delegationId });
    // Each delivery awaited here, not through deliverAll: a timer follows while a revocation may be
    // running (see workflows/deliveries.ts).
    for (const delivered of deliveries(outboxIds)) await delivered;
  }

  const remaining = Date.parse(input.endsAt) - Date.now();
  const endedEarly = remaining > 0 ? await condition(() => view.state !== 'active', remaining) : view.state !== 'active';
  if (!endedEarly) await end('expired', 'system');
  await condition(allHandlersFinished);
  await deliverAll(endNotices);
  return view;
}
