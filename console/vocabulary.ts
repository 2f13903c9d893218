/**
 * The console's vocabularies: what each stored code reads as, in Italian and English, in one
 * place per vocabulary (credential states, PIN types, channels, notices, letters, review cases,
 * claims, telephone PINs, delegations, identity checks, events, audit actions…). Pages never print
 * a stored code: they ask `say(ctx, VOCABULARY, code)`. Labels the citizens' pages or the domain
 * already have are reused: identity documents and time slots (domain/), claim types (the service
 * catalogue), a rejection's reasons (domain/review-reasons.ts), telephone-PIN validities
 * (portal/telephone-pin-pages.ts), staff roles (services/staff/accounts.ts), contact fields
 * (portal/pages.ts).
 *
 * A code missing from its vocabulary is shown as the code itself, marked as such (`<code>`),
 * never dressed up: test/unit/console-vocabulary.test.ts checks every code the system can store
 * has its label.
 */
import type { Bilingual } from '../domain/errors';
import { countryName } from '../domain/countries';
import { IDENTITY_DOCUMENT_TYPES } from '../domain/identity-document';
import { PREFERRED_TIME_SLOTS } from '../domain/pin-request';
import { isRejectionReasonCode, REJECTION_REASON_CODES, rejectionLabel, rejectionText } from '../domain/review-reasons';
import { serviceById } from '../domain/services';
import { fieldLabel } from '../portal/pages';
import { VALIDITY_LABEL } from '../portal/telephone-pin-pages';
import type { Lang } from '../portal/i18n';
import { ROLE_LABELS } from '../services/staff/accounts';
import { html, type SafeHtml } from '../web/html';

export type Vocabulary = Readonly<Record<string, Bilingual>>;

/** `code`'s label in the page language, or undefined when the vocabulary has none (own keys only). */
export function labelIn(lang: Lang, vocabulary: Vocabulary, code: string | null | undefined): string | undefined {
  if (code === null || code === undefined || !Object.hasOwn(vocabulary, code)) return undefined;
  return vocabulary[code]![lang];
}

/** `code`'s label as text; a code without one is given back as it is (for texts such as titles). */
export const sayText = (ctx: { lang: Lang }, vocabulary: Vocabulary, code: string | null | undefined): string => labelIn(ctx.lang, vocabulary, code) ?? code ?? '—';

/** `code`'s label for a page; a code without one is shown as a code, never as if it were words. */
export function say(ctx: { lang: Lang }, vocabulary: Vocabulary, code: string | null | undefined): SafeHtml | string {
  if (code === null || code === undefined || code === '') return '—';
  return labelIn(ctx.lang, vocabulary, code) ?? html`<code>${code}</code>`;
}

// -- credentials ------------------------------------------------------------------------------

/** domain/credential.ts and migration 011 (plus `awaiting_letter_dispatch`, the workflow's). */
export const CREDENTIAL_STATES: Vocabulary = {
  requested: { it: 'richiesto', en: 'requested' },
  issuing: { it: 'in emissione', en: 'being issued' },
  awaiting_callback: { it: 'in attesa di richiamata', en: 'awaiting a call-back' },
  awaiting_letter_dispatch: { it: 'in attesa di spedizione della lettera', en: 'awaiting the letter’s dispatch' },
  awaiting_first_access: { it: 'in attesa del primo accesso', en: 'awaiting the first access' },
  active: { it: 'attivo', en: 'active' },
  pin_expired: { it: 'PIN scaduto (da rigenerare)', en: 'PIN expired (to be regenerated)' },
  expired: { it: 'scaduto', en: 'expired' },
  revoked: { it: 'revocato', en: 'revoked' },
  refused: { it: 'richiesta respinta', en: 'request refused' },
};

export const PIN_TYPES: Vocabulary = {
  ordinary: { it: 'ordinario', en: 'ordinary' },
  dispositivo: { it: 'dispositivo', en: 'dispositivo' },
};

/** How a PIN was asked for (credentials.channel, pin_requests.channel). */
export const REQUEST_CHANNELS: Vocabulary = {
  online: { it: 'online', en: 'online' },
  contact_centre: { it: 'Contact center', en: 'contact centre' },
  contact_center: { it: 'Contact center', en: 'contact centre' },
  counter: { it: 'sportello', en: 'counter' },
  remote_identification: { it: 'identificazione da remoto', en: 'remote identification' },
};

