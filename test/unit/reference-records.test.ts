/**
 * The institute's records as an import file gives them: the development data set is valid, and
 * each kind of bad line is rejected with its line number and what is wrong, keeping the good ones.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCsv, parseRecordsCsv, RECORD_COLUMNS } from '../../domain/reference-records';

const HEADER = RECORD_COLUMNS.join(',');

describe('institute records import file', () => {
  it('the development data set is valid, and covers every profile, both schemes, intermediaries, Italy and abroad', () => {
    const { records, rejected, headerProblem } = parseRecordsCsv(readFileSync('dev/data/institute-records.csv', 'utf8'));
    expect(headerProblem).toBeUndefined();
    expect(rejected).toEqual([]);
    expect(new Set(records.map((r) => r.profile.category))).toEqual(new Set(['pensioner', 'employee', 'self_employed', 'citizen']));
    expect(new Set(records.map((r) => r.profile.scheme).filter(Boolean))).toEqual(new Set(['private', 'public']));
    expect(records.some((r) => r.profile.intermediary)).toBe(true);
    expect(records.some((r) => r.residence.abroad) && records.some((r) => !r.residence.abroad)).toBe(true);
    expect(records.some((r) => !r.healthCard)).toBe(true);
  });

  it('rejects each bad line with its number and problems, and keeps the good ones', () => {
    const csv = [
      HEADER,
      'CNTFNC44M06L219N,pensioner,public,false,false,IT,Via Po 12,Torino,10123,TO,80380000100000000010,2030-12-31',
      'CNTFNC44M06L219X,pensioner,public,false,false,IT,Via Po 12,Torino,10123,TO,,',
      'FNTRRT70H01A944W,astronaut,private,maybe,false,FR,,Bologna,4012,,123,',
      'CNTFNC44M06L219N,pensioner,public,false,false,IT,Via Po 14,Torino,10123,TO,,',
      '',
      'GLLSRA88D51Z600G,citizen,,false,true,AR,"Avenida Corrientes 800, piso 3",Buenos Aires,C1043,,,',
      'RSSMRA58C54Z600J,citizen,,false,true,ZZ,Calle Falsa 1,Nowhere,1000,,,',
    ].join('\r\n');
    const { records, rejected } = parseRecordsCsv(csv);
    expect(records.map((r) => r.codiceFiscale)).toEqual(['CNTFNC44M06L219N', 'GLLSRA88D51Z600G']);
    expect(records[1]!.residence.address).toBe('Avenida Corrientes 800, piso 3');
    expect(records[1]!.profile).toEqual({ category: 'citizen' });
    expect(rejected.map((r) => r.line)).toEqual([3, 4, 5, 8]);
    expect(rejected[0]!.problems.join(' ')).toMatch(/^codice_fiscale: /);
    expect(rejected[1]!.problems).toEqual(
      expect.arrayContaining(['category: one of pensioner, employee, self_employed, citizen', 'intermediary: true or false', 'country: IT when not abroad', 'address: required', 'postal_code: 5 digits in Italy', 'province: 2-letter code in Italy', 'health card: number and expiry together, or neither']),
    );
    expect(rejected[2]!.problems).toEqual(['codice_fiscale: already on line 2']);
    // Two letters that name no country.
    expect(rejected[3]!.problems).toEqual(['country: 2-letter ISO code of a country']);
  });

  it('refuses a file without the expected columns as a whole, and reads quoted fields', () => {
    expect(parseRecordsCsv('codice_fiscale,category\nX,Y\n').headerProblem).toMatch(/^missing columns: scheme, intermediary/);
    expect(parseCsv('a,"b ""quoted"", c",d\n1,2,3')).toEqual([
      ['a', 'b "quoted", c', 'd'],
      ['1', '2', '3'],
    ]);
  });
});
