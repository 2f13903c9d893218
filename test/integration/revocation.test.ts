/**
 * Revocation (revoca) through the HTTP API and the portal on the real servers: by the holder with
 * the health-insurance card and a registered e-mail/PEC (the same answer for an unknown codice
 * fiscale and any mismatch, tries limited), and by a contact-centre operator. A revoked PIN is
 * refused within a second of the answer, its sessions are over, a notice goes to every contact,
 * it can never be used again (login, first access, regeneration, new letter), and a new request
 * for the same codice fiscale is accepted.
 */
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialStateQuery, credentialWorkflowId } from '../../workflows/definitions';
import { makeCitizen, type CitizenRequest } from '../support/citizens';
import { activeCitizen, requestAndCollect, waitForView } from '../support/issuance';
import { caller, mailTo, portalForm, postForm, smsTo, staffToken } from '../support/lifecycle';
import { startTestStack, type TestStack } from '../support/stack';
import { registerHealthCard } from "../../services/lifecycle/revocation";

let stack: TestStack;
let call: ReturnType<typeof caller>;

beforeAll(async () => {
  stack = await startTestStack();
  call = caller(stack);
});
afterAll(async () => {
  await stack?.stop();
});

const cardNumber = () => `80380${String(randomInt(1e9)).padStart(9, '0')}${String(randomInt(1e6)).padStart(6, '0')}`;

async function withCard(citizen: CitizenRequest): Promise<{ number: string; expiresOn: string }> {
  const card = { number: cardNumber(), expiresOn: '2031-03-31' };
  await registerHealthCard(stack.pool, stack.deps.keys.pepper, { codiceFiscale: citizen.codiceFiscale, ...card });
  return card;
}

const revoke = (body: unknown) => call('POST', '/api/revocations', { body });

