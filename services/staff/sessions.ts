/**
 * Console sessions of staff accounts, and the login that opens them (password + TOTP, with a
 * lock after repeated failures).
 *
 * A session is an opaque 32-byte token in the `staff_session` cookie (HttpOnly, SameSite=Strict,
 * path `/` so the API's staff routes, e.g. the document viewer, accept it too); the database keeps
 * its SHA-256 only. Every request re-reads the account in the same query, so disabling an account
 * or changing its role takes effect at once.
 *
 * CSRF: the token for a session is HMAC-SHA-256(session token, label), so nothing more is stored
 * and it cannot be computed without the HttpOnly cookie. Forms carry it as `_csrf`, API clients as
 * `X-CSRF-Token`; every state-changing request authenticated by the cookie must present it.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Pool, PoolClient } from '../../lib/db';
import { withTransaction } from '../../lib/db';
import { appendAudit } from '../../lib/audit';
import { base32Decode, checkTotp } from '../../lib/totp';
import { verifyPin } from '../../lib/pin-hash';
import type { KeyRing } from '../../lib/secrets';
import { DomainError, ErrorType } from '../../domain/errors';
import type { StaffPrincipal, StaffRole } from './principal';
import { dummyPasswordHash, normaliseUsername, openTotpSecret } from './accounts';

export const STAFF_SESSION_COOKIE = 'staff_session';

export interface StaffSessionOptions {
  /** A session unused for this long ends. */
  idleTimeoutMs: number;
  /** A session ends this long after login: one working shift. */
  absoluteTtlMs: number;
  /** `last_seen_at` is written at most this often. */
  touchEveryMs: number;
}

const STAFF_SESSION_OPTIONS: StaffSessionOptions = Object.freeze({
  idleTimeoutMs: 30 * 60_000,
  absoluteTtlMs: 10 * 3_600_000,
  touchEveryMs: 60_000,
});

/** Failures in a row that lock an account, and the first lock's length (doubling after each further batch, up to a day). */
const STAFF_LOCK_AFTER = 5;
export const STAFF_FIRST_LOCK_MS = 15 * 60_000;
export const STAFF_MAX_LOCK_MS = 24 * 3_600_000;

/**
 * How long an account is locked after its `failures`-th failure in a row: nothing until the
 * fifth, 15 minutes at the fifth, 30 at the tenth, an hour at the fifteenth, ... at most a day.
 * Failures in between lock nothing more, so a locked account stays locked for its term only.
 */
export function staffLockDurationMs(failures: number): number {
  if (failures < STAFF_LOCK_AFTER || failures % STAFF_LOCK_AFTER !== 0) return 0;
  const doublings = failures / STAFF_LOCK_AFTER - 1;
  return Math.min(STAFF_MAX_LOCK_MS, STAFF_FIRST_LOCK_MS * 2 ** Math.min(doublings, 16));
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const hashToken = (token: string): Buffer => createHash('sha256').update(token).digest();

/** The CSRF token that goes with a session token. */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('staff-console-csrf/v1').digest('base64url');
}

/** Whether `given` is the CSRF token of the session (constant time). */
export function csrfMatches(sessionToken: string, given: unknown): boolean {
  if (typeof given !== 'string' || !TOKEN.test(given)) return false;
  return timingSafeEqual(Buffer.from(csrfTokenFor(sessionToken)), Buffer.from(given));
}

/** The console session token in the request's cookie, if well-formed. */
export function staffSessionToken(req: Request): string | undefined {
  const header = req.get('cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === STAFF_SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return TOKEN.test(value) ? value : undefined;
    }
  }
  return undefined;
}

export function setStaffSessionCookie(req: Request, res: Response, token: string): void {
  res.cookie(STAFF_SESSION_COOKIE, token, { httpOnly: true, secure: req.secure, sameSite: 'strict', path: '/' });
}

export function clearStaffSessionCookie(req: Request, res: Response): void {
  res.clearCookie(STAFF_SESSION_COOKIE, { httpOnly: true, secure: req.secure, sameSite: 'strict', path: '/' });
}

/** A console session's staff member: the principal plus what the console shows. */
export interface ConsoleStaff extends StaffPrincipal {
  accountId: string;
  displayName: string;
  /** The password is still a generated one: only the change-password page opens. */
  mustChangePassword: boolean;
}

/**
 * The live session of a token and its account as it is now (enabled), moving the idle clock on
 * at most every `touchEveryMs`. One round trip.
 */
