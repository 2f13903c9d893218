/**
 * The browser's side of the SPID/CIE/CNS sign-in, shared by the portal and the JSON API: the
 * one-time values of a sign-in in progress (state, nonce, PKCE verifier) travel in a sealed,
 * HttpOnly cookie scoped to the callback's path. It is SameSite=Lax because the provider sends the
 * browser back with a top-level GET from its own site, and it is cleared by the callback, so a
 * sign-in can be completed once.
 */
import type { Request, Response } from 'express';
import { PENDING_SIGN_IN_MAX_AGE_MS, pendingSignInFrom, type CitizenIdentityService, type PendingSignIn } from '../services/identity/citizen-identity';
import { clearCookie, readCookies, setCookie, type Sealer } from './security';

export interface SignInCookie {
  name: string;
  /** The path the provider returns to, e.g. `/portal/identity`. */
  path: string;
}

/** The origin the provider must send the browser back to: the configured public one, else this request's. */
export function publicOrigin(req: Request, publicBaseUrl: string | undefined): string {
  return (publicBaseUrl ?? `${req.protocol}://${req.get('host')}`).replace(/\/+$/, '');
}

/** Starts a sign-in: seals its one-time values into the cookie and redirects to the provider. */
export async function beginSignIn(
  service: CitizenIdentityService,
  sealer: Sealer,
  req: Request,
  res: Response,
  opts: { cookie: SignInCookie; redirectUri: string; returnTo?: string; now: Date },
): Promise<void> {
  const { authorizationUrl, pending } = await service.begin(opts.redirectUri, opts.returnTo);
  setCookie(req, res, opts.cookie.name, sealer.seal(opts.cookie.name, pending, opts.now), {
    path: opts.cookie.path,
    sameSite: 'lax',
    maxAge: PENDING_SIGN_IN_MAX_AGE_MS / 1000,
    alwaysSecure: true,
  });
  res.set('Cache-Control', 'no-store').redirect(303, authorizationUrl);
}

/**
 * The sign-in in progress, if its cookie is there and intact and the answer carries its `state`.
 * Only then is the cookie spent: a stray link to the callback (another state, or none) does not
 * cancel a sign-in in progress.
 */
export function takePendingSignIn(sealer: Sealer, req: Request, res: Response, cookie: SignInCookie, now: Date): PendingSignIn | undefined {
  const pending = pendingSignInFrom(sealer.open(cookie.name, readCookies(req)[cookie.name], PENDING_SIGN_IN_MAX_AGE_MS, now));
  if (!pending || requestUrl(req).searchParams.get('state') !== pending.state) return undefined;
  clearCookie(req, res, cookie.name, cookie.path, true);
  return pending;
}

/** The provider's answer: the request's path and query (the host is the registered redirect URI's, see `complete`). */
export function requestUrl(req: Request): URL {
  return new URL(req.originalUrl, 'http://callback.invalid');
}
