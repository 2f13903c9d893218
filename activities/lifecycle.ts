/**
 * Activities that end or replace a credential's PIN outside its normal cycle: revocation, and
 * the re-issue over two contact channels used by recovery and remote identification. The new
 * PIN is created, hashed and encrypted for its two channels in one transaction; only ids leave.
 */
import { Context } from '@temporalio/activity';
import { grantHolds, type AuthorityGrant } from '../lib/authority';
import { ApplicationFailure } from '@temporalio/activity';
import { withTransaction, type PoolClient } from '../lib/db';
import { appendAudit } from '../lib/audit';
import { issuanceStages, lettersReturned } from '../lib/metrics';
import { ErrorType } from '../domain/errors';
import type { ActivityDeps } from './deps';
import { activatePendingPin, endSessions } from './access';
import { hashPin } from '../lib/pin-hash';
import { recordEvent, reissueEventKey } from '../lib/events';
import { purgeLetterFiles } from './mailroom';
import { twoChannelRoute } from '../domain/contact-routes';
import { enqueueNotification, loadCredential, secondHalfAad, type Channel } from './issuance';
import { encryptSecret, generatePin, keyedHash, newSalt } from '../lib/secrets';
import { claimsCancelledMessage, dispositivoPinPartMessage, pinReissuedNotice, revocationNotice, secondHalfMessage, twoChannelFirstHalfMessage } from './templates';

type PinType = 'ordinary' | 'dispositivo';

/** Kills every PIN version, session and pending letter of a credential. */
async function retireCurrentPin(client: PoolClient, credentialId: string, sessionReason: string): Promise<void> {
  await client.query(
    `UPDATE pin_secrets SET status = 'superseded', superseded_at = coalesce(superseded_at, now()), second_half_enc = NULL
      WHERE credential_id = $1::uuid AND status <> 'superseded'`,
    [credentialId],
  );
  await client.query(`UPDATE letters SET status = 'void' WHERE credential_id = $1::uuid AND status = 'queued'`, [credentialId]);
  await endSessions(client, credentialId, sessionReason);
}

