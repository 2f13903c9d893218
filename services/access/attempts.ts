/**
 * Failed PIN attempts: the lockout rules (pure), their storage with row locks, and the
 * per-client-address throttle.
 *
 * Rules (docs/decisions/0005-login-lockout.md):
 * - failures are counted per credential, consecutively; a success resets the count, a new PIN
 *   does not (the counter belongs to the credential, not to a PIN version);
 * - from the 3rd consecutive failure the credential is locked for a growing wait: 1 min after the
 *   3rd, 5 min after the 4th, 15 min after the 5th, 1 h after the 6th and every later one;
 * - at the 100th consecutive failure the lock is permanent: only revocation (then a new request)
 *   ends it — recovery keeps the counter (issue #6) — and a correct PIN is refused meanwhile;
 * - an attempt made while locked is refused without checking the PIN and does not count.
 *
 * The DB functions take a client inside the caller's transaction: `assertNotLocked` locks the
 * counter row (`SELECT … FOR UPDATE`, creating it when missing) so concurrent attempts on one
 * credential are decided one after another, and the caller then calls `recordFailure` or
 * `recordSuccess` before committing.
 */
import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import type { Pool, PoolClient } from '../../lib/db';
import { audit } from '../../lib/audit';
import { DomainError, ErrorType, type Bilingual } from '../../domain/errors';

// ---------------------------------------------------------------------------------------------
// Rules

export interface LockoutPolicy {
  /** The consecutive failure that starts the first temporary lock. */
  lockAfter: number;
  /** Waits after failure number `lockAfter`, `lockAfter + 1`, …; the last one repeats. */
  waitsMs: readonly number[];
  /** The consecutive failure that locks for good. */
  permanentAfter: number;
}

const MINUTE = 60_000;
export const DEFAULT_LOCKOUT_POLICY: LockoutPolicy = Object.freeze({
  lockAfter: 3,
  waitsMs: Object.freeze([1 * MINUTE, 5 * MINUTE, 15 * MINUTE, 60 * MINUTE]),
  permanentAfter: 100,
});

export interface AccessCounters {
  consecutiveFailures: number;
  lockedUntil: Date | null;
  permanentlyLockedAt: Date | null;
}

export const NO_FAILURES: AccessCounters = Object.freeze({ consecutiveFailures: 0, lockedUntil: null, permanentlyLockedAt: null });

export type LockStatus =
  | { locked: false }
  | { locked: 'temporary'; until: Date; retryAfterSeconds: number }
  | { locked: 'permanent'; since: Date };

export function lockStatus(c: AccessCounters, now: Date): LockStatus {
  if (c.permanentlyLockedAt) return { locked: 'permanent', since: c.permanentlyLockedAt };
  if (c.lockedUntil && c.lockedUntil.getTime() > now.getTime()) {
    return { locked: 'temporary', until: c.lockedUntil, retryAfterSeconds: Math.max(1, Math.ceil((c.lockedUntil.getTime() - now.getTime()) / 1000)) };
  }
  return { locked: false };
}

/** The wait imposed after the `n`-th consecutive failure: 0 = none, Infinity = permanent. */
export function waitAfterFailures(n: number, policy: LockoutPolicy = DEFAULT_LOCKOUT_POLICY): number {
  if (n >= policy.permanentAfter) return Infinity;
  if (n < policy.lockAfter || policy.waitsMs.length === 0) return 0;
  return policy.waitsMs[Math.min(n - policy.lockAfter, policy.waitsMs.length - 1)]!;
}

/** The counters after one more failure at `now` (the caller has checked there was no lock). */
export function afterFailure(c: AccessCounters, now: Date, policy: LockoutPolicy = DEFAULT_LOCKOUT_POLICY): AccessCounters {
  const consecutiveFailures = c.consecutiveFailures + 1;
  const wait = waitAfterFailures(consecutiveFailures, policy);
  if (wait === Infinity) return { consecutiveFailures, lockedUntil: null, permanentlyLockedAt: c.permanentlyLockedAt ?? now };
  return { consecutiveFailures, lockedUntil: wait > 0 ? new Date(now.getTime() + wait) : null, permanentlyLockedAt: c.permanentlyLockedAt };
}

