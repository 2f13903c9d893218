/**
 * The services behind the portal's access pages (first access, new letter, login, home, logout,
 * regeneration), as one interface the pages depend on, so unit tests give fakes and the
 * application gives `createPortalAccess(deps)`, which uses the same code as the JSON API:
 *
 * - first access, regeneration and new letters: `createPinAccessService` (the lockout rules and
 *   the workflow updates live there);
 * - login and logout: `createLoginService`, the same service as `POST /api/sessions`, with the
 *   citizen's address, so the lockout, the decoy verification, the audit trail and the
 *   per-address throttle are the API's own. The portal's instance keeps its own per-address
 *   bucket, as another API instance would;
 * - the session behind a page: `sessionFromRequest`, as `GET /api/session` does.
 *
 * Failures are thrown as they come (`DomainError`, workflow refusals...): the pages turn them
 * into messages with `toDomainError`, the same mapping as the JSON API.
 */
import { durationToMs } from '../domain/durations';
import type { Request } from 'express';
import type { ApiDeps } from '../api/deps';
import { type Bilingual } from '../domain/errors';
import { createLoginService } from '../services/access/login';
import { createPinAccessService, type NewPinAnswer } from '../services/access/pin-access';
import { sessionContext, sessionFromRequest, tokenFromRequest, type CitizenPrincipal } from '../services/access/sessions';

export type { NewPinAnswer } from '../services/access/pin-access';

/** Codice fiscale and PIN as typed (the service normalises and checks their shape). */
export interface Credentials {
  codiceFiscale: string;
  pin: string;
}

/** The new-letter limits, for the page that explains them. */
export interface LetterLimits {
  /** At most one new letter in this time (ms). */
  minIntervalMs: number;
  /** At most this many new letters … */
  maxInWindow: number;
  /** … in this time (ms). */
  windowMs: number;
}

export interface PortalAccess {
  /** 16 → 8 characters; the answer holds the new PIN, to be shown once and kept nowhere. */
  firstAccess(req: Request, creds: Credentials): Promise<NewPinAnswer>;
  /** Expired PIN → new PIN (same type and services), shown once. */
  regenerate(req: Request, creds: Credentials): Promise<NewPinAnswer>;
  /** "I did not get the letter", proven with the first half. */
  resendLetter(req: Request, creds: { codiceFiscale: string; firstHalf: string }): Promise<{ seq?: number; message: Bilingual }>;
  /**
   * Opens a session. Throws `DomainError`: VALIDATION (fields), UNAUTHENTICATED (generic),
   * RATE_LIMITED with `details.reason` THROTTLED or TEMPORARILY_LOCKED (and
   * `details.retryAfterSeconds`), FORBIDDEN with PERMANENTLY_LOCKED or PIN_EXPIRED.
   */
  login(req: Request, creds: Credentials): Promise<{ token: string; expiresAt: Date }>;
  /** Ends the session the request's cookie names, if any (audited). */
  logout(req: Request): Promise<void>;
  /** The live session of the request, with its credential as it is now. */
  session(req: Request): Promise<CitizenPrincipal | undefined>;
  letterLimits: LetterLimits;
}

export function createPortalAccess(deps: ApiDeps): PortalAccess {
  const pins = createPinAccessService(deps);
  const logins = createLoginService(deps);
  const ctx = sessionContext(deps);

  return {
    firstAccess: (req, creds) => pins.firstAccess(req, creds),
    regenerate: (req, creds) => pins.regenerate(req, creds),
    async resendLetter(req, creds) {
      const answer = await pins.resendLetter(req, creds);
      return answer.status === 'requested' ? { seq: answer.seq, message: answer.message } : { message: answer.message };
    },
    async login(req, creds) {
      const { token, expiresAt } = await logins.signIn(req.ip, { codiceFiscale: creds.codiceFiscale, pin: creds.pin });
      return { token, expiresAt };
    },
    async logout(req) {
      const token = tokenFromRequest(req);
      if (token) await logins.signOut(token, req.ip);
    },
    session: (req) => sessionFromRequest(ctx, req),
    letterLimits: {
      minIntervalMs: durationToMs(deps.policy.minResendInterval),
      maxInWindow: deps.policy.maxResendsInWindow,
      windowMs: durationToMs(deps.policy.resendWindow),
    },
  };
}
