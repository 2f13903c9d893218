/**
 * Console: citizen lookup by codice fiscale. Every PIN credential the codice fiscale ever had,
 * each with ONE timeline merged from the credential's events (who did what), its notifications
 * (channel, purpose, status, sent time — never a payload or a recipient), its letters (with the
 * expected arrival once dispatched), its PIN versions' expiries, conversions, claims, identity
 * checks, recoveries, contact changes, telephone PINs and delegations. Reading it is audited.
 */
import type { Router } from 'express';
import type { ApiDeps } from '../api/deps';
import { addWorkingDays } from '../domain/working-days';
import { validateCodiceFiscaleFormat } from '../domain/codice-fiscale';
import { html, type HtmlValue, type SafeHtml } from '../web/html';
import { changedFields, contactsOf } from '../services/lifecycle/contact-changes';
import { createCitizenLookup, type LookupCredential } from '../services/citizen-lookup';
import { alertBox, consoleContext, consolePage, facts, fmtDate, fmtDateTime, t, table, tb, type ConsoleContext } from './layout';
import { SECTIONS } from './roles';
import { act, sendPage, staffOf, type consoleGuard } from './shared';

type Guard = ReturnType<typeof consoleGuard>;
type Text = { it: string; en: string };

/** Working days a posted letter takes to arrive (estimate): Italy and abroad. */
const LETTER_TRANSIT_WORKING_DAYS = { italy: 5, abroad: 15 } as const;

/** When a letter dispatched at `dispatchedAt` should arrive (Rome working days). */
function expectedLetterArrival(dispatchedAt: Date, abroad: boolean): Date {
  return new Date(addWorkingDays(dispatchedAt.getTime(), abroad ? LETTER_TRANSIT_WORKING_DAYS.abroad : LETTER_TRANSIT_WORKING_DAYS.italy));
}

const EVENT_LABELS: Record<string, Text> = {
  requested: { it: 'PIN richiesto', en: 'PIN requested' },
  callback_task_opened: { it: 'Richiamata aperta (residenza diversa dall’archivio)', en: 'Call-back opened (residence differs from the records)' },
  callback_verified: { it: 'Richiamata: identità verificata', en: 'Call-back: identity verified' },
  callback_not_verified: { it: 'Richiamata: identità non verificata', en: 'Call-back: identity not verified' },
  callback_unreachable: { it: 'Richiamata: nessuna risposta', en: 'Call-back: no answer' },
  request_refused: { it: 'Richiesta rifiutata (identità non verificata)', en: 'Request refused (identity not verified)' },
  letter_returned_after_activation: { it: 'Lettera restituita dopo il primo accesso: possibile intercettazione', en: 'Letter returned after the first access: possible interception' },
  pin_issued: { it: 'PIN generato', en: 'PIN generated' },
  letter_requested: { it: 'Nuova lettera richiesta', en: 'New letter requested' },
  letter_queued: { it: 'Lettera accodata al lotto', en: 'Letter queued in a batch' },
  letter_dispatched: { it: 'Lettera spedita', en: 'Letter dispatched' },
  letter_returned: { it: 'Lettera restituita al mittente', en: 'Letter returned to sender' },
  reminder_queued: { it: 'Promemoria inviato', en: 'Reminder sent' },
  initial_pin_expired: { it: 'PIN iniziale scaduto senza primo accesso', en: 'Initial PIN expired without a first access' },
  first_access: { it: 'Primo accesso (PIN di 8 caratteri assegnato)', en: 'First access (8-character PIN assigned)' },
  regeneration: { it: 'Nuovo PIN dopo la scadenza', en: 'New PIN after expiry' },
  pin_expired: { it: 'PIN scaduto', en: 'PIN expired' },
  counter_issued: { it: 'PIN dispositivo rilasciato allo sportello (MV35)', en: 'Dispositivo PIN issued at the counter (MV35)' },
  conversion_requested: { it: 'Conversione a dispositivo richiesta', en: 'Conversion to dispositivo requested' },
  review_claim: { it: 'Pratica presa in carico', en: 'Case claimed' },
  review_approve: { it: 'Pratica approvata', en: 'Case approved' },
  review_reject: { it: 'Pratica respinta', en: 'Case rejected' },
  review_first_approval: { it: 'Prima approvazione (in attesa della seconda verifica)', en: 'First approval (awaiting the second review)' },
  review_escalated: { it: 'Pratica scalata al supervisore', en: 'Case escalated to a supervisor' },
  converted_to_dispositivo: { it: 'PIN convertito in dispositivo', en: 'PIN converted to dispositivo' },
  conversion_rejected: { it: 'Conversione respinta', en: 'Conversion rejected' },
  claim_in_processing: { it: 'Domanda avviata alla lavorazione', en: 'Claim sent to processing' },
  claim_accepted: { it: 'Domanda accolta', en: 'Claim accepted' },
  claim_rejected: { it: 'Domanda respinta', en: 'Claim rejected' },
  claim_withdrawn: { it: 'Domanda ritirata dal richiedente', en: 'Claim withdrawn by the claimant' },
  contacts_changed: { it: 'Recapiti modificati', en: 'Contacts changed' },
  recovery_link_sent: { it: 'Ripristino: link di conferma inviato', en: 'Recovery: confirmation link sent' },
  reissue_recovery: { it: 'Ripristino: nuovo PIN emesso', en: 'Recovery: new PIN issued' },
  reissue_remote_identification: { it: 'Identificazione da remoto: nuovo PIN dispositivo', en: 'Remote identification: new dispositivo PIN' },
  remote_identification: { it: 'PIN dispositivo di 8 caratteri attivo (identificazione da remoto)', en: '8-character dispositivo PIN active (remote identification)' },
  revoked: { it: 'PIN revocato', en: 'PIN revoked' },
  delegation_created: { it: 'Delega conferita', en: 'Delegation granted' },
  delegation_accepted: { it: 'Delega accettata dal delegato', en: 'Delegation accepted by the delegate' },
  delegation_ended: { it: 'Delega terminata', en: 'Delegation ended' },
};

