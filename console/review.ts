/**
 * Console: the conversion review queue and the case page, on the API's own reads and actions
 * (api/routes/review.ts): the workflow's validators decide every action, the console shows the
 * answer. Documents are shown inline from GET /api/staff/documents/:id, which accepts the
 * console's session cookie (and audits every read): images in <img>, PDFs in an <iframe>.
 * Claim, decision and second review follow post/redirect/get: a done action answers 303 to the
 * case page, which says the outcome from its query string; a reload only reads the case again.
 */
import type { Request, Response, Router } from 'express';
import type { ApiDeps } from '../api/deps';
import type { DomainError } from '../domain/errors';
import { DECISION_NOTE_MAX } from '../domain/review-reasons';
import { html, type SafeHtml } from '../web/html';
import { errorSummary, selectField, textAreaField, type FormState } from '../portal/views';
import { parseInput } from '../services/schemas/validate';
import { alertBox, consoleContext, consolePage, csrfInput, facts, fmtDateTime, fmtTimeLeft, t, table, tb, type ConsoleContext } from './layout';
import { CASE_SOURCES, DOCUMENT_KINDS, MEDIA_TYPES, reasonSaid, REJECTION_REASON_LABELS, REVIEW_STATUSES, RISK_FLAGS, say, sayText } from './vocabulary';
import { REVIEW_ACTORS, SECTIONS } from './roles';
import { act, formValues, messagePage, sendPage, shownError, staffOf, type consoleGuard } from './shared';
import { caseIdParams, createReviewActions, createReviewReads, decisionBody, reviewQueueQuery, secondReviewBody } from '../services/conversion/review';

type Guard = ReturnType<typeof consoleGuard>;
type CaseDetail = Awaited<ReturnType<ReturnType<typeof createReviewReads>['detail']>>;

const statusLabel = (ctx: ConsoleContext, s: string) => say(ctx, REVIEW_STATUSES, s);

/** The actions a clerk takes on a case (POST /review/:caseId/<action>). */
type CaseActionName = 'claim' | 'decision' | 'second-review';

/** What the case page says after an action, by the `done` code of its redirect. */
const OUTCOMES: Record<CaseActionName, { it: string; en: string }> = {
  claim: { it: 'Pratica presa in carico.', en: 'Case claimed.' },
  decision: { it: 'Decisione registrata.', en: 'Decision recorded.' },
  'second-review': { it: 'Seconda verifica registrata.', en: 'Second review recorded.' },
};

/**
 * The outcome line of a case page reached by an action's redirect: the action's message and the
 * status the workflow answered; nothing for an unknown code (own keys only: `?done=constructor`).
 */
function outcomeNotice(ctx: ConsoleContext, done: unknown, status: unknown): string | undefined {
  if (typeof done !== 'string' || !Object.hasOwn(OUTCOMES, done)) return undefined;
  const message = tb(ctx, OUTCOMES[done as CaseActionName]);
  if (typeof status !== 'string' || !Object.hasOwn(REVIEW_STATUSES, status)) return message;
  return `${message} ${t(ctx, 'Stato della pratica', 'Case status')}: ${sayText(ctx, REVIEW_STATUSES, status)}.`;
}

const caseNotFound = (req: Request, res: Response) =>
  messagePage(req, res, 404, { it: 'Pratica non trovata', en: 'Case not found' }, { it: 'La pratica richiesta non esiste.', en: 'The case you asked for does not exist.' }, 'review');

