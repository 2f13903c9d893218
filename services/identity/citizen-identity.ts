/**
 * Citizens who sign in with SPID, CIE or CNS (the telephone PIN is theirs: "Gli utenti che
 * accedono ai servizi INPS attraverso le credenziali SPID, CNS o CIE … possono ottenere il PIN
 * telefonico temporaneo"). This system is an OpenID Connect relying party of the identity
 * gateway (docs/decisions/0023-citizen-sign-in-openid-connect.md):
 *
 * - **Authorization code flow with PKCE (S256), `state` and `nonce`**, through `openid-client`
 *   (discovery, token exchange, ID token validation, userinfo). The three one-time values live
 *   in a sealed cookie of the front-end that began the sign-in, never on the server.
 * - **What is believed**: the ID token's signature (against the provider's JWKS), issuer,
 *   audience, nonce and expiry (checked by openid-client); the level (`acr`) must be one of `acceptedAcr` (SPID level 2 or 3: level 1
 *   is not enough for INPS services); the codice fiscale comes from the provider's fiscal-number
 *   attribute (`TINIT-<codice fiscale>` in SPID's OIDC profile) and must be well formed; the
 *   method from `amr` (spid/cie/cns), else the configured default.
 * - **Then our own session**: an opaque token (32 random bytes) whose SHA-256 keys an
 *   `identity_sessions` row, 30 minutes long, ended by "Esci". The portal carries it in an
 *   HttpOnly cookie; API clients as `Authorization: Bearer`. Only the hash is stored.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import { DomainError, ErrorType } from '../../domain/errors';
import { hasValidCheckCharacter, normaliseCodiceFiscale, structuralProblem } from '../../domain/codice-fiscale';
import { appendAudit } from '../../lib/audit';
import { withTransaction, type Pool } from '../../lib/db';
import type { Logger } from '../../lib/logger';

const IDENTITY_METHODS = ['SPID', 'CIE', 'CNS'] as const;
export type IdentityMethod = (typeof IDENTITY_METHODS)[number];

export interface IdentityProviderSettings {
  /** The provider's issuer URL; its discovery document is read from `/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** `acr` values accepted (SPID level 2 and 3 by default). */
  acceptedAcr: readonly string[];
  /** The claim that holds the fiscal number (SPID: `https://attributes.eid.gov.it/fiscal_number`). */
  fiscalNumberClaim: string;
  /** The method told when the provider sends no `amr` (a provider that is SPID only, say). */
  defaultMethod: IdentityMethod;
  /** Allows an `http://` issuer: the development provider only. */
  allowInsecureHttp?: boolean;
}

/** Who signed in, as of this request. No secret. */
export interface CitizenIdentity {
  /** The `identity_sessions` row: the audit trail names it, never the token. */
  sessionId: string;
  codiceFiscale: string;
  method: IdentityMethod;
  expiresAt: Date;
}

/** The one-time values of a sign-in in progress, sealed into a cookie by the front-end. */
export interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
  /** Where to go after signing in (a path of the same front-end). */
  returnTo?: string;
}

export const IDENTITY_SESSION_TTL_MS = 30 * 60_000;
/** A sign-in not completed within this long is refused (the provider's own screens included). */
export const PENDING_SIGN_IN_MAX_AGE_MS = 15 * 60_000;

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const hashToken = (token: string): Buffer => createHash('sha256').update(token).digest();

export const unavailable = (): DomainError =>
  new DomainError(ErrorType.Unavailable, {
    it: 'Accesso con SPID, CIE o CNS non disponibile: il gestore di identità (OIDC_ISSUER) non è configurato.',
    en: 'Sign-in with SPID, CIE or CNS unavailable: the identity provider (OIDC_ISSUER) is not configured.',
  });

/** Why a sign-in was refused; in the error's details (none is a secret). */
export type SignInRefusal = 'cancelled' | 'expired' | 'invalid_response' | 'level' | 'fiscal_number' | 'session';

