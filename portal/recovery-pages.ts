/**
 * The portal's recovery (ripristino) and revocation pages: same frame, components and rules as the
 * other pages (errors next to the fields and in a summary, one escape helper, no script).
 *
 * The confirmation link opens `/recovery/confirm?token=…`, which only shows a button: the token
 * is used by the POST it makes, never by the GET, so a mail scanner or a prefetch that opens the
 * link does not spend it.
 */
import type { Bilingual, FieldIssue } from '../domain/errors';
import { html, type SafeHtml } from '../web/html';
import { T, tr } from './i18n';
import { csrfField, errorSummary, icon, page, textField, type FormState, type PageContext } from './views';

export const RECOVERY_PATHS = {
  recovery: '/recovery',
  confirm: '/recovery/confirm',
  revoke: '/revoke',
  firstAccess: '/first-access',
  request: '/request',
} as const;

const link = (ctx: PageContext, path: string): string => `${ctx.base}${path}`;

const LABELS: Readonly<Record<string, Bilingual>> = {
  codiceFiscale: { it: 'Codice fiscale', en: 'Codice fiscale (Italian tax code)' },
  mobile: { it: 'Cellulare', en: 'Mobile phone' },
  email: { it: 'E-mail', en: 'E-mail' },
  pec: { it: 'PEC (posta elettronica certificata)', en: 'PEC (certified e-mail)' },
  contacts: { it: 'Recapiti', en: 'Contacts' },
  healthCardNumber: { it: 'Numero della tessera sanitaria', en: 'Health-insurance card number' },
  healthCardExpiresOn: { it: 'Scadenza della tessera sanitaria', en: 'Expiry of the health-insurance card' },
  address: { it: 'E-mail o PEC registrata con il PIN', en: 'E-mail or PEC registered with the PIN' },
};
const label = (ctx: PageContext, field: string): string | undefined => (LABELS[field] ? tr(ctx.lang, LABELS[field]) : undefined);

/** A message above a form or alone on a page. */
export interface Notice {
  tone: 'danger' | 'warning' | 'info' | 'success';
  title: Bilingual;
  text: Bilingual;
  more?: Bilingual[];
}

export function noticeBox(ctx: PageContext, n: Notice): SafeHtml {
  const urgent = n.tone === 'danger' || n.tone === 'warning';
  return html`<div class="alert alert-${n.tone} mb-4" role="${urgent ? 'alert' : 'status'}" id="problem">
  <h2 class="h4">${tr(ctx.lang, n.title)}</h2>
  <p class="mb-0">${tr(ctx.lang, n.text)}</p>
  ${(n.more ?? []).map((m) => html`<p class="mb-0 mt-2">${tr(ctx.lang, m)}</p>`)}
</div>`;
}

const KICKER: Bilingual = { it: 'Il tuo PIN', en: 'Your PIN' };

function frame(ctx: PageContext, title: Bilingual, content: SafeHtml, opts: { hasErrors?: boolean; langSwitch?: boolean } = {}): string {
  const body = html`<div class="row"><div class="col-lg-8">
<p class="portal-kicker mb-1">${tr(ctx.lang, KICKER)}</p>
<h1 class="mb-4">${tr(ctx.lang, title)}</h1>
${content}
</div></div>`;
  return page(ctx, { title: tr(ctx.lang, title), body, hasErrors: opts.hasErrors, langSwitch: opts.langSwitch });
}

export interface RecoveryFormInput {
  values: Partial<Record<string, string>>;
  issues: FieldIssue[];
  csrf: string;
  notice?: Notice;
  /** The general rule (two contacts; one only: call the contact centre), always shown. */
  rule: Bilingual;
}

