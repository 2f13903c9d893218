/**
 * Console: issuance at an office counter (form MV35) through the API's counter service
 * (services/counter/counter.ts): the clerk types the citizen's data and the identity document shown, the
 * service stores everything in one transaction and returns the sealed envelope once. The POST
 * answers 303 to a print page (post/redirect/get: a reload cannot issue again) that frames the
 * envelope's PDF — served once, inline, `no-store`, to the same staff session (envelope-desk.ts),
 * never stored — and warns the clerk to close it after printing; it links the stored MV35
 * (GET /api/counter/issuances/:id/mv35, which accepts the console session).
 */
import type { Request, Response, Router } from 'express';
import type { ApiDeps } from '../api/deps';
import { createCounterService } from '../services/counter/counter';
import { convertAtOffice } from '../services/counter/office-conversion';
import { html, type SafeHtml } from '../web/html';
import { checkbox, textField, type FormState } from '../portal/views';
import { alertBox, consoleContext, consolePage, csrfInput, facts, fmtDate, t, tb } from './layout';
import { SECTIONS } from './roles';
import { act, formValues, messagePage, sendPage, shownError, staffOf, type consoleGuard } from './shared';
import { EnvelopeDesk } from './envelope-desk';
import { audit } from '../lib/audit';
import { contentDisposition } from '../web/documents';
import { CITIZEN_FIELDS, citizenErrorSummary, citizenFields, citizenInput } from './citizen-form';
import { DOCUMENT_FIELDS, documentFieldset, documentInput, documentLabels } from './document-fields';

type Guard = ReturnType<typeof consoleGuard>;

const COUNTER_FIELDS = [...CITIZEN_FIELDS, 'office', ...DOCUMENT_FIELDS];