/** A success clears the count and any temporary lock; it never lifts a permanent one. */
export function afterSuccess(c: AccessCounters): AccessCounters {
  return { consecutiveFailures: 0, lockedUntil: null, permanentlyLockedAt: c.permanentlyLockedAt };
}

const LOCKED_TEMPORARILY = {
  it: 'Troppi tentativi non riusciti: l’accesso è sospeso per qualche minuto. Riprova più tardi.',
  en: 'Too many unsuccessful attempts: access is suspended for a few minutes. Please try again later.',
};
const LOCKED_PERMANENTLY = {
  it: 'Accesso bloccato dopo troppi tentativi non riusciti. Lo sblocca il ripristino del PIN (con due dei recapiti registrati) o l’identificazione tramite il Contact center, che rilasciano un nuovo PIN; in alternativa la revoca e una nuova richiesta.',
  en: 'Access is blocked after too many unsuccessful attempts. A recovery of the PIN (with two of the registered contacts) or an identification through the contact centre unblocks it and issues a new PIN; otherwise, revocation and a new request.',
};

/**
 * Thrown by `assertNotLocked`. A temporary lock is RATE_LIMITED (429, `retryAfterSeconds` for the
 * Retry-After header), a permanent one FORBIDDEN (403); `details.reason` says which. It says
 * nothing about the PIN, and identifiers without a credential lock the same way.
 */
export class CredentialLockedError extends DomainError {
  constructor(readonly lock: Exclude<LockStatus, { locked: false }>) {
    super(
      lock.locked === 'temporary' ? ErrorType.RateLimited : ErrorType.Forbidden,
      lock.locked === 'temporary' ? LOCKED_TEMPORARILY : LOCKED_PERMANENTLY,
      [],
      lock.locked === 'temporary'
        ? { reason: 'TEMPORARILY_LOCKED', retryAfterSeconds: lock.retryAfterSeconds }
        : { reason: 'PERMANENTLY_LOCKED' },
    );
    this.name = 'CredentialLockedError';
  }

