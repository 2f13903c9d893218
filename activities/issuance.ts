/**
 * Activities of the request and the initial issuance. Each is idempotent: it may run twice
 * (retry after a crash or timeout) and the second run finds the first one's rows and returns
 * the same references. The PIN is created, hashed, encrypted for its channels and forgotten in
 * one transaction; only ids leave this module.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { withTransaction, type PoolClient } from '../lib/db';
import { ErrorType } from '../domain/errors';
import type { ActivityDeps } from './deps';
import { encryptSecret, generatePin, keyedHash, newSalt } from '../lib/secrets';
import { firstHalfMessage, reminderMessage, requestReceivedMessage, requestRefusedMessage, type MessageContent } from './templates';
import { appendAudit } from '../lib/audit';
import { grantHolds, type AuthorityGrant } from '../lib/authority';
import { recordEvent } from '../lib/events';
import { issuanceStages } from '../lib/metrics';

import { contactChannels, type Channel } from '../domain/contact-routes';
import type { CredentialRow } from '../domain/credential';

export { contactChannels, type Channel };

export type { CredentialRow } from '../domain/credential';

/** The outbox payload's additional authenticated data: the ciphertext only opens for its row. */
export const outboxAad = (outboxId: string): string => `outbox:${outboxId}`;
export const secondHalfAad = (credentialId: string, version: number): string => `second-half:${credentialId}:${version}`;

export async function loadCredential(client: PoolClient, credentialId: string, lock = false): Promise<CredentialRow> {
  const { rows } = await client.query<CredentialRow>(
    `SELECT id, state, codice_fiscale, holder, contacts, residence, profile FROM credentials WHERE id = $1::uuid ${lock ? 'FOR UPDATE' : ''}`,
    [credentialId],
  );
  if (!rows[0]) throw ApplicationFailure.nonRetryable(`credential ${credentialId} not found`, ErrorType.NotFound);
  return rows[0];
}

/** Compares what the citizen declared with the institute's record, ignoring case and spacing. */
function sameResidence(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const norm = (v: unknown) => String(v ?? '').toUpperCase().replace(/[^A-Z0-9]/g, '');
  return ['country', 'address', 'city', 'postalCode'].every((k) => norm(a[k]) === norm(b[k]));
}

