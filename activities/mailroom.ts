/**
 * The mail room: letters are rendered into the open batch of the day (one PDF each, written
 * atomically, so a retry overwrites the same file with the same bytes) and the batch is closed
 * with a manifest for the print-and-post provider.
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { withTransaction } from '../lib/db';
import { ErrorType } from '../domain/errors';
import { renderSecondHalfLetter } from '../forms';
import type { ActivityDeps } from './deps';
import { decryptSecret } from '../lib/secrets';
import { secondHalfAad } from './issuance';
import { recordEvent } from '../lib/events';
import { countryName } from '../domain/countries';
import { italianCalendarDate } from '../domain/calendar';
import { issuanceStages, lettersPerBatch } from '../lib/metrics';

/** Written whole or not at all, readable by the service's user only (a letter carries a PIN half). */
async function writeAtomically(file: string, bytes: Uint8Array | string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, bytes, { mode: 0o600 });
  await rename(tmp, file);
}

/**
 * Deletes the PDFs no longer needed: voided and returned letters' at once (their half is void),
 * dispatched ones' after the retention; only files inside the mail-room folder, and the row records when. `credentialId`
 * limits it to one credential (after a void); otherwise the whole folder (after a dispatch).
 */
export async function purgeLetterFiles(deps: Pick<ActivityDeps, 'pool' | 'mailroomDir' | 'letterRetentionDays' | 'log'>, credentialId?: string): Promise<number> {
  const retentionDays = deps.letterRetentionDays ?? 30;
  const { rows } = await deps.pool.query<{ id: string; file_path: string }>(
    `SELECT id, file_path FROM letters
      WHERE file_path IS NOT NULL AND ($1::uuid IS NULL OR credential_id = $1::uuid)
        AND (status IN ('void', 'returned') OR (status = 'dispatched' AND dispatched_at < now() - make_interval(days => $2::int)))
      LIMIT 5000`,
    [credentialId ?? null, retentionDays],
  );
  const root = path.resolve(deps.mailroomDir) + path.sep;
  const purged: string[] = [];
  for (const l of rows) {
    const file = path.resolve(l.file_path);
    if (file.startsWith(root)) await unlink(file).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
    purged.push(l.id);
  }
  if (purged.length === 0) return 0;
  await deps.pool.query('UPDATE letters SET file_path = NULL, file_purged_at = now() WHERE id = ANY($1::uuid[])', [purged]);
  deps.log.info({ purged: purged.length, credentialId }, 'letter files deleted');
  return purged.length;
}

