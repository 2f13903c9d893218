/**
 * The pure parts of login: lockout rules, the per-address throttle and the services catalogue.
 */
import { describe, expect, it } from 'vitest';
import { AddressThrottle, NO_FAILURES, afterFailure, afterSuccess, clientKey, lockStatus, waitAfterFailures, type AccessCounters } from '../../services/access/attempts';
import { COVID_BONUS_CLAIM_TYPES, SERVICES, normaliseProfile, catalogueFor, servicesFor, type SessionForServices } from '../../domain/services';

const MIN = 60_000;

describe('lockout rules', () => {
  it('waits 0, 0, 1 min, 5 min, 15 min, then 1 h, and for good at the 100th failure', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50, 99].map((n) => waitAfterFailures(n))).toEqual([0, 0, MIN, 5 * MIN, 15 * MIN, 60 * MIN, 60 * MIN, 60 * MIN, 60 * MIN]);
    expect(waitAfterFailures(100)).toBe(Infinity);
  });

  it('counts failures into a temporary then a permanent lock; a success resets all but the permanent lock', () => {
    const t = new Date('2026-01-01T10:00:00Z');
    let c: AccessCounters = NO_FAILURES;
    for (let i = 0; i < 3; i++) c = afterFailure(c, t);
    expect(c.lockedUntil).toEqual(new Date(t.getTime() + MIN));
    expect(lockStatus(c, t)).toEqual({ locked: 'temporary', until: c.lockedUntil, retryAfterSeconds: 60 });
    expect(lockStatus(c, new Date(t.getTime() + MIN))).toEqual({ locked: false });
    expect(afterSuccess(c)).toEqual(NO_FAILURES);
    for (let i = 3; i < 100; i++) c = afterFailure(c, t);
    expect(c.consecutiveFailures).toBe(100);
    expect(lockStatus(c, new Date(t.getTime() + 365 * 24 * 60 * MIN)).locked).toBe('permanent');
    expect(afterSuccess(c).permanentlyLockedAt).toEqual(t);
  });
});

describe('per-address throttle', () => {
  it('allows a burst, refuses with Retry-After, refills with time and gives back successes', () => {
    let now = 0;
    const th = new AddressThrottle({ burst: 3, perMinute: 6, maxAddresses: 10 }, () => new Date(now));
    expect([1, 2, 3].map(() => th.take('192.0.2.1').allowed)).toEqual([true, true, true]);
    const refused = th.take('192.0.2.1');
    expect(refused).toMatchObject({ allowed: false, retryAfterSeconds: 10, audit: true });
    expect(th.take('192.0.2.1')).toMatchObject({ allowed: false, audit: false, suppressed: 1 });
    expect(th.take('192.0.2.2').allowed).toBe(true);
    now += 10_000;
    expect(th.take('192.0.2.1').allowed).toBe(true);
    th.refund('192.0.2.1');
    expect(th.take('192.0.2.1').allowed).toBe(true);
  });

  it('keys IPv6 by /64 and unwraps IPv4-mapped addresses', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(clientKey('203.0.113.9')).toBe('203.0.113.9');
  });

  it('forgets addresses beyond its bound', () => {
    const th = new AddressThrottle({ burst: 2, perMinute: 1, maxAddresses: 5 }, () => new Date(0));
    for (let i = 0; i < 50; i++) th.take(`198.51.100.${i}`);
    expect(th.size).toBeLessThanOrEqual(5);
  });
});

describe('services catalogue', () => {
  const session = (s: Partial<SessionForServices>): SessionForServices => ({ scope: 'ordinary', profile: { category: 'citizen' }, intermediary: false, ...s });
  const ids = (s: Partial<SessionForServices>, catalogue = { covidBonuses: true }) => servicesFor(session(s), catalogue).map((x) => x.id);

  it('offers the COVID bonuses only while the simplified procedure is on', () => {
    const worker = { profile: { category: 'employee', scheme: 'private' } } as const;
    const on = ids(worker, catalogueFor({ simplifiedProcedure: true }));
    const off = ids(worker, catalogueFor({ simplifiedProcedure: false }));
    const bonuses = (list: string[]) => list.filter((id) => (COVID_BONUS_CLAIM_TYPES as readonly string[]).includes(id));
    expect(bonuses(on).length).toBeGreaterThan(0);
    expect(bonuses(off)).toEqual([]);
    expect(off).toEqual(on.filter((id) => !bonuses(on).includes(id)));
  });

  it('has unique ids and lists every COVID bonus claim type as a simplified-scope claim', () => {
    expect(new Set(SERVICES.map((s) => s.id)).size).toBe(SERVICES.length);
    for (const id of COVID_BONUS_CLAIM_TYPES) expect(SERVICES.find((s) => s.id === id)).toMatchObject({ kind: 'claim', minimumScope: 'simplified-bonus' });
  });

  it('scopes by profile and scheme', () => {
    const pensioner = ids({ profile: { category: 'pensioner', scheme: 'private' } });
    expect(pensioner).toContain('pension-statement');
    expect(pensioner).not.toContain('contribution-statement');
    expect(ids({ profile: { category: 'employee', scheme: 'private' } })).toContain('contribution-statement');
    expect(ids({ profile: { category: 'employee', scheme: 'public' } })).not.toContain('contribution-statement');
    expect(ids({ profile: { category: 'employee', scheme: 'public' } })).toContain('contribution-statement-public');
  });

  it('lets only dispositivo request benefits, and the simplified scope only the COVID bonuses', () => {
    const employee = { profile: { category: 'employee' as const, scheme: 'private' as const } };
    expect(ids({ ...employee, scope: 'ordinary' })).not.toContain('unemployment-naspi');
    expect(ids({ ...employee, scope: 'dispositivo' })).toContain('unemployment-naspi');
    const simplified = ids({ ...employee, scope: 'simplified' });
    expect(simplified.length).toBeGreaterThan(0);
    expect(simplified.every((id) => (COVID_BONUS_CLAIM_TYPES as readonly string[]).includes(id))).toBe(true);
  });

  it('reads stored profiles leniently', () => {
    expect(normaliseProfile({})).toEqual({ profile: { category: 'citizen' }, intermediary: false });
    expect(normaliseProfile({ category: 'pensioner' })).toEqual({ profile: { category: 'pensioner', scheme: 'private' }, intermediary: false });
    expect(normaliseProfile({ category: 'employee', scheme: 'public', intermediary: true })).toEqual({ profile: { category: 'employee', scheme: 'public' }, intermediary: true });
    expect(ids({ intermediary: true })).toContain('intermediary-desk');
    expect(ids({ intermediary: false })).not.toContain('intermediary-desk');
  });
});
