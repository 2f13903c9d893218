/**
 * Console: issuance at an office counter (form MV35) through the API's counter service
 * (services/counter/counter.ts): the clerk types the citizen's data and the identity document shown, the
 * service stores everything in one transaction and returns the sealed envelope once. The answer
 * page links the stored MV35 (GET /api/counter/issuances/:id/mv35, which accepts the console
 * session) and carries the envelope as an inline download: it is never stored, so a reload of
 * that page cannot show it again (and the page is `no-store`, like every console page).
 */
import type { Request, Response, Router } from 'express';
import type { ApiDeps } from '../api/deps';
import { createCounterService } from '../services/counter/counter';
import { convertAtOffice } from '../services/counter/office-conversion';
import { html, type SafeHtml } from '../web/html';
import { checkbox, textField, type FormState } from '../portal/views';
import { alertBox, consoleContext, consolePage, csrfInput, facts, fmtDate, t, tb } from './layout';
import { SECTIONS } from './roles';
import { act, formValues, sendPage, shownError, staffOf, type consoleGuard } from './shared';
import { CITIZEN_FIELDS, citizenErrorSummary, citizenFields, citizenInput } from './citizen-form';
import { DOCUMENT_FIELDS, documentFieldset, documentInput, documentLabels } from './document-fields';

type Guard = ReturnType<typeof consoleGuard>;

const COUNTER_FIELDS = [...CITIZEN_FIELDS, 'office', ...DOCUMENT_FIELDS];

export function counterPages(r: Router, deps: ApiDeps, guard: Guard): void {
  const counter = createCounterService(deps);

  function formPage(req: Request, res: Response, status: number, state: FormState, problem?: string): void {
    const ctx = consoleContext(req, res, '/counter');
    const labels = documentLabels(ctx);
    sendPage(
      res,
      status,
      consolePage(ctx, {
        title: t(ctx, 'Rilascio allo sportello (MV35)', 'Counter issuance (MV35)'),
        active: 'counter',
        hasErrors: state.issues.length > 0 || problem !== undefined,
        body: html`${problem ? alertBox('danger', problem, 'counter-error') : ''}${citizenErrorSummary(ctx, state, labels)}
<p>${t(ctx, 'Verifichi il documento di identità del cittadino, compili i dati e consegni la busta sigillata con il PIN dispositivo.', 'Check the citizen’s identity document, fill in the data and hand over the sealed envelope with the dispositivo PIN.')}</p>
<p>${t(ctx, 'Il cittadino ha già un PIN?', 'Does the citizen already have a PIN?')} <a href="${ctx.base}/counter/conversion">${t(ctx, 'Lo converta in dispositivo', 'Convert it to dispositivo')}</a></p>
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

  r.get('/counter', guard(SECTIONS.counter), (req, res) => formPage(req, res, 200, { values: {}, issues: [] }));

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
    const ctx = consoleContext(req, res, '/counter');
    const envelope = `data:application/pdf;base64,${Buffer.from(issued.envelopePdf).toString('base64')}`;
    sendPage(
      res,
      201,
      consolePage(ctx, {
        title: t(ctx, 'PIN dispositivo rilasciato', 'Dispositivo PIN issued'),
        active: 'counter',
        langSwitch: false,
        body: html`${alertBox('warning', t(ctx, 'La busta con il PIN è disponibile solo ora: la stampi e la consegni sigillata. Non viene conservata.', 'The envelope with the PIN is available only now: print it and hand it over sealed. It is not kept.'))}
${facts([
  [t(ctx, 'Credenziale', 'Credential'), html`<code data-testid="credential-id">${issued.credentialId}</code>`],
  [t(ctx, 'Richiesta', 'Request'), issued.requestId],
  [t(ctx, 'Scadenza del PIN', 'PIN expiry'), fmtDate(ctx, issued.pinExpiresAt)],
])}
<p><a class="btn btn-primary me-2" href="${envelope}" download="busta-pin-${issued.credentialId}.pdf" data-testid="envelope">${t(ctx, 'Scarica la busta (una volta sola)', 'Download the envelope (once)')}</a>
<a class="btn btn-outline-primary" href="/api/counter/issuances/${issued.credentialId}/mv35" data-testid="mv35">${t(ctx, 'Scarica il modulo MV35', 'Download the MV35 form')}</a></p>
${issued.warnings.length ? alertBox('info', issued.warnings.map((w) => tb(ctx, w.message)).join(' ')) : ''}
<p><a href="${ctx.base}/counter">${t(ctx, 'Nuovo rilascio', 'New issuance')}</a></p>`,
      }),
    );
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
      const issues = shown.fields.map((f) => (f.field === 'signedRequestChecked' ? { ...f, code: 'required', message: { it: 'Verificare il modulo firmato.', en: 'Check the signed form.' } } : f));
      conversionPage(req, res, shown.status, { values, issues }, issues.length ? undefined : alertBox('danger', tb(ctx, shown.userMessage), 'counter-error'));
    }
  });
}
