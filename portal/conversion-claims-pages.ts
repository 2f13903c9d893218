/**
 * Pages of a logged-in citizen for the conversion to a dispositivo PIN and for benefit claims:
 * what the two PIN types allow, the state of the conversion request, the upload form (the
 * signed request form and an identity document), the claim types with how each is processed,
 * filing a claim, and the citizen's claims. Same frame, components and escaping as the other
 * portal pages; no script.
 */
import type { Bilingual, DomainError, FieldIssue } from '../domain/errors';
import { ErrorType } from '../domain/errors';
import { serviceById, type SessionScope } from '../domain/services';
import { html, type SafeHtml } from '../web/html';
import { fill, formatDateTime, T, tr, type Lang } from './i18n';
import { checkbox, confirmStep, csrfField, errorSummary, fieldId, icon, page, radioGroup, requiredIssue, type PageContext } from './views';
import { CLAIM_DECLARATION, type StoredClaimStatus } from '../domain/claims';

/** Where each page lives inside the portal. */
export const CITIZEN_PATHS = {
  conversion: '/conversion',
  conversionForm: '/conversion/form',
  claims: '/claims',
  home: '/home',
  login: '/login',
} as const;

export const claimPath = (claimId: string): string => `${CITIZEN_PATHS.claims}/${claimId}`;
export const claimReceiptPath = (claimId: string): string => `${claimPath(claimId)}/receipt`;

const link = (ctx: PageContext, path: string): string => `${ctx.base}${path}`;

const KICKER: Bilingual = { it: 'La tua area personale', en: 'Your personal area' };

/** A message above a form or alone on a page. */
export interface Notice {
  tone: 'danger' | 'warning' | 'info' | 'success';
  title: Bilingual;
  text: Bilingual;
  more?: Bilingual[];
}

export function noticeBox(ctx: PageContext, n: Notice, id = 'notice'): SafeHtml {
  const urgent = n.tone === 'danger' || n.tone === 'warning';
  return html`<div class="alert alert-${n.tone} mb-4" role="${urgent ? 'alert' : 'status'}" id="${id}">
  <h2 class="h4">${tr(ctx.lang, n.title)}</h2>
  <p class="mb-0">${tr(ctx.lang, n.text)}</p>
  ${(n.more ?? []).map((m) => html`<p class="mb-0 mt-2">${tr(ctx.lang, m)}</p>`)}
</div>`;
}

export function frame(ctx: PageContext, title: Bilingual, content: SafeHtml, hasErrors = false): string {
  const body = html`<div class="row"><div class="col-lg-8">
<p class="portal-kicker mb-1">${tr(ctx.lang, KICKER)}</p>
<h1 class="mb-4">${tr(ctx.lang, title)}</h1>
${content}
<p class="mt-5"><a href="${link(ctx, CITIZEN_PATHS.home)}">${icon(ctx, 'it-arrow-left', 'icon icon-sm icon-primary me-1')}${tr(ctx.lang, {
    it: 'Torna all’area personale',
    en: 'Back to your personal area',
  })}</a></p>
</div></div>`;
  return page(ctx, { title: tr(ctx.lang, title), body, hasErrors });
}

// ---------------------------------------------------------------------------------------------
// Conversion

/** The upload form's file fields, in page order. */
export const UPLOAD_FIELDS = ['signedRequest', 'identityDocument'] as const;
export type UploadField = (typeof UPLOAD_FIELDS)[number];

const UPLOAD_LABELS: Readonly<Record<UploadField, Bilingual>> = {
  signedRequest: { it: 'Modulo di richiesta firmato', en: 'Signed request form' },
  identityDocument: { it: 'Documento di identità', en: 'Identity document' },
};

const uploadLabel = (lang: Lang, field: string): string | undefined =>
  (UPLOAD_FIELDS as readonly string[]).includes(field) ? tr(lang, UPLOAD_LABELS[field as UploadField]) : undefined;

/** "Choose the file" for a file field left empty. */
export function missingFileIssue(field: UploadField): FieldIssue {
  return requiredIssue(
    field,
    field === 'signedRequest'
      ? { it: 'Scegli il file del modulo di richiesta firmato', en: 'Choose the file of the signed request form' }
      : { it: 'Scegli il file del documento di identità', en: 'Choose the file of the identity document' },
  );
}

