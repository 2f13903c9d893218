/**
 * The OpenAPI 3.1 document of the JSON API, built from a registry of route descriptions whose
 * request and response shapes are zod schemas (services/schemas/api.ts, domain/pin-request.ts) turned
 * into JSON Schema with `z.toJSONSchema`. Served at `GET /api/openapi.json`; fuzzed by
 * schemathesis (`npm run fuzz:api`, test/integration/api-fuzz.test.ts).
 *
 * EVERY route under /api (and the health probes) must be described here: a unit test walks the
 * Express router and fails on a route without an entry (test/unit/openapi.test.ts). See
 * docs/decisions/0008-openapi-and-fuzzing.md.
 */
import { z } from 'zod';
import { ErrorType, statusOf } from '../domain/errors';
import { contactsInputSchema, pinRequestInputSchema } from '../domain/pin-request';
import { SESSION_COOKIE } from '../services/access/sessions';
import * as s from '../services/schemas/api';
import * as dc from '../services/schemas/documents';
import * as cs from '../services/schemas/conversion';
import { bilingualSchema } from '../services/schemas/api';
import { remoteIdentificationBody } from '../services/lifecycle/remote-identification';
import { officeConversionBody } from '../services/counter/office-conversion';
import * as ls from '../services/schemas/lifecycle';
import { claimDecisionBody, claimIdParams, claimView, fileClaimBody, staffClaimView } from '../services/conversion/claims';
import { decisionBody, reviewQueueQuery, secondReviewBody } from '../services/conversion/review';
import { conversionCaseView, conversionRequestBody } from '../services/conversion/conversion-cases';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call a route. `staff`: `Authorization: Bearer stf_…` (services/staff/auth.ts); `staff-optional`:
 * anonymous, or staff when acting for a caller; `citizen`: a login session (cookie or bearer);
 * `identity`: a SPID/CIE/CNS identity session (GET /api/identity/callback) as the bearer token; `none`: anyone.
 */
export type RouteAuth = 'none' | 'staff' | 'staff-optional' | 'citizen' | 'identity';

/**
 * An OpenAPI link: a value of this response that another operation takes as a parameter (the
 * fuzzer's stateful phase follows links, so it reaches resources that really exist).
 */
export interface ResponseLink {
  to: { method: Method; path: string };
  /** Parameter name → runtime expression, e.g. `$response.body#/requestId`. */
  parameters: Record<string, string>;
}

/** A success response: a schema (JSON body), or a description with an optional schema and links. */
export type SuccessResponse = z.ZodType | { description: string; schema?: z.ZodType; links?: Record<string, ResponseLink> };

/** Error statuses a route can answer, each with the error body of api/errors.ts. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 503;

/** One route, as the document shows it. `path` is in Express form (`/api/pin-requests/:id`). */
export interface RouteDescription {
  method: Method;
  path: string;
  summary: string;
  description?: string;
  tag: string;
  auth: RouteAuth;
  request?: {
    body?: z.ZodType;
    /** Named examples of a valid body (they must stay valid: the unit test sends them through validation). */
    examples?: Record<string, unknown>;
    params?: z.ZodObject;
    query?: z.ZodObject;
    headers?: z.ZodObject;
  };
  responses: Partial<Record<200 | 201 | 202 | 204 | 303, SuccessResponse>>;
  /**
   * Error statuses besides the ones every route has: 500 and 503 (a dependency is down) always;
   * 400 (malformed JSON), 413 (body over 64 kB) and 415 (charset, encoding) for routes that take a body.
   */
  errors?: ErrorStatus[];
}

const registry: RouteDescription[] = [];

/** Adds a route to the document. New routes under /api MUST be described here. */
function describeRoute(route: RouteDescription): void {
  if (registry.some((r) => r.method === route.method && r.path === route.path)) throw new Error(`route described twice: ${route.method} ${route.path}`);
  registry.push(route);
}

/** Every described route (method and Express path), for the coverage test. */
export function describedRoutes(): { method: Method; path: string }[] {
  return registry.map(({ method, path }) => ({ method, path }));
}

// ---------------------------------------------------------------------------------------------
// The routes

const ERROR_MEANING: Record<ErrorStatus, string> = {
  400: 'VALIDATION: the input is not valid (every bad field listed in `error.fields`).',
  401: 'UNAUTHENTICATED: missing or wrong credentials (the same answer for an unknown codice fiscale).',
  403: 'FORBIDDEN: not allowed for this caller or role, or the credential is locked for good.',
  404: 'NOT_FOUND: no such resource (or not the caller\'s).',
  409: 'CONFLICT: the resource is in a state that refuses the operation.',
  413: 'PAYLOAD_TOO_LARGE: the body is over 64 kB (10 MB for a document upload).',
  415: 'UNSUPPORTED_MEDIA_TYPE: the body\'s character set or content encoding is not supported, or an uploaded file is not a PDF, JPEG or PNG whose type, extension and content agree.',
  422: 'NOT_ELIGIBLE: the data are valid but the policy refuses them; UNPROCESSABLE: an unsafe file name, an upload quarantined for malware, or an Idempotency-Key already used for a different request.',
  429: 'RATE_LIMITED: too many attempts; `Retry-After` says when to try again.',
  500: 'INTERNAL: an unexpected error.',
  503: 'UNAVAILABLE: a dependency (PostgreSQL, Temporal) is down, or a feature is not configured; `Retry-After` is set.',
};

const uuidParams = z.object({ id: s.idParam });
const requestStatusLink: ResponseLink = { to: { method: 'get', path: '/api/pin-requests/:id' }, parameters: { id: '$response.body#/requestId' } };

