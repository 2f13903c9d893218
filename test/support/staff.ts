/**
 * Staff accounts for tests: created through the same service as `npm run staff:create` (real
 * argon2id hash, encrypted TOTP secret), TOTP codes computed from the seeded secret, a console
 * login through the real login form, and sessions opened directly for tests that only need one.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createStaffAccount, type IssuedCredentials } from '../../services/staff/accounts';
import { csrfTokenFor } from '../../services/staff/sessions';
import type { StaffRole } from '../../services/staff/auth';
import { base32Decode, totpAt } from '../../lib/totp';
import { Browser, csrfOf } from './browser';
import type { TestStack } from './stack';

export interface TestStaff extends IssuedCredentials {
  role: StaffRole;
}

/**
 * A fresh account of `role` with a unique username. Its generated password counts as already
 * changed (so its logins and sessions open every page of its role), unless `mustChangePassword`:
 * then it is as `npm run staff:create` leaves it, and the console first asks for a new password.
 */
export async function createTestStaff(stack: TestStack, role: StaffRole, prefix: string = role, opts: { mustChangePassword?: boolean } = {}): Promise<TestStaff> {
  const username = `${prefix}-${randomUUID().slice(0, 8)}`.toLowerCase();
  const created = await createStaffAccount({ pool: stack.pool, pepper: stack.deps.keys.pepper, secrets: stack.deps.keys.secrets }, { username, displayName: `Test ${role}`, role }, 'test');
  if (!opts.mustChangePassword) await stack.pool.query('UPDATE staff_accounts SET must_change_password = false WHERE id = $1::uuid', [created.accountId]);
  return { ...created, role };
}

/** The code an authenticator app would show `offsetSteps` 30-second steps from now. */
export function totpCode(secret: string, offsetSteps = 0): string {
  return totpAt(base32Decode(secret), Date.now() + offsetSteps * 30_000);
}

/** Logs in through the console's form (GET for the CSRF cookie, POST with password + code); the browser keeps the session. */
export async function consoleLogin(stack: TestStack, staff: Pick<TestStaff, 'username' | 'password' | 'totpSecret'>, code = totpCode(staff.totpSecret)): Promise<Browser> {
  const browser = new Browser(stack.baseUrl);
  const form = await browser.get('/console/login');
  const res = await browser.post('/console/login', { _csrf: csrfOf(form.body), username: staff.username, password: staff.password, code });
  if (res.status !== 303) throw new Error(`console login failed: ${res.status}`);
  return browser;
}

/** A console session opened directly in the database (no login), with its cookie and CSRF token. */
export async function openTestSession(stack: TestStack, accountId: string): Promise<{ token: string; cookie: string; csrf: string }> {
  const token = randomBytes(32).toString('base64url');
  await stack.pool.query(`INSERT INTO staff_sessions (token_hash, staff_id, expires_at) VALUES ($1::bytea, $2::uuid, now() + interval '1 hour')`, [
    createHash('sha256').update(token).digest(),
    accountId,
  ]);
  return { token, cookie: `staff_session=${token}`, csrf: csrfTokenFor(token) };
}