/** How the PIN reached the citizen (credentials.issuance_mode). */
export const ISSUANCE_MODES: Vocabulary = {
  letter: { it: 'prima metà ai recapiti, seconda per lettera', en: 'first half to the contacts, second by letter' },
  two_channel: { it: 'due parti su due recapiti', en: 'two parts on two contacts' },
  counter: { it: 'busta sigillata allo sportello', en: 'sealed envelope at the counter' },
};

/** A PIN version's kind and state (pin_secrets). */
export const SECRET_KINDS: Vocabulary = {
  initial: { it: 'PIN iniziale di 16 caratteri', en: 'initial 16-character PIN' },
  personal: { it: 'PIN personale di 8 caratteri', en: 'personal 8-character PIN' },
  telephone: { it: 'PIN telefonico', en: 'telephone PIN' },
};

export const SECRET_STATUSES: Vocabulary = {
  pending: { it: 'non ancora attivo', en: 'not active yet' },
  active: { it: 'attivo', en: 'active' },
  superseded: { it: 'sostituito', en: 'replaced' },
};

// -- notices and letters ----------------------------------------------------------------------

/** Where a notice goes (outbox.channel, recovery links). */
export const MESSAGE_CHANNELS: Vocabulary = {
  sms: { it: 'SMS', en: 'SMS' },
  email: { it: 'e-mail', en: 'e-mail' },
  pec: { it: 'PEC', en: 'PEC' },
};

/** What a notice is about (outbox.purpose). */
export const NOTICE_PURPOSES: Vocabulary = {
  'first-half': { it: 'Prima metà del PIN', en: 'First half of the PIN' },
  'second-half': { it: 'Seconda metà del PIN', en: 'Second half of the PIN' },
  reminder: { it: 'Promemoria del primo accesso', en: 'First-access reminder' },
  'expiry-reminder': { it: 'Avviso di scadenza', en: 'Expiry notice' },
  revocation: { it: 'Avviso di revoca', en: 'Revocation notice' },
  'recovery-link': { it: 'Link di ripristino', en: 'Recovery link' },
  'pin-part-1': { it: 'Prima parte del PIN dispositivo', en: 'First part of the dispositivo PIN' },
  'pin-part-2': { it: 'Seconda parte del PIN dispositivo', en: 'Second part of the dispositivo PIN' },
  'request-received': { it: 'Conferma di ricezione della richiesta', en: 'Request received' },
  'request-refused': { it: 'Avviso di richiesta non accolta', en: 'Request not accepted notice' },
  'claim-received': { it: 'Conferma di ricezione della domanda', en: 'Claim received' },
  'claim-decided': { it: 'Esito della domanda', en: 'Claim outcome' },
  'claims-cancelled': { it: 'Avviso di domande annullate', en: 'Claims cancelled notice' },
  'conversion-approved': { it: 'Conversione in dispositivo approvata', en: 'Conversion to dispositivo approved' },
  'conversion-rejected': { it: 'Conversione in dispositivo non accolta', en: 'Conversion to dispositivo not approved' },
  'review-in-progress': { it: 'Avviso di verifica ancora in corso', en: 'Review still in progress notice' },
  'delegation-created': { it: 'Avviso di delega conferita', en: 'Delegation granted notice' },
  'delegation-received': { it: 'Avviso di delega ricevuta', en: 'Delegation received notice' },
  'delegation-accepted': { it: 'Avviso di delega accettata', en: 'Delegation accepted notice' },
  'delegation-ended': { it: 'Avviso di delega terminata', en: 'Delegation ended notice' },
  'reissue-notice-recovery': { it: 'Avviso di nuovo PIN (ripristino)', en: 'New PIN notice (recovery)' },
  'reissue-notice-remote_identification': { it: 'Avviso di nuovo PIN (identificazione da remoto)', en: 'New PIN notice (remote identification)' },
  'contact-added': { it: 'Avviso al recapito aggiunto', en: 'Notice to the contact added' },
  'contact-removed': { it: 'Avviso al recapito tolto', en: 'Notice to the contact removed' },
  'contacts-changed': { it: 'Avviso di recapiti modificati', en: 'Contacts changed notice' },
};

