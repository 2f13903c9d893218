/**
 * First access (16 → 8 characters), regeneration of an expired PIN and the new letter asked with
 * the first half: the codice fiscale and the PIN checked against their hashes with the lockout
 * rules, then the credential's workflow updated; the new PIN is shown once to its owner.
 */
import { randomBytes } from 'node:crypto';
import type { ServiceDeps } from '../deps';
import {
  CredentialLockedError,
  DEFAULT_THROTTLE_OPTIONS,
  assertIdentifierNotLocked,
  assertNotLocked,
  identifierHash,
  recordFailure,
  recordIdentifierFailure,
  recordSuccess,
  sourceLimiter,
  type ThrottleOptions,
} from './attempts';
import { appendAudit } from '../../lib/audit';
import { withTransaction, type PoolClient } from '../../lib/db';
import { DomainError, ErrorType, invalidCredentialsError, validationError, type Bilingual, type FieldIssue } from '../../domain/errors';
import { validateCodiceFiscaleFormat } from '../../domain/codice-fiscale';
import { PIN_ALPHABET, generatePin, keyedHashMatches, normalisePin } from '../../lib/secrets';
import { decoyVerification, hashPin, prepareDecoy, verifyPin } from '../../lib/pin-hash';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { completeFirstAccessUpdate, credentialWorkflowId, regeneratePinUpdate, requestNewLetterUpdate } from '../../workflows/definitions';

const PIN_CHARS = new RegExp(`^[${PIN_ALPHABET}]+$`);

/**
 * The first access or the regeneration made again with the secret it was made with, after it went
 * through (its answer, the only place the new PIN was shown, lost on the way): told as done, with
 * what to do if the PIN was not noted — never "codice fiscale or PIN not correct".
 */
function alreadyDoneError(action: string, at: Date): DomainError {
  const message: Bilingual =
    action === 'regeneration'
      ? {
          it: 'Il PIN scaduto è già stato sostituito: il nuovo PIN è stato mostrato in quel momento. Accedi con il nuovo PIN; se non l’hai annotato, chiedi il ripristino del PIN.',
          en: 'The expired PIN has already been replaced: the new PIN was shown at that moment. Log in with the new PIN; if you did not note it, ask for the recovery of the PIN.',
        }
      : {
          it: 'Il primo accesso con questo PIN è già stato fatto: il PIN definitivo di 8 caratteri è stato mostrato in quel momento. Accedi con quel PIN; se non l’hai annotato, chiedi il ripristino del PIN.',
          en: 'The first access with this PIN has already been made: the final 8-character PIN was shown at that moment. Log in with that PIN; if you did not note it, ask for the recovery of the PIN.',
        };
  return new DomainError(ErrorType.Conflict, message, [], { reason: 'ALREADY_DONE', at: at.toISOString() });
}

/** Shape checks only: a wrong PIN is an authentication failure, not a validation error. */
function parseCredentials(body: unknown, pinLength: number, pinField = 'pin'): { codiceFiscale: string; pin: string } {
  const b = (body ?? {}) as Record<string, unknown>;
  const typed = b[pinField];
  const fields: FieldIssue[] = [];
  const cf = typeof b.codiceFiscale === 'string' ? validateCodiceFiscaleFormat(b.codiceFiscale) : undefined;
  if (!cf) fields.push({ field: 'codiceFiscale', code: 'required', message: { it: 'Inserisci il codice fiscale.', en: 'Enter the codice fiscale.' } });
  else fields.push(...cf.errors);
  const pin = typeof typed === 'string' ? normalisePin(typed) : '';
  if (pin.length !== pinLength || !PIN_CHARS.test(pin)) {
    fields.push({
      field: pinField,
      code: 'pin_format',
      message: { it: `Il PIN è composto da ${pinLength} caratteri.`, en: `The PIN has ${pinLength} characters.` },
    });
  }
  if (fields.length) throw validationError(fields);
  return { codiceFiscale: cf!.normalised, pin };
}




