/**
 * The PIN holder's own pages in the personal area: "Le mie richieste" (their timeline, every
 * value labelled in both languages) and "Modifica recapiti" (the online change of the PIN's
 * contacts). Same frame and components as the other pages, no script.
 */
import type { Bilingual, FieldIssue } from '../domain/errors';
import { PREFERRED_TIME_SLOTS } from '../domain/pin-request';
import { serviceById } from '../domain/services';
import type { TimelineEntry } from '../services/citizen-account';
import { html, type SafeHtml } from '../web/html';
import { formatDateTime, tr } from './i18n';
import { noticeBox, type Notice } from './recovery-pages';
import { csrfField, errorSummary, page, radioGroup, selectField, textField, type FormState, type PageContext } from './views';

export const ACCOUNT_PATHS = { requests: '/requests', contacts: '/contacts', home: '/home' } as const;

const link = (ctx: PageContext, path: string): string => `${ctx.base}${path}`;
const KICKER: Bilingual = { it: 'La tua area personale', en: 'Your personal area' };

function frame(ctx: PageContext, title: Bilingual, content: SafeHtml, hasErrors = false): string {
  const body = html`<div class="row"><div class="col-lg-9">
<p class="portal-kicker mb-1">${tr(ctx.lang, KICKER)}</p>
<h1 class="mb-4">${tr(ctx.lang, title)}</h1>
${content}
<p class="mt-5"><a href="${link(ctx, ACCOUNT_PATHS.home)}">${tr(ctx.lang, { it: 'Torna all’area personale', en: 'Back to your personal area' })}</a></p>
</div></div>`;
  return page(ctx, { title: tr(ctx.lang, title), body, hasErrors });
}

// ---------------------------------------------------------------------------------------------
// Le mie richieste

