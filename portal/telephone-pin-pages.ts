/**
 * The portal's "PIN telefonico" pages (MyINPS): for citizens signed in with SPID, CIE or CNS, the
 * temporary PIN a contact-centre operator asks for on the phone. Same frame and components as the
 * other pages, no script; the PIN is shown once, on the page that answers its creation.
 */
import type { Bilingual } from '../domain/errors';
import type { TelephonePinValidity } from '../workflows/telephone-pin-definitions';
import { html, type SafeHtml } from '../web/html';
import { fill, formatDateTime, tr } from './i18n';
import { confirmStep, csrfField, icon, page, radioGroup, type PageContext } from './views';
import { noticeBox, type Notice } from './recovery-pages';

export const TELEPHONE_PIN_PATHS = {
  page: '/telephone-pin',
  signIn: '/identity/login',
  callback: '/identity/callback',
  signOut: '/identity/logout',
} as const;

const link = (ctx: PageContext, path: string): string => `${ctx.base}${path}`;

export const VALIDITY_LABEL: Readonly<Record<TelephonePinValidity, Bilingual>> = {
  '1d': { it: 'Un giorno', en: 'One day' },
  '1w': { it: 'Una settimana', en: 'One week' },
  '1m': { it: 'Un mese', en: 'One month' },
  '3m': { it: 'Tre mesi', en: 'Three months' },
};

const STATUS_LABEL: Readonly<Record<string, Bilingual>> = {
  active: { it: 'Attivo', en: 'Active' },
  expired: { it: 'Scaduto', en: 'Expired' },
  revoked: { it: 'Revocato', en: 'Revoked' },
  locked: { it: 'Bloccato (troppi tentativi errati)', en: 'Locked (too many wrong tries)' },
};

const METHOD_LABEL: Readonly<Record<string, string>> = { SPID: 'SPID', CIE: 'CIE (Carta d’Identità Elettronica)', CNS: 'CNS (Carta Nazionale dei Servizi)' };

const TITLE: Bilingual = { it: 'PIN telefonico', en: 'Telephone PIN' };
const KICKER: Bilingual = { it: 'MyINPS', en: 'MyINPS' };

function frame(ctx: PageContext, content: SafeHtml, opts: { langSwitch?: boolean; title?: Bilingual } = {}): string {
  const title = opts.title ?? TITLE;
  const body = html`<div class="row"><div class="col-lg-8">
<p class="portal-kicker mb-1">${tr(ctx.lang, KICKER)}</p>
<h1 class="mb-4">${tr(ctx.lang, title)}</h1>
${content}
</div></div>`;
  return page(ctx, { title: tr(ctx.lang, title), body, langSwitch: opts.langSwitch });
}

const WHAT_IT_IS: Bilingual = {
  it: 'Il PIN telefonico è un codice temporaneo di 8 cifre che ti permette di farti riconoscere dagli operatori del Contact center quando li chiami per farti aiutare con i servizi online. Lo generi qui, dopo l’accesso con SPID, CIE o CNS, e scegli quanto deve durare: un giorno, una settimana, un mese o tre mesi.',
  en: 'The telephone PIN is a temporary 8-digit code that lets the contact centre operators recognise you when you call them for help with the online services. You create it here, after signing in with SPID, CIE or CNS, and choose how long it lasts: one day, one week, one month or three months.',
};

/** Not signed in: what the PIN is, and the sign-in button. */
export function telephonePinSignInPage(ctx: PageContext, notice?: Notice): string {
  const { lang } = ctx;
  return frame(
    ctx,
    html`${notice ? noticeBox(ctx, notice) : ''}
<p>${tr(lang, WHAT_IT_IS)}</p>
<p>${tr(lang, {
      it: 'Serve un accesso con SPID di livello 2 o superiore, con la Carta d’Identità Elettronica o con la Carta Nazionale dei Servizi. Il PIN INPS non basta per questo servizio.',
      en: 'You need to sign in with SPID level 2 or higher, the Electronic Identity Card (CIE) or the National Services Card (CNS). The INPS PIN is not enough for this service.',
    })}</p>
<p class="mt-4"><a class="btn btn-primary" id="sign-in" href="${link(ctx, TELEPHONE_PIN_PATHS.signIn)}">${icon(ctx, 'it-user', 'icon icon-sm icon-white me-2')}${tr(lang, {
      it: 'Entra con SPID, CIE o CNS',
      en: 'Sign in with SPID, CIE or CNS',
    })}</a></p>`,
  );
}

export interface OwnPinRow {
  telephonePinId: string;
  validity: TelephonePinValidity;
  status: string;
  createdAt: string;
  expiresAt: string;
  endedAt?: string;
}

