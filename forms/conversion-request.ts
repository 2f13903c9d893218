/**
 * The request to convert an ordinary PIN into a dispositivo PIN. The citizen downloads it
 * prefilled from the portal, prints and signs it, and sends it with a copy of an identity
 * document: uploaded online, by fax, or in person at an office. The fields stay fillable so
 * that the citizen can complete the document section and the place of signing on screen.
 */
import {
  PageWriter,
  createDocument,
  displayDate,
  drawFooters,
  drawLetterhead,
  formatDateLong,
  parseIsoDate,
  saveDocument,
  type Bilingual,
} from './layout';

/** Input of {@link renderConversionRequest}. */
export interface ConversionRequestInput {
  /** Reference of the conversion request; the citizen's upload is matched by it. */
  reference: string;
  /** Date of the form, `YYYY-MM-DD`; prefilled in `data` and used as PDF creation date. */
  date: string;
  citizen: {
    codiceFiscale: string;
    surname: string;
    name: string;
    /** `YYYY-MM-DD` is shown as `DD/MM/YYYY`; other text as given. */
    birthDate: string;
    birthPlace: string;
    residence: string;
  };
}

/** Stable AcroForm field names of the conversion request form. */
export const CONVERSION_REQUEST_FIELDS = [
  'cognome', 'nome', 'codiceFiscale', 'dataNascita', 'luogoNascita', 'residenza',
  'documentoTipo', 'documentoNumero', 'documentoRilasciatoDa', 'documentoDataRilascio', 'documentoScadenza',
  'luogo', 'data', 'firma',
] as const;

/** Title of the form. */
export const CONVERSION_REQUEST_TITLE: Bilingual = {
  it: 'Richiesta di conversione del PIN ordinario in PIN dispositivo',
  en: 'Request to convert an ordinary PIN into a dispositivo PIN',
};

const DECLARATION: Bilingual = {
  it:
    "Il/La sottoscritto/a, titolare del PIN ordinario associato al codice fiscale sopra indicato, chiede la " +
    'conversione del PIN ordinario in PIN dispositivo, per richiedere le prestazioni e i benefici economici ai quali ' +
    "ha diritto. Allega copia di un documento di riconoscimento valido. Consapevole delle sanzioni penali previste " +
    "dall'art. 76 del D.P.R. 28 dicembre 2000, n. 445 in caso di dichiarazioni mendaci, dichiara che i dati riportati " +
    "sono veritieri e di aver preso visione dell'informativa sul trattamento dei dati personali ai sensi del " +
    'Regolamento (UE) 2016/679.',
  en:
    'I, the undersigned, holder of the ordinary PIN linked to the tax code shown above, request the conversion of ' +
    'my ordinary PIN into a dispositivo PIN, in order to claim the benefits and payments I am entitled to. I enclose ' +
    'a copy of a valid identity document. Aware of the criminal penalties laid down by article 76 of Presidential ' +
    'Decree no. 445 of 28 December 2000 for false statements, I declare that the data given are true and that I have ' +
    'read the notice on the processing of personal data under Regulation (EU) 2016/679.',
};

const INSTRUCTIONS: Bilingual[] = [
  {
    it:
      'Stampa questo modulo, firmalo e scansionalo insieme a un documento di riconoscimento valido; carica ' +
      'entrambi i file online con la funzione «Vuoi il PIN dispositivo?» del servizio PIN online.',
    en:
      'Print this form, sign it and scan it together with a valid identity document; upload both files online ' +
      'with the «Do you want a dispositivo PIN?» function of the online PIN service.',
  },
  {
    it: 'In alternativa, invia il modulo firmato e la copia del documento al Contact center via fax al numero 800 803 164.',
    en: 'Alternatively, send the signed form and the copy of the document to the contact centre by fax to 800 803 164.',
  },
  {
    it:
      'Oppure consegna il modulo firmato e il documento in una sede INPS, prenotando un accesso allo Sportello ' +
      'veloce con il servizio «Le sedi INPS», con l\'app INPS Mobile o chiamando il Contact center (803 164 da ' +
      'rete fissa, 06 164 164 da cellulare).',
    en:
      'Or hand in the signed form and the document at an INPS office, booking the Fast Counter through the «INPS ' +
      'offices» service, the INPS Mobile app or by calling the contact centre (803 164 from a landline, ' +
      '+39 06 164 164 from a mobile phone).',
  },
];

