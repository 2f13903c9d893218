/**
 * Italian codice fiscale (tax code) of a natural person: structure, check character,
 * omocodia, decoding and consistency with the personal data it is derived from.
 *
 * Layout (1-based positions):
 *
 * | pos   | content                                   |
 * | ----- | ----------------------------------------- |
 * | 1-3   | surname code                              |
 * | 4-6   | name code                                 |
 * | 7-8   | year of birth, last two digits            |
 * | 9     | month letter (A B C D E H L M P R S T)    |
 * | 10-11 | day of birth; +40 for women               |
 * | 12-15 | Belfiore code of the place of birth       |
 * | 16    | check character                           |
 *
 * Omocodia: when two people would get the same code, the Agenzia delle Entrate replaces digits
 * with letters (0→L 1→M 2→N 3→P 4→Q 5→R 6→S 7→T 8→U 9→V), starting from the rightmost digit
 * (position 15) and moving left through 14, 13, 11, 10, 8, 7; the check character is then
 * recomputed on the substituted code. A code can thus have up to seven substituted positions.
 *
 * Everything here is pure except that the birthplace checks read the Belfiore data set loaded
 * by `belfiore.ts`.
 */
import { fieldIssue, type Bilingual, type FieldIssue } from './errors';
import { dayNumber, formatIsoDate, isRealDate, italianCalendarDate, parseIsoDate } from './calendar';
import {
  existedOn,
  findCountries,
  findMunicipalities,
  FOREIGN_PROVINCE,
  placeByCode,
  type BelfiorePlace,
} from './belfiore';

/** Sex as recorded in the codice fiscale. */
export type Sex = 'M' | 'F';

/** 0-based indexes of the characters that omocodia may turn into letters, right to left. */
const OMOCODIA_POSITIONS: readonly number[] = Object.freeze([14, 13, 12, 10, 9, 7, 6]);

const OMOCODIA_LETTERS = 'LMNPQRSTUV';
const MONTH_LETTERS = 'ABCDEHLMPRST';
const VOWELS = 'AEIOU';

/**
 * How far (in days) a municipality's creation or cessation may be from the birth date for a
 * code mismatch to be explained by it. One year absorbs registry delays around a merger.
 */
const BIRTHPLACE_TOLERANCE_DAYS = 366;

/** Per-position character classes: L = letter, D = digit or omocodia letter. */
const SHAPE = 'LLLLLLDDLDDLDDDL';

/** Default field paths used in issues, matching the PIN request JSON. */
const CF_FIELDS = Object.freeze({
  codiceFiscale: 'codiceFiscale',
  birthMunicipality: 'birthMunicipality',
  birthProvince: 'birthProvince',
});


/**
 * Canonical written form: surrounding and inner white space removed, upper case.
 * People often type the code in groups ("RSS MRA 80A01 H501U").
 */
export function normaliseCodiceFiscale(raw: string): string {
  return raw.replace(/\s+/g, '').toUpperCase();
}

/**
 * Structural check of an already normalised code: 16 characters, letters and digits where
 * the layout wants them (omocodia letters allowed in the seven numeric positions), a valid
 * month letter, a real day of month. The check character is *not* verified here.
 * Returns a bilingual reason, or `undefined` when the shape is fine.
 */
