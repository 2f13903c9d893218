/**
 * The print file of a mail-room batch: the day's letters in address order, with a separator
 * (cover) page before every part of up to 500 letters saying the batch date, the part number and
 * the letters' range, so the print-and-post provider can split, count and check the run.
 *
 * Built in two steps, both pure and deterministic (same input, same bytes): {@link renderPrintPart}
 * makes one part (its separator page, then the pages of its letters, copied from their own PDFs),
 * {@link mergePrintParts} joins the parts into the day's print file.
 */
import { PDFDocument } from 'pdf-lib';
import { A4, COLORS, MARGIN, createDocument, formatDateLong, parseIsoDate, saveDocument } from './layout';

/** Letters per part: one separator page each. */
export const LETTERS_PER_PART = 500;

/** Input of {@link renderPrintPart}. */
export interface PrintPartInput {
  /** The batch's day, `YYYY-MM-DD`: also the PDF's creation date. */
  batchDate: string;
  /** From 1. */
  part: number;
  parts: number;
  /** Sequence numbers (print order, from 1) of the first and last letter of the part. */
  firstSeq: number;
  lastSeq: number;
  /** The letters' PDFs, in print order. */
  letters: Uint8Array[];
}

const metaFor = (batchDate: string, what: string) => ({
  // The batch date only: no name, no address, no code in the metadata.
  title: `Lotto di stampa / Print batch ${batchDate} – ${what}`,
  subject: 'Ufficio posta INPS – Servizio PIN / INPS mail room – PIN service',
  keywords: ['INPS', 'PIN', 'lotto', 'batch', batchDate],
  date: batchDate,
});

/** One part: its separator page, then every page of its letters in the order given. */
export async function renderPrintPart(input: PrintPartInput): Promise<Uint8Array> {
  const { doc, fonts } = await createDocument(metaFor(input.batchDate, `parte ${input.part}/${input.parts}`));
  const page = doc.addPage([A4.width, A4.height]);
  let y = A4.height - MARGIN.top - 60;
  const line = (text: string, size: number, bold = false, color = COLORS.text) => {
    page.drawText(text, { x: MARGIN.left, y, size, font: bold ? fonts.bold : fonts.regular, color });
    y -= size * 1.6;
  };
  line('INPS – Servizio PIN · Ufficio posta / Mail room', 11, true, COLORS.brand);
  y -= 20;
  line('SEPARATORE DI LOTTO / BATCH SEPARATOR', 20, true);
  y -= 10;
  line(`Lotto del / Batch of: ${formatDateLong(input.batchDate, 'it')} (${input.batchDate})`, 13);
  line(`Parte / Part: ${input.part} di / of ${input.parts}`, 13, true);
  line(`Lettere / Letters: n. ${input.firstSeq} – ${input.lastSeq} (${input.letters.length})`, 13);
  y -= 10;
  line('Non imbustare questa pagina. / Do not put this page in an envelope.', 10, false, COLORS.muted);
  for (const bytes of input.letters) {
    const letter = await PDFDocument.load(bytes, { updateMetadata: false });
    for (const copied of await doc.copyPages(letter, letter.getPageIndices())) doc.addPage(copied);
  }
  return saveDocument(doc, fonts, false);
}

/** The day's print file: the parts' pages one after the other. */
export async function mergePrintParts(batchDate: string, parts: Uint8Array[]): Promise<Uint8Array> {
  parseIsoDate(batchDate, 'batchDate');
  const { doc, fonts } = await createDocument(metaFor(batchDate, 'file di stampa / print file'));
  for (const bytes of parts) {
    const part = await PDFDocument.load(bytes, { updateMetadata: false });
    for (const copied of await doc.copyPages(part, part.getPageIndices())) doc.addPage(copied);
  }
  return saveDocument(doc, fonts, false);
}
