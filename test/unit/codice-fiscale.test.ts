import { describe, expect, it } from 'vitest';
import cfjsModule from 'codice-fiscale-js';
import {
  applyOmocodia,
  checkCodiceFiscaleConsistency,
  computeCheckCharacter,
  computeCodiceFiscale,
  decodeCodiceFiscale,
  deOmocodia,
  hasValidCheckCharacter,
  nameCode,
  normaliseCodiceFiscale,
  omocodiaLevel,
  structuralProblem,
  surnameCode,
  validateCodiceFiscaleFormat,
  verifyCodiceFiscale,
  type CodiceFiscaleInput,
} from '../../domain/codice-fiscale';
import { BELFIORE_DATASET, existedOn, findCountries, findMunicipalities, placeByCode } from '../../domain/belfiore';

// codice-fiscale-js is an independent implementation used here only as an oracle. Its CommonJS
// bundle exports `{ CodiceFiscale }` while its typings describe a default class export.
type Oracle = { getCheckCode(cf: string): string; getOmocodie(cf: string): string[]; compute(o: object): string };
const oracle: Oracle =
  (cfjsModule as unknown as { CodiceFiscale?: Oracle }).CodiceFiscale ?? (cfjsModule as unknown as Oracle);

const TODAY = new Date('2025-06-01T10:00:00Z');
const ROSSI: CodiceFiscaleInput = {
  surname: 'Rossi',
  name: 'Mario',
  birthDate: '1980-01-01',
  sex: 'M',
  birthProvince: 'RM',
  birthMunicipality: 'Roma',
};
const ROSSI_CF = 'RSSMRA80A01H501U';

const codes = (issues: { code: string }[]) => issues.map((i) => i.code);

describe('check character', () => {
  it('computes the published check character of a well-known code', () => {
    expect(computeCheckCharacter('RSSMRA80A01H501')).toBe('U');
    expect(hasValidCheckCharacter(ROSSI_CF)).toBe(true);
  });

  it('agrees with an independent implementation on many generated codes', () => {
    // Deterministic pseudo-random codes: a linear congruential generator keeps the test stable.
    let seed = 12345;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const L = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const pick = (alphabet: string) => alphabet.charAt(next(alphabet.length));
    for (let i = 0; i < 300; i++) {
      let first15 = '';
      for (let j = 0; j < 15; j++) first15 += pick([6, 7, 9, 10, 12, 13, 14].includes(j) ? '0123456789' : L);
      expect(computeCheckCharacter(first15)).toBe(oracle.getCheckCode(first15));
    }
  });

  it('rejects every wrong check character with cf_check_char', () => {
    for (const letter of 'ABCDEFGHIJKLMNOPQRSTVWXYZ') {
      const result = validateCodiceFiscaleFormat(ROSSI_CF.slice(0, 15) + letter);
      expect(codes(result.errors)).toEqual(['cf_check_char']);
      expect(result.errors[0]?.field).toBe('codiceFiscale');
      expect(result.errors[0]?.message.it).toMatch(/controllo/);
      expect(result.errors[0]?.message.en).toMatch(/check character/);
    }
  });

  it('accepts the right one and reports on the requested field', () => {
    expect(validateCodiceFiscaleFormat(ROSSI_CF).errors).toEqual([]);
    expect(validateCodiceFiscaleFormat('RSSMRA80A01H501A', 'cf').errors[0]?.field).toBe('cf');
  });
});

