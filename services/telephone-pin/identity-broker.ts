/**
 * Citizens authenticated with SPID, CIE or CNS reach the API with an assertion from the identity
 * broker: a compact JWS signed with Ed25519 (`alg: EdDSA`), whose claims are
 * `{ sub: codiceFiscale, method: 'SPID' | 'CIE' | 'CNS', aud: 'pin-backoffice', iat, exp, jti }`.
 *
 * The API checks the signature with the broker's configured public key, the audience, the time
 * window (a short-lived assertion, at most five minutes) and that the `jti` was never used
 * before: an assertion authenticates one request, so a copied one cannot be replayed.
 * Only node:crypto is needed: one algorithm, fixed by us, no key discovery.
 */
import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import type { Pool } from '../../lib/db';
import { DomainError, ErrorType } from '../../domain/errors';
import { hasValidCheckCharacter, normaliseCodiceFiscale, structuralProblem } from '../../domain/codice-fiscale';

/** The `aud` the broker puts in assertions meant for this system. */
export const IDENTITY_BROKER_AUDIENCE = 'pin-backoffice';
const IDENTITY_METHODS = ['SPID', 'CIE', 'CNS'] as const;
export type IdentityMethod = (typeof IDENTITY_METHODS)[number];
/** Longest `exp - iat` accepted: an assertion is made for one request, just before it. */
const MAX_ASSERTION_LIFETIME_SECONDS = 300;
/** Tolerated difference between the broker's clock and ours. */
export const CLOCK_SKEW_SECONDS = 30;
const MAX_TOKEN_LENGTH = 4096;

/** The claims of an assertion, as the broker signs them. */
export interface IdentityAssertionClaims {
  sub: string;
  method: IdentityMethod;
  aud: string | string[];
  iat: number;
  exp: number;
  jti: string;
}

/** Who the assertion says the caller is. */
export interface CitizenIdentity {
  codiceFiscale: string;
  method: IdentityMethod;
  /** The assertion's `jti`: no personal data, useful to trace a request back to the broker. */
  assertionId: string;
  expiresAt: Date;
}

/** Why an assertion was refused; returned in the error's details (none of them is a secret). */
export type AssertionRefusal = 'missing' | 'malformed' | 'algorithm' | 'signature' | 'audience' | 'expired' | 'not_yet_valid' | 'lifetime' | 'replayed';

function assertionRefused(reason: AssertionRefusal): DomainError {
  return new DomainError(
    ErrorType.Unauthenticated,
    {
      it: 'Autenticazione SPID, CIE o CNS mancante, non valida o scaduta: acceda di nuovo.',
      en: 'The SPID, CIE or CNS authentication is missing, not valid or expired: please sign in again.',
    },
    [],
    { reason },
  );
}

/**
 * The broker's public key from its PEM text (literal `\n` sequences, as env files often carry
 * them, are accepted). Throws a clear error for anything but an Ed25519 public key.
 */
export function identityBrokerPublicKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem.replace(/\\n/g, '\n'));
  } catch (err) {
    throw new Error(`IDENTITY_BROKER_PUBLIC_KEY: not a PEM public key (${(err as Error).message})`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`IDENTITY_BROKER_PUBLIC_KEY: an Ed25519 key is required, got ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  return key;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

function decodeJson(part: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through: refused as malformed below
  }
  throw assertionRefused('malformed');
}

const isInteger = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/**
 * Checks an assertion's form, signature, audience and time window; not its single use (see
 * `consumeAssertion`). Pure, so it is cheap to call before touching the database.
 */
export function verifyAssertion(token: string, key: KeyObject, now: Date = new Date()): CitizenIdentity {
  if (!token) throw assertionRefused('missing');
  const parts = token.split('.');
  if (token.length > MAX_TOKEN_LENGTH || parts.length !== 3 || !parts.every((p) => B64URL.test(p))) throw assertionRefused('malformed');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];

  // The algorithm is ours to choose, never the token's: anything but EdDSA (or a critical
  // extension we do not understand) is refused before the signature is looked at.
  const header = decodeJson(headerPart);
  if (header.alg !== 'EdDSA' || (header.typ !== undefined && header.typ !== 'JWT') || header.crit !== undefined) {
    throw assertionRefused('algorithm');
  }
  const signature = Buffer.from(signaturePart, 'base64url');
  const signed = Buffer.from(`${headerPart}.${payloadPart}`, 'ascii');
  if (signature.length !== 64 || !verifySignature(null, signed, key, signature)) throw assertionRefused('signature');

  const claims = decodeJson(payloadPart);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(IDENTITY_BROKER_AUDIENCE)) throw assertionRefused('audience');

  const { iat, exp, jti, method, sub } = claims;
  if (!isInteger(iat) || !isInteger(exp) || typeof jti !== 'string' || !/^[A-Za-z0-9._:-]{8,128}$/.test(jti)) throw assertionRefused('malformed');
  if (typeof method !== 'string' || !(IDENTITY_METHODS as readonly string[]).includes(method)) throw assertionRefused('malformed');
  const codiceFiscale = typeof sub === 'string' ? normaliseCodiceFiscale(sub) : '';
  if (structuralProblem(codiceFiscale) || !hasValidCheckCharacter(codiceFiscale)) throw assertionRefused('malformed');

  const nowS = Math.floor(now.getTime() / 1000);
  if (exp <= iat || exp - iat > MAX_ASSERTION_LIFETIME_SECONDS) throw assertionRefused('lifetime');
  if (nowS >= exp + CLOCK_SKEW_SECONDS) throw assertionRefused('expired');
  if (iat > nowS + CLOCK_SKEW_SECONDS) throw assertionRefused('not_yet_valid');

  return { codiceFiscale, method: method as IdentityMethod, assertionId: jti, expiresAt: new Date((exp + CLOCK_SKEW_SECONDS) * 1000) };
}

/**
 * Records the assertion's `jti` as used; refuses it if it was used before. Rows are kept until
 * the assertion would be refused as expired anyway, and purged by later calls.
 */
async function consumeAssertion(pool: Pool, identity: CitizenIdentity): Promise<void> {
  const { rowCount } = await pool.query(
    `WITH purged AS (DELETE FROM used_identity_assertions WHERE expires_at < now())
     INSERT INTO used_identity_assertions (jti, expires_at) VALUES ($1::text, $2::timestamptz)
     ON CONFLICT (jti) DO NOTHING`,
    [identity.assertionId, identity.expiresAt],
  );
  if (rowCount !== 1) throw assertionRefused('replayed');
}

/** Verifies and consumes an assertion: the citizen it names, for this one request. */
export async function authenticateCitizen(pool: Pool, key: KeyObject, token: string, now?: Date): Promise<CitizenIdentity> {
  const identity = verifyAssertion(token, key, now);
  await consumeAssertion(pool, identity);
  return identity;
}

/** The assertion carried as `Authorization: Bearer <jws>`, if any. */
export function assertionFromAuthorization(header: string | undefined): string {
  const m = header ? /^Bearer\s+(\S+)$/.exec(header) : null;
  return m?.[1] ?? '';
}
