/**
 * The logged-in citizen's delegations, mounted inside the portal router (which sets the security
 * headers and parses url-encoded forms), through the API's own service (services/delegation.ts):
 *
 * | route                                  | what                                                    |
 * | -------------------------------------- | ------------------------------------------------------- |
 * | GET  /delegations                      | given and received, the form for a new one (dispositivo) |
 * | POST /delegations                      | gives one online (as POST /api/delegations), 303 → GET   |
 * | POST /delegations/:id/accept           | the delegate accepts a pending one, 303 → GET            |
 * | GET  /delegations/:id/decline          | "Vuoi rifiutare la delega?" (final: asked first)         |
 * | POST /delegations/:id/decline          | the delegate declines a pending one, 303 → GET           |
 * | GET  /delegations/:id/revoke           | "Vuoi revocare la delega?" (final: asked first)          |
 * | POST /delegations/:id/revoke           | either party revokes it, 303 → GET                       |
 * | GET  /delegations/:id/claims           | the delegate: "Opera per conto di …", the delegator's     |
 * |                                        | claims (consulted, audited) and, within the scope, a form |
 * | POST /delegations/:id/claims           | files a claim for the delegator (check page and           |
 * |                                        | declaration first, as the holder's own), 303 → GET        |
 *
 * Every post carries the page's CSRF token (403 page otherwise); a first-half session is refused
 * as by the API (the delegation needs a personal PIN). An action whose answer is lost or that is
 * made twice is told by the delegation's state: done if it is, "not confirmed yet" if the state
 * cannot say — never "not done" for a delegation that was revoked. A new delegation carries a key
 * born with the page, so the same form sent again registers one. Acting for the delegator goes
 * through the service of GET/POST /api/delegators/:id/claims; a delegation that is not the
 * session's, or that it never accepted, is "not found"; an ended one says so and shows nothing
 * of the delegator's.
 */
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { ApiDeps } from '../api/deps';
import { toDomainError } from '../api/errors';
import { italianCalendarDate } from '../domain/calendar';
import { DomainError, ErrorType, type FieldIssue } from '../domain/errors';
import { isUuid } from '../domain/ids';
import { SESSION_COOKIE, clearSessionCookie, sessionContext, sessionFromRequest, type CitizenPrincipal } from '../services/access/sessions';
import { createDelegationService } from '../services/delegation';
import { csrfOk, ensureCsrfToken, readCookies } from '../web/security';
import { forbiddenPage, sendHtml } from './access-routes';
import { DELEGATIONS_PATH, actingPage, actingPath, delegationConfirmPage, delegationsPage, filedForNotice, type ActingPageView, type DelegationNotice, type DelegationRowView } from './delegation-pages';
import { declarationMade } from './conversion-claims-routes';
import { NOT_CONFIRMED, requiredIssue } from './views';
import { resolveLang } from './i18n';
import { messagePage } from './pages';

const DONE: Record<string, DelegationNotice> = {
  created: {
    tone: 'success',
    title: { it: 'Delega registrata', en: 'Delegation registered' },
    text: { it: 'La persona delegata riceve un avviso e deve accettarla dalla propria area personale entro 30 giorni.', en: 'The delegate is told and must accept it in their personal area within 30 days.' },
  },
  accepted: {
    tone: 'success',
    title: { it: 'Delega accettata', en: 'Delegation accepted' },
    text: { it: 'Da ora puoi operare per conto del delegante, entro l’ambito della delega. Le operazioni sono registrate.', en: 'From now on you can act for the delegator, within the scope of the delegation. Your actions are recorded.' },
  },
  declined: { tone: 'info', title: { it: 'Delega rifiutata', en: 'Delegation declined' }, text: { it: 'Il delegante riceve un avviso.', en: 'The delegator is told.' } },
  revoked: { tone: 'info', title: { it: 'Delega revocata', en: 'Delegation revoked' }, text: { it: 'Non è più possibile operare con essa; entrambi ricevete un avviso.', en: 'It can no longer be used; you are both told.' } },
};

