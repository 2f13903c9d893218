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
import { validationError } from '../../domain/errors';
import { isUuid } from '../../domain/ids';
import { citizenOf, requireCitizen, sessionContext } from '../../services/access/sessions';
import { assertMayConvert, assertUploadAllowance, attachFax, CITIZEN_KINDS, CONVERSION_FORM_NAME, faxTarget, renderConversionForm } from '../../services/conversion/conversion-documents';
import { documentNotFound, documentStore, recordDocumentRead, type DocumentKind } from '../../services/conversion/documents';
import { requireStaff, type StaffPrincipal } from '../../services/staff/auth';
import type { ApiDeps } from '../deps';
import { rawUploadOf, uploadBody } from '../uploads';
import { sendDocument } from '../../web/documents';

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
          message: { it: 'Indica kind=signed_request oppure kind=identity_document.', en: 'Give kind=signed_request or kind=identity_document.' },
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
    const credential = await faxTarget(deps, req.query.codiceFiscale);
    res.locals.staff = staff;
    res.locals.credentialId = credential.id;
    next();
  };

  r.post('/staff/fax-intake', faxIntake, uploadBody(), async (req, res) => {
    const staff = res.locals.staff as StaffPrincipal;
    const credentialId = res.locals.credentialId as string;
    const { caseId, documentId } = await attachFax(deps, store, { credentialId, staffId: staff.staffId, upload: rawUploadOf(req) });
    deps.log.info({ credentialId, caseId, documentId, staffId: staff.staffId }, 'fax intake');
    res.status(202).json({ caseId, documentId });
  });

  r.get('/staff/documents/:documentId', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, ['clerk', 'supervisor', 'admin']);
    if (!isUuid(req.params.documentId)) throw documentNotFound();
    const { doc, bytes } = await store.read({ documentId: req.params.documentId });
    await recordDocumentRead(deps.pool, staff.staffId, doc);
    sendDocument(res, doc, bytes);
  });

  return r;
}