export function structuralProblem(cf: string): Bilingual | undefined {
  if (cf.length !== 16) {
    return {
      it: `Il codice fiscale deve avere 16 caratteri (ne ha ${cf.length}).`,
      en: `The codice fiscale must have 16 characters (it has ${cf.length}).`,
    };
  }
  for (let i = 0; i < 16; i++) {
    const ch = cf.charAt(i);
    const wantsLetter = SHAPE.charAt(i) === 'L';
    const ok = wantsLetter ? /^[A-Z]$/.test(ch) : /^[0-9]$/.test(ch) || OMOCODIA_LETTERS.includes(ch);
    if (!ok) {
      return {
        it: `Carattere non ammesso in posizione ${i + 1} del codice fiscale: «${ch}».`,
        en: `Character not allowed at position ${i + 1} of the codice fiscale: "${ch}".`,
      };
    }
  }
  const canonical = restoreDigits(cf);
  if (!MONTH_LETTERS.includes(canonical.charAt(8))) {
    return {
      it: `La lettera del mese di nascita («${canonical.charAt(8)}») non è valida.`,
      en: `The month-of-birth letter ("${canonical.charAt(8)}") is not valid.`,
    };
  }
  const rawDay = Number(canonical.slice(9, 11));
  const day = rawDay > 40 ? rawDay - 40 : rawDay;
  const month = MONTH_LETTERS.indexOf(canonical.charAt(8)) + 1;
  // The century is unknown: the day must exist in 19yy or 20yy (29 February only in years
  // ending in a multiple of 4, 00 included thanks to 2000).
  const yy = Number(canonical.slice(6, 8));
  const dayExists = [1900, 2000].some((century) => isRealDate(century + yy, month, day));
  if (rawDay === 0 || (rawDay > 31 && rawDay < 41) || rawDay > 71 || !dayExists) {
    return {
      it: 'Il giorno di nascita nel codice fiscale non è valido.',
      en: 'The day of birth in the codice fiscale is not valid.',
    };
  }
  return undefined;
}

/** Numeric value of a character in the odd (1st, 3rd, …) positions of the check algorithm. */
const ODD_VALUES: readonly number[] = [
  1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

/** Index 0-25 of a letter, or 0-9 of a digit: both tables of the algorithm are indexed by it. */
function ordinal(ch: string): number {
  const code = ch.charCodeAt(0);
  return code >= 48 && code <= 57 ? code - 48 : code - 65;
}

/**
 * The check character (position 16) for the first 15 characters of a code, omocodic or not.
 * Odd positions are weighted with the ministerial table, even ones count their ordinal; the
 * sum modulo 26 is the letter.
 */
export function computeCheckCharacter(first15: string): string {
  const text = first15.toUpperCase();
  if (!/^[A-Z0-9]{15}$/.test(text)) throw new Error('computeCheckCharacter needs 15 letters or digits');
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    const n = ordinal(text.charAt(i));
    // i is 0-based, so even i is an odd (1st, 3rd, …) position.
    sum += i % 2 === 0 ? (ODD_VALUES[n] ?? 0) : n;
  }
  return String.fromCharCode(65 + (sum % 26));
}

/** True when the 16th character matches the one computed from the first 15. */
export function hasValidCheckCharacter(cf: string): boolean {
  return cf.length === 16 && /^[A-Z0-9]{15}[A-Z]$/.test(cf) && computeCheckCharacter(cf.slice(0, 15)) === cf.charAt(15);
}

/** Puts digits back in the seven numeric positions, leaving the check character untouched. */
function restoreDigits(cf: string): string {
  const chars = cf.split('');
  for (const pos of OMOCODIA_POSITIONS) {
    const ch = chars[pos];
    if (ch === undefined) continue;
    const idx = OMOCODIA_LETTERS.indexOf(ch);
    if (idx >= 0) chars[pos] = String(idx);
  }
  return chars.join('');
}

/**
 * The canonical (non-omocodic) form of a structurally valid code: substituted letters turned
 * back into digits and the check character recomputed. This is the form to compare two codes
 * of the same person or to look a person up.
 */
export function deOmocodia(cf: string): string {
  const digits = restoreDigits(normaliseCodiceFiscale(cf)).slice(0, 15);
  return digits + computeCheckCharacter(digits);
}

/** How many of the seven numeric positions carry an omocodia letter (0 for a plain code). */
export function omocodiaLevel(cf: string): number {
  return OMOCODIA_POSITIONS.filter((pos) => OMOCODIA_LETTERS.includes(cf.charAt(pos))).length;
}

/**
 * The omocodic variant of a code at `level` (0-7): the rightmost `level` numeric positions
 * substituted, as the Agenzia delle Entrate assigns them, with the check character recomputed.
 */
export function applyOmocodia(cf: string, level: number): string {
  if (!Number.isInteger(level) || level < 0 || level > OMOCODIA_POSITIONS.length) {
    throw new RangeError('omocodia level must be an integer from 0 to 7');
  }
  const chars = restoreDigits(normaliseCodiceFiscale(cf)).slice(0, 15).split('');
  for (const pos of OMOCODIA_POSITIONS.slice(0, level)) {
    chars[pos] = OMOCODIA_LETTERS.charAt(Number(chars[pos]));
  }
  const first15 = chars.join('');
  return first15 + computeCheckCharacter(first15);
}

