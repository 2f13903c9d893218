/**
 * Activities of recovery (ripristino) and contact changes. The recovery link's token is created
 * here, hashed into `recovery_links` and encrypted into the outbox row that carries it, all in
 * one transaction: only ids leave, so the token never reaches a workflow history or a log.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { withTransaction, type PoolClient } from '../lib/db';
import { ErrorType } from '../domain/errors';
import { maskEmail, maskPhone } from '../domain/pin-request';
import type { ActivityDeps } from './deps';
import { recordEvent } from '../lib/events';
import { loadCredential, outboxAad, type Channel, type CredentialRow } from './issuance';
import { encryptSecret, hashLinkToken } from '../lib/secrets';
import type { MessageContent } from './templates';
import { contactAddedMessage, contactRemovedMessage, contactsChangedMessage, recoveryLinkMessage } from './notice-templates';
import { isLive } from '../domain/credential';

/** The portal page a recovery link opens (the token travels in the query string, see 0011). */
export const recoveryLinkUrl = (publicBaseUrl: string, token: string): string => `${publicBaseUrl}/portal/recovery/confirm?token=${token}`;

/**
 * One outbox row to an explicit address (which may no longer be among the credential's
 * contacts, e.g. the old address after a change), idempotent by `key`.
 */
async function enqueueTo(
  deps: Pick<ActivityDeps, 'keys'>,
  client: PoolClient,
  target: { credentialId: string; channel: Channel; recipient: string; purpose: string; key: string },
  content: MessageContent,
): Promise<string> {
  const id = randomUUID();
  const payload = encryptSecret(deps.keys.secrets, JSON.stringify(content), outboxAad(id));
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO outbox (id, idempotency_key, credential_id, channel, purpose, recipient, message_id, payload_enc)
     VALUES ($1::uuid, $2::text, $3::uuid, $4::text, $5::text, $6::text, $7::text, $8::bytea)
     ON CONFLICT (idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
     RETURNING id`,
    [id, target.key, target.credentialId, target.channel, target.purpose, target.recipient, `<${target.purpose}.${id}@pin.inps.example>`, payload],
  );
  return rows[0]!.id;
}

type ContactKind = 'mobile' | 'email' | 'pec';
const CHANNEL_OF: Record<ContactKind, Channel> = { mobile: 'sms', email: 'email', pec: 'pec' };

export function createRecoveryActivities(deps: ActivityDeps) {
  const { pool } = deps;
  const now = () => deps.now?.() ?? new Date();

  return {
    /**
     * Creates the link of an accepted recovery request: a 32-byte token, its SHA-256 stored with
     * the expiry, the e-mail/PEC carrying it encrypted in the outbox. A retry finds the outbox row
     * and returns it; a request voided meanwhile (another link was used) gets no link.
     */
    async issueRecoveryLink(input: { linkId: string; validForMs: number }): Promise<{ outboxId?: string }> {
      return withTransaction(pool, async (client) => {
        const { rows } = await client.query<{ credential_id: string; channel: 'email' | 'pec'; status: string }>(
          'SELECT credential_id, channel, status FROM recovery_links WHERE id = $1::uuid FOR UPDATE',
          [input.linkId],
        );
        const link = rows[0];
        if (!link) throw ApplicationFailure.nonRetryable(`recovery link ${input.linkId} not found`, ErrorType.NotFound);
        const key = `${link.credential_id}:recovery-link:${input.linkId}:${link.channel}`;
        const existing = await client.query<{ id: string }>('SELECT id FROM outbox WHERE idempotency_key = $1::text', [key]);
        if (existing.rows[0]) return { outboxId: existing.rows[0].id };
        if (link.status !== 'requested') return {};
        const c = await loadCredential(client, link.credential_id);
        const recipient = c.contacts[link.channel];
        if (!recipient || !isLive(c.state)) {
          await client.query(`UPDATE recovery_links SET status = 'void' WHERE id = $1::uuid`, [input.linkId]);
          return {};
        }
        const token = randomBytes(32).toString('base64url');
        const expiresAt = new Date(now().getTime() + input.validForMs);
        await client.query(`UPDATE recovery_links SET status = 'sent', token_hash = $2::bytea, expires_at = $3::timestamptz WHERE id = $1::uuid`, [
          input.linkId,
          hashLinkToken(token),
          expiresAt,
        ]);
        const outboxId = await enqueueTo(
          deps,
          client,
          { credentialId: c.id, channel: link.channel, recipient, purpose: 'recovery-link', key },
          recoveryLinkMessage(c.holder, recoveryLinkUrl(deps.publicBaseUrl, token), Math.round(input.validForMs / 3_600_000)),
        );
        await recordEvent(client, c.id, 'recovery_link_sent', 'system', { linkId: input.linkId, channel: link.channel }, `${c.id}:recovery-link:${input.linkId}`);
        return { outboxId };
      });
    },

    /** The link's lifetime is over: an unused link is marked expired (the API also checks the time). */
    async expireRecoveryLink(input: { linkId: string }): Promise<{ expired: boolean }> {
      const { rowCount } = await pool.query(`UPDATE recovery_links SET status = 'expired' WHERE id = $1::uuid AND status IN ('requested', 'sent')`, [input.linkId]);
      return { expired: (rowCount ?? 0) > 0 };
    },

    /**
     * The notices of one contact change: to each old mobile/e-mail/PEC that was changed or
     * removed ("your contact was changed"), to each new one ("this contact was added"), and to
     * each one that stayed ("the contacts of your PIN were changed").
     */
    async enqueueContactChangeNotices(input: { changeId: string }): Promise<{ outboxIds: string[] }> {
      return withTransaction(pool, async (client) => {
        const { rows } = await client.query<{ credential_id: string; old_contacts: CredentialRow['contacts']; new_contacts: CredentialRow['contacts'] }>(
          'SELECT credential_id, old_contacts, new_contacts FROM contact_changes WHERE id = $1::uuid',
          [input.changeId],
        );
        const change = rows[0];
        if (!change) throw ApplicationFailure.nonRetryable(`contact change ${input.changeId} not found`, ErrorType.NotFound);
        const c = await loadCredential(client, change.credential_id);
        const outboxIds: string[] = [];
        for (const kind of ['mobile', 'email', 'pec'] as const) {
          const before = change.old_contacts[kind];
          const after = change.new_contacts[kind];
          if (before === after) continue;
          const channel = CHANNEL_OF[kind];
          const masked = after === undefined ? undefined : kind === 'mobile' ? maskPhone(after) : maskEmail(after);
          if (before) {
            outboxIds.push(
              await enqueueTo(
                deps,
                client,
                { credentialId: c.id, channel, recipient: before, purpose: 'contact-removed', key: `${c.id}:contact-removed:${input.changeId}:${kind}` },
                contactRemovedMessage(c.holder, kind, masked, channel),
              ),
            );
          }
          if (after) {
            outboxIds.push(
              await enqueueTo(
                deps,
                client,
                { credentialId: c.id, channel, recipient: after, purpose: 'contact-added', key: `${c.id}:contact-added:${input.changeId}:${kind}` },
                contactAddedMessage(c.holder, kind, channel),
              ),
            );
          }
        }
        // The contacts that stayed are told too: a contact added by someone else must not go unnoticed.
        const changed = (['mobile', 'email', 'pec'] as const).filter((k) => change.old_contacts[k] !== change.new_contacts[k]);
        for (const kind of ['mobile', 'email', 'pec'] as const) {
          const same = change.old_contacts[kind];
          if (changed.length === 0 || !same || same !== change.new_contacts[kind]) continue;
          const channel = CHANNEL_OF[kind];
          outboxIds.push(
            await enqueueTo(
              deps,
              client,
              { credentialId: c.id, channel, recipient: same, purpose: 'contacts-changed', key: `${c.id}:contacts-changed:${input.changeId}:${kind}` },
              contactsChangedMessage(c.holder, changed, channel),
            ),
          );
        }
        return { outboxIds };
      });
    },
  };
}
