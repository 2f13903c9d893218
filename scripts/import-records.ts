/**
 * `npm run records:import -- file.csv [--dry-run]`: loads the institute's records (residence,
 * profile, health card) from a CSV file with the header of dev/data/institute-records.csv. Valid
 * lines are stored, invalid ones listed with their problems. Exit code 0 when every line was
 * imported, 1 when some were rejected (the others are stored), 2 when the file is unusable.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../lib/config';
import { loadKeys } from '../lib/keys';
import { importInstituteRecords, reportLines } from '../services/reference-data';
import { toolPool } from './tool-database';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (!file) {
  console.error('usage: npm run records:import -- file.csv [--dry-run]');
  process.exit(2);
}
const config = loadConfig();
const pool = await toolPool(config);
try {
  const report = await importInstituteRecords(pool, loadKeys(config).pepper, readFileSync(file, 'utf8'), { dryRun: args.includes('--dry-run') });
  const write = report.rejected.length || report.headerProblem ? console.error : console.log;
  for (const line of reportLines(report, file)) write(line);
  process.exitCode = report.headerProblem ? 2 : report.rejected.length ? 1 : 0;
} finally {
  await pool.end();
}