/**
 * First access (16 → 8 characters) and the guided regeneration after expiry. The API checks the
 * old secret under the lockout rules, creates the new PIN, stores its argon2id hash as a pending
 * version and asks the credential's workflow to activate it; the new PIN is shown once, in this
 * response, and exists nowhere else in clear.
 */
export function createPinAccessService(deps: Pick<ServiceDeps, 'now' | 'pepper' | 'pool' | 'temporal'>, throttleOptions: ThrottleOptions = DEFAULT_THROTTLE_OPTIONS) {
  const now = deps.now ?? (() => new Date());
  // Per client address, on top of the per-credential lockout: one source cannot try codici
  // fiscali and PINs faster than a person would (the login keeps a bucket of its own).
  const takeAttempt = sourceLimiter(deps.pool, throttleOptions, now);
  void prepareDecoy();

  /**
   * Verifies under the lockout rules and, on success, stores the new PIN as a pending version.
   * Failures are committed (they count) before the generic error is thrown.
   */
  async function verifyAndPrepare(
    req: { ip?: string },
    action: 'first_access' | 'regeneration' | 'letter_resend',
    creds: { codiceFiscale: string; pin: string },
    state: 'awaiting_first_access' | 'pin_expired',
    check: (client: PoolClient, credentialId: string) => Promise<boolean>,
    prepareNewPin = true,
    alreadyDone?: (client: PoolClient) => Promise<{ credentialId: string; at: Date } | undefined>,
  ): Promise<{ credentialId: string; pinVersion: number; newPin: string }> {
    await takeAttempt(req, action);
    const outcome = await withTransaction(deps.pool, async (client) => {
      const { rows } = await client.query<{ id: string }>(
        'SELECT id FROM credentials WHERE codice_fiscale = $1::text AND state = $2::text FOR UPDATE',
        [creds.codiceFiscale, state],
      );
      const credentialId = rows[0]?.id;
      const at = now();
      if (!credentialId) {
        // Unknown codici fiscali are counted and locked like known ones (by a keyed hash), so a
        // lock answer does not reveal who holds a PIN; and they cost one argon2 verification too.
        const idHash = identifierHash(deps.pepper, creds.codiceFiscale);
        const locked = await lockRefusal(client, { actor: `ip:${req.ip}`, action, subject: 'unknown' }, assertIdentifierNotLocked(client, idHash, at));
        if (locked) return locked;
        // The same action made again after it went through (its answer lost on the way): the
        // secret it was made with, checked in place of the decoy (the same work), says so.
        const done = alreadyDone ? await alreadyDone(client) : (await decoyVerification(creds.pin), undefined);
        if (done) {
          await appendAudit(client, { actor: `ip:${req.ip}`, action, subject: done.credentialId, decision: 'already_done' });
          return { ok: false as const, error: alreadyDoneError(action, done.at) };
        }
        const lock = await recordIdentifierFailure(client, idHash, at);
        await appendAudit(client, { actor: `ip:${req.ip}`, action, subject: 'unknown', decision: 'denied', detail: { reason: 'no_credential', ...lock } });
        return { ok: false as const };
      }
      const locked = await lockRefusal(client, { actor: `ip:${req.ip}`, action, subject: credentialId }, assertNotLocked(client, credentialId, at));
      if (locked) return locked;
      if (!(await check(client, credentialId))) {
        const lock = await recordFailure(client, credentialId, at);
        await appendAudit(client, { actor: `ip:${req.ip}`, action, subject: credentialId, decision: 'denied', detail: { reason: 'wrong_pin', ...lock } });
        return { ok: false as const };
      }
      await recordSuccess(client, credentialId, at);
      if (!prepareNewPin) {
        await appendAudit(client, { actor: `ip:${req.ip}`, action, subject: credentialId, decision: 'verified' });
        return { ok: true as const, credentialId, pinVersion: 0, newPin: '' };
      }
      const v = await client.query<{ v: number }>('SELECT coalesce(max(version), 0) + 1 AS v FROM pin_secrets WHERE credential_id = $1::uuid', [credentialId]);
      const pinVersion = v.rows[0]!.v;
      const newPin = generatePin(8);
      await client.query(
        `INSERT INTO pin_secrets (credential_id, version, kind, pin_hash, salt, status) VALUES ($1::uuid, $2::int, 'personal', $3::text, $4::bytea, 'pending')`,
        [credentialId, pinVersion, await hashPin(deps.pepper, newPin), randomBytes(16)],
      );
      await appendAudit(client, { actor: `ip:${req.ip}`, action, subject: credentialId, decision: 'verified', detail: { pinVersion } });
      return { ok: true as const, credentialId, pinVersion, newPin };
    });
    if (!outcome.ok) throw 'error' in outcome ? outcome.error : invalidCredentialsError();
    return outcome;
  }

  /**
   * Turns a lock into an answer, audited in the caller's transaction (which commits, so the
   * audit row stays) instead of an exception that would roll it back.
   */
  async function lockRefusal(
    client: PoolClient,
    audit: { actor: string; action: string; subject: string },
    check: Promise<unknown>,
  ): Promise<{ ok: false; error: CredentialLockedError } | undefined> {
    try {
      await check;
      return undefined;
    } catch (err) {
      if (!(err instanceof CredentialLockedError)) throw err;
      await appendAudit(client, { ...audit, decision: 'locked', detail: { reason: err.details.reason } });
      return { ok: false, error: err };
    }
  }

  /** Checks the halves of the initial PIN that were given (the first alone, or both). */
  const initialPinCheck = (pin: string) => async (client: PoolClient, id: string) => {
    const { rows } = await client.query<{ salt: Buffer; first_half_hash: Buffer; second_half_hash: Buffer }>(
      `SELECT salt, first_half_hash, second_half_hash FROM pin_secrets
        WHERE credential_id = $1::uuid AND kind = 'initial' AND status <> 'superseded' ORDER BY version DESC LIMIT 1`,
      [id],
    );
    // The keyed hashes take microseconds and an unknown codice fiscale costs an argon2
    // verification: the same argon2 work here, so the time does not say who has a PIN waiting.
    await decoyVerification(pin);
    const s = rows[0];
    if (!s) return false;
    // Both halves are always checked, so the time taken does not say which half was wrong.
    const first = keyedHashMatches(deps.pepper, s.salt, 'first', pin.slice(0, 8), s.first_half_hash);
    const second = pin.length === 8 || keyedHashMatches(deps.pepper, s.salt, 'second', pin.slice(8), s.second_half_hash);
    return first && second;
  };

  /** Answers the one response that shows the new PIN; the caller must not cache or log it. */
  /**
   * Asks the credential's workflow to activate the prepared PIN, keyed by its version (the update
   * id, which the history keeps in clear: no other id in it), with no transaction open. When the answer does not come in time the database says
   * whether the PIN is already active; if not yet, the citizen still gets the PIN — it is the one
   * that will work — marked as being activated, never a "failed" that would lose it.
   */
  async function activate(
    credentialId: string,
    pinVersion: number,
    newPin: string,
    update: typeof completeFirstAccessUpdate | typeof regeneratePinUpdate,
    message: Bilingual,
  ): Promise<NewPinAnswer> {
    try {
      const { pinExpiresAt } = await deps.temporal.workflow
        .getHandle(credentialWorkflowId(credentialId))
        .executeUpdate(update, { updateId: `activate-v${pinVersion}`, args: [{ pinVersion }] });
      return { status: 'active', pin: newPin, pinExpiresAt, message };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw err;
      const { rows } = await deps.pool.query<{ status: string; expires_at: Date | null }>(
        'SELECT status, expires_at FROM pin_secrets WHERE credential_id = $1::uuid AND version = $2::int',
        [credentialId, pinVersion],
      );
      if (rows[0]?.status === 'active' && rows[0].expires_at) return { status: 'active', pin: newPin, pinExpiresAt: rows[0].expires_at.toISOString(), message };
      return { status: 'activating', pin: newPin, message: ACTIVATING };
    }
  }

  /**
   * A first access already made with these 16 characters (in the last day): the credential is
   * active and its initial PIN, superseded, matches. The keyed hashes plus one argon2 decoy, as
   * `initialPinCheck` costs.
   */
  const firstAccessDone = (codiceFiscale: string, pin: string) => async (client: PoolClient) => {
    const { rows } = await client.query<{ id: string; salt: Buffer; first_half_hash: Buffer; second_half_hash: Buffer; superseded_at: Date }>(
      `SELECT c.id, s.salt, s.first_half_hash, s.second_half_hash, s.superseded_at
         FROM credentials c JOIN pin_secrets s ON s.credential_id = c.id AND s.kind = 'initial' AND s.status = 'superseded'
        WHERE c.codice_fiscale = $1::text AND c.state = 'active' AND s.superseded_at > now() - interval '1 day'
        ORDER BY s.version DESC LIMIT 1`,
      [codiceFiscale],
    );
    await decoyVerification(pin);
    const s = rows[0];
    if (!s) return undefined;
    const first = keyedHashMatches(deps.pepper, s.salt, 'first', pin.slice(0, 8), s.first_half_hash);
    const second = keyedHashMatches(deps.pepper, s.salt, 'second', pin.slice(8), s.second_half_hash);
    return first && second ? { credentialId: s.id, at: s.superseded_at } : undefined;
  };

  /** A regeneration already made with this expired PIN (in the last day): one argon2 verification, as the decoy. */
  const regenerationDone = (codiceFiscale: string, pin: string) => async (client: PoolClient) => {
    const { rows } = await client.query<{ id: string; pin_hash: string; superseded_at: Date }>(
      `SELECT c.id, s.pin_hash, s.superseded_at
         FROM credentials c JOIN pin_secrets s ON s.credential_id = c.id AND s.kind = 'personal' AND s.status = 'superseded'
        WHERE c.codice_fiscale = $1::text AND c.state = 'active' AND s.superseded_at > now() - interval '1 day'
          AND (SELECT e.type FROM credential_events e WHERE e.credential_id = c.id AND e.type IN ('first_access', 'regeneration', 'remote_identification')
                ORDER BY e.at DESC LIMIT 1) = 'regeneration'
        ORDER BY s.version DESC LIMIT 1`,
      [codiceFiscale],
    );
    const s = rows[0];
    if (!s) {
      await decoyVerification(pin);
      return undefined;
    }
    return (await verifyPin(deps.pepper, s.pin_hash, pin)) ? { credentialId: s.id, at: s.superseded_at } : undefined;
  };

  /** Answers the one response that shows the new PIN; the caller must not cache or log it. */
  async function firstAccess(req: { ip?: string }, body: unknown): Promise<NewPinAnswer> {
    const creds = parseCredentials(body, 16);
    const { credentialId, pinVersion, newPin } = await verifyAndPrepare(
      req,
      'first_access',
      creds,
      'awaiting_first_access',
      initialPinCheck(creds.pin),
      true,
      firstAccessDone(creds.codiceFiscale, creds.pin),
    );
    return activate(credentialId, pinVersion, newPin, completeFirstAccessUpdate, {
      it: 'Questo è il tuo nuovo PIN di 8 caratteri: annotalo ora, non verrà più mostrato. Il PIN di 16 caratteri non è più valido.',
      en: 'This is your new 8-character PIN: write it down now, it will not be shown again. The 16-character PIN is no longer valid.',
    });
  }

  /**
   * "I did not get my letter": the citizen proves the request is theirs with the first half
   * (which came by SMS or e-mail) and gets a new letter, within the limits the workflow keeps.
   */
  async function resendLetter(req: { ip?: string }, body: unknown): Promise<LetterRequestAnswer> {
    const creds = parseCredentials(body, 8, 'firstHalf');
    const { credentialId } = await verifyAndPrepare(req, 'letter_resend', creds, 'awaiting_first_access', initialPinCheck(creds.pin), false);
    const askedAt = new Date();
    try {
      const result = await deps.temporal.workflow
        .getHandle(credentialWorkflowId(credentialId))
        .executeUpdate(requestNewLetterUpdate, { args: [{ requestedBy: 'citizen' }] });
      return { status: 'requested', ...result, message: LETTER_REQUESTED };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw err;
      // The answer did not come in time; the database says whether the letter was made. Asking
      // again is harmless: the workflow allows one new letter in 24 hours.
      const { rows } = await deps.pool.query<{ id: string; seq: number }>(
        `SELECT id, seq FROM letters WHERE credential_id = $1::uuid AND reason = 'resend' AND created_at >= $2::timestamptz ORDER BY seq DESC LIMIT 1`,
        [credentialId, askedAt],
      );
      if (rows[0]) return { status: 'requested', letterId: rows[0].id, seq: rows[0].seq, message: LETTER_REQUESTED };
      return { status: 'in_progress', message: LETTER_IN_PROGRESS };
    }
  }

  async function regenerate(req: { ip?: string }, body: unknown): Promise<NewPinAnswer> {
    const creds = parseCredentials(body, 8);
    const { credentialId, pinVersion, newPin } = await verifyAndPrepare(req, 'regeneration', creds, 'pin_expired', async (client, id) => {
      const { rows } = await client.query<{ pin_hash: string }>(
        `SELECT pin_hash FROM pin_secrets WHERE credential_id = $1::uuid AND kind = 'personal' AND status = 'active' ORDER BY version DESC LIMIT 1`,
        [id],
      );
      return rows[0] ? verifyPin(deps.pepper, rows[0].pin_hash, creds.pin) : false;
    }, true, regenerationDone(creds.codiceFiscale, creds.pin));
    return activate(credentialId, pinVersion, newPin, regeneratePinUpdate, {
      it: 'Il PIN era scaduto: questo è il nuovo PIN, con gli stessi servizi. Annotalo ora, non verrà più mostrato.',
      en: 'Your PIN had expired: this is the new PIN, with the same services. Write it down now, it will not be shown again.',
    });
  }

  return { firstAccess, regenerate, resendLetter };
}

