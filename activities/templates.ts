/**
 * Texts of the notifications, bilingual (Italian first). Kept next to the activity that sends
 * them; each returns what goes into the (encrypted) outbox payload.
 */
import type { Bilingual } from '../domain/errors';
import { italianDateTime } from '../domain/calendar';

export interface MessageContent {
  subject: string;
  text: string;
}

export interface Holder {
  name: string;
  surname: string;
}

const spaced = (s: string): string => s.replace(/(.{4})(?=.)/g, '$1 ');

export function firstHalfMessage(holder: Holder, firstHalf: string, channel: 'sms' | 'email' | 'pec'): MessageContent {
  if (channel === 'sms') {
    return {
      subject: '',
      text: `INPS: prima parte del PIN / first part of your PIN: ${spaced(firstHalf)}. La seconda parte arriva per posta / the second part comes by post.`,
    };
  }
  return {
    subject: 'INPS – Prima parte del PIN / First part of your PIN',
    text: [
      `Buongiorno ${holder.name} ${holder.surname},`,
      '',
      `la prima parte del tuo PIN è: ${spaced(firstHalf)}`,
      'La seconda parte ti arriverà con una lettera all\'indirizzo di residenza. Al primo accesso con tutti i',
      '16 caratteri riceverai un PIN di 8 caratteri. Non comunicare il PIN a nessuno.',
      '',
      `Dear ${holder.name} ${holder.surname},`,
      '',
      `the first part of your PIN is: ${spaced(firstHalf)}`,
      'The second part will reach you by letter at your residence address. At your first access with all',
      '16 characters you will be given an 8-character PIN. Never share your PIN with anyone.',
      '',
      'INPS – Servizio PIN',
    ].join('\n'),
  };
}

export function reminderMessage(holder: Holder, portalUrl: string, channel: 'sms' | 'email' | 'pec'): MessageContent {
  if (channel === 'sms') {
    return {
      subject: '',
      text: `INPS: non hai ancora usato il PIN. Lettera non arrivata? / PIN not used yet. No letter? ${portalUrl}/portal/letter`,
    };
  }
  return {
    subject: 'INPS – Il tuo PIN non è ancora stato usato / Your PIN has not been used yet',
    text: [
      `Buongiorno ${holder.name} ${holder.surname},`,
      '',
      'non hai ancora fatto il primo accesso con il PIN. Se non hai ricevuto la lettera con la seconda',
      `parte, puoi chiederne una nuova: ${portalUrl}/portal/letter`,
      '',
      `Dear ${holder.name} ${holder.surname},`,
      '',
      'you have not yet made your first access with the PIN. If the letter with the second part did not',
      `arrive, you can ask for a new one: ${portalUrl}/portal/letter`,
      '',
      'INPS – Servizio PIN',
    ].join('\n'),
  };
}

export function expiryReminderMessage(holder: Holder, expiresOn: string, portalUrl: string, channel: 'sms' | 'email' | 'pec'): MessageContent {
  if (channel === 'sms') {
    return { subject: '', text: `INPS: il PIN scade il ${expiresOn} / your PIN expires on ${expiresOn}. ${portalUrl}/portal` };
  }
  return {
    subject: 'INPS – Il tuo PIN sta per scadere / Your PIN is about to expire',
    text: [
      `Buongiorno ${holder.name} ${holder.surname},`,
      '',
      `il tuo PIN scade il ${expiresOn}. Al primo accesso dopo la scadenza una procedura guidata ti`,
      'assegnerà un nuovo PIN con gli stessi servizi.',
      '',
      `Dear ${holder.name} ${holder.surname},`,
      '',
      `your PIN expires on ${expiresOn}. At your first access after that date a guided procedure will give`,
      'you a new PIN with the same services.',
      '',
      `${portalUrl}/portal`,
      'INPS – Servizio PIN',
    ].join('\n'),
  };
}

/** A bilingual e-mail body: greeting, Italian paragraph, English paragraph, signature. */
function bilingualMail(holder: Holder, subject: string, it: string[], en: string[]): MessageContent {
  return {
    subject,
    text: [`Buongiorno ${holder.name} ${holder.surname},`, '', ...it, '', `Dear ${holder.name} ${holder.surname},`, '', ...en, '', 'INPS – Servizio PIN'].join('\n'),
  };
}

