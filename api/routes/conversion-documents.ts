/**
 * Documents of the conversion to a dispositivo PIN, and the staff's only way to read documents.
 *
 *   GET  /api/conversion/form                       citizen (ordinary session) → the prefilled request PDF
 *   POST /api/conversion/documents?kind=&filename=  citizen (ordinary session), raw body → 201 { documentId, kind, mediaType, sizeBytes }
 *   POST /api/staff/fax-intake?codiceFiscale=&filename=  clerk/supervisor, raw body → 202 { caseId, documentId }
 *   GET  /api/staff/documents/:documentId           clerk/supervisor/admin → the stored bytes, sandboxed
 *
 * Uploads are raw request bodies (Content-Type = the file's type, name in `filename` or
 * `X-Filename`), parsed only after authentication; see api/uploads.ts for the checks and
 * docs/decisions/0010-uploads-and-document-storage.md for the choices.
 */
import { Router, type RequestHandler } from 'express';
import type { ApiDeps } from '../app';
import { requireStaff, type StaffPrincipal } from '../../services/staff/auth';
import { citizenOf, requireCitizen, sessionContext, type CitizenPrincipal } from '../../services/access/sessions';
import { documentNotFound, documentStore, sendDocument, type DocumentKind } from '../../services/conversion/documents';
import { rawUploadOf, uploadBody } from '../uploads';
import { openConversion } from '../../services/conversion/conversions';
import { birthPlaceText, residenceText, type StoredHolder, type StoredResidence } from '../../domain/holder-text';
import { audit } from '../../lib/audit';
import { renderConversionRequest } from '../../forms';
import { italianCalendarDate } from '../../domain/calendar';
import { validateCodiceFiscaleFormat } from '../../domain/codice-fiscale';
import { DomainError, ErrorType, validationError } from '../../domain/errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Kinds a citizen uploads online. */
const CITIZEN_KINDS = ['signed_request', 'identity_document'] as const satisfies readonly DocumentKind[];

/** Uploads a citizen may make in a day that are not (yet) part of a request, quarantined ones included: a bound on disk use. */
export const MAX_PENDING_UPLOADS_PER_DAY = 20;

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

interface CredentialForForm {
  codice_fiscale: string;
  holder: StoredHolder;
  residence: StoredResidence;
}

/**
 * Refuses (429) a citizen who has made `MAX_PENDING_UPLOADS_PER_DAY` uploads in the last day that
 * are not part of a request; quarantined uploads count too, since they also take disk space.
 * Shared with the portal's upload page.
 */
