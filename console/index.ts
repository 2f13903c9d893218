/**
 * The staff console, server-rendered in Italian and English on bootstrap-italia, mounted at
 * `/console` (docs/decisions/0013-staff-accounts-and-console.md):
 *
 * | path                       | who (console/roles.ts)              | what                                   |
 * | -------------------------- | --------------------------------------- | -------------------------------------- |
 * | GET/POST /login, POST /logout | anyone / any staff                   | password + TOTP code; ends the session |
 * | GET/POST /password         | any staff                               | own password; the only page a generated password opens |
 * | GET  /                     | any staff                               | the sections of the role               |
 * | /review…                   | clerk, supervisor, admin (act: clerk, supervisor) | queue, case with documents, claim / decide / second review (each POST → 303 → the case with its outcome) |
 * | /claims…                  | clerk, supervisor, admin (decide: clerk, supervisor) | benefit claims in processing; a claim's page and its decision (POST → 303 → the claim) |
 * | /counter, /counter/envelope/:token | clerk, supervisor               | MV35 issuance; the print page frames the envelope's PDF once |
 * | /counter/conversion        | clerk, supervisor                       | an existing PIN made dispositivo       |
 * | /counter/delegations       | clerk, supervisor                       | "Registra delega": a delegation handed in at the office |
 * | /counter/fax-intake        | clerk, supervisor                       | a received fax attached to a conversion case |
 * | /contact-centre…           | operator, supervisor                    | request for a caller, verify a telephone PIN, add a contact, revoke, call-backs |
 * | /citizens                  | clerk, supervisor, operator, admin      | one credential timeline per PIN        |
 * | /mailroom…                 | clerk, supervisor, operations, admin    | the day's batch, manifest, PDFs, dispatch, returned letters |
 * | /admin/staff…              | admin                                   | staff accounts                         |
 *
 * Sessions: services/staff/sessions.ts (cookie `staff_session`, CSRF token derived from it). Pages
 * carry no script; the Content-Security-Policy adds same-origin frames, for the PDFs of a case.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { ApiDeps } from '../api/deps';
import type { createPinRequestService } from '../services/issuance/pin-requests';
import { DomainError, ErrorType } from '../domain/errors';
import { toDomainError } from '../api/errors';
import { refuseNulBytes } from '../web/request-guards';
import { html } from '../web/html';
import { csrfOk, ensureCsrfToken, pageHeadersWith, readCookies } from '../web/security';
import { csrfField, textField, type FormState } from '../portal/views';
import { clearStaffSessionCookie, endStaffSession, setStaffSessionCookie, staffFromSessionToken, staffLogin, staffSessionToken } from '../services/staff/sessions';
import { alertBox, consoleContext, consolePage, roleLabel, SECTION_PAGES, SECTION_PATHS, sectionLabel, sectionsFor, t, tb } from './layout';
import { ANY_STAFF } from './roles';
import { consoleGuard, messagePage, PASSWORD_PATH, safeNext, sendPage, staffOf } from './shared';
import { passwordPages } from './password';
import { reviewPages } from './review';
import { claimPages } from './claims';
import { counterPages } from './counter';
import { officePages } from './office-pages';
import { contactCentrePages } from './contact-centre';
import { lookupPages } from './lookup';
import { mailRoomPages } from './mailroom';
import { adminPages } from './admin';
import { staffTokenPages } from './staff-tokens';

/** No script; same-origin frames for the documents of a case (served by GET /api/staff/documents/:id). */
const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'self'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "frame-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function consoleRoutes(deps: ApiDeps, pinRequests: ReturnType<typeof createPinRequestService>): Router {
  const r = express.Router();
  const guard = consoleGuard(deps.pool);
  r.use(pageHeadersWith(CONSOLE_CONTENT_SECURITY_POLICY));
  r.use(express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 100, inflate: false }));
  r.use(refuseNulBytes());

  // -- login / logout ------------------------------------------------------------------------

  function loginPage(req: Request, res: Response, status: number, state: FormState, error?: string): void {
    const ctx = consoleContext(req, res, '/login');
    const csrf = ensureCsrfToken(req, res, readCookies(req));
    const next = safeNext(req.baseUrl, req.query.next ?? (req.body as Record<string, unknown> | undefined)?.next);
    sendPage(
      res,
      status,
      consolePage(ctx, {
        title: t(ctx, 'Accesso del personale', 'Staff login'),
        hasErrors: error !== undefined,
        body: html`${error ? alertBox('danger', error, 'login-error') : ''}
<p>${t(ctx, 'Inserisci nome utente, password e il codice a 6 cifre dell’app di autenticazione.', 'Enter your username, password and the 6-digit code from your authenticator app.')}</p>
<form method="post" action="${ctx.base}/login" class="col-lg-6" novalidate>
  ${csrfField(csrf)}
  ${next ? html`<input type="hidden" name="next" value="${next}">` : ''}
  ${textField(ctx, state, { name: 'username', label: t(ctx, 'Nome utente', 'Username'), required: true, autocomplete: 'username', maxlength: 32, autocapitalize: 'off', spellcheck: false })}
  ${textField(ctx, state, { name: 'password', label: 'Password', type: 'password', required: true, autocomplete: 'current-password', maxlength: 128 })}
  ${textField(ctx, state, { name: 'code', label: t(ctx, 'Codice di verifica (TOTP)', 'Verification code (TOTP)'), required: true, autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 6 })}
  <button type="submit" class="btn btn-primary">${t(ctx, 'Accedi', 'Log in')}</button>
</form>`,
      }),
    );
  }

  r.get('/login', async (req, res) => {
    const token = staffSessionToken(req);
    if (token && (await staffFromSessionToken(deps.pool, token))) {
      res.redirect(303, safeNext(req.baseUrl, req.query.next) ?? `${req.baseUrl}/`);
      return;
    }
    loginPage(req, res, 200, { values: {}, issues: [] });
  });

  r.post('/login', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const username = typeof body.username === 'string' ? body.username.slice(0, 64) : '';
    if (!csrfOk(req, readCookies(req), body._csrf)) {
      const ctx = consoleContext(req, res, '/login');
      loginPage(req, res, 403, { values: { username }, issues: [] }, t(ctx, 'La pagina è scaduta: riprova.', 'The page has expired: please try again.'));
      return;
    }
    if (!deps.secrets) {
      messagePage(req, res, 503, { it: 'Accesso non disponibile', en: 'Login unavailable' }, { it: 'La chiave dei segreti (SECRETS_KEY) non è configurata.', en: 'The secrets key (SECRETS_KEY) is not configured.' });
      return;
    }
    try {
      const { token, staff } = await staffLogin(
        { pool: deps.pool, pepper: deps.pepper, secrets: deps.secrets },
        {
          username,
          password: typeof body.password === 'string' ? body.password.slice(0, 256) : '',
          code: typeof body.code === 'string' ? body.code.slice(0, 16) : '',
          clientIp: req.ip,
        },
      );
      setStaffSessionCookie(req, res, token);
      res.redirect(303, staff.mustChangePassword ? `${req.baseUrl}${PASSWORD_PATH}` : (safeNext(req.baseUrl, body.next) ?? `${req.baseUrl}/`));
    } catch (err) {
      if (!(err instanceof DomainError) || err.type !== ErrorType.Unauthenticated) throw err;
      const ctx = consoleContext(req, res, '/login');
      loginPage(req, res, 401, { values: { username }, issues: [] }, err.userMessage[ctx.lang]);
    }
  });

  r.post('/logout', guard(ANY_STAFF, { passwordChange: true }), async (req, res) => {
    const token = staffSessionToken(req);
    if (token) await endStaffSession(deps.pool, token, staffOf(res));
    clearStaffSessionCookie(req, res);
    res.redirect(303, `${req.baseUrl}/login`);
  });

  // -- home ----------------------------------------------------------------------------------

  r.get('/', guard(ANY_STAFF), (req, res) => {
    const ctx = consoleContext(req, res, '/');
    const staff = staffOf(res);
    const cards = sectionsFor(staff.role).map((id) => {
      const pages = SECTION_PAGES[id] ?? [];
      return html`<li class="list-group-item"><a href="${ctx.base}${SECTION_PATHS[id]}">${sectionLabel(ctx, id)}</a>${
        pages.length ? html`<ul class="mt-1 mb-0">${pages.map((p) => html`<li><a href="${ctx.base}${p.path}">${tb(ctx, p.label)}</a></li>`)}</ul>` : ''
      }</li>`;
    });
    sendPage(
      res,
      200,
      consolePage(ctx, {
        title: t(ctx, `Benvenuto, ${staff.displayName}`, `Welcome, ${staff.displayName}`),
        body: html`<p>${t(ctx, 'Ruolo', 'Role')}: <strong>${roleLabel(ctx, staff.role)}</strong></p>
<ul class="list-group col-lg-6">${cards}</ul>`,
      }),
    );
  });

  passwordPages(r, deps, guard);
  reviewPages(r, deps, guard);
  claimPages(r, deps, guard);
  counterPages(r, deps, guard);
  officePages(r, deps, guard);
  contactCentrePages(r, deps, guard, pinRequests);
  lookupPages(r, deps, guard);
  mailRoomPages(r, deps, guard);
  adminPages(r, deps, guard);
  staffTokenPages(r, deps, guard);

  r.use((req, res) => {
    messagePage(req, res, 404, { it: 'Pagina non trovata', en: 'Page not found' }, { it: 'La pagina richiesta non esiste.', en: 'The page you asked for does not exist.' });
  });

  r.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const e = err as { type?: string; status?: number };
    if (e?.type === 'entity.too.large' || e?.status === 413) {
      messagePage(req, res, 413, { it: 'Dati troppo lunghi', en: 'Data too long' }, { it: 'Il modulo inviato è troppo grande.', en: 'The form sent is too large.' });
      return;
    }
    const domain = toDomainError(err);
    if (domain.type !== ErrorType.Internal) {
      messagePage(req, res, domain.status, { it: 'Operazione non riuscita', en: 'Operation failed' }, domain.userMessage);
      return;
    }
    deps.log.error({ err, path: req.originalUrl }, 'console: unexpected error');
    messagePage(req, res, 500, { it: 'Si è verificato un errore', en: 'Something went wrong' }, { it: 'Non è stato possibile completare l’operazione. Riprova tra qualche minuto.', en: 'The operation could not be completed. Please try again in a few minutes.' });
  });

  return r;
}