export function reviewPages(r: Router, deps: ApiDeps, guard: Guard): void {
  const reads = createReviewReads(deps);
  const actions = createReviewActions(deps);

  r.get('/review', guard(SECTIONS.review), async (req, res) => {
    const ctx = consoleContext(req, res, '/review');
    const raw: Record<string, string> = {};
    for (const k of ['status', 'escalated', 'mine'] as const) {
      const v = req.query[k];
      if (typeof v === 'string' && v !== '') raw[k] = v;
    }
    const filter = reviewQueueQuery.safeParse(raw);
    const cases = await reads.queue(filter.success ? filter.data : {}, staffOf(res));
    const f = filter.success ? filter.data : {};
    const opt = (value: string, label: string, current: string | undefined) =>
      html`<option value="${value}"${value === (current ?? '') ? html` selected` : ''}>${label}</option>`;
    const rows = cases.map((c) => [
      html`<a href="${ctx.base}/review/${c.caseId}" data-testid="case-link">${c.holder}</a>`,
      c.codiceFiscale,
      say(ctx, CASE_SOURCES, c.source),
      html`${statusLabel(ctx, c.status)}${c.highRisk ? html` <span class="badge bg-danger">${t(ctx, 'rischio alto', 'high risk')}</span>` : ''}`,
      c.claimedBy ?? '—',
      fmtDateTime(ctx, c.createdAt),
      html`<span data-testid="time-left">${c.escalatedAt ? t(ctx, 'Scalata al supervisore', 'Escalated to a supervisor') : fmtTimeLeft(ctx, c.secondsToEscalation)}</span>`,
    ]);
    sendPage(
      res,
      200,
      consolePage(ctx, {
        title: t(ctx, 'Coda di verifica delle conversioni', 'Conversion review queue'),
        active: 'review',
        body: html`${filter.success ? '' : alertBox('warning', t(ctx, 'Filtri non validi: mostrata la coda completa.', 'Invalid filters: the whole queue is shown.'))}
<form method="get" action="${ctx.base}/review" class="row g-3 align-items-end mb-4">
  <div class="col-md-4"><div class="select-wrapper"><label for="f-status">${t(ctx, 'Stato', 'Status')}</label>
    <select id="f-status" name="status">${opt('', t(ctx, 'Da lavorare (tutte)', 'To do (all)'), f.status)}${Object.keys(REVIEW_STATUSES).map((s) => opt(s, sayText(ctx, REVIEW_STATUSES, s), f.status))}</select></div></div>
  <div class="col-md-3"><div class="select-wrapper"><label for="f-escalated">${t(ctx, 'Scalate', 'Escalated')}</label>
    <select id="f-escalated" name="escalated">${opt('', t(ctx, 'Tutte', 'All'), f.escalated)}${opt('true', t(ctx, 'Solo scalate', 'Escalated only'), f.escalated)}${opt('false', t(ctx, 'Non scalate', 'Not escalated'), f.escalated)}</select></div></div>
  <div class="col-md-3"><div class="form-check"><input type="checkbox" id="f-mine" name="mine" value="true"${f.mine === 'true' ? html` checked` : ''}><label for="f-mine">${t(ctx, 'Solo le mie', 'Mine only')}</label></div></div>
  <div class="col-md-2"><button type="submit" class="btn btn-outline-primary">${t(ctx, 'Filtra', 'Filter')}</button></div>
</form>
${
  rows.length
    ? table(
        t(ctx, 'Pratiche', 'Cases'),
        [t(ctx, 'Cittadino', 'Citizen'), t(ctx, 'Codice fiscale', 'Codice fiscale'), t(ctx, 'Canale', 'Source'), t(ctx, 'Stato', 'Status'), t(ctx, 'In carico a', 'Claimed by'), t(ctx, 'Ricevuta', 'Received'), t(ctx, 'Tempo prima della scalata', 'Time before escalation')],
        rows,
        'review-queue',
      )
    : html`<p data-testid="queue-empty">${t(ctx, 'Nessuna pratica.', 'No cases.')}</p>`
}`,
      }),
    );
  });

  function documentsOf(ctx: ConsoleContext, c: CaseDetail): SafeHtml {
    if (!c.documents.length) return html`<p>${t(ctx, 'Nessun documento.', 'No documents.')}</p>`;
    return html`${c.documents.map((d) => {
      const src = `/api/staff/documents/${d.documentId}`;
      const label = `${sayText(ctx, DOCUMENT_KINDS, d.kind)} — ${d.name}`;
      const viewer =
        d.mediaType === 'application/pdf'
          ? html`<iframe src="${src}" title="${label}" width="100%" height="640" class="border" data-testid="document-pdf"></iframe>`
          : html`<img src="${src}" alt="${label}" class="img-fluid border" data-testid="document-image">`;
      return html`<figure class="mb-5">
  <figcaption class="mb-2"><strong>${label}</strong> (${sayText(ctx, MEDIA_TYPES, d.mediaType)}, ${Math.ceil(d.sizeBytes / 1024)} kB, ${fmtDateTime(ctx, d.uploadedAt)})
    — <a href="${src}" target="_blank" rel="noopener">${t(ctx, 'apri in una nuova scheda', 'open in a new tab')}</a></figcaption>
  ${viewer}
</figure>`;
    })}`;
  }

  /**
   * A decision's reason: a rejection picks one from the list, whose text the citizen is told in
   * their language; the note stays with the staff (required with "other"). `state` keeps what a
   * refused decision posted.
   */
  function reasonFields(ctx: ConsoleContext, state: FormState): SafeHtml {
    return html`<div class="mt-3">${selectField(ctx, state, {
      name: 'reasonCode',
      label: t(ctx, 'Motivo del rifiuto (obbligatorio per respingere)', 'Reason for the rejection (required to reject)'),
      placeholder: t(ctx, 'Scegli', 'Choose'),
      options: Object.keys(REJECTION_REASON_LABELS).map((code) => ({ value: code, label: sayText(ctx, REJECTION_REASON_LABELS, code) })),
      hint: t(ctx, 'Il cittadino riceve il motivo nella sua lingua.', 'The citizen is told the reason in their language.'),
    })}</div>
${textAreaField(ctx, state, {
  name: 'note',
  label: t(ctx, 'Nota interna (facoltativa; obbligatoria con «Altro motivo»)', 'Internal note (optional; required with “Another reason”)'),
  maxlength: DECISION_NOTE_MAX,
  hint: t(ctx, 'Resta agli atti per il personale: non è inviata al cittadino.', 'Kept on file for the staff: it is not sent to the citizen.'),
})}`;
  }

  function actionsOf(ctx: ConsoleContext, c: CaseDetail, state: FormState): SafeHtml {
    const staff = ctx.staff!;
    if (!REVIEW_ACTORS.includes(staff.role)) return html`<p>${t(ctx, 'Il tuo ruolo può solo consultare le pratiche.', 'Your role may only read cases.')}</p>`;
    const base = `${ctx.base}/review/${c.caseId}`;
    if (c.status === 'open') {
      return html`<form method="post" action="${base}/claim">${csrfInput(ctx)}<button type="submit" class="btn btn-primary" data-testid="claim">${t(ctx, 'Prendi in carico', 'Claim')}</button></form>`;
    }
    if (c.status === 'claimed' && c.claimedBy === staff.staffId) {
      return html`<form method="post" action="${base}/decision" novalidate>${csrfInput(ctx)}
  ${reasonFields(ctx, state)}
  <button type="submit" name="decision" value="approve" class="btn btn-success me-2" data-testid="approve">${t(ctx, 'Approva', 'Approve')}</button>
  <button type="submit" name="decision" value="reject" class="btn btn-danger" data-testid="reject">${t(ctx, 'Respingi', 'Reject')}</button>
</form>`;
    }
    if (c.status === 'claimed') return html`<p>${t(ctx, `In lavorazione da ${c.claimedBy ?? ''}.`, `Being worked on by ${c.claimedBy ?? ''}.`)}</p>`;
    if (c.status === 'awaiting_second_review') {
      if (c.firstDecisionBy === staff.staffId) {
        return html`<p>${t(ctx, 'La seconda verifica deve essere fatta da un altro operatore.', 'The second review must be done by another clerk.')}</p>`;
      }
      return html`<form method="post" action="${base}/second-review" novalidate>${csrfInput(ctx)}
  <p>${t(ctx, `Prima decisione di ${c.firstDecisionBy ?? ''}: approvazione. Conferma o respingi.`, `First decision by ${c.firstDecisionBy ?? ''}: approval. Confirm or reject.`)}</p>
  ${reasonFields(ctx, state)}
  <button type="submit" name="decision" value="confirm" class="btn btn-success me-2" data-testid="confirm">${t(ctx, 'Conferma', 'Confirm')}</button>
  <button type="submit" name="decision" value="reject" class="btn btn-danger" data-testid="reject">${t(ctx, 'Respingi', 'Reject')}</button>
</form>`;
    }
    return html`<p>${t(ctx, 'Pratica decisa.', 'Case decided.')}</p>`;
  }

  async function showCase(req: Request, res: Response, caseId: string, outcome: { notice?: string; error?: DomainError; values?: Record<string, string> } = {}): Promise<void> {
    const ctx = consoleContext(req, res, `/review/${caseId}`);
    const c = await reads.detail(caseId);
    // A refused decision comes back with what was posted and its problems next to the fields.
    const state: FormState = { values: outcome.values ?? {}, issues: outcome.error?.fields ?? [] };
    const fieldLabels: Record<string, string> = { reasonCode: t(ctx, 'Motivo del rifiuto', 'Reason for the rejection'), note: t(ctx, 'Nota interna', 'Internal note') };
    sendPage(
      res,
      outcome.error ? outcome.error.status : 200,
      consolePage(ctx, {
        title: t(ctx, `Pratica di conversione — ${c.holder}`, `Conversion case — ${c.holder}`),
        active: 'review',
        hasErrors: outcome.error !== undefined,
        body: html`${outcome.notice ? alertBox('success', outcome.notice, 'notice') : ''}${
          outcome.error ? (state.issues.length ? errorSummary(ctx, state.issues, (f) => fieldLabels[f]) : alertBox('danger', tb(ctx, outcome.error.userMessage), 'action-error')) : ''
        }
<p><a href="${ctx.base}/review">${t(ctx, '← Torna alla coda', '← Back to the queue')}</a></p>
<div class="row">
<div class="col-lg-5">
${facts([
  [t(ctx, 'Stato', 'Status'), html`<span data-testid="case-status">${statusLabel(ctx, c.status)}</span>`],
  [t(ctx, 'Cittadino', 'Citizen'), c.holder],
  [t(ctx, 'Codice fiscale', 'Codice fiscale'), html`<a href="${ctx.base}/citizens?cf=${c.codiceFiscale}">${c.codiceFiscale}</a>`],
  [t(ctx, 'Canale', 'Source'), say(ctx, CASE_SOURCES, c.source)],
  [t(ctx, 'Rischio', 'Risk'), c.highRisk ? html`${t(ctx, 'alto', 'high')}: ${c.riskFlags.map((f, i) => html`${i ? ', ' : ''}${say(ctx, RISK_FLAGS, f)}`)}` : t(ctx, 'normale', 'normal')],
  [t(ctx, 'Seconda verifica', 'Second review'), c.secondReviewRequired ? t(ctx, 'richiesta', 'required') : t(ctx, 'non richiesta', 'not required')],
  [t(ctx, 'In carico a', 'Claimed by'), c.claimedBy ?? ''],
  [t(ctx, 'Prima decisione', 'First decision'), c.firstDecisionBy ?? ''],
  [t(ctx, 'Decisa da', 'Decided by'), c.decidedBy ?? ''],
  [t(ctx, 'Motivo del rifiuto', 'Reason for the rejection'), html`<span data-testid="case-reason">${reasonSaid(ctx, c.reasonCode, c.reason) || '—'}</span>`],
  [t(ctx, 'Nota interna', 'Internal note'), c.note ?? ''],
  [t(ctx, 'Ricevuta', 'Received'), fmtDateTime(ctx, c.createdAt)],
  [t(ctx, 'Scalata', 'Escalation'), c.escalatedAt ? `${t(ctx, 'scalata il', 'escalated on')} ${fmtDateTime(ctx, c.escalatedAt)}` : `${fmtDateTime(ctx, c.escalateAt)} (${fmtTimeLeft(ctx, c.secondsToEscalation)})`],
])}
<h2 class="h4 mt-4">${t(ctx, 'Azioni', 'Actions')}</h2>
${actionsOf(ctx, c, state)}
</div>
<div class="col-lg-7">
<h2 class="h4">${t(ctx, 'Documenti', 'Documents')}</h2>
${documentsOf(ctx, c)}
</div>
</div>`,
      }),
    );
  }

  const caseIdOf = (req: Request): string | undefined => {
    const parsed = caseIdParams.safeParse(req.params);
    return parsed.success ? parsed.data.caseId : undefined;
  };

  r.get('/review/:caseId', guard(SECTIONS.review), async (req, res) => {
    const caseId = caseIdOf(req);
    if (!caseId) return caseNotFound(req, res);
    try {
      const ctx = consoleContext(req, res, `/review/${caseId}`);
      const notice = outcomeNotice(ctx, req.query.done, req.query.status);
      await showCase(req, res, caseId, notice ? { notice } : {});
    } catch (err) {
      if (shownError(err)?.status === 404) return caseNotFound(req, res);
      throw err;
    }
  });

  /**
   * Runs an action on a case, audited. Done: 303 to the case page (post/redirect/get), which says
   * what happened from `?done=<action>&status=<status the workflow answered>` — a reload or the
   * back button only reads the case again. Refused: the case page with the refusal, at once (no
   * change was made, so nothing can be repeated).
   */
  const caseAction = (name: CaseActionName, run: (caseId: string, req: Request, res: Response) => Promise<{ status: string }>) =>
    r.post(`/review/:caseId/${name}`, guard(REVIEW_ACTORS), async (req, res) => {
      const caseId = caseIdOf(req);
      if (!caseId) return caseNotFound(req, res);
      const staff = staffOf(res);
      let view: { status: string };
      try {
        view = await act(deps.pool, staff, `review.${name}`, caseId, () => run(caseId, req, res));
      } catch (err) {
        const shown = shownError(err);
        if (!shown) throw err;
        if (shown.status === 404) return caseNotFound(req, res);
        return showCase(req, res, caseId, { error: shown, values: formValues(req.body, ['reasonCode', 'note'], DECISION_NOTE_MAX) });
      }
      res.redirect(303, `${req.baseUrl}/review/${caseId}?done=${name}&status=${encodeURIComponent(view.status)}`);
    });

  /** The posted decision: the reason picked goes with a rejection only (a clerk may pick one, then approve). */
  const decisionOf = (req: Request) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v : undefined);
    const reasonCode = b.decision === 'reject' ? text(b.reasonCode) : undefined;
    const note = text(b.note);
    return { decision: b.decision, ...(reasonCode ? { reasonCode } : {}), ...(note ? { note } : {}) };
  };

  caseAction('claim', (caseId, _req, res) => actions.claim(caseId, staffOf(res)));
  caseAction('decision', (caseId, req, res) => actions.decide(caseId, staffOf(res), parseInput(decisionBody, decisionOf(req))));
  caseAction('second-review', (caseId, req, res) => actions.secondReview(caseId, staffOf(res), parseInput(secondReviewBody, decisionOf(req))));
}
