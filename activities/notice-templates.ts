/**
 * Texts of the recovery link, contact-change and delegation notices, bilingual (Italian first).
 * Like templates.ts, each returns what goes into the (encrypted) outbox payload.
 */
import { italianCalendarDate } from '../domain/calendar';
import { formatDateLong } from '../forms/layout';
import type { Holder, MessageContent } from './templates';

type Channel = 'sms' | 'email' | 'pec';

function mail(holder: Holder | undefined, subject: string, it: string[], en: string[]): MessageContent {
  const greet = (word: string) => (holder ? `${word} ${holder.name} ${holder.surname},` : `${word},`);
  return { subject, text: [greet('Buongiorno'), '', ...it, '', greet('Dear'), '', ...en, '', 'INPS – Servizio PIN'].join('\n') };
}

/** The recovery confirmation link (e-mail or PEC only): single use, valid `validHours`. */
export function recoveryLinkMessage(holder: Holder, link: string, validHours: number): MessageContent {
  return mail(
    holder,
    'INPS – Conferma il ripristino del PIN / Confirm the recovery of your PIN',
    [
      'abbiamo ricevuto una richiesta di ripristino del tuo PIN. Per confermarla apri questo collegamento:',
      link,
      `Il collegamento vale ${validHours} ore e si può usare una sola volta. Confermando, il PIN attuale smette`,
      'di funzionare e ti inviamo un nuovo PIN: la prima parte per SMS, la seconda per e-mail o PEC.',
      'Se non hai chiesto tu il ripristino, ignora questo messaggio: il tuo PIN resta valido.',
    ],
    [
      'we received a request to recover your PIN. To confirm it, open this link:',
      link,
      `The link is valid for ${validHours} hours and can be used once. If you confirm, your current PIN stops`,
      'working and we send you a new PIN: the first part by text message, the second by e-mail or PEC.',
      'If you did not ask for this, ignore this message: your PIN stays valid.',
    ],
  );
}

const KIND_LABEL: Record<'mobile' | 'email' | 'pec', { it: string; en: string }> = {
  mobile: { it: 'il numero di cellulare', en: 'the mobile number' },
  email: { it: "l'indirizzo e-mail", en: 'the e-mail address' },
  pec: { it: "l'indirizzo PEC", en: 'the PEC address' },
};

/** To an address that is no longer (or no longer the only) contact of the PIN. */
export function contactRemovedMessage(holder: Holder, kind: 'mobile' | 'email' | 'pec', replacement: string | undefined, channel: Channel): MessageContent {
  const label = KIND_LABEL[kind];
  const now = replacement
    ? { it: ` Il nuovo recapito è ${replacement}.`, en: ` The new contact is ${replacement}.` }
    : { it: '', en: '' };
  if (channel === 'sms') {
    return { subject: '', text: `INPS: questo numero non è più un recapito del tuo PIN / this number is no longer a contact of your PIN. Non sei stato tu? Chiama il Contact center / Not you? Call the contact centre.` };
  }
  return mail(
    holder,
    'INPS – Recapito del PIN modificato / Contact of your PIN changed',
    [`${label.it} dei recapiti del tuo PIN è stato modificato: questo indirizzo non riceverà più i messaggi sul PIN.${now.it}`, 'Se non sei stato tu, chiama subito il Contact center.'],
    [`${label.en} among the contacts of your PIN has been changed: this address will no longer get messages about the PIN.${now.en}`, 'If this was not you, call the contact centre at once.'],
  );
}

/** To an address just added to the PIN's contacts. */
export function contactAddedMessage(holder: Holder, kind: 'mobile' | 'email' | 'pec', channel: Channel): MessageContent {
  const label = KIND_LABEL[kind];
  if (channel === 'sms') {
    return { subject: '', text: 'INPS: questo numero è ora un recapito del tuo PIN / this number is now a contact of your PIN. Non sei stato tu? Chiama il Contact center / Not you? Call the contact centre.' };
  }
  return mail(
    holder,
    'INPS – Nuovo recapito del PIN / New contact for your PIN',
    [`questo indirizzo è stato aggiunto ai recapiti del tuo PIN come ${label.it.replace(/^(il|l')\s?/, '')}.`, 'Se non sei stato tu, chiama subito il Contact center.'],
    [`this address has been added to the contacts of your PIN as ${label.en.replace(/^the /, '')}.`, 'If this was not you, call the contact centre at once.'],
  );
}

