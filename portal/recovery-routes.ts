/**
 * The portal's recovery and revocation pages, mounted inside the portal router (security headers,
 * form parsing and `Cache-Control: no-store` are already there):
 *
 * | route                         | page                                                          |
 * | ----------------------------- | ------------------------------------------------------------- |
 * | GET/POST /recovery            | codice fiscale + two contacts → the same "received" page      |
 * | GET  /recovery/confirm?token= | the e-mailed link: a button that confirms (no change by GET)  |
 * | POST /recovery/confirm        | the token → the old PIN dies, a new one goes over two channels |
 * | GET/POST /revoke              | codice fiscale + health card + e-mail/PEC → revoked           |
 *
 * They call the same services as the JSON API (api/routes/recovery.ts, revocation.ts). The link
 * token never reaches a log: failures are logged with `req.path`, which has no query string.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { ApiDeps } from '../api/deps';
import { toDomainError } from '../api/errors';
import { ErrorType, type FieldIssue } from '../domain/errors';
import { resolveLang } from './i18n';
import {
  RECOVERY_PATHS,
  recoveryConfirmPage,
  recoveryDonePage,
  recoveryReceivedPage,
  recoveryRequestPage,
  revokedPage,
  revokePage,
  type Notice,
} from './recovery-pages';
import { csrfOk, ensureCsrfToken, readCookies } from '../web/security';
import type { PageContext } from './views';
import { createRecoveryService, RECOVERY_RULE } from '../services/lifecycle/recovery';
import { createRevocationService } from '../services/lifecycle/revocation';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const MAX_INPUT = 64;

function formOf(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((req.body ?? {}) as Record<string, unknown>)) if (typeof v === 'string') out[k] = v.trim().slice(0, MAX_INPUT);
  return out;
}

const sendHtml = (res: Response, status: number, body: string) => res.status(status).type('html').send(body);

const PAGE_EXPIRED: Notice = {
  tone: 'warning',
  title: { it: 'Pagina scaduta', en: 'Page expired' },
  text: { it: 'La pagina è scaduta o la richiesta non proviene da questo sito: riprova.', en: 'The page has expired or the request did not come from this site: please try again.' },
};

interface Failure {
  status: number;
  issues: FieldIssue[];
  notice?: Notice;
  retryAfterSeconds?: number;
}

/** A service failure as the page shows it; `fieldOf` maps the API's field names to the form's. */
function failureOf(err: unknown, fieldOf: (f: string) => string, log: ApiDeps['log'], req: Request): Failure {
  const d = toDomainError(err);
  switch (d.type) {
    case ErrorType.Validation: {
      const issues = d.fields.filter((f) => f.field !== 'token').map((f) => ({ ...f, field: fieldOf(f.field) }));
      const tokenIssue = d.fields.find((f) => f.field === 'token');
      return {
        status: 400,
        issues,
        notice: tokenIssue ? { tone: 'danger', title: { it: 'Collegamento non valido', en: 'Link not valid' }, text: d.userMessage } : undefined,
      };
    }
    case ErrorType.RateLimited:
      return {
        status: 429,
        issues: [],
        retryAfterSeconds: typeof d.details.retryAfterSeconds === 'number' ? d.details.retryAfterSeconds : undefined,
        notice: { tone: 'warning', title: { it: 'Troppe richieste', en: 'Too many requests' }, text: d.userMessage },
      };
    case ErrorType.Unauthenticated:
    case ErrorType.Conflict:
    case ErrorType.Forbidden:
      return { status: d.status, issues: [], notice: { tone: 'danger', title: { it: 'Operazione non riuscita', en: 'Not done' }, text: d.userMessage } };
    default:
      if (d.type === ErrorType.Internal || d.type === ErrorType.NotFound) log.error({ err, path: `${req.baseUrl}${req.path}` }, 'portal: recovery page failed');
      return {
        status: d.type === ErrorType.Unavailable ? 503 : 500,
        issues: [],
        retryAfterSeconds: d.type === ErrorType.Unavailable ? 60 : undefined,
        notice: {
          tone: 'warning',
          title: { it: 'Servizio momentaneamente non disponibile', en: 'Service temporarily unavailable' },
          text: { it: 'Non è stato possibile completare l’operazione. Riprova tra qualche minuto.', en: 'The operation could not be completed. Please try again in a few minutes.' },
        },
      };
  }
}

