/**
 * Contact changes (DESIGN §2; docs/decisions/0011-recovery-revocation-delegation.md).
 *
 *   PUT  /api/session/contacts                                  the holder replaces the whole set
 *   POST /api/contact-centre/credentials/:credentialId/contacts an operator adds a missing contact
 *
 * Both keep the rules of the request (one phone, one of e-mail/PEC, international prefixes, the
 * preferred phone given) and notify the old and new addresses (services/lifecycle/contact-changes.ts).
 */
import { Router } from 'express';
import type { ApiDeps } from '../deps';
import { requireCitizen, sessionContext } from '../../services/access/sessions';
import { requireStaff } from '../../services/staff/auth';
import { createTelephonePinService } from '../../services/telephone-pin/telephone-pins';
import { applyContactChange, changedFields, contactsOf } from '../../services/lifecycle/contact-changes';
import { addContactBodySchema, contactsChangedSchema, contactAddedSchema, credentialIdParams } from '../../services/schemas/lifecycle';
import { parseInput } from '../../services/schemas/validate';
import { DomainError, ErrorType } from '../../domain/errors';
import { validateContacts, type ContactDetails } from '../../domain/pin-request';

const simplifiedRefused = () =>
  new DomainError(ErrorType.Forbidden, {
    it: 'Per modificare i recapiti acceda con il PIN di 8 caratteri.',
    en: 'To change your contacts, log in with your 8-character PIN.',
  });

const notFound = () => new DomainError(ErrorType.NotFound, { it: 'Credenziale non trovata.', en: 'Credential not found.' });

export function contactRoutes(deps: ApiDeps): Router {
  const r = Router();
  const ctx = sessionContext(deps);
  const telephonePins = createTelephonePinService(deps);

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
    const added = (['mobile', 'email', 'pec'] as const).filter((k) => typeof body[k] === 'string' && body[k].trim() !== '');
    if (added.length === 0) {
      throw new DomainError(ErrorType.Validation, { it: 'Indicare il recapito da aggiungere.', en: 'Give the contact to add.' }, [
        { field: 'contacts', code: 'contact_required', message: { it: 'Cellulare, e-mail o PEC', en: 'Mobile, e-mail or PEC' } },
      ]);
    }
    const { rows } = await deps.pool.query<{ codice_fiscale: string; contacts: Record<string, unknown> }>(
      `SELECT codice_fiscale, contacts FROM credentials WHERE id = $1::uuid AND state NOT IN ('expired', 'revoked', 'cancelled')`,
      [params.data.credentialId],
    );
    if (!rows[0]) throw notFound();

    // The caller first: a telephone PIN they created with SPID/CIE/CNS, or the operator's record of another check.
    let verification: Record<string, unknown>;
    if (body.verification.method === 'telephone_pin') {
      const verified = await telephonePins.verifyCaller(staff, rows[0].codice_fiscale, body.verification.telephonePin.replace(/[\s.-]/g, ''));
      verification = { method: 'telephone_pin', telephonePinId: verified.telephonePinId };
    } else {
      verification = { method: 'identity_questions', note: body.verification.note };
    }

    const current = contactsOf(rows[0].contacts);
    const merged: Record<string, unknown> = { ...current };
    for (const k of added) merged[k] = body[k];
    const { contacts, warnings } = validateContacts(merged);
    const onlyAdds = (now: ContactDetails) => {
      if (changedFields(current, now).length) {
        throw new DomainError(ErrorType.Conflict, { it: 'I recapiti sono cambiati nel frattempo: riprovi.', en: 'The contacts changed meanwhile: please try again.' });
      }
      // Replacing a contact over the phone would hand the PIN to whoever called: only empty ones are filled.
      const taken = added.filter((k) => now[k] !== undefined);
      if (taken.length) {
        throw new DomainError(
          ErrorType.Conflict,
          {
            it: 'Il recapito è già registrato: il titolare può modificarlo dalla sua area personale.',
            en: 'That contact is already registered: the holder can change it from their personal area.',
          },
          taken.map((k) => ({ field: k, code: 'already_registered', message: { it: 'Già registrato', en: 'Already registered' } })),
        );
      }
    };
    const applied = await applyContactChange(deps, {
      credentialId: params.data.credentialId,
      next: { ...contacts },
      changedBy: `operator:${staff.staffId}`,
      verification,
      check: onlyAdds,
    });
    if (!applied) throw new DomainError(ErrorType.Conflict, { it: 'Nessuna modifica.', en: 'Nothing changed.' });
    res.status(201).json(contactAddedSchema.parse({ credentialId: params.data.credentialId, changeId: applied.changeId, added, warnings }));
  });

  return r;
}
