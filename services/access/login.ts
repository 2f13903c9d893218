/**
 * Citizen login with codice fiscale and PIN, and logout: the rules behind `POST /api/sessions`
 * and the portal's login page alike. An unknown codice fiscale and a wrong PIN get the same
 * refusal after the same work (one argon2id verification, one counter update); a lock answers the
 * same way whether or not the codice fiscale holds a PIN (docs/decisions/0005-login-lockout.md).
 * Every decision is appended to the audit log, never with the PIN.
 */
import { validateCodiceFiscaleFormat } from '../../domain/codice-fiscale';
import { DomainError, ErrorType, invalidCredentialsError, validationError, type FieldIssue } from '../../domain/errors';
import { normaliseProfile } from '../../domain/services';
import { loginOutcomes } from '../../lib/metrics';
import { appendAudit, appendAuditAfter } from '../../lib/audit';
import { withTransaction, type Pool, type PoolClient } from '../../lib/db';
import { decoyVerification, prepareDecoy, verifyPin } from '../../lib/pin-hash';
import { LIVE_CREDENTIAL } from '../credentials';
import { PIN_ALPHABET, keyedHashMatches, normalisePin } from '../../lib/secrets';
import {
  sourceLimiter,
  CredentialLockedError,
  DEFAULT_LOCKOUT_POLICY,
  DEFAULT_THROTTLE_OPTIONS,
  assertIdentifierNotLocked,
  assertNotLocked,
  identifierHash,
  lockStatus,
  recordFailure,
  recordIdentifierFailure,
  recordSuccess,
  type AccessCounters,
  type FailureOutcome,
  type LockoutPolicy,
  type ThrottleOptions,
} from './attempts';
import {
  DEFAULT_SESSION_OPTIONS,
  createSession,
  endSession,
  hashSessionToken,
  newSessionToken,
  scopeOf,
  type AuthKind,
  type CitizenPrincipal,
  type PinType,
  type SessionOptions
} from './sessions';

import type { ServiceDeps } from '../deps';
export interface LoginOptions {
  lockout: LockoutPolicy;
  throttle: ThrottleOptions;
  session: SessionOptions;
}

const PIN_LENGTH = 8;
const PIN_CHARS = new RegExp(`^[${PIN_ALPHABET}]{${PIN_LENGTH}}$`);

function parseLogin(body: unknown): { codiceFiscale: string; pin: string } {
  const b = (body ?? {}) as { codiceFiscale?: unknown; pin?: unknown };
  const fields: FieldIssue[] = [];
  const cf = typeof b.codiceFiscale === 'string' ? validateCodiceFiscaleFormat(b.codiceFiscale) : undefined;
  if (!cf) fields.push({ field: 'codiceFiscale', code: 'required', message: { it: 'Inserisci il codice fiscale.', en: 'Enter the codice fiscale.' } });
  else fields.push(...cf.errors);
  const pin = typeof b.pin === 'string' && b.pin.length <= 64 ? normalisePin(b.pin) : '';
  if (!PIN_CHARS.test(pin)) {
    fields.push({
      field: 'pin',
      code: pin.length === 16 ? 'use_first_access' : 'pin_format',
      message:
        pin.length === 16
          ? { it: 'Con il PIN di 16 caratteri si usa il primo accesso.', en: 'The 16-character PIN is for the first access.' }
          : { it: 'Il PIN è composto da 8 caratteri.', en: 'The PIN has 8 characters.' },
    });
  }
  if (fields.length) throw validationError(fields);
  return { codiceFiscale: cf!.normalised, pin };
}

/** Everything a login needs about a codice fiscale, in one round trip (one row, always). */
interface LoginRow {
  credential_id: string | null;
  state: string | null;
  pin_type: PinType | null;
  profile: unknown;
  pin_version: number | null;
  pin_kind: 'personal' | 'initial' | null;
  pin_hash: string | null;
  pin_expires_at: Date | null;
  salt: Buffer | null;
  first_half_hash: Buffer | null;
  consecutive_failures: number | null;
  locked_until: Date | null;
  permanently_locked_at: Date | null;
}

