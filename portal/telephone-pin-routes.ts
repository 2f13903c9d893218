/**
 * The portal's SPID/CIE/CNS sign-in and "PIN telefonico" pages, mounted inside the portal router
 * (security headers, form parsing and refusal of NUL bytes are already there):
 *
 * | route                              | page                                                          |
 * | ---------------------------------- | ------------------------------------------------------------- |
 * | GET  /telephone-pin                | signed in: create form, own PINs, revoke; else the sign-in     |
 * | POST /telephone-pin                | validity → the new PIN, shown once                             |
 * | GET  /telephone-pin/:id/revoke     | "Vuoi revocare il PIN telefonico?" (final: asked first)        |
 * | POST /telephone-pin/:id/revoke     | revokes one of the citizen's PINs → 303 back to the list       |
 * | GET  /identity/login               | 303 to the identity provider (code + PKCE, sealed cookie)      |
 * | GET  /identity/callback            | the provider's answer → identity session cookie → 303 to page  |
 * | POST /identity/logout              | ends the identity session                                      |
 *
 * The services are the JSON API's (services/identity/citizen-identity.ts, services/telephone-pin/telephone-pins.ts).
 * The identity session cookie is separate from the PIN session's: signing in with SPID does not
 * open the PIN holder's area, and the other way round.
 *
 * A revocation whose answer is lost, or made twice, is told by the PIN's state: revoked is done;
 * a creation made again while the first PIN is active is told that one is active (it was shown
 * once), not "failed".
 */
import express, { type Request, type Response, type Router } from 'express';
import type { ApiDeps } from '../api/deps';
import { toDomainError } from '../api/errors';
import { DomainError, ErrorType, type Bilingual } from '../domain/errors';
import { isUuid } from '../domain/ids';
import { createCitizenIdentityService, IDENTITY_SESSION_TTL_MS, type CitizenIdentity, type CitizenIdentityService } from '../services/identity/citizen-identity';
import { createTelephonePinService } from '../services/telephone-pin/telephone-pins';
import { TELEPHONE_PIN_VALIDITIES, type TelephonePinValidity } from '../workflows/telephone-pin-definitions';
import { beginSignIn, publicOrigin, requestUrl, takePendingSignIn } from '../web/identity-sign-in';
import { clearCookie, createSealer, csrfOk, ensureCsrfToken, readCookies, setCookie } from '../web/security';
import { fill, formatDateTime, resolveLang } from './i18n';
import type { Notice } from './recovery-pages';
import { TELEPHONE_PIN_PATHS, telephonePinAreaPage, telephonePinCreatedPage, telephonePinRevokeConfirmPage, telephonePinSignInPage } from './telephone-pin-pages';
import { NOT_CONFIRMED, requiredIssue, type PageContext } from './views';

/** The identity session's cookie (HttpOnly; Lax, as the provider's redirect back is cross-site). */
export const IDENTITY_COOKIE = 'portal_identity';
/** The sign-in in progress, scoped to the callback's folder (`/portal/identity`). */
const signInCookie = (req: Request) => ({ name: 'portal_oidc', path: `${req.baseUrl}/identity` });

const sendHtml = (res: Response, status: number, body: string) => res.status(status).type('html').send(body);

const PAGE_EXPIRED: Notice = {
  tone: 'warning',
  title: { it: 'Pagina scaduta', en: 'Page expired' },
  text: { it: 'La pagina è scaduta o la richiesta non proviene da questo sito: riprova.', en: 'The page has expired or the request did not come from this site: please try again.' },
};

const notDone = (text: Bilingual): Notice => ({ tone: 'danger', title: { it: 'Operazione non riuscita', en: 'Not done' }, text });

