/**
 * The pure parts of staff access: the CSRF token derived from a console session, the lock
 * schedule after failed logins, generated passwords, account fields, and where a login may send
 * the browser back to.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { csrfMatches, csrfTokenFor, staffLockDurationMs, STAFF_FIRST_LOCK_MS, STAFF_MAX_LOCK_MS } from '../../services/staff/sessions';
import { generateStaffPassword, normaliseUsername, parseNewStaffAccount } from '../../services/staff/accounts';
import { safeNext } from '../../console/shared';
import { DomainError } from '../../domain/errors';

const token = () => randomBytes(32).toString('base64url');

describe('console CSRF token', () => {
  it('is derived from the session token: stable for it, different for another, never the token itself', () => {
    const a = token();
    const b = token();
    expect(csrfTokenFor(a)).toBe(csrfTokenFor(a));
    expect(csrfTokenFor(a)).not.toBe(csrfTokenFor(b));
    expect(csrfTokenFor(a)).not.toBe(a);
    expect(csrfTokenFor(a)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('matches only the session’s own token', () => {
    const a = token();
    expect(csrfMatches(a, csrfTokenFor(a))).toBe(true);
    expect(csrfMatches(a, csrfTokenFor(token()))).toBe(false);
    expect(csrfMatches(a, a)).toBe(false);
    expect(csrfMatches(a, undefined)).toBe(false);
    expect(csrfMatches(a, '')).toBe(false);
    expect(csrfMatches(a, [csrfTokenFor(a)])).toBe(false);
    expect(csrfMatches(a, `${csrfTokenFor(a)}x`)).toBe(false);
  });
});

describe('lock after failed logins', () => {
  it('locks nothing before the fifth failure, 15 minutes at the fifth, doubling every five, capped at a day', () => {
    expect([1, 2, 3, 4].map(staffLockDurationMs)).toEqual([0, 0, 0, 0]);
    expect(staffLockDurationMs(5)).toBe(STAFF_FIRST_LOCK_MS);
    expect([6, 7, 8, 9].map(staffLockDurationMs)).toEqual([0, 0, 0, 0]);
    expect(staffLockDurationMs(10)).toBe(2 * STAFF_FIRST_LOCK_MS);
    expect(staffLockDurationMs(15)).toBe(4 * STAFF_FIRST_LOCK_MS);
    expect(staffLockDurationMs(100)).toBe(STAFF_MAX_LOCK_MS);
    expect(staffLockDurationMs(5_000_000)).toBe(STAFF_MAX_LOCK_MS);
  });
});

describe('staff accounts', () => {
  it('generates long, unambiguous, distinct passwords', () => {
    const seen = new Set(Array.from({ length: 200 }, generateStaffPassword));
    expect(seen.size).toBe(200);
    for (const p of seen) expect(p).toMatch(/^([A-HJ-NP-Za-km-z2-9]{6}-){3}[A-HJ-NP-Za-km-z2-9]{6}$/);
  });

  it('normalises usernames and refuses bad fields, all at once', () => {
    expect(normaliseUsername('  Mario.Rossi ')).toBe('mario.rossi');
    expect(parseNewStaffAccount({ username: 'Mario.Rossi', displayName: '  Mario   Rossi ', role: 'clerk' })).toEqual({ username: 'mario.rossi', displayName: 'Mario Rossi', role: 'clerk' });
    try {
      parseNewStaffAccount({ username: '1x', displayName: '', role: 'root' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).fields.map((f) => f.field).sort()).toEqual(['displayName', 'role', 'username']);
    }
  });
});

describe('where a login sends back to', () => {
  it('accepts only paths of the console itself', () => {
    expect(safeNext('/console', '/console/review?mine=true')).toBe('/console/review?mine=true');
    for (const bad of ['https://evil.example/', '//evil.example/console/', '/console//evil', '/portal/', '/consolex/', '/console/\\evil', 42, undefined]) {
      expect(safeNext('/console', bad)).toBeUndefined();
    }
  });
});
