/**
 * Telephone PINs through the HTTP API on the real servers (Temporal dev server, PostgreSQL, the
 * development OpenID provider): citizens signed in with SPID, CIE or CNS (authorization code +
 * PKCE) create, list and revoke them; contact-centre operators verify callers with them. Broken,
 * replayed and cancelled sign-ins are refused; one PIN is active at a time; months are calendar
 * months; wrong PINs lock it; the plaintext never reaches a workflow history, a table, the audit
 * log or a log line.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { issueStaffToken } from '../../services/staff/auth';
import { createApp } from '../../api/app';
import { hashPin, verifyPin } from '../../lib/pin-hash';
import { generateTelephonePin, MAX_FAILED_VERIFICATIONS } from '../../services/telephone-pin/telephone-pins';
import { DEFAULT_ISSUANCE_POLICY } from '../../workflows/definitions';
import {
  TELEPHONE_PIN_WORKFLOW_TYPE,
  telephonePinStateQuery,
  telephonePinWorkflowId,
  type TelephonePinView,
  type TelephonePinWorkflowInput,
} from '../../workflows/telephone-pin-definitions';
import { makeCitizen } from '../support/citizens';
import { CookieJar, followRedirects, identitySession, jarFetch, signInAs } from '../support/identity';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let operatorToken: string;
let supervisorToken: string;
let clerkToken: string;
/** Every PIN shown in this file, to look for afterwards wherever it must not be. */
const shownPins: { telephonePinId: string; pin: string }[] = [];
/** Identity sessions by codice fiscale (one sign-in per citizen), also looked for afterwards. */
const sessions = new Map<string, string>();

beforeAll(async () => {
  stack = await startTestStack({ identityProvider: true });
  operatorToken = await issueStaffToken(stack.pool, 'op-telpin-test', 'operator');
  supervisorToken = await issueStaffToken(stack.pool, 'sup-telpin-test', 'supervisor');
  clerkToken = await issueStaffToken(stack.pool, 'clerk-telpin-test', 'clerk');
});
afterAll(async () => {
  await stack?.stop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted field by field
type Body = Record<string, any>;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, baseUrl = stack.baseUrl) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Body, headers: res.headers };
}

async function sessionFor(codiceFiscale: string, method: 'SPID' | 'CIE' | 'CNS' = 'SPID'): Promise<string> {
  let token = sessions.get(codiceFiscale);
  if (!token) {
    token = await identitySession(stack, codiceFiscale, method);
    sessions.set(codiceFiscale, token);
  }
  return token;
}

async function create(codiceFiscale: string, validity = '1d', method: 'SPID' | 'CIE' | 'CNS' = 'SPID') {
  const token = await sessionFor(codiceFiscale, method);
  const res = await call('POST', '/api/telephone-pins', { validity }, { authorization: `Bearer ${token}` });
  if (res.status === 201) shownPins.push({ telephonePinId: res.body.telephonePinId as string, pin: res.body.pin as string });
  return res;
}

const verify = (codiceFiscale: string, telephonePin: string, token: string | null = operatorToken) =>
  call('POST', '/api/contact-centre/verify-caller', { codiceFiscale, telephonePin }, token ? { authorization: `Bearer ${token}` } : {});

const revoke = async (telephonePinId: string, codiceFiscale: string) =>
  call('DELETE', `/api/telephone-pins/${telephonePinId}`, undefined, { authorization: `Bearer ${await sessionFor(codiceFiscale)}` });

const wrongPinFor = (pin: string): string => pin.slice(0, 7) + String((Number(pin[7]) + 1) % 10);

async function row(telephonePinId: string) {
  const { rows } = await stack.pool.query<{
    status: string;
    failed_attempts: number;
    pin_hash: string;
    credential_id: string | null;
    identity_method: string;
    expires_at: Date;
    ended_at: Date | null;
  }>('SELECT status, failed_attempts, pin_hash, credential_id, identity_method, expires_at, ended_at FROM telephone_pins WHERE id = $1::uuid', [telephonePinId]);
  return rows[0]!;
}

