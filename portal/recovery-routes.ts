/**
 * The portal's recovery and revocation pages, mounted inside the portal router (security headers,
 * form parsing and `Cache-Control: no-store` are already there):
 *
 * | route                         | page                                                          |
 * | ----------------------------- | ------------------------------------------------------------- |
 * | GET/POST /recovery            | codice fiscale + two contacts → the same "received" page      |
 * | GET  /recovery/confirm?token= | the e-mailed link: a button that confirms (no change by GET)  |
 * | POST /recovery/confirm        | the token → the old PIN dies, a new one goes over two channels |
 * | GET/POST /revoke              | codice fiscale + health card + e-mail/PEC → "Vuoi revocare?"  |
 * | POST /revoke/confirm          | the sealed data + "Sì, revoca il PIN" → revoked               |
 *
 * They call the same services as the JSON API (api/routes/recovery.ts, revocation.ts). The link
 * token never reaches a log: failures are logged with `req.path`, which has no query string.
 *
 * Nothing is told "failed" that may have happened: a confirmation or a revocation whose answer
 * did not come in time is "under way", the same link confirmed again is "already confirmed", the
 * same revocation made again is "already revoked"; a failure with no known outcome says so and
 * that trying again is safe (NOT_CONFIRMED). The revocation, final, is asked once more on a page
 * of its own before it is made; the data typed travel to it sealed (AES-GCM), not in clear.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { ApiDeps } from '../api/deps';
import { toDomainError } from '../api/errors';
import { parseIsoDate } from '../domain/calendar';
import { validateCodiceFiscaleFormat } from '../domain/codice-fiscale';
import { ErrorType, type FieldIssue } from '../domain/errors';
import { isEmailAddress } from '../domain/pin-request';
import { resolveLang } from './i18n';
import {
  RECOVERY_PATHS,
  REVOKE_FIELDS,
  recoveryConfirmPage,
  recoveryDonePage,
  recoveryReceivedPage,
  recoveryRequestPage,
  revokeConfirmPage,
  revokedPage,
  revokePage,
  type Notice,
} from './recovery-pages';
import { createSealer, csrfOk, ensureCsrfToken, readCookies } from '../web/security';
import { NOT_CONFIRMED, requiredIssue, type PageContext } from './views';
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
  /** The same link confirmed before: the recovery was made (LINK_USED). */
  alreadyConfirmed?: boolean;
}

/** The codice fiscale of a form: required, then its shape. */
function codiceFiscaleIssues(raw: string): FieldIssue[] {
  if (raw === '') return [requiredIssue('codiceFiscale', { it: 'Inserisci il codice fiscale', en: 'Enter your codice fiscale' })];
  return validateCodiceFiscaleFormat(raw).errors;
}

/** Every problem of the recovery form at once, before the service is asked. */
function recoveryIssues(v: Record<string, string>): FieldIssue[] {
  const issues = codiceFiscaleIssues(v.codiceFiscale ?? '');
  const given = (['mobile', 'email', 'pec'] as const).filter((f) => (v[f] ?? '') !== '');
  if (given.length < 2) {
    // On the first contact left empty, so the summary's link leads to a field to fill.
    const empty = (['mobile', 'email', 'pec'] as const).find((f) => !given.includes(f))!;
    issues.push(
      requiredIssue(empty, {
        it: given.length === 0 ? 'Inserisci almeno due dei tre recapiti: cellulare, e-mail, PEC' : 'Inserisci almeno un altro recapito tra cellulare, e-mail e PEC',
        en: given.length === 0 ? 'Enter at least two of the three contacts: mobile, e-mail, PEC' : 'Enter at least one more contact among mobile, e-mail and PEC',
      }),
    );
  }
  return issues;
}