describeRoute({
  method: 'get',
  path: '/healthz',
  tag: 'operations',
  summary: 'Liveness: the process answers',
  auth: 'none',
  responses: { 200: s.healthSchema },
});

describeRoute({
  method: 'get',
  path: '/readyz',
  tag: 'operations',
  summary: 'Readiness: PostgreSQL and Temporal both answer',
  auth: 'none',
  responses: { 200: s.readinessSchema },
  // The probe answers 503 with its own body (which dependency failed), not the error body.
});

describeRoute({
  method: 'get',
  path: '/api/openapi.json',
  tag: 'operations',
  summary: 'This document',
  auth: 'none',
  responses: { 200: { description: 'The OpenAPI 3.1 document.', schema: z.record(z.string(), z.unknown()) } },
});

describeRoute({
  method: 'post',
  path: '/api/pin-requests/review',
  tag: 'pin-requests',
  summary: 'Review a PIN request without storing it',
  description:
    'Validates the request (every bad field at once) and shows the data back with the delivery plan of the two halves. ' +
    'A `contact_centre` request needs a staff token (operator, supervisor, admin).',
  auth: 'staff-optional',
  request: { body: pinRequestInputSchema, examples: { abroad: s.EXAMPLE_PIN_REQUEST } },
  responses: { 200: s.pinRequestReviewSchema },
  errors: [401, 403, 422],
});

describeRoute({
  method: 'post',
  path: '/api/pin-requests',
  tag: 'pin-requests',
  summary: 'Confirm a PIN request (stores it and starts the issuance)',
  description: 'Idempotent by `Idempotency-Key`, or by the normalised data when no key is given: a repeat answers 200 with the first result; a key already used for different data (or by another caller) answers 422 and reveals nothing.',
  auth: 'staff-optional',
  request: {
    body: pinRequestInputSchema,
    examples: { abroad: s.EXAMPLE_PIN_REQUEST },
    headers: z.object({ 'Idempotency-Key': s.idempotencyKeySchema.optional() }),
  },
  responses: {
    202: { description: 'Accepted: the credential is stored and its workflow will start.', schema: s.acceptedRequestSchema, links: { status: requestStatusLink } },
    200: { description: 'The same request was already accepted: the first result.', schema: s.acceptedRequestSchema, links: { status: requestStatusLink } },
  },
  errors: [401, 403, 409, 422],
});

describeRoute({
  method: 'get',
  path: '/api/pin-requests/:id',
  tag: 'pin-requests',
  summary: 'Status of a request (no personal data), by its unguessable id',
  auth: 'none',
  request: { params: uuidParams },
  responses: { 200: s.pinRequestStatusSchema },
  errors: [404],
});

describeRoute({
  method: 'get',
  path: '/api/pin-requests/:id/receipt',
  tag: 'pin-requests',
  summary: 'The printable receipt of a request (PDF: protocol number, received time, applicant, what happens next), by its unguessable id',
  auth: 'none',
  request: { params: uuidParams },
  responses: { 200: { description: 'The receipt PDF.' } },
  errors: [404],
});

describeRoute({
  method: 'post',
  path: '/api/mailroom/batches/:date/dispatch',
  tag: 'back-office',
  summary: "Close a day's batch of letters and hand it to the post",
  description: 'Idempotent per day. Roles: clerk, supervisor, operations, admin.',
  auth: 'staff',
  request: { params: z.object({ date: z.iso.date() }) },
  responses: { 200: s.mailRoomDispatchSchema },
  errors: [400, 401, 403],
});

describeRoute({
  method: 'get',
  path: '/api/callback-tasks',
  tag: 'contact-centre',
  summary: 'Open call-back tasks (declared residence differs from the records)',
  description: 'Roles: operator, supervisor, admin.',
  auth: 'staff',
  responses: {
    200: {
      description: 'The oldest 200 open tasks.',
      schema: s.callbackTasksSchema,
      links: {
        outcome: { to: { method: 'post', path: '/api/callback-tasks/:id/outcome' }, parameters: { id: '$response.body#/tasks/0/taskId' } },
        newLetter: { to: { method: 'post', path: '/api/credentials/:id/letters' }, parameters: { id: '$response.body#/tasks/0/credentialId' } },
      },
    },
  },
  errors: [401, 403],
});

describeRoute({
  method: 'post',
  path: '/api/callback-tasks/:id/outcome',
  tag: 'contact-centre',
  summary: 'Record the outcome of a call-back',
  description:
    'Roles: operator, supervisor, admin. Nothing of the request is made or sent until this says `verified` (with the address the letter goes to: the record’s or the declared one). `not_verified`, or `unreachable` for the last allowed call, refuses the request and tells its contacts.',
  auth: 'staff',
  request: { params: uuidParams, body: s.callbackOutcomeBodySchema },
  responses: { 200: s.callbackOutcomeSchema },
  errors: [400, 401, 403, 404, 409],
});

describeRoute({
  method: 'post',
  path: '/api/credentials/:id/letters',
  tag: 'contact-centre',
  summary: 'A new letter with the second half, for a caller who did not get it',
  description: 'Within the limits the credential workflow keeps (one a day, four in 30 days). Roles: operator, supervisor, admin.',
  auth: 'staff',
  request: { params: uuidParams },
  responses: { 201: s.newLetterSchema },
  errors: [401, 403, 404, 409, 429],
});

describeRoute({
  method: 'get',
  path: '/api/identity/authorize',
  tag: 'telephone-pins',
  summary: 'Sign in with SPID, CIE or CNS: redirects the browser to the identity provider (OpenID Connect, code + PKCE)',
  description: 'Answers 303 to the provider, with a sealed cookie holding the sign-in’s one-time values; the provider returns to /api/identity/callback.',
  auth: 'none',
  responses: { 303: { description: 'To the identity provider’s sign-in.' } },
  errors: [503],
});

