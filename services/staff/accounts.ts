/**
 * Staff accounts: username, role, password (argon2id with the pepper, as PINs are) and a TOTP
 * secret kept encrypted with the secrets key ring (AES-256-GCM, bound to the account id).
 * An administrator (or `npm run staff:create`) creates or resets an account and hands over a
 * generated password and the `otpauth://` URI once; the account must then choose its own password
 * at its first login (`changeStaffPassword`) before any other console page opens.
 */
import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from '../../lib/db';
import { withTransaction } from '../../lib/db';
import { appendAudit, audit } from '../../lib/audit';
import { newTotpSecret, otpauthUri } from '../../lib/totp';
import { encryptSecret, decryptSecret, type KeyRing } from '../../lib/secrets';
import { hashPin, verifyPin } from '../../lib/pin-hash';
import { fieldIssue, DomainError, ErrorType, validationError, type Bilingual, type FieldIssue } from '../../domain/errors';
import type { StaffRole } from './principal';

export const STAFF_ROLES: readonly StaffRole[] = ['clerk', 'supervisor', 'operator', 'operations', 'admin'];

/** What each role is called on screen. */
export const ROLE_LABELS: Readonly<Record<StaffRole, Bilingual>> = {
  clerk: { it: 'Operatore di sportello / verifica documenti', en: 'Clerk (counter / document review)' },
  supervisor: { it: 'Supervisore', en: 'Supervisor' },
  operator: { it: 'Operatore contact center', en: 'Contact-centre operator' },
  operations: { it: 'Esercizio (operations)', en: 'Operations' },
  admin: { it: 'Amministratore', en: 'Administrator' },
};

const TOTP_ISSUER = 'INPS PIN Console';

const USERNAME = /^[a-z][a-z0-9._-]{2,31}$/;

/** Usernames are compared in lower case, without surrounding spaces. */
export function normaliseUsername(typed: string): string {
  return typed.trim().toLowerCase();
}

/** 24 characters from a 56-letter unambiguous alphabet: about 139 bits. */
export function generateStaffPassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';
  let out = '';
  for (let i = 0; i < 24; i++) {
    out += alphabet[randomInt(alphabet.length)];
    if (i % 6 === 5 && i < 23) out += '-';
  }
  return out;
}

/** The associated data binding an encrypted TOTP secret to its account row. */
const totpAad = (accountId: string): string => `staff-totp:${accountId}`;

function isStaffRole(value: unknown): value is StaffRole {
  return typeof value === 'string' && (STAFF_ROLES as readonly string[]).includes(value);
}

export interface NewStaffAccount {
  username: string;
  displayName: string;
  role: StaffRole;
}

/** What the creator sees once: the generated password and the authenticator enrolment. */
export interface IssuedCredentials {
  accountId: string;
  username: string;
  password: string;
  totpSecret: string;
  otpauthUri: string;
}

export interface StaffAccountDeps {
  pool: Pool;
  pepper: Buffer;
  secrets: KeyRing;
}


/** Validates a new account's fields; throws VALIDATION listing every bad one. */
export function parseNewStaffAccount(input: { username?: unknown; displayName?: unknown; role?: unknown }): NewStaffAccount {
  const issues: FieldIssue[] = [];
  const username = typeof input.username === 'string' ? normaliseUsername(input.username) : '';
  if (!USERNAME.test(username)) {
    issues.push(
      fieldIssue(
        'username',
        'invalid_username',
        'Da 3 a 32 caratteri: lettere minuscole, cifre, punto, trattino; inizia con una lettera.',
        '3 to 32 characters: lower-case letters, digits, dot, dash; starting with a letter.',
      ),
    );
  }
  const displayName = typeof input.displayName === 'string' ? input.displayName.trim().replace(/\s+/g, ' ') : '';
  if (displayName.length < 2 || displayName.length > 80) issues.push(fieldIssue('displayName', 'required', 'Nome da 2 a 80 caratteri.', 'Name of 2 to 80 characters.'));
  if (!isStaffRole(input.role)) issues.push(fieldIssue('role', 'invalid_role', 'Ruolo non valido.', 'Invalid role.'));
  if (issues.length) throw validationError(issues);
  return { username, displayName, role: input.role as StaffRole };
}

async function freshCredentials(deps: StaffAccountDeps, accountId: string) {
  const password = generateStaffPassword();
  const totpSecret = newTotpSecret();
  return {
    password,
    totpSecret,
    passwordHash: await hashPin(deps.pepper, password),
    totpSecretEnc: encryptSecret(deps.secrets, totpSecret, totpAad(accountId)),
  };
}

const issued = (accountId: string, username: string, password: string, totpSecret: string): IssuedCredentials => ({
  accountId,
  username,
  password,
  totpSecret,
  otpauthUri: otpauthUri({ issuer: TOTP_ISSUER, account: username, secret: totpSecret }),
});

