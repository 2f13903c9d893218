/**
 * Checks anyone may start with a codice fiscale and some personal data (a recovery request, a
 * holder's revocation): attempts counted per codice fiscale over a sliding window, whether or not
 * the codice fiscale holds a PIN, and the normalised comparison of contacts.
 */
import { createHmac } from 'node:crypto';
import type { PoolClient } from '../../lib/db';
import { DomainError, ErrorType, type Bilingual } from '../../domain/errors';

export type IdentityCheckPurpose = 'recovery' | 'revocation';

export interface AttemptLimit {
  max: number;
  windowMs: number;
}

/** At most 3 recovery requests per codice fiscale per 24 hours (docs/decisions/0011). */
export const RECOVERY_ATTEMPTS: AttemptLimit = Object.freeze({ max: 3, windowMs: 24 * 3_600_000 });
/** A holder's revocation: 5 tries per codice fiscale per 24 hours (typos in a 20-digit number happen). */
export const REVOCATION_ATTEMPTS: AttemptLimit = Object.freeze({ max: 5, windowMs: 24 * 3_600_000 });

/** HMAC-SHA-256(pepper, purpose, codice fiscale): the key attempts are counted under. */
export function attemptKey(pepper: Buffer, purpose: IdentityCheckPurpose, codiceFiscale: string): Buffer {
  return createHmac('sha256', pepper).update(`identity-check\u0000${purpose}\u0000`).update(codiceFiscale).digest();
}

const TOO_MANY: Record<IdentityCheckPurpose, Bilingual> = {
  recovery: {
    it: 'Sono già state fatte 3 richieste di ripristino per questo codice fiscale nelle ultime 24 ore: riprova più tardi.',
    en: 'Three recovery requests were already made for this codice fiscale in the last 24 hours: please try again later.',
  },
  revocation: {
    it: 'Troppi tentativi di revoca per questo codice fiscale nelle ultime 24 ore: riprova più tardi o chiama il Contact center.',
    en: 'Too many revocation attempts for this codice fiscale in the last 24 hours: try again later or call the contact centre.',
  },
};

/**
 * Inside the caller's transaction: serialises attempts on one key (advisory lock), refuses with
 * RATE_LIMITED (429, `retryAfterSeconds`) when the window is full, otherwise records this attempt.
 * A refused attempt is not recorded, so waiting always ends the refusal.
 */
/**
 * Refuses (RATE_LIMITED, TOO_MANY_ATTEMPTS) when the codice fiscale has used its quota in the
 * window; holds a lock on that codice fiscale's count for the rest of the transaction.
 */
export async function checkQuota(client: PoolClient, purpose: IdentityCheckPurpose, key: Buffer, limit: AttemptLimit, now: Date): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [key.readBigInt64BE(0).toString()]);
  const since = new Date(now.getTime() - limit.windowMs);
  const { rows } = await client.query<{ n: number; oldest: Date | null }>(
    `SELECT count(*)::int AS n, min(at) AS oldest FROM identity_check_attempts WHERE purpose = $1::text AND id_hash = $2::bytea AND at > $3::timestamptz`,
    [purpose, key, since],
  );
  const { n, oldest } = rows[0]!;
  if (n >= limit.max) {
    // The window frees a place when its oldest attempt leaves it.
    const retryAfterSeconds = Math.max(1, Math.ceil(((oldest?.getTime() ?? now.getTime()) + limit.windowMs - now.getTime()) / 1000));
    throw new DomainError(ErrorType.RateLimited, TOO_MANY[purpose], [], { reason: 'TOO_MANY_ATTEMPTS', retryAfterSeconds });
  }
}

/**
 * Spends one of the codice fiscale's attempts. Only attempts that prove something spend it (the
 * contacts or the card matched): a stranger with wrong data cannot use up the holder's quota;
 * the per-address limit (`sourceLimiter`) bounds what strangers try.
 */
export async function spendQuota(client: PoolClient, purpose: IdentityCheckPurpose, key: Buffer, now: Date): Promise<void> {
  await client.query('INSERT INTO identity_check_attempts (purpose, id_hash, at) VALUES ($1::text, $2::bytea, $3::timestamptz)', [purpose, key, now]);
}

/** A phone as compared: digits only, `00` international prefix read as `+`. */
export function comparablePhone(phone: string): string {
  const compact = phone.replace(/[\s().\-/]/g, '');
  const international = compact.startsWith('00') ? `+${compact.slice(2)}` : compact;
  return international.replace(/[^0-9]/g, '');
}

/** An e-mail or PEC address as compared: trimmed, lower case (the local part is case-blind in practice). */
export function comparableEmail(address: string): string {
  return address.trim().toLowerCase();
}

export interface RegisteredContacts {
  mobile?: string;
  email?: string;
  pec?: string;
}

/**
 * Whether the contacts given identify the holder: at least `minimum` of mobile, e-mail and PEC
 * given, and every one given equal (normalised) to the registered one of the same kind.
 */
export function contactsMatch(given: RegisteredContacts, registered: RegisteredContacts, minimum: number): boolean {
  let matched = 0;
  for (const kind of ['mobile', 'email', 'pec'] as const) {
    const g = given[kind];
    if (g === undefined || g.trim() === '') continue;
    const r = registered[kind];
    const same = r !== undefined && (kind === 'mobile' ? comparablePhone(g) === comparablePhone(r) && comparablePhone(r) !== '' : comparableEmail(g) === comparableEmail(r));
    if (!same) return false;
    matched++;
  }
  return matched >= minimum;
}
