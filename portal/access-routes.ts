/**
 * The portal's access pages, mounted inside the portal router (which already sets the security
 * headers, `Cache-Control: no-store` included, and parses forms):
 *
 * | route                   | page                                                            |
 * | ----------------------- | --------------------------------------------------------------- |
 * | GET/POST /first-access  | codice fiscale + the two halves → the new 8-character PIN, once |
 * | GET/POST /letter        | codice fiscale + first half → a new letter, within the limits   |
 * | GET/POST /login         | codice fiscale + PIN → session cookie, 303 → /home              |
 * | GET  /home              | PIN type, profile and services of the session (needs a session) |
 * | POST /logout            | ends the session                                                |
 * | GET/POST /regenerate    | codice fiscale + expired PIN → a new PIN, once                  |
 *
 * Every POST needs the CSRF token. PINs are never written back into a form, a cookie, a log or
 * a redirect: a new PIN exists only in the body of the answer to the POST that created it.
 * Failures come from the services and are read with `toDomainError`, like the JSON API does.
 */
import express, { type Request, type Response, type Router } from 'express';
import { PIN_ALPHABET, normalisePin } from '../lib/secrets';
import { DEFAULT_LOCKOUT_POLICY } from '../services/access/attempts';
import { clearSessionCookie, SESSION_COOKIE, setSessionCookie } from '../services/access/sessions';
import { toDomainError } from '../api/errors';
import { validateCodiceFiscaleFormat } from '../domain/codice-fiscale';
import { ErrorType, type Bilingual, type FieldIssue } from '../domain/errors';
import { servicesFor, type Catalogue } from '../domain/services';
import type { PortalAccess } from './access';
import {
  ACCESS_PATHS,
  firstAccessPage,
  formatDuration,
  homeAreaPage,
  letterPage,
  letterSentPage,
  lockoutHint,
  loginPage,
  newPinPage,
  regeneratePage,
  type AccessFormInput,
  type Problem,
} from './access-pages';
import { fill, resolveLang } from './i18n';
import { messagePage } from './pages';
import { csrfOk, ensureCsrfToken, readCookies } from '../web/security';
import { NOT_CONFIRMED, requiredIssue, type PageContext } from './views';
import type { HolderSummary } from '../services/citizen-account';

export interface AccessRoutesDeps {
  access: PortalAccess;
  now: () => Date;
  log?: { error: (obj: object, msg?: string) => void };
  /** The conversion and claim pages are mounted too: the personal area links to them. */
  citizenPages?: boolean;
  /** What is on offer today (the COVID bonuses only under the simplified procedure). */
  catalogue: Catalogue;
  /** The holder's name and PIN expiry for the personal area (absent in page tests with fakes). */
  holderSummary?: (credentialId: string) => Promise<HolderSummary | undefined>;
}

const PIN_PART = new RegExp(`^[${PIN_ALPHABET}]{8}$`);
/** Longest value read from a field: generous for what people type, small for the pages. */
const MAX_INPUT = 64;

/** "Enter …", worded per field: the error summary lists each of them with its link. */
const REQUIRED_MESSAGES: Readonly<Record<string, Bilingual>> = {
  codiceFiscale: { it: 'Inserisci il codice fiscale', en: 'Enter your codice fiscale' },
  pinFirst: { it: 'Inserisci la prima parte del PIN, ricevuta via SMS o e-mail', en: 'Enter the first part of the PIN, which you got by text message or e-mail' },
  pinSecond: { it: 'Inserisci la seconda parte del PIN, stampata nella lettera', en: 'Enter the second part of the PIN, printed in the letter' },
  firstHalf: { it: 'Inserisci la prima parte del PIN, ricevuta via SMS o e-mail', en: 'Enter the first part of the PIN, which you got by text message or e-mail' },
  pin: { it: 'Inserisci il PIN', en: 'Enter your PIN' },
  expiredPin: { it: 'Inserisci il PIN scaduto', en: 'Enter the expired PIN' },
};

const REQUIRED = (field: string): FieldIssue => requiredIssue(field, REQUIRED_MESSAGES[field] ?? { it: 'Compila il campo', en: 'Fill in the field' });