describe('revocation by the holder', () => {
  it('refuses wrong data with the same answer as an unknown codice fiscale, then revokes at once', async () => {
    const r = await activeCitizen(stack, makeCitizen());
    const card = await withCard(r.citizen);
    const cf = r.citizen.codiceFiscale;

    const wrongNumber = await revoke({ codiceFiscale: cf, healthCard: { ...card, number: cardNumber() }, email: r.citizen.email });
    const wrongExpiry = await revoke({ codiceFiscale: cf, healthCard: { ...card, expiresOn: '2031-04-30' }, email: r.citizen.email });
    const wrongAddress = await revoke({ codiceFiscale: cf, healthCard: card, email: 'someone.else@example.org' });
    const unknown = await revoke({ codiceFiscale: makeCitizen().codiceFiscale, healthCard: card, email: r.citizen.email });
    for (const refused of [wrongNumber, wrongExpiry, wrongAddress, unknown]) {
      expect(refused.status).toBe(401);
      expect(refused.text).toBe(unknown.text);
    }
    const malformed = await revoke({ codiceFiscale: cf, healthCard: { ...card, number: card.number.slice(1) }, email: r.citizen.email });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.fields[0].field).toBe('healthCard.number');
    // Still alive.
    expect((await call('GET', '/api/session', { token: r.token })).status).toBe(200);

    // The PEC typed in upper case, the card number with spaces: compared normalised.
    const spaced = card.number.replace(/(.{5})/g, '$1 ').trim();
    const done = await revoke({ codiceFiscale: cf, healthCard: { number: spaced, expiresOn: card.expiresOn }, pec: r.citizen.pec!.toUpperCase() });
    expect(done.status).toBe(200);
    const answeredAt = Date.now();
    const login = await call('POST', '/api/sessions', { body: { codiceFiscale: cf, pin: r.pin } });
    expect(login.status).toBe(401);
    expect(Date.now() - answeredAt).toBeLessThan(1_000);
    expect((await call('GET', '/api/session', { token: r.token })).status).toBe(401);

    const { rows } = await stack.pool.query<{ state: string }>('SELECT state FROM credentials WHERE id = $1::uuid', [r.credentialId]);
    expect(rows[0]!.state).toBe('revoked');
    const live = await stack.pool.query(`SELECT 1 FROM pin_secrets WHERE credential_id = $1::uuid AND status <> 'superseded'`, [r.credentialId]);
    expect(live.rowCount).toBe(0);
    const sessions = await stack.pool.query(`SELECT 1 FROM sessions WHERE credential_id = $1::uuid AND revoked_at IS NULL`, [r.credentialId]);
    expect(sessions.rowCount).toBe(0);
    await smsTo(stack, r.citizen.mobile!, /revocato/);
    await mailTo(stack, r.citizen.email!, /PIN revocato/);
    await mailTo(stack, r.citizen.pec!, /PIN revocato/);
    const view = await stack.client.workflow.getHandle(credentialWorkflowId(r.credentialId)).query(credentialStateQuery);
    expect(view.state).toBe('revoked');
    const audit = await stack.pool.query<{ decision: string }>(`SELECT decision FROM audit_log WHERE action = 'revocation.request' AND subject = $1::text ORDER BY id`, [r.credentialId]);
    expect(audit.rows.map((a) => a.decision)).toEqual(['refused', 'refused', 'refused', 'verified']);

    // Never again: regeneration with the PIN gets nowhere; the same revocation asked again (an
    // answer lost on the way) is told it is done, with when — never "no active PIN".
    expect(done.body).toMatchObject({ status: 'revoked' });
    expect((await call('POST', '/api/pin/regenerate', { body: { codiceFiscale: cf, pin: r.pin } })).status).toBe(401);
    const repeated = await revoke({ codiceFiscale: cf, healthCard: card, email: r.citizen.email });
    expect(repeated.status).toBe(200);
    expect(repeated.body).toMatchObject({ status: 'already_revoked', revokedAt: done.body.revokedAt });
    // Someone without the card still learns nothing.
    expect((await revoke({ codiceFiscale: cf, healthCard: { ...card, number: cardNumber() }, email: r.citizen.email })).text).toBe(unknown.text);

    // A new request for the same codice fiscale, even with the very same data, is a new PIN.
    const again = await call('POST', '/api/pin-requests', { body: r.citizen });
    expect(again.status).toBe(202);
    expect(again.body.credentialId).not.toBe(r.credentialId);
    await waitForView(stack, again.body.credentialId as string, (v) => v.state === 'awaiting_letter_dispatch');
    // A retry of that new request finds it.
    const retry = await call('POST', '/api/pin-requests', { body: r.citizen });
    expect(retry.status).toBe(200);
    expect(retry.body.credentialId).toBe(again.body.credentialId);
  });

  it('limits tries per address, and a stranger’s wrong data never use up the holder’s own tries', async () => {
    const h = await activeCitizen(stack, makeCitizen());
    const card = await withCard(h.citizen);
    const wrong = { codiceFiscale: h.citizen.codiceFiscale, healthCard: { number: cardNumber(), expiresOn: card.expiresOn }, email: h.citizen.email };
    // Six wrong cards from six addresses: refused, and the holder's quota is untouched.
    for (let i = 0; i < 6; i++) expect((await revoke(wrong)).status).toBe(401);
    // One address guessing: the burst, then 429.
    const ip = '192.0.2.77';
    const fromOne: number[] = [];
    for (let i = 0; i < 21; i++) fromOne.push((await call('POST', '/api/revocations', { body: { ...wrong, codiceFiscale: makeCitizen().codiceFiscale }, ip })).status);
    expect(fromOne.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(fromOne[20]).toBe(429);
    // The holder, with the card, still revokes.
    const done = await revoke({ codiceFiscale: h.citizen.codiceFiscale, healthCard: card, email: h.citizen.email });
    expect(done.status).toBe(200);
  });

  it('revokes from the portal page, after a page that asks first and says what follows', async () => {
    const p = await activeCitizen(stack, makeCitizen());
    const card = await withCard(p.citizen);
    const form = await portalForm(stack, '/portal/revoke');
    expect(form.status).toBe(200);
    // The data, then "Vuoi revocare il PIN?" with the consequences: the card travels sealed, never in clear.
    const ask = async (number: string): Promise<string> => {
      const asked = await postForm(stack, '/portal/revoke', form.cookie, {
        _csrf: form.csrf,
        codiceFiscale: p.citizen.codiceFiscale,
        healthCardNumber: number,
        healthCardExpiresOn: card.expiresOn,
        address: p.citizen.email!,
      });
      expect(asked.status).toBe(200);
      expect(asked.html).toContain('Vuoi revocare il PIN?');
      expect(asked.html).toContain('Il PIN smette subito di funzionare, per sempre');
      expect(asked.html).toContain(`•••• ${number.slice(-4)}`);
      expect(asked.html).not.toContain(number);
      // The card's expiry as people write it, not as the form's date field sends it.
      expect(asked.html).not.toContain(card.expiresOn);
      expect(asked.html).toMatch(/\d{1,2} (gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|dicembre) \d{4}/);
      return /name="revocation" value="([^"]+)"/.exec(asked.html)![1]!;
    };
    const wrongSealed = await ask(cardNumber());
    // Asking is not doing: the PIN still works.
    expect((await call('GET', '/api/session', { token: p.token })).status).toBe(200);
    const wrong = await postForm(stack, '/portal/revoke/confirm', form.cookie, { _csrf: form.csrf, revocation: wrongSealed, confirmed: 'yes' });
    expect(wrong.status).toBe(401);
    expect(wrong.html).not.toContain(card.number);
    // "No, back to the data": the form again, nothing done.
    const back = await postForm(stack, '/portal/revoke/confirm', form.cookie, { _csrf: form.csrf, revocation: await ask(card.number), confirmed: 'yes', edit: 'yes' });
    expect(back.status).toBe(200);
    expect(back.html).toContain(`value="${p.citizen.codiceFiscale}"`);
    expect((await call('GET', '/api/session', { token: p.token })).status).toBe(200);

    const done = await postForm(stack, '/portal/revoke/confirm', form.cookie, { _csrf: form.csrf, revocation: await ask(card.number), confirmed: 'yes' });
    expect(done.status).toBe(200);
    expect(done.html).toContain('id="revoked" data-status="revoked"');
    expect((await call('POST', '/api/sessions', { body: { codiceFiscale: p.citizen.codiceFiscale, pin: p.pin } })).status).toBe(401);
    // A tampered or stale confirmation does nothing and says the page expired.
    const forged = await postForm(stack, '/portal/revoke/confirm', form.cookie, { _csrf: form.csrf, revocation: 'x'.repeat(40), confirmed: 'yes' });
    expect(forged.status).toBe(400);
    expect(forged.html).toContain('Pagina scaduta');
  });
});

