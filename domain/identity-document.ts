/**
 * The identity document a clerk or operator checks (the counter's form MV35, a remote
 * identification): its type, number, issuer, issuing country and dates, checked for plausibility — a number shaped as that type's numbers are, issued on or
 * before today and after the holder's birth, not expired, valid for at most 11 years (Italian
 * identity cards run 10 years to the birthday after; passports 10 years).
 */
import { countryName } from './countries';
import { dayNumber, italianCalendarDate, parseIsoDate } from './calendar';
import { fieldIssue, type Bilingual, type FieldIssue } from './errors';

/** Document types accepted at the counter, with their labels and number formats. */
export const IDENTITY_DOCUMENT_TYPES = {
  carta_identita: { italian: true, label: { it: "Carta d'identità", en: 'Identity card' }, number: /^[A-Z]{2}[0-9]{7}$/, example: 'AY1234567' },
  cie: { italian: true, label: { it: "Carta d'identità elettronica (CIE)", en: 'Electronic identity card (CIE)' }, number: /^[A-Z]{2}[0-9]{5}[A-Z]{2}$/, example: 'CA12345AB' },
  passaporto: { italian: true, label: { it: 'Passaporto italiano', en: 'Italian passport' }, number: /^[A-Z]{2}[0-9]{7}$/, example: 'YA1234567' },
  patente: { italian: true, label: { it: 'Patente di guida', en: 'Driving licence' }, number: /^(?=.*[0-9])[A-Z0-9]{10}$/, example: 'U1AB12345C' },
  permesso_soggiorno: { italian: false, label: { it: 'Permesso di soggiorno', en: 'Residence permit' }, number: /^[A-Z]{1,2}[0-9]{7,8}$/, example: 'I12345678' },
  passaporto_estero: { italian: false, label: { it: 'Passaporto estero', en: 'Foreign passport' }, number: /^(?=.*[0-9])[A-Z0-9]{6,15}$/, example: 'AAA123456' },
  documento_estero: { italian: false, label: { it: "Documento d'identità estero", en: 'Foreign identity document' }, number: /^(?=.*[0-9])[A-Z0-9]{5,20}$/, example: '12345678X' },
} as const satisfies Record<string, { italian: boolean; label: Bilingual; number: RegExp; example: string }>;

/**
 * Documents issued by another state: they name their issuing country (ISO 3166-1 alpha-2). The
 * people who may still get a PIN are mostly residents abroad without an Italian document, so a
 * foreign passport or identity card is accepted wherever a document is checked.
 */
export const FOREIGN_DOCUMENT_TYPES: readonly IdentityDocumentType[] = ['passaporto_estero', 'documento_estero'];

export type IdentityDocumentType = keyof typeof IDENTITY_DOCUMENT_TYPES;

/** A checked document: number normalised (upper case, no spaces, dots or dashes). */
export interface IdentityDocument {
  type: IdentityDocumentType;
  number: string;
  issuer: string;
  /** ISO 3166-1 alpha-2: `IT` for Italian documents, the issuing state for foreign ones. */
  issuingCountry: string;
  /** `YYYY-MM-DD`. */
  issuedOn: string;
  /** `YYYY-MM-DD`. */
  expiresOn: string;
}

/** Longest plausible validity, in years. */
const MAX_VALIDITY_YEARS = 11;


const plusYears = (iso: string, years: number): string => `${String(Number(iso.slice(0, 4)) + years).padStart(4, '0')}${iso.slice(4)}`;

/**
 * Checks the document; every problem is reported with its field path under `prefix`
 * (`identityDocument.expiresOn`). `birthDate` (`YYYY-MM-DD`, when known valid) bounds the
 * issue date; `today` is the Italian calendar date of the instant.
 */
