/**
 * Activities of a delegation's life: the notices when it starts, and its end (end date reached,
 * or revoked by the delegator or a clerk) with the notices to both parties. Idempotent: the end
 * is written once, the notices are keyed by delegation.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { withTransaction, type PoolClient } from '../lib/db';
import { appendAudit } from '../lib/audit';
import { ErrorType } from '../domain/errors';
import type { ActivityDeps } from './deps';
import { recordEvent } from '../lib/events';
import { enqueueNotification, loadCredential, type CredentialRow } from './issuance';
import { delegationCreatedMessage, delegationEndedMessage } from './notice-templates';
import { ENDED_STATES } from '../domain/credential';

interface DelegationRow {
  id: string;
  delegator_credential_id: string;
  delegator_cf: string;
  delegate_cf: string;
  scope: 'consult' | 'consult_and_claims';
  ends_on: string;
  status: 'active' | 'expired' | 'revoked';
  ended_at: Date | null;
}

async function loadDelegation(client: PoolClient, delegationId: string, lock: boolean): Promise<DelegationRow> {
  const { rows } = await client.query<DelegationRow>(
    `SELECT id, delegator_credential_id, delegator_cf, delegate_cf, scope, to_char(ends_on, 'YYYY-MM-DD') AS ends_on, status, ended_at
       FROM delegations WHERE id = $1::uuid ${lock ? 'FOR UPDATE' : ''}`,
    [delegationId],
  );
  if (!rows[0]) throw ApplicationFailure.nonRetryable(`delegation ${delegationId} not found`, ErrorType.NotFound);
  return rows[0];
}

/** The delegate's live credential, if they hold one (notices need its contacts). */
async function delegateCredential(client: PoolClient, codiceFiscale: string): Promise<CredentialRow | undefined> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT id FROM credentials WHERE codice_fiscale = $1::text AND state <> ALL($2::text[]) LIMIT 1`,
    [codiceFiscale, ENDED_STATES],
  );
  return rows[0] ? loadCredential(client, rows[0].id) : undefined;
}

const MAIL_ONLY = ['email', 'pec'] as const;

export function createDelegationActivities(deps: ActivityDeps) {
  const { pool } = deps;
  return {
    /** Tells the delegator and (when they hold a PIN with contacts) the delegate. */
    async notifyDelegationCreated(input: { delegationId: string }): Promise<{ outboxIds: string[] }> {
      return withTransaction(pool, async (client) => {
        const d = await loadDelegation(client, input.delegationId, false);
        const delegator = await loadCredential(client, d.delegator_credential_id);
        const delegate = await delegateCredential(client, d.delegate_cf);
        const out = await enqueueNotification(deps, client, delegator, 'delegation-created', d.id, () =>
          delegationCreatedMessage(delegator.holder, 'delegator', { otherCodiceFiscale: d.delegate_cf, scope: d.scope, endsOn: d.ends_on }), MAIL_ONLY);
        if (delegate) {
          out.push(
            ...(await enqueueNotification(deps, client, delegate, 'delegation-received', d.id, () =>
              delegationCreatedMessage(delegate.holder, 'delegate', { otherCodiceFiscale: d.delegator_cf, scope: d.scope, endsOn: d.ends_on }), MAIL_ONLY)),
          );
        }
        return { outboxIds: out.map((o) => o.outboxId) };
      });
    },

    /**
     * Ends an active delegation (`expired` by the timer, `revoked` on request): the row, the
     * delegator's timeline, the audit log and the notices to both. Already ended: its outcome.
     */
    async endDelegation(input: { delegationId: string; reason: 'expired' | 'revoked'; endedBy: string }): Promise<{
      status: 'expired' | 'revoked';
      endedAt: string;
      outboxIds: string[];
    }> {
      return withTransaction(pool, async (client) => {
        let d = await loadDelegation(client, input.delegationId, true);
        if (d.status === 'active') {
          await client.query(`UPDATE delegations SET status = $2::text, ended_at = now(), ended_by = $3::text WHERE id = $1::uuid`, [d.id, input.reason, input.endedBy]);
          await recordEvent(client, d.delegator_credential_id, 'delegation_ended', input.endedBy, { delegationId: d.id, reason: input.reason }, `${d.id}:delegation-ended`);
          await appendAudit(client, { actor: input.endedBy, action: 'delegation.end', subject: d.id, decision: input.reason, detail: { delegatorCredentialId: d.delegator_credential_id } });
          d = await loadDelegation(client, input.delegationId, false);
        }
        const status = d.status === 'active' ? input.reason : d.status;
        const delegator = await loadCredential(client, d.delegator_credential_id);
        const delegate = await delegateCredential(client, d.delegate_cf);
        const out = await enqueueNotification(deps, client, delegator, 'delegation-ended', d.id, () => delegationEndedMessage(delegator.holder, status, d.delegate_cf), MAIL_ONLY);
        if (delegate) {
          out.push(...(await enqueueNotification(deps, client, delegate, 'delegation-ended', d.id, () => delegationEndedMessage(delegate.holder, status, d.delegator_cf), MAIL_ONLY)));
        }
        return { status, endedAt: (d.ended_at ?? new Date()).toISOString(), outboxIds: out.map((o) => o.outboxId) };
      });
    },
  };
}
