/**
 * The citizen's "Deleghe" page (portal/delegation-routes.ts serves it): the delegations given
 * (a new one online with a dispositivo PIN, revoke) and received (accept or decline a pending
 * one, revoke an accepted one), bilingual, server-rendered like the claims pages.
 */
import type { Bilingual, FieldIssue } from '../domain/errors';
import { html, type SafeHtml } from '../web/html';
import { formatDateTime, tr, type Lang } from './i18n';
import { claimTypeForm, claimsTable, frame, noticeBox, type ClaimSummary, type ClaimTypeOption, type Notice } from './conversion-claims-pages';
import { confirmStep, csrfField, errorSummary, icon, page, radioGroup, textField, type PageContext } from './views';

export const DELEGATIONS_PATH = '/delegations';

/** The delegate's page for acting on behalf of the delegator of one delegation. */
export const actingPath = (delegationId: string): string => `${DELEGATIONS_PATH}/${delegationId}/claims`;

const KICKER: Bilingual = { it: 'La tua area personale', en: 'Your personal area' };

export interface DelegationRowView {
  delegationId: string;
  delegatorCodiceFiscale: string;
  delegateCodiceFiscale: string;
  scope: 'consult' | 'consult_and_claims';
  endsOn: string;
  status: 'pending' | 'active' | 'expired' | 'revoked' | 'declined' | 'lapsed';
  source: 'online' | 'office';
  acceptBy?: string;
}

export interface DelegationNotice {
  tone: 'danger' | 'warning' | 'info' | 'success';
  title: Bilingual;
  text: Bilingual;
}

export interface DelegationsPageView {
  scope: 'ordinary' | 'dispositivo' | 'simplified';
  given: DelegationRowView[];
  received: DelegationRowView[];
  csrf: string;
  notice?: DelegationNotice;
  issues: FieldIssue[];
  values: Record<string, string>;
  /** The last day a new delegation may run to (366 days ahead). */
  lastDay: string;
  /** Born with the page: the same form sent twice registers one delegation. */
  idempotencyKey: string;
}

const SCOPES: Record<DelegationRowView['scope'], Bilingual> = {
  consult: { it: 'Sola consultazione', en: 'Consulting only' },
  consult_and_claims: { it: 'Consultazione e presentazione di domande', en: 'Consulting and filing claims' },
};

const STATUS: Record<DelegationRowView['status'], { label: Bilingual; badge: string }> = {
  pending: { label: { it: 'Da accettare', en: 'Awaiting acceptance' }, badge: 'bg-warning text-dark' },
  active: { label: { it: 'Attiva', en: 'Active' }, badge: 'bg-success' },
  expired: { label: { it: 'Scaduta', en: 'Expired' }, badge: 'bg-secondary' },
  revoked: { label: { it: 'Revocata', en: 'Revoked' }, badge: 'bg-secondary' },
  declined: { label: { it: 'Rifiutata', en: 'Declined' }, badge: 'bg-secondary' },
  lapsed: { label: { it: 'Decaduta (non accettata in tempo)', en: 'Lapsed (not accepted in time)' }, badge: 'bg-secondary' },
};

const SOURCE: Record<DelegationRowView['source'], Bilingual> = {
  online: { it: 'online', en: 'online' },
  office: { it: 'presso una sede INPS', en: 'at an INPS office' },
};

const LABELS: Record<string, Bilingual> = {
  delegateCodiceFiscale: { it: 'Codice fiscale della persona di fiducia', en: 'Codice fiscale of the trusted person' },
  scope: { it: 'Cosa può fare per te', en: 'What they may do for you' },
  endsOn: { it: 'Ultimo giorno della delega', en: 'Last day of the delegation' },
};

function formatDate(lang: Lang, iso: string): string {
  const d = new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(lang === 'it' ? 'it-IT' : 'en-GB', { dateStyle: 'long', timeZone: 'Europe/Rome' }).format(d);
}

/** The last day a pending delegation can be accepted: the Italian day of the instant before `acceptBy` (which may be a midnight). */
const lastAcceptDay = (acceptBy: string): string => new Date(Date.parse(acceptBy) - 1).toISOString();

const link = (ctx: PageContext, path: string): string => `${ctx.base}${path}`;

/**
 * A delegation's action: accepting is posted at once (it can be undone by revoking); declining
 * and revoking, final, open the page that asks first.
 */
