/**
 * Login with codice fiscale and PIN, through the HTTP API on the real servers (PostgreSQL, the
 * Temporal dev server behind the stack): sessions and their scope per profile and PIN type, the
 * lockout rules (growing waits, the 100-failure permanent lock), the per-address throttle,
 * logout, expiry and revocation, the audit trail, and no PIN anywhere it should not be.
 *
 * Fixture credentials are written straight into PostgreSQL; the clock of the API is injected so
 * waits of minutes and hours pass at once.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeSessionsFor } from '../../services/access/sessions';
import { hashPin } from '../../lib/pin-hash';
import { generatePin, keyedHash } from '../../lib/secrets';
import { verifyAuditChain } from '../../lib/audit';
import { COVID_BONUS_CLAIM_TYPES } from '../../domain/services';
import { makeCitizen } from '../support/citizens';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);
const advance = (ms: number) => {
  offsetMs += ms;
};
const MIN = 60_000;
const HOUR = 60 * MIN;

/** Every PIN and half used, and every response body, to search for secrets at the end. */
const secretsUsed: string[] = [];
const responses: string[] = [];

beforeAll(async () => {
  stack = await startTestStack({ now: clock, policy: { simplifiedProcedure: true } });
});
afterAll(async () => {
  await stack?.stop();
});

/** A fresh client address per use, unique across runs on a shared database (the API trusts X-Forwarded-For from loopback). */
let ipCounter = randomInt(2 ** 23);
const nextIp = () => {
  const n = ipCounter++;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
};

interface Reply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted field by field
  body: any;
  text: string;
  headers: Headers;
}

