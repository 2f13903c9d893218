/**
 * A development OpenID provider standing in for the SPID/CIE/CNS identity gateway, so the
 * portal's "Entra con SPID o CIE" works on `npm start` and in the integration tests with the same
 * code that talks to the real provider in production (services/identity/citizen-identity.ts).
 *
 * Built on `oidc-provider` (a certified OpenID Provider): authorization code flow, PKCE required,
 * discovery, JWKS, userinfo. Only the login screen is ours: a list of test identities, each
 * signing in with one method (SPID, CIE or CNS) at level 2. The attributes are those a SPID
 * provider releases under OIDC: the fiscal number as `TINIT-<codice fiscale>`, given and family
 * name; the method is told in `amr` and the level in `acr`. Consent is implied for the one
 * registered client, as it is for an institution's own gateway. Never started in production.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { escapeHtml } from '../web/html';

/** The claim SPID's OIDC profile uses for the fiscal number. */
export const FISCAL_NUMBER_CLAIM = 'https://attributes.eid.gov.it/fiscal_number';
/** SPID level 2 (also the level CIE and CNS sign-ins are given here). */
export const SPID_L2 = 'https://www.spid.gov.it/SpidL2';

export interface DevIdentity {
  codiceFiscale: string;
  givenName: string;
  familyName: string;
  /** How this person signs in; told to the relying party in `amr`. */
  method: 'SPID' | 'CIE' | 'CNS';
}

/** People of dev/data/institute-records.csv, so what they do with a PIN and by SPID meets. */
export const DEV_IDENTITIES: readonly DevIdentity[] = [
  { codiceFiscale: 'RMNGLI90E49H501D', givenName: 'Giulia', familyName: 'Romano', method: 'SPID' },
  { codiceFiscale: 'FNTRRT70H01A944W', givenName: 'Roberto', familyName: 'Fontana', method: 'CIE' },
  { codiceFiscale: 'CNTFNC44M06L219N', givenName: 'Francesco', familyName: 'Conti', method: 'CNS' },
  // Resident abroad (Buenos Aires): the one of them who may also get a PIN online, so a holder's
  // telephone PIN, and the contact centre's remote identification with it, can be walked end to end.
  { codiceFiscale: 'RSSMRA58C54Z600J', givenName: 'Maria', familyName: 'Rossi', method: 'SPID' },
];

export interface DevOidcClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export interface DevOidcProvider {
  issuer: string;
  port: number;
  /**
   * Registers the relying parties (once). Apart from the constructor's `clients` for when their
   * redirect URIs are known only after the provider listens (a test's API on a free port).
   */
  register(clients: DevOidcClient[]): void;
  /** Adds a test identity (tests sign in as the people they made). */
  addIdentity(person: DevIdentity): void;
  close(): Promise<void>;
}

export interface DevOidcOptions {
  /** 0 for any free port. */
  port?: number;
  host?: string;
  clients?: DevOidcClient[];
  identities?: readonly DevIdentity[];
}

function loginPage(uid: string, identities: readonly DevIdentity[], clientId: string): string {
  const buttons = identities
    .map(
      (p) => `<li><form method="post" action="/interaction/${escapeHtml(uid)}/login">
        <input type="hidden" name="codiceFiscale" value="${escapeHtml(p.codiceFiscale)}">
        <button type="submit">${escapeHtml(`${p.givenName} ${p.familyName}`)} — ${escapeHtml(p.method)} (${escapeHtml(p.codiceFiscale)})</button>
      </form></li>`,
    )
    .join('\n');
  return `<!doctype html><html lang="it"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gestore di identità di sviluppo</title></head><body>
<main><h1>Gestore di identità di sviluppo (SPID / CIE / CNS)</h1>
<p>Solo per sviluppo e prove: scegli con quale identità di prova entrare in <strong>${escapeHtml(clientId)}</strong>.</p>
<p lang="en">Development only: choose the test identity to sign in with.</p>
<ul>${buttons}</ul>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button type="submit">Annulla / Cancel</button></form>
</main></body></html>`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 4096) throw new Error('form too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startDevOidcProvider(opts: DevOidcOptions): Promise<DevOidcProvider> {
  const identities = [...(opts.identities ?? DEV_IDENTITIES)];
  const byCf = new Map(identities.map((p) => [p.codiceFiscale, p]));
  const host = opts.host ?? '127.0.0.1';

  // The port must be known before the issuer URL is: listen first, attach the provider after.
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://${host}:${port}`;

  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const configuration = (clients: DevOidcClient[]): Configuration => ({
    clients: clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [{ ...signingKey, kid: 'dev-signing', use: 'sig', alg: 'RS256' } as never] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    acrValues: [SPID_L2],
    // `amr` (how the citizen signed in) goes into every ID token, as the gateway tells it.
    claims: { openid: ['sub', 'amr'], profile: ['given_name', 'family_name', FISCAL_NUMBER_CLAIM], acr: null, auth_time: null, sid: null, iss: null },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // An institution's own gateway: signing in is the consent, there is no screen for it.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const clientId = ctx.oidc.client!.clientId;
      const existing = ctx.oidc.session!.grantIdFor(clientId);
      if (existing) {
        const found = await ctx.oidc.provider.Grant.find(existing);
        if (found) return found;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope('openid profile');
      await grant.save();
      return grant;
    },
    findAccount: (_ctx, id) => {
      const person = byCf.get(id);
      if (!person) return undefined;
      return {
        accountId: id,
        claims: () => ({
          sub: id,
          given_name: person.givenName,
          family_name: person.familyName,
          [FISCAL_NUMBER_CLAIM]: `TINIT-${person.codiceFiscale}`,
        }),
      };
    },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 1800, Grant: 1800 },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head><body><h1>${escapeHtml(String(out.error))}</h1><p>${escapeHtml(String(out.error_description ?? ''))}</p></body></html>`;
    },
  });
  let provider: Provider | undefined;
  let oidc: ReturnType<Provider['callback']> | undefined;
  const register = (clients: DevOidcClient[]): void => {
    if (provider) throw new Error('the development OpenID provider has its clients already');
    provider = new Provider(issuer, configuration(clients));
    oidc = provider.callback();
  };
  if (opts.clients) register(opts.clients);

  async function interaction(provider: Provider, req: IncomingMessage, res: ServerResponse, uid: string, action: string | undefined): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    if (!action && req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(loginPage(uid, identities, String(details.params.client_id)));
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    if (action === 'abort') {
      await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The citizen cancelled the sign-in.' }, { mergeWithLastSubmission: false });
      return;
    }
    const person = byCf.get((await readForm(req)).get('codiceFiscale') ?? '');
    if (action !== 'login' || !person) {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Unknown test identity.');
      return;
    }
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: person.codiceFiscale, acr: SPID_L2, amr: [person.method.toLowerCase()] } },
      { mergeWithLastSubmission: false },
    );
  }

  server.on('request', (req, res) => {
    if (!provider || !oidc) {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' }).end('No relying party registered yet.');
      return;
    }
    const m = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|abort))?$/.exec((req.url ?? '').split('?')[0]!);
    if (!m) {
      void oidc(req, res);
      return;
    }
    interaction(provider, req, res, m[1]!, m[2]).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`Sign-in could not continue: ${(err as Error).message}`);
    });
  });

  return {
    issuer,
    port,
    register,
    addIdentity(person) {
      if (!byCf.has(person.codiceFiscale)) identities.push(person);
      byCf.set(person.codiceFiscale, person);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
