/**
 * Delivery of outbox rows. The row was written (encrypted) by the activity that decided to send;
 * this one sends it once: a row already marked sent is skipped, the Message-ID is fixed at
 * enqueue time, and the SMS gateway dedupes on the row id. After sending, the payload is wiped.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../domain/errors';
import { PermanentDeliveryError } from '../lib/channels';
import type { ActivityDeps } from './deps';
import { decryptSecret } from '../lib/secrets';
import { outboxAad } from './issuance';
import type { MessageContent } from './templates';
import { issuanceStages, notificationsSent } from '../lib/metrics';

interface OutboxRow {
  id: string;
  credential_id: string;
  channel: 'sms' | 'email' | 'pec';
  purpose: string;
  recipient: string;
  message_id: string;
  payload_enc: Buffer | null;
  status: 'pending' | 'sent' | 'failed';
}

export function createNotificationActivities(deps: ActivityDeps) {
  const { pool } = deps;
  return {
    async deliverNotification({ outboxId }: { outboxId: string }): Promise<{ channel: string; messageId: string }> {
      const { rows } = await pool.query<OutboxRow>(
        'SELECT id, credential_id, channel, purpose, recipient, message_id, payload_enc, status FROM outbox WHERE id = $1::uuid',
        [outboxId],
      );
      const row = rows[0];
      if (!row) throw ApplicationFailure.nonRetryable(`outbox row ${outboxId} not found`, ErrorType.NotFound);
      if (row.status === 'sent') return { channel: row.channel, messageId: row.message_id };
      if (!row.payload_enc) throw ApplicationFailure.nonRetryable(`outbox row ${outboxId} has no payload`, ErrorType.Internal);
      const content = JSON.parse(decryptSecret(deps.keys.secrets, row.payload_enc, outboxAad(row.id))) as MessageContent;
      try {
        if (row.channel === 'sms') {
          await deps.sms.send({ to: row.recipient, text: content.text, idempotencyKey: row.id });
        } else {
          await deps.mailer.send({
            from: row.channel === 'pec' ? deps.pecFrom : deps.mailFrom,
            to: row.recipient,
            subject: content.subject,
            text: content.text,
            messageId: row.message_id,
            headers: { 'X-Channel': row.channel, 'X-Idempotency-Key': row.id, 'X-Purpose': row.purpose },
          });
        }
      } catch (err) {
        const permanent = err instanceof PermanentDeliveryError;
        await pool.query(
          `UPDATE outbox SET attempts = attempts + 1, last_error = $2::text, status = CASE WHEN $3::bool THEN 'failed' ELSE status END
           WHERE id = $1::uuid AND status = 'pending'`,
          [outboxId, (err as Error).message.slice(0, 500), permanent],
        );
        if (permanent) throw ApplicationFailure.nonRetryable((err as Error).message, 'DELIVERY_REJECTED');
        throw err;
      }
      const marked = await pool.query(
        `UPDATE outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1, payload_enc = NULL, last_error = NULL
         WHERE id = $1::uuid AND status = 'pending'`,
        [outboxId],
      );
      if (marked.rowCount) {
        notificationsSent.inc({ channel: row.channel, purpose: row.purpose });
        if (row.purpose === 'first-half') issuanceStages.inc({ stage: 'first_half_sent' });
      }
      deps.log.info({ outboxId, channel: row.channel, purpose: row.purpose }, 'notification sent');
      return { channel: row.channel, messageId: row.message_id };
    },
  };
}
