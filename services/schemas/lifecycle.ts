/**
 * zod schemas of recovery, revocation, contact changes and delegation: the request bodies the
 * handlers parse (`parseInput`) and the strict response shapes, both the source of their entries
 * in the OpenAPI document (api/openapi.ts).
 */
import { z } from 'zod';
import { bilingualSchema, fieldIssueSchema } from './api';

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

export const revokedSchema = z.strictObject({ revokedAt: instant, message: bilingualSchema });

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

export const delegationViewSchema = z.strictObject({
  delegationId: z.guid(),
  delegatorCodiceFiscale: z.string(),
  delegateCodiceFiscale: z.string(),
  scope: delegationScopeSchema,
  endsOn: z.iso.date(),
  endsAt: instant,
  status: z.enum(['active', 'expired', 'revoked']),
  createdAt: instant,
  endedAt: instant.optional(),
});

export const delegationListSchema = z.strictObject({ delegations: z.array(delegationViewSchema) });
export const delegationIdParams = z.strictObject({ delegationId: z.guid() });
export const staffDelegationRevokeBodySchema = z.strictObject({ reason: z.string().trim().max(500).optional() });
