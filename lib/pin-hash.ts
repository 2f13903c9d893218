/**
 * argon2id for the long-lived 8-character PIN (and any low-entropy secret a person chooses or
 * keeps): m = 19 MiB, t = 2, p = 1, plus a pepper passed as argon2's secret input, so a stolen
 * database alone cannot be brute-forced. Hashing runs on libuv's thread pool, off the event loop.
 */
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
