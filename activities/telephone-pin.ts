/**
 * Activities of the telephone-PIN workflow: the end of a PIN, by expiry or by the citizen's
 * revocation. Each is idempotent: the status moves only from 'active', and the audit entry is
 * written in the same transaction as that move, so a retry finds the row already ended and
 * writes nothing twice. The PIN is created by the API (it must be shown once to the citizen and
 * never enter a workflow history), so no secret passes through here.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { withTransaction } from '../lib/db';
import { appendAudit } from '../lib/audit';
import { ErrorType } from '../domain/errors';
import type { ActivityDeps } from './deps';

/** How a telephone PIN ended; 'locked' is written by the API after too many wrong verifications. */
export type EndedTelephonePinStatus = 'expired' | 'revoked' | 'locked';

export interface TelephonePinEnd {
  status: EndedTelephonePinStatus;
  endedAt: string;
}

export function createTelephonePinActivities(deps: ActivityDeps) {
  const { pool } = deps;

  /** Moves an active PIN to `to` and audits it; an already ended PIN is reported as it is. */
  async function end(
    telephonePinId: string,
    to: 'expired' | 'revoked',
    audit: { actor: string; action: string; detail?: Record<string, unknown> },
  ): Promise<TelephonePinEnd> {
    return withTransaction(pool, async (client) => {
      const moved = await client.query<{ ended_at: Date }>(
        `UPDATE telephone_pins SET status = $2::text, ended_at = now() WHERE id = $1::uuid AND status = 'active' RETURNING ended_at`,
        [telephonePinId, to],
      );
      if (moved.rows[0]) {
        await appendAudit(client, { ...audit, subject: telephonePinId });
        deps.log.info({ telephonePinId, status: to }, 'telephone PIN ended');
        return { status: to, endedAt: moved.rows[0].ended_at.toISOString() };
      }
      const { rows } = await client.query<{ status: EndedTelephonePinStatus; ended_at: Date | null }>(
        'SELECT status, ended_at FROM telephone_pins WHERE id = $1::uuid',
        [telephonePinId],
      );
      if (!rows[0]) throw ApplicationFailure.nonRetryable(`telephone PIN ${telephonePinId} not found`, ErrorType.NotFound);
      return { status: rows[0].status, endedAt: (rows[0].ended_at ?? new Date()).toISOString() };
    });
  }

  return {
    /** The validity ran out (the workflow's timer fired). */
    async expireTelephonePin({ telephonePinId }: { telephonePinId: string }): Promise<TelephonePinEnd> {
      return end(telephonePinId, 'expired', { actor: 'system', action: 'telephone_pin.expired' });
    },

    /** The citizen revoked the PIN before its expiry. */
    async revokeTelephonePin(input: { telephonePinId: string; revokedBy: string; assertionId?: string }): Promise<TelephonePinEnd> {
      return end(input.telephonePinId, 'revoked', {
        actor: input.revokedBy,
        action: 'telephone_pin.revoked',
        detail: input.assertionId ? { identitySessionId: input.assertionId } : {},
      });
    },
  };
}