/**
 * An upload refusal from the API's checks (api/uploads.ts, services/conversion/documents.ts) as the issue of one
 * file field: the general message (what is allowed) followed by the specific one (what is wrong
 * with this file). A bare validation refusal has only the specific one worth showing; a refused
 * Content-Type's specific message names the header, which means nothing on a page.
 */
export function uploadIssue(field: UploadField, err: DomainError): FieldIssue {
  const detail = err.fields[0];
  const code = detail?.code ?? err.type.toLowerCase();
  if (!detail) return { field, code, message: err.userMessage };
  if (err.type === ErrorType.Validation) return { field, code, message: detail.message };
  if (err.type === ErrorType.PayloadTooLarge || detail.field === 'contentType') return { field, code, message: err.userMessage };
  return {
    field,
    code,
    message: { it: `${err.userMessage.it} ${detail.message.it}`, en: `${err.userMessage.en} ${detail.message.en}` },
  };
}

/** Where a conversion case stands for the citizen: clerks' intermediate states are all "in review". */
export type CaseStage = 'in_review' | 'approved' | 'rejected';

export function caseStage(status: string): CaseStage {
  if (status === 'approved') return 'approved';
  if (status === 'rejected') return 'rejected';
  return 'in_review';
}

const STAGE: Readonly<Record<CaseStage, { label: Bilingual; badge: string }>> = {
  in_review: { label: { it: 'In verifica', en: 'In review' }, badge: 'bg-primary' },
  approved: { label: { it: 'Accolta', en: 'Approved' }, badge: 'bg-success' },
  rejected: { label: { it: 'Non accolta', en: 'Rejected' }, badge: 'bg-danger' },
};

export interface ConversionCase {
  status: string;
  createdAt: string;
  decidedAt?: string;
  reason?: string;
  /** A rejection's reason in both languages (services/conversion/conversion-cases.ts). */
  reasonText?: Bilingual;
}

export interface ConversionPageInput {
  scope: SessionScope;
  current?: ConversionCase;
  /** The upload form is shown (an ordinary PIN with no request in review). */
  showForm: boolean;
  /** Why there is no form (already dispositivo, first-half session, request in review). */
  blocked?: Notice;
  /** The outcome of the last post (sent, or refused as a whole). */
  notice?: Notice;
  issues: FieldIssue[];
  csrf: string;
}

function caseSection(ctx: PageContext, current: ConversionCase | undefined): SafeHtml {
  const { lang } = ctx;
  if (!current) {
    return html`<p id="conversion-status" data-status="none">${tr(lang, {
      it: 'Non hai ancora inviato una richiesta di conversione online.',
      en: 'You have not sent a conversion request online yet.',
    })}</p>`;
  }
  const stage = caseStage(current.status);
  const explain: Readonly<Record<CaseStage, Bilingual>> = {
    in_review: {
      it: 'Un operatore sta verificando i documenti. Riceverai l’esito per e-mail; non devi fare altro.',
      en: 'A clerk is checking the documents. You will get the outcome by e-mail; there is nothing else to do.',
    },
    approved: {
      it: 'Il tuo PIN è diventato dispositivo: è lo stesso PIN di prima, ora valido anche per chiedere prestazioni e pagamenti.',
      en: 'Your PIN has become a dispositivo PIN: it is the same PIN as before, now valid for claiming benefits and payments too.',
    },
    rejected: {
      it: 'La richiesta non è stata accolta. Puoi correggere quanto indicato e inviare di nuovo i documenti.',
      en: 'The request was not approved. You can fix what is indicated and send the documents again.',
    },
  };
  return html`<dl class="row mb-2" id="conversion-status" data-status="${stage}">
  <dt class="col-sm-4">${tr(lang, { it: 'Stato', en: 'Status' })}</dt>
  <dd class="col-sm-8"><span class="badge ${STAGE[stage].badge}">${tr(lang, STAGE[stage].label)}</span></dd>
  <dt class="col-sm-4">${tr(lang, { it: 'Inviata il', en: 'Sent on' })}</dt>
  <dd class="col-sm-8">${formatDateTime(lang, current.createdAt)}</dd>
  ${current.decidedAt ? html`<dt class="col-sm-4">${tr(lang, { it: 'Decisa il', en: 'Decided on' })}</dt>
  <dd class="col-sm-8">${formatDateTime(lang, current.decidedAt)}</dd>` : ''}
  ${stage === 'rejected' && (current.reasonText ?? current.reason) ? html`<dt class="col-sm-4">${tr(lang, { it: 'Motivo', en: 'Reason' })}</dt>
  <dd class="col-sm-8" id="rejection-reason">${current.reasonText ? tr(lang, current.reasonText) : current.reason}</dd>` : ''}
</dl>
<p>${tr(lang, explain[stage])}</p>`;
}

