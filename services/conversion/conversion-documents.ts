/**
 * The conversion's documents: who may convert and upload, the daily upload allowance, the
 * prefilled request form, and the credential a received fax belongs to.
 */
import type { ServiceDeps } from '../deps';
import { italianCalendarDate } from '../../domain/calendar';
import { DomainError, ErrorType, validationError } from '../../domain/errors';
import { validateCodiceFiscaleFormat } from '../../domain/codice-fiscale';
import { liveCredentialByCodiceFiscale } from '../credentials';
import { birthPlaceText, residenceText, type StoredHolder, type StoredResidence } from '../../domain/holder-text';
import { renderConversionRequest } from '../../forms';
import { type CitizenPrincipal } from '../access/sessions';
import { documentNotFound, type DocumentKind, type documentStore } from './documents';
import { openConversion } from './conversions';
import type { RawUpload } from '../../domain/uploads';

type DocumentStore = ReturnType<typeof documentStore>;

/** Kinds a citizen uploads online. */
export const CITIZEN_KINDS = ['signed_request', 'identity_document'] as const satisfies readonly DocumentKind[];

/** Uploads a citizen may make in a day that are not (yet) part of a request, quarantined ones included: a bound on disk use. */
const MAX_PENDING_UPLOADS_PER_DAY = 20;

/** Only an ordinary PIN is converted: a dispositivo one already is (409), a first-half session may not (403). */
export function assertMayConvert(citizen: Pick<CitizenPrincipal, 'scope'>): void {
  if (citizen.scope === 'dispositivo') {
    throw new DomainError(
      ErrorType.Conflict,
      { it: 'Il Suo PIN è già dispositivo: non serve alcuna conversione.', en: 'Your PIN is already a dispositivo PIN: no conversion is needed.' },
      [],
      { reason: 'ALREADY_DISPOSITIVO' },
    );
  }
  if (citizen.scope !== 'ordinary') {
    throw new DomainError(
      ErrorType.Forbidden,
      {
        it: 'Per chiedere il PIN dispositivo acceda con il PIN personale di 8 caratteri, non con la sola prima parte del PIN.',
        en: 'To ask for a dispositivo PIN, log in with your personal 8-character PIN, not with the first part of the PIN alone.',
      },
      [],
      { reason: 'ORDINARY_PIN_REQUIRED' },
    );
  }
}

export interface CredentialForForm {
  codice_fiscale: string;
  holder: StoredHolder;
  residence: StoredResidence;
}

/**
 * Refuses (429) a citizen who has made `MAX_PENDING_UPLOADS_PER_DAY` uploads in the last day that
 * are not part of a request; quarantined uploads count too, since they also take disk space.
 * Shared with the portal's upload page.
 */
export async function assertUploadAllowance(deps: Pick<ServiceDeps, 'pool'>, credentialId: string, now: Date): Promise<void> {
  const { rows } = await deps.pool.query<{ n: number }>(
    `SELECT (SELECT count(*)::int FROM documents
              WHERE credential_id = $1::uuid AND case_id IS NULL AND created_at > $2::timestamptz - interval '1 day')
          + (SELECT count(*)::int FROM quarantined_uploads
              WHERE credential_id = $1::uuid AND created_at > $2::timestamptz - interval '1 day') AS n`,
    [credentialId, now],
  );
  if ((rows[0]?.n ?? 0) >= MAX_PENDING_UPLOADS_PER_DAY) {
    throw new DomainError(
      ErrorType.RateLimited,
      {
        it: `Ha già caricato ${MAX_PENDING_UPLOADS_PER_DAY} documenti oggi senza inviarli: invii la richiesta o riprovi domani.`,
        en: `You have already uploaded ${MAX_PENDING_UPLOADS_PER_DAY} documents today without sending them: submit your request or try again tomorrow.`,
      },
      [],
      { retryAfterSeconds: 3600 },
    );
  }
}

/** The download name of the prefilled conversion form. */
export const CONVERSION_FORM_NAME = 'richiesta-conversione-pin-dispositivo.pdf';

