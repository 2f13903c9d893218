/**
 * Texts of the notifications, bilingual (Italian first). Kept next to the activity that sends
 * them; each returns what goes into the (encrypted) outbox payload.
 */
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
      `Gentile ${holder.name} ${holder.surname},`,
      '',
      `la prima parte del Suo PIN è: ${spaced(firstHalf)}`,
      'La seconda parte Le arriverà con una lettera all\'indirizzo di residenza. Al primo accesso con tutti i',
      '16 caratteri Le sarà assegnato un PIN di 8 caratteri. Non comunichi il PIN a nessuno.',
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
      text: `INPS: non ha ancora usato il PIN. Lettera non arrivata? / PIN not used yet. No letter? ${portalUrl}/portal/letter`,
    };
  }
  return {
    subject: 'INPS – Il Suo PIN non è ancora stato usato / Your PIN has not been used yet',
    text: [
      `Gentile ${holder.name} ${holder.surname},`,
      '',
      'non ha ancora effettuato il primo accesso con il PIN. Se non ha ricevuto la lettera con la seconda',
      `parte, può chiederne una nuova: ${portalUrl}/portal/letter`,
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
    subject: 'INPS – Il Suo PIN sta per scadere / Your PIN is about to expire',
    text: [
      `Gentile ${holder.name} ${holder.surname},`,
      '',
      `il Suo PIN scade il ${expiresOn}. Al primo accesso dopo la scadenza una procedura guidata Le`,
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