function actionButton(ctx: PageContext, csrf: string, d: DelegationRowView, action: 'accept' | 'decline' | 'revoke', label: Bilingual, style: string): SafeHtml {
  if (action !== 'accept') {
    return html`<a class="btn btn-sm ${style} me-2" href="${link(ctx, `${DELEGATIONS_PATH}/${d.delegationId}/${action}`)}" id="${action}-${d.delegationId}">${tr(ctx.lang, label)}</a>`;
  }
  return html`<form method="post" action="${link(ctx, `${DELEGATIONS_PATH}/${d.delegationId}/${action}`)}" class="d-inline me-2">
  ${csrfField(csrf)}
  <button type="submit" class="btn btn-sm ${style}" id="${action}-${d.delegationId}">${tr(ctx.lang, label)}</button>
</form>`;
}

/** "Vuoi revocare la delega?" / "Vuoi rifiutare la delega?": what it means for both, before it is done. */
export function delegationConfirmPage(ctx: PageContext, d: DelegationRowView, side: 'given' | 'received', action: 'decline' | 'revoke', csrf: string): string {
  const lang = ctx.lang;
  const other = side === 'given' ? d.delegateCodiceFiscale : d.delegatorCodiceFiscale;
  const consequences: Bilingual[] =
    action === 'decline'
      ? [
          { it: 'La delega termina senza essere mai valsa: non potrai operare per conto di questa persona.', en: 'The delegation ends without ever applying: you will not be able to act for this person.' },
          { it: 'Chi te l’ha conferita riceve un avviso; per delegarti di nuovo dovrà conferire una nuova delega.', en: 'Whoever gave it to you is told; to delegate you again they will have to give a new delegation.' },
        ]
      : side === 'given'
        ? [
            { it: 'La delega termina subito: la persona delegata non potrà più operare per tuo conto.', en: 'The delegation ends at once: the delegate can no longer act on your behalf.' },
            { it: 'Entrambi ricevete un avviso. Per delegarla di nuovo servirà una nuova delega, che dovrà accettare di nuovo.', en: 'You are both told. To delegate them again you will need a new delegation, which they will have to accept again.' },
          ]
        : [
            { it: 'La delega termina subito: non potrai più operare per conto di questa persona.', en: 'The delegation ends at once: you can no longer act on behalf of this person.' },
            { it: 'Entrambi ricevete un avviso. Per operare di nuovo per suo conto servirà una nuova delega.', en: 'You are both told. To act on their behalf again a new delegation will be needed.' },
          ];
  const content = confirmStep(ctx, {
    lead:
      action === 'decline'
        ? { it: 'Stai per rifiutare questa delega:', en: 'You are about to decline this delegation:' }
        : { it: 'Stai per revocare questa delega:', en: 'You are about to revoke this delegation:' },
    rows: [
      { label: side === 'given' ? { it: 'Persona delegata', en: 'Delegate' } : { it: 'Delegante', en: 'Delegator' }, value: other },
      { label: { it: 'Cosa permette', en: 'What it allows' }, value: tr(lang, SCOPES[d.scope]) },
      { label: { it: 'Fino al', en: 'Until' }, value: formatDate(lang, d.endsOn) },
    ],
    consequences,
    action: `${DELEGATIONS_PATH}/${d.delegationId}/${action}`,
    csrf,
    confirm: action === 'decline' ? { it: 'Sì, rifiuta la delega', en: 'Yes, decline the delegation' } : { it: 'Sì, revoca la delega', en: 'Yes, revoke the delegation' },
    back: { path: DELEGATIONS_PATH, label: { it: 'No, torna alle deleghe', en: 'No, back to the delegations' } },
  });
  const title: Bilingual = action === 'decline' ? { it: 'Vuoi rifiutare la delega?', en: 'Do you want to decline the delegation?' } : { it: 'Vuoi revocare la delega?', en: 'Do you want to revoke the delegation?' };
  const body = html`<div class="row"><div class="col-lg-8">
<p class="portal-kicker mb-1">${tr(lang, KICKER)}</p>
<h1 class="mb-4">${tr(lang, title)}</h1>
${content}
</div></div>`;
  return page(ctx, { title: tr(lang, title), body });
}

