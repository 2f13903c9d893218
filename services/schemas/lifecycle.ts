/**
 * zod schemas of recovery, revocation, contact changes and delegation: the request bodies the
 * handlers parse (`parseInput`) and the strict response shapes, both the source of their entries
 * in the OpenAPI document (api/openapi.ts).
 */
import { z } from 'zod';
import { bilingualSchema, fieldIssueSchema } from './api';
import { identityDocumentSchema } from './documents';

const instant = z.iso.datetime();
const text = (max: number) => z.string().max(max);
/** A contact as typed: the handlers compare or validate it with the request's rules. */
const optionalContact = (max: number) => text(max).nullish();

// ---------------------------------------------------------------------------------------------
// Recovery

export const recoveryRequestBodySchema = z.strictObject({
  codiceFiscale: text(32).meta({ description: 'Codice fiscale of the holder.' }),
  mobile: optionalContact(40).meta({ description: 'The mobile number registered with the PIN.' }),
  email: optionalContact(254),
  pec: optionalContact(254),
});

export const recoveryAcceptedSchema = z.strictObject({
  status: z.literal('received'),
  message: bilingualSchema,
  rule: bilingualSchema.meta({ description: 'The general rule (two contacts; with only one registered, call the contact centre).' }),
});

export const recoveryConfirmBodySchema = z.strictObject({
  token: text(128).meta({ description: 'The token of the confirmation link (43 base64url characters).' }),
});

export const recoveryConfirmedSchema = z.strictObject({ status: z.literal('confirmed'), pinVersion: z.number().int().positive(), message: bilingualSchema });
/** The re-issue was asked for and is under way; the halves will come (202). */
export const recoveryInProgressSchema = z.strictObject({ status: z.literal('in_progress'), message: bilingualSchema });
export const recoveryConfirmationSchema = z.discriminatedUnion('status', [recoveryConfirmedSchema, recoveryInProgressSchema]);

// ---------------------------------------------------------------------------------------------
// Revocation

export const revocationBodySchema = z.strictObject({
  codiceFiscale: text(32),
  healthCard: z.strictObject({
    number: text(40).meta({ description: 'Number of the tessera sanitaria (20 digits; spaces allowed).' }),
    expiresOn: z.iso.date(),
  }),
  email: optionalContact(254),
  pec: optionalContact(254),
});

/** Revoked now, or already (the same request made again after an answer that never arrived). */
export const revokedSchema = z.strictObject({ status: z.enum(['revoked', 'already_revoked']), revokedAt: instant, message: bilingualSchema });
/** The revocation was asked for and is under way; a notice goes to every contact when it is done (202). */
export const revocationInProgressSchema = z.strictObject({ status: z.literal('in_progress'), message: bilingualSchema });
export const revocationAnswerSchema = z.discriminatedUnion('status', [revokedSchema, revocationInProgressSchema]);

/** How an operator verified a caller before acting for them: a telephone PIN, or identity questions. */
export const callerVerificationSchema = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('telephone_pin'), telephonePin: z.string().max(32) }),
  z.strictObject({
    method: z.literal('identity_questions'),
    note: z.string().trim().min(10).max(500).meta({ description: 'What the operator checked with the caller (no secret).' }),
  }),
]);

export const staffRevokeBodySchema = z.strictObject({ verification: callerVerificationSchema, note: z.string().trim().max(500).optional() });
export const staffRevokedSchema = z.strictObject({ credentialId: z.guid(), revokedAt: instant });

// ---------------------------------------------------------------------------------------------
// Contacts

const contactsViewSchema = z.strictObject({
  homePhone: z.string().optional(),
  mobile: z.string().optional(),
  email: z.string().optional(),
  pec: z.string().optional(),
  preferredPhone: z.enum(['home', 'mobile']),
  preferredTimeSlot: z.string(),
});

export const contactsChangedSchema = z.strictObject({
  changed: z.boolean(),
  changeId: z.guid().optional(),
  contacts: contactsViewSchema,
  warnings: z.array(fieldIssueSchema),
});

export const addContactBodySchema = z.strictObject({
  mobile: optionalContact(40),
  email: optionalContact(254),
  pec: optionalContact(254),
  verification: callerVerificationSchema,
});

export const contactAddedSchema = z.strictObject({
  credentialId: z.guid(),
  changeId: z.guid(),
  added: z.array(z.enum(['mobile', 'email', 'pec'])),
  warnings: z.array(fieldIssueSchema),
});

export const credentialIdParams = z.strictObject({ credentialId: z.guid() });

// ---------------------------------------------------------------------------------------------
// Delegation

const delegationScopeSchema = z.enum(['consult', 'consult_and_claims']);

export const createDelegationBodySchema = z.strictObject({
  delegateCodiceFiscale: text(32),
  scope: delegationScopeSchema,
  endsOn: z.iso.date().meta({ description: 'Last day of the delegation (it ends at midnight, Rome time, after it).' }),
});

/** `POST /api/staff/delegations`: a delegation registered by a clerk from the signed form and the documents checked in person. */
export const officeDelegationBodySchema = z.strictObject({
  delegatorCodiceFiscale: text(32).meta({ description: 'Codice fiscale of the delegator (who needs no PIN).' }),
  delegateCodiceFiscale: text(32),
  scope: delegationScopeSchema,
  endsOn: z.iso.date().meta({ description: 'Last day of the delegation (it ends at midnight, Rome time, after it); at most 366 days ahead.' }),
  office: z.string().trim().min(2).max(120).meta({ description: 'The INPS office (sede) where the form was handed in.' }),
  delegatorDocument: identityDocumentSchema.meta({ description: 'The delegator’s identity document, checked in person.' }),
  delegateDocument: identityDocumentSchema.optional().meta({ description: 'The delegate’s identity document, when they came too (a copy attached to the form otherwise).' }),
  signedFormReceived: z.literal(true).meta({ description: 'The clerk received the delegation form signed by the delegator.' }),
});

export const delegationViewSchema = z.strictObject({
  delegationId: z.guid(),
  delegatorCodiceFiscale: z.string(),
  delegateCodiceFiscale: z.string(),
  scope: delegationScopeSchema,
  endsOn: z.iso.date(),
  endsAt: instant,
  status: z.enum(['pending', 'active', 'expired', 'revoked', 'declined', 'lapsed']).meta({
    description: '`pending` until the delegate accepts it (it cannot be used before); `declined` by the delegate; `lapsed` when not accepted by `acceptBy`.',
  }),
  source: z.enum(['online', 'office']),
  createdAt: instant,
  acceptBy: instant.optional(),
  acceptedAt: instant.optional(),
  endedAt: instant.optional(),
});

/** What registering a delegation at an office answers: the delegation and where its printable receipt is. */
export const officeDelegationViewSchema = delegationViewSchema.extend({
  receipt: z.string().meta({ description: 'Path of the printable receipt for the delegator (PDF, `GET /api/staff/delegations/{delegationId}/receipt`), for the registering clerk only.' }),
});

export const delegationListSchema = z.strictObject({ delegations: z.array(delegationViewSchema) });
export const delegationIdParams = z.strictObject({ delegationId: z.guid() });
export const staffDelegationRevokeBodySchema = z.strictObject({ reason: z.string().trim().max(500).optional() });
