/**
 * Console: the contact centre. A PIN request taken for a caller (the PIN request service, channel
 * `contact_centre`, recorded with the operator), the verification of a caller's telephone PIN
 * (services/telephone-pin/telephone-pins.ts `verifyCaller`: the same counting and locking as the API), adding a
 * missing contact and revoking a PIN (the services behind the contact-centre API routes), and the
 * call-back tasks for residences that differ from the institute's records.
 */
import type { Request, Response, Router } from 'express';
import { randomUUID } from 'node:crypto';
import type { ApiDeps } from '../api/deps';
import { parseVerification } from '../api/routes/telephone-pins';
import { DomainError, ErrorType, validationError, type Bilingual } from '../domain/errors';
import { isUuid } from '../domain/ids';
import { validatePinRequest } from '../domain/pin-request';
import { checkbox, errorSummary, radioGroup, textField, type FormState } from '../portal/views';
import { createContactCentreService, type CallbackOutcomeInput, type CallbackTask, type CallerVerification } from '../services/contact-centre';
import { requireLiveCredential } from '../services/credentials';
import type { createPinRequestService } from '../services/issuance/pin-requests';
import { createRevocationService } from '../services/lifecycle/revocation';
import { html, type SafeHtml } from '../web/html';
import { CITIZEN_FIELDS, citizenErrorSummary, citizenFields, citizenInput } from './citizen-form';
import { DOCUMENT_FIELDS, documentFieldset, documentInput, documentLabels } from './document-fields';
import { identifyRemotely } from '../services/lifecycle/remote-identification';
import { alertBox, consoleContext, consolePage, csrfInput, facts, fmtDateTime, t, table, tb, type ConsoleContext } from './layout';
import { SECTIONS } from './roles';
import { contactFieldLabel, countrySaid, CREDENTIAL_STATES, say, sayText, TIME_SLOTS } from './vocabulary';
import { act, formValues, messagePage, sendPage, shownError, staffOf, type consoleGuard } from './shared';

type Guard = ReturnType<typeof consoleGuard>;

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,128}$/;
/** States from which the credential workflow can revoke (as the revocation route). */

const SUB_PAGES: { path: string; label: Bilingual }[] = [
  { path: '/contact-centre/pin-request', label: { it: 'Richiesta PIN per un chiamante', en: 'PIN request for a caller' } },
  { path: '/contact-centre/verify', label: { it: 'Verifica del PIN telefonico', en: 'Telephone PIN verification' } },
  { path: '/contact-centre/contacts', label: { it: 'Aggiungi un recapito', en: 'Add a contact' } },
  { path: '/contact-centre/revoke', label: { it: 'Revoca del PIN', en: 'PIN revocation' } },
  { path: '/contact-centre/remote-identification', label: { it: 'Identificazione da remoto', en: 'Remote identification' } },
];

/** How the operator verified the caller: telephone PIN, or identity questions described in the note. */
function callerVerificationFields(ctx: ConsoleContext, state: FormState, noteLabel: string): SafeHtml {
  return html`${radioGroup(ctx, state, {
    name: 'method',
    legend: t(ctx, 'Come è stato verificato il chiamante', 'How the caller was verified'),
    required: true,
    options: [
      { value: 'telephone_pin', label: t(ctx, 'PIN telefonico', 'Telephone PIN') },
      { value: 'identity_questions', label: t(ctx, 'Domande di identificazione', 'Identity questions') },
    ],
  })}
  ${textField(ctx, state, { name: 'telephonePin', label: t(ctx, 'PIN telefonico', 'Telephone PIN'), type: 'password', maxlength: 12, inputmode: 'numeric', autocomplete: 'off' })}
  ${textField(ctx, state, { name: 'note', label: noteLabel, maxlength: 500 })}`;
}

function subNav(ctx: ConsoleContext): SafeHtml {
  return html`<ul class="nav nav-tabs mb-4">${SUB_PAGES.map(
    (p) => html`<li class="nav-item"><a class="nav-link${ctx.selfPath === p.path ? ' active' : ''}" href="${ctx.base}${p.path}">${tb(ctx, p.label)}</a></li>`,
  )}<li class="nav-item"><a class="nav-link${ctx.selfPath === '/contact-centre' ? ' active' : ''}" href="${ctx.base}/contact-centre">${t(ctx, 'Richiamate', 'Call-backs')}</a></li></ul>`;
}

