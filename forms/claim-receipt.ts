/**
 * The receipt of a benefit claim: its protocol number and received time (the deadline is met as
 * of that time), the claim, whose it is, whether it went to processing at once or waits for the
 * dispositivo PIN, and the declaration made by filing it. Printed by the claimant from the
 * claim's page; no contact details are on it.
 */
import { CLAIM_DECLARATION } from '../domain/claims';
import type { Bilingual } from './layout';
import { renderReceipt } from './receipt';

export interface ClaimReceiptInput {
  protocol: string;
  /** ISO instant the claim was received. */
  receivedAt: string;
  /** The claim type's name. */
  claimName: Bilingual;
  /** Held for a dispositivo PIN when filed (else processed at once). */
  held: boolean;
  holderName: string;
  codiceFiscale: string;
}

const TITLE: Bilingual = { it: 'Ricevuta della domanda di prestazione', en: 'Receipt of the benefit claim' };

const STATUS_AT_FILING: Record<'held' | 'processing', Bilingual> = {
  held: { it: 'In attesa del PIN dispositivo', en: 'Waiting for the dispositivo PIN' },
  processing: { it: 'Avviata alla lavorazione', en: 'Sent to processing' },
};

const both = (text: Bilingual): string => (text.it === text.en ? text.it : `${text.it} / ${text.en}`);

export async function renderClaimReceipt(input: ClaimReceiptInput): Promise<Uint8Array> {
  return renderReceipt({
    title: TITLE,
    subject: 'Ricevuta domanda di prestazione / Benefit claim receipt',
    keywords: ['domanda', 'claim', 'ricevuta', 'receipt'],
    protocol: input.protocol,
    receivedAt: input.receivedAt,
    details: [
      { label: { it: 'Domanda', en: 'Claim' }, value: both(input.claimName) },
      { label: { it: 'Stato alla presentazione', en: 'Status when filed' }, value: both(STATUS_AT_FILING[input.held ? 'held' : 'processing']) },
      { label: { it: 'Richiedente', en: 'Claimant' }, value: input.holderName },
      { label: { it: 'Codice fiscale', en: 'Tax code' }, value: input.codiceFiscale },
    ],
    paragraphs: [
      input.held
        ? {
            it: 'La domanda è stata ricevuta e il termine è rispettato dalla data di ricezione. Sarà lavorata quando il tuo PIN sarà dispositivo: non devi presentarla di nuovo.',
            en: 'The claim has been received and any deadline is met as of the received time. It will be processed once your PIN is a dispositivo PIN: you do not need to file it again.',
          }
        : {
            it: 'La domanda è stata ricevuta, il termine è rispettato dalla data di ricezione, ed è stata avviata alla lavorazione: riceverai l’esito per e-mail.',
            en: 'The claim has been received, any deadline is met as of the received time, and it has been sent to processing: you will get the outcome by e-mail.',
          },
      {
        it: 'Conserva questa ricevuta: per qualsiasi richiesta di informazioni indica il numero di protocollo. Puoi seguire la domanda nella tua area personale.',
        en: 'Keep this receipt: quote the protocol number whenever you ask about the claim. You can follow the claim in your personal area.',
      },
    ],
    sections: [
      {
        heading: { it: 'Dichiarazione', en: 'Declaration' },
        text: { it: `Presentando la domanda hai dichiarato: «${CLAIM_DECLARATION.it}»`, en: `By filing the claim you declared: “${CLAIM_DECLARATION.en}”` },
      },
    ],
  });
}