export function checkIdentityDocument(
  input: unknown,
  opts: { today: Date; birthDate?: string; prefix?: string },
): { document?: IdentityDocument; issues: FieldIssue[] } {
  const p = opts.prefix ?? 'identityDocument';
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { issues: [fieldIssue(p, 'required', 'Indica il documento di riconoscimento.', 'Give the identity document.')] };
  }
  const d = input as Record<string, unknown>;
  const issues: FieldIssue[] = [];
  for (const key of Object.keys(d)) {
    if (!['type', 'number', 'issuer', 'issuingCountry', 'issuedOn', 'expiresOn'].includes(key)) {
      issues.push(fieldIssue(`${p}.${key}`, 'unknown_field', `Campo non previsto: «${key}».`, `Unexpected field: "${key}".`));
    }
  }
  const today = italianCalendarDate(opts.today);

  const type = typeof d.type === 'string' && Object.hasOwn(IDENTITY_DOCUMENT_TYPES, d.type) ? (d.type as IdentityDocumentType) : undefined;
  if (!type) {
    // Said by their names (the values are in the API's description): a person reads this message.
    const allowed = (lang: 'it' | 'en') => Object.values(IDENTITY_DOCUMENT_TYPES).map((t) => t.label[lang]).join(', ');
    issues.push(fieldIssue(`${p}.type`, 'invalid_value', `Scegli il tipo di documento: ${allowed('it')}.`, `Choose the document type: ${allowed('en')}.`));
  }

  const number = typeof d.number === 'string' ? d.number.toUpperCase().replace(/[\s.\-/]/g, '') : '';
  if (!number) issues.push(fieldIssue(`${p}.number`, 'required', 'Indica il numero del documento.', 'Give the document number.'));
  else if (type && !IDENTITY_DOCUMENT_TYPES[type].number.test(number)) {
    const ex = IDENTITY_DOCUMENT_TYPES[type].example;
    issues.push(
      fieldIssue(
        `${p}.number`,
        'implausible_number',
        `Numero non plausibile per ${IDENTITY_DOCUMENT_TYPES[type].label.it} (es. ${ex}).`,
        `Number not plausible for a ${IDENTITY_DOCUMENT_TYPES[type].label.en.toLowerCase()} (e.g. ${ex}).`,
      ),
    );
  }

  const issuer = typeof d.issuer === 'string' ? d.issuer.trim().replace(/\s+/g, ' ') : '';
  if (issuer.length < 2 || issuer.length > 120 || !/\p{L}/u.test(issuer)) {
    issues.push(fieldIssue(`${p}.issuer`, 'required', "Indica l'ente che ha rilasciato il documento (2-120 caratteri).", 'Give the issuing authority (2-120 characters).'));
  }

  const foreign = type !== undefined && FOREIGN_DOCUMENT_TYPES.includes(type);
  const givenCountry = typeof d.issuingCountry === 'string' ? d.issuingCountry.trim().toUpperCase() : '';
  const issuingCountry = foreign ? givenCountry : givenCountry || 'IT';
  if (foreign && !/^[A-Z]{2}$/.test(issuingCountry)) {
    issues.push(fieldIssue(`${p}.issuingCountry`, 'required', 'Indica lo Stato che ha rilasciato il documento (codice ISO di 2 lettere, es. AR).', 'Give the issuing state (2-letter ISO code, e.g. AR).'));
  } else if (foreign && issuingCountry === 'IT') {
    issues.push(fieldIssue(`${p}.issuingCountry`, 'italian_document', 'Per un documento italiano scegli il tipo italiano corrispondente.', 'For an Italian document choose the matching Italian type.'));
  } else if (!foreign && type && issuingCountry !== 'IT') {
    issues.push(fieldIssue(`${p}.issuingCountry`, 'foreign_document', 'Questo tipo di documento è rilasciato in Italia: per un documento estero scegli «Passaporto estero» o «Documento d’identità estero».', 'This document type is issued in Italy: for a foreign document choose "Foreign passport" or "Foreign identity document".'));
  }

  const date = (key: 'issuedOn' | 'expiresOn'): string | undefined => {
    const v = d[key];
    if (typeof v === 'string' && parseIsoDate(v)) return v;
    issues.push(fieldIssue(`${p}.${key}`, 'invalid_date', 'Data non valida: usa il formato AAAA-MM-GG.', 'Invalid date: use the YYYY-MM-DD format.'));
    return undefined;
  };
  const issuedOn = date('issuedOn');
  const expiresOn = date('expiresOn');
  if (issuedOn) {
    if (issuedOn > today) issues.push(fieldIssue(`${p}.issuedOn`, 'date_in_future', 'La data di rilascio è nel futuro.', 'The date of issue is in the future.'));
    else if (opts.birthDate && issuedOn <= opts.birthDate) {
      issues.push(fieldIssue(`${p}.issuedOn`, 'before_birth', 'La data di rilascio precede la nascita.', 'The date of issue is not after the date of birth.'));
    }
  }
  if (expiresOn && expiresOn <= today) {
    issues.push(fieldIssue(`${p}.expiresOn`, 'expired', 'Il documento è scaduto: serve un documento in corso di validità.', 'The document has expired: a valid document is needed.'));
  }
  if (issuedOn && expiresOn) {
    if (expiresOn <= issuedOn) {
      issues.push(fieldIssue(`${p}.expiresOn`, 'before_issue', 'La scadenza precede il rilascio.', 'The expiry date is not after the date of issue.'));
    } else if (expiresOn > plusYears(issuedOn, MAX_VALIDITY_YEARS) || dayNumber(expiresOn)! - dayNumber(issuedOn)! > MAX_VALIDITY_YEARS * 366) {
      issues.push(
        fieldIssue(
          `${p}.expiresOn`,
          'validity_too_long',
          `Validità non plausibile: oltre ${MAX_VALIDITY_YEARS} anni dal rilascio.`,
          `Implausible validity: more than ${MAX_VALIDITY_YEARS} years after issue.`,
        ),
      );
    }
  }
  if (issues.length || !type || !issuedOn || !expiresOn) return { issues };
  return { document: { type, number, issuer, issuingCountry, issuedOn, expiresOn }, issues };
}

/** A foreign document's issuer with its issuing state, unless the issuer already names it: "Stadt Berlin (Germania)". */
export function issuerText(doc: Pick<IdentityDocument, 'issuer' | 'issuingCountry'>): string {
  if (!doc.issuingCountry || doc.issuingCountry === 'IT') return doc.issuer;
  const country = countryName(doc.issuingCountry).it;
  return doc.issuer.toLowerCase().includes(country.toLowerCase()) ? doc.issuer : `${doc.issuer} (${country})`;
}
