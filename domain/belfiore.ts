/**
 * Belfiore codes (codici catastali): the four characters of a codice fiscale that name the
 * Italian municipality, or the foreign country, of birth.
 *
 * ## Data set
 *
 * No table here is typed by hand. Two maintained npm data sets are merged when this module loads:
 *
 * - **`@marketto/belfiore-connector-embedded`** (ANPR "archivio comuni" of the Ministero
 *   dell'Interno, CC BY 4.0; ISTAT lists of current and ceased foreign countries, CC BY 3.0).
 *   One record per code with the **validity period** of the code (date of creation, date of
 *   cessation), the province sigla at the time the municipality was last in force (`FU` for
 *   Fiume, `PS` for Pesaro e Urbino, …) and, for countries, the ISO 3166-1 alpha-2 code. About
 *   9,800 municipality codes (≈1,900 ceased) and 220 countries (a few ceased: USSR, Yugoslavia,
 *   Czechoslovakia, GDR, Serbia and Montenegro, South Yemen). Only the latest denomination of
 *   each code is kept there.
 * - **`codice-fiscale-js`** (ISTAT "elenco comuni" plus the library's own history). Several
 *   denominations per code (for example `ABANO BAGNI` and `ABANO TERME`, both `A001`), the
 *   province sigla under current **and** former provinces (Monza under `MI` and `MB`), a
 *   current/ceased flag, and ~335 country denominations including historical ones. It has no
 *   dates. About 650 ceased municipality codes exist only here; their validity is unknown.
 *
 * Merging: names and provinces are the union of both; dates and ISO codes come from the first;
 * "active" is true when either source says so. Country names in Italian and English from the
 * runtime's CLDR data (`Intl.DisplayNames`) are added as look-up aliases, so "Germany",
 * "Germania" and "DE" all find `Z112`.
 *
 * ## Limits
 *
 * - Successions (which municipality merged into which) are **not** in either data set; callers
 *   infer them from dates and provinces (see `codice-fiscale.ts`).
 * - Validity dates of countries are not meaningful (all start on 1861-01-01); only the
 *   cessation of the few ceased states is.
 * - Data are as fresh as the installed package versions; a municipality created after the
 *   package was published is unknown until the packages are updated.
 *
 * Loading decodes the packed data set once (top-level await, well under a second). Workflow
 * code must not import this module: it is data-heavy and meant for the API and activities.
 */
import { belfioreConnector } from '@marketto/belfiore-connector-embedded';
import { COMUNI } from 'codice-fiscale-js/src/lista-comuni.js';
import { PROVINCE } from 'codice-fiscale-js/src/lista-province.js';
import { dayNumber } from './calendar';

/** Whether a Belfiore code names an Italian municipality or a foreign country. */
export type PlaceKind = 'municipality' | 'country';

/** One Belfiore code with everything the merged data sets know about it. */
export interface BelfiorePlace {
  /** Four characters: a letter and three digits; countries start with `Z`. */
  readonly code: string;
  readonly kind: PlaceKind;
  /** Display name (latest official denomination). */
  readonly name: string;
  /** Every known denomination, display form, latest first. */
  readonly names: readonly string[];
  /** Province sigle the municipality has belonged to; `['EE']` for countries. */
  readonly provinces: readonly string[];
  /** ISO 3166-1 alpha-2 code of a country, when known. */
  readonly iso3166?: string;
  /** First day the code was in force (`YYYY-MM-DD`), when known. */
  readonly validFrom?: string;
  /** Last day the code was in force (`YYYY-MM-DD`); absent for current codes or when unknown. */
  readonly validTo?: string;
  /** True when the code is still in force. */
  readonly active: boolean;
}

/** Province sigla used in codice fiscale data for people born abroad. */
export const FOREIGN_PROVINCE = 'EE';

interface MutablePlace {
  code: string;
  kind: PlaceKind;
  displayNames: string[];
  provinces: Set<string>;
  iso3166?: string;
  validFrom?: string;
  validTo?: string;
  active: boolean;
}

/**
 * Reduces a place name to upper-case letters and digits, so that "Zoppè di Cadore",
 * "ZOPPE' DI CADORE" and "zoppe di cadore" compare equal, and so do "Corigliano-Rossano" and
 * "CORIGLIANO ROSSANO".
 */
function normalisePlaceName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '');
}

/** Some names in the packed data set were stored as UTF-8 read as Latin-1 ("CittÃ "); undo it. */
function repairMojibake(name: string): string {
  if (!/[ÃÂ]/.test(name)) return name;
  const repaired = Buffer.from(name, 'latin1').toString('utf8');
  return repaired.includes('\uFFFD') ? name : repaired;
}

/** Local calendar date of a Date built by dayjs at local midnight / end of day. */
function localIsoDate(date: Date): string {
  const y = String(date.getFullYear()).padStart(4, '0');
  const m = String(date.getMonth() + 1).padStart(2, '0');
  const d = String(date.getDate()).padStart(2, '0');
  return `${y}-${m}-${d}`;
}

