/**
 * The sealed envelopes waiting to be printed at a counter. After an MV35 issuance the console
 * redirects to a print page (post/redirect/get); that page frames the envelope's PDF, which is
 * served once, inline, `no-store`, to the same staff session, and then forgotten: its bytes are
 * zeroed once sent. What is kept between the issuance and the print is in this process's memory
 * only, for a few minutes, never in the database or on disk — so, with several API instances,
 * the console needs sticky sessions (the print page must reach the instance that issued).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Bilingual } from '../domain/errors';

export interface IssuedEnvelope {
  credentialId: string;
  /** The request's protocol number and the holder's name: what the print page shows of the issuance. */
  protocol: string;
  holderName: string;
  pinExpiresAt: string;
  warnings: Bilingual[];
}

interface Pending extends IssuedEnvelope {
  staffId: string;
  sessionHash: string;
  expiresAt: number;
  /** The PDF with the PIN, until it is served (then undefined). */
  pdf?: Uint8Array;
}

export type EnvelopeLookup = (IssuedEnvelope & { pdfServed: boolean }) | undefined;

const sessionHash = (sessionToken: string): string => createHash('sha256').update(sessionToken).digest('base64url');
const TOKEN = /^[A-Za-z0-9_-]{32}$/;

export class EnvelopeDesk {
  private readonly entries = new Map<string, Pending>();

  constructor(
    /** How long the print page (and the unserved PDF) stays available. */
    private readonly ttlMs = 10 * 60 * 1000,
    private readonly maxEntries = 500,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keeps an issued envelope for the staff session that issued it; returns the print page's token. */
  put(staffId: string, sessionToken: string, issued: IssuedEnvelope, pdf: Uint8Array): string {
    this.prune();
    const token = randomBytes(24).toString('base64url');
    this.entries.set(token, { ...issued, staffId, sessionHash: sessionHash(sessionToken), expiresAt: this.now() + this.ttlMs, pdf });
    return token;
  }

  private entry(token: string, staffId: string, sessionToken: string): Pending | undefined {
    if (!TOKEN.test(token)) return undefined;
    const e = this.entries.get(token);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.forget(token);
      return undefined;
    }
    return e.staffId === staffId && e.sessionHash === sessionHash(sessionToken) ? e : undefined;
  }

  /** The print page's facts, for its own session only. */
  lookup(token: string, staffId: string, sessionToken: string): EnvelopeLookup {
    const e = this.entry(token, staffId, sessionToken);
    if (!e) return undefined;
    return { credentialId: e.credentialId, protocol: e.protocol, holderName: e.holderName, pinExpiresAt: e.pinExpiresAt, warnings: e.warnings, pdfServed: e.pdf === undefined };
  }

  /** The PDF, once: a second call gets nothing. The caller zeroes the bytes once sent. */
  take(token: string, staffId: string, sessionToken: string): { credentialId: string; pdf: Uint8Array } | undefined {
    const e = this.entry(token, staffId, sessionToken);
    if (!e?.pdf) return undefined;
    const pdf = e.pdf;
    e.pdf = undefined;
    return { credentialId: e.credentialId, pdf };
  }

  /** The clerk closed the print page: nothing of it stays. */
  discard(token: string, staffId: string, sessionToken: string): boolean {
    if (!this.entry(token, staffId, sessionToken)) return false;
    this.forget(token);
    return true;
  }

  private forget(token: string): void {
    this.entries.get(token)?.pdf?.fill(0);
    this.entries.delete(token);
  }

  private prune(): void {
    const now = this.now();
    for (const [token, e] of this.entries) if (e.expiresAt <= now) this.forget(token);
    // Still full: the oldest go (a Map iterates in insertion order).
    for (const token of this.entries.keys()) {
      if (this.entries.size < this.maxEntries) break;
      this.forget(token);
    }
  }
}
