/**
 * One workflow per delegation (`delegation-<delegationId>`): the notices when it starts, a timer
 * to its end date, and an early end when the delegator or a clerk revokes it. The API checks the
 * database (status and end time) on every use, so this workflow decides when the delegation ends
 * and who is told, never whether a given action is allowed.
 */
import { ApplicationFailure, allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import { db } from './activity-proxies';
import { deliverAll, deliveries } from './deliveries';
import { delegationStateQuery, delegatorRevokedSignal, revokeDelegationUpdate, type DelegationInput, type DelegationRevoker, type DelegationView } from './delegation-definitions';

export async function delegationWorkflow(input: DelegationInput): Promise<DelegationView> {
  const view: DelegationView = { delegationId: input.delegationId, state: 'active', endsAt: input.endsAt };
  let endNotices: string[] = [];

  setHandler(delegationStateQuery, () => view);

  const refuse = (requestedBy: DelegationRevoker | undefined): void => {
    if (view.state !== 'active') throw ApplicationFailure.nonRetryable('DELEGATION_ENDED', 'CONFLICT');
    if (requestedBy?.kind === 'delegator') {
      if (requestedBy.credentialId !== input.delegatorCredentialId) throw ApplicationFailure.nonRetryable('NOT_DELEGATOR', 'FORBIDDEN');
    } else if (requestedBy?.kind !== 'clerk' || !requestedBy.staffId) {
      throw ApplicationFailure.nonRetryable('NOT_DELEGATOR', 'FORBIDDEN');
    }
  };
  const end = async (reason: 'expired' | 'revoked', endedBy: string): Promise<void> => {
    view.state = 'ending';
    const ended = await db.endDelegation({ delegationId: input.delegationId, reason, endedBy });
    view.state = ended.status;
    view.endedAt = ended.endedAt;
    endNotices = ended.outboxIds;
  };

  setHandler(
    revokeDelegationUpdate,
    async ({ requestedBy }) => {
      // Checked again: two updates may both pass the validator.
      refuse(requestedBy);
      await end('revoked', requestedBy.kind === 'delegator' ? `delegator:${requestedBy.credentialId}` : `clerk:${requestedBy.staffId}`);
      return view;
    },
    { validator: ({ requestedBy }) => refuse(requestedBy) },
  );

  setHandler(delegatorRevokedSignal, async ({ credentialId }) => {
    if (view.state !== 'active' || credentialId !== input.delegatorCredentialId) return;
    await end('revoked', `revocation:${credentialId}`);
  });

  const { outboxIds } = await db.notifyDelegationCreated({ delegationId: input.delegationId });
  // Each delivery awaited here, not through deliverAll: a timer follows while a revocation may be
  // running (see workflows/deliveries.ts).
  for (const delivered of deliveries(outboxIds)) await delivered;

  const remaining = Date.parse(input.endsAt) - Date.now();
  const endedEarly = remaining > 0 ? await condition(() => view.state !== 'active', remaining) : view.state !== 'active';
  if (!endedEarly) await end('expired', 'system');
  await condition(allHandlersFinished);
  await deliverAll(endNotices);
  return view;
}