export function signInRefused(reason: SignInRefusal): DomainError {
  const text =
    reason === 'cancelled'
      ? { it: 'Accesso annullato presso il gestore di identità.', en: 'The sign-in was cancelled at the identity provider.' }
      : reason === 'level'
        ? { it: 'Serve un accesso SPID di livello 2 o superiore, CIE o CNS.', en: 'A sign-in with SPID level 2 or higher, CIE or CNS is needed.' }
        : reason === 'session'
          ? { it: 'Accesso con SPID, CIE o CNS mancante o scaduto: accedi di nuovo.', en: 'Sign-in with SPID, CIE or CNS missing or expired: please sign in again.' }
          : { it: 'Accesso non riuscito o scaduto: riprova.', en: 'The sign-in did not succeed or has expired: please try again.' };
  return new DomainError(ErrorType.Unauthenticated, text, [], { reason });
}

/** `TINIT-RSSMRA80A01H501U` (SPID), or a bare codice fiscale; `undefined` when not a valid one. */
export function codiceFiscaleFromFiscalNumber(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const cf = normaliseCodiceFiscale(value.replace(/^TINIT-/i, ''));
  return structuralProblem(cf) || !hasValidCheckCharacter(cf) ? undefined : cf;
}

/** SPID/CIE/CNS from `amr` (RFC 8176 lists method references; ours are lower-case names). */
export function methodFromAmr(amr: unknown, fallback: IdentityMethod): IdentityMethod {
  if (!Array.isArray(amr)) return fallback;
  for (const m of IDENTITY_METHODS) if (amr.some((v) => typeof v === 'string' && v.toUpperCase() === m)) return m;
  return fallback;
}

export interface CitizenIdentityDeps {
  pool: Pool;
  log: Logger;
  identityProvider?: IdentityProviderSettings;
  now?: () => Date;
}

