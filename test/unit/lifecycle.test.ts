/**
 * The pure parts of recovery, revocation, contact changes and delegation: contact comparison,
 * the contact rules reused from the request, the end instant of a delegation's last day, the
 * two-channel route, and the link URL.
 */
import { describe, expect, it } from 'vitest';
import { comparableEmail, comparablePhone, contactsMatch } from '../../services/access/identity-checks';
import { endOfItalianDay } from '../../services/delegation';
import { changedFields, contactsOf } from '../../services/lifecycle/contact-changes';
import { DomainError } from '../../domain/errors';
import { validateContacts } from '../../domain/pin-request';
import { twoChannelRoute } from '../../domain/contact-routes';
import { recoveryLinkUrl } from '../../activities/recovery';
import { hashLinkToken } from '../../lib/secrets';
import { delegationAcceptedMessage, delegationCreatedMessage, delegationEndedMessage } from '../../activities/notice-templates';

describe('contact comparison', () => {
  it('normalises phones and addresses the way people type them', () => {
    expect(comparablePhone('+39 333 123-4567')).toBe('393331234567');
    expect(comparablePhone('0039 (333) 1234567')).toBe('393331234567');
    expect(comparableEmail('  Mario.Rossi@Example.IT ')).toBe('mario.rossi@example.it');
  });

  it('needs the minimum number of contacts, each equal to the registered one of its kind', () => {
    const registered = { mobile: '+393331234567', email: 'mario@example.it', pec: 'mario@pec.example.it' };
    expect(contactsMatch({ mobile: '+39 333 1234567', email: 'MARIO@example.it' }, registered, 2)).toBe(true);
    expect(contactsMatch({ email: 'mario@example.it', pec: 'mario@pec.example.it' }, registered, 2)).toBe(true);
    expect(contactsMatch({ email: 'mario@example.it' }, registered, 2)).toBe(false);
    // A wrong one spoils the right ones.
    expect(contactsMatch({ mobile: '+393331234567', email: 'mario@example.it', pec: 'x@pec.example.it' }, registered, 2)).toBe(false);
    // A contact of one kind never matches the registered one of another kind.
    expect(contactsMatch({ email: 'mario@pec.example.it', pec: 'mario@example.it' }, registered, 2)).toBe(false);
    // Nothing registered for a kind: no match, whatever was typed.
    expect(contactsMatch({ mobile: '', email: 'mario@example.it', pec: 'mario@pec.example.it' }, { email: 'mario@example.it', pec: 'mario@pec.example.it' }, 2)).toBe(true);
    expect(contactsMatch({ mobile: '+393331234567', email: 'mario@example.it' }, { email: 'mario@example.it' }, 2)).toBe(false);
  });
});