export function conversionApprovedMessage(holder: Holder): MessageContent {
  return bilingualMail(
    holder,
    'INPS – Il tuo PIN è ora dispositivo / Your PIN is now a dispositivo PIN',
    ['la richiesta di conversione è stata accolta: il tuo PIN è ora dispositivo e ti permette di richiedere', 'prestazioni. Le domande che hai già presentato sono state avviate alla lavorazione. Il PIN non cambia.'],
    ['your conversion request was approved: your PIN is now a dispositivo PIN and lets you claim', 'benefits. Claims you already filed have gone to processing. Your PIN does not change.'],
  );
}

/** The rejection of a conversion, with its reason in each language (domain/review-reasons.ts). */
export function conversionRejectedMessage(holder: Holder, reason: Bilingual): MessageContent {
  return bilingualMail(
    holder,
    'INPS – Richiesta di conversione non accolta / Conversion request not approved',
    ['la richiesta di conversione del PIN in dispositivo non è stata accolta.', `Motivo: ${reason.it}`, 'Puoi presentare una nuova richiesta con i documenti corretti.'],
    ['your request to convert your PIN into a dispositivo PIN was not approved.', `Reason: ${reason.en}`, 'You may file a new request with the correct documents.'],
  );
}

export function reviewInProgressMessage(holder: Holder): MessageContent {
  return bilingualMail(
    holder,
    'INPS – Richiesta di conversione in lavorazione / Conversion request in progress',
    ['la tua richiesta di conversione del PIN in dispositivo è ancora in lavorazione: non devi fare nulla,', 'riceverai l\'esito per e-mail.'],
    ['your request to convert your PIN into a dispositivo PIN is still being processed: there is nothing', 'you need to do, the outcome will reach you by e-mail.'],
  );
}

export function secondHalfMessage(holder: Holder, secondHalf: string, channel: 'sms' | 'email' | 'pec'): MessageContent {
  if (channel === 'sms') {
    return { subject: '', text: `INPS: seconda parte del PIN / second part of your PIN: ${spaced(secondHalf)}` };
  }
  return bilingualMail(
    holder,
    'INPS – Seconda parte del PIN / Second part of your PIN',
    [`la seconda parte del tuo PIN è: ${spaced(secondHalf)}`, 'Con la prima parte (ricevuta su un altro canale) fai il primo accesso: riceverai un', 'PIN di 8 caratteri. Non comunicare il PIN a nessuno.'],
    [`the second part of your PIN is: ${spaced(secondHalf)}`, 'With the first part (sent on another channel) make your first access: you will be given an', '8-character PIN. Never share your PIN with anyone.'],
  );
}

/** First half of a PIN issued over two channels: the second half comes on another channel, not by post. */
export function twoChannelFirstHalfMessage(holder: Holder, firstHalf: string, channel: 'sms' | 'email' | 'pec'): MessageContent {
  if (channel === 'sms') {
    return { subject: '', text: `INPS: prima parte del nuovo PIN / first part of your new PIN: ${spaced(firstHalf)}. La seconda arriva per e-mail / the second comes by e-mail.` };
  }
  return bilingualMail(
    holder,
    'INPS – Prima parte del nuovo PIN / First part of your new PIN',
    [`la prima parte del tuo nuovo PIN è: ${spaced(firstHalf)}`, 'La seconda parte ti arriva su un altro recapito (e-mail o PEC).'],
    [`the first part of your new PIN is: ${spaced(firstHalf)}`, 'The second part reaches you at another contact (e-mail or PEC).'],
  );
}

export function pinReissuedNotice(holder: Holder, reason: 'recovery' | 'remote_identification', channel: 'sms' | 'email' | 'pec'): MessageContent {
  const what =
    reason === 'recovery'
      ? { it: 'è stato eseguito il ripristino del tuo PIN', en: 'your PIN has been recovered' }
      : { it: 'ti è stato assegnato un PIN dispositivo dopo il riconoscimento a distanza', en: 'you were given a dispositivo PIN after remote identification' };
  if (channel === 'sms') {
    return { subject: '', text: `INPS: ${what.it} / ${what.en}. Non sei stato tu? Chiama il Contact center / Not you? Call the contact centre.` };
  }
  return bilingualMail(
    holder,
    'INPS – Nuovo PIN emesso / New PIN issued',
    [`${what.it}. Il PIN precedente non è più valido.`, 'Se non hai chiesto tu questa operazione, chiama subito il Contact center.'],
    [`${what.en}. The previous PIN is no longer valid.`, 'If you did not ask for this, call the contact centre at once.'],
  );
}