describe('structure and normalisation', () => {
  it('normalises case and spaces', () => {
    expect(normaliseCodiceFiscale('  rss mra 80a01 h501u ')).toBe(ROSSI_CF);
    const result = validateCodiceFiscaleFormat(' rssmra80a01h501u\t');
    expect(result.normalised).toBe(ROSSI_CF);
    expect(result.errors).toEqual([]);
  });

  it.each([
    ['empty', ''],
    ['15 characters', 'RSSMRA80A01H501'],
    ['17 characters', 'RSSMRA80A01H501UX'],
    ['digit in the surname part', 'R5SMRA80A01H501U'],
    ['letter outside the omocodia set in the year', 'RSSMRA8AA01H501U'],
    ['letter outside the omocodia set in the place', 'RSSMRA80A01HW01U'],
    ['digit as the place letter', 'RSSMRA80A011501U'],
    ['unknown month letter', 'RSSMRA80F01H501U'],
    ['day 00', 'RSSMRA80A00H501U'],
    ['day 32', 'RSSMRA80A32H501U'],
    ['day 40', 'RSSMRA80A40H501U'],
    ['day 72', 'RSSMRA80A72H501U'],
    ['30 February', 'RSSMRA80B30H501U'],
    ['29 February of a year never leap', 'RSSMRA81B29H501U'],
    ['digit as check character', 'RSSMRA80A01H5011'],
    ['punctuation', 'RSSMRA80A01H50-U'],
  ])('rejects %s with cf_format', (_label, code) => {
    const result = validateCodiceFiscaleFormat(code);
    expect(codes(result.errors)).toEqual(['cf_format']);
    expect(result.errors[0]?.message.it.length).toBeGreaterThan(10);
    expect(result.errors[0]?.message.en.length).toBeGreaterThan(10);
    expect(decodeCodiceFiscale(code, TODAY)).toBeUndefined();
  });

  it('accepts 29 February in a year ending in a multiple of four, and female days 41-71', () => {
    expect(structuralProblem('RSSMRA80B29H501U')).toBeUndefined();
    expect(structuralProblem('RSSMRA00B29H501U')).toBeUndefined();
    expect(structuralProblem('RSSMRA80A71H501U')).toBeUndefined();
  });
});

describe('omocodia', () => {
  it.each([0, 1, 2, 3, 4, 5, 6, 7])('level %i is valid, decodes the same and de-omocodises to the base code', (level) => {
    const variant = applyOmocodia(ROSSI_CF, level);
    expect(omocodiaLevel(variant)).toBe(level);
    expect(validateCodiceFiscaleFormat(variant).errors).toEqual([]);
    expect(deOmocodia(variant)).toBe(ROSSI_CF);
    const decoded = decodeCodiceFiscale(variant, TODAY);
    expect(decoded).toMatchObject({
      canonical: ROSSI_CF,
      birthDate: '1980-01-01',
      sex: 'M',
      belfioreCode: 'H501',
      omocodiaLevel: level,
    });
    expect(verifyCodiceFiscale(variant, ROSSI, { today: TODAY })).toMatchObject({ errors: [], warnings: [] });
    if (level > 0) expect(oracle.getOmocodie(ROSSI_CF)).toContain(variant);
  });

  it('substitutes from the right, as the Agenzia delle Entrate does', () => {
    expect(applyOmocodia(ROSSI_CF, 1).slice(0, 15)).toBe('RSSMRA80A01H50M');
    expect(applyOmocodia(ROSSI_CF, 3).slice(0, 15)).toBe('RSSMRA80A01HRLM');
    expect(applyOmocodia(ROSSI_CF, 7).slice(0, 15)).toBe('RSSMRAULALMHRLM');
  });

  it('maps every digit to its letter (0→L … 9→V)', () => {
    // A code whose seven numeric positions hold seven different digits, plus 0-2 via a second one.
    for (const first14 of ['RSSMRA34A56B789', 'RSSMRA01A12B012']) {
      const base = first14 + computeCheckCharacter(first14);
      const full = applyOmocodia(base, 7);
      const expected = first14
        .split('')
        .map((ch, i) => ([6, 7, 9, 10, 12, 13, 14].includes(i) ? 'LMNPQRSTUV'.charAt(Number(ch)) : ch))
        .join('');
      expect(full.slice(0, 15)).toBe(expected);
      expect(oracle.getOmocodie(base)).toContain(full);
      expect(deOmocodia(full)).toBe(base);
    }
  });

  it('accepts every combination of substituted positions (127 variants)', () => {
    const variants = oracle.getOmocodie(ROSSI_CF);
    expect(variants).toHaveLength(127);
    for (const v of variants) {
      expect(validateCodiceFiscaleFormat(v).errors).toEqual([]);
      expect(deOmocodia(v)).toBe(ROSSI_CF);
    }
  });

  it('a wrong check character on an omocodic code is still cf_check_char', () => {
    const variant = applyOmocodia(ROSSI_CF, 4);
    const wrong = variant.slice(0, 15) + (variant.endsWith('A') ? 'B' : 'A');
    expect(codes(validateCodiceFiscaleFormat(wrong).errors)).toEqual(['cf_check_char']);
  });

  it('rejects a level outside 0-7', () => {
    expect(() => applyOmocodia(ROSSI_CF, 8)).toThrow(RangeError);
  });
});

