/**
 * Cookies, sealed cookie values, CSRF tokens and security headers for the portal pages.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Request, RequestHandler, Response } from 'express';

/** Cookie names, all scoped to the portal's paths. */
export const COOKIE = {
  lang: 'portal_lang',
  csrf: 'portal_csrf',
  draft: 'portal_draft',
  done: 'portal_done',
} as const;

/** Reads the `Cookie` header; malformed pairs are skipped, a repeated name keeps the first. */
export function readCookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  const header = req.headers.cookie;
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    if (Object.hasOwn(out, name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      // Not ours (or tampered): ignore it rather than fail the page.
    }
  }
  return out;
}

export interface CookieOptions {
  path: string;
  sameSite: 'strict' | 'lax';
  /** Seconds; absent for a session cookie. */
  maxAge?: number;
  httpOnly?: boolean;
  /**
   * Always `Secure` (a credential: browsers still send it to localhost over http); otherwise
   * `Secure` only when the request came over HTTPS (directly or via a trusted proxy).
   */
  alwaysSecure?: boolean;
}

/** Sets a cookie, `Secure` whenever the request came over HTTPS (directly or via a trusted proxy), or always when asked. */
export function setCookie(req: Request, res: Response, name: string, value: string, opts: CookieOptions): void {
  res.cookie(name, value, {
    path: opts.path,
    sameSite: opts.sameSite,
    httpOnly: opts.httpOnly ?? true,
    secure: opts.alwaysSecure === true || req.secure,
    ...(opts.maxAge !== undefined ? { maxAge: opts.maxAge * 1000 } : {}),
  });
}

export function clearCookie(req: Request, res: Response, name: string, path: string, alwaysSecure = false): void {
  res.clearCookie(name, { path, httpOnly: true, secure: alwaysSecure || req.secure });
}

// ---------------------------------------------------------------------------------------------
// Sealed values

/**
 * Authenticated encryption (AES-256-GCM) of small JSON values kept in cookies. The cookie name
 * is the associated data, so a value sealed for one cookie cannot be replayed as another; the
 * issue time is inside the sealed payload, so an old value expires even if the browser keeps it.
 * Encrypted rather than only signed because the draft holds personal data.
 */
export interface Sealer {
  seal(purpose: string, value: unknown, now: Date): string;
  /** The value, or `undefined` when missing, tampered with, sealed with another key, or too old. */
  open(purpose: string, token: string | undefined, maxAgeMs: number, now: Date): unknown;
}

export function createSealer(secret?: string): Sealer {
  // Without a configured secret the key lives only in this process: drafts in progress are lost
  // on a restart and are not readable by another instance (the citizen is asked to start again).
  const ikm = secret !== undefined && secret !== '' ? Buffer.from(secret, 'utf8') : randomBytes(32);
  const key = Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), 'pin-portal/sealed-cookie/v1', 32));

  return {
    seal(purpose, value, now) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(purpose, 'utf8'));
      const plain = deflateRawSync(Buffer.from(JSON.stringify({ t: now.getTime(), v: value }), 'utf8'));
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    },
    open(purpose, token, maxAgeMs, now) {
      if (!token || token.length > 8192 || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
      const raw = Buffer.from(token, 'base64url');
      if (raw.length < 29) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        decipher.setAAD(Buffer.from(purpose, 'utf8'));
        decipher.setAuthTag(raw.subarray(12, 28));
        const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
        const parsed = JSON.parse(inflateRawSync(plain, { maxOutputLength: 64 * 1024 }).toString('utf8')) as {
          t?: unknown;
          v?: unknown;
        };
        if (typeof parsed.t !== 'number') return undefined;
        const age = now.getTime() - parsed.t;
        if (age < -60_000 || age > maxAgeMs) return undefined;
        return parsed.v;
      } catch {
        return undefined;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// CSRF

const CSRF_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Double-submit token: a random value in an HttpOnly, SameSite=Strict cookie, repeated in a
 * hidden field of every form. A cross-site page cannot read the cookie, so it cannot put the
 * matching value in a forged form. The same token is reused for as long as the cookie lives,
 * so several tabs keep working.
 */
export function ensureCsrfToken(req: Request, res: Response, cookies: Record<string, string>): string {
  const existing = cookies[COOKIE.csrf];
  if (existing && CSRF_TOKEN.test(existing)) return existing;
  const token = randomBytes(32).toString('base64url');
  setCookie(req, res, COOKIE.csrf, token, { path: req.baseUrl || '/', sameSite: 'strict' });
  // Make the fresh token visible to this same request too (e.g. a re-rendered form).
  cookies[COOKIE.csrf] = token;
  return token;
}

/** Whether a POST carries a matching token and does not come from another site. */
export function csrfOk(req: Request, cookies: Record<string, string>, bodyToken: unknown): boolean {
  // Browsers that send Fetch Metadata tell us outright when a request is cross-site.
  if (req.get('sec-fetch-site') === 'cross-site') return false;
  const cookie = cookies[COOKIE.csrf];
  if (typeof bodyToken !== 'string' || !cookie || !CSRF_TOKEN.test(cookie) || !CSRF_TOKEN.test(bodyToken)) return false;
  return timingSafeEqual(Buffer.from(cookie), Buffer.from(bodyToken));
}

// ---------------------------------------------------------------------------------------------
// Headers

/**
 * The pages need no script at all, so the policy allows none; styles, fonts and images come only
 * from the portal's own assets (bootstrap-italia's CSS uses a few `data:` images). Pages show
 * personal data, so they are never cached.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'self'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The security headers of every page, with a page-specific Content-Security-Policy. */
export function pageHeadersWith(contentSecurityPolicy: string): RequestHandler {
  return (_req, res, next) => {
    res.set({
      'Content-Security-Policy': contentSecurityPolicy,
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    });
    next();
  };
}

export const pageHeaders: RequestHandler = pageHeadersWith(CONTENT_SECURITY_POLICY);