export async function staffFromSessionToken(pool: Pool, token: string, opts: StaffSessionOptions = STAFF_SESSION_OPTIONS): Promise<ConsoleStaff | undefined> {
  const { rows } = await pool.query<{ id: string; username: string; display_name: string; role: StaffRole; must_change_password: boolean }>(
    `WITH s AS (
       SELECT s.token_hash, s.last_seen_at, a.id, a.username, a.display_name, a.role, a.must_change_password
         FROM staff_sessions s JOIN staff_accounts a ON a.id = s.staff_id
        WHERE s.token_hash = $1::bytea AND s.revoked_at IS NULL AND s.expires_at > now()
          AND s.last_seen_at > now() - make_interval(secs => $2::double precision)
          AND a.disabled_at IS NULL
     ), touch AS (
       UPDATE staff_sessions t SET last_seen_at = now() FROM s
        WHERE t.token_hash = s.token_hash AND s.last_seen_at < now() - make_interval(secs => $3::double precision)
     )
     SELECT id, username, display_name, role, must_change_password FROM s`,
    [hashToken(token), opts.idleTimeoutMs / 1000, opts.touchEveryMs / 1000],
  );
  const row = rows[0];
  return row ? { staffId: row.username, role: row.role, accountId: row.id, displayName: row.display_name, mustChangePassword: row.must_change_password } : undefined;
}

async function createStaffSession(db: Pick<PoolClient, 'query'>, accountId: string, clientIp: string | undefined, opts: StaffSessionOptions): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await db.query(
    `INSERT INTO staff_sessions (token_hash, staff_id, expires_at, client_ip)
     VALUES ($1::bytea, $2::uuid, now() + make_interval(secs => $3::double precision), $4::text)`,
    [hashToken(token), accountId, opts.absoluteTtlMs / 1000, clientIp ?? null],
  );
  return token;
}

/** Ends a session (logout); audited as the staff member's action. */
export async function endStaffSession(pool: Pool, token: string, staff: ConsoleStaff | undefined): Promise<void> {
  await withTransaction(pool, async (client) => {
    await client.query(`UPDATE staff_sessions SET revoked_at = now(), revoked_reason = 'logout' WHERE token_hash = $1::bytea AND revoked_at IS NULL`, [hashToken(token)]);
    if (staff) await appendAudit(client, { actor: `staff:${staff.staffId}`, action: 'console.logout', subject: staff.staffId, decision: 'ended' });
  });
}

const LOGIN_FAILED = (): DomainError =>
  new DomainError(ErrorType.Unauthenticated, {
    it: 'Accesso non riuscito: nome utente, password o codice non corretti, oppure account bloccato o disattivato. Dopo 5 tentativi falliti l’account è bloccato per 15 minuti.',
    en: 'Login failed: wrong username, password or code, or the account is locked or disabled. After 5 failed attempts the account is locked for 15 minutes.',
  });

/** A genuine code of a step already used: told as such, and not counted as a failure. */
const CODE_REUSED = (): DomainError =>
  new DomainError(ErrorType.Unauthenticated, { it: 'Codice già usato: attendi il prossimo.', en: 'Code already used: wait for the next one.' }, [], { reason: 'TOTP_REUSED' });

export interface StaffLoginDeps {
  pool: Pool;
  pepper: Buffer;
  secrets: KeyRing;
  /** The clock for the TOTP check (tests move it); locks and sessions use the database's. */
  now?: () => Date;
  sessionOptions?: StaffSessionOptions;
}

export interface StaffLoginInput {
  username: string;
  password: string;
  code: string;
  clientIp?: string;
}

type Outcome =
  | { ok: true; token: string; staff: ConsoleStaff }
  | { ok: false; reason: 'unknown_user' | 'disabled' | 'locked' | 'bad_password' | 'bad_code' | 'bad_password_and_code' | 'reused_code' };

/**
 * Password and TOTP code, both checked on every attempt (a failure does not say which was
 * wrong). The account row is locked for the attempt, so parallel guesses are counted one by one
 * and a code cannot be used by two logins. Every attempt is audited; the answer to any failure
 * is the same 401, but one: the right password with a code of a step already spent (typed twice
 * within 30 seconds, or a second login with the same code) is told "code already used" and is not
 * counted towards the lock (audited as `reused_code`). A wrong password with such a code is a
 * failure like any other, so the message only ever follows the right password. Throws the 401 on
 * failure, and returns the new session's token on success.
 */
