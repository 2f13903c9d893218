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
import { formatDate, T, tr } from './i18n';
import { confirmStep, csrfField, errorSummary, icon, page, textField, type FormState, type PageContext } from './views';

export const RECOVERY_PATHS = {
  recovery: '/recovery',
  confirm: '/recovery/confirm',
  revoke: '/revoke',
  revokeConfirm: '/revoke/confirm',
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

/** The contact centre, as the pages give it (from Italy and from abroad). */
export const CONTACT_CENTRE_NUMBERS: Bilingual = {
  it: '803 164 da rete fissa (gratuito), 06 164 164 da cellulare, +39 06 164 164 dall’estero',
  en: '803 164 from an Italian landline (free), 06 164 164 from an Italian mobile, +39 06 164 164 from abroad',
};

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

/**
 * After the link's button: confirmed, under way (the re-issue asked for, its answer not arrived),
 * or already done (the same link confirmed before) — never a failure for a recovery that happened.
 */
export function recoveryDonePage(ctx: PageContext, answer: { status: 'confirmed' | 'in_progress' | 'already_confirmed'; message: Bilingual }): string {
  const { lang } = ctx;
  const next: Bilingual[] = [
    {
      it: 'Le due parti del nuovo PIN arrivano ai recapiti registrati: la prima via SMS, la seconda per e-mail o PEC. Controlla anche la posta indesiderata.',
      en: 'The two parts of the new PIN reach your registered contacts: the first by text message, the second by e-mail or PEC. Check your spam folder too.',
    },
    {
      it: 'Con le due parti fai il primo accesso: ti verrà assegnato il PIN definitivo. Dopo, in «Le mie richieste» della tua area personale trovi il ripristino come completato.',
      en: 'With the two parts make the first access: you will be given your final PIN. Afterwards, "My requests" in your personal area shows the recovery as completed.',
    },
    {
      it: 'Se entro un’ora non arriva nulla, chiedi un nuovo ripristino.',
      en: 'If nothing arrives within an hour, ask for a new recovery.',
    },
  ];
  const title: Bilingual =
    answer.status === 'already_confirmed'
      ? { it: 'Ripristino già confermato', en: 'Recovery already confirmed' }
      : answer.status === 'in_progress'
        ? { it: 'Ripristino confermato, in corso', en: 'Recovery confirmed, under way' }
        : { it: 'Ripristino confermato', en: 'Recovery confirmed' };
  const content = html`<div class="alert alert-success" role="status"><p class="mb-0" id="recovery-done" data-status="${answer.status}">${tr(lang, answer.message)}</p></div>
<h2 class="h4 mt-4">${tr(lang, { it: 'Cosa succede ora', en: 'What happens next' })}</h2>
<ul id="next-steps">${next.map((n) => html`<li>${tr(lang, n)}</li>`)}</ul>
<p class="mt-4"><a class="btn btn-primary" href="${link(ctx, RECOVERY_PATHS.firstAccess)}">${tr(lang, { it: 'Vai al primo accesso', en: 'Go to the first access' })}</a></p>
<p class="mt-3"><a href="${link(ctx, RECOVERY_PATHS.recovery)}">${tr(lang, { it: 'Chiedi un nuovo ripristino', en: 'Ask for a new recovery' })}</a></p>`;
  return frame(ctx, title, content, { langSwitch: false });
}

export interface RevokeFormInput {
  values: Partial<Record<string, string>>;
  issues: FieldIssue[];
  csrf: string;
  notice?: Notice;
}

/** Field order of the revocation form (the error summary follows it). */
export const REVOKE_FIELDS = ['codiceFiscale', 'healthCardNumber', 'healthCardExpiresOn', 'address'] as const;

/**
 * Without a tessera sanitaria (most residents abroad have none) the online revocation is closed:
 * what to do instead, as the contact centre and the recovery pages have it.
 */
function withoutHealthCard(ctx: PageContext): SafeHtml {
  const { lang } = ctx;
  return html`<section class="callout note mt-5" id="no-health-card" aria-labelledby="no-health-card-title"><div class="callout-inner">
  <div class="callout-title">${icon(ctx, 'it-info-circle')}<span class="text" id="no-health-card-title">${tr(lang, {
    it: 'Non hai la tessera sanitaria? (per esempio perché risiedi all’estero)',
    en: 'No health-insurance card? (for example because you live abroad)',
  })}</span></div>
  <ul class="mb-0">
    <li>${tr(lang, {
      it: 'Chiama il Contact center: l’operatore ti riconosce con alcune domande (o con il PIN telefonico, se accedi con SPID, CIE o CNS) e revoca il PIN per te.',
      en: 'Call the contact centre: the operator identifies you with a few questions (or with the telephone PIN, if you sign in with SPID, CIE or CNS) and revokes the PIN for you.',
    })} ${tr(lang, CONTACT_CENTRE_NUMBERS)}.</li>
    <li>${tr(lang, {
      it: 'Se temi che qualcuno conosca il tuo PIN, puoi anche sostituirlo subito online con il ripristino: servono il codice fiscale e due dei recapiti registrati, e confermando il PIN attuale smette subito di funzionare.',
      en: 'If you fear someone knows your PIN, you can also replace it online at once with the recovery: you need your codice fiscale and two of your registered contacts, and once you confirm, the current PIN stops working at once.',
    })} <a href="${link(ctx, RECOVERY_PATHS.recovery)}">${tr(lang, { it: 'Vai al ripristino', en: 'Go to the recovery' })}</a></li>
  </ul>
</div></section>`;
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
<div class="d-flex flex-wrap gap-3 mt-4"><button type="submit" class="btn btn-primary">${tr(lang, { it: 'Continua', en: 'Continue' })}</button></div>
</form>
${withoutHealthCard(ctx)}`;
  return frame(ctx, { it: 'Revoca del PIN', en: 'Revoke your PIN' }, content, { hasErrors: failed });
}

/** What the revocation will do, asked once more before it is done (the data travel sealed). */
export function revokeConfirmPage(ctx: PageContext, input: { codiceFiscale: string; healthCardLast4: string; healthCardExpiresOn: string; address: string; sealed: string; csrf: string }): string {
  const content = confirmStep(ctx, {
    lead: { it: 'Stai per revocare il PIN legato a questo codice fiscale. Controlla i dati:', en: 'You are about to revoke the PIN of this codice fiscale. Check the data:' },
    rows: [
      { label: LABELS.codiceFiscale!, value: input.codiceFiscale },
      { label: LABELS.healthCardNumber!, value: `•••• ${input.healthCardLast4}` },
      { label: LABELS.healthCardExpiresOn!, value: formatDate(ctx.lang, input.healthCardExpiresOn) || input.healthCardExpiresOn },
      { label: LABELS.address!, value: input.address },
    ],
    consequences: [
      { it: 'Il PIN smette subito di funzionare, per sempre, e le sessioni aperte si chiudono.', en: 'The PIN stops working at once, for good, and open sessions are closed.' },
      { it: 'Le domande in attesa del PIN dispositivo sono annullate e le deleghe che hai dato terminano.', en: 'Claims waiting for the dispositivo PIN are cancelled and the delegations you gave end.' },
      { it: 'Per usare di nuovo i servizi dovrai richiedere un nuovo PIN (o accedere con SPID, CIE o CNS).', en: 'To use the services again you will need to request a new PIN (or sign in with SPID, CIE or CNS).' },
    ],
    action: RECOVERY_PATHS.revokeConfirm,
    hidden: { revocation: input.sealed },
    csrf: input.csrf,
    confirm: { it: 'Sì, revoca il PIN', en: 'Yes, revoke the PIN' },
    back: { button: 'edit', label: { it: 'No, torna ai dati', en: 'No, back to the data' } },
  });
  return frame(ctx, { it: 'Vuoi revocare il PIN?', en: 'Do you want to revoke your PIN?' }, content);
}

/** The revocation done, already done (asked again), or under way (its answer did not come in time). */
export function revokedPage(ctx: PageContext, answer: { status: 'revoked' | 'already_revoked' | 'in_progress'; message: Bilingual }): string {
  const { lang } = ctx;
  const title: Bilingual =
    answer.status === 'in_progress'
      ? { it: 'Revoca in corso', en: 'Revocation under way' }
      : answer.status === 'already_revoked'
        ? { it: 'PIN già revocato', en: 'PIN already revoked' }
        : { it: 'PIN revocato', en: 'PIN revoked' };
  const next: Bilingual =
    answer.status === 'in_progress'
      ? {
          it: 'Non serve fare altro: la revoca è stata chiesta e l’avviso ai tuoi recapiti ti dirà quando è fatta.',
          en: 'There is nothing else to do: the revocation has been asked for, and the notice to your contacts will tell you when it is done.',
        }
      : {
          it: 'Riceverai (o hai già ricevuto) un avviso ai recapiti registrati. Se non hai chiesto tu la revoca, chiama subito il Contact center.',
          en: 'You will get (or already got) a notice at your registered contacts. If you did not ask for the revocation, call the contact centre at once.',
        };
  const content = html`<div class="alert alert-${answer.status === 'in_progress' ? 'info' : 'success'}" role="status"><p class="mb-0" id="revoked" data-status="${answer.status}">${tr(lang, answer.message)}</p></div>
<p>${tr(lang, next)}</p>
<p class="mt-4"><a class="btn btn-outline-primary" href="${link(ctx, RECOVERY_PATHS.request)}">${tr(lang, { it: 'Richiedi un nuovo PIN', en: 'Request a new PIN' })}</a></p>`;
  return frame(ctx, title, content);
}