const LOGIN_QUERY = `
SELECT c.id AS credential_id, c.state, c.pin_type, coalesce(ir.profile, '{}'::jsonb) || coalesce(c.profile, '{}'::jsonb) AS profile,
       p.version AS pin_version, p.kind AS pin_kind, p.pin_hash, p.expires_at AS pin_expires_at, p.salt, p.first_half_hash,
       coalesce(a.consecutive_failures, u.consecutive_failures) AS consecutive_failures,
       coalesce(a.locked_until, u.locked_until) AS locked_until,
       coalesce(a.permanently_locked_at, u.permanently_locked_at) AS permanently_locked_at
  FROM (SELECT $1::text AS cf, $2::bytea AS id_hash) q
  LEFT JOIN credentials c ON c.codice_fiscale = q.cf AND c.${LIVE_CREDENTIAL}
  LEFT JOIN institute_records ir ON ir.codice_fiscale = c.codice_fiscale
  LEFT JOIN LATERAL (
    SELECT s.version, s.kind, s.pin_hash, s.expires_at, s.salt, s.first_half_hash
      FROM pin_secrets s
     WHERE s.credential_id = c.id
       AND ((c.state IN ('active', 'pin_expired') AND s.kind = 'personal' AND s.status = 'active')
         OR (c.state = 'awaiting_first_access' AND $3::boolean AND s.kind = 'initial' AND s.status <> 'superseded' AND s.superseded_at IS NULL))
     ORDER BY s.version DESC LIMIT 1
  ) p ON true
  LEFT JOIN credential_access a ON a.credential_id = c.id
  LEFT JOIN login_identifier_access u ON c.id IS NULL AND u.id_hash = q.id_hash`;

type Outcome =
  | { kind: 'denied'; failure: FailureOutcome }
  | { kind: 'locked'; error: CredentialLockedError }
  | { kind: 'pin_expired' }
  | { kind: 'granted'; token: string; expiresAt: Date; idleExpiresAt: Date };

const SESSION_MESSAGES = {
  expired: {
    it: 'Il PIN è scaduto: per continuare generi un nuovo PIN con la procedura guidata.',
    en: 'Your PIN has expired: to continue, get a new PIN through the guided procedure.',
  },
};

export function sessionView(c: Pick<CitizenPrincipal, 'credentialId' | 'codiceFiscale' | 'pinType' | 'scope' | 'profile' | 'intermediary'>) {
  return { credentialId: c.credentialId, codiceFiscale: c.codiceFiscale, pinType: c.pinType, scope: c.scope, profile: c.profile, intermediary: c.intermediary };
}

type FlatDetail = Record<string, string | number | boolean | null>;

/**
 * A granted login in one transaction (`login_grant`, migrations 007 and 015): resets the count
 * only if no lock holds at `now` — the same rule as `assertNotLocked`, the UPDATE waiting for a
 * concurrent attempt and re-checking — opens the session and takes the audit chain's lock,
 * returning its head; the audit row, MACed here with the key the database never sees, follows in
 * the same transaction. Undefined (nothing changed) when the counter row is missing or a lock
 * holds: the general path decides.
 */
async function grantLogin(
  pool: Pool,
  input: { credentialId: string; pinVersion: number; authKind: AuthKind; clientIp?: string; now: Date; actor: string; detail: FlatDetail },
  opts: Pick<SessionOptions, 'absoluteTtlMs' | 'idleTimeoutMs'>,
): Promise<{ token: string; expiresAt: Date; idleExpiresAt: Date } | undefined> {
  const token = newSessionToken();
  const expiresAt = new Date(input.now.getTime() + opts.absoluteTtlMs);
  const granted = await withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ granted: boolean; chain_head: Buffer | null }>({
      name: 'login-grant',
      text: 'SELECT granted, chain_head FROM login_grant($1::uuid, $2::timestamptz, $3::bytea, $4::int, $5::text, $6::timestamptz, $7::text)',
      values: [input.credentialId, input.now, hashSessionToken(token), input.pinVersion, input.authKind, expiresAt, input.clientIp ?? null],
    });
    if (!rows[0]?.granted) return false;
    await appendAuditAfter(client, rows[0].chain_head, { actor: input.actor, action: 'login', subject: input.credentialId, decision: 'granted', detail: input.detail });
    return true;
  });
  if (!granted) return undefined;
  return { token, expiresAt, idleExpiresAt: new Date(Math.min(expiresAt.getTime(), input.now.getTime() + opts.idleTimeoutMs)) };
}