/** To the contacts that did not change, when others did: the holder hears of every change. */
export function contactsChangedMessage(holder: Holder, kinds: ('mobile' | 'email' | 'pec')[], channel: Channel): MessageContent {
  const list = (lang: 'it' | 'en') => kinds.map((k) => KIND_LABEL[k][lang]).join(', ');
  if (channel === 'sms') {
    return { subject: '', text: 'INPS: i recapiti del tuo PIN sono stati modificati / the contacts of your PIN were changed. Non sei stato tu? Chiama il Contact center / Not you? Call the contact centre.' };
  }
  return mail(
    holder,
    'INPS – Recapiti del PIN modificati / Contacts of your PIN changed',
    [`sono stati modificati i recapiti del tuo PIN: ${list('it')}.`, 'Se non sei stato tu, chiama subito il Contact center.'],
    [`the contacts of your PIN were changed: ${list('en')}.`, 'If this was not you, call the contact centre at once.'],
  );
}

const SCOPE_TEXT: Record<'consult' | 'consult_and_claims', { it: string; en: string }> = {
  consult: { it: 'consultare i dati', en: 'consult the data' },
  consult_and_claims: { it: 'consultare i dati e presentare domande di prestazione', en: 'consult the data and file benefit claims' },
};

/** The other party of a delegation: their name when the system has it, always their codice fiscale. */
export interface DelegationParty {
  codiceFiscale: string;
  /** "Name Surname", when known. */
  name?: string;
}

/** "Mario Rossi (codice fiscale …)", or "the person with codice fiscale …" when the name is not known. */
function party(p: DelegationParty): { it: string; en: string } {
  return p.name
    ? { it: `${p.name} (codice fiscale ${p.codiceFiscale})`, en: `${p.name} (codice fiscale ${p.codiceFiscale})` }
    : { it: `la persona con codice fiscale ${p.codiceFiscale}`, en: `the person with codice fiscale ${p.codiceFiscale}` };
}

/** A day as people read it: "30 giugno 2027" / "30 June 2027". */
const day = (isoDate: string) => ({ it: formatDateLong(isoDate, 'it'), en: formatDateLong(isoDate, 'en') });

