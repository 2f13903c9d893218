/**
 * The mail room: letters are rendered into the open batch of the day (one PDF each, written
 * atomically, so a retry overwrites the same file with the same bytes) and the batch is handed to
 * the print-and-post provider: closed (new letters go to the next day), its print file built in
 * parts of 500 letters outside any transaction, then merged with a CSV manifest, and finally
 * marked dispatched in one short transaction (docs/decisions/0024).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { withTransaction } from '../lib/db';
import { ErrorType } from '../domain/errors';
import { LETTERS_PER_PART, mergePrintParts, renderPrintPart, renderSecondHalfLetter } from '../forms';
import { printManifestCsv } from '../domain/csv';
import type { ActivityDeps } from './deps';
import { decryptSecret } from '../lib/secrets';
import { secondHalfAad } from './issuance';
import { recordEvent } from '../lib/events';
import { countryName } from '../domain/countries';
import { italianCalendarDate } from '../domain/calendar';
import { issuanceStages, lettersPerBatch } from '../lib/metrics';
import { credentialWorkflowId, letterDispatchedSignal } from '../workflows/definitions';

/** Letters read, and signals in flight, at once while telling credentials of a dispatch. */
const SIGNAL_PAGE = 1_000;
const SIGNALS_IN_FLIGHT = 50;

const madeDirs = new Set<string>();

/** Written whole or not at all, readable by the service's user only (a letter carries a PIN half). */
async function writeAtomically(file: string, bytes: Uint8Array | string): Promise<void> {
  const dir = path.dirname(file);
  // One mkdir per folder and process, not one per letter (a retry after the folder was removed makes it again).
  if (!madeDirs.has(dir)) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    madeDirs.add(dir);
  }
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, bytes, { mode: 0o600 }).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
    madeDirs.delete(dir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(tmp, bytes, { mode: 0o600 });
  });
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
  if (credentialId === undefined) await purgePrintFiles(deps, retentionDays);
  if (purged.length === 0) return 0;
  await deps.pool.query('UPDATE letters SET file_path = NULL, file_purged_at = now() WHERE id = ANY($1::uuid[])', [purged]);
  deps.log.info({ purged: purged.length, credentialId }, 'letter files deleted');
  return purged.length;
}

/** A dispatched batch's print file and CSV (the print file carries every letter's PIN half) go with the letters' retention. */
async function purgePrintFiles(deps: Pick<ActivityDeps, 'pool' | 'mailroomDir' | 'log'>, retentionDays: number): Promise<void> {
  const { rows } = await deps.pool.query<{ day: string; print_path: string | null; csv_path: string | null }>(
    `SELECT to_char(batch_date, 'YYYY-MM-DD') AS day, print_path, csv_path FROM mailroom_batches
      WHERE status = 'dispatched' AND files_purged_at IS NULL AND (print_path IS NOT NULL OR csv_path IS NOT NULL)
        AND dispatched_at < now() - make_interval(days => $1::int)`,
    [retentionDays],
  );
  const root = path.resolve(deps.mailroomDir) + path.sep;
  for (const b of rows) {
    for (const f of [b.print_path, b.csv_path]) {
      const file = f ? path.resolve(f) : undefined;
      if (file?.startsWith(root)) await unlink(file).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
    }
    await deps.pool.query('UPDATE mailroom_batches SET print_path = NULL, csv_path = NULL, files_purged_at = now() WHERE batch_date = $1::date', [b.day]);
    deps.log.info({ batchDate: b.day }, 'batch print files deleted');
  }
}

/** Where a batch's files live: next to its letters. */
const batchDir = (mailroomDir: string, day: string) => path.join(mailroomDir, day);
const partFile = (mailroomDir: string, day: string, part: number) => path.join(batchDir(mailroomDir, day), 'print', `part-${String(part).padStart(4, '0')}.pdf`);

