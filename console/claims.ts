/**
 * Console: benefit claims in the back office (docs/decisions/0020). The list of claims in
 * processing, oldest first, and each claim's page: what it is, whose, where it stands, and for a
 * clerk or supervisor the decision — accepted, or rejected with its reason, which the claimant is
 * sent by e-mail/PEC with the outcome. The decision goes through the same service as
 * POST /api/staff/claims/:id/decision (its grant, the claim's workflow) and follows
 * post/redirect/get: done, 303 to the claim's page, which says the outcome; refused, the page
 * again with the refusal beside the field.
 */
import type { Request, Response, Router } from 'express';
import type { ApiDeps } from '../api/deps';
import type { DomainError } from '../domain/errors';
import { html, type SafeHtml } from '../web/html';
import { errorSummary, textAreaField, type FormState } from '../portal/views';
import { claimForStaff, claimIdParams, claimsInProcessing, decideClaim, type staffClaimView } from '../services/conversion/claims';
import { alertBox, consoleContext, consolePage, csrfInput, facts, fmtDateTime, t, table, tb, type ConsoleContext } from './layout';
import { actorSaid, CLAIM_STATUSES, claimTypeLabel, say } from './vocabulary';
import { CLAIM_DECIDERS, SECTIONS } from './roles';
import { act, formValues, messagePage, sendPage, shownError, staffOf, type consoleGuard } from './shared';
import type { z } from 'zod';

type Guard = ReturnType<typeof consoleGuard>;
type StaffClaim = z.output<typeof staffClaimView>;

/** As long as the API allows (claimDecisionBody). */
const REASON_MAX = 500;

const claimNotFoundPage = (req: Request, res: Response) =>
  messagePage(req, res, 404, { it: 'Domanda non trovata', en: 'Claim not found' }, { it: 'La domanda richiesta non esiste.', en: 'The claim you asked for does not exist.' }, 'claims');

/** The outcome line of a claim page reached by the decision's redirect (own keys only). */
const DECIDED: Readonly<Record<string, { it: string; en: string }>> = {
  accepted: { it: 'Domanda accolta: il richiedente riceve l’esito per e-mail o PEC.', en: 'Claim accepted: the claimant is sent the outcome by e-mail or PEC.' },
  rejected: { it: 'Domanda respinta: il richiedente riceve l’esito e il motivo per e-mail o PEC.', en: 'Claim rejected: the claimant is sent the outcome and the reason by e-mail or PEC.' },
};

