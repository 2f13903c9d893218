/**
 * Where the configuration puts things (database, public URL, folders), read the same way by the
 * worker, the API and the scripts, so they agree.
 */
import path from 'node:path';
import type { Config } from './config';

export function requireDatabaseUrl(config: Config): string {
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is not set (npm start sets it to the embedded PostgreSQL)');
  return config.DATABASE_URL;
}

export function publicBaseUrl(config: Config): string {
  return config.PUBLIC_BASE_URL ?? `http://${config.API_HOST}:${config.API_PORT}`;
}

export function mailroomDir(config: Config): string {
  return path.resolve(config.MAILROOM_DIR ?? path.join(config.DATA_DIR, 'mailroom'));
}

/** The audit chain's checkpoint file (lib/audit-checkpoints.ts). */
export function auditCheckpointFile(config: Config): string {
  return path.resolve(config.AUDIT_CHECKPOINT_FILE ?? path.join(config.DATA_DIR, 'audit-checkpoints.jsonl'));
}

export function documentsDir(config: Config): string {
  return path.resolve(config.DOCUMENTS_DIR ?? path.join(config.DATA_DIR, 'documents'));
}

/** The proxies whose X-Forwarded-For the API believes (see `TRUSTED_PROXIES`); empty: none. */
export function trustedProxies(config: Config): string[] {
  const spec = config.TRUSTED_PROXIES ?? (config.NODE_ENV === 'production' ? 'none' : 'loopback');
  const list = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list.includes('none') ? [] : list;
}
