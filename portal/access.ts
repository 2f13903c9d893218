/**
 * The services behind the portal's access pages (first access, new letter, login, home, logout,
 * regeneration), as one interface the pages depend on, so unit tests give fakes and the
 * application gives `createPortalAccess(deps)`, which uses the same code as the JSON API:
 *
 * - first access, regeneration and new letters: `createPinAccessService` (the lockout rules and
 *   the workflow updates live there);
 * - login and logout: the `/api/sessions` route itself (`sessionRoutes`), dispatched in process
 *   with the citizen's address, so the lockout, the decoy verification, the audit trail and the
 *   per-address throttle are the API's own; its JSON answer is read back here. The portal's
 *   instance of the route keeps its own per-address bucket, as another API instance would;
 * - the session behind a page: `sessionFromRequest`, as `GET /api/session` does.
 *
 * Failures are thrown as they come (`DomainError`, workflow refusals...): the pages turn them
 * into messages with `toDomainError`, the same mapping as the JSON API.
 */
import type { Request, Response, Router } from 'express';
import { msToNumber } from '@temporalio/common/lib/time';
import type { ApiDeps } from '../api/deps';
import { sessionContext, sessionFromRequest, type CitizenPrincipal } from '../services/access/sessions';
import { createPinAccessService, type NewPinAnswer } from '../services/access/pin-access';
import { sessionRoutes } from '../api/routes/sessions';
import { DomainError, ErrorType, type Bilingual, type FieldIssue } from '../domain/errors';

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
  resendLetter(req: Request, creds: { codiceFiscale: string; firstHalf: string }): Promise<{ seq: number; message: Bilingual }>;
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

interface RouteAnswer {
  status: number;
  body: unknown;
}

/**
 * Runs one request through an API router in process and collects its answer. The request carries
 * only what the route reads: method, path, JSON body, the client address (already resolved by
 * the application's proxy rules) and the cookie header. A thrown error (validation, database)
 * rejects the promise as it is.
 */
function dispatch(router: Router, from: Request, method: 'POST' | 'DELETE', url: string, body?: unknown): Promise<RouteAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | undefined> = { cookie: from.headers.cookie };
    const req = {
      method,
      url,
      body,
      ip: from.ip,
      headers,
      get: (name: string) => headers[name.toLowerCase()],
    };
    let status = 200;
    const res = {
      setHeader: () => res,
      cookie: () => res,
      clearCookie: () => res,
      status(code: number) {
        status = code;
        return res;
      },
      json(value: unknown) {
        resolve({ status, body: value });
        return res;
      },
      end() {
        resolve({ status, body: undefined });
        return res;
      },
    };
    router(req as unknown as Request, res as unknown as Response, (err?: unknown) => {
      reject(err instanceof Error ? err : new Error(`no API route answered ${method} ${url}`));
    });
  });
}

/** The API's error body (`errorBody`) back into the error it came from. */
function errorFromBody(status: number, body: unknown): DomainError {
  const e = (body as { error?: { type?: ErrorType; message?: Bilingual; fields?: FieldIssue[]; details?: Record<string, unknown> } } | undefined)?.error;
  if (!e?.type || !e.message) return new DomainError(ErrorType.Internal, { it: 'Errore interno.', en: 'Internal error.' }, [], { status });
  return new DomainError(e.type, e.message, e.fields ?? [], e.details ?? {});
}

export function createPortalAccess(deps: ApiDeps): PortalAccess {
  const pins = createPinAccessService(deps);
  const sessions = sessionRoutes(deps);
  const ctx = sessionContext(deps);
  const ms = (d: string) => msToNumber(d as Parameters<typeof msToNumber>[0]);

  return {
    firstAccess: (req, creds) => pins.firstAccess(req, creds),
    regenerate: (req, creds) => pins.regenerate(req, creds),
    async resendLetter(req, creds) {
      const { seq, message } = await pins.resendLetter(req, creds);
      return { seq, message };
    },
    async login(req, creds) {
      const answer = await dispatch(sessions, req, 'POST', '/sessions', { codiceFiscale: creds.codiceFiscale, pin: creds.pin });
      if (answer.status !== 201) throw errorFromBody(answer.status, answer.body);
      const { token, expiresAt } = answer.body as { token: string; expiresAt: string };
      return { token, expiresAt: new Date(expiresAt) };
    },
    async logout(req) {
      await dispatch(sessions, req, 'DELETE', '/session');
    },
    session: (req) => sessionFromRequest(ctx, req),
    letterLimits: {
      minIntervalMs: ms(deps.policy.minResendInterval),
      maxInWindow: deps.policy.maxResendsInWindow,
      windowMs: ms(deps.policy.resendWindow),
    },
  };
}