export function recoveryRequestPage(ctx: PageContext, input: RecoveryFormInput): string {
  const { lang } = ctx;
  const state: FormState = { values: input.values, issues: input.issues };
  const failed = input.issues.length > 0 || input.notice?.tone === 'danger' || input.notice?.tone === 'warning';
  const content = html`${errorSummary(ctx, input.issues, (f) => label(ctx, f))}
${input.notice ? noticeBox(ctx, input.notice) : ''}
<p>${tr(lang, {
    it: 'Se hai dimenticato il PIN o è bloccato, puoi chiederne uno nuovo: inserisci il codice fiscale e almeno due dei recapiti che hai indicato nella richiesta del PIN. Ti invieremo per e-mail o PEC un collegamento per confermare; il nuovo PIN arriverà in due parti, via SMS ed e-mail o PEC.',
    en: 'If you forgot your PIN or it is blocked, you can ask for a new one: enter your codice fiscale and at least two of the contacts you gave in the PIN request. We will send you by e-mail or PEC a link to confirm; the new PIN will arrive in two parts, by text message and by e-mail or PEC.',
  })}</p>
<div class="callout note mb-4"><div class="callout-inner">
  <div class="callout-title">${icon(ctx, 'it-info-circle')}<span class="text">${tr(lang, { it: 'Servono due recapiti', en: 'Two contacts are needed' })}</span></div>
  <p class="mb-0" id="recovery-rule">${tr(lang, input.rule)}</p>
</div></div>
<form method="post" action="${link(ctx, RECOVERY_PATHS.recovery)}" class="portal-form" novalidate>
${csrfField(input.csrf)}
${textField(ctx, state, { name: 'codiceFiscale', label: label(ctx, 'codiceFiscale')!, required: true, maxlength: 16, autocapitalize: 'characters', spellcheck: false, autocomplete: 'username' })}
${textField(ctx, state, { name: 'mobile', label: label(ctx, 'mobile')!, type: 'tel', required: '**', autocomplete: 'tel', hint: tr(lang, { it: 'Con il prefisso internazionale, ad es. +39 333 1234567.', en: 'With the country code, e.g. +39 333 1234567.' }) })}
${textField(ctx, state, { name: 'email', label: label(ctx, 'email')!, type: 'email', required: '**', autocomplete: 'email' })}
${textField(ctx, state, { name: 'pec', label: label(ctx, 'pec')!, type: 'email', required: '**' })}
<p class="small text-muted mt-2">* ${tr(lang, T.requiredField)} ** ${tr(lang, { it: 'Almeno due dei tre.', en: 'At least two of the three.' })}</p>
<div class="d-flex flex-wrap gap-3 mt-4"><button type="submit" class="btn btn-primary">${tr(lang, { it: 'Chiedi il ripristino', en: 'Ask for the recovery' })}</button></div>
</form>
<p class="mt-5"><a href="${link(ctx, RECOVERY_PATHS.revoke)}">${tr(lang, { it: 'Vuoi invece revocare il PIN?', en: 'Do you want to revoke the PIN instead?' })}</a></p>`;
  return frame(ctx, { it: 'Ripristino del PIN', en: 'Recover your PIN' }, content, { hasErrors: failed });
}

/** After a request: the same text whatever happened, and the rule again. */
export function recoveryReceivedPage(ctx: PageContext, answer: { message: Bilingual; rule: Bilingual }): string {
  const content = html`<div class="alert alert-success" role="status"><p class="mb-0" id="recovery-received">${tr(ctx.lang, answer.message)}</p></div>
<p>${tr(ctx.lang, answer.rule)}</p>
<p>${tr(ctx.lang, {
    it: 'Non hai ricevuto nulla? Controlla anche la cartella della posta indesiderata. Puoi fare al massimo 3 richieste in 24 ore.',
    en: 'Nothing arrived? Check your spam folder too. You can make at most 3 requests in 24 hours.',
  })}</p>`;
  return frame(ctx, { it: 'Richiesta di ripristino ricevuta', en: 'Recovery request received' }, content);
}

/** The page the e-mailed link opens: one button that spends the token by POST. */
export function recoveryConfirmPage(ctx: PageContext, input: { token?: string; csrf: string; notice?: Notice }): string {
  const { lang } = ctx;
  const form = input.token
    ? html`<p>${tr(lang, {
        it: 'Confermando, il PIN attuale smette subito di funzionare e le sessioni aperte vengono chiuse. Riceverai un nuovo PIN di 16 caratteri: la prima parte via SMS, la seconda per e-mail o PEC. Con le due parti farai il primo accesso.',
        en: 'If you confirm, your current PIN stops working at once and open sessions are closed. You will get a new 16-character PIN: the first part by text message, the second by e-mail or PEC. With the two parts you will make the first access.',
      })}</p>
<form method="post" action="${link(ctx, RECOVERY_PATHS.confirm)}" class="portal-form" novalidate>
${csrfField(input.csrf)}
<input type="hidden" name="token" value="${input.token}">
<div class="d-flex flex-wrap gap-3 mt-4"><button type="submit" class="btn btn-primary">${tr(lang, { it: 'Conferma il ripristino', en: 'Confirm the recovery' })}</button></div>
</form>`
    : html``;
  const content = html`${input.notice ? noticeBox(ctx, input.notice) : ''}${form}
<p class="mt-5"><a href="${link(ctx, RECOVERY_PATHS.recovery)}">${tr(lang, { it: 'Chiedi un nuovo ripristino', en: 'Ask for a new recovery' })}</a></p>`;
  // The token stays out of the language links: switching language would only need a new link.
  return frame(ctx, { it: 'Conferma il ripristino del PIN', en: 'Confirm the recovery of your PIN' }, content, {
    hasErrors: input.notice?.tone === 'danger' || input.notice?.tone === 'warning',
    langSwitch: false,
  });
}

