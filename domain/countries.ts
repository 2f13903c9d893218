/**
 * ISO 3166-1 alpha-2 country codes, checked against the CLDR data that ships with Node's ICU
 * (`Intl.DisplayNames`) instead of a table typed here.
 *
 * CLDR also names codes that are not countries, or no longer assigned ones; those are excluded
 * by the list below, which follows the ISO 3166 maintenance agency's categories. Kosovo (`XK`),
 * user-assigned but used by the EU and by Italian registries, is accepted.
 */
import type { Bilingual } from './errors';

/**
 * Two-letter region codes CLDR can name that are not officially assigned countries:
 * exceptional reservations (AC, CP, CQ, DG, EA, EU, EZ, FX, IC, TA, UK, UN), transitional
 * reservations of former countries (AN, BU, CS, DD, NH, RH, SU, TP, YD, YU, ZR), indeterminate
 * or withdrawn codes (DY, HV, VD) and CLDR's private-use pseudo-regions (QO, XA, XB, ZZ).
 */
const NOT_A_COUNTRY: ReadonlySet<string> = new Set([
  'AC', 'AN', 'BU', 'CP', 'CQ', 'CS', 'DD', 'DG', 'DY', 'EA', 'EU', 'EZ', 'FX', 'HV', 'IC', 'NH',
  'QO', 'RH', 'SU', 'TA', 'TP', 'UK', 'UN', 'VD', 'XA', 'XB', 'YD', 'YU', 'ZR', 'ZZ',
]);

const itNames = new Intl.DisplayNames(['it'], { type: 'region', fallback: 'none' });
const enNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

function cldrName(names: Intl.DisplayNames, code: string): string | undefined {
  try {
    return names.of(code);
  } catch {
    return undefined;
  }
}

/** True for an upper-case ISO 3166-1 alpha-2 code of a country or territory (plus `XK`). */
export function isIsoCountryCode(code: string): boolean {
  if (!/^[A-Z]{2}$/.test(code) || NOT_A_COUNTRY.has(code)) return false;
  return cldrName(enNames, code) !== undefined;
}

/** The country's name in Italian and English; the code itself when unknown. */
export function countryName(code: string): Bilingual {
  return { it: cldrName(itNames, code) ?? code, en: cldrName(enNames, code) ?? code };
}