export function counterPages(r: Router, deps: ApiDeps, guard: Guard): void {
  const counter = createCounterService(deps);
  const desk = new EnvelopeDesk();

  function formPage(req: Request, res: Response, status: number, state: FormState, problem?: string, notice?: string): void {
    const ctx = consoleContext(req, res, '/counter');
    const labels = documentLabels(ctx);
    sendPage(
      res,
      status,
      consolePage(ctx, {
        title: t(ctx, 'Rilascio allo sportello (MV35)', 'Counter issuance (MV35)'),
        active: 'counter',
        hasErrors: state.issues.length > 0 || problem !== undefined,
        body: html`${notice ? alertBox('success', notice, 'notice') : ''}${problem ? alertBox('danger', problem, 'counter-error') : ''}${citizenErrorSummary(ctx, state, labels)}
<p>${t(ctx, 'Verifica il documento di identità del cittadino, compila i dati e consegna la busta sigillata con il PIN dispositivo.', 'Check the citizen’s identity document, fill in the data and hand over the sealed envelope with the dispositivo PIN.')}</p>
<p>${t(ctx, 'Il cittadino ha già un PIN?', 'Does the citizen already have a PIN?')} <a href="${ctx.base}/counter/conversion">${t(ctx, 'Convertilo in dispositivo', 'Convert it to dispositivo')}</a></p>
<p>${t(ctx, 'Altre operazioni di sportello:', 'Other counter tasks:')} <a href="${ctx.base}/counter/delegations">${t(ctx, 'Registra delega', 'Register a delegation')}</a> · <a href="${ctx.base}/counter/fax-intake">${t(ctx, 'Fax ricevuto', 'Received fax')}</a></p>
<form method="post" action="${ctx.base}/counter" novalidate>
  ${csrfInput(ctx)}
  ${citizenFields(ctx, state, { callbackRequired: false })}
  ${documentFieldset(ctx, state)}
  <button type="submit" class="btn btn-primary">${t(ctx, 'Rilascia il PIN dispositivo', 'Issue the dispositivo PIN')}</button>
</form>`,
      }),
    );
  }

  r.get('/counter', guard(SECTIONS.counter), (req, res) => {
    const ctx = consoleContext(req, res, '/counter');
    const closed = req.query.closed === '1' ? t(ctx, 'Pagina della busta chiusa: la busta non è più disponibile.', 'Envelope page closed: the envelope is no longer available.') : undefined;
    formPage(req, res, 200, { values: {}, issues: [] }, undefined, closed);
  });

  r.post('/counter', guard(SECTIONS.counter), async (req, res) => {
    const values = formValues(req.body, COUNTER_FIELDS);
    const staff = staffOf(res);
    const body = { ...citizenInput(values, undefined), office: values.office, identityDocument: documentInput(values) };
    let issued;
    try {
      issued = await act(deps.pool, staff, 'counter.issue', values.codiceFiscale?.toUpperCase(), () => counter.issue(staff, body));
    } catch (err) {
      const shown = shownError(err);
      if (!shown) throw err;
      const ctx = consoleContext(req, res, '/counter');
      formPage(req, res, shown.status, { values, issues: shown.fields }, shown.fields.length ? undefined : tb(ctx, shown.userMessage));
      return;
    }
    // The envelope waits in memory for the print page of this session (post/redirect/get).
    const token = desk.put(
      staff.staffId,
      res.locals.sessionToken as string,
      { credentialId: issued.credentialId, protocol: issued.protocol, holderName: issued.holderName, pinExpiresAt: issued.pinExpiresAt, warnings: issued.warnings.map((w) => w.message) },
      issued.envelopePdf,
    );
    res.redirect(303, `${req.baseUrl}/counter/envelope/${token}`);
  });

  const envelopeGone = (req: Request, res: Response) =>
    messagePage(
      req,
      res,
      410,
      { it: 'Busta non più disponibile', en: 'Envelope no longer available' },
      {
        it: 'La pagina della busta è stata chiusa o è scaduta, oppure appartiene a un’altra sessione: la busta con il PIN non viene conservata e non può essere mostrata di nuovo.',
        en: 'The envelope page was closed or has expired, or belongs to another session: the envelope with the PIN is not kept and cannot be shown again.',
      },
      'counter',
    );

  /** The print page: the envelope framed for printing, once, and the MV35. */
  r.get('/counter/envelope/:token', guard(SECTIONS.counter), (req, res) => {
    const token = String(req.params.token);
    const staff = staffOf(res);
    const found = desk.lookup(token, staff.staffId, res.locals.sessionToken as string);
    if (!found) return envelopeGone(req, res);
    const ctx = consoleContext(req, res, `/counter/envelope/${token}`);
    const pdfUrl = `${ctx.base}/counter/envelope/${token}/pdf`;
    const viewer = found.pdfServed
      ? alertBox(
          'danger',
          t(
            ctx,
            'La busta è già stata aperta e non può essere mostrata di nuovo: il PIN non è conservato. Chiudi questa pagina.',
            'The envelope has already been opened and cannot be shown again: the PIN is not kept. Close this page.',
          ),
          'envelope-served',
        )
      : html`<p>${t(
          ctx,
          'Per stampare usa il pulsante di stampa del riquadro qui sotto, oppure fai clic nel riquadro e usa Stampa del browser (Ctrl+P).',
          'To print, use the print button of the frame below, or click in the frame and use the browser’s Print (Ctrl+P).',
        )}</p>
<iframe src="${pdfUrl}" title="${t(ctx, 'Busta sigillata con il PIN dispositivo', 'Sealed envelope with the dispositivo PIN')}" class="console-envelope border" data-testid="envelope-frame"></iframe>`;
    sendPage(
      res,
      200,
      consolePage(ctx, {
        title: t(ctx, 'PIN dispositivo rilasciato: stampa della busta', 'Dispositivo PIN issued: print the envelope'),
        active: 'counter',
        // A language link would load the page again, and the envelope is shown once.
        langSwitch: false,
        body: html`${alertBox(
          'warning',
          html`<strong>${t(ctx, 'La busta con il PIN si apre una sola volta.', 'The envelope with the PIN opens only once.')}</strong> ${t(
            ctx,
            'Stampala ora, chiudila sigillata e consegnala al titolare; dopo la stampa chiudi questa pagina. La busta non viene conservata: ricaricando la pagina non si può più vedere.',
            'Print it now, seal it and hand it to the holder; after printing close this page. The envelope is not kept: reloading the page cannot show it again.',
          )}`,
          'envelope-warning',
        )}
${facts([
  [t(ctx, 'Titolare', 'Holder'), found.holderName],
  [t(ctx, 'Protocollo della richiesta', 'Request protocol'), html`<span data-testid="protocol">${found.protocol}</span>`],
  [t(ctx, 'Scadenza del PIN', 'PIN expiry'), fmtDate(ctx, found.pinExpiresAt)],
])}
${found.warnings.length ? alertBox('info', found.warnings.map((w) => tb(ctx, w)).join(' ')) : ''}
${viewer}
<div class="d-flex flex-wrap gap-3 mt-4">
  <form method="post" action="${ctx.base}/counter/envelope/${token}/close">${csrfInput(ctx)}<button type="submit" class="btn btn-primary" data-testid="envelope-close">${t(ctx, 'Ho stampato la busta: chiudi', 'I have printed the envelope: close')}</button></form>
  <a class="btn btn-outline-primary" href="/api/counter/issuances/${found.credentialId}/mv35" data-testid="mv35">${t(ctx, 'Scarica il modulo MV35', 'Download the MV35 form')}</a>
</div>`,
      }),
    );
  });

  /**
   * The envelope's PDF, once, to the session that issued it: inline (the print page frames it),
   * never stored by a cache (`no-store`, no validator), framed by console pages only.
   */
  r.get('/counter/envelope/:token/pdf', guard(SECTIONS.counter), async (req, res) => {
    const staff = staffOf(res);
    const token = String(req.params.token);
    const session = res.locals.sessionToken as string;
    const found = desk.lookup(token, staff.staffId, session);
    if (!found || found.pdfServed) return envelopeGone(req, res);
    // Audited before it is handed over: if the audit cannot be written, the envelope stays for a retry.
    await audit(deps.pool, { actor: `staff:${staff.staffId}`, action: 'console.counter.envelope_shown', subject: found.credentialId, decision: 'served', detail: { role: staff.role } });
    const taken = desk.take(token, staff.staffId, session);
    if (!taken) return envelopeGone(req, res);
    res.set({
      'Content-Type': 'application/pdf',
      'Content-Disposition': contentDisposition('inline', `busta-pin-${taken.credentialId}.pdf`),
      'Cache-Control': 'no-store, max-age=0',
      Pragma: 'no-cache',
      Expires: '0',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'SAMEORIGIN',
      'Content-Security-Policy': "frame-ancestors 'self'",
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    const { pdf } = taken;
    res.on('close', () => pdf.fill(0));
    res.status(200).end(Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength));
  });

  r.post('/counter/envelope/:token/close', guard(SECTIONS.counter), (req, res) => {
    const staff = staffOf(res);
    desk.discard(String(req.params.token), staff.staffId, res.locals.sessionToken as string);
    res.redirect(303, `${req.baseUrl}/counter?closed=1`);
  });

  // -- conversion of an existing PIN at the counter -------------------------------------------

  const CONVERSION_FIELDS = ['codiceFiscale', 'signedRequestChecked', 'office', ...DOCUMENT_FIELDS];

  function conversionPage(req: Request, res: Response, status: number, state: FormState, outcome?: SafeHtml): void {
    const ctx = consoleContext(req, res, '/counter');
    sendPage(
      res,
      status,
      consolePage(ctx, {
        title: t(ctx, 'Conversione in PIN dispositivo allo sportello', 'Conversion to a dispositivo PIN at the counter'),
        active: 'counter',
        hasErrors: state.issues.length > 0,
        body: html`${outcome ?? ''}${citizenErrorSummary(ctx, state, { ...documentLabels(ctx), codiceFiscale: t(ctx, 'Codice fiscale', 'Codice fiscale'), signedRequestChecked: t(ctx, 'Modulo firmato', 'Signed form') })}
<p>${t(
          ctx,
          'Il titolare di un PIN ordinario presenta il modulo di richiesta firmato e un documento di identità: verificati entrambi di persona, lo stesso PIN diventa dispositivo (nessun nuovo PIN).',
          'The holder of an ordinary PIN brings the signed request form and an identity document: once both are checked in person, the same PIN becomes dispositivo (no new PIN).',
        )}</p>
<form method="post" action="${ctx.base}/counter/conversion" novalidate>
  ${csrfInput(ctx)}
  <div class="row"><div class="col-md-6">${textField(ctx, state, { name: 'codiceFiscale', label: t(ctx, 'Codice fiscale', 'Codice fiscale'), required: true, maxlength: 16, autocapitalize: 'characters' })}</div></div>
  ${documentFieldset(ctx, state)}
  ${checkbox(ctx, state, { name: 'signedRequestChecked', label: t(ctx, 'Ho verificato il modulo di richiesta firmato dal titolare', 'I checked the request form signed by the holder') })}
  <button type="submit" class="btn btn-primary">${t(ctx, 'Converti in PIN dispositivo', 'Convert to a dispositivo PIN')}</button>
</form>`,
      }),
    );
  }

  r.get('/counter/conversion', guard(SECTIONS.counter), (req, res) => conversionPage(req, res, 200, { values: {}, issues: [] }));

  r.post('/counter/conversion', guard(SECTIONS.counter), async (req, res) => {
    const values = formValues(req.body, CONVERSION_FIELDS);
    const staff = staffOf(res);
    const ctx = consoleContext(req, res, '/counter');
    const body = { codiceFiscale: values.codiceFiscale, office: values.office, identityDocument: documentInput(values), signedRequestChecked: values.signedRequestChecked === 'yes' };
    try {
      const converted = await act(deps.pool, staff, 'counter.convert', values.codiceFiscale?.toUpperCase(), () => convertAtOffice(deps, staff, body));
      const notice =
        converted.status === 'approved'
          ? t(ctx, 'Conversione approvata: il PIN del titolare diventa dispositivo tra pochi istanti; riceverà la conferma per e-mail.', 'Conversion approved: the holder’s PIN becomes dispositivo in a moment; they get the confirmation by e-mail.')
          : t(ctx, 'Conversione registrata: la pratica richiede la verifica di un secondo operatore, poi il PIN diventa dispositivo.', 'Conversion recorded: the case needs a second clerk’s check, then the PIN becomes dispositivo.');
      conversionPage(req, res, 202, { values: {}, issues: [] }, alertBox('success', notice, 'notice'));
    } catch (err) {
      const shown = shownError(err);
      if (!shown) throw err;
      // The checkbox is an all-or-nothing literal for the service: say what it means here.
      const issues = shown.fields.map((f) => (f.field === 'signedRequestChecked' ? { ...f, code: 'required', message: { it: 'Verifica il modulo firmato.', en: 'Check the signed form.' } } : f));
      conversionPage(req, res, shown.status, { values, issues }, issues.length ? undefined : alertBox('danger', tb(ctx, shown.userMessage), 'counter-error'));
    }
  });
}
