/**
 * Citizen sessions: opaque tokens (32 random bytes, base64url) whose SHA-256 is the key of a
 * `sessions` row; the token itself is stored nowhere. A session has an absolute expiry and an
 * idle timeout, and every request re-reads the credential in the same single query, so the
 * session always carries the credential's CURRENT PIN type, state and profile: a conversion to
 * dispositivo widens the scope at once, and a revocation, an expiry or a new PIN ends access at
 * once (a session belongs to one PIN version).
 *
 * Tokens reach the API in the `pin_session` cookie (the portal: httpOnly, Secure,
 * SameSite=Strict) or in `Authorization: Bearer <token>` (API clients).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Pool, PoolClient } from '../../lib/db';
import { DomainError, ErrorType } from '../../domain/errors';
import { normaliseProfile, type HolderProfile, type SessionScope } from '../../domain/services';

export const SESSION_COOKIE = 'pin_session';

export interface SessionOptions {
  /** A session unused for this long ends. */
  idleTimeoutMs: number;
  /** A session ends this long after login, used or not. */
  absoluteTtlMs: number;
  /** `last_seen_at` is written at most this often (reads stay reads). */
  touchEveryMs: number;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = Object.freeze({
  idleTimeoutMs: 15 * 60_000,
  absoluteTtlMs: 8 * 3_600_000,
  touchEveryMs: 30_000,
});

/** Everything session checks need; build it once with `sessionContext`. */
export interface SessionContext extends SessionOptions {
  pool: Pool;
  now: () => Date;
  /** The 2020 simplified procedure is on: first-half sessions are valid. */
  simplifiedProcedure: boolean;
}

export function sessionContext(
  deps: { pool: Pool; now?: () => Date; policy: { simplifiedProcedure: boolean } },
  options: Partial<SessionOptions> = {},
): SessionContext {
  return { ...DEFAULT_SESSION_OPTIONS, ...options, pool: deps.pool, now: deps.now ?? (() => new Date()), simplifiedProcedure: deps.policy.simplifiedProcedure };
}

export type AuthKind = 'personal' | 'simplified';
export type PinType = 'ordinary' | 'dispositivo';

/** Who is calling, as of this request. No secret. */
export interface CitizenPrincipal {
  credentialId: string;
  codiceFiscale: string;
  pinType: PinType;
  scope: SessionScope;
  profile: HolderProfile;
  intermediary: boolean;
  expiresAt: Date;
  idleExpiresAt: Date;
}

type Queryable = Pick<PoolClient, 'query'>;

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export const hashSessionToken = (token: string): Buffer => createHash('sha256').update(token).digest();

/** 32 random bytes, base64url (43 characters). */
export const newSessionToken = (): string => randomBytes(32).toString('base64url');

export function scopeOf(authKind: AuthKind, pinType: PinType): SessionScope {
  return authKind === 'simplified' ? 'simplified' : pinType;
}

/** Creates a session (inside the caller's transaction if `db` is a client); the token is returned once. */
export async function createSession(
  db: Queryable,
  opts: Pick<SessionOptions, 'absoluteTtlMs' | 'idleTimeoutMs'>,
  input: { credentialId: string; pinVersion: number; authKind: AuthKind; clientIp?: string; now: Date },
): Promise<{ token: string; expiresAt: Date; idleExpiresAt: Date }> {
  const token = newSessionToken();
  const expiresAt = new Date(input.now.getTime() + opts.absoluteTtlMs);
  await db.query(
    `INSERT INTO sessions (token_hash, credential_id, pin_version, auth_kind, created_at, last_seen_at, expires_at, client_ip)
     VALUES ($1::bytea, $2::uuid, $3::int, $4::text, $5::timestamptz, $5::timestamptz, $6::timestamptz, $7::text)`,
    [hashSessionToken(token), input.credentialId, input.pinVersion, input.authKind, input.now, expiresAt, input.clientIp ?? null],
  );
  return { token, expiresAt, idleExpiresAt: new Date(Math.min(expiresAt.getTime(), input.now.getTime() + opts.idleTimeoutMs)) };
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The session token a request carries (bearer first, then the cookie), if well-formed. */
export function tokenFromRequest(req: Request): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
  if (bearer && TOKEN.test(bearer)) return bearer;
  const cookie = cookieValue(req.get('cookie'), SESSION_COOKIE);
  return cookie && TOKEN.test(cookie) ? cookie : undefined;
}

interface SessionRow {
  credential_id: string;
  auth_kind: AuthKind;
  expires_at: Date;
  last_seen_at: Date;
  touched: boolean;
  codice_fiscale: string;
  pin_type: PinType;
  profile: unknown;
}

/**
 * One round trip: the live session, its credential as it is now and its profile (the
 * credential's own over the institute's records), and — at most every `touchEveryMs` — the
 * idle clock moved on. A personal session needs the credential `active` and its PIN version
 * still the active one, unexpired; a simplified one needs the procedure on, the credential still
 * waiting for its first access and the initial PIN not superseded.
 */
