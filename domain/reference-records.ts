/**
 * The institute's own records of a person — residence, profile (category, scheme, whether an
 * institutional intermediary) and, optionally, the health-insurance card used to revoke a PIN
 * online — as an import file gives them: CSV with a header row, one person per line. Parsing and
 * checks only; services/reference-data.ts stores what passes.
 */
import { parseIsoDate } from './calendar';
import { isIsoCountryCode } from './countries';
import { validateCodiceFiscaleFormat } from './codice-fiscale';
import { PROFILE_CATEGORIES, SCHEMES } from './services';

export const RECORD_COLUMNS = [
  'codice_fiscale',
  'category',
  'scheme',
  'intermediary',
  'abroad',
  'country',
  'address',
  'city',
  'postal_code',
  'province',
  'health_card_number',
  'health_card_expires_on',
] as const;

export interface InstituteRecord {
  codiceFiscale: string;
  profile: { category: string; scheme?: string; intermediary?: true };
  residence: { abroad: boolean; country: string; address: string; city: string; postalCode: string; province?: string };
  healthCard?: { number: string; expiresOn: string };
}

export interface RejectedRow {
  /** 1-based line number in the file (the header is line 1). */
  line: number;
  problems: string[];
}

/** Splits CSV text into rows of fields (RFC 4180: quoted fields, doubled quotes, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const bool = (v: string): boolean | undefined => (v === 'true' ? true : v === 'false' || v === '' ? false : undefined);

/** Checks every data line; the valid ones become records, the others are reported with their line and problems. */
export function parseRecordsCsv(text: string): { records: InstituteRecord[]; rejected: RejectedRow[]; headerProblem?: string } {
  const rows = parseCsv(text.replace(/^\uFEFF/, ''));
  const header = (rows[0] ?? []).map((h) => h.trim().toLowerCase());
  const missing = RECORD_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length) return { records: [], rejected: [], headerProblem: `missing columns: ${missing.join(', ')}` };
  const records: InstituteRecord[] = [];
  const rejected: RejectedRow[] = [];
  const seen = new Map<string, number>();
  rows.slice(1).forEach((cells, i) => {
    const line = i + 2;
    if (cells.every((c) => c.trim() === '')) return;
    const v = Object.fromEntries(header.map((h, j) => [h, (cells[j] ?? '').trim()])) as Record<string, string>;
    const problems: string[] = [];
    const cf = validateCodiceFiscaleFormat(v.codice_fiscale ?? '');
    if (cf.errors.length) problems.push(`codice_fiscale: ${cf.errors.map((e) => e.message.en).join('; ')}`);
    else if (seen.has(cf.normalised)) problems.push(`codice_fiscale: already on line ${seen.get(cf.normalised)}`);
    const category = v.category ?? '';
    if (!(PROFILE_CATEGORIES as readonly string[]).includes(category)) problems.push(`category: one of ${PROFILE_CATEGORIES.join(', ')}`);
    const scheme = v.scheme ?? '';
    if (category !== 'citizen' && !(SCHEMES as readonly string[]).includes(scheme)) problems.push(`scheme: one of ${SCHEMES.join(', ')}`);
    if (category === 'citizen' && scheme !== '') problems.push('scheme: empty for a citizen with no position');
    const intermediary = bool(v.intermediary ?? '');
    if (intermediary === undefined) problems.push('intermediary: true or false');
    const abroad = bool(v.abroad ?? '');
    if (abroad === undefined) problems.push('abroad: true or false');
    const country = (v.country ?? '').toUpperCase();
    if (!/^[A-Z]{2}$/.test(country) || !isIsoCountryCode(country)) problems.push('country: 2-letter ISO code of a country');
    else if (abroad === false && country !== 'IT') problems.push('country: IT when not abroad');
    else if (abroad === true && country === 'IT') problems.push('country: not IT when abroad');
    if (!v.address) problems.push('address: required');
    if (!v.city) problems.push('city: required');
    if (!v.postal_code) problems.push('postal_code: required');
    else if (abroad === false && !/^\d{5}$/.test(v.postal_code)) problems.push('postal_code: 5 digits in Italy');
    const province = (v.province ?? '').toUpperCase();
    if (abroad === false && !/^[A-Z]{2}$/.test(province)) problems.push('province: 2-letter code in Italy');
    const cardNumber = v.health_card_number ?? '';
    const cardExpiry = v.health_card_expires_on ?? '';
    if ((cardNumber === '') !== (cardExpiry === '')) problems.push('health card: number and expiry together, or neither');
    else if (cardNumber && !/^\d{20}$/.test(cardNumber)) problems.push('health_card_number: 20 digits');
    else if (cardExpiry && !parseIsoDate(cardExpiry)) problems.push('health_card_expires_on: YYYY-MM-DD');
    if (problems.length) {
      rejected.push({ line, problems });
      return;
    }
    seen.set(cf.normalised, line);
    records.push({
      codiceFiscale: cf.normalised,
      profile: { category, ...(category !== 'citizen' ? { scheme } : {}), ...(intermediary ? { intermediary: true as const } : {}) },
      residence: { abroad: abroad!, country, address: v.address!, city: v.city!, postalCode: v.postal_code!, ...(province ? { province } : {}) },
      ...(cardNumber ? { healthCard: { number: cardNumber, expiresOn: cardExpiry } } : {}),
    });
  });
  return { records, rejected };
}