const notFound = () => new DomainError(ErrorType.NotFound, { it: 'Delega non trovata.', en: 'Delegation not found.' });

type Action = 'accept' | 'decline' | 'revoke';
const DONE_OF: Record<Action, string> = { accept: 'accepted', decline: 'declined', revoke: 'revoked' };
/** The delegation's status once the action is done. */
const STATUS_AFTER: Record<Action, DelegationRowView['status']> = { accept: 'active', decline: 'declined', revoke: 'revoked' };

/** An action whose outcome is not known yet: where to see it, and that asking again is safe. */
const NOT_CONFIRMED_HERE: DelegationNotice = {
  ...NOT_CONFIRMED,
  text: {
    it: 'Il servizio non ha risposto in tempo e non possiamo ancora dirti l’esito. Lo stato della delega qui sotto si aggiorna appena è fatta: ricarica la pagina tra qualche istante, e se non è cambiato ripeti l’operazione (non verrà fatta due volte).',
    en: 'The service did not answer in time and we cannot tell you the outcome yet. The delegation’s status below changes as soon as it is done: reload the page in a moment, and if it has not changed, do it again (it will not be done twice).',
  },
};

export function delegationPortalRoutes(deps: ApiDeps): Router {
  const r = express.Router();
  const sessions = sessionContext(deps);
  const delegations = createDelegationService(deps);
  const now = deps.now ?? (() => new Date());
  const go = (req: Request, res: Response, to: string) => res.redirect(303, `${req.baseUrl}${to}`);

  /** The session's citizen; without one, a redirect to the login; a first-half session, a page saying why. */
  async function citizenOf(req: Request, res: Response): Promise<CitizenPrincipal | undefined> {
    const cookie = readCookies(req)[SESSION_COOKIE];
    const citizen = cookie ? await sessionFromRequest(sessions, req) : undefined;
    if (!citizen) {
      if (cookie) clearSessionCookie(res);
      go(req, res, `/login${cookie ? '?expired=1' : ''}`);
      return undefined;
    }
    if (citizen.scope === 'simplified') {
      sendHtml(
        res,
        403,
        messagePage({ lang: resolveLang(req, res), base: req.baseUrl, selfPath: DELEGATIONS_PATH }, {
          title: { it: 'Serve il PIN completo', en: 'The full PIN is needed' },
          text: { it: 'Le deleghe si gestiscono accedendo con il PIN di 8 caratteri.', en: 'Delegations are managed after logging in with the 8-character PIN.' },
          linkPath: '/home',
          linkText: { it: 'Torna all’area personale', en: 'Back to your personal area' },
        }),
      );
      return undefined;
    }
    return citizen;
  }

  async function render(
    req: Request,
    res: Response,
    citizen: CitizenPrincipal,
    status: number,
    extra: { notice?: DelegationNotice; issues?: FieldIssue[]; values?: Record<string, string> } = {},
  ): Promise<void> {
    const [given, received] = await Promise.all([delegations.given(citizen), delegations.received(citizen)]);
    const csrf = ensureCsrfToken(req, res, readCookies(req));
    sendHtml(
      res,
      status,
      delegationsPage(
        { lang: resolveLang(req, res), base: req.baseUrl, selfPath: DELEGATIONS_PATH },
        {
          scope: citizen.scope,
          given,
          received,
          csrf,
          notice: extra.notice,
          issues: extra.issues ?? [],
          values: extra.values ?? {},
          lastDay: italianCalendarDate(new Date(now().getTime() + 366 * 86_400_000)),
          idempotencyKey: randomUUID(),
        },
      ),
    );
  }

  /** A failure as the page's notice (unexpected ones logged). */
  function failure(req: Request, err: unknown, title: DelegationNotice['title']): { status: number; notice: DelegationNotice } {
    const d = toDomainError(err);
    if (d.type === ErrorType.Internal) deps.log.error({ err, path: `${req.baseUrl}${req.path}` }, 'portal: delegation page failed');
    const text =
      d.type === ErrorType.Internal
        ? { it: 'Non è stato possibile completare l’operazione. Riprova tra qualche minuto.', en: 'The operation could not be completed. Please try again in a few minutes.' }
        : d.userMessage;
    return { status: d.status, notice: { tone: 'danger', title, text } };
  }

  /** A posted form: its CSRF token checked (403 page otherwise), then the session's citizen. */
  async function postingCitizen(req: Request, res: Response): Promise<{ body: Record<string, unknown>; citizen: CitizenPrincipal } | undefined> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!csrfOk(req, readCookies(req), body._csrf)) {
      forbiddenPage(req, res, DELEGATIONS_PATH);
      return undefined;
    }
    const citizen = await citizenOf(req, res);
    return citizen && { body, citizen };
  }

  r.get(DELEGATIONS_PATH, async (req, res) => {
    const citizen = await citizenOf(req, res);
    if (!citizen) return;
    const done = typeof req.query.done === 'string' ? (Object.hasOwn(DONE, req.query.done) ? DONE[req.query.done] : undefined) : undefined;
    await render(req, res, citizen, 200, { notice: done });
  });

  r.post(DELEGATIONS_PATH, async (req, res) => {
    const posted = await postingCitizen(req, res);
    if (!posted) return;
    const { body, citizen } = posted;
    const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string).trim().slice(0, 64) : '');
    const values = { delegateCodiceFiscale: field('delegateCodiceFiscale'), scope: field('scope'), endsOn: field('endsOn') };
    // Every empty field at once, as "required", before the service judges the rest.
    const missing = [
      ...(values.delegateCodiceFiscale ? [] : [requiredIssue('delegateCodiceFiscale', { it: 'Inserisci il codice fiscale della persona di fiducia', en: 'Enter the codice fiscale of the trusted person' })]),
      ...(values.scope ? [] : [requiredIssue('scope', { it: 'Scegli cosa può fare per te', en: 'Choose what they may do for you' })]),
      ...(values.endsOn ? [] : [requiredIssue('endsOn', { it: 'Indica l’ultimo giorno della delega', en: 'Give the last day of the delegation' })]),
    ];
    if (missing.length) {
      await render(req, res, citizen, 400, { issues: missing, values });
      return;
    }
    try {
      await delegations.create(citizen, { delegateCodiceFiscale: values.delegateCodiceFiscale, scope: values.scope, endsOn: values.endsOn }, field('idempotencyKey') || undefined);
    } catch (err) {
      const d = toDomainError(err);
      if (d.type === ErrorType.Validation && d.fields.length) {
        await render(req, res, citizen, d.status, { issues: d.fields, values });
        return;
      }
      const f = failure(req, err, { it: 'Delega non registrata', en: 'Delegation not registered' });
      await render(req, res, citizen, f.status, { notice: f.notice, values });
      return;
    }
    go(req, res, `${DELEGATIONS_PATH}?done=created`);
  });

  /** One of the citizen's delegations (given or received) and which side they are on. */
  async function ownDelegation(citizen: CitizenPrincipal, id: string): Promise<{ d: DelegationRowView; side: 'given' | 'received' } | undefined> {
    if (!isUuid(id)) return undefined;
    const [given, received] = await Promise.all([delegations.given(citizen), delegations.received(citizen)]);
    const g = given.find((d) => d.delegationId === id);
    if (g) return { d: g, side: 'given' };
    const r = received.find((d) => d.delegationId === id);
    return r ? { d: r, side: 'received' } : undefined;
  }

  // Declining and revoking are final: asked once more on a page of their own.
  for (const action of ['decline', 'revoke'] as const) {
    r.get(`${DELEGATIONS_PATH}/:delegationId/${action}`, async (req, res) => {
      const citizen = await citizenOf(req, res);
      if (!citizen) return;
      const own = await ownDelegation(citizen, String(req.params.delegationId));
      if (!own || (own.d.status !== 'pending' && own.d.status !== 'active')) {
        // Nothing left to do on it (already ended, or not theirs): the list says where it stands.
        go(req, res, DELEGATIONS_PATH);
        return;
      }
      const csrf = ensureCsrfToken(req, res, readCookies(req));
      sendHtml(res, 200, delegationConfirmPage({ lang: resolveLang(req, res), base: req.baseUrl, selfPath: DELEGATIONS_PATH }, own.d, own.side, action, csrf));
    });
  }

  for (const action of ['accept', 'decline', 'revoke'] as const) {
    r.post(`${DELEGATIONS_PATH}/:delegationId/${action}`, async (req, res) => {
      const posted = await postingCitizen(req, res);
      if (!posted) return;
      const { body, citizen } = posted;
      const id = String(req.params.delegationId);
      if (action !== 'accept' && body.confirmed !== 'yes') {
        go(req, res, `${DELEGATIONS_PATH}/${id}/${action}`);
        return;
      }
      try {
        if (!isUuid(id)) throw notFound();
        if (action === 'accept') await delegations.accept(citizen, id);
        else if (action === 'decline') await delegations.decline(citizen, id);
        else await delegations.revokeByParty(citizen, id);
      } catch (err) {
        // Done after all (an answer lost, or the same button pressed twice): said as done.
        const own = await ownDelegation(citizen, id).catch(() => undefined);
        if (own?.d.status === STATUS_AFTER[action]) {
          go(req, res, `${DELEGATIONS_PATH}?done=${DONE_OF[action]}`);
          return;
        }
        const d = toDomainError(err);
        if (d.type === ErrorType.Unavailable || d.type === ErrorType.Internal) {
          if (d.type === ErrorType.Internal) deps.log.error({ err, path: `${req.baseUrl}${req.path}` }, 'portal: delegation page failed');
          await render(req, res, citizen, d.status, { notice: NOT_CONFIRMED_HERE });
          return;
        }
        const f = failure(req, err, {
          it: action === 'accept' ? 'Delega non accettata' : action === 'decline' ? 'Delega non rifiutata' : 'Delega non revocata',
          en: action === 'accept' ? 'Delegation not accepted' : action === 'decline' ? 'Delegation not declined' : 'Delegation not revoked',
        });
        await render(req, res, citizen, f.status, { notice: f.notice });
        return;
      }
      go(req, res, `${DELEGATIONS_PATH}?done=${DONE_OF[action]}`);
    });
  }

  // -- acting for the delegator -----------------------------------------------------------------

  const ACTING_KEY = /^[A-Za-z0-9_-]{8,128}$/;

  function delegationNotFound(req: Request, res: Response): void {
    sendHtml(
      res,
      404,
      messagePage({ lang: resolveLang(req, res), base: req.baseUrl, selfPath: DELEGATIONS_PATH }, {
        title: { it: 'Delega non trovata', en: 'Delegation not found' },
        text: { it: 'Non c’è una delega che hai accettato con questo indirizzo.', en: 'There is no delegation you accepted at this address.' },
        linkPath: DELEGATIONS_PATH,
        linkText: { it: 'Le tue deleghe', en: 'Your delegations' },
      }),
    );
  }

  /**
   * The acting page of a delegation the citizen received and accepted (not found otherwise), with
   * the outcome of a post; `filed` names a claim just filed, told with its protocol number.
   */
  async function renderActing(
    req: Request,
    res: Response,
    citizen: CitizenPrincipal,
    id: string,
    status: number,
    extra: Partial<Pick<ActingPageView, 'chosen' | 'issues' | 'notice'>> & { filed?: string } = {},
  ): Promise<void> {
    if (!isUuid(id)) return delegationNotFound(req, res);
    let acting;
    try {
      acting = await delegations.actingView(citizen, id);
    } catch (err) {
      if (toDomainError(err).type === ErrorType.NotFound) return delegationNotFound(req, res);
      throw err;
    }
    const filed = extra.filed ? acting.claims?.find((c) => c.claimId === extra.filed) : undefined;
    const csrf = ensureCsrfToken(req, res, readCookies(req));
    sendHtml(
      res,
      status,
      actingPage(
        { lang: resolveLang(req, res), base: req.baseUrl, selfPath: actingPath(id) },
        {
          ...acting,
          csrf,
          idempotencyKey: randomUUID(),
          chosen: extra.chosen,
          issues: extra.issues ?? [],
          notice: extra.notice ?? (filed ? filedForNotice(filed, acting.delegatorName) : undefined),
        },
      ),
    );
  }

  r.get(`${DELEGATIONS_PATH}/:delegationId/claims`, async (req, res) => {
    const citizen = await citizenOf(req, res);
    if (!citizen) return;
    res.setHeader('Cache-Control', 'no-store');
    await renderActing(req, res, citizen, String(req.params.delegationId), 200, { filed: typeof req.query.filed === 'string' ? req.query.filed : undefined });
  });

  r.post(`${DELEGATIONS_PATH}/:delegationId/claims`, async (req, res) => {
    const posted = await postingCitizen(req, res);
    if (!posted) return;
    const { body, citizen } = posted;
    const id = String(req.params.delegationId);
    if (!isUuid(id)) return delegationNotFound(req, res);
    res.setHeader('Cache-Control', 'no-store');
    const type = typeof body.type === 'string' ? body.type.trim().slice(0, 64) : '';
    const key = typeof body.idempotencyKey === 'string' && ACTING_KEY.test(body.idempotencyKey) ? body.idempotencyKey : undefined;
    const notFiled = { it: 'Domanda non presentata', en: 'Claim not submitted' };
    if (type === '') {
      await renderActing(req, res, citizen, id, 400, { issues: [requiredIssue('type', { it: 'Scegli la domanda da presentare', en: 'Choose the claim to submit' })] });
      return;
    }
    let offer;
    try {
      offer = await delegations.claimTypesForDelegator(citizen, id);
    } catch (err) {
      const d = toDomainError(err);
      if (d.type === ErrorType.NotFound) return delegationNotFound(req, res);
      const f = failure(req, err, notFiled);
      await renderActing(req, res, citizen, id, f.status, { notice: f.notice });
      return;
    }
    const option = offer.claimTypes.find((t) => t.type === type);
    if (!option) {
      await renderActing(req, res, citizen, id, 403, {
        chosen: type,
        issues: [{ field: 'type', code: 'not_available', message: { it: 'Questa domanda non è disponibile per il PIN o il profilo del delegante.', en: 'This claim is not available for the delegator’s PIN or profile.' } }],
      });
      return;
    }
    const ctx = { lang: resolveLang(req, res), base: req.baseUrl, selfPath: actingPath(id) };
    const onBehalf = [{ label: { it: 'Per conto di', en: 'On behalf of' }, value: offer.delegatorName }];
    if (!declarationMade(req, res, ctx, body, { type: option, key, action: actingPath(id), before: onBehalf })) return;
    let claimId: string;
    try {
      claimId = (await delegations.fileClaimFor(citizen, id, { type }, key)).body.claimId;
    } catch (err) {
      const d = toDomainError(err);
      if (d.type === ErrorType.Unavailable || d.type === ErrorType.Internal) {
        if (d.type === ErrorType.Internal) deps.log.error({ err, path: `${req.baseUrl}${req.path}` }, 'portal: delegation page failed');
        await renderActing(req, res, citizen, id, d.status, { notice: NOT_CONFIRMED });
        return;
      }
      const f = failure(req, err, notFiled);
      await renderActing(req, res, citizen, id, f.status, d.fields.length ? { chosen: type, issues: d.fields } : { notice: f.notice });
      return;
    }
    go(req, res, `${actingPath(id)}?filed=${claimId}`);
  });

  return r;
}
