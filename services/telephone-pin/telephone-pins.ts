/**
 * Telephone PINs: a citizen signed in with SPID, CIE or CNS (services/identity/citizen-identity.ts)
 * creates a temporary PIN that a contact-centre operator later uses to verify the caller.
 *
 * - **Validity: one day, one week, one month or three months** ("la cui validità può essere di
 *   un giorno, una settimana, un mese o tre mesi"). Months are calendar months on the Italian
 *   calendar: a PIN made on 15 March at 10:00 for one month ends on 15 April at 10:00 in Rome;
 *   one made on 31 January ends on the last day of February (PostgreSQL's month arithmetic).
 *   The database computes the end, and the workflow's timer is given the exact length.
 *
 * - **Format: 8 digits.** The PIN is read out on the phone and typed by the operator (or keyed
 *   on a phone pad): digits need no spelling alphabet and survive any accent or line quality,
 *   and 10^8 values against a limit of 5 wrong tries leave a guesser 1 chance in 20 million.
 * - **Created here, in the API**: the plaintext is shown once, in the response to its owner;
 *   only its argon2id hash is stored and only the id reaches the workflow, which runs the
 *   expiry timer and the revocation.
 * - **One active PIN per codice fiscale**: a second creation is refused (409) with the id of the
 *   active one, which the citizen can revoke first; replacing it silently would cut off a call
 *   the citizen may have already arranged with the old PIN.
 * - **Verification** never returns or logs the stored value; every decision is audited. Wrong
 *   PINs are counted per telephone PIN; at `MAX_FAILED_VERIFICATIONS` it is locked for good.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { withTransaction, type Pool } from '../../lib/db';
import { appendAudit } from '../../lib/audit';
import type { Logger } from '../../lib/logger';
import { hashPin, verifyPin } from '../../lib/pin-hash';
import { DomainError, ErrorType } from '../../domain/errors';
import {
  TELEPHONE_PIN_WORKFLOW_TYPE,
  revokeTelephonePinUpdate,
  telephonePinLockedSignal,
  telephonePinWorkflowId,
  type TelephonePinValidity,
  type TelephonePinView,
  type TelephonePinWorkflowInput,
} from '../../workflows/telephone-pin-definitions';
import type { CitizenIdentity } from '../identity/citizen-identity';
import type { StaffPrincipal } from '../staff/auth';
import type { telephonePinWorkflow } from '../../workflows/telephone-pin';
import { liveCredentialByCodiceFiscale } from '../credentials';
import { startSettled } from '../temporal-outcome';

export const TELEPHONE_PIN_LENGTH = 8;
/** Wrong PINs that lock a telephone PIN; a new one must then be created by the citizen. */
export const MAX_FAILED_VERIFICATIONS = 5;

/** Each validity as a PostgreSQL interval, added on the Italian calendar (see above). */
const CALENDAR_PERIOD: Readonly<Record<TelephonePinValidity, string>> = {
  '1d': '1 day',
  '1w': '7 days',
  '1m': '1 month',
  '3m': '3 months',
};

/** A telephone PIN as its owner sees it in the list: never the PIN itself. */
export interface OwnTelephonePin {
  telephonePinId: string;
  validity: TelephonePinValidity;
  status: 'active' | 'expired' | 'revoked' | 'locked';
  createdAt: string;
  expiresAt: string;
  endedAt?: string;
}

/** 8 digits drawn uniformly with crypto randomness. */
export function generateTelephonePin(): string {
  let pin = '';
  for (let i = 0; i < TELEPHONE_PIN_LENGTH; i++) pin += String(randomInt(10));
  return pin;
}

/** Canonical form of a PIN as the operator typed it: spaces, dashes and dots dropped. */
export function normaliseTelephonePin(typed: string): string {
  return typed.replace(/[\s.-]/g, '');
}

export interface TelephonePinServiceDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  log: Logger;
  pepper: Buffer;
}

export interface CreatedTelephonePin {
  telephonePinId: string;
  /** The plaintext, for the one response that shows it to its owner. */
  pin: string;
  validity: TelephonePinValidity;
  expiresAt: string;
}

const verificationFailed = (): DomainError =>
  new DomainError(ErrorType.Unauthenticated, {
    it: 'Verifica non riuscita: codice fiscale o PIN telefonico non validi.',
    en: 'Verification failed: codice fiscale or telephone PIN not valid.',
  });

const notFound = (): DomainError => new DomainError(ErrorType.NotFound, { it: 'PIN telefonico non trovato.', en: 'Telephone PIN not found.' });

