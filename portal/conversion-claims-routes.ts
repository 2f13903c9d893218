/**
 * The logged-in citizen's conversion and claim pages, mounted inside the portal router (which
 * sets the security headers and parses url-encoded forms):
 *
 * | route                  | page                                                                  |
 * | ---------------------- | --------------------------------------------------------------------- |
 * | GET  /conversion       | ordinary vs dispositivo, the request's status, the upload form        |
 * | GET  /conversion/form  | the prefilled request form (PDF), as `GET /api/conversion/form`       |
 * | POST /conversion       | multipart: signed form + identity document → a review case, 303 → GET |
 * | GET  /claims           | the claim types of the session, a form to file one, the claims        |
 * | POST /claims           | files a claim (idempotent per page), 303 → /claims/:claimId           |
 * | GET  /claims/:claimId  | protocol number, received time, status                                |
 * | GET  /claims/:claimId/withdraw | "Vuoi ritirare la domanda?": what it means, before it is done |
 * | POST /claims/:claimId/withdraw | confirmed → withdrawn, 303 → the claim                        |
 *
 * They call the API's own services: `assertMayConvert`, `assertUploadAllowance`,
 * `renderConversionForm`, `checkUpload` and the document store, `openConversion`,
 * `currentConversionCase`; `claimAdmission`, `claimTypesFor`, `fileClaim`, `claimsOf`, `claimOf`.
 *
 * The upload is the one multipart form of the portal. Its CSRF token is read from the fields
 * that precede the first file (the form puts it first) and checked before any file byte is
 * kept; the session (a SameSite=Strict cookie), the refusal of cross-site Fetch Metadata, the
 * scope and the daily upload allowance are checked before the body is read at all. See
 * docs/decisions/0014-portal-conversion-claims.md.
 */
import { randomUUID } from 'node:crypto';
import { isUuid } from '../domain/ids';
import express, { type Request, type Response, type Router } from 'express';
import { catalogueFor } from '../domain/services';
import type { ApiDeps } from '../api/deps';
import { SESSION_COOKIE, clearSessionCookie, sessionContext, sessionFromRequest, type CitizenPrincipal } from '../services/access/sessions';
import { openConversion } from '../services/conversion/conversions';
import { documentStore, type DocumentKind } from '../services/conversion/documents';
import { toDomainError } from '../api/errors';
import { DomainError, ErrorType, type FieldIssue } from '../domain/errors';
import { serviceById } from '../domain/services';
import {
  CITIZEN_PATHS,
  caseStage,
  claimCheckPage, claimPage,
  claimPath,
  withdrawConfirmPage,
  claimsPage,
  conversionPage,
  missingFileIssue,
  sentNotice,
  UPLOAD_FIELDS,
  uploadIssue,
  type ClaimCheck,
  type ConversionCase,
  type Notice,
  type UploadField,
} from './conversion-claims-pages';
import { resolveLang } from './i18n';
import { MultipartError, readMultipart, type MultipartFailure, type MultipartLimits } from './multipart';
import { forbiddenPage, sendHtml } from './access-routes';
import { messagePage } from './pages';
import { csrfOk, ensureCsrfToken, readCookies } from '../web/security';
import { NOT_CONFIRMED, requiredIssue, type PageContext } from './views';
import { CLAIM_RECEIPT_NAME, claimAdmission, claimOf, claimReceipt, claimTypesFor, claimsOf, fileClaim, withdrawClaim } from '../services/conversion/claims';
import { currentConversionCase } from '../services/conversion/conversion-cases';
import { CONVERSION_FORM_NAME, assertMayConvert, assertUploadAllowance, renderConversionForm } from '../services/conversion/conversion-documents';
import { MAX_UPLOAD_BYTES, checkUpload, uploadTooLargeError, type RawUpload } from '../domain/uploads';
import { sendDocument } from '../web/documents';

/** Two files (the signed form, the identity document) of at most 10 MB, and two small fields. */
const UPLOAD_LIMITS: MultipartLimits = { files: 2, fileBytes: MAX_UPLOAD_BYTES, fields: 2, fieldBytes: 1024 };