export function telephonePinPortalRoutes(api: ApiDeps, identity: CitizenIdentityService = createCitizenIdentityService(api)): Router {
  const r = express.Router();
  const pins = createTelephonePinService(api);
  const sealer = createSealer(api.cookieSecret);
  const now = api.now ?? (() => new Date());
  const context = (req: Request, res: Response, selfPath: string): PageContext => ({ lang: resolveLang(req, res), base: req.baseUrl, selfPath });
  const current = (req: Request): Promise<CitizenIdentity | undefined> => identity.identify(readCookies(req)[IDENTITY_COOKIE]);

  /** A failure as a notice; only what the citizen can act on is told, the rest is "try later". */
  const failureNotice = (err: unknown, req: Request): { status: number; notice: Notice } => {
    const d = toDomainError(err);
    if (d.type === ErrorType.Unavailable || d.type === ErrorType.Internal) {
      if (d.type === ErrorType.Internal) api.log.error({ err, path: `${req.baseUrl}${req.path}` }, 'portal: telephone PIN page failed');
      return {
        status: d.status,
        notice: {
          tone: 'warning',
          title: { it: 'Servizio momentaneamente non disponibile', en: 'Service temporarily unavailable' },
          text: d.type === ErrorType.Unavailable ? d.userMessage : { it: 'Non è stato possibile completare l’operazione. Riprova tra qualche minuto.', en: 'The operation could not be completed. Please try again in a few minutes.' },
        },
      };
    }
    return { status: d.status, notice: notDone(d.userMessage) };
  };

  /** A post or a confirm step whose SPID/CIE/CNS sign-in has ended: the sign-in page, saying so. */
  const signInExpired = (req: Request, res: Response): void => {
    sendHtml(res, 401, telephonePinSignInPage(context(req, res, TELEPHONE_PIN_PATHS.page), notDone({ it: 'Accesso scaduto: entra di nuovo con SPID, CIE o CNS.', en: 'Your sign-in has expired: please sign in again with SPID, CIE or CNS.' })));
  };

  async function area(req: Request, res: Response, who: CitizenIdentity, status: number, extra: { notice?: Notice; validity?: string; validityError?: Bilingual } = {}): Promise<void> {
    const csrf = ensureCsrfToken(req, res, readCookies(req));
    const list = await pins.list(who);
    sendHtml(res, status, telephonePinAreaPage(context(req, res, TELEPHONE_PIN_PATHS.page), { codiceFiscale: who.codiceFiscale, method: who.method, pins: list, csrf, ...extra }));
  }

  r.get(TELEPHONE_PIN_PATHS.page, async (req, res) => {
    const who = await current(req);
    if (!who) {
      sendHtml(res, 200, telephonePinSignInPage(context(req, res, TELEPHONE_PIN_PATHS.page)));
      return;
    }
    const revoked = req.query.revoked === '1';
    await area(req, res, who, 200, revoked ? { notice: { tone: 'success', title: { it: 'PIN telefonico revocato', en: 'Telephone PIN revoked' }, text: { it: 'Il PIN telefonico non è più valido.', en: 'The telephone PIN is no longer valid.' } } } : {});
  });

  r.post(TELEPHONE_PIN_PATHS.page, async (req, res) => {
    const who = await current(req);
    if (!who) {
      signInExpired(req, res);
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!csrfOk(req, readCookies(req), body._csrf)) {
      await area(req, res, who, 403, { notice: PAGE_EXPIRED });
      return;
    }
    const validity = typeof body.validity === 'string' ? body.validity : '';
    if (!(TELEPHONE_PIN_VALIDITIES as readonly string[]).includes(validity)) {
      await area(req, res, who, 400, { validityError: requiredIssue('validity', { it: 'Scegli quanto deve durare il PIN telefonico', en: 'Choose how long the telephone PIN should last' }).message });
      return;
    }
    try {
      const created = await pins.create(who, validity as TelephonePinValidity);
      res.set('Cache-Control', 'no-store');
      sendHtml(res, 201, telephonePinCreatedPage(context(req, res, TELEPHONE_PIN_PATHS.page), created));
    } catch (err) {
      const active = toDomainError(err).type === ErrorType.Conflict ? (await pins.list(who)).find((p) => p.status === 'active') : undefined;
      if (active) {
        // Made again while the first is active (a second press, an answer lost): that one stands.
        const when = (lang: 'it' | 'en') => ({ created: formatDateTime(lang, active.createdAt), expires: formatDateTime(lang, active.expiresAt) });
        await area(req, res, who, 200, {
          notice: {
            tone: 'info',
            title: { it: 'Hai già un PIN telefonico attivo', en: 'You already have an active telephone PIN' },
            text: {
              it: fill('Il PIN telefonico creato il {created} è attivo fino al {expires}. Per sicurezza si vede una sola volta: se non l’hai annotato, revocalo e creane uno nuovo.', when('it')),
              en: fill('The telephone PIN created on {created} is active until {expires}. For security it is shown only once: if you did not note it, revoke it and create a new one.', when('en')),
            },
          },
        });
        return;
      }
      const f = failureNotice(err, req);
      await area(req, res, who, f.status, { notice: f.notice, validity });
    }
  });

  // Revoking is final: asked once more on a page of its own.
  r.get(`${TELEPHONE_PIN_PATHS.page}/:id/revoke`, async (req, res) => {
    const who = await current(req);
    if (!who) {
      signInExpired(req, res);
      return;
    }
    const pin = (await pins.list(who)).find((p) => p.telephonePinId === req.params.id);
    if (!pin || pin.status !== 'active') {
      res.redirect(303, `${req.baseUrl}${TELEPHONE_PIN_PATHS.page}${pin?.status === 'revoked' ? '?revoked=1' : ''}`);
      return;
    }
    sendHtml(res, 200, telephonePinRevokeConfirmPage(context(req, res, TELEPHONE_PIN_PATHS.page), pin, ensureCsrfToken(req, res, readCookies(req))));
  });

  r.post(`${TELEPHONE_PIN_PATHS.page}/:id/revoke`, async (req, res) => {
    const who = await current(req);
    if (!who) {
      signInExpired(req, res);
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!csrfOk(req, readCookies(req), body._csrf)) {
      await area(req, res, who, 403, { notice: PAGE_EXPIRED });
      return;
    }
    if (body.confirmed !== 'yes') {
      res.redirect(303, `${req.baseUrl}${TELEPHONE_PIN_PATHS.page}/${encodeURIComponent(req.params.id)}/revoke`);
      return;
    }
    try {
      if (!isUuid(req.params.id)) throw new DomainError(ErrorType.NotFound, { it: 'PIN telefonico non trovato.', en: 'Telephone PIN not found.' });
      await pins.revoke(who, req.params.id);
      res.redirect(303, `${req.baseUrl}${TELEPHONE_PIN_PATHS.page}?revoked=1`);
    } catch (err) {
      // Revoked after all (an answer lost, or the button pressed twice): done.
      const pin = (await pins.list(who).catch(() => [])).find((p) => p.telephonePinId === req.params.id);
      if (pin?.status === 'revoked') {
        res.redirect(303, `${req.baseUrl}${TELEPHONE_PIN_PATHS.page}?revoked=1`);
        return;
      }
      const d = toDomainError(err);
      if (d.type === ErrorType.Unavailable || d.type === ErrorType.Internal) {
        if (d.type === ErrorType.Internal) api.log.error({ err, path: `${req.baseUrl}${req.path}` }, 'portal: telephone PIN page failed');
        await area(req, res, who, d.status, { notice: NOT_CONFIRMED });
        return;
      }
      const f = failureNotice(err, req);
      await area(req, res, who, f.status, { notice: f.notice });
    }
  });

  r.get(TELEPHONE_PIN_PATHS.signIn, async (req, res) => {
    try {
      const redirectUri = `${publicOrigin(req, api.publicBaseUrl)}${req.baseUrl}${TELEPHONE_PIN_PATHS.callback}`;
      await beginSignIn(identity, sealer, req, res, { cookie: signInCookie(req), redirectUri, now: now() });
    } catch (err) {
      const f = failureNotice(err, req);
      sendHtml(res, f.status, telephonePinSignInPage(context(req, res, TELEPHONE_PIN_PATHS.page), f.notice));
    }
  });

  r.get(TELEPHONE_PIN_PATHS.callback, async (req, res) => {
    const pending = takePendingSignIn(sealer, req, res, signInCookie(req), now());
    try {
      const { token } = await identity.complete(requestUrl(req), pending, req.ip);
      // A sign-in replaces the one this browser had: that session ends, not only its cookie.
      await identity.end(readCookies(req)[IDENTITY_COOKIE]);
      setCookie(req, res, IDENTITY_COOKIE, token, { path: req.baseUrl || '/', sameSite: 'lax', maxAge: IDENTITY_SESSION_TTL_MS / 1000, alwaysSecure: true });
      res.redirect(303, `${req.baseUrl}${TELEPHONE_PIN_PATHS.page}`);
    } catch (err) {
      const f = failureNotice(err, req);
      sendHtml(res, f.status, telephonePinSignInPage(context(req, res, TELEPHONE_PIN_PATHS.page), f.notice));
    }
  });

  r.post(TELEPHONE_PIN_PATHS.signOut, async (req, res) => {
    const cookies = readCookies(req);
    if (!csrfOk(req, cookies, (req.body as Record<string, unknown> | undefined)?._csrf)) {
      sendHtml(res, 403, telephonePinSignInPage(context(req, res, TELEPHONE_PIN_PATHS.page), PAGE_EXPIRED));
      return;
    }
    await identity.end(cookies[IDENTITY_COOKIE]);
    clearCookie(req, res, IDENTITY_COOKIE, req.baseUrl || '/', true);
    sendHtml(
      res,
      200,
      telephonePinSignInPage(context(req, res, TELEPHONE_PIN_PATHS.page), {
        tone: 'success',
        title: { it: 'Sei uscito', en: 'You have signed out' },
        text: { it: 'L’accesso con SPID, CIE o CNS è stato chiuso su questo sito.', en: 'The SPID, CIE or CNS sign-in has been closed on this site.' },
      }),
    );
  });

  return r;
}
