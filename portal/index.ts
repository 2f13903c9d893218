/**
 * The citizen portal's PIN request pages, server-rendered in Italian and English on
 * bootstrap-italia, mounted by the application at `/portal`:
 *
 * | route                          | page                                                     |
 * | ------------------------------ | -------------------------------------------------------- |
 * | GET  /                         | what the PIN is, who may request it, "Richiedi PIN"       |
 * | GET/POST /request              | step 1: codice fiscale, residence, Italian document       |
 * | GET/POST /request/personal     | step 2: personal data                                     |
 * | GET/POST /request/contacts     | step 3: contacts, preferred phone and time slot           |
 * | GET  /request/review           | step 4: everything back, "Indietro" / "Conferma"          |
 * | POST /request/confirm          | submits once per idempotency key, then → done             |
 * | GET  /request/done             | step 5: request id and how the two halves will arrive     |
 * | POST /request/cancel           | forgets the draft                                         |
 * | GET  /request/not-eligible     | the answer to a citizen the 2021 policy excludes: SPID, CIE, CNS |
 * | /first-access, /letter, /login, /home, /logout, /regenerate | see `access-routes.ts`       |
 * | /conversion, /conversion/form, /claims, /claims/:claimId | see `conversion-claims-routes.ts` |
 * | /telephone-pin, /identity/login, /identity/callback, /identity/logout | see `telephone-pin-routes.ts` |
 * | /requests, /contacts           | the holder's timeline and contacts: see `account-routes.ts` |
 * | GET  /accessibilita, /privacy, /note-legali | the notices every footer links: see `notice-pages.ts` (no login) |
 * | GET  /assets/bootstrap-italia/ | bootstrap-italia's `dist/` (CSS, fonts, SVG sprite)       |
 * | GET  /assets/portal/           | the portal's own stylesheet (font faces, small tweaks)    |
 *
 * The draft between steps lives in a sealed cookie (AES-256-GCM, see `security.ts`), not in
 * hidden fields: every step is then an ordinary page reachable by GET, so the language links,
 * the browser's back button, "Modifica" links from the review and a reload all work without
 * re-posting (post → 303 → get), and the review's "Conferma" form carries only the CSRF token and
 * the idempotency key. Nothing is stored on the server until "Conferma". The final confirmation
 * re-validates the whole draft with the domain rules; each step shows only its own issues.
 *
 * CSRF: double-submit token (random value in an HttpOnly SameSite=Strict cookie, repeated in a
 * hidden field of every form), plus a refusal of requests the browser marks as cross-site.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { DomainError, ErrorType, type Bilingual, type FieldIssue } from '../domain/errors';
import { toDomainError } from '../api/errors';
import { refuseNulBytes } from '../web/request-guards';
import { catalogueFor } from '../domain/services';
import type { DeliveryPlan, PinRequest } from '../domain/pin-request';
import type { ApiDeps } from '../api/deps';
import { createPortalAccess, type PortalAccess } from './access';
import { accessRoutes } from './access-routes';
import { recoveryPortalRoutes } from './recovery-routes';
import { conversionClaimsRoutes } from './conversion-claims-routes';
import { telephonePinPortalRoutes } from './telephone-pin-routes';
import { accountRoutes } from './account-routes';
import { createCitizenAccountService } from '../services/citizen-account';
import type { CitizenIdentityService } from '../services/identity/citizen-identity';
import { delegationPortalRoutes } from './delegation-routes';
import {
  assessDraft,
  draftFromPayload,
  EMPTY_DRAFT,
  firstIncompleteStep,
  STEP_IDS,
  stepValuesFromBody,
  type Assessment,
  type Draft,
  type StepId,
} from './draft';
import { resolveLang } from './i18n';
import { accessibilityPage, legalPage, NOTICE_PATHS, privacyPage } from './notice-pages';
import {
  contactsPage,
  donePage,
  homePage,
  messagePage,
  notEligiblePage,
  personalPage,
  residencePage,
  reviewPage,
  STEP_PATHS,
  type DoneData,
  type StepPageInput,
  type SubmitProblem,
} from './pages';
import {
  clearCookie,
  COOKIE,
  createSealer,
  csrfOk,
  ensureCsrfToken,
  pageHeaders,
  readCookies,
  setCookie,
} from '../web/security';
import type { PageContext } from './views';

/** What the request service answers on a confirmation. */
export interface PortalSubmitResult {
  requestId: string;
  protocol: string;
  credentialId: string;
  status: 'accepted';
  deliveryPlan: DeliveryPlan;
  warnings: FieldIssue[];
}

