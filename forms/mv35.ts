/**
 * Form MV35, "Richiesta assegnazione codice dispositivo per il cittadino in sede": the request a
 * citizen signs at an office counter to receive a dispositivo PIN at once. The clerk's console
 * prefills it from the identified citizen and document; the fields stay fillable so that the
 * clerk can correct a value in a PDF viewer before printing, and the signature field can be
 * signed digitally on a signature pad.
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

/** Input of {@link renderMv35}. */
export interface Mv35Input {
  /** Request reference, printed in the header and footer. */
  reference: string;
  /** Date of the request, `YYYY-MM-DD`; prefilled in `data` and used as PDF creation date. */
  date: string;
  /** The office (sede) where the request is made. */
  office: string;
  citizen: {
    codiceFiscale: string;
    surname: string;
    name: string;
    /** `YYYY-MM-DD` is shown as `DD/MM/YYYY`; other text as given. */
    birthDate: string;
    sex: string;
    birthPlace: string;
    residence: string;
    email?: string;
    mobile?: string;
  };
  identityDocument: {
    type: string;
    number: string;
    issuer: string;
    /** `YYYY-MM-DD` is shown as `DD/MM/YYYY`; other text as given. */
    issueDate: string;
    expiryDate: string;
  };
  clerk: { id: string; name: string };
}

/** Stable AcroForm field names of MV35, for code that reads a filled-in form back. */
export const MV35_FIELDS = [
  'cognome', 'nome', 'codiceFiscale', 'sesso', 'dataNascita', 'luogoNascita', 'residenza', 'email', 'cellulare',
  'documentoTipo', 'documentoNumero', 'documentoRilasciatoDa', 'documentoDataRilascio', 'documentoScadenza',
  'sede', 'data', 'operatore', 'firma',
] as const;

/** The title exactly as the institute names the form. */
export const MV35_TITLE: Bilingual = {
  it: 'Modulo MV35 – Richiesta assegnazione codice dispositivo per il cittadino in sede',
  en: 'Form MV35 – Request for a dispositivo PIN for the citizen at the office',
};

const DECLARATION: Bilingual = {
  it:
    "Il/La sottoscritto/a, identificato/a mediante il documento sopra indicato, chiede l'assegnazione del codice " +
    "PIN dispositivo per l'accesso ai servizi online dell'INPS. Consapevole delle sanzioni penali previste " +
    "dall'art. 76 del D.P.R. 28 dicembre 2000, n. 445 in caso di dichiarazioni mendaci, dichiara che i dati " +
    "riportati sono veritieri e di aver ricevuto l'informativa sul trattamento dei dati personali ai sensi del " +
    'Regolamento (UE) 2016/679. Prende atto che il PIN è strettamente personale e gli/le viene consegnato in busta ' +
    'chiusa, della quale con la firma accusa ricevuta.',
  en:
    'I, the undersigned, identified by means of the document shown above, request the assignment of a dispositivo ' +
    'PIN for access to the INPS online services. Aware of the criminal penalties laid down by article 76 of ' +
    'Presidential Decree no. 445 of 28 December 2000 for false statements, I declare that the data given are true ' +
    'and that I have received the notice on the processing of personal data under Regulation (EU) 2016/679. I ' +
    'acknowledge that the PIN is strictly personal and is handed to me in a sealed envelope, whose receipt I ' +
    'confirm by signing.',
};

/**
 * Renders form MV35 as an A4 PDF with fillable AcroForm fields named as in {@link MV35_FIELDS},
 * prefilled with the input (dates as `DD/MM/YYYY`; `operatore` as "name (id)") and an empty
 * signature field `firma`. The form is not flattened. Deterministic for the same input.
 *
 * @throws DomainError (validation) if `date` is not a valid `YYYY-MM-DD` date.
 */