/** Letters of a name as the code sees them: accents dropped, anything but A-Z ignored. */
function codeLetters(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(/[^A-Z]/g, '');
}

function splitLetters(text: string): { consonants: string; vowels: string } {
  const letters = codeLetters(text);
  let consonants = '';
  let vowels = '';
  for (const ch of letters) {
    if (VOWELS.includes(ch)) vowels += ch;
    else consonants += ch;
  }
  return { consonants, vowels };
}

/** Three-letter surname code: consonants, then vowels, then X as padding. */
export function surnameCode(surname: string): string {
  const { consonants, vowels } = splitLetters(surname);
  return (consonants + vowels + 'XXX').slice(0, 3);
}

/**
 * Three-letter name code. Like the surname, except that with four or more consonants the 1st,
 * 3rd and 4th are taken (so "Francesco" gives FNC, not FRN), which spreads common names apart.
 */
export function nameCode(name: string): string {
  const { consonants, vowels } = splitLetters(name);
  if (consonants.length >= 4) return consonants.charAt(0) + consonants.charAt(2) + consonants.charAt(3);
  return (consonants + vowels + 'XXX').slice(0, 3);
}

/** What a structurally valid codice fiscale says about its holder. */
export interface DecodedCodiceFiscale {
  /** The code as given (normalised). */
  code: string;
  /** Non-omocodic form with its own check character. */
  canonical: string;
  omocodiaLevel: number;
  surnameCode: string;
  nameCode: string;
  /**
   * Birth date, `YYYY-MM-DD`. The code stores only two digits of the year: the century is the
   * one giving the most recent date not after `today` (someone born in 1920 decodes as 2020
   * once 2020 has passed; compare `yearTwoDigits` when the real date is known).
   */
  birthDate: string;
  yearTwoDigits: number;
  month: number;
  day: number;
  sex: Sex;
  /** Belfiore code of the place of birth, digits restored. */
  belfioreCode: string;
  /** The place, when the data set knows the code. */
  birthPlace?: BelfiorePlace;
}

/**
 * Decodes a code that passes `structuralProblem`; returns `undefined` for one that does not.
 * The check character is not required to be right: decoding helps explain a mistyped code.
 */
export function decodeCodiceFiscale(raw: string, today: Date): DecodedCodiceFiscale | undefined {
  const code = normaliseCodiceFiscale(raw);
  if (structuralProblem(code)) return undefined;
  const digits = restoreDigits(code);
  const yy = Number(digits.slice(6, 8));
  const month = MONTH_LETTERS.indexOf(digits.charAt(8)) + 1;
  const rawDay = Number(digits.slice(9, 11));
  const sex: Sex = rawDay > 40 ? 'F' : 'M';
  const day = sex === 'F' ? rawDay - 40 : rawDay;

  const todayIso = italianCalendarDate(today);
  const currentYear = Number(todayIso.slice(0, 4));
  // Most recent year ending in yy whose date is not in the future; a 29 February that does not
  // exist in a candidate year moves the search one more century back.
  let birthDate = '';
  for (let year = currentYear - ((currentYear - yy) % 100 + 100) % 100; year > currentYear - 300; year -= 100) {
    if (!isRealDate(year, month, day)) continue;
    const candidate = formatIsoDate({ year, month, day });
    if (candidate <= todayIso) {
      birthDate = candidate;
      break;
    }
  }
  const belfioreCode = digits.slice(11, 15);
  const birthPlace = placeByCode(belfioreCode);
  return {
    code,
    canonical: deOmocodia(code),
    omocodiaLevel: omocodiaLevel(code),
    surnameCode: code.slice(0, 3),
    nameCode: code.slice(3, 6),
    birthDate,
    yearTwoDigits: yy,
    month,
    day,
    sex,
    belfioreCode,
    ...(birthPlace ? { birthPlace } : {}),
  };
}

