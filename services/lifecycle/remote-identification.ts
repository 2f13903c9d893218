/**
 * Remote identification by the contact centre (docs/architecture.md, "Conversion"): an
 * operator who has identified the caller records it, and the caller's credential gets the
 * 8-character dispositivo PIN in one step ("mediante riconoscimento a distanza, di ottenere il PIN
 * dispositivo di 8 cifre"): two parts of four characters over two contact channels, no first access.
 *
 *   POST /api/contact-centre/remote-identifications
 *        { codiceFiscale, method, identityDocument: { type, number, issuer, issuingCountry?, issuedOn, expiresOn } } → 202
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ServiceDeps } from '../deps';
import type { StaffPrincipal } from '../staff/auth';
import { withTransaction } from '../../lib/db';
import { appendAudit } from '../../lib/audit';
import { DomainError, ErrorType, validationError } from '../../domain/errors';
import { checkIdentityDocument } from '../../domain/identity-document';
import { identityDocumentSchema } from '../schemas/documents';
import { validateCodiceFiscaleFormat } from '../../domain/codice-fiscale';
import { twoChannelRoute } from '../../domain/contact-routes';
import { parseInput } from '../schemas/validate';
import { credentialWorkflowId, reissuePinUpdate } from '../../workflows/definitions';
import { HOLDER_STATES } from '../credentials';
import { reissueGrant } from '../grants';

export const remoteIdentificationBody = z.strictObject({
  codiceFiscale: z.string().min(11).max(16),
  method: z.enum(['video_call', 'telephone_pin']),
  identityDocument: identityDocumentSchema,
});

/** An operator who identified the caller records it; the credential's workflow re-issues it as dispositivo. */
export async function identifyRemotely(deps: Pick<ServiceDeps, 'pool' | 'temporal' | 'now' | 'secrets'>, staff: StaffPrincipal, input: unknown) {
  const body = parseInput(remoteIdentificationBody, input);
  const cf = validateCodiceFiscaleFormat(body.codiceFiscale);
  if (cf.errors.length) throw new DomainError(ErrorType.Validation, { it: 'Codice fiscale non valido.', en: 'Invalid codice fiscale.' }, cf.errors);
  // The same checks as at the counter: Italian or foreign (with its issuing country), valid today.
  const checked = checkIdentityDocument(body.identityDocument, { today: deps.now?.() ?? new Date() });
  if (!checked.document) throw validationError(checked.issues);
  const doc = checked.document;
  const credentialId = await withTransaction(deps.pool, async (client) => {
    const { rows } = await client.query<{ id: string; contacts: Record<string, string> }>(
      `SELECT id, contacts FROM credentials WHERE codice_fiscale = $1::text AND state = ANY($2::text[]) FOR UPDATE`,
      [cf.normalised, HOLDER_STATES],
    );
    const credential = rows[0];
    if (!credential) {
      throw new DomainError(ErrorType.NotFound, {
        it: 'Nessun PIN attivo per questo codice fiscale: il cittadino deve prima richiedere il PIN.',
        en: 'No live PIN for this codice fiscale: the citizen must request a PIN first.',
      });
    }
    if (!twoChannelRoute(credential.contacts)) {
      throw new DomainError(ErrorType.Conflict, {
        it: 'Servono due recapiti tra cellulare, e-mail e PEC: aggiungi prima un recapito.',
        en: 'Two contacts among mobile, e-mail and PEC are needed: add a contact first.',
      });
    }
    await client.query(
      `INSERT INTO identity_verifications (id, credential_id, method, document_type, document_number, document_issuer, issuing_country, issued_on, expires_on, verified_by)
       VALUES ($1::uuid, $2::uuid, 'remote', $3::text, $4::text, $5::text, $6::text, $7::date, $8::date, $9::text)`,
      [randomUUID(), credential.id, doc.type, doc.number, doc.issuer, doc.issuingCountry, doc.issuedOn, doc.expiresOn, `staff:${staff.staffId}`],
    );
    await appendAudit(client, {
      actor: `staff:${staff.staffId}`,
      action: 'remote_identification',
      subject: credential.id,
      decision: 'identified',
      detail: { method: body.method, documentType: doc.type, issuingCountry: doc.issuingCountry },
    });
    return credential.id;
  });
  const { pinVersion } = await deps.temporal.workflow
    .getHandle(credentialWorkflowId(credentialId))
    .executeUpdate(reissuePinUpdate, {
      args: [
        {
          requestedBy: `operator:${staff.staffId}`,
          reason: 'remote_identification',
          pinType: 'dispositivo',
          grant: reissueGrant(deps, credentialId, `operator:${staff.staffId}`, 'remote_identification', 'dispositivo'),
        },
      ],
    });
    return {
    credentialId,
    pinVersion,
    message: {
      it: 'Identificazione registrata: il cittadino riceve il PIN dispositivo di 8 caratteri in due parti di 4, su due recapiti diversi, e lo usa subito.',
      en: 'Identification recorded: the citizen gets the 8-character dispositivo PIN in two parts of 4, on two different contacts, and can use it at once.',
    },
  };
}
