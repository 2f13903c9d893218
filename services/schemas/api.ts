/**
 * zod schemas of the JSON the API takes and gives, for the endpoints whose handlers check their
 * input by hand (field by field, with bilingual messages and stable codes) and for every
 * response. They are the source of the OpenAPI document (api/openapi.ts); the PIN request's
 * body comes from `pinRequestInputSchema` in domain/pin-request.ts, which its validation uses.
 *
 * Response objects are strict (`z.strictObject`: `additionalProperties: false` in the document,
 * and a parse error here), so the fuzzing run and the tests fail when a response gains a field
 * nobody documented — a field added by accident is how secrets leak. Their TypeScript counterparts are held equal to these
 * by type checks in test/unit/openapi.test.ts.
 */
import { CREDENTIAL_STATES } from '../../domain/credential';
import { z } from 'zod';
import { ErrorType } from '../../domain/errors';
import { PROFILE_CATEGORIES, SCHEMES } from '../../domain/services';
import { PIN_ALPHABET } from '../../lib/secrets';
import { TELEPHONE_PIN_VALIDITIES, type TelephonePinValidity } from '../../workflows/telephone-pin-definitions';
import { CALLBACK_OUTCOMES } from '../../workflows/definitions';

// ---------------------------------------------------------------------------------------------
// Building blocks

/** A text shown to a person, in Italian and English. */
export const bilingualSchema = z.strictObject({ it: z.string(), en: z.string() });

/** An instant as the API writes it (`Date.prototype.toISOString`). */
const instant = z.iso.datetime();

/** Ids are UUIDs; the routes accept any 8-4-4-4-12 hexadecimal form, as `z.guid()` does. */
export const idParam = z.guid();

/** One problem with one input field (domain/errors.ts `FieldIssue`). */
export const fieldIssueSchema = z.strictObject({ field: z.string(), code: z.string(), message: bilingualSchema });

/**
 * The one error body (api/errors.ts `errorBody`): a stable `type` per HTTP status, a message in
 * both languages, the bad fields for VALIDATION, and non-secret details (a refusal `reason`,
 * `retryAfterSeconds`, the id of a conflicting resource).
 */
