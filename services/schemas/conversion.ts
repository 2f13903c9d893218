/**
 * Response shapes of the conversion, review, claims and remote-identification routes, for the
 * OpenAPI document (api/openapi.ts). Strict objects: a field added by accident fails fuzzing.
 */
import { z } from 'zod';
import { bilingualSchema } from './api';
import { REJECTION_REASON_CODES } from '../../domain/review-reasons';

const instant = z.iso.datetime();
const reviewStatus = z.enum(['open', 'claimed', 'awaiting_second_review', 'approved', 'rejected']);

export const conversionOpenedSchema = z.strictObject({ caseId: z.guid(), status: z.string(), message: bilingualSchema });

const reviewCaseSchema = z.strictObject({
  caseId: z.guid(),
  credentialId: z.guid(),
  source: z.enum(['online', 'fax', 'office']),
  status: reviewStatus,
  highRisk: z.boolean(),
  riskFlags: z.array(z.string()),
  secondReviewRequired: z.boolean(),
  claimedBy: z.string().nullable(),
  firstDecisionBy: z.string().nullable(),
  decidedBy: z.string().nullable(),
  /** A rejection's reason in Italian: its code's text (or a decision's free text before reason codes). */
  reason: z.string().nullable(),
  reasonCode: z.enum(REJECTION_REASON_CODES).nullable(),
  /** The clerk's note, for the staff only. */
  note: z.string().nullable(),
  codiceFiscale: z.string(),
  holder: z.string(),
  createdAt: instant,
  decidedAt: instant.nullable(),
  escalateAt: instant.nullable(),
  escalatedAt: instant.nullable(),
  secondsToEscalation: z.number().int().nullable(),
});

export const reviewQueueSchema = z.strictObject({ cases: z.array(reviewCaseSchema) });

export const reviewCaseDetailSchema = reviewCaseSchema.extend({
  documents: z.array(
    z.strictObject({
      documentId: z.guid(),
      kind: z.enum(['signed_request', 'identity_document', 'fax', 'mv35']),
      mediaType: z.enum(['application/pdf', 'image/jpeg', 'image/png']),
      sizeBytes: z.number().int(),
      name: z.string(),
      uploadedAt: instant,
    }),
  ),
});

/** The review workflow's view after an action (workflows/review-definitions.ts ReviewView). */
export const reviewViewSchema = z.strictObject({
  caseId: z.guid(),
  status: reviewStatus,
  secondReviewRequired: z.boolean(),
  claimedBy: z.string().optional(),
  firstDecisionBy: z.string().optional(),
  decidedBy: z.string().optional(),
  reasonCode: z.enum(REJECTION_REASON_CODES).optional(),
  note: z.string().optional(),
  /** The free-text reason of a decision made before reason codes. */
  reason: z.string().optional(),
  escalateAt: instant.optional(),
  escalatedAt: instant.optional(),
  openedAt: instant.optional(),
});

export const claimTypesSchema = z.strictObject({
  types: z.array(z.strictObject({ type: z.string(), name: bilingualSchema, processing: z.enum(['immediate', 'after_dispositivo']) })),
});

export const remoteIdentificationAcceptedSchema = z.strictObject({ credentialId: z.guid(), pinVersion: z.number().int(), message: bilingualSchema });