const KIND_OF: Readonly<Record<UploadField, DocumentKind>> = { signedRequest: 'signed_request', identityDocument: 'identity_document' };

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,128}$/;

/** Error types an upload check throws; anything else is not the file's fault. */
const UPLOAD_REFUSALS: ReadonlySet<string> = new Set([
  ErrorType.Validation,
  ErrorType.PayloadTooLarge,
  ErrorType.UnsupportedMediaType,
  ErrorType.Unprocessable,
]);

const IN_REVIEW: Notice = {
  tone: 'info',
  title: { it: 'Richiesta già in verifica', en: 'Request already in review' },
  text: {
    it: 'Hai già inviato i documenti e un operatore li sta verificando. Potrai inviarne di nuovi solo se la richiesta non sarà accolta.',
    en: 'You have already sent the documents and a clerk is checking them. You can send new ones only if the request is not approved.',
  },
};

/** What a body that could not be read means for the citizen. */
const MULTIPART_PROBLEM: Readonly<Record<Exclude<MultipartFailure, 'refused'>, { status: number; notice: Notice }>> = {
  too_large: {
    status: 413,
    notice: {
      tone: 'danger',
      title: { it: 'File troppo grandi', en: 'Files too large' },
      text: { it: 'Ogni file può essere al massimo di 10 MB. Riduci la risoluzione della scansione e riprova.', en: 'Each file can be at most 10 MB. Scan at a lower resolution and try again.' },
    },
  },
  not_multipart: {
    status: 415,
    notice: {
      tone: 'danger',
      title: { it: 'Documenti non ricevuti', en: 'Documents not received' },
      text: { it: 'Invia i documenti con il modulo di questa pagina.', en: 'Send the documents with the form on this page.' },
    },
  },
  malformed: {
    status: 400,
    notice: {
      tone: 'danger',
      title: { it: 'Documenti non ricevuti', en: 'Documents not received' },
      text: { it: 'L’invio non è arrivato completo. Riprova con il modulo di questa pagina.', en: 'The upload did not arrive complete. Try again with the form on this page.' },
    },
  },
  too_many_parts: {
    status: 400,
    notice: {
      tone: 'danger',
      title: { it: 'Documenti non ricevuti', en: 'Documents not received' },
      text: { it: 'Invia due file soltanto: il modulo firmato e il documento di identità.', en: 'Send two files only: the signed form and the identity document.' },
    },
  },
  field_too_long: {
    status: 400,
    notice: {
      tone: 'danger',
      title: { it: 'Documenti non ricevuti', en: 'Documents not received' },
      text: { it: 'Invia i documenti con il modulo di questa pagina.', en: 'Send the documents with the form on this page.' },
    },
  },
};


/**
 * Check your answers first: a claim is filed only with the declaration made. Without it, the
 * check page is the answer (400 when it was posted from that page with the box left empty) and
 * this says no; the key chosen with the first page goes on with it.
 */
export function declarationMade(
  req: Request,
  res: Response,
  ctx: PageContext,
  body: Record<string, unknown>,
  check: { type: ClaimCheck['type']; key: string | undefined; action?: string; before?: ClaimCheck['before'] },
): boolean {
  if (body.declaration === 'yes') return true;
  const csrf = ensureCsrfToken(req, res, readCookies(req));
  // Posted from this check page without the box ticked: say what is missing.
  const confirming = body.confirming === 'yes';
  sendHtml(
    res,
    confirming ? 400 : 200,
    claimCheckPage(ctx, { type: check.type, idempotencyKey: check.key ?? `k-${randomUUID()}`, csrf, missingDeclaration: confirming, action: check.action, before: check.before }),
  );
  return false;
}

/** Where the conversion stands for a session: the latest case, and why the form is not offered. */
interface ConversionState {
  current?: ConversionCase;
  blocked?: { status: number; notice: Notice };
}