/** A letter of a closed batch, in print order. */
interface PrintRow {
  id: string;
  credential_id: string;
  print_seq: number;
  file_path: string | null;
  holder: { name: string; surname: string };
  residence: { address: string; city: string; postalCode: string; province?: string; country: string };
}

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/** The CSV manifest for the print-and-post provider, in the print file's order. */
const printCsv = (rows: PrintRow[]): string => printManifestCsv(rows.map((l) => ({ sequence: l.print_seq, letterId: l.id, holder: l.holder, residence: l.residence })));

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

/** A letter with what its PDF needs (the half still encrypted). */
const LETTER_QUERY = `SELECT l.id, l.credential_id, l.pin_version, l.seq, l.status, to_char(l.batch_date, 'YYYY-MM-DD') AS batch_date,
                             c.holder, c.residence, s.second_half_enc
                        FROM letters l JOIN credentials c ON c.id = l.credential_id
                        JOIN pin_secrets s ON s.credential_id = l.credential_id AND s.version = l.pin_version`;

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

  /**
   * The first day from `from` on whose batch is still open (not closed for printing, not handed
   * to the post), and whether its row exists yet. Reads the batches from that day on through the
   * primary key: one cheap query per letter (a series of 3,660 days used to cost PostgreSQL more
   * than the rest of the filing).
   */
  async function firstOpenBatch(from: string): Promise<{ day: string; exists: boolean }> {
    const { rows } = await pool.query<{ day: string; status: string }>(
      `SELECT to_char(batch_date, 'YYYY-MM-DD') AS day, status FROM mailroom_batches WHERE batch_date >= $1::date ORDER BY batch_date LIMIT 64`,
      [from],
    );
    let day = from;
    for (const b of rows) {
      if (b.day !== day) break; // no batch yet on `day`: open
      if (b.status === 'open') return { day, exists: true };
      day = nextDay(day);
    }
    return rows.length === 64 && rows.at(-1)!.day < day ? firstOpenBatch(day) : { day, exists: rows.some((b) => b.day === day) };
  }

  /** The queued letters of a closed batch in print order: those of one part, or those in the parts built (`printed`). */
  async function printRows(day: string, which: { part: number } | 'printed'): Promise<PrintRow[]> {
    const part = which === 'printed' ? null : which.part;
    const { rows } = await pool.query<PrintRow>(
      `SELECT l.id, l.credential_id, l.print_seq, l.file_path, c.holder, c.residence
         FROM letters l JOIN credentials c ON c.id = l.credential_id
        WHERE l.batch_date = $1::date AND l.status = 'queued' AND l.print_seq IS NOT NULL
          AND ($2::int IS NULL OR l.print_seq BETWEEN ($2::int - 1) * $3::int + 1 AND $2::int * $3::int)
          AND ($2::int IS NOT NULL OR EXISTS (SELECT 1 FROM mailroom_batch_parts p WHERE p.batch_date = l.batch_date AND l.id = ANY (p.letter_ids)))
        ORDER BY l.print_seq`,
      [day, part, LETTERS_PER_PART],
    );
    return rows;
  }

  /** The letter as queueLetter rendered it for `day`, from its row and encrypted half. */
  async function renderAgain(letterId: string, day: string): Promise<Uint8Array | undefined> {
    const letter = (await pool.query<LetterRow>(`${LETTER_QUERY} WHERE l.id = $1::uuid`, [letterId])).rows[0];
    if (!letter?.second_half_enc) {
      // Neither its file nor its half (the PIN it carried has since expired or been replaced): nothing to print.
      deps.log.warn({ letterId, batchDate: day }, 'letter file and half gone: left out of the print file');
      return undefined;
    }
    deps.log.warn({ letterId, batchDate: day }, 'letter file missing: rendered again for the print file');
    return renderLetter(letter, decryptSecret(deps.keys.secrets, letter.second_half_enc, secondHalfAad(letter.credential_id, letter.pin_version)), day);
  }

  /** Renders one part (separator page + its letters' pages) and records it; the same letters give the same bytes. */
  async function buildPart(day: string, part: number, total: number, rows: PrintRow[]): Promise<number> {
    const letters: Uint8Array[] = [];
    const printed: string[] = [];
    const root = path.resolve(deps.mailroomDir) + path.sep;
    for (const l of rows) {
      const file = l.file_path ? path.resolve(l.file_path) : undefined;
      const bytes = file?.startsWith(root) ? await readFile(file).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err))) : undefined;
      // A file lost (or outside this mail room): rendered again from the encrypted half, the same bytes.
      const letter = bytes ?? (await renderAgain(l.id, day));
      if (!letter) continue;
      letters.push(letter);
      printed.push(l.id);
    }
    const bytes = await renderPrintPart({
      batchDate: day,
      part,
      parts: Math.ceil(total / LETTERS_PER_PART),
      firstSeq: (part - 1) * LETTERS_PER_PART + 1,
      lastSeq: Math.min(part * LETTERS_PER_PART, total),
      letters,
    });
    const file = partFile(deps.mailroomDir, day, part);
    await writeAtomically(file, bytes);
    await pool.query(
      `INSERT INTO mailroom_batch_parts (batch_date, part, letter_ids, file_path) VALUES ($1::date, $2::int, $3::uuid[], $4::text)
       ON CONFLICT (batch_date, part) DO UPDATE SET letter_ids = excluded.letter_ids, file_path = excluded.file_path, built_at = now()`,
      [day, part, printed, file],
    );
    return printed.length;
  }

  /** A part built earlier still holds only queued letters (none voided since; a batch once closed gains none). */
  const stillQueued = (recorded: string[] | undefined, rows: PrintRow[]) => {
    const queued = new Set(rows.map((l) => l.id));
    return recorded !== undefined && recorded.every((id) => queued.has(id));
  };

  /**
   * The dispatch of a closed batch whose print files are built: the JSON manifest (with both
   * files' SHA-256) written first, then one short transaction marks the printed letters and the
   * batch dispatched, with one statement per table whatever the batch's size.
   */
  async function dispatchPrinted(batchDate: string, dispatchedBy: string, counted: (n: number) => void): Promise<{ letters: DispatchedLetter[]; dispatchedAt: string; manifestPath: string | null }> {
    const dispatchedLetters = async () =>
      (
        await pool.query<{ id: string; credential_id: string }>(
          `SELECT id, credential_id FROM letters WHERE batch_date = $1::date AND status = 'dispatched' ORDER BY print_seq, id`,
          [batchDate],
        )
      ).rows.map((l) => ({ letterId: l.id, credentialId: l.credential_id }));
    const b = (
      await pool.query<{ status: string; closed_at: Date | null; dispatched_at: Date | null; manifest_path: string | null; print_path: string | null; print_sha256: string | null; csv_path: string | null; csv_sha256: string | null; files_built_at: Date | null }>(
        'SELECT status, closed_at, dispatched_at, manifest_path, print_path, print_sha256, csv_path, csv_sha256, files_built_at FROM mailroom_batches WHERE batch_date = $1::date',
        [batchDate],
      )
    ).rows[0];
    if (b?.status === 'dispatched') return { letters: await dispatchedLetters(), dispatchedAt: b.dispatched_at!.toISOString(), manifestPath: b.manifest_path };
    if (b?.status !== 'closed' || !b.files_built_at) throw ApplicationFailure.nonRetryable(`batch ${batchDate} has no print files yet`, ErrorType.Conflict);
    const rows = await printRows(batchDate, 'printed');
    const manifest = {
      batchDate,
      closedAt: b.closed_at!.toISOString(),
      dispatchedBy,
      count: rows.length,
      printFile: b.print_path ? { file: path.basename(b.print_path), sha256: b.print_sha256 } : null,
      csvFile: { file: path.basename(b.csv_path!), sha256: b.csv_sha256 },
      letters: rows.map((l) => ({
        sequence: l.print_seq,
        letterId: l.id,
        file: l.file_path ? path.basename(l.file_path) : null,
        recipient: `${l.holder.name} ${l.holder.surname}`,
        country: l.residence.country,
        city: l.residence.city,
      })),
    };
    const manifestJson = JSON.stringify(manifest, null, 2);
    const manifestPath = path.join(batchDir(deps.mailroomDir, batchDate), 'manifest.json');
    await writeAtomically(manifestPath, manifestJson);
    const at = now();
    const done = await withTransaction(pool, async (client) => {
      const locked = await client.query<{ status: string }>('SELECT status FROM mailroom_batches WHERE batch_date = $1::date FOR UPDATE', [batchDate]);
      if (locked.rows[0]!.status === 'dispatched') return false;
      // Only the letters in the print file: one voided after it was built stays void.
      const printed = rows.map((l) => l.id);
      await client.query(`UPDATE letters SET status = 'dispatched', dispatched_at = $2::timestamptz WHERE id = ANY($1::uuid[]) AND status = 'queued'`, [printed, at]);
      await client.query(
        `INSERT INTO credential_events (idempotency_key, credential_id, type, actor, data)
         SELECT l.id || ':dispatched', l.credential_id, 'letter_dispatched', $2::text, jsonb_build_object('letterId', l.id, 'batchDate', $3::text)
           FROM letters l WHERE l.id = ANY($1::uuid[])
         ON CONFLICT (idempotency_key) DO NOTHING`,
        [printed, dispatchedBy, batchDate],
      );
      await client.query(
        `UPDATE mailroom_batches SET status = 'dispatched', dispatched_at = $2::timestamptz, dispatched_by = $3::text,
                manifest_path = $4::text, letter_count = $5::int WHERE batch_date = $1::date`,
        [batchDate, at, dispatchedBy, manifestPath, rows.length],
      );
      return true;
    });
    if (!done) return dispatchPrinted(batchDate, dispatchedBy, counted);
    deps.log.info({ batchDate, letters: rows.length, sha256: sha256(manifestJson), printSha256: b.print_sha256, csvSha256: b.csv_sha256 }, 'mail-room batch dispatched');
    counted(rows.length);
    return { letters: rows.map((l) => ({ letterId: l.id, credentialId: l.credential_id })), dispatchedAt: at.toISOString(), manifestPath };
  }

  return {
    /**
     * Closes a day's batch for printing: from now on queueLetter files new letters into the next
     * day. Numbers the queued letters in address order (country, postal code, city, address) in
     * one statement. Idempotent: a closed or dispatched batch is answered as it is.
     */
    async closeMailRoomBatch(input: { batchDate?: string; closedBy: string }): Promise<{ batchDate: string; status: 'closed' | 'dispatched'; total: number; parts: number }> {
      const batchDate = input.batchDate ?? italianCalendarDate(now());
      return withTransaction(pool, async (client) => {
        await client.query('INSERT INTO mailroom_batches (batch_date) VALUES ($1::date) ON CONFLICT DO NOTHING', [batchDate]);
        // Update lock: waits for letters being filed (they hold a share lock) and stops new ones.
        const b = (
          await client.query<{ status: 'open' | 'closed' | 'dispatched'; letters_total: number | null; letter_count: number }>(
            'SELECT status, letters_total, letter_count FROM mailroom_batches WHERE batch_date = $1::date FOR UPDATE',
            [batchDate],
          )
        ).rows[0]!;
        if (b.status === 'dispatched') return { batchDate, status: 'dispatched', total: b.letter_count, parts: 0 };
        let total = b.letters_total ?? 0;
        if (b.status === 'open') {
          const numbered = await client.query(
            `UPDATE letters l SET print_seq = o.seq
               FROM (SELECT l.id, row_number() OVER (ORDER BY c.residence->>'country' COLLATE "C", c.residence->>'postalCode' COLLATE "C",
                                                              c.residence->>'city' COLLATE "C", c.residence->>'address' COLLATE "C", l.id) AS seq
                       FROM letters l JOIN credentials c ON c.id = l.credential_id
                      WHERE l.batch_date = $1::date AND l.status = 'queued') o
              WHERE l.id = o.id`,
            [batchDate],
          );
          total = numbered.rowCount ?? 0;
          await client.query(
            // The database's clock, not the injected one: the progress's rate is measured from it.
            `UPDATE mailroom_batches SET status = 'closed', closed_at = now(), closed_by = $2::text, letters_total = $3::int WHERE batch_date = $1::date`,
            [batchDate, input.closedBy, total],
          );
          deps.log.info({ batchDate, letters: total }, 'mail-room batch closed for printing');
        }
        return { batchDate, status: 'closed', total, parts: Math.ceil(total / LETTERS_PER_PART) };
      });
    },

    /**
     * One part of a closed batch's print file (from 1): a separator page and up to 500 letters.
     * Built outside any transaction (the heartbeat interceptor beats while it runs); a retry finds
     * the part recorded with the same letters and its file present, or rebuilds the same bytes.
     */
    async buildPrintPart({ batchDate, part }: { batchDate: string; part: number }): Promise<{ letters: number }> {
      const batch = (
        await pool.query<{ status: string; letters_total: number | null }>('SELECT status, letters_total FROM mailroom_batches WHERE batch_date = $1::date', [batchDate])
      ).rows[0];
      if (batch?.status !== 'closed') return { letters: 0 };
      const [rows, done] = await Promise.all([
        printRows(batchDate, { part }),
        pool.query<{ letter_ids: string[]; file_path: string }>('SELECT letter_ids, file_path FROM mailroom_batch_parts WHERE batch_date = $1::date AND part = $2::int', [batchDate, part]),
      ]);
      const recorded = done.rows[0];
      if (recorded && stillQueued(recorded.letter_ids, rows) && (await readFile(recorded.file_path).then(() => true, () => false))) return { letters: recorded.letter_ids.length };
      return { letters: await buildPart(batchDate, part, batch.letters_total ?? 0, rows) };
    },

    /**
     * Merges the parts into the batch's print file and writes the CSV manifest, both 0600 next to
     * the letters, and records their SHA-256. A part whose letters changed since it was built (one
     * voided meanwhile) is built again first. Idempotent: once recorded, a retry finds it done.
     */
    async assemblePrintFiles({ batchDate }: { batchDate: string }): Promise<{ printSha256: string | null; csvSha256: string; letters: number }> {
      const batch = (
        await pool.query<{ status: string; letters_total: number | null; files_built_at: Date | null; print_sha256: string | null; csv_sha256: string | null; letter_count: number }>(
          'SELECT status, letters_total, files_built_at, print_sha256, csv_sha256, letter_count FROM mailroom_batches WHERE batch_date = $1::date',
          [batchDate],
        )
      ).rows[0];
      if (!batch || batch.status === 'open') throw ApplicationFailure.nonRetryable(`batch ${batchDate} is not closed`, ErrorType.Conflict);
      if (batch.files_built_at) return { printSha256: batch.print_sha256, csvSha256: batch.csv_sha256!, letters: batch.letter_count || (batch.letters_total ?? 0) };
      const total = batch.letters_total ?? 0;
      const recorded = new Map(
        (await pool.query<{ part: number; letter_ids: string[]; file_path: string }>('SELECT part, letter_ids, file_path FROM mailroom_batch_parts WHERE batch_date = $1::date', [batchDate])).rows.map((p) => [p.part, p]),
      );
      const parts: Uint8Array[] = [];
      const partCount = Math.ceil(total / LETTERS_PER_PART);
      for (let part = 1; part <= partCount; part++) {
        const inPart = await printRows(batchDate, { part });
        const p = recorded.get(part);
        let bytes = p && stillQueued(p.letter_ids, inPart) ? await readFile(p.file_path).catch(() => undefined) : undefined;
        let printed = p?.letter_ids.length ?? 0;
        if (!bytes) {
          printed = await buildPart(batchDate, part, total, inPart);
          bytes = await readFile(partFile(deps.mailroomDir, batchDate, part));
        }
        // A part with nothing printable left is its separator only: not printed.
        if (printed > 0) parts.push(bytes);
      }
      const rows = await printRows(batchDate, 'printed');
      const dir = batchDir(deps.mailroomDir, batchDate);
      let printPath: string | null = null;
      let printSha256: string | null = null;
      if (parts.length > 0) {
        const print = await mergePrintParts(batchDate, parts);
        printPath = path.join(dir, `print-${batchDate}.pdf`);
        await writeAtomically(printPath, print);
        printSha256 = sha256(print);
      }
      const csv = printCsv(rows);
      const csvPath = path.join(dir, `print-${batchDate}.csv`);
      await writeAtomically(csvPath, csv);
      const csvSha256 = sha256(csv);
      await pool.query(
        `UPDATE mailroom_batches SET print_path = $2::text, print_sha256 = $3::text, csv_path = $4::text, csv_sha256 = $5::text, files_built_at = now()
          WHERE batch_date = $1::date AND files_built_at IS NULL`,
        [batchDate, printPath, printSha256, csvPath, csvSha256],
      );
      // The parts duplicate the letters' halves: the merged file replaces them.
      await rm(path.join(dir, 'print'), { recursive: true, force: true });
      return { printSha256, csvSha256, letters: rows.length };
    },

    /**
     * Renders the letter into the first open batch from today on; idempotent per letter. The PDF
     * is rendered and written before the short transaction that files it, so no connection or
     * lock is held while rendering; a batch closed in between means one more round for the next day.
     */
    async queueLetter({ letterId }: { letterId: string }): Promise<{ batchDate: string }> {
      const { rows } = await pool.query<LetterRow>(`${LETTER_QUERY} WHERE l.id = $1::uuid`, [letterId]);
      const letter = rows[0];
      if (!letter) throw ApplicationFailure.nonRetryable(`letter ${letterId} not found`, ErrorType.NotFound);
      if (letter.batch_date) return { batchDate: letter.batch_date };
      if (!letter.second_half_enc) throw ApplicationFailure.nonRetryable('second half no longer available', ErrorType.Conflict);
      const secondHalf = decryptSecret(deps.keys.secrets, letter.second_half_enc, secondHalfAad(letter.credential_id, letter.pin_version));

      // Render once for the first open batch; only a batch closed in the meantime costs another round.
      for (let open = await firstOpenBatch(italianCalendarDate(now())); ; open = await firstOpenBatch(nextDay(open.day))) {
        const { day } = open;
        const file = path.join(deps.mailroomDir, day, `${letter.id}.pdf`);
        await writeAtomically(file, await renderLetter(letter, secondHalf, day));
        if (!open.exists) await pool.query('INSERT INTO mailroom_batches (batch_date) VALUES ($1::date) ON CONFLICT DO NOTHING', [day]);
        // One statement, so one transaction: the share lock on the batch makes closing it (FOR
        // UPDATE) wait for this letter to be filed, and a closed batch files nothing. No counter
        // on the batch row here: updating it would turn every filing's share lock into a write
        // lock and serialise (or deadlock) concurrent letters. Closing counts them.
        const { rows: filed } = await pool.query<{ status: string | null; filed_in: string | null; fresh: boolean }>(
          `WITH b AS (SELECT status FROM mailroom_batches WHERE batch_date = $2::date FOR SHARE),
                before AS (SELECT batch_date FROM letters WHERE id = $1::uuid),
                u AS (UPDATE letters SET batch_date = coalesce(batch_date, $2::date), file_path = coalesce(file_path, $3::text)
                       WHERE id = $1::uuid AND (SELECT status FROM b) = 'open' RETURNING batch_date),
                e AS (INSERT INTO credential_events (idempotency_key, credential_id, type, actor, data)
                      SELECT $4::text, $5::uuid, 'letter_queued', 'system', $6::jsonb FROM u, before WHERE before.batch_date IS NULL
                      ON CONFLICT (idempotency_key) DO NOTHING RETURNING 1)
           SELECT (SELECT status FROM b) AS status, (SELECT to_char(batch_date, 'YYYY-MM-DD') FROM u) AS filed_in, EXISTS (SELECT 1 FROM e) AS fresh`,
          [letterId, day, file, `${letterId}:queued`, letter.credential_id, JSON.stringify({ letterId, seq: letter.seq, batchDate: day })],
        );
        const { filed_in: filedIn, fresh } = filed[0]!;
        if (filedIn) {
          if (fresh) issuanceStages.inc({ stage: 'letter_queued' });
          return { batchDate: filedIn };
        }
      }
    },

    /**
     * Closes a batch: writes the manifest and marks every queued letter dispatched. Running it
     * again returns the same letters, so the workflow can re-signal after a crash.
     */
    async dispatchMailRoomBatch(input: { batchDate?: string; dispatchedBy: string; printFiles?: boolean; lettersInResult?: boolean }): Promise<{
      letters: DispatchedLetter[];
      dispatchedAt: string;
      manifestPath: string | null;
      count?: number;
    }> {
      const batchDate = input.batchDate ?? italianCalendarDate(now());
      const { dispatchedBy } = input;
      let dispatchedNow: number | undefined;
      const result = input.printFiles
        ? await dispatchPrinted(batchDate, dispatchedBy, (n) => (dispatchedNow = n))
        : await withTransaction(pool, async (client) => {
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
      // A national day's batch (100,000 letters) does not fit in a workflow's history as a list:
      // the workflow then asks only for the count and signalDispatchedLetters reads the rows.
      return input.lettersInResult === false ? { ...result, letters: [], count: result.letters.length } : result;
    },

    /**
     * Tells the workflow of each credential whose letter left in the dispatched batch, from here
     * rather than from the mail-room workflow: 100,000 signals sent by a workflow would be 200,000
     * history events, four times what one history may hold. Read in pages of SIGNAL_PAGE letters,
     * SIGNALS_IN_FLIGHT at a time, through the worker's own client (so with the payload codec).
     * A retry sends them all again: the credential ignores a dispatch it already knows.
     */
    async signalDispatchedLetters({ batchDate }: { batchDate: string }): Promise<{ signalled: number; ended: number }> {
      const batch = (await pool.query<{ dispatched_at: Date | null }>(`SELECT dispatched_at FROM mailroom_batches WHERE batch_date = $1::date AND status = 'dispatched'`, [batchDate])).rows[0];
      if (!batch?.dispatched_at) throw ApplicationFailure.nonRetryable(`batch ${batchDate} is not dispatched`, ErrorType.Conflict);
      const dispatchedAt = batch.dispatched_at.toISOString();
      const { client } = Context.current();
      let signalled = 0;
      let ended = 0;
      let after = '00000000-0000-0000-0000-000000000000';
      for (;;) {
        const { rows } = await pool.query<{ id: string; credential_id: string }>(
          `SELECT id, credential_id FROM letters WHERE batch_date = $1::date AND status = 'dispatched' AND id > $2::uuid ORDER BY id LIMIT ${SIGNAL_PAGE}`,
          [batchDate, after],
        );
        if (rows.length === 0) break;
        for (let i = 0; i < rows.length; i += SIGNALS_IN_FLIGHT) {
          await Promise.all(
            rows.slice(i, i + SIGNALS_IN_FLIGHT).map(async (l) => {
              try {
                await client.workflow.getHandle(credentialWorkflowId(l.credential_id)).signal(letterDispatchedSignal, { letterId: l.id, dispatchedAt });
                signalled++;
              } catch (err) {
                // The credential's workflow has ended (expired, revoked): the letter needs no follow-up.
                if (!(err instanceof WorkflowNotFoundError)) throw err;
                ended++;
              }
            }),
          );
        }
        after = rows.at(-1)!.id;
      }
      deps.log.info({ batchDate, signalled, ended }, 'credentials told of the dispatch');
      return { signalled, ended };
    },
  };
}