export function revocationNotice(holder: Holder, channel: 'sms' | 'email' | 'pec'): MessageContent {
  if (channel === 'sms') {
    return { subject: '', text: 'INPS: il tuo PIN è stato revocato / your PIN has been revoked. Non sei stato tu? Chiama il Contact center / Not you? Call the contact centre.' };
  }
  return bilingualMail(
    holder,
    'INPS – PIN revocato / PIN revoked',
    ['il tuo PIN è stato revocato e non può più essere usato. Puoi richiedere un nuovo PIN.', 'Se non hai chiesto tu la revoca, chiama subito il Contact center.'],
    ['your PIN has been revoked and can no longer be used. You may request a new PIN.', 'If you did not ask for this, call the contact centre at once.'],
  );
}

/** The call-back did not verify the requester: the request is over, nothing was made or sent. */
export function requestRefusedMessage(holder: Holder, channel: 'sms' | 'email' | 'pec'): MessageContent {
  if (channel === 'sms') {
    return { subject: '', text: 'INPS: la richiesta di PIN non è stata accolta: non è stato possibile verificare l’identità / PIN request not accepted: identity could not be verified.' };
  }
  return bilingualMail(
    holder,
    'INPS – Richiesta di PIN non accolta / PIN request not accepted',
    [
      'la tua richiesta di PIN non è stata accolta: la residenza indicata non corrisponde a quella',
      'in archivio e non è stato possibile verificare la tua identità con la chiamata del Contact center.',
      'Puoi accedere con SPID o CIE, oppure chiedere il PIN presso una sede INPS con un documento di identità.',
    ],
    [
      'your PIN request was not accepted: the residence given does not match our records and your',
      'identity could not be verified by the contact centre’s call.',
      'You may sign in with SPID or CIE, or ask for a PIN at an INPS office with an identity document.',
    ],
  );
}

/** A sentence's first letter in capitals. */
const capitalised = (text: string): string => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

/**
 * One of the two parts of a dispositivo PIN given after remote identification: four characters
 * each, on two different contacts; together they are the 8-character PIN, usable at once.
 */
export function dispositivoPinPartMessage(holder: Holder, part: string, which: 1 | 2, channel: 'sms' | 'email' | 'pec'): MessageContent {
  const it = which === 1 ? 'prima' : 'seconda';
  const en = which === 1 ? 'first' : 'second';
  const other = { it: which === 1 ? 'la seconda parte arriva su un altro recapito' : 'la prima parte è arrivata su un altro recapito', en: which === 1 ? 'the second part comes at another contact' : 'the first part came at another contact' };
  if (channel === 'sms') {
    return { subject: '', text: `INPS: ${it} parte del PIN dispositivo / ${en} part of your dispositivo PIN: ${part}. ${capitalised(other.it)} / ${capitalised(other.en)}.` };
  }
  return bilingualMail(
    holder,
    `INPS – ${capitalised(it)} parte del PIN dispositivo / ${capitalised(en)} part of your dispositivo PIN`,
    [`la ${it} parte del tuo PIN dispositivo è: ${part} (${other.it}).`, 'Le due parti, una dopo l’altra, sono il PIN di 8 caratteri: usalo subito per accedere. Non comunicarlo a nessuno.'],
    [`the ${en} part of your dispositivo PIN is: ${part} (${other.en}).`, 'The two parts, one after the other, are your 8-character PIN: use it at once to sign in. Never share it.'],
  );
}

/** The back office's decision on a claim, with its reason. */
export function claimDecidedMessage(holder: Holder, protocol: string, decision: 'accepted' | 'rejected', reason?: string): MessageContent {
  const it = decision === 'accepted' ? 'è stata accolta' : 'non è stata accolta';
  const en = decision === 'accepted' ? 'has been accepted' : 'has not been accepted';
  return bilingualMail(
    holder,
    `INPS – Esito della domanda ${protocol} / Outcome of claim ${protocol}`,
    [`la tua domanda n. ${protocol} ${it}.`, ...(reason ? [`Motivo: ${reason}`] : []), 'Trovi il dettaglio nella tua area personale.'],
    [`your claim no. ${protocol} ${en}.`, ...(reason ? [`Reason: ${reason}`] : []), 'You will find the details in your personal area.'],
  );
}