function rows(ctx: PageContext, v: DelegationsPageView, list: DelegationRowView[], side: 'given' | 'received'): SafeHtml {
  const lang = ctx.lang;
  if (list.length === 0) {
    return html`<p id="${side}-none">${tr(lang, side === 'given' ? { it: 'Non hai conferito deleghe.', en: 'You have not given any delegation.' } : { it: 'Non hai ricevuto deleghe.', en: 'You have not received any delegation.' })}</p>`;
  }
  const items = list.map((d) => {
    const other = side === 'given' ? d.delegateCodiceFiscale : d.delegatorCodiceFiscale;
    const status = STATUS[d.status];
    const live = d.status === 'pending' || d.status === 'active';
    const actions: SafeHtml[] = [];
    if (side === 'received' && d.status === 'pending') {
      actions.push(actionButton(ctx, v.csrf, d, 'accept', { it: 'Accetta la delega', en: 'Accept the delegation' }, 'btn-primary'));
      actions.push(actionButton(ctx, v.csrf, d, 'decline', { it: 'Rifiuta', en: 'Decline' }, 'btn-outline-primary'));
    } else if (live) {
      if (side === 'received') {
        actions.push(html`<a class="btn btn-sm btn-primary me-2" href="${link(ctx, actingPath(d.delegationId))}" id="act-${d.delegationId}">${tr(lang, { it: 'Opera per conto del delegante', en: 'Act for the delegator' })}</a>`);
      }
      actions.push(actionButton(ctx, v.csrf, d, 'revoke', { it: 'Revoca la delega', en: 'Revoke the delegation' }, 'btn-outline-danger'));
    }
    return html`<li class="list-group-item" id="delegation-${d.delegationId}" data-status="${d.status}">
  <p class="mb-1"><strong>${side === 'given' ? tr(lang, { it: 'A', en: 'To' }) : tr(lang, { it: 'Da', en: 'From' })} <span class="portal-code">${other}</span></strong>
    <span class="badge ${status.badge} ms-2">${tr(lang, status.label)}</span></p>
  <p class="mb-1">${tr(lang, SCOPES[d.scope])} · ${tr(lang, { it: 'fino al', en: 'until' })} ${formatDate(lang, d.endsOn)} · ${tr(lang, { it: 'conferita', en: 'given' })} ${tr(lang, SOURCE[d.source])}</p>
  ${d.status === 'pending' && d.acceptBy
    ? ((by) => html`<p class="mb-1 small">${tr(lang, side === 'received'
        ? { it: `Se non la accetti entro il ${by} decade. Finché non la accetti non puoi operare per conto del delegante.`, en: `If you do not accept it by ${by} it lapses. Until you accept it you cannot act for the delegator.` }
        : { it: `In attesa che la persona delegata la accetti (entro il ${by}).`, en: `Waiting for the delegate to accept it (by ${by}).` })}</p>`)(formatDate(lang, lastAcceptDay(d.acceptBy)))
    : ''}
  ${actions.length ? html`<div class="mt-2">${actions}</div>` : ''}
</li>`;
  });
  return html`<ul class="list-group mb-3" id="${side}-list">${items}</ul>`;
}

function newDelegationForm(ctx: PageContext, v: DelegationsPageView): SafeHtml {
  const lang = ctx.lang;
  if (v.scope !== 'dispositivo') {
    return html`<div class="callout note mt-0" id="dispositivo-needed"><div class="callout-inner">
  <div class="callout-title">${icon(ctx, 'it-info-circle')}<span class="text">${tr(lang, { it: 'Per delegare online serve il PIN dispositivo', en: 'Delegating online needs a dispositivo PIN' })}</span></div>
  <p class="mb-0">${tr(lang, {
    it: 'Puoi convertire il tuo PIN in dispositivo, oppure consegnare il modulo di delega firmato presso una sede INPS con un documento di identità: l’operatore la registra per te.',
    en: 'You can convert your PIN to a dispositivo PIN, or hand in the signed delegation form at an INPS office with an identity document: the clerk registers it for you.',
  })}</p>
</div></div>`;
  }
  const state = { values: v.values, issues: v.issues };
  return html`<form method="post" action="${link(ctx, DELEGATIONS_PATH)}" class="portal-form" novalidate id="delegation-form">
  ${csrfField(v.csrf)}
  <input type="hidden" name="idempotencyKey" value="${v.idempotencyKey}">
  ${textField(ctx, state, { name: 'delegateCodiceFiscale', label: tr(lang, LABELS.delegateCodiceFiscale!), required: true, maxlength: 16, autocapitalize: 'characters', spellcheck: false })}
  ${radioGroup(ctx, state, {
    name: 'scope',
    legend: tr(lang, LABELS.scope!),
    required: true,
    options: [
      { value: 'consult', label: tr(lang, SCOPES.consult) },
      { value: 'consult_and_claims', label: tr(lang, SCOPES.consult_and_claims) },
    ],
  })}
  ${textField(ctx, state, {
    name: 'endsOn',
    label: tr(lang, LABELS.endsOn!),
    type: 'date',
    required: true,
    hint: tr(lang, { it: `Al massimo il ${formatDate(lang, v.lastDay)}. La persona delegata deve accettare la delega entro 30 giorni.`, en: `At most ${formatDate(lang, v.lastDay)}. The delegate must accept the delegation within 30 days.` }),
  })}
  <button type="submit" class="btn btn-primary">${tr(lang, { it: 'Delega questa persona', en: 'Delegate this person' })}</button>
</form>`;
}