describeRoute({
  method: 'get',
  path: '/api/identity/callback',
  tag: 'telephone-pins',
  summary: 'Where the identity provider returns: opens a 30-minute identity session',
  description: 'Exchanges the code (with the PKCE verifier), checks the ID token, the SPID level (acr) and the fiscal number. `Cache-Control: no-store`.',
  auth: 'none',
  responses: { 200: s.identitySessionSchema },
  errors: [401, 503],
});

describeRoute({
  method: 'delete',
  path: '/api/identity/session',
  tag: 'telephone-pins',
  summary: 'Sign out: ends the identity session',
  auth: 'identity',
  responses: { 204: { description: 'Ended (or already over).' } },
  errors: [],
});

describeRoute({
  method: 'post',
  path: '/api/telephone-pins',
  tag: 'telephone-pins',
  summary: 'Create a telephone PIN (citizen signed in with SPID, CIE or CNS)',
  description: 'The PIN is shown once, in this response. One active telephone PIN per codice fiscale.',
  auth: 'identity',
  request: { body: s.telephonePinCreationBodySchema },
  responses: { 201: { description: 'Created; `Cache-Control: no-store`.', schema: s.createdTelephonePinSchema } },
  errors: [400, 401, 409],
});

describeRoute({
  method: 'get',
  path: '/api/telephone-pins',
  tag: 'telephone-pins',
  summary: "The citizen's telephone PINs, newest first (never the PIN)",
  auth: 'identity',
  responses: { 200: s.telephonePinListSchema },
  errors: [401],
});

describeRoute({
  method: 'delete',
  path: '/api/telephone-pins/:id',
  tag: 'telephone-pins',
  summary: "Revoke one of the citizen's telephone PINs",
  auth: 'identity',
  request: { params: uuidParams },
  responses: { 200: s.revokedTelephonePinSchema },
  errors: [401, 404, 409],
});

describeRoute({
  method: 'post',
  path: '/api/contact-centre/verify-caller',
  tag: 'contact-centre',
  summary: "Verify a caller's codice fiscale and telephone PIN",
  description: 'Answers yes, or a generic 401; five wrong PINs lock the telephone PIN. Roles: operator, supervisor.',
  auth: 'staff',
  request: { body: s.verifyCallerBodySchema },
  responses: { 200: s.callerVerifiedSchema },
  errors: [401, 403],
});

describeRoute({
  method: 'post',
  path: '/api/first-access',
  tag: 'citizen-access',
  summary: 'First access: the 16-character PIN for a personal 8-character one',
  description: 'The new PIN is shown once, in this response (`Cache-Control: no-store`). Failures count towards the lock.',
  auth: 'none',
  request: { body: s.firstAccessBodySchema },
  responses: { 200: s.newPinSchema, 202: s.newPinActivatingSchema },
  errors: [401, 403, 404, 409, 429],
});

describeRoute({
  method: 'post',
  path: '/api/pin/regenerate',
  tag: 'citizen-access',
  summary: 'A new PIN after expiry, with the same services',
  auth: 'none',
  request: { body: s.regenerateBodySchema },
  responses: { 200: s.newPinSchema, 202: s.newPinActivatingSchema },
  errors: [401, 403, 404, 409, 429],
});

describeRoute({
  method: 'post',
  path: '/api/letters/resend',
  tag: 'citizen-access',
  summary: '"I did not get my letter": a new letter, proven with the first half',
  auth: 'none',
  request: { body: s.resendLetterBodySchema },
  responses: { 201: s.letterResentSchema, 202: s.letterRequestInProgressSchema },
  errors: [401, 403, 404, 409, 429],
});

describeRoute({
  method: 'post',
  path: '/api/sessions',
  tag: 'citizen-access',
  summary: 'Log in with codice fiscale and PIN',
  description:
    `Sets the \`${SESSION_COOKIE}\` cookie and returns the same token for API clients. An unknown codice fiscale and a wrong PIN get the same 401; ` +
    'an expired PIN gets 403 with `details.reason = PIN_EXPIRED`.',
  auth: 'none',
  request: { body: s.loginBodySchema },
  responses: { 201: { description: 'Logged in; `Set-Cookie` carries the session.', schema: s.loginSchema } },
  errors: [401, 403, 429],
});

describeRoute({
  method: 'get',
  path: '/api/session',
  tag: 'citizen-access',
  summary: "The session's identity and scope",
  auth: 'citizen',
  responses: { 200: s.currentSessionSchema },
  errors: [401],
});

describeRoute({
  method: 'get',
  path: '/api/session/services',
  tag: 'citizen-access',
  summary: 'The services this session may use (by profile and PIN scope)',
  auth: 'citizen',
  responses: { 200: s.sessionServicesSchema },
  errors: [401],
});

describeRoute({
  method: 'delete',
  path: '/api/session',
  tag: 'citizen-access',
  summary: 'Log out (ends the session, clears the cookie)',
  description: 'Always 204, with or without a live session.',
  auth: 'none',
  responses: { 204: { description: 'Logged out.' } },
});

// Documents, fax intake and counter issuance (api/routes/conversion-documents.ts, api/routes/counter.ts).
// Uploads are raw bodies (the file itself, `Content-Type` its type), up to 10 MB; see
// docs/decisions/0010-uploads-and-document-storage.md.

const UPLOAD_ERRORS: ErrorStatus[] = [400, 401, 403, 409, 413, 415, 422, 429];

