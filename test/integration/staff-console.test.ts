/**
 * Staff accounts and console sessions on the real servers: login with password + TOTP, the
 * generic refusal and its audit, no code accepted twice (a reused code told as such and not
 * counted), the lock after five failures, disabled accounts, logout; the console cookie on the
 * API (CSRF required for changes), a citizen's session refused with 403; an administrator
 * creating an account (the TOTP enrolment as a QR code read back with jsQR) or resetting one; the
 * generated password changed at the first login; and `npm run staff:create`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { makeCitizen } from '../support/citizens';
import { activeCitizen, type ActiveCitizen } from '../support/issuance';
import { Browser, csrfOf } from '../support/browser';
import { consoleLogin, createTestStaff, openTestSession, totpCode, type TestStaff } from '../support/staff';
import { startTestStack, type TestStack } from '../support/stack';
import { base32Decode, totpAt } from '../../lib/totp';
import { issueStaffApiToken } from '../../services/staff/tokens';
import { readQrDataUri } from '../support/qr';

let stack: TestStack;
let citizen: ActiveCitizen;

beforeAll(async () => {
  stack = await startTestStack();
  citizen = await activeCitizen(stack, makeCitizen());
});
afterAll(async () => {
  await stack?.stop();
});

async function loginAttempt(staff: Pick<TestStaff, 'username'>, password: string, code: string) {
  const browser = new Browser(stack.baseUrl);
  const form = await browser.get('/console/login');
  const res = await browser.post('/console/login', { _csrf: csrfOf(form.body), username: staff.username, password, code });
  return { res, browser };
}

async function auditOf(username: string) {
  const { rows } = await stack.pool.query<{ actor: string; action: string; decision: string; detail: Record<string, unknown> }>(
    `SELECT actor, action, decision, detail FROM audit_log WHERE subject = $1::text AND action = 'console.login' ORDER BY id`,
    [username],
  );
  return rows;
}

describe('console login', () => {
  it('logs in with password and TOTP code, sets a strict HttpOnly cookie, audits it, and logs out', async () => {
    const clerk = await createTestStaff(stack, 'clerk');
    const browser = await consoleLogin(stack, clerk);
    const cookie = browser.setCookies.find((c) => c.startsWith('staff_session='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\//);
    const home = await browser.get('/console/');
    expect(home.status).toBe(200);
    expect(home.body).toContain(clerk.username);
    expect(home.headers.get('content-security-policy')).toContain("frame-src 'self'");
    expect(home.headers.get('cache-control')).toBe('no-store');
    expect(await auditOf(clerk.username)).toEqual([expect.objectContaining({ actor: `staff:${clerk.username}`, decision: 'granted' })]);
    // The session hash is stored, never the token.
    const token = browser.cookies.get('staff_session')!;
    const { rows } = await stack.pool.query('SELECT token_hash FROM staff_sessions s JOIN staff_accounts a ON a.id = s.staff_id WHERE a.username = $1', [clerk.username]);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(token);

    const logout = await browser.post('/console/logout', { _csrf: csrfOf(home.body) });
    expect(logout.status).toBe(303);
    // The old cookie no longer opens anything.
    const after = await fetch(`${stack.baseUrl}/console/`, { headers: { cookie: `staff_session=${token}` }, redirect: 'manual' });
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toContain('/console/login');
  });

  it('refuses a wrong password and a wrong code with the same answer, each audited', async () => {
    const clerk = await createTestStaff(stack, 'clerk');
    const wrongPassword = await loginAttempt(clerk, `${clerk.password}x`, totpCode(clerk.totpSecret));
    const wrongCode = await loginAttempt(clerk, clerk.password, String((Number(totpCode(clerk.totpSecret)) + 1) % 1_000_000).padStart(6, '0'));
    const code = totpCode(clerk.totpSecret);
    const ok = await loginAttempt(clerk, clerk.password, code);
    // The used code with a wrong password: a wrong password like any other.
    const replayWrongPassword = await loginAttempt(clerk, `${clerk.password}x`, code);
    expect(ok.res.status).toBe(303);
    for (const failed of [wrongPassword, wrongCode, replayWrongPassword]) {
      expect(failed.res.status).toBe(401);
      expect(failed.res.body).toContain('data-testid="login-error"');
      expect(failed.browser.cookies.has('staff_session')).toBe(false);
    }
    // Same words whatever was wrong.
    const message = (b: string) => /data-testid="login-error">([^<]*)</.exec(b)?.[1];
    expect(message(wrongPassword.res.body)).toBe(message(wrongCode.res.body));
    expect(message(wrongPassword.res.body)).toBe(message(replayWrongPassword.res.body));
    expect(message(wrongPassword.res.body)).not.toContain('già usato');
    // The password never appears in the page.
    expect(wrongPassword.res.body).not.toContain(clerk.password);
    const audit = await auditOf(clerk.username);
    expect(audit.map((a) => [a.decision, a.detail.reason])).toEqual([
      ['denied', 'bad_password'],
      ['denied', 'bad_code'],
      ['granted', undefined],
      ['denied', 'bad_password'],
    ]);
    expect(audit[3]!.detail).toMatchObject({ code: 'reused', failedAttempts: 1 });
    expect(JSON.stringify(audit)).not.toContain(clerk.password);
    // An unknown user is refused the same way and audited without an account.
    const unknown = await loginAttempt({ username: 'nobody-here' }, 'whatever-password', '123456');
    expect(unknown.res.status).toBe(401);
  });

  it('tells a code already used as such, in both languages, without counting it towards the lock; a wrong code still counts', async () => {
    const clerk = await createTestStaff(stack, 'clerk');
    const failures = async () =>
      (await stack.pool.query<{ failed_attempts: number; locked_until: Date | null }>('SELECT failed_attempts, locked_until FROM staff_accounts WHERE username = $1', [clerk.username])).rows[0]!;
    const code = totpCode(clerk.totpSecret);
    expect((await loginAttempt(clerk, clerk.password, code)).res.status).toBe(303);
    // Six times the used code: more than the five failures that lock, and still nothing counted.
    for (let i = 0; i < 6; i++) {
      const replay = await loginAttempt(clerk, clerk.password, code);
      expect(replay.res.status).toBe(401);
      expect(replay.res.body).toMatch(/data-testid="login-error">Codice già usato: attendi il prossimo\.</);
      expect(replay.browser.cookies.has('staff_session')).toBe(false);
    }
    expect(await failures()).toEqual({ failed_attempts: 0, locked_until: null });
    // In English too.
    const english = new Browser(stack.baseUrl);
    const form = await english.get('/console/login?lang=en');
    const replay = await english.post('/console/login', { _csrf: csrfOf(form.body), username: clerk.username, password: clerk.password, code });
    expect(replay.status).toBe(401);
    expect(replay.body).toMatch(/data-testid="login-error">Code already used: wait for the next one\.</);
    // A wrong code still counts.
    const wrong = String((Number(totpCode(clerk.totpSecret, 1)) + 1) % 1_000_000).padStart(6, '0');
    const bad = await loginAttempt(clerk, clerk.password, wrong === code ? '000000' : wrong);
    expect(bad.res.status).toBe(401);
    expect(bad.res.body).not.toContain('già usato');
    expect((await failures()).failed_attempts).toBe(1);
    const audit = await auditOf(clerk.username);
    expect(audit.map((a) => [a.decision, a.detail.reason])).toEqual([
      ['granted', undefined],
      ...Array.from({ length: 7 }, () => ['denied', 'reused_code']),
      ['denied', 'bad_code'],
    ]);
    expect(audit[1]!.detail).toMatchObject({ failedAttempts: 0 });
    // The next step's code is good.
    expect((await loginAttempt(clerk, clerk.password, totpCode(clerk.totpSecret, 1))).res.status).toBe(303);
  });

  it('locks the account for 15 minutes after five failures in a row, then refuses even the right credentials', async () => {
    const operator = await createTestStaff(stack, 'operator');
    for (let i = 0; i < 5; i++) expect((await loginAttempt(operator, 'wrong-password', '000000')).res.status).toBe(401);
    const { rows } = await stack.pool.query<{ failed_attempts: number; locked_until: Date }>('SELECT failed_attempts, locked_until FROM staff_accounts WHERE username = $1', [operator.username]);
    expect(rows[0]!.failed_attempts).toBe(5);
    const lockMs = rows[0]!.locked_until.getTime() - Date.now();
    expect(lockMs).toBeGreaterThan(14 * 60_000);
    expect(lockMs).toBeLessThanOrEqual(15 * 60_000);
    const right = await loginAttempt(operator, operator.password, totpCode(operator.totpSecret));
    expect(right.res.status).toBe(401);
    expect((await auditOf(operator.username)).at(-1)).toMatchObject({ decision: 'denied', detail: { reason: 'locked' } });
    // When the lock ends, the right credentials work and the counter starts again.
    await stack.pool.query(`UPDATE staff_accounts SET locked_until = now() - interval '1 second' WHERE username = $1`, [operator.username]);
    expect((await loginAttempt(operator, operator.password, totpCode(operator.totpSecret, 1))).res.status).toBe(303);
    const after = await stack.pool.query<{ failed_attempts: number; locked_until: Date | null }>('SELECT failed_attempts, locked_until FROM staff_accounts WHERE username = $1', [operator.username]);
    expect(after.rows[0]).toEqual({ failed_attempts: 0, locked_until: null });
  });

  it('keeps only ciphertext of the TOTP secret and an argon2id hash of the password', async () => {
    const staff = await createTestStaff(stack, 'supervisor');
    const { rows } = await stack.pool.query<{ password_hash: string; totp_secret_enc: Buffer }>('SELECT password_hash, totp_secret_enc FROM staff_accounts WHERE username = $1', [staff.username]);
    expect(rows[0]!.password_hash).toMatch(/^\$argon2id\$/);
    expect(rows[0]!.password_hash).not.toContain(staff.password);
    expect(rows[0]!.totp_secret_enc.toString('latin1')).not.toContain(staff.totpSecret);
    expect(Buffer.compare(rows[0]!.totp_secret_enc, base32Decode(staff.totpSecret))).not.toBe(0);
  });
});

describe('console session on the API', () => {
  it('authenticates staff API routes with the cookie, and requires the CSRF token for changes', async () => {
    const clerk = await createTestStaff(stack, 'clerk');
    const { accountId } = clerk;
    const session = await openTestSession(stack, accountId);
    const queue = await fetch(`${stack.baseUrl}/api/review/cases`, { headers: { cookie: session.cookie } });
    expect(queue.status).toBe(200);
    const caseUrl = `${stack.baseUrl}/api/review/cases/00000000-0000-4000-8000-000000000000/claim`;
    const noCsrf = await fetch(caseUrl, { method: 'POST', headers: { cookie: session.cookie } });
    expect(noCsrf.status).toBe(403);
    expect(((await noCsrf.json()) as { error: { details: { reason: string } } }).error.details.reason).toBe('CSRF');
    const otherCsrf = await fetch(caseUrl, { method: 'POST', headers: { cookie: session.cookie, 'x-csrf-token': (await openTestSession(stack, accountId)).csrf } });
    expect(otherCsrf.status).toBe(403);
    const withCsrf = await fetch(caseUrl, { method: 'POST', headers: { cookie: session.cookie, 'x-csrf-token': session.csrf } });
    expect(withCsrf.status).toBe(404); // past authentication: the case does not exist
  });

  it('ends every session of a disabled account at once', async () => {
    const clerk = await createTestStaff(stack, 'clerk');
    const session = await openTestSession(stack, clerk.accountId);
    expect((await fetch(`${stack.baseUrl}/api/review/cases`, { headers: { cookie: session.cookie } })).status).toBe(200);
    await stack.pool.query('UPDATE staff_accounts SET disabled_at = now() WHERE id = $1::uuid', [clerk.accountId]);
    expect((await fetch(`${stack.baseUrl}/api/review/cases`, { headers: { cookie: session.cookie } })).status).toBe(401);
    expect((await loginAttempt(clerk, clerk.password, totpCode(clerk.totpSecret))).res.status).toBe(401);
  });

  it('answers a citizen session with 403 and no data, on the API and on console pages', async () => {
    const api = await fetch(`${stack.baseUrl}/api/review/cases`, { headers: { authorization: `Bearer ${citizen.token}` } });
    expect(api.status).toBe(403);
    const body = (await api.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['error']);
    const page = await fetch(`${stack.baseUrl}/console/review`, { headers: { cookie: `pin_session=${citizen.token}` }, redirect: 'manual' });
    expect(page.status).toBe(403);
    expect(await page.text()).not.toContain(citizen.citizen.codiceFiscale);
  });
});

describe('staff accounts administration', () => {
  it('lets an administrator create an account whose password and TOTP (text and QR code) are shown once and work', async () => {
    const admin = await createTestStaff(stack, 'admin');
    const browser = await consoleLogin(stack, admin);
    const list = await browser.get('/console/admin/staff');
    expect(list.status).toBe(200);
    const username = `new-clerk-${Date.now().toString(36)}`;
    const created = await browser.post('/console/admin/staff', { _csrf: csrfOf(list.body), username, displayName: 'Nuovo Operatore', role: 'clerk' });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const password = /data-testid="issued-password">([^<]+)</.exec(created.body)![1]!;
    const secret = /data-testid="issued-totp-secret">([^<]+)</.exec(created.body)![1]!;
    const uriText = /data-testid="issued-otpauth-uri">([^<]+)</.exec(created.body)![1]!.replaceAll('&amp;', '&');
    expect(new URL(uriText).searchParams.get('secret')).toBe(secret);
    expect(uriText).toContain(`otpauth://totp/INPS%20PIN%20Console:${username}?`);
    // The QR code is a PNG drawn on the server; read back by a QR decoder it is the same URI.
    const img = /<img src="(data:image\/png;base64,[A-Za-z0-9+/=]+)" data-testid="issued-totp-qr" alt="[^"]+">/.exec(created.body);
    expect(img).not.toBeNull();
    expect(readQrDataUri(img![1]!)).toBe(uriText);
    // No script on the page, and the secret nowhere but this page: not in the audit log, not in the list.
    expect(created.body).not.toMatch(/<script/i);
    const { rows: auditRows } = await stack.pool.query(`SELECT actor, action, subject, decision, detail FROM audit_log WHERE subject = $1 OR actor = $2`, [username, `staff:${admin.username}`]);
    expect(auditRows.length).toBeGreaterThan(0);
    expect(JSON.stringify(auditRows)).not.toContain(secret);
    expect(JSON.stringify(auditRows)).not.toContain(password);
    const listAfter = await browser.get('/console/admin/staff');
    expect(listAfter.body).not.toContain(secret);
    expect(listAfter.body).not.toContain('issued-totp-qr');
    // The generated password opens the change-password page first.
    const first = await loginAttempt({ username }, password, totpCode(secret));
    expect(first.res.status).toBe(303);
    expect(first.res.location).toBe('/console/password');
    const newcomer = first.browser;
    const form = await newcomer.get('/console/password');
    const chosen = 'una frase lunga e nuova';
    expect((await newcomer.post('/console/password', { _csrf: csrfOf(form.body), current: password, password: chosen, repeat: chosen })).status).toBe(303);
    expect((await newcomer.get('/console/review')).status).toBe(200);
    expect((await newcomer.get('/console/admin/staff')).status).toBe(403);
    // A duplicate username is refused on the form.
    const again = await browser.post('/console/admin/staff', { _csrf: csrfOf(list.body), username, displayName: 'Altro', role: 'clerk' });
    expect(again.status).toBe(409);
    const { rows } = await stack.pool.query(`SELECT decision FROM audit_log WHERE actor = $1 AND action = 'console.staff_account.create' ORDER BY id`, [`staff:${admin.username}`]);
    expect(rows.map((r) => r.decision)).toEqual(['done', 'refused']);
  });

  it('shows administrators the audit log and checks its keyed chain on request; nobody else may', async () => {
    const admin = await createTestStaff(stack, 'admin');
    const browser = await consoleLogin(stack, admin);
    const page = await browser.get(`/console/admin/audit?actor=${encodeURIComponent(`staff:${admin.username}`)}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('data-testid="audit-rows"');
    // Each action by its label, its outcome too: the login that opened this session.
    expect(page.body).toContain('<td>Console: accesso</td>');
    expect(page.body).toContain('<td>consentito</td>');
    expect(page.body).not.toContain('console.login');
    const checked = await browser.get('/console/admin/audit?check=1');
    expect(checked.body).toMatch(/data-testid="audit-check">Registro integro\. \d+ righe verificate \(\d+ con chiave\)/);
    const clerk = await consoleLogin(stack, await createTestStaff(stack, 'clerk'));
    expect((await clerk.get('/console/admin/audit')).status).toBe(403);
  });

  it('`npm run staff:create` creates the first administrator and prints the password and URI once', async () => {
    const username = `admin-${Date.now().toString(36)}`;
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'scripts/create-staff.ts', '--username', username, '--role', 'admin'], {
      env: {
        ...process.env,
        DATABASE_URL: inject('databaseUrl'),
        PIN_PEPPER: stack.deps.keys.pepper.toString('base64'),
        SECRETS_KEY: stack.deps.keys.secrets.keys.get(1)!.toString('base64'),
        LOG_LEVEL: 'silent',
      },
    });
    const password = /password:\s+(\S+)/.exec(stdout)![1]!;
    const uri = new URL(/TOTP URI:\s+(\S+)/.exec(stdout)![1]!);
    const secret = uri.searchParams.get('secret')!;
    expect(totpAt(base32Decode(secret), Date.now())).toMatch(/^\d{6}$/);
    expect(stdout).not.toContain('<svg');
    expect(stdout).toContain('new password');
    // Its generated password must be changed first.
    const browser = await consoleLogin(stack, { username, password, totpSecret: secret });
    const staffPage = await browser.get('/console/admin/staff');
    expect(staffPage.status).toBe(303);
    expect(staffPage.location).toBe('/console/password');
    const form = await browser.get('/console/password');
    const chosen = 'amministratore della console 2026';
    expect((await browser.post('/console/password', { _csrf: csrfOf(form.body), current: password, password: chosen, repeat: chosen })).status).toBe(303);
    expect((await browser.get('/console/admin/staff')).status).toBe(200);
  });
});

describe('first login with a generated password', () => {
  const fieldError = (body: string, field: string) => new RegExp(`id="f-${field}"[^>]*aria-invalid="true"`).test(body);

  it('opens only the change-password page until a good password is chosen; then the old one no longer works', async () => {
    const clerk = await createTestStaff(stack, 'clerk', 'newclerk', { mustChangePassword: true });
    const first = await loginAttempt(clerk, clerk.password, totpCode(clerk.totpSecret));
    expect(first.res.status).toBe(303);
    expect(first.res.location).toBe('/console/password');
    expect((await auditOf(clerk.username)).at(-1)).toMatchObject({ decision: 'granted', detail: { mustChangePassword: true } });
    const browser = first.browser;
    const other = await openTestSession(stack, clerk.accountId);

    // Every other console page, GET or POST, sends to the change-password page.
    for (const path of ['/console/', '/console/review', '/console/citizens', '/console/counter', '/console/admin/staff']) {
      const res = await browser.get(path);
      expect([path, res.status, res.location]).toEqual([path, 303, '/console/password']);
    }
    const page = await browser.get('/console/password');
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.body).toContain('data-testid="password-change-required"');
    // The menu offers no section.
    expect(page.body).not.toContain('href="/console/review"');
    const csrf = csrfOf(page.body);
    const claim = await browser.post('/console/review/00000000-0000-4000-8000-000000000000/claim', { _csrf: csrf });
    expect([claim.status, claim.location]).toEqual([303, '/console/password']);
    // The console cookie on the API is refused too; the account's API tokens are not affected.
    const api = await fetch(`${stack.baseUrl}/api/review/cases`, { headers: { cookie: `staff_session=${browser.cookies.get('staff_session')}` } });
    expect(api.status).toBe(403);
    expect(((await api.json()) as { error: { details: { reason: string } } }).error.details.reason).toBe('PASSWORD_CHANGE_REQUIRED');
    const { token } = await issueStaffApiToken(stack.pool, { username: clerk.username }, 'test');
    expect((await fetch(`${stack.baseUrl}/api/review/cases`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

    // Weak or wrong choices are refused, field by field, and change nothing.
    const attempt = (form: Record<string, string>) => browser.post('/console/password', { _csrf: csrf, ...form });
    const short = await attempt({ current: clerk.password, password: 'corta-1', repeat: 'corta-1' });
    expect(short.status).toBe(400);
    expect(fieldError(short.body, 'password')).toBe(true);
    expect(short.body).toContain('Da 12 a 128 caratteri.');
    const withName = `io-sono-${clerk.username.toUpperCase()}-davvero`;
    const named = await attempt({ current: clerk.password, password: withName, repeat: withName });
    expect(named.status).toBe(400);
    expect(named.body).toContain('La password non può contenere il nome utente.');
    const same = await attempt({ current: clerk.password, password: clerk.password, repeat: clerk.password });
    expect(same.status).toBe(400);
    expect(fieldError(same.body, 'password')).toBe(true);
    expect(same.body).toContain('diversa da quella attuale');
    const chosen = 'cavallo batteria graffetta corretta';
    const wrongCurrent = await attempt({ current: `${clerk.password}x`, password: chosen, repeat: chosen });
    expect(wrongCurrent.status).toBe(400);
    expect(fieldError(wrongCurrent.body, 'current')).toBe(true);
    expect(fieldError(wrongCurrent.body, 'password')).toBe(false);
    const mismatch = await attempt({ current: clerk.password, password: chosen, repeat: `${chosen}!` });
    expect(mismatch.status).toBe(400);
    expect(fieldError(mismatch.body, 'repeat')).toBe(true);
    for (const refused of [short, named, same, wrongCurrent, mismatch]) {
      expect(refused.body).not.toContain(clerk.password);
      expect(refused.body).not.toContain(chosen);
    }
    expect((await browser.get('/console/review')).location).toBe('/console/password');

    // A good one: the console opens, the other session of the account has ended, this one goes on.
    const done = await attempt({ current: clerk.password, password: chosen, repeat: chosen });
    expect([done.status, done.location]).toEqual([303, '/console/']);
    expect((await browser.get('/console/review')).status).toBe(200);
    expect((await browser.get('/console/')).body).toContain('href="/console/review"');
    expect((await fetch(`${stack.baseUrl}/api/review/cases`, { headers: { cookie: `staff_session=${browser.cookies.get('staff_session')}` } })).status).toBe(200);
    expect((await fetch(`${stack.baseUrl}/api/review/cases`, { headers: { cookie: other.cookie } })).status).toBe(401);
    const { rows } = await stack.pool.query<{ password_hash: string; must_change_password: boolean }>('SELECT password_hash, must_change_password FROM staff_accounts WHERE id = $1::uuid', [clerk.accountId]);
    expect(rows[0]!.must_change_password).toBe(false);
    expect(rows[0]!.password_hash).toMatch(/^\$argon2id\$/);
    const audit = await stack.pool.query<{ actor: string; decision: string; detail: Record<string, unknown> }>(
      `SELECT actor, decision, detail FROM audit_log WHERE subject = $1 AND action = 'staff_account.change_password' ORDER BY id`,
      [clerk.username],
    );
    expect(audit.rows.map((r) => [r.decision, r.detail.reasons ?? r.detail.forced])).toEqual([
      ['refused', ['password_length']],
      ['refused', ['password_has_username']],
      ['refused', ['password_unchanged']],
      ['refused', ['wrong_password']],
      ['refused', ['password_mismatch']],
      ['changed', true],
    ]);
    expect(JSON.stringify(audit.rows)).not.toContain(chosen);

    // The generated password no longer works; the chosen one does.
    expect((await loginAttempt(clerk, clerk.password, totpCode(clerk.totpSecret, 1))).res.status).toBe(401);
    expect((await auditOf(clerk.username)).at(-1)).toMatchObject({ decision: 'denied', detail: { reason: 'bad_password' } });
    const again = await loginAttempt(clerk, chosen, totpCode(clerk.totpSecret, 1));
    expect([again.res.status, again.res.location]).toEqual([303, '/console/']);
  });

  it('is asked again after an administrator resets the credentials (new QR code too)', async () => {
    const admin = await consoleLogin(stack, await createTestStaff(stack, 'admin'));
    const clerk = await createTestStaff(stack, 'clerk');
    expect((await (await consoleLogin(stack, clerk)).get('/console/review')).status).toBe(200);
    const list = await admin.get('/console/admin/staff');
    const reset = await admin.post(`/console/admin/staff/${clerk.username}/reset`, { _csrf: csrfOf(list.body) });
    expect(reset.status).toBe(200);
    expect(reset.headers.get('cache-control')).toBe('no-store');
    const password = /data-testid="issued-password">([^<]+)</.exec(reset.body)![1]!;
    const secret = /data-testid="issued-totp-secret">([^<]+)</.exec(reset.body)![1]!;
    const img = /<img src="(data:image\/png;base64,[A-Za-z0-9+/=]+)" data-testid="issued-totp-qr"/.exec(reset.body)!;
    expect(new URL(readQrDataUri(img[1]!)!).searchParams.get('secret')).toBe(secret);
    const login = await loginAttempt(clerk, password, totpCode(secret));
    expect([login.res.status, login.res.location]).toEqual([303, '/console/password']);
    expect((await login.browser.get('/console/review')).location).toBe('/console/password');
  });
});
