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
import {
  actorSaid,
  CALLBACK_ADDRESSES,
  CALLBACK_OUTCOMES,
  CASE_SOURCES,
  CLAIM_STATUSES,
  claimTypeLabel,
  contactFieldLabel,
  CREDENTIAL_STATES,
  DELEGATION_SCOPES,
  DELEGATION_SOURCES,
  DELEGATION_STATUSES,
  DOCUMENT_TYPES,
  EVENT_REASONS,
  EVENT_TYPES,
  IDENTITY_CHECK_METHODS,
  ISSUANCE_MODES,
  LETTER_REASONS,
  LETTER_STATUSES,
  MESSAGE_CHANNELS,
  NOTICE_PURPOSES,
  NOTICE_STATUSES,
  PIN_TYPES,
  reasonSaid,
  REJECTION_REASON_LABELS,
  REQUEST_CHANNELS,
  REVIEW_STATUSES,
  SECRET_KINDS,
  SECRET_STATUSES,
  RECOVERY_STATUSES,
  SIGN_IN_METHODS,
  TELEPHONE_PIN_STATUSES,
  TELEPHONE_PIN_VALIDITIES,
  say,
  countrySaid,
} from './vocabulary';
import { SECTIONS } from './roles';
import { act, sendPage, staffOf, type consoleGuard } from './shared';

type Guard = ReturnType<typeof consoleGuard>;

/** Working days a posted letter takes to arrive (estimate): Italy and abroad. */
const LETTER_TRANSIT_WORKING_DAYS = { italy: 5, abroad: 15 } as const;

/** When a letter dispatched at `dispatchedAt` should arrive (Rome working days). */
function expectedLetterArrival(dispatchedAt: Date, abroad: boolean): Date {
  return new Date(addWorkingDays(dispatchedAt.getTime(), abroad ? LETTER_TRANSIT_WORKING_DAYS.abroad : LETTER_TRANSIT_WORKING_DAYS.italy));
}

interface Entry {
  at: Date;
  what: HtmlValue;
  detail: HtmlValue;
  actor: string;
  /** In the future (an expected arrival, an expiry to come). */
  expected?: boolean;
}

/** Ids an event records for the system's own use: not for the staff to read (a case id is shown as a link). */
const INTERNAL_KEYS = new Set(['letterId', 'linkId', 'changeId', 'claimId', 'delegationId', 'mv35DocumentId']);

/**
 * What an event recorded, said in words: each known field with its label and its value in the
 * page's language (codes through their vocabulary, dates in the page's format); ids for the
 * system's own use are left out. A field without a rule (none today) is shown as a code.
 */
function eventDetail(ctx: ConsoleContext, data: Record<string, unknown>): SafeHtml {
  const parts: HtmlValue[] = [];
  const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  for (const [key, value] of Object.entries(data)) {
    if (value === null || value === undefined || value === '' || INTERNAL_KEYS.has(key)) continue;
    const v = text(value);
    switch (key) {
      case 'caseId':
        parts.push(html`${t(ctx, 'pratica', 'case')} <a href="${ctx.base}/review/${v}">${v.slice(0, 8)}</a>`);
        break;
      case 'pinVersion':
        parts.push(t(ctx, `versione del PIN ${v}`, `PIN version ${v}`));
        break;
      case 'pinType':
        parts.push(html`${t(ctx, 'PIN', 'PIN')} ${say(ctx, PIN_TYPES, v)}`);
        break;
      case 'pinExpiresAt':
        parts.push(t(ctx, `scade il ${fmtDate(ctx, v)}`, `expires on ${fmtDate(ctx, v)}`));
        break;
      case 'seq':
        parts.push(t(ctx, `lettera n. ${v}`, `letter no. ${v}`));
        break;
      case 'batchDate':
        parts.push(t(ctx, `lotto del ${fmtDate(ctx, v)}`, `batch of ${fmtDate(ctx, v)}`));
        break;
      case 'protocol':
        parts.push(t(ctx, `protocollo ${v}`, `protocol ${v}`));
        break;
      case 'channel':
        parts.push(Object.hasOwn(MESSAGE_CHANNELS, v) ? say(ctx, MESSAGE_CHANNELS, v) : say(ctx, REQUEST_CHANNELS, v));
        break;
      case 'delivery':
        parts.push(say(ctx, ISSUANCE_MODES, v));
        break;
      case 'reason':
        // A code (a call-back's, a revocation's…), or the free text a clerk gave a decision before reason codes.
        parts.push(Object.hasOwn(EVENT_REASONS, v) ? say(ctx, EVENT_REASONS, v) : `${t(ctx, 'motivo', 'reason')}: ${v}`);
        break;
      case 'reasonCode':
        parts.push(html`${t(ctx, 'motivo', 'reason')}: ${say(ctx, REJECTION_REASON_LABELS, v)}`);
        break;
      case 'note':
        parts.push(`${t(ctx, 'nota', 'note')}: ${v}`);
        break;
      case 'releasedClaims':
        parts.push(t(ctx, `domande sbloccate: ${v}`, `claims released: ${v}`));
        break;
      case 'outcome':
        parts.push(say(ctx, CALLBACK_OUTCOMES, v));
        break;
      case 'attempt':
        parts.push(t(ctx, `chiamata n. ${v}`, `call no. ${v}`));
        break;
      case 'address':
        parts.push(html`${t(ctx, 'lettera a', 'letter to')}: ${say(ctx, CALLBACK_ADDRESSES, v)}`);
        break;
      case 'office':
        parts.push(t(ctx, `sede ${v}`, `office ${v}`));
        break;
      case 'documentType':
        parts.push(say(ctx, DOCUMENT_TYPES, v));
        break;
      case 'source':
        parts.push(say(ctx, CASE_SOURCES, v));
        break;
      case 'scope':
        parts.push(say(ctx, DELEGATION_SCOPES, v));
        break;
      case 'endsOn':
        parts.push(t(ctx, `fino al ${fmtDate(ctx, v)}`, `until ${fmtDate(ctx, v)}`));
        break;
      case 'fields':
        parts.push(Array.isArray(value) ? value.map((f) => contactFieldLabel(ctx, String(f))).join(', ') : v);
        break;
      case 'voidedLetterIds':
        parts.push(t(ctx, `lettere annullate: ${Array.isArray(value) ? value.length : 0}`, `letters voided: ${Array.isArray(value) ? value.length : 0}`));
        break;
      default:
        parts.push(html`<code>${key}</code>: ${typeof value === 'object' ? JSON.stringify(value) : text(value)}`);
    }
  }
  return html`${parts.map((p, i) => html`${i ? ' · ' : ''}${p}`)}`;
}

