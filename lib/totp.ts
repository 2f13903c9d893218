/**
 * Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP) for the staff console's second
 * factor: HMAC-SHA-1, 30-second steps, 6 digits, one step of clock drift either way, and no
 * step accepted twice (the caller stores the last accepted step). Written on node:crypto so the
 * whole check is visible here; the RFC test vectors are in test/unit/totp.test.ts.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

const TOTP_STEP_SECONDS = 30;
const TOTP_DIGITS = 6;
/** Steps of drift accepted on each side of the current one. */
const TOTP_WINDOW = 1;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding (what authenticator apps expect in `secret=`). */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

/** Decodes base32, ignoring case, spaces and padding; throws on any other character. */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of clean) {
    const v = BASE32.indexOf(ch);
    if (v < 0) throw new Error('invalid base32');
    buffer = ((buffer << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** A fresh 160-bit secret (the size RFC 4226 recommends for HMAC-SHA-1), base32. */
export function newTotpSecret(): string {
  return base32Encode(randomBytes(20));
}

/** RFC 4226 HOTP: dynamic truncation of HMAC(key, counter) to `digits` decimal digits. */
export function hotp(key: Uint8Array, counter: number, digits = TOTP_DIGITS, algorithm: TotpAlgorithm = 'sha1'): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(msg).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The time step a moment falls in (T in RFC 6238, with T0 = 0). */
export function totpStep(timeMs: number, stepSeconds = TOTP_STEP_SECONDS): number {
  return Math.floor(timeMs / 1000 / stepSeconds);
}

/** The code for a moment. */
export function totpAt(
  key: Uint8Array,
  timeMs: number,
  opts: { digits?: number; algorithm?: TotpAlgorithm; stepSeconds?: number } = {},
): string {
  return hotp(key, totpStep(timeMs, opts.stepSeconds), opts.digits ?? TOTP_DIGITS, opts.algorithm ?? 'sha1');
}

/** What a typed code is at a moment: good (with its step), a code of a step already spent, or wrong. */
export type TotpCheck = { ok: true; step: number } | { ok: false; reason: 'reused' | 'wrong' };

/**
 * Checks a typed code at `timeMs` against the current step and `TOTP_WINDOW` steps either side.
 * A code of a step after `lastStep` is good: the caller must store the returned step as the new
 * `lastStep`. A code of a step up to `lastStep` (already spent: the very code accepted before, or
 * an older one) is `reused`; anything else is `wrong`. Every candidate is compared in constant
 * time, so the answer's timing does not tell which step matched.
 */
export function checkTotp(key: Uint8Array, code: string, timeMs: number, lastStep: number): TotpCheck {
  const typed = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(typed)) return { ok: false, reason: 'wrong' };
  const now = totpStep(timeMs);
  let matched: number | undefined;
  let spent = false;
  for (let step = now - TOTP_WINDOW; step <= now + TOTP_WINDOW; step++) {
    const equal = timingSafeEqual(Buffer.from(hotp(key, step)), Buffer.from(typed));
    if (equal && step > lastStep && matched === undefined) matched = step;
    if (equal && step <= lastStep) spent = true;
  }
  if (matched !== undefined) return { ok: true, step: matched };
  return { ok: false, reason: spent ? 'reused' : 'wrong' };
}

/** `checkTotp` as the matching step, or `undefined` for a reused or wrong code. */
export function verifyTotp(key: Uint8Array, code: string, timeMs: number, lastStep: number): number | undefined {
  const check = checkTotp(key, code, timeMs, lastStep);
  return check.ok ? check.step : undefined;
}

/** The `otpauth://` URI an authenticator app imports (as a QR code or pasted). */
export function otpauthUri(opts: { issuer: string; account: string; secret: string }): string {
  const label = `${encodeURIComponent(opts.issuer)}:${encodeURIComponent(opts.account)}`;
  const params = new URLSearchParams({
    secret: opts.secret,
    issuer: opts.issuer,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_STEP_SECONDS),
  });
  return `otpauth://totp/${label}?${params.toString().replace(/\+/g, '%20')}`;
}
