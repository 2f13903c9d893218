/**
 * Texts of the recovery link, contact-change and delegation notices, bilingual (Italian first).
 * Like templates.ts, each returns what goes into the (encrypted) outbox payload.
 */
import { italianCalendarDate } from '../domain/calendar';
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

/** To the delegator or the delegate, when a delegation starts (`acceptBy`: it waits for the delegate's consent until then). */
export function delegationCreatedMessage(
  holder: Holder,
  role: 'delegator' | 'delegate',
  d: { otherCodiceFiscale: string; scope: 'consult' | 'consult_and_claims'; endsOn: string; acceptBy?: string; office?: string | null },
): MessageContent {
  const scope = SCOPE_TEXT[d.scope];
  const where = d.office ? { it: ` presso la sede INPS di ${d.office}`, en: ` at the INPS office of ${d.office}` } : { it: '', en: '' };
  if (d.acceptBy) {
    // The last Italian day it can be accepted (the deadline may be the midnight ending a day).
    const by = italianCalendarDate(new Date(Date.parse(d.acceptBy) - 1));
    return role === 'delegator'
      ? mail(
          holder,
          'INPS – Delega registrata, in attesa di accettazione / Delegation registered, awaiting acceptance',
          [
            `è stata registrata${where.it} la delega alla persona con codice fiscale ${d.otherCodiceFiscale} a ${scope.it} per tuo conto, fino al ${d.endsOn}.`,
            `La delega vale solo quando il delegato la accetta, entro il ${by}; altrimenti decade.`,
            'Puoi revocarla in qualsiasi momento dalla tua area personale o presso una sede INPS.',
          ],
          [
            `a delegation${where.en} to the person with codice fiscale ${d.otherCodiceFiscale} to ${scope.en} on your behalf, until ${d.endsOn}, has been registered.`,
            `It applies only once the delegate accepts it, by ${by}; otherwise it lapses.`,
            'You can revoke it at any time from your personal area or at an INPS office.',
          ],
        )
      : mail(
          holder,
          'INPS – Delega da accettare / A delegation awaits your acceptance',
          [
            `la persona con codice fiscale ${d.otherCodiceFiscale} ti ha delegato${where.it} a ${scope.it} per suo conto, fino al ${d.endsOn}.`,
            `Accedi con il tuo PIN alla pagina «Deleghe» della tua area personale per accettarla o rifiutarla entro il ${by}; altrimenti decade.`,
          ],
          [
            `the person with codice fiscale ${d.otherCodiceFiscale} has delegated you${where.en} to ${scope.en} on their behalf, until ${d.endsOn}.`,
            `Log in with your own PIN and open "Delegations" in your personal area to accept or decline it by ${by}; otherwise it lapses.`,
          ],
        );
  }
  return role === 'delegator'
    ? mail(
        holder,
        'INPS – Delega registrata / Delegation registered',
        [`hai delegato la persona con codice fiscale ${d.otherCodiceFiscale} a ${scope.it} per tuo conto, fino al ${d.endsOn}.`, 'Puoi revocare la delega in qualsiasi momento dalla tua area personale o tramite il Contact center.'],
        [`you have delegated the person with codice fiscale ${d.otherCodiceFiscale} to ${scope.en} on your behalf, until ${d.endsOn}.`, 'You can revoke the delegation at any time from your personal area or through the contact centre.'],
      )
    : mail(
        holder,
        'INPS – Hai ricevuto una delega / You have been given a delegation',
        [`la persona con codice fiscale ${d.otherCodiceFiscale} ti ha delegato a ${scope.it} per suo conto, fino al ${d.endsOn}.`, 'Accedi con il tuo PIN: le operazioni fatte per conto del delegante sono registrate.'],
        [`the person with codice fiscale ${d.otherCodiceFiscale} has delegated you to ${scope.en} on their behalf, until ${d.endsOn}.`, 'Log in with your own PIN: what you do on their behalf is recorded.'],
      );
}

/** To both parties, when the delegate accepts a delegation. */
export function delegationAcceptedMessage(holder: Holder, role: 'delegator' | 'delegate', d: { otherCodiceFiscale: string; endsOn: string }): MessageContent {
  return role === 'delegator'
    ? mail(
        holder,
        'INPS – Delega accettata / Delegation accepted',
        [`la persona con codice fiscale ${d.otherCodiceFiscale} ha accettato la tua delega: da ora può operare per tuo conto, fino al ${d.endsOn}.`, 'Puoi revocarla in qualsiasi momento.'],
        [`the person with codice fiscale ${d.otherCodiceFiscale} has accepted your delegation: from now on they may act on your behalf, until ${d.endsOn}.`, 'You can revoke it at any time.'],
      )
    : mail(
        holder,
        'INPS – Delega accettata / Delegation accepted',
        [`hai accettato la delega della persona con codice fiscale ${d.otherCodiceFiscale}, valida fino al ${d.endsOn}. Le operazioni fatte per suo conto sono registrate.`],
        [`you have accepted the delegation of the person with codice fiscale ${d.otherCodiceFiscale}, valid until ${d.endsOn}. What you do on their behalf is recorded.`],
      );
}

const ENDED_WHY: Record<'expired' | 'revoked' | 'declined' | 'lapsed', { it: string; en: string }> = {
  expired: { it: 'è scaduta', en: 'has reached its end date' },
  revoked: { it: 'è stata revocata', en: 'has been revoked' },
  declined: { it: 'è stata rifiutata dal delegato', en: 'has been declined by the delegate' },
  lapsed: { it: 'è decaduta perché non accettata in tempo', en: 'has lapsed: it was not accepted in time' },
};

/** To both parties, when a delegation ends (end date reached, revoked, declined, or not accepted in time). */
export function delegationEndedMessage(holder: Holder, reason: 'expired' | 'revoked' | 'declined' | 'lapsed', otherCodiceFiscale: string): MessageContent {
  const why = ENDED_WHY[reason];
  return mail(
    holder,
    'INPS – Delega terminata / Delegation ended',
    [`la delega tra te e la persona con codice fiscale ${otherCodiceFiscale} ${why.it}: non è più possibile operare con essa.`],
    [`the delegation between you and the person with codice fiscale ${otherCodiceFiscale} ${why.en}: it can no longer be used.`],
  );
}
