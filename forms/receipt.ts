/**
 * What every receipt has in common (a PIN request's, a benefit claim's): the letterhead with the
 * protocol number and the received time, the title, a table of what was received and from whom,
 * what happens next, and the footers. A receipt carries no contact details and no secret.
 */
import { italianDateTime } from '../domain/calendar';
import { PageWriter, createDocument, drawFooters, drawLetterhead, saveDocument, type Bilingual } from './layout';

export interface ReceiptContent {
  title: Bilingual;
  /** The PDF's subject and keywords (metadata). */
  subject: string;
  keywords: string[];
  protocol: string;
  /** ISO instant it was received. */
  receivedAt: string;
  /** Rows under the protocol number and the received time (the applicant, what was asked). */
  details: { label: Bilingual; value: string }[];
  /** What happens next: Italian paragraphs, then English. */
  paragraphs: Bilingual[];
  /** Sections after them, each under its heading (e.g. the declaration made). */
  sections?: { heading: Bilingual; text: Bilingual }[];
}

/** "5 dicembre 2026, 09:14 / 5 December 2026, 09:14", Italian time. */
export const receivedOn = (iso: string): string => `${italianDateTime('it', iso)} / ${italianDateTime('en', iso)}`;

export async function renderReceipt(c: ReceiptContent): Promise<Uint8Array> {
  const { doc, fonts } = await createDocument({
    title: `${c.title.it} / ${c.title.en} – ${c.protocol}`,
    subject: c.subject,
    keywords: ['INPS', ...c.keywords, c.protocol],
    date: c.receivedAt.slice(0, 10),
  });
  const w = new PageWriter(doc, fonts, `${c.title.it} / ${c.title.en}`);
  drawLetterhead(w, { reference: c.protocol, date: receivedOn(c.receivedAt) });
  w.gap(10);
  w.title(c.title);
  w.detailsTable([
    { label: { it: 'Numero di protocollo', en: 'Protocol number' }, value: c.protocol },
    { label: { it: 'Ricevuta il', en: 'Received on' }, value: receivedOn(c.receivedAt) },
    ...c.details,
  ]);
  w.gap(12);
  w.bilingualBlocks(c.paragraphs);
  for (const s of c.sections ?? []) {
    w.heading(s.heading);
    w.bilingualParagraph(s.text);
  }
  drawFooters(w, c.protocol);
  return saveDocument(doc, fonts, false);
}