/** The claims held for a revoked PIN are cancelled: the holder may file them again with a new PIN. */
export function claimsCancelledMessage(holder: Holder, protocols: string[]): MessageContent {
  return bilingualMail(
    holder,
    'INPS – Domande annullate / Claims cancelled',
    [
      `il tuo PIN è stato revocato: le domande in attesa del PIN dispositivo sono annullate (${protocols.join(', ')}).`,
      'Puoi presentarle di nuovo con un nuovo PIN; la data di ricezione originaria non si conserva.',
    ],
    [`your PIN has been revoked: the claims waiting for the dispositivo PIN are cancelled (${protocols.join(', ')}).`, 'You may file them again with a new PIN; the original received date is not kept.'],
  );
}

/** The request was received: its protocol number, and what happens next (a call first when the residence differs). */
export function requestReceivedMessage(holder: Holder, protocol: string, callback: boolean): MessageContent {
  return bilingualMail(
    holder,
    `INPS – Richiesta di PIN ricevuta (${protocol}) / PIN request received (${protocol})`,
    [
      `abbiamo ricevuto la tua richiesta di PIN: numero di protocollo ${protocol}. Conservalo per ogni richiesta di informazioni.`,
      callback
        ? 'La residenza indicata è diversa da quella nei nostri archivi: il Contact center ti richiamerà al numero preferenziale prima di emettere il PIN.'
        : 'Riceverai la prima metà del PIN ai recapiti indicati e la seconda per posta.',
      'Non hai fatto tu la richiesta? Chiama il Contact center.',
    ],
    [
      `we have received your PIN request: protocol number ${protocol}. Keep it for any enquiry.`,
      callback
        ? 'The residence you gave differs from our records: the contact centre will call you back at your preferred number before the PIN is issued.'
        : 'You will get the first half of the PIN at the contacts you gave and the second half by post.',
      'Did you not make this request? Call the contact centre.',
    ],
  );
}

/** What the claim-received notice says of a claim. */
export interface ReceivedClaim {
  protocol: string;
  /** The claim type's name. */
  name: Bilingual;
  /** ISO instant it was received. */
  receivedAt: string;
  /** Held for a dispositivo PIN (else processed at once). */
  held: boolean;
  /** Filed for the claimant by their delegate. */
  byDelegate: boolean;
}

/**
 * A claim was filed: its protocol number, when it was received (any deadline is met as of then),
 * and whether it is processed now or waits for the dispositivo PIN.
 */
export function claimReceivedMessage(holder: Holder, claim: ReceivedClaim): MessageContent {
  const { protocol } = claim;
  const when = { it: italianDateTime('it', claim.receivedAt, 'medium'), en: italianDateTime('en', claim.receivedAt, 'medium') };
  return bilingualMail(
    holder,
    `INPS – Domanda ricevuta (${protocol}) / Claim received (${protocol})`,
    [
      `abbiamo ricevuto la tua domanda «${claim.name.it}» il ${when.it} (ora italiana): numero di protocollo ${protocol}.`,
      ...(claim.byDelegate ? ['La domanda è stata presentata per te dal tuo delegato.'] : []),
      'Il termine è rispettato dalla data e dall’ora di ricezione.',
      claim.held
        ? 'La domanda sarà lavorata quando il tuo PIN sarà dispositivo: non devi presentarla di nuovo.'
        : 'La domanda è stata avviata alla lavorazione: riceverai l’esito per e-mail.',
      'Nella tua area personale puoi seguirla e scaricarne la ricevuta. Non riconosci questa domanda? Chiama il Contact center.',
    ],
    [
      `we have received your claim “${claim.name.en}” on ${when.en} (Italian time): protocol number ${protocol}.`,
      ...(claim.byDelegate ? ['The claim was filed for you by your delegate.'] : []),
      'Any deadline is met as of the date and time it was received.',
      claim.held
        ? 'The claim will be processed once your PIN is a dispositivo PIN: you do not need to file it again.'
        : 'The claim has been sent to processing: you will get the outcome by e-mail.',
      'In your personal area you can follow it and download its receipt. Do you not recognise this claim? Call the contact centre.',
    ],
  );
}
