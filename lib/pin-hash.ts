/**
 * argon2id for the long-lived 8-character PIN (and any low-entropy secret a person chooses or
 * keeps): m = 19 MiB, t = 2, p = 1, plus a pepper passed as argon2's secret input, so a stolen
 * database alone cannot be brute-forced. Hashing runs on libuv's thread pool, off the event loop.
 */
import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/** `Algorithm.Argon2id` (a const enum the compiler cannot inline across modules here). */
const ARGON2ID = 2;

const PIN_HASH_PARAMS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export async function hashPin(pepper: Buffer, pin: string): Promise<string> {
  return hash(pin, { ...PIN_HASH_PARAMS, secret: pepper });
}

export async function verifyPin(pepper: Buffer, stored: string, pin: string): Promise<boolean> {
  return verify(stored, pin, { secret: pepper });
}

/** An argon2 hash of a random PIN under its own random pepper: what decoy verifications check. */
const DECOY_PEPPER = randomBytes(32);
let decoyHash: Promise<string> | undefined;

/**
 * One argon2 verification against a hash of nothing: the cost of checking a PIN, for nobody, so
 * a path without a real hash to check takes as long as one with it.
 */
export async function decoyVerification(pin: string): Promise<void> {
  await verifyPin(DECOY_PEPPER, await prepareDecoy(), pin).catch(() => false);
}

/** Makes the decoy hash now (a service calls it when built), so the first decoy costs no extra hash. */
export function prepareDecoy(): Promise<string> {
  decoyHash ??= hashPin(DECOY_PEPPER, randomBytes(16).toString('base64url'));
  decoyHash.catch(() => undefined);
  return decoyHash;
}
