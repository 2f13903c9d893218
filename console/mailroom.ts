/**
 * Console: the mail room. A day's batch (today in Rome by default) with its letters; for the
 * print-and-post provider the batch's print file (every letter in address order, a separator page
 * per 500) and its CSV manifest (a preview of the open batch), and each letter's PDF; "mark
 * dispatched", which runs the day's mail-room workflow as the API route does, and while the batch
 * is being printed its progress (letters done, rate, time left; the page reloads itself); and a letter returned to sender, which is marked `returned` and answered
 * with a new letter through the credential workflow's `requestNewLetter` update, so its limits
 * (24 hours apart, 4 in 30 days) apply. Every download and action is audited: a letter holds the
 * second half of a PIN.
 */
import { readFile } from 'node:fs/promises';
import type { Request, Response, Router } from 'express';
import type { ApiDeps } from '../api/deps';
import { italianCalendarDate, parseIsoDate } from '../domain/calendar';
import { ErrorType } from '../domain/errors';
import { toDomainError } from '../api/errors';
import { html } from '../web/html';
import { alertBox, consoleContext, consolePage, csrfInput, facts, fmtDate, fmtDateTime, fmtTimeLeft, t, table, tb, type ConsoleContext } from './layout';
import { actorSaid, BATCH_STATUSES, countrySaid, LETTER_REASONS, LETTER_STATUSES, say } from './vocabulary';
import { SECTIONS } from './roles';
import { act, messagePage, sendPage, staffOf, type consoleGuard } from './shared';
import { createMailRoom, insideMailroom, startMailRoomDispatch, type BatchProgress, type BatchRow } from '../services/mailroom';
import { isUuid } from '../domain/ids';

type Guard = ReturnType<typeof consoleGuard>;

/** How long "mark dispatched" waits for a small batch before showing the progress page instead. */
const DISPATCH_WAIT_MS = 10_000;
/** Seconds between two reloads of a batch being printed. */
const REFRESH_SECONDS = 5;

const statusLabel = (ctx: ConsoleContext, status: string) => say(ctx, BATCH_STATUSES, status);

function progressLine(ctx: ConsoleContext, p: BatchProgress) {
  const rate = p.lettersPerSecond === undefined ? '—' : `${p.lettersPerSecond.toFixed(1)} ${t(ctx, 'lettere/s', 'letters/s')}`;
  const left = p.secondsLeft === undefined ? '—' : fmtTimeLeft(ctx, Math.max(60, p.secondsLeft));
  const phase = p.phase === 'printing' ? t(ctx, 'file di stampa in preparazione', 'building the print file') : t(ctx, 'spedizione in registrazione', 'recording the dispatch');
  return html`<span data-testid="batch-progress">${p.done} / ${p.total} ${t(ctx, 'lettere', 'letters')} (${phase}) · ${rate} · ${t(ctx, 'tempo rimanente', 'time left')} ${left}</span>`;
}

/** "1 lettera", "3 lettere" / "1 letter", "3 letters". */
const letterCount = (ctx: { lang: 'it' | 'en' }, n: number): string => (n === 1 ? t(ctx, '1 lettera', '1 letter') : t(ctx, `${n} lettere`, `${n} letters`));

/** The batch's downloads for the print-and-post provider. */
function downloads(ctx: ConsoleContext, day: string, batch: BatchRow | undefined) {
  const status = batch?.status ?? 'open';
  if (status === 'dispatched' && batch?.files_purged_at) {
    return html`<p data-testid="downloads">${t(ctx, `File di stampa eliminati il ${fmtDateTime(ctx, batch.files_purged_at)} (conservazione scaduta).`, `Print files deleted on ${fmtDateTime(ctx, batch.files_purged_at)} (retention over).`)}</p>`;
  }
  if (status === 'dispatched' && !batch?.csv_path) {
    // A batch dispatched before the print files existed has its JSON manifest only.
    return html`<p data-testid="downloads"><a href="${ctx.base}/mailroom/${day}/manifest">${t(ctx, 'Scarica il manifesto', 'Download the manifest')}</a></p>`;
  }
  if (status === 'dispatched') {
    return html`<ul data-testid="downloads">
${batch?.print_path ? html`<li><a href="${ctx.base}/mailroom/${day}/print">${t(ctx, 'Scarica il file di stampa (PDF)', 'Download the print file (PDF)')}</a></li>` : ''}
<li><a href="${ctx.base}/mailroom/${day}/manifest">${t(ctx, 'Scarica il manifesto per il fornitore (CSV)', 'Download the provider’s manifest (CSV)')}</a></li></ul>`;
  }
  return html`<p data-testid="downloads"><a href="${ctx.base}/mailroom/${day}/manifest">${t(ctx, 'Scarica l’anteprima del manifesto (CSV)', 'Download the manifest preview (CSV)')}</a></p>`;
}