/**
 * The new PIN, in clear: shown to its owner once, in this answer only. `activating`: the
 * workflow had not confirmed in time; the PIN works once it has (moments, normally).
 */
export type NewPinAnswer = { status: 'active'; pin: string; pinExpiresAt: string; message: Bilingual } | { status: 'activating'; pin: string; message: Bilingual };

const LETTER_REQUESTED: Bilingual = {
  it: 'Ti invieremo una nuova lettera con la seconda parte del PIN all\'indirizzo di residenza.',
  en: 'We will send a new letter with the second part of the PIN to your residence address.',
};

const LETTER_IN_PROGRESS: Bilingual = {
  it: 'La richiesta della nuova lettera è in corso. Se tra qualche minuto non risulta, ripetila: una seconda richiesta nelle 24 ore non produce una seconda lettera.',
  en: 'The request for a new letter is under way. If it does not show in a few minutes, ask again: a second request within 24 hours does not produce a second letter.',
};

/** A new letter: asked and made (`requested`), or asked and not yet confirmed (`in_progress`). */
export type LetterRequestAnswer = { status: 'requested'; letterId: string; seq: number; message: Bilingual } | { status: 'in_progress'; message: Bilingual };

const ACTIVATING: Bilingual = {
  it: 'Questo è il tuo nuovo PIN di 8 caratteri: annotalo ora, non verrà più mostrato. È in attivazione e funzionerà entro pochi minuti; se non dovesse funzionare, ripeti il primo accesso con il PIN che avevi.',
  en: 'This is your new 8-character PIN: write it down now, it will not be shown again. It is being activated and will work within a few minutes; if it does not, repeat the first access with the PIN you had.',
};

