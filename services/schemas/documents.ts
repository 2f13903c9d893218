/**
 * zod schemas of the document, fax-intake and counter-issuance endpoints, for the OpenAPI
 * document (api/openapi.ts). The routes' own checks (api/uploads.ts, services/counter/counter.ts) are the
 * authority on the details; these describe the shapes.
 */
import { z } from 'zod';
import { pinRequestInputSchema } from '../../domain/pin-request';
import { IDENTITY_DOCUMENT_TYPES, type IdentityDocumentType } from '../../domain/identity-document';
import { EXAMPLE_PIN_REQUEST, fieldIssueSchema } from './api';
import { UPLOAD_MEDIA_TYPES } from '../../domain/uploads';

const documentKind = z.enum(['signed_request', 'identity_document', 'fax', 'mv35']);
const filename = z.string().min(1).max(200).meta({ description: 'The file name (no path); its extension must match the content.', examples: ['modulo-firmato.pdf'] });

/** `POST /api/conversion/documents` query. */
export const citizenUploadQuerySchema = z.object({ kind: z.enum(['signed_request', 'identity_document']), filename });

/** `POST /api/staff/fax-intake` query. */
export const faxIntakeQuerySchema = z.object({ codiceFiscale: z.string().max(64), filename });

/** Upload headers: the file's own type, and the name when it is not in the query. */
export const uploadHeadersSchema = z.object({
  'content-type': z.enum(UPLOAD_MEDIA_TYPES),
  'x-filename': z.string().optional().meta({ description: 'Percent-encoded file name, when `filename` is not in the query.' }),
});

export const uploadedDocumentSchema = z.strictObject({
  documentId: z.guid(),
  kind: documentKind,
  mediaType: z.enum(UPLOAD_MEDIA_TYPES),
  sizeBytes: z.int().min(1),
});

export const faxIntakeAcceptedSchema = z.strictObject({ caseId: z.guid(), documentId: z.guid() });

export const documentIdParams = z.object({ documentId: z.guid() });
export const credentialIdParams = z.object({ credentialId: z.guid() });

const base = pinRequestInputSchema.shape;
const isoDate = z.iso.date();

/** An identity document as the counter and remote identification take it (domain/identity-document.ts checks the details). */
export const identityDocumentSchema = z.strictObject({
  type: z.enum(Object.keys(IDENTITY_DOCUMENT_TYPES) as [IdentityDocumentType, ...IdentityDocumentType[]]),
  number: z.string().meta({ description: 'Shaped as that type’s numbers are (e.g. AY1234567 for a carta d’identità).' }),
  issuer: z.string().min(2).max(120),
  issuingCountry: z.string().length(2).optional().meta({ description: 'ISO 3166-1 alpha-2 of the issuing state: required for `passaporto_estero` and `documento_estero`, `IT` (the default) otherwise.' }),
  issuedOn: isoDate.meta({ description: 'On or before today, after the date of birth.' }),
  expiresOn: isoDate.meta({ description: 'After today, at most 11 years after issue.' }),
});

/** `POST /api/counter/issuances`: the PIN request's data without channel, call-back preferences optional, plus office and document. */
export const counterIssuanceBodySchema = pinRequestInputSchema
  .omit({ channel: true, preferredPhone: true, preferredTimeSlot: true, hasItalianIdentityDocument: true })
  .extend({
    preferredPhone: base.preferredPhone.optional(),
    preferredTimeSlot: base.preferredTimeSlot.optional(),
    hasItalianIdentityDocument: base.hasItalianIdentityDocument.optional().meta({ description: 'Stated by the citizen; an Italian document shown implies true.' }),
    office: z.string().min(2).max(120).meta({ description: 'The INPS office (sede) issuing the PIN.' }),
    identityDocument: identityDocumentSchema,
  });

/** A complete, valid counter request by the fictitious citizen of the PIN request example. */
export const EXAMPLE_COUNTER_ISSUANCE = (() => {
  const { channel: _c, preferredPhone: _p, preferredTimeSlot: _t, hasItalianIdentityDocument: _h, ...citizen } = EXAMPLE_PIN_REQUEST;
  return {
    ...citizen,
    office: 'Roma Eur',
    identityDocument: { type: 'passaporto_estero', number: 'C01X00T47', issuer: 'Stadt Berlin', issuingCountry: 'DE', issuedOn: '2020-03-02', expiresOn: '2030-03-01' },
  };
})();

export const counterIssuedSchema = z.strictObject({
  credentialId: z.guid(),
  requestId: z.guid(),
  protocol: z.string().meta({ description: 'The request’s protocol number (PIN.<year>.<8 digits>).' }),
  mv35DocumentId: z.guid(),
  pinType: z.literal('dispositivo'),
  pinExpiresAt: z.iso.datetime(),
  warnings: z.array(fieldIssueSchema),
  envelopePdfBase64: z.string().meta({ description: 'The sealed-envelope PDF with the PIN, base64: in this response only, never stored.' }),
});

/** `POST /api/counter/conversions` answer. */
export const officeConversionSchema = z.strictObject({
  credentialId: z.guid(),
  caseId: z.guid(),
  status: z.enum(['approved', 'awaiting_second_review']).meta({ description: '`approved`: the PIN becomes dispositivo now; `awaiting_second_review`: a second clerk confirms first.' }),
});
