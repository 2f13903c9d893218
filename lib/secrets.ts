/**
 * Secret material: generation, keyed hashing and encryption at rest. Used only inside
 * activities; nothing here is ever returned to a workflow.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/** No 0/O, 1/I/L: a PIN is read off paper and typed by hand. */
export const PIN_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

/** A PIN of `length` characters drawn uniformly (rejection-free) from the unambiguous alphabet. */
export function generatePin(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += PIN_ALPHABET[randomInt(PIN_ALPHABET.length)];
  return out;
}

/** Canonical form of a typed PIN: spaces and dashes dropped, upper case. */
export function normalisePin(typed: string): string {
  return typed.replace(/[\s-]/g, '').toUpperCase();
}

export function newSalt(): Buffer {
  return randomBytes(16);
}

/**
 * Keyed hash of a high-entropy, short-lived secret (a half of the initial PIN, a link token):
 * HMAC-SHA-256 under a pepper kept outside the database, over a per-row salt and a label, so
 * the two halves of one PIN hash differently even if they are equal.
 */
export function keyedHash(pepper: Buffer, salt: Buffer, label: string, secret: string): Buffer {
  return createHmac('sha256', pepper).update(salt).update(`\u0000${label}\u0000`).update(secret).digest();
}

export function keyedHashMatches(pepper: Buffer, salt: Buffer, label: string, secret: string, expected: Buffer): boolean {
  const actual = keyedHash(pepper, salt, label, secret);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A set of AES-256-GCM keys by id; the current one encrypts, any of them decrypts. */
export interface KeyRing {
  currentId: number;
  keys: Map<number, Buffer>;
}

const FORMAT_VERSION = 1;

/** version(1) | keyId(1) | iv(12) | tag(16) | ciphertext. `aad` binds the ciphertext to its row. */
export function encryptSecret(ring: KeyRing, plaintext: string, aad: string): Buffer {
  const key = ring.keys.get(ring.currentId);
  if (!key) throw new Error('current secrets key missing from key ring');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT_VERSION, ring.currentId]), iv, cipher.getAuthTag(), body]);
}

export function decryptSecret(ring: KeyRing, blob: Buffer, aad: string): string {
  if (blob[0] !== FORMAT_VERSION) throw new Error('unknown secret format');
  const key = ring.keys.get(blob[1]!);
  if (!key) throw new Error(`secrets key ${blob[1]} not configured`);
  const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(2, 14));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(blob.subarray(14, 30));
  return Buffer.concat([decipher.update(blob.subarray(30)), decipher.final()]).toString('utf8');
}

/** SHA-256 of a link token: the only form in which a token is stored. */
export const hashLinkToken = (token: string): Buffer => createHash('sha256').update(token).digest();