export function contactCentrePages(r: Router, deps: ApiDeps, guard: Guard, pinRequests: ReturnType<typeof createPinRequestService>): void {
  const contactCentre = createContactCentreService(deps);
  const revocations = createRevocationService(deps);
  const now = () => deps.now?.() ?? new Date();
  const roles = SECTIONS.contactCentre;

  const page = (req: Request, res: Response, status: number, selfPath: string, title: { it: string; en: string }, body: (ctx: ConsoleContext) => SafeHtml, hasErrors = false) => {
    const ctx = consoleContext(req, res, selfPath);
    sendPage(res, status, consolePage(ctx, { title: tb(ctx, title), active: 'contactCentre', hasErrors, body: html`${subNav(ctx)}${body(ctx)}` }));
  };

  /** The live credential of a codice fiscale, or a VALIDATION / NOT_FOUND error on `codiceFiscale`. */
  const liveCredential = (typed: string) => requireLiveCredential<{ id: string; codice_fiscale: string }>(deps.pool, typed, 'id, codice_fiscale');

  // -- call-back tasks (landing page) --------------------------------------------------------

  async function callbacksPage(req: Request, res: Response, notice?: string): Promise<void> {
    const rows = await contactCentre.callbackTasks();
    page(req, res, 200, '/contact-centre', { it: 'Contact center — richiamate', en: 'Contact centre — call-backs' }, (ctx) => html`${notice ? alertBox('success', notice, 'notice') : ''}
<p>${t(ctx, 'Cittadini da richiamare: la residenza dichiarata è diversa da quella in archivio.', 'Citizens to call back: the residence they declared differs from the records.')}</p>
${
  rows.length
    ? table(
        t(ctx, 'Richiamate aperte', 'Open call-backs'),
        [t(ctx, 'Cittadino', 'Citizen'), t(ctx, 'Codice fiscale', 'Codice fiscale'), t(ctx, 'Telefono', 'Phone'), t(ctx, 'Orario', 'Time slot'), t(ctx, 'Aperta', 'Opened'), t(ctx, 'Chiamate senza risposta', 'Unanswered calls'), ''],
        rows.map((k) => [
          `${k.holder.name} ${k.holder.surname}`,
          html`<a href="${ctx.base}/citizens?cf=${k.codice_fiscale}">${k.codice_fiscale}</a>`,
          k.phone,
          sayText(ctx, TIME_SLOTS, k.time_slot),
          fmtDateTime(ctx, k.created_at),
          String(k.attempts),
          html`<a class="btn btn-sm btn-outline-primary" href="${ctx.base}/contact-centre/callbacks/${k.id}">${t(ctx, 'Registra l’esito', 'Record the outcome')}</a>`,
        ]),
        'callbacks',
      )
    : html`<p>${t(ctx, 'Nessuna richiamata aperta.', 'No open call-backs.')}</p>`
}`);
  }

  r.get('/contact-centre', guard(roles), (req, res) => callbacksPage(req, res));

  /** A residence as one line: street, postal code, town, country (by its name). */
  const residenceLine = (ctx: ConsoleContext, r: Record<string, unknown> | null): string =>
    r
      ? ['address', 'postalCode', 'city', 'province', 'country']
          .map((k) => (k === 'country' && typeof r[k] === 'string' && r[k] ? countrySaid(ctx, r[k]) : r[k]))
          .filter((v) => typeof v === 'string' && v.trim())
          .join(', ')
      : '';

  const outcomeForm = (req: Request, res: Response, status: number, task: CallbackTask, state: FormState, problem?: string) =>
    page(
      req,
      res,
      status,
      '/contact-centre',
      { it: 'Esito della richiamata', en: 'Call-back outcome' },
      (ctx) => html`${problem ? alertBox('danger', problem, 'action-error') : ''}${errorSummary(ctx, state.issues, () => undefined)}
<p>${t(
        ctx,
        'Nessun PIN è stato creato né spedito: la richiesta attende questa verifica. Verifica l’identità con domande sui dati in archivio, poi registra l’esito.',
        'No PIN has been made or sent: the request waits for this check. Verify the caller’s identity with questions on the data on record, then record the outcome.',
      )}</p>
${facts([
  [t(ctx, 'Cittadino', 'Citizen'), `${task.holder.name} ${task.holder.surname}`],
  [t(ctx, 'Codice fiscale', 'Codice fiscale'), task.codice_fiscale],
  [t(ctx, 'Telefono da chiamare', 'Phone to call'), `${task.phone} (${sayText(ctx, TIME_SLOTS, task.time_slot)})`],
  [t(ctx, 'Residenza dichiarata', 'Declared residence'), html`<span data-testid="declared">${residenceLine(ctx, task.declared)}</span>`],
  [t(ctx, 'Residenza in archivio', 'Residence on record'), html`<span data-testid="on-record">${residenceLine(ctx, task.on_record)}</span>`],
  [t(ctx, 'Chiamate senza risposta', 'Unanswered calls'), String(task.attempts)],
])}
<form method="post" action="${ctx.base}/contact-centre/callbacks/${task.id}" class="col-lg-8" novalidate autocomplete="off">
  ${csrfInput(ctx)}
  ${radioGroup(ctx, state, {
    name: 'outcome',
    legend: t(ctx, 'Esito della chiamata', 'Outcome of the call'),
    required: true,
    options: [
      { value: 'verified', label: t(ctx, 'Identità verificata', 'Identity verified') },
      { value: 'not_verified', label: t(ctx, 'Identità non verificata: la richiesta è rifiutata', 'Identity not verified: refuse the request') },
      { value: 'unreachable', label: t(ctx, 'Nessuna risposta', 'No answer') },
    ],
  })}
  ${radioGroup(ctx, state, {
    name: 'address',
    legend: t(ctx, 'Se verificata: indirizzo a cui spedire la lettera', 'If verified: address the letter goes to'),
    options: [
      { value: 'record', label: t(ctx, 'Residenza in archivio', 'Residence on record') },
      { value: 'declared', label: t(ctx, 'Residenza dichiarata, confermata nella chiamata', 'Declared residence, confirmed on the call') },
    ],
  })}
  ${textField(ctx, state, { name: 'note', label: t(ctx, 'Verifiche fatte o nota', 'Checks made or note'), maxlength: 500 })}
  <button type="submit" class="btn btn-primary">${t(ctx, 'Registra l’esito', 'Record the outcome')}</button>
</form>`,
      state.issues.length > 0,
    );

  const openTask = async (taskId: string): Promise<CallbackTask | undefined> => (isUuid(taskId) ? (await contactCentre.callbackTasks(taskId))[0] : undefined);
  const taskNotFound = (req: Request, res: Response) =>
    messagePage(req, res, 404, { it: 'Richiamata non trovata', en: 'Call-back not found' }, { it: 'Richiamata non trovata o già conclusa.', en: 'Call-back not found or already concluded.' }, 'contactCentre');

  r.get('/contact-centre/callbacks/:taskId', guard(roles), async (req, res) => {
    const task = await openTask(String(req.params.taskId));
    if (!task) return taskNotFound(req, res);
    outcomeForm(req, res, 200, task, { values: {}, issues: [] });
  });

  r.post('/contact-centre/callbacks/:taskId', guard(roles), async (req, res) => {
    const task = await openTask(String(req.params.taskId));
    if (!task) return taskNotFound(req, res);
    const values = formValues(req.body, ['outcome', 'address', 'note'], 500);
    const staff = staffOf(res);
    const ctx = consoleContext(req, res, '/contact-centre');
    try {
      const issues = [];
      if (!['verified', 'not_verified', 'unreachable'].includes(values.outcome ?? '')) {
        issues.push({ field: 'outcome', code: 'required', message: { it: 'Indica l’esito della chiamata.', en: 'Give the outcome of the call.' } });
      }
      if (values.outcome === 'verified' && values.address !== 'record' && values.address !== 'declared') {
        issues.push({ field: 'address', code: 'required', message: { it: 'Indica a quale indirizzo spedire la lettera.', en: 'Say which address the letter goes to.' } });
      }
      if (issues.length) throw validationError(issues);
      const outcome = values.outcome as CallbackOutcomeInput['outcome'];
      const input: CallbackOutcomeInput = { outcome, ...(outcome === 'verified' ? { address: values.address as 'record' | 'declared' } : {}), ...(values.note?.trim() ? { note: values.note.trim() } : {}) };
      const recorded = await act(deps.pool, staff, 'callback.outcome', task.credential_id, () => contactCentre.recordCallbackOutcome(staff, task.id, input), { outcome });
      const notice =
        recorded.status === 'verified'
          ? t(ctx, 'Identità verificata: il PIN viene emesso e la lettera spedita all’indirizzo confermato.', 'Identity verified: the PIN is being issued and the letter posted to the confirmed address.')
          : recorded.status === 'refused'
            ? t(ctx, 'Richiesta rifiutata: il cittadino viene avvisato ai recapiti indicati.', 'Request refused: the citizen is told at the contacts given.')
            : t(ctx, `Nessuna risposta registrata (${recorded.attempts}): la richiamata resta aperta.`, `No answer recorded (${recorded.attempts}): the call-back stays open.`);
      await callbacksPage(req, res, notice);
    } catch (err) {
      const shown = shownError(err);
      if (!shown) throw err;
      if (shown.type === ErrorType.Validation) return outcomeForm(req, res, 400, task, { values, issues: shown.fields });
      outcomeForm(req, res, shown.status, task, { values, issues: [] }, tb(ctx, shown.userMessage));
    }
  });

  // -- PIN request for a caller --------------------------------------------------------------

  const requestTitle = { it: 'Richiesta PIN per un chiamante', en: 'PIN request for a caller' };
  const requestForm = (req: Request, res: Response, status: number, state: FormState, key: string, problem?: string) =>
    page(
      req,
      res,
      status,
      '/contact-centre/pin-request',
      requestTitle,
      (ctx) => html`${problem ? alertBox('danger', problem, 'request-error') : ''}${citizenErrorSummary(ctx, state)}
<form method="post" action="${ctx.base}/contact-centre/pin-request" novalidate>
  ${csrfInput(ctx)}<input type="hidden" name="idempotencyKey" value="${key}">
  ${citizenFields(ctx, state, { callbackRequired: true })}
  <button type="submit" class="btn btn-primary">${t(ctx, 'Registra la richiesta', 'Record the request')}</button>
</form>`,
      state.issues.length > 0 || problem !== undefined,
    );

  r.get('/contact-centre/pin-request', guard(roles), (req, res) => requestForm(req, res, 200, { values: {}, issues: [] }, randomUUID()));

  r.post('/contact-centre/pin-request', guard(roles), async (req, res) => {
    const values = formValues(req.body, [...CITIZEN_FIELDS, 'idempotencyKey']);
    const key = IDEMPOTENCY_KEY.test(values.idempotencyKey ?? '') ? values.idempotencyKey! : randomUUID();
    const staff = staffOf(res);
    let accepted;
    try {
      accepted = await act(deps.pool, staff, 'contact_centre.pin_request', values.codiceFiscale?.toUpperCase(), async () => {
        const { request, warnings } = validatePinRequest(citizenInput(values, 'contact_centre'), { today: now(), eligibilityPolicy: deps.eligibilityPolicy, audience: 'staff' });
        return (await pinRequests.submit(request, warnings, { idempotencyKey: `console-${key}`, operatorId: staff.staffId })).result;
      });
    } catch (err) {
      const shown = shownError(err);
      if (!shown) throw err;
      const ctx = consoleContext(req, res, '/contact-centre/pin-request');
      return requestForm(req, res, shown.status, { values, issues: shown.fields }, key, shown.fields.length ? undefined : tb(ctx, shown.userMessage));
    }
    page(req, res, 202, '/contact-centre/pin-request', requestTitle, (ctx) => html`${alertBox('success', t(ctx, 'Richiesta registrata.', 'Request recorded.'), 'notice')}
${facts([
  [t(ctx, 'Richiesta', 'Request'), accepted.requestId],
  [t(ctx, 'Credenziale', 'Credential'), accepted.credentialId],
  [t(ctx, 'Consegna', 'Delivery'), tb(ctx, accepted.deliveryPlan.message)],
  [t(ctx, 'Prima metà', 'First half'), accepted.deliveryPlan.firstHalf.map((s) => tb(ctx, s.description)).join('; ')],
  [t(ctx, 'Seconda metà', 'Second half'), accepted.deliveryPlan.secondHalf.map((s) => tb(ctx, s.description)).join('; ')],
])}
${accepted.warnings.length ? alertBox('info', accepted.warnings.map((w) => tb(ctx, w.message)).join(' ')) : ''}`);
  });

  // -- telephone PIN verification ------------------------------------------------------------

  const verifyTitle = { it: 'Verifica del PIN telefonico', en: 'Telephone PIN verification' };
  const verifyForm = (req: Request, res: Response, status: number, state: FormState, outcome?: SafeHtml) =>
    page(
      req,
      res,
      status,
      '/contact-centre/verify',
      verifyTitle,
      (ctx) => html`${outcome ?? ''}${errorSummary(ctx, state.issues, () => undefined)}
<p>${t(ctx, 'Chiedi al chiamante il codice fiscale e il PIN telefonico di 8 cifre che ha creato con SPID, CIE o CNS.', 'Ask the caller for the codice fiscale and the 8-digit telephone PIN they created with SPID, CIE or CNS.')}</p>
<form method="post" action="${ctx.base}/contact-centre/verify" class="col-lg-6" novalidate autocomplete="off">
  ${csrfInput(ctx)}
  ${textField(ctx, state, { name: 'codiceFiscale', label: t(ctx, 'Codice fiscale', 'Codice fiscale'), required: true, maxlength: 16, autocapitalize: 'characters', spellcheck: false })}
  ${textField(ctx, state, { name: 'telephonePin', label: t(ctx, 'PIN telefonico', 'Telephone PIN'), type: 'password', required: true, maxlength: 12, inputmode: 'numeric', autocomplete: 'off' })}
  <button type="submit" class="btn btn-primary">${t(ctx, 'Verifica', 'Verify')}</button>
</form>`,
      state.issues.length > 0,
    );

  r.get('/contact-centre/verify', guard(roles), (req, res) => verifyForm(req, res, 200, { values: {}, issues: [] }));

  r.post('/contact-centre/verify', guard(roles), async (req, res) => {
    const values = formValues(req.body, ['codiceFiscale', 'telephonePin'], 40);
    const staff = staffOf(res);
    const ctx = consoleContext(req, res, '/contact-centre/verify');
    const state: FormState = { values: { codiceFiscale: values.codiceFiscale }, issues: [] };
    try {
      const { codiceFiscale, telephonePin } = parseVerification(values);
      const verified = await act(deps.pool, staff, 'contact_centre.verify_caller', codiceFiscale, () => contactCentre.verifyCaller(staff, codiceFiscale, telephonePin));
      verifyForm(
        req,
        res,
        200,
        { values: {}, issues: [] },
        alertBox('success', t(ctx, `Chiamante verificato: ${verified.codiceFiscale}.`, `Caller verified: ${verified.codiceFiscale}.`), 'verify-result'),
      );
    } catch (err) {
      const shown = shownError(err);
      if (!shown) throw err;
      if (shown.type === ErrorType.Validation) return verifyForm(req, res, 400, { ...state, issues: shown.fields });
      verifyForm(req, res, shown.status, state, alertBox('danger', tb(ctx, shown.userMessage), 'verify-result'));
    }
  });

  // -- add a contact -------------------------------------------------------------------------

  const contactsTitle = { it: 'Aggiungi un recapito', en: 'Add a contact' };
  const contactsForm = (req: Request, res: Response, status: number, state: FormState, outcome?: SafeHtml) =>
    page(
      req,
      res,
      status,
      '/contact-centre/contacts',
      contactsTitle,
      (ctx) => html`${outcome ?? ''}${errorSummary(ctx, state.issues, () => undefined)}
<p>${t(ctx, 'Solo un recapito mancante può essere aggiunto per telefono; il titolare cambia gli altri dalla sua area personale.', 'Only a missing contact can be added over the phone; the holder changes the others from their personal area.')}</p>
<form method="post" action="${ctx.base}/contact-centre/contacts" class="col-lg-8" novalidate autocomplete="off">
  ${csrfInput(ctx)}
  ${textField(ctx, state, { name: 'codiceFiscale', label: t(ctx, 'Codice fiscale', 'Codice fiscale'), required: true, maxlength: 16, autocapitalize: 'characters' })}
  ${textField(ctx, state, { name: 'mobile', label: t(ctx, 'Cellulare da aggiungere', 'Mobile to add'), type: 'tel', maxlength: 23 })}
  ${textField(ctx, state, { name: 'email', label: t(ctx, 'E-mail da aggiungere', 'E-mail to add'), type: 'email', maxlength: 254 })}
  ${textField(ctx, state, { name: 'pec', label: t(ctx, 'PEC da aggiungere', 'PEC to add'), type: 'email', maxlength: 254 })}
  ${callerVerificationFields(ctx, state, t(ctx, 'Verifiche fatte (se domande)', 'Checks made (if questions)'))}
  <button type="submit" class="btn btn-primary">${t(ctx, 'Aggiungi', 'Add')}</button>
</form>`,
      state.issues.length > 0,
    );

  r.get('/contact-centre/contacts', guard(roles), (req, res) => contactsForm(req, res, 200, { values: {}, issues: [] }));

  r.post('/contact-centre/contacts', guard(roles), async (req, res) => {
    const values = formValues(req.body, ['codiceFiscale', 'mobile', 'email', 'pec', 'method', 'telephonePin', 'note'], 500);
    const staff = staffOf(res);
    const ctx = consoleContext(req, res, '/contact-centre/contacts');
    const kept = { ...values, telephonePin: '' };
    try {
      const added = (['mobile', 'email', 'pec'] as const).filter((k) => (values[k] ?? '').trim() !== '');
      if (!added.length) throw validationError([{ field: 'mobile', code: 'contact_required', message: { it: 'Indica cellulare, e-mail o PEC.', en: 'Give a mobile, e-mail or PEC.' } }]);
      if (values.method !== 'telephone_pin' && values.method !== 'identity_questions') {
        throw validationError([{ field: 'method', code: 'required', message: { it: 'Indica come hai verificato il chiamante.', en: 'Say how the caller was verified.' } }]);
      }
      if (values.method === 'identity_questions' && (values.note ?? '').trim().length < 10) {
        throw validationError([{ field: 'note', code: 'too_small', message: { it: 'Descrivi le verifiche fatte (almeno 10 caratteri).', en: 'Describe the checks (at least 10 characters).' } }]);
      }
      const credential = await liveCredential(values.codiceFiscale ?? '');
      const verification: CallerVerification =
        values.method === 'telephone_pin' ? { method: 'telephone_pin', telephonePin: values.telephonePin ?? '' } : { method: 'identity_questions', note: values.note!.trim() };
      const result = await act(deps.pool, staff, 'contact_centre.add_contact', credential.id, () =>
        contactCentre.addContact(staff, credential.id, { mobile: values.mobile, email: values.email, pec: values.pec }, verification),
      );
      contactsForm(req, res, 201, { values: {}, issues: [] }, alertBox('success', t(ctx, `Recapito aggiunto (${result.fields.map((f) => contactFieldLabel(ctx, f)).join(', ')}); il titolare è avvisato.`, `Contact added (${result.fields.map((f) => contactFieldLabel(ctx, f)).join(', ')}); the holder is notified.`), 'notice'));
    } catch (err) {
      const shown = shownError(err);
      if (!shown) throw err;
      if (shown.type === ErrorType.Validation) return contactsForm(req, res, 400, { values: kept, issues: shown.fields });
      contactsForm(req, res, shown.status, { values: kept, issues: [] }, alertBox('danger', tb(ctx, shown.userMessage), 'action-error'));
    }
  });

  // -- revocation ----------------------------------------------------------------------------

  const revokeTitle = { it: 'Revoca del PIN', en: 'PIN revocation' };
  type Holder = { id: string; state: string; holder: { name?: string; surname?: string } };
  /**
   * Two steps: the codice fiscale first, which shows whose PIN it is and its state; then how the
   * caller was verified and the confirmation. Nothing is revoked without both.
   */
  const revokeForm = (req: Request, res: Response, status: number, state: FormState, found?: Holder, outcome?: SafeHtml) =>
    page(
      req,
      res,
      status,
      '/contact-centre/revoke',
      revokeTitle,
      (ctx) => html`${outcome ?? ''}${errorSummary(ctx, state.issues, () => undefined)}
<p>${t(ctx, 'La revoca è definitiva: il PIN non potrà più essere usato (il cittadino potrà chiederne uno nuovo). Prima si verifica il chiamante.', 'Revocation is final: the PIN can never be used again (the citizen may request a new one). The caller is verified first.')}</p>
${
  found
    ? html`<form method="post" action="${ctx.base}/contact-centre/revoke" class="col-lg-8" novalidate autocomplete="off">
  ${csrfInput(ctx)}
  <input type="hidden" name="codiceFiscale" value="${state.values.codiceFiscale ?? ''}"><input type="hidden" name="credentialId" value="${found.id}">
  ${facts([
    [t(ctx, 'Codice fiscale', 'Codice fiscale'), state.values.codiceFiscale ?? ''],
    [t(ctx, 'Titolare', 'Holder'), html`<span data-testid="revoke-holder">${`${found.holder.name ?? ''} ${found.holder.surname ?? ''}`.trim()}</span>`],
    [t(ctx, 'Stato del PIN', 'PIN state'), say(ctx, CREDENTIAL_STATES, found.state)],
  ])}
  ${callerVerificationFields(ctx, state, t(ctx, 'Verifiche fatte (se domande) o nota', 'Checks made (if questions) or note'))}
  ${checkbox(ctx, state, { name: 'confirm', label: t(ctx, 'Confermo la revoca definitiva del PIN', 'I confirm the final revocation of the PIN') })}
  <button type="submit" class="btn btn-danger">${t(ctx, 'Revoca il PIN', 'Revoke the PIN')}</button>
</form>`
    : html`<form method="get" action="${ctx.base}/contact-centre/revoke" class="col-lg-6" novalidate>
  ${textField(ctx, state, { name: 'codiceFiscale', label: t(ctx, 'Codice fiscale', 'Codice fiscale'), required: true, maxlength: 16, autocapitalize: 'characters' })}
  <button type="submit" class="btn btn-primary">${t(ctx, 'Cerca il PIN', 'Find the PIN')}</button>
</form>`
}`,
      state.issues.length > 0,
    );

  const holderOf = (typed: string) => requireLiveCredential<Holder & { codice_fiscale: string }>(deps.pool, typed, 'id, state, holder, codice_fiscale');

  r.get('/contact-centre/revoke', guard(roles), async (req, res) => {
    const typed = typeof req.query.codiceFiscale === 'string' ? req.query.codiceFiscale.slice(0, 32) : '';
    if (!typed) return revokeForm(req, res, 200, { values: {}, issues: [] });
    try {
      const found = await holderOf(typed);
      revokeForm(req, res, 200, { values: { codiceFiscale: found.codice_fiscale }, issues: [] }, found);
    } catch (err) {
      const shown = shownError(err);
      if (!shown) throw err;
      revokeForm(req, res, shown.status, { values: { codiceFiscale: typed }, issues: shown.fields });
    }
  });

  r.post('/contact-centre/revoke', guard(roles), async (req, res) => {
    const values = formValues(req.body, ['codiceFiscale', 'credentialId', 'method', 'telephonePin', 'note', 'confirm'], 500);
    const staff = staffOf(res);
    const ctx = consoleContext(req, res, '/contact-centre/revoke');
    const kept = { ...values, telephonePin: '' };
    let found: Holder | undefined;
    try {
      found = await holderOf(values.codiceFiscale ?? '');
      const issues = [];
      if (values.method !== 'telephone_pin' && values.method !== 'identity_questions') {
        issues.push({ field: 'method', code: 'required', message: { it: 'Indica come hai verificato il chiamante.', en: 'Say how the caller was verified.' } });
      }
      if (values.confirm !== 'yes') issues.push({ field: 'confirm', code: 'required', message: { it: 'Conferma la revoca.', en: 'Confirm the revocation.' } });
      if (issues.length) throw validationError(issues);
      // The confirmation was given for the PIN shown: not for another one issued meanwhile.
      if (found.id !== values.credentialId) {
        throw new DomainError(ErrorType.Conflict, { it: 'Il PIN di questo codice fiscale è cambiato nel frattempo: verifica di nuovo.', en: 'The PIN of this codice fiscale changed meanwhile: check again.' });
      }
      const note = (values.note ?? '').trim();
      const body =
        values.method === 'telephone_pin'
          ? { verification: { method: 'telephone_pin', telephonePin: values.telephonePin ?? '' }, ...(note ? { note } : {}) }
          : { verification: { method: 'identity_questions', note } };
      const credentialId = found.id;
      const { revokedAt } = await act(deps.pool, staff, 'contact_centre.revoke', credentialId, () => revocations.revokeByOperator(staff, credentialId, body));
      revokeForm(req, res, 200, { values: {}, issues: [] }, undefined, alertBox('success', t(ctx, `PIN revocato il ${fmtDateTime(ctx, revokedAt)}.`, `PIN revoked on ${fmtDateTime(ctx, revokedAt)}.`), 'notice'));
    } catch (err) {
      const shown = shownError(err);
      if (!shown) throw err;
      const fields = shown.fields.map((f) => (f.field.startsWith('verification.') ? { ...f, field: f.field.slice('verification.'.length) } : f));
      if (shown.type === ErrorType.Validation) return revokeForm(req, res, 400, { values: kept, issues: fields }, found);
      revokeForm(req, res, shown.status, { values: kept, issues: [] }, found, alertBox('danger', tb(ctx, shown.userMessage), 'action-error'));
    }
  });

  // -- remote identification: the 8-character dispositivo PIN for an identified caller ----------

  const REMOTE_FIELDS = ['codiceFiscale', 'method', ...DOCUMENT_FIELDS];
  const remoteTitle = { it: 'Identificazione da remoto', en: 'Remote identification' };
  const remoteForm = (req: Request, res: Response, status: number, state: FormState, outcome?: SafeHtml) =>
    page(
      req,
      res,
      status,
      '/contact-centre/remote-identification',
      remoteTitle,
      (ctx) => html`${outcome ?? ''}${errorSummary(ctx, state.issues, (f) => ({ ...documentLabels(ctx), codiceFiscale: t(ctx, 'Codice fiscale', 'Codice fiscale'), method: t(ctx, 'Modalità', 'Method') })[f])}
<p>${t(
        ctx,
        'Per un chiamante identificato in videochiamata o con il PIN telefonico e un documento valido (anche estero): il PIN diventa dispositivo di 8 caratteri, inviato in due parti su due recapiti diversi, subito utilizzabile.',
        'For a caller identified by video call or telephone PIN and a valid document (foreign ones too): the PIN becomes an 8-character dispositivo PIN, sent in two parts on two different contacts, usable at once.',
      )}</p>
<form method="post" action="${ctx.base}/contact-centre/remote-identification" class="col-lg-10" novalidate autocomplete="off">
  ${csrfInput(ctx)}
  <div class="row"><div class="col-md-6">${textField(ctx, state, { name: 'codiceFiscale', label: t(ctx, 'Codice fiscale', 'Codice fiscale'), required: true, maxlength: 16, autocapitalize: 'characters' })}</div></div>
  ${radioGroup(ctx, state, {
    name: 'method',
    legend: t(ctx, 'Come è stato identificato il chiamante', 'How the caller was identified'),
    required: true,
    options: [
      { value: 'video_call', label: t(ctx, 'Videochiamata con il documento', 'Video call with the document') },
      { value: 'telephone_pin', label: t(ctx, 'PIN telefonico', 'Telephone PIN') },
    ],
  })}
  ${documentFieldset(ctx, state, { withOffice: false })}
  <button type="submit" class="btn btn-primary">${t(ctx, 'Registra l’identificazione', 'Record the identification')}</button>
</form>`,
      state.issues.length > 0,
    );

  r.get('/contact-centre/remote-identification', guard(roles), (req, res) => remoteForm(req, res, 200, { values: {}, issues: [] }));

  r.post('/contact-centre/remote-identification', guard(roles), async (req, res) => {
    const values = formValues(req.body, REMOTE_FIELDS);
    const staff = staffOf(res);
    const ctx = consoleContext(req, res, '/contact-centre/remote-identification');
    try {
      const done = await act(deps.pool, staff, 'contact_centre.remote_identification', values.codiceFiscale?.toUpperCase(), () =>
        identifyRemotely(deps, staff, { codiceFiscale: values.codiceFiscale, method: values.method || undefined, identityDocument: documentInput(values) }),
      );
      remoteForm(req, res, 202, { values: {}, issues: [] }, alertBox('success', tb(ctx, done.message), 'notice'));
    } catch (err) {
      const shown = shownError(err);
      if (!shown) throw err;
      if (shown.type === ErrorType.Validation) return remoteForm(req, res, 400, { values, issues: shown.fields });
      remoteForm(req, res, shown.status, { values, issues: [] }, alertBox('danger', tb(ctx, shown.userMessage), 'action-error'));
    }
  });
}
