/**
 * Contact changes on the real servers: the holder replaces their contacts (the request's rules
 * still hold; old and new addresses are told), and a contact-centre operator adds the second
 * contact a citizen needs for recovery, after verifying the caller, recorded in the audit log
 * and the credential's timeline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCitizen } from '../support/citizens';
import { activeCitizen, waitFor } from '../support/issuance';
import { caller, linkTokenFrom, mailTo, mailsMatching, smsTo, staffToken } from '../support/lifecycle';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let call: ReturnType<typeof caller>;

beforeAll(async () => {
  stack = await startTestStack();
  call = caller(stack);
});
afterAll(async () => {
  await stack?.stop();
});

const contactsOf = async (credentialId: string) =>
  (await stack.pool.query<{ contacts: Record<string, string> }>('SELECT contacts FROM credentials WHERE id = $1::uuid', [credentialId])).rows[0]!.contacts;

describe('the holder changes their contacts', () => {
  it('refuses changes that break the rules of the request, changing nothing', async () => {
    const d = await activeCitizen(stack, makeCitizen());
    const before = await contactsOf(d.credentialId);
    const base = { mobile: d.citizen.mobile, email: d.citizen.email, preferredPhone: 'mobile', preferredTimeSlot: '11-14' };
    const cases: [Record<string, unknown>, string, string][] = [
      [{ ...base, mobile: '333 1234567' }, 'mobile', 'invalid_phone'],
      [{ ...base, mobile: undefined, preferredPhone: 'home' }, 'homePhone', 'phone_required'],
      [{ ...base, email: undefined }, 'email', 'email_or_pec_required'],
      [{ ...base, preferredPhone: 'home' }, 'preferredPhone', 'preferred_phone_missing'],
      [{ ...base, email: 'not-an-address' }, 'email', 'invalid_email'],
      [{ ...base, preferredTimeSlot: undefined }, 'preferredTimeSlot', 'required'],
      [{ ...base, residence: 'x' }, 'residence', 'unknown_field'],
    ];
    for (const [body, field, code] of cases) {
      const res = await call('PUT', '/api/session/contacts', { token: d.token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.fields, JSON.stringify(body)).toEqual(expect.arrayContaining([expect.objectContaining({ field, code })]));
    }
    expect((await call('PUT', '/api/session/contacts', { body: base })).status).toBe(401);
    expect(await contactsOf(d.credentialId)).toEqual(before);
  });

  it('changes them, telling the old and the new addresses, and records contacts_changed', async () => {
    const d = await activeCitizen(stack, makeCitizen());
    const newEmail = `new.${d.citizen.email}`;
    const res = await call('PUT', '/api/session/contacts', {
      token: d.token,
      body: { mobile: d.citizen.mobile, homePhone: '+54 11 4321 0000', email: newEmail, preferredPhone: 'home', preferredTimeSlot: '17-20' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ changed: true, contacts: { mobile: d.citizen.mobile, homePhone: '+541143210000', email: newEmail, preferredPhone: 'home' }, warnings: [] });
    expect(await contactsOf(d.credentialId)).toEqual({ mobile: d.citizen.mobile, homePhone: '+541143210000', email: newEmail, preferredPhone: 'home', preferredTimeSlot: '17-20' });

    // The old e-mail and the removed PEC are told of the change; the new e-mail that it was added; the mobile that the contacts changed.
    await mailTo(stack, d.citizen.email!, /Recapito del PIN modificato/);
    await mailTo(stack, d.citizen.pec!, /Recapito del PIN modificato/);
    await mailTo(stack, newEmail, /Nuovo recapito del PIN/);
    await smsTo(stack, d.citizen.mobile!, /recapiti del tuo PIN sono stati modificati/);

    const events = await stack.pool.query<{ actor: string; data: { fields: string[] } }>(`SELECT actor, data FROM credential_events WHERE credential_id = $1::uuid AND type = 'contacts_changed'`, [
      d.credentialId,
    ]);
    expect(events.rows).toHaveLength(1);
    expect(events.rows[0]!.actor).toBe('citizen');
    expect(events.rows[0]!.data.fields.sort()).toEqual(['email', 'homePhone', 'pec', 'preferredPhone', 'preferredTimeSlot']);
    const audit = await stack.pool.query(`SELECT 1 FROM audit_log WHERE action = 'contacts.change' AND subject = $1::text AND decision = 'changed'`, [d.credentialId]);
    expect(audit.rowCount).toBe(1);

    // The same set again is no change and sends nothing.
    const same = await call('PUT', '/api/session/contacts', { token: d.token, body: res.body.contacts });
    expect(same.status).toBe(200);
    expect(same.body.changed).toBe(false);
    // One contact left for recovery: the answer advises a second one.
    const single = await call('PUT', '/api/session/contacts', { token: d.token, body: { homePhone: '+541143210000', email: newEmail, preferredPhone: 'home', preferredTimeSlot: '17-20' } });
    expect(single.status).toBe(200);
    expect(single.body.warnings).toEqual([expect.objectContaining({ code: 'recovery_contacts_advised' })]);
  });
});

describe('the contact centre adds a second contact', () => {
  it('verifies the caller first, adds only a missing contact, and then recovery works', async () => {
    // A citizen left with a single contact usable for recovery (the e-mail) and a home phone.
    const c = await activeCitizen(stack, makeCitizen());
    const reduced = await call('PUT', '/api/session/contacts', {
      token: c.token,
      body: { homePhone: '+54 11 5555 1234', email: c.citizen.email, preferredPhone: 'home', preferredTimeSlot: '08-11' },
    });
    expect(reduced.body.warnings).toEqual([expect.objectContaining({ code: 'recovery_contacts_advised' })]);
    const newMobile = `+5491166${String(Date.now()).slice(-6)}`;
    // With one contact, recovery cannot go anywhere (and says only the general rule).
    expect((await call('POST', '/api/recovery/requests', { body: { codiceFiscale: c.citizen.codiceFiscale, email: c.citizen.email, mobile: newMobile } })).status).toBe(202);

    const operator = await staffToken(stack, 'operator');
    const path = `/api/contact-centre/credentials/${c.credentialId}/contacts`;
    const before = await contactsOf(c.credentialId);
    // No telephone PIN for this citizen: the verification fails and nothing changes.
    const unverified = await call('POST', path, { token: operator, body: { mobile: newMobile, verification: { method: 'telephone_pin', telephonePin: '12345678' } } });
    expect(unverified.status).toBe(401);
    expect((await call('POST', path, { token: await staffToken(stack, 'clerk'), body: { mobile: newMobile, verification: { method: 'identity_questions', note: 'date and place of birth' } } })).status).toBe(403);
    expect((await call('POST', path, { token: operator, body: { mobile: '3331234', verification: { method: 'identity_questions', note: 'date and place of birth' } } })).status).toBe(400);
    expect(await contactsOf(c.credentialId)).toEqual(before);

    const added = await call('POST', path, { token: operator, body: { mobile: newMobile, verification: { method: 'identity_questions', note: 'date and place of birth, last pension payment' } } });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ credentialId: c.credentialId, added: ['mobile'], warnings: [] });
    expect(await contactsOf(c.credentialId)).toMatchObject({ ...before, mobile: newMobile });
    await smsTo(stack, newMobile, /ora un recapito del tuo PIN/);
    // The e-mail that stays hears of it (a second time: the holder's own change above was the first).
    await waitFor('the e-mail told of the added mobile', async () => ((await mailsMatching(stack, c.citizen.email!, /Recapiti del PIN modificati/)).length >= 2 ? true : undefined));
    const event = await stack.pool.query<{ actor: string }>(`SELECT actor FROM credential_events WHERE credential_id = $1::uuid AND type = 'contacts_changed' ORDER BY id`, [c.credentialId]);
    expect(event.rows.map((e) => e.actor)).toEqual(['citizen', expect.stringMatching(/^operator:/)]);
    const audit = await stack.pool.query<{ detail: { verification: { method: string } } }>(
      `SELECT detail FROM audit_log WHERE action = 'contacts.change' AND subject = $1::text ORDER BY id`,
      [c.credentialId],
    );
    expect(audit.rows.map((a) => a.detail.verification.method)).toEqual(['session', 'identity_questions']);

    // A contact already there is not replaced over the phone.
    const replace = await call('POST', path, { token: operator, body: { email: 'other@example.org', verification: { method: 'identity_questions', note: 'date and place of birth' } } });
    expect(replace.status).toBe(409);

    // Two contacts now: recovery sends its link.
    expect(await mailsMatching(stack, c.citizen.email!, /Conferma il ripristino/)).toHaveLength(0);
    expect((await call('POST', '/api/recovery/requests', { body: { codiceFiscale: c.citizen.codiceFiscale, email: c.citizen.email, mobile: newMobile } })).status).toBe(202);
    linkTokenFrom((await mailTo(stack, c.citizen.email!, /Conferma il ripristino/)).text);
  });
});
