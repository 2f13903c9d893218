/**
 * Loading the institute's records (residence, profile, health card) from an import file:
 * `npm run records:import -- file.csv` in production, the development data set
 * (dev/data/institute-records.csv) at `npm start`. Every valid line is stored (a person already
 * on record is replaced); every invalid one is reported with its line and problems and changes
 * nothing. The card number is kept only as an HMAC under the pepper.
 */
import { parseRecordsCsv, type RejectedRow } from '../domain/reference-records';
import { withTransaction, type Pool } from '../lib/db';
import { registerHealthCard } from './lifecycle/revocation';

export interface ImportReport {
  imported: number;
  rejected: RejectedRow[];
  /** The file cannot be read as records at all (e.g. a missing column): nothing was stored. */
  headerProblem?: string;
}

export async function importInstituteRecords(pool: Pool, pepper: Buffer, csv: string, opts: { dryRun?: boolean } = {}): Promise<ImportReport> {
  const { records, rejected, headerProblem } = parseRecordsCsv(csv);
  if (headerProblem) return { imported: 0, rejected, headerProblem };
  if (!opts.dryRun) {
    // One transaction per 500 people: a large archive loads in bounded steps, each all or nothing.
    for (let i = 0; i < records.length; i += 500) {
      await withTransaction(pool, async (client) => {
        for (const r of records.slice(i, i + 500)) {
          await client.query(
            `INSERT INTO institute_records (codice_fiscale, residence, profile) VALUES ($1::text, $2::jsonb, $3::jsonb)
             ON CONFLICT (codice_fiscale) DO UPDATE SET residence = EXCLUDED.residence, profile = EXCLUDED.profile`,
            [r.codiceFiscale, JSON.stringify(r.residence), JSON.stringify(r.profile)],
          );
          if (r.healthCard) await registerHealthCard(client, pepper, { codiceFiscale: r.codiceFiscale, ...r.healthCard });
        }
      });
    }
  }
  return { imported: records.length, rejected };
}

/** The report as lines for a person (the import script, the start-up log). */
export function reportLines(report: ImportReport, file: string): string[] {
  if (report.headerProblem) return [`${file}: not imported — ${report.headerProblem}`];
  return [
    `${file}: ${report.imported} records imported, ${report.rejected.length} rejected`,
    ...report.rejected.map((r) => `  line ${r.line}: ${r.problems.join('; ')}`),
  ];
}