function nextDay(day: string): string {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function renderLetter(letter: LetterRow, secondHalf: string, day: string): Promise<Uint8Array> {
  const r = letter.residence;
  return renderSecondHalfLetter({
    reference: `L-${letter.id}`,
    date: day,
    recipient: {
      fullName: `${letter.holder.name} ${letter.holder.surname}`,
      addressLines: [r.address, [r.postalCode, r.city, r.province ? `(${r.province})` : ''].filter(Boolean).join(' ')],
      // The UPU rule: the destination country is written in the language of the sending country.
      country: countryName(r.country).it,
    },
    secondHalf,
    resendNumber: letter.seq > 1 ? letter.seq - 1 : undefined,
  });
}

interface LetterRow {
  id: string;
  credential_id: string;
  pin_version: number;
  seq: number;
  status: string;
  batch_date: string | null;
  holder: { name: string; surname: string };
  residence: { address: string; city: string; postalCode: string; province?: string; country: string };
  second_half_enc: Buffer | null;
}

export interface DispatchedLetter {
  letterId: string;
  credentialId: string;
}

export function createMailRoomActivities(deps: ActivityDeps) {
  const { pool } = deps;
  const now = deps.now ?? (() => new Date());

  /** The first day from `from` on whose batch has not been handed to the post. */
  async function firstOpenBatch(from: string): Promise<string> {
    const { rows } = await pool.query<{ day: string }>(
      `SELECT to_char(d, 'YYYY-MM-DD') AS day FROM generate_series($1::date, $1::date + 3660, interval '1 day') AS d
        WHERE NOT EXISTS (SELECT 1 FROM mailroom_batches b WHERE b.batch_date = d::date AND b.status = 'dispatched')
        ORDER BY d LIMIT 1`,
      [from],
    );
    return rows[0]!.day;
  }

  return {
    /**
     * Renders the letter into the first open batch from today on; idempotent per letter. The PDF
     * is rendered and written before the short transaction that files it, so no connection or
     * lock is held while rendering; a batch closed in between means one more round for the next day.
     */
    async queueLetter({ letterId }: { letterId: string }): Promise<{ batchDate: string }> {
      const { rows } = await pool.query<LetterRow>(
        `SELECT l.id, l.credential_id, l.pin_version, l.seq, l.status, to_char(l.batch_date, 'YYYY-MM-DD') AS batch_date,
                c.holder, c.residence, s.second_half_enc
           FROM letters l JOIN credentials c ON c.id = l.credential_id
           JOIN pin_secrets s ON s.credential_id = l.credential_id AND s.version = l.pin_version
          WHERE l.id = $1::uuid`,
        [letterId],
      );
      const letter = rows[0];
      if (!letter) throw ApplicationFailure.nonRetryable(`letter ${letterId} not found`, ErrorType.NotFound);
      if (letter.batch_date) return { batchDate: letter.batch_date };
      if (!letter.second_half_enc) throw ApplicationFailure.nonRetryable('second half no longer available', ErrorType.Conflict);
      const secondHalf = decryptSecret(deps.keys.secrets, letter.second_half_enc, secondHalfAad(letter.credential_id, letter.pin_version));

      // Render once for the first open batch; only a batch closed in the meantime costs another round.
      let fresh = false;
      for (let day = await firstOpenBatch(italianCalendarDate(now())); ; day = await firstOpenBatch(nextDay(day))) {
        const file = path.join(deps.mailroomDir, day, `${letter.id}.pdf`);
        await writeAtomically(file, await renderLetter(letter, secondHalf, day));
        const filed = await withTransaction(pool, async (client) => {
          await client.query('INSERT INTO mailroom_batches (batch_date) VALUES ($1::date) ON CONFLICT DO NOTHING', [day]);
          // Share lock: closing the batch (FOR UPDATE) waits for this letter to be filed.
          const b = await client.query<{ status: string }>('SELECT status FROM mailroom_batches WHERE batch_date = $1::date FOR SHARE', [day]);
          if (b.rows[0]!.status !== 'open') return undefined;
          const updated = await client.query<{ batch_date: string }>(
            `UPDATE letters SET batch_date = coalesce(batch_date, $2::date), file_path = coalesce(file_path, $3::text)
              WHERE id = $1::uuid RETURNING to_char(batch_date, 'YYYY-MM-DD') AS batch_date`,
            [letterId, day, file],
          );
          const filedIn = updated.rows[0]!.batch_date;
          // No counter on the batch row here: updating it would turn every filing's share lock
          // into a write lock and serialise (or deadlock) concurrent letters. Closing counts them.
          if (filedIn === day) {
            fresh = true;
            await recordEvent(client, letter.credential_id, 'letter_queued', 'system', { letterId, seq: letter.seq, batchDate: day }, `${letterId}:queued`);
          }
          return filedIn;
        });
        if (filed) {
          if (fresh) issuanceStages.inc({ stage: 'letter_queued' });
          return { batchDate: filed };
        }
      }
    },

    /**
     * Closes a batch: writes the manifest and marks every queued letter dispatched. Running it
     * again returns the same letters, so the workflow can re-signal after a crash.
     */
    async dispatchMailRoomBatch(input: { batchDate?: string; dispatchedBy: string }): Promise<{
      letters: DispatchedLetter[];
      dispatchedAt: string;
      manifestPath: string | null;
    }> {
      const batchDate = input.batchDate ?? italianCalendarDate(now());
      const { dispatchedBy } = input;
      let dispatchedNow: number | undefined;
      const result = await withTransaction(pool, async (client) => {
        await client.query('INSERT INTO mailroom_batches (batch_date) VALUES ($1::date) ON CONFLICT DO NOTHING', [batchDate]);
        const batch = await client.query<{ status: string; dispatched_at: Date | null; manifest_path: string | null }>(
          'SELECT status, dispatched_at, manifest_path FROM mailroom_batches WHERE batch_date = $1::date FOR UPDATE',
          [batchDate],
        );
        const b = batch.rows[0]!;
        if (b.status === 'dispatched') {
          const { rows } = await client.query<{ id: string; credential_id: string }>(
            `SELECT id, credential_id FROM letters WHERE batch_date = $1::date AND status = 'dispatched' ORDER BY id`,
            [batchDate],
          );
          return {
            letters: rows.map((l) => ({ letterId: l.id, credentialId: l.credential_id })),
            dispatchedAt: b.dispatched_at!.toISOString(),
            manifestPath: b.manifest_path,
          };
        }
        const at = now();
        const { rows } = await client.query<{ id: string; credential_id: string; file_path: string; holder: { name: string; surname: string }; residence: Record<string, string> }>(
          `SELECT l.id, l.credential_id, l.file_path, c.holder, c.residence
             FROM letters l JOIN credentials c ON c.id = l.credential_id
            WHERE l.batch_date = $1::date AND l.status = 'queued' ORDER BY l.id`,
          [batchDate],
        );
        const manifest = {
          batchDate,
          closedAt: at.toISOString(),
          dispatchedBy,
          count: rows.length,
          letters: rows.map((l) => ({
            letterId: l.id,
            file: path.basename(l.file_path),
            recipient: `${l.holder.name} ${l.holder.surname}`,
            country: l.residence.country,
            city: l.residence.city,
          })),
        };
        const manifestJson = JSON.stringify(manifest, null, 2);
        const manifestPath = path.join(deps.mailroomDir, batchDate, 'manifest.json');
        await writeAtomically(manifestPath, manifestJson);
        await client.query(
          `UPDATE letters SET status = 'dispatched', dispatched_at = $2::timestamptz WHERE batch_date = $1::date AND status = 'queued'`,
          [batchDate, at],
        );
        await client.query(
          `UPDATE mailroom_batches SET status = 'dispatched', dispatched_at = $2::timestamptz, dispatched_by = $3::text,
                  manifest_path = $4::text, letter_count = $5::int WHERE batch_date = $1::date`,
          [batchDate, at, dispatchedBy, manifestPath, rows.length],
        );
        for (const l of rows) {
          await recordEvent(client, l.credential_id, 'letter_dispatched', dispatchedBy, { letterId: l.id, batchDate }, `${l.id}:dispatched`);
        }
        deps.log.info({ batchDate, letters: rows.length, sha256: createHash('sha256').update(manifestJson).digest('hex') }, 'mail-room batch dispatched');
        dispatchedNow = rows.length;
        return { letters: rows.map((l) => ({ letterId: l.id, credentialId: l.credential_id })), dispatchedAt: at.toISOString(), manifestPath };
      });
      // Counted after the commit, and only by the run that closed the batch.
      if (dispatchedNow !== undefined) {
        lettersPerBatch.observe(dispatchedNow);
        issuanceStages.inc({ stage: 'letter_dispatched' }, dispatchedNow);
        // Letters past their retention, and voided ones left behind, leave the folder.
        await purgeLetterFiles(deps).catch((err: unknown) => deps.log.warn({ err }, 'letter purge failed; the next dispatch retries'));
      }
      return result;
    },
  };
}