/** A notice's delivery (outbox.status). */
export const NOTICE_STATUSES: Vocabulary = {
  pending: { it: 'in coda', en: 'queued' },
  sent: { it: 'inviato', en: 'sent' },
  failed: { it: 'non recapitato', en: 'not delivered' },
};

export const LETTER_REASONS: Vocabulary = {
  initial: { it: 'prima lettera', en: 'first letter' },
  resend: { it: 'nuova lettera', en: 'new letter' },
};

export const LETTER_STATUSES: Vocabulary = {
  queued: { it: 'in attesa di spedizione', en: 'waiting to be posted' },
  dispatched: { it: 'spedita', en: 'posted' },
  returned: { it: 'restituita al mittente', en: 'returned to sender' },
  void: { it: 'annullata', en: 'void' },
};

/** A day's mail-room batch (mailroom_batches.status). */
export const BATCH_STATUSES: Vocabulary = {
  open: { it: 'aperto', en: 'open' },
  closed: { it: 'chiuso, in stampa', en: 'closed, being printed' },
  dispatched: { it: 'spedito', en: 'dispatched' },
};

// -- conversion review ------------------------------------------------------------------------

export const REVIEW_STATUSES: Vocabulary = {
  open: { it: 'Da prendere in carico', en: 'Open' },
  claimed: { it: 'In lavorazione', en: 'Claimed' },
  awaiting_second_review: { it: 'In attesa di seconda verifica', en: 'Awaiting second review' },
  approved: { it: 'Approvata', en: 'Approved' },
  rejected: { it: 'Respinta', en: 'Rejected' },
};

/** How the conversion request arrived (review_cases.source). */
export const CASE_SOURCES: Vocabulary = {
  online: { it: 'online', en: 'online' },
  fax: { it: 'fax', en: 'fax' },
  office: { it: 'sportello', en: 'counter' },
};

/** Why a case needs a second clerk (services/conversion/conversions.ts riskFlags). */
export const RISK_FLAGS: Vocabulary = {
  residence_mismatch: { it: 'residenza diversa da quella in archivio', en: 'residence differs from the records' },
  recent_lockout: { it: 'blocco recente per PIN errati', en: 'recent lock-out for wrong PINs' },
  recent_recovery_or_contact_change: { it: 'ripristino o cambio di recapiti recente', en: 'recent recovery or contact change' },
  fax_source: { it: 'richiesta arrivata per fax', en: 'request received by fax' },
};

export const DOCUMENT_KINDS: Vocabulary = {
  signed_request: { it: 'Modulo di richiesta firmato', en: 'Signed request form' },
  identity_document: { it: 'Documento di identità', en: 'Identity document' },
  fax: { it: 'Fax', en: 'Fax' },
  mv35: { it: 'Modulo MV35', en: 'MV35 form' },
};

export const MEDIA_TYPES: Vocabulary = {
  'application/pdf': { it: 'PDF', en: 'PDF' },
  'image/jpeg': { it: 'immagine JPEG', en: 'JPEG image' },
  'image/png': { it: 'immagine PNG', en: 'PNG image' },
};

/** A rejection's reason as the staff pick it (domain/review-reasons.ts). */
export const REJECTION_REASON_LABELS: Vocabulary = Object.fromEntries(REJECTION_REASON_CODES.map((code) => [code, rejectionLabel(code)]));

/** A decision's reason: its code's label, or (decided before reason codes) its free text. */
export function reasonSaid(ctx: { lang: Lang }, reasonCode: string | null | undefined, legacyText: string | null | undefined): string {
  if (isRejectionReasonCode(reasonCode)) return rejectionLabel(reasonCode)[ctx.lang];
  return rejectionText(undefined, legacyText)?.[ctx.lang] ?? '';
}

// -- claims -----------------------------------------------------------------------------------

export const CLAIM_STATUSES: Vocabulary = {
  waiting_for_dispositivo: { it: 'in attesa del PIN dispositivo', en: 'waiting for the dispositivo PIN' },
  released: { it: 'sbloccata, in avvio', en: 'released, starting' },
  in_processing: { it: 'in lavorazione', en: 'being processed' },
  accepted: { it: 'accolta', en: 'accepted' },
  rejected: { it: 'respinta', en: 'rejected' },
  withdrawn: { it: 'ritirata dal richiedente', en: 'withdrawn by the claimant' },
  cancelled: { it: 'annullata (PIN revocato)', en: 'cancelled (PIN revoked)' },
};