describeRoute({
  method: 'get',
  path: '/api/conversion/form',
  tag: 'citizen-access',
  summary: 'The conversion request form (PDF), prefilled with the citizen’s data',
  description: 'Needs an ordinary session (a dispositivo PIN: 409; a first-half session: 403). Answers `application/pdf`.',
  auth: 'citizen',
  responses: { 200: { description: 'The PDF (`Content-Disposition: attachment`, `Cache-Control: no-store`).' } },
  errors: [401, 403, 409],
});

describeRoute({
  method: 'post',
  path: '/api/conversion/documents',
  tag: 'citizen-access',
  summary: 'Upload the signed request or the identity document (PDF, JPEG or PNG, at most 10 MB)',
  description:
    'The body is the file itself; its `Content-Type`, its extension and its content must name the same allowed type (415). ' +
    'A file carrying malware is quarantined and refused (422 UNPROCESSABLE), as is an unsafe file name. Needs an ordinary session.',
  auth: 'citizen',
  request: { query: dc.citizenUploadQuerySchema, headers: dc.uploadHeadersSchema },
  responses: { 201: dc.uploadedDocumentSchema },
  errors: UPLOAD_ERRORS,
});

describeRoute({
  method: 'post',
  path: '/api/staff/fax-intake',
  tag: 'back-office',
  summary: 'A faxed conversion request: store it and open a review case',
  description: 'Roles: clerk, supervisor. Same file checks as the citizen upload. 404: no live PIN for the codice fiscale; 409: already dispositivo, or a case is already open.',
  auth: 'staff',
  request: { query: dc.faxIntakeQuerySchema, headers: dc.uploadHeadersSchema },
  responses: { 202: dc.faxIntakeAcceptedSchema },
  errors: [...UPLOAD_ERRORS, 404],
});

describeRoute({
  method: 'get',
  path: '/api/staff/documents/:documentId',
  tag: 'back-office',
  summary: 'Read a stored document',
  description:
    'Roles: clerk, supervisor, admin. Served with its stored media type, `X-Content-Type-Options: nosniff`, ' +
    '`Content-Security-Policy: sandbox; default-src \'none\'` and `Cache-Control: no-store`; every read is audited.',
  auth: 'staff',
  request: { params: dc.documentIdParams },
  responses: { 200: { description: 'The document (application/pdf, image/jpeg or image/png).' } },
  errors: [401, 403, 404],
});

describeRoute({
  method: 'post',
  path: '/api/counter/issuances',
  tag: 'back-office',
  summary: 'Issue a dispositivo PIN at the counter (MV35) after checking an identity document',
  description:
    'Roles: clerk, supervisor. The sealed envelope with the PIN is in this response only (`Cache-Control: no-store`); ' +
    'the MV35 is stored and can be downloaded again. 409: the codice fiscale already has a live PIN.',
  auth: 'staff',
  request: { body: dc.counterIssuanceBodySchema, examples: { counter: dc.EXAMPLE_COUNTER_ISSUANCE } },
  responses: { 201: dc.counterIssuedSchema },
  errors: [401, 403, 409, 422],
});

describeRoute({
  method: 'post',
  path: '/api/counter/conversions',
  tag: 'back-office',
  summary: 'Convert a holder’s existing PIN to dispositivo at the counter, after checking the signed request and an identity document in person',
  description:
    'Roles: clerk, supervisor. No new PIN: the conversion goes through a review case of source `office` decided by this clerk (a case that needs a second clerk waits for one). ' +
    '404: no PIN for the codice fiscale (issue one with the MV35); 409: already dispositivo.',
  auth: 'staff',
  request: { body: officeConversionBody },
  responses: { 202: dc.officeConversionSchema },
  errors: [400, 401, 403, 404, 409],
});

describeRoute({
  method: 'get',
  path: '/api/counter/issuances/:credentialId/mv35',
  tag: 'back-office',
  summary: 'Download the stored MV35 of a counter issuance again (never the envelope)',
  description: 'Roles: clerk, supervisor, admin.',
  auth: 'staff',
  request: { params: dc.credentialIdParams },
  responses: { 200: { description: 'The MV35 PDF.' } },
  errors: [401, 403, 404],
});

// Recovery, revocation, contact changes and delegation (api/routes/recovery.ts, revocation.ts,
// contacts.ts, delegations.ts; docs/decisions/0011-recovery-revocation-delegation.md).

const credentialIdParam = z.object({ credentialId: s.idParam });
const delegationIdParam = z.object({ delegationId: s.idParam });

describeRoute({
  method: 'post',
  path: '/api/recovery/requests',
  tag: 'recovery',
  summary: 'Ask for the recovery of a PIN with the codice fiscale and two registered contacts',
  description:
    'Always the same 202 body, whether or not the codice fiscale holds a PIN or the contacts match; on a match a single-use link valid 24 hours ' +
    'goes to the e-mail or PEC. At most 3 requests per codice fiscale in 24 hours (then 429 with `Retry-After`), for any codice fiscale.',
  auth: 'none',
  request: { body: ls.recoveryRequestBodySchema },
  responses: { 202: ls.recoveryAcceptedSchema },
  errors: [429],
});

describeRoute({
  method: 'post',
  path: '/api/recovery/confirm',
  tag: 'recovery',
  summary: 'Confirm a recovery with the token of its link: the old PIN dies and a new one is issued over two channels',
  description:
    '400 with `details.reason` LINK_INVALID, LINK_USED or LINK_EXPIRED changes nothing; 409: the PIN cannot be recovered now. 202 `in_progress`: the link is used and the re-issue asked for, its outcome not known yet — the halves will come; opening the link again asks again without re-issuing twice.',
  auth: 'none',
  request: { body: ls.recoveryConfirmBodySchema },
  responses: { 200: ls.recoveryConfirmedSchema, 202: ls.recoveryInProgressSchema },
  errors: [404, 409],
});