  get retryAfterSeconds(): number | undefined {
    return this.lock.locked === 'temporary' ? this.lock.retryAfterSeconds : undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Storage

/** What a failure left behind, JSON-safe (it goes into audit details as is). No secret. */
export interface FailureOutcome {
  consecutiveFailures: number;
  /** ISO time, or null when this failure did not start a temporary lock. */
  lockedUntil: string | null;
  permanentlyLocked: boolean;
}

interface CounterRow {
  consecutive_failures: number;
  locked_until: Date | null;
  permanently_locked_at: Date | null;
}

const toCounters = (r: CounterRow | undefined): AccessCounters =>
  r ? { consecutiveFailures: r.consecutive_failures, lockedUntil: r.locked_until, permanentlyLockedAt: r.permanently_locked_at } : { ...NO_FAILURES };

/** A counter row: one per credential, or one per identifier that has no live credential. */
interface Target {
  table: 'credential_access' | 'login_identifier_access';
  key: 'credential_id' | 'id_hash';
  type: 'uuid' | 'bytea';
  value: string | Buffer;
}
const credentialTarget = (credentialId: string): Target => ({ table: 'credential_access', key: 'credential_id', type: 'uuid', value: credentialId });
const identifierTarget = (idHash: Buffer): Target => ({ table: 'login_identifier_access', key: 'id_hash', type: 'bytea', value: idHash });

/** Locks the counter row for the rest of the transaction, creating it first when missing. */
async function lockCounters(client: PoolClient, t: Target): Promise<AccessCounters> {
  const select = `SELECT consecutive_failures, locked_until, permanently_locked_at FROM ${t.table} WHERE ${t.key} = $1::${t.type} FOR UPDATE`;
  let { rows } = await client.query<CounterRow>(select, [t.value]);
  if (!rows[0]) {
    await client.query(`INSERT INTO ${t.table} (${t.key}) VALUES ($1::${t.type}) ON CONFLICT DO NOTHING`, [t.value]);
    ({ rows } = await client.query<CounterRow>(select, [t.value]));
  }
  return toCounters(rows[0]);
}

async function assertTargetNotLocked(client: PoolClient, t: Target, now: Date): Promise<AccessCounters> {
  const counters = await lockCounters(client, t);
  const status = lockStatus(counters, now);
  if (status.locked) throw new CredentialLockedError(status);
  return counters;
}

async function recordTargetFailure(client: PoolClient, t: Target, now: Date, policy: LockoutPolicy): Promise<FailureOutcome> {
  const next = afterFailure(await lockCounters(client, t), now, policy);
  await client.query(
    `UPDATE ${t.table} SET consecutive_failures = $2::int, locked_until = $3::timestamptz, permanently_locked_at = $4::timestamptz, last_failure_at = $5::timestamptz
      WHERE ${t.key} = $1::${t.type}`,
    [t.value, next.consecutiveFailures, next.lockedUntil, next.permanentlyLockedAt, now],
  );
  return { consecutiveFailures: next.consecutiveFailures, lockedUntil: next.lockedUntil?.toISOString() ?? null, permanentlyLocked: next.permanentlyLockedAt !== null };
}

async function recordTargetSuccess(client: PoolClient, t: Target, now: Date): Promise<void> {
  // Never touches permanently_locked_at: a permanent lock outlives a correct PIN.
  await client.query(
    `INSERT INTO ${t.table} (${t.key}, last_success_at) VALUES ($1::${t.type}, $2::timestamptz)
     ON CONFLICT (${t.key}) DO UPDATE SET consecutive_failures = 0, locked_until = NULL, last_success_at = EXCLUDED.last_success_at`,
    [t.value, now],
  );
}

/**
 * Inside the caller's transaction: locks the credential's counter row (creating it) and throws
 * `CredentialLockedError` when a temporary or permanent lock holds at `now`.
 */
export async function assertNotLocked(client: PoolClient, credentialId: string, now: Date): Promise<AccessCounters> {
  return assertTargetNotLocked(client, credentialTarget(credentialId), now);
}

/** Inside the caller's transaction: one more consecutive failure, and the lock it starts. */
export async function recordFailure(client: PoolClient, credentialId: string, now: Date, policy: LockoutPolicy = DEFAULT_LOCKOUT_POLICY): Promise<FailureOutcome> {
  return recordTargetFailure(client, credentialTarget(credentialId), now, policy);
}

/** Inside the caller's transaction (after `assertNotLocked`): resets the consecutive count. */
export async function recordSuccess(client: PoolClient, credentialId: string, now: Date): Promise<void> {
  await recordTargetSuccess(client, credentialTarget(credentialId), now);
}

/**
 * Identifiers with no live credential (an unknown codice fiscale) have counters of their own,
 * keyed by a keyed hash, and lock exactly like credentials, so a lock answer never tells
 * whether a codice fiscale holds a PIN.
 */
export function identifierHash(pepper: Buffer, codiceFiscale: string): Buffer {
  return createHmac('sha256', pepper).update('login-identifier\u0000').update(codiceFiscale).digest();
}

export async function assertIdentifierNotLocked(client: PoolClient, idHash: Buffer, now: Date): Promise<AccessCounters> {
  return assertTargetNotLocked(client, identifierTarget(idHash), now);
}

export async function recordIdentifierFailure(client: PoolClient, idHash: Buffer, now: Date, policy: LockoutPolicy = DEFAULT_LOCKOUT_POLICY): Promise<FailureOutcome> {
  return recordTargetFailure(client, identifierTarget(idHash), now, policy);
}

// ---------------------------------------------------------------------------------------------
// Per-client-address throttle

export interface ThrottleOptions {
  /** Attempts an address may make at once. */
  burst: number;
  /** Attempts regained per minute. */
  perMinute: number;
  /** Addresses remembered; beyond it the ones with a full bucket (then the oldest) are dropped. */
  maxAddresses: number;
}

export const DEFAULT_THROTTLE_OPTIONS: ThrottleOptions = Object.freeze({ burst: 20, perMinute: 20, maxAddresses: 100_000 });

export type ThrottleDecision =
  | { allowed: true }
  | {
      allowed: false;
      retryAfterSeconds: number;
      /** True for the first refusal of an address in a minute: audit that one, count the rest. */
      audit: boolean;
      /** Refusals not audited since the last audited one. */
      suppressed: number;
    };

interface Bucket {
  tokens: number;
  at: number;
  auditedAt: number;
  suppressed: number;
}

/**
 * The key an address is throttled under: IPv4 as is (IPv4-mapped IPv6 unwrapped), IPv6 by its
 * /64 prefix, since one subscriber usually holds a whole /64.
 */
export function clientKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/**
 * A token bucket per address, in memory (per API instance; with N instances behind a balancer
 * an address gets at most N times the rate, which the per-credential lock does not depend on).
 * Every attempt takes a token; a successful login gives it back, so an office whose many users
 * log in correctly from one address is not slowed down, while guessing is.
 */
export class AddressThrottle {
  private readonly buckets = new Map<string, Bucket>();
  private readonly ratePerMs: number;

  constructor(
    private readonly opts: ThrottleOptions = DEFAULT_THROTTLE_OPTIONS,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.ratePerMs = opts.perMinute / MINUTE;
  }

  private bucket(key: string, t: number): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.opts.maxAddresses) this.evict(t);
      b = { tokens: this.opts.burst, at: t, auditedAt: -Infinity, suppressed: 0 };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.opts.burst, b.tokens + Math.max(0, t - b.at) * this.ratePerMs);
      b.at = t;
    }
    return b;
  }

  private evict(t: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + Math.max(0, t - b.at) * this.ratePerMs >= this.opts.burst) this.buckets.delete(key);
    }
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < this.opts.maxAddresses) break;
      this.buckets.delete(key);
    }
  }

  take(ip: string | undefined): ThrottleDecision {
    const t = this.now().getTime();
    const b = this.bucket(clientKey(ip), t);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true };
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - b.tokens) / this.ratePerMs / 1000));
    if (t - b.auditedAt >= MINUTE) {
      const suppressed = b.suppressed;
      b.auditedAt = t;
      b.suppressed = 0;
      return { allowed: false, retryAfterSeconds, audit: true, suppressed };
    }
    b.suppressed++;
    return { allowed: false, retryAfterSeconds, audit: false, suppressed: b.suppressed };
  }

  /** Gives back the token of an attempt that succeeded. */
  refund(ip: string | undefined): void {
    const b = this.buckets.get(clientKey(ip));
    if (b) b.tokens = Math.min(this.opts.burst, b.tokens + 1);
  }

  get size(): number {
    return this.buckets.size;
  }
}