export async function staffLogin(deps: StaffLoginDeps, input: StaffLoginInput): Promise<{ token: string; staff: ConsoleStaff }> {
  const opts = deps.sessionOptions ?? STAFF_SESSION_OPTIONS;
  const username = normaliseUsername(input.username).slice(0, 64);
  const outcome = await withTransaction(deps.pool, async (client): Promise<Outcome> => {
    const { rows } = await client.query<{
      id: string;
      username: string;
      display_name: string;
      role: StaffRole;
      password_hash: string;
      totp_secret_enc: Buffer;
      totp_last_step: string;
      failed_attempts: number;
      must_change_password: boolean;
      locked: boolean;
      disabled: boolean;
    }>(
      `SELECT id, username, display_name, role, password_hash, totp_secret_enc, totp_last_step, failed_attempts, must_change_password,
              coalesce(locked_until > now(), false) AS locked, disabled_at IS NOT NULL AS disabled
         FROM staff_accounts WHERE username = $1::text FOR UPDATE`,
      [username],
    );
    const account = rows[0];
    const deny = async (reason: Exclude<Outcome, { ok: true }>['reason'], detail: Record<string, unknown> = {}): Promise<Outcome> => {
      await appendAudit(client, {
        actor: account ? `staff:${account.username}` : 'anonymous',
        action: 'console.login',
        subject: account?.username,
        decision: 'denied',
        detail: { reason, ...(input.clientIp ? { clientIp: input.clientIp } : {}), ...detail },
      });
      return { ok: false, reason };
    };
    if (!account) {
      // The same argon2 work as for a real account, so timing does not tell usernames apart.
      await verifyPin(deps.pepper, await dummyPasswordHash(deps.pepper), input.password).catch(() => false);
      return deny('unknown_user');
    }
    if (account.disabled) return deny('disabled');
    if (account.locked) return deny('locked');

    const passwordOk = await verifyPin(deps.pepper, account.password_hash, input.password).catch(() => false);
    const key = base32Decode(openTotpSecret(deps.secrets, account.id, account.totp_secret_enc));
    const check = checkTotp(key, input.code, (deps.now?.() ?? new Date()).getTime(), Number(account.totp_last_step));
    const step = check.ok ? check.step : undefined;
    if (passwordOk && !check.ok && check.reason === 'reused') {
      return deny('reused_code', { failedAttempts: account.failed_attempts });
    }
    if (passwordOk && step !== undefined) {
      await client.query(
        `UPDATE staff_accounts SET failed_attempts = 0, locked_until = NULL, totp_last_step = $2::bigint, last_login_at = now() WHERE id = $1::uuid`,
        [account.id, step],
      );
      const token = await createStaffSession(client, account.id, input.clientIp, opts);
      await appendAudit(client, {
        actor: `staff:${account.username}`,
        action: 'console.login',
        subject: account.username,
        decision: 'granted',
        detail: { role: account.role, ...(account.must_change_password ? { mustChangePassword: true } : {}), ...(input.clientIp ? { clientIp: input.clientIp } : {}) },
      });
      return {
        ok: true,
        token,
        staff: { staffId: account.username, role: account.role, accountId: account.id, displayName: account.display_name, mustChangePassword: account.must_change_password },
      };
    }
    const failures = account.failed_attempts + 1;
    const lockMs = staffLockDurationMs(failures);
    await client.query(
      `UPDATE staff_accounts SET failed_attempts = $2::int,
              locked_until = CASE WHEN $3::double precision > 0 THEN now() + make_interval(secs => $3::double precision) ELSE locked_until END
        WHERE id = $1::uuid`,
      [account.id, failures, lockMs / 1000],
    );
    // A spent code with a wrong password: the password is what failed (the code is noted).
    const codeReused = !check.ok && check.reason === 'reused';
    const reason = passwordOk ? 'bad_code' : step === undefined && !codeReused ? 'bad_password_and_code' : 'bad_password';
    return deny(reason, { failedAttempts: failures, ...(codeReused ? { code: 'reused' } : {}), ...(lockMs ? { lockedForSeconds: lockMs / 1000 } : {}) });
  });
  if (!outcome.ok) throw outcome.reason === 'reused_code' ? CODE_REUSED() : LOGIN_FAILED();
  return { token: outcome.token, staff: outcome.staff };
}