/** The connector marks "no end" and "no known start" with far dates; treat them as absent. */
const OPEN_END_YEAR = 9999;

// ISTAT uses the old reserved "UK" for the United Kingdom; ISO 3166-1 says GB.
const ISO_FIXES: Readonly<Record<string, string>> = { UK: 'GB' };

function buildIndex(): {
  byCode: Map<string, BelfiorePlace>;
  municipalitiesByName: Map<string, BelfiorePlace[]>;
  countriesByName: Map<string, BelfiorePlace[]>;
  countriesByIso: Map<string, BelfiorePlace[]>;
  allProvinces: Set<string>;
  currentProvinces: Set<string>;
} {
  const places = new Map<string, MutablePlace>();
  const ensure = (code: string): MutablePlace => {
    let place = places.get(code);
    if (!place) {
      place = {
        code,
        kind: code.startsWith('Z') ? 'country' : 'municipality',
        displayNames: [],
        provinces: new Set(),
        active: false,
      };
      places.set(code, place);
    }
    return place;
  };
  const addName = (place: MutablePlace, name: string, first: boolean) => {
    const clean = repairMojibake(name.trim());
    if (!clean) return;
    const norm = normalisePlaceName(clean);
    if (place.displayNames.some((n) => normalisePlaceName(n) === norm)) return;
    if (first) place.displayNames.unshift(clean);
    else place.displayNames.push(clean);
  };

  // ANPR/ISTAT data first: its names are mixed-case with accents, better for display.
  for (const p of dataFromConnector) {
    const place = ensure(p.belfioreCode);
    addName(place, p.name, false);
    if (place.kind === 'country') {
      place.provinces.add(FOREIGN_PROVINCE);
      const iso = (p.iso3166 ?? '').trim().toUpperCase();
      if (/^[A-Z]{2}$/.test(iso)) place.iso3166 = ISO_FIXES[iso] ?? iso;
    } else if (p.province && p.province.trim()) {
      place.provinces.add(p.province.trim().toUpperCase());
    }
    const end = p.expirationDate;
    place.active = end.getFullYear() >= OPEN_END_YEAR;
    if (!place.active) place.validTo = localIsoDate(end);
    place.validFrom = localIsoDate(p.creationDate);
  }

  // codice-fiscale-js: extra (older) denominations, former provinces, codes ANPR lacks.
  // Rows flagged current are listed first so that the display name is the current one.
  for (const [code, province, name, current] of COMUNI) {
    const place = ensure(code);
    const isNew = place.displayNames.length === 0;
    addName(place, name, isNew && current === 1);
    place.provinces.add(place.kind === 'country' ? FOREIGN_PROVINCE : province.toUpperCase());
    if (current === 1 && place.validTo === undefined) place.active = true;
  }

  const byCode = new Map<string, BelfiorePlace>();
  const municipalitiesByName = new Map<string, BelfiorePlace[]>();
  const countriesByName = new Map<string, BelfiorePlace[]>();
  const countriesByIso = new Map<string, BelfiorePlace[]>();
  const allProvinces = new Set<string>();
  const currentProvinces = new Set<string>();
  const push = (map: Map<string, BelfiorePlace[]>, key: string, place: BelfiorePlace) => {
    if (!key) return;
    const list = map.get(key);
    if (!list) map.set(key, [place]);
    else if (!list.includes(place)) list.push(place);
  };

  const italianNames = new Intl.DisplayNames(['it'], { type: 'region', fallback: 'none' });
  const englishNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

  for (const m of places.values()) {
    const place: BelfiorePlace = Object.freeze({
      code: m.code,
      kind: m.kind,
      name: m.displayNames[0] ?? m.code,
      names: Object.freeze([...m.displayNames]),
      provinces: Object.freeze([...m.provinces]),
      ...(m.iso3166 ? { iso3166: m.iso3166 } : {}),
      ...(m.validFrom ? { validFrom: m.validFrom } : {}),
      ...(m.validTo ? { validTo: m.validTo } : {}),
      active: m.active,
    });
    byCode.set(place.code, place);
    if (place.kind === 'country') {
      for (const n of place.names) for (const key of lookupKeys(n)) push(countriesByName, key, place);
      if (place.iso3166) push(countriesByIso, place.iso3166, place);
      // CLDR names are look-up aliases: "Germany", "Stati Uniti", "Regno Unito". Only for states
      // in force: CLDR maps ceased codes to a successor (DD is "Germany", YU is "Serbia").
      if (place.iso3166 && place.active) {
        for (const dn of [italianNames, englishNames]) {
          const alias = safeRegionName(dn, place.iso3166);
          if (alias) push(countriesByName, normalisePlaceName(alias), place);
        }
      }
    } else {
      for (const n of place.names) for (const key of lookupKeys(n)) push(municipalitiesByName, key, place);
      for (const p of place.provinces) {
        allProvinces.add(p);
        if (place.active) currentProvinces.add(p);
      }
    }
  }
  for (const sigla of Object.keys(PROVINCE)) {
    if (sigla === FOREIGN_PROVINCE) continue;
    allProvinces.add(sigla);
    currentProvinces.add(sigla);
  }
  return { byCode, municipalitiesByName, countriesByName, countriesByIso, allProvinces, currentProvinces };
}