export function delegationsPage(ctx: PageContext, v: DelegationsPageView): string {
  const lang = ctx.lang;
  const title: Bilingual = { it: 'Deleghe', en: 'Delegations' };
  const notice = v.notice
    ? html`<div class="alert alert-${v.notice.tone} mb-4" role="${v.notice.tone === 'danger' || v.notice.tone === 'warning' ? 'alert' : 'status'}" id="notice">
  <h2 class="h4">${tr(lang, v.notice.title)}</h2>
  <p class="mb-0">${tr(lang, v.notice.text)}</p>
</div>`
    : '';
  const body = html`<div class="row"><div class="col-lg-8">
<p class="portal-kicker mb-1">${tr(lang, KICKER)}</p>
<h1 class="mb-4">${tr(lang, title)}</h1>
${notice}${errorSummary(ctx, v.issues, (f) => (LABELS[f] ? tr(lang, LABELS[f]) : undefined))}
<p>${tr(lang, {
    it: 'Se non puoi usare in autonomia i servizi online INPS puoi delegare una persona di fiducia: opera per tuo conto con il proprio PIN, entro l’ambito e fino alla data che scegli, e ogni operazione è registrata. Una delega vale solo dopo che la persona delegata l’ha accettata; tu o lei potete revocarla in qualsiasi momento.',
    en: 'If you cannot use the INPS online services on your own you can delegate a trusted person: they act for you with their own PIN, within the scope and until the date you choose, and every action is recorded. A delegation applies only once the delegate has accepted it; either of you can revoke it at any time.',
  })}</p>
<section class="mb-5" aria-labelledby="received-title">
  <h2 class="h4 border-bottom pb-2 mb-3" id="received-title">${tr(lang, { it: 'Deleghe ricevute', en: 'Delegations received' })}</h2>
  ${rows(ctx, v, v.received, 'received')}
</section>
<section class="mb-5" aria-labelledby="given-title">
  <h2 class="h4 border-bottom pb-2 mb-3" id="given-title">${tr(lang, { it: 'Deleghe conferite', en: 'Delegations given' })}</h2>
  ${rows(ctx, v, v.given, 'given')}
  <h3 class="h5 mt-4" id="new-title">${tr(lang, { it: 'Delega una persona di fiducia', en: 'Delegate a trusted person' })}</h3>
  ${newDelegationForm(ctx, v)}
</section>
<p class="mt-5"><a href="${link(ctx, '/home')}">${icon(ctx, 'it-arrow-left', 'icon icon-sm icon-primary me-1')}${tr(lang, { it: 'Torna all’area personale', en: 'Back to your personal area' })}</a></p>
</div></div>`;
  return page(ctx, { title: tr(lang, title), body, hasErrors: v.issues.length > 0 });
}

// ---------------------------------------------------------------------------------------------
// Acting for the delegator

export interface ActingPageView {
  delegation: DelegationRowView;
  delegatorName: string;
  /** Why it cannot be used now (ended, the delegator has no PIN): then nothing of theirs is shown. */
  unusable?: Bilingual;
  claims?: readonly ClaimSummary[];
  /** What the delegate may file for the delegator (empty with a consult-only scope). */
  claimTypes?: readonly ClaimTypeOption[];
  csrf: string;
  idempotencyKey: string;
  chosen?: string;
  issues: FieldIssue[];
  notice?: Notice;
}

