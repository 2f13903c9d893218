/**
 * Activities of the personal PIN's life: activation (first access or regeneration), the
 * reminder before expiry, expiry. The PIN itself was hashed by the API; these only move rows
 * between states, so they are idempotent by (credential, version).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { withTransaction, type PoolClient } from '../lib/db';
import { appendAudit } from '../lib/audit';
import { ErrorType } from '../domain/errors';
import type { ActivityDeps } from './deps';
import { recordEvent } from '../lib/events';
import { enqueueNotification, loadCredential } from './issuance';
import { expiryReminderMessage } from './templates';
import { issuanceStages } from '../lib/metrics';

/** Ends every live session of a credential: its PIN changed, expired or was revoked. */
export async function endSessions(client: PoolClient, credentialId: string, reason: string): Promise<void> {
  await client.query(`UPDATE sessions SET revoked_at = now(), revoked_reason = $2::text WHERE credential_id = $1::uuid AND revoked_at IS NULL`, [
    credentialId,
    reason,
  ]);
}

/**
 * Makes pending personal PIN `pinVersion` the credential's PIN, in the caller's transaction:
 * expiry in calendar months (or `validityMs`), older versions superseded (their posted half
 * wiped), the credential active, sessions on the old PIN ended, the change recorded.
 */
export async function activatePendingPin(
  client: PoolClient,
  input: { credentialId: string; pinVersion: number; months: number; validityMs?: number; reason: 'first_access' | 'regeneration' | 'remote_identification'; actor: string },
): Promise<string> {
  const activation = await client.query<{ expires_at: Date }>(
    `UPDATE pin_secrets SET status = 'active', activated_at = now(),
            expires_at = now() + CASE WHEN $4::bigint IS NULL THEN make_interval(months => $3::int) ELSE make_interval(secs => $4::bigint / 1000.0) END
      WHERE credential_id = $1::uuid AND version = $2::int RETURNING expires_at`,
    [input.credentialId, input.pinVersion, input.months, input.validityMs ?? null],
  );
  await client.query(
    `UPDATE pin_secrets SET status = 'superseded', superseded_at = coalesce(superseded_at, now()), second_half_enc = NULL
      WHERE credential_id = $1::uuid AND version < $2::int AND status <> 'superseded'`,
    [input.credentialId, input.pinVersion],
  );
  await client.query(`UPDATE credentials SET state = 'active', updated_at = now() WHERE id = $1::uuid`, [input.credentialId]);
  await endSessions(client, input.credentialId, 'pin_changed');
  const pinExpiresAt = activation.rows[0]!.expires_at.toISOString();
  await recordEvent(client, input.credentialId, input.reason, input.actor, { pinVersion: input.pinVersion, pinExpiresAt }, `${input.credentialId}:activated:${input.pinVersion}`);
  await appendAudit(client, { actor: input.actor, action: input.reason, subject: input.credentialId, decision: 'pin_activated', detail: { pinVersion: input.pinVersion } });
  return pinExpiresAt;
}

export function createAccessActivities(deps: ActivityDeps) {
  const { pool } = deps;
  return {
    /**
     * Makes a pending personal PIN the credential's PIN: older versions are superseded (their
     * pending posted half wiped), sessions on the old PIN end, the expiry is set in calendar
     * months (fewer for an institutional intermediary). Returns the expiry only.
     */
    async activatePersonalPin(input: {
      credentialId: string;
      pinVersion: number;
      previousVersion: number;
      reason: 'first_access' | 'regeneration';
      citizenMonths: number;
      intermediaryMonths: number;
      /** Test and drill override of the calendar months. */
      validityMs?: number;
    }): Promise<{ pinExpiresAt: string }> {
      let activated = false;
      const result = await withTransaction(pool, async (client) => {
        const c = await loadCredential(client, input.credentialId, true);
        const months = c.profile?.intermediary ? input.intermediaryMonths : input.citizenMonths;
        const { rows } = await client.query<{ status: string; expires_at: Date | null }>(
          `SELECT status, expires_at FROM pin_secrets WHERE credential_id = $1::uuid AND version = $2::int AND kind = 'personal'`,
          [input.credentialId, input.pinVersion],
        );
        const row = rows[0];
        if (!row) throw ApplicationFailure.nonRetryable(`personal PIN version ${input.pinVersion} not found`, ErrorType.NotFound);
        if (row.status === 'active' && row.expires_at) return { pinExpiresAt: row.expires_at.toISOString() };
        if (row.status !== 'pending') throw ApplicationFailure.nonRetryable(`PIN version ${input.pinVersion} is ${row.status}`, ErrorType.Conflict);

        const pinExpiresAt = await activatePendingPin(client, {
          credentialId: input.credentialId,
          pinVersion: input.pinVersion,
          months,
          ...(input.validityMs !== undefined ? { validityMs: input.validityMs } : {}),
          reason: input.reason,
          actor: 'citizen',
        });
        activated = true;
        return { pinExpiresAt };
      });
      if (activated) issuanceStages.inc({ stage: input.reason });
      return result;
    },

    async enqueueExpiryReminder(input: { credentialId: string; pinVersion: number; pinExpiresAt: string }): Promise<{ outboxIds: string[] }> {
      return withTransaction(pool, async (client) => {
        const c = await loadCredential(client, input.credentialId);
        const day = new Intl.DateTimeFormat('it-IT', { timeZone: 'Europe/Rome', dateStyle: 'short' }).format(new Date(input.pinExpiresAt));
        const rows = await enqueueNotification(deps, client, c, 'expiry-reminder', input.pinVersion, (channel) =>
          expiryReminderMessage(c.holder, day, deps.publicBaseUrl, channel),
        );
        return { outboxIds: rows.map((r) => r.outboxId) };
      });
    },

    async expirePersonalPin(input: { credentialId: string; pinVersion: number }): Promise<void> {
      await withTransaction(pool, async (client) => {
        const { rowCount } = await client.query(
          `UPDATE credentials SET state = 'pin_expired', updated_at = now() WHERE id = $1::uuid AND state = 'active'`,
          [input.credentialId],
        );
        if (rowCount) {
          await endSessions(client, input.credentialId, 'pin_expired');
          await recordEvent(client, input.credentialId, 'pin_expired', 'system', { pinVersion: input.pinVersion }, `${input.credentialId}:pin-expired:${input.pinVersion}`);
        }
      });
    },
  };
}