const AFTER: Bilingual = {
  it:
    'Dopo le verifiche il tuo PIN diventerà dispositivo. Nel frattempo puoi già presentare domande di prestazione con ' +
    'il PIN ordinario per bloccare la decorrenza dei termini: saranno lavorate dopo la conversione. Indica sempre il ' +
    'riferimento di questo modulo.',
  en:
    'After the checks your PIN will become a dispositivo PIN. Meanwhile you can already submit benefit claims with ' +
    'the ordinary PIN so that deadlines stop running: they will be processed after the conversion. Always quote the ' +
    'reference of this form.',
};

/**
 * Renders the conversion request form as an A4 PDF with fillable fields named as in
 * {@link CONVERSION_REQUEST_FIELDS}: the citizen's data and `data` prefilled, the identity
 * document fields and `luogo` empty for the citizen, and an empty signature field `firma`.
 * The form is not flattened. Deterministic for the same input.
 *
 * @throws DomainError (validation) if `date` is not a valid `YYYY-MM-DD` date.
 */
export async function renderConversionRequest(input: ConversionRequestInput): Promise<Uint8Array> {
  parseIsoDate(input.date, 'date');
  const { citizen } = input;
  const { doc, fonts } = await createDocument({
    title: `${CONVERSION_REQUEST_TITLE.it} – ${input.reference}`,
    subject: 'Conversione PIN dispositivo / Dispositivo PIN conversion',
    keywords: ['INPS', 'PIN', 'dispositivo', 'conversione', 'conversion', input.reference],
    date: input.date,
  });
  // Compact text: the citizen prints, signs and scans this, so it must fit on one sheet.
  const w = new PageWriter(doc, fonts, 'Conversione PIN / PIN conversion', 'compact');
  drawLetterhead(w, {
    reference: input.reference,
    date: `${formatDateLong(input.date, 'it')} / ${formatDateLong(input.date, 'en')}`,
  });
  w.title(CONVERSION_REQUEST_TITLE);

  w.heading({ it: 'Dati del richiedente', en: "Applicant's details" });
  w.fieldRow([
    { name: 'cognome', label: { it: 'Cognome', en: 'Surname' }, value: citizen.surname },
    { name: 'nome', label: { it: 'Nome', en: 'Name' }, value: citizen.name },
  ]);
  w.fieldRow([
    { name: 'codiceFiscale', label: { it: 'Codice fiscale', en: 'Tax code' }, value: citizen.codiceFiscale, flex: 1.2 },
    { name: 'dataNascita', label: { it: 'Data di nascita', en: 'Date of birth' }, value: displayDate(citizen.birthDate), flex: 0.8 },
    {
      name: 'luogoNascita',
      label: { it: 'Luogo di nascita', en: 'Place of birth' },
      value: citizen.birthPlace,
      flex: 1.4,
    },
  ]);
  w.fieldRow([
    { name: 'residenza', label: { it: 'Residenza (indirizzo completo)', en: 'Residence (full address)' }, value: citizen.residence, lines: 2 },
  ]);

  w.heading({ it: 'Documento di riconoscimento allegato', en: 'Enclosed identity document' });
  w.fieldRow([
    { name: 'documentoTipo', label: { it: 'Tipo di documento', en: 'Document type' } },
    { name: 'documentoNumero', label: { it: 'Numero', en: 'Number' } },
  ]);
  w.fieldRow([
    { name: 'documentoRilasciatoDa', label: { it: 'Rilasciato da', en: 'Issued by' }, flex: 1.6 },
    { name: 'documentoDataRilascio', label: { it: 'Data di rilascio', en: 'Date of issue' } },
    { name: 'documentoScadenza', label: { it: 'Scadenza', en: 'Expiry date' } },
  ]);

  w.heading({ it: 'Dichiarazione', en: 'Declaration' });
  w.bilingualParagraph(DECLARATION, 4);
  w.gap(6);
  // Place and date on the left, the signature box beside them: one band instead of two.
  w.columns(80, [
    {
      flex: 1,
      draw: () => {
        w.fieldRow([{ name: 'luogo', label: { it: 'Luogo', en: 'Place' } }]);
        w.fieldRow([{ name: 'data', label: { it: 'Data', en: 'Date' }, value: displayDate(input.date) }]);
      },
    },
    {
      flex: 1.3,
      draw: () => {
        w.gap(2);
        w.signatureRow([{ label: { it: 'Firma del richiedente', en: "Applicant's signature" }, fieldName: 'firma' }], 56);
      },
    },
  ]);

  w.heading({ it: 'Come inviare la richiesta', en: 'How to send the request' });
  w.numberedList(INSTRUCTIONS);
  w.bilingualParagraph(AFTER, 0);
  drawFooters(w, input.reference);
  return saveDocument(doc, fonts, true);
}