const THROTTLED: Bilingual = {
  it: 'Troppi tentativi da questo indirizzo: riprova tra poco.',
  en: 'Too many attempts from this address: please try again shortly.',
};

/**
 * A per-address limit for a public endpoint that checks identity data: `take(req, action)`
 * passes (`take.refund(ip)` gives a try back), or throws RATE_LIMITED (reason THROTTLED, `retryAfterSeconds`), auditing the first
 * refusal of an address in a minute and counting the rest.
 */
export function sourceLimiter(pool: Pool, options: ThrottleOptions = DEFAULT_THROTTLE_OPTIONS, now: () => Date = () => new Date()) {
  const throttle = new AddressThrottle(options, now);
  async function take(req: { ip?: string }, action: string): Promise<void> {
    const decision = throttle.take(req.ip);
    if (decision.allowed) return;
    if (decision.audit) {
      await audit(pool, { actor: `ip:${req.ip ?? 'unknown'}`, action, subject: 'unknown', decision: 'throttled', detail: { refusedSinceLastAudit: decision.suppressed } });
    }
    throw new DomainError(ErrorType.RateLimited, THROTTLED, [], { reason: 'THROTTLED', retryAfterSeconds: decision.retryAfterSeconds });
  }
  /** Gives the try back (a success that should not count against the address). */
  return Object.assign(take, { refund: (ip: string | undefined) => throttle.refund(ip) });
}