export async function assertUploadAllowance(deps: Pick<ApiDeps, 'pool'>, credentialId: string, now: Date): Promise<void> {
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
export async function renderConversionForm(deps: Pick<ApiDeps, 'pool'>, credentialId: string, now: Date): Promise<Uint8Array> {
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

export function conversionDocumentRoutes(deps: ApiDeps): Router {
  const r = Router();
  const ctx = sessionContext(deps);
  const store = documentStore(deps);
  const now = deps.now ?? (() => new Date());

  /** Authenticates an ordinary session before the body is read, so no stranger can make us buffer 10 MB. */
  const citizenUploader: RequestHandler = async (req, res, next) => {
    const citizen = await requireCitizen(ctx, req);
    assertMayConvert(citizen);
    const kind = req.query.kind;
    if (typeof kind !== 'string' || !(CITIZEN_KINDS as readonly string[]).includes(kind)) {
      throw validationError([
        {
          field: 'kind',
          code: 'invalid_value',
          message: { it: 'Indicare kind=signed_request oppure kind=identity_document.', en: 'Give kind=signed_request or kind=identity_document.' },
        },
      ]);
    }
    await assertUploadAllowance(deps, citizen.credentialId, now());
    res.locals.citizen = citizen;
    res.locals.kind = kind;
    next();
  };

  r.get('/conversion/form', async (req, res) => {
    const citizen = await requireCitizen(ctx, req);
    assertMayConvert(citizen);
    const pdf = await renderConversionForm(deps, citizen.credentialId, now());
    sendDocument(res, { mediaType: 'application/pdf', displayName: CONVERSION_FORM_NAME }, pdf, 'attachment');
  });

  r.post('/conversion/documents', citizenUploader, uploadBody(), async (req, res) => {
    const citizen = citizenOf(res);
    const kind = res.locals.kind as DocumentKind;
    const doc = await store.accept(rawUploadOf(req), { credentialId: citizen.credentialId, kind, uploadedBy: `citizen:${citizen.credentialId}` });
    deps.log.info({ credentialId: citizen.credentialId, documentId: doc.documentId, kind, mediaType: doc.mediaType, sizeBytes: doc.sizeBytes }, 'conversion document uploaded');
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json({ documentId: doc.documentId, kind: doc.kind, mediaType: doc.mediaType, sizeBytes: doc.sizeBytes });
  });

  /** Staff check and the citizen's live, still ordinary credential, before the fax body is read. */
  const faxIntake: RequestHandler = async (req, res, next) => {
    const staff = await requireStaff(deps.pool, req, ['clerk', 'supervisor']);
    const raw = req.query.codiceFiscale;
    const cf = typeof raw === 'string' ? validateCodiceFiscaleFormat(raw) : undefined;
    if (!cf || cf.errors.length) {
      throw validationError(
        cf?.errors.length
          ? cf.errors
          : [{ field: 'codiceFiscale', code: 'required', message: { it: 'Indicare il codice fiscale.', en: 'Give the codice fiscale.' } }],
      );
    }
    const { rows } = await deps.pool.query<{ id: string; pin_type: string }>(
      `SELECT id, pin_type FROM credentials WHERE codice_fiscale = $1::text AND state NOT IN ('expired', 'revoked', 'cancelled')`,
      [cf.normalised],
    );
    const credential = rows[0];
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
    res.locals.staff = staff;
    res.locals.credentialId = credential.id;
    next();
  };

  r.post('/staff/fax-intake', faxIntake, uploadBody(), async (req, res) => {
    const staff = res.locals.staff as StaffPrincipal;
    const credentialId = res.locals.credentialId as string;
    const createdBy = `staff:${staff.staffId}`;
    const doc = await store.accept(rawUploadOf(req), { credentialId, kind: 'fax', uploadedBy: createdBy });
    let caseId: string;
    try {
      ({ caseId } = await openConversion(deps, { credentialId, documentIds: [doc.documentId], source: 'fax', createdBy }));
    } catch (err) {
      // No case took the fax (e.g. one is already open): it must not linger unattached.
      await store.removeUnattached(doc.documentId);
      throw err;
    }
    const attached = await deps.pool.query('SELECT 1 FROM documents WHERE id = $1::uuid AND case_id = $2::uuid', [doc.documentId, caseId]);
    if (!attached.rowCount) {
      // openConversion answers with the case already open and leaves new documents aside.
      await store.removeUnattached(doc.documentId);
      throw new DomainError(
        ErrorType.Conflict,
        { it: 'Per questo PIN è già in corso una verifica dei documenti.', en: 'A document review is already in progress for this PIN.' },
        [],
        { reason: 'CASE_ALREADY_OPEN', caseId },
      );
    }
    deps.log.info({ credentialId, caseId, documentId: doc.documentId, staffId: staff.staffId }, 'fax intake');
    res.status(202).json({ caseId, documentId: doc.documentId });
  });

  r.get('/staff/documents/:documentId', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, ['clerk', 'supervisor', 'admin']);
    if (!UUID.test(req.params.documentId)) throw documentNotFound();
    const { doc, bytes } = await store.read({ documentId: req.params.documentId });
    // Who looked at which citizen's document is part of the record.
    await audit(deps.pool, {
      actor: `staff:${staff.staffId}`,
      action: 'document_read',
      subject: doc.credentialId,
      decision: 'served',
      detail: { documentId: doc.documentId, kind: doc.kind },
    });
    sendDocument(res, doc, bytes);
  });

  return r;
}