export function createCitizenIdentityService(deps: CitizenIdentityDeps) {
  const { pool, log } = deps;
  const settings = deps.identityProvider;
  const now = deps.now ?? (() => new Date());
  let discovered: Promise<oidc.Configuration> | undefined;

  /** The provider's metadata, read once; a failed read is tried again on the next sign-in. */
  function configuration(): Promise<oidc.Configuration> {
    if (!settings) return Promise.reject(unavailable());
    discovered ??= oidc
      // The ID token's signature is checked against the provider's published keys too, not only
      // its claims: the token is the proof of who signed in, whatever the transport.
      .discovery(new URL(settings.issuer), settings.clientId, settings.clientSecret, undefined, {
        execute: settings.allowInsecureHttp ? [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks] : [oidc.enableNonRepudiationChecks],
      })
      .catch((err: unknown) => {
        discovered = undefined;
        log.warn({ err, issuer: settings.issuer }, 'identity provider discovery failed');
        throw new DomainError(ErrorType.Unavailable, {
          it: 'Il gestore di identità non risponde: riprova tra qualche minuto.',
          en: 'The identity provider is not answering: please try again in a few minutes.',
        });
      });
    return discovered;
  }

  return {
    configured: settings !== undefined,

    /** The provider's authorization URL, and what the front-end must keep until the callback. */
    async begin(redirectUri: string, returnTo?: string): Promise<{ authorizationUrl: string; pending: PendingSignIn }> {
      const config = await configuration();
      const pending: PendingSignIn = {
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
        codeVerifier: oidc.randomPKCECodeVerifier(),
        redirectUri,
        ...(returnTo ? { returnTo } : {}),
      };
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid profile',
        response_type: 'code',
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
        acr_values: settings!.acceptedAcr.join(' '),
      });
      return { authorizationUrl: url.href, pending };
    },

    /**
     * The provider sent the browser back to `callbackUrl`: exchange the code, check the ID token
     * and the attributes, open a session. Throws UNAUTHENTICATED with the reason otherwise.
     */
    async complete(callbackUrl: URL, pending: PendingSignIn | undefined, clientIp?: string): Promise<{ token: string; identity: CitizenIdentity; returnTo?: string }> {
      if (!pending) throw signInRefused('expired');
      const config = await configuration();
      // `pending` was only given for an answer carrying its state (web/identity-sign-in.ts).
      if (callbackUrl.searchParams.get('state') !== pending.state) throw signInRefused('expired');
      if (callbackUrl.searchParams.get('error') === 'access_denied') throw signInRefused('cancelled');
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      let userinfo: oidc.UserInfoResponse;
      try {
        // The callback URL as the provider will compare it: the registered redirect URI plus
        // the response's parameters (a proxy may have changed the host the request arrived on).
        const current = new URL(pending.redirectUri);
        current.search = callbackUrl.search;
        tokens = await oidc.authorizationCodeGrant(config, current, {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
        userinfo = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
      } catch (err) {
        log.warn({ err: { name: (err as Error).name, message: (err as Error).message } }, 'OIDC sign-in refused');
        throw signInRefused('invalid_response');
      }
      const claims = tokens.claims()!;
      if (typeof claims.acr !== 'string' || !settings!.acceptedAcr.includes(claims.acr)) throw signInRefused('level');
      const codiceFiscale = codiceFiscaleFromFiscalNumber(userinfo[settings!.fiscalNumberClaim] ?? claims[settings!.fiscalNumberClaim]);
      if (!codiceFiscale) throw signInRefused('fiscal_number');
      const method = methodFromAmr(claims.amr, settings!.defaultMethod);

      const token = randomBytes(32).toString('base64url');
      const sessionId = randomUUID();
      const expiresAt = new Date(now().getTime() + IDENTITY_SESSION_TTL_MS);
      await withTransaction(pool, async (client) => {
        await client.query(
          `INSERT INTO identity_sessions (id, token_hash, codice_fiscale, method, acr, subject, expires_at, client_ip)
           VALUES ($1::uuid, $2::bytea, $3::text, $4::text, $5::text, $6::text, $7::timestamptz, $8::text)`,
          [sessionId, hashToken(token), codiceFiscale, method, claims.acr, claims.sub, expiresAt, clientIp ?? null],
        );
        await appendAudit(client, {
          actor: 'citizen',
          action: 'identity.sign_in',
          subject: sessionId,
          detail: { codiceFiscale, method, acr: claims.acr, issuer: claims.iss },
        });
      });
      log.info({ identitySessionId: sessionId, method }, 'citizen signed in with the identity provider');
      return { token, identity: { sessionId, codiceFiscale, method, expiresAt }, ...(pending.returnTo ? { returnTo: pending.returnTo } : {}) };
    },

    /** The live session a token names, if any. */
    async identify(token: string | undefined): Promise<CitizenIdentity | undefined> {
      if (!token || !TOKEN.test(token)) return undefined;
      const { rows } = await pool.query<{ id: string; codice_fiscale: string; method: IdentityMethod; expires_at: Date }>(
        `SELECT id, codice_fiscale, method, expires_at FROM identity_sessions
          WHERE token_hash = $1::bytea AND ended_at IS NULL AND expires_at > $2::timestamptz`,
        [hashToken(token), now()],
      );
      const row = rows[0];
      return row ? { sessionId: row.id, codiceFiscale: row.codice_fiscale, method: row.method, expiresAt: row.expires_at } : undefined;
    },

    /** Like `identify`, but a missing or ended session is a 401. */
    async require(token: string | undefined): Promise<CitizenIdentity> {
      const identity = await this.identify(token);
      if (!identity) throw signInRefused('session');
      return identity;
    },

    /** "Esci": the session ends now (audited); an unknown token changes nothing. */
    async end(token: string | undefined): Promise<void> {
      if (!token || !TOKEN.test(token)) return;
      await withTransaction(pool, async (client) => {
        const { rows } = await client.query<{ id: string }>(
          `UPDATE identity_sessions SET ended_at = now() WHERE token_hash = $1::bytea AND ended_at IS NULL RETURNING id`,
          [hashToken(token)],
        );
        if (rows[0]) await appendAudit(client, { actor: 'citizen', action: 'identity.sign_out', subject: rows[0].id });
      });
    },
  };
}

export type CitizenIdentityService = ReturnType<typeof createCitizenIdentityService>;

/** A pending sign-in read back from a sealed cookie: `undefined` unless every field is there. */
export function pendingSignInFrom(value: unknown): PendingSignIn | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const ok = ['state', 'nonce', 'codeVerifier', 'redirectUri'].every((k) => typeof v[k] === 'string' && v[k] !== '');
  if (!ok || (v.returnTo !== undefined && typeof v.returnTo !== 'string')) return undefined;
  return v as unknown as PendingSignIn;
}