export interface TelephonePinAreaView {
  codiceFiscale: string;
  method: string;
  pins: OwnPinRow[];
  csrf: string;
  /** The validity chosen last (kept when the form comes back with a problem). */
  validity?: string;
  notice?: Notice;
  /** The validity field's problem, if any. */
  validityError?: Bilingual;
}

/** Signed in: the create form (unless one is active), the list with "Revoca", "Esci". */
export function telephonePinAreaPage(ctx: PageContext, v: TelephonePinAreaView): string {
  const { lang } = ctx;
  const active = v.pins.find((p) => p.status === 'active');
  const rows = v.pins.map(
    (p) => html`<tr data-telephone-pin="${p.telephonePinId}">
  <td>${tr(lang, VALIDITY_LABEL[p.validity])}</td>
  <td>${formatDateTime(lang, p.createdAt)}</td>
  <td>${formatDateTime(lang, p.status === 'active' || p.status === 'expired' ? p.expiresAt : (p.endedAt ?? p.expiresAt))}</td>
  <td data-status="${p.status}">${tr(lang, STATUS_LABEL[p.status] ?? { it: p.status, en: p.status })}</td>
  <td>${p.status === 'active'
    ? html`<a class="btn btn-outline-danger btn-xs" href="${link(ctx, `${TELEPHONE_PIN_PATHS.page}/${p.telephonePinId}/revoke`)}" id="revoke-${p.telephonePinId}">${tr(lang, { it: 'Revoca', en: 'Revoke' })}</a>`
    : ''}</td>
</tr>`,
  );
  const createForm = active
    ? html`<p id="one-active">${fill(tr(lang, {
        it: 'Hai già un PIN telefonico attivo, valido fino al {date}. Per crearne uno nuovo revoca prima quello attivo.',
        en: 'You already have an active telephone PIN, valid until {date}. To create a new one, revoke the active one first.',
      }), { date: formatDateTime(lang, active.expiresAt) })}</p>`
    : html`<form method="post" action="${link(ctx, TELEPHONE_PIN_PATHS.page)}" novalidate>
${csrfField(v.csrf)}
${radioGroup(
  ctx,
  { values: { validity: v.validity ?? '' }, issues: v.validityError ? [{ field: 'validity', code: 'required', message: v.validityError }] : [] },
  {
    name: 'validity',
    legend: tr(lang, { it: 'Quanto deve durare il PIN telefonico?', en: 'How long should the telephone PIN last?' }),
    hint: tr(lang, { it: 'Un mese e tre mesi si contano sul calendario: dal 15 marzo, un mese dura fino al 15 aprile alla stessa ora.', en: 'One and three months are counted on the calendar: from 15 March, one month lasts until 15 April at the same time.' }),
    options: (['1d', '1w', '1m', '3m'] as const).map((value) => ({ value, label: tr(lang, VALIDITY_LABEL[value]) })),
    required: true,
  },
)}
<button type="submit" class="btn btn-primary">${tr(lang, { it: 'Genera il PIN telefonico', en: 'Create the telephone PIN' })}</button>
</form>`;
  return frame(
    ctx,
    html`${v.notice ? noticeBox(ctx, v.notice) : ''}
<p>${tr(lang, WHAT_IT_IS)}</p>
<dl class="row mb-4">
  <dt class="col-sm-4">${tr(lang, { it: 'Codice fiscale', en: 'Codice fiscale' })}</dt>
  <dd class="col-sm-8"><span class="portal-code" id="codice-fiscale">${v.codiceFiscale}</span></dd>
  <dt class="col-sm-4">${tr(lang, { it: 'Accesso con', en: 'Signed in with' })}</dt>
  <dd class="col-sm-8" id="identity-method">${METHOD_LABEL[v.method] ?? v.method}</dd>
</dl>
<section class="mb-5" aria-labelledby="create-title">
  <h2 class="h4 border-bottom pb-2 mb-3" id="create-title">${tr(lang, { it: 'Nuovo PIN telefonico', en: 'New telephone PIN' })}</h2>
  ${createForm}
</section>
<section class="mb-5" aria-labelledby="list-title">
  <h2 class="h4 border-bottom pb-2 mb-3" id="list-title">${tr(lang, { it: 'I tuoi PIN telefonici', en: 'Your telephone PINs' })}</h2>
  ${v.pins.length
    ? html`<div class="table-responsive" tabindex="0" role="region" aria-labelledby="list-title"><table class="table" id="telephone-pins">
  <thead><tr><th scope="col">${tr(lang, { it: 'Durata', en: 'Validity' })}</th><th scope="col">${tr(lang, { it: 'Creato il', en: 'Created on' })}</th><th scope="col">${tr(lang, { it: 'Valido fino al / terminato il', en: 'Valid until / ended on' })}</th><th scope="col">${tr(lang, { it: 'Stato', en: 'Status' })}</th><th scope="col"><span class="visually-hidden">${tr(lang, { it: 'Azioni', en: 'Actions' })}</span></th></tr></thead>
  <tbody>${rows}</tbody>
</table></div>`
    : html`<p>${tr(lang, { it: 'Non hai ancora creato un PIN telefonico.', en: 'You have not created a telephone PIN yet.' })}</p>`}
</section>
<form method="post" action="${link(ctx, TELEPHONE_PIN_PATHS.signOut)}">
${csrfField(v.csrf)}
<button type="submit" class="btn btn-outline-primary">${icon(ctx, 'it-logout', 'icon icon-sm icon-primary me-2')}${tr(lang, { it: 'Esci', en: 'Sign out' })}</button>
</form>`,
  );
}

