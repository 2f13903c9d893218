/**
 * Activities of a delegation's life: the notices when it starts, the delegate's acceptance, and
 * its end (end date reached; revoked by the delegator, the delegate or a clerk; declined; not
 * accepted in time) with the notices to both parties. Idempotent: each step is written once, the
 * notices are keyed by delegation. A delegation registered at an office has no delegator
 * credential: the delegator is told through their live PIN's contacts when they hold one.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { withTransaction, type PoolClient } from '../lib/db';
import { appendAudit } from '../lib/audit';
import { ErrorType } from '../domain/errors';
import type { ActivityDeps } from './deps';
import { recordEvent } from '../lib/events';
import { holderName, personNames } from '../lib/people';
import { enqueueNotification, loadCredential, type CredentialRow } from './issuance';
import { delegationAcceptedMessage, delegationCreatedMessage, delegationEndedMessage, type DelegationParty } from './notice-templates';
import { ENDED_STATES } from '../domain/credential';

type EndReason = 'expired' | 'revoked' | 'declined' | 'lapsed';

interface DelegationRow {
  id: string;
  delegator_credential_id: string | null;
  delegator_cf: string;
  delegate_cf: string;
  scope: 'consult' | 'consult_and_claims';
  ends_on: string;
  status: 'pending' | 'active' | EndReason;
  office: string | null;
  ended_at: Date | null;
}

async function loadDelegation(client: PoolClient, delegationId: string, lock: boolean): Promise<DelegationRow> {
  const { rows } = await client.query<DelegationRow>(
    `SELECT id, delegator_credential_id, delegator_cf, delegate_cf, scope, to_char(ends_on, 'YYYY-MM-DD') AS ends_on, status, office, ended_at
       FROM delegations WHERE id = $1::uuid ${lock ? 'FOR UPDATE' : ''}`,
    [delegationId],
  );
  if (!rows[0]) throw ApplicationFailure.nonRetryable(`delegation ${delegationId} not found`, ErrorType.NotFound);
  return rows[0];
}

/** A party's live credential, if they hold one (notices need its contacts). */
async function liveCredential(client: PoolClient, codiceFiscale: string): Promise<CredentialRow | undefined> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT id FROM credentials WHERE codice_fiscale = $1::text AND state <> ALL($2::text[]) LIMIT 1`,
    [codiceFiscale, ENDED_STATES],
  );
  return rows[0] ? loadCredential(client, rows[0].id) : undefined;
}

/** The delegator's credential: the one that gave it online, else (an office delegation) their live one, if any. */
const delegatorCredential = (client: PoolClient, d: DelegationRow): Promise<CredentialRow | undefined> =>
  d.delegator_credential_id ? loadCredential(client, d.delegator_credential_id) : liveCredential(client, d.delegator_cf);

/**
 * A party as the other one's notice names them: by name and surname when the system has them
 * (the credential, else the newest one they held), always with the codice fiscale.
 */
async function partyOf(client: PoolClient, codiceFiscale: string, credential?: CredentialRow): Promise<DelegationParty> {
  const name = holderName(credential?.holder) || (await personNames(client, [codiceFiscale])).get(codiceFiscale);
  return name ? { codiceFiscale, name } : { codiceFiscale };
}

const MAIL_ONLY = ['email', 'pec'] as const;

export function createDelegationActivities(deps: ActivityDeps) {
  const { pool } = deps;
  return {
    /**
     * Tells the delegator and the delegate (each when they hold a PIN with contacts) that it was
     * registered; with `acceptBy`, that it waits for the delegate's acceptance until then.
     */
    async notifyDelegationCreated(input: { delegationId: string; acceptBy?: string }): Promise<{ outboxIds: string[] }> {
      return withTransaction(pool, async (client) => {
        const d = await loadDelegation(client, input.delegationId, false);
        const delegator = await delegatorCredential(client, d);
        const delegate = await liveCredential(client, d.delegate_cf);
        const details = { scope: d.scope, endsOn: d.ends_on, ...(input.acceptBy ? { acceptBy: input.acceptBy, office: d.office } : {}) };
        const [delegatorParty, delegateParty] = [await partyOf(client, d.delegator_cf, delegator), await partyOf(client, d.delegate_cf, delegate)];
        const out = delegator
          ? await enqueueNotification(deps, client, delegator, 'delegation-created', d.id, () =>
              delegationCreatedMessage(delegator.holder, 'delegator', { other: delegateParty, ...details }), MAIL_ONLY)
          : [];
        if (delegate) {
          out.push(
            ...(await enqueueNotification(deps, client, delegate, 'delegation-received', d.id, () =>
              delegationCreatedMessage(delegate.holder, 'delegate', { other: delegatorParty, ...details }), MAIL_ONLY)),
          );
        }
        return { outboxIds: out.map((o) => o.outboxId) };
      });
    },

    /**
     * The delegate accepted: the row becomes active (recording who accepted), the audit log, and
     * the notices to both. Already accepted: the same notices (keyed), nothing written again.
     */
    async acceptDelegation(input: { delegationId: string; delegateCredentialId: string }): Promise<{ outboxIds: string[] }> {
      return withTransaction(pool, async (client) => {
        let d = await loadDelegation(client, input.delegationId, true);
        const actor = `delegate:${input.delegateCredentialId}`;
        if (d.status === 'pending') {
          // Only before its deadline and its end: a workflow running late must not make usable a
          // delegation the API already treats as lapsed.
          const accepted = await client.query(
            `UPDATE delegations SET status = 'active', accepted_at = now(), accepted_by = $2::text
              WHERE id = $1::uuid AND status = 'pending' AND (accept_by IS NULL OR accept_by > now()) AND ends_at > now()`,
            [d.id, input.delegateCredentialId],
          );
          if (accepted.rowCount !== 1) throw ApplicationFailure.nonRetryable(`delegation ${d.id} can no longer be accepted`, ErrorType.Conflict);
          if (d.delegator_credential_id) {
            await recordEvent(client, d.delegator_credential_id, 'delegation_accepted', actor, { delegationId: d.id }, `${d.id}:delegation-accepted`);
          }
          await appendAudit(client, { actor, action: 'delegation.accept', subject: d.id, decision: 'accepted', detail: { delegateCredentialId: input.delegateCredentialId } });
          d = await loadDelegation(client, input.delegationId, false);
        }
        if (d.status !== 'active') throw ApplicationFailure.nonRetryable(`delegation ${d.id} is ${d.status}`, ErrorType.Conflict);
        const delegator = await delegatorCredential(client, d);
        const delegate = await loadCredential(client, input.delegateCredentialId);
        const [delegatorParty, delegateParty] = [await partyOf(client, d.delegator_cf, delegator), await partyOf(client, d.delegate_cf, delegate)];
        const out = delegator
          ? await enqueueNotification(deps, client, delegator, 'delegation-accepted', d.id, () =>
              delegationAcceptedMessage(delegator.holder, 'delegator', { other: delegateParty, endsOn: d.ends_on }), MAIL_ONLY)
          : [];
        out.push(
          ...(await enqueueNotification(deps, client, delegate, 'delegation-accepted', d.id, () =>
            delegationAcceptedMessage(delegate.holder, 'delegate', { other: delegatorParty, endsOn: d.ends_on }), MAIL_ONLY)),
        );
        return { outboxIds: out.map((o) => o.outboxId) };
      });
    },

    /**
     * Ends a pending or active delegation (`expired` by the timer, `lapsed` when not accepted in
     * time, `revoked` or `declined` on request): the row, the delegator's timeline, the audit log
     * and the notices to both. Already ended: its outcome.
     */
    async endDelegation(input: { delegationId: string; reason: EndReason; endedBy: string }): Promise<{
      status: EndReason;
      endedAt: string;
      outboxIds: string[];
    }> {
      return withTransaction(pool, async (client) => {
        let d = await loadDelegation(client, input.delegationId, true);
        if (d.status === 'active' || d.status === 'pending') {
          await client.query(`UPDATE delegations SET status = $2::text, ended_at = now(), ended_by = $3::text WHERE id = $1::uuid`, [d.id, input.reason, input.endedBy]);
          if (d.delegator_credential_id) {
            await recordEvent(client, d.delegator_credential_id, 'delegation_ended', input.endedBy, { delegationId: d.id, reason: input.reason }, `${d.id}:delegation-ended`);
          }
          await appendAudit(client, { actor: input.endedBy, action: 'delegation.end', subject: d.id, decision: input.reason, detail: { delegatorCredentialId: d.delegator_credential_id } });
          d = await loadDelegation(client, input.delegationId, false);
        }
        const status: EndReason = d.status === 'active' || d.status === 'pending' ? input.reason : d.status;
        const delegator = await delegatorCredential(client, d);
        const delegate = await liveCredential(client, d.delegate_cf);
        const [delegatorParty, delegateParty] = [await partyOf(client, d.delegator_cf, delegator), await partyOf(client, d.delegate_cf, delegate)];
        const out = delegator
          ? await enqueueNotification(deps, client, delegator, 'delegation-ended', d.id, () => delegationEndedMessage(delegator.holder, status, delegateParty), MAIL_ONLY)
          : [];
        if (delegate) {
          out.push(...(await enqueueNotification(deps, client, delegate, 'delegation-ended', d.id, () => delegationEndedMessage(delegate.holder, status, delegatorParty), MAIL_ONLY)));
        }
        return { status, endedAt: (d.ended_at ?? new Date()).toISOString(), outboxIds: out.map((o) => o.outboxId) };
      });
    },
  };
}
