/**
 * The trust model, attack by attack (docs/decisions/0018-threat-model.md): each test performs
 * the attack against the real API, PostgreSQL and Temporal dev server and shows it refused with
 * nothing changed.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ApplicationFailure, type PayloadCodec } from '@temporalio/common';
import { Client, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { deflateSync, gzipSync, brotliCompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Browser, csrfOf } from '../support/browser';
import { makeCitizen } from '../support/citizens';
import { activeCitizen, requestAndCollect, waitFor, waitForView } from '../support/issuance';
import { createMailRoom } from '../../services/mailroom';
import { caller, halfAfter, linkTokenFrom, mailTo, smsTo, staffToken } from '../support/lifecycle';
import { claimCaseUpdate, reviewStateQuery, reviewWorkflowId } from '../../workflows/review-definitions';
import { conversionDecidedSignal, credentialStateQuery, credentialWorkflowId, reissuePinUpdate, revokeCredentialUpdate } from '../../workflows/definitions';
import { UNENCRYPTED_PAYLOAD } from '../../domain/payload-refusal';
import { encryptedDataConverter } from '../../lib/payload-codec';
import { consoleLogin, createTestStaff } from '../support/staff';
import { freshDatabase, startTestStack, TEST_SECRETS, type TestStack } from '../support/stack';
import { audit, keyAuditLog } from '../../lib/audit';
import { createPool } from '../../lib/db';
import type { KeyRing } from '../../lib/secrets';

describe('X-Forwarded-For from a client that is not a configured proxy', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // Production's default: no proxy in front, so the socket's address is the client's.
    stack = await startTestStack({ trustedProxies: [] });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('neither escapes the per-address login limit nor writes a chosen address into the audit', async () => {
    const forged = Array.from({ length: 21 }, (_, i) => `203.0.113.${i + 1}`);
    const statuses: number[] = [];
    for (const address of forged) {
      const res = await fetch(`${stack.baseUrl}/api/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
        body: JSON.stringify({ codiceFiscale: makeCitizen().codiceFiscale, pin: 'Abcd2345' }),
      });
      statuses.push(res.status);
    }
    // Before: every try 401 (a fresh bucket per forged address). Now: the burst of 20, then 429.
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
    const { rows } = await stack.pool.query<{ actor: string }>(`SELECT DISTINCT actor FROM audit_log WHERE action = 'login'`);
    expect(rows.map((r) => r.actor).filter((a) => a.startsWith('ip:203.0.113.'))).toEqual([]);
    expect(rows.map((r) => r.actor)).toContainEqual(expect.stringMatching(/^ip:(::ffff:)?127\.0\.0\.1$/));
  });
});

describe('an Idempotency-Key used again with someone else’s data', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const post = async (body: unknown, key: string) => {
    const res = await fetch(`${stack.baseUrl}/api/pin-requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  };

  it('answers 422 and reveals nothing of the first request; the first requester’s retry still gets its answer', async () => {
    const first = makeCitizen();
    const stranger = makeCitizen();
    const key = `shared-key-${first.codiceFiscale}`;
    const accepted = await post(first, key);
    expect(accepted.status).toBe(202);
    const { credentialId, requestId } = JSON.parse(accepted.text) as { credentialId: string; requestId: string };

    // Before: 200 with the first requester's ids and unmasked contacts. Now: 422, nothing of theirs.
    const reused = await post(stranger, key);
    expect(reused.status).toBe(422);
    expect(JSON.parse(reused.text).error.fields[0]).toMatchObject({ field: 'Idempotency-Key', code: 'idempotency_key_reused' });
    for (const secret of [credentialId, requestId, first.mobile, first.email, first.codiceFiscale].filter(Boolean)) expect(reused.text).not.toContain(secret);
    // Nothing was stored for the stranger.
    const { rows } = await stack.pool.query('SELECT 1 FROM credentials WHERE codice_fiscale = $1::text', [stranger.codiceFiscale]);
    expect(rows).toEqual([]);

    const retried = await post(first, key);
    expect(retried.status).toBe(200);
    expect(JSON.parse(retried.text)).toMatchObject({ credentialId, requestId });
  });
});

describe('bodies no handler should see', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a compressed JSON body (valid or broken, any encoding) is 415 with the bilingual error, never 500', async () => {
    const json = Buffer.from(JSON.stringify({ codiceFiscale: makeCitizen().codiceFiscale, pin: 'Abcd2345' }));
    const bodies: [string, Buffer][] = [
      ['gzip', gzipSync(json)],
      ['gzip', Buffer.from([0x1f, 0x8b, 0, 1, 2])],
      ['deflate', deflateSync(json)],
      ['deflate', json],
      ['br', brotliCompressSync(json)],
    ];
    for (const [encoding, body] of bodies) {
      const res = await fetch(`${stack.baseUrl}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': encoding }, body });
      expect(res.status, encoding).toBe(415);
      const answer = (await res.json()) as { error: { type: string; message: { it: string; en: string } } };
      expect(answer.error.type).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(answer.error.message.it && answer.error.message.en).toBeTruthy();
    }
  });

  it('a NUL byte in a JSON field is 400 on that field, and nothing is stored', async () => {
    const citizen = makeCitizen();
    const res = await fetch(`${stack.baseUrl}/api/pin-requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...citizen, name: 'Ma\u0000rio' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { fields: { field: string; code: string }[] } }).error.fields[0]).toMatchObject({ field: 'name', code: 'control_character' });
    const { rows } = await stack.pool.query('SELECT 1 FROM credentials WHERE codice_fiscale = $1::text', [citizen.codiceFiscale]);
    expect(rows).toEqual([]);
  });

  it('a NUL byte in the console login or a portal form is a 400 page, not a 500', async () => {
    const browser = new Browser(stack.baseUrl);
    const form = await browser.get('/console/login');
    const login = await browser.post('/console/login', { _csrf: csrfOf(form.body), username: 'adm\u0000in', password: 'x', code: '123456' });
    expect(login.status).toBe(400);
    expect(login.body).toContain('Alcuni dati non sono validi');
    const portal = new Browser(stack.baseUrl);
    const start = await portal.get('/portal/login');
    const posted = await portal.post('/portal/login', { _csrf: csrfOf(start.body), codiceFiscale: 'RSSMRA\u000058C54Z600J', pin: 'x' });
    expect(posted.status).toBe(400);
  });
});

describe('a recovery confirmed while Temporal answers too slowly', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('is told “in progress”, never “failed”, and the link re-issues the PIN exactly once however often it is opened', async () => {
    const a = await activeCitizen(stack, makeCitizen());
    const call = caller(stack);
    expect((await call('POST', '/api/recovery/requests', { body: { codiceFiscale: a.citizen.codiceFiscale, email: a.citizen.email, pec: a.citizen.pec } })).status).toBe(202);
    const token = linkTokenFrom((await mailTo(stack, a.citizen.email!, /Conferma il ripristino/)).text);

    // An API whose Temporal calls give up after 1 ms: the update's answer cannot arrive in time.
    const slow = await stack.extraApi({ temporalTimeoutMs: 1 });
    const first = await fetch(`${slow.baseUrl}/api/recovery/confirm`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    // Before: 503, then 409 "cannot be recovered now", while the PIN had been re-issued (twice).
    expect(first.status).toBe(202);
    expect(((await first.json()) as { status: string }).status).toBe('in_progress');
    const { rows: used } = await stack.pool.query<{ status: string }>('SELECT status FROM recovery_links WHERE credential_id = $1::uuid', [a.credentialId]);
    expect(used).toEqual([{ status: 'used' }]);

    // Opened again, twice at once and then once more: one re-issue in all.
    const again = await Promise.all([call('POST', '/api/recovery/confirm', { body: { token } }), call('POST', '/api/recovery/confirm', { body: { token } })]);
    for (const r of again) expect([200, 400]).toContain(r.status);
    // Version 1 was the initial PIN, 2 the personal one; the re-issue is 3, and there is no 4.
    const view = await waitForView(stack, a.credentialId, (v) => v.delivery === 'two_channel' && v.state === 'awaiting_first_access');
    expect(view.pinVersion).toBe(3);
    const last = await call('POST', '/api/recovery/confirm', { body: { token } });
    expect(last.status).toBe(400);
    expect(last.body.error.details.reason).toBe('LINK_USED');
    const { rows: versions } = await stack.pool.query<{ version: number }>('SELECT version FROM pin_secrets WHERE credential_id = $1::uuid ORDER BY version', [a.credentialId]);
    expect(versions.map((v) => v.version)).toEqual([1, 2, 3]);
    const { rows: reissues } = await stack.pool.query(`SELECT 1 FROM credential_events WHERE credential_id = $1::uuid AND type = 'reissue_recovery'`, [a.credentialId]);
    expect(reissues).toHaveLength(1);
    slow.close();
  });
});

describe('a delegation whose delegator’s PIN is revoked', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('ends with the revocation: both are told, and the delegate can no longer read or file for the delegator, even once a new PIN exists', async () => {
    const call = caller(stack);
    const [delegator, delegate] = [await activeCitizen(stack, makeCitizen()), await activeCitizen(stack, makeCitizen())];
    await stack.pool.query(`UPDATE credentials SET pin_type = 'dispositivo', profile = '{"category": "employee", "scheme": "private"}'::jsonb WHERE id = $1::uuid`, [delegator.credentialId]);
    const endsOn = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const created = await call('POST', '/api/delegations', { token: delegator.token, body: { delegateCodiceFiscale: delegate.citizen.codiceFiscale, scope: 'consult_and_claims', endsOn } });
    expect(created.status).toBe(201);
    const id = created.body.delegationId as string;
    expect((await call('POST', `/api/delegations/${id}/accept`, { token: delegate.token })).status).toBe(200);
    expect((await call('GET', `/api/delegators/${id}/claims`, { token: delegate.token })).status).toBe(200);

    const operator = await staffToken(stack, 'operator');
    expect((await call('POST', `/api/contact-centre/credentials/${delegator.credentialId}/revoke`, { token: operator, body: { verification: { method: 'identity_questions', note: 'caller verified by questions' } } })).status).toBe(200);

    // Before: the delegation stayed active. Now the revoked credential's workflow ends it.
    await waitFor('the delegation ended', async () => {
      const { rows } = await stack.pool.query<{ status: string; ended_by: string }>('SELECT status, ended_by FROM delegations WHERE id = $1::uuid', [id]);
      return rows[0]?.status === 'revoked' ? rows[0] : undefined;
    });
    await mailTo(stack, delegator.citizen.email!, /Delega terminata/);
    await mailTo(stack, delegate.citizen.email!, /Delega terminata/);
    const refused = await call('GET', `/api/delegators/${id}/claims`, { token: delegate.token });
    expect(refused.status).toBe(403);
    expect(refused.body.error.details.reason).toBe('DELEGATION_REVOKED');

    // The delegator asks for a new PIN: the old delegation does not come back with it.
    const fresh = makeCitizen();
    const again = await activeCitizen(stack, { ...delegator.citizen, mobile: fresh.mobile, email: fresh.email, pec: fresh.pec });
    expect(again.credentialId).not.toBe(delegator.credentialId);
    const stillRefused = await call('POST', `/api/delegators/${id}/claims`, { token: delegate.token, body: { type: 'parental-leave' }, headers: { 'idempotency-key': 'after-revocation-1' } });
    expect(stillRefused.status).toBe(403);
  });
});

describe('staff API tokens as a product', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const callbackTasks = (token: string) => fetch(`${stack.baseUrl}/api/callback-tasks`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);

  it('an administrator issues one in the console (shown once), it works, and it stops when revoked, expired or its account disabled', async () => {
    const admin = await createTestStaff(stack, 'admin');
    const operator = await createTestStaff(stack, 'operator');
    const browser = await consoleLogin(stack, admin);
    const issue = async (label: string) => {
      const form = await browser.get(`/console/admin/staff/${operator.username}/tokens`);
      const page = await browser.post(`/console/admin/staff/${operator.username}/tokens`, { _csrf: csrfOf(form.body), label, days: '30' });
      expect(page.status).toBe(201);
      const token = /data-testid="issued-token">([^<]+)</.exec(page.body)![1]!;
      const { rows } = await stack.pool.query<{ id: string }>('SELECT id FROM staff_tokens WHERE token_hash = $1::bytea', [createHash('sha256').update(token).digest()]);
      return { token, id: rows[0]!.id };
    };

    const first = await issue('telephony');
    expect(await callbackTasks(first.token)).toBe(200);
    // The list never shows a token again.
    const list = await browser.get(`/console/admin/staff/${operator.username}/tokens`);
    expect(list.body).toContain('telephony');
    expect(list.body).not.toContain(first.token);
    const revoked = await browser.post(`/console/admin/staff/${operator.username}/tokens/${first.id}/revoke`, { _csrf: csrfOf(list.body) });
    expect(revoked.status).toBe(200);
    expect(await callbackTasks(first.token)).toBe(401);

    const second = await issue('crm');
    await stack.pool.query(`UPDATE staff_tokens SET expires_at = now() - interval '1 second' WHERE id = $1::uuid`, [second.id]);
    expect(await callbackTasks(second.token)).toBe(401);

    const third = await issue('batch');
    expect(await callbackTasks(third.token)).toBe(200);
    const accounts = await browser.get('/console/admin/staff');
    expect((await browser.post(`/console/admin/staff/${operator.username}/disable`, { _csrf: csrfOf(accounts.body) })).status).toBe(200);
    expect(await callbackTasks(third.token)).toBe(401);

    const { rows } = await stack.pool.query<{ action: string }>(`SELECT action FROM audit_log WHERE subject = $1::text AND action LIKE 'staff_token.%' ORDER BY id`, [operator.username]);
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['staff_token.issue', 'staff_token.revoke']));
  });

  it('`npm run staff:token` issues one on the command line, lists it without the token, and revokes it', async () => {
    const operator = await createTestStaff(stack, 'operator');
    const run = (args: string[]) =>
      promisify(execFile)('npx', ['tsx', 'scripts/staff-token.ts', ...args], {
        // The run's secrets key: its audit rows join the shared chain under the same key.
        env: { ...process.env, DATABASE_URL: inject('databaseUrl'), SECRETS_KEY: TEST_SECRETS.keys.get(1)!.toString('base64'), PIN_PEPPER: randomBytes(32).toString('base64'), LOG_LEVEL: 'silent' },
      });
    const { stdout } = await run(['--username', operator.username, '--days', '7', '--label', 'cli test']);
    const token = /^\s+(stf_\S+)$/m.exec(stdout)![1]!;
    const id = /Token (\S+) for/.exec(stdout)![1]!;
    expect(await callbackTasks(token)).toBe(200);
    const listed = await run(['--username', operator.username, '--list']);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).not.toContain(token);
    await run(['--revoke', id]);
    expect(await callbackTasks(token)).toBe(401);
  });
});

describe('a contact-centre revocation', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('needs the caller verified: a codice fiscale and a tick are not enough, a wrong telephone PIN is refused, and nothing changes', async () => {
    const call = caller(stack);
    const holder = await activeCitizen(stack, makeCitizen());
    const operator = await staffToken(stack, 'operator');
    const path = `/api/contact-centre/credentials/${holder.credentialId}/revoke`;
    // Before: 200 with a note or nothing at all.
    const bare = await call('POST', path, { token: operator, body: { note: 'the caller asked' } });
    expect(bare.status).toBe(400);
    expect(bare.body.error.fields.map((f: { field: string }) => f.field)).toContain('verification');
    const guessed = await call('POST', path, { token: operator, body: { verification: { method: 'telephone_pin', telephonePin: '12345678' } } });
    expect([401, 403, 404]).toContain(guessed.status);
    const { rows } = await stack.pool.query<{ state: string }>('SELECT state FROM credentials WHERE id = $1::uuid', [holder.credentialId]);
    expect(rows[0]!.state).toBe('active');
    expect((await call('GET', '/api/session', { token: holder.token })).status).toBe(200);

    // The console shows whose PIN it is, and its state, before anything can be confirmed.
    const op = await createTestStaff(stack, 'operator');
    const browser = await consoleLogin(stack, op);
    const step = await browser.get(`/console/contact-centre/revoke?codiceFiscale=${holder.citizen.codiceFiscale}`);
    expect(step.body).toContain(`data-testid="revoke-holder">${holder.citizen.name} ${holder.citizen.surname}<`);
    expect(step.body).toContain('active');
  });
});

describe('first access and new letters, tried by a stranger', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const post = (path: string, body: unknown, ip: string) =>
    fetch(`${stack.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify(body) });

  it('take the same time whether or not the codice fiscale has a PIN waiting (one argon2 verification either way)', async () => {
    // Three credentials waiting for their first access, two wrong tries each (the lock comes at three).
    const waiting = [await requestAndCollect(stack, makeCitizen()), await requestAndCollect(stack, makeCitizen()), await requestAndCollect(stack, makeCitizen())];
    const timeOf = async (codiceFiscale: string, i: number) => {
      const started = performance.now();
      const res = await post('/api/first-access', { codiceFiscale, pin: 'ABCDEFGH23456789' }, `198.51.100.${i}`);
      expect(res.status).toBe(401);
      return performance.now() - started;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    // Interleaved, each from its own address (the per-address limit is not what is measured here),
    // and under the lock threshold of each known credential.
    for (let i = 0; i < 6; i++) {
      known.push(await timeOf(waiting[i % 3]!.citizen.codiceFiscale, 2 * i + 1));
      unknown.push(await timeOf(makeCitizen().codiceFiscale, 2 * i + 2));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    // Before: ~9 ms against ~20–40 ms. Now both pay the argon2 verification.
    const ratio = median(known) / median(unknown);
    expect(ratio, `known ${median(known).toFixed(1)} ms, unknown ${median(unknown).toFixed(1)} ms`).toBeGreaterThan(0.6);
    expect(ratio).toBeLessThan(1.7);
  });

  it('are limited per address: one source cannot go on guessing (429 + Retry-After after the burst)', async () => {
    const ip = '198.51.100.200';
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) {
      const path = i % 2 ? '/api/letters/resend' : '/api/first-access';
      const body = i % 2 ? { codiceFiscale: makeCitizen().codiceFiscale, firstHalf: 'ABCDEFGH' } : { codiceFiscale: makeCitizen().codiceFiscale, pin: 'ABCDEFGH23456789' };
      const res = await post(path, body, ip);
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // Before: 28 of 28 answered 401. Now the burst of 20, then 429.
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
    // Another address is not affected.
    expect((await post('/api/first-access', { codiceFiscale: makeCitizen().codiceFiscale, pin: 'ABCDEFGH23456789' }, '198.51.100.201')).status).toBe(401);
  });
});

describe('a PIN locked by a stranger’s wrong tries', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('is unlocked by the holder’s recovery: the new PIN works, where before it was still refused', async () => {
    const call = caller(stack);
    const holder = await activeCitizen(stack, makeCitizen());
    // The state 100 wrong logins leave (the login tests walk the whole way there).
    await stack.pool.query(
      `INSERT INTO credential_access (credential_id, consecutive_failures, permanently_locked_at) VALUES ($1::uuid, 100, now())
       ON CONFLICT (credential_id) DO UPDATE SET consecutive_failures = 100, permanently_locked_at = now()`,
      [holder.credentialId],
    );
    const locked = await call('POST', '/api/sessions', { body: { codiceFiscale: holder.citizen.codiceFiscale, pin: holder.pin } });
    expect(locked.status).toBe(403);
    expect(locked.body.error.details.reason).toBe('PERMANENTLY_LOCKED');
    expect(locked.body.error.message.en).toMatch(/recovery of the PIN .* unblocks it/);

    expect((await call('POST', '/api/recovery/requests', { body: { codiceFiscale: holder.citizen.codiceFiscale, email: holder.citizen.email, pec: holder.citizen.pec } })).status).toBe(202);
    const token = linkTokenFrom((await mailTo(stack, holder.citizen.email!, /Conferma il ripristino/)).text);
    expect((await call('POST', '/api/recovery/confirm', { body: { token } })).status).toBe(200);
    await waitForView(stack, holder.credentialId, (v) => v.delivery === 'two_channel' && v.firstHalf.length === 2 && v.firstHalf.every((h) => h.state === 'sent'));
    const first = halfAfter(/first part of your new PIN:/, (await smsTo(stack, holder.citizen.mobile!, /first part of your new PIN/)).text);
    const second = halfAfter(/second part of your PIN is:/, (await mailTo(stack, holder.citizen.pec!, /Seconda parte del PIN/)).text);
    const access = await call('POST', '/api/first-access', { body: { codiceFiscale: holder.citizen.codiceFiscale, pin: first + second } });
    expect(access.status).toBe(200);
    expect((await call('POST', '/api/sessions', { body: { codiceFiscale: holder.citizen.codiceFiscale, pin: access.body.pin } })).status).toBe(201);
  });
});

describe('a first access while Temporal answers too slowly', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('still shows the new PIN (marked as being activated), and that PIN is the one that works', async () => {
    const issued = await requestAndCollect(stack, makeCitizen());
    const slow = await stack.extraApi({ temporalTimeoutMs: 1 });
    const res = await fetch(`${slow.baseUrl}/api/first-access`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ codiceFiscale: issued.citizen.codiceFiscale, pin: issued.firstHalf + issued.secondHalf }),
    });
    // Before: 503, and the PIN — activated or not — was never shown to anyone.
    expect(res.status).toBe(202);
    const answer = (await res.json()) as { status: string; pin: string };
    expect(answer.status).toBe('activating');
    slow.close();
    // Whether or not the first update reached the workflow, the PIN shown ends up active: a retry
    // with the same version (the update id) activates it if the first did not.
    await waitFor('the shown PIN works', async () => {
      const login = await fetch(`${stack.baseUrl}/api/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ codiceFiscale: issued.citizen.codiceFiscale, pin: answer.pin }),
      });
      if (login.status === 201) return true;
      if (login.status === 401) {
        // Not activated (the update never reached the workflow): the 16 characters still work,
        // and the first access made again shows the PIN that works.
        const again = await fetch(`${stack.baseUrl}/api/first-access`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ codiceFiscale: issued.citizen.codiceFiscale, pin: issued.firstHalf + issued.secondHalf }),
        });
        if (again.status === 200) answer.pin = ((await again.json()) as { pin: string }).pin;
      }
      return undefined;
    });
  });
});

describe('a clerk’s decision forged through the Temporal frontend', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('is refused before anything is written: the case stays open and the PIN ordinary, while the real clerk’s decision goes through', async () => {
    const call = caller(stack);
    const holder = await activeCitizen(stack, makeCitizen());
    const clerk = await staffToken(stack, 'clerk');
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\n'), Buffer.alloc(512, 0x20), Buffer.from('\n%%EOF\n')]);
    const faxed = await fetch(`${stack.baseUrl}/api/staff/fax-intake?codiceFiscale=${holder.citizen.codiceFiscale}&filename=fax.pdf`, {
      method: 'POST',
      headers: { authorization: `Bearer ${clerk}`, 'content-type': 'application/pdf' },
      body: pdf,
    });
    expect(faxed.status).toBe(202);
    const { caseId } = (await faxed.json()) as { caseId: string };
    const review = stack.client.workflow.getHandle(reviewWorkflowId(caseId));
    await waitFor('the review workflow', async () => ((await review.query(reviewStateQuery)).status === 'open' ? true : undefined));

    // What someone with the frontend port can send (before: this made the PIN dispositivo).
    const ghost = { staffId: 'ghost', role: 'clerk' };
    await expect(review.executeUpdate(claimCaseUpdate, { args: [{ reviewer: ghost }] })).rejects.toThrow();
    const forgedGrant = { ...ghost, grant: { keyId: 1, issuedAt: new Date().toISOString(), mac: 'A'.repeat(43) } };
    await expect(review.executeUpdate(claimCaseUpdate, { args: [{ reviewer: forgedGrant }] })).rejects.toThrow();
    expect((await review.query(reviewStateQuery)).status).toBe('open');
    const { rows } = await stack.pool.query<{ status: string; claimed_by: string | null }>('SELECT status, claimed_by FROM review_cases WHERE id = $1::uuid', [caseId]);
    expect(rows[0]).toEqual({ status: 'open', claimed_by: null });
    const audit = await stack.pool.query(`SELECT 1 FROM audit_log WHERE actor = 'staff:ghost'`);
    expect(audit.rows).toEqual([]);

    // The API's own command carries a grant and goes through.
    const claimed = await call('POST', `/api/review/cases/${caseId}/claim`, { token: clerk });
    expect(claimed.status).toBe(200);
    expect(claimed.body.status).toBe('claimed');
  });

  it('a revocation or a re-issue sent straight to the credential’s workflow changes nothing, and the real ones still work afterwards', async () => {
    const call = caller(stack);
    const holder = await activeCitizen(stack, makeCitizen());
    const credential = stack.client.workflow.getHandle(credentialWorkflowId(holder.credentialId));
    await expect(credential.executeUpdate(revokeCredentialUpdate, { args: [{ requestedBy: 'operator:ghost', reason: 'contact_centre' }] })).rejects.toThrow();
    await expect(credential.executeUpdate(reissuePinUpdate, { args: [{ requestedBy: 'operator:ghost', reason: 'remote_identification', pinType: 'dispositivo' }] })).rejects.toThrow();
    const { rows } = await stack.pool.query<{ state: string; pin_type: string }>('SELECT state, pin_type FROM credentials WHERE id = $1::uuid', [holder.credentialId]);
    expect(rows[0]).toEqual({ state: 'active', pin_type: 'ordinary' });
    expect((await call('GET', '/api/session', { token: holder.token })).status).toBe(200);
    // Refused commands leave the workflow able to hear the real one.
    const operator = await staffToken(stack, 'operator');
    const revoked = await call('POST', `/api/contact-centre/credentials/${holder.credentialId}/revoke`, {
      token: operator,
      body: { verification: { method: 'identity_questions', note: 'caller verified by questions' } },
    });
    expect(revoked.status).toBe(200);
  });
});

describe('plain JSON sent straight to the Temporal frontend', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('is refused by the worker: an update rejected, a signal dropped, a workflow started with it failed, and nothing changes', async () => {
    const call = caller(stack);
    const holder = await activeCitizen(stack, makeCitizen());
    // What `temporal workflow update|signal|start --input '{…}'` sends: plain JSON, no payload key.
    // (The test reads the answers with the key, to see why they were refused.)
    const sendsPlain: PayloadCodec = { encode: async (payloads) => payloads, decode: (payloads) => stack.payloadCodec.decode(payloads) };
    const raw = new Client({ connection: stack.client.connection, namespace: 'default', dataConverter: encryptedDataConverter(sendsPlain) });
    const credential = raw.workflow.getHandle(credentialWorkflowId(holder.credentialId));

    const update = await credential.executeUpdate(revokeCredentialUpdate, { args: [{ requestedBy: 'operator:ghost', reason: 'contact_centre' }] }).catch((e: unknown) => e);
    expect(update).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(((update as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(UNENCRYPTED_PAYLOAD);

    // Before: a signal like this one made the PIN dispositivo with no case at all.
    await credential.signal(conversionDecidedSignal, { caseId: randomUUID(), decision: 'approved' });
    const signalled = stack.client.workflow.getHandle(credentialWorkflowId(holder.credentialId));
    await waitFor('the signal to be handled', async () => {
      const events = (await signalled.fetchHistory()).events ?? [];
      const at = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'conversionDecided');
      return at >= 0 && events.slice(at).some((e) => e.workflowTaskCompletedEventAttributes) ? events : undefined;
    });
    expect((await signalled.fetchHistory()).events?.some((e) => e.workflowTaskFailedEventAttributes)).toBe(false);

    const forgedId = `credential-${randomUUID()}`;
    await raw.workflow.start('pinCredentialWorkflow', { workflowId: forgedId, taskQueue: stack.taskQueue, args: [{ credentialId: holder.credentialId }] });
    const failed = await stack.client.workflow.getHandle(forgedId).result().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(WorkflowFailedError);
    expect(((failed as WorkflowFailedError).cause as ApplicationFailure).type).toBe(UNENCRYPTED_PAYLOAD);

    const { rows } = await stack.pool.query<{ state: string; pin_type: string }>('SELECT state, pin_type FROM credentials WHERE id = $1::uuid', [holder.credentialId]);
    expect(rows[0]).toEqual({ state: 'active', pin_type: 'ordinary' });
    expect((await signalled.query(credentialStateQuery)).pinType).toBe('ordinary');
    expect((await stack.pool.query(`SELECT 1 FROM audit_log WHERE actor LIKE '%ghost%' AND subject = $1`, [holder.credentialId])).rows).toEqual([]);
    // The workflow still hears the application's own commands.
    expect((await call('GET', '/api/session', { token: holder.token })).status).toBe(200);
    const operator = await staffToken(stack, 'operator');
    const revoked = await call('POST', `/api/contact-centre/credentials/${holder.credentialId}/revoke`, {
      token: operator,
      body: { verification: { method: 'identity_questions', note: 'caller verified by questions' } },
    });
    expect(revoked.status).toBe(200);
  });
  it('a conversion decision signalled with the payload key but without a clerk’s decision on record changes nothing', async () => {
    const holder = await activeCitizen(stack, makeCitizen());
    const credential = stack.client.workflow.getHandle(credentialWorkflowId(holder.credentialId));
    await credential.signal(conversionDecidedSignal, { caseId: randomUUID(), decision: 'approved' });
    await waitFor('the signal to be handled', async () => {
      const events = (await credential.fetchHistory()).events ?? [];
      const at = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'conversionDecided');
      return at >= 0 && events.slice(at).some((e) => e.activityTaskFailedEventAttributes) && events.at(-1)?.workflowTaskCompletedEventAttributes ? events : undefined;
    });
    const { rows } = await stack.pool.query<{ pin_type: string }>('SELECT pin_type FROM credentials WHERE id = $1::uuid', [holder.credentialId]);
    expect(rows[0]?.pin_type).toBe('ordinary');
    const view = await credential.query(credentialStateQuery);
    expect(view.pinType).toBe('ordinary');
    expect(view.conversion).toBeUndefined();
  });
});

describe('the audit log, rewritten by someone who can write to the database', () => {
  it('`npm run audit:verify` passes an intact log and checkpoints it outside the database, then names the rows cut off', async () => {
    const databaseUrl = await freshDatabase('auditverify');
    const ring: KeyRing = { currentId: 1, keys: new Map([[1, randomBytes(32)]]) };
    const checkpointFile = path.join(mkdtempSync(path.join(tmpdir(), 'audit-')), 'checkpoints.jsonl');
    const env = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      SECRETS_KEY: ring.keys.get(1)!.toString('base64'),
      PIN_PEPPER: randomBytes(32).toString('base64'),
      AUDIT_CHECKPOINT_FILE: checkpointFile,
      LOG_LEVEL: 'silent',
    };
    const verify = () =>
      promisify(execFile)('npx', ['tsx', 'scripts/verify-audit.ts'], { env }).then(
        (r) => ({ code: 0, out: r.stdout }),
        (e: { code: number; stderr: string }) => ({ code: e.code, out: e.stderr }),
      );
    const pool = keyAuditLog(createPool(databaseUrl, 1), ring);
    try {
      for (let i = 0; i < 5; i++) await audit(pool, { actor: 'staff:clerk', action: 'review_approve', subject: `case-${i}` });
      const intact = await verify();
      expect(intact).toMatchObject({ code: 0, out: expect.stringMatching(/audit log intact: 5 rows verified \(5 keyed\).*checkpoint written at row \d+/) });
      // Before: DELETE was accepted and an unkeyed chain could be recomputed over what was left.
      await expect(pool.query(`DELETE FROM audit_log WHERE subject = 'case-4'`)).rejects.toThrow(/append-only/);
      await pool.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
      await pool.query(`DELETE FROM audit_log WHERE subject = 'case-4'`);
      const cut = await verify();
      expect(cut.code).toBe(1);
      expect(cut.out).toMatch(/audit log BROKEN:\n {2}- row \d+, checkpointed at .* is no longer in the chain/);
    } finally {
      await pool.end();
    }
  });
});

describe('a PIN requested in someone else’s name, with the requester’s own contacts and residence', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('gets no half and no letter before the call-back; "not verified" refuses it, and the real person can still ask', async () => {
    const call = caller(stack);
    const victim = makeCitizen();
    await stack.pool.query('INSERT INTO institute_records (codice_fiscale, residence) VALUES ($1::text, $2::jsonb)', [victim.codiceFiscale, JSON.stringify(victim.residence)]);
    const attacker = makeCitizen();
    // Before: the first half went to this mobile at once and the letter to this address.
    const forged = await call('POST', '/api/pin-requests', { body: { ...victim, mobile: attacker.mobile, email: attacker.email, pec: attacker.pec, residence: attacker.residence } });
    expect(forged.status).toBe(202);
    const credentialId = forged.body.credentialId as string;
    await waitForView(stack, credentialId, (v) => v.state === 'awaiting_callback');
    const nothingYet = await stack.pool.query(
      `SELECT (SELECT count(*) FROM pin_secrets WHERE credential_id = $1::uuid)::int AS secrets, (SELECT count(*) FROM letters WHERE credential_id = $1::uuid)::int AS letters,
              (SELECT count(*) FROM outbox WHERE credential_id = $1::uuid AND purpose <> 'request-received')::int AS messages`,
      [credentialId],
    );
    // (Only the receipt with the protocol number went out, by e-mail: no half, no letter.)
    expect(nothingYet.rows[0]).toEqual({ secrets: 0, letters: 0, messages: 0 });
    expect(await stack.smses({ to: attacker.mobile })).toEqual([]);

    // The operator calls the number given and cannot verify the caller against the records.
    const operator = await staffToken(stack, 'operator');
    const tasks = (await call('GET', '/api/callback-tasks', { token: operator })).body.tasks as { taskId: string; credentialId: string }[];
    const task = tasks.find((t) => t.credentialId === credentialId)!;
    const refused = await call('POST', `/api/callback-tasks/${task.taskId}/outcome`, { token: operator, body: { outcome: 'not_verified', note: 'could not give the place of birth' } });
    expect(refused.body).toMatchObject({ status: 'refused', attempts: 1 });
    await waitForView(stack, credentialId, (v) => v.state === 'refused');
    const told = await smsTo(stack, attacker.mobile!, /non è stata accolta/);
    expect(told.text).not.toMatch(/[A-Z0-9]{4} [A-Z0-9]{4}/);
    expect((await stack.pool.query('SELECT count(*)::int AS n FROM pin_secrets WHERE credential_id = $1::uuid', [credentialId])).rows[0]).toEqual({ n: 0 });
    const recorded = await stack.pool.query('SELECT status, outcome, last_attempt_by FROM callback_tasks WHERE id = $1::uuid', [task.taskId]);
    expect(recorded.rows[0]).toMatchObject({ status: 'refused', outcome: 'not_verified', last_attempt_by: expect.stringMatching(/^staff:operator-/) });
    expect((await stack.pool.query(`SELECT decision FROM audit_log WHERE action = 'callback_outcome' AND subject = $1`, [credentialId])).rows).toEqual([{ decision: 'not_verified' }]);

    // The real person, at the address on record, is not locked out by the attempt.
    const genuine = await call('POST', '/api/pin-requests', { body: victim });
    expect(genuine.status).toBe(202);
    expect(genuine.body.credentialId).not.toBe(credentialId);
    await waitForView(stack, genuine.body.credentialId as string, (v) => v.state === 'awaiting_letter_dispatch');
  });

  it('a letter that comes back for a PIN already activated raises a possible-interception alert instead of a silent refusal', async () => {
    const holder = await activeCitizen(stack, makeCitizen());
    const { rows } = await stack.pool.query<{ id: string }>(`SELECT id FROM letters WHERE credential_id = $1::uuid ORDER BY seq LIMIT 1`, [holder.credentialId]);
    await stack.pool.query(`UPDATE letters SET status = 'dispatched', dispatched_at = now() WHERE id = $1::uuid`, [rows[0]!.id]);
    const mailRoom = createMailRoom({ pool: stack.pool, temporal: stack.client, log: stack.deps.log });
    expect(await mailRoom.recordReturned(holder.credentialId, rows[0]!.id, 'staff:mail-1')).toEqual({ alert: 'letter_returned_after_activation' });
    // Recorded once: the same return again is refused (the letter is no longer out).
    await expect(mailRoom.recordReturned(holder.credentialId, rows[0]!.id, 'staff:mail-1')).rejects.toThrow();
    const alerts = await stack.pool.query(`SELECT kind FROM operational_alerts WHERE credential_id = $1::uuid`, [holder.credentialId]);
    expect(alerts.rows).toEqual([{ kind: 'letter_returned_after_activation' }]);
    expect((await stack.pool.query('SELECT status FROM letters WHERE id = $1::uuid', [rows[0]!.id])).rows).toEqual([{ status: 'returned' }]);
  });
});

describe('letters at rest', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const letterOf = async (credentialId: string) =>
    (await stack.pool.query<{ id: string; file_path: string | null; status: string; file_purged_at: Date | null }>('SELECT id, file_path, status, file_purged_at FROM letters WHERE credential_id = $1::uuid', [credentialId])).rows[0]!;

  it('are readable by the service only, deleted at once when voided, and after the retention once dispatched', async () => {
    const call = caller(stack);
    // Written 0600 in a 0700 folder (before: 0644, kept forever).
    const voided = await requestAndCollect(stack, makeCitizen());
    const queued = await letterOf(voided.credentialId);
    expect(statSync(queued.file_path!).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(queued.file_path!)).mode & 0o777).toBe(0o700);

    // Voided by a revocation: the file goes with it.
    const operator = await staffToken(stack, 'operator');
    const revoked = await call('POST', `/api/contact-centre/credentials/${voided.credentialId}/revoke`, {
      token: operator,
      body: { verification: { method: 'identity_questions', note: 'caller verified by questions' } },
    });
    expect(revoked.status).toBe(200);
    const gone = await waitFor('the voided letter deleted', async () => {
      const l = await letterOf(voided.credentialId);
      return l.file_purged_at ? l : undefined;
    });
    expect(gone).toMatchObject({ status: 'void', file_path: null });
    expect(existsSync(queued.file_path!)).toBe(false);

    // Dispatched long ago: deleted by the next dispatch.
    const old = await requestAndCollect(stack, makeCitizen());
    const oldLetter = await letterOf(old.credentialId);
    await stack.pool.query(`UPDATE letters SET status = 'dispatched', dispatched_at = now() - interval '40 days' WHERE id = $1::uuid`, [oldLetter.id]);
    const recent = await requestAndCollect(stack, makeCitizen());
    const batchDate = (await stack.pool.query<{ d: string }>(`SELECT to_char(batch_date, 'YYYY-MM-DD') AS d FROM letters WHERE credential_id = $1::uuid`, [recent.credentialId])).rows[0]!.d;
    const operations = await staffToken(stack, 'operations');
    expect((await call('POST', `/api/mailroom/batches/${batchDate}/dispatch`, { token: operations })).status).toBe(200);
    expect(await letterOf(old.credentialId)).toMatchObject({ file_path: null });
    expect(existsSync(oldLetter.file_path!)).toBe(false);
    // This batch's letters stay for reprints.
    const kept = await letterOf(recent.credentialId);
    expect(kept.status).toBe('dispatched');
    expect(existsSync(kept.file_path!)).toBe(true);
  });
});

describe('a new letter asked while Temporal answers too slowly', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('is told “in progress” or “requested”, never “failed”, and asking again makes no second letter', async () => {
    const issued = await requestAndCollect(stack, makeCitizen());
    const slow = await stack.extraApi({ temporalTimeoutMs: 1 });
    const ask = (base: string) =>
      fetch(`${base}/api/letters/resend`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ codiceFiscale: issued.citizen.codiceFiscale, firstHalf: issued.firstHalf }),
      });
    const first = await ask(slow.baseUrl);
    slow.close();
    // Before: 503 "try again", whether or not the letter had been made.
    expect([201, 202]).toContain(first.status);
    expect(((await first.json()) as { status: string }).status).toMatch(/^(requested|in_progress)$/);
    // Asked again, normally: one new letter at most in all (the workflow's 24-hour limit).
    const again = await ask(stack.baseUrl);
    expect([201, 409]).toContain(again.status);
    const { rows } = await stack.pool.query(`SELECT 1 FROM letters WHERE credential_id = $1::uuid AND reason = 'resend'`, [issued.credentialId]);
    expect(rows).toHaveLength(1);
  });
});
