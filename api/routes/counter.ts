/**
 * Issuance at an office counter (MV35), for clerks and supervisors.
 *
 *   POST /api/counter/issuances                      → 201 { credentialId, requestId, mv35DocumentId, pinType, pinExpiresAt, warnings, envelopePdfBase64 }
 *   GET  /api/counter/issuances/:credentialId/mv35   → the stored MV35 (never the envelope)
 *   POST /api/counter/conversions                    → 202 { credentialId, caseId, status } (an existing PIN made dispositivo)
 *
 * The envelope (with the PIN) is in this one response only, which is not cached anywhere.
 */
import { Router } from 'express';
import type { ApiDeps } from '../deps';
import { requireStaff } from '../../services/staff/auth';
import { createCounterService } from '../../services/counter/counter';
import { convertAtOffice } from '../../services/counter/office-conversion';
import { officeConversionSchema } from '../../services/schemas/documents';
import { documentNotFound, recordDocumentRead } from '../../services/conversion/documents';
import { sendDocument } from '../../web/documents';
import { isUuid } from '../../domain/ids';


export function counterRoutes(deps: ApiDeps): Router {
  const r = Router();
  const counter = createCounterService(deps);

  r.post('/counter/issuances', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, ['clerk', 'supervisor']);
    const issued = await counter.issue(staff, req.body);
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json({
      credentialId: issued.credentialId,
      requestId: issued.requestId,
      protocol: issued.protocol,
      mv35DocumentId: issued.mv35DocumentId,
      pinType: 'dispositivo',
      pinExpiresAt: issued.pinExpiresAt,
      warnings: issued.warnings,
      envelopePdfBase64: Buffer.from(issued.envelopePdf).toString('base64'),
    });
  });

  r.post('/counter/conversions', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, ['clerk', 'supervisor']);
    res.status(202).json(officeConversionSchema.parse(await convertAtOffice(deps, staff, req.body)));
  });

  r.get('/counter/issuances/:credentialId/mv35', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, ['clerk', 'supervisor', 'admin']);
    if (!isUuid(req.params.credentialId)) throw documentNotFound();
    const { doc, bytes } = await counter.mv35(req.params.credentialId);
    await recordDocumentRead(deps.pool, staff.staffId, doc);
    sendDocument(res, doc, bytes);
  });

  return r;
}