/** The form's string values (anything else is ignored), trimmed and bounded. */
function formOf(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  const body = (req.body ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v.trim().slice(0, MAX_INPUT);
  return out;
}

function checkCodiceFiscale(raw: string): FieldIssue[] {
  if (raw === '') return [REQUIRED('codiceFiscale')];
  return validateCodiceFiscaleFormat(raw).errors;
}

/** An 8-character part of the PIN, as typed (spaces, dashes and lower case are fine). */
function checkPinPart(field: string, raw: string): FieldIssue[] {
  if (raw === '') return [REQUIRED(field)];
  const pin = normalisePin(raw);
  if (pin.length !== 8) {
    return [{ field, code: 'pin_length', message: { it: `Sono 8 caratteri: ne hai inseriti ${pin.length}.`, en: `It has 8 characters: you entered ${pin.length}.` } }];
  }
  if (!PIN_PART.test(pin)) {
    return [
      {
        field,
        code: 'pin_chars',
        message: {
          it: 'Controlla i caratteri: il PIN contiene solo lettere e cifre da 2 a 9, mai 0, 1, I, L oppure O.',
          en: 'Check the characters: the PIN holds only letters and digits from 2 to 9, never 0, 1, I, L or O.',
        },
      },
    ];
  }
  return [];
}

export const sendHtml = (res: Response, status: number, body: string) => res.status(status).type('html').send(body);

/** The answer to a form whose CSRF token is missing or stale, or that came from another site. */
export function forbiddenPage(req: Request, res: Response, path: string): void {
  sendHtml(
    res,
    403,
    messagePage({ lang: resolveLang(req, res), base: req.baseUrl, selfPath: path }, {
      title: { it: 'Sessione non valida', en: 'Session not valid' },
      text: {
        it: 'La pagina è scaduta o la richiesta non proviene da questo sito. Riapri la pagina e riprova.',
        en: 'The page has expired or the request did not come from this site. Open the page again and retry.',
      },
      linkPath: path,
      linkText: { it: 'Riapri la pagina', en: 'Open the page again' },
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Failures as pages

const INVALID: Bilingual = { it: 'Codice fiscale o PIN non corretti', en: 'Codice fiscale or PIN not correct' };
const CONTACT_CENTRE: Bilingual = {
  it: 'Per assistenza chiama il Contact center: 803 164 da rete fissa, 06 164 164 da cellulare o dall’estero.',
  en: 'For help call the contact centre: 803 164 from a landline, +39 06 164 164 from a mobile or from abroad.',
};

type Form = 'first_access' | 'letter' | 'login' | 'regenerate';

interface Failure {
  status: number;
  issues: FieldIssue[];
  problem?: Problem;
  retryAfterSeconds?: number;
}

/** Fields the services name, as the form's fields. */
const SERVICE_FIELD: Readonly<Record<Form, Readonly<Record<string, string>>>> = {
  first_access: { codiceFiscale: 'codiceFiscale', pin: 'pinSecond' },
  letter: { codiceFiscale: 'codiceFiscale', firstHalf: 'firstHalf' },
  login: { codiceFiscale: 'codiceFiscale', pin: 'pin' },
  regenerate: { codiceFiscale: 'codiceFiscale', pin: 'expiredPin' },
};

function failureOf(err: unknown, form: Form, deps: AccessRoutesDeps, req: Request): Failure {
  const d = toDomainError(err);
  const reason = typeof d.details.reason === 'string' ? d.details.reason : undefined;
  const retry = typeof d.details.retryAfterSeconds === 'number' ? d.details.retryAfterSeconds : undefined;
  const waitText = (lang: 'it' | 'en') => formatDuration(lang, (retry ?? 60) * 1000);
  const wait = (text: Bilingual): Bilingual => ({ it: fill(text.it, { wait: waitText('it') }), en: fill(text.en, { wait: waitText('en') }) });

  switch (d.type) {
    case ErrorType.Validation:
      return {
        status: 400,
        issues: d.fields.map((f) => ({ ...f, field: SERVICE_FIELD[form][f.field] ?? '' })),
        problem:
          form === 'login' && d.fields.some((f) => f.code === 'use_first_access')
            ? {
                tone: 'info',
                title: { it: 'Hai il PIN di 16 caratteri?', en: 'Do you have the 16-character PIN?' },
                text: {
                  it: 'Il PIN di 16 caratteri (prima parte via SMS o e-mail, seconda parte per lettera) serve solo per il primo accesso, che ti assegna il PIN di 8 caratteri.',
                  en: 'The 16-character PIN (first part by text message or e-mail, second part by letter) is only for the first access, which gives you the 8-character PIN.',
                },
                action: { path: ACCESS_PATHS.firstAccess, label: { it: 'Vai al primo accesso', en: 'Go to the first access' } },
              }
            : undefined,
      };
    case ErrorType.Unauthenticated: {
      const lockAfter = DEFAULT_LOCKOUT_POLICY.lockAfter;
      const check: Record<Form, Bilingual> = {
        first_access: {
          it: 'Controlla il codice fiscale e le due parti del PIN: la prima è quella ricevuta via SMS o e-mail, la seconda quella della lettera.',
          en: 'Check the codice fiscale and both parts of the PIN: the first is the one you got by text message or e-mail, the second the one in the letter.',
        },
        letter: {
          it: 'Controlla il codice fiscale e la prima parte del PIN, ricevuta via SMS o e-mail.',
          en: 'Check the codice fiscale and the first part of the PIN, which you got by text message or e-mail.',
        },
        login: { it: 'Controlla il codice fiscale e il PIN di 8 caratteri.', en: 'Check the codice fiscale and the 8-character PIN.' },
        regenerate: { it: 'Controlla il codice fiscale e il PIN scaduto.', en: 'Check the codice fiscale and the expired PIN.' },
      };
      return {
        status: 401,
        issues: [],
        problem: { tone: 'danger', title: INVALID, text: check[form], more: [{ it: lockoutHint('it', lockAfter), en: lockoutHint('en', lockAfter) }] },
      };
    }
    case ErrorType.RateLimited:
      if (reason === 'TEMPORARILY_LOCKED') {
        return {
          status: 429,
          issues: [],
          retryAfterSeconds: retry,
          problem: {
            tone: 'danger',
            title: { it: 'Accesso sospeso per troppi tentativi', en: 'Access suspended after too many attempts' },
            text: wait({
              it: 'Ci sono stati troppi tentativi non riusciti di seguito: per sicurezza l’accesso con questo codice fiscale è sospeso. Potrai riprovare tra {wait}.',
              en: 'There were too many unsuccessful attempts in a row: for security, access with this codice fiscale is suspended. You can try again in {wait}.',
            }),
            more: [
              {
                it: 'Se non ricordi il PIN, non continuare a provare: ogni tentativo sbagliato allunga l’attesa. Puoi recuperarlo con la procedura di ripristino.',
                en: 'If you do not remember the PIN, stop trying: every wrong attempt makes the wait longer. You can recover it with the recovery procedure.',
              },
            ],
          },
        };
      }
      if (reason === 'THROTTLED') {
        return {
          status: 429,
          issues: [],
          retryAfterSeconds: retry,
          problem: {
            tone: 'warning',
            title: { it: 'Troppi tentativi da questa connessione', en: 'Too many attempts from this connection' },
            text: wait({
              it: 'Da questa connessione sono arrivati troppi tentativi di accesso in poco tempo. Riprova tra {wait}.',
              en: 'Too many login attempts came from this connection in a short time. Please try again in {wait}.',
            }),
          },
        };
      }
      if (form === 'letter' && reason === 'TOO_SOON') {
        // The same request made again within the day (a reload, an answer lost): done already.
        return {
          status: 200,
          issues: [],
          problem: {
            tone: 'success',
            title: { it: 'Nuova lettera già richiesta', en: 'New letter already requested' },
            text: {
              it: 'Hai già chiesto una nuova lettera nelle ultime 24 ore: è in preparazione e arriverà all’indirizzo di residenza, con la stessa seconda parte del PIN. Non serve chiederla di nuovo.',
              en: 'You already asked for a new letter in the last 24 hours: it is being prepared and will arrive at your residence address, with the same second part of the PIN. There is no need to ask again.',
            },
            more: [{ it: 'Quando avrai la lettera, completa il primo accesso con le due parti del PIN.', en: 'Once you have the letter, complete the first access with the two parts of the PIN.' }],
            action: { path: ACCESS_PATHS.firstAccess, label: { it: 'Vai al primo accesso', en: 'Go to the first access' } },
          },
        };
      }
      // A new letter refused by the limits (WINDOW_LIMIT), or another limit.
      return {
        status: 429,
        issues: [],
        retryAfterSeconds: retry,
        problem: {
          tone: 'warning',
          title: form === 'letter' ? { it: 'Nuova lettera non disponibile', en: 'New letter not available' } : { it: 'Riprova più tardi', en: 'Please try again later' },
          text: d.userMessage,
          more: form === 'letter' ? [CONTACT_CENTRE] : [],
        },
      };
    case ErrorType.Forbidden:
      if (reason === 'PERMANENTLY_LOCKED') {
        return {
          status: 403,
          issues: [],
          problem: {
            tone: 'danger',
            title: { it: 'Accesso bloccato', en: 'Access blocked' },
            text: {
              it: 'L’accesso con questo codice fiscale è bloccato dopo troppi tentativi non riusciti, e resta bloccato anche con il PIN corretto.',
              en: 'Access with this codice fiscale is blocked after too many unsuccessful attempts, and stays blocked even with the right PIN.',
            },
            more: [
              {
                it: 'Per sbloccarlo serve il ripristino del PIN (con il codice fiscale e due dei recapiti indicati nella richiesta) oppure la revoca del PIN e una nuova richiesta.',
                en: 'To unblock it you need the recovery of the PIN (with the codice fiscale and two of the contacts given in the request) or the revocation of the PIN and a new request.',
              },
              CONTACT_CENTRE,
            ],
          },
        };
      }
      if (reason === 'PIN_EXPIRED') {
        return {
          status: 403,
          issues: [],
          problem: {
            tone: 'warning',
            title: { it: 'Il PIN è scaduto', en: 'Your PIN has expired' },
            text: {
              it: 'Per sicurezza il PIN ha una scadenza. Puoi generarne subito uno nuovo con il codice fiscale e il PIN scaduto: i servizi restano gli stessi.',
              en: 'For security the PIN expires. You can get a new one at once with your codice fiscale and the expired PIN: the services stay the same.',
            },
            action: { path: ACCESS_PATHS.regenerate, label: { it: 'Genera un nuovo PIN', en: 'Get a new PIN' } },
          },
        };
      }
      return { status: 403, issues: [], problem: { tone: 'danger', title: { it: 'Operazione non consentita', en: 'Not allowed' }, text: d.userMessage } };
    case ErrorType.Conflict:
      if (reason === 'ALREADY_DONE') {
        // The first access or regeneration made again after it went through: done, not refused.
        return {
          status: 200,
          issues: [],
          problem: {
            tone: 'success',
            title: form === 'regenerate' ? { it: 'PIN già sostituito', en: 'PIN already replaced' } : { it: 'Primo accesso già fatto', en: 'First access already made' },
            text: d.userMessage,
            more: [{ it: 'Il ripristino ti manda un nuovo PIN ai recapiti registrati.', en: 'The recovery sends you a new PIN at your registered contacts.' }],
            action: { path: ACCESS_PATHS.login, label: { it: 'Accedi', en: 'Log in' } },
          },
        };
      }
      return {
        status: 409,
        issues: [],
        problem: {
          tone: 'warning',
          title: { it: 'Operazione non consentita', en: 'Not allowed' },
          text: d.userMessage,
          more:
            reason === 'NOT_WAITING'
              ? [{ it: 'Se hai già fatto il primo accesso, accedi con il tuo PIN di 8 caratteri.', en: 'If you already did the first access, log in with your 8-character PIN.' }]
              : [],
          action: reason === 'NOT_WAITING' ? { path: ACCESS_PATHS.login, label: { it: 'Accedi', en: 'Log in' } } : undefined,
        },
      };
    default: {
      if (d.type === ErrorType.Internal || d.type === ErrorType.NotFound) {
        deps.log?.error({ err, path: `${req.baseUrl}${req.path}` }, 'portal: access page failed');
      }
      return {
        status: d.type === ErrorType.Internal || d.type === ErrorType.NotFound ? 500 : 503,
        issues: [],
        retryAfterSeconds: d.type === ErrorType.Unavailable ? 60 : undefined,
        // A login changes nothing worth a doubt; the other forms may have done their work.
        problem:
          form === 'login'
            ? {
                tone: 'warning',
                title: { it: 'Servizio momentaneamente non disponibile', en: 'Service temporarily unavailable' },
                text: { it: 'L’accesso non è riuscito per un problema del servizio. Riprova tra qualche minuto.', en: 'The login did not go through because of a problem of the service. Please try again in a few minutes.' },
              }
            : NOT_CONFIRMED,
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------

export function accessRoutes(deps: AccessRoutesDeps): Router {
  const r = express.Router();
  const { access } = deps;

  const context = (req: Request, res: Response, selfPath: string): PageContext => ({ lang: resolveLang(req, res), base: req.baseUrl, selfPath });
  const go = (req: Request, res: Response, to: string) => res.redirect(303, `${req.baseUrl}${to}`);


  type FormPage = (ctx: PageContext, input: AccessFormInput) => string;

  /**
   * GET shows the empty form; POST checks the CSRF token and the fields, then `act` — whose
   * failures come back as the same form with the message — or `done`, which answers.
   */
  function formRoute<T>(
    path: string,
    form: Form,
    render: FormPage,
    fields: (values: Record<string, string>) => FieldIssue[],
    act: (req: Request, values: Record<string, string>) => Promise<T>,
    done: (req: Request, res: Response, result: T) => void,
    notice?: (req: Request) => Problem | undefined,
  ): void {
    r.get(path, (req, res) => {
      const csrf = ensureCsrfToken(req, res, readCookies(req));
      sendHtml(res, 200, render(context(req, res, path), { values: {}, issues: [], csrf, problem: notice?.(req) }));
    });
    r.post(path, async (req, res) => {
      const cookies = readCookies(req);
      const values = formOf(req);
      if (!csrfOk(req, cookies, values._csrf)) {
        forbiddenPage(req, res, path);
        return;
      }
      const again = (status: number, f: Omit<Failure, 'status'>) => {
        if (f.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(f.retryAfterSeconds));
        const csrf = ensureCsrfToken(req, res, cookies);
        // Only the codice fiscale is shown back, as typed (escaped); PINs never are.
        sendHtml(res, status, render(context(req, res, path), { values: { codiceFiscale: values.codiceFiscale ?? '' }, issues: f.issues, csrf, problem: f.problem }));
      };
      const issues = fields(values);
      if (issues.length > 0) {
        again(400, { issues });
        return;
      }
      let result: T;
      try {
        result = await act(req, values);
      } catch (err) {
        const f = failureOf(err, form, deps, req);
        again(f.status, f);
        return;
      }
      done(req, res, result);
    });
  }

  const cf = (v: Record<string, string>) => v.codiceFiscale ?? '';

  // -- first access ------------------------------------------------------------------------------

  formRoute(
    ACCESS_PATHS.firstAccess,
    'first_access',
    firstAccessPage,
    (v) => [...checkCodiceFiscale(cf(v)), ...checkPinPart('pinFirst', v.pinFirst ?? ''), ...checkPinPart('pinSecond', v.pinSecond ?? '')],
    (req, v) => access.firstAccess(req, { codiceFiscale: cf(v), pin: normalisePin(v.pinFirst ?? '') + normalisePin(v.pinSecond ?? '') }),
    (req, res, answer) => {
      // Shown once: not cached anywhere, not in a cookie, not in a redirect.
      res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
      sendHtml(res, 200, newPinPage(context(req, res, ACCESS_PATHS.firstAccess), { pin: answer.pin, ...(answer.status === 'active' ? { pinExpiresAt: answer.pinExpiresAt } : {}), kind: 'first_access' }));
    },
  );

  // -- a new letter ----------------------------------------------------------------------------

  formRoute(
    ACCESS_PATHS.letter,
    'letter',
    (ctx, input) => letterPage(ctx, input, access.letterLimits),
    (v) => [...checkCodiceFiscale(cf(v)), ...checkPinPart('firstHalf', v.firstHalf ?? '')],
    (req, v) => access.resendLetter(req, { codiceFiscale: cf(v), firstHalf: normalisePin(v.firstHalf ?? '') }),
    (req, res, sent) => sendHtml(res, 200, letterSentPage(context(req, res, ACCESS_PATHS.letter), sent)),
  );

  // -- login -----------------------------------------------------------------------------------

  // Already logged in: straight to the personal area.
  r.get(ACCESS_PATHS.login, async (req, res, next) => {
    if (readCookies(req)[SESSION_COOKIE] && (await access.session(req))) {
      go(req, res, ACCESS_PATHS.home);
      return;
    }
    next();
  });

  formRoute(
    ACCESS_PATHS.login,
    'login',
    loginPage,
    // The PIN's shape is the login service's to judge (it also spots a 16-character PIN).
    (v) => [...checkCodiceFiscale(cf(v)), ...(v.pin ? [] : [REQUIRED('pin')])],
    (req, v) => access.login(req, { codiceFiscale: cf(v), pin: v.pin ?? '' }),
    (req, res, session) => {
      setSessionCookie(res, session.token, Math.max(0, session.expiresAt.getTime() - deps.now().getTime()));
      go(req, res, ACCESS_PATHS.home);
    },
    (req): Problem | undefined => {
      if (req.query.out === '1') {
        return { tone: 'success', title: { it: 'Sei uscito', en: 'You have logged out' }, text: { it: 'La sessione è stata chiusa.', en: 'Your session has been closed.' } };
      }
      if (req.query.expired === '1') {
        return {
          tone: 'info',
          title: { it: 'Accedi per continuare', en: 'Log in to continue' },
          text: { it: 'La sessione è scaduta o non è più valida: accedi di nuovo.', en: 'Your session has expired or is no longer valid: please log in again.' },
        };
      }
      return undefined;
    },
  );

  // -- regeneration ----------------------------------------------------------------------------

  formRoute(
    ACCESS_PATHS.regenerate,
    'regenerate',
    regeneratePage,
    (v) => [...checkCodiceFiscale(cf(v)), ...(v.expiredPin ? [] : [REQUIRED('expiredPin')])],
    (req, v) => access.regenerate(req, { codiceFiscale: cf(v), pin: v.expiredPin ?? '' }),
    (req, res, answer) => {
      res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
      sendHtml(res, 200, newPinPage(context(req, res, ACCESS_PATHS.regenerate), { pin: answer.pin, ...(answer.status === 'active' ? { pinExpiresAt: answer.pinExpiresAt } : {}), kind: 'regeneration' }));
    },
  );

  // -- personal area and logout ------------------------------------------------------------------

  r.get(ACCESS_PATHS.home, async (req, res) => {
    const cookies = readCookies(req);
    const citizen = cookies[SESSION_COOKIE] ? await access.session(req) : undefined;
    if (!citizen) {
      if (cookies[SESSION_COOKIE]) clearSessionCookie(res);
      go(req, res, `${ACCESS_PATHS.login}${cookies[SESSION_COOKIE] ? '?expired=1' : ''}`);
      return;
    }
    const csrf = ensureCsrfToken(req, res, cookies);
    const summary = await deps.holderSummary?.(citizen.credentialId);
    sendHtml(
      res,
      200,
      homeAreaPage(context(req, res, ACCESS_PATHS.home), {
        codiceFiscale: citizen.codiceFiscale,
        ...(summary ? { holderName: `${summary.name} ${summary.surname}`.trim(), ...(summary.pinExpiresAt ? { pinExpiresAt: summary.pinExpiresAt } : {}) } : {}),
        scope: citizen.scope,
        profile: citizen.profile,
        intermediary: citizen.intermediary,
        services: servicesFor(citizen, deps.catalogue),
        csrf,
        links: deps.citizenPages ? { conversion: citizen.scope === 'ordinary', claims: true, delegations: citizen.scope !== 'simplified' } : undefined,
      }),
    );
  });

  r.post(ACCESS_PATHS.logout, async (req, res) => {
    const cookies = readCookies(req);
    if (!csrfOk(req, cookies, formOf(req)._csrf)) {
      forbiddenPage(req, res, ACCESS_PATHS.home);
      return;
    }
    if (cookies[SESSION_COOKIE]) await access.logout(req);
    clearSessionCookie(res);
    go(req, res, `${ACCESS_PATHS.login}?out=1`);
  });

  return r;
}