describeRoute({
  method: 'post',
  path: '/api/revocations',
  tag: 'recovery',
  summary: 'Revoke a PIN with the codice fiscale, the health-insurance card and a registered e-mail or PEC',
  description:
    'Revoked at once: sessions end and a login right after the answer is refused; a notice goes to every contact. An unknown codice fiscale ' +
    'and any mismatch get the same 401; at most 5 tries per codice fiscale in 24 hours (429). The same request made again after the PIN was ' +
    'revoked answers 200 `already_revoked`; 202 `in_progress`: the revocation was asked for and its outcome is not known yet (the notice ' +
    'comes when it is done; asking again does not revoke twice).',
  auth: 'none',
  request: { body: ls.revocationBodySchema },
  responses: { 200: ls.revokedSchema, 202: ls.revocationInProgressSchema },
  errors: [401, 409, 429],
});

describeRoute({
  method: 'post',
  path: '/api/contact-centre/credentials/:credentialId/revoke',
  tag: 'contact-centre',
  summary: "Revoke a caller's PIN",
  description: 'Roles: operator, supervisor. 409: the credential is not in a revocable state.',
  auth: 'staff',
  request: { params: credentialIdParam, body: ls.staffRevokeBodySchema },
  responses: { 200: ls.staffRevokedSchema },
  errors: [401, 403, 404, 409],
});

describeRoute({
  method: 'post',
  path: '/api/contact-centre/credentials/:credentialId/contacts',
  tag: 'contact-centre',
  summary: 'Add a missing contact (mobile, e-mail or PEC) for a verified caller',
  description:
    'Roles: operator, supervisor. The caller is verified with a telephone PIN (401 when it fails) or the operator records another check. ' +
    'Only empty contacts are filled (409 otherwise); the rules of the request still hold; old and new addresses are notified.',
  auth: 'staff',
  request: { params: credentialIdParam, body: ls.addContactBodySchema },
  responses: { 201: ls.contactAddedSchema },
  errors: [401, 403, 404, 409],
});

describeRoute({
  method: 'put',
  path: '/api/session/contacts',
  tag: 'citizen-access',
  summary: 'Replace the contacts of the logged-in holder',
  description:
    'The whole set, with the rules of the request (a phone, an e-mail or PEC, international prefixes, the preferred phone given). ' +
    'Each changed mobile, e-mail or PEC: the old address is told it was changed, the new one that it was added.',
  auth: 'citizen',
  request: { body: contactsInputSchema },
  responses: { 200: ls.contactsChangedSchema },
  errors: [401, 403],
});

describeRoute({
  method: 'post',
  path: '/api/delegations',
  tag: 'delegation',
  summary: 'Delegate a trusted person (by codice fiscale) within a scope until an end date',
  description:
    'Needs a dispositivo session (403 otherwise). The delegation is `pending` until the delegate accepts it (30 days at most, never past the end date; it lapses otherwise) and cannot be used before. ' +
    '409: an active or pending delegation to the same person exists. Both parties are notified.',
  auth: 'citizen',
  request: { body: ls.createDelegationBodySchema },
  responses: {
    201: {
      description: 'The delegation.',
      schema: ls.delegationViewSchema,
      links: { revoke: { to: { method: 'post', path: '/api/delegations/:delegationId/revoke' }, parameters: { delegationId: '$response.body#/delegationId' } } },
    },
  },
  errors: [401, 403, 409],
});

describeRoute({
  method: 'get',
  path: '/api/delegations',
  tag: 'delegation',
  summary: 'The delegations the holder gave',
  auth: 'citizen',
  responses: { 200: ls.delegationListSchema },
  errors: [401, 403],
});

describeRoute({
  method: 'get',
  path: '/api/delegations/received',
  tag: 'delegation',
  summary: 'The delegations the holder received',
  auth: 'citizen',
  responses: { 200: ls.delegationListSchema },
  errors: [401, 403],
});

describeRoute({
  method: 'post',
  path: '/api/delegations/:delegationId/revoke',
  tag: 'delegation',
  summary: 'The delegator or the delegate revokes a delegation',
  description: 'Either party, with their own PIN session; a pending delegation revoked by its delegate is declined. Both parties are notified. 409 once it has ended.',
  auth: 'citizen',
  request: { params: delegationIdParam },
  responses: { 200: ls.delegationViewSchema },
  errors: [401, 403, 404, 409],
});

describeRoute({
  method: 'post',
  path: '/api/delegations/:delegationId/accept',
  tag: 'delegation',
  summary: 'The delegate accepts a pending delegation',
  description: 'With the delegate’s own PIN session. From then on it can be used until its end date. Both parties are notified. 409 when it is not pending (accepted, declined, lapsed, ended).',
  auth: 'citizen',
  request: { params: delegationIdParam },
  responses: { 200: ls.delegationViewSchema },
  errors: [401, 403, 404, 409],
});

describeRoute({
  method: 'post',
  path: '/api/delegations/:delegationId/decline',
  tag: 'delegation',
  summary: 'The delegate declines a pending delegation',
  description: 'It ends (`declined`); both parties are notified. 409 when it is not pending.',
  auth: 'citizen',
  request: { params: delegationIdParam },
  responses: { 200: ls.delegationViewSchema },
  errors: [401, 403, 404, 409],
});