describe('surname and name codes', () => {
  it.each([
    ['Rossi', 'RSS'],
    ['Fo', 'FOX'],
    ['Re', 'REX'],
    ['Oe', 'OEX'],
    ["D'Angelo", 'DNG'],
    ['De Luca', 'DLC'],
    ['Müller', 'MLL'],
    ['Ai', 'AIX'],
  ])('surname %s → %s', (surname, code) => {
    expect(surnameCode(surname)).toBe(code);
  });

  it.each([
    ['Mario', 'MRA'],
    ['Francesco', 'FNC'], // 4+ consonants: 1st, 3rd, 4th
    ['Gianfranco', 'GFR'],
    ['Alessandra', 'LSN'], // L S S N D R: 1st, 3rd, 4th
    ['Luca', 'LCU'],
    ['Ugo', 'GUO'],
    ['Al', 'LAX'],
    ['Nicolò', 'NCL'],
    ['Anna Maria', 'NMR'],
  ])('name %s → %s', (name, code) => {
    expect(nameCode(name)).toBe(code);
  });
});

describe('decoding', () => {
  it('reads date, sex and place of a plain code', () => {
    const d = decodeCodiceFiscale(ROSSI_CF, TODAY);
    expect(d).toMatchObject({ birthDate: '1980-01-01', sex: 'M', belfioreCode: 'H501', surnameCode: 'RSS', nameCode: 'MRA' });
    expect(d?.birthPlace?.name).toBe('Roma');
  });

  it('reads day + 40 as a woman', () => {
    const cf = computeCodiceFiscale({ ...ROSSI, name: 'Maria', sex: 'F', birthDate: '1985-07-15' });
    expect(cf.slice(9, 11)).toBe('55');
    expect(decodeCodiceFiscale(cf, TODAY)).toMatchObject({ sex: 'F', birthDate: '1985-07-15', day: 15, month: 7 });
  });

  it('picks the most recent century that is not in the future', () => {
    const cf = computeCodiceFiscale({ ...ROSSI, birthDate: '2020-01-10' });
    expect(decodeCodiceFiscale(cf, TODAY)?.birthDate).toBe('2020-01-10');
    expect(decodeCodiceFiscale(cf, new Date('2019-06-01T12:00:00Z'))?.birthDate).toBe('1920-01-10');
    // Later this year than "today": last century.
    const december = computeCodiceFiscale({ ...ROSSI, birthDate: '1925-12-24' });
    expect(decodeCodiceFiscale(december, TODAY)?.birthDate).toBe('1925-12-24');
    // Today itself is not in the future.
    const today = computeCodiceFiscale({ ...ROSSI, birthDate: '2025-06-01' });
    expect(decodeCodiceFiscale(today, TODAY)?.birthDate).toBe('2025-06-01');
  });

  it('skips a century in which 29 February does not exist', () => {
    const cf = computeCodiceFiscale({ ...ROSSI, birthDate: '2000-02-29' });
    expect(decodeCodiceFiscale(cf, new Date('2099-01-01T12:00:00Z'))?.birthDate).toBe('2000-02-29');
    // In 2100 the most recent "00" year is 2100, not leap: 2000 is the answer.
    expect(decodeCodiceFiscale(cf, new Date('2100-03-01T12:00:00Z'))?.birthDate).toBe('2000-02-29');
  });
});