export const errorBodySchema = z
  .strictObject({
    error: z.strictObject({
      type: z.enum(Object.values(ErrorType) as [ErrorType, ...ErrorType[]]),
      message: bilingualSchema,
      fields: z.array(fieldIssueSchema).optional(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  });

/** A fictitious person's codice fiscale (born abroad, resident in Germany), used in examples. */
export const EXAMPLE_CODICE_FISCALE = 'SMPGLI84E57Z112A';

// The pattern is the shape (omocodia letters included); the check character and the rest are
// the route's business, answered with 400 and a field code.
const codiceFiscale = z
  .string()
  .regex(/^[A-Za-z]{6}[0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{3}[A-Za-z]$/)
  .meta({ description: 'Codice fiscale (16 characters, either case).', examples: [EXAMPLE_CODICE_FISCALE] });

/** A complete, valid PIN request by the fictitious citizen of `EXAMPLE_CODICE_FISCALE`. */
export const EXAMPLE_PIN_REQUEST = {
  channel: 'online',
  codiceFiscale: EXAMPLE_CODICE_FISCALE,
  surname: 'Esempio',
  name: 'Giulia',
  birthDate: '1984-05-17',
  sex: 'F',
  birthProvince: 'EE',
  birthMunicipality: 'Germania',
  residence: { abroad: true, country: 'DE', address: 'Beispielstraße 1', city: 'Berlin', postalCode: '10115' },
  mobile: '+49 151 2345678',
  email: 'giulia.esempio@example.org',
  preferredPhone: 'mobile',
  preferredTimeSlot: '08-11',
  hasItalianIdentityDocument: false,
} as const;

/** A PIN in canonical form: upper case, from the alphabet without look-alike characters. */
const pinOf = (length: number) => z.string().regex(new RegExp(`^[${PIN_ALPHABET}]{${length}}$`), `${length} characters of ${PIN_ALPHABET}`);

// ---------------------------------------------------------------------------------------------
// Requests checked by hand in the routes (the routes' parsers are the authority on the details)

/** `POST /api/sessions` (api/routes/sessions.ts `parseLogin`). */
export const loginBodySchema = z.object({ codiceFiscale, pin: pinOf(8).meta({ description: 'The personal 8-character PIN (or, under the simplified procedure, the first half of the initial PIN).' }) });

/** `POST /api/first-access` (services/access/pin-access.ts `parseCredentials`, 16 characters). */
export const firstAccessBodySchema = z.object({ codiceFiscale, pin: pinOf(16).meta({ description: 'The whole initial PIN: first half (SMS/e-mail) then second half (letter).' }) });

/** `POST /api/pin/regenerate`: the expired 8-character PIN. */
export const regenerateBodySchema = z.object({ codiceFiscale, pin: pinOf(8) });

/** `POST /api/letters/resend`: the first half proves the request is the caller's. */
export const resendLetterBodySchema = z.object({ codiceFiscale, firstHalf: pinOf(8) });

/** `POST /api/telephone-pins` (api/routes/telephone-pins.ts `parseCreation`); the citizen is the identity session's. */
export const telephonePinCreationBodySchema = z.object({
  validity: z
    .enum(TELEPHONE_PIN_VALIDITIES as [TelephonePinValidity, ...TelephonePinValidity[]])
    .meta({ description: 'One day, one week, one month or three months; months are calendar months (Europe/Rome).' }),
});

/** `POST /api/contact-centre/verify-caller` (api/routes/telephone-pins.ts `parseVerification`). */
export const verifyCallerBodySchema = z.object({ codiceFiscale, telephonePin: z.string().regex(/^[0-9]{8}$/) });

/** `Idempotency-Key` of `POST /api/pin-requests`. */
export const idempotencyKeySchema = z.string().regex(/^[A-Za-z0-9_-]{8,128}$/);

// ---------------------------------------------------------------------------------------------
// Responses

export const healthSchema = z.strictObject({ status: z.literal('ok') });
export const readinessSchema = z.strictObject({
  status: z.enum(['ready', 'not_ready']),
  checks: z.strictObject({ database: z.boolean(), temporal: z.boolean() }),
});

const deliveryStepSchema = z.strictObject({
  channel: z.enum(['sms', 'email', 'pec', 'letter']),
  destination: z.string(),
  maskedDestination: z.string(),
  description: bilingualSchema,
});
export const deliveryPlanSchema = z.strictObject({ firstHalf: z.array(deliveryStepSchema), secondHalf: z.array(deliveryStepSchema), message: bilingualSchema });

export const pinRequestSummarySchema = z.strictObject({
  sections: z.array(
    z.strictObject({
      id: z.enum(['request', 'personal', 'residence', 'contacts', 'preferences']),
      title: bilingualSchema,
      items: z.array(z.strictObject({ field: z.string(), label: bilingualSchema, value: bilingualSchema })),
    }),
  ),
  confirmPrompt: bilingualSchema,
});

export const pinRequestReviewSchema = z.strictObject({ review: pinRequestSummarySchema, deliveryPlan: deliveryPlanSchema, warnings: z.array(fieldIssueSchema) });

export const acceptedRequestSchema = z.strictObject({
  requestId: z.guid(),
  protocol: z.string().regex(/^PIN\.\d{4}\.\d{8}$/).meta({ description: 'The protocol number the citizen keeps and staff look up.' }),
  credentialId: z.guid(),
  status: z.literal('accepted'),
  deliveryPlan: deliveryPlanSchema,
  warnings: z.array(fieldIssueSchema),
});

export const credentialViewSchema = z.strictObject({
  credentialId: z.guid(),
  state: z.enum(CREDENTIAL_STATES),
  pinType: z.enum(['ordinary', 'dispositivo']),
  pinVersion: z.number().int(),
  firstHalf: z.array(z.strictObject({ channel: z.enum(['sms', 'email', 'pec']), state: z.enum(['pending', 'sent']) })),
  letters: z.array(
    z.strictObject({
      letterId: z.string(),
      seq: z.number().int(),
      state: z.enum(['queued', 'dispatched', 'returned', 'void']),
      queuedAt: instant,
      dispatchedAt: instant.optional(),
    }),
  ),
  addressMismatch: z.boolean(),
  reminderSent: z.boolean(),
  firstAccessDeadline: instant.optional(),
  simplifiedScope: z.boolean(),
  pinExpiresAt: instant.optional(),
  expiryReminderSent: z.boolean().optional(),
  cycle: z.number().int().optional(),
});

export const pinRequestStatusSchema = z.strictObject({
  requestId: z.guid(),
  protocol: z.string(),
  credentialId: z.guid(),
  receivedAt: instant,
  credential: z.union([credentialViewSchema, z.strictObject({ credentialId: z.guid(), state: z.literal('requested') }).meta({ description: 'Accepted, workflow not started yet.' })]),
});

export const mailRoomDispatchSchema = z.strictObject({ batchDate: z.iso.date(), dispatched: z.number().int().nonnegative() });

export const callbackTasksSchema = z.strictObject({
  tasks: z.array(
    z.strictObject({
      taskId: z.guid(),
      credentialId: z.guid(),
      reason: z.string(),
      phone: z.string(),
      attempts: z.number().int(),
      timeSlot: z.string(),
      createdAt: instant,
      codiceFiscale: z.string(),
      holder: z.string(),
    }),
  ),
});
/** An operator's record of one call-back. */
export const callbackOutcomeBodySchema = z
  .strictObject({
    outcome: z.enum(CALLBACK_OUTCOMES),
    address: z.enum(['record', 'declared']).optional(),
    note: z.string().trim().max(500).optional(),
  })
  .refine((b) => b.outcome !== 'verified' || b.address !== undefined, { path: ['address'], message: 'address is required when verified' });
export const callbackOutcomeSchema = z.strictObject({
  taskId: z.guid(),
  credentialId: z.guid(),
  status: z.enum(['open', 'verified', 'refused']),
  attempts: z.number().int(),
  deadline: instant,
  outcome: z.enum([...CALLBACK_OUTCOMES, 'expired']).optional(),
});

export const newLetterSchema = z.strictObject({ letterId: z.string(), seq: z.number().int() });
export const letterResentSchema = newLetterSchema.extend({ status: z.literal('requested'), message: bilingualSchema });
/** 202: the new letter was asked for and is not confirmed yet. */
export const letterRequestInProgressSchema = z.strictObject({ status: z.literal('in_progress'), message: bilingualSchema });

/** The one response that shows a new PIN to its owner (`Cache-Control: no-store`). */
export const newPinSchema = z.strictObject({ status: z.literal('active'), pin: pinOf(8), pinExpiresAt: instant, message: bilingualSchema });
/** 202: the PIN is shown (once) while its activation is still being confirmed. */
export const newPinActivatingSchema = z.strictObject({ status: z.literal('activating'), pin: pinOf(8), message: bilingualSchema });

export const createdTelephonePinSchema = z.strictObject({
  telephonePinId: z.guid(),
  pin: z.string().regex(/^[0-9]{8}$/).meta({ description: 'Shown once, in this response only.' }),
  validity: telephonePinCreationBodySchema.shape.validity,
  expiresAt: instant,
});
export const revokedTelephonePinSchema = z.strictObject({
  telephonePinId: z.guid(),
  status: z.enum(['active', 'revoking', 'revoked', 'expired', 'locked']),
  endedAt: instant.optional(),
});
export const telephonePinListSchema = z.strictObject({
  telephonePins: z.array(
    z.strictObject({
      telephonePinId: z.guid(),
      validity: telephonePinCreationBodySchema.shape.validity,
      status: z.enum(['active', 'expired', 'revoked', 'locked']),
      createdAt: instant,
      expiresAt: instant,
      endedAt: instant.optional(),
    }),
  ),
});
/** `GET /api/identity/callback`: the identity session, shown once. */
export const identitySessionSchema = z.strictObject({
  sessionToken: z.string().regex(/^[A-Za-z0-9_-]{43}$/).meta({ description: 'Bearer token of the identity session (30 minutes); shown once.' }),
  codiceFiscale: z.string(),
  method: z.enum(['SPID', 'CIE', 'CNS']),
  expiresAt: instant,
});
export const callerVerifiedSchema = z.strictObject({ verified: z.literal(true), telephonePinId: z.guid(), codiceFiscale: z.string() });

const holderProfileSchema = z.strictObject({ category: z.enum(PROFILE_CATEGORIES), scheme: z.enum(SCHEMES).optional() });
const sessionScopeSchema = z.enum(['ordinary', 'dispositivo', 'simplified']);
const sessionViewSchema = z.strictObject({
  credentialId: z.guid(),
  codiceFiscale: z.string(),
  pinType: z.enum(['ordinary', 'dispositivo']),
  scope: sessionScopeSchema,
  profile: holderProfileSchema,
  intermediary: z.boolean(),
});
export const loginSchema = z.strictObject({ token: z.string().meta({ description: 'Session token (also set as the pin_session cookie).' }), expiresAt: instant, idleExpiresAt: instant, session: sessionViewSchema });
export const currentSessionSchema = z.strictObject({ session: sessionViewSchema, expiresAt: instant, idleExpiresAt: instant });
export const sessionServicesSchema = z.strictObject({
  scope: sessionScopeSchema,
  services: z.array(z.strictObject({ id: z.string(), name: bilingualSchema, kind: z.enum(['consult', 'claim']), minimumScope: z.enum(['ordinary', 'dispositivo', 'simplified-bonus']) })),
});