/** Result of the format checks alone. */
export interface CodiceFiscaleFormatResult {
  normalised: string;
  /** `cf_format` or `cf_check_char` issues; empty when the code is well formed. */
  errors: FieldIssue[];
}

/**
 * Format checks: normalisation, structure (`cf_format`), check character (`cf_check_char`).
 * Use this alone where only a code is asked for (recovery, revocation).
 */
export function validateCodiceFiscaleFormat(raw: string, field: string = CF_FIELDS.codiceFiscale): CodiceFiscaleFormatResult {
  const normalised = normaliseCodiceFiscale(raw);
  const problem = structuralProblem(normalised);
  if (problem) return { normalised, errors: [{ field, code: 'cf_format', message: problem }] };
  if (!hasValidCheckCharacter(normalised)) {
    return {
      normalised,
      errors: [
        fieldIssue(
          field,
          'cf_check_char',
          'Il carattere di controllo del codice fiscale non è corretto: verifica di averlo trascritto bene.',
          'The check character of the codice fiscale is wrong: please check that it was copied correctly.',
        ),
      ],
    };
  }
  return { normalised, errors: [] };
}

/**
 * The personal data a codice fiscale is derived from. Every field is optional so that the
 * components that were given (and valid) can be checked even when others are missing.
 */
export interface CodiceFiscalePerson {
  surname?: string;
  name?: string;
  /** `YYYY-MM-DD`. */
  birthDate?: string;
  sex?: Sex;
  /** Province sigla, or `EE` when born abroad. */
  birthProvince?: string;
  /** Municipality name, or the country name (or ISO alpha-2 code) when born abroad. */
  birthMunicipality?: string;
}

/** Errors (the code contradicts the data) and warnings (explainable differences), separately. */
export interface CodiceFiscaleCheck {
  errors: FieldIssue[];
  warnings: FieldIssue[];
}

/** Field paths for the issues of a consistency check; defaults match the PIN request. */
export interface CodiceFiscaleFieldNames {
  codiceFiscale?: string;
  birthMunicipality?: string;
}

/**
 * The places a birth province + municipality (or country) may refer to.
 * `inProvince` are those of that province (current or former: Monza is under MI and MB);
 * `elsewhere` have the name but only in other provinces, to tell the citizen where to look.
 */
export interface BirthplaceCandidates {
  foreign: boolean;
  inProvince: BelfiorePlace[];
  elsewhere: BelfiorePlace[];
}

/** Looks up the places a birth province and municipality name may refer to. */
export function birthplaceCandidates(province: string, municipality: string): BirthplaceCandidates {
  const sigla = province.trim().toUpperCase();
  if (sigla === FOREIGN_PROVINCE) return { foreign: true, inProvince: findCountries(municipality), elsewhere: [] };
  const all = findMunicipalities(municipality);
  return {
    foreign: false,
    inProvince: all.filter((p) => p.provinces.includes(sigla)),
    elsewhere: all.filter((p) => !p.provinces.includes(sigla)),
  };
}

/**
 * The issue for a birthplace the data sets do not know in that province
 * (`cf_birthplace_unknown`), or `undefined` when the name resolves. Independent of any codice
 * fiscale: a request with an unknown municipality is invalid whatever its code. Former
 * provinces count (Monza is found under MI and MB), so a province reorganisation after the
 * birth does not make a municipality unknown.
 */
export function birthplaceUnknownIssue(
  province: string,
  municipality: string,
  field: string = CF_FIELDS.birthMunicipality,
): FieldIssue | undefined {
  const c = birthplaceCandidates(province, municipality);
  if (c.inProvince.length > 0) return undefined;
  const sigla = province.trim().toUpperCase();
  if (c.foreign) {
    return fieldIssue(
      field,
      'cf_birthplace_unknown',
      `Stato estero di nascita sconosciuto: «${municipality}». Indica il nome in italiano (ad es. «Francia»).`,
      `Unknown country of birth: "${municipality}". Give its name in Italian or English (e.g. "France").`,
    );
  }
  if (c.elsewhere.length > 0) {
    const where = [...new Set(c.elsewhere.flatMap((p) => p.provinces))].sort().join(', ');
    return fieldIssue(
      field,
      'cf_birthplace_unknown',
      `Il comune «${municipality}» non risulta nella provincia ${sigla} (risulta in: ${where}).`,
      `The municipality "${municipality}" is not in the province ${sigla} (it is in: ${where}).`,
    );
  }
  return fieldIssue(
    field,
    'cf_birthplace_unknown',
    `Comune di nascita sconosciuto: «${municipality}» (${sigla}).`,
    `Unknown municipality of birth: "${municipality}" (${sigla}).`,
  );
}