const CHANNEL: Readonly<Record<string, Bilingual>> = {
  online: { it: 'online', en: 'online' },
  contact_center: { it: 'tramite il Contact center', en: 'through the contact centre' },
  counter: { it: 'allo sportello di una sede INPS', en: 'at an INPS office counter' },
};
const LETTER_STATUS: Readonly<Record<string, Bilingual>> = {
  queued: { it: 'in preparazione per la spedizione', en: 'being prepared for posting' },
  dispatched: { it: 'spedita', en: 'posted' },
  returned: { it: 'tornata indietro al mittente', en: 'returned to sender' },
};
/** Where a PIN request stands: its PIN's state, in the citizen's words. */
const REQUEST_STATUS: Readonly<Record<string, Bilingual>> = {
  requested: { it: 'ricevuta, in lavorazione', en: 'received, being processed' },
  issuing: { it: 'ricevuta, in lavorazione', en: 'received, being processed' },
  awaiting_callback: { it: 'in attesa della nostra telefonata di verifica', en: 'waiting for our verification call' },
  awaiting_letter_dispatch: { it: 'PIN inviato: la lettera sta per partire', en: 'PIN sent: the letter is about to leave' },
  awaiting_first_access: { it: 'PIN inviato: fai il primo accesso con le due parti', en: 'PIN sent: do the first access with both parts' },
  active: { it: 'completata: PIN in uso', en: 'completed: PIN in use' },
  pin_expired: { it: 'completata: PIN scaduto, da rinnovare', en: 'completed: PIN expired, to be renewed' },
  expired: { it: 'conclusa: PIN non più valido', en: 'closed: PIN no longer valid' },
  revoked: { it: 'conclusa: PIN revocato', en: 'closed: PIN revoked' },
  refused: { it: 'respinta', en: 'refused' },
};
/** The outcome of a call that verified a declared residence. */
const CALLBACK_OUTCOME: Readonly<Record<string, Bilingual>> = {
  verified: { it: 'residenza verificata', en: 'residence verified' },
  not_verified: { it: 'residenza non verificata: richiesta respinta', en: 'residence not verified: request refused' },
  unreachable: { it: 'non ti abbiamo trovato al telefono', en: 'we could not reach you by phone' },
  expired: { it: 'nessuna risposta entro 10 giorni: richiesta respinta', en: 'no answer within 10 days: request refused' },
};
const CASE_STATUS: Readonly<Record<string, Bilingual>> = {
  open: { it: 'ricevuta, in attesa di verifica', en: 'received, waiting to be checked' },
  claimed: { it: 'in verifica', en: 'being checked' },
  awaiting_second_review: { it: 'in verifica', en: 'being checked' },
  approved: { it: 'accolta: il PIN è dispositivo', en: 'approved: the PIN is dispositivo' },
  rejected: { it: 'respinta', en: 'rejected' },
};
const CASE_SOURCE: Readonly<Record<string, Bilingual>> = {
  online: { it: 'documenti inviati online', en: 'documents sent online' },
  fax: { it: 'documenti inviati per fax', en: 'documents sent by fax' },
  office: { it: 'in una sede INPS', en: 'at an INPS office' },
};
const CLAIM_STATUS: Readonly<Record<string, Bilingual>> = {
  waiting_for_dispositivo: { it: 'ricevuta, in attesa del PIN dispositivo', en: 'received, waiting for the dispositivo PIN' },
  released: { it: 'in lavorazione', en: 'being processed' },
  in_processing: { it: 'in lavorazione', en: 'being processed' },
  accepted: { it: 'accolta', en: 'accepted' },
  rejected: { it: 'respinta', en: 'rejected' },
  withdrawn: { it: 'ritirata da te', en: 'withdrawn by you' },
  cancelled: { it: 'annullata per la revoca del PIN', en: 'cancelled because the PIN was revoked' },
};
const RECOVERY_STATUS: Readonly<Record<string, Bilingual>> = {
  requested: { it: 'chiesto', en: 'requested' },
  sent: { it: 'collegamento inviato', en: 'link sent' },
  used: { it: 'completato: nuovo PIN rilasciato', en: 'completed: new PIN issued' },
  expired: { it: 'collegamento scaduto senza uso', en: 'link expired unused' },
  void: { it: 'annullato', en: 'cancelled' },
};
const ENDED: Readonly<Record<string, Bilingual>> = {
  revoked: { it: 'PIN revocato', en: 'PIN revoked' },
  expired: { it: 'PIN scaduto e dismesso', en: 'PIN expired and retired' },
  refused: { it: 'Richiesta di PIN respinta', en: 'PIN request refused' },
};

const label = (map: Readonly<Record<string, Bilingual>>, code: string | undefined): Bilingual =>
  (code !== undefined ? map[code] : undefined) ?? { it: '—', en: '—' };

function describeEntry(e: TimelineEntry): { what: Bilingual; state?: Bilingual } {
  switch (e.kind) {
    case 'request':
      return { what: { it: `Richiesta del PIN ${tr('it', label(CHANNEL, e.detail))}`, en: `PIN request ${tr('en', label(CHANNEL, e.detail))}` }, state: label(REQUEST_STATUS, e.status) };
    case 'callback':
      return { what: { it: 'Telefonata di verifica della residenza', en: 'Call to verify your residence' }, state: label(CALLBACK_OUTCOME, e.status) };
    case 'remote_identification':
      return { what: { it: 'Identificazione da remoto', en: 'Remote identification' }, state: { it: 'completata: nuovo PIN dispositivo inviato', en: 'completed: new dispositivo PIN sent' } };
    case 'letter':
      return { what: { it: `Lettera con la seconda parte del PIN (n. ${e.detail})`, en: `Letter with the second part of the PIN (no. ${e.detail})` }, state: label(LETTER_STATUS, e.status) };
    case 'conversion':
      return { what: { it: `Conversione in PIN dispositivo (${tr('it', label(CASE_SOURCE, e.detail))})`, en: `Conversion to a dispositivo PIN (${tr('en', label(CASE_SOURCE, e.detail))})` }, state: label(CASE_STATUS, e.status) };
    case 'claim': {
      const name = serviceById(e.detail ?? '')?.name ?? { it: 'Domanda di prestazione', en: 'Benefit claim' };
      return { what: name, state: label(CLAIM_STATUS, e.status) };
    }
    case 'recovery':
      return { what: { it: 'Ripristino del PIN', en: 'PIN recovery' }, state: label(RECOVERY_STATUS, e.status) };
    case 'contacts_changed':
      return { what: { it: 'Recapiti modificati', en: 'Contacts changed' } };
    case 'credential_ended':
      return { what: label(ENDED, e.status) };
  }
}

