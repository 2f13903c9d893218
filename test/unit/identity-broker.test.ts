/** The identity-broker assertion check, without a database: form, signature, audience, time window. */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../domain/errors';
import { CLOCK_SKEW_SECONDS, identityBrokerPublicKey, verifyAssertion } from '../../services/telephone-pin/identity-broker';
import { generateTelephonePin, normaliseTelephonePin } from '../../services/telephone-pin/telephone-pins';
import { newBrokerKeys, signAssertion } from '../support/identity-broker';

const broker = newBrokerKeys();
const key = identityBrokerPublicKey(broker.publicKeyPem);
const CF = 'RSSMRA58C54Z600J';
const T = 1_800_000_000;
const at = (s: number) => new Date(s * 1000);

function reason(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return (err as DomainError).details.reason as string;
  }
  return undefined;
}

describe('identity-broker assertions', () => {
  it('accepts a fresh assertion and says who the citizen is', () => {
    const token = signAssertion(broker.privateKey, { sub: CF.toLowerCase(), method: 'CNS', iat: T, exp: T + 60, jti: 'jti-000000001' });
    expect(verifyAssertion(token, key, at(T + 10))).toEqual({
      codiceFiscale: CF,
      method: 'CNS',
      assertionId: 'jti-000000001',
      expiresAt: at(T + 60 + CLOCK_SKEW_SECONDS),
    });
  });

  it('accepts an audience list that names us', () => {
    const token = signAssertion(broker.privateKey, { sub: CF, aud: ['other', 'pin-backoffice'], iat: T, exp: T + 60 });
    expect(verifyAssertion(token, key, at(T)).codiceFiscale).toBe(CF);
  });

  it('tolerates a small clock difference, and no more', () => {
    const token = signAssertion(broker.privateKey, { sub: CF, iat: T, exp: T + 60 });
    expect(reason(() => verifyAssertion(token, key, at(T + 60 + CLOCK_SKEW_SECONDS - 1)))).toBeUndefined();
    expect(reason(() => verifyAssertion(token, key, at(T + 60 + CLOCK_SKEW_SECONDS)))).toBe('expired');
    expect(reason(() => verifyAssertion(token, key, at(T - CLOCK_SKEW_SECONDS - 1)))).toBe('not_yet_valid');
  });

  it('refuses other algorithms, critical extensions and malformed claims', () => {
    expect(reason(() => verifyAssertion(signAssertion(broker.privateKey, { sub: CF, iat: T }, { alg: 'HS256' }), key, at(T)))).toBe('algorithm');
    expect(reason(() => verifyAssertion(signAssertion(broker.privateKey, { sub: CF, iat: T }, { alg: 'EdDSA', crit: ['x'] }), key, at(T)))).toBe('algorithm');
    expect(reason(() => verifyAssertion(signAssertion(broker.privateKey, { sub: 'RSSMRA58C54Z600X', iat: T }), key, at(T)))).toBe('malformed');
    expect(reason(() => verifyAssertion(signAssertion(broker.privateKey, { sub: CF, iat: T, jti: 'x' }), key, at(T)))).toBe('malformed');
    expect(reason(() => verifyAssertion('', key, at(T)))).toBe('missing');
    expect(reason(() => verifyAssertion('a.b.c.d', key, at(T)))).toBe('malformed');
  });

  it('takes a PEM with escaped newlines and refuses keys that are not Ed25519', () => {
    expect(identityBrokerPublicKey(broker.publicKeyPem.replace(/\n/g, '\\n')).asymmetricKeyType).toBe('ed25519');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => identityBrokerPublicKey(rsa)).toThrow(/Ed25519/);
    expect(() => identityBrokerPublicKey('not a key')).toThrow(/IDENTITY_BROKER_PUBLIC_KEY/);
  });
});

describe('telephone PIN format', () => {
  it('is 8 digits, typed with or without separators', () => {
    for (let i = 0; i < 100; i++) expect(generateTelephonePin()).toMatch(/^[0-9]{8}$/);
    expect(normaliseTelephonePin('1234 5678')).toBe('12345678');
    expect(normaliseTelephonePin('12-34.56 78')).toBe('12345678');
  });
});
