/**
 * The receipt of a PIN request: its protocol number and received time, whose request it is, and
 * what happens next (the first half to the contacts given, the second by post). Printed by the
 * citizen from the confirmation page; no PIN and no contact details are on it.
 */
import type { Bilingual } from './layout';
import { renderReceipt } from './receipt';

export interface RequestReceiptInput {
  protocol: string;
  /** ISO instant the request was received. */
  receivedAt: string;
  holderName: string;
  codiceFiscale: string;
  /** The channels the first half goes to, in order (no addresses). */
  channels: { channel: 'sms' | 'email' | 'pec' }[];
}

const TITLE: Bilingual = { it: 'Ricevuta della richiesta di PIN', en: 'Receipt of the PIN request' };

const CHANNEL: Record<'sms' | 'email' | 'pec', Bilingual> = {
  sms: { it: 'SMS', en: 'text message' },
  email: { it: 'e-mail', en: 'e-mail' },
  pec: { it: 'PEC', en: 'certified e-mail (PEC)' },
};

export async function renderRequestReceipt(input: RequestReceiptInput): Promise<Uint8Array> {
  const via = (lang: 'it' | 'en') => input.channels.map((c) => CHANNEL[c.channel][lang]).join(lang === 'it' ? ', poi ' : ', then ');
  return renderReceipt({
    title: TITLE,
    subject: 'Ricevuta richiesta PIN / PIN request receipt',
    keywords: ['PIN', 'ricevuta', 'receipt'],
    protocol: input.protocol,
    receivedAt: input.receivedAt,
    details: [
      { label: { it: 'Richiedente', en: 'Applicant' }, value: input.holderName },
      { label: { it: 'Codice fiscale', en: 'Tax code' }, value: input.codiceFiscale },
    ],
    paragraphs: [
      {
        it: `La prima metà del PIN (8 caratteri) ti arriva via ${via('it')} ai recapiti indicati; la seconda metà per posta all'indirizzo di residenza. Con le due metà fai il primo accesso: riceverai il PIN personale di 8 caratteri.`,
        en: `The first half of the PIN (8 characters) reaches you by ${via('en')} at the contacts you gave; the second half by post at your residence. With both halves make your first access: you will be given your personal 8-character PIN.`,
      },
      {
        it: 'Se la residenza indicata è diversa da quella nei nostri archivi, il Contact center ti richiamerà al numero preferenziale prima di emettere il PIN.',
        en: 'If the residence you gave differs from our records, the contact centre will call you back at your preferred number before the PIN is issued.',
      },
      {
        it: 'Conserva questa ricevuta: per qualsiasi richiesta di informazioni indica il numero di protocollo. L’INPS non ti chiederà mai il PIN.',
        en: 'Keep this receipt: quote the protocol number whenever you ask about the request. INPS will never ask you for your PIN.',
      },
    ],
  });
}