export function claimPages(r: Router, deps: ApiDeps, guard: Guard): void {
  r.get('/claims', guard(SECTIONS.claims), async (req, res) => {
    const ctx = consoleContext(req, res, '/claims');
    const claims = await claimsInProcessing(deps);
    const rows = claims.map((c) => [
      html`<a href="${ctx.base}/claims/${c.claimId}" data-testid="claim-link">${c.protocol}</a>`,
      claimTypeLabel(ctx, c.type),
      c.holder,
      html`<a href="${ctx.base}/citizens?cf=${c.codiceFiscale}">${c.codiceFiscale}</a>`,
      fmtDateTime(ctx, c.receivedAt),
      fmtDateTime(ctx, c.processingAt),
    ]);
    sendPage(
      res,
      200,
      consolePage(ctx, {
        title: t(ctx, 'Domande di prestazione in lavorazione', 'Benefit claims in processing'),
        active: 'claims',
        body: html`<p>${t(
          ctx,
          'Le domande da decidere, dalla più vecchia. Una domanda già conclusa si trova cercando il titolare o il numero di protocollo in «Ricerca cittadino».',
          'The claims to decide, oldest first. A claim already concluded is found by looking up its holder or its protocol number in “Citizen lookup”.',
        )}</p>
${
  rows.length
    ? table(
        t(ctx, 'Domande in lavorazione', 'Claims in processing'),
        [t(ctx, 'Protocollo', 'Protocol'), t(ctx, 'Tipo', 'Type'), t(ctx, 'Richiedente', 'Claimant'), t(ctx, 'Codice fiscale', 'Codice fiscale'), t(ctx, 'Ricevuta', 'Received'), t(ctx, 'In lavorazione dal', 'In processing since')],
        rows,
        'claims-queue',
      )
    : html`<p data-testid="claims-empty">${t(ctx, 'Nessuna domanda in lavorazione.', 'No claims in processing.')}</p>`
}`,
      }),
    );
  });

  function decisionForm(ctx: ConsoleContext, c: StaffClaim, state: FormState): SafeHtml {
    if (c.status !== 'in_processing') return html`<p>${t(ctx, 'La domanda è conclusa o non ancora in lavorazione: non c’è nulla da decidere.', 'The claim is concluded or not in processing yet: there is nothing to decide.')}</p>`;
    if (!CLAIM_DECIDERS.includes(ctx.staff!.role)) return html`<p>${t(ctx, 'Il tuo ruolo può solo consultare le domande.', 'Your role may only read claims.')}</p>`;
    return html`<form method="post" action="${ctx.base}/claims/${c.claimId}/decision" novalidate>${csrfInput(ctx)}
  ${textAreaField(ctx, state, {
    name: 'reason',
    label: t(ctx, 'Motivazione (obbligatoria per respingere)', 'Reason (required to reject)'),
    maxlength: REASON_MAX,
    hint: t(
      ctx,
      'Il richiedente la riceve con l’esito, per e-mail o PEC: scrivila in parole semplici, senza sigle interne.',
      'The claimant receives it with the outcome, by e-mail or PEC: write it in plain words, without internal codes.',
    ),
  })}
  <button type="submit" name="decision" value="accepted" class="btn btn-success me-2" data-testid="accept">${t(ctx, 'Accogli', 'Accept')}</button>
  <button type="submit" name="decision" value="rejected" class="btn btn-danger" data-testid="reject">${t(ctx, 'Respingi', 'Reject')}</button>
</form>`;
  }

  async function showClaim(req: Request, res: Response, claimId: string, outcome: { notice?: string; error?: DomainError; values?: Record<string, string> } = {}): Promise<void> {
    const ctx = consoleContext(req, res, `/claims/${claimId}`);
    const c = await claimForStaff(deps, claimId);
    const state: FormState = { values: outcome.values ?? {}, issues: outcome.error?.fields ?? [] };
    sendPage(
      res,
      outcome.error ? outcome.error.status : 200,
      consolePage(ctx, {
        title: t(ctx, `Domanda ${c.protocol}`, `Claim ${c.protocol}`),
        active: 'claims',
        hasErrors: outcome.error !== undefined,
        body: html`${outcome.notice ? alertBox('success', outcome.notice, 'notice') : ''}${
          outcome.error
            ? state.issues.length
              ? errorSummary(ctx, state.issues, (f) => (f === 'reason' ? t(ctx, 'Motivazione', 'Reason') : undefined))
              : alertBox('danger', tb(ctx, outcome.error.userMessage), 'action-error')
            : ''
        }
<p><a href="${ctx.base}/claims">${t(ctx, '← Torna alle domande in lavorazione', '← Back to the claims in processing')}</a></p>
<div class="col-lg-8">
${facts([
  [t(ctx, 'Stato', 'Status'), html`<span data-testid="claim-status">${say(ctx, CLAIM_STATUSES, c.status)}</span>`],
  [t(ctx, 'Tipo', 'Type'), claimTypeLabel(ctx, c.type)],
  [t(ctx, 'Richiedente', 'Claimant'), c.holder],
  [t(ctx, 'Codice fiscale', 'Codice fiscale'), html`<a href="${ctx.base}/citizens?cf=${c.codiceFiscale}">${c.codiceFiscale}</a>`],
  [t(ctx, 'Presentata da', 'Filed by'), c.filedBy === 'citizen' ? t(ctx, 'il titolare', 'the holder') : t(ctx, 'una persona delegata', 'a delegate')],
  [t(ctx, 'Ricevuta', 'Received'), fmtDateTime(ctx, c.receivedAt)],
  [t(ctx, 'In lavorazione dal', 'In processing since'), fmtDateTime(ctx, c.processingAt)],
  [t(ctx, 'Conclusa', 'Concluded'), c.endedAt ? html`${fmtDateTime(ctx, c.endedAt)}${c.endedBy ? ` (${actorSaid(ctx, c.endedBy)})` : ''}` : '—'],
  [t(ctx, 'Motivazione', 'Reason'), html`<span data-testid="claim-reason">${c.reason === 'credential_revoked' ? t(ctx, 'PIN revocato', 'PIN revoked') : (c.reason ?? '—')}</span>`],
])}
<h2 class="h4 mt-4">${t(ctx, 'Decisione', 'Decision')}</h2>
${decisionForm(ctx, c, state)}
</div>`,
      }),
    );
  }

  const claimIdOf = (req: Request): string | undefined => {
    const parsed = claimIdParams.safeParse(req.params);
    return parsed.success ? parsed.data.claimId : undefined;
  };

  r.get('/claims/:claimId', guard(SECTIONS.claims), async (req, res) => {
    const claimId = claimIdOf(req);
    if (!claimId) return claimNotFoundPage(req, res);
    const done = req.query.done;
    const notice = typeof done === 'string' && Object.hasOwn(DECIDED, done) ? tb(consoleContext(req, res, `/claims/${claimId}`), DECIDED[done]!) : undefined;
    try {
      await showClaim(req, res, claimId, notice ? { notice } : {});
    } catch (err) {
      if (shownError(err)?.status === 404) return claimNotFoundPage(req, res);
      throw err;
    }
  });

  r.post('/claims/:claimId/decision', guard(CLAIM_DECIDERS), async (req, res) => {
    const claimId = claimIdOf(req);
    if (!claimId) return claimNotFoundPage(req, res);
    const staff = staffOf(res);
    const values = formValues(req.body, ['decision', 'reason'], REASON_MAX);
    const reason = values.reason!.trim();
    let decided: { status: string };
    try {
      const body = { decision: values.decision, ...(reason ? { reason } : {}) };
      decided = await act(deps.pool, staff, 'claims.decision', claimId, () => decideClaim(deps, staff, claimId, body), { decision: values.decision });
    } catch (err) {
      const shown = shownError(err);
      if (!shown) throw err;
      if (shown.status === 404) return claimNotFoundPage(req, res);
      return showClaim(req, res, claimId, { error: shown, values: { reason: values.reason! } });
    }
    res.redirect(303, `${req.baseUrl}/claims/${claimId}?done=${encodeURIComponent(decided.status)}`);
  });
}