/** Every problem of the revocation form at once (four empty fields: four messages). */
function revocationIssues(v: Record<string, string>): FieldIssue[] {
  const issues = codiceFiscaleIssues(v.codiceFiscale ?? '');
  const card = (v.healthCardNumber ?? '').replace(/[\s-]/g, '');
  if (card === '') {
    issues.push(requiredIssue('healthCardNumber', { it: 'Inserisci il numero della tessera sanitaria', en: 'Enter the number of your health-insurance card' }));
  } else if (!/^[0-9]{20}$/.test(card)) {
    issues.push({
      field: 'healthCardNumber',
      code: 'card_number_format',
      message: { it: `Il numero della tessera sanitaria ha 20 cifre: ne hai inserite ${card.replace(/[^0-9]/g, '').length}.`, en: `The health-insurance card number has 20 digits: you entered ${card.replace(/[^0-9]/g, '').length}.` },
    });
  }
  const expiry = v.healthCardExpiresOn ?? '';
  if (expiry === '') {
    issues.push(requiredIssue('healthCardExpiresOn', { it: 'Inserisci la data di scadenza della tessera sanitaria', en: 'Enter the expiry date of your health-insurance card' }));
  } else if (!parseIsoDate(expiry)) {
    issues.push({ field: 'healthCardExpiresOn', code: 'invalid_date', message: { it: 'Data non valida: indica la scadenza stampata sulla tessera.', en: 'Invalid date: give the expiry printed on the card.' } });
  }
  const address = v.address ?? '';
  if (address === '') {
    issues.push(requiredIssue('address', { it: 'Inserisci l’indirizzo e-mail o PEC registrato con il PIN', en: 'Enter the e-mail or PEC address registered with the PIN' }));
  } else if (!isEmailAddress(address)) {
    issues.push({ field: 'address', code: 'invalid_email', message: { it: 'Indirizzo non valido: scrivilo come nome@dominio.it.', en: 'Invalid address: write it as name@domain.com.' } });
  }
  const rank = (f: string) => (REVOKE_FIELDS as readonly string[]).indexOf(f);
  return issues.sort((a, b) => rank(a.field) - rank(b.field));
}

/** The revocation's data between the form and its confirmation. */
interface SealedRevocation {
  codiceFiscale: string;
  healthCardNumber: string;
  healthCardExpiresOn: string;
  address: string;
}
/** How long the confirmation page stays good. */
const REVOCATION_MAX_AGE_MS = 15 * 60 * 1000;

/** A recovery request the service did not answer: nothing durable is done before its one transaction commits. */
const NOT_ANSWERED: Notice = {
  tone: 'warning',
  title: { it: 'Servizio momentaneamente non disponibile', en: 'Service temporarily unavailable' },
  text: { it: 'Il servizio non ha risposto. Riprova tra qualche minuto.', en: 'The service did not answer. Please try again in a few minutes.' },
};

/**
 * A service failure as the page shows it; `fieldOf` maps the API's field names to the form's;
 * `unknown` is what to say when the outcome is not known (by default: not confirmed yet, safe to retry).
 */