/**
 * Look-up keys of one denomination. ISTAT writes alternatives as "RUSSIA=FEDERAZIONE RUSSA" or
 * "Myanmar/Birmania" and qualifiers as "ANGUILLA (ISOLA)": each alternative, with and without
 * the parenthesis, finds the place.
 */
function lookupKeys(name: string): string[] {
  const keys = new Set<string>();
  for (const part of [name, ...name.split(/[=/]/)]) {
    keys.add(normalisePlaceName(part));
    keys.add(normalisePlaceName(part.replace(/\([^)]*\)/g, '')));
  }
  keys.delete('');
  return [...keys];
}

function safeRegionName(dn: Intl.DisplayNames, code: string): string | undefined {
  try {
    return dn.of(code);
  } catch {
    return undefined;
  }
}

// The connector's API is asynchronous only; the data are in memory, so one await at load time
// lets every look-up below stay synchronous (and validation stay a plain function).
const dataFromConnector = await belfioreConnector.toArray().then((list) =>
  list.map((p) => ({
    belfioreCode: p.belfioreCode,
    name: p.name,
    province: 'province' in p ? p.province : undefined,
    iso3166: 'iso3166' in p ? p.iso3166 : undefined,
    creationDate: p.creationDate,
    expirationDate: p.expirationDate,
  })),
);

const INDEX = buildIndex();

/** Counts describing the loaded data set, for diagnostics and the documentation. */
export const BELFIORE_DATASET = Object.freeze({
  sources: Object.freeze([
    '@marketto/belfiore-connector-embedded (ANPR archivio comuni; ISTAT paesi esteri)',
    'codice-fiscale-js (ISTAT elenco comuni, historical denominations)',
  ]),
  municipalities: [...INDEX.byCode.values()].filter((p) => p.kind === 'municipality').length,
  countries: [...INDEX.byCode.values()].filter((p) => p.kind === 'country').length,
});

/** The place a Belfiore code stands for, or `undefined` when no data set knows it. */
export function placeByCode(code: string): BelfiorePlace | undefined {
  return INDEX.byCode.get(code.trim().toUpperCase());
}

/**
 * Municipalities with the given name (any known denomination). With a province, only those
 * that belong or belonged to it. Several results are normal: namesakes in other provinces, or
 * a municipality dissolved and re-created with a new code (Bellagio, A744 → M335).
 */
export function findMunicipalities(name: string, province?: string): BelfiorePlace[] {
  const list = INDEX.municipalitiesByName.get(normalisePlaceName(name)) ?? [];
  if (province === undefined) return [...list];
  const sigla = province.trim().toUpperCase();
  return list.filter((p) => p.provinces.includes(sigla));
}

/**
 * Foreign countries matching a name in Italian (official or historical ISTAT denominations),
 * a CLDR name in Italian or English, or an ISO 3166-1 alpha-2 code.
 */
export function findCountries(nameOrIso: string): BelfiorePlace[] {
  const text = nameOrIso.trim();
  const byName = INDEX.countriesByName.get(normalisePlaceName(text)) ?? [];
  const byIso = /^[A-Za-z]{2}$/.test(text) ? (INDEX.countriesByIso.get(text.toUpperCase()) ?? []) : [];
  return [...new Set([...byName, ...byIso])];
}

/** True for a province sigla known now or in the past (Fiume `FU`, Pola `PL`, Forlì `FO`, …). */
export function isKnownProvince(sigla: string): boolean {
  return INDEX.allProvinces.has(sigla.trim().toUpperCase());
}

/** True for a province sigla with municipalities in force today (usable for a residence). */
export function isCurrentProvince(sigla: string): boolean {
  return INDEX.currentProvinces.has(sigla.trim().toUpperCase());
}

/**
 * Whether the code was in force on a date, allowing `toleranceDays` either side.
 * `undefined` when the data set has no dates for the code (a ceased code known only by name).
 */
export function existedOn(place: BelfiorePlace, isoDate: string, toleranceDays = 0): boolean | undefined {
  const day = dayNumber(isoDate);
  if (day === undefined) return undefined;
  if (place.validFrom === undefined && place.validTo === undefined && !place.active) return undefined;
  const from = place.validFrom !== undefined ? dayNumber(place.validFrom) : undefined;
  const to = place.validTo !== undefined ? dayNumber(place.validTo) : undefined;
  if (from !== undefined && day < from - toleranceDays) return false;
  if (to !== undefined && day > to + toleranceDays) return false;
  if (to === undefined && !place.active) return undefined;
  return true;
}
