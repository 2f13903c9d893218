/**
 * Recovery (ripristino) through the HTTP API and the portal on the real servers: the same answer
 * for an unknown codice fiscale and for wrong contacts (and no mail), the 3-a-day limit, the link
 * by e-mail (single use, 24 hours, stored as a hash), and the whole path — old PIN and sessions
 * dead, new halves by SMS and PEC, no letter, notices to every contact, the failure counter
 * lifted, the first access — with no token or half-PIN where it must not be.
 *
 * The API's clock is injected, so "25 hours later" passes at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialWorkflowId } from '../../workflows/definitions';
import { recoveryLinkWorkflowId } from '../../workflows/recovery-definitions';
import { makeCitizen } from '../support/citizens';
import { activeCitizen, waitForView } from '../support/issuance';
import { caller, expectNowhere, halfAfter, linkTokenFrom, mailTo, mailsMatching, portalForm, postForm, smsTo } from '../support/lifecycle';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);
const HOUR = 3_600_000;
let call: ReturnType<typeof caller>;

beforeAll(async () => {
  stack = await startTestStack({ now: clock });
  call = caller(stack);
});
afterAll(async () => {
  await stack?.stop();
});

const RECOVERY_MAIL = /Conferma il ripristino/;
const request = (body: Record<string, unknown>) => call('POST', '/api/recovery/requests', { body });
const confirm = (token: string) => call('POST', '/api/recovery/confirm', { body: { token } });

/** Durations of requests that matched nothing, to compare with one that did. */
const unmatchedMs: number[] = [];

describe('recovery requests', () => {
  it('answers an unknown codice fiscale and wrong contacts exactly alike, and sends nothing', async () => {
    const a = await activeCitizen(stack, makeCitizen());
    const wrongEmail = await request({ codiceFiscale: a.citizen.codiceFiscale, mobile: a.citizen.mobile, email: `x${a.citizen.email}` });
    const unknown = await request({ codiceFiscale: makeCitizen().codiceFiscale, mobile: a.citizen.mobile, email: a.citizen.email });
    // Two right contacts and a wrong third: every contact given must match.
    const wrongThird = await request({ codiceFiscale: a.citizen.codiceFiscale, mobile: a.citizen.mobile, email: a.citizen.email, pec: 'someone@pec.example.it' });
    for (const r of [wrongEmail, unknown, wrongThird]) {
      expect(r.status).toBe(202);
      expect(r.text).toBe(unknown.text);
      unmatchedMs.push(r.ms);
    }
    expect(unknown.body.rule.en).toMatch(/only one contact, call the contact centre/);
    // Nothing was created or sent.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await mailsMatching(stack, a.citizen.email!, RECOVERY_MAIL)).toHaveLength(0);
    expect(await mailsMatching(stack, a.citizen.pec!, RECOVERY_MAIL)).toHaveLength(0);
    const links = await stack.pool.query('SELECT 1 FROM recovery_links WHERE credential_id = $1::uuid', [a.credentialId]);
    expect(links.rowCount).toBe(0);
    const audit = await stack.pool.query<{ decision: string }>(`SELECT decision FROM audit_log WHERE action = 'recovery.request' AND subject = $1::text`, [a.credentialId]);
    expect(audit.rows.map((r) => r.decision)).toEqual(['not_matched', 'not_matched']);
  });

  it('refuses fewer than two contacts and a malformed codice fiscale with a validation error, counting nothing', async () => {
    const one = await request({ codiceFiscale: makeCitizen().codiceFiscale, email: 'a@example.org' });
    expect(one.status).toBe(400);
    expect(one.body.error.fields).toEqual([expect.objectContaining({ field: 'contacts', code: 'two_contacts_required' })]);
    const bad = await request({ codiceFiscale: 'NOTACODE', email: 'a@example.org', pec: 'a@pec.example.it' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { field: string }) => f.field)).toContain('codiceFiscale');
    const extra = await request({ codiceFiscale: makeCitizen().codiceFiscale, email: 'a@example.org', pec: 'a@pec.example.it', pin: 'ABCD2345' });
    expect(extra.status).toBe(400);
  });

  it('shows the rule on the portal page whatever the codice fiscale', async () => {
    const page = await portalForm(stack, '/portal/recovery');
    expect(page.status).toBe(200);
    expect(page.html).toContain('Se hai registrato un solo recapito, chiama il Contact center');
    const sent = await postForm(stack, '/portal/recovery', page.cookie, { _csrf: page.csrf, codiceFiscale: makeCitizen().codiceFiscale, email: 'n@example.org', pec: 'n@pec.example.it' });
    expect(sent.status).toBe(200);
    expect(sent.html).toContain('id="recovery-received"');
  });
});