/** Inserts one outbox row per channel (or finds them), returning their ids in order. */
export async function enqueueNotification(
deps: Pick<ActivityDeps, 'keys'>,
client: PoolClient,
  credential: CredentialRow,
  purpose: string,
  version: number | string,
  render: (channel: Channel) => MessageContent,
  /** Only these channels (e.g. outcome notices go by e-mail/PEC); default: every contact. */
  only?: readonly Channel[],
): Promise<{ outboxId: string; channel: Channel }[]> {
  const out: { outboxId: string; channel: Channel }[] = [];
  for (const { channel, recipient } of contactChannels(credential.contacts)) {
    if (only && !only.includes(channel)) continue;
    const key = `${credential.id}:${purpose}:${version}:${channel}`;
    const id = randomUUID();
    const payload = encryptSecret(deps.keys.secrets, JSON.stringify(render(channel)), outboxAad(id));
    const messageId = `<${purpose}.${id}@pin.inps.example>`;
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO outbox (id, idempotency_key, credential_id, channel, purpose, recipient, message_id, payload_enc)
       VALUES ($1::uuid, $2::text, $3::uuid, $4::text, $5::text, $6::text, $7::text, $8::bytea)
       ON CONFLICT (idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
       RETURNING id`,
      [id, key, credential.id, channel, purpose, recipient, messageId, payload],
    );
    out.push({ outboxId: rows[0]!.id, channel });
  }
  return out;
}

export function createIssuanceActivities(deps: ActivityDeps) {
  const { pool } = deps;

  return {
    /** Reads the plan (channels, address check) and opens a call-back task on a mismatch. */
    async prepareIssuance({ credentialId }: { credentialId: string }): Promise<{ channels: Channel[]; addressMismatch: boolean; requestChannel?: string; receivedNoticeIds?: string[] }> {
      return withTransaction(pool, async (client) => {
        const c = await loadCredential(client, credentialId);
        const requested = await client.query<{ channel: string }>('SELECT channel FROM credentials WHERE id = $1::uuid', [credentialId]);
        const { rows } = await client.query<{ residence: Record<string, unknown>; profile: Record<string, unknown> }>(
          'SELECT residence, profile FROM institute_records WHERE codice_fiscale = $1::text',
          [c.codice_fiscale],
        );
        // The holder's profile (pensioner, employee, scheme, intermediary) scopes the services later.
        if (rows[0]) await client.query('UPDATE credentials SET profile = $2::jsonb WHERE id = $1::uuid', [credentialId, JSON.stringify(rows[0].profile)]);
        const addressMismatch = rows[0] !== undefined && !sameResidence(rows[0].residence, c.residence);
        if (addressMismatch) {
          const phone = c.contacts.preferredPhone === 'mobile' ? c.contacts.mobile : c.contacts.homePhone;
          await client.query(
            `INSERT INTO callback_tasks (id, credential_id, reason, phone, time_slot)
             VALUES ($1::uuid, $2::uuid, 'residence_mismatch', $3::text, $4::text)
             ON CONFLICT (credential_id) DO NOTHING`,
            [randomUUID(), credentialId, phone ?? '', c.contacts.preferredTimeSlot],
          );
          await recordEvent(client, credentialId, 'callback_task_opened', 'system', { reason: 'residence_mismatch' }, `${credentialId}:callback`);
          // Nothing is made or sent until the call verifies the requester.
          await client.query(`UPDATE credentials SET state = 'awaiting_callback', updated_at = now() WHERE id = $1::uuid AND state IN ('requested', 'issuing')`, [credentialId]);
        }
        // The receipt by e-mail/PEC: the protocol number, and what comes next (no secret in it).
        const request = await client.query<{ protocol: string }>('SELECT protocol FROM pin_requests WHERE credential_id = $1::uuid ORDER BY created_at LIMIT 1', [credentialId]);
        const received = request.rows[0]
          ? await enqueueNotification(deps, client, c, 'request-received', 1, () => requestReceivedMessage(c.holder, request.rows[0]!.protocol, addressMismatch), ['email', 'pec'])
          : [];
        return {
          channels: contactChannels(c.contacts).map((x) => x.channel),
          addressMismatch,
          requestChannel: requested.rows[0]?.channel,
          receivedNoticeIds: received.map((n) => n.outboxId),
        };
      });
    },

    /**
     * Creates the 16-character initial PIN: stores a keyed hash of each half, the second half
     * encrypted until it is printed, and one encrypted first-half message per channel; queues
     * the first letter. Returns only references.
     */
    async issueInitialPin({ credentialId, pinVersion }: { credentialId: string; pinVersion: number }): Promise<{
      pinVersion: number;
      firstHalf: { outboxId: string; channel: Channel }[];
      letterId: string;
    }> {
      let created = false;
      const issued = await withTransaction(pool, async (client) => {
        const c = await loadCredential(client, credentialId, true);
        const existing = await client.query('SELECT 1 FROM pin_secrets WHERE credential_id = $1::uuid AND version = $2::int', [credentialId, pinVersion]);
        if (existing.rowCount === 0) {
          created = true;
          const pin = generatePin(16);
          const first = pin.slice(0, 8);
          const second = pin.slice(8);
          const salt = newSalt();
          await client.query(
            `INSERT INTO pin_secrets (credential_id, version, kind, first_half_hash, second_half_hash, salt, second_half_enc)
             VALUES ($1::uuid, $2::int, 'initial', $3::bytea, $4::bytea, $5::bytea, $6::bytea)`,
            [
              credentialId,
              pinVersion,
              keyedHash(deps.keys.pepper, salt, 'first', first),
              keyedHash(deps.keys.pepper, salt, 'second', second),
              salt,
              encryptSecret(deps.keys.secrets, second, secondHalfAad(credentialId, pinVersion)),
            ],
          );
          await enqueueNotification(deps, client, c, 'first-half', pinVersion, (channel) => firstHalfMessage(c.holder, first, channel));
          await client.query(
            `INSERT INTO letters (id, credential_id, pin_version, seq, reason) VALUES ($1::uuid, $2::uuid, $3::int, 1, 'initial')`,
            [randomUUID(), credentialId, pinVersion],
          );
          await client.query(`UPDATE credentials SET state = 'awaiting_first_access', updated_at = now() WHERE id = $1::uuid`, [credentialId]);
          await recordEvent(client, credentialId, 'pin_issued', 'system', { pinVersion }, `${credentialId}:issued:${pinVersion}`);
        }
        const firstHalf = await client.query<{ id: string; channel: Channel }>(
          `SELECT id, channel FROM outbox WHERE credential_id = $1::uuid AND idempotency_key LIKE $2::text ORDER BY array_position(ARRAY['sms','email','pec'], channel)`,
          [credentialId, `${credentialId}:first-half:${pinVersion}:%`],
        );
        const letter = await client.query<{ id: string }>('SELECT id FROM letters WHERE credential_id = $1::uuid AND seq = 1', [credentialId]);
        return {
          pinVersion,
          firstHalf: firstHalf.rows.map((r) => ({ outboxId: r.id, channel: r.channel })),
          letterId: letter.rows[0]!.id,
        };
      });
      if (created) issuanceStages.inc({ stage: 'pin_issued' });
      return issued;
    },

    /** A further letter with the same second half ("I did not get my letter"). */
    async createResendLetter(input: { credentialId: string; pinVersion: number; seq: number; requestedBy: string }): Promise<{ letterId: string }> {
      return withTransaction(pool, async (client) => {
        const { rows } = await client.query<{ id: string }>(
          `INSERT INTO letters (id, credential_id, pin_version, seq, reason) VALUES ($1::uuid, $2::uuid, $3::int, $4::int, 'resend')
           ON CONFLICT (credential_id, seq) DO UPDATE SET seq = EXCLUDED.seq RETURNING id`,
          [randomUUID(), input.credentialId, input.pinVersion, input.seq],
        );
        await recordEvent(client, input.credentialId, 'letter_requested', input.requestedBy, { seq: input.seq }, `${input.credentialId}:letter:${input.seq}`);
        return { letterId: rows[0]!.id };
      });
    },

    /** The day-15 reminder offering a new letter, one outbox row per channel. */
    async enqueueReminder({ credentialId, pinVersion }: { credentialId: string; pinVersion: number }): Promise<{ outboxIds: string[] }> {
      return withTransaction(pool, async (client) => {
        const c = await loadCredential(client, credentialId);
        const rows = await enqueueNotification(deps, client, c, 'reminder', pinVersion, (channel) => reminderMessage(c.holder, deps.publicBaseUrl, channel));
        await recordEvent(client, credentialId, 'reminder_queued', 'system', { pinVersion }, `${credentialId}:reminder:${pinVersion}`);
        return { outboxIds: rows.map((r) => r.outboxId) };
      });
    },

    /** The initial PIN was never used: it dies, its pending half is wiped, a new request is possible. */
    async expireInitialPin({ credentialId, pinVersion }: { credentialId: string; pinVersion: number }): Promise<void> {
      await withTransaction(pool, async (client) => {
        await client.query(
          `UPDATE pin_secrets SET second_half_enc = NULL, superseded_at = coalesce(superseded_at, now())
           WHERE credential_id = $1::uuid AND version = $2::int`,
          [credentialId, pinVersion],
        );
        await client.query(`UPDATE credentials SET state = 'expired', updated_at = now() WHERE id = $1::uuid AND state <> 'revoked'`, [credentialId]);
        await recordEvent(client, credentialId, 'initial_pin_expired', 'system', { pinVersion }, `${credentialId}:expired:${pinVersion}`);
      });
    },

    /**
     * One call-back recorded by an operator the API authenticated (grant checked before anything
     * is written). Verified: the letter will go to the address confirmed on the call (the record's
     * residence replaces the declared one when the call confirmed the record). Not verified, or
     * unreachable for the `maxAttempts`-th time: the task is refused. Idempotent by attempt number.
     */
    async recordCallbackAttempt(input: {
      credentialId: string;
      outcome: 'verified' | 'not_verified' | 'unreachable';
      address?: 'record' | 'declared';
      staffId: string;
      note?: string;
      grant?: AuthorityGrant;
      attempt: number;
      maxAttempts: number;
    }): Promise<{ attempts: number; status: 'open' | 'verified' | 'refused' }> {
      const actor = `staff:${input.staffId}`;
      const claim = { actor, role: 'callback', target: input.credentialId, action: input.outcome, detail: input.address ?? '' };
      if (!grantHolds(deps.keys.secrets, claim, input.grant)) throw ApplicationFailure.nonRetryable('FORGED_AUTHORITY', ErrorType.Forbidden);
      return withTransaction(pool, async (client) => {
        const { rows } = await client.query<{ id: string; status: 'open' | 'verified' | 'refused'; attempts: number }>(
          'SELECT id, status, attempts FROM callback_tasks WHERE credential_id = $1::uuid FOR UPDATE',
          [input.credentialId],
        );
        const task = rows[0];
        if (!task) throw ApplicationFailure.nonRetryable('no call-back task for this credential', ErrorType.NotFound);
        const inserted = await client.query(
          `INSERT INTO callback_attempts (task_id, attempt, outcome, recorded_by, note) VALUES ($1::uuid, $2::int, $3::text, $4::text, $5::text)
           ON CONFLICT (task_id, attempt) DO NOTHING`,
          [task.id, input.attempt, input.outcome, actor, input.note ?? null],
        );
        if (inserted.rowCount === 0) return { attempts: task.attempts, status: task.status }; // a retry: already recorded
        const status = input.outcome === 'verified' ? 'verified' : input.outcome === 'not_verified' || input.attempt >= input.maxAttempts ? 'refused' : 'open';
        await client.query(
          `UPDATE callback_tasks SET attempts = $2::int, outcome = $3::text, address = $4::text, note = coalesce($5::text, note),
                  last_attempt_at = now(), last_attempt_by = $6::text, status = $7::text,
                  closed_at = CASE WHEN $7::text <> 'open' THEN now() END, closed_by = CASE WHEN $7::text <> 'open' THEN $6::text END
            WHERE id = $1::uuid`,
          [task.id, input.attempt, input.outcome, input.address ?? null, input.note ?? null, actor, status],
        );
        if (input.outcome === 'verified' && input.address === 'record') {
          await client.query(
            `UPDATE credentials c SET residence = r.residence, updated_at = now() FROM institute_records r WHERE c.id = $1::uuid AND r.codice_fiscale = c.codice_fiscale`,
            [input.credentialId],
          );
        }
        const detail = { attempt: input.attempt, outcome: input.outcome, ...(input.address ? { address: input.address } : {}) };
        await recordEvent(client, input.credentialId, `callback_${input.outcome}`, actor, detail, `${input.credentialId}:callback:${input.attempt}`);
        await appendAudit(client, { actor, action: 'callback_outcome', subject: input.credentialId, decision: input.outcome, detail });
        return { attempts: input.attempt, status };
      });
    },

    /** The call-back did not verify the requester: the request ends (nothing was made) and its contacts are told. */
    async refuseUnverifiedRequest({ credentialId, outcome }: { credentialId: string; outcome: string }): Promise<{ outboxIds: string[] }> {
      return withTransaction(pool, async (client) => {
        const c = await loadCredential(client, credentialId, true);
        if (c.state === 'awaiting_callback') {
          await client.query(`UPDATE credentials SET state = 'refused', updated_at = now() WHERE id = $1::uuid`, [credentialId]);
          await client.query(
            `UPDATE callback_tasks SET status = 'refused', outcome = coalesce(outcome, $2::text), closed_at = coalesce(closed_at, now()), closed_by = coalesce(closed_by, 'system')
              WHERE credential_id = $1::uuid`,
            [credentialId, outcome === 'expired' ? 'expired' : null],
          );
          await recordEvent(client, credentialId, 'request_refused', 'system', { outcome }, `${credentialId}:refused`);
          await appendAudit(client, { actor: 'system', action: 'request_refused', subject: credentialId, decision: outcome });
        }
        const notices = await enqueueNotification(deps, client, c, 'request-refused', 1, (channel) => requestRefusedMessage(c.holder, channel));
        return { outboxIds: notices.map((n) => n.outboxId) };
      });
    },

    async raiseAlert({ credentialId, kind, key }: { credentialId: string; kind: string; key: string }): Promise<void> {
      await pool.query(
        `INSERT INTO operational_alerts (id, idempotency_key, credential_id, kind) VALUES ($1::uuid, $2::text, $3::uuid, $4::text)
         ON CONFLICT (idempotency_key) DO NOTHING`,
        [randomUUID(), `${credentialId}:${key}`, credentialId, kind],
      );
      deps.log.warn({ credentialId, kind }, 'operational alert');
    },
  };
}