/** "Vuoi revocare il PIN telefonico?": what revoking means, before it is done. */
export function telephonePinRevokeConfirmPage(ctx: PageContext, p: OwnPinRow, csrf: string): string {
  const { lang } = ctx;
  return frame(
    ctx,
    confirmStep(ctx, {
      lead: { it: 'Stai per revocare questo PIN telefonico:', en: 'You are about to revoke this telephone PIN:' },
      rows: [
        { label: { it: 'Durata', en: 'Validity' }, value: tr(lang, VALIDITY_LABEL[p.validity]) },
        { label: { it: 'Creato il', en: 'Created on' }, value: formatDateTime(lang, p.createdAt) },
        { label: { it: 'Valido fino al', en: 'Valid until' }, value: formatDateTime(lang, p.expiresAt) },
      ],
      consequences: [
        { it: 'Il PIN telefonico smette subito di funzionare: il Contact center non potrà più riconoscerti con questo codice.', en: 'The telephone PIN stops working at once: the contact centre can no longer recognise you with this code.' },
        { it: 'Se ti serve ancora, potrai crearne uno nuovo da questa pagina.', en: 'If you still need one, you can create a new one on this page.' },
      ],
      action: `${TELEPHONE_PIN_PATHS.page}/${p.telephonePinId}/revoke`,
      csrf,
      confirm: { it: 'Sì, revoca il PIN telefonico', en: 'Yes, revoke the telephone PIN' },
      back: { path: TELEPHONE_PIN_PATHS.page, label: { it: 'No, tienilo', en: 'No, keep it' } },
    }),
    { title: { it: 'Vuoi revocare il PIN telefonico?', en: 'Do you want to revoke the telephone PIN?' } },
  );
}

/** The one page that shows a new telephone PIN. */
export function telephonePinCreatedPage(ctx: PageContext, v: { pin: string; validity: TelephonePinValidity; expiresAt: string }): string {
  const { lang } = ctx;
  return frame(
    ctx,
    html`<div class="alert alert-success" role="status"><p class="mb-0">${fill(tr(lang, {
      it: 'PIN telefonico creato: durata {validity}, valido fino al {date}.',
      en: 'Telephone PIN created: validity {validity}, valid until {date}.',
    }), { validity: tr(lang, VALIDITY_LABEL[v.validity]).toLowerCase(), date: formatDateTime(lang, v.expiresAt) })}</p></div>
<section class="portal-pin-box my-4" aria-labelledby="telephone-pin-label">
  <p class="portal-pin-label" id="telephone-pin-label">${tr(lang, { it: 'Il tuo PIN telefonico', en: 'Your telephone PIN' })}</p>
  <p class="portal-pin" id="telephone-pin"><span>${v.pin.slice(0, 4)}</span><span>${v.pin.slice(4)}</span></p>
</section>
<div class="callout warning"><div class="callout-inner">
  <div class="callout-title">${icon(ctx, 'it-warning-circle')}<span class="text">${tr(lang, { it: 'Annotalo adesso', en: 'Write it down now' })}</span></div>
  <ul class="mb-0">
    <li><strong>${tr(lang, { it: 'Il PIN telefonico viene mostrato solo ora: non verrà più visualizzato.', en: 'The telephone PIN is shown only now: it will not be shown again.' })}</strong></li>
    <li>${tr(lang, {
      it: 'Comunicalo solo all’operatore del Contact center quando sei tu a chiamare, insieme al codice fiscale. Dopo 5 tentativi errati il PIN si blocca.',
      en: 'Tell it only to the contact centre operator when you are the one calling, together with your codice fiscale. After 5 wrong tries the PIN locks.',
    })}</li>
  </ul>
</div></div>
<p class="mt-4"><a class="btn btn-primary" href="${link(ctx, TELEPHONE_PIN_PATHS.page)}">${tr(lang, { it: 'Torna ai tuoi PIN telefonici', en: 'Back to your telephone PINs' })}</a></p>`,
    { langSwitch: false },
  );
}