describe('recovery end to end', () => {
  it('kills the old PIN and its sessions, issues the new halves by SMS and PEC with no letter, lifts the failure count, and the first access works', async () => {
    const b = await activeCitizen(stack, makeCitizen());
    const { citizen } = b;
    // One failure before the recovery.
    expect((await call('POST', '/api/sessions', { body: { codiceFiscale: citizen.codiceFiscale, pin: b.pin === 'AAAAAAAA' ? 'BBBBBBBB' : 'AAAAAAAA' } })).status).toBe(401);

    // Contacts typed differently from the request (spaces, case): compared normalised.
    const spacedMobile = `${citizen.mobile!.slice(0, 3)} ${citizen.mobile!.slice(3, 7)} ${citizen.mobile!.slice(7)}`;
    const asked = await request({ codiceFiscale: citizen.codiceFiscale.toLowerCase(), mobile: spacedMobile, email: citizen.email!.toUpperCase() });
    expect(asked.status).toBe(202);
    expect(Math.abs(asked.ms - Math.max(...unmatchedMs))).toBeLessThan(500);
    const mail = await mailTo(stack, citizen.email!, RECOVERY_MAIL);
    expect(mail.headers['x-channel']).toBe('email');
    const token = linkTokenFrom(mail.text);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    const { rows: links } = await stack.pool.query<{ id: string; status: string; token_hash: Buffer; expires_at: Date }>(
      'SELECT id, status, token_hash, expires_at FROM recovery_links WHERE credential_id = $1::uuid',
      [b.credentialId],
    );
    expect(links).toHaveLength(1);
    expect(links[0]!.status).toBe('sent');
    expect(Math.abs(links[0]!.expires_at.getTime() - (clock().getTime() + 24 * HOUR))).toBeLessThan(60_000);

    // Opening the link shows a button; it changes nothing by itself.
    const page = await portalForm(stack, `/portal/recovery/confirm?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain(`name="token" value="${token}"`);
    expect((await call('GET', '/api/session', { token: b.token })).status).toBe(200);

    const confirmed = await postForm(stack, '/portal/recovery/confirm', page.cookie, { _csrf: page.csrf, token });
    expect(confirmed.status).toBe(200);
    expect(confirmed.html).toContain('id="recovery-done"');

    // At once: the old PIN is refused and its session is over.
    expect((await call('POST', '/api/sessions', { body: { codiceFiscale: citizen.codiceFiscale, pin: b.pin } })).status).toBe(401);
    expect((await call('GET', '/api/session', { token: b.token })).status).toBe(401);

    // The link is used up: a second use changes nothing; the page tells it as done, not as an error.
    const again = await confirm(token);
    expect(again.status).toBe(400);
    expect(again.body.error.details.reason).toBe('LINK_USED');
    const reused = await postForm(stack, '/portal/recovery/confirm', page.cookie, { _csrf: page.csrf, token });
    expect(reused.status).toBe(200);
    expect(reused.html).toContain('Ripristino già confermato');
    expect(reused.html).toContain('già stato usato');
    expect(reused.html).not.toContain('Collegamento non valido');

    const view = await waitForView(stack, b.credentialId, (v) => v.delivery === 'two_channel' && v.firstHalf.length === 2 && v.firstHalf.every((h) => h.state === 'sent'));
    expect(view).toMatchObject({ state: 'awaiting_first_access', pinVersion: 3, pinType: 'ordinary' });
    const firstSms = await smsTo(stack, citizen.mobile!, /first part of your new PIN/);
    const first = halfAfter(/first part of your new PIN:/, firstSms.text);
    const secondMail = await mailTo(stack, citizen.pec!, /Seconda parte del PIN/);
    const second = halfAfter(/second part of your PIN is:/, secondMail.text);
    // Every non-postal contact is told that a recovery happened.
    await smsTo(stack, citizen.mobile!, /ripristino del tuo PIN/);
    await mailTo(stack, citizen.email!, /Nuovo PIN emesso/);
    await mailTo(stack, citizen.pec!, /Nuovo PIN emesso/);
    // No letter: the pending one is void and none was added.
    const letters = await stack.pool.query<{ status: string; pin_version: number }>('SELECT status, pin_version FROM letters WHERE credential_id = $1::uuid', [b.credentialId]);
    expect(letters.rows.filter((l) => l.status === 'queued' || l.pin_version > 1)).toEqual([]);

    // The failure before was lifted by the recovery (the holder proved who they are); the old
    // PIN's refusal after it is the only one counted.
    const counter = await stack.pool.query<{ consecutive_failures: number }>('SELECT consecutive_failures FROM credential_access WHERE credential_id = $1::uuid', [b.credentialId]);
    expect(counter.rows[0]!.consecutive_failures).toBe(1);
    const events = await stack.pool.query<{ type: string }>('SELECT type FROM credential_events WHERE credential_id = $1::uuid ORDER BY id', [b.credentialId]);
    expect(events.rows.map((e) => e.type)).toEqual(expect.arrayContaining(['recovery_link_sent', 'reissue_recovery']));

    const firstAccess = await call('POST', '/api/first-access', { body: { codiceFiscale: citizen.codiceFiscale, pin: first + second } });
    expect(firstAccess.status).toBe(200);
    const newPin = firstAccess.body.pin as string;
    await waitForView(stack, b.credentialId, (v) => v.state === 'active' && v.pinVersion === 4);
    expect((await call('POST', '/api/sessions', { body: { codiceFiscale: citizen.codiceFiscale, pin: newPin } })).status).toBe(201);

    // The token, the halves and the new PIN are nowhere they must not be.
    await expectNowhere(stack, [token, first, second, newPin], ['recovery_links', 'outbox', 'audit_log', 'credential_events', 'credentials', 'pin_secrets', 'contact_changes']);
    for (const workflowId of [credentialWorkflowId(b.credentialId), recoveryLinkWorkflowId(links[0]!.id)]) {
      const history = JSON.stringify(await stack.client.workflow.getHandle(workflowId).fetchHistory());
      for (const secret of [token, first, second, newPin]) expect(history.includes(secret)).toBe(false);
    }
  });
});

describe('recovery limits and expiry', () => {
  it('sends at most 3 links per codice fiscale in 24 hours (the 4th: 429); requests with wrong contacts spend none of them', async () => {
    const e = await activeCitizen(stack, makeCitizen());
    const right = { codiceFiscale: e.citizen.codiceFiscale, email: e.citizen.email, pec: e.citizen.pec };
    // A stranger without the contacts: always the same answer, and the holder's quota untouched.
    for (let i = 0; i < 5; i++) expect((await request({ ...right, email: `stranger${i}@example.org` })).status).toBe(202);
    for (let i = 0; i < 3; i++) expect((await request(right)).status).toBe(202);
    const fourth = await request(right);
    expect(fourth.status).toBe(429);
    expect(fourth.body.error.details.reason).toBe('TOO_MANY_ATTEMPTS');
    const retryAfter = Number(fourth.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(23 * 3600);
    expect(retryAfter).toBeLessThanOrEqual(24 * 3600);
    // A day later the window has room again.
    offsetMs += 24 * HOUR + 1_000;
    expect((await request(right)).status).toBe(202);
    await mailTo(stack, e.citizen.email!, RECOVERY_MAIL);
  });

  it('refuses a link after 24 hours and changes nothing', async () => {
    const f = await activeCitizen(stack, makeCitizen());
    expect((await request({ codiceFiscale: f.citizen.codiceFiscale, mobile: f.citizen.mobile, pec: f.citizen.pec })).status).toBe(202);
    // The link goes to the PEC when the e-mail was not given.
    const token = linkTokenFrom((await mailTo(stack, f.citizen.pec!, RECOVERY_MAIL)).text);
    offsetMs += 25 * HOUR;
    const late = await confirm(token);
    expect(late.status).toBe(400);
    expect(late.body.error.details.reason).toBe('LINK_EXPIRED');
    expect(late.body.error.message.en).toMatch(/expired/);
    const { rows } = await stack.pool.query<{ state: string }>('SELECT state FROM credentials WHERE id = $1::uuid', [f.credentialId]);
    expect(rows[0]!.state).toBe('active');
    const pins = await stack.pool.query<{ status: string }>(`SELECT status FROM pin_secrets WHERE credential_id = $1::uuid AND status <> 'superseded'`, [f.credentialId]);
    expect(pins.rows).toEqual([{ status: 'active' }]);
    // An unknown token gets the same kind of refusal.
    const unknown = await confirm('A'.repeat(43));
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details.reason).toBe('LINK_INVALID');
  });
});