describe('computing codes', () => {
  it.each([
    [ROSSI],
    [{ surname: 'Bianchi', name: 'Francesca', birthDate: '1990-03-15', sex: 'F', birthProvince: 'MI', birthMunicipality: 'Milano' }],
    [{ surname: 'Esposito', name: 'Gennaro', birthDate: '1975-11-30', sex: 'M', birthProvince: 'NA', birthMunicipality: 'Napoli' }],
    [{ surname: 'Ferrari', name: 'Giulia', birthDate: '2001-08-09', sex: 'F', birthProvince: 'TO', birthMunicipality: 'Torino' }],
    [{ surname: "Dell'Acqua", name: 'Luca', birthDate: '1968-04-22', sex: 'M', birthProvince: 'BZ', birthMunicipality: 'Bolzano' }],
  ] as [CodiceFiscaleInput][])('matches an independent implementation for %o', (person) => {
    const [y, m, d] = person.birthDate.split('-').map(Number);
    const expected = oracle.compute({
      name: person.name,
      surname: person.surname,
      gender: person.sex,
      day: d,
      month: m,
      year: y,
      birthplace: person.birthMunicipality,
      birthplaceProvincia: person.birthProvince,
    });
    const cf = computeCodiceFiscale(person);
    expect(cf).toBe(expected);
    expect(verifyCodiceFiscale(cf, person, { today: TODAY })).toMatchObject({ errors: [], warnings: [] });
  });

  it('computes the known example', () => {
    expect(computeCodiceFiscale(ROSSI)).toBe(ROSSI_CF);
  });

  it('throws for an unknown place', () => {
    expect(() => computeCodiceFiscale({ ...ROSSI, birthMunicipality: 'Paperopoli' })).toThrow(/unknown place/);
  });
});

describe('consistency with personal data', () => {
  const check = (person: Partial<CodiceFiscaleInput>, cf = ROSSI_CF) =>
    checkCodiceFiscaleConsistency(cf, person, { today: TODAY });

  it('is clean for matching data', () => {
    expect(check(ROSSI)).toEqual({ errors: [], warnings: [] });
  });

  it.each([
    ['surname', { surname: 'Bianchi' }, 'cf_surname_mismatch'],
    ['name', { name: 'Giuseppe' }, 'cf_name_mismatch'],
    ['birth date (day)', { birthDate: '1980-01-02' }, 'cf_birthdate_mismatch'],
    ['birth date (month)', { birthDate: '1980-02-01' }, 'cf_birthdate_mismatch'],
    ['birth date (year)', { birthDate: '1981-01-01' }, 'cf_birthdate_mismatch'],
    ['sex', { sex: 'F' as const }, 'cf_sex_mismatch'],
    ['birthplace', { birthProvince: 'MI', birthMunicipality: 'Milano' }, 'cf_birthplace_mismatch'],
  ])('reports a different %s and nothing else', (_label, change, code) => {
    const result = check({ ...ROSSI, ...change });
    expect(codes(result.errors)).toEqual([code]);
    expect(result.errors[0]?.field).toBe('codiceFiscale');
    expect(result.warnings).toEqual([]);
  });

  it('reports every mismatch at once', () => {
    const result = check({ surname: 'Bianchi', name: 'Anna', birthDate: '1990-05-05', sex: 'F', birthProvince: 'MI', birthMunicipality: 'Milano' });
    expect(codes(result.errors)).toEqual([
      'cf_surname_mismatch',
      'cf_name_mismatch',
      'cf_birthdate_mismatch',
      'cf_sex_mismatch',
      'cf_birthplace_mismatch',
    ]);
  });

  it('checks only the components given', () => {
    expect(check({ surname: 'Rossi' })).toEqual({ errors: [], warnings: [] });
    expect(codes(check({ name: 'Luigi' }).errors)).toEqual(['cf_name_mismatch']);
  });

  it('compares the year on two digits, so centenarians are fine', () => {
    const person = { ...ROSSI, birthDate: '1920-03-03' };
    const cf = computeCodiceFiscale(person);
    expect(decodeCodiceFiscale(cf, TODAY)?.birthDate).toBe('2020-03-03');
    expect(check(person, cf).errors).toEqual([]);
  });

  it('reports a structurally invalid code as cf_format only', () => {
    expect(codes(check(ROSSI, 'RSSMRA80A01').errors)).toEqual(['cf_format']);
  });

  it('verifyCodiceFiscale reports the check character and the mismatches together', () => {
    const result = verifyCodiceFiscale('RSSMRA80A01H501A', { ...ROSSI, surname: 'Verdi' }, { today: TODAY });
    expect(codes(result.errors)).toEqual(['cf_check_char', 'cf_surname_mismatch']);
  });

  it('accepts an omocodic code against the data', () => {
    expect(check(ROSSI, applyOmocodia(ROSSI_CF, 5))).toEqual({ errors: [], warnings: [] });
  });
});

