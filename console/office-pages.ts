/**
 * Console: two office tasks of the counter section (clerk, supervisor), each through the same
 * service as its API route.
 *
 * | path                   | what                                                                      |
 * | ---------------------- | ------------------------------------------------------------------------- |
 * | /counter/delegations   | "Registra delega": a delegation handed in at the office (signed form, the  |
 * |                        | documents checked in person) → pending until the delegate accepts it      |
 * |                        | (services/delegation.ts registerAtOffice, as POST /api/staff/delegations); |
 * |                        | `?codiceFiscale=` lists a person's delegations, each live one revocable    |
 * |                        | (POST …/:id/revoke, as POST /api/staff/delegations/:id/revoke)             |
 * | /counter/fax-intake    | a received fax of the signed conversion request attached to the holder's |
 * |                        | case (attachFax, as POST /api/staff/fax-intake)                            |
 *
 * The delegation form carries a key drawn when the form is shown, sent as the registration's
 * idempotency key: a form posted twice (a double click, a reload) registers one delegation.
 * The fax form is multipart: its CSRF token comes first and is checked before any file byte is
 * kept (console/shared.ts multipartCsrfGate, portal/multipart.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import type { ApiDeps } from '../api/deps';
import { italianCalendarDate } from '../domain/calendar';
import { DomainError, ErrorType, fieldIssue, type FieldIssue } from '../domain/errors';
import { isUuid } from '../domain/ids';
import { MAX_UPLOAD_BYTES, uploadTooLargeError, type RawUpload } from '../domain/uploads';
import { createDelegationService, officeDelegationReceiptPath } from '../services/delegation';
import { attachFax, faxTarget } from '../services/conversion/conversion-documents';
import { documentStore } from '../services/conversion/documents';
import { html, type SafeHtml } from '../web/html';
import { checkbox, errorSummary, selectField, textField, type FormState } from '../portal/views';
import { MultipartError, readMultipart, type MultipartLimits } from '../portal/multipart';
import { alertBox, consoleContext, consolePage, csrfInput, facts, fmtDate, fmtDateTime, table, t, tb, type ConsoleContext } from './layout';
import { SECTIONS } from './roles';
import { DELEGATION_SCOPES, DELEGATION_SOURCES, DELEGATION_STATUSES, say, sayText } from './vocabulary';
import { act, csrfRefusedPage, formValues, multipartCsrfGate, sendPage, shownError, staffOf, type consoleGuard } from './shared';
import { documentFields, documentFieldset, documentGiven, documentInput, documentLabels } from './document-fields';

type Guard = ReturnType<typeof consoleGuard>;

const DELEGATION_FIELDS = [
  'formKey',
  'delegatorCodiceFiscale',
  'delegateCodiceFiscale',
  'scope',
  'endsOn',
  'office',
  ...documentFields('delegatorDocument'),
  ...documentFields('delegateDocument'),
  'signedFormReceived',
];

const FORM_KEY = /^[A-Za-z0-9_-]{8,128}$/;

/** The fax form: its CSRF token and the codice fiscale, then one file of at most 10 MB. */
const FAX_LIMITS: MultipartLimits = { files: 1, fileBytes: MAX_UPLOAD_BYTES, fields: 2, fieldBytes: 1024 };

/** Error types an upload check throws: the file's fault, shown on its field. */
const UPLOAD_REFUSALS: ReadonlySet<string> = new Set([ErrorType.Validation, ErrorType.PayloadTooLarge, ErrorType.UnsupportedMediaType, ErrorType.Unprocessable]);

const scopeLabel = (ctx: ConsoleContext, scope: string): string => sayText(ctx, DELEGATION_SCOPES, scope);