/** The conversion request form prefilled with the credential's holder data (shared with the portal). */
export async function renderConversionForm(deps: Pick<ServiceDeps, 'pool'>, credentialId: string, now: Date): Promise<Uint8Array> {
  const { rows } = await deps.pool.query<CredentialForForm>('SELECT codice_fiscale, holder, residence FROM credentials WHERE id = $1::uuid', [credentialId]);
  const c = rows[0];
  if (!c) throw documentNotFound();
  return renderConversionRequest({
    reference: `CONV-${credentialId}`,
    date: italianCalendarDate(now),
    citizen: {
      codiceFiscale: c.codice_fiscale,
      surname: c.holder.surname ?? '',
      name: c.holder.name ?? '',
      birthDate: c.holder.birthDate ?? '',
      birthPlace: birthPlaceText(c.holder),
      residence: residenceText(c.residence),
    },
  });
}


/**
 * The credential a received fax belongs to: the live, still ordinary credential of the codice
 * fiscale typed by the clerk (VALIDATION, NOT_FOUND or CONFLICT ALREADY_DISPOSITIVO otherwise).
 */
export async function faxTarget(deps: Pick<ServiceDeps, 'pool'>, typed: unknown): Promise<{ id: string }> {
  const cf = typeof typed === 'string' ? validateCodiceFiscaleFormat(typed) : undefined;
  if (!cf || cf.errors.length) {
    throw validationError(
      cf?.errors.length ? cf.errors : [{ field: 'codiceFiscale', code: 'required', message: { it: 'Indica il codice fiscale.', en: 'Give the codice fiscale.' } }],
    );
  }
  const credential = await liveCredentialByCodiceFiscale<{ id: string; pin_type: string }>(deps.pool, cf.normalised, 'id, pin_type');
  if (!credential) {
    throw new DomainError(ErrorType.NotFound, {
      it: 'Nessun PIN valido per questo codice fiscale.',
      en: 'No valid PIN for this codice fiscale.',
    });
  }
  if (credential.pin_type === 'dispositivo') {
    throw new DomainError(ErrorType.Conflict, { it: 'Il PIN è già dispositivo.', en: 'The PIN is already a dispositivo PIN.' }, [], {
      reason: 'ALREADY_DISPOSITIVO',
    });
  }
  return credential;
}

/**
 * A received fax of the signed conversion request, attached by a clerk to the case of the live
 * ordinary PIN it names (`faxTarget` checked first): stored as a `fax` document, then a review
 * case of source `fax` opened with it. The fax never lingers unattached: when no case took it
 * (one is already open, or the case could not be opened) it is removed and the clerk told why.
 * Shared by `POST /api/staff/fax-intake` and the console's fax page.
 */
export async function attachFax(
  deps: Parameters<typeof openConversion>[0],
  store: Pick<DocumentStore, 'accept' | 'allAttached' | 'removeUnattached'>,
  input: { credentialId: string; staffId: string; upload: RawUpload },
): Promise<{ caseId: string; documentId: string }> {
  const createdBy = `staff:${input.staffId}`;
  const doc = await store.accept(input.upload, { credentialId: input.credentialId, kind: 'fax', uploadedBy: createdBy });
  let caseId: string;
  try {
    ({ caseId } = await openConversion(deps, { credentialId: input.credentialId, documentIds: [doc.documentId], source: 'fax', createdBy }));
  } catch (err) {
    // No case took the fax (e.g. one is already open): it must not linger unattached.
    await store.removeUnattached(doc.documentId);
    throw err;
  }
  if (!(await store.allAttached([doc.documentId], caseId))) {
    // openConversion answers with the case already open and leaves new documents aside.
    await store.removeUnattached(doc.documentId);
    throw new DomainError(
      ErrorType.Conflict,
      { it: 'Per questo PIN è già in corso una verifica dei documenti.', en: 'A document review is already in progress for this PIN.' },
      [],
      { reason: 'CASE_ALREADY_OPEN', caseId },
    );
  }
  return { caseId, documentId: doc.documentId };
}
