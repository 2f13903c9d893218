/**
 * The console's envelope desk: a sealed envelope waits for its print page, for the issuing
 * session only, and its PDF is handed over once, then zeroed; it lapses after its time.
 */
import { describe, expect, it } from 'vitest';
import { EnvelopeDesk } from '../../console/envelope-desk';

const ISSUED = { credentialId: 'c-1', protocol: 'PIN.2026.00000001', holderName: 'Maria Rossi', pinExpiresAt: '2027-06-05T00:00:00.000Z', warnings: [] };

describe('EnvelopeDesk', () => {
  it('gives the PDF once, to the session that issued it, and zeroes it when the page is closed', () => {
    const desk = new EnvelopeDesk();
    const pdf = new Uint8Array([0x25, 0x50, 0x44, 0x46]);
    const token = desk.put('clerk-a', 'session-a', ISSUED, pdf);
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(desk.lookup(token, 'clerk-b', 'session-b')).toBeUndefined();
    expect(desk.lookup(token, 'clerk-a', 'another-session-of-a')).toBeUndefined();
    expect(desk.take(token, 'clerk-b', 'session-b')).toBeUndefined();
    expect(desk.lookup(token, 'clerk-a', 'session-a')).toEqual({ ...ISSUED, pdfServed: false });
    expect(desk.take(token, 'clerk-a', 'session-a')?.pdf).toBe(pdf);
    expect(desk.take(token, 'clerk-a', 'session-a')).toBeUndefined();
    expect(desk.lookup(token, 'clerk-a', 'session-a')).toEqual({ ...ISSUED, pdfServed: true });
    expect(desk.discard(token, 'clerk-a', 'session-a')).toBe(true);
    expect(desk.lookup(token, 'clerk-a', 'session-a')).toBeUndefined();
  });

  it('forgets an envelope never printed after its time, zeroing its bytes, and refuses odd tokens', () => {
    let now = 1_000;
    const desk = new EnvelopeDesk(60_000, 500, () => now);
    const pdf = new Uint8Array([1, 2, 3]);
    const token = desk.put('clerk-a', 'session-a', ISSUED, pdf);
    now += 60_000;
    expect(desk.take(token, 'clerk-a', 'session-a')).toBeUndefined();
    expect([...pdf]).toEqual([0, 0, 0]);
    expect(desk.lookup('constructor', 'clerk-a', 'session-a')).toBeUndefined();
  });
});
