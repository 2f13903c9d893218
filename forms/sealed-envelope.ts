/**
 * The content of the sealed envelope handed over at an office counter with a dispositivo PIN
 * (after the clerk has identified the citizen with form MV35). It is printed, sealed and given
 * to the holder in person, so there is no postal address block.
 */
import {
  COLORS,
  PageWriter,
  assertCode,
  createDocument,
  drawFooters,
  drawLetterhead,
  formatDateLong,
  saveDocument,
  type Bilingual,
} from './layout';

/** Input of {@link renderSealedEnvelope}. */
export interface SealedEnvelopeInput {
  /** Reference of the issue (e.g. the MV35 request id), printed and used in the metadata. */
  reference: string;
  /** Issue date, `YYYY-MM-DD`; also the PDF creation date. */
  date: string;
  holderName: string;
  codiceFiscale: string;
  /** The dispositivo PIN: exactly 8 printable ASCII characters. */
  pin: string;
  /** The INPS office (sede) that issued the PIN. */
  office: string;
}

const TITLE: Bilingual = {
  it: 'PIN dispositivo – comunicazione riservata',
  en: 'Dispositivo PIN – confidential',
};

function paragraphs(office: string): Bilingual[] {
  return [
    {
      it:
        `Questa busta contiene il tuo PIN dispositivo, rilasciato dalla sede INPS di ${office} dopo il riconoscimento ` +
        'con un documento di identità (modulo MV35). Il PIN dispositivo ti permette di consultare i tuoi dati e di ' +
        'richiedere le prestazioni e i benefici economici ai quali hai diritto.',
      en:
        `This envelope contains your dispositivo PIN, issued by the INPS office of ${office} after identification ` +
        'with an identity document (form MV35). The dispositivo PIN lets you view your data and claim the benefits ' +
        'and payments you are entitled to.',
    },
    {
      it:
        "Per accedere ai servizi online dell'INPS inserisci il tuo codice fiscale e questo PIN di 8 caratteri. Il PIN " +
        'scade ogni 6 mesi: al primo accesso dopo la scadenza una procedura guidata ti assegnerà un nuovo PIN che dà ' +
        'accesso agli stessi servizi.',
      en:
        'To access the INPS online services, enter your tax code (codice fiscale) and this 8-character PIN. The PIN ' +
        'expires every 6 months: at the first access after expiry a guided procedure will give you a new PIN with ' +
        'access to the same services.',
    },
    {
      it:
        'Se la busta ti viene consegnata aperta o danneggiata, non usare il PIN e segnalalo subito allo sportello. ' +
        "Il PIN è strettamente personale: non comunicarlo a nessuno. L'INPS non ti chiederà mai il PIN per telefono, " +
        'e-mail o SMS.',
      en:
        'If the envelope is handed to you open or damaged, do not use the PIN and report it at the counter at once. ' +
        'The PIN is strictly personal: do not share it with anyone. INPS will never ask you for your PIN by ' +
        'telephone, e-mail or SMS.',
    },
  ];
}

/**
 * Renders the sealed-envelope sheet with the dispositivo PIN as an A4 PDF. Deterministic: the
 * same input always gives the same bytes.
 *
 * @throws DomainError (validation) if `date` is not a valid `YYYY-MM-DD` date or `pin` is not
 *   8 printable characters; the message never contains the PIN.
 */
export async function renderSealedEnvelope(input: SealedEnvelopeInput): Promise<Uint8Array> {
  assertCode(input.pin, 8, 'pin');
  const dateIt = formatDateLong(input.date, 'it');
  const dateEn = formatDateLong(input.date, 'en');
  const { doc, fonts } = await createDocument({
    title: `${TITLE.it} / ${TITLE.en} – ${input.reference}`,
    subject: 'Busta chiusa PIN dispositivo / Dispositivo PIN sealed envelope',
    keywords: ['INPS', 'PIN', 'busta', 'envelope', input.reference],
    date: input.date,
  });
  const w = new PageWriter(doc, fonts, `${TITLE.it} / ${TITLE.en}`);
  drawLetterhead(w, { reference: input.reference, date: `${dateIt} / ${dateEn}` });

  w.gap(4);
  w.centredLine('RISERVATO – DA APRIRE SOLO A CURA DEL TITOLARE', { font: fonts.bold, size: 11, color: COLORS.brand, leading: 15 });
  w.centredLine('CONFIDENTIAL – TO BE OPENED BY THE HOLDER ONLY', { font: fonts.italic, size: 9.5, color: COLORS.muted, leading: 13 });
  w.gap(10);
  w.title(TITLE);

  w.detailsTable([
    { label: { it: 'Titolare', en: 'Holder' }, value: input.holderName },
    { label: { it: 'Codice fiscale', en: 'Tax code' }, value: input.codiceFiscale },
    { label: { it: 'Sede di rilascio', en: 'Issuing office' }, value: input.office },
    { label: { it: 'Data di rilascio', en: 'Date of issue' }, value: `${dateIt} / ${dateEn}` },
    { label: { it: 'Riferimento', en: 'Reference' }, value: input.reference },
  ]);
  w.gap(14);
  w.codeBox({ it: 'PIN dispositivo', en: 'Dispositivo PIN' }, input.pin, 1);
  w.gap(8);
  w.bilingualBlocks(paragraphs(input.office));
  drawFooters(w, input.reference);
  return saveDocument(doc, fonts, false);
}