describe('contact rules on a change', () => {
  it('normalises a valid set and advises a second recovery contact when one is left', () => {
    const { contacts, warnings } = validateContacts({ homePhone: '+39 06 1234 5678', email: 'a@Example.IT', preferredPhone: 'home', preferredTimeSlot: '08-11' });
    expect(contacts).toEqual({ homePhone: '+390612345678', email: 'a@example.it', preferredPhone: 'home', preferredTimeSlot: '08-11' });
    expect(warnings.map((w) => w.code)).toEqual(['recovery_contacts_advised']);
  });

  it('lists every broken rule at once', () => {
    let caught: unknown;
    try {
      validateContacts({ mobile: '3331234567', preferredPhone: 'home', preferredTimeSlot: '25-26', extra: 1 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DomainError);
    const codes = (caught as DomainError).fields.map((f) => `${f.field}:${f.code}`);
    expect(codes).toEqual(
      expect.arrayContaining(['extra:unknown_field', 'mobile:invalid_phone', 'preferredTimeSlot:invalid_value', 'email:email_or_pec_required', 'preferredPhone:preferred_phone_missing']),
    );
  });

  it('names the fields that differ, ignoring absent ones', () => {
    const before = contactsOf({ mobile: '+393331234567', email: 'a@example.it', pec: null, preferredPhone: 'mobile', preferredTimeSlot: '08-11' });
    expect(before).toEqual({ mobile: '+393331234567', email: 'a@example.it', preferredPhone: 'mobile', preferredTimeSlot: '08-11' });
    expect(changedFields(before, { ...before })).toEqual([]);
    expect(changedFields(before, { ...before, email: undefined, pec: 'a@pec.example.it' })).toEqual(['email', 'pec']);
  });
});

describe('delegation end', () => {
  it('ends at the midnight in Rome after its last day, summer or winter', () => {
    expect(endOfItalianDay('2026-01-15').toISOString()).toBe('2026-01-15T23:00:00.000Z');
    expect(endOfItalianDay('2026-07-15').toISOString()).toBe('2026-07-15T22:00:00.000Z');
    // The nights the clocks change.
    expect(endOfItalianDay('2026-03-28').toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(endOfItalianDay('2026-03-29').toISOString()).toBe('2026-03-29T22:00:00.000Z');
    expect(endOfItalianDay('2026-10-24').toISOString()).toBe('2026-10-24T22:00:00.000Z');
    expect(endOfItalianDay('2026-10-25').toISOString()).toBe('2026-10-25T23:00:00.000Z');
  });
});

describe('delegation notices', () => {
  const holder = { name: 'Giulia', surname: 'Bianchi' };
  const named = { codiceFiscale: 'RSSMRA80A01H501U', name: 'Mario Rossi' };
  const isoDate = /\d{4}-\d{2}-\d{2}/;

  it('name the other person and give the days as people read them, in both languages', () => {
    const texts = [
      delegationCreatedMessage(holder, 'delegate', { other: named, scope: 'consult', endsOn: '2027-06-30', acceptBy: '2027-01-04T23:00:00.000Z', office: 'Roma Eur' }),
      delegationCreatedMessage(holder, 'delegator', { other: named, scope: 'consult_and_claims', endsOn: '2027-06-30', acceptBy: '2027-01-04T23:00:00.000Z' }),
      delegationCreatedMessage(holder, 'delegate', { other: named, scope: 'consult', endsOn: '2027-06-30' }),
      delegationAcceptedMessage(holder, 'delegator', { other: named, endsOn: '2027-06-30' }),
      delegationAcceptedMessage(holder, 'delegate', { other: named, endsOn: '2027-06-30' }),
      delegationEndedMessage(holder, 'revoked', named),
    ].map((m) => m.text);
    for (const text of texts) {
      expect(text).toContain('Mario Rossi (codice fiscale RSSMRA80A01H501U)');
      expect(text).not.toMatch(isoDate);
    }
    expect(texts[0]).toContain('Mario Rossi (codice fiscale RSSMRA80A01H501U) ti ha delegato presso la sede INPS di Roma Eur');
    expect(texts[0]).toContain('fino al 30 giugno 2027');
    expect(texts[0]).toContain('until 30 June 2027');
    // The deadline is the midnight ending 4 January (Rome): that is the last day to accept.
    expect(texts[0]).toContain('entro il 4 gennaio 2027');
    expect(texts[0]).toContain('by 4 January 2027');
  });

  it('fall back to the codice fiscale when the system has no name', () => {
    const text = delegationEndedMessage(holder, 'expired', { codiceFiscale: 'RSSMRA80A01H501U' }).text;
    expect(text).toContain('la persona con codice fiscale RSSMRA80A01H501U');
    expect(text).toContain('the person with codice fiscale RSSMRA80A01H501U');
  });
});

describe('recovery link and two-channel route', () => {
  it('sends the halves on two different channels, SMS first, PEC before e-mail for the second', () => {
    const base = { preferredPhone: 'mobile' as const, preferredTimeSlot: '08-11' };
    expect(twoChannelRoute({ ...base, mobile: '+39333', email: 'a@x.it', pec: 'a@pec.it' })).toEqual({ first: 'sms', second: 'pec' });
    expect(twoChannelRoute({ ...base, mobile: '+39333', email: 'a@x.it' })).toEqual({ first: 'sms', second: 'email' });
    expect(twoChannelRoute({ ...base, email: 'a@x.it', pec: 'a@pec.it' })).toEqual({ first: 'email', second: 'pec' });
    expect(twoChannelRoute({ ...base, email: 'a@x.it' })).toBeUndefined();
  });

  it('puts the token in the portal link and stores only its SHA-256', () => {
    const token = 'A'.repeat(43);
    expect(recoveryLinkUrl('https://pin.example', token)).toBe(`https://pin.example/portal/recovery/confirm?token=${token}`);
    expect(hashLinkToken(token)).toHaveLength(32);
    expect(hashLinkToken(token).toString('hex')).not.toContain(Buffer.from(token).toString('hex'));
  });
});
