import { Router, type Request } from 'express';
import type { ApiDeps } from '../deps';
import { requireStaff } from '../../services/staff/auth';
import { createCitizenIdentityService, type CitizenIdentityService } from '../../services/identity/citizen-identity';
import { createTelephonePinService, normaliseTelephonePin, TELEPHONE_PIN_LENGTH } from '../../services/telephone-pin/telephone-pins';
import { fieldIssue, DomainError, ErrorType, validationError, type FieldIssue } from '../../domain/errors';
import { hasValidCheckCharacter, normaliseCodiceFiscale, structuralProblem } from '../../domain/codice-fiscale';
import { TELEPHONE_PIN_VALIDITIES, type TelephonePinValidity } from '../../workflows/telephone-pin-definitions';
import { isUuid } from '../../domain/ids';
import { createSealer } from '../../web/security';
import { beginSignIn, publicOrigin, requestUrl, takePendingSignIn, type SignInCookie } from '../../web/identity-sign-in';

function parseCreation(body: unknown): { validity: TelephonePinValidity } {
  const b = (body ?? {}) as { validity?: unknown };
  const issues: FieldIssue[] = [];
  if (typeof b.validity !== 'string' || !(TELEPHONE_PIN_VALIDITIES as readonly string[]).includes(b.validity)) {
    issues.push(fieldIssue('validity', 'invalid_validity', 'Validità ammesse: 1d (un giorno), 1w (una settimana), 1m (un mese), 3m (tre mesi).', 'Allowed validities: 1d (one day), 1w (one week), 1m (one month), 3m (three months).'));
  }
  if (issues.length) throw validationError(issues);
  return { validity: b.validity as TelephonePinValidity };
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

const SIGN_IN_COOKIE: SignInCookie = { name: 'api_oidc', path: '/api/identity' };

const bearer = (req: Request): string | undefined => /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];

/**
 * The SPID/CIE/CNS sign-in for API clients, and telephone PINs: created, listed and revoked by
 * the citizen (identity session as `Authorization: Bearer`), verified by contact-centre operators.
 * See services/identity/citizen-identity.ts and services/telephone-pin/telephone-pins.ts.
 */
export function telephonePinRoutes(deps: ApiDeps, identity: CitizenIdentityService = createCitizenIdentityService(deps)): Router {
  const r = Router();
  const service = createTelephonePinService(deps);
  const sealer = createSealer(deps.cookieSecret);
  const now = deps.now ?? (() => new Date());

  /** 303 to the identity provider; it comes back to `/api/identity/callback`. */
  r.get('/identity/authorize', async (req, res) => {
    const redirectUri = `${publicOrigin(req, deps.publicBaseUrl)}/api/identity/callback`;
    await beginSignIn(identity, sealer, req, res, { cookie: SIGN_IN_COOKIE, redirectUri, now: now() });
  });

  /** The provider's answer → `{ sessionToken, codiceFiscale, method, expiresAt }`, shown once. */
  r.get('/identity/callback', async (req, res) => {
    const pending = takePendingSignIn(sealer, req, res, SIGN_IN_COOKIE, now());
    const { token, identity: who } = await identity.complete(requestUrl(req), pending, req.ip);
    res.set('Cache-Control', 'no-store').json({ sessionToken: token, codiceFiscale: who.codiceFiscale, method: who.method, expiresAt: who.expiresAt.toISOString() });
  });

  /** Ends the identity session named by the bearer token. */
  r.delete('/identity/session', async (req, res) => {
    await identity.end(bearer(req));
    res.status(204).end();
  });

  /** `{ validity }` → 201 `{ telephonePinId, pin, validity, expiresAt }`; the only response that shows the PIN. */
  r.post('/telephone-pins', async (req, res) => {
    const { validity } = parseCreation(req.body);
    const citizen = await identity.require(bearer(req));
    const created = await service.create(citizen, validity);
    res.status(201).set('Cache-Control', 'no-store').json(created);
  });

  /** The citizen's telephone PINs (state and dates; never the PIN). */
  r.get('/telephone-pins', async (req, res) => {
    const citizen = await identity.require(bearer(req));
    res.set('Cache-Control', 'no-store').json({ telephonePins: await service.list(citizen) });
  });

  /** The citizen revokes one of their PINs. */
  r.delete('/telephone-pins/:id', async (req, res) => {
    const citizen = await identity.require(bearer(req));
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