export function conversionClaimsRoutes(deps: ApiDeps): Router {
  const r = express.Router();
  const sessions = sessionContext(deps);
  const store = documentStore(deps);
  const now = deps.now ?? (() => new Date());

  const context = (req: Request, res: Response, selfPath: string): PageContext => ({ lang: resolveLang(req, res), base: req.baseUrl, selfPath });
  const go = (req: Request, res: Response, to: string) => res.redirect(303, `${req.baseUrl}${to}`);

  /** The session's citizen; without one, a redirect to the login and undefined. */
  async function citizenOf(req: Request, res: Response): Promise<CitizenPrincipal | undefined> {
    const cookie = readCookies(req)[SESSION_COOKIE];
    const citizen = cookie ? await sessionFromRequest(sessions, req) : undefined;
    if (!citizen) {
      if (cookie) clearSessionCookie(res);
      go(req, res, `${CITIZEN_PATHS.login}${cookie ? '?expired=1' : ''}`);
    }
    return citizen;
  }

  /** A posted claims form: its CSRF token checked (403 page otherwise), then the session's citizen. */
  async function postingCitizen(req: Request, res: Response): Promise<{ body: Record<string, unknown>; citizen: CitizenPrincipal } | undefined> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!csrfOk(req, readCookies(req), body._csrf)) {
      forbiddenPage(req, res, CITIZEN_PATHS.claims);
      return undefined;
    }
    const citizen = await citizenOf(req, res);
    return citizen && { body, citizen };
  }

  /** The citizen's own claim named in the path, or undefined after answering "not found". */
  async function ownClaim(req: Request, res: Response, citizen: CitizenPrincipal) {
    const id = String(req.params.claimId);
    const claim = isUuid(id) ? await claimOf(deps, citizen.credentialId, id) : undefined;
    if (!claim) {
      sendHtml(
        res,
        404,
        messagePage(context(req, res, CITIZEN_PATHS.claims), {
          title: { it: 'Domanda non trovata', en: 'Claim not found' },
          text: { it: 'Non c’è una tua domanda con questo indirizzo.', en: 'There is no claim of yours at this address.' },
          linkPath: CITIZEN_PATHS.claims,
          linkText: { it: 'Le tue domande', en: 'Your claims' },
        }),
      );
    }
    return claim;
  }


  /** A failure that is not the citizen's input, as the notice of a page (unexpected ones logged). */
  function failureNotice(req: Request, res: Response, err: unknown, title: Notice['title'], opts: { unknownOutcome?: Notice } = {}): { status: number; notice: Notice } {
    const d = toDomainError(err);
    if (d.type === ErrorType.Internal) deps.log.error({ err, path: `${req.baseUrl}${req.path}` }, 'portal: citizen page failed');
    const retry = d.details.retryAfterSeconds;
    if (typeof retry === 'number') res.setHeader('Retry-After', String(retry));
    // Where the work may have been done although the answer failed, the page does not say "not done".
    if (opts.unknownOutcome && (d.type === ErrorType.Unavailable || d.type === ErrorType.Internal)) return { status: d.status, notice: opts.unknownOutcome };
    const text =
      d.type === ErrorType.Internal
        ? { it: 'Non è stato possibile completare l’operazione. Riprova tra qualche minuto.', en: 'The operation could not be completed. Please try again in a few minutes.' }
        : d.userMessage;
    return { status: d.status, notice: { tone: 'danger', title, text } };
  }

  // -- conversion ------------------------------------------------------------------------------

  async function conversionState(citizen: CitizenPrincipal): Promise<ConversionState> {
    const current = await currentConversionCase(deps, citizen.credentialId);
    try {
      assertMayConvert(citizen);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const already = err.type === ErrorType.Conflict;
      return {
        current,
        blocked: {
          status: err.status,
          notice: {
            tone: already ? 'info' : 'warning',
            title: already
              ? { it: 'Il tuo PIN è già dispositivo', en: 'Your PIN is already a dispositivo PIN' }
              : { it: 'Serve il PIN completo', en: 'The full PIN is needed' },
            text: err.userMessage,
          },
        },
      };
    }
    if (current && caseStage(current.status) === 'in_review') return { current, blocked: { status: 409, notice: IN_REVIEW } };
    return { current };
  }

  function renderConversion(
    req: Request,
    res: Response,
    citizen: CitizenPrincipal,
    state: ConversionState,
    status: number,
    extra: { issues?: FieldIssue[]; notice?: Notice } = {},
  ): void {
    const csrf = ensureCsrfToken(req, res, readCookies(req));
    sendHtml(
      res,
      status,
      conversionPage(context(req, res, CITIZEN_PATHS.conversion), {
        scope: citizen.scope,
        current: state.current,
        showForm: state.blocked === undefined,
        // On the page itself the status already says a request is in review; a refused post is told why.
        blocked: state.blocked && (state.blocked.notice !== IN_REVIEW || status !== 200) ? state.blocked.notice : undefined,
        notice: extra.notice,
        issues: extra.issues ?? [],
        csrf,
      }),
    );
  }

  r.get(CITIZEN_PATHS.conversion, async (req, res) => {
    const citizen = await citizenOf(req, res);
    if (!citizen) return;
    const state = await conversionState(citizen);
    const sent = req.query.sent === '1' && state.current && caseStage(state.current.status) === 'in_review';
    renderConversion(req, res, citizen, state, 200, { notice: sent ? sentNotice(state.current!.createdAt) : undefined });
  });

  r.get(CITIZEN_PATHS.conversionForm, async (req, res) => {
    const citizen = await citizenOf(req, res);
    if (!citizen) return;
    const state = await conversionState(citizen);
    // The form of a credential that cannot be converted (now) is not handed out, as in the API.
    if (state.blocked && state.blocked.notice !== IN_REVIEW) {
      renderConversion(req, res, citizen, state, state.blocked.status);
      return;
    }
    const pdf = await renderConversionForm(deps, citizen.credentialId, now());
    sendDocument(res, { mediaType: 'application/pdf', displayName: CONVERSION_FORM_NAME }, pdf, 'attachment');
  });

  r.post(CITIZEN_PATHS.conversion, async (req, res) => {
    const cookies = readCookies(req);
    // Every answer given before the body is read closes the connection instead of draining it.
    res.setHeader('Connection', 'close');
    const citizen = await citizenOf(req, res);
    if (!citizen) return;
    if (req.get('sec-fetch-site') === 'cross-site') {
      forbiddenPage(req, res, CITIZEN_PATHS.conversion);
      return;
    }
    const state = await conversionState(citizen);
    if (state.blocked) {
      renderConversion(req, res, citizen, state, state.blocked.status);
      return;
    }
    try {
      store.assertConfigured();
      await assertUploadAllowance(deps, citizen.credentialId, now());
    } catch (err) {
      const f = failureNotice(req, res, err, { it: 'Richiesta non inviata', en: 'Request not sent' });
      renderConversion(req, res, citizen, state, f.status, { notice: f.notice });
      return;
    }

    let form;
    try {
      form = await readMultipart(req, UPLOAD_LIMITS, (fields) => csrfOk(req, cookies, fields._csrf));
    } catch (err) {
      if (!(err instanceof MultipartError)) throw err;
      if (err.reason === 'refused') {
        forbiddenPage(req, res, CITIZEN_PATHS.conversion);
        return;
      }
      const p = MULTIPART_PROBLEM[err.reason];
      renderConversion(req, res, citizen, state, p.status, { notice: p.notice });
      return;
    }
    res.removeHeader('Connection');
    // A form without files never met the gate.
    if (!csrfOk(req, cookies, form.fields._csrf)) {
      forbiddenPage(req, res, CITIZEN_PATHS.conversion);
      return;
    }

    const target = (field: UploadField) => ({ credentialId: citizen.credentialId, kind: KIND_OF[field], uploadedBy: `citizen:${citizen.credentialId}` });
    // Every file is checked before anything is stored, so the page lists all problems at once.
    const issues: FieldIssue[] = [];
    let status = 0;
    const accepted: { field: UploadField; raw: RawUpload }[] = [];
    for (const field of UPLOAD_FIELDS) {
      const file = form.files.find((f) => f.field === field);
      if (!file || (file.filename === '' && file.bytes.length === 0)) {
        issues.push(missingFileIssue(field));
        status ||= 400;
        continue;
      }
      const raw: RawUpload = { bytes: file.bytes, contentType: file.mimeType, filename: file.filename };
      try {
        if (file.truncated) throw uploadTooLargeError();
        const checked = checkUpload(raw);
        // The store quarantines it (for the security team) and throws the 422 the citizen sees.
        if (checked.verdict === 'quarantine') await store.accept(raw, target(field));
        accepted.push({ field, raw });
      } catch (err) {
        if (!(err instanceof DomainError) || !UPLOAD_REFUSALS.has(err.type)) throw err;
        issues.push(uploadIssue(field, err));
        status ||= err.status;
      }
    }
    if (issues.length > 0) {
      renderConversion(req, res, citizen, state, status, { issues });
      return;
    }

    const stored: string[] = [];
    try {
      for (const { field, raw } of accepted) {
        const doc = await store.accept(raw, target(field));
        stored.push(doc.documentId);
        deps.log.info(
          { credentialId: citizen.credentialId, documentId: doc.documentId, kind: doc.kind, mediaType: doc.mediaType, sizeBytes: doc.sizeBytes, via: 'portal' },
          'conversion document uploaded',
        );
      }
      const { caseId } = await openConversion(deps, { credentialId: citizen.credentialId, documentIds: stored, source: 'online', createdBy: 'citizen' });
      if (!(await store.allAttached(stored, caseId))) {
        // A case opened meanwhile (another tab): it keeps its documents, these go.
        for (const id of stored) await store.removeUnattached(id);
        renderConversion(req, res, citizen, await conversionState(citizen), 409);
        return;
      }
    } catch (err) {
      for (const id of stored) await store.removeUnattached(id);
      const f = failureNotice(req, res, err, { it: 'Richiesta non inviata', en: 'Request not sent' });
      renderConversion(req, res, citizen, await conversionState(citizen), f.status, { notice: f.notice });
      return;
    }
    go(req, res, `${CITIZEN_PATHS.conversion}?sent=1`);
  });

  // -- claims ----------------------------------------------------------------------------------

  async function renderClaims(
    req: Request,
    res: Response,
    citizen: CitizenPrincipal,
    status: number,
    extra: { chosen?: string; issues?: FieldIssue[]; notice?: Notice } = {},
  ): Promise<void> {
    const claims = await claimsOf(deps, citizen.credentialId);
    const csrf = ensureCsrfToken(req, res, readCookies(req));
    sendHtml(
      res,
      status,
      claimsPage(context(req, res, CITIZEN_PATHS.claims), {
        scope: citizen.scope,
        types: claimTypesFor(citizen, catalogueFor(deps.policy)),
        claims,
        chosen: extra.chosen,
        issues: extra.issues ?? [],
        notice: extra.notice,
        csrf,
        // The key is born with the page: pressing "Presenta" twice files one claim.
        idempotencyKey: randomUUID(),
      }),
    );
  }

  r.get(CITIZEN_PATHS.claims, async (req, res) => {
    const citizen = await citizenOf(req, res);
    if (!citizen) return;
    await renderClaims(req, res, citizen, 200);
  });

  r.post(CITIZEN_PATHS.claims, async (req, res) => {
    const posted = await postingCitizen(req, res);
    if (!posted) return;
    const { body, citizen } = posted;
    const type = typeof body.type === 'string' ? body.type.trim().slice(0, 64) : '';
    const key = typeof body.idempotencyKey === 'string' && IDEMPOTENCY_KEY.test(body.idempotencyKey) ? body.idempotencyKey : undefined;
    if (type === '') {
      await renderClaims(req, res, citizen, 400, {
        issues: [requiredIssue('type', { it: 'Scegli la domanda da presentare', en: 'Choose the claim to submit' })],
      });
      return;
    }
    const service = serviceById(type);
    const admission = service ? claimAdmission(citizen, service, catalogueFor(deps.policy)) : 'refuse';
    if (!service || admission === 'refuse') {
      await renderClaims(req, res, citizen, 403, {
        issues: [
          {
            field: 'type',
            code: 'not_available',
            message: { it: 'Questa domanda non è disponibile per il tuo profilo o il tuo PIN.', en: 'This claim is not available for your profile or PIN.' },
          },
        ],
      });
      return;
    }
    const option = claimTypesFor(citizen, catalogueFor(deps.policy)).find((t) => t.type === type)!;
    if (!declarationMade(req, res, context(req, res, CITIZEN_PATHS.claims), body, { type: option, key })) return;
    let claimId: string;
    try {
      const filed = await fileClaim(deps, { credentialId: citizen.credentialId, service, admission, rawKey: key, keyScope: citizen.credentialId, filedBy: 'citizen' });
      claimId = filed.body.claimId;
    } catch (err) {
      const f = failureNotice(req, res, err, { it: 'Domanda non presentata', en: 'Claim not submitted' });
      await renderClaims(req, res, citizen, f.status, { chosen: type, notice: f.notice });
      return;
    }
    go(req, res, `${claimPath(claimId)}?filed=1`);
  });

  r.get(`${CITIZEN_PATHS.claims}/:claimId`, async (req, res) => {
    const citizen = await citizenOf(req, res);
    if (!citizen) return;
    const claim = await ownClaim(req, res, citizen);
    if (!claim) return;
    const csrf = ensureCsrfToken(req, res, readCookies(req));
    sendHtml(res, 200, claimPage(context(req, res, claimPath(claim.claimId)), claim, { justFiled: req.query.filed === '1', withdrawn: req.query.withdrawn === '1', csrf }));
  });

  /** The claim's printable receipt (PDF), as `GET /api/claims/:claimId/receipt`. */
  r.get(`${CITIZEN_PATHS.claims}/:claimId/receipt`, async (req, res) => {
    const citizen = await citizenOf(req, res);
    if (!citizen) return;
    const claim = await ownClaim(req, res, citizen);
    if (!claim) return;
    const pdf = await claimReceipt(deps, citizen.credentialId, claim.claimId);
    sendDocument(res, { mediaType: 'application/pdf', displayName: CLAIM_RECEIPT_NAME }, pdf, 'attachment');
  });

  // Withdrawing is final: asked once more on a page of its own before it is done.
  r.get(`${CITIZEN_PATHS.claims}/:claimId/withdraw`, async (req, res) => {
    const citizen = await citizenOf(req, res);
    if (!citizen) return;
    const claim = await ownClaim(req, res, citizen);
    if (!claim) return;
    if (claim.status === 'withdrawn') {
      go(req, res, `${claimPath(claim.claimId)}?withdrawn=1`);
      return;
    }
    sendHtml(res, 200, withdrawConfirmPage(context(req, res, claimPath(claim.claimId)), claim, ensureCsrfToken(req, res, readCookies(req))));
  });

  r.post(`${CITIZEN_PATHS.claims}/:claimId/withdraw`, async (req, res) => {
    const posted = await postingCitizen(req, res);
    if (!posted) return;
    const { body, citizen } = posted;
    const claim = await ownClaim(req, res, citizen);
    if (!claim) return;
    const ctx = context(req, res, claimPath(claim.claimId));
    if (body.confirmed !== 'yes') {
      sendHtml(res, 200, withdrawConfirmPage(ctx, claim, ensureCsrfToken(req, res, readCookies(req))));
      return;
    }
    try {
      await withdrawClaim(deps, citizen.credentialId, claim.claimId, 'citizen');
    } catch (err) {
      // Withdrawn after all (an answer lost, or a second press): done. Not known yet: said so.
      const now = (await claimOf(deps, citizen.credentialId, claim.claimId)) ?? claim;
      if (now.status === 'withdrawn') {
        go(req, res, `${claimPath(claim.claimId)}?withdrawn=1`);
        return;
      }
      const f = failureNotice(req, res, err, { it: 'Domanda non ritirata', en: 'Claim not withdrawn' }, { unknownOutcome: NOT_CONFIRMED });
      const csrf = ensureCsrfToken(req, res, readCookies(req));
      sendHtml(res, f.status, claimPage(ctx, now, { justFiled: false, csrf, notice: f.notice }));
      return;
    }
    go(req, res, `${claimPath(claim.claimId)}?withdrawn=1`);
  });

  return r;
}