function daysApart(a: string | undefined, b: string | undefined): number | undefined {
  if (a === undefined || b === undefined) return undefined;
  const da = dayNumber(a);
  const db = dayNumber(b);
  return da === undefined || db === undefined ? undefined : Math.abs(da - db);
}

/**
 * True when `from` plausibly turned into `to` (merger, rename, re-creation): same province and
 * `to` was created within the tolerance of `from`'s cessation.
 */
function succeeded(from: BelfiorePlace, to: BelfiorePlace): boolean {
  if (!from.provinces.some((p) => to.provinces.includes(p))) return false;
  const gap = daysApart(from.validTo, to.validFrom);
  return gap !== undefined && gap <= BIRTHPLACE_TOLERANCE_DAYS;
}

function describe(place: BelfiorePlace): string {
  if (place.kind === 'country') return `${place.name} (${place.code})`;
  const period = place.validTo ? ` ${place.validFrom ?? '…'} → ${place.validTo}` : '';
  return `${place.name} (${place.provinces[0] ?? '?'}, ${place.code}${period})`;
}

/**
 * Compares the Belfiore code of a codice fiscale with the declared place of birth.
 *
 * - Code among the places with that name and province, in force at the birth date: fine; if it
 *   is a ceased namesake (Bellagio A744 before the 2014 re-creation as M335) a warning
 *   `cf_birthplace_historical` records it.
 * - Code of a same-name place not in force within the tolerance of the birth date: error.
 * - Code of another municipality of the same province that ceased when the declared one was
 *   created, or vice versa, and in force at the birth date (born in Abetone, now part of
 *   Abetone Cutigliano): warning `cf_birthplace_changed`.
 * - Born abroad, code of a ceased state in force at the birth date (USSR, Yugoslavia) while
 *   another country is declared: warning `cf_birthplace_changed`.
 * - Anything else: error `cf_birthplace_mismatch`. A declared place unknown in that province
 *   gives `cf_birthplace_unknown` (see `birthplaceUnknownIssue`) and no comparison.
 */
