/**
 * Staff authentication for API calls made on behalf of the contact centre and the back office:
 * a bearer token whose SHA-256 is looked up in `staff_tokens`. The token itself is never stored.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Request } from 'express';
import type { Pool } from '../lib/db';
import { DomainError, ErrorType } from '../domain/errors';

export type StaffRole = 'clerk' | 'supervisor' | 'operator' | 'operations' | 'admin';

export interface StaffPrincipal {
  staffId: string;
  role: StaffRole;
}

const hashToken = (token: string): Buffer => createHash('sha256').update(token).digest();

/** Creates a token for a staff member; the plaintext is returned once, to its owner. */
export async function issueStaffToken(pool: Pool, staffId: string, role: StaffRole): Promise<string> {
  const token = `stf_${randomBytes(24).toString('base64url')}`;
  await pool.query('INSERT INTO staff_tokens (token_hash, staff_id, role) VALUES ($1::bytea, $2::text, $3::text)', [hashToken(token), staffId, role]);
  return token;
}

export async function staffFromRequest(pool: Pool, req: Request): Promise<StaffPrincipal | undefined> {
  const header = req.get('authorization');
  const m = header && /^Bearer\s+(stf_[A-Za-z0-9_-]{20,64})$/.exec(header);
  if (!m) return undefined;
  const { rows } = await pool.query<{ staff_id: string; role: StaffRole }>(
    'SELECT staff_id, role FROM staff_tokens WHERE token_hash = $1::bytea AND revoked_at IS NULL',
    [hashToken(m[1]!)],
  );
  return rows[0] ? { staffId: rows[0].staff_id, role: rows[0].role } : undefined;
}

export async function requireStaff(pool: Pool, req: Request, roles: StaffRole[]): Promise<StaffPrincipal> {
  const staff = await staffFromRequest(pool, req);
  if (!staff) {
    throw new DomainError(ErrorType.Unauthenticated, { it: 'Autenticazione del personale richiesta.', en: 'Staff authentication required.' });
  }
  if (!roles.includes(staff.role)) {
    throw new DomainError(ErrorType.Forbidden, { it: 'Operazione non consentita per questo ruolo.', en: 'Operation not allowed for this role.' });
  }
  return staff;
}
