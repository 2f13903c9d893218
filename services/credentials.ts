/**
 * The one definition of a "live" credential — one that still counts as the citizen's PIN (not
 * expired, not revoked) — shared by every lookup, and the lookups several services make. The
 * unique index `credentials_one_live_per_cf` uses the same predicate, so a codice fiscale has at
 * most one live credential.
 */
import type { QueryResultRow } from 'pg';
import type { Pool, PoolClient } from '../lib/db';
import { DomainError, ErrorType, validationError } from '../domain/errors';
import { validateCodiceFiscaleFormat } from '../domain/codice-fiscale';
import { ENDED_STATES } from '../domain/credential';

/** SQL predicate on `credentials` (alias-free): the credential is live. */
export const LIVE_CREDENTIAL = `state NOT IN (${ENDED_STATES.map((s) => `'${s}'`).join(', ')})`;

export { HOLDER_STATES } from '../domain/credential';

type Db = Pick<Pool | PoolClient, 'query'>;

/** The live credential of a codice fiscale (already normalised), with the columns asked for. */
export async function liveCredentialByCodiceFiscale<T extends QueryResultRow>(db: Db, codiceFiscale: string, columns: string): Promise<T | undefined> {
  const { rows } = await db.query<T>(`SELECT ${columns} FROM credentials WHERE codice_fiscale = $1::text AND ${LIVE_CREDENTIAL} LIMIT 1`, [codiceFiscale]);
  return rows[0];
}

/** The credential `id` if it is live, with the columns asked for. */
export async function liveCredentialById<T extends QueryResultRow>(db: Db, id: string, columns: string): Promise<T | undefined> {
  const { rows } = await db.query<T>(`SELECT ${columns} FROM credentials WHERE id = $1::uuid AND ${LIVE_CREDENTIAL}`, [id]);
  return rows[0];
}

/**
 * The live credential of a codice fiscale typed by staff: a VALIDATION error on a malformed code,
 * NOT_FOUND (on the field `codiceFiscale`) when it has no live PIN.
 */
export async function requireLiveCredential<T extends QueryResultRow>(db: Db, typed: string, columns: string): Promise<T> {
  const cf = validateCodiceFiscaleFormat(typed);
  if (cf.errors.length) throw validationError(cf.errors);
  const row = await liveCredentialByCodiceFiscale<T>(db, cf.normalised, columns);
  if (!row) {
    throw new DomainError(ErrorType.NotFound, { it: 'Nessun PIN valido per questo codice fiscale.', en: 'No valid PIN for this codice fiscale.' }, [
      { field: 'codiceFiscale', code: 'not_found', message: { it: 'Nessun PIN valido', en: 'No valid PIN' } },
    ]);
  }
  return row;
}