/** A claim type's name, from the service catalogue (domain/services.ts). */
export function claimTypeLabel(ctx: { lang: Lang }, type: string): SafeHtml | string {
  const name = serviceById(type)?.name;
  return name ? name[ctx.lang] : html`<code>${type}</code>`;
}

// -- recovery, telephone PINs, delegations, identity checks ----------------------------------

export const RECOVERY_STATUSES: Vocabulary = {
  requested: { it: 'chiesto', en: 'requested' },
  sent: { it: 'link inviato', en: 'link sent' },
  used: { it: 'completato', en: 'completed' },
  expired: { it: 'link scaduto', en: 'link expired' },
  void: { it: 'annullato', en: 'cancelled' },
};

export const TELEPHONE_PIN_VALIDITIES: Vocabulary = VALIDITY_LABEL;

export const TELEPHONE_PIN_STATUSES: Vocabulary = {
  active: { it: 'attivo', en: 'active' },
  expired: { it: 'scaduto', en: 'expired' },
  revoked: { it: 'revocato', en: 'revoked' },
  locked: { it: 'bloccato (troppi tentativi errati)', en: 'locked (too many wrong tries)' },
};

/** How the citizen signed in before creating a telephone PIN (proper names, the same in both languages). */
export const SIGN_IN_METHODS: Vocabulary = {
  SPID: { it: 'SPID', en: 'SPID' },
  CIE: { it: 'CIE', en: 'CIE' },
  CNS: { it: 'CNS', en: 'CNS' },
};

export const DELEGATION_SCOPES: Vocabulary = {
  consult: { it: 'Sola consultazione', en: 'Consulting only' },
  consult_and_claims: { it: 'Consultazione e presentazione di domande', en: 'Consulting and filing claims' },
};

export const DELEGATION_STATUSES: Vocabulary = {
  pending: { it: 'In attesa di accettazione', en: 'Awaiting acceptance' },
  active: { it: 'Attiva', en: 'Active' },
  expired: { it: 'Scaduta', en: 'Expired' },
  revoked: { it: 'Revocata', en: 'Revoked' },
  declined: { it: 'Rifiutata', en: 'Declined' },
  lapsed: { it: 'Decaduta', en: 'Lapsed' },
};

/** Where a delegation was given (delegations.source). */
export const DELEGATION_SOURCES: Vocabulary = {
  online: { it: 'online', en: 'online' },
  office: { it: 'in sede', en: 'at an office' },
};

/** How an identity was checked (identity_verifications.method). */
export const IDENTITY_CHECK_METHODS: Vocabulary = {
  counter: { it: 'Identità verificata allo sportello', en: 'Identity checked at the counter' },
  remote: { it: 'Identità verificata da remoto', en: 'Identity checked remotely' },
};

/** Identity documents (domain/identity-document.ts). */
export const DOCUMENT_TYPES: Vocabulary = Object.fromEntries(Object.entries(IDENTITY_DOCUMENT_TYPES).map(([code, d]) => [code, d.label]));

/** Call-back time slots (domain/pin-request.ts). */
export const TIME_SLOTS: Vocabulary = Object.fromEntries(PREFERRED_TIME_SLOTS.map((s) => [s.id, s.label]));

/** The outcome of a call-back, and which address its letter goes to. */
export const CALLBACK_OUTCOMES: Vocabulary = {
  verified: { it: 'identità verificata', en: 'identity verified' },
  not_verified: { it: 'identità non verificata', en: 'identity not verified' },
  unreachable: { it: 'nessuna risposta', en: 'no answer' },
  expired: { it: 'scaduta senza esito', en: 'expired without an outcome' },
};

export const CALLBACK_ADDRESSES: Vocabulary = {
  record: { it: 'residenza in archivio', en: 'residence on record' },
  declared: { it: 'residenza dichiarata', en: 'declared residence' },
};