async function auditFor(telephonePinId: string) {
  const { rows } = await stack.pool.query<{ actor: string; action: string; decision: string | null; detail: Record<string, unknown> }>(
    'SELECT actor, action, decision, detail FROM audit_log WHERE subject = $1::text ORDER BY id',
    [telephonePinId],
  );
  return rows;
}

async function workflowResult(telephonePinId: string): Promise<TelephonePinView> {
  return stack.client.workflow.getHandle(telephonePinWorkflowId(telephonePinId)).result() as Promise<TelephonePinView>;
}

describe('creating a telephone PIN', () => {
  it('gives an 8-digit PIN once, stores only its argon2id hash, and starts its workflow', async () => {
    const { codiceFiscale } = makeCitizen();
    const before = Date.now();
    const res = await create(codiceFiscale, '1w', 'CIE');
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(res.body).sort()).toEqual(['expiresAt', 'pin', 'telephonePinId', 'validity']);
    const { telephonePinId, pin, expiresAt } = res.body as { telephonePinId: string; pin: string; expiresAt: string };
    expect(pin).toMatch(/^[0-9]{8}$/);
    expect(Date.parse(expiresAt) - before).toBeGreaterThanOrEqual(7 * 24 * 3600 * 1000 - 5_000);
    expect(Date.parse(expiresAt) - before).toBeLessThan(7 * 24 * 3600 * 1000 + 5_000);

    const stored = await row(telephonePinId);
    expect(stored).toMatchObject({ status: 'active', failed_attempts: 0, identity_method: 'CIE', credential_id: null, ended_at: null });
    expect(stored.pin_hash).toMatch(/^\$argon2id\$/);
    expect(await verifyPin(stack.deps.keys.pepper, stored.pin_hash, pin)).toBe(true);
    expect(stored.expires_at.toISOString()).toBe(expiresAt);

    const view = await stack.client.workflow.getHandle(telephonePinWorkflowId(telephonePinId)).query(telephonePinStateQuery);
    expect(view).toMatchObject({ telephonePinId, validity: '1w', state: 'active' });
    // Workflow and database agree on the expiry to within the moment between insert and start.
    expect(Math.abs(Date.parse(view.expiresAt) - Date.parse(expiresAt))).toBeLessThan(5_000);

    expect(await auditFor(telephonePinId)).toEqual([
      expect.objectContaining({ actor: 'citizen', action: 'telephone_pin.created', detail: expect.objectContaining({ validity: '1w', identityMethod: 'CIE' }) }),
    ]);
  });

  it('counts one and three months on the Italian calendar, not as 30 and 90 days', async () => {
    for (const [validity, period] of [['1m', '1 month'], ['3m', '3 months']] as const) {
      const { codiceFiscale } = makeCitizen();
      const res = await create(codiceFiscale, validity);
      expect(res.status).toBe(201);
      const { rows } = await stack.pool.query<{ calendar: boolean }>(
        `SELECT expires_at = ((created_at AT TIME ZONE 'Europe/Rome') + $2::interval) AT TIME ZONE 'Europe/Rome' AS calendar
           FROM telephone_pins WHERE id = $1::uuid`,
        [res.body.telephonePinId, period],
      );
      expect(rows[0]!.calendar).toBe(true);
      const view = await stack.client.workflow.getHandle(telephonePinWorkflowId(res.body.telephonePinId as string)).query(telephonePinStateQuery);
      expect(Math.abs(Date.parse(view.expiresAt) - Date.parse(res.body.expiresAt as string))).toBeLessThan(5_000);
    }
  });

  it('lists the citizen’s own telephone PINs, newest first, without the PIN', async () => {
    const { codiceFiscale } = makeCitizen();
    const first = await create(codiceFiscale, '1d');
    await revoke(first.body.telephonePinId as string, codiceFiscale);
    const second = await create(codiceFiscale, '1w');
    const res = await call('GET', '/api/telephone-pins', undefined, { authorization: `Bearer ${await sessionFor(codiceFiscale)}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body.telephonePins.map((p: Body) => [p.telephonePinId, p.status, p.validity])).toEqual([
      [second.body.telephonePinId, 'active', '1w'],
      [first.body.telephonePinId, 'revoked', '1d'],
    ]);
    expect(JSON.stringify(res.body)).not.toContain(second.body.pin);
    // Another citizen sees only theirs.
    const other = await call('GET', '/api/telephone-pins', undefined, { authorization: `Bearer ${await sessionFor(makeCitizen().codiceFiscale)}` });
    expect(other.body.telephonePins).toEqual([]);
  });

  it('links the PIN to the citizen’s live PIN credential when there is one', async () => {
    const citizen = makeCitizen();
    const requested = await call('POST', '/api/pin-requests', citizen);
    expect(requested.status).toBe(202);
    const res = await create(citizen.codiceFiscale, '1d', 'CNS');
    expect(res.status).toBe(201);
    expect((await row(res.body.telephonePinId as string)).credential_id).toBe(requested.body.credentialId);
  });

  it('keeps one active PIN per codice fiscale (409 naming the active one)', async () => {
    const { codiceFiscale } = makeCitizen();
    const first = await create(codiceFiscale, '1m');
    expect(first.status).toBe(201);
    const second = await create(codiceFiscale, '3m');
    expect(second.status).toBe(409);
    expect(second.body.error.type).toBe('CONFLICT');
    expect(second.body.error.details).toMatchObject({ activeTelephonePinId: first.body.telephonePinId });
    expect(second.body.error.message.it).toBeTruthy();
    const { rows } = await stack.pool.query('SELECT 1 FROM telephone_pins WHERE codice_fiscale = $1::text', [codiceFiscale]);
    expect(rows).toHaveLength(1);
  });

  it('refuses a bad validity (400) and a missing identity session (401), creating nothing', async () => {
    const { codiceFiscale } = makeCitizen();
    const res = await call('POST', '/api/telephone-pins', { validity: '2w' }, { authorization: `Bearer ${await sessionFor(codiceFiscale)}` });
    expect(res.status).toBe(400);
    expect((res.body.error.fields as { field: string }[]).map((f) => f.field)).toEqual(['validity']);
    const anonymous = await call('POST', '/api/telephone-pins', { validity: '1d' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.details.reason).toBe('session');
    const { rows } = await stack.pool.query('SELECT 1 FROM telephone_pins WHERE codice_fiscale = $1::text', [codiceFiscale]);
    expect(rows).toHaveLength(0);
  });

  it('answers 503 with a clear message when no identity provider is configured', async () => {
    const app = createApp({
      pool: stack.pool,
      pepper: stack.deps.keys.pepper,
      temporal: stack.client,
      taskQueue: stack.taskQueue,
      log: stack.deps.log,
      policy: DEFAULT_ISSUANCE_POLICY,
      eligibilityPolicy: true,
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { codiceFiscale } = makeCitizen();
      const res = await call('GET', '/api/identity/authorize', undefined, {}, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      expect(res.status).toBe(503);
      expect(res.body.error.type).toBe('UNAVAILABLE');
      expect(res.body.error.message.en).toContain('OIDC_ISSUER');
      const { rows } = await stack.pool.query('SELECT 1 FROM telephone_pins WHERE codice_fiscale = $1::text', [codiceFiscale]);
      expect(rows).toHaveLength(0);
    } finally {
      server.close();
    }
  });
});

describe('signing in with SPID, CIE or CNS (OpenID Connect)', () => {
  const authorize = () => jarFetch(new CookieJar(), `${stack.baseUrl}/api/identity/authorize`);

  it('sends the browser to the provider with PKCE (S256), state, nonce and the SPID level asked', async () => {
    const res = await authorize();
    expect(res.status).toBe(303);
    const to = new URL(res.headers.get('location')!);
    expect(to.origin).toBe(stack.idp!.issuer);
    expect(to.searchParams.get('response_type')).toBe('code');
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(to.searchParams.get('state')).toBeTruthy();
    expect(to.searchParams.get('nonce')).toBeTruthy();
    expect(to.searchParams.get('acr_values')).toBe('https://www.spid.gov.it/SpidL2');
    expect(to.searchParams.get('redirect_uri')).toBe(`${stack.baseUrl}/api/identity/callback`);
    // The verifier stays with the browser, sealed: the cookie does not carry it in clear.
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('api_oidc='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toContain(to.searchParams.get('state')!);
  });

  it('opens a session for the codice fiscale the provider asserts, with the method from amr, audited; the token is stored only hashed', async () => {
    const { codiceFiscale } = makeCitizen();
    const { res } = await signInAs(stack, { codiceFiscale, givenName: 'Anna', familyName: 'Prova', method: 'CNS' }, `${stack.baseUrl}/api/identity/authorize`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Body;
    expect(body).toMatchObject({ codiceFiscale, method: 'CNS' });
    expect(body.sessionToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    sessions.set(`${codiceFiscale}#cns`, body.sessionToken as string);
    const { rows } = await stack.pool.query<{ id: string; method: string; acr: string }>('SELECT id, method, acr FROM identity_sessions WHERE codice_fiscale = $1::text', [codiceFiscale]);
    expect(rows).toEqual([expect.objectContaining({ method: 'CNS', acr: 'https://www.spid.gov.it/SpidL2' })]);
    expect(await auditFor(rows[0]!.id)).toEqual([
      expect.objectContaining({ actor: 'citizen', action: 'identity.sign_in', detail: expect.objectContaining({ codiceFiscale, method: 'CNS' }) }),
    ]);
  });

  it('refuses a callback without the sign-in cookie or with another state (without spending the sign-in), and a replayed one', async () => {
    const { codiceFiscale } = makeCitizen();
    const jar = new CookieJar();
    stack.idp!.addIdentity({ codiceFiscale, givenName: 'Bruno', familyName: 'Prova', method: 'SPID' });
    // Stop at the redirect back to us, to replay it in different ways.
    const login = await followRedirects(jar, `${stack.baseUrl}/api/identity/authorize`);
    const action = /action="(\/interaction\/[^"]+\/login)"/.exec(await login.res.text())![1]!;
    let res = await jarFetch(jar, new URL(action, stack.idp!.issuer).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ codiceFiscale }).toString(),
    });
    let url = new URL(res.headers.get('location')!, stack.idp!.issuer).href;
    while (!url.startsWith(`${stack.baseUrl}/api/identity/callback`)) {
      res = await jarFetch(jar, url);
      url = new URL(res.headers.get('location')!, url).href;
    }
    const reason = async (r: Response) => {
      const b = (await r.json()) as Body;
      expect(r.status).toBe(401);
      return b.error.details.reason as string;
    };
    // Another browser (no cookie) cannot use the code.
    expect(await reason(await fetch(url))).toBe('expired');
    // A state that is not the one sent: refused, and the sign-in in progress is not spent by it.
    const tampered = new URL(url);
    tampered.searchParams.set('state', 'another-state-value');
    expect(await reason(await jarFetch(jar, tampered.href))).toBe('expired');
    const { rows: none } = await stack.pool.query('SELECT 1 FROM identity_sessions WHERE codice_fiscale = $1::text', [codiceFiscale]);
    expect(none).toHaveLength(0);
    // The genuine answer, in the browser that began: signed in, once.
    const genuine = await jarFetch(jar, url);
    expect(genuine.status).toBe(200);
    expect(((await genuine.json()) as Body).codiceFiscale).toBe(codiceFiscale);
    expect(await reason(await jarFetch(jar, url))).toBe('expired');
    const { rows } = await stack.pool.query('SELECT 1 FROM identity_sessions WHERE codice_fiscale = $1::text', [codiceFiscale]);
    expect(rows).toHaveLength(1);
  });

  it('replaces a telephone PIN past its end whose timer has not fired yet, instead of refusing the new one', async () => {
    const { codiceFiscale } = makeCitizen();
    const staleId = randomUUID();
    await stack.pool.query(
      `INSERT INTO telephone_pins (id, codice_fiscale, pin_hash, validity, identity_method, expires_at)
       VALUES ($1::uuid, $2::text, $3::text, '1d', 'SPID', now() - interval '1 minute')`,
      [staleId, codiceFiscale, await hashPin(stack.deps.keys.pepper, generateTelephonePin())],
    );
    const res = await create(codiceFiscale, '1w');
    expect(res.status).toBe(201);
    expect((await row(staleId)).status).toBe('expired');
    expect(await auditFor(staleId)).toEqual([expect.objectContaining({ actor: 'system', action: 'telephone_pin.expired' })]);
  });

  it('tells a sign-in cancelled at the provider as such', async () => {
    const jar = new CookieJar();
    const login = await followRedirects(jar, `${stack.baseUrl}/api/identity/authorize`);
    const abort = /action="(\/interaction\/[^"]+\/abort)"/.exec(await login.res.text())![1]!;
    const posted = await jarFetch(jar, new URL(abort, stack.idp!.issuer).href, { method: 'POST' });
    const back = await followRedirects(jar, new URL(posted.headers.get('location')!, stack.idp!.issuer).href);
    expect(back.res.status).toBe(401);
    expect(((await back.res.json()) as Body).error.details.reason).toBe('cancelled');
  });

  it('ends the session on sign-out; its token no longer creates anything', async () => {
    const { codiceFiscale } = makeCitizen();
    const token = await identitySession(stack, codiceFiscale);
    const out = await fetch(`${stack.baseUrl}/api/identity/session`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(out.status).toBe(204);
    const res = await call('POST', '/api/telephone-pins', { validity: '1d' }, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(401);
    expect(res.body.error.details.reason).toBe('session');
  });
});

