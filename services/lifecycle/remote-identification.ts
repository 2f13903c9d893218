/**
 * Remote identification by the contact centre (docs/architecture.md, "Conversion"): an
 * operator who has identified the caller records it, and the caller's credential gets a
 * dispositivo PIN in one step — a new 16-character PIN, halves over two contact channels.
 *
 *   POST /api/contact-centre/remote-identifications
 *        { codiceFiscale, method, identityDocument: { type, number, issuer, expiresOn } } → 202
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ServiceDeps } from '../deps';
import type { StaffPrincipal } from '../staff/auth';
import { withTransaction } from '../../lib/db';
import { appendAudit } from '../../lib/audit';
import { DomainError, ErrorType } from '../../domain/errors';
import { validateCodiceFiscaleFormat } from '../../domain/codice-fiscale';
import { twoChannelRoute } from '../../domain/contact-routes';
import { parseInput } from '../schemas/validate';
import { credentialWorkflowId, reissuePinUpdate } from '../../workflows/definitions';
import { HOLDER_STATES } from '../credentials';
import { reissueGrant } from '../grants';

export const remoteIdentificationBody = z.strictObject({
  codiceFiscale: z.string().min(11).max(16),
  method: z.enum(['video_call', 'telephone_pin']),
  identityDocument: z.strictObject({
    type: z.enum(['carta_identita', 'cie', 'passaporto', 'patente', 'permesso_soggiorno']),
    number: z.string().trim().regex(/^[A-Za-z0-9]{5,20}$/),
    issuer: z.string().trim().min(2).max(120),
    expiresOn: z.iso.date(),
  }),
});

/** An operator who identified the caller records it; the credential's workflow re-issues it as dispositivo. */
export async function identifyRemotely(deps: Pick<ServiceDeps, 'pool' | 'temporal' | 'now' | 'secrets'>, staff: StaffPrincipal, input: unknown) {
  const today = () => (deps.now?.() ?? new Date()).toISOString().slice(0, 10);
  const body = parseInput(remoteIdentificationBody, input);
    const cf = validateCodiceFiscaleFormat(body.codiceFiscale);
  if (cf.errors.length) throw new DomainError(ErrorType.Validation, { it: 'Codice fiscale non valido.', en: 'Invalid codice fiscale.' }, cf.errors);
  if (body.identityDocument.expiresOn <= today()) {
    throw new DomainError(ErrorType.Validation, { it: 'Il documento di identità è scaduto.', en: 'The identity document has expired.' }, [
      { field: 'identityDocument.expiresOn', code: 'expired', message: { it: 'Documento scaduto', en: 'Document expired' } },
    ]);
  }
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
        it: 'Servono due recapiti tra cellulare, e-mail e PEC: aggiungere prima un recapito.',
        en: 'Two contacts among mobile, e-mail and PEC are needed: add a contact first.',
      });
    }
    const doc = body.identityDocument;
    await client.query(
      `INSERT INTO identity_verifications (id, credential_id, method, document_type, document_number, document_issuer, expires_on, verified_by)
       VALUES ($1::uuid, $2::uuid, 'remote', $3::text, $4::text, $5::text, $6::date, $7::text)`,
      [randomUUID(), credential.id, doc.type, doc.number.toUpperCase(), doc.issuer, doc.expiresOn, `staff:${staff.staffId}`],
    );
    await appendAudit(client, {
      actor: `staff:${staff.staffId}`,
      action: 'remote_identification',
      subject: credential.id,
      decision: 'identified',
      detail: { method: body.method, documentType: doc.type },
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
      it: 'Identificazione registrata: il cittadino riceve il nuovo PIN dispositivo in due parti, su due recapiti diversi.',
      en: 'Identification recorded: the citizen gets the new dispositivo PIN in two parts, on two different contacts.',
    },
  };
}