describeRoute({
  method: 'post',
  path: '/api/staff/delegations',
  tag: 'back-office',
  summary: 'Register a delegation handed in at an INPS office',
  description:
    'Roles: clerk, supervisor. From the form signed by the delegator and the identity documents checked in person (the delegate’s when they came); the delegator needs no PIN. ' +
    'The delegation (`source: office`) is `pending` until the delegate accepts it with their own PIN. 409: an active or pending delegation between the same people exists. ' +
    'Idempotent by `Idempotency-Key` (per clerk): a repeat answers 200 with the first delegation; the key reused for different data answers 422. ' +
    '`receipt` is the path of the printable receipt to hand to the delegator.',
  auth: 'staff',
  request: { body: ls.officeDelegationBodySchema, headers: z.object({ 'Idempotency-Key': s.idempotencyKeySchema.optional() }) },
  responses: {
    201: { description: 'Registered, pending the delegate’s acceptance.', schema: ls.officeDelegationViewSchema },
    200: { description: 'The same key was used before: the first delegation.', schema: ls.officeDelegationViewSchema },
  },
  errors: [400, 401, 403, 409, 422],
});

describeRoute({
  method: 'get',
  path: '/api/staff/delegations/:delegationId/receipt',
  tag: 'back-office',
  summary: 'The printable receipt of a delegation registered at an office',
  description:
    'Roles: clerk, supervisor; only the clerk who registered it (anyone else: 404). A PDF for the delegator: both parties, scope, end date, office, registration time, ' +
    'the acceptance deadline and how to revoke it; no contact details. Each copy is audited.',
  auth: 'staff',
  request: { params: delegationIdParam },
  responses: { 200: { description: 'The receipt (PDF).' } },
  errors: [401, 403, 404],
});

describeRoute({
  method: 'post',
  path: '/api/staff/delegations/:delegationId/revoke',
  tag: 'back-office',
  summary: 'A clerk revokes a delegation',
  description: 'Roles: clerk, supervisor.',
  auth: 'staff',
  request: { params: delegationIdParam, body: ls.staffDelegationRevokeBodySchema },
  responses: { 200: ls.delegationViewSchema },
  errors: [401, 403, 404, 409],
});

describeRoute({
  method: 'get',
  path: '/api/delegators/:delegationId/claims',
  tag: 'delegation',
  summary: "The delegate consults the delegator's claims",
  description:
    'Audited as "delegate for delegator". 403 with `details.reason` DELEGATION_PENDING before the delegate accepted it, DELEGATION_REVOKED, DELEGATION_EXPIRED, DELEGATION_DECLINED or DELEGATION_LAPSED once it ended.',
  auth: 'citizen',
  request: { params: delegationIdParam },
  responses: { 200: z.strictObject({ delegationId: z.guid(), claims: z.array(claimView) }) },
  errors: [401, 403, 404, 409],
});

describeRoute({
  method: 'post',
  path: '/api/delegators/:delegationId/claims',
  tag: 'delegation',
  summary: 'The delegate files a claim for the delegator',
  description:
    'Needs the scope `consult_and_claims` (403 OUT_OF_SCOPE otherwise). `filed_by` and the audit log record the delegate and the delegation. ' +
    'Idempotent by `Idempotency-Key` as `POST /api/claims`.',
  auth: 'citizen',
  request: { params: delegationIdParam, body: fileClaimBody, headers: z.object({ 'Idempotency-Key': z.string().regex(/^[A-Za-z0-9_.:-]{8,128}$/).optional() }) },
  responses: {
    202: { description: 'Received.', schema: claimView.extend({ message: bilingualSchema }) },
    200: { description: 'The same key was used before: the first claim.', schema: claimView.extend({ message: bilingualSchema }) },
  },
  errors: [401, 403, 404, 409],
});

// ---------------------------------------------------------------------------------------------
// The document

/** JSON Schema of a zod schema, without the `$schema` key (the document's dialect applies). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const SECURITY: Record<RouteAuth, Record<string, string[]>[]> = {
  none: [],
  staff: [{ staffBearer: [] }],
  'staff-optional': [{}, { staffBearer: [] }],
  citizen: [{ citizenSession: [] }, { citizenBearer: [] }],
  identity: [{ identitySession: [] }],
};

const jsonContent = (schema: Record<string, unknown>) => ({ 'application/json': { schema } });

function requestContent(body: z.ZodType, examples?: Record<string, unknown>) {
  const named = examples ? { examples: Object.fromEntries(Object.entries(examples).map(([name, value]) => [name, { value }])) } : {};
  return { 'application/json': { schema: jsonSchema(body, 'input'), ...named } };
}

/** `post /api/callback-tasks/:id/outcome` → `postApiCallbackTasksIdOutcome`. */
const operationId = (r: { method: Method; path: string }): string => `${r.method}${r.path.replace(/[/:.{}-]+(.)?/g, (_m, c?: string) => (c ? c.toUpperCase() : ''))}`;

function parameters(route: RouteDescription): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const add = (where: 'path' | 'query' | 'header', obj: z.ZodObject | undefined) => {
    if (!obj) return;
    const schema = jsonSchema(obj, 'input') as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, prop] of Object.entries(schema.properties ?? {})) {
      out.push({ name, in: where, required: where === 'path' || (schema.required ?? []).includes(name), schema: prop });
    }
  };
  add('path', route.request?.params);
  add('query', route.request?.query);
  add('header', route.request?.headers);
  return out;
}