/** The contact fields (mobile, home phone, e-mail, PEC) with the request form's labels. */
export function contactFieldLabel(ctx: { lang: Lang }, field: string): string {
  return fieldLabel(ctx.lang, field) ?? field;
}

export const STAFF_ROLES: Vocabulary = ROLE_LABELS;

/** A country by its name (ISO 3166 code, names from Node's CLDR data: domain/countries.ts). */
export const countrySaid = (ctx: { lang: Lang }, code: string): string => countryName(code.toUpperCase())[ctx.lang];

// -- the credential's timeline ----------------------------------------------------------------

/** credential_events.type */
export const EVENT_TYPES: Vocabulary = {
  requested: { it: 'PIN richiesto', en: 'PIN requested' },
  callback_task_opened: { it: 'Richiamata aperta (residenza diversa dall’archivio)', en: 'Call-back opened (residence differs from the records)' },
  callback_verified: { it: 'Richiamata: identità verificata', en: 'Call-back: identity verified' },
  callback_not_verified: { it: 'Richiamata: identità non verificata', en: 'Call-back: identity not verified' },
  callback_unreachable: { it: 'Richiamata: nessuna risposta', en: 'Call-back: no answer' },
  request_refused: { it: 'Richiesta respinta (identità non verificata)', en: 'Request refused (identity not verified)' },
  letter_returned_after_activation: { it: 'Lettera restituita dopo il primo accesso: possibile intercettazione', en: 'Letter returned after the first access: possible interception' },
  pin_issued: { it: 'PIN generato', en: 'PIN generated' },
  letter_requested: { it: 'Nuova lettera richiesta', en: 'New letter requested' },
  letter_queued: { it: 'Lettera accodata al lotto', en: 'Letter queued in a batch' },
  letter_dispatched: { it: 'Lettera spedita', en: 'Letter dispatched' },
  letter_returned: { it: 'Lettera restituita al mittente', en: 'Letter returned to sender' },
  posted_half_voided: { it: 'Parte di PIN spedita annullata (lettera restituita)', en: 'Posted PIN half voided (letter returned)' },
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

/** The `reason` an event records: why a call-back, a revocation, a new PIN, a delegation's end. */
export const EVENT_REASONS: Vocabulary = {
  residence_mismatch: { it: 'residenza diversa dall’archivio', en: 'residence differs from the records' },
  holder: { it: 'chiesta dal titolare', en: 'asked by the holder' },
  contact_centre: { it: 'dal Contact center', en: 'by the contact centre' },
  staff: { it: 'dal personale', en: 'by the staff' },
  recovery: { it: 'ripristino', en: 'recovery' },
  remote_identification: { it: 'identificazione da remoto', en: 'remote identification' },
  expired: { it: 'scaduta', en: 'expired' },
  revoked: { it: 'revocata', en: 'revoked' },
  declined: { it: 'rifiutata dal delegato', en: 'declined by the delegate' },
  lapsed: { it: 'non accettata in tempo', en: 'not accepted in time' },
};

/** Who acted, when not a person's id (`staff:…`, `operator:…`). */
export const ACTORS: Vocabulary = {
  system: { it: 'sistema', en: 'system' },
  anonymous: { it: 'anonimo', en: 'anonymous' },
  citizen: { it: 'cittadino', en: 'citizen' },
  holder: { it: 'titolare', en: 'holder' },
  delegate: { it: 'delegato', en: 'delegate' },
  'citizen:recovery-link': { it: 'titolare (link di ripristino)', en: 'holder (recovery link)' },
};

/** The kind of an actor written `<kind>:<who>` (a staff member's username, an address, a record's id). */
export const ACTOR_KINDS: Vocabulary = {
  staff: { it: 'personale', en: 'staff' },
  operator: { it: 'operatore', en: 'operator' },
  clerk: { it: 'operatore di sportello', en: 'counter clerk' },
  citizen: { it: 'titolare', en: 'holder' },
  delegate: { it: 'delegato', en: 'delegate' },
  ip: { it: 'indirizzo IP', en: 'IP address' },
};

/**
 * An actor as a person reads it: "sistema", "personale mrossi", "operatore oper1", "indirizzo IP
 * 127.0.0.1"; a record's id is cut to a short reference ("delegato (rif. 8f4e52f5)").
 */
export function actorSaid(ctx: { lang: Lang }, actor: string): string {
  const plain = labelIn(ctx.lang, ACTORS, actor);
  if (plain) return plain;
  const colon = actor.indexOf(':');
  const kind = colon > 0 ? labelIn(ctx.lang, ACTOR_KINDS, actor.slice(0, colon)) : undefined;
  if (!kind) return actor;
  const who = actor.slice(colon + 1);
  const id = /^([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i.exec(who)?.[1];
  return id ? `${kind} (${ctx.lang === 'it' ? 'rif.' : 'ref.'} ${id})` : `${kind} ${who}`;
}

// -- the audit log ----------------------------------------------------------------------------

/** audit_log.action: what was done (a console action is `console.` + its name). */
export const AUDIT_ACTIONS: Vocabulary = {
  login: { it: 'Accesso con PIN', en: 'Login with PIN' },
  logout: { it: 'Uscita', en: 'Logout' },
  first_access: { it: 'Primo accesso', en: 'First access' },
  regeneration: { it: 'Nuovo PIN dopo la scadenza', en: 'New PIN after expiry' },
  letter_resend: { it: 'Nuova lettera chiesta', en: 'New letter asked for' },
  upload: { it: 'Documento caricato', en: 'Document uploaded' },
  document_read: { it: 'Documento consultato', en: 'Document read' },
  callback_outcome: { it: 'Esito della richiamata', en: 'Call-back outcome' },
  claim_decision: { it: 'Decisione sulla domanda', en: 'Claim decision' },
  claim_withdrawn: { it: 'Domanda ritirata', en: 'Claim withdrawn' },
  'contacts.change': { it: 'Cambio dei recapiti', en: 'Contact change' },
  conversion_requested: { it: 'Conversione richiesta', en: 'Conversion requested' },
  convert_to_dispositivo: { it: 'PIN convertito in dispositivo', en: 'PIN converted to dispositivo' },
  counter_issuance: { it: 'Rilascio allo sportello (MV35)', en: 'Counter issuance (MV35)' },
  office_identification: { it: 'Identificazione in sede', en: 'Identification at an office' },
  remote_identification: { it: 'Identificazione da remoto', en: 'Remote identification' },
  recovery: { it: 'Ripristino del PIN', en: 'PIN recovery' },
  'recovery.request': { it: 'Ripristino chiesto', en: 'Recovery asked for' },
  'recovery.confirm': { it: 'Ripristino confermato', en: 'Recovery confirmed' },
  'revocation.request': { it: 'Revoca chiesta dal titolare', en: 'Revocation asked by the holder' },
  revoke: { it: 'Revoca del PIN', en: 'PIN revocation' },
  'revoke.caller_verified': { it: 'Revoca: chiamante verificato', en: 'Revocation: caller verified' },
  request_refused: { it: 'Richiesta respinta', en: 'Request refused' },
  letter_returned: { it: 'Lettera restituita', en: 'Letter returned' },
  letter_returned_after_activation: { it: 'Lettera restituita dopo il primo accesso', en: 'Letter returned after the first access' },
  review_claim: { it: 'Pratica presa in carico', en: 'Case claimed' },
  review_first_approval: { it: 'Prima approvazione', en: 'First approval' },
  review_approve: { it: 'Pratica approvata', en: 'Case approved' },
  review_reject: { it: 'Pratica respinta', en: 'Case rejected' },
  review_escalated: { it: 'Pratica scalata al supervisore', en: 'Case escalated to a supervisor' },
  'delegation.create': { it: 'Delega conferita', en: 'Delegation granted' },
  'delegation.accept': { it: 'Delega accettata', en: 'Delegation accepted' },
  'delegation.end': { it: 'Delega terminata', en: 'Delegation ended' },
  'delegation.register_office': { it: 'Delega registrata in sede', en: 'Delegation registered at an office' },
  'delegation.revoke.note': { it: 'Nota della revoca di una delega', en: 'Note of a delegation’s revocation' },
  'delegation.receipt': { it: 'Ricevuta di una delega registrata in sede', en: 'Receipt of a delegation registered at an office' },
  'delegate.consult_claims': { it: 'Il delegato consulta le domande', en: 'The delegate reads the claims' },
  'delegate.file_claim': { it: 'Il delegato presenta una domanda', en: 'The delegate files a claim' },
  'identity.sign_in': { it: 'Accesso con SPID, CIE o CNS', en: 'Sign-in with SPID, CIE or CNS' },
  'identity.sign_out': { it: 'Uscita da SPID, CIE o CNS', en: 'Sign-out from SPID, CIE or CNS' },
  'telephone_pin.created': { it: 'PIN telefonico creato', en: 'Telephone PIN created' },
  'telephone_pin.revoked': { it: 'PIN telefonico revocato', en: 'Telephone PIN revoked' },
  'telephone_pin.expired': { it: 'PIN telefonico scaduto', en: 'Telephone PIN expired' },
  'telephone_pin.abandoned': { it: 'PIN telefonico abbandonato', en: 'Telephone PIN abandoned' },
  'telephone_pin.verify_caller': { it: 'Verifica del chiamante con PIN telefonico', en: 'Caller verified by telephone PIN' },
  'staff_account.create': { it: 'Account del personale creato', en: 'Staff account created' },
  'staff_account.reset': { it: 'Nuove credenziali dell’account', en: 'New account credentials' },
  'staff_account.reset_credentials': { it: 'Nuove credenziali dell’account', en: 'New account credentials' },
  'staff_account.disable': { it: 'Account disattivato', en: 'Account disabled' },
  'staff_account.enable': { it: 'Account riattivato', en: 'Account enabled' },
  'staff_account.change_password': { it: 'Password cambiata', en: 'Password changed' },
  'staff_token.issue': { it: 'Token API creato', en: 'API token created' },
  'staff_token.revoke': { it: 'Token API revocato', en: 'API token revoked' },
  // The console's own actions (console/*.ts `act`).
  'console.login': { it: 'Console: accesso', en: 'Console: login' },
  'console.logout': { it: 'Console: uscita', en: 'Console: logout' },
  'console.password_change': { it: 'Console: cambio password', en: 'Console: password change' },
  'console.citizen_lookup': { it: 'Console: ricerca cittadino', en: 'Console: citizen lookup' },
  'console.review.claim': { it: 'Console: pratica presa in carico', en: 'Console: case claimed' },
  'console.review.decision': { it: 'Console: decisione sulla pratica', en: 'Console: case decision' },
  'console.claims.decision': { it: 'Console: decisione sulla domanda di prestazione', en: 'Console: benefit claim decision' },
  'console.review.second-review': { it: 'Console: seconda verifica', en: 'Console: second review' },
  'console.counter.issue': { it: 'Console: rilascio allo sportello', en: 'Console: counter issuance' },
  'console.counter.envelope_shown': { it: 'Console: busta sigillata mostrata', en: 'Console: sealed envelope shown' },
  'console.counter.convert': { it: 'Console: conversione allo sportello', en: 'Console: conversion at the counter' },
  'console.counter.fax_intake': { it: 'Console: fax allegato', en: 'Console: fax attached' },
  'console.counter.register_delegation': { it: 'Console: delega registrata', en: 'Console: delegation registered' },
  'console.counter.revoke_delegation': { it: 'Console: delega revocata', en: 'Console: delegation revoked' },
  'console.counter.delegations_lookup': { it: 'Console: ricerca delle deleghe', en: 'Console: delegations lookup' },
  'console.callback.outcome': { it: 'Console: esito della richiamata', en: 'Console: call-back outcome' },
  'console.contact_centre.pin_request': { it: 'Console: richiesta PIN per un chiamante', en: 'Console: PIN request for a caller' },
  'console.contact_centre.verify_caller': { it: 'Console: verifica del PIN telefonico', en: 'Console: telephone PIN verification' },
  'console.contact_centre.add_contact': { it: 'Console: recapito aggiunto', en: 'Console: contact added' },
  'console.contact_centre.revoke': { it: 'Console: PIN revocato', en: 'Console: PIN revoked' },
  'console.contact_centre.remote_identification': { it: 'Console: identificazione da remoto', en: 'Console: remote identification' },
  'console.mailroom.dispatch': { it: 'Console: lotto spedito', en: 'Console: batch dispatched' },
  'console.mailroom.manifest_download': { it: 'Console: manifesto scaricato', en: 'Console: manifest downloaded' },
  'console.mailroom.print_download': { it: 'Console: file di stampa scaricato', en: 'Console: print file downloaded' },
  'console.mailroom.letter_download': { it: 'Console: lettera scaricata', en: 'Console: letter downloaded' },
  'console.mailroom.letter_returned': { it: 'Console: lettera restituita', en: 'Console: letter returned' },
  'console.staff_account.create': { it: 'Console: account creato', en: 'Console: account created' },
  'console.staff_account.reset': { it: 'Console: nuove credenziali', en: 'Console: new credentials' },
  'console.staff_account.disable': { it: 'Console: account disattivato', en: 'Console: account disabled' },
  'console.staff_account.enable': { it: 'Console: account riattivato', en: 'Console: account enabled' },
  'console.staff_token.issue': { it: 'Console: token API creato', en: 'Console: API token created' },
  'console.staff_token.revoke': { it: 'Console: token API revocato', en: 'Console: API token revoked' },
  'console.audit.check': { it: 'Console: verifica della catena di audit', en: 'Console: audit chain check' },
};

/** audit_log.decision: how it ended. */
export const AUDIT_DECISIONS: Vocabulary = {
  done: { it: 'eseguita', en: 'done' },
  already_done: { it: 'già eseguita (richiesta ripetuta)', en: 'already done (repeated request)' },
  already_revoked: { it: 'già revocato (richiesta ripetuta)', en: 'already revoked (repeated request)' },
  refused: { it: 'rifiutata', en: 'refused' },
  granted: { it: 'consentito', en: 'granted' },
  denied: { it: 'negato', en: 'denied' },
  served: { it: 'consegnata', en: 'served' },
  verified: { it: 'verificato', en: 'verified' },
  not_verified: { it: 'non verificato', en: 'not verified' },
  unreachable: { it: 'nessuna risposta', en: 'no answer' },
  half_voided: { it: 'parte di PIN annullata', en: 'PIN half voided' },
  pin_activated: { it: 'PIN attivato', en: 'PIN activated' },
  pin_superseded: { it: 'PIN sostituito', en: 'PIN replaced' },
  disabled: { it: 'disattivato', en: 'disabled' },
  enabled: { it: 'riattivato', en: 'enabled' },
  approved: { it: 'approvata', en: 'approved' },
  rejected: { it: 'respinta', en: 'rejected' },
  accepted: { it: 'accolta', en: 'accepted' },
  claim: { it: 'presa in carico', en: 'claimed' },
  first_approval: { it: 'prima approvazione', en: 'first approval' },
  approve: { it: 'approvata', en: 'approved' },
  reject: { it: 'respinta', en: 'rejected' },
  abandoned: { it: 'abbandonato', en: 'abandoned' },
  changed: { it: 'modificati', en: 'changed' },
  confirmed: { it: 'confermato', en: 'confirmed' },
  created: { it: 'creato', en: 'created' },
  declined: { it: 'rifiutata', en: 'declined' },
  delegate_for_delegator: { it: 'per conto del delegante', en: 'on behalf of the delegator' },
  ended: { it: 'terminata', en: 'ended' },
  expired: { it: 'scaduto', en: 'expired' },
  identified: { it: 'identificato', en: 'identified' },
  issued: { it: 'rilasciato', en: 'issued' },
  lapsed: { it: 'decaduta', en: 'lapsed' },
  link_requested: { it: 'link chiesto', en: 'link requested' },
  locked: { it: 'bloccato', en: 'locked' },
  locked_permanently: { it: 'bloccato definitivamente', en: 'locked for good' },
  not_matched: { it: 'dati non corrispondenti', en: 'data not matching' },
  pin_expired: { it: 'PIN scaduto', en: 'PIN expired' },
  pin_reissued: { it: 'nuovo PIN emesso', en: 'new PIN issued' },
  quarantined: { it: 'messo in quarantena', en: 'quarantined' },
  recorded: { it: 'registrata', en: 'recorded' },
  registered: { it: 'registrata', en: 'registered' },
  reset: { it: 'credenziali rigenerate', en: 'credentials reset' },
  revoked: { it: 'revocato', en: 'revoked' },
  throttled: { it: 'troppi tentativi', en: 'too many attempts' },
  undone: { it: 'annullato', en: 'undone' },
};