export function officePages(r: Router, deps: ApiDeps, guard: Guard): void {
  const delegations = createDelegationService(deps);
  const store = documentStore(deps);
  const now = deps.now ?? (() => new Date());

  // -- Registra delega ----------------------------------------------------------------------------

  function delegationLabels(ctx: ConsoleContext): Record<string, string> {
    return {
      ...documentLabels(ctx, 'delegatorDocument', t(ctx, '(delegante)', '(delegator)')),
      ...documentLabels(ctx, 'delegateDocument', t(ctx, '(delegato)', '(delegate)')),
      delegatorCodiceFiscale: t(ctx, 'Codice fiscale del delegante', 'Delegator’s codice fiscale'),
      delegateCodiceFiscale: t(ctx, 'Codice fiscale del delegato', 'Delegate’s codice fiscale'),
      scope: t(ctx, 'Ambito della delega', 'Scope of the delegation'),
      endsOn: t(ctx, 'Ultimo giorno di validità', 'Last day of validity'),
      signedFormReceived: t(ctx, 'Modulo di delega firmato', 'Signed delegation form'),
      'Idempotency-Key': t(ctx, 'Modulo', 'Form'),
    };
  }

  type Listed = Awaited<ReturnType<typeof delegations.ofPerson>>;

  /** A person's delegations, each live one with a revoke form; the search form above them. */
  function lookupSection(ctx: ConsoleContext, lookup: { codiceFiscale: string; listed?: Listed; issues: FieldIssue[] }): SafeHtml {
    const state: FormState = { values: { codiceFiscale: lookup.codiceFiscale }, issues: lookup.issues };
    const rows = (lookup.listed ?? []).map((d) => [
      html`<code>${d.delegationId.slice(0, 8)}</code>`,
      d.delegatorCodiceFiscale,
      d.delegateCodiceFiscale,
      scopeLabel(ctx, d.scope),
      html`<span data-testid="status-${d.delegationId}">${say(ctx, DELEGATION_STATUSES, d.status)}</span>`,
      html`${say(ctx, DELEGATION_SOURCES, d.source)} · ${fmtDate(ctx, d.endsOn)}`,
      d.status === 'pending' || d.status === 'active'
        ? html`<form method="post" action="${ctx.base}/counter/delegations/${d.delegationId}/revoke" class="d-flex gap-2 align-items-end">
  ${csrfInput(ctx)}
  <input type="hidden" name="codiceFiscale" value="${lookup.codiceFiscale}">
  <label class="visually-hidden" for="reason-${d.delegationId}">${t(ctx, 'Motivo (facoltativo)', 'Reason (optional)')}</label>
  <input type="text" class="form-control form-control-sm" id="reason-${d.delegationId}" name="reason" maxlength="500" placeholder="${t(ctx, 'Motivo (facoltativo)', 'Reason (optional)')}">
  <button type="submit" class="btn btn-sm btn-outline-danger" data-testid="revoke-${d.delegationId}">${t(ctx, 'Revoca', 'Revoke')}</button>
</form>`
        : '—',
    ]);
    return html`<section class="mt-5" aria-labelledby="revoke-title">
<h2 class="h4" id="revoke-title">${t(ctx, 'Revoca una delega', 'Revoke a delegation')}</h2>
<p>${t(ctx, 'Il delegante o il delegato chiede allo sportello di revocare una delega: cercala con il codice fiscale di uno dei due.', 'The delegator or the delegate asks at the counter to revoke a delegation: find it by either one’s codice fiscale.')}</p>
<form method="get" action="${ctx.base}/counter/delegations" novalidate>
  <div class="row"><div class="col-md-6">${textField(ctx, state, { name: 'codiceFiscale', label: t(ctx, 'Codice fiscale', 'Codice fiscale'), required: true, maxlength: 16, autocapitalize: 'characters', spellcheck: false })}</div></div>
  <button type="submit" class="btn btn-outline-primary">${t(ctx, 'Cerca le deleghe', 'Find the delegations')}</button>
</form>
${lookup.listed === undefined
  ? ''
  : rows.length
    ? table(
        t(ctx, 'Deleghe', 'Delegations'),
        [t(ctx, 'Delega', 'Delegation'), t(ctx, 'Delegante', 'Delegator'), t(ctx, 'Delegato', 'Delegate'), t(ctx, 'Ambito', 'Scope'), t(ctx, 'Stato', 'Status'), t(ctx, 'Conferita · fino al', 'Given · until'), ''],
        rows,
        'delegations-found',
      )
    : html`<p data-testid="delegations-none">${t(ctx, 'Nessuna delega per questo codice fiscale.', 'No delegation for this codice fiscale.')}</p>`}
</section>`;
  }

  async function lookupOf(ctx: ConsoleContext, res: Response, typed: string): Promise<{ status: number; lookup: { codiceFiscale: string; listed?: Listed; issues: FieldIssue[] } }> {
    const codiceFiscale = typed.trim().toUpperCase().slice(0, 32);
    if (!codiceFiscale) return { status: 200, lookup: { codiceFiscale, issues: [] } };
    try {
      const listed = await act(deps.pool, staffOf(res), 'counter.delegations_lookup', codiceFiscale, () => delegations.ofPerson(codiceFiscale));
      return { status: 200, lookup: { codiceFiscale, listed, issues: [] } };
    } catch (err) {
      const shown = shownError(err);
      if (!shown) throw err;
      return { status: shown.status, lookup: { codiceFiscale, issues: shown.fields.length ? shown.fields : [fieldIssue('codiceFiscale', 'invalid', tb(ctx, shown.userMessage), tb(ctx, shown.userMessage))] } };
    }
  }

  function delegationPage(
    req: Request,
    res: Response,
    status: number,
    state: FormState,
    outcome?: SafeHtml,
    lookup: { codiceFiscale: string; listed?: Listed; issues: FieldIssue[] } = { codiceFiscale: '', issues: [] },
  ): void {
    const ctx = consoleContext(req, res, '/counter/delegations');
    const labels = delegationLabels(ctx);
    const formKey = state.values.formKey && FORM_KEY.test(state.values.formKey) ? state.values.formKey : randomUUID();
    const lastDay = italianCalendarDate(new Date(now().getTime() + 366 * 86_400_000));
    sendPage(
      res,
      status,
      consolePage(ctx, {
        title: t(ctx, 'Registra delega', 'Register a delegation'),
        active: 'counter',
        hasErrors: state.issues.length > 0 || lookup.issues.length > 0,
        body: html`${outcome ?? ''}${errorSummary(ctx, [...state.issues, ...lookup.issues], (f) => labels[f] ?? (f === 'codiceFiscale' ? t(ctx, 'Codice fiscale', 'Codice fiscale') : undefined))}
<p>${t(
          ctx,
          'I cittadini impossibilitati a utilizzare in autonomia i servizi online INPS possono delegare una persona di fiducia. Il delegante consegna il modulo di delega firmato; verifica di persona il suo documento di identità (e quello del delegato, se presente). Il delegante non ha bisogno di un PIN.',
          'Citizens who cannot use the INPS online services on their own may delegate a trusted person. The delegator hands in the signed delegation form; check their identity document in person (and the delegate’s, if they came too). The delegator needs no PIN.',
        )}</p>
<p>${t(
          ctx,
          'La delega resta in attesa finché il delegato non la accetta con il proprio PIN dalla sua area personale (entro 30 giorni, altrimenti decade).',
          'The delegation waits until the delegate accepts it with their own PIN in their personal area (within 30 days, or it lapses).',
        )}</p>
<form method="post" action="${ctx.base}/counter/delegations" novalidate>
  ${csrfInput(ctx)}
  <input type="hidden" name="formKey" value="${formKey}">
  <fieldset class="mb-4"><legend class="h5">${t(ctx, 'Delegante, delegato e ambito', 'Delegator, delegate and scope')}</legend>
  <div class="row">
    <div class="col-md-6">${textField(ctx, state, { name: 'delegatorCodiceFiscale', label: labels.delegatorCodiceFiscale!, required: true, maxlength: 16, autocapitalize: 'characters', spellcheck: false })}</div>
    <div class="col-md-6">${textField(ctx, state, { name: 'delegateCodiceFiscale', label: labels.delegateCodiceFiscale!, required: true, maxlength: 16, autocapitalize: 'characters', spellcheck: false })}</div>
  </div>
  <div class="row">
    <div class="col-md-6">${selectField(ctx, state, {
      name: 'scope',
      label: labels.scope!,
      required: true,
      placeholder: t(ctx, 'Scegli', 'Choose'),
      options: [
        { value: 'consult', label: scopeLabel(ctx, 'consult') },
        { value: 'consult_and_claims', label: scopeLabel(ctx, 'consult_and_claims') },
      ],
    })}</div>
    <div class="col-md-6">${textField(ctx, state, {
      name: 'endsOn',
      label: labels.endsOn!,
      type: 'date',
      required: true,
      hint: t(ctx, `Al massimo il ${fmtDate(ctx, lastDay)}; la delega termina alla mezzanotte (ora italiana) di quel giorno.`, `At most ${fmtDate(ctx, lastDay)}; the delegation ends at midnight (Italian time) of that day.`),
    })}</div>
  </div>
  </fieldset>
  ${documentFieldset(ctx, state, { prefix: 'delegatorDocument', legend: t(ctx, 'Sede e documento del delegante', 'Office and the delegator’s document'), whose: t(ctx, '(delegante)', '(delegator)') })}
  ${documentFieldset(ctx, state, {
    prefix: 'delegateDocument',
    withOffice: false,
    required: false,
    legend: t(ctx, 'Documento del delegato (se presente allo sportello)', 'The delegate’s document (if they came to the counter)'),
    whose: t(ctx, '(delegato)', '(delegate)'),
  })}
  ${checkbox(ctx, state, {
    name: 'signedFormReceived',
    label: t(ctx, 'Dichiaro di aver ricevuto il modulo di delega firmato dal delegante', 'I declare that I received the delegation form signed by the delegator'),
  })}
  <button type="submit" class="btn btn-primary">${t(ctx, 'Registra la delega', 'Register the delegation')}</button>
</form>
${lookupSection(ctx, lookup)}`,
      }),
    );
  }

  /** The registered delegation as the clerk and the delegator know it: the two people by name, scope, until when, status. */
  async function registeredFacts(ctx: ConsoleContext, delegation: Awaited<ReturnType<typeof delegations.registerAtOffice>>['delegation']): Promise<SafeHtml> {
    const { delegator, delegate } = await delegations.parties(delegation);
    const person = (p: typeof delegator) => (p.named ? html`${p.name} <span class="text-muted">(${p.codiceFiscale})</span>` : p.codiceFiscale);
    return facts([
      [t(ctx, 'Delega', 'Delegation'), html`<span data-testid="delegation-parties">${person(delegator)} → ${person(delegate)}</span>`],
      [t(ctx, 'Ambito', 'Scope'), scopeLabel(ctx, delegation.scope)],
      [t(ctx, 'Valida fino al', 'Valid until'), fmtDate(ctx, delegation.endsOn)],
      [t(ctx, 'Stato', 'Status'), html`<span data-testid="delegation-status">${say(ctx, DELEGATION_STATUSES, delegation.status)}</span>`],
      [t(ctx, 'Da accettare entro', 'To be accepted by'), fmtDateTime(ctx, delegation.acceptBy)],
    ]);
  }

  r.get('/counter/delegations', guard(SECTIONS.counter), async (req, res) => {
    const ctx = consoleContext(req, res, '/counter/delegations');
    const { status, lookup } = await lookupOf(ctx, res, typeof req.query.codiceFiscale === 'string' ? req.query.codiceFiscale : '');
    delegationPage(req, res, status, { values: {}, issues: [] }, undefined, lookup);
  });

  r.post('/counter/delegations/:delegationId/revoke', guard(SECTIONS.counter), async (req, res) => {
    const values = formValues(req.body, ['codiceFiscale', 'reason'], 500);
    const staff = staffOf(res);
    const ctx = consoleContext(req, res, '/counter/delegations');
    const id = String(req.params.delegationId);
    let outcome: SafeHtml;
    let status = 200;
    try {
      if (!isUuid(id)) throw new DomainError(ErrorType.NotFound, { it: 'Delega non trovata.', en: 'Delegation not found.' });
      await act(deps.pool, staff, 'counter.revoke_delegation', id, () => delegations.revokeByClerk(staff.staffId, id, values.reason ? { reason: values.reason } : {}));
      outcome = alertBox('success', t(ctx, 'Delega revocata: entrambe le persone ricevono un avviso se hanno un PIN con recapiti.', 'Delegation revoked: both people are told if they hold a PIN with contacts.'), 'notice');
    } catch (err) {
      const shown = shownError(err);
      if (!shown) throw err;
      status = shown.status;
      outcome = alertBox('danger', tb(ctx, shown.userMessage), 'counter-error');
    }
    const found = await lookupOf(ctx, res, values.codiceFiscale ?? '');
    delegationPage(req, res, status, { values: {}, issues: [] }, outcome, found.lookup);
  });

  r.post('/counter/delegations', guard(SECTIONS.counter), async (req, res) => {
    const values = formValues(req.body, DELEGATION_FIELDS);
    const staff = staffOf(res);
    const ctx = consoleContext(req, res, '/counter/delegations');
    const body = {
      delegatorCodiceFiscale: values.delegatorCodiceFiscale,
      delegateCodiceFiscale: values.delegateCodiceFiscale,
      scope: values.scope || undefined,
      endsOn: values.endsOn,
      office: values.office,
      delegatorDocument: documentInput(values, 'delegatorDocument'),
      ...(documentGiven(values, 'delegateDocument') ? { delegateDocument: documentInput(values, 'delegateDocument') } : {}),
      signedFormReceived: values.signedFormReceived === 'yes',
    };
    try {
      const { delegation, replayed } = await act(
        deps.pool,
        staff,
        'counter.register_delegation',
        values.delegatorCodiceFiscale?.toUpperCase(),
        () => delegations.registerAtOffice(staff, body, FORM_KEY.test(values.formKey ?? '') ? values.formKey : undefined),
      );
      const outcome = html`${alertBox(
        'success',
        replayed
          ? t(ctx, 'Questa delega era già stata registrata con questo modulo: ecco la registrazione.', 'This delegation was already registered with this form: here is the registration.')
          : t(
              ctx,
              'Delega registrata. È in attesa dell’accettazione del delegato, che riceve un avviso se ha un PIN con recapiti; stampa la ricevuta e consegnala al delegante.',
              'Delegation registered. It awaits the delegate’s acceptance; the delegate is told if they hold a PIN with contacts. Print the receipt and give it to the delegator.',
            ),
        'notice',
      )}
${await registeredFacts(ctx, delegation)}
<p class="d-flex flex-wrap gap-2">
  <a class="btn btn-primary" href="${officeDelegationReceiptPath(delegation.delegationId)}" data-testid="delegation-receipt" data-delegation="${delegation.delegationId}">${t(ctx, 'Stampa la ricevuta per il delegante (PDF)', 'Print the receipt for the delegator (PDF)')}</a>
  <a class="btn btn-outline-primary" href="${ctx.base}/counter/delegations">${t(ctx, 'Registra un’altra delega', 'Register another delegation')}</a>
</p>`;
      sendPage(res, replayed ? 200 : 201, consolePage(ctx, { title: t(ctx, 'Delega registrata', 'Delegation registered'), active: 'counter', langSwitch: false, body: outcome }));
    } catch (err) {
      const shown = shownError(err);
      if (!shown) throw err;
      // The checkbox is an all-or-nothing literal for the service: say what it means here.
      const issues = shown.fields.map((f) =>
        f.field === 'signedFormReceived' ? { ...f, code: 'required', message: { it: 'Serve il modulo di delega firmato dal delegante.', en: 'The delegation form signed by the delegator is needed.' } } : f,
      );
      delegationPage(req, res, shown.status, { values, issues }, issues.length ? undefined : alertBox('danger', tb(ctx, shown.userMessage), 'counter-error'));
    }
  });

  // -- fax intake ----------------------------------------------------------------------------------

  function faxPage(req: Request, res: Response, status: number, state: FormState, outcome?: SafeHtml): void {
    const ctx = consoleContext(req, res, '/counter/fax-intake');
    const labels: Record<string, string> = { codiceFiscale: t(ctx, 'Codice fiscale del titolare', 'Holder’s codice fiscale'), fax: t(ctx, 'Fax ricevuto (PDF)', 'Received fax (PDF)') };
    const faxIssue = state.issues.find((i) => i.field === 'fax');
    sendPage(
      res,
      status,
      consolePage(ctx, {
        title: t(ctx, 'Richiesta di conversione ricevuta via fax', 'Conversion request received by fax'),
        active: 'counter',
        hasErrors: state.issues.length > 0,
        body: html`${outcome ?? ''}${errorSummary(ctx, state.issues, (f) => labels[f])}
<p>${t(
          ctx,
          'Allega il fax con il modulo di richiesta firmato dal titolare di un PIN ordinario: si apre una pratica di verifica dei documenti nella coda di verifica.',
          'Attach the fax with the request form signed by the holder of an ordinary PIN: a document review case opens in the review queue.',
        )}</p>
<form method="post" action="${ctx.base}/counter/fax-intake" enctype="multipart/form-data" novalidate>
  ${csrfInput(ctx)}
  <div class="row"><div class="col-md-6">${textField(ctx, state, { name: 'codiceFiscale', label: labels.codiceFiscale!, required: true, maxlength: 16, autocapitalize: 'characters', spellcheck: false })}</div></div>
  <div class="form-group">
    <label for="f-fax" class="active">${labels.fax} <span class="portal-required" aria-hidden="true">*</span></label>
    <input type="file" class="form-control${faxIssue ? ' is-invalid' : ''}" id="f-fax" name="fax" accept="application/pdf,.pdf" required aria-required="true" aria-describedby="${faxIssue ? 'f-fax-error ' : ''}f-fax-hint"${faxIssue ? html` aria-invalid="true"` : ''}>
    ${faxIssue ? html`<div class="invalid-feedback d-block" id="f-fax-error">${tb(ctx, faxIssue.message)}</div>` : ''}
    <small class="form-text" id="f-fax-hint">${t(ctx, 'PDF (o immagine JPEG/PNG), al massimo 10 MB.', 'PDF (or a JPEG/PNG image), at most 10 MB.')}</small>
  </div>
  <button type="submit" class="btn btn-primary">${t(ctx, 'Allega il fax e apri la verifica', 'Attach the fax and open the review')}</button>
</form>`,
      }),
    );
  }

  r.get('/counter/fax-intake', guard(SECTIONS.counter), (req, res) => faxPage(req, res, 200, { values: {}, issues: [] }));

  r.post('/counter/fax-intake', guard(SECTIONS.counter, { multipart: true }), async (req, res) => {
    const staff = staffOf(res);
    const ctx = consoleContext(req, res, '/counter/fax-intake');
    const gate = multipartCsrfGate(res);
    // A body refused part-way is left unread: the connection closes after the answer.
    res.setHeader('Connection', 'close');
    let form;
    try {
      store.assertConfigured();
      form = await readMultipart(req, FAX_LIMITS, gate);
    } catch (err) {
      if (err instanceof MultipartError) {
        if (err.reason === 'refused') return csrfRefusedPage(req, res);
        const tooLarge = err.reason === 'too_large';
        const problem = tooLarge
          ? t(ctx, 'Il file è troppo grande: al massimo 10 MB.', 'The file is too large: at most 10 MB.')
          : t(ctx, 'Il modulo inviato non è leggibile: riapri la pagina e riprova.', 'The form sent could not be read: open the page again and retry.');
        return faxPage(req, res, tooLarge ? 413 : 400, { values: {}, issues: [] }, alertBox('danger', problem, 'counter-error'));
      }
      const shown = shownError(err);
      if (!shown) throw err;
      return faxPage(req, res, shown.status, { values: {}, issues: [] }, alertBox('danger', tb(ctx, shown.userMessage), 'counter-error'));
    }
    res.removeHeader('Connection');
    // A form without a file never met the gate.
    if (!gate(form.fields)) return csrfRefusedPage(req, res);
    const values = { codiceFiscale: (form.fields.codiceFiscale ?? '').slice(0, 32) };
    const file = form.files.find((f) => f.field === 'fax');
    const issues: FieldIssue[] = [];
    let credentialId: string | undefined;
    let status = 0;
    try {
      credentialId = (await faxTarget(deps, values.codiceFiscale)).id;
    } catch (err) {
      const shown = shownError(err);
      if (!shown) throw err;
      if (shown.fields.length === 0) return faxPage(req, res, shown.status, { values, issues: [] }, alertBox('danger', tb(ctx, shown.userMessage), 'counter-error'));
      issues.push(...shown.fields.map((f) => ({ ...f, field: 'codiceFiscale' })));
      status = shown.status;
    }
    if (!file || (file.filename === '' && file.bytes.length === 0)) {
      issues.push(fieldIssue('fax', 'required', 'Allega il fax ricevuto.', 'Attach the received fax.'));
      status ||= 400;
    }
    if (issues.length > 0 || !credentialId || !file) return faxPage(req, res, status || 400, { values, issues });

    const upload: RawUpload = { bytes: file.bytes, contentType: file.mimeType, filename: file.filename };
    try {
      if (file.truncated) throw uploadTooLargeError();
      const attached = await act(deps.pool, staff, 'counter.fax_intake', credentialId, () => attachFax(deps, store, { credentialId, staffId: staff.staffId, upload }));
      deps.log.info({ credentialId, caseId: attached.caseId, documentId: attached.documentId, staffId: staff.staffId, via: 'console' }, 'fax intake');
      faxPage(
        req,
        res,
        202,
        { values: {}, issues: [] },
        html`${alertBox('success', t(ctx, 'Fax allegato: la pratica di verifica è aperta.', 'Fax attached: the review case is open.'), 'notice')}
<p><a href="${ctx.base}/review/${attached.caseId}" data-testid="case-link">${t(ctx, 'Apri la pratica', 'Open the case')}</a></p>`,
      );
    } catch (err) {
      if (err instanceof DomainError && UPLOAD_REFUSALS.has(err.type) && !(err.details as { reason?: string } | undefined)?.reason) {
        const message = err.fields[0]?.message ?? err.userMessage;
        return faxPage(req, res, err.status, { values, issues: [{ field: 'fax', code: err.fields[0]?.code ?? 'invalid', message }] });
      }
      const shown = shownError(err);
      if (!shown) throw err;
      faxPage(req, res, shown.status, { values, issues: [] }, alertBox('danger', tb(ctx, shown.userMessage), 'counter-error'));
    }
  });
}
