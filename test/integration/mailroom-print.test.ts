/**
 * The mail room at scale, on the real servers: letters stored as issuance stores them and filed
 * by the real queueLetter; a dispatch through the API closes the batch, builds the print file
 * (every letter in address order, a separator page per 500) and the provider's CSV, records both
 * SHA-256 in the JSON manifest and marks the letters dispatched. A letter filed while the batch is
 * closed goes to the next day, a voided letter is left out, a second dispatch changes nothing,
 * and the console shows a closed batch's progress and offers the print file and the CSV.
 */
import { createHash, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { purgeLetterFiles } from '../../activities/mailroom';
import { issueStaffToken } from '../../services/staff/auth';
import type { Browser } from '../support/browser';
import { byPrintOrder, seedLetters, type SeededLetter } from '../support/letters';
import { pdfTextItems } from '../support/pdf';
import { consoleLogin, createTestStaff } from '../support/staff';
import { startTestStack, type TestStack } from '../support/stack';

// A day of its own, so no other test's letters share the batch.
const day = `${2040 + randomInt(50)}-${String(1 + randomInt(12)).padStart(2, '0')}-${String(1 + randomInt(27)).padStart(2, '0')}`;
const nextDay = (d: string) => new Date(Date.parse(`${d}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

let stack: TestStack;
let token: string;
let operations: Browser;
let operationsActor: string;
let activities: ReturnType<typeof createActivities>;

beforeAll(async () => {
  stack = await startTestStack({ now: () => new Date(`${day}T09:00:00Z`) });
  activities = createActivities(stack.deps);
  token = await issueStaffToken(stack.pool, 'ops-mailroom-print', 'operations');
  const staff = await createTestStaff(stack, 'operations', 'mailprint');
  operationsActor = `staff:${staff.username}`;
  operations = await consoleLogin(stack, staff);
});
afterAll(async () => {
  await stack?.stop();
});

const dispatch = async () => {
  const res = await fetch(`${stack.baseUrl}/api/mailroom/batches/${day}/dispatch`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
  return { status: res.status, body: (await res.json()) as { dispatched: number } };
};

/** RFC 4180, enough for the files the mail room writes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field || row.length) throw new Error('CSV does not end with CRLF');
  return rows;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('print-ready mail-room batch', () => {
  let letters: SeededLetter[];
  let voided: SeededLetter;
  let late: SeededLetter;
  let printed: SeededLetter[];

  beforeAll(async () => {
    // 501 letters to print (two parts), one voided before the dispatch, one filed after the close.
    // The first holder and address need quoting in CSV.
    letters = await seedLetters(stack.pool, stack.deps.keys, 503, (i) =>
      i === 0 ? { holder: { name: 'Anna, "Nina"', surname: 'D’Amico' }, residence: { address: 'Via "Roma", 1', city: 'Roma', postalCode: '00100', province: 'RM', country: 'IT' } } : {},
    );
    [voided, late] = [letters[1]!, letters[2]!];
    const filed = letters.filter((l) => l !== late);
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < filed.length) {
          const l = filed[next++]!;
          expect(await activities.queueLetter({ letterId: l.letterId })).toEqual({ batchDate: day });
        }
      }),
    );
    await stack.pool.query(`UPDATE letters SET status = 'void' WHERE id = $1::uuid`, [voided.letterId]);
    printed = filed.filter((l) => l !== voided).sort(byPrintOrder);
  }, 240_000);

  it('files a letter queued while the batch is closed into the next day', async () => {
    const closed = await activities.closeMailRoomBatch({ batchDate: day, closedBy: 'test' });
    expect(closed).toEqual({ batchDate: day, status: 'closed', total: 501, parts: 2 });
    expect(await activities.closeMailRoomBatch({ batchDate: day, closedBy: 'test' })).toEqual(closed);
    expect(await activities.queueLetter({ letterId: late.letterId })).toEqual({ batchDate: nextDay(day) });
  });

  it('shows the closed batch’s progress on the console, reloading itself', async () => {
    // The first part built by the activity the workflow calls: 500 of 501 letters.
    expect(await activities.buildPrintPart({ batchDate: day, part: 1 })).toEqual({ letters: 500 });
    const page = await operations.get(`/console/mailroom?date=${day}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('data-testid="batch-status">chiuso, in stampa');
    expect(page.body).toMatch(/data-testid="batch-progress">500 \/ 501 lettere \(file di stampa in preparazione\) · [\d.]+ lettere\/s · tempo rimanente \d+ min/);
    expect(page.body).toContain(`<meta http-equiv="refresh" content="5; url=/console/mailroom?date=${day}">`);
    expect(page.body).toContain('data-testid="dispatch">Riprendi la spedizione');
    const en = await operations.get(`/console/mailroom?date=${day}&lang=en`);
    expect(en.body).toContain('data-testid="batch-progress">500 / 501 letters (building the print file)');
  });

  it('dispatches the print file in address order with separators, the CSV, and their SHA-256 in the manifest', async () => {
    const res = await dispatch();
    expect(res).toEqual({ status: 200, body: { batchDate: day, dispatched: 501 } });

    const batch = (await stack.pool.query<{ status: string; print_path: string; csv_path: string; manifest_path: string }>(`SELECT status, print_path, csv_path, manifest_path FROM mailroom_batches WHERE batch_date = $1::date`, [day])).rows[0]!;
    expect(batch.status).toBe('dispatched');
    const [pdf, csv, manifestText] = await Promise.all([readFile(batch.print_path), readFile(batch.csv_path), readFile(batch.manifest_path, 'utf8')]);
    for (const f of [batch.print_path, batch.csv_path, batch.manifest_path]) expect((await stat(f)).mode & 0o777).toBe(0o600);
    const manifest = JSON.parse(manifestText) as { count: number; printFile: { file: string; sha256: string }; csvFile: { file: string; sha256: string }; letters: { sequence: number; letterId: string }[] };
    expect(manifest.printFile).toEqual({ file: `print-${day}.pdf`, sha256: sha256(pdf) });
    expect(manifest.csvFile).toEqual({ file: `print-${day}.csv`, sha256: sha256(csv) });
    expect(manifest.count).toBe(501);
    expect(manifest.letters.map((l) => l.letterId)).toEqual(printed.map((l) => l.letterId));

    // The print file: a separator, 500 letters, a separator, 1 letter; letters in address order.
    const { pages, items } = await pdfTextItems(new Uint8Array(pdf));
    expect(pages).toHaveLength(501 + 2);
    const textOf = (page: number) => items.filter((i) => i.page === page).map((i) => i.str).join(' ');
    expect(textOf(1)).toContain('SEPARATORE DI LOTTO');
    expect(textOf(1)).toContain('Parte / Part: 1 di / of 2');
    expect(textOf(1)).toContain('n. 1 – 500 (500)');
    expect(textOf(1)).toContain(day);
    expect(textOf(502)).toContain('Parte / Part: 2 di / of 2');
    expect(textOf(502)).toContain('n. 501 – 501 (1)');
    const references = [...new Set(items.map((i) => /L-([0-9a-f-]{36})/.exec(i.str)?.[1]).filter(Boolean))];
    expect(references).toEqual(printed.map((l) => l.letterId));
    expect(references).not.toContain(voided.letterId);
    expect(references).not.toContain(late.letterId);
    // Each letter still carries its own half.
    expect(textOf(2).replace(/\s/g, '')).toContain(printed[0]!.secondHalf);

    // The CSV: a header and one line per letter in the same order, quoted where it must be.
    const rows = parseCsv(csv.toString('utf8'));
    expect(rows[0]).toEqual(['sequence', 'letter_id', 'recipient_name', 'address_line_1', 'address_line_2', 'postal_code', 'city', 'province', 'country', 'country_name']);
    expect(rows.slice(1).map((r) => r[1])).toEqual(printed.map((l) => l.letterId));
    expect(rows.slice(1).map((r) => Number(r[0]))).toEqual(Array.from({ length: 501 }, (_, i) => i + 1));
    expect(rows.find((r) => r[1] === letters[0]!.letterId)).toEqual([expect.any(String), letters[0]!.letterId, 'Anna, "Nina" D’Amico', 'Via "Roma", 1', '00100 Roma (RM)', '00100', 'Roma', 'RM', 'IT', 'Italia']);
    expect(csv.toString('utf8')).toContain('"Anna, ""Nina"" D’Amico","Via ""Roma"", 1"');

    const states = await stack.pool.query<{ id: string; status: string; batch_date: string }>(`SELECT id, status, to_char(batch_date, 'YYYY-MM-DD') AS batch_date FROM letters WHERE id = ANY($1::uuid[])`, [letters.map((l) => l.letterId)]);
    const byId = new Map(states.rows.map((r) => [r.id, r]));
    expect(byId.get(voided.letterId)).toMatchObject({ status: 'void' });
    expect(byId.get(late.letterId)).toMatchObject({ status: 'queued', batch_date: nextDay(day) });
    expect(printed.every((l) => byId.get(l.letterId)?.status === 'dispatched')).toBe(true);
    const events = await stack.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM credential_events WHERE type = 'letter_dispatched' AND credential_id = ANY($1::uuid[])`, [letters.map((l) => l.credentialId)]);
    expect(events.rows[0]!.n).toBe(501);
  }, 240_000);

  it('changes nothing on a repeated dispatch', async () => {
    const snapshot = async () => {
      const b = (await stack.pool.query<{ print_path: string; csv_path: string; manifest_path: string; dispatched_at: Date; letter_count: number }>(`SELECT print_path, csv_path, manifest_path, dispatched_at, letter_count FROM mailroom_batches WHERE batch_date = $1::date`, [day])).rows[0]!;
      const files = await Promise.all([b.print_path, b.csv_path, b.manifest_path].map(async (f) => ({ sha: sha256(await readFile(f)), mtime: (await stat(f)).mtimeMs })));
      const letterRows = (await stack.pool.query(`SELECT id, status, dispatched_at FROM letters WHERE batch_date = $1::date ORDER BY id`, [day])).rows;
      const events = (await stack.pool.query(`SELECT count(*)::int AS n FROM credential_events WHERE credential_id = ANY($1::uuid[])`, [letters.map((l) => l.credentialId)])).rows;
      return { b, files, letterRows, events };
    };
    const before = await snapshot();
    expect(await dispatch()).toEqual({ status: 200, body: { batchDate: day, dispatched: 501 } });
    // The activities, called again as a retry would: the work is found done.
    expect(await activities.closeMailRoomBatch({ batchDate: day, closedBy: 'test' })).toMatchObject({ status: 'dispatched', total: 501 });
    expect(await activities.buildPrintPart({ batchDate: day, part: 2 })).toEqual({ letters: 0 });
    expect((await activities.dispatchMailRoomBatch({ batchDate: day, dispatchedBy: 'test', printFiles: true })).letters).toHaveLength(501);
    expect(await snapshot()).toEqual(before);
  });

  it('offers the print file and the CSV on the console, audited', async () => {
    const page = await operations.get(`/console/mailroom?date=${day}&lang=it`);
    expect(page.body).toContain('data-testid="batch-status">spedito');
    expect(page.body).not.toContain('http-equiv="refresh"');
    expect(page.body).toContain(`/console/mailroom/${day}/print`);
    expect(page.body).toContain('Scarica il manifesto per il fornitore (CSV)');
    const cookie = { cookie: `staff_session=${operations.cookies.get('staff_session')}` };
    const pdf = await fetch(`${stack.baseUrl}/console/mailroom/${day}/print`, { headers: cookie });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toContain('application/pdf');
    expect(pdf.headers.get('content-disposition')).toContain(`stampa-${day}.pdf`);
    const manifestPath = (await stack.pool.query<{ print_path: string; csv_path: string }>(`SELECT print_path, csv_path FROM mailroom_batches WHERE batch_date = $1::date`, [day])).rows[0]!;
    expect(sha256(Buffer.from(await pdf.arrayBuffer()))).toBe(sha256(await readFile(manifestPath.print_path)));
    const csv = await operations.get(`/console/mailroom/${day}/manifest`);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.headers.get('content-disposition')).toContain(`manifest-${day}.csv`);
    expect(csv.body).toBe(await readFile(manifestPath.csv_path, 'utf8'));
    // The next day's open batch: a CSV preview with the late letter.
    const preview = await operations.get(`/console/mailroom/${nextDay(day)}/manifest`);
    expect(preview.headers.get('content-disposition')).toContain(`manifest-preview-${nextDay(day)}.csv`);
    expect(parseCsv(preview.body).slice(1).map((r) => r[1])).toEqual([late.letterId]);
    const audit = await stack.pool.query<{ action: string; subject: string }>(`SELECT action, subject FROM audit_log WHERE actor = $1::text AND action LIKE 'console.mailroom.%' AND decision = 'done' ORDER BY id`, [operationsActor]);
    expect(audit.rows.map((r) => `${r.action} ${r.subject}`)).toEqual([`console.mailroom.print_download ${day}`, `console.mailroom.manifest_download ${day}`, `console.mailroom.manifest_download ${nextDay(day)}`]);
  });

  it('deletes the print file and the CSV with the letters’ retention', async () => {
    const before = (await stack.pool.query<{ print_path: string; csv_path: string }>(`SELECT print_path, csv_path FROM mailroom_batches WHERE batch_date = $1::date`, [day])).rows[0]!;
    await purgeLetterFiles(stack.deps);
    expect(existsSync(before.print_path)).toBe(true);
    await stack.pool.query(`UPDATE mailroom_batches SET dispatched_at = now() - interval '40 days' WHERE batch_date = $1::date`, [day]);
    await purgeLetterFiles(stack.deps);
    expect(existsSync(before.print_path)).toBe(false);
    expect(existsSync(before.csv_path)).toBe(false);
    const after = (await stack.pool.query(`SELECT print_path, csv_path, files_purged_at FROM mailroom_batches WHERE batch_date = $1::date`, [day])).rows[0]!;
    expect(after).toMatchObject({ print_path: null, csv_path: null, files_purged_at: expect.any(Date) });
    const page = await operations.get(`/console/mailroom?date=${day}&lang=it`);
    expect(page.body).toMatch(/data-testid="downloads">File di stampa eliminati il/);
    expect((await operations.get(`/console/mailroom/${day}/print`)).status).toBe(404);
  });
});