const PURPOSE_LABELS: Record<string, Text> = {
  'first-half': { it: 'Prima metà del PIN', en: 'First half of the PIN' },
  reminder: { it: 'Promemoria primo accesso', en: 'First-access reminder' },
  'expiry-reminder': { it: 'Avviso di scadenza', en: 'Expiry notice' },
  revocation: { it: 'Avviso di revoca', en: 'Revocation notice' },
  'recovery-link': { it: 'Link di ripristino', en: 'Recovery link' },
  'pin-part-1': { it: 'Prima parte del PIN dispositivo', en: 'First part of the dispositivo PIN' },
  'pin-part-2': { it: 'Seconda parte del PIN dispositivo', en: 'Second part of the dispositivo PIN' },
  'request-refused': { it: 'Avviso di richiesta non accolta', en: 'Request not accepted notice' },
  'claim-decided': { it: 'Esito della domanda', en: 'Claim outcome' },
  'claims-cancelled': { it: 'Avviso di domande annullate', en: 'Claims cancelled notice' },
};

interface Entry {
  at: Date;
  what: string;
  detail: HtmlValue;
  actor: string;
  /** In the future (an expected arrival, an expiry to come). */
  expected?: boolean;
}

/** Event data as compact text: ids and values the event recorded (events never hold secrets). */
function dataText(data: Record<string, unknown>): string {
  return Object.entries(data)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' · ')
    .slice(0, 300);
}

