/**
 * The PIN holder's own pages, behind the PIN session (mounted inside the portal router):
 *
 * | route          | page                                                                     |
 * | -------------- | ------------------------------------------------------------------------ |
 * | GET  /requests | "Le mie richieste": the citizen's own timeline, with protocol numbers     |
 * | GET  /contacts | the contacts on record, in the form to change them                        |
 * | POST /contacts | the whole new set → saved, old and new addresses told (303-free: a page)  |
 *
 * The change goes through the same service as `PUT /api/session/contacts`
 * (services/lifecycle/contact-changes.ts), so the notices and the audit are the API's; a
 * first-half session (simplified procedure) may not change contacts, as in the API.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { ApiDeps } from '../api/deps';
import { toDomainError } from '../api/errors';
import { ErrorType } from '../domain/errors';
import { validateContacts } from '../domain/pin-request';
import { SESSION_COOKIE, clearSessionCookie, sessionContext, sessionFromRequest, type CitizenPrincipal } from '../services/access/sessions';
import { createCitizenAccountService } from '../services/citizen-account';
import { applyContactChange } from '../services/lifecycle/contact-changes';
import { csrfOk, ensureCsrfToken, readCookies } from '../web/security';
import { ACCOUNT_PATHS, CONTACTS_TITLE, REQUESTS_TITLE, contactsPage, contactsSavedPage, fullPinNeededPage, requestsPage } from './account-pages';
import { resolveLang } from './i18n';
import type { PageContext } from './views';

const FIELDS = ['mobile', 'homePhone', 'email', 'pec', 'preferredPhone', 'preferredTimeSlot'] as const;

const sendHtml = (res: Response, status: number, body: string) => res.status(status).type('html').send(body);

export function accountRoutes(api: ApiDeps): Router {
  const r = express.Router();
  const sessions = sessionContext(api);
  const account = createCitizenAccountService(api);
  const context = (req: Request, res: Response, selfPath: string): PageContext => ({ lang: resolveLang(req, res), base: req.baseUrl, selfPath });

  async function citizenOf(req: Request, res: Response): Promise<CitizenPrincipal | undefined> {
    const cookie = readCookies(req)[SESSION_COOKIE];
    const citizen = cookie ? await sessionFromRequest(sessions, req) : undefined;
    if (!citizen) {
      if (cookie) clearSessionCookie(res);
      res.redirect(303, `${req.baseUrl}/login${cookie ? '?expired=1' : ''}`);
    }
    return citizen;
  }

  r.get(ACCOUNT_PATHS.requests, async (req, res) => {
    const citizen = await citizenOf(req, res);
    if (!citizen) return;
    res.set('Cache-Control', 'no-store');
    if (citizen.scope === 'simplified') {
      sendHtml(res, 403, fullPinNeededPage(context(req, res, ACCOUNT_PATHS.requests), REQUESTS_TITLE));
      return;
    }
    sendHtml(res, 200, requestsPage(context(req, res, ACCOUNT_PATHS.requests), await account.timeline(citizen.codiceFiscale)));
  });

  const simplifiedNotice = {
    tone: 'warning' as const,
    title: { it: 'Serve il PIN completo', en: 'The full PIN is needed' },
    text: { it: 'Per modificare i recapiti accedi con il PIN di 8 caratteri, dopo il primo accesso.', en: 'To change your contacts, log in with your 8-character PIN, after the first access.' },
  };

  r.get(ACCOUNT_PATHS.contacts, async (req, res) => {
    const citizen = await citizenOf(req, res);
    if (!citizen) return;
    res.set('Cache-Control', 'no-store');
    // The first half alone does not show the contacts it would let a stranger read.
    if (citizen.scope === 'simplified') {
      sendHtml(res, 403, fullPinNeededPage(context(req, res, ACCOUNT_PATHS.contacts), CONTACTS_TITLE));
      return;
    }
    const csrf = ensureCsrfToken(req, res, readCookies(req));
    const current = (await account.contacts(citizen.credentialId)) ?? {};
    const values = Object.fromEntries(FIELDS.map((f) => [f, (current as Record<string, string | undefined>)[f] ?? '']));
    sendHtml(res, 200, contactsPage(context(req, res, ACCOUNT_PATHS.contacts), { values, issues: [], csrf }));
  });

  r.post(ACCOUNT_PATHS.contacts, async (req, res) => {
    const citizen = await citizenOf(req, res);
    if (!citizen) return;
    const cookies = readCookies(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const values = Object.fromEntries(FIELDS.map((f) => [f, typeof body[f] === 'string' ? (body[f] as string).trim().slice(0, 200) : '']));
    const ctx = context(req, res, ACCOUNT_PATHS.contacts);
    const csrf = ensureCsrfToken(req, res, cookies);
    res.set('Cache-Control', 'no-store');
    if (!csrfOk(req, cookies, body._csrf)) {
      sendHtml(res, 403, contactsPage(ctx, { values, issues: [], csrf, notice: { tone: 'warning', title: { it: 'Pagina scaduta', en: 'Page expired' }, text: { it: 'La pagina è scaduta o la richiesta non proviene da questo sito: riprova.', en: 'The page has expired or the request did not come from this site: please try again.' } } }));
      return;
    }
    if (citizen.scope === 'simplified') {
      sendHtml(res, 403, contactsPage(ctx, { values, issues: [], csrf, notice: simplifiedNotice }));
      return;
    }
    try {
      // Empty fields are absent, as the JSON API's clients send them.
      const { contacts } = validateContacts(Object.fromEntries(Object.entries(values).filter(([, v]) => v !== '')));
      const applied = await applyContactChange(api, { credentialId: citizen.credentialId, next: contacts, changedBy: 'citizen', verification: { method: 'portal_session' } });
      sendHtml(res, 200, contactsSavedPage(ctx, applied !== undefined));
    } catch (err) {
      const d = toDomainError(err);
      if (d.type === ErrorType.Validation) {
        sendHtml(res, 400, contactsPage(ctx, { values, issues: d.fields, csrf }));
        return;
      }
      if (d.type === ErrorType.Internal) api.log.error({ err, path: `${req.baseUrl}${req.path}` }, 'portal: contacts page failed');
      sendHtml(res, d.status, contactsPage(ctx, { values, issues: [], csrf, notice: { tone: 'danger', title: { it: 'Recapiti non modificati', en: 'Contacts not changed' }, text: d.type === ErrorType.Internal ? { it: 'Non è stato possibile completare l’operazione. Riprova tra qualche minuto.', en: 'The operation could not be completed. Please try again in a few minutes.' } : d.userMessage } }));
    }
  });

  return r;
}
