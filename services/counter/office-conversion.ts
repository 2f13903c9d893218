/**
 * Conversion at an INPS office ("consegnati recandosi in una sede INPS"): a holder of an ordinary
 * PIN brings the signed request and an identity document to the counter; the clerk checks both
 * in person and the existing PIN becomes dispositivo — no new PIN. It is the online conversion's
 * path with the clerk as reviewer: a review case of source `office`, claimed and approved by that
 * clerk through the review workflow (same record, same audit, held claims released; a case that
 * needs a second clerk waits for one), plus the identity check recorded as at the counter.
 * A citizen with no PIN gets one with the MV35 instead (counter.ts).
 *
 *   POST /api/counter/conversions { codiceFiscale, office, identityDocument, signedRequestChecked: true }
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ServiceDeps } from '../deps';
import type { StaffPrincipal } from '../staff/auth';
import { validateCodiceFiscaleFormat } from '../../domain/codice-fiscale';
import { DomainError, ErrorType, fieldIssue, validationError } from '../../domain/errors';
import { checkIdentityDocument } from '../../domain/identity-document';
import { officeName } from '../../domain/offices';
import { HOLDER_STATES } from '../../domain/credential';
import { appendAudit } from '../../lib/audit';
import { withTransaction } from '../../lib/db';
import { identityDocumentSchema } from '../schemas/documents';
import { parseInput } from '../schemas/validate';
import { openConversion } from '../conversion/conversions';
import { createReviewActions } from '../conversion/review';

export const officeConversionBody = z.strictObject({
  codiceFiscale: z.string().min(11).max(16),
  office: z.string().trim().min(2).max(120).meta({ description: 'The INPS office (sede) where the holder came.' }),
  identityDocument: identityDocumentSchema,
  signedRequestChecked: z.literal(true).meta({ description: 'The clerk checked the conversion request signed by the holder.' }),
});

export interface OfficeConversion {
  credentialId: string;
  caseId: string;
  /** `approved`: the PIN becomes dispositivo now; `awaiting_second_review`: a second clerk confirms first. */
  status: 'approved' | 'awaiting_second_review';
}

export async function convertAtOffice(
  deps: Pick<ServiceDeps, 'pool' | 'temporal' | 'secrets' | 'now' | 'secondReviewSampleRate'>,
  staff: StaffPrincipal,
  input: unknown,
): Promise<OfficeConversion> {
  const body = parseInput(officeConversionBody, input);
  const cf = validateCodiceFiscaleFormat(body.codiceFiscale);
  if (cf.errors.length) throw validationError(cf.errors);
  const checked = checkIdentityDocument(body.identityDocument, { today: deps.now?.() ?? new Date() });
  if (!checked.document) throw validationError(checked.issues);
  const doc = checked.document;
  const office = officeName(body.office);

  const { rows } = await deps.pool.query<{ id: string; pin_type: string }>('SELECT id, pin_type FROM credentials WHERE codice_fiscale = $1::text AND state = ANY($2::text[])', [
    cf.normalised,
    HOLDER_STATES,
  ]);
  const credential = rows[0];
  if (!credential) {
    throw new DomainError(
      ErrorType.NotFound,
      { it: 'Nessun PIN per questo codice fiscale: rilasciare il PIN dispositivo con il modulo MV35.', en: 'No PIN for this codice fiscale: issue the dispositivo PIN with form MV35.' },
      [fieldIssue('codiceFiscale', 'no_pin', 'Nessun PIN da convertire: rilascia il PIN dispositivo con il modulo MV35 (Sportello)', 'No PIN to convert: issue the dispositivo PIN with form MV35 (Counter)')],
    );
  }
  if (credential.pin_type === 'dispositivo') throw new DomainError(ErrorType.Conflict, { it: 'Il PIN è già dispositivo.', en: 'The PIN is already a dispositivo PIN.' });

  const actor = `staff:${staff.staffId}`;
  await withTransaction(deps.pool, async (client) => {
    await client.query(
      `INSERT INTO identity_verifications (id, credential_id, method, document_type, document_number, document_issuer, issuing_country, issued_on, expires_on, verified_by, office)
       VALUES ($1::uuid, $2::uuid, 'counter', $3::text, $4::text, $5::text, $6::text, $7::date, $8::date, $9::text, $10::text)`,
      [randomUUID(), credential.id, doc.type, doc.number, doc.issuer, doc.issuingCountry, doc.issuedOn, doc.expiresOn, actor, office],
    );
    await appendAudit(client, {
      actor,
      action: 'office_identification',
      subject: credential.id,
      decision: 'identified',
      detail: { office, documentType: doc.type, issuingCountry: doc.issuingCountry, signedRequestChecked: true },
    });
  });
  const { caseId } = await openConversion(deps, { credentialId: credential.id, documentIds: [], source: 'office', createdBy: actor });
  const review = createReviewActions(deps);
  await review.claim(caseId, staff);
  const decided = await review.decide(caseId, staff, { decision: 'approve', reason: `Documenti verificati di persona presso la sede INPS di ${office}` });
  return { credentialId: credential.id, caseId, status: decided.status === 'approved' ? 'approved' : 'awaiting_second_review' };
}