export function createTelephonePinService(deps: TelephonePinServiceDeps) {
  const { pool, log } = deps;
  // Verifying against this when the codice fiscale has no usable PIN takes as long as a real
  // check, so the response time does not tell an operator (or a script) which codes have one.
  let dummyHash: Promise<string> | undefined;
  const dummy = () => (dummyHash ??= hashPin(deps.pepper, generateTelephonePin()));

  async function activeFor(codiceFiscale: string): Promise<{ id: string; expires_at: Date } | undefined> {
    const { rows } = await pool.query<{ id: string; expires_at: Date }>(
      `SELECT id, expires_at FROM telephone_pins WHERE codice_fiscale = $1::text AND status = 'active' AND expires_at > now()`,
      [codiceFiscale],
    );
    return rows[0];
  }

  function oneActive(active?: { id: string; expires_at: Date }): DomainError {
    return new DomainError(
      ErrorType.Conflict,
      {
        it: 'Hai già un PIN telefonico attivo: revocalo prima di crearne uno nuovo.',
        en: 'You already have an active telephone PIN: revoke it before creating a new one.',
      },
      [],
      active ? { activeTelephonePinId: active.id, expiresAt: active.expires_at.toISOString() } : {},
    );
  }

  return {
    async create(citizen: CitizenIdentity, validity: TelephonePinValidity): Promise<CreatedTelephonePin> {
      const existing = await activeFor(citizen.codiceFiscale);
      if (existing) throw oneActive(existing);

      const pin = generateTelephonePin();
      const pinHash = await hashPin(deps.pepper, pin);
      const telephonePinId = randomUUID();
      const { expiresAt, validForMs } = await withTransaction(pool, async (client) => {
        // One past its end whose timer has not fired yet (a busy worker) is expired now, so it does
        // not stand in the way of the new one; the workflow finds it ended and stops.
        const stale = await client.query<{ id: string }>(
          `UPDATE telephone_pins SET status = 'expired', ended_at = expires_at WHERE codice_fiscale = $1::text AND status = 'active' AND expires_at <= now() RETURNING id`,
          [citizen.codiceFiscale],
        );
        for (const { id } of stale.rows) await appendAudit(client, { actor: 'system', action: 'telephone_pin.expired', subject: id, detail: { at: 'replaced' } });
        // Linked to the citizen's live PIN credential when there is one; most SPID/CIE/CNS
        // users have none, and the telephone PIN belongs to the codice fiscale anyway.
        const credential = await liveCredentialByCodiceFiscale<{ id: string }>(client, citizen.codiceFiscale, 'id');
        // The database clock sets the expiry, as it is the one verification compares with;
        // the period is added to the time in Rome, so a month is a calendar month there.
        const { rows } = await client.query<{ expires_at: Date; valid_for_ms: string }>(
          `INSERT INTO telephone_pins (id, credential_id, codice_fiscale, pin_hash, validity, identity_method, expires_at)
           VALUES ($1::uuid, $2::uuid, $3::text, $4::text, $5::text, $6::text,
                   ((now() AT TIME ZONE 'Europe/Rome') + $7::interval) AT TIME ZONE 'Europe/Rome')
           RETURNING expires_at, (extract(epoch FROM expires_at - now()) * 1000)::bigint AS valid_for_ms`,
          [telephonePinId, credential?.id ?? null, citizen.codiceFiscale, pinHash, validity, citizen.method, CALENDAR_PERIOD[validity]],
        );
        await appendAudit(client, {
          actor: 'citizen',
          action: 'telephone_pin.created',
          subject: telephonePinId,
          detail: { validity, identityMethod: citizen.method, identitySessionId: citizen.sessionId },
        });
        return { expiresAt: rows[0]!.expires_at, validForMs: Number(rows[0]!.valid_for_ms) };
      }).catch((err: unknown) => {
        // Two creations at once: the partial unique index lets one through.
        if ((err as { code?: string }).code === '23505') throw oneActive();
        throw err;
      });

      const input: TelephonePinWorkflowInput = { telephonePinId, validity, validFor: `${validForMs} ms` };
      try {
        // A start whose answer was lost is asked again before the PIN is given up (temporal-outcome.ts).
        await startSettled(deps.temporal, () =>
          deps.temporal.workflow.start<typeof telephonePinWorkflow>(TELEPHONE_PIN_WORKFLOW_TYPE, {
            workflowId: telephonePinWorkflowId(telephonePinId),
            taskQueue: deps.taskQueue,
            args: [input],
          }),
        );
      } catch (err) {
        // Without its workflow nothing would expire the PIN: end it now, and the citizen retries.
        await withTransaction(pool, async (client) => {
          await client.query(`UPDATE telephone_pins SET status = 'revoked', ended_at = now() WHERE id = $1::uuid AND status = 'active'`, [telephonePinId]);
          await appendAudit(client, { actor: 'system', action: 'telephone_pin.abandoned', subject: telephonePinId, detail: { reason: 'workflow_not_started' } });
        });
        throw err;
      }
      log.info({ telephonePinId, validity, identityMethod: citizen.method }, 'telephone PIN created');
      return { telephonePinId, pin, validity, expiresAt: expiresAt.toISOString() };
    },

    /** The citizen's telephone PINs, newest first (the last 20): state and dates, never the PIN. */
    async list(citizen: CitizenIdentity): Promise<OwnTelephonePin[]> {
      const { rows } = await pool.query<{ id: string; validity: TelephonePinValidity; status: string; created_at: Date; expires_at: Date; ended_at: Date | null }>(
        `SELECT id, validity, CASE WHEN status = 'active' AND expires_at <= now() THEN 'expired' ELSE status END AS status,
                created_at, expires_at, ended_at
           FROM telephone_pins WHERE codice_fiscale = $1::text ORDER BY created_at DESC LIMIT 20`,
        [citizen.codiceFiscale],
      );
      return rows.map((r) => ({
        telephonePinId: r.id,
        validity: r.validity,
        status: r.status as OwnTelephonePin['status'],
        createdAt: r.created_at.toISOString(),
        expiresAt: r.expires_at.toISOString(),
        ...(r.ended_at ? { endedAt: r.ended_at.toISOString() } : {}),
      }));
    },

    /** The citizen revokes one of their own PINs; somebody else's is "not found". */
    async revoke(citizen: CitizenIdentity, telephonePinId: string): Promise<TelephonePinView> {
      const { rows } = await pool.query<{ codice_fiscale: string; status: string }>(
        'SELECT codice_fiscale, status FROM telephone_pins WHERE id = $1::uuid',
        [telephonePinId],
      );
      const row = rows[0];
      if (!row || row.codice_fiscale !== citizen.codiceFiscale) throw notFound();
      if (row.status !== 'active') {
        throw new DomainError(
          ErrorType.Conflict,
          { it: 'Il PIN telefonico non è più attivo.', en: 'The telephone PIN is no longer active.' },
          [],
          { status: row.status },
        );
      }
      const view = await deps.temporal.workflow
        .getHandle(telephonePinWorkflowId(telephonePinId))
        .executeUpdate(revokeTelephonePinUpdate, { args: [{ revokedBy: 'citizen', assertionId: citizen.sessionId }] });
      log.info({ telephonePinId, state: view.state }, 'telephone PIN revoked by its owner');
      return view;
    },

    /**
     * An operator checks a caller's codice fiscale and telephone PIN. Only a yes/no leaves this
     * function; the row is locked for the check so concurrent tries are counted one by one.
     */
    async verifyCaller(staff: StaffPrincipal, codiceFiscale: string, telephonePin: string): Promise<{ verified: true; telephonePinId: string; codiceFiscale: string }> {
      const actor = `${staff.role}:${staff.staffId}`;
      const outcome = await withTransaction(pool, async (client) => {
        // The active PIN if any, else the latest locked one (to record why the call failed).
        const { rows } = await client.query<{ id: string; pin_hash: string; status: 'active' | 'locked'; failed_attempts: number; expired: boolean }>(
          `SELECT id, pin_hash, status, failed_attempts, expires_at <= now() AS expired
             FROM telephone_pins
            WHERE codice_fiscale = $1::text AND status IN ('active', 'locked')
            ORDER BY (status = 'active') DESC, created_at DESC
            LIMIT 1
              FOR UPDATE`,
          [codiceFiscale],
        );
        const row = rows[0];
        const usable = row?.status === 'active' && !row.expired;
        const matches = await verifyPin(deps.pepper, usable ? row.pin_hash : await dummy(), telephonePin);

        let reason: 'verified' | 'no_telephone_pin' | 'locked' | 'expired' | 'wrong_pin' | 'wrong_pin_locked';
        let failedAttempts = row?.failed_attempts ?? 0;
        if (!row) reason = 'no_telephone_pin';
        else if (row.status === 'locked') reason = 'locked';
        else if (row.expired) reason = 'expired';
        else if (matches) {
          reason = 'verified';
          failedAttempts = 0;
          await client.query('UPDATE telephone_pins SET failed_attempts = 0 WHERE id = $1::uuid', [row.id]);
        } else {
          failedAttempts = row.failed_attempts + 1;
          const lock = failedAttempts >= MAX_FAILED_VERIFICATIONS;
          reason = lock ? 'wrong_pin_locked' : 'wrong_pin';
          await client.query(
            `UPDATE telephone_pins SET failed_attempts = $2::int,
                    status = CASE WHEN $3::boolean THEN 'locked' ELSE status END,
                    ended_at = CASE WHEN $3::boolean THEN now() ELSE ended_at END
              WHERE id = $1::uuid`,
            [row.id, failedAttempts, lock],
          );
        }
        const verified = reason === 'verified';
        await appendAudit(client, {
          actor,
          action: 'telephone_pin.verify_caller',
          subject: row?.id,
          decision: verified ? 'verified' : 'refused',
          detail: { codiceFiscale, reason, failedAttempts },
        });
        return { verified, reason, telephonePinId: row?.id };
      });

      log.info({ telephonePinId: outcome.telephonePinId, staffId: staff.staffId, decision: outcome.verified ? 'verified' : 'refused', reason: outcome.reason }, 'caller verification');
      if (outcome.reason === 'wrong_pin_locked') {
        // The database already says 'locked'; the workflow only stops waiting for its timer.
        await deps.temporal.workflow
          .getHandle(telephonePinWorkflowId(outcome.telephonePinId!))
          .signal(telephonePinLockedSignal)
          .catch((err: unknown) => log.warn({ err, telephonePinId: outcome.telephonePinId }, 'could not signal the locked telephone PIN workflow'));
      }
      if (!outcome.verified) throw verificationFailed();
      return { verified: true, telephonePinId: outcome.telephonePinId!, codiceFiscale };
    },
  };
}
