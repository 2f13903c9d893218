/**
 * Reference data comes from an import, not from the migrations: a freshly migrated database holds
 * nobody, and `npm run records:import` loads a file — valid lines stored (the health card only
 * as an HMAC), invalid ones reported with their line, the exit code saying which happened.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_COLUMNS } from '../../domain/reference-records';
import { createPool, type Pool } from '../../lib/db';
import { freshDatabase } from '../support/stack';

let databaseUrl: string;
let pool: Pool;
const env = () => ({ ...process.env, DATABASE_URL: databaseUrl, PIN_PEPPER: randomBytes(32).toString('base64'), SECRETS_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'silent' });
const run = (args: string[]) =>
  promisify(execFile)('npx', ['tsx', 'scripts/import-records.ts', ...args], { env: env() }).then(
    (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
  );

beforeAll(async () => {
  databaseUrl = await freshDatabase('records');
  pool = createPool(databaseUrl, 1);
});
afterAll(async () => {
  await pool?.end();
});

describe('institute records', () => {
  it('are not in the schema: a freshly migrated database holds nobody', async () => {
    expect((await pool.query('SELECT count(*)::int AS n FROM institute_records')).rows[0]).toEqual({ n: 0 });
    expect((await pool.query('SELECT count(*)::int AS n FROM health_cards')).rows[0]).toEqual({ n: 0 });
  });

  it('`npm run records:import` stores the valid lines, reports the others by line, and says so in its exit code', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'records-')), 'archive.csv');
    writeFileSync(
      file,
      [
        RECORD_COLUMNS.join(','),
        'CNTFNC44M06L219N,pensioner,public,false,false,IT,Via Po 12,Torino,10123,TO,80380000100000000010,2030-12-31',
        'CLMPLA66P17F205O,self_employed,private,true,false,IT,Corso Buenos Aires 33,Milano,20124,MI,,',
        'FNTRRT70H01A944W,employee,private,false,false,IT,Via Indipendenza 4,Bologna,4012,BO,,',
      ].join('\n'),
    );
    const dry = await run([file, '--dry-run']);
    expect(dry.code).toBe(1);
    expect((await pool.query('SELECT count(*)::int AS n FROM institute_records')).rows[0]).toEqual({ n: 0 });

    const loaded = await run([file]);
    expect(loaded.code).toBe(1);
    expect(loaded.err).toContain('2 records imported, 1 rejected');
    expect(loaded.err).toContain('line 4: postal_code: 5 digits in Italy');
    const { rows } = await pool.query<{ codice_fiscale: string; profile: unknown; residence: { city: string } }>('SELECT codice_fiscale, profile, residence FROM institute_records ORDER BY codice_fiscale');
    expect(rows.map((r) => r.codice_fiscale)).toEqual(['CLMPLA66P17F205O', 'CNTFNC44M06L219N']);
    expect(rows[0]!.profile).toEqual({ category: 'self_employed', scheme: 'private', intermediary: true });
    const cards = await pool.query<{ codice_fiscale: string; card_number_hash: Buffer }>('SELECT codice_fiscale, card_number_hash FROM health_cards');
    expect(cards.rows.map((c) => c.codice_fiscale)).toEqual(['CNTFNC44M06L219N']);
    expect(cards.rows[0]!.card_number_hash.toString('hex')).not.toContain('80380000100000000010');

    // The development data set loads whole; a file without the columns is refused whole.
    expect((await run(['dev/data/institute-records.csv'])).code).toBe(0);
    expect((await pool.query('SELECT count(*)::int AS n FROM institute_records')).rows[0]!.n).toBeGreaterThanOrEqual(12);
    writeFileSync(file, 'codice_fiscale\nCNTFNC44M06L219N\n');
    const unusable = await run([file]);
    expect(unusable.code).toBe(2);
    expect(unusable.err).toContain('not imported — missing columns');
  });
});
