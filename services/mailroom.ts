/**
 * The mail room: a day's batch and its letters, the letters' files, a letter returned to sender
 * (through the credential workflow, so the new-letter limits apply) and the day's dispatch
 * (through the mail-room workflow, once per day).
 */
import path from 'node:path';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { ServiceDeps } from './deps';
import { italianCalendarDate } from '../domain/calendar';
import { DomainError, ErrorType } from '../domain/errors';
import { randomUUID } from 'node:crypto';
import { MAILROOM_WORKFLOW_TYPE, credentialWorkflowId, letterReturnedUpdate, mailRoomWorkflowId, type MailRoomBatchInput, type NewLetterResult } from '../workflows/definitions';
import { appendAudit } from '../lib/audit';
import { lettersReturned } from '../lib/metrics';
import { withTransaction } from '../lib/db';
import { recordEvent } from '../lib/events';

/** States in which the credential's initial PIN has been used for a first access. */
const ACTIVATED: readonly string[] = ['active', 'pin_expired'];
import type { mailRoomBatchWorkflow } from '../workflows/mailroom';

/**
 * Closes a day's batch through its workflow (started once per day; a second caller waits for the
 * same run) and answers how many letters went out. Shared by this route and the console.
 */
export async function dispatchMailRoomBatch(deps: Pick<ServiceDeps, 'pool' | 'temporal' | 'taskQueue' | 'now'>, batchDate: string, dispatchedBy: string): Promise<{ dispatched: number }> {
  // A day still to come cannot be closed ahead (an empty batch marked dispatched would make that
  // day's letters skip to the next one) — unless letters are already filed in it because today's
  // batch has left.
  if (batchDate > italianCalendarDate(deps.now?.() ?? new Date()) && !(await deps.pool.query(`SELECT 1 FROM letters WHERE batch_date = $1::date AND status = 'queued' LIMIT 1`, [batchDate])).rowCount) {
    throw new DomainError(ErrorType.Validation, { it: 'Non si può spedire il lotto di un giorno futuro.', en: 'A future day’s batch cannot be dispatched.' }, [
      { field: 'date', code: 'date_in_future', message: { it: 'Data futura', en: 'Future date' } },
    ]);
  }
  const input: MailRoomBatchInput = { batchDate, dispatchedBy };
  let handle;
  try {
    handle = await deps.temporal.workflow.start<typeof mailRoomBatchWorkflow>(MAILROOM_WORKFLOW_TYPE, {
      workflowId: mailRoomWorkflowId(batchDate),
      taskQueue: deps.taskQueue,
      args: [input],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    handle = deps.temporal.workflow.getHandle(mailRoomWorkflowId(batchDate));
  }
  return (await handle.result()) as { dispatched: number };
}


/** A file the database points at, only if it lies inside the mail-room folder. */
export function insideMailroom(dir: string, file: string | null): string | undefined {
  if (!file) return undefined;
  const root = path.resolve(dir);
  const resolved = path.resolve(file);
  return resolved.startsWith(root + path.sep) ? resolved : undefined;
}

export interface BatchLetter {
  id: string;
  credential_id: string;
  seq: number;
  reason: string;
  status: string;
  file_path: string | null;
  dispatched_at: Date | null;
  holder: { name: string; surname: string };
  residence: { city?: string; country?: string };
}

export function createMailRoom(deps: Pick<ServiceDeps, 'pool' | 'temporal' | 'log'>) {
  /** A day's batch (absent while nothing was dispatched) and its letters. */
  async function batchOf(day: string) {
    const [batch, letters] = await Promise.all([
      deps.pool.query<{ status: string; letter_count: number; dispatched_at: Date | null; dispatched_by: string | null; manifest_path: string | null }>(
        'SELECT status, letter_count, dispatched_at, dispatched_by, manifest_path FROM mailroom_batches WHERE batch_date = $1::date',
        [day],
      ),
      deps.pool.query<BatchLetter>(
        `SELECT l.id, l.credential_id, l.seq, l.reason, l.status, l.file_path, l.dispatched_at, c.holder, c.residence
           FROM letters l JOIN credentials c ON c.id = l.credential_id WHERE l.batch_date = $1::date ORDER BY l.id LIMIT 5000`,
        [day],
      ),
    ]);
    return { batch: batch.rows[0], letters: letters.rows };
  }


  /** The ten most recent batches. */
  const recentBatches = async () =>
    (
      await deps.pool.query<{ day: string; status: string; letter_count: number }>(
        // An open batch counts its letters as they are now (its letter_count is written at dispatch).
        `SELECT to_char(b.batch_date, 'YYYY-MM-DD') AS day, b.status,
                CASE WHEN b.status = 'dispatched' THEN b.letter_count
                     ELSE (SELECT count(*) FROM letters l WHERE l.batch_date = b.batch_date AND l.status = 'queued')::int END AS letter_count
           FROM mailroom_batches b ORDER BY b.batch_date DESC LIMIT 10`,
      )
    ).rows;

  /** A letter's file, if the letter may still be printed and its file lies inside `dir`. */
  async function printableLetter(dir: string, letterId: string): Promise<{ file: string; credentialId: string } | undefined> {
    const { rows } = await deps.pool.query<{ file_path: string | null; status: string; credential_id: string }>('SELECT file_path, status, credential_id FROM letters WHERE id = $1::uuid', [letterId]);
    const file = insideMailroom(dir, rows[0]?.file_path ?? null);
    if (!rows[0] || !file || !['queued', 'dispatched'].includes(rows[0].status)) return undefined;
    return { file, credentialId: rows[0].credential_id };
  }

  const letter = async (letterId: string) =>
    (
      await deps.pool.query<{ credential_id: string; status: string; batch_date: string }>(
        `SELECT credential_id, status, to_char(batch_date, 'YYYY-MM-DD') AS batch_date FROM letters WHERE id = $1::uuid`,
        [letterId],
      )
    ).rows[0];

  /**
   * A letter came back. While its PIN waits for the first access, the credential's workflow voids
   * the posted half (a new second half replaces it) and sends a new letter within the resend
   * limits; past them it alerts operations. When the PIN it carried was already used for a first
   * access, someone activated it without the letter reaching the address: possible interception,
   * raised as an operational alert (the letter is marked returned; the PIN itself is left to the
   * holder's recovery or an operator's revocation).
   */
  async function recordReturned(credentialId: string, letterId: string, recordedBy: string): Promise<{ newLetter?: NewLetterResult; refusal?: string; alert?: 'letter_returned_after_activation' }> {
    const { rows } = await deps.pool.query<{ state: string; status: string }>(
      'SELECT c.state, l.status FROM letters l JOIN credentials c ON c.id = l.credential_id WHERE l.id = $1::uuid AND l.credential_id = $2::uuid',
      [letterId, credentialId],
    );
    if (rows[0] && ACTIVATED.includes(rows[0].state) && rows[0].status === 'dispatched') {
      const fresh = await withTransaction(deps.pool, async (client) => {
        const returned = await client.query(`UPDATE letters SET status = 'returned' WHERE id = $1::uuid AND status = 'dispatched'`, [letterId]);
        await client.query(
          `INSERT INTO operational_alerts (id, idempotency_key, credential_id, kind, detail) VALUES ($1::uuid, $2::text, $3::uuid, 'letter_returned_after_activation', $4::jsonb)
           ON CONFLICT (idempotency_key) DO NOTHING`,
          [randomUUID(), `${credentialId}:returned-after-activation:${letterId}`, credentialId, JSON.stringify({ letterId })],
        );
        await recordEvent(client, credentialId, 'letter_returned_after_activation', recordedBy, { letterId }, `${letterId}:returned-after-activation`);
        await appendAudit(client, { actor: recordedBy, action: 'letter_returned_after_activation', subject: credentialId, detail: { letterId } });
        return returned.rowCount === 1;
      });
      if (fresh) lettersReturned.inc({ after_activation: 'true' });
      deps.log.warn({ credentialId, letterId }, 'a letter came back for a PIN already activated: possible interception');
      return { alert: 'letter_returned_after_activation' };
    }
    return deps.temporal.workflow.getHandle(credentialWorkflowId(credentialId)).executeUpdate(letterReturnedUpdate, { args: [{ letterId, recordedBy }] });
  }

  return { batchOf, recentBatches, printableLetter, letter, recordReturned };
}