const capital = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** To the delegator or the delegate, when a delegation starts (`acceptBy`: it waits for the delegate's consent until then). */
export function delegationCreatedMessage(
  holder: Holder,
  role: 'delegator' | 'delegate',
  d: { other: DelegationParty; scope: 'consult' | 'consult_and_claims'; endsOn: string; acceptBy?: string; office?: string | null },
): MessageContent {
  const scope = SCOPE_TEXT[d.scope];
  const other = party(d.other);
  const until = day(d.endsOn);
  const where = d.office ? { it: ` presso la sede INPS di ${d.office}`, en: ` at the INPS office of ${d.office}` } : { it: '', en: '' };
  if (d.acceptBy) {
    // The last Italian day it can be accepted (the deadline may be the midnight ending a day).
    const by = day(italianCalendarDate(new Date(Date.parse(d.acceptBy) - 1)));
    return role === 'delegator'
      ? mail(
          holder,
          'INPS – Delega registrata, in attesa di accettazione / Delegation registered, awaiting acceptance',
          [
            `è stata registrata${where.it} la delega a ${other.it} a ${scope.it} per tuo conto, fino al ${until.it}.`,
            `La delega vale solo quando il delegato la accetta, entro il ${by.it}; altrimenti decade.`,
            'Puoi revocarla in qualsiasi momento dalla tua area personale o presso una sede INPS.',
          ],
          [
            `a delegation${where.en} to ${other.en} to ${scope.en} on your behalf, until ${until.en}, has been registered.`,
            `It applies only once the delegate accepts it, by ${by.en}; otherwise it lapses.`,
            'You can revoke it at any time from your personal area or at an INPS office.',
          ],
        )
      : mail(
          holder,
          'INPS – Delega da accettare / A delegation awaits your acceptance',
          [
            `${capital(other.it)} ti ha delegato${where.it} a ${scope.it} per suo conto, fino al ${until.it}.`,
            `Accedi con il tuo PIN alla pagina «Deleghe» della tua area personale per accettarla o rifiutarla entro il ${by.it}; altrimenti decade.`,
          ],
          [
            `${capital(other.en)} has delegated you${where.en} to ${scope.en} on their behalf, until ${until.en}.`,
            `Log in with your own PIN and open "Delegations" in your personal area to accept or decline it by ${by.en}; otherwise it lapses.`,
          ],
        );
  }
  return role === 'delegator'
    ? mail(
        holder,
        'INPS – Delega registrata / Delegation registered',
        [`hai delegato ${other.it} a ${scope.it} per tuo conto, fino al ${until.it}.`, 'Puoi revocare la delega in qualsiasi momento dalla tua area personale o tramite il Contact center.'],
        [`you have delegated ${other.en} to ${scope.en} on your behalf, until ${until.en}.`, 'You can revoke the delegation at any time from your personal area or through the contact centre.'],
      )
    : mail(
        holder,
        'INPS – Hai ricevuto una delega / You have been given a delegation',
        [`${capital(other.it)} ti ha delegato a ${scope.it} per suo conto, fino al ${until.it}.`, 'Accedi con il tuo PIN: le operazioni fatte per conto del delegante sono registrate.'],
        [`${capital(other.en)} has delegated you to ${scope.en} on their behalf, until ${until.en}.`, 'Log in with your own PIN: what you do on their behalf is recorded.'],
      );
}

/** To both parties, when the delegate accepts a delegation. */
export function delegationAcceptedMessage(holder: Holder, role: 'delegator' | 'delegate', d: { other: DelegationParty; endsOn: string }): MessageContent {
  const other = party(d.other);
  const until = day(d.endsOn);
  return role === 'delegator'
    ? mail(
        holder,
        'INPS – Delega accettata / Delegation accepted',
        [`${capital(other.it)} ha accettato la tua delega: da ora può operare per tuo conto, fino al ${until.it}.`, 'Puoi revocarla in qualsiasi momento.'],
        [`${capital(other.en)} has accepted your delegation: from now on they may act on your behalf, until ${until.en}.`, 'You can revoke it at any time.'],
      )
    : mail(
        holder,
        'INPS – Delega accettata / Delegation accepted',
        [`hai accettato la delega di ${other.it}, valida fino al ${until.it}. Le operazioni fatte per suo conto sono registrate.`],
        [`you have accepted the delegation of ${other.en}, valid until ${until.en}. What you do on their behalf is recorded.`],
      );
}

const ENDED_WHY: Record<'expired' | 'revoked' | 'declined' | 'lapsed', { it: string; en: string }> = {
  expired: { it: 'è scaduta', en: 'has reached its end date' },
  revoked: { it: 'è stata revocata', en: 'has been revoked' },
  declined: { it: 'è stata rifiutata dal delegato', en: 'has been declined by the delegate' },
  lapsed: { it: 'è decaduta perché non accettata in tempo', en: 'has lapsed: it was not accepted in time' },
};

/** To both parties, when a delegation ends (end date reached, revoked, declined, or not accepted in time). */
export function delegationEndedMessage(holder: Holder, reason: 'expired' | 'revoked' | 'declined' | 'lapsed', otherParty: DelegationParty): MessageContent {
  const why = ENDED_WHY[reason];
  const other = party(otherParty);
  return mail(
    holder,
    'INPS – Delega terminata / Delegation ended',
    [`la delega tra te e ${other.it} ${why.it}: non è più possibile operare con essa.`],
    [`the delegation between you and ${other.en} ${why.en}: it can no longer be used.`],
  );
}
