/**
 * TOTP (RFC 6238) and HOTP (RFC 4226) against the RFCs' own test vectors, and the console's
 * acceptance rules: ±1 step of drift, nothing older, no step used twice.
 */
import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, newTotpSecret, otpauthUri, totpAt, totpStep, checkTotp, verifyTotp } from '../../lib/totp';

const SEED_SHA1 = Buffer.from('12345678901234567890', 'ascii');
const SEED_SHA256 = Buffer.from('12345678901234567890123456789012', 'ascii');
const SEED_SHA512 = Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii');

describe('HOTP (RFC 4226 appendix D)', () => {
  it('gives the ten published values', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expect(expected.map((_, counter) => hotp(SEED_SHA1, counter))).toEqual(expected);
  });
});

describe('TOTP (RFC 6238 appendix B)', () => {
  const vectors: [number, string, string, string][] = [
    [59, '94287082', '46119246', '90693936'],
    [1111111109, '07081804', '68084774', '25091201'],
    [1111111111, '14050471', '67062674', '99943326'],
    [1234567890, '89005924', '91819424', '93441116'],
    [2000000000, '69279037', '90698825', '38618901'],
    [20000000000, '65353130', '77737706', '47863826'],
  ];
  it.each(vectors)('at T=%i s: SHA1 %s, SHA256 %s, SHA512 %s', (seconds, sha1, sha256, sha512) => {
    const ms = seconds * 1000;
    expect(totpAt(SEED_SHA1, ms, { digits: 8, algorithm: 'sha1' })).toBe(sha1);
    expect(totpAt(SEED_SHA256, ms, { digits: 8, algorithm: 'sha256' })).toBe(sha256);
    expect(totpAt(SEED_SHA512, ms, { digits: 8, algorithm: 'sha512' })).toBe(sha512);
  });

  it('uses 6 digits and 30-second steps by default (the last 6 digits of the SHA1 vector)', () => {
    expect(totpAt(SEED_SHA1, 59_000)).toBe('287082');
    expect(totpStep(59_000)).toBe(1);
    expect(totpStep(60_000)).toBe(2);
  });
});

describe('verifyTotp', () => {
  const key = SEED_SHA1;
  const at = 1_700_000_000_000;
  const step = totpStep(at);

  it('accepts the current step and one step either side, and returns the step matched', () => {
    expect(verifyTotp(key, totpAt(key, at), at, 0)).toBe(step);
    expect(verifyTotp(key, totpAt(key, at - 30_000), at, 0)).toBe(step - 1);
    expect(verifyTotp(key, totpAt(key, at + 30_000), at, 0)).toBe(step + 1);
  });

  it('refuses codes two steps away, malformed codes and another key’s code', () => {
    expect(verifyTotp(key, totpAt(key, at - 60_000), at, 0)).toBeUndefined();
    expect(verifyTotp(key, totpAt(key, at + 60_000), at, 0)).toBeUndefined();
    expect(verifyTotp(key, '12345', at, 0)).toBeUndefined();
    expect(verifyTotp(key, 'abcdef', at, 0)).toBeUndefined();
    expect(verifyTotp(SEED_SHA256, totpAt(key, at), at, 0)).toBeUndefined();
  });

  it('never accepts a step again, nor one older than the last accepted', () => {
    const code = totpAt(key, at);
    const accepted = verifyTotp(key, code, at, 0)!;
    expect(verifyTotp(key, code, at, accepted)).toBeUndefined();
    expect(verifyTotp(key, totpAt(key, at - 30_000), at, accepted)).toBeUndefined();
    // The next step's code is still good.
    expect(verifyTotp(key, totpAt(key, at + 30_000), at, accepted)).toBe(step + 1);
  });

  it('ignores spaces the user types', () => {
    const code = totpAt(key, at);
    expect(verifyTotp(key, `${code.slice(0, 3)} ${code.slice(3)}`, at, 0)).toBe(step);
  });
});

describe('checkTotp', () => {
  const key = SEED_SHA1;
  const at = 1_700_000_000_000;
  const step = totpStep(at);

  it('tells a spent code (the one accepted, or an older one in the window) from a wrong one', () => {
    const code = totpAt(key, at);
    expect(checkTotp(key, code, at, 0)).toEqual({ ok: true, step });
    expect(checkTotp(key, code, at, step)).toEqual({ ok: false, reason: 'reused' });
    expect(checkTotp(key, totpAt(key, at - 30_000), at, step)).toEqual({ ok: false, reason: 'reused' });
    expect(checkTotp(key, totpAt(key, at + 30_000), at, step)).toEqual({ ok: true, step: step + 1 });
  });

  it('calls wrong what matches no step of the window, spent or not', () => {
    expect(checkTotp(key, totpAt(key, at - 60_000), at, step)).toEqual({ ok: false, reason: 'wrong' });
    expect(checkTotp(SEED_SHA256, totpAt(key, at), at, step)).toEqual({ ok: false, reason: 'wrong' });
    expect(checkTotp(key, 'abcdef', at, step)).toEqual({ ok: false, reason: 'wrong' });
  });
});

describe('base32 and enrolment', () => {
  it('round-trips and matches RFC 4648 examples', () => {
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    expect(base32Decode('MZXW6YTBOI======').toString()).toBe('foobar');
    expect(base32Decode('mzxw 6ytb oi').toString()).toBe('foobar');
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Encode(base32Decode(secret))).toBe(secret);
    expect(() => base32Decode('not base32!')).toThrow();
  });

  it('builds the otpauth URI authenticator apps import', () => {
    const uri = new URL(otpauthUri({ issuer: 'INPS PIN Console', account: 'mario.rossi', secret: 'JBSWY3DPEHPK3PXP' }));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/INPS PIN Console:mario.rossi');
    expect(Object.fromEntries(uri.searchParams)).toEqual({ secret: 'JBSWY3DPEHPK3PXP', issuer: 'INPS PIN Console', algorithm: 'SHA1', digits: '6', period: '30' });
  });
});