describe('verifying a caller at the contact centre', () => {
  let codiceFiscale: string;
  let telephonePinId: string;
  let pin: string;

  beforeAll(async () => {
    codiceFiscale = makeCitizen().codiceFiscale;
    const res = await create(codiceFiscale, '1d');
    ({ telephonePinId, pin } = res.body as { telephonePinId: string; pin: string });
  });

  it('verifies the caller with codice fiscale and PIN as read out on the phone, and audits the operator', async () => {
    const res = await verify(codiceFiscale.toLowerCase(), `${pin.slice(0, 4)} ${pin.slice(4)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    // A yes and the reference: never the stored value.
    expect(res.body).toEqual({ verified: true, telephonePinId, codiceFiscale });
    const entries = await auditFor(telephonePinId);
    expect(entries.at(-1)).toMatchObject({ actor: 'operator:op-telpin-test', action: 'telephone_pin.verify_caller', decision: 'verified' });
    expect((await verify(codiceFiscale, pin, supervisorToken)).status).toBe(200);
  });

  it('refuses a missing token (401) and a staff role other than operator or supervisor (403)', async () => {
    expect((await verify(codiceFiscale, pin, null)).status).toBe(401);
    const clerk = await verify(codiceFiscale, pin, clerkToken);
    expect(clerk.status).toBe(403);
    expect(clerk.body.error.type).toBe('FORBIDDEN');
    // Neither reached the PIN: no verification was audited for them.
    const entries = await auditFor(telephonePinId);
    expect(entries.filter((e) => e.actor.includes('clerk'))).toHaveLength(0);
  });

  it('answers a wrong PIN and an unknown codice fiscale with the same generic 401', async () => {
    const wrong = await verify(codiceFiscale, wrongPinFor(pin));
    const unknown = await verify(makeCitizen().codiceFiscale, pin);
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    // A success resets the count of consecutive wrong PINs.
    expect((await row(telephonePinId)).failed_attempts).toBe(1);
    expect((await verify(codiceFiscale, pin)).status).toBe(200);
    expect((await row(telephonePinId)).failed_attempts).toBe(0);
  });

  it(`locks the PIN after ${MAX_FAILED_VERIFICATIONS} wrong tries: then even the right PIN fails`, async () => {
    const cf = makeCitizen().codiceFiscale;
    const created = await create(cf, '3m');
    const { telephonePinId: id, pin: right } = created.body as { telephonePinId: string; pin: string };
    for (let i = 1; i <= MAX_FAILED_VERIFICATIONS; i++) {
      expect((await verify(cf, wrongPinFor(right))).status).toBe(401);
    }
    const locked = await row(id);
    expect(locked.status).toBe('locked');
    expect(locked.failed_attempts).toBe(MAX_FAILED_VERIFICATIONS);
    expect(locked.ended_at).not.toBeNull();
    expect((await verify(cf, right)).status).toBe(401);

    // The workflow stops waiting for its three-month timer.
    expect((await workflowResult(id)).state).toBe('locked');
    const decisions = (await auditFor(id)).filter((e) => e.action === 'telephone_pin.verify_caller').map((e) => [e.decision, e.detail.reason]);
    expect(decisions).toEqual([
      ...Array.from({ length: MAX_FAILED_VERIFICATIONS - 1 }, () => ['refused', 'wrong_pin']),
      ['refused', 'wrong_pin_locked'],
      ['refused', 'locked'],
    ]);
    // A locked PIN is not active: the citizen may create a new one.
    expect((await create(cf, '1d')).status).toBe(201);
  });

  it('audits a caller with no telephone PIN, with the operator and the codice fiscale tried', async () => {
    const cf = makeCitizen().codiceFiscale;
    expect((await verify(cf, '12345678')).status).toBe(401);
    const { rows } = await stack.pool.query<{ actor: string; decision: string; detail: { reason: string } }>(
      `SELECT actor, decision, detail FROM audit_log WHERE action = 'telephone_pin.verify_caller' AND detail->>'codiceFiscale' = $1::text`,
      [cf],
    );
    expect(rows).toEqual([expect.objectContaining({ actor: 'operator:op-telpin-test', decision: 'refused', detail: expect.objectContaining({ reason: 'no_telephone_pin' }) })]);
  });

  it('answers 400 for a PIN that is not 8 digits, and counts nothing', async () => {
    const res = await verify(codiceFiscale, 'ABCD1234');
    expect(res.status).toBe(400);
    expect((res.body.error.fields as { field: string }[]).map((f) => f.field)).toEqual(['telephonePin']);
    expect((await row(telephonePinId)).failed_attempts).toBe(0);
  });
});

describe('revocation and expiry', () => {
  it('lets the citizen revoke their PIN; then every verification is refused', async () => {
    const { codiceFiscale } = makeCitizen();
    const { telephonePinId, pin } = (await create(codiceFiscale, '1m')).body as { telephonePinId: string; pin: string };
    expect((await verify(codiceFiscale, pin)).status).toBe(200);

    // Somebody else's session does not reach it.
    const intruder = await revoke(telephonePinId, makeCitizen().codiceFiscale);
    expect(intruder.status).toBe(404);
    const missing = await call('DELETE', `/api/telephone-pins/${telephonePinId}`);
    expect(missing.status).toBe(401);

    const res = await revoke(telephonePinId, codiceFiscale);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ telephonePinId, status: 'revoked' });
    const stored = await row(telephonePinId);
    expect(stored.status).toBe('revoked');
    expect(stored.ended_at).not.toBeNull();
    expect((await workflowResult(telephonePinId)).state).toBe('revoked');
    expect(await auditFor(telephonePinId)).toContainEqual(expect.objectContaining({ actor: 'citizen', action: 'telephone_pin.revoked' }));

    expect((await verify(codiceFiscale, pin)).status).toBe(401);
    const again = await revoke(telephonePinId, codiceFiscale);
    expect(again.status).toBe(409);
    // Revoked: a new PIN may be created.
    expect((await create(codiceFiscale, '1d')).status).toBe(201);
  });

  it('expires the PIN when its workflow timer fires (real worker and database, validity shortened)', async () => {
    // Written as the API writes it, but with a two-second validity given to the workflow.
    const { codiceFiscale } = makeCitizen();
    const telephonePinId = randomUUID();
    const pin = generateTelephonePin();
    await stack.pool.query(
      `INSERT INTO telephone_pins (id, codice_fiscale, pin_hash, validity, identity_method, expires_at)
       VALUES ($1::uuid, $2::text, $3::text, '1d', 'SPID', now() + interval '2 seconds')`,
      [telephonePinId, codiceFiscale, await hashPin(stack.deps.keys.pepper, pin)],
    );
    shownPins.push({ telephonePinId, pin });
    const input: TelephonePinWorkflowInput = { telephonePinId, validity: '1d', validFor: '2 seconds' };
    const handle = await stack.client.workflow.start(TELEPHONE_PIN_WORKFLOW_TYPE, {
      workflowId: telephonePinWorkflowId(telephonePinId),
      taskQueue: stack.taskQueue,
      args: [input],
    });
    expect((await handle.query(telephonePinStateQuery)).state).toBe('active');
    expect((await verify(codiceFiscale, pin)).status).toBe(200);

    const result = (await handle.result()) as TelephonePinView;
    expect(result.state).toBe('expired');
    const stored = await row(telephonePinId);
    expect(stored.status).toBe('expired');
    expect(stored.ended_at).not.toBeNull();
    expect(await auditFor(telephonePinId)).toContainEqual(expect.objectContaining({ actor: 'system', action: 'telephone_pin.expired' }));
    expect((await verify(codiceFiscale, pin)).status).toBe(401);
    const last = await stack.pool.query<{ reason: string }>(
      `SELECT detail->>'reason' AS reason FROM audit_log WHERE action = 'telephone_pin.verify_caller' AND detail->>'codiceFiscale' = $1::text ORDER BY id DESC LIMIT 1`,
      [codiceFiscale],
    );
    // An expired PIN is no longer a candidate at all: the caller simply has no telephone PIN.
    expect(last.rows).toEqual([{ reason: 'no_telephone_pin' }]);
  });
});

describe('secrets', () => {
  it('never puts a telephone PIN in a workflow history, a table, the audit log or a log line', async () => {
    expect(shownPins.length).toBeGreaterThanOrEqual(8);
    // Payloads are bytes in a history: decode them, or the search would find nothing anyway.
    const histories: string[] = [];
    for (const { telephonePinId } of shownPins) {
      const text = await stack.historyText(telephonePinWorkflowId(telephonePinId));
      expect(text).toContain(telephonePinId);
      histories.push(text);
    }
    const tables = await stack.pool.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    let dump = '';
    for (const { table_name } of tables.rows) {
      const { rows } = await stack.pool.query<{ row: string }>(`SELECT t::text AS row FROM "${table_name}" t`);
      dump += rows.map((r) => r.row).join('\n');
    }
    const logs = stack.logLines.join('\n');
    expect(logs).toContain('telephone PIN created');
    for (const { pin } of shownPins) {
      // Eight digits standing alone: a uuid or a hash may hold the same digits inside a longer run.
      const alone = new RegExp(`(?<![0-9])${pin}(?![0-9])`);
      expect(histories.some((h) => alone.test(h)), 'a workflow history holds a telephone PIN').toBe(false);
      expect(alone.test(dump), 'a table holds a telephone PIN').toBe(false);
      expect(alone.test(logs), 'a log line holds a telephone PIN').toBe(false);
    }
    // Identity-session tokens are bearer credentials: not logged, not stored (only their hash).
    expect(sessions.size).toBeGreaterThan(5);
    for (const token of sessions.values()) {
      expect(logs.includes(token), 'a log line holds a session token').toBe(false);
      expect(dump.includes(token), 'a table holds a session token').toBe(false);
    }
  });
});
