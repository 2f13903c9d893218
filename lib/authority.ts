/**
 * Authority that cannot be forged through Temporal. Whoever can reach the Temporal frontend can
 * send a workflow any update or signal; what a command claims about who sends it (a clerk's id
 * and role) is therefore only believed when it carries a grant: an HMAC, made by the API after it
 * authenticated the staff member, over the actor, role, target, action and time, with a key
 * derived from the secrets key — which the API and the worker hold and the Temporal server never
 * sees. The first activity of the command checks it before anything is written
 * (docs/decisions/0018-threat-model.md).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { KeyRing } from './secrets';

/** What a grant vouches for. */
export interface AuthorityClaim {
  actor: string;
  role: string;
  /** The workflow's subject (a review case id, a credential id). */
  target: string;
  action: string;
  /** A decision or other detail the actor chose, when the action has one. */
  detail?: string;
}

export interface AuthorityGrant {
  keyId: number;
  issuedAt: string;
  mac: string;
}

/** How long after it was made a grant is accepted (activity retries included). */
export const GRANT_LIFETIME_MS = 60 * 60_000;

function keyOf(ring: KeyRing, keyId: number): Buffer | undefined {
  const secret = ring.keys.get(keyId);
  return secret && createHmac('sha256', secret).update('authority-grant-v1').digest();
}

function macOf(key: Buffer, claim: AuthorityClaim, issuedAt: string): Buffer {
  const parts = [claim.actor, claim.role, claim.target, claim.action, claim.detail ?? '', issuedAt];
  return createHmac('sha256', key).update(parts.map((p) => `${Buffer.byteLength(p)}:${p}`).join('')).digest();
}

export function grantAuthority(ring: KeyRing, claim: AuthorityClaim, now = new Date()): AuthorityGrant {
  const issuedAt = now.toISOString();
  return { keyId: ring.currentId, issuedAt, mac: macOf(keyOf(ring, ring.currentId)!, claim, issuedAt).toString('base64url') };
}

/** True when `grant` was made by a holder of the key for exactly `claim`, and is still fresh. */
export function grantHolds(ring: KeyRing, claim: AuthorityClaim, grant: AuthorityGrant | undefined, now = new Date()): boolean {
  if (!grant || typeof grant.mac !== 'string' || typeof grant.issuedAt !== 'string') return false;
  const key = keyOf(ring, grant.keyId);
  const issued = Date.parse(grant.issuedAt);
  if (!key || Number.isNaN(issued) || now.getTime() - issued > GRANT_LIFETIME_MS || issued - now.getTime() > 60_000) return false;
  const given = Buffer.from(grant.mac, 'base64url');
  const expected = macOf(key, claim, grant.issuedAt);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