const validDay = (text: unknown): text is string => typeof text === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(text) && (parseIsoDate(text)?.year ?? 0) >= 1;

export function mailRoomPages(r: Router, deps: ApiDeps, guard: Guard): void {
  const now = () => deps.now?.() ?? new Date();
  const mailRoom = createMailRoom(deps);

  async function showBatch(req: Request, res: Response, day: string, outcome: { notice?: string; warning?: string; status?: number } = {}): Promise<void> {
    const ctx = consoleContext(req, res, `/mailroom?date=${day}`);
    const [{ batch, letters }, recent] = await Promise.all([mailRoom.batchOf(day), mailRoom.recentBatches()]);
    const status = batch?.status ?? 'open';
    const progress = mailRoom.progressOf(batch);
    const rows = letters.map((l) => [
      html`<code>${l.id.slice(0, 8)}</code>`,
      `${l.holder.name} ${l.holder.surname}`,
      [l.residence.city, l.residence.country ? countrySaid(ctx, l.residence.country) : undefined].filter(Boolean).join(', '),
      html`${l.seq} · ${say(ctx, LETTER_REASONS, l.reason)}`,
      html`<span data-testid="letter-status" data-status="${l.status}">${say(ctx, LETTER_STATUSES, l.status)}</span>`,
      l.status === 'queued' || l.status === 'dispatched' ? html`<a href="${ctx.base}/mailroom/letters/${l.id}/pdf">PDF</a>` : '—',
      l.status === 'dispatched'
        ? html`<form method="post" action="${ctx.base}/mailroom/letters/${l.id}/returned">${csrfInput(ctx)}<button type="submit" class="btn btn-sm btn-outline-danger">${t(ctx, 'Restituita', 'Returned')}</button></form>`
        : '—',
    ]);
    sendPage(
      res,
      outcome.status ?? 200,
      consolePage(ctx, {
        title: t(ctx, `Ufficio posta — lotto del ${fmtDate(ctx, day)}`, `Mail room — batch of ${fmtDate(ctx, day)}`),
        active: 'mailroom',
        // While the batch is printed, the page reloads itself (GET, also after the dispatch's POST).
        refresh: progress ? { seconds: REFRESH_SECONDS, url: `${ctx.base}/mailroom?date=${day}` } : undefined,
        body: html`${outcome.notice ? alertBox('success', outcome.notice, 'notice') : ''}${outcome.warning ? alertBox('warning', outcome.warning, 'warning') : ''}
<form method="get" action="${ctx.base}/mailroom" class="row g-3 align-items-end mb-4">
  <div class="col-md-4"><div class="form-group mb-0"><label for="f-date" class="active">${t(ctx, 'Giorno', 'Day')}</label><input type="date" id="f-date" name="date" class="form-control" value="${day}"></div></div>
  <div class="col-md-2"><button type="submit" class="btn btn-outline-primary">${t(ctx, 'Mostra', 'Show')}</button></div>
</form>
${facts([
  [t(ctx, 'Stato', 'Status'), html`<span data-testid="batch-status">${statusLabel(ctx, status)}</span>`],
  [t(ctx, 'Lettere', 'Letters'), String(letters.length)],
  ...(progress ? ([[t(ctx, 'Avanzamento', 'Progress'), progressLine(ctx, progress)]] as [string, ReturnType<typeof progressLine>][]) : []),
  [t(ctx, 'Spedito', 'Dispatched'), batch?.dispatched_at ? `${fmtDateTime(ctx, batch.dispatched_at)} (${batch.dispatched_by ? actorSaid(ctx, batch.dispatched_by) : ''})` : ''],
])}
${downloads(ctx, day, batch)}
${
  status === 'open' && letters.some((l) => l.status === 'queued')
    ? html`<form method="post" action="${ctx.base}/mailroom/${day}/dispatch" class="mb-4">${csrfInput(ctx)}<button type="submit" class="btn btn-primary" data-testid="dispatch">${t(ctx, 'Segna il lotto come spedito', 'Mark the batch dispatched')}</button></form>`
    : status === 'closed'
      ? // The same day's workflow: finds the run under way, or resumes a stopped one where it was.
        html`<form method="post" action="${ctx.base}/mailroom/${day}/dispatch" class="mb-4">${csrfInput(ctx)}<button type="submit" class="btn btn-outline-primary" data-testid="dispatch">${t(ctx, 'Riprendi la spedizione', 'Resume the dispatch')}</button></form>`
      : status === 'open'
        ? html`<p data-testid="nothing-to-dispatch">${t(ctx, 'Nessuna lettera da spedire in questo lotto.', 'No letters to dispatch in this batch.')}</p>`
        : ''
}
${rows.length ? table(t(ctx, 'Lettere del lotto', 'Letters of the batch'), [t(ctx, 'Lettera', 'Letter'), t(ctx, 'Destinatario', 'Recipient'), t(ctx, 'Località', 'Place'), t(ctx, 'N. · motivo', 'No. · reason'), t(ctx, 'Stato', 'Status'), 'PDF', t(ctx, 'Ritorno', 'Return')], rows, 'batch-letters') : html`<p>${t(ctx, 'Nessuna lettera in questo lotto.', 'No letters in this batch.')}</p>`}
<h2 class="h5 mt-5">${t(ctx, 'Lotti recenti', 'Recent batches')}</h2>
<ul>${recent.map((b) => html`<li><a href="${ctx.base}/mailroom?date=${b.day}">${fmtDate(ctx, b.day)}</a> — ${statusLabel(ctx, b.status)}, ${letterCount(ctx, Number(b.letter_count))}</li>`)}</ul>`,
      }),
    );
  }

  r.get('/mailroom', guard(SECTIONS.mailroom), async (req, res) => {
    const day = validDay(req.query.date) ? req.query.date : italianCalendarDate(now());
    // Reached by the dispatch's redirect: what it did, from the query string (a reload only reads).
    const ctx = consoleContext(req, res, '/mailroom');
    const dispatched = typeof req.query.dispatched === 'string' && /^\d{1,7}$/.test(req.query.dispatched) ? Number(req.query.dispatched) : undefined;
    const notice =
      dispatched !== undefined
        ? t(ctx, `Lotto spedito: ${letterCount(ctx, dispatched)}.`, `Batch dispatched: ${letterCount(ctx, dispatched)}.`)
        : req.query.closing === '1'
          ? t(ctx, 'Lotto chiuso: il file di stampa è in preparazione. La pagina si aggiorna da sola.', 'Batch closed: the print file is being built. This page refreshes itself.')
          : undefined;
    await showBatch(req, res, day, notice ? { notice } : {});
  });

  const badDay = (req: Request, res: Response) => messagePage(req, res, 404, { it: 'Lotto non trovato', en: 'Batch not found' }, { it: 'Data non valida.', en: 'Invalid date.' }, 'mailroom');

  /** The provider's CSV manifest of a dispatched batch, or the open batch's preview (a JSON manifest for batches dispatched before CSVs). */
  r.get('/mailroom/:date/manifest', guard(SECTIONS.mailroom), async (req, res) => {
    const day = req.params.date;
    if (!validDay(day)) return badDay(req, res);
    const { batch } = await mailRoom.batchOf(day);
    const staff = staffOf(res);
    const csv = deps.mailroomDir ? insideMailroom(deps.mailroomDir, batch?.csv_path ?? null) : undefined;
    const json = deps.mailroomDir ? insideMailroom(deps.mailroomDir, batch?.manifest_path ?? null) : undefined;
    let body: string;
    let name: string;
    let type: string;
    if (batch?.status === 'dispatched' && (csv || json)) {
      [body, name, type] = csv ? [await readFile(csv, 'utf8'), `manifest-${day}.csv`, 'text/csv'] : [await readFile(json!, 'utf8'), `manifest-${day}.json`, 'application/json'];
    } else if (batch?.status === 'dispatched') {
      return messagePage(req, res, 404, { it: 'Manifesto non disponibile', en: 'Manifest unavailable' }, { it: 'I file di questo lotto sono stati eliminati.', en: 'This batch’s files have been deleted.' }, 'mailroom');
    } else {
      // Open or being printed: what the CSV would list if it were closed now.
      [body, name, type] = [await mailRoom.manifestPreview(day), `manifest-preview-${day}.csv`, 'text/csv'];
    }
    await act(deps.pool, staff, 'mailroom.manifest_download', day, async () => undefined, { preview: name.includes('preview'), file: name });
    res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.type(type).send(body);
  });

  /** The batch's print file: every letter (each with a PIN half) in address order, a separator page per 500. */
  r.get('/mailroom/:date/print', guard(SECTIONS.mailroom), async (req, res) => {
    const day = req.params.date;
    if (!validDay(day)) return badDay(req, res);
    const { batch } = await mailRoom.batchOf(day);
    const file = deps.mailroomDir ? insideMailroom(deps.mailroomDir, batch?.print_path ?? null) : undefined;
    if (!file || batch?.status !== 'dispatched') {
      return messagePage(req, res, 404, { it: 'File di stampa non disponibile', en: 'Print file unavailable' }, { it: 'Il lotto non è ancora spedito, o il suo file è stato eliminato.', en: 'The batch is not dispatched yet, or its file has been deleted.' }, 'mailroom');
    }
    const bytes = await act(deps.pool, staffOf(res), 'mailroom.print_download', day, () => readFile(file), { letters: batch.letter_count });
    res.setHeader('Content-Disposition', `attachment; filename="stampa-${day}.pdf"`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.type('application/pdf').send(bytes);
  });

  r.get('/mailroom/letters/:letterId/pdf', guard(SECTIONS.mailroom), async (req, res) => {
    const letterId = req.params.letterId;
    const notFound = () => messagePage(req, res, 404, { it: 'Lettera non trovata', en: 'Letter not found' }, { it: 'Lettera non trovata o non più stampabile.', en: 'Letter not found or no longer printable.' }, 'mailroom');
    if (!isUuid(letterId)) return notFound();
    if (!deps.mailroomDir) {
      return messagePage(req, res, 503, { it: 'Non disponibile', en: 'Unavailable' }, { it: 'La cartella dell’ufficio posta non è configurata.', en: 'The mail-room folder is not configured.' }, 'mailroom');
    }
    const letter = await mailRoom.printableLetter(deps.mailroomDir, letterId);
    if (!letter) return notFound();
    const bytes = await act(deps.pool, staffOf(res), 'mailroom.letter_download', letter.credentialId, () => readFile(letter.file), { letterId });
    res.setHeader('Content-Disposition', `attachment; filename="lettera-${letterId}.pdf"`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.type('application/pdf').send(bytes);
  });

  r.post('/mailroom/:date/dispatch', guard(SECTIONS.mailroom), async (req, res) => {
    const day = req.params.date;
    if (!validDay(day)) return badDay(req, res);
    const staff = staffOf(res);
    const outcome = await act(deps.pool, staff, 'mailroom.dispatch', day, () => startMailRoomDispatch(deps, day, `staff:${staff.staffId}`, DISPATCH_WAIT_MS));
    // Post/redirect/get: the batch's page says what happened; reloading it dispatches nothing.
    res.redirect(303, `${req.baseUrl}/mailroom?date=${day}&${'dispatched' in outcome ? `dispatched=${outcome.dispatched}` : 'closing=1'}`);
  });

  r.post('/mailroom/letters/:letterId/returned', guard(SECTIONS.mailroom), async (req, res) => {
    const letterId = req.params.letterId;
    if (!isUuid(letterId)) {
      return messagePage(req, res, 404, { it: 'Lettera non trovata', en: 'Letter not found' }, { it: 'Lettera non trovata.', en: 'Letter not found.' }, 'mailroom');
    }
    const staff = staffOf(res);
    const actor = `staff:${staff.staffId}`;
    const ctx = consoleContext(req, res, '/mailroom');
    const marked = await mailRoom.letter(letterId);
    if (!marked) return messagePage(req, res, 404, { it: 'Lettera non trovata', en: 'Letter not found' }, { it: 'Lettera non trovata.', en: 'Letter not found.' }, 'mailroom');
    // The credential's workflow voids the posted half (a new second half replaces it) and sends a
    // new letter within the resend limits; past them it alerts operations instead.
    let outcome: { notice?: string; warning?: string; status?: number };
    try {
      const result = await act(deps.pool, staff, 'mailroom.letter_returned', marked.credential_id, () =>
        mailRoom.recordReturned(marked.credential_id, letterId, actor),
      );
      outcome = result.alert
        ? {
            status: 200,
            warning: t(
              ctx,
              'Lettera restituita, ma il PIN che contiene è già stato usato per il primo accesso: possibile intercettazione. Segnalato alle operazioni; verifica con il titolare.',
              'Letter returned, but the PIN it carries was already used for the first access: possible interception. Operations have been alerted; check with the holder.',
            ),
          }
        : result.newLetter
        ? { notice: t(ctx, `Lettera restituita: la parte di PIN spedita è annullata; nuova lettera n. ${result.newLetter.seq} accodata.`, `Letter returned: the posted PIN half is void; new letter no. ${result.newLetter.seq} queued.`) }
        : {
            warning: t(
              ctx,
              'Lettera restituita: la parte di PIN spedita è annullata. Limite di nuove lettere raggiunto: segnalato alle operazioni.',
              'Letter returned: the posted PIN half is void. New-letter limit reached: operations have been alerted.',
            ),
          };
    } catch (err) {
      const refusal = toDomainError(err);
      if (refusal.type === ErrorType.Internal) throw err;
      outcome = {
        status: refusal.status,
        warning: t(ctx, `Lettera non registrata come restituita: ${tb(ctx, refusal.userMessage)}`, `Letter not recorded as returned: ${tb(ctx, refusal.userMessage)}`),
      };
    }
    await showBatch(req, res, marked.batch_date, outcome);
  });
}