export interface PortalDeps {
  /**
   * Stores the request and starts its workflow; idempotent by key. Throws `DomainError`
   * CONFLICT (a live PIN exists for the codice fiscale) or UNAVAILABLE (try again later).
   */
  submit: (
    request: PinRequest,
    warnings: FieldIssue[],
    opts: { idempotencyKey?: string },
  ) => Promise<{ created: boolean; result: PortalSubmitResult }>;
  /** Whether the 2021 restriction (residents abroad without an Italian document) applies. */
  eligibilityPolicy: boolean;
  /** The clock, injectable for tests. */
  now?: () => Date;
  /**
   * Secret for the sealed draft cookie. Without it a random key is made per process, so drafts
   * do not survive a restart and are not shared between instances (the citizen starts again).
   */
  cookieSecret?: string;
  /** Where unexpected errors are reported (a pino logger fits). */
  log?: { error: (obj: object, msg?: string) => void };
  /**
   * The services of the access pages (first access, new letter, login, personal area,
   * regeneration). Tests give fakes; without it they are built from `api`, and without either
   * the access pages are not offered.
   */
  access?: PortalAccess;
  /** The API's dependencies, from which the real access services are built. */
  api?: ApiDeps;
  /** Days a dispatched letter's PDF is kept (LETTER_RETENTION_DAYS), told in the privacy notice; absent: 30. */
  letterRetentionDays?: number;
  /** The SPID/CIE/CNS sign-in shared with the JSON API (one discovery of the provider); built from `api` if absent. */
  identity?: CitizenIdentityService;
}

const require = createRequire(import.meta.url);
const BOOTSTRAP_ITALIA_DIST = path.join(path.dirname(require.resolve('bootstrap-italia/package.json')), 'dist');
const PORTAL_ASSETS = fileURLToPath(new URL('./assets', import.meta.url));

/** A draft untouched for this long is forgotten (shared computers). */
const DRAFT_MAX_AGE_MS = 2 * 60 * 60 * 1000;
const DONE_MAX_AGE_MS = 2 * 60 * 60 * 1000;
/** Browsers keep at most about 4 KB per cookie. */
const MAX_COOKIE_VALUE = 3900;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,128}$/;

const SESSION_EXPIRED: Bilingual = {
  it: 'La sessione è scaduta e i dati inseriti in precedenza non sono stati conservati: ricomincia la richiesta.',
  en: 'Your session expired and the data entered earlier were not kept: please start the request again.',
};

type SubmitOutcome = Awaited<ReturnType<PortalDeps['submit']>>;

/**
 * Confirmations in progress or just made, by idempotency key and codice fiscale: a double click
 * on "Conferma" (two POSTs with the same key) reaches the service once from this instance; the
 * service's own deduplication by key covers other instances and later retries.
 */
class RecentConfirmations {
  private readonly entries = new Map<string, { expires: number; promise: Promise<SubmitOutcome> }>();

  constructor(
    private readonly ttlMs = 15 * 60 * 1000,
    private readonly maxEntries = 10_000,
  ) {}

  run(key: string, scope: string, nowMs: number, submit: () => Promise<SubmitOutcome>): Promise<SubmitOutcome> {
    const id = `${key}\u0000${scope}`;
    const hit = this.entries.get(id);
    if (hit && hit.expires > nowMs) return hit.promise;
    this.prune(nowMs);
    const promise = submit();
    this.entries.set(id, { expires: nowMs + this.ttlMs, promise });
    // A failed attempt must not be replayed: the citizen retries and the service decides again.
    promise.then(undefined, () => {
      if (this.entries.get(id)?.promise === promise) this.entries.delete(id);
    });
    return promise;
  }

