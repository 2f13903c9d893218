/**
 * Staff authentication for API calls made on behalf of the contact centre and the back office:
 * a bearer token whose SHA-256 is looked up in `staff_tokens` (API clients), or the console's
 * session cookie (services/staff/sessions.ts), which must come with the session's CSRF token on every
 * state-changing request. Tokens themselves are never stored.
 *
 * Least privilege: no staff credential → 401; a citizen's session, or a staff member whose role
 * the route does not allow → 403, before anything is read.
 */
import type { Request } from 'express';
import type { Pool } from '../../lib/db';
import { DomainError, ErrorType } from '../../domain/errors';
import { hashSessionToken, tokenFromRequest } from '../access/sessions';
import { csrfMatches, staffFromSessionToken, staffSessionToken } from './sessions';
import type { StaffPrincipal, StaffRole } from './principal';
import { hashStaffToken, newStaffToken } from './tokens';

export type { StaffPrincipal, StaffRole } from './principal';


/** Creates a token for a staff member; the plaintext is returned once, to its owner. */
export async function issueStaffToken(pool: Pool, staffId: string, role: StaffRole): Promise<string> {
  const token = newStaffToken();
  await pool.query('INSERT INTO staff_tokens (token_hash, staff_id, role) VALUES ($1::bytea, $2::text, $3::text)', [hashStaffToken(token), staffId, role]);
  return token;
}

async function staffFromRequest(pool: Pool, req: Request): Promise<StaffPrincipal | undefined> {
  const header = req.get('authorization');
  const m = header && /^Bearer\s+(stf_[A-Za-z0-9_-]{20,64})$/.exec(header);
  if (!m) return undefined;
  // A token of an account speaks with the account's current role, and not at all once the
  // account is disabled; every token stops at its expiry and when revoked.
  const { rows } = await pool.query<{ staff_id: string; role: StaffRole }>(
    `SELECT coalesce(a.username, t.staff_id) AS staff_id, coalesce(a.role, t.role) AS role
       FROM staff_tokens t LEFT JOIN staff_accounts a ON a.id = t.account_id
      WHERE t.token_hash = $1::bytea AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
        AND (t.account_id IS NULL OR a.disabled_at IS NULL)`,
    [hashStaffToken(m[1]!)],
  );
  return rows[0] ? { staffId: rows[0].staff_id, role: rows[0].role } : undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A console session (cookie) as a principal; a state-changing request without its CSRF token is refused. */
async function staffFromConsoleSession(pool: Pool, req: Request, csrf: boolean): Promise<StaffPrincipal | undefined> {
  const token = staffSessionToken(req);
  if (!token) return undefined;
  const staff = await staffFromSessionToken(pool, token);
  if (!staff) return undefined;
  // A generated password not yet changed opens the change-password page only (bearer tokens are not affected).
  if (staff.mustChangePassword) {
    throw new DomainError(ErrorType.Forbidden, { it: 'Cambi prima la password nella console.', en: 'Change your password in the console first.' }, [], { reason: 'PASSWORD_CHANGE_REQUIRED' });
  }
  if (csrf && !SAFE_METHODS.has(req.method)) {
    const given = req.get('x-csrf-token') ?? (req.body as Record<string, unknown> | undefined)?._csrf;
    if (!csrfMatches(token, given)) {
      throw new DomainError(ErrorType.Forbidden, {
        it: 'Token CSRF mancante o non valido: ricarica la pagina e riprova.',
        en: 'CSRF token missing or invalid: reload the page and try again.',
      }, [], { reason: 'CSRF' });
    }
  }
  return { staffId: staff.staffId, role: staff.role };
}

/** Whether the request carries a live citizen session (bearer or `pin_session` cookie). */
export async function hasCitizenSession(pool: Pool, req: Request): Promise<boolean> {
  const token = tokenFromRequest(req);
  if (!token) return false;
  const { rowCount } = await pool.query('SELECT 1 FROM sessions WHERE token_hash = $1::bytea AND revoked_at IS NULL AND expires_at > now()', [hashSessionToken(token)]);
  return (rowCount ?? 0) > 0;
}

const forbiddenForRole = () =>
  new DomainError(ErrorType.Forbidden, { it: 'Operazione non consentita per questo ruolo.', en: 'Operation not allowed for this role.' });

/**
 * The staff member behind a request, with one of `roles`. `csrf: false` only for routes that
 * change nothing and take JSON (the payload codec): a cross-site page can neither send them
 * JSON without a CORS preflight nor read their answers, so the cookie alone may authenticate.
 */
export async function requireStaff(pool: Pool, req: Request, roles: readonly StaffRole[], opts: { csrf?: boolean } = {}): Promise<StaffPrincipal> {
  const staff = (await staffFromRequest(pool, req)) ?? (await staffFromConsoleSession(pool, req, opts.csrf ?? true));
  if (!staff) {
    if (await hasCitizenSession(pool, req)) throw forbiddenForRole();
    throw new DomainError(ErrorType.Unauthenticated, { it: 'Autenticazione del personale richiesta.', en: 'Staff authentication required.' });
  }
  if (!roles.includes(staff.role)) throw forbiddenForRole();
  return staff;
}