function failureOf(err: unknown, fieldOf: (f: string) => string, log: ApiDeps['log'], req: Request, unknown: Notice = NOT_CONFIRMED): Failure {
  const d = toDomainError(err);
  switch (d.type) {
    case ErrorType.Validation: {
      if (d.details.reason === 'LINK_USED') return { status: 200, issues: [], alreadyConfirmed: true };
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
      // Not known whether it was done: said so, and that asking again is safe.
      return { status: d.type === ErrorType.Unavailable ? 503 : 500, issues: [], retryAfterSeconds: d.type === ErrorType.Unavailable ? 60 : undefined, notice: unknown };
  }
}

export function recoveryPortalRoutes(api: ApiDeps): Router {
  const r = express.Router();
  const recovery = createRecoveryService(api);
  const revocation = createRevocationService(api);
  const sealer = createSealer(api.cookieSecret);
  const now = api.now ?? (() => new Date());
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
    const issues = recoveryIssues(v);
    if (issues.length > 0) {
      sendHtml(res, 400, recoveryRequestPage(ctx, { values, issues, csrf: ensureCsrfToken(req, res, cookies), rule: RECOVERY_RULE }));
      return;
    }
    try {
      const answer = await recovery.request(req, { codiceFiscale: v.codiceFiscale ?? '', mobile: v.mobile || undefined, email: v.email || undefined, pec: v.pec || undefined });
      sendHtml(res, 200, recoveryReceivedPage(ctx, answer));
    } catch (err) {
      const f = failureOf(err, (field) => field, api.log, req, NOT_ANSWERED);
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
      sendHtml(res, answer.status === 'in_progress' ? 202 : 200, recoveryDonePage(ctx, answer));
    } catch (err) {
      const f = failureOf(err, (field) => field, api.log, req);
      if (f.alreadyConfirmed) {
        // The same link confirmed again (a reload, a second click, an answer that was lost): done.
        sendHtml(res, 200, recoveryDonePage(ctx, { status: 'already_confirmed', message: toDomainError(err).userMessage }));
        return;
      }
      again(res, f);
      // A refused token is not offered again; a transient failure keeps the button.
      const retry = f.status >= 500 ? token : undefined;
      sendHtml(res, f.status, recoveryConfirmPage(ctx, { token: retry, csrf: ensureCsrfToken(req, res, cookies), notice: f.notice }));
    }
  });

  // -- revocation ------------------------------------------------------------------------------

  const REVOKE_SERVICE_FIELDS: Record<string, string> = {
    codiceFiscale: 'codiceFiscale',
    'healthCard.number': 'healthCardNumber',
    'healthCard.expiresOn': 'healthCardExpiresOn',
    email: 'address',
    pec: 'address',
  };
  // The card number is never shown back.
  const shownBack = (v: { codiceFiscale?: string; healthCardExpiresOn?: string; address?: string }) => ({ codiceFiscale: v.codiceFiscale, healthCardExpiresOn: v.healthCardExpiresOn, address: v.address });

  r.get(RECOVERY_PATHS.revoke, (req, res) => {
    const csrf = ensureCsrfToken(req, res, readCookies(req));
    sendHtml(res, 200, revokePage(context(req, res, RECOVERY_PATHS.revoke), { values: {}, issues: [], csrf }));
  });

  // The data, checked all at once; then the page that asks "Vuoi revocare il PIN?".
  r.post(RECOVERY_PATHS.revoke, (req, res) => {
    const cookies = readCookies(req);
    const v = formOf(req);
    const ctx = context(req, res, RECOVERY_PATHS.revoke);
    const csrf = () => ensureCsrfToken(req, res, cookies);
    if (!csrfOk(req, cookies, v._csrf)) {
      sendHtml(res, 403, revokePage(ctx, { values: shownBack(v), issues: [], csrf: csrf(), notice: PAGE_EXPIRED }));
      return;
    }
    const issues = revocationIssues(v);
    if (issues.length > 0) {
      sendHtml(res, 400, revokePage(ctx, { values: shownBack(v), issues, csrf: csrf() }));
      return;
    }
    const data: SealedRevocation = {
      codiceFiscale: validateCodiceFiscaleFormat(v.codiceFiscale!).normalised,
      healthCardNumber: v.healthCardNumber!.replace(/[\s-]/g, ''),
      healthCardExpiresOn: v.healthCardExpiresOn!,
      address: v.address!,
    };
    sendHtml(
      res,
      200,
      revokeConfirmPage(ctx, {
        codiceFiscale: data.codiceFiscale,
        healthCardLast4: data.healthCardNumber.slice(-4),
        healthCardExpiresOn: data.healthCardExpiresOn,
        address: data.address,
        sealed: sealer.seal('revocation', data, now()),
        csrf: csrf(),
      }),
    );
  });

  r.post(RECOVERY_PATHS.revokeConfirm, async (req, res) => {
    const cookies = readCookies(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const ctx = context(req, res, RECOVERY_PATHS.revoke);
    const csrf = () => ensureCsrfToken(req, res, cookies);
    const opened = sealer.open('revocation', typeof body.revocation === 'string' ? body.revocation : undefined, REVOCATION_MAX_AGE_MS, now()) as SealedRevocation | undefined;
    if (!csrfOk(req, cookies, body._csrf) || !opened) {
      sendHtml(res, opened ? 403 : 400, revokePage(ctx, { values: opened ? shownBack(opened) : {}, issues: [], csrf: csrf(), notice: PAGE_EXPIRED }));
      return;
    }
    // "No, back to the data": the form again, nothing done.
    if (body.edit === 'yes' || body.confirmed !== 'yes') {
      sendHtml(res, 200, revokePage(ctx, { values: shownBack(opened), issues: [], csrf: csrf() }));
      return;
    }
    try {
      const answer = await revocation.revokeByHolder(req, {
        codiceFiscale: opened.codiceFiscale,
        healthCard: { number: opened.healthCardNumber, expiresOn: opened.healthCardExpiresOn },
        email: opened.address,
      });
      sendHtml(res, answer.status === 'in_progress' ? 202 : 200, revokedPage(ctx, answer));
    } catch (err) {
      const f = failureOf(err, (field) => REVOKE_SERVICE_FIELDS[field] ?? '', api.log, req);
      again(res, f);
      sendHtml(res, f.status, revokePage(ctx, { values: shownBack(opened), issues: f.issues, csrf: csrf(), notice: f.notice }));
    }
  });

  return r;
}
