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
import { printManifestCsv, type PrintManifestLetter } from '../domain/csv';

/** States in which the credential's initial PIN has been used for a first access. */
const ACTIVATED: readonly string[] = ['active', 'pin_expired'];
import type { mailRoomBatchWorkflow } from '../workflows/mailroom';

type DispatchDeps = Pick<ServiceDeps, 'pool' | 'temporal' | 'taskQueue' | 'now'>;

/** Starts the day's mail-room workflow, or finds the run already under way (started once per day). */
async function dispatchRun(deps: DispatchDeps, batchDate: string, dispatchedBy: string) {
  // A day still to come cannot be closed ahead (an empty batch marked dispatched would make that
  // day's letters skip to the next one) — unless letters are already filed in it because today's
  // batch has left.
  if (batchDate > italianCalendarDate(deps.now?.() ?? new Date()) && !(await deps.pool.query(`SELECT 1 FROM letters WHERE batch_date = $1::date AND status = 'queued' LIMIT 1`, [batchDate])).rowCount) {
    throw new DomainError(ErrorType.Validation, { it: 'Non si può spedire il lotto di un giorno futuro.', en: 'A future day’s batch cannot be dispatched.' }, [
      { field: 'date', code: 'date_in_future', message: { it: 'Data futura', en: 'Future date' } },
    ]);
  }
  const input: MailRoomBatchInput = { batchDate, dispatchedBy };
  try {
    return await deps.temporal.workflow.start<typeof mailRoomBatchWorkflow>(MAILROOM_WORKFLOW_TYPE, {
      workflowId: mailRoomWorkflowId(batchDate),
      taskQueue: deps.taskQueue,
      args: [input],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return deps.temporal.workflow.getHandle<typeof mailRoomBatchWorkflow>(mailRoomWorkflowId(batchDate));
  }
}

/**
 * Closes a day's batch through its workflow (a second caller waits for the same run) and answers
 * how many letters went out. Used by the API route, which waits for the end.
 */
export async function dispatchMailRoomBatch(deps: DispatchDeps, batchDate: string, dispatchedBy: string): Promise<{ dispatched: number }> {
  return (await dispatchRun(deps, batchDate, dispatchedBy)).result();
}

/**
 * The same, waiting at most `waitMs`: a national day's batch takes minutes, so the console answers
 * `running` and shows the batch's progress instead of holding the request.
 */
export async function startMailRoomDispatch(deps: DispatchDeps, batchDate: string, dispatchedBy: string, waitMs: number): Promise<{ dispatched: number } | { running: true }> {
  const handle = await dispatchRun(deps, batchDate, dispatchedBy);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ running: true }>((resolve) => (timer = setTimeout(() => resolve({ running: true }), waitMs)));
  try {
    return await Promise.race([handle.result(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A closed batch's progress, as the activities record it: letters in the print parts built so far. */
export interface BatchProgress {
  phase: 'printing' | 'dispatching';
  done: number;
  total: number;
  lettersPerSecond?: number;
  secondsLeft?: number;
}

/** A file the database points at, only if it lies inside the mail-room folder. */
export function insideMailroom(dir: string, file: string | null): string | undefined {
  if (!file) return undefined;
  const root = path.resolve(dir);
  const resolved = path.resolve(file);
  return resolved.startsWith(root + path.sep) ? resolved : undefined;
}

export interface BatchRow {
  status: 'open' | 'closed' | 'dispatched';
  letter_count: number;
  dispatched_at: Date | null;
  dispatched_by: string | null;
  manifest_path: string | null;
  closed_at: Date | null;
  letters_total: number | null;
  files_built_at: Date | null;
  print_path: string | null;
  csv_path: string | null;
  files_purged_at: Date | null;
  letters_printed: number;
  /** Seconds since the batch closed, on the database's clock (as closed_at). */
  seconds_closed: number | null;
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
      deps.pool.query<BatchRow>(
        `SELECT status, letter_count, dispatched_at, dispatched_by, manifest_path, closed_at, letters_total, files_built_at, print_path, csv_path, files_purged_at,
                extract(epoch FROM clock_timestamp() - closed_at)::float8 AS seconds_closed,
                (SELECT coalesce(sum(cardinality(p.letter_ids)), 0)::int FROM mailroom_batch_parts p WHERE p.batch_date = b.batch_date) AS letters_printed
           FROM mailroom_batches b WHERE batch_date = $1::date`,
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

  /** While a batch is closed: letters done, of how many, the rate since it closed and the time left at that rate. */
  function progressOf(batch: BatchRow | undefined): BatchProgress | undefined {
    if (batch?.status !== 'closed') return undefined;
    const total = batch.letters_total ?? 0;
    const done = batch.files_built_at ? total : Math.min(total, batch.letters_printed);
    const seconds = batch.seconds_closed ?? 0;
    const rate = seconds > 0 && done > 0 ? done / seconds : undefined;
    return { phase: batch.files_built_at ? 'dispatching' : 'printing', done, total, lettersPerSecond: rate, secondsLeft: rate ? (total - done) / rate : undefined };
  }

  /**
   * The open batch's CSV as it would be printed if closed now (same columns and order as the
   * dispatched one; its numbers are not final).
   */
  async function manifestPreview(day: string): Promise<string> {
    const { rows } = await deps.pool.query<{ id: string; holder: PrintManifestLetter['holder']; residence: PrintManifestLetter['residence'] }>(
      `SELECT l.id, c.holder, c.residence FROM letters l JOIN credentials c ON c.id = l.credential_id
        WHERE l.batch_date = $1::date AND l.status = 'queued'
        ORDER BY c.residence->>'country' COLLATE "C", c.residence->>'postalCode' COLLATE "C", c.residence->>'city' COLLATE "C", c.residence->>'address' COLLATE "C", l.id`,
      [day],
    );
    return printManifestCsv(rows.map((l, i) => ({ sequence: i + 1, letterId: l.id, holder: l.holder, residence: l.residence })));
  }


  /** The ten most recent batches. */
  const recentBatches = async () =>
    (
      await deps.pool.query<{ day: string; status: string; letter_count: number }>(
        // An open batch counts its letters as they are now (its letter_count is written at dispatch).
        `SELECT to_char(b.batch_date, 'YYYY-MM-DD') AS day, b.status,
                CASE WHEN b.status = 'dispatched' THEN b.letter_count WHEN b.status = 'closed' THEN b.letters_total
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

  return { batchOf, progressOf, manifestPreview, recentBatches, printableLetter, letter, recordReturned };
}