export function recoveryDonePage(ctx: PageContext, answer: { message: Bilingual }): string {
  const content = html`<div class="alert alert-success" role="status"><p class="mb-0" id="recovery-done">${tr(ctx.lang, answer.message)}</p></div>
<p class="mt-4"><a class="btn btn-primary" href="${link(ctx, RECOVERY_PATHS.firstAccess)}">${tr(ctx.lang, { it: 'Vai al primo accesso', en: 'Go to the first access' })}</a></p>`;
  return frame(ctx, { it: 'Ripristino confermato', en: 'Recovery confirmed' }, content, { langSwitch: false });
}

export interface RevokeFormInput {
  values: Partial<Record<string, string>>;
  issues: FieldIssue[];
  csrf: string;
  notice?: Notice;
}

export function revokePage(ctx: PageContext, input: RevokeFormInput): string {
  const { lang } = ctx;
  const state: FormState = { values: input.values, issues: input.issues };
  const failed = input.issues.length > 0 || input.notice?.tone === 'danger' || input.notice?.tone === 'warning';
  const content = html`${errorSummary(ctx, input.issues, (f) => label(ctx, f))}
${input.notice ? noticeBox(ctx, input.notice) : ''}
<p>${tr(lang, {
    it: 'La revoca rende il PIN inutilizzabile per sempre, subito. Servono il codice fiscale, i dati della tessera sanitaria e l’indirizzo e-mail o PEC che hai registrato con il PIN. Dopo la revoca potrai richiedere un nuovo PIN.',
    en: 'Revocation makes the PIN unusable for good, at once. You need your codice fiscale, the data of your health-insurance card and the e-mail or PEC address you registered with the PIN. After the revocation you can request a new PIN.',
  })}</p>
<form method="post" action="${link(ctx, RECOVERY_PATHS.revoke)}" class="portal-form" novalidate>
${csrfField(input.csrf)}
${textField(ctx, state, { name: 'codiceFiscale', label: label(ctx, 'codiceFiscale')!, required: true, maxlength: 16, autocapitalize: 'characters', spellcheck: false })}
${textField(ctx, state, { name: 'healthCardNumber', label: label(ctx, 'healthCardNumber')!, required: true, maxlength: 30, inputmode: 'numeric', hint: tr(lang, { it: 'Le 20 cifre sul retro della tessera.', en: 'The 20 digits on the back of the card.' }) })}
${textField(ctx, state, { name: 'healthCardExpiresOn', label: label(ctx, 'healthCardExpiresOn')!, type: 'date', required: true })}
${textField(ctx, state, { name: 'address', label: label(ctx, 'address')!, type: 'email', required: true, autocomplete: 'email' })}
<p class="small text-muted mt-2">* ${tr(lang, T.requiredField)}</p>
<div class="d-flex flex-wrap gap-3 mt-4"><button type="submit" class="btn btn-danger">${tr(lang, { it: 'Revoca il PIN', en: 'Revoke the PIN' })}</button></div>
</form>`;
  return frame(ctx, { it: 'Revoca del PIN', en: 'Revoke your PIN' }, content, { hasErrors: failed });
}

export function revokedPage(ctx: PageContext, answer: { message: Bilingual }): string {
  const content = html`<div class="alert alert-success" role="status"><p class="mb-0" id="revoked">${tr(ctx.lang, answer.message)}</p></div>
<p class="mt-4"><a class="btn btn-outline-primary" href="${link(ctx, RECOVERY_PATHS.request)}">${tr(ctx.lang, { it: 'Richiedi un nuovo PIN', en: 'Request a new PIN' })}</a></p>`;
  return frame(ctx, { it: 'PIN revocato', en: 'PIN revoked' }, content);
}