export function requestsPage(ctx: PageContext, entries: TimelineEntry[]): string {
  const { lang } = ctx;
  const title = REQUESTS_TITLE;
  const rows = entries.map((e) => {
    const d = describeEntry(e);
    return html`<tr data-kind="${e.kind}">
  <td><time datetime="${e.at}">${formatDateTime(lang, e.at)}</time></td>
  <td>${tr(lang, d.what)}${e.protocol ? html`<br><span class="small">${tr(lang, { it: 'Protocollo', en: 'Protocol' })} <span class="portal-code">${e.protocol}</span></span>` : ''}</td>
  <td>${d.state ? tr(lang, d.state) : ''}${e.reason ? html`<br><span class="small">${tr(lang, { it: 'Motivo', en: 'Reason' })}: ${tr(lang, e.reason)}</span>` : ''}</td>
</tr>`;
  });
  return frame(
    ctx,
    title,
    html`<p>${tr(lang, {
      it: 'Tutto quello che hai chiesto con il tuo codice fiscale, dal più recente: richieste del PIN e telefonate di verifica, lettere, conversioni, identificazioni da remoto, domande, ripristini e modifiche dei recapiti. Cita il numero di protocollo quando contatti l’INPS.',
      en: 'Everything you asked for with your codice fiscale, newest first: PIN requests and verification calls, letters, conversions, remote identifications, claims, recoveries and contact changes. Quote the protocol number when you contact INPS.',
    })}</p>
${entries.length
  ? html`<div class="table-responsive" tabindex="0" role="region" aria-label="${tr(lang, { it: 'Le tue richieste', en: 'Your requests' })}"><table class="table" id="my-requests">
<thead><tr><th scope="col">${tr(lang, { it: 'Quando', en: 'When' })}</th><th scope="col">${tr(lang, { it: 'Che cosa', en: 'What' })}</th><th scope="col">${tr(lang, { it: 'Stato', en: 'Status' })}</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
  : html`<p>${tr(lang, { it: 'Non risulta ancora nulla.', en: 'Nothing on record yet.' })}</p>`}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Modifica recapiti

const CONTACT_LABELS: Readonly<Record<string, Bilingual>> = {
  mobile: { it: 'Cellulare', en: 'Mobile phone' },
  homePhone: { it: 'Telefono fisso', en: 'Landline' },
  email: { it: 'E-mail', en: 'E-mail' },
  pec: { it: 'PEC (posta elettronica certificata)', en: 'PEC (certified e-mail)' },
  preferredPhone: { it: 'Telefono su cui preferisci essere chiamato', en: 'Phone you prefer to be called on' },
  preferredTimeSlot: { it: 'Fascia oraria preferita', en: 'Preferred time of day' },
};

export interface ContactsFormInput {
  values: Partial<Record<string, string>>;
  issues: FieldIssue[];
  csrf: string;
  notice?: Notice;
}

export function contactsPage(ctx: PageContext, input: ContactsFormInput): string {
  const { lang } = ctx;
  const title = CONTACTS_TITLE;
  const state: FormState = { values: input.values, issues: input.issues };
  const l = (f: string) => tr(lang, CONTACT_LABELS[f]!);
  return frame(
    ctx,
    title,
    html`${errorSummary(ctx, input.issues, (f) => (CONTACT_LABELS[f] ? l(f) : undefined))}
${input.notice ? noticeBox(ctx, input.notice) : ''}
<p>${tr(lang, {
      it: 'Sono i recapiti a cui l’INPS invia le parti del PIN, i promemoria e gli avvisi, e quelli che servono per il ripristino del PIN. Indica almeno un telefono e almeno un indirizzo tra e-mail e PEC. Dopo la modifica avviseremo sia i vecchi sia i nuovi recapiti.',
      en: 'These are the contacts INPS sends the PIN parts, reminders and notices to, and the ones the PIN recovery relies on. Give at least one phone and at least one address between e-mail and PEC. After the change we will notify both the old and the new contacts.',
    })}</p>
<form method="post" action="${link(ctx, ACCOUNT_PATHS.contacts)}" novalidate>
${csrfField(input.csrf)}
${textField(ctx, state, { name: 'mobile', label: l('mobile'), type: 'tel', autocomplete: 'tel', hint: tr(lang, { it: 'Con il prefisso internazionale, per esempio +39 333 1234567.', en: 'With the international prefix, e.g. +39 333 1234567.' }) })}
${textField(ctx, state, { name: 'homePhone', label: l('homePhone'), type: 'tel', autocomplete: 'tel' })}
${textField(ctx, state, { name: 'email', label: l('email'), type: 'email', autocomplete: 'email' })}
${textField(ctx, state, { name: 'pec', label: l('pec'), type: 'email' })}
${radioGroup(ctx, state, {
  name: 'preferredPhone',
  legend: l('preferredPhone'),
  options: [
    { value: 'mobile', label: l('mobile') },
    { value: 'home', label: l('homePhone') },
  ],
  required: true,
})}
${selectField(ctx, state, {
  name: 'preferredTimeSlot',
  label: l('preferredTimeSlot'),
  placeholder: tr(lang, { it: 'Scegli una fascia', en: 'Choose a time' }),
  options: PREFERRED_TIME_SLOTS.map((s) => ({ value: s.id, label: tr(lang, s.label) })),
  required: true,
})}
<button type="submit" class="btn btn-primary">${tr(lang, { it: 'Salva i recapiti', en: 'Save the contacts' })}</button>
</form>`,
    input.issues.length > 0,
  );
}

/** A first-half session (simplified procedure) sees neither the contacts nor the timeline. */
export function fullPinNeededPage(ctx: PageContext, title: Bilingual): string {
  return frame(
    ctx,
    title,
    noticeBox(ctx, {
      tone: 'warning',
      title: { it: 'Serve il PIN completo', en: 'The full PIN is needed' },
      text: {
        it: 'Con la sola prima parte del PIN puoi presentare le domande delle indennità COVID-19. Per vedere i tuoi recapiti e le tue richieste accedi con il PIN di 8 caratteri, dopo il primo accesso.',
        en: 'With the first part of the PIN alone you can submit the COVID-19 allowance claims. To see your contacts and your requests, log in with your 8-character PIN after the first access.',
      },
    }),
  );
}

export const REQUESTS_TITLE: Bilingual = { it: 'Le mie richieste', en: 'My requests' };
export const CONTACTS_TITLE: Bilingual = { it: 'Modifica i recapiti del PIN', en: 'Change the contacts of your PIN' };

export function contactsSavedPage(ctx: PageContext, changed: boolean): string {
  const { lang } = ctx;
  const title: Bilingual = { it: 'Recapiti del PIN', en: 'Contacts of your PIN' };
  return frame(
    ctx,
    title,
    html`<div class="alert alert-success" role="status" id="contacts-saved" data-changed="${changed ? 'yes' : 'no'}"><p class="mb-0">${tr(
      lang,
      changed
        ? { it: 'Recapiti aggiornati. Abbiamo inviato un avviso sia ai vecchi sia ai nuovi recapiti: se non sei stato tu, chiama subito il Contact center.', en: 'Contacts updated. We sent a notice to both the old and the new contacts: if it was not you, call the contact centre at once.' }
        : {
            it: 'Questi recapiti sono già quelli registrati: non c’è nulla da cambiare. Se li hai appena salvati, la modifica è già fatta e gli avvisi ai vecchi e ai nuovi recapiti sono partiti.',
            en: 'These are already the contacts on record: there is nothing to change. If you have just saved them, the change is done and the notices to the old and new contacts have gone out.',
          },
    )}</p></div>`,
  );
}