async function call(method: string, path: string, opts: { body?: unknown; ip?: string; token?: string; cookie?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'x-forwarded-for': opts.ip ?? nextIp() };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  const res = await fetch(`${stack.baseUrl}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  responses.push(text, res.headers.get('set-cookie') ?? '');
  return { status: res.status, body: text ? JSON.parse(text) : undefined, text, headers: res.headers };
}

const login = (codiceFiscale: string, pin: string, ip?: string) => call('POST', '/api/sessions', { body: { codiceFiscale, pin }, ip });

interface Fixture {
  credentialId: string;
  codiceFiscale: string;
  pin: string;
}

interface FixtureOptions {
  profile?: Record<string, unknown>;
  pinType?: 'ordinary' | 'dispositivo';
  state?: 'active' | 'pin_expired' | 'awaiting_first_access';
  pinExpiresAt?: Date;
}

/** A credential with an active personal PIN (or, for `awaiting_first_access`, an initial PIN whose first half is `pin`). */
async function fixture(opts: FixtureOptions = {}): Promise<Fixture> {
  const citizen = makeCitizen();
  const credentialId = randomUUID();
  const state = opts.state ?? 'active';
  await stack.pool.query(
    `INSERT INTO credentials (id, codice_fiscale, state, pin_type, channel, holder, contacts, residence, profile, workflow_started_at)
     VALUES ($1::uuid, $2::text, $3::text, $4::text, 'online', $5::jsonb, $6::jsonb, $7::jsonb, $8::jsonb, now())`,
    [
      credentialId,
      citizen.codiceFiscale,
      state,
      opts.pinType ?? 'ordinary',
      JSON.stringify({ surname: citizen.surname, name: citizen.name }),
      JSON.stringify({ mobile: citizen.mobile, email: citizen.email }),
      JSON.stringify(citizen.residence),
      JSON.stringify(opts.profile ?? { category: 'pensioner', scheme: 'private' }),
    ],
  );
  const pin = generatePin(8);
  secretsUsed.push(pin);
  const pepper = stack.deps.keys.pepper;
  const salt = randomBytes(16);
  if (state === 'awaiting_first_access') {
    const second = generatePin(8);
    secretsUsed.push(second);
    await stack.pool.query(
      `INSERT INTO pin_secrets (credential_id, version, kind, first_half_hash, second_half_hash, salt) VALUES ($1::uuid, 1, 'initial', $2::bytea, $3::bytea, $4::bytea)`,
      [credentialId, keyedHash(pepper, salt, 'first', pin), keyedHash(pepper, salt, 'second', second), salt],
    );
  } else {
    await addPersonalPin(credentialId, 1, pin, opts.pinExpiresAt);
  }
  return { credentialId, codiceFiscale: citizen.codiceFiscale, pin };
}

async function addPersonalPin(credentialId: string, version: number, pin: string, expiresAt?: Date): Promise<void> {
  const hash = await hashPin(stack.deps.keys.pepper, pin);
  await stack.pool.query(`UPDATE pin_secrets SET status = 'superseded', superseded_at = now() WHERE credential_id = $1::uuid AND kind = 'personal'`, [credentialId]);
  await stack.pool.query(
    `INSERT INTO pin_secrets (credential_id, version, kind, pin_hash, salt, status, activated_at, expires_at)
     VALUES ($1::uuid, $2::int, 'personal', $3::text, $4::bytea, 'active', now(), $5::timestamptz)`,
    [credentialId, version, hash, randomBytes(16), expiresAt ?? new Date(clock().getTime() + 180 * 24 * HOUR)],
  );
}

/** A PIN of the right shape that is not `pin`. */
function wrongPin(pin: string): string {
  const w = generatePin(8);
  return w === pin ? wrongPin(pin) : w;
}

async function auditFor(subject: string): Promise<{ action: string; decision: string; actor: string; detail: Record<string, unknown> }[]> {
  const { rows } = await stack.pool.query('SELECT action, decision, actor, detail FROM audit_log WHERE subject = $1::text ORDER BY id', [subject]);
  return rows;
}

async function counters(credentialId: string) {
  const { rows } = await stack.pool.query<{ consecutive_failures: number; locked_until: Date | null; permanently_locked_at: Date | null }>(
    'SELECT consecutive_failures, locked_until, permanently_locked_at FROM credential_access WHERE credential_id = $1::uuid',
    [credentialId],
  );
  return rows[0];
}

const serviceIds = (r: Reply): string[] => (r.body.services as { id: string }[]).map((s) => s.id);

describe('login and session', () => {
  it('opens a session: 201, a secure httpOnly cookie, the token, the PIN type, scope and profile', async () => {
    const f = await fixture({ profile: { category: 'pensioner', scheme: 'private' } });
    const res = await login(f.codiceFiscale.toLowerCase(), f.pin.toLowerCase());
    expect(res.status).toBe(201);
    expect(res.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.body.session).toEqual({
      credentialId: f.credentialId,
      codiceFiscale: f.codiceFiscale,
      pinType: 'ordinary',
      scope: 'ordinary',
      profile: { category: 'pensioner', scheme: 'private' },
      intermediary: false,
    });
    expect(new Date(res.body.expiresAt).getTime()).toBeCloseTo(clock().getTime() + 8 * HOUR, -4);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`^pin_session=${res.body.token};`));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Secure/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\//);
    expect(res.headers.get('cache-control')).toBe('no-store');

    // The token is stored only as its SHA-256.
    const { rows } = await stack.pool.query<{ n: string }>('SELECT count(*) AS n FROM sessions WHERE credential_id = $1::uuid', [f.credentialId]);
    expect(rows[0]!.n).toBe('1');
    const stored = await stack.pool.query('SELECT 1 FROM sessions WHERE token_hash = sha256(convert_to($1::text, $2::name))', [res.body.token, 'UTF8']);
    expect(stored.rowCount).toBe(1);

    // Who am I: by cookie and by bearer token, no secrets.
    const byCookie = await call('GET', '/api/session', { cookie: `pin_session=${res.body.token}` });
    const byBearer = await call('GET', '/api/session', { token: res.body.token });
    expect(byCookie.status).toBe(200);
    expect(byCookie.body.session).toEqual(res.body.session);
    expect(byBearer.body.session).toEqual(res.body.session);
    expect(byCookie.text).not.toContain(res.body.token);
    const none = await call('GET', '/api/session');
    expect(none.status).toBe(401);
    expect(none.body.error.type).toBe('UNAUTHENTICATED');
  });

  it('lists the services of the profile: pensioner, private-scheme employee, public-scheme employee, self-employed, intermediary', async () => {
    const servicesOf = async (opts: FixtureOptions) => {
      const f = await fixture(opts);
      const s = await login(f.codiceFiscale, f.pin);
      expect(s.status).toBe(201);
      const res = await call('GET', '/api/session/services', { token: s.body.token });
      expect(res.status).toBe(200);
      return { scope: res.body.scope as string, ids: serviceIds(res), kinds: (res.body.services as { kind: string }[]).map((x) => x.kind) };
    };

    const pensioner = await servicesOf({ profile: { category: 'pensioner', scheme: 'private' } });
    expect(pensioner.ids).toEqual(expect.arrayContaining(['pension-statement', 'pension-cu', 'personal-data']));
    expect(pensioner.ids).not.toContain('contribution-statement');
    expect(pensioner.ids).not.toContain('contribution-statement-public');
    expect(pensioner.kinds).not.toContain('claim'); // an ordinary PIN cannot request benefits (and no COVID bonus is for pensioners)

    const employee = await servicesOf({ profile: { category: 'employee', scheme: 'private' } });
    expect(employee.ids).toContain('contribution-statement');
    expect(employee.ids).not.toContain('contribution-statement-public');
    expect(employee.ids).not.toContain('pension-statement');
    // An ordinary PIN requests no benefit; only the COVID-period bonuses (open even to the simplified scope) are claims it reaches.
    expect(employee.ids.filter((id, i) => employee.kinds[i] === 'claim').every((id) => (COVID_BONUS_CLAIM_TYPES as readonly string[]).includes(id))).toBe(true);
    expect(employee.ids).not.toContain('unemployment-naspi');

    const publicEmployee = await servicesOf({ profile: { category: 'employee', scheme: 'public' }, pinType: 'dispositivo' });
    expect(publicEmployee.scope).toBe('dispositivo');
    expect(publicEmployee.ids).toEqual(expect.arrayContaining(['contribution-statement-public', 'public-employee-loans', 'pension-claim']));
    expect(publicEmployee.ids).not.toContain('contribution-statement');
    expect(publicEmployee.ids).not.toContain('unemployment-naspi');
    expect(publicEmployee.ids).not.toContain('pension-statement');

    const selfEmployed = await servicesOf({ profile: { category: 'self_employed', scheme: 'private' }, pinType: 'dispositivo' });
    expect(selfEmployed.ids).toEqual(expect.arrayContaining(['self-employed-contributions', 'pension-claim', 'covid-bonus-self-employed-special-schemes']));
    expect(selfEmployed.ids).not.toContain('pension-recalculation');

    const dispositivoPensioner = await servicesOf({ profile: { category: 'pensioner', scheme: 'private' }, pinType: 'dispositivo' });
    expect(dispositivoPensioner.ids).toContain('pension-recalculation');
    expect(dispositivoPensioner.ids).not.toContain('pension-claim');
    expect(dispositivoPensioner.ids.filter((id) => id.startsWith('covid-bonus'))).toEqual([]);

    const intermediary = await servicesOf({ profile: { category: 'self_employed', scheme: 'private', intermediary: true } });
    expect(intermediary.ids).toContain('intermediary-desk');
    expect(employee.ids).not.toContain('intermediary-desk');
  });

  it('reads the credential on every request: a conversion to dispositivo widens the scope of a live session', async () => {
    const f = await fixture({ profile: { category: 'employee', scheme: 'private' } });
    const s = await login(f.codiceFiscale, f.pin);
    const before = await call('GET', '/api/session/services', { token: s.body.token });
    expect(before.body.scope).toBe('ordinary');
    expect(serviceIds(before)).not.toContain('unemployment-naspi');
    await stack.pool.query(`UPDATE credentials SET pin_type = 'dispositivo' WHERE id = $1::uuid`, [f.credentialId]);
    const after = await call('GET', '/api/session/services', { token: s.body.token });
    expect(after.body.scope).toBe('dispositivo');
    expect(serviceIds(after)).toContain('unemployment-naspi');
    expect((await call('GET', '/api/session', { token: s.body.token })).body.session.pinType).toBe('dispositivo');
  });

  it('simplified procedure: the first half of the initial PIN opens a session that reaches only the COVID bonus claims', async () => {
    const f = await fixture({ state: 'awaiting_first_access', profile: {} });
    const res = await login(f.codiceFiscale, f.pin);
    expect(res.status).toBe(201);
    expect(res.body.session.scope).toBe('simplified');
    expect(res.body.session.profile).toEqual({ category: 'citizen' });
    const services = await call('GET', '/api/session/services', { token: res.body.token });
    expect(services.body.scope).toBe('simplified');
    expect(serviceIds(services).length).toBeGreaterThan(0);
    expect(serviceIds(services).every((id) => (COVID_BONUS_CLAIM_TYPES as readonly string[]).includes(id))).toBe(true);
    expect(serviceIds(services)).toContain('covid-bonus-babysitting');
    // A wrong first half is an ordinary failure.
    const wrong = await login(f.codiceFiscale, wrongPin(f.pin));
    expect(wrong.status).toBe(401);
    // The first access completing (initial PIN superseded) ends the simplified session.
    await stack.pool.query(`UPDATE pin_secrets SET status = 'superseded', superseded_at = now() WHERE credential_id = $1::uuid AND kind = 'initial'`, [f.credentialId]);
    expect((await call('GET', '/api/session', { token: res.body.token })).status).toBe(401);
  });

  it('answers an unknown codice fiscale and a wrong PIN identically (status and body)', async () => {
    const f = await fixture();
    const unknown = makeCitizen().codiceFiscale;
    const wrong = await login(f.codiceFiscale, wrongPin(f.pin));
    const none = await login(unknown, f.pin);
    expect(wrong.status).toBe(401);
    expect(none.status).toBe(401);
    expect(none.text).toBe(wrong.text);
    expect(wrong.body.error.type).toBe('UNAUTHENTICATED');
    expect(wrong.body.error.message.it).toBeTruthy();
    expect(wrong.body.error.message.en).toBeTruthy();
    expect(none.headers.get('set-cookie')).toBeNull();
    // A malformed PIN is a validation error, whatever the codice fiscale.
    const malformed = await login(unknown, 'abc');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.fields[0].field).toBe('pin');
  });

  it('a correct PIN of an expired PIN is refused with PIN_EXPIRED (regeneration needed); a wrong one gets the generic answer', async () => {
    const f = await fixture({ state: 'pin_expired' });
    const wrong = await login(f.codiceFiscale, wrongPin(f.pin));
    expect(wrong.status).toBe(401);
    const res = await login(f.codiceFiscale, f.pin);
    expect(res.status).toBe(403);
    expect(res.body.error.type).toBe('FORBIDDEN');
    expect(res.body.error.details.reason).toBe('PIN_EXPIRED');
    expect(res.headers.get('set-cookie')).toBeNull();
    // Same when the expiry date has passed before the workflow marked the credential.
    const g = await fixture({ pinExpiresAt: new Date(clock().getTime() - MIN) });
    const late = await login(g.codiceFiscale, g.pin);
    expect(late.status).toBe(403);
    expect(late.body.error.details.reason).toBe('PIN_EXPIRED');
    expect((await auditFor(f.credentialId)).map((a) => a.decision)).toEqual(['denied', 'pin_expired']);
  });
});

describe('lockout', () => {
  it('locks after 3 consecutive failures with growing waits (1 min, 5 min, 15 min, 1 h), and only a success resets the count', async () => {
    const f = await fixture();
    const ip = nextIp();
    for (let i = 1; i <= 2; i++) expect((await login(f.codiceFiscale, wrongPin(f.pin), ip)).status).toBe(401);
    expect((await counters(f.credentialId))?.locked_until).toBeNull();

    const waits = [1 * MIN, 5 * MIN, 15 * MIN, 60 * MIN, 60 * MIN];
    for (const [i, wait] of waits.entries()) {
      const failure = await login(f.codiceFiscale, wrongPin(f.pin), ip);
      expect(failure.status).toBe(401); // the failure that starts a lock still gets the generic answer
      // Locked: even the correct PIN is refused, with the remaining wait, and this does not count.
      const locked = await login(f.codiceFiscale, f.pin, ip);
      expect(locked.status).toBe(429);
      expect(locked.body.error.details.reason).toBe('TEMPORARILY_LOCKED');
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(wait / 1000 - 5);
      expect(Number(locked.headers.get('retry-after'))).toBeLessThanOrEqual(wait / 1000);
      expect((await counters(f.credentialId))!.consecutive_failures).toBe(3 + i);
      advance(wait - 10_000);
      expect((await login(f.codiceFiscale, f.pin, ip)).status).toBe(429);
      advance(10_001);
    }
    const ok = await login(f.codiceFiscale, f.pin, ip);
    expect(ok.status).toBe(201);
    expect(await counters(f.credentialId)).toMatchObject({ consecutive_failures: 0, locked_until: null, permanently_locked_at: null });

    const decisions = (await auditFor(f.credentialId)).map((a) => a.decision);
    expect(decisions.filter((d) => d === 'denied')).toHaveLength(2 + waits.length);
    expect(decisions.filter((d) => d === 'locked')).toHaveLength(2 * waits.length);
    expect(decisions.at(-1)).toBe('granted');
  });

  it('a new PIN does not reset the count', async () => {
    const f = await fixture();
    const ip = nextIp();
    expect((await login(f.codiceFiscale, wrongPin(f.pin), ip)).status).toBe(401);
    expect((await login(f.codiceFiscale, wrongPin(f.pin), ip)).status).toBe(401);
    const newPin = generatePin(8);
    secretsUsed.push(newPin);
    await addPersonalPin(f.credentialId, 2, newPin);
    expect((await login(f.codiceFiscale, wrongPin(newPin), ip)).status).toBe(401);
    expect((await login(f.codiceFiscale, newPin, ip)).status).toBe(429);
    advance(MIN + 1);
    expect((await login(f.codiceFiscale, newPin, ip)).status).toBe(201);
  });

  it('an unknown codice fiscale locks exactly like a known one, so a lock does not reveal who has a PIN', async () => {
    const f = await fixture();
    const unknown = makeCitizen().codiceFiscale;
    const ip = nextIp();
    for (let i = 0; i < 3; i++) {
      const a = await login(f.codiceFiscale, wrongPin(f.pin), ip);
      const b = await login(unknown, wrongPin(f.pin), ip);
      expect(b.text).toBe(a.text);
    }
    const a = await login(f.codiceFiscale, f.pin, ip);
    const b = await login(unknown, f.pin, ip);
    expect(a.status).toBe(429);
    expect(b.status).toBe(429);
    expect(b.body).toEqual(a.body);
    expect(b.headers.get('retry-after')).toBe(a.headers.get('retry-after'));
    advance(MIN + 1);
  });

  it('parallel guesses are decided one after another: the count stops at the lock', async () => {
    const f = await fixture();
    const results = await Promise.all(Array.from({ length: 12 }, () => login(f.codiceFiscale, wrongPin(f.pin))));
    expect(results.filter((r) => r.status === 401)).toHaveLength(3);
    expect(results.filter((r) => r.status === 429)).toHaveLength(9);
    expect((await counters(f.credentialId))!.consecutive_failures).toBe(3);
    advance(MIN + 1);
  });

  it('locks permanently at the 100th consecutive failure; the correct PIN is then refused, for a known and an unknown codice fiscale alike', async () => {
    const f = await fixture();
    const unknown = makeCitizen().codiceFiscale;
    const ip = nextIp();
    for (let i = 1; i <= 100; i++) {
      const a = await login(f.codiceFiscale, wrongPin(f.pin), ip);
      const b = await login(unknown, wrongPin(f.pin), ip);
      expect(a.status, `failure ${i}`).toBe(401);
      expect(b.text).toBe(a.text);
      advance(HOUR + 1_000);
    }
    const c = await counters(f.credentialId);
    expect(c!.consecutive_failures).toBe(100);
    expect(c!.permanently_locked_at).not.toBeNull();

    advance(30 * 24 * HOUR);
    const refused = await login(f.codiceFiscale, f.pin, ip);
    expect(refused.status).toBe(403);
    expect(refused.body.error.type).toBe('FORBIDDEN');
    expect(refused.body.error.details.reason).toBe('PERMANENTLY_LOCKED');
    expect(refused.headers.get('set-cookie')).toBeNull();
    const other = await login(unknown, f.pin, ip);
    expect(other.text).toBe(refused.text);
    expect((await counters(f.credentialId))!.consecutive_failures).toBe(100);
    const decisions = (await auditFor(f.credentialId)).map((x) => x.decision);
    expect(decisions.filter((d) => d === 'denied')).toHaveLength(100);
    expect(decisions.at(-1)).toBe('locked_permanently');
    const last = (await auditFor(f.credentialId)).filter((x) => x.decision === 'denied').at(-1)!;
    expect(last.detail).toMatchObject({ consecutiveFailures: 100, permanentlyLocked: true });
  });
});

describe('per-address throttle', () => {
  it('answers 429 with Retry-After once an address has used its burst, other addresses unaffected, and refills with time', async () => {
    const ip = nextIp();
    const f = await fixture();
    for (let i = 0; i < 20; i++) expect((await login(makeCitizen().codiceFiscale, f.pin, ip)).status).toBe(401);
    const throttled = await login(f.codiceFiscale, f.pin, ip);
    expect(throttled.status).toBe(429);
    expect(throttled.body.error.details.reason).toBe('THROTTLED');
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await login(f.codiceFiscale, f.pin, nextIp())).status).toBe(201);
    advance(3_001);
    expect((await login(f.codiceFiscale, f.pin, ip)).status).toBe(201);
    const { rows } = await stack.pool.query(`SELECT 1 FROM audit_log WHERE actor = $1::text AND decision = 'throttled'`, [`ip:${ip}`]);
    expect(rows.length).toBe(1);
  });
});

describe('logout, expiry and revocation', () => {
  it('logout ends the session and clears the cookie', async () => {
    const f = await fixture();
    const s = await login(f.codiceFiscale, f.pin);
    const cookie = `pin_session=${s.body.token}`;
    const out = await call('DELETE', '/api/session', { cookie });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^pin_session=;.*Expires=Thu, 01 Jan 1970/);
    expect((await call('GET', '/api/session', { cookie })).status).toBe(401);
    expect((await call('GET', '/api/session/services', { token: s.body.token })).status).toBe(401);
    expect((await auditFor(f.credentialId)).map((a) => [a.action, a.decision])).toEqual([
      ['login', 'granted'],
      ['logout', 'ended'],
    ]);
  });

  it('expires after 15 idle minutes and 8 hours in all', async () => {
    const f = await fixture();
    const idle = await login(f.codiceFiscale, f.pin);
    advance(14 * MIN);
    expect((await call('GET', '/api/session', { token: idle.body.token })).status).toBe(200);
    advance(14 * MIN); // used 14 minutes ago: still alive
    expect((await call('GET', '/api/session', { token: idle.body.token })).status).toBe(200);
    advance(15 * MIN + 1_000);
    expect((await call('GET', '/api/session', { token: idle.body.token })).status).toBe(401);

    const busy = await login(f.codiceFiscale, f.pin);
    const end = clock().getTime() + 8 * HOUR;
    while (clock().getTime() + 10 * MIN < end) {
      advance(10 * MIN);
      expect((await call('GET', '/api/session', { token: busy.body.token })).status).toBe(200);
    }
    advance(end - clock().getTime() + 1_000);
    expect((await call('GET', '/api/session', { token: busy.body.token })).status).toBe(401);
  });

  it('revokeSessionsFor kills live sessions at once; so do a revoked credential and a new PIN version', async () => {
    const f = await fixture();
    const a = await login(f.codiceFiscale, f.pin);
    const b = await login(f.codiceFiscale, f.pin);
    expect((await call('GET', '/api/session', { token: a.body.token })).status).toBe(200);
    expect(await revokeSessionsFor(stack.pool, f.credentialId, 'pin_changed')).toBe(2);
    expect((await call('GET', '/api/session', { token: a.body.token })).status).toBe(401);
    expect((await call('GET', '/api/session', { token: b.body.token })).status).toBe(401);
    const { rows } = await stack.pool.query('SELECT DISTINCT revoked_reason FROM sessions WHERE credential_id = $1::uuid', [f.credentialId]);
    expect(rows).toEqual([{ revoked_reason: 'pin_changed' }]);

    const c = await login(f.codiceFiscale, f.pin);
    await stack.pool.query(`UPDATE credentials SET state = 'revoked' WHERE id = $1::uuid`, [f.credentialId]);
    expect((await call('GET', '/api/session', { token: c.body.token })).status).toBe(401);
    expect((await login(f.codiceFiscale, f.pin)).status).toBe(401);

    const g = await fixture();
    const d = await login(g.codiceFiscale, g.pin);
    const next = generatePin(8);
    secretsUsed.push(next);
    await addPersonalPin(g.credentialId, 2, next);
    expect((await call('GET', '/api/session', { token: d.body.token })).status).toBe(401);
    expect((await login(g.codiceFiscale, g.pin)).status).toBe(401);
    expect((await login(g.codiceFiscale, next)).status).toBe(201);
  });
});

describe('audit and secrets', () => {
  it('records every decision in a chain that verifies', async () => {
    const f = await fixture();
    const unknown = makeCitizen().codiceFiscale;
    const ip = nextIp();
    await login(f.codiceFiscale, wrongPin(f.pin), ip);
    await login(unknown, wrongPin(f.pin), ip);
    const s = await login(f.codiceFiscale, f.pin, ip);
    await call('DELETE', '/api/session', { token: s.body.token, ip });
    const rows = await auditFor(f.credentialId);
    expect(rows.map((r) => [r.action, r.decision])).toEqual([
      ['login', 'denied'],
      ['login', 'granted'],
      ['logout', 'ended'],
    ]);
    expect(rows[0]!.actor).toBe(`ip:${ip}`);
    expect(rows[0]!.detail).toMatchObject({ reason: 'wrong_pin', consecutiveFailures: 1 });
    expect(rows[1]!.detail).toMatchObject({ authKind: 'personal', scope: 'ordinary' });
    const unknownRows = await stack.pool.query(`SELECT detail FROM audit_log WHERE actor = $1::text AND subject = 'unknown'`, [`ip:${ip}`]);
    expect(unknownRows.rows).toHaveLength(1);
    expect(JSON.stringify(unknownRows.rows)).not.toContain(unknown);
    const chain = await verifyAuditChain(stack.pool, stack.deps.keys.secrets);
    expect(chain.firstBroken).toBeUndefined();
    expect(chain.rows).toBeGreaterThan(100);
  });

  it('keeps the chain whole under concurrent logins, granted (head read by login_grant) and denied (appended by lib/audit.ts) mixed', async () => {
    const fs = await Promise.all(Array.from({ length: 8 }, () => fixture()));
    const results = await Promise.all(fs.flatMap((f) => [login(f.codiceFiscale, f.pin), login(f.codiceFiscale, wrongPin(f.pin)), login(f.codiceFiscale, f.pin)]));
    expect(results.filter((r) => r.status === 201)).toHaveLength(16);
    expect(results.filter((r) => r.status === 401)).toHaveLength(8);
    for (const f of fs) expect((await auditFor(f.credentialId)).map((a) => a.decision).sort()).toEqual(['denied', 'granted', 'granted']);
    expect((await verifyAuditChain(stack.pool, stack.deps.keys.secrets)).firstBroken).toBeUndefined();
  });

  it('never shows a PIN in the audit log, the logs or any response', async () => {
    expect(secretsUsed.length).toBeGreaterThan(20);
    const { rows } = await stack.pool.query<{ t: string }>(`SELECT string_agg(actor || ' ' || coalesce(subject, '') || ' ' || detail::text, E'\\n') AS t FROM audit_log`);
    const auditText = rows[0]!.t;
    const logs = stack.logLines.join('\n');
    const bodies = responses.join('\n');
    expect(logs).toContain('"msg":"login"');
    for (const pin of secretsUsed) {
      expect(auditText).not.toContain(pin);
      expect(logs).not.toContain(pin);
      expect(bodies).not.toContain(pin);
    }
  });
});
