/**
 * Citizen login with codice fiscale and PIN, the session's identity and services, and logout.
 *
 *   POST   /api/sessions          { codiceFiscale, pin } → 201 { token, expiresAt, idleExpiresAt, session } + Set-Cookie
 *   GET    /api/session           → 200 { session, expiresAt, idleExpiresAt }
 *   GET    /api/session/services  → 200 { scope, services: [...] }
 *   DELETE /api/session           → 204, cookie cleared
 *
 * The login answers an unknown codice fiscale and a wrong PIN with the same 401, after the same
 * work (one argon2id verification, one counter update); a lock answers the same way whether or
 * not the codice fiscale holds a PIN (docs/decisions/0005-login-lockout.md). Every decision is
 * appended to the audit log, never with the PIN.
 */
import { Router } from 'express';
import type { ApiDeps } from '../deps';
import { clearSessionCookie, requireCitizen, sessionContext, setSessionCookie, tokenFromRequest } from '../../services/access/sessions';
import { createLoginService, sessionView, type LoginOptions } from '../../services/access/login';
import { catalogueFor, servicesFor } from '../../domain/services';

export function sessionRoutes(deps: ApiDeps, options: Partial<LoginOptions> = {}): Router {
  const r = Router();
  const logins = createLoginService(deps, options);
  const ctx = sessionContext(deps, logins.sessionOptions);

  r.post('/sessions', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const signed = await logins.signIn(req.ip, req.body); // req.ip: a getter that parses X-Forwarded-For each time
    setSessionCookie(res, signed.token, logins.sessionOptions.absoluteTtlMs);
    res.status(201).json({ ...signed, expiresAt: signed.expiresAt.toISOString(), idleExpiresAt: signed.idleExpiresAt.toISOString() });
  });

  r.get('/session', async (req, res) => {
    const citizen = await requireCitizen(ctx, req);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ session: sessionView(citizen), expiresAt: citizen.expiresAt.toISOString(), idleExpiresAt: citizen.idleExpiresAt.toISOString() });
  });

  r.get('/session/services', async (req, res) => {
    const citizen = await requireCitizen(ctx, req);
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      scope: citizen.scope,
      services: servicesFor(citizen, catalogueFor(deps.policy)).map((s) => ({ id: s.id, name: s.name, kind: s.kind, minimumScope: s.minimumScope })),
    });
  });

  r.delete('/session', async (req, res) => {
    const token = tokenFromRequest(req);
    if (token) await logins.signOut(token, req.ip);
    clearSessionCookie(res);
    res.status(204).end();
  });

  return r;
}