/** A residence as one line, the country by its name. */
const residenceLine = (ctx: ConsoleContext, r: LookupCredential['residence']): string =>
  [r.address, r.postalCode, r.city, r.province, r.country ? countrySaid(ctx, r.country) : undefined].filter(Boolean).join(', ');

export function lookupPages(r: Router, deps: ApiDeps, guard: Guard): void {
  const lookup = createCitizenLookup(deps);

  async function timelineOf(ctx: ConsoleContext, c: LookupCredential): Promise<{ entries: Entry[]; letters: SafeHtml; cases: SafeHtml; claims: SafeHtml }> {
    const { events, outbox, letters, secrets, cases, claims, checks, recoveries, changes } = await lookup.historyOf(c.id);
    const entries: Entry[] = [];
    for (const e of events) {
      entries.push({ at: e.at, what: say(ctx, EVENT_TYPES, e.type), detail: eventDetail(ctx, e.data), actor: e.actor });
    }
    for (const o of outbox) {
      entries.push({
        at: o.sent_at ?? o.created_at,
        what: html`${say(ctx, NOTICE_PURPOSES, o.purpose)} — ${say(ctx, MESSAGE_CHANNELS, o.channel)}`,
        detail:
          o.status === 'sent'
            ? t(ctx, `inviato il ${fmtDateTime(ctx, o.sent_at)}`, `sent on ${fmtDateTime(ctx, o.sent_at)}`)
            : html`${say(ctx, NOTICE_STATUSES, o.status)} (${t(ctx, 'tentativi', 'attempts')}: ${o.attempts})`,
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
      // A PIN replaced or revoked before its expiry never reaches it: no planned expiry for it.
      const neverReached = s.status !== 'active' && s.expires_at !== null && s.expires_at > new Date();
      if (s.expires_at && s.kind === 'personal' && !neverReached) {
        entries.push({
          at: s.expires_at,
          what: t(ctx, `Scadenza del PIN (versione ${s.version})`, `PIN expiry (version ${s.version})`),
          detail: html`${say(ctx, SECRET_KINDS, s.kind)}, ${say(ctx, SECRET_STATUSES, s.status)}`,
          actor: 'system',
          expected: s.expires_at > new Date(),
        });
      }
    }
    for (const cl of claims) {
      entries.push({
        at: cl.received_at,
        what: t(ctx, `Domanda ${cl.protocol} ricevuta`, `Claim ${cl.protocol} received`),
        detail: html`${claimTypeLabel(ctx, cl.claim_type)} · ${say(ctx, CLAIM_STATUSES, cl.status)}`,
        actor: cl.filed_by,
      });
    }
    for (const v of checks) {
      entries.push({
        at: v.created_at,
        what: say(ctx, IDENTITY_CHECK_METHODS, v.method),
        detail: html`${say(ctx, DOCUMENT_TYPES, v.document_type)}${v.office ? ` · ${t(ctx, 'sede', 'office')} ${v.office}` : ''}`,
        actor: v.verified_by,
      });
    }
    for (const rl of recoveries) {
      entries.push({
        at: rl.requested_at,
        what: t(ctx, 'Ripristino richiesto', 'Recovery requested'),
        detail: html`${say(ctx, MESSAGE_CHANNELS, rl.channel)} · ${say(ctx, RECOVERY_STATUSES, rl.status)}${rl.used_at ? ` · ${fmtDateTime(ctx, rl.used_at)}` : ''}`,
        actor: 'citizen',
      });
    }
    for (const ch of changes) {
      const fields = changedFields(contactsOf(ch.old_contacts), contactsOf(ch.new_contacts));
      entries.push({ at: ch.created_at, what: t(ctx, 'Modifica recapiti (dettaglio)', 'Contact change (detail)'), detail: fields.map((f) => contactFieldLabel(ctx, f)).join(', '), actor: ch.changed_by });
    }

    const letterRows = letters.map((l) => [
      String(l.seq),
      say(ctx, LETTER_REASONS, l.reason),
      say(ctx, LETTER_STATUSES, l.status),
      l.batch_date ? fmtDate(ctx, l.batch_date) : '—',
      fmtDateTime(ctx, l.dispatched_at),
      l.dispatched_at && l.status === 'dispatched' ? fmtDate(ctx, expectedLetterArrival(l.dispatched_at, abroad)) : '—',
    ]);
    const caseRows = cases.map((k) => [
      html`<a href="${ctx.base}/review/${k.id}">${k.id.slice(0, 8)}</a>`,
      say(ctx, CASE_SOURCES, k.source),
      say(ctx, REVIEW_STATUSES, k.status),
      k.claimed_by ?? '—',
      k.decided_by ?? '—',
      [reasonSaid(ctx, k.reason_code, k.reason === 'refused_by_workflow' ? null : k.reason), k.note ? `${t(ctx, 'nota', 'note')}: ${k.note}` : ''].filter(Boolean).join(' · ') || '—',
      fmtDateTime(ctx, k.created_at),
      fmtDateTime(ctx, k.decided_at),
    ]);
    // The protocol opens the claim's page for whoever may open the claims section.
    const claimsOpen = ctx.staff !== undefined && SECTIONS.claims.includes(ctx.staff.role);
    const claimRows = claims.map((k) => [
      claimsOpen ? html`<a href="${ctx.base}/claims/${k.id}">${k.protocol}</a>` : k.protocol,
      claimTypeLabel(ctx, k.claim_type),
      say(ctx, CLAIM_STATUSES, k.status),
      fmtDateTime(ctx, k.received_at),
      fmtDateTime(ctx, k.released_at),
    ]);
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
  ${e.detail && String(e.detail) ? html`<span class="small"> (${e.detail})</span>` : ''} <span class="small text-secondary">· ${t(ctx, 'da', 'by')} ${actorSaid(ctx, e.actor)}</span></li>`,
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
<h2 class="h4">${t(ctx, 'PIN', 'PIN')} ${say(ctx, PIN_TYPES, c.pin_type)}${c.protocol ? html` <span class="fs-6 fw-normal">(${t(ctx, 'richiesta', 'request')} ${c.protocol})</span>` : ''} — <span data-testid="credential-state">${say(ctx, CREDENTIAL_STATES, c.state)}</span></h2>
${facts([
  [t(ctx, 'Titolare', 'Holder'), `${c.holder.name ?? ''} ${c.holder.surname ?? ''}`],
  [t(ctx, 'Richiesto', 'Requested'), say(ctx, REQUEST_CHANNELS, c.channel)],
  [t(ctx, 'Consegna del PIN', 'PIN delivery'), say(ctx, ISSUANCE_MODES, c.issuance_mode)],
  [t(ctx, 'Residenza', 'Residence'), residenceLine(ctx, res_)],
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
    const tpRows = telephonePins.map((p) => [
      say(ctx, TELEPHONE_PIN_VALIDITIES, p.validity),
      say(ctx, SIGN_IN_METHODS, p.identity_method),
      say(ctx, TELEPHONE_PIN_STATUSES, p.status),
      fmtDateTime(ctx, p.created_at),
      fmtDateTime(ctx, p.expires_at),
      fmtDateTime(ctx, p.ended_at),
    ]);
    const delegationRows = delegations.map((d) => [
      d.delegator_cf === codiceFiscale ? t(ctx, `conferita a ${d.delegate_cf}`, `granted to ${d.delegate_cf}`) : t(ctx, `ricevuta da ${d.delegator_cf}`, `received from ${d.delegator_cf}`),
      say(ctx, DELEGATION_SCOPES, d.scope),
      say(ctx, DELEGATION_STATUSES, d.status),
      d.source === 'office' && d.office ? t(ctx, `in sede (${d.office})`, `at an office (${d.office})`) : say(ctx, DELEGATION_SOURCES, d.source),
      fmtDate(ctx, d.ends_on),
      fmtDateTime(ctx, d.created_at),
      d.ended_by ? actorSaid(ctx, d.ended_by) : '—',
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