/** Creates an account; `createdBy` is `staff:<username>` or `cli`. A taken username is a CONFLICT. */
export async function createStaffAccount(deps: StaffAccountDeps, input: NewStaffAccount, createdBy: string): Promise<IssuedCredentials> {
  const accountId = randomUUID();
  const fresh = await freshCredentials(deps, accountId);
  try {
    await withTransaction(deps.pool, async (client) => {
      await client.query(
        `INSERT INTO staff_accounts (id, username, display_name, role, password_hash, totp_secret_enc, created_by, must_change_password)
         VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::text, $6::bytea, $7::text, true)`,
        [accountId, input.username, input.displayName, input.role, fresh.passwordHash, fresh.totpSecretEnc, createdBy],
      );
      await appendAudit(client, { actor: createdBy, action: 'staff_account.create', subject: input.username, decision: 'created', detail: { role: input.role } });
    });
  } catch (err) {
    if ((err as { code?: string }).code === '23505') {
      throw new DomainError(ErrorType.Conflict, { it: 'Nome utente già in uso.', en: 'Username already taken.' }, [
        fieldIssue('username', 'taken', 'Nome utente già in uso', 'Username already taken'),
      ]);
    }
    throw err;
  }
  return issued(accountId, input.username, fresh.password, fresh.totpSecret);
}

const accountNotFound = () => new DomainError(ErrorType.NotFound, { it: 'Account non trovato.', en: 'Account not found.' });

/**
 * New password and TOTP secret for an account (lost phone, forgotten password): the old ones
 * stop working, the lock is lifted, every session of the account ends and the generated password
 * must be changed at the next login.
 */
export async function resetStaffCredentials(deps: StaffAccountDeps, username: string, by: string): Promise<IssuedCredentials> {
  const { rows } = await deps.pool.query<{ id: string }>('SELECT id FROM staff_accounts WHERE username = $1::text', [username]);
  const account = rows[0];
  if (!account) throw accountNotFound();
  const fresh = await freshCredentials(deps, account.id);
  await withTransaction(deps.pool, async (client) => {
    await client.query(
      `UPDATE staff_accounts SET password_hash = $2::text, totp_secret_enc = $3::bytea, totp_last_step = 0, failed_attempts = 0,
              locked_until = NULL, must_change_password = true, updated_at = now() WHERE id = $1::uuid`,
      [account.id, fresh.passwordHash, fresh.totpSecretEnc],
    );
    await endSessions(client, account.id, 'credentials_reset');
    await appendAudit(client, { actor: by, action: 'staff_account.reset_credentials', subject: username, decision: 'reset' });
  });
  return issued(account.id, username, fresh.password, fresh.totpSecret);
}

/** The shortest password a staff member may choose (the generated ones have 24 characters). */
export const STAFF_PASSWORD_MIN_LENGTH = 12;
const STAFF_PASSWORD_MAX_LENGTH = 128;

export interface PasswordChange {
  current: string;
  password: string;
  repeat: string;
}

/**
 * A staff member chooses a password (forced at the first login after a generated one, or by
 * choice): the current one must be right; the new one has 12 to 128 characters, is not the
 * current (generated) one, does not contain the username, and is typed twice. Every bad field is
 * listed (VALIDATION). The hash is argon2id with the pepper, as before; the flag is cleared and
 * the account's other sessions end (the one making the change stays). Audited, without the
 * passwords; a refusal is audited with the field codes only.
 */