function fileField(ctx: PageContext, issues: readonly FieldIssue[], name: UploadField, hint: Bilingual): SafeHtml {
  const id = fieldId(name);
  const own = issues.filter((i) => i.field === name);
  const describedBy = [`${id}-hint`, own.length ? `${id}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="form-group mb-4">
  <label for="${id}" class="active d-block mb-2">${tr(ctx.lang, UPLOAD_LABELS[name])} <span class="portal-required" aria-hidden="true">*</span></label>
  <input type="file" class="form-control${own.length ? ' is-invalid' : ''}" id="${id}" name="${name}" accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png" required aria-required="true"${
    own.length ? html` aria-invalid="true"` : ''
  } aria-describedby="${describedBy}">
  ${own.length ? html`<div class="invalid-feedback d-block" id="${id}-error">${own.map((i, n) => html`${n > 0 ? html`<br>` : ''}${tr(ctx.lang, i.message)}`)}</div>` : ''}
  <small class="form-text d-block" id="${id}-hint">${tr(ctx.lang, hint)}</small>
</div>`;
}

export function conversionPage(ctx: PageContext, v: ConversionPageInput): string {
  const { lang } = ctx;
  const title: Bilingual = { it: 'Converti il PIN in PIN dispositivo', en: 'Convert your PIN to a dispositivo PIN' };
  const allowed = html`<p class="mb-1">${tr(lang, { it: 'Sono ammessi file PDF, JPEG o PNG, al massimo 10 MB ciascuno.', en: 'PDF, JPEG or PNG files are accepted, at most 10 MB each.' })}</p>`;
  const form = v.showForm
    ? html`<section class="mb-5" aria-labelledby="upload-title">
  <h2 class="h4 border-bottom pb-2 mb-3" id="upload-title">${tr(lang, { it: 'Invia la richiesta online', en: 'Send the request online' })}</h2>
  <ol class="mb-4">
    <li><a href="${link(ctx, CITIZEN_PATHS.conversionForm)}" id="download-form" download>${tr(lang, {
      it: 'Scarica il modulo di richiesta',
      en: 'Download the request form',
    })}</a> ${tr(lang, { it: '(PDF, già compilato con i tuoi dati).', en: '(PDF, already filled in with your data).' })}</li>
    <li>${tr(lang, { it: 'Stampalo, controlla i dati e firmalo.', en: 'Print it, check the data and sign it.' })}</li>
    <li>${tr(lang, {
      it: 'Scansiona o fotografa il modulo firmato e un documento di identità valido (fronte e retro).',
      en: 'Scan or photograph the signed form and a valid identity document (front and back).',
    })}</li>
    <li>${tr(lang, { it: 'Carica i due file qui sotto e invia.', en: 'Upload the two files below and send them.' })}</li>
  </ol>
  ${allowed}
  <form method="post" action="${link(ctx, CITIZEN_PATHS.conversion)}" enctype="multipart/form-data" class="portal-form mt-4" novalidate id="upload-form">
  ${csrfField(v.csrf)}
  ${fileField(ctx, v.issues, 'signedRequest', { it: 'Il modulo scaricato da questa pagina, firmato.', en: 'The form downloaded from this page, signed.' })}
  ${fileField(ctx, v.issues, 'identityDocument', { it: 'Carta d’identità, passaporto o patente, in corso di validità.', en: 'Identity card, passport or driving licence, still valid.' })}
  <p class="small text-muted">* ${tr(lang, T.requiredField)}</p>
  <button type="submit" class="btn btn-primary mt-2">${tr(lang, { it: 'Invia la richiesta', en: 'Send the request' })}</button>
  </form>
</section>`
    : html``;
  const content = html`${errorSummary(ctx, v.issues, (f) => uploadLabel(lang, f))}
${v.notice ? noticeBox(ctx, v.notice) : ''}
<section class="mb-5" aria-labelledby="types-title">
  <h2 class="h4 border-bottom pb-2 mb-3" id="types-title">${tr(lang, { it: 'PIN ordinario e PIN dispositivo', en: 'Ordinary and dispositivo PIN' })}</h2>
  <dl class="mb-3">
    <dt>${tr(lang, { it: 'PIN ordinario', en: 'Ordinary PIN' })}</dt>
    <dd>${tr(lang, {
      it: 'Permette di consultare i propri dati: la posizione contributiva, la pensione, i pagamenti.',
      en: 'Lets you consult your own data: contributions, pension, payments.',
    })}</dd>
    <dt>${tr(lang, { it: 'PIN dispositivo', en: 'Dispositivo PIN' })}</dt>
    <dd>${tr(lang, {
      it: 'Permette anche di chiedere prestazioni e pagamenti, come la pensione, la NASpI, i congedi e gli assegni.',
      en: 'Also lets you claim benefits and payments, such as a pension, NASpI, leave and allowances.',
    })}</dd>
  </dl>
  <p>${tr(lang, {
    it: 'Con il PIN ordinario puoi già presentare una domanda di prestazione, così il termine smette di decorrere: la domanda sarà lavorata quando il PIN sarà diventato dispositivo.',
    en: 'With an ordinary PIN you can already submit a benefit claim, so that its deadline stops running: the claim is processed once the PIN has become dispositivo.',
  })}</p>
  <p>${tr(lang, {
    it: 'La conversione non cambia il PIN: dopo la verifica dei documenti lo stesso PIN diventa dispositivo. Oltre che online, puoi inviare il modulo firmato e il documento via fax o consegnarli a una sede INPS.',
    en: 'The conversion does not change your PIN: once the documents are checked, the same PIN becomes dispositivo. Besides online, you can send the signed form and the document by fax or bring them to an INPS office.',
  })}</p>
</section>
<section class="mb-5" aria-labelledby="request-title">
  <h2 class="h4 border-bottom pb-2 mb-3" id="request-title">${tr(lang, { it: 'La tua richiesta', en: 'Your request' })}</h2>
  ${caseSection(ctx, v.current)}
  ${v.blocked ? noticeBox(ctx, v.blocked, 'blocked') : ''}
</section>
${form}`;
  return frame(ctx, title, content, v.issues.length > 0 || v.notice?.tone === 'danger');
}

// ---------------------------------------------------------------------------------------------
// Claims

export interface ClaimTypeOption {
  type: string;
  name: Bilingual;
  processing: 'immediate' | 'after_dispositivo';
}

export interface ClaimSummary {
  claimId: string;
  protocol: string;
  type: string;
  status: StoredClaimStatus;
  receivedAt: string;
  releasedAt?: string;
  endedAt?: string;
  reason?: string;
}

const PROCESSING: Readonly<Record<ClaimTypeOption['processing'], Bilingual>> = {
  immediate: { it: 'Lavorata subito', en: 'Processed at once' },
  after_dispositivo: { it: 'Lavorata quando il PIN sarà dispositivo', en: 'Processed once your PIN is dispositivo' },
};

const CLAIM_STATUS: Readonly<Record<ClaimSummary['status'], { label: Bilingual; badge: string }>> = {
  waiting_for_dispositivo: { label: { it: 'In attesa del PIN dispositivo', en: 'Waiting for the dispositivo PIN' }, badge: 'bg-warning' },
  released: { label: { it: 'Avviata alla lavorazione', en: 'Sent to processing' }, badge: 'bg-primary' },
  in_processing: { label: { it: 'In lavorazione', en: 'Being processed' }, badge: 'bg-success' },
  accepted: { label: { it: 'Accolta', en: 'Accepted' }, badge: 'bg-success' },
  rejected: { label: { it: 'Respinta', en: 'Rejected' }, badge: 'bg-danger' },
  withdrawn: { label: { it: 'Ritirata', en: 'Withdrawn' }, badge: 'bg-secondary' },
  cancelled: { label: { it: 'Annullata (PIN revocato)', en: 'Cancelled (PIN revoked)' }, badge: 'bg-secondary' },
};

/** What the claim page says happens next, by status. */
const CLAIM_NEXT: Readonly<Record<StoredClaimStatus, Bilingual>> = {
  waiting_for_dispositivo: {
    it: 'La domanda è stata ricevuta e il termine è rispettato dalla data di ricezione. Sarà lavorata quando il tuo PIN sarà dispositivo.',
    en: 'The claim has been received and any deadline is met as of the received time. It will be processed once your PIN is dispositivo.',
  },
  released: { it: 'La domanda è stata ricevuta e avviata alla lavorazione.', en: 'The claim has been received and sent to processing.' },
  in_processing: { it: 'La domanda è in lavorazione: riceverai l’esito per e-mail.', en: 'The claim is being processed: you will get the outcome by e-mail.' },
  accepted: { it: 'La domanda è stata accolta.', en: 'The claim has been accepted.' },
  rejected: { it: 'La domanda non è stata accolta: il motivo è indicato sopra.', en: 'The claim has not been accepted: the reason is given above.' },
  withdrawn: { it: 'Hai ritirato la domanda: non sarà lavorata.', en: 'You withdrew the claim: it will not be processed.' },
  cancelled: {
    it: 'La domanda è stata annullata perché il PIN per cui era in attesa è stato revocato. Puoi presentarla di nuovo.',
    en: 'The claim was cancelled because the PIN it was waiting for was revoked. You may file it again.',
  },
};

/** Before a decision the claimant may withdraw the claim. */
const WITHDRAWABLE: readonly StoredClaimStatus[] = ['waiting_for_dispositivo', 'released', 'in_processing'];

/** A claim type's name in the page language (its id when the catalogue no longer has it). */
function claimTypeName(lang: Lang, type: string): string {
  const service = serviceById(type);
  return service ? tr(lang, service.name) : type;
}

export interface ClaimsPageInput {
  scope: SessionScope;
  types: readonly ClaimTypeOption[];
  claims: readonly ClaimSummary[];
  /** The type chosen before a refusal, shown again. */
  chosen?: string;
  issues: FieldIssue[];
  notice?: Notice;
  csrf: string;
  /** Born with the page: pressing "Presenta" twice files one claim. */
  idempotencyKey: string;
}

/** The form that chooses a claim type to file (then the check page); its key is born with the page. */
export function claimTypeForm(
  ctx: PageContext,
  v: { action: string; types: readonly ClaimTypeOption[]; chosen?: string; issues: FieldIssue[]; csrf: string; idempotencyKey: string; legend?: Bilingual },
): SafeHtml {
  const { lang } = ctx;
  return html`<form method="post" action="${link(ctx, v.action)}" class="portal-form" novalidate id="claim-form">
${csrfField(v.csrf)}
<input type="hidden" name="idempotencyKey" value="${v.idempotencyKey}">
${radioGroup(ctx, { values: { type: v.chosen }, issues: v.issues }, {
  name: 'type',
  legend: tr(lang, v.legend ?? { it: 'Quale domanda vuoi presentare?', en: 'Which claim do you want to submit?' }),
  required: true,
  options: v.types.map((t) => ({ value: t.type, label: `${tr(lang, t.name)} – ${tr(lang, PROCESSING[t.processing])}` })),
})}
<button type="submit" class="btn btn-primary">${tr(lang, { it: 'Presenta la domanda', en: 'Submit the claim' })}</button>
</form>`;
}

/** Claims as a table: protocol (a link to the claim's page when `linked`), type, received, status. */
export function claimsTable(ctx: PageContext, claims: readonly ClaimSummary[], opts: { caption: Bilingual; linked: boolean }): SafeHtml {
  const { lang } = ctx;
  const rows = claims.map(
    (c) => html`<tr data-claim="${c.claimId}" data-status="${c.status}">
  <td>${opts.linked ? html`<a href="${link(ctx, claimPath(c.claimId))}" class="portal-code">${c.protocol}</a>` : html`<span class="portal-code">${c.protocol}</span>`}</td>
  <td>${claimTypeName(lang, c.type)}</td>
  <td>${formatDateTime(lang, c.receivedAt)}</td>
  <td><span class="badge ${CLAIM_STATUS[c.status].badge}">${tr(lang, CLAIM_STATUS[c.status].label)}</span></td>
</tr>`,
  );
  return html`<div class="table-responsive" tabindex="0" role="region" aria-label="${tr(lang, opts.caption)}"><table class="table" id="claims-list">
  <caption class="visually-hidden">${tr(lang, opts.caption)}</caption>
  <thead><tr>
    <th scope="col">${tr(lang, { it: 'Protocollo', en: 'Protocol number' })}</th>
    <th scope="col">${tr(lang, { it: 'Domanda', en: 'Claim' })}</th>
    <th scope="col">${tr(lang, { it: 'Ricevuta il', en: 'Received on' })}</th>
    <th scope="col">${tr(lang, { it: 'Stato', en: 'Status' })}</th>
  </tr></thead>
  <tbody>${rows}</tbody>
</table></div>`;
}

export function claimsPage(ctx: PageContext, v: ClaimsPageInput): string {
  const { lang } = ctx;
  const title: Bilingual = { it: 'Domande di prestazione', en: 'Benefit claims' };
  // The note on filing with an ordinary PIN only where there is a claim to file.
  const intro =
    v.scope === 'ordinary' && v.types.length > 0
      ? html`<div class="callout note mt-0 mb-4" id="ordinary-note"><div class="callout-inner">
  <div class="callout-title">${icon(ctx, 'it-info-circle')}<span class="text">${tr(lang, { it: 'Hai un PIN ordinario', en: 'You have an ordinary PIN' })}</span></div>
  <p class="mb-0">${tr(lang, {
    it: 'Puoi presentare la domanda già ora: ricevi subito il numero di protocollo e la data di ricezione, che ferma il termine. La domanda sarà lavorata quando il tuo PIN sarà dispositivo.',
    en: 'You can submit the claim now: you get its protocol number and received time at once, which stops the deadline. The claim is processed once your PIN is dispositivo.',
  })}</p>
  <p class="mt-2 mb-0"><a href="${link(ctx, CITIZEN_PATHS.conversion)}">${tr(lang, { it: 'Converti il PIN in PIN dispositivo', en: 'Convert your PIN to a dispositivo PIN' })}</a></p>
</div></div>`
      : html``;
  const form =
    v.types.length > 0
      ? claimTypeForm(ctx, { action: CITIZEN_PATHS.claims, types: v.types, chosen: v.chosen, issues: v.issues, csrf: v.csrf, idempotencyKey: v.idempotencyKey })
      : html`<p id="no-claim-types">${tr(lang, {
          it: 'Con questo accesso e per il tuo profilo non ci sono domande da presentare online.',
          en: 'With this access and for your profile there are no claims to submit online.',
        })}</p>`;
  const list =
    v.claims.length > 0
      ? claimsTable(ctx, v.claims, { caption: { it: 'Le tue domande', en: 'Your claims' }, linked: true })
      : html`<p id="no-claims">${tr(lang, { it: 'Non hai ancora presentato domande.', en: 'You have not submitted any claim yet.' })}</p>`;
  const content = html`${errorSummary(ctx, v.issues, (f) => (f === 'type' ? tr(lang, { it: 'Domanda', en: 'Claim' }) : undefined))}
${v.notice ? noticeBox(ctx, v.notice) : ''}
<section class="mb-5" aria-labelledby="new-claim-title">
  <h2 class="h4 border-bottom pb-2 mb-3" id="new-claim-title">${tr(lang, { it: 'Presenta una domanda', en: 'Submit a claim' })}</h2>
  ${intro}
  ${form}
</section>
<section class="mb-5" aria-labelledby="claims-title">
  <h2 class="h4 border-bottom pb-2 mb-3" id="claims-title">${tr(lang, { it: 'Le tue domande', en: 'Your claims' })}</h2>
  ${list}
</section>`;
  return frame(ctx, title, content, v.issues.length > 0 || v.notice?.tone === 'danger');
}

/** "Vuoi ritirare la domanda?": what withdrawing does, before it is done. */
export function withdrawConfirmPage(ctx: PageContext, c: ClaimSummary, csrf: string): string {
  const { lang } = ctx;
  const content = confirmStep(ctx, {
    lead: { it: 'Stai per ritirare questa domanda:', en: 'You are about to withdraw this claim:' },
    rows: [
      { label: { it: 'Numero di protocollo', en: 'Protocol number' }, value: c.protocol },
      { label: { it: 'Domanda', en: 'Claim' }, value: claimTypeName(lang, c.type) },
      { label: { it: 'Ricevuta il', en: 'Received on' }, value: formatDateTime(lang, c.receivedAt) },
    ],
    consequences: [
      { it: 'La domanda non sarà lavorata e il ritiro non si può annullare.', en: 'The claim will not be processed, and the withdrawal cannot be undone.' },
      {
        it: 'Se la presenti di nuovo, conta la nuova data di ricezione: i termini già fermati da questa domanda non valgono più.',
        en: 'If you file it again, the new received date counts: the deadlines this claim had stopped no longer apply.',
      },
    ],
    action: `${claimPath(c.claimId)}/withdraw`,
    csrf,
    confirm: { it: 'Sì, ritira la domanda', en: 'Yes, withdraw the claim' },
    back: { path: claimPath(c.claimId), label: { it: 'No, tienila', en: 'No, keep it' } },
  });
  return frame(ctx, { it: 'Vuoi ritirare la domanda?', en: 'Do you want to withdraw the claim?' }, content);
}

export function claimPage(ctx: PageContext, c: ClaimSummary, opts: { justFiled: boolean; withdrawn?: boolean; csrf: string; notice?: Notice }): string {
  const { lang } = ctx;
  const title: Bilingual = { it: 'La tua domanda', en: 'Your claim' };
  const notice = opts.notice
    ? noticeBox(ctx, opts.notice)
    : opts.justFiled
      ? noticeBox(ctx, {
          tone: 'success',
          title: { it: 'Domanda ricevuta', en: 'Claim received' },
          text: {
            it: 'Conserva il numero di protocollo: ti abbiamo inviato una conferma per e-mail e qui sotto puoi scaricare la ricevuta da stampare.',
            en: 'Keep the protocol number: we have sent you a confirmation by e-mail, and you can download the receipt to print below.',
          },
        })
      : opts.withdrawn
        ? noticeBox(ctx, { tone: 'success', title: { it: 'Domanda ritirata', en: 'Claim withdrawn' }, text: { it: 'Non sarà lavorata.', en: 'It will not be processed.' } })
        : '';
  const content = html`${notice}
<dl class="row" id="claim" data-status="${c.status}">
  <dt class="col-sm-4">${tr(lang, { it: 'Numero di protocollo', en: 'Protocol number' })}</dt>
  <dd class="col-sm-8"><span class="portal-code" id="protocol">${c.protocol}</span></dd>
  <dt class="col-sm-4">${tr(lang, { it: 'Domanda', en: 'Claim' })}</dt>
  <dd class="col-sm-8">${claimTypeName(lang, c.type)}</dd>
  <dt class="col-sm-4">${tr(lang, { it: 'Ricevuta il', en: 'Received on' })}</dt>
  <dd class="col-sm-8" id="received-at"><time datetime="${c.receivedAt}">${formatDateTime(lang, c.receivedAt)}</time></dd>
  <dt class="col-sm-4">${tr(lang, { it: 'Stato', en: 'Status' })}</dt>
  <dd class="col-sm-8"><span class="badge ${CLAIM_STATUS[c.status].badge}" id="claim-status">${tr(lang, CLAIM_STATUS[c.status].label)}</span></dd>
  ${c.releasedAt ? html`<dt class="col-sm-4">${tr(lang, { it: 'Avviata il', en: 'Released on' })}</dt>
  <dd class="col-sm-8">${formatDateTime(lang, c.releasedAt)}</dd>` : ''}
  ${c.endedAt ? html`<dt class="col-sm-4">${tr(lang, { it: 'Conclusa il', en: 'Concluded on' })}</dt>
  <dd class="col-sm-8">${formatDateTime(lang, c.endedAt)}</dd>` : ''}
  ${c.reason && c.status === 'rejected' ? html`<dt class="col-sm-4">${tr(lang, { it: 'Motivo', en: 'Reason' })}</dt>
  <dd class="col-sm-8" id="claim-reason">${c.reason}</dd>` : ''}
</dl>
<p>${tr(lang, CLAIM_NEXT[c.status])}</p>
<p><a href="${link(ctx, claimReceiptPath(c.claimId))}" id="receipt-link" download>${icon(ctx, 'it-download', 'icon icon-sm icon-primary me-1')}${tr(lang, {
    it: 'Scarica la ricevuta (PDF)',
    en: 'Download the receipt (PDF)',
  })}</a></p>
${WITHDRAWABLE.includes(c.status)
  ? html`<div id="withdraw-form" class="mt-3">
  <p>${tr(lang, { it: 'Puoi ritirare la domanda finché non è decisa. Il ritiro è definitivo.', en: 'You may withdraw the claim until it is decided. Withdrawal is final.' })}</p>
  <a class="btn btn-outline-danger" href="${link(ctx, `${claimPath(c.claimId)}/withdraw`)}" id="withdraw-link">${tr(lang, { it: 'Ritira la domanda', en: 'Withdraw the claim' })}</a>
</div>`
  : ''}
<p class="mt-4"><a class="btn btn-outline-primary" href="${link(ctx, CITIZEN_PATHS.claims)}">${tr(lang, { it: 'Tutte le tue domande', en: 'All your claims' })}</a></p>`;
  return frame(ctx, title, content);
}

/**
 * Check your answers before filing: the claim chosen, how it will be processed, and the
 * declaration the claimant makes by filing it.
 */
export interface ClaimCheck {
  type: ClaimTypeOption;
  idempotencyKey: string;
  csrf: string;
  missingDeclaration: boolean;
  /** Where the claim is posted and where "change" leads: the holder's own claims unless said. */
  action?: string;
  /** Rows shown before the claim (a delegate: on whose behalf). */
  before?: { label: Bilingual; value: string }[];
}

export function claimCheckPage(ctx: PageContext, v: ClaimCheck): string {
  const { lang } = ctx;
  const action = v.action ?? CITIZEN_PATHS.claims;
  const issues = v.missingDeclaration
    ? [requiredIssue('declaration', { it: 'Per presentare la domanda conferma la dichiarazione', en: 'To submit the claim, confirm the declaration' })]
    : [];
  const content = html`${errorSummary(ctx, issues, () => tr(lang, { it: 'Dichiarazione', en: 'Declaration' }))}
<p>${tr(lang, { it: 'Controlla la domanda prima di presentarla.', en: 'Check the claim before you submit it.' })}</p>
<dl class="row" id="check-answers">
  ${(v.before ?? []).map((r) => html`<dt class="col-sm-4">${tr(lang, r.label)}</dt>
  <dd class="col-sm-8">${r.value}</dd>`)}
  <dt class="col-sm-4">${tr(lang, { it: 'Domanda', en: 'Claim' })}</dt>
  <dd class="col-sm-8">${tr(lang, v.type.name)}</dd>
  <dt class="col-sm-4">${tr(lang, { it: 'Lavorazione', en: 'Processing' })}</dt>
  <dd class="col-sm-8">${tr(lang, PROCESSING[v.type.processing])}</dd>
</dl>
<p><a href="${link(ctx, action)}">${tr(lang, { it: 'Cambia la domanda', en: 'Change the claim' })}</a></p>
<form method="post" action="${link(ctx, action)}" id="confirm-form" novalidate>
  ${csrfField(v.csrf)}
  <input type="hidden" name="type" value="${v.type.type}">
  <input type="hidden" name="idempotencyKey" value="${v.idempotencyKey}">
  <input type="hidden" name="confirming" value="yes">
  ${checkbox(ctx, { values: {}, issues }, {
    name: 'declaration',
    label: tr(lang, CLAIM_DECLARATION),
  })}
  <button type="submit" class="btn btn-primary">${tr(lang, { it: 'Presenta la domanda', en: 'Submit the claim' })}</button>
</form>`;
  return frame(ctx, { it: 'Controlla e presenta la domanda', en: 'Check and submit the claim' }, content, issues.length > 0);
}

/** The notice after the documents went through: when they were received, and what happens next. */
export function sentNotice(createdAt: string): Notice {
  return {
    tone: 'success',
    title: { it: 'Richiesta inviata', en: 'Request sent' },
    text: {
      it: fill('Abbiamo ricevuto i documenti il {when}: un operatore li verificherà e riceverai l’esito per e-mail.', { when: formatDateTime('it', createdAt) }),
      en: fill('We received the documents on {when}: a clerk will check them and you will get the outcome by e-mail.', { when: formatDateTime('en', createdAt) }),
    },
    more: [{ it: 'Puoi seguire la richiesta in «Le mie richieste» della tua area personale.', en: 'You can follow the request in "My requests" in your personal area.' }],
  };
}