/** "Opera per conto di …": the delegator's claims and, within the scope, a claim filed for them. */
export function actingPage(ctx: PageContext, v: ActingPageView): string {
  const lang = ctx.lang;
  const d = v.delegation;
  const title: Bilingual = { it: `Opera per conto di ${v.delegatorName}`, en: `Act for ${v.delegatorName}` };
  const status = STATUS[d.status];
  const facts = html`<dl class="row" id="acting-delegation" data-status="${d.status}">
  <dt class="col-sm-4">${tr(lang, { it: 'Delegante', en: 'Delegator' })}</dt>
  <dd class="col-sm-8">${v.delegatorName}${v.delegatorName === d.delegatorCodiceFiscale ? '' : html` <span class="portal-code">${d.delegatorCodiceFiscale}</span>`}</dd>
  <dt class="col-sm-4">${tr(lang, { it: 'Cosa ti permette', en: 'What it allows you' })}</dt>
  <dd class="col-sm-8">${tr(lang, SCOPES[d.scope])}</dd>
  <dt class="col-sm-4">${tr(lang, { it: 'Fino al', en: 'Until' })}</dt>
  <dd class="col-sm-8">${formatDate(lang, d.endsOn)}</dd>
  <dt class="col-sm-4">${tr(lang, { it: 'Stato', en: 'Status' })}</dt>
  <dd class="col-sm-8"><span class="badge ${status.badge}">${tr(lang, status.label)}</span></dd>
</dl>`;
  const back = html`<p class="mt-4"><a class="btn btn-outline-primary" href="${link(ctx, DELEGATIONS_PATH)}">${tr(lang, { it: 'Torna alle deleghe', en: 'Back to the delegations' })}</a></p>`;
  if (v.unusable) {
    const content = html`${facts}
${noticeBox(ctx, { tone: 'warning', title: { it: 'Non puoi operare con questa delega', en: 'You cannot act with this delegation' }, text: v.unusable }, 'unusable')}
${back}`;
    return frame(ctx, title, content);
  }
  const claims = v.claims ?? [];
  const types = v.claimTypes ?? [];
  const filing =
    d.scope !== 'consult_and_claims'
      ? html`<p id="consult-only">${tr(lang, {
          it: 'Questa delega ti permette solo di consultare: non puoi presentare domande per conto del delegante.',
          en: 'This delegation lets you consult only: you cannot file claims on the delegator’s behalf.',
        })}</p>`
      : types.length === 0
        ? html`<p id="no-claim-types">${tr(lang, {
            it: 'Per il PIN e il profilo del delegante non ci sono domande da presentare online.',
            en: 'For the delegator’s PIN and profile there are no claims to file online.',
          })}</p>`
        : html`<p>${tr(lang, {
            it: 'La domanda è presentata a nome del delegante; risulta che l’hai presentata tu, per suo conto.',
            en: 'The claim is filed in the delegator’s name; it is recorded that you filed it, on their behalf.',
          })}</p>
${claimTypeForm(ctx, {
  action: actingPath(d.delegationId),
  types,
  chosen: v.chosen,
  issues: v.issues,
  csrf: v.csrf,
  idempotencyKey: v.idempotencyKey,
  legend: { it: 'Quale domanda vuoi presentare per suo conto?', en: 'Which claim do you want to file on their behalf?' },
})}`;
  const content = html`${errorSummary(ctx, v.issues, (f) => (f === 'type' ? tr(lang, { it: 'Domanda', en: 'Claim' }) : undefined))}
${v.notice ? noticeBox(ctx, v.notice) : ''}
<p>${tr(lang, {
    it: 'Operi con il tuo PIN per conto del delegante, entro l’ambito della delega: ogni operazione è registrata a tuo nome.',
    en: 'You act with your own PIN on the delegator’s behalf, within the scope of the delegation: every action is recorded in your name.',
  })}</p>
${facts}
<section class="mb-5" aria-labelledby="delegator-claims-title">
  <h2 class="h4 border-bottom pb-2 mb-3" id="delegator-claims-title">${tr(lang, { it: 'Le domande del delegante', en: 'The delegator’s claims' })}</h2>
  ${claims.length > 0
    ? claimsTable(ctx, claims, { caption: { it: 'Le domande del delegante', en: 'The delegator’s claims' }, linked: false })
    : html`<p id="no-claims">${tr(lang, { it: 'Il delegante non ha domande presentate online.', en: 'The delegator has no claims filed online.' })}</p>`}
</section>
<section class="mb-5" aria-labelledby="file-for-title">
  <h2 class="h4 border-bottom pb-2 mb-3" id="file-for-title">${tr(lang, { it: 'Presenta una domanda per suo conto', en: 'File a claim on their behalf' })}</h2>
  ${filing}
</section>
${back}`;
  return frame(ctx, title, content, v.issues.length > 0 || v.notice?.tone === 'danger');
}

/** The notice after a claim was filed for the delegator: its protocol number and received time. */
export function filedForNotice(c: ClaimSummary, delegatorName: string): Notice {
  return {
    tone: 'success',
    title: { it: 'Domanda presentata', en: 'Claim submitted' },
    text: {
      it: `Hai presentato la domanda per conto di ${delegatorName}: numero di protocollo ${c.protocol}, ricevuta il ${formatDateTime('it', c.receivedAt)}.`,
      en: `You submitted the claim on behalf of ${delegatorName}: protocol number ${c.protocol}, received on ${formatDateTime('en', c.receivedAt)}.`,
    },
  };
}