export function recoveryPortalRoutes(api: ApiDeps): Router {
  const r = express.Router();
  const recovery = createRecoveryService(api);
  const revocation = createRevocationService(api);
  const context = (req: Request, res: Response, selfPath: string): PageContext => ({ lang: resolveLang(req, res), base: req.baseUrl, selfPath });
  const again = (res: Response, f: Failure) => {
    if (f.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(f.retryAfterSeconds));
  };

  // -- recovery request ------------------------------------------------------------------------

  r.get(RECOVERY_PATHS.recovery, (req, res) => {
    const csrf = ensureCsrfToken(req, res, readCookies(req));
    sendHtml(res, 200, recoveryRequestPage(context(req, res, RECOVERY_PATHS.recovery), { values: {}, issues: [], csrf, rule: RECOVERY_RULE }));
  });

  r.post(RECOVERY_PATHS.recovery, async (req, res) => {
    const cookies = readCookies(req);
    const v = formOf(req);
    const ctx = context(req, res, RECOVERY_PATHS.recovery);
    const values = { codiceFiscale: v.codiceFiscale, mobile: v.mobile, email: v.email, pec: v.pec };
    if (!csrfOk(req, cookies, v._csrf)) {
      sendHtml(res, 403, recoveryRequestPage(ctx, { values, issues: [], csrf: ensureCsrfToken(req, res, cookies), rule: RECOVERY_RULE, notice: PAGE_EXPIRED }));
      return;
    }
    try {
      const answer = await recovery.request(req, { codiceFiscale: v.codiceFiscale ?? '', mobile: v.mobile || undefined, email: v.email || undefined, pec: v.pec || undefined });
      sendHtml(res, 200, recoveryReceivedPage(ctx, answer));
    } catch (err) {
      const f = failureOf(err, (field) => field, api.log, req);
      again(res, f);
      sendHtml(res, f.status, recoveryRequestPage(ctx, { values, issues: f.issues, csrf: ensureCsrfToken(req, res, cookies), rule: RECOVERY_RULE, notice: f.notice }));
    }
  });

  // -- the link --------------------------------------------------------------------------------

  r.get(RECOVERY_PATHS.confirm, (req, res) => {
    // The address holds the token: it must not travel on to any other page or site.
    res.setHeader('Referrer-Policy', 'no-referrer');
    const token = typeof req.query.token === 'string' && TOKEN.test(req.query.token) ? req.query.token : undefined;
    const csrf = ensureCsrfToken(req, res, readCookies(req));
    const notice: Notice | undefined = token
      ? undefined
      : {
          tone: 'danger',
          title: { it: 'Collegamento non valido', en: 'Link not valid' },
          text: { it: 'Il collegamento è incompleto: aprilo di nuovo dal messaggio ricevuto, per intero.', en: 'The link is incomplete: open it again from the message you received, in full.' },
        };
    sendHtml(res, token ? 200 : 400, recoveryConfirmPage(context(req, res, RECOVERY_PATHS.confirm), { token, csrf, notice }));
  });

  r.post(RECOVERY_PATHS.confirm, async (req, res) => {
    res.setHeader('Referrer-Policy', 'no-referrer');
    const cookies = readCookies(req);
    const v = formOf(req);
    const ctx = context(req, res, RECOVERY_PATHS.confirm);
    const token = TOKEN.test(v.token ?? '') ? v.token : undefined;
    if (!csrfOk(req, cookies, v._csrf)) {
      sendHtml(res, 403, recoveryConfirmPage(ctx, { token, csrf: ensureCsrfToken(req, res, cookies), notice: PAGE_EXPIRED }));
      return;
    }
    try {
      const answer = await recovery.confirm(req, { token: v.token ?? '' });
      sendHtml(res, 200, recoveryDonePage(ctx, answer));
    } catch (err) {
      const f = failureOf(err, (field) => field, api.log, req);
      again(res, f);
      // A refused token is not offered again; a transient failure keeps the button.
      const retry = f.status >= 500 ? token : undefined;
      sendHtml(res, f.status, recoveryConfirmPage(ctx, { token: retry, csrf: ensureCsrfToken(req, res, cookies), notice: f.notice }));
    }
  });

  // -- revocation ------------------------------------------------------------------------------

  const REVOKE_FIELDS: Record<string, string> = {
    codiceFiscale: 'codiceFiscale',
    'healthCard.number': 'healthCardNumber',
    'healthCard.expiresOn': 'healthCardExpiresOn',
    email: 'address',
    pec: 'address',
  };

  r.get(RECOVERY_PATHS.revoke, (req, res) => {
    const csrf = ensureCsrfToken(req, res, readCookies(req));
    sendHtml(res, 200, revokePage(context(req, res, RECOVERY_PATHS.revoke), { values: {}, issues: [], csrf }));
  });

  r.post(RECOVERY_PATHS.revoke, async (req, res) => {
    const cookies = readCookies(req);
    const v = formOf(req);
    const ctx = context(req, res, RECOVERY_PATHS.revoke);
    // The card number is not shown back.
    const values = { codiceFiscale: v.codiceFiscale, healthCardExpiresOn: v.healthCardExpiresOn, address: v.address };
    if (!csrfOk(req, cookies, v._csrf)) {
      sendHtml(res, 403, revokePage(ctx, { values, issues: [], csrf: ensureCsrfToken(req, res, cookies), notice: PAGE_EXPIRED }));
      return;
    }
    try {
      const answer = await revocation.revokeByHolder(req, {
        codiceFiscale: v.codiceFiscale ?? '',
        healthCard: { number: v.healthCardNumber ?? '', expiresOn: v.healthCardExpiresOn ?? '' },
        email: v.address ?? '',
      });
      sendHtml(res, 200, revokedPage(ctx, answer));
    } catch (err) {
      const f = failureOf(err, (field) => REVOKE_FIELDS[field] ?? '', api.log, req);
      again(res, f);
      sendHtml(res, f.status, revokePage(ctx, { values, issues: f.issues, csrf: ensureCsrfToken(req, res, cookies), notice: f.notice }));
    }
  });

  return r;
}
