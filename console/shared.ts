/**
 * What every console section uses: the guard that admits a staff session of the right role
 * (and checks the CSRF token of every POST), the audit of each action, and page answers.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Pool } from '../lib/db';
import { audit } from '../lib/audit';
import { DomainError, type Bilingual } from '../domain/errors';
import { toDomainError } from '../api/errors';
import { hasCitizenSession, type StaffRole } from '../services/staff/auth';
import { clearStaffSessionCookie, csrfMatches, csrfTokenFor, staffFromSessionToken, staffSessionToken, type ConsoleStaff } from '../services/staff/sessions';
import { html } from '../web/html';
import { alertBox, consoleContext, consolePage, t, tb } from './layout';
import type { SectionId } from './roles';

export function sendPage(res: Response, status: number, body: string): void {
  res.status(status).type('html').send(body);
}

/** A page with a title and a message (refusals, errors, "not found"). */
export function messagePage(req: Request, res: Response, status: number, title: Bilingual, text: Bilingual, active?: SectionId): void {
  const ctx = consoleContext(req, res, '/');
  sendPage(
    res,
    status,
    consolePage(ctx, {
      title: tb(ctx, title),
      active,
      body: html`${alertBox(status >= 500 ? 'danger' : 'warning', tb(ctx, text), 'message')}
<p><a href="${ctx.base}/">${t(ctx, 'Torna alla pagina iniziale della console', 'Back to the console home page')}</a></p>`,
    }),
  );
}

const FORBIDDEN_TITLE: Bilingual = { it: 'Accesso negato', en: 'Access denied' };

function forbiddenPage(req: Request, res: Response, text: Bilingual = { it: 'Il tuo ruolo non consente di aprire questa pagina.', en: 'Your role does not allow you to open this page.' }): void {
  messagePage(req, res, 403, FORBIDDEN_TITLE, text);
}

/** Where the login sends back to: only a console path of this mount, never another site. */
export function safeNext(base: string, next: unknown): string | undefined {
  if (typeof next !== 'string' || next.length > 500) return undefined;
  if (!next.startsWith(`${base}/`) || next.startsWith('//') || /[\\\s]/.test(next) || next.includes('//')) return undefined;
  return next;
}

/**
 * Admits a live console session whose role is in `roles`: without one, a citizen session gets
 * 403 and anyone else the login page (303); a wrong role gets 403; a POST needs the session's
 * CSRF token in `_csrf`, and is refused when the browser marks it cross-site. A multipart form
 * (`{ multipart: true }`) is not read here: its handler checks the token among the fields read
 * before the first file (`multipartCsrfGate`), so no file byte is kept for a forged request.
 * While the account's password is still a generated one, every route but the change-password
 * page and the logout (`{ passwordChange: true }`) answers 303 to the change-password page.
 */
export function consoleGuard(pool: Pool) {
  return (roles: readonly StaffRole[], opts: { multipart?: boolean; passwordChange?: boolean } = {}): RequestHandler =>
    async (req: Request, res: Response, next: NextFunction) => {
      const token = staffSessionToken(req);
      const staff = token ? await staffFromSessionToken(pool, token) : undefined;
      if (!staff || !token) {
        if (await hasCitizenSession(pool, req)) {
          forbiddenPage(req, res, { it: 'La console è riservata al personale.', en: 'The console is for staff only.' });
          return;
        }
        if (token) clearStaffSessionCookie(req, res);
        const back = req.method === 'GET' ? `?next=${encodeURIComponent(req.originalUrl)}` : '';
        res.redirect(303, `${req.baseUrl}/login${back}`);
        return;
      }
      res.locals.staff = staff;
      res.locals.csrf = csrfTokenFor(token);
      if (staff.mustChangePassword && !opts.passwordChange) {
        res.redirect(303, `${req.baseUrl}${PASSWORD_PATH}`);
        return;
      }
      if (!roles.includes(staff.role)) {
        forbiddenPage(req, res);
        return;
      }
      res.locals.sessionToken = token;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        const given = (req.body as Record<string, unknown> | undefined)?._csrf;
        if (req.get('sec-fetch-site') === 'cross-site' || (!opts.multipart && !csrfMatches(token, given))) {
          forbiddenPage(req, res, {
            it: 'La pagina è scaduta o la richiesta non proviene dalla console: riapri la pagina e riprova.',
            en: 'The page has expired or the request did not come from the console: open the page again and retry.',
          });
          return;
        }
      }
      next();
    };
}

/** The change-password page, the only one a generated password opens. */
export const PASSWORD_PATH = '/password';

export const staffOf = (res: Response): ConsoleStaff => res.locals.staff as ConsoleStaff;

/** For a multipart form admitted by the guard: whether the fields read so far carry the session's CSRF token. */
export const multipartCsrfGate =
  (res: Response) =>
  (fields: Record<string, string>): boolean =>
    csrfMatches(res.locals.sessionToken as string, fields._csrf);

/** The page a forged or expired form gets (a multipart form's token is checked by its handler). */
export function csrfRefusedPage(req: Request, res: Response): void {
  forbiddenPage(req, res, {
    it: 'La pagina è scaduta o la richiesta non proviene dalla console: riapri la pagina e riprova.',
    en: 'The page has expired or the request did not come from the console: open the page again and retry.',
  });
}

/**
 * Runs a staff action and appends its outcome to the audit log (done, or refused with the
 * error type), then returns or rethrows. `detail` must hold no secret.
 */
export async function act<T>(
  pool: Pool,
  staff: ConsoleStaff,
  action: string,
  subject: string | undefined,
  fn: () => Promise<T>,
  detail: Record<string, unknown> = {},
): Promise<T> {
  const actor = `staff:${staff.staffId}`;
  try {
    const out = await fn();
    await audit(pool, { actor, action: `console.${action}`, subject, decision: 'done', detail: { role: staff.role, ...detail } });
    return out;
  } catch (err) {
    const type = toDomainError(err).type;
    await audit(pool, { actor, action: `console.${action}`, subject, decision: 'refused', detail: { role: staff.role, error: type, ...detail } });
    throw err;
  }
}

/** The error's message for an alert, or undefined when it is not one to show (then rethrow). */
export function shownError(err: unknown): DomainError | undefined {
  const domain = toDomainError(err);
  return domain.type === 'INTERNAL' ? undefined : domain;
}

/** Form values of a posted body, as strings (first of repeated fields), at most `max` characters each. */
export function formValues(body: unknown, fields: readonly string[], max = 300): Record<string, string> {
  const source = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const out: Record<string, string> = {};
  for (const f of fields) {
    let v = source[f];
    if (Array.isArray(v)) v = v[0];
    out[f] = typeof v === 'string' ? v.slice(0, max) : '';
  }
  return out;
}
