import { Router } from 'express';
import type { KeyObject } from 'node:crypto';
import type { ApiDeps } from '../deps';
import { requireStaff } from '../../services/staff/auth';
import { assertionFromAuthorization, authenticateCitizen, identityBrokerPublicKey } from '../../services/telephone-pin/identity-broker';
import { createTelephonePinService, normaliseTelephonePin, TELEPHONE_PIN_LENGTH } from '../../services/telephone-pin/telephone-pins';
import { fieldIssue, DomainError, ErrorType, validationError, type FieldIssue } from '../../domain/errors';
import { hasValidCheckCharacter, normaliseCodiceFiscale, structuralProblem } from '../../domain/codice-fiscale';
import { TELEPHONE_PIN_VALIDITIES, type TelephonePinValidity } from '../../workflows/telephone-pin-definitions';
import { isUuid } from '../../domain/ids';



function parseCreation(body: unknown): { assertion: string; validity: TelephonePinValidity } {
  const b = (body ?? {}) as { assertion?: unknown; validity?: unknown };
  const issues: FieldIssue[] = [];
  if (typeof b.assertion !== 'string' || !b.assertion) issues.push(fieldIssue('assertion', 'required', 'Asserzione del gestore di identità mancante.', 'Identity-broker assertion missing.'));
  if (typeof b.validity !== 'string' || !(TELEPHONE_PIN_VALIDITIES as readonly string[]).includes(b.validity)) {
    issues.push(fieldIssue('validity', 'invalid_validity', 'Validità ammesse: 1d, 1w, 1m, 3m.', 'Allowed validities: 1d, 1w, 1m, 3m.'));
  }
  if (issues.length) throw validationError(issues);
  return { assertion: b.assertion as string, validity: b.validity as TelephonePinValidity };
}

/** `{ codiceFiscale, telephonePin }` checked and normalised (also the console's verification form). */
export function parseVerification(body: unknown): { codiceFiscale: string; telephonePin: string } {
  const b = (body ?? {}) as { codiceFiscale?: unknown; telephonePin?: unknown };
  const issues: FieldIssue[] = [];
  const codiceFiscale = typeof b.codiceFiscale === 'string' ? normaliseCodiceFiscale(b.codiceFiscale) : '';
  if (structuralProblem(codiceFiscale) || !hasValidCheckCharacter(codiceFiscale)) {
    issues.push(fieldIssue('codiceFiscale', 'invalid_codice_fiscale', 'Codice fiscale non valido.', 'Invalid codice fiscale.'));
  }
  const telephonePin = typeof b.telephonePin === 'string' ? normaliseTelephonePin(b.telephonePin) : '';
  if (!new RegExp(`^[0-9]{${TELEPHONE_PIN_LENGTH}}$`).test(telephonePin)) {
    issues.push(fieldIssue('telephonePin', 'invalid_format', 'Il PIN telefonico è di 8 cifre.', 'The telephone PIN has 8 digits.'));
  }
  if (issues.length) throw validationError(issues);
  return { codiceFiscale, telephonePin };
}

/**
 * Telephone PINs: created and revoked by the citizen (authenticated by an identity-broker
 * assertion), verified by contact-centre operators. See services/telephone-pin/telephone-pins.ts for the rules.
 */
export function telephonePinRoutes(deps: ApiDeps): Router {
  const r = Router();
  const service = createTelephonePinService(deps);
  // Parsed once: a malformed key fails at start-up, not on the first citizen's request.
  const brokerKey = deps.identityBrokerPublicKey ? identityBrokerPublicKey(deps.identityBrokerPublicKey) : undefined;

  const requireBrokerKey = (): KeyObject => {
    if (brokerKey) return brokerKey;
    throw new DomainError(ErrorType.Unavailable, {
      it: 'PIN telefonico non disponibile: la chiave pubblica del gestore di identità (IDENTITY_BROKER_PUBLIC_KEY) non è configurata.',
      en: 'Telephone PIN unavailable: the identity broker public key (IDENTITY_BROKER_PUBLIC_KEY) is not configured.',
    });
  };

  /** `{ assertion, validity }` → 201 `{ telephonePinId, pin, validity, expiresAt }`; the only response that shows the PIN. */
  r.post('/telephone-pins', async (req, res) => {
    const key = requireBrokerKey();
    const { assertion, validity } = parseCreation(req.body);
    const citizen = await authenticateCitizen(deps.pool, key, assertion);
    const created = await service.create(citizen, validity);
    res.status(201).set('Cache-Control', 'no-store').json(created);
  });

  /** The citizen revokes their PIN; the assertion comes as `Authorization: Bearer <jws>`. */
  r.delete('/telephone-pins/:id', async (req, res) => {
    const key = requireBrokerKey();
    const citizen = await authenticateCitizen(deps.pool, key, assertionFromAuthorization(req.get('authorization')));
    if (!isUuid(req.params.id)) throw new DomainError(ErrorType.NotFound, { it: 'PIN telefonico non trovato.', en: 'Telephone PIN not found.' });
    const view = await service.revoke(citizen, req.params.id);
    res.json({ telephonePinId: view.telephonePinId, status: view.state, endedAt: view.endedAt });
  });

  /** `{ codiceFiscale, telephonePin }` → `{ verified: true, … }` or a generic 401. */
  r.post('/contact-centre/verify-caller', async (req, res) => {
    const staff = await requireStaff(deps.pool, req, ['operator', 'supervisor']);
    const { codiceFiscale, telephonePin } = parseVerification(req.body);
    res.set('Cache-Control', 'no-store').json(await service.verifyCaller(staff, codiceFiscale, telephonePin));
  });

  return r;
}
