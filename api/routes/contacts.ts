/**
 * Contact changes (docs/decisions/0011-recovery-revocation-delegation.md).
 *
 *   PUT  /api/session/contacts                                  the holder replaces the whole set
 *   POST /api/contact-centre/credentials/:credentialId/contacts an operator adds a missing contact
 *
 * Both keep the rules of the request (one phone, one of e-mail/PEC, international prefixes, the
 * preferred phone given) and notify the old and new addresses (services/lifecycle/contact-changes.ts).
 */
import { Router } from 'express';
import { DomainError, ErrorType } from '../../domain/errors';
import { validateContacts } from '../../domain/pin-request';
import { requireCitizen, sessionContext } from '../../services/access/sessions';
import { createContactCentreService } from '../../services/contact-centre';
import { applyContactChange } from '../../services/lifecycle/contact-changes';
import { addContactBodySchema, contactAddedSchema, contactsChangedSchema, credentialIdParams } from '../../services/schemas/lifecycle';
import { parseInput } from '../../services/schemas/validate';
import { requireStaff } from '../../services/staff/auth';
import type { ApiDeps } from '../deps';

const simplifiedRefused = () =>
  new DomainError(ErrorType.Forbidden, {
    it: 'Per modificare i recapiti accedi con il PIN di 8 caratteri.',
    en: 'To change your contacts, log in with your 8-character PIN.',
  });

const notFound = () => new DomainError(ErrorType.NotFound, { it: 'Credenziale non trovata.', en: 'Credential not found.' });

export function contactRoutes(deps: ApiDeps): Router {
  const r = Router();
  const ctx = sessionContext(deps);
  const contactCentre = createContactCentreService(deps);

  r.put('/session/contacts', async (req, res) => {
    const citizen = await requireCitizen(ctx, req);
    if (citizen.scope === 'simplified') throw simplifiedRefused();
    const { contacts, warnings } = validateContacts(req.body);
    const applied = await applyContactChange(deps, { credentialId: citizen.credentialId, next: contacts, changedBy: 'citizen', verification: { method: 'session' } });
    res.setHeader('Cache-Control', 'no-store');
    res.json(contactsChangedSchema.parse({ changed: applied !== undefined, ...(applied ? { changeId: applied.changeId } : {}), contacts, warnings }));
  });

  r.post('/contact-centre/credentials/:credentialId/contacts', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, ['operator', 'supervisor']);
    const params = credentialIdParams.safeParse(req.params);
    if (!params.success) throw notFound();
    const body = parseInput(addContactBodySchema, req.body);
    const applied = await contactCentre.addContact(staff, params.data.credentialId, body, body.verification);
    const { added, warnings } = applied;
    res.status(201).json(contactAddedSchema.parse({ credentialId: params.data.credentialId, changeId: applied.changeId, added, warnings }));
  });

  return r;
}
