/**
 * Writing CSV (RFC 4180): fields separated by commas, lines by CRLF; a field holding a comma, a
 * double quote, a line break or leading/trailing spaces is quoted, its quotes doubled.
 */
import { countryName } from './countries';

export function csvField(value: string | number | null | undefined): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const csvLine = (fields: (string | number | null | undefined)[]): string => `${fields.map(csvField).join(',')}\r\n`;

/** A letter as the print-and-post provider's CSV lists it. */
export interface PrintManifestLetter {
  sequence: number;
  letterId: string;
  holder: { name: string; surname: string };
  residence: { address: string; city: string; postalCode: string; province?: string; country: string };
}

export const PRINT_MANIFEST_COLUMNS = ['sequence', 'letter_id', 'recipient_name', 'address_line_1', 'address_line_2', 'postal_code', 'city', 'province', 'country', 'country_name'] as const;

/** The CSV manifest of a batch: a header, then one line per letter in the print file's order. */
export function printManifestCsv(letters: PrintManifestLetter[]): string {
  const lines = [csvLine([...PRINT_MANIFEST_COLUMNS])];
  for (const l of letters) {
    const r = l.residence;
    lines.push(
      csvLine([
        l.sequence,
        l.letterId,
        `${l.holder.name} ${l.holder.surname}`,
        r.address,
        // The second line as printed in the envelope's window.
        [r.postalCode, r.city, r.province ? `(${r.province})` : ''].filter(Boolean).join(' '),
        r.postalCode,
        r.city,
        r.province ?? '',
        r.country,
        // The UPU rule, as on the envelope: the country in the language of the sending country.
        countryName(r.country).it,
      ]),
    );
  }
  return lines.join('');
}