export function lookupPages(r: Router, deps: ApiDeps, guard: Guard): void {
  const lookup = createCitizenLookup(deps);

  async function timelineOf(ctx: ConsoleContext, c: LookupCredential): Promise<{ entries: Entry[]; letters: SafeHtml; cases: SafeHtml; claims: SafeHtml }> {
    const { events, outbox, letters, secrets, cases, claims, checks, recoveries, changes } = await lookup.historyOf(c.id);
    const entries: Entry[] = [];
    for (const e of events) {
      const label = EVENT_LABELS[e.type];
      entries.push({ at: e.at, what: label ? tb(ctx, label) : e.type, detail: dataText(e.data), actor: e.actor });
    }
    for (const o of outbox) {
      const purpose = PURPOSE_LABELS[o.purpose];
      entries.push({
        at: o.sent_at ?? o.created_at,
        what: `${purpose ? tb(ctx, purpose) : o.purpose} — ${o.channel.toUpperCase()}`,
        detail: o.status === 'sent' ? t(ctx, `inviato il ${fmtDateTime(ctx, o.sent_at)}`, `sent on ${fmtDateTime(ctx, o.sent_at)}`) : `${o.status} (${t(ctx, 'tentativi', 'attempts')}: ${o.attempts})`,
        actor: 'system',
      });
    }
    const abroad = c.residence.abroad === true;
    for (const l of letters) {
      if (l.dispatched_at && l.status === 'dispatched') {
        entries.push({
          at: expectedLetterArrival(l.dispatched_at, abroad),
          what: t(ctx, `Arrivo previsto della lettera n. ${l.seq}`, `Expected arrival of letter no. ${l.seq}`),
          detail: abroad ? t(ctx, 'residenza all’estero', 'residence abroad') : t(ctx, 'residenza in Italia', 'residence in Italy'),
          actor: 'system',
          expected: true,
        });
      }
    }
    for (const s of secrets) {
      if (s.expires_at && s.kind === 'personal') {
        entries.push({
          at: s.expires_at,
          what: t(ctx, `Scadenza del PIN (versione ${s.version})`, `PIN expiry (version ${s.version})`),
          detail: s.status,
          actor: 'system',
          expected: s.expires_at > new Date(),
        });
      }
    }
    for (const cl of claims) {
      entries.push({ at: cl.received_at, what: t(ctx, `Domanda ${cl.protocol} ricevuta`, `Claim ${cl.protocol} received`), detail: `${cl.claim_type} · ${cl.status}`, actor: cl.filed_by });
    }
    for (const v of checks) {
      entries.push({
        at: v.created_at,
        what: v.method === 'counter' ? t(ctx, 'Identità verificata allo sportello', 'Identity checked at the counter') : t(ctx, 'Identità verificata da remoto', 'Identity checked remotely'),
        detail: [v.document_type, v.office].filter(Boolean).join(' · '),
        actor: v.verified_by,
      });
    }
    for (const rl of recoveries) {
      entries.push({ at: rl.requested_at, what: t(ctx, 'Ripristino richiesto', 'Recovery requested'), detail: `${rl.channel} · ${rl.status}${rl.used_at ? ` · ${fmtDateTime(ctx, rl.used_at)}` : ''}`, actor: 'citizen' });
    }
    for (const ch of changes) {
      const fields = changedFields(contactsOf(ch.old_contacts), contactsOf(ch.new_contacts));
      entries.push({ at: ch.created_at, what: t(ctx, 'Modifica recapiti (dettaglio)', 'Contact change (detail)'), detail: fields.join(', '), actor: ch.changed_by });
    }

    const letterRows = letters.map((l) => [
      String(l.seq),
      l.reason,
      l.status,
      l.batch_date ? fmtDate(ctx, l.batch_date) : '—',
      fmtDateTime(ctx, l.dispatched_at),
      l.dispatched_at && l.status === 'dispatched' ? fmtDate(ctx, expectedLetterArrival(l.dispatched_at, abroad)) : '—',
    ]);
    const caseRows = cases.map((k) => [
      html`<a href="${ctx.base}/review/${k.id}">${k.id.slice(0, 8)}</a>`,
      k.source,
      k.status,
      k.claimed_by ?? '—',
      k.decided_by ?? '—',
      k.reason ?? '—',
      fmtDateTime(ctx, k.created_at),
      fmtDateTime(ctx, k.decided_at),
    ]);
    const claimRows = claims.map((k) => [k.protocol, k.claim_type, k.status, fmtDateTime(ctx, k.received_at), fmtDateTime(ctx, k.released_at)]);
    return {
      entries,
      letters: letterRows.length
        ? table(t(ctx, 'Lettere', 'Letters'), [t(ctx, 'N.', 'No.'), t(ctx, 'Motivo', 'Reason'), t(ctx, 'Stato', 'Status'), t(ctx, 'Lotto', 'Batch'), t(ctx, 'Spedita', 'Dispatched'), t(ctx, 'Arrivo previsto', 'Expected arrival')], letterRows)
        : html`<p>${t(ctx, 'Nessuna lettera.', 'No letters.')}</p>`,
      cases: caseRows.length
        ? table(t(ctx, 'Conversioni', 'Conversions'), [t(ctx, 'Pratica', 'Case'), t(ctx, 'Canale', 'Source'), t(ctx, 'Stato', 'Status'), t(ctx, 'In carico a', 'Claimed by'), t(ctx, 'Decisa da', 'Decided by'), t(ctx, 'Motivo', 'Reason'), t(ctx, 'Ricevuta', 'Received'), t(ctx, 'Decisa', 'Decided')], caseRows)
        : html`<p>${t(ctx, 'Nessuna conversione.', 'No conversions.')}</p>`,
      claims: claimRows.length
        ? table(t(ctx, 'Domande', 'Claims'), [t(ctx, 'Protocollo', 'Protocol'), t(ctx, 'Tipo', 'Type'), t(ctx, 'Stato', 'Status'), t(ctx, 'Ricevuta', 'Received'), t(ctx, 'Rilasciata', 'Released')], claimRows)
        : html`<p>${t(ctx, 'Nessuna domanda.', 'No claims.')}</p>`,
    };
  }

  function timelineTable(ctx: ConsoleContext, entries: Entry[]): SafeHtml {
    const sorted = [...entries].sort((a, b) => a.at.getTime() - b.at.getTime());
    return html`<ol class="list-unstyled border-start ps-3" data-testid="timeline">${sorted.map(
      (e) => html`<li class="mb-2${e.expected ? ' text-muted' : ''}"><strong>${fmtDateTime(ctx, e.at)}</strong>${e.expected ? html` <span class="badge bg-secondary">${t(ctx, 'previsto', 'expected')}</span>` : ''} — ${e.what}
  ${e.detail ? html`<span class="small"> (${e.detail})</span>` : ''} <span class="small text-secondary">· ${t(ctx, 'da', 'by')} ${e.actor}</span></li>`,
    )}</ol>`;
  }

  r.get('/citizens', guard(SECTIONS.lookup), async (req, res) => {
    const ctx = consoleContext(req, res, '/citizens');
    const typed = typeof req.query.cf === 'string' ? req.query.cf.slice(0, 32) : '';
    // A protocol number (of a PIN request or a claim) stands for its holder's codice fiscale.
    const raw = /^(PIN|INPS)\./i.test(typed.trim()) ? ((await lookup.codiceFiscaleByProtocol(typed)) ?? typed) : typed;
    const form = html`<form method="get" action="${ctx.base}/citizens" class="row g-3 align-items-end mb-4">
  <div class="col-md-6"><div class="form-group mb-0"><label for="f-cf" class="active">${t(ctx, 'Codice fiscale o numero di protocollo', 'Codice fiscale or protocol number')}</label>
  <input id="f-cf" name="cf" class="form-control" value="${typed}" maxlength="24" autocapitalize="characters" spellcheck="false"></div></div>
  <div class="col-md-2"><button type="submit" class="btn btn-primary">${t(ctx, 'Cerca', 'Search')}</button></div>
</form>`;
    const title = t(ctx, 'Ricerca cittadino', 'Citizen lookup');
    if (!raw) return sendPage(res, 200, consolePage(ctx, { title, active: 'lookup', body: form }));
    if (raw === typed && /^(PIN|INPS)\./i.test(typed.trim())) {
      const none = t(ctx, 'Nessuna richiesta o domanda con questo numero di protocollo.', 'No request or claim has this protocol number.');
      return sendPage(res, 404, consolePage(ctx, { title, active: 'lookup', hasErrors: true, body: html`${form}${alertBox('danger', none)}` }));
    }
    const cf = validateCodiceFiscaleFormat(raw);
    if (cf.errors.length) {
      return sendPage(res, 400, consolePage(ctx, { title, active: 'lookup', hasErrors: true, body: html`${form}${alertBox('danger', cf.errors.map((e) => tb(ctx, e.message)).join(' '))}` }));
    }
    const codiceFiscale = cf.normalised;
    const staff = staffOf(res);
    const found = await act(deps.pool, staff, 'citizen_lookup', codiceFiscale, () => lookup.credentialsOf(codiceFiscale));
    const [telephonePins, delegations] = await Promise.all([lookup.telephonePinsOf(codiceFiscale), lookup.delegationsOf(codiceFiscale)]);

    const sections: SafeHtml[] = [];
    for (const c of found) {
      const tl = await timelineOf(ctx, c);
      const contacts = contactsOf(c.contacts);
      const res_ = c.residence;
      sections.push(html`<section class="card-wrapper mb-5" data-testid="credential">
<div class="card card-bg"><div class="card-body">
<h2 class="h4">${t(ctx, 'PIN', 'PIN')} <code>${c.id}</code> — <span data-testid="credential-state">${c.state}</span>, ${c.pin_type}</h2>
${facts([
  [t(ctx, 'Titolare', 'Holder'), `${c.holder.name ?? ''} ${c.holder.surname ?? ''}`],
  [t(ctx, 'Canale / rilascio', 'Channel / issuance'), `${c.channel} / ${c.issuance_mode}`],
  [t(ctx, 'Residenza', 'Residence'), [res_.address, res_.postalCode, res_.city, res_.province, res_.country].filter(Boolean).join(', ')],
  [t(ctx, 'Recapiti', 'Contacts'), [contacts.mobile, contacts.homePhone, contacts.email, contacts.pec].filter(Boolean).join(' · ')],
  [t(ctx, 'Creato', 'Created'), fmtDateTime(ctx, c.created_at)],
])}
<h3 class="h5">${t(ctx, 'Cronologia', 'Timeline')}</h3>
${timelineTable(ctx, tl.entries)}
<h3 class="h5 mt-4">${t(ctx, 'Lettere', 'Letters')}</h3>${tl.letters}
<h3 class="h5 mt-4">${t(ctx, 'Conversioni', 'Conversions')}</h3>${tl.cases}
<h3 class="h5 mt-4">${t(ctx, 'Domande', 'Claims')}</h3>${tl.claims}
</div></div></section>`);
    }
    const tpRows = telephonePins.map((p) => [p.validity, p.identity_method, p.status, fmtDateTime(ctx, p.created_at), fmtDateTime(ctx, p.expires_at), fmtDateTime(ctx, p.ended_at)]);
    const delegationRows = delegations.map((d) => [
      d.delegator_cf === codiceFiscale ? t(ctx, `conferita a ${d.delegate_cf}`, `granted to ${d.delegate_cf}`) : t(ctx, `ricevuta da ${d.delegator_cf}`, `received from ${d.delegator_cf}`),
      d.scope,
      d.status,
      d.source === 'office' ? t(ctx, `sede ${d.office ?? ''}`, `office ${d.office ?? ''}`) : t(ctx, 'online', 'online'),
      fmtDate(ctx, d.ends_on),
      fmtDateTime(ctx, d.created_at),
      d.ended_by ?? '—',
    ]);
    sendPage(
      res,
      200,
      consolePage(ctx, {
        title,
        active: 'lookup',
        body: html`${form}
<p>${t(ctx, `Codice fiscale ${codiceFiscale}: ${found.length} PIN.`, `Codice fiscale ${codiceFiscale}: ${found.length} PIN(s).`)}</p>
${sections}
<h2 class="h4">${t(ctx, 'PIN telefonici', 'Telephone PINs')}</h2>
${tpRows.length ? table(t(ctx, 'PIN telefonici', 'Telephone PINs'), [t(ctx, 'Validità', 'Validity'), t(ctx, 'Identificazione', 'Identification'), t(ctx, 'Stato', 'Status'), t(ctx, 'Creato', 'Created'), t(ctx, 'Scade', 'Expires'), t(ctx, 'Terminato', 'Ended')], tpRows) : html`<p>—</p>`}
<h2 class="h4">${t(ctx, 'Deleghe', 'Delegations')}</h2>
${delegationRows.length ? table(t(ctx, 'Deleghe', 'Delegations'), [t(ctx, 'Delega', 'Delegation'), t(ctx, 'Ambito', 'Scope'), t(ctx, 'Stato', 'Status'), t(ctx, 'Conferita', 'Given'), t(ctx, 'Fino al', 'Until'), t(ctx, 'Creata', 'Created'), t(ctx, 'Terminata da', 'Ended by')], delegationRows) : html`<p>—</p>`}`,
      }),
    );
  });
}
