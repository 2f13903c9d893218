/**
 * The database a command-line tool works on: DATABASE_URL, or in development the embedded
 * PostgreSQL of the `npm start` running on DATA_DIR (its stack file says where). Exits with a
 * message when there is neither.
 */
import path from 'node:path';
import { readStackFile } from '../dev/stack-file';
import type { Config } from '../lib/config';
import { createPool, type Pool } from '../lib/db';
import { keyAuditLog } from '../lib/audit';
import { loadKeys } from '../lib/keys';
import { migrate } from '../lib/migrate';
import { requireDatabaseUrl } from '../lib/runtime';
import { DomainError } from '../domain/errors';

export async function toolPool(config: Config): Promise<Pool> {
  const running = config.DATABASE_URL || config.NODE_ENV === 'production' ? undefined : readStackFile(path.resolve(config.DATA_DIR));
  if (!config.DATABASE_URL && config.NODE_ENV !== 'production' && !running) {
    console.error(`No DATABASE_URL and no running \`npm start\` on ${path.resolve(config.DATA_DIR)}: start the stack first, or set DATABASE_URL.`);
    process.exit(2);
  }
  // Staff tools write audit rows: under the same key as the API and the worker.
  const pool = keyAuditLog(createPool(running?.databaseUrl ?? requireDatabaseUrl(config), 1), loadKeys(config).secrets);
  await migrate(pool);
  return pool;
}

/** Prints a refusal (with its fields) for the operator and sets a failing exit code; rethrows anything else. */
export function reportRefusal(err: unknown): void {
  if (!(err instanceof DomainError)) throw err;
  console.error(`${err.userMessage.en}${err.fields.length ? `: ${err.fields.map((f) => `${f.field} — ${f.message.en}`).join('; ')}` : ''}`);
  process.exitCode = 1;
}