export async function renderMv35(input: Mv35Input): Promise<Uint8Array> {
  parseIsoDate(input.date, 'date');
  const { citizen, identityDocument: idDoc, clerk } = input;
  const { doc, fonts } = await createDocument({
    title: `${MV35_TITLE.it} – ${input.reference}`,
    subject: 'Modulo MV35 / Form MV35',
    keywords: ['INPS', 'PIN', 'MV35', 'dispositivo', input.reference],
    date: input.date,
  });
  const w = new PageWriter(doc, fonts, 'Modulo MV35 / Form MV35');
  drawLetterhead(w, {
    reference: input.reference,
    date: `${formatDateLong(input.date, 'it')} / ${formatDateLong(input.date, 'en')}`,
  });
  w.title(MV35_TITLE);

  w.heading({ it: 'Dati del richiedente', en: "Applicant's details" });
  w.fieldRow([
    { name: 'cognome', label: { it: 'Cognome', en: 'Surname' }, value: citizen.surname },
    { name: 'nome', label: { it: 'Nome', en: 'Name' }, value: citizen.name },
  ]);
  w.fieldRow([
    { name: 'codiceFiscale', label: { it: 'Codice fiscale', en: 'Tax code' }, value: citizen.codiceFiscale, flex: 1.5 },
    { name: 'sesso', label: { it: 'Sesso', en: 'Sex' }, value: citizen.sex, flex: 0.5 },
    { name: 'dataNascita', label: { it: 'Data di nascita', en: 'Date of birth' }, value: displayDate(citizen.birthDate) },
  ]);
  w.fieldRow([
    {
      name: 'luogoNascita',
      label: { it: 'Comune (provincia) o Stato estero di nascita', en: 'Place (province) or country of birth' },
      value: citizen.birthPlace,
    },
  ]);
  w.fieldRow([
    { name: 'residenza', label: { it: 'Residenza (indirizzo completo)', en: 'Residence (full address)' }, value: citizen.residence, lines: 2 },
  ]);
  w.fieldRow([
    { name: 'email', label: { it: 'E-mail o PEC', en: 'E-mail or PEC' }, value: citizen.email ?? '', flex: 1.4 },
    { name: 'cellulare', label: { it: 'Cellulare (con prefisso int.)', en: 'Mobile (with int. prefix)' }, value: citizen.mobile ?? '' },
  ]);

  w.heading({ it: 'Documento di riconoscimento', en: 'Identity document' });
  w.fieldRow([
    { name: 'documentoTipo', label: { it: 'Tipo di documento', en: 'Document type' }, value: idDoc.type },
    { name: 'documentoNumero', label: { it: 'Numero', en: 'Number' }, value: idDoc.number },
  ]);
  w.fieldRow([
    { name: 'documentoRilasciatoDa', label: { it: 'Rilasciato da', en: 'Issued by' }, value: idDoc.issuer, flex: 1.6 },
    { name: 'documentoDataRilascio', label: { it: 'Data di rilascio', en: 'Date of issue' }, value: displayDate(idDoc.issueDate) },
    { name: 'documentoScadenza', label: { it: 'Scadenza', en: 'Expiry date' }, value: displayDate(idDoc.expiryDate) },
  ]);

  w.heading({ it: 'Dichiarazione', en: 'Declaration' });
  w.bilingualParagraph(DECLARATION, 4);

  w.heading({ it: 'Riservato alla sede', en: 'For office use' });
  w.fieldRow([
    { name: 'sede', label: { it: 'Sede INPS', en: 'INPS office' }, value: input.office, flex: 1.4 },
    { name: 'data', label: { it: 'Data', en: 'Date' }, value: displayDate(input.date), flex: 0.7 },
    { name: 'operatore', label: { it: 'Operatore (matricola)', en: 'Clerk (staff id)' }, value: clerk.name === clerk.id ? clerk.id : `${clerk.name} (${clerk.id})`, flex: 1.3 },
  ]);
  w.gap(6);
  w.signatureRow([
    { label: { it: 'Firma del richiedente', en: "Applicant's signature" }, fieldName: 'firma' },
    { label: { it: "Firma dell'operatore e timbro della sede", en: "Clerk's signature and office stamp" } },
  ]);
  drawFooters(w, input.reference);
  return saveDocument(doc, fonts, true);
}
