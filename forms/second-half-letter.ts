/**
 * The posted letter carrying the second half (characters 9–16) of an initial 16-character PIN.
 *
 * It travels in a window envelope to the residence address, so the recipient block sits where
 * the window is once the sheet is folded in three; the code box sits in the middle panel,
 * hidden by the fold. The PIN is printed only in the page content, never in the metadata.
 */
import {
  ADDRESS_WINDOW,
  A4,
  MARGIN,
  PageWriter,
  assertCode,
  createDocument,
  drawAddressBlock,
  drawFoldMarks,
  drawFooters,
  drawLetterhead,
  formatDateLong,
  saveDocument,
  wrapText,
  COLORS,
  type Bilingual,
} from './layout';

/** Input of {@link renderSecondHalfLetter}. */
export interface SecondHalfLetterInput {
  /** Letter reference (e.g. the letter id), printed on the letter and in the metadata. */
  reference: string;
  /** Date of the letter, `YYYY-MM-DD`; also the PDF creation date. */
  date: string;
  recipient: {
    fullName: string;
    /** Street, postal code and city, etc., one element per printed line. */
    addressLines: string[];
    /** Country of residence; omitted from the address when it is Italy. */
    country: string;
  };
  /** Characters 9–16 of the initial PIN: exactly 8 printable ASCII characters. */
  secondHalf: string;
  /** Set from 1 upwards when this letter replaces earlier ones (a re-send). */
  resendNumber?: number;
}

const TITLE: Bilingual = { it: 'Seconda parte del PIN', en: 'Second part of the PIN' };

/** The letter body, Italian then English. */
function bodyParagraphs(): Bilingual[] {
  return [
    {
      it:
        "con questa lettera ti inviamo la seconda parte del tuo PIN (Personal Identification Number), il codice " +
        "identificativo personale che consente l'accesso ai servizi online dell'INPS. I primi 8 caratteri del PIN " +
        'sono stati inviati ai recapiti indicati nella richiesta (SMS al cellulare, e-mail o PEC); i restanti 8 ' +
        'caratteri sono riportati in questa lettera.',
      en:
        'With this letter we send you the second part of your PIN (Personal Identification Number), the personal ' +
        'identification code that gives access to the INPS online services. The first 8 characters of the PIN were ' +
        'sent to the contacts given in your request (SMS to your mobile phone, e-mail or certified e-mail/PEC); the ' +
        'remaining 8 characters are printed in this letter.',
    },
    {
      it:
        'Al primo accesso inserisci il tuo codice fiscale e il PIN completo di 16 caratteri: prima gli 8 caratteri ' +
        'ricevuti ai tuoi recapiti, poi gli 8 caratteri di questa lettera. Una procedura guidata ti assegnerà un ' +
        'nuovo PIN di 8 caratteri, con il quale accederai ai servizi da quel momento in poi.',
      en:
        'At your first access, enter your tax code (codice fiscale) and the complete 16-character PIN: first the 8 ' +
        'characters you received at your contacts, then the 8 characters in this letter. A guided procedure will ' +
        'assign you a new 8-character PIN, which you will use to access the services from then on.',
    },
    {
      it:
        'Il PIN è strettamente personale: non comunicarlo a nessuno e conserva questa lettera in un luogo sicuro. ' +
        "L'INPS non ti chiederà mai il PIN per telefono, e-mail o SMS.",
      en:
        'The PIN is strictly personal: do not share it with anyone and keep this letter in a safe place. INPS will ' +
        'never ask you for your PIN by telephone, e-mail or SMS.',
    },
  ];
}

/**
 * Renders the second-half letter as a one-page A4 PDF (more pages only if an extreme input
 * overflows). Deterministic: the same input always gives the same bytes.
 *
 * @throws DomainError (validation) if `date` is not a valid `YYYY-MM-DD` date or `secondHalf`
 *   is not 8 printable characters; the message never contains the code.
 */
export async function renderSecondHalfLetter(input: SecondHalfLetterInput): Promise<Uint8Array> {
  assertCode(input.secondHalf, 8, 'secondHalf');
  const dateIt = formatDateLong(input.date, 'it');
  const dateEn = formatDateLong(input.date, 'en');
  const { doc, fonts } = await createDocument({
    // Only the reference identifies the letter: no code and no personal data in the metadata.
    title: `${TITLE.it} / ${TITLE.en} – ${input.reference}`,
    subject: 'Comunicazione INPS – Servizio PIN / INPS notice – PIN service',
    keywords: ['INPS', 'PIN', 'lettera', 'letter', input.reference],
    date: input.date,
  });
  const w = new PageWriter(doc, fonts, `${TITLE.it} / ${TITLE.en}`);
  drawLetterhead(w);
  drawFoldMarks(w);
  drawAddressBlock(w, input.recipient);

  // Left of the address window: reference, date and, for a re-send, a notice that this letter
  // supersedes the earlier ones (the citizen may receive both).
  const leftWidth = ADDRESS_WINDOW.left - MARGIN.left - 12;
  let y = A4.height - ADDRESS_WINDOW.top - 7;
  const small = { font: fonts.regular, size: 8.5, color: COLORS.text };
  const leftLines: { text: string; bold?: boolean }[] = [
    { text: `Rif. / Ref.: ${input.reference}`, bold: true },
    { text: `Roma, ${dateIt}` },
    { text: `Rome, ${dateEn}` },
  ];
  if (input.resendNumber !== undefined && input.resendNumber > 0) {
    leftLines.push({ text: `Reinvio n. ${input.resendNumber}: sostituisce le lettere precedenti.`, bold: true });
    leftLines.push({ text: `Resent letter no. ${input.resendNumber}: it replaces any earlier letter.` });
  }
  for (const item of leftLines) {
    const font = item.bold ? fonts.bold : fonts.regular;
    for (const line of wrapText(item.text, font, small.size, leftWidth)) {
      w.drawText(line, MARGIN.left, y, { ...small, font });
      y -= 11.5;
    }
  }

  // Body starts under the window, whatever the left column needed.
  w.y = Math.min(A4.height - ADDRESS_WINDOW.top - ADDRESS_WINDOW.height - 12, y - 8);
  w.paragraph('Oggetto: seconda parte del tuo PIN', { font: fonts.bold, size: 11, color: COLORS.brand, leading: 14 });
  w.paragraph('Subject: second part of your PIN', { font: fonts.italic, size: 10, color: COLORS.muted, leading: 13 });
  w.gap(10);
  const name = input.recipient.fullName;
  w.bilingualBlocks(bodyParagraphs(), { it: `Buongiorno ${name},`, en: `Dear ${name},` });
  w.gap(6);
  w.codeBox({ it: 'Seconda parte del PIN', en: 'Second part of the PIN' }, input.secondHalf, 9);
  w.centredLine('Caratteri dal 9° al 16° del PIN iniziale / Characters 9 to 16 of the initial PIN', {
    font: fonts.italic,
    size: 7.5,
    color: COLORS.muted,
    leading: 10,
  });
  w.gap(12);
  w.paragraph('Cordiali saluti / Kind regards', w.body);
  w.gap(2);
  w.paragraph('INPS – Servizio PIN', { font: fonts.bold, size: 9.5, color: COLORS.brand, leading: 12.5 });
  drawFooters(w, input.reference);
  return saveDocument(doc, fonts, false);
}