export async function changeStaffPassword(
  deps: Pick<StaffAccountDeps, 'pool' | 'pepper'>,
  accountId: string,
  change: PasswordChange,
  keepSessionToken: string | undefined,
): Promise<void> {
  const refused = await withTransaction(deps.pool, async (client): Promise<{ username: string; issues: FieldIssue[] } | undefined> => {
    const { rows } = await client.query<{ username: string; password_hash: string; must_change_password: boolean }>(
      'SELECT username, password_hash, must_change_password FROM staff_accounts WHERE id = $1::uuid AND disabled_at IS NULL FOR UPDATE',
      [accountId],
    );
    const account = rows[0];
    if (!account) throw accountNotFound();
    const issues: FieldIssue[] = [];
    const currentOk = await verifyPin(deps.pepper, account.password_hash, change.current).catch(() => false);
    if (!currentOk) issues.push(fieldIssue('current', 'wrong_password', 'Password attuale non corretta.', 'The current password is not right.'));
    const next = change.password;
    if (next.length < STAFF_PASSWORD_MIN_LENGTH || next.length > STAFF_PASSWORD_MAX_LENGTH) {
      issues.push(
        fieldIssue(
          'password',
          'password_length',
          `Da ${STAFF_PASSWORD_MIN_LENGTH} a ${STAFF_PASSWORD_MAX_LENGTH} caratteri.`,
          `${STAFF_PASSWORD_MIN_LENGTH} to ${STAFF_PASSWORD_MAX_LENGTH} characters.`,
        ),
      );
    } else if (next.toLowerCase().includes(account.username)) {
      issues.push(fieldIssue('password', 'password_has_username', 'La password non può contenere il nome utente.', 'The password may not contain the username.'));
    } else if (await verifyPin(deps.pepper, account.password_hash, next).catch(() => false)) {
      issues.push(
        fieldIssue('password', 'password_unchanged', 'Scegli una password diversa da quella attuale (generata).', 'Choose a password other than the current (generated) one.'),
      );
    }
    if (change.repeat !== next) issues.push(fieldIssue('repeat', 'password_mismatch', 'Le due password non coincidono.', 'The two passwords differ.'));
    if (issues.length) return { username: account.username, issues };
    await client.query(`UPDATE staff_accounts SET password_hash = $2::text, must_change_password = false, updated_at = now() WHERE id = $1::uuid`, [
      accountId,
      await hashPin(deps.pepper, next),
    ]);
    await client.query(
      `UPDATE staff_sessions SET revoked_at = now(), revoked_reason = 'password_changed'
        WHERE staff_id = $1::uuid AND revoked_at IS NULL AND token_hash IS DISTINCT FROM $2::bytea`,
      [accountId, keepSessionToken ? createHash('sha256').update(keepSessionToken).digest() : null],
    );
    await appendAudit(client, {
      actor: `staff:${account.username}`,
      action: 'staff_account.change_password',
      subject: account.username,
      decision: 'changed',
      detail: { forced: account.must_change_password },
    });
    return undefined;
  });
  if (refused) {
    await audit(deps.pool, {
      actor: `staff:${refused.username}`,
      action: 'staff_account.change_password',
      subject: refused.username,
      decision: 'refused',
      detail: { reasons: refused.issues.map((i) => i.code) },
    });
    throw validationError(refused.issues);
  }
}

/** Disables (or enables again) an account; disabling ends its sessions at once. */
export async function setStaffAccountDisabled(deps: Pick<StaffAccountDeps, 'pool'>, username: string, disabled: boolean, by: string): Promise<void> {
  await withTransaction(deps.pool, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `UPDATE staff_accounts SET disabled_at = CASE WHEN $2::boolean THEN coalesce(disabled_at, now()) ELSE NULL END,
              failed_attempts = CASE WHEN $2::boolean THEN failed_attempts ELSE 0 END,
              locked_until = CASE WHEN $2::boolean THEN locked_until ELSE NULL END, updated_at = now()
        WHERE username = $1::text RETURNING id`,
      [username, disabled],
    );
    if (!rows[0]) throw accountNotFound();
    if (disabled) await endSessions(client, rows[0].id, 'account_disabled');
    await appendAudit(client, { actor: by, action: disabled ? 'staff_account.disable' : 'staff_account.enable', subject: username, decision: disabled ? 'disabled' : 'enabled' });
  });
}

async function endSessions(client: PoolClient, accountId: string, reason: string): Promise<void> {
  await client.query(`UPDATE staff_sessions SET revoked_at = now(), revoked_reason = $2::text WHERE staff_id = $1::uuid AND revoked_at IS NULL`, [accountId, reason]);
}

export interface StaffAccountView {
  username: string;
  displayName: string;
  role: StaffRole;
  disabled: boolean;
  lockedUntil: Date | null;
  failedAttempts: number;
  lastLoginAt: Date | null;
  createdAt: Date;
}

export async function listStaffAccounts(pool: Pool): Promise<StaffAccountView[]> {
  const { rows } = await pool.query<{
    username: string;
    display_name: string;
    role: StaffRole;
    disabled_at: Date | null;
    locked_until: Date | null;
    failed_attempts: number;
    last_login_at: Date | null;
    created_at: Date;
  }>('SELECT username, display_name, role, disabled_at, locked_until, failed_attempts, last_login_at, created_at FROM staff_accounts ORDER BY username LIMIT 1000');
  return rows.map((r) => ({
    username: r.username,
    displayName: r.display_name,
    role: r.role,
    disabled: r.disabled_at !== null,
    lockedUntil: r.locked_until,
    failedAttempts: r.failed_attempts,
    lastLoginAt: r.last_login_at,
    createdAt: r.created_at,
  }));
}

/** The decrypted TOTP secret of an account (login only; never shown again after creation). */
export function openTotpSecret(secrets: KeyRing, accountId: string, enc: Buffer): string {
  return decryptSecret(secrets, enc, totpAad(accountId));
}

/** A throwaway argon2id hash to verify against when the username is unknown (same cost, same timing). */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(pepper: Buffer): Promise<string> {
  dummyHash ??= hashPin(pepper, randomBytes(16).toString('base64url'));
  return dummyHash;
}

/** The name a staff member signs forms with: their account's display name, or their id (API tokens of tests and tools). */
export async function staffDisplayName(pool: Pick<Pool, 'query'>, staffId: string): Promise<string> {
  const { rows } = await pool.query<{ display_name: string }>('SELECT display_name FROM staff_accounts WHERE username = $1::text', [staffId]);
  return rows[0]?.display_name ?? staffId;
}