export function createLifecycleActivities(deps: ActivityDeps) {
  const { pool } = deps;

  return {
    /** Revocation: at once and for good. A retry finds it done and returns the same answer. */
    async revokeCredential(input: {
      credentialId: string;
      requestedBy: string;
      reason: string;
      grant?: AuthorityGrant;
    }): Promise<{ revokedAt: string; outboxIds: string[]; delegationIds: string[]; cancelledClaimIds: string[] }> {
      // Before anything is written: a revocation the API did not vouch for changes nothing.
      if (!grantHolds(deps.keys.secrets, { actor: input.requestedBy, role: 'revoke', target: input.credentialId, action: input.reason }, input.grant)) {
        throw ApplicationFailure.nonRetryable('FORGED_AUTHORITY', ErrorType.Forbidden);
      }
      const revoked = await withTransaction(pool, async (client) => {
        const c = await loadCredential(client, input.credentialId, true);
        if (c.state !== 'revoked') {
          await client.query(`UPDATE credentials SET state = 'revoked', updated_at = now() WHERE id = $1::uuid`, [input.credentialId]);
          await retireCurrentPin(client, input.credentialId, 'revoked');
          await client.query(
            `UPDATE review_cases SET status = 'rejected', reason = 'revoked', decided_at = now()
              WHERE credential_id = $1::uuid AND status IN ('open', 'claimed', 'awaiting_second_review')`,
            [input.credentialId],
          );
          await recordEvent(client, input.credentialId, 'revoked', input.requestedBy, { reason: input.reason }, `${input.credentialId}:revoked`);
          await appendAudit(client, { actor: input.requestedBy, action: 'revoke', subject: input.credentialId, decision: 'revoked', detail: { reason: input.reason } });
        }
        const { rows } = await client.query<{ at: Date }>(`SELECT at FROM credential_events WHERE idempotency_key = $1::text`, [`${input.credentialId}:revoked`]);
        const notices = await enqueueNotification(deps, client, c, 'revocation', 'final', (channel) => revocationNotice(c.holder, channel));
        // The delegations this credential gave end with it (its workflow tells theirs).
        const delegations = await client.query<{ id: string }>(`SELECT id FROM delegations WHERE delegator_credential_id = $1::uuid AND status IN ('pending', 'active')`, [input.credentialId]);
        // Claims held for this PIN would wait for ever: cancelled, the holder told once (a retry finds them cancelled by this revocation).
        await client.query(
          `UPDATE benefit_claims SET status = 'cancelled', ended_at = now(), ended_by = $2::text, reason = 'credential_revoked'
            WHERE credential_id = $1::uuid AND status = 'waiting_for_dispositivo'`,
          [input.credentialId, input.requestedBy],
        );
        const cancelled = await client.query<{ id: string; protocol: string }>(
          `SELECT id, protocol FROM benefit_claims WHERE credential_id = $1::uuid AND status = 'cancelled' AND reason = 'credential_revoked' ORDER BY received_at`,
          [input.credentialId],
        );
        const claimNotices = cancelled.rows.length
          ? await enqueueNotification(deps, client, c, 'claims-cancelled', 'final', () => claimsCancelledMessage(c.holder, cancelled.rows.map((r) => r.protocol)), ['email', 'pec'])
          : [];
        return {
          revokedAt: (rows[0]?.at ?? new Date()).toISOString(),
          outboxIds: [...notices, ...claimNotices].map((n) => n.outboxId),
          delegationIds: delegations.rows.map((d) => d.id),
          cancelledClaimIds: cancelled.rows.map((r) => r.id),
        };
      });
      await purgeLetterFiles(deps, input.credentialId).catch((err: unknown) => deps.log.warn({ err }, 'letter files not deleted; the next dispatch retries'));
      return revoked;
    },

    /**
     * A letter came back: its second half is void. A new second half replaces it (hash and the
     * encrypted copy for printing), so the returned letter — possibly opened — opens nothing; the
     * first half stays. Letters not yet dispatched carry the old half as well and are voided.
     */
    async voidPostedHalf(input: { credentialId: string; pinVersion: number; letterId: string; recordedBy: string }): Promise<{ voidedLetterIds: string[] }> {
      const voided = await withTransaction(pool, async (client) => {
        await loadCredential(client, input.credentialId, true);
        const key = `${input.letterId}:half-voided`;
        const done = await client.query<{ data: { voidedLetterIds: string[] } }>('SELECT data FROM credential_events WHERE idempotency_key = $1::text', [key]);
        if (done.rows[0]) return { voidedLetterIds: done.rows[0].data.voidedLetterIds, fresh: false };
        await client.query(`UPDATE letters SET status = 'returned' WHERE id = $1::uuid AND status = 'dispatched'`, [input.letterId]);
        const voided = await client.query<{ id: string }>(
          `UPDATE letters SET status = 'void' WHERE credential_id = $1::uuid AND pin_version = $2::int AND status = 'queued' RETURNING id`,
          [input.credentialId, input.pinVersion],
        );
        const secondHalf = generatePin(8);
        const salt = await client.query<{ salt: Buffer }>('SELECT salt FROM pin_secrets WHERE credential_id = $1::uuid AND version = $2::int', [input.credentialId, input.pinVersion]);
        if (!salt.rows[0]) throw ApplicationFailure.nonRetryable(`PIN version ${input.pinVersion} not found`, ErrorType.NotFound);
        await client.query(
          `UPDATE pin_secrets SET second_half_hash = $3::bytea, second_half_enc = $4::bytea WHERE credential_id = $1::uuid AND version = $2::int`,
          [
            input.credentialId,
            input.pinVersion,
            keyedHash(deps.keys.pepper, salt.rows[0].salt, 'second', secondHalf),
            encryptSecret(deps.keys.secrets, secondHalf, secondHalfAad(input.credentialId, input.pinVersion)),
          ],
        );
        const data = { letterId: input.letterId, voidedLetterIds: voided.rows.map((r) => r.id) };
        await recordEvent(client, input.credentialId, 'posted_half_voided', input.recordedBy, data, key);
        await appendAudit(client, { actor: input.recordedBy, action: 'letter_returned', subject: input.credentialId, decision: 'half_voided', detail: data });
        return { voidedLetterIds: data.voidedLetterIds, fresh: true };
      });
      // Counted once, by the run that recorded it (a retried activity finds it done).
      if (voided.fresh) lettersReturned.inc({ after_activation: 'false' });
      // The returned letter and the voided ones carry a dead half: their files go now.
      await purgeLetterFiles(deps, input.credentialId).catch((err: unknown) => deps.log.warn({ err }, 'letter files not deleted; the next dispatch retries'));
      return { voidedLetterIds: voided.voidedLetterIds };
    },

    /**
     * Recovery / remote identification, step one: the current PIN, its sessions and pending
     * letters die; the credential waits for the new PIN with the given type. Making it
     * dispositivo releases held claims, as a conversion does. Idempotent per activity.
     */
    async supersedeForReissue(input: {
      credentialId: string;
      requestedBy: string;
      reason: 'recovery' | 'remote_identification';
      pinType: PinType;
      /** The request this answers; the event is recorded under it (`reissueEventKey`). */
      requestKey?: string;
      /** The API's grant over the request, and the PIN type it asked for (lib/authority.ts). */
      grant?: AuthorityGrant;
      requestedPinType?: string;
    }): Promise<{
      pinVersion: number;
      pinType: PinType;
      releasedClaimIds: string[];
    }> {
      if (!grantHolds(deps.keys.secrets, { actor: input.requestedBy, role: 'reissue', target: input.credentialId, action: input.reason, detail: input.requestedPinType ?? '' }, input.grant)) {
        throw ApplicationFailure.nonRetryable('FORGED_AUTHORITY', ErrorType.Forbidden);
      }
      const info = Context.current().info;
      const key = input.requestKey
        ? reissueEventKey(input.credentialId, input.requestKey)
        : `${input.credentialId}:reissue:${info.workflowExecution?.runId ?? 'standalone'}:${info.activityId}`;
      const superseded = await withTransaction(pool, async (client) => {
        const c = await loadCredential(client, input.credentialId, true);
        const done = await client.query<{ data: { pinVersion: number; pinType: PinType } }>('SELECT data FROM credential_events WHERE idempotency_key = $1::text', [key]);
        let result = done.rows[0]?.data;
        if (!result) {
          if (c.state === 'revoked' || c.state === 'expired') throw ApplicationFailure.nonRetryable(`credential is ${c.state}`, ErrorType.Conflict);
          const v = await client.query<{ v: number }>('SELECT coalesce(max(version), 0) + 1 AS v FROM pin_secrets WHERE credential_id = $1::uuid', [input.credentialId]);
          result = { pinVersion: v.rows[0]!.v, pinType: input.pinType };
          await retireCurrentPin(client, input.credentialId, input.reason);
          await client.query(
            `UPDATE credentials SET state = 'issuing', pin_type = $2::text, issuance_mode = 'two_channel', updated_at = now() WHERE id = $1::uuid`,
            [input.credentialId, input.pinType],
          );
          if (input.pinType === 'dispositivo') {
            const released = await client.query<{ id: string }>(
              `UPDATE benefit_claims SET status = 'released', released_at = now() WHERE credential_id = $1::uuid AND status = 'waiting_for_dispositivo' RETURNING id`,
              [input.credentialId],
            );
            for (const { id } of released.rows) {
              await client.query('INSERT INTO claim_releases (claim_id, credential_id) VALUES ($1::uuid, $2::uuid) ON CONFLICT DO NOTHING', [id, input.credentialId]);
            }
          }
          // The holder proved who they are (two contacts, or an operator's identification): a lock
          // on the credential — perhaps a stranger's wrong tries — is lifted with the old PIN.
          await client.query(
            `UPDATE credential_access SET consecutive_failures = 0, locked_until = NULL, permanently_locked_at = NULL WHERE credential_id = $1::uuid`,
            [input.credentialId],
          );
          await recordEvent(client, input.credentialId, `reissue_${input.reason}`, input.requestedBy, result, key);
          await appendAudit(client, { actor: input.requestedBy, action: input.reason, subject: input.credentialId, decision: 'pin_superseded', detail: result });
        }
        const pending = await client.query<{ claim_id: string }>(
          'SELECT claim_id FROM claim_releases WHERE credential_id = $1::uuid AND signalled_at IS NULL ORDER BY created_at',
          [input.credentialId],
        );
        return { ...result, releasedClaimIds: pending.rows.map((r) => r.claim_id) };
      });
      await purgeLetterFiles(deps, input.credentialId).catch((err: unknown) => deps.log.warn({ err }, 'letter files not deleted; the next dispatch retries'));
      return superseded;
    },

    /**
     * Remote identification ("ottenere il PIN dispositivo di 8 cifre"): an 8-character dispositivo
     * PIN, active at once (no first access: the operator identified the holder), its two parts of
     * four characters sent to two different contacts, and a notice to every non-postal contact.
     */
    async issueDispositivoPinOverTwoChannels(input: { credentialId: string; pinVersion: number; citizenMonths: number; intermediaryMonths: number; validityMs?: number }): Promise<{
      halves: { outboxId: string; channel: Channel }[];
      noticeIds: string[];
      pinExpiresAt: string;
    }> {
      const pin = generatePin(8);
      const pinHash = await hashPin(deps.keys.pepper, pin); // before the transaction: argon2 holds no connection
      let issuedNow = false;
      const result = await withTransaction(pool, async (client) => {
        const c = await loadCredential(client, input.credentialId, true);
        const route = twoChannelRoute(c.contacts);
        if (!route) throw ApplicationFailure.nonRetryable('two contact channels are needed', ErrorType.Conflict);
        const existing = await client.query<{ expires_at: Date | null }>('SELECT expires_at FROM pin_secrets WHERE credential_id = $1::uuid AND version = $2::int', [input.credentialId, input.pinVersion]);
        let halves: { outboxId: string; channel: Channel }[];
        let pinExpiresAt: string;
        if (existing.rowCount === 0) {
          issuedNow = true;
          await client.query(`INSERT INTO pin_secrets (credential_id, version, kind, pin_hash, salt, status) VALUES ($1::uuid, $2::int, 'personal', $3::text, $4::bytea, 'pending')`, [
            input.credentialId,
            input.pinVersion,
            pinHash,
            newSalt(),
          ]);
          halves = [
            ...(await enqueueNotification(deps, client, c, 'pin-part-1', input.pinVersion, (ch) => dispositivoPinPartMessage(c.holder, pin.slice(0, 4), 1, ch), [route.first])),
            ...(await enqueueNotification(deps, client, c, 'pin-part-2', input.pinVersion, (ch) => dispositivoPinPartMessage(c.holder, pin.slice(4), 2, ch), [route.second])),
          ];
          pinExpiresAt = await activatePendingPin(client, {
            credentialId: input.credentialId,
            pinVersion: input.pinVersion,
            months: c.profile?.intermediary ? input.intermediaryMonths : input.citizenMonths,
            ...(input.validityMs !== undefined ? { validityMs: input.validityMs } : {}),
            reason: 'remote_identification',
            actor: 'system',
          });
        } else {
          const rows = await client.query<{ id: string; channel: Channel; purpose: string }>(
            `SELECT id, channel, purpose FROM outbox WHERE credential_id = $1::uuid AND (idempotency_key LIKE $2::text OR idempotency_key LIKE $3::text)`,
            [input.credentialId, `${input.credentialId}:pin-part-1:${input.pinVersion}:%`, `${input.credentialId}:pin-part-2:${input.pinVersion}:%`],
          );
          halves = rows.rows.sort((a, b) => a.purpose.localeCompare(b.purpose)).map((r) => ({ outboxId: r.id, channel: r.channel }));
          pinExpiresAt = existing.rows[0]!.expires_at!.toISOString();
        }
        const notices = await enqueueNotification(deps, client, c, 'reissue-notice-remote_identification', input.pinVersion, (ch) => pinReissuedNotice(c.holder, 'remote_identification', ch));
        return { halves, noticeIds: notices.map((n) => n.outboxId), pinExpiresAt };
      });
      if (issuedNow) issuanceStages.inc({ stage: 'pin_issued' });
      return result;
    },

    /**
     * Step two: a 16-character PIN, halves hashed, first half to one channel and second half to
     * another (encrypted in the outbox until sent), and a notice to every non-postal contact.
     */
    async issueTwoChannelPin(input: { credentialId: string; pinVersion: number; reason: 'recovery' | 'remote_identification' }): Promise<{
      halves: { outboxId: string; channel: Channel }[];
      noticeIds: string[];
    }> {
      let issuedNow = false;
      const result = await withTransaction(pool, async (client) => {
        const c = await loadCredential(client, input.credentialId, true);
        const route = twoChannelRoute(c.contacts);
        if (!route) throw ApplicationFailure.nonRetryable('two contact channels are needed', ErrorType.Conflict);
        const existing = await client.query('SELECT 1 FROM pin_secrets WHERE credential_id = $1::uuid AND version = $2::int', [input.credentialId, input.pinVersion]);
        let halves: { outboxId: string; channel: Channel }[];
        if (existing.rowCount === 0) {
          issuedNow = true;
          const pin = generatePin(16);
          const first = pin.slice(0, 8);
          const second = pin.slice(8);
          const salt = newSalt();
          await client.query(
            `INSERT INTO pin_secrets (credential_id, version, kind, first_half_hash, second_half_hash, salt)
             VALUES ($1::uuid, $2::int, 'initial', $3::bytea, $4::bytea, $5::bytea)`,
            [input.credentialId, input.pinVersion, keyedHash(deps.keys.pepper, salt, 'first', first), keyedHash(deps.keys.pepper, salt, 'second', second), salt],
          );
          halves = [
            ...(await enqueueNotification(deps, client, c, 'first-half', input.pinVersion, (ch) => twoChannelFirstHalfMessage(c.holder, first, ch), [route.first])),
            ...(await enqueueNotification(deps, client, c, 'second-half', input.pinVersion, (ch) => secondHalfMessage(c.holder, second, ch), [route.second])),
          ];
          await client.query(`UPDATE credentials SET state = 'awaiting_first_access', updated_at = now() WHERE id = $1::uuid`, [input.credentialId]);
          await recordEvent(client, input.credentialId, 'pin_issued', 'system', { pinVersion: input.pinVersion, delivery: 'two_channel', reason: input.reason }, `${input.credentialId}:issued:${input.pinVersion}`);
        } else {
          const rows = await client.query<{ id: string; channel: Channel; purpose: string }>(
            `SELECT id, channel, purpose FROM outbox WHERE credential_id = $1::uuid AND (idempotency_key LIKE $2::text OR idempotency_key LIKE $3::text)`,
            [input.credentialId, `${input.credentialId}:first-half:${input.pinVersion}:%`, `${input.credentialId}:second-half:${input.pinVersion}:%`],
          );
          halves = rows.rows.sort((a, b) => (a.purpose === 'first-half' ? -1 : 1) - (b.purpose === 'first-half' ? -1 : 1)).map((r) => ({ outboxId: r.id, channel: r.channel }));
        }
        const notices = await enqueueNotification(deps, client, c, `reissue-notice-${input.reason}`, input.pinVersion, (ch) => pinReissuedNotice(c.holder, input.reason, ch));
        return { halves, noticeIds: notices.map((n) => n.outboxId) };
      });
      if (issuedNow) issuanceStages.inc({ stage: 'pin_issued' });
      return result;
    },
  };
}
