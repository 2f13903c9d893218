/**
 * Staff API tokens (`stf_…`), for programs that call the API on behalf of a staff account (a
 * contact-centre telephony system, a back-office integration). Issued by an administrator (console)
 * or `npm run staff:token`, shown once, stored as SHA-256 only; each has an expiry, can be revoked,
 * and stops working as soon as its account is disabled (services/staff/auth.ts checks all three).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from '../../lib/db';
import { withTransaction } from '../../lib/db';
import { appendAudit } from '../../lib/audit';
import { DomainError, ErrorType, fieldIssue, validationError } from '../../domain/errors';
import { isUuid } from '../../domain/ids';

/** The longest a token may live, and what it gets when no length is asked for. */
export const MAX_TOKEN_DAYS = 365;
export const DEFAULT_TOKEN_DAYS = 90;

export const hashStaffToken = (token: string): Buffer => createHash('sha256').update(token).digest();

/** A fresh token: `stf_` and 24 random bytes (what `staffFromRequest` accepts). */
export const newStaffToken = (): string => `stf_${randomBytes(24).toString('base64url')}`;

export interface StaffApiTokenView {
  id: string;
  label: string | null;
  createdAt: Date;
  createdBy: string | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/** Issues a token for an active account; the plaintext is returned once, to be shown once. */
export async function issueStaffApiToken(
  pool: Pool,
  input: { username: string; days?: number; label?: string },
  issuedBy: string,
): Promise<{ id: string; token: string; expiresAt: Date }> {
  const days = input.days ?? DEFAULT_TOKEN_DAYS;
  const label = input.label?.trim() || null;
  const issues = [];
  if (!Number.isInteger(days) || days < 1 || days > MAX_TOKEN_DAYS) {
    issues.push(fieldIssue('days', 'out_of_range', `Durata da 1 a ${MAX_TOKEN_DAYS} giorni.`, `Validity from 1 to ${MAX_TOKEN_DAYS} days.`));
  }
  if (label && label.length > 80) issues.push(fieldIssue('label', 'too_long', 'Al massimo 80 caratteri.', 'At most 80 characters.'));
  if (issues.length) throw validationError(issues);
  const token = newStaffToken();
  return withTransaction(pool, async (client) => {
    const account = await client.query<{ id: string; role: string; disabled_at: Date | null }>('SELECT id, role, disabled_at FROM staff_accounts WHERE username = $1::text FOR UPDATE', [
      input.username,
    ]);
    const a = account.rows[0];
    if (!a) throw new DomainError(ErrorType.NotFound, { it: 'Account non trovato.', en: 'Account not found.' }, [fieldIssue('username', 'not_found', 'Account non trovato', 'Account not found')]);
    if (a.disabled_at) throw new DomainError(ErrorType.Conflict, { it: 'L’account è disattivato.', en: 'The account is disabled.' });
    const { rows } = await client.query<{ id: string; expires_at: Date }>(
      `INSERT INTO staff_tokens (token_hash, staff_id, role, account_id, label, expires_at, created_by)
       VALUES ($1::bytea, $2::text, $3::text, $4::uuid, $5::text, now() + make_interval(days => $6::int), $7::text)
       RETURNING id, expires_at`,
      [hashStaffToken(token), input.username, a.role, a.id, label, days, issuedBy],
    );
    const issued = rows[0]!;
    await appendAudit(client, { actor: issuedBy, action: 'staff_token.issue', subject: input.username, decision: 'issued', detail: { tokenId: issued.id, days, label } });
    return { id: issued.id, token, expiresAt: issued.expires_at };
  });
}

/** An account's tokens, newest first (never the token itself). */
export async function listStaffApiTokens(pool: Pool, username: string): Promise<StaffApiTokenView[]> {
  const { rows } = await pool.query<{ id: string; label: string | null; created_at: Date; created_by: string | null; expires_at: Date | null; revoked_at: Date | null }>(
    `SELECT t.id, t.label, t.created_at, t.created_by, t.expires_at, t.revoked_at
       FROM staff_tokens t JOIN staff_accounts a ON a.id = t.account_id
      WHERE a.username = $1::text ORDER BY t.created_at DESC LIMIT 200`,
    [username],
  );
  return rows.map((r) => ({ id: r.id, label: r.label, createdAt: r.created_at, createdBy: r.created_by, expiresAt: r.expires_at, revokedAt: r.revoked_at }));
}

/** Revokes a token at once; false when there is no live token with that id. */
export async function revokeStaffApiToken(pool: Pool, tokenId: string, revokedBy: string): Promise<{ username: string } | undefined> {
  if (!isUuid(tokenId)) return undefined;
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ staff_id: string }>(
      `UPDATE staff_tokens SET revoked_at = now(), revoked_by = $2::text WHERE id = $1::uuid AND revoked_at IS NULL RETURNING staff_id`,
      [tokenId, revokedBy],
    );
    if (!rows[0]) return undefined;
    await appendAudit(client, { actor: revokedBy, action: 'staff_token.revoke', subject: rows[0].staff_id, decision: 'revoked', detail: { tokenId } });
    return { username: rows[0].staff_id };
  });
}