function operation(route: RouteDescription): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const { description, schema, links } = spec instanceof z.ZodType ? { description: 'Success.', schema: spec, links: undefined } : spec;
    responses[status] = {
      description,
      ...(schema ? { content: jsonContent(jsonSchema(schema, 'output')) } : {}),
      ...(links ? { links: Object.fromEntries(Object.entries(links).map(([name, l]) => [name, { operationId: operationId(l.to), parameters: l.parameters }])) } : {}),
    };
  }
  const errors = new Set<ErrorStatus>([...(route.errors ?? []), 500, 503]);
  if (route.request?.body) {
    for (const status of [400, 413, 415] as const) errors.add(status);
  }
  if (route.path === '/healthz' || route.path === '/readyz') errors.clear();
  for (const status of [...errors].sort((a, b) => a - b)) {
    responses[String(status)] = { $ref: `#/components/responses/E${status}` };
  }
  if (route.path === '/readyz') responses['503'] = { description: 'Not ready: which check failed.', content: jsonContent(jsonSchema(s.readinessSchema, 'output')) };
  const params = parameters(route);
  return {
    operationId: operationId(route),
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    security: SECURITY[route.auth],
    ...(params.length ? { parameters: params } : {}),
    ...(route.request?.body ? { requestBody: { required: true, content: requestContent(route.request.body, route.request.examples) } } : {}),
    responses,
  };
}

/** `/api/pin-requests/:id` → `/api/pin-requests/{id}`. */
export const openApiPath = (expressPath: string): string => expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

let cached: Record<string, unknown> | undefined;

// Conversion requests, the review queue, benefit claims and remote identification
// (api/routes/conversion.ts, review.ts, claims.ts, remote-identification.ts).

const caseParams = z.object({ caseId: s.idParam });

describeRoute({
  method: 'post',
  path: '/api/conversion/requests',
  tag: 'citizen-access',
  summary: 'Ask for the conversion to dispositivo with the two uploaded documents',
  description: 'Needs an ordinary session. Opens a review case (or returns the one already open). 404: a document is not the citizen’s or is already used.',
  auth: 'citizen',
  request: { body: conversionRequestBody },
  responses: { 202: cs.conversionOpenedSchema },
  errors: [401, 403, 404, 409],
});

describeRoute({
  method: 'get',
  path: '/api/conversion/requests/current',
  tag: 'citizen-access',
  summary: 'The citizen’s latest conversion request and its outcome',
  auth: 'citizen',
  responses: { 200: conversionCaseView },
  errors: [401, 403, 404],
});

describeRoute({
  method: 'get',
  path: '/api/review/cases',
  tag: 'back-office',
  summary: 'The review queue, with the time left before escalation',
  description: 'Roles: clerk, supervisor, admin. Default: cases still open (open, claimed, awaiting second review).',
  auth: 'staff',
  request: { query: reviewQueueQuery },
  responses: { 200: cs.reviewQueueSchema },
  errors: [400, 401, 403],
});

describeRoute({
  method: 'get',
  path: '/api/review/cases/:caseId',
  tag: 'back-office',
  summary: 'One review case with its documents',
  description: 'Roles: clerk, supervisor, admin.',
  auth: 'staff',
  request: { params: caseParams },
  responses: { 200: cs.reviewCaseDetailSchema },
  errors: [401, 403, 404],
});

describeRoute({
  method: 'post',
  path: '/api/review/cases/:caseId/claim',
  tag: 'back-office',
  summary: 'Claim a case (a supervisor may take over a claimed one)',
  description: 'Roles: clerk, supervisor. 409 with `details.reason`: ALREADY_CLAIMED, CASE_CLOSED, AWAITING_SECOND_REVIEW.',
  auth: 'staff',
  request: { params: caseParams },
  responses: { 200: cs.reviewViewSchema },
  errors: [401, 403, 404, 409],
});

describeRoute({
  method: 'post',
  path: '/api/review/cases/:caseId/decision',
  tag: 'back-office',
  summary: 'Approve or reject a claimed case (a reason from the list required to reject)',
  description:
    'Roles: clerk, supervisor. An approval that needs a second review leaves the case `awaiting_second_review`. A rejection names `reasonCode` from the list; the citizen is told its text in Italian and English. `note` is for the staff only (never sent to the citizen) and required with `other`. `reason` (free text, before reason codes) is still accepted and taken as the note of an `other` rejection.',
  auth: 'staff',
  request: { params: caseParams, body: decisionBody },
  responses: { 200: cs.reviewViewSchema },
  errors: [401, 403, 404, 409],
});

describeRoute({
  method: 'post',
  path: '/api/review/cases/:caseId/second-review',
  tag: 'back-office',
  summary: 'Confirm or overturn an approval, as a second and different clerk',
  description: 'Roles: clerk, supervisor. 409 SAME_REVIEWER when the first clerk tries. A rejection names `reasonCode` and may carry a `note`, as for the first decision.',
  auth: 'staff',
  request: { params: caseParams, body: secondReviewBody },
  responses: { 200: cs.reviewViewSchema },
  errors: [401, 403, 404, 409],
});

describeRoute({
  method: 'get',
  path: '/api/claims/types',
  tag: 'citizen-access',
  summary: 'The claim types this session may file, and whether they are processed at once',
  auth: 'citizen',
  responses: { 200: cs.claimTypesSchema },
  errors: [401, 403],
});

describeRoute({
  method: 'post',
  path: '/api/claims',
  tag: 'citizen-access',
  summary: 'File a benefit claim: protocol number and received time at once',
  description:
    'With an ordinary PIN the claim waits for the PIN to become dispositivo; with a dispositivo PIN (or a COVID bonus under the ' +
    'simplified procedure) it goes to processing. An `Idempotency-Key` header makes a retry return the first claim (200).',
  auth: 'citizen',
  request: { body: fileClaimBody, headers: z.object({ 'idempotency-key': z.string().optional() }) },
  responses: { 200: claimView.extend({ message: bilingualSchema }), 202: claimView.extend({ message: bilingualSchema }) },
  errors: [401, 403, 409],
});