describe('revocation by the contact centre', () => {
  it('revokes a PIN still waiting for its first access: the 16 characters and the first half are refused for good', async () => {
    const issued = await requestAndCollect(stack, makeCitizen());
    const operator = await staffToken(stack, 'operator');
    const clerk = await staffToken(stack, 'clerk');
    const path = `/api/contact-centre/credentials/${issued.credentialId}/revoke`;
    expect((await call('POST', path, {})).status).toBe(401);
    expect((await call('POST', path, { token: clerk })).status).toBe(403);
    expect((await call('POST', '/api/contact-centre/credentials/00000000-0000-4000-8000-000000000000/revoke', { token: operator })).status).toBe(404);

    const done = await call('POST', path, { token: operator, body: { verification: { method: 'identity_questions', note: 'caller verified with personal data' } } });
    expect(done.status).toBe(200);
    expect(done.body.credentialId).toBe(issued.credentialId);
    const cf = issued.citizen.codiceFiscale;
    expect((await call('POST', '/api/first-access', { body: { codiceFiscale: cf, pin: issued.firstHalf + issued.secondHalf } })).status).toBe(401);
    expect((await call('POST', '/api/letters/resend', { body: { codiceFiscale: cf, firstHalf: issued.firstHalf } })).status).toBe(401);
    const letters = await stack.pool.query<{ status: string }>('SELECT status FROM letters WHERE credential_id = $1::uuid', [issued.credentialId]);
    expect(letters.rows.map((l) => l.status)).toEqual(['void']);
    const audit = await stack.pool.query<{ actor: string; action: string }>(`SELECT actor, action FROM audit_log WHERE subject = $1::text AND action IN ('revoke', 'revoke.caller_verified')`, [issued.credentialId]);
    expect(audit.rows.map((a) => a.action).sort()).toEqual(['revoke', 'revoke.caller_verified']);
    expect(audit.rows.every((a) => a.actor.startsWith('operator:'))).toBe(true);
    await mailTo(stack, issued.citizen.email!, /PIN revocato/);
    // Already revoked: nothing more to do.
    expect((await call('POST', path, { token: operator })).status).toBe(409);
  });
});