const SESSION_QUERY = `
WITH s AS (
  SELECT s.credential_id, s.auth_kind, s.expires_at, s.last_seen_at, c.codice_fiscale, c.pin_type,
         coalesce(ir.profile, '{}'::jsonb) || c.profile AS profile
    FROM sessions s
    JOIN credentials c ON c.id = s.credential_id
    JOIN pin_secrets p ON p.credential_id = s.credential_id AND p.version = s.pin_version
    LEFT JOIN institute_records ir ON ir.codice_fiscale = c.codice_fiscale
   WHERE s.token_hash = $1::bytea
     AND s.revoked_at IS NULL
     AND s.expires_at > $2::timestamptz
     AND s.last_seen_at > $2::timestamptz - make_interval(secs => $3::double precision)
     AND ((s.auth_kind = 'personal' AND c.state = 'active' AND p.kind = 'personal' AND p.status = 'active'
           AND (p.expires_at IS NULL OR p.expires_at > $2::timestamptz))
       OR (s.auth_kind = 'simplified' AND $5::boolean AND c.state = 'awaiting_first_access' AND p.kind = 'initial'
           AND p.status <> 'superseded' AND p.superseded_at IS NULL))
), touch AS (
  UPDATE sessions SET last_seen_at = $2::timestamptz
   WHERE token_hash = $1::bytea AND EXISTS (SELECT 1 FROM s)
     AND last_seen_at < $2::timestamptz - make_interval(secs => $4::double precision)
  RETURNING 1
)
SELECT s.*, EXISTS (SELECT 1 FROM touch) AS touched FROM s`;

/** The caller's session as of now, or undefined (no token, unknown, expired, revoked, or its PIN no longer valid). */
export async function sessionFromRequest(ctx: SessionContext, req: Request): Promise<CitizenPrincipal | undefined> {
  const token = tokenFromRequest(req);
  if (!token) return undefined;
  const now = ctx.now();
  const { rows } = await ctx.pool.query<SessionRow>({ name: 'session-read', text: SESSION_QUERY, values: [
    hashSessionToken(token),
    now,
    ctx.idleTimeoutMs / 1000,
    ctx.touchEveryMs / 1000,
    ctx.simplifiedProcedure,
  ] });
  const r = rows[0];
  if (!r) return undefined;
  const { profile, intermediary } = normaliseProfile(r.profile);
  const lastSeen = r.touched ? now : r.last_seen_at;
  return {
    credentialId: r.credential_id,
    codiceFiscale: r.codice_fiscale,
    pinType: r.pin_type,
    scope: scopeOf(r.auth_kind, r.pin_type),
    profile,
    intermediary,
    expiresAt: r.expires_at,
    idleExpiresAt: new Date(Math.min(r.expires_at.getTime(), lastSeen.getTime() + ctx.idleTimeoutMs)),
  };
}

function sessionRequiredError(): DomainError {
  return new DomainError(ErrorType.Unauthenticated, {
    it: 'Sessione assente, scaduta o non più valida: accedi di nuovo con codice fiscale e PIN.',
    en: 'No session, or it has expired or is no longer valid: please log in again with codice fiscale and PIN.',
  });
}

/** The caller's session, or UNAUTHENTICATED (401). */
export async function requireCitizen(ctx: SessionContext, req: Request): Promise<CitizenPrincipal> {
  const citizen = await sessionFromRequest(ctx, req);
  if (!citizen) throw sessionRequiredError();
  return citizen;
}

export const citizenOf = (res: Response): CitizenPrincipal => res.locals.citizen as CitizenPrincipal;

/** Ends the session a token names (logout); returns its credential id when one was live. */
export async function endSession(db: Queryable, token: string, reason: string, at: Date): Promise<string | undefined> {
  const { rows } = await db.query<{ credential_id: string }>(
    `UPDATE sessions SET revoked_at = $2::timestamptz, revoked_reason = $3::text
      WHERE token_hash = $1::bytea AND revoked_at IS NULL RETURNING credential_id`,
    [hashSessionToken(token), at, reason],
  );
  return rows[0]?.credential_id;
}

/**
 * Ends every live session of a credential (PIN changed, regenerated, recovered or revoked);
 * works inside the caller's transaction when `db` is a client. Returns how many were live.
 */
export async function revokeSessionsFor(db: Queryable, credentialId: string, reason: string): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE sessions SET revoked_at = now(), revoked_reason = $2::text WHERE credential_id = $1::uuid AND revoked_at IS NULL`,
    [credentialId, reason],
  );
  return rowCount ?? 0;
}

/** `Set-Cookie` for a new session: httpOnly, Secure, SameSite=Strict, whole site, absolute lifetime. */
export function setSessionCookie(res: Response, token: string, maxAgeMs: number): void {
  res.cookie(SESSION_COOKIE, token, { httpOnly: true, secure: true, sameSite: 'strict', path: '/', maxAge: maxAgeMs });
}

export function clearSessionCookie(res: Response): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, secure: true, sameSite: 'strict', path: '/' });
}