function checkBirthplace(
  belfioreCode: string,
  province: string,
  municipality: string,
  birthDate: string | undefined,
  fields: CodiceFiscaleFieldNames = {},
): CodiceFiscaleCheck {
  const cfField = fields.codiceFiscale ?? CF_FIELDS.codiceFiscale;
  const placeField = fields.birthMunicipality ?? CF_FIELDS.birthMunicipality;
  const errors: FieldIssue[] = [];
  const warnings: FieldIssue[] = [];
  const unknown = birthplaceUnknownIssue(province, municipality, placeField);
  if (unknown) return { errors: [unknown], warnings };

  const c = birthplaceCandidates(province, municipality);
  const cfPlace = placeByCode(belfioreCode);
  const cfPlaceText = cfPlace ? describe(cfPlace) : belfioreCode;
  const inForceAtBirth = (p: BelfiorePlace) =>
    birthDate === undefined ? undefined : existedOn(p, birthDate, BIRTHPLACE_TOLERANCE_DAYS);
  const mismatch = () =>
    fieldIssue(
      cfField,
      'cf_birthplace_mismatch',
      `Il luogo di nascita nel codice fiscale (${cfPlaceText}) non corrisponde a quello indicato (${municipality}, ${province.toUpperCase()}).`,
      `The place of birth in the codice fiscale (${cfPlaceText}) does not match the one given (${municipality}, ${province.toUpperCase()}).`,
    );

  const direct = c.inProvince.find((p) => p.code === belfioreCode);
  if (direct) {
    if (inForceAtBirth(direct) === false) {
      errors.push(
        fieldIssue(
          cfField,
          'cf_birthplace_mismatch',
          `Il codice del comune nel codice fiscale (${describe(direct)}) non era in vigore alla data di nascita.`,
          `The municipality code in the codice fiscale (${describe(direct)}) was not in force at the date of birth.`,
        ),
      );
    } else if (!direct.active && c.inProvince.some((p) => p.code !== direct.code)) {
      warnings.push(
        fieldIssue(
          cfField,
          'cf_birthplace_historical',
          `Il codice fiscale riporta il codice di un comune omonimo poi soppresso (${describe(direct)}), valido alla data di nascita.`,
          `The codice fiscale carries the code of a namesake municipality since dissolved (${describe(direct)}), valid at the date of birth.`,
        ),
      );
    }
    return { errors, warnings };
  }

  if (!cfPlace || (cfPlace.kind === 'country') !== c.foreign || inForceAtBirth(cfPlace) === false) {
    errors.push(mismatch());
    return { errors, warnings };
  }

  const explained = c.foreign
    ? !cfPlace.active && cfPlace.validTo !== undefined
    : c.inProvince.some((given) => succeeded(cfPlace, given) || succeeded(given, cfPlace));
  if (explained) {
    warnings.push(
      fieldIssue(
        cfField,
        'cf_birthplace_changed',
        `Il codice fiscale riporta ${cfPlaceText}, soppresso o istituito in seguito a variazioni territoriali intorno alla data di nascita; il luogo indicato è ${municipality}. Verifica che si tratti dello stesso luogo.`,
        `The codice fiscale carries ${cfPlaceText}, dissolved or created by territorial changes around the date of birth; the place given is ${municipality}. Please check that it is the same place.`,
      ),
    );
  } else {
    errors.push(mismatch());
  }
  return { errors, warnings };
}

/**
 * Checks a well-formed codice fiscale against the personal data it should be derived from.
 * Only the components whose data are given are compared. Issue codes:
 * `cf_surname_mismatch`, `cf_name_mismatch`, `cf_birthdate_mismatch`, `cf_sex_mismatch`,
 * `cf_birthplace_mismatch`, `cf_birthplace_unknown` (errors); `cf_birthplace_historical`,
 * `cf_birthplace_changed` (warnings).
 *
 * The birth date is compared on day, month and the two year digits the code stores, so the
 * century guess of `decodeCodiceFiscale` never causes a false mismatch.
 * Omocodic codes are compared through their canonical form. A structurally invalid code gives
 * a single `cf_format` error; a wrong check character is *not* reported here (see
 * `validateCodiceFiscaleFormat`).
 */
export function checkCodiceFiscaleConsistency(
  raw: string,
  person: CodiceFiscalePerson,
  opts: { today: Date; fields?: CodiceFiscaleFieldNames },
): CodiceFiscaleCheck {
  const cfField = opts.fields?.codiceFiscale ?? CF_FIELDS.codiceFiscale;
  const decoded = decodeCodiceFiscale(raw, opts.today);
  if (!decoded) {
    const problem = structuralProblem(normaliseCodiceFiscale(raw)) ?? {
      it: 'Codice fiscale non valido.',
      en: 'Invalid codice fiscale.',
    };
    return { errors: [{ field: cfField, code: 'cf_format', message: problem }], warnings: [] };
  }
  const errors: FieldIssue[] = [];
  const warnings: FieldIssue[] = [];

  if (person.surname !== undefined && surnameCode(person.surname) !== decoded.surnameCode) {
    errors.push(
      fieldIssue(
        cfField,
        'cf_surname_mismatch',
        `Il cognome non corrisponde al codice fiscale (atteso «${surnameCode(person.surname)}», nel codice «${decoded.surnameCode}»).`,
        `The surname does not match the codice fiscale (expected "${surnameCode(person.surname)}", the code has "${decoded.surnameCode}").`,
      ),
    );
  }
  if (person.name !== undefined && nameCode(person.name) !== decoded.nameCode) {
    errors.push(
      fieldIssue(
        cfField,
        'cf_name_mismatch',
        `Il nome non corrisponde al codice fiscale (atteso «${nameCode(person.name)}», nel codice «${decoded.nameCode}»).`,
        `The name does not match the codice fiscale (expected "${nameCode(person.name)}", the code has "${decoded.nameCode}").`,
      ),
    );
  }
  const birth = person.birthDate !== undefined ? parseIsoDate(person.birthDate) : undefined;
  if (birth) {
    const sameDate =
      birth.year % 100 === decoded.yearTwoDigits && birth.month === decoded.month && birth.day === decoded.day;
    if (!sameDate) {
      errors.push(
        fieldIssue(
          cfField,
          'cf_birthdate_mismatch',
          'La data di nascita non corrisponde al codice fiscale.',
          'The date of birth does not match the codice fiscale.',
        ),
      );
    }
  }
  if (person.sex !== undefined && person.sex !== decoded.sex) {
    errors.push(
      fieldIssue(
        cfField,
        'cf_sex_mismatch',
        `Il sesso indicato non corrisponde al codice fiscale (che indica ${decoded.sex === 'F' ? 'femmina' : 'maschio'}).`,
        `The sex given does not match the codice fiscale (which says ${decoded.sex === 'F' ? 'female' : 'male'}).`,
      ),
    );
  }
  if (person.birthProvince !== undefined && person.birthMunicipality !== undefined) {
    const place = checkBirthplace(
      decoded.belfioreCode,
      person.birthProvince,
      person.birthMunicipality,
      birth ? person.birthDate : undefined,
      opts.fields,
    );
    errors.push(...place.errors);
    warnings.push(...place.warnings);
  }
  return { errors, warnings };
}