  private prune(nowMs: number): void {
    if (this.entries.size < this.maxEntries) return;
    for (const [id, entry] of this.entries) if (entry.expires <= nowMs) this.entries.delete(id);
    // Still full: drop the oldest (a Map iterates in insertion order).
    for (const id of this.entries.keys()) {
      if (this.entries.size < this.maxEntries) break;
      this.entries.delete(id);
    }
  }
}

function sendHtml(res: Response, status: number, body: string): void {
  res.status(status).type('html').send(body);
}

export function portalRoutes(deps: PortalDeps): Router {
  const r = express.Router();
  const now = deps.now ?? (() => new Date());
  const sealer = createSealer(deps.cookieSecret);
  const confirmations = new RecentConfirmations();
  const access = deps.access ?? (deps.api ? createPortalAccess(deps.api) : undefined);

  r.use(
    '/assets/bootstrap-italia',
    express.static(BOOTSTRAP_ITALIA_DIST, { index: false, maxAge: '7d', setHeaders: (res) => res.setHeader('X-Content-Type-Options', 'nosniff') }),
  );
  r.use('/assets/portal', express.static(PORTAL_ASSETS, { index: false, maxAge: '1h' }));
  r.use(pageHeaders);
  r.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 60, inflate: false }));
  r.use(refuseNulBytes());

  // -- helpers -------------------------------------------------------------------------------

  const context = (req: Request, res: Response, selfPath: string): PageContext => ({
    lang: resolveLang(req, res),
    base: req.baseUrl,
    selfPath,
  });
  const go = (req: Request, res: Response, to: string) => res.redirect(303, `${req.baseUrl}${to}`);
  const draftPath = (req: Request) => `${req.baseUrl}${STEP_PATHS.residence}`;
  const assess = (draft: Draft): Assessment =>
    assessDraft(draft, { today: now(), eligibilityPolicy: deps.eligibilityPolicy });

  function loadDraft(cookies: Record<string, string>): { draft: Draft; expired: boolean } {
    const token = cookies[COOKIE.draft];
    const payload = sealer.open(COOKIE.draft, token, DRAFT_MAX_AGE_MS, now());
    if (payload === undefined) return { draft: EMPTY_DRAFT, expired: token !== undefined && token !== '' };
    return { draft: draftFromPayload(payload), expired: false };
  }

  function saveDraft(req: Request, res: Response, draft: Draft): boolean {
    const token = sealer.seal(COOKIE.draft, draft, now());
    if (token.length > MAX_COOKIE_VALUE) return false;
    setCookie(req, res, COOKIE.draft, token, { path: draftPath(req), sameSite: 'lax' });
    return true;
  }

  function loadDone(cookies: Record<string, string>): DoneData | undefined {
    const payload = sealer.open(COOKIE.done, cookies[COOKIE.done], DONE_MAX_AGE_MS, now());
    if (typeof payload !== 'object' || payload === null) return undefined;
    const d = payload as Partial<DoneData>;
    return typeof d.key === 'string' && typeof d.requestId === 'string' && d.plan ? (d as DoneData) : undefined;
  }

  function forbidden(req: Request, res: Response): void {
    const ctx = context(req, res, STEP_PATHS.residence);
    sendHtml(
      res,
      403,
      messagePage(ctx, {
        title: { it: 'Sessione non valida', en: 'Session not valid' },
        text: {
          it: 'La pagina è scaduta o la richiesta non proviene da questo sito. Riapri la pagina e riprova: i dati già inseriti sono conservati.',
          en: 'The page has expired or the request did not come from this site. Open the page again and retry: the data already entered are kept.',
        },
        linkPath: STEP_PATHS.residence,
        linkText: { it: 'Riprendi la richiesta', en: 'Resume the request' },
      }),
    );
  }

  const STEP_PAGES: Record<StepId, (ctx: PageContext, input: StepPageInput) => string> = {
    residence: (ctx, input) => residencePage(ctx, input, { eligibilityPolicy: deps.eligibilityPolicy }),
    personal: personalPage,
    contacts: contactsPage,
  };

  /** Where to go once a step is complete: the first step still to do, else the review. */
  function nextPath(draft: Draft, assessment: Assessment): string {
    const first = firstIncompleteStep(draft, assessment);
    return first ? STEP_PATHS[first] : STEP_PATHS.review;
  }

  // -- pages ---------------------------------------------------------------------------------

  r.get('/', (req, res) => {
    sendHtml(res, 200, homePage(context(req, res, ''), { eligibilityPolicy: deps.eligibilityPolicy, accessPages: access !== undefined }));
  });

  // The institutional notices, open to anyone (linked from every page's footer, portal and console).
  r.get(NOTICE_PATHS.accessibility, (req, res) => sendHtml(res, 200, accessibilityPage(context(req, res, NOTICE_PATHS.accessibility))));
  r.get(NOTICE_PATHS.privacy, (req, res) =>
    sendHtml(res, 200, privacyPage(context(req, res, NOTICE_PATHS.privacy), { letterRetentionDays: deps.letterRetentionDays ?? 30 })),
  );
  r.get(NOTICE_PATHS.legal, (req, res) => sendHtml(res, 200, legalPage(context(req, res, NOTICE_PATHS.legal))));

  for (const step of STEP_IDS) {
    const index = STEP_IDS.indexOf(step);

    r.get(STEP_PATHS[step], (req, res) => {
      const cookies = readCookies(req);
      const ctx = context(req, res, STEP_PATHS[step]);
      const { draft, expired } = loadDraft(cookies);
      const assessment = assess(draft);
      // A step is shown only once the steps before it are complete.
      const first = firstIncompleteStep(draft, assessment);
      if (first !== undefined && STEP_IDS.indexOf(first) < index) {
        go(req, res, STEP_PATHS[first] + (expired ? '?expired=1' : ''));
        return;
      }
      // Ineligibility is told on a page of its own, not as a field to correct.
      const issues = draft.submitted.includes(step) ? assessment.issues[step].filter((i) => i.code !== 'not_eligible') : [];
      const csrf = ensureCsrfToken(req, res, cookies);
      if (expired) clearCookie(req, res, COOKIE.draft, draftPath(req));
      const notice = step === 'residence' && (expired || req.query.expired === '1') ? SESSION_EXPIRED : undefined;
      sendHtml(res, 200, STEP_PAGES[step](ctx, { values: draft.values, issues, csrf, notice }));
    });

    r.post(STEP_PATHS[step], (req, res) => {
      const cookies = readCookies(req);
      if (!csrfOk(req, cookies, (req.body as Record<string, unknown> | undefined)?._csrf)) {
        forbidden(req, res);
        return;
      }
      const { draft, expired } = loadDraft(cookies);
      if (index > 0 && (expired || !draft.submitted.includes('residence'))) {
        go(req, res, `${STEP_PATHS.residence}?expired=1`);
        return;
      }
      const next: Draft = {
        values: { ...draft.values, ...stepValuesFromBody(step, req.body) },
        submitted: STEP_IDS.filter((s) => s === step || draft.submitted.includes(s)),
      };
      const assessment = assess(next);
      const issues = [...assessment.issues[step]];
      // Values are kept even when wrong, so a language switch or a reload shows them again.
      const saved = saveDraft(req, res, next);
      // Answers that exclude the citizen: an answer page (with the way back to change them), not an error.
      if (saved && issues.some((i) => i.code === 'not_eligible')) {
        go(req, res, STEP_PATHS.notEligible);
        return;
      }
      if (!saved) {
        issues.push({
          field: '',
          code: 'draft_too_large',
          message: { it: 'I dati inseriti sono troppo lunghi.', en: 'The data entered are too long.' },
        });
      }
      if (issues.length > 0) {
        const ctx = context(req, res, STEP_PATHS[step]);
        const csrf = ensureCsrfToken(req, res, cookies);
        sendHtml(res, 400, STEP_PAGES[step](ctx, { values: next.values, issues, csrf }));
        return;
      }
      go(req, res, nextPath(next, assessment));
    });
  }

  r.get(STEP_PATHS.notEligible, (req, res) => {
    const { draft } = loadDraft(readCookies(req));
    const verdict = assess(draft).issues.residence.find((i) => i.code === 'not_eligible');
    if (!verdict) {
      go(req, res, STEP_PATHS.residence);
      return;
    }
    sendHtml(res, 200, notEligiblePage(context(req, res, STEP_PATHS.notEligible), { message: verdict.message }));
  });

  r.get(STEP_PATHS.review, (req, res) => {
    const cookies = readCookies(req);
    const { draft, expired } = loadDraft(cookies);
    const assessment = assess(draft);
    const first = firstIncompleteStep(draft, assessment);
    if (first !== undefined || !assessment.valid) {
      go(req, res, STEP_PATHS[first ?? 'residence'] + (expired ? '?expired=1' : ''));
      return;
    }
    const ctx = context(req, res, STEP_PATHS.review);
    const csrf = ensureCsrfToken(req, res, cookies);
    // The key is born with the page: every "Conferma" press of this page is the same request.
    sendHtml(res, 200, reviewPage(ctx, { ...assessment.valid, csrf, idempotencyKey: randomUUID() }));
  });

  r.post(STEP_PATHS.confirm, async (req, res) => {
    const cookies = readCookies(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!csrfOk(req, cookies, body._csrf)) {
      forbidden(req, res);
      return;
    }
    const key = typeof body.idempotencyKey === 'string' ? body.idempotencyKey : '';
    if (!IDEMPOTENCY_KEY.test(key)) {
      go(req, res, STEP_PATHS.review);
      return;
    }
    // The same page confirmed again after it went through (reload, late second click).
    const previous = loadDone(cookies);
    if (previous?.key === key) {
      go(req, res, STEP_PATHS.done);
      return;
    }
    const { draft, expired } = loadDraft(cookies);
    const assessment = assess(draft);
    const first = firstIncompleteStep(draft, assessment);
    if (first !== undefined || !assessment.valid) {
      go(req, res, STEP_PATHS[first ?? 'residence'] + (expired ? '?expired=1' : ''));
      return;
    }
    const { request, warnings } = assessment.valid;
    const ctx = context(req, res, STEP_PATHS.review);
    const again = (status: number, problem: SubmitProblem) => {
      if (status === 503) res.setHeader('Retry-After', '60');
      const csrf = ensureCsrfToken(req, res, cookies);
      sendHtml(res, status, reviewPage(ctx, { request, warnings, csrf, idempotencyKey: key, problem }));
    };

    let outcome: SubmitOutcome;
    try {
      outcome = await confirmations.run(key, request.codiceFiscale, Date.now(), () =>
        deps.submit(request, warnings, { idempotencyKey: key }),
      );
    } catch (err) {
      if (err instanceof DomainError && err.type === ErrorType.Conflict) {
        again(409, { kind: 'conflict', message: err.userMessage });
        return;
      }
      if (err instanceof DomainError && err.type === ErrorType.NotEligible) {
        // The policy said no at the last step (its date passed meanwhile): told as an answer, with the other ways in.
        again(422, { kind: 'ineligible', message: err.userMessage });
        return;
      }
      if (!(err instanceof DomainError) || err.type === ErrorType.Internal) {
        deps.log?.error({ err, path: `${req.baseUrl}${req.path}` }, 'portal: submitting a PIN request failed');
      }
      // Unavailable, rate-limited or unexpected: the same key makes a later retry safe.
      again(503, {
        kind: 'unavailable',
        message: {
          it: 'Il servizio non ha risposto in tempo.',
          en: 'The service did not answer in time.',
        },
      });
      return;
    }

    const { result } = outcome;
    const done: DoneData = {
      key,
      requestId: result.requestId,
      protocol: result.protocol,
      plan: {
        message: result.deliveryPlan.message,
        firstHalf: result.deliveryPlan.firstHalf.map((s) => s.description),
        secondHalf: result.deliveryPlan.secondHalf.map((s) => s.description),
      },
      recoveryAdvice: warnings.some((w) => w.code === 'recovery_contacts_advised'),
    };
    setCookie(req, res, COOKIE.done, sealer.seal(COOKIE.done, done, now()), { path: draftPath(req), sameSite: 'lax' });
    clearCookie(req, res, COOKIE.draft, draftPath(req));
    go(req, res, STEP_PATHS.done);
  });

  r.get(STEP_PATHS.done, (req, res) => {
    const done = loadDone(readCookies(req));
    if (!done) {
      go(req, res, '');
      return;
    }
    sendHtml(res, 200, donePage(context(req, res, STEP_PATHS.done), done));
  });

  r.post(STEP_PATHS.cancel, (req, res) => {
    const cookies = readCookies(req);
    if (!csrfOk(req, cookies, (req.body as Record<string, unknown> | undefined)?._csrf)) {
      forbidden(req, res);
      return;
    }
    clearCookie(req, res, COOKIE.draft, draftPath(req));
    go(req, res, '');
  });

  const account = deps.api ? createCitizenAccountService(deps.api) : undefined;
  if (access) {
    r.use(
      accessRoutes({
        access,
        now,
        log: deps.log,
        citizenPages: deps.api !== undefined,
        catalogue: catalogueFor(deps.api?.policy ?? { simplifiedProcedure: false }),
        ...(account ? { holderSummary: account.summary } : {}),
      }),
    );
  }
  if (deps.api) r.use(recoveryPortalRoutes(deps.api));
  if (deps.api) r.use(conversionClaimsRoutes(deps.api));
  if (deps.api) r.use(telephonePinPortalRoutes(deps.api, deps.identity));
  if (deps.api) r.use(accountRoutes(deps.api));
  if (deps.api) r.use(delegationPortalRoutes(deps.api));

  r.use((req, res) => {
    const ctx = context(req, res, '');
    sendHtml(
      res,
      404,
      messagePage(ctx, {
        title: { it: 'Pagina non trovata', en: 'Page not found' },
        text: { it: 'La pagina richiesta non esiste.', en: 'The page you asked for does not exist.' },
        linkPath: '',
        linkText: { it: 'Vai alla pagina iniziale', en: 'Go to the home page' },
      }),
    );
  });

  r.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const e = err as { type?: string; status?: number };
    const tooLarge = e?.type === 'entity.too.large' || e?.status === 413;
    const ctx = context(req, res, '');
    const refusal = toDomainError(err);
    if (!tooLarge && refusal.type !== ErrorType.Internal) {
      // A refusal the pages did not catch (a NUL byte in a form, a compressed body, a 503): said as it is.
      sendHtml(
        res,
        refusal.status,
        messagePage(ctx, {
          title: { it: 'Richiesta non accettata', en: 'Request not accepted' },
          text: refusal.userMessage,
          linkPath: '',
          linkText: { it: 'Vai alla pagina iniziale', en: 'Go to the home page' },
        }),
      );
      return;
    }
    if (!tooLarge) deps.log?.error({ err, path: `${req.baseUrl}${req.path}` }, 'portal: unexpected error');
    sendHtml(
      res,
      tooLarge ? 413 : 500,
      messagePage(ctx, {
        title: tooLarge
          ? { it: 'Dati troppo lunghi', en: 'Data too long' }
          : { it: 'Si è verificato un errore', en: 'Something went wrong' },
        text: {
          it: 'Non è stato possibile mostrare la pagina. Riprova tra qualche minuto.',
          en: 'The page could not be shown. Please try again in a few minutes.',
        },
        linkPath: '',
        linkText: { it: 'Vai alla pagina iniziale', en: 'Go to the home page' },
      }),
    );
  });

  return r;
}