export type LoginDeps = Pick<ServiceDeps, 'pool' | 'log' | 'now' | 'pepper' | 'policy'>;

/** What a granted login gives: the session token (shown once) and the session's identity. */
export interface SignedIn {
  token: string;
  expiresAt: Date;
  idleExpiresAt: Date;
  session: ReturnType<typeof sessionView>;
}

/**
 * `deps.policy.simplifiedProcedure` switches first-half logins on; `deps.now` is the clock for
 * locks, the throttle and session expiry; `options` override the numbers (defaults in the
 * decision record). Each instance keeps its own per-address throttle, as each API process does.
 */
export function createLoginService(deps: LoginDeps, options: Partial<LoginOptions> = {}) {
  const now = deps.now ?? (() => new Date());
  const lockout = options.lockout ?? DEFAULT_LOCKOUT_POLICY;
  const sessionOptions = { ...DEFAULT_SESSION_OPTIONS, ...options.session };
  const throttle = sourceLimiter(deps.pool, options.throttle ?? DEFAULT_THROTTLE_OPTIONS, now);
  void prepareDecoy();

  async function login(ip: string | undefined, creds: { codiceFiscale: string; pin: string }, at: Date): Promise<{ outcome: Outcome; row: LoginRow }> {
    const simplified = deps.policy.simplifiedProcedure;
    const idHash = identifierHash(deps.pepper, creds.codiceFiscale);
    const row = (await deps.pool.query<LoginRow>({ name: 'login-lookup', text: LOGIN_QUERY, values: [creds.codiceFiscale, idHash, simplified] })).rows[0]!;
    const credentialId = row.credential_id;
    const actor = `ip:${ip ?? 'unknown'}`;
    const subject = credentialId ?? 'unknown';
    const baseDetail = credentialId ? {} : { identifier: idHash.subarray(0, 8).toString('hex') };

    // A lock seen before any work: refused without checking the PIN (and audited below).
    const counters: AccessCounters = {
      consecutiveFailures: row.consecutive_failures ?? 0,
      lockedUntil: row.locked_until,
      permanentlyLockedAt: row.permanently_locked_at,
    };
    const seen = lockStatus(counters, at);
    let ok = false;
    let authKind: AuthKind = 'personal';
    if (!seen.locked) {
      if (row.pin_kind === 'personal' && row.pin_hash) {
        ok = await verifyPin(deps.pepper, row.pin_hash, creds.pin).catch(() => false);
      } else {
        // Unknown codice fiscale, no personal PIN yet, or a first-half login: the same argon2id work.
        await decoyVerification(creds.pin);
        if (simplified && row.pin_kind === 'initial' && row.salt && row.first_half_hash) {
          ok = keyedHashMatches(deps.pepper, row.salt, 'first', creds.pin, row.first_half_hash);
          authKind = 'simplified';
        }
      }
    }

    const lockedAnswer = async (client: PoolClient, err: CredentialLockedError): Promise<Outcome> => {
      await appendAudit(client, {
        actor,
        action: 'login',
        subject,
        decision: err.lock.locked === 'permanent' ? 'locked_permanently' : 'locked',
        detail: { ...baseDetail, ...(err.lock.locked === 'temporary' ? { lockedUntil: err.lock.until.toISOString() } : {}) },
      });
      return { kind: 'locked', error: err };
    };

    const expired = authKind === 'personal' && (row.state === 'pin_expired' || (row.pin_expires_at !== null && row.pin_expires_at.getTime() <= at.getTime()));

    const grantedDetail = { authKind, scope: scopeOf(authKind, row.pin_type ?? 'ordinary'), pinVersion: row.pin_version };
    if (!seen.locked && ok && !expired && credentialId) {
      // The common case: one statement decides, opens the session and audits it.
      const granted = await grantLogin(deps.pool, { credentialId, pinVersion: row.pin_version!, authKind, clientIp: ip, now: at, actor, detail: grantedDetail }, sessionOptions);
      if (granted) return { outcome: { kind: 'granted', ...granted }, row };
      // No counter row yet, or a lock appeared meanwhile: the general path below decides.
    }

    const outcome = await withTransaction(deps.pool, async (client): Promise<Outcome> => {
      if (seen.locked) return lockedAnswer(client, new CredentialLockedError(seen));
      // The counter row is locked for the rest of the transaction, and the lock re-checked: an
      // attempt that ran alongside others is decided after them, so parallel guesses gain nothing.
      try {
        if (credentialId) await assertNotLocked(client, credentialId, at);
        else await assertIdentifierNotLocked(client, idHash, at);
      } catch (err) {
        if (err instanceof CredentialLockedError) return lockedAnswer(client, err);
        throw err;
      }
      if (!ok) {
        const failure = credentialId ? await recordFailure(client, credentialId, at, lockout) : await recordIdentifierFailure(client, idHash, at, lockout);
        await appendAudit(client, { actor, action: 'login', subject, decision: 'denied', detail: { ...baseDetail, reason: credentialId ? 'wrong_pin' : 'no_credential', ...failure } });
        return { kind: 'denied', failure };
      }
      await recordSuccess(client, credentialId!, at);
      if (expired) {
        await appendAudit(client, { actor, action: 'login', subject, decision: 'pin_expired', detail: { pinVersion: row.pin_version } });
        return { kind: 'pin_expired' };
      }
      const session = await createSession(client, sessionOptions, { credentialId: credentialId!, pinVersion: row.pin_version!, authKind, clientIp: ip, now: at });
      await appendAudit(client, { actor, action: 'login', subject, decision: 'granted', detail: grantedDetail });
      return { kind: 'granted', ...session };
    });
    return { outcome, row };
  }

  /**
   * Opens a session for `ip` from the JSON body. Throws `DomainError`: VALIDATION (fields),
   * UNAUTHENTICATED (generic), RATE_LIMITED with `details.reason` THROTTLED or TEMPORARILY_LOCKED
   * (and `details.retryAfterSeconds`), FORBIDDEN with PERMANENTLY_LOCKED or PIN_EXPIRED.
   */
  async function signIn(ip: string | undefined, body: unknown): Promise<SignedIn> {
    const creds = parseLogin(body);
    const at = now();
    await throttle({ ip }, 'login');
    const { outcome, row } = await login(ip, creds, at);
    deps.log.info({ decision: outcome.kind, credentialId: row.credential_id ?? undefined }, 'login');
    loginOutcomes.inc({
      outcome:
        outcome.kind === 'denied'
          ? outcome.failure.lockedUntil !== null || outcome.failure.permanentlyLocked
            ? 'newly_locked'
            : 'denied'
          : outcome.kind === 'locked'
            ? 'refused_locked'
            : outcome.kind,
    });
    switch (outcome.kind) {
      case 'denied':
        throw invalidCredentialsError();
      case 'locked':
        throw outcome.error;
      case 'pin_expired':
        throttle.refund(ip);
        throw new DomainError(ErrorType.Forbidden, SESSION_MESSAGES.expired, [], { reason: 'PIN_EXPIRED', regenerate: '/api/pin/regenerate' });
      case 'granted': {
        throttle.refund(ip);
        const { profile, intermediary } = normaliseProfile(row.profile);
        const authKind: AuthKind = row.pin_kind === 'initial' ? 'simplified' : 'personal';
        return {
          token: outcome.token,
          expiresAt: outcome.expiresAt,
          idleExpiresAt: outcome.idleExpiresAt,
          session: sessionView({
            credentialId: row.credential_id!,
            codiceFiscale: creds.codiceFiscale,
            pinType: row.pin_type!,
            scope: scopeOf(authKind, row.pin_type!),
            profile,
            intermediary,
          }),
        };
      }
    }
  }

  /** Ends the session of `token`, if it is live (audited with the caller's address). */
  async function signOut(token: string, ip: string | undefined): Promise<void> {
    await withTransaction(deps.pool, async (client) => {
      const credentialId = await endSession(client, token, 'logout', now());
      if (credentialId) await appendAudit(client, { actor: 'citizen', action: 'logout', subject: credentialId, decision: 'ended', detail: { ip: ip ?? null } });
    });
  }

  return { signIn, signOut, sessionOptions };
}