describeRoute({
  method: 'get',
  path: '/api/claims',
  tag: 'citizen-access',
  summary: 'The citizen’s claims',
  auth: 'citizen',
  responses: { 200: z.strictObject({ claims: z.array(claimView) }) },
  errors: [401, 403],
});

describeRoute({
  method: 'post',
  path: '/api/claims/:claimId/withdraw',
  tag: 'citizen-access',
  summary: 'Withdraw one of the citizen’s claims before it is decided',
  description: 'Final. 409 once the claim is decided, withdrawn or cancelled; someone else’s claim is not found.',
  auth: 'citizen',
  request: { params: claimIdParams },
  responses: { 200: claimView },
  errors: [401, 403, 404, 409],
});

describeRoute({
  method: 'get',
  path: '/api/staff/claims',
  tag: 'back-office',
  summary: 'Claims in processing, oldest first, for the back office’s decision',
  description: 'Roles: clerk, supervisor, admin.',
  auth: 'staff',
  responses: { 200: z.strictObject({ claims: z.array(staffClaimView) }) },
  errors: [401, 403],
});

describeRoute({
  method: 'get',
  path: '/api/staff/claims/:claimId',
  tag: 'back-office',
  summary: 'One claim, in any state, with its claimant and who ended it',
  description: 'Roles: clerk, supervisor, admin.',
  auth: 'staff',
  request: { params: claimIdParams },
  responses: { 200: staffClaimView },
  errors: [401, 403, 404],
});

describeRoute({
  method: 'post',
  path: '/api/staff/claims/:claimId/decision',
  tag: 'back-office',
  summary: 'Decide a claim in processing: accepted, or rejected with its reason',
  description: 'Roles: clerk, supervisor. The claimant is told by e-mail/PEC, with the reason. 409 when the claim is not in processing.',
  auth: 'staff',
  request: { params: claimIdParams, body: claimDecisionBody },
  responses: { 200: claimView },
  errors: [400, 401, 403, 404, 409],
});

describeRoute({
  method: 'get',
  path: '/api/claims/:claimId',
  tag: 'citizen-access',
  summary: 'One of the citizen’s claims (someone else’s is not found)',
  auth: 'citizen',
  request: { params: claimIdParams },
  responses: { 200: claimView },
  errors: [401, 403, 404],
});

describeRoute({
  method: 'get',
  path: '/api/claims/:claimId/receipt',
  tag: 'citizen-access',
  summary: 'The printable receipt of one of the citizen’s claims (PDF: protocol number, claim, received time, status when filed, claimant, declaration)',
  description: 'No contact details are on it. Someone else’s claim is not found. Answers `application/pdf`.',
  auth: 'citizen',
  request: { params: claimIdParams },
  responses: { 200: { description: 'The receipt PDF (`Content-Disposition: attachment`, `Cache-Control: no-store`).' } },
  errors: [401, 403, 404],
});

describeRoute({
  method: 'post',
  path: '/api/contact-centre/remote-identifications',
  tag: 'contact-centre',
  summary: 'Record a remote identification: the caller gets a dispositivo PIN in one step (two channels)',
  description: 'Roles: operator, supervisor. 404: no live PIN for the codice fiscale; 409: fewer than two contact channels.',
  auth: 'staff',
  request: { body: remoteIdentificationBody },
  responses: { 202: cs.remoteIdentificationAcceptedSchema },
  errors: [401, 403, 404, 409],
});

/** The OpenAPI 3.1 document (built once). */
export function openApiDocument(): Record<string, unknown> {
  if (cached) return cached;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of registry) (paths[openApiPath(route.path)] ??= {})[route.method] = operation(route);
  const errorResponses: Record<string, unknown> = {};
  for (const status of Object.keys(ERROR_MEANING).map(Number) as ErrorStatus[]) {
    const types = Object.values(ErrorType).filter((t) => statusOf[t] === status);
    errorResponses[`E${status}`] = {
      description: `${ERROR_MEANING[status]} Error type${types.length > 1 ? 's' : ''}: ${types.join(', ')}.`,
      content: jsonContent({ $ref: '#/components/schemas/Error' }),
    };
  }
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'PIN back-office API',
      version: '0.1.0',
      description:
        'Requests, issuance, first access, sessions, telephone PINs and back-office operations for INPS-style PIN credentials. ' +
        'Every error has the body `{ error: { type, message: { it, en }, fields?, details? } }`.',
    },
    tags: [
      { name: 'pin-requests', description: 'PIN requests from citizens and the contact centre' },
      { name: 'citizen-access', description: 'First access, login, sessions, regeneration, letters' },
      { name: 'telephone-pins', description: 'Temporary PINs for the contact centre' },
      { name: 'contact-centre', description: 'Operators acting for callers' },
      { name: 'back-office', description: 'Clerks and the mail room' },
      { name: 'operations', description: 'Probes and this document' },
    ],
    paths,
    components: {
      schemas: { Error: jsonSchema(s.errorBodySchema, 'output') },
      responses: errorResponses,
      securitySchemes: {
        staffBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'stf_…', description: 'Staff token (services/staff/auth.ts issueStaffToken): `Authorization: Bearer stf_…`.' },
        citizenSession: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'Session cookie set by POST /api/sessions.' },
        citizenBearer: { type: 'http', scheme: 'bearer', description: 'The session token of POST /api/sessions, for API clients.' },
        identitySession: { type: 'http', scheme: 'bearer', description: 'The identity session of GET /api/identity/callback (SPID, CIE or CNS sign-in), for 30 minutes.' },
      },
    },
  };
  return cached;
}