describe('place of birth', () => {
  const place = (person: CodiceFiscaleInput, cf: string) => checkCodiceFiscaleConsistency(cf, person, { today: TODAY });

  describe('abroad (EE)', () => {
    const french: CodiceFiscaleInput = { ...ROSSI, birthProvince: 'EE', birthMunicipality: 'Francia' };
    const cf = computeCodiceFiscale(french);

    it('uses the country code', () => {
      expect(cf.slice(11, 15)).toBe('Z110');
      expect(decodeCodiceFiscale(cf, TODAY)?.birthPlace).toMatchObject({ kind: 'country', iso3166: 'FR' });
    });

    it.each(['Francia', 'FRANCIA', 'France', 'FR', 'fr'])('matches the country given as %s', (given) => {
      expect(place({ ...french, birthMunicipality: given }, cf)).toEqual({ errors: [], warnings: [] });
    });

    it('reports another country', () => {
      expect(codes(place({ ...french, birthMunicipality: 'Germania' }, cf).errors)).toEqual(['cf_birthplace_mismatch']);
    });

    it('reports an Italian code for someone born abroad', () => {
      expect(codes(place({ ...ROSSI, birthProvince: 'EE', birthMunicipality: 'Francia' }, ROSSI_CF).errors)).toEqual([
        'cf_birthplace_mismatch',
      ]);
    });

    it('reports a country code for someone born in Italy', () => {
      expect(codes(place({ ...french, birthProvince: 'RM', birthMunicipality: 'Roma' }, cf).errors)).toEqual([
        'cf_birthplace_mismatch',
      ]);
    });

    it('reports an unknown country on the birthMunicipality field', () => {
      const result = place({ ...french, birthMunicipality: 'Atlantide' }, cf);
      expect(result.errors).toMatchObject([{ field: 'birthMunicipality', code: 'cf_birthplace_unknown' }]);
    });

    it('warns, not errs, for a state that ceased after the birth (Yugoslavia → Serbia)', () => {
      const yugoslav = computeCodiceFiscale({ ...ROSSI, birthProvince: 'EE', birthMunicipality: 'YU' });
      expect(yugoslav.slice(11, 15)).toBe('Z118');
      const result = place({ ...ROSSI, birthProvince: 'EE', birthMunicipality: 'Serbia' }, yugoslav);
      expect(result.errors).toEqual([]);
      expect(codes(result.warnings)).toEqual(['cf_birthplace_changed']);
    });

    it('errs for a ceased state code long after its end', () => {
      const person = { ...ROSSI, birthDate: '2012-01-01', birthProvince: 'EE', birthMunicipality: 'Serbia' };
      const cf2012 = computeCodiceFiscale(person).slice(0, 11) + 'Z118';
      const cf = cf2012 + computeCheckCharacter(cf2012);
      expect(codes(place(person, cf).errors)).toEqual(['cf_birthplace_mismatch']);
    });
  });

  describe('Italy', () => {
    it('reports an unknown municipality on the birthMunicipality field', () => {
      const result = place({ ...ROSSI, birthMunicipality: 'Paperopoli' }, ROSSI_CF);
      expect(result.errors).toMatchObject([{ field: 'birthMunicipality', code: 'cf_birthplace_unknown' }]);
    });

    it('reports a municipality given with a province it never belonged to, naming the right one', () => {
      const result = place({ ...ROSSI, birthProvince: 'MI' }, ROSSI_CF);
      expect(codes(result.errors)).toEqual(['cf_birthplace_unknown']);
      expect(result.errors[0]?.message.it).toContain('RM');
    });

    it('accepts a former province (Monza under MI before MB existed)', () => {
      const person = { ...ROSSI, birthProvince: 'MI', birthMunicipality: 'Monza' };
      const cf = computeCodiceFiscale(person);
      expect(cf.slice(11, 15)).toBe('F704');
      expect(place(person, cf)).toEqual({ errors: [], warnings: [] });
      expect(place({ ...person, birthProvince: 'MB' }, cf)).toEqual({ errors: [], warnings: [] });
    });

    it('matches names regardless of accents, apostrophes and hyphens', () => {
      const person = { ...ROSSI, birthProvince: 'BL', birthMunicipality: 'Zoppè di Cadore' };
      const cf = computeCodiceFiscale(person);
      expect(place({ ...person, birthMunicipality: "ZOPPE' DI CADORE" }, cf)).toEqual({ errors: [], warnings: [] });
    });

    it('warns (not errs) when born in a municipality merged into the one given (Abetone → Abetone Cutigliano)', () => {
      const person = { ...ROSSI, birthDate: '1990-05-05', birthProvince: 'PT', birthMunicipality: 'Abetone' };
      const cf = computeCodiceFiscale(person);
      expect(cf.slice(11, 15)).toBe('A012');
      const result = place({ ...person, birthMunicipality: 'Abetone Cutigliano' }, cf);
      expect(result.errors).toEqual([]);
      expect(result.warnings).toMatchObject([{ field: 'codiceFiscale', code: 'cf_birthplace_changed' }]);
      expect(result.warnings[0]?.message.it).toContain('Abetone');
      expect(result.warnings[0]?.message.en).toContain('Abetone Cutigliano');
    });

    it('warns when the old name is given for a code of the new municipality', () => {
      const person = { ...ROSSI, birthDate: '2018-05-05', birthProvince: 'PT', birthMunicipality: 'Abetone Cutigliano' };
      const cf = computeCodiceFiscale(person);
      expect(cf.slice(11, 15)).toBe('M376');
      const result = place({ ...person, birthMunicipality: 'Abetone' }, cf);
      expect(result.errors).toEqual([]);
      expect(codes(result.warnings)).toEqual(['cf_birthplace_changed']);
    });

    it('still errs for an unrelated municipality of the same province', () => {
      const person = { ...ROSSI, birthDate: '1990-05-05', birthProvince: 'PT', birthMunicipality: 'Abetone' };
      const cf = computeCodiceFiscale(person);
      expect(codes(place({ ...person, birthMunicipality: 'Pistoia' }, cf).errors)).toEqual(['cf_birthplace_mismatch']);
    });

    it('warns for the code of a dissolved namesake valid at the birth date (Bellagio A744)', () => {
      const person = { ...ROSSI, birthDate: '1980-05-05', birthProvince: 'CO', birthMunicipality: 'Bellagio' };
      const cf = computeCodiceFiscale(person);
      expect(cf.slice(11, 15)).toBe('A744');
      const result = place(person, cf);
      expect(result.errors).toEqual([]);
      expect(codes(result.warnings)).toEqual(['cf_birthplace_historical']);
    });

    it('uses the current namesake for a birth after the re-creation, and errs on the old code', () => {
      const person = { ...ROSSI, birthDate: '2020-05-05', birthProvince: 'CO', birthMunicipality: 'Bellagio' };
      const cf = computeCodiceFiscale(person);
      expect(cf.slice(11, 15)).toBe('M335');
      expect(place(person, cf)).toEqual({ errors: [], warnings: [] });
      const old = cf.slice(0, 11) + 'A744';
      expect(codes(place(person, old + computeCheckCharacter(old)).errors)).toEqual(['cf_birthplace_mismatch']);
    });
  });
});

describe('Belfiore data set', () => {
  it('is loaded from the packages, with validity periods', () => {
    expect(BELFIORE_DATASET.municipalities).toBeGreaterThan(9000);
    expect(BELFIORE_DATASET.countries).toBeGreaterThan(200);
    const abetone = placeByCode('A012');
    expect(abetone).toMatchObject({ name: 'Abetone', active: false, validTo: '2017-01-01' });
    expect(existedOn(abetone!, '2000-01-01')).toBe(true);
    expect(existedOn(abetone!, '2018-01-01')).toBe(false);
    expect(placeByCode('H501')).toMatchObject({ active: true, provinces: ['RM'] });
  });

  it('keeps historical denominations from codice-fiscale-js', () => {
    expect(findMunicipalities('Abano Bagni').map((p) => p.code)).toEqual(['A001']);
  });

  it('finds countries by English name without matching ceased states', () => {
    expect(findCountries('Germany').map((p) => p.code)).toEqual(['Z112']);
    expect(findCountries('Regno Unito').map((p) => p.iso3166)).toEqual(['GB']);
  });
});