/** Everything about one code at once: format, then (if well formed) consistency. */
export interface CodiceFiscaleVerification extends CodiceFiscaleCheck {
  normalised: string;
  decoded?: DecodedCodiceFiscale;
}

/**
 * Full verification: `validateCodiceFiscaleFormat` then `checkCodiceFiscaleConsistency`.
 * With a wrong check character the consistency is still checked, so a person gets every
 * problem at once.
 */
export function verifyCodiceFiscale(
  raw: string,
  person: CodiceFiscalePerson,
  opts: { today: Date; fields?: CodiceFiscaleFieldNames },
): CodiceFiscaleVerification {
  const field = opts.fields?.codiceFiscale ?? CF_FIELDS.codiceFiscale;
  const format = validateCodiceFiscaleFormat(raw, field);
  const decoded = decodeCodiceFiscale(format.normalised, opts.today);
  if (!decoded) return { normalised: format.normalised, errors: format.errors, warnings: [] };
  const consistency = checkCodiceFiscaleConsistency(format.normalised, person, opts);
  return {
    normalised: format.normalised,
    decoded,
    errors: [...format.errors, ...consistency.errors],
    warnings: consistency.warnings,
  };
}

/** Personal data needed to compute a code. */
export interface CodiceFiscaleInput {
  surname: string;
  name: string;
  birthDate: string;
  sex: Sex;
  birthProvince: string;
  birthMunicipality: string;
}

/**
 * Computes the (non-omocodic) codice fiscale for a person, choosing the Belfiore code in
 * force at the birth date when a name has several. Throws when the date or place is unknown.
 * Only the Agenzia delle Entrate assigns codes: this is for checks, tests and suggestions.
 */
export function computeCodiceFiscale(input: CodiceFiscaleInput): string {
  const birth = parseIsoDate(input.birthDate);
  if (!birth) throw new Error(`invalid birth date: ${input.birthDate}`);
  const c = birthplaceCandidates(input.birthProvince, input.birthMunicipality);
  const candidates = c.inProvince;
  const place =
    candidates.find((p) => existedOn(p, input.birthDate) === true) ??
    candidates.find((p) => p.active) ??
    candidates[0];
  if (!place) throw new Error(`unknown place of birth: ${input.birthMunicipality} (${input.birthProvince})`);
  const yy = String(birth.year % 100).padStart(2, '0');
  const day = String(input.sex === 'F' ? birth.day + 40 : birth.day).padStart(2, '0');
  const first15 =
    surnameCode(input.surname) + nameCode(input.name) + yy + MONTH_LETTERS.charAt(birth.month - 1) + day + place.code;
  return first15 + computeCheckCharacter(first15);
}
