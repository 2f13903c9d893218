/**
 * Revocation (revoca) of a PIN: by its holder, who proves it with the health-insurance card and
 * an address registered with the PIN (the same answer for every mismatch), or by the contact
 * centre for a caller. The credential's workflow revokes and answers once the database says so.
 *
 * The holder is never told "failed" for a revocation that happened: when the workflow's answer
 * does not come in time the database says whether the PIN is revoked, and if not yet the answer is
 * "under way" (202; a notice goes to every contact once it is done); the same request made again
 * after it went through — by someone who again proves it with the card — is answered "already
 * revoked", not "no active PIN".
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import { HOLDER_STATES, type CredentialRow } from '../../domain/credential';
import type { ServiceDeps } from '../deps';
import { italianCalendarDate } from '../../domain/calendar';
import { validateCodiceFiscaleFormat } from '../../domain/codice-fiscale';
import { DomainError, ErrorType, type FieldIssue } from '../../domain/errors';
import { appendAudit, audit } from '../../lib/audit';
import { withTransaction } from '../../lib/db';
import { credentialWorkflowId, revokeCredentialUpdate } from '../../workflows/definitions';
import { REVOCATION_ATTEMPTS, attemptKey, checkQuota, comparableEmail, spendQuota } from '../access/identity-checks';
import { sourceLimiter } from '../access/attempts';
import { revocationAnswerSchema, revocationBodySchema, staffRevokeBodySchema } from '../schemas/lifecycle';
import { outcomeUnknown } from '../temporal-outcome';
import { parseInput } from '../schemas/validate';
import { createCallerVerifier } from '../caller-verification';
import { revocationGrant } from '../grants';
import type { StaffPrincipal } from '../staff/principal';
import type { TelephonePinServiceDeps } from '../telephone-pin/telephone-pins';

/** HMAC-SHA-256(pepper, card number): how `health_cards` keeps the number of a tessera sanitaria. */
function healthCardHash(pepper: Buffer, cardNumber: string): Buffer {
  return createHmac('sha256', pepper).update('health-card\u0000').update(cardNumber).digest();
}

/** Stores (or replaces) a health card for a codice fiscale: the archive import (services/reference-data.ts) and tests. */
export async function registerHealthCard(db: { query: ServiceDeps['pool']['query'] }, pepper: Buffer, card: { codiceFiscale: string; number: string; expiresOn: string }): Promise<void> {
  await db.query(
    `INSERT INTO health_cards (codice_fiscale, card_number_hash, expires_on) VALUES ($1::text, $2::bytea, $3::date)
     ON CONFLICT (codice_fiscale) DO UPDATE SET card_number_hash = EXCLUDED.card_number_hash, expires_on = EXCLUDED.expires_on`,
    [card.codiceFiscale, healthCardHash(pepper, card.number), card.expiresOn],
  );
}

const NOT_MATCHED = () =>
  new DomainError(ErrorType.Unauthenticated, {
    it: 'I dati indicati non corrispondono a un PIN attivo: controlla codice fiscale, numero e scadenza della tessera sanitaria e l’indirizzo e-mail o PEC registrato con il PIN.',
    en: 'The data given do not match an active PIN: check the codice fiscale, the number and expiry of the health-insurance card, and the e-mail or PEC address registered with the PIN.',
  });

export const notFound = () => new DomainError(ErrorType.NotFound, { it: 'Credenziale non trovata.', en: 'Credential not found.' });

const REVOKED_MESSAGE = {
  it: 'Il PIN è stato revocato e non può più essere usato. Se vuoi, puoi richiedere un nuovo PIN.',
  en: 'The PIN has been revoked and can no longer be used. If you wish, you may request a new PIN.',
};

const ALREADY_REVOKED_MESSAGE = {
  it: 'Il PIN risulta già revocato: non può più essere usato e non serve fare altro. Se vuoi, puoi richiedere un nuovo PIN.',
  en: 'The PIN is already revoked: it can no longer be used and there is nothing more to do. If you wish, you may request a new PIN.',
};

const REVOCATION_IN_PROGRESS = {
  it: 'Richiesta di revoca ricevuta e in corso. Quando il PIN sarà revocato riceverai un avviso ai recapiti registrati (SMS, e-mail o PEC); da quel momento il PIN non funziona più. Se l’avviso non arriva entro un’ora, ripeti la revoca: non verrà fatta due volte.',
  en: 'Revocation request received and under way. When the PIN is revoked you will get a notice at your registered contacts (text message, e-mail or PEC); from then on the PIN no longer works. If the notice does not arrive within an hour, revoke again: it will not be done twice.',
};

export type RevocationAnswer = z.output<typeof revocationAnswerSchema>;

/** The holder's revocation as a function of the caller's address and the JSON body (API and portal). */
export function createRevocationService(deps: TelephonePinServiceDeps & Pick<ServiceDeps, 'log' | 'now' | 'pepper' | 'pool' | 'temporal' | 'secrets'>) {
  const now = deps.now ?? (() => new Date());
  const verifyCaller = createCallerVerifier(deps);
  const fromSource = sourceLimiter(deps.pool, undefined, now);

  async function revokeByHolder(req: { ip?: string }, input: unknown): Promise<RevocationAnswer> {
    const body = parseInput(revocationBodySchema, input);
    const cf = validateCodiceFiscaleFormat(body.codiceFiscale);
    const fields: FieldIssue[] = [...cf.errors];
    const cardNumber = body.healthCard.number.replace(/[\s-]/g, '');
    if (!/^[0-9]{20}$/.test(cardNumber)) {
      fields.push({ field: 'healthCard.number', code: 'card_number_format', message: { it: 'Il numero della tessera sanitaria ha 20 cifre.', en: 'The health-insurance card number has 20 digits.' } });
    }
    const address = body.email?.trim() || body.pec?.trim();
    if (!address) {
      fields.push({ field: 'email', code: 'email_or_pec_required', message: { it: 'Inserisci l’indirizzo e-mail o PEC registrato con il PIN.', en: 'Give the e-mail or PEC address registered with the PIN.' } });
    }
    if (fields.length) throw new DomainError(ErrorType.Validation, { it: 'Alcuni dati non sono validi.', en: 'Some of the data is not valid.' }, fields);

    await fromSource(req, 'revocation.request');
    const at = now();
    const key = attemptKey(deps.pepper, 'revocation', cf.normalised);
    const actor = `ip:${req.ip ?? 'unknown'}`;
    const verified = await withTransaction(deps.pool, async (client) => {
      await checkQuota(client, 'revocation', key, REVOCATION_ATTEMPTS, at);
      // The live credential; without one, the latest revoked (a revocation asked again after it
      // went through is told so). The same statement runs whatever the outcome.
      const { rows } = await client.query<Pick<CredentialRow, 'id' | 'contacts' | 'state'> & { card_number_hash: Buffer | null; expires_on: string | null; revoked_at: Date | null }>(
        `SELECT c.id, c.contacts, c.state, c.revoked_at, h.card_number_hash, to_char(h.expires_on, 'YYYY-MM-DD') AS expires_on
           FROM (SELECT $1::text AS cf) q
           LEFT JOIN LATERAL (
             SELECT x.id, x.contacts, x.state, e.at AS revoked_at
               FROM credentials x LEFT JOIN credential_events e ON e.idempotency_key = x.id::text || ':revoked'
              WHERE x.codice_fiscale = q.cf AND (x.state = ANY($2::text[]) OR x.state = 'revoked')
              ORDER BY (x.state = 'revoked'), e.at DESC NULLS LAST, x.created_at DESC LIMIT 1
           ) c ON true
           LEFT JOIN health_cards h ON h.codice_fiscale = q.cf`,
        [cf.normalised, HOLDER_STATES],
      );
      const row = rows[0]!;
      // Every check is computed whatever the outcome of the others, so the time says nothing.
      const expected = row.card_number_hash ?? Buffer.alloc(32);
      const cardOk = timingSafeEqual(healthCardHash(deps.pepper, cardNumber), expected) && row.card_number_hash !== null;
      const expiryOk = row.expires_on === body.healthCard.expiresOn && body.healthCard.expiresOn >= italianCalendarDate(at);
      const registered = [row.contacts?.email, row.contacts?.pec].filter((v): v is string => typeof v === 'string').map(comparableEmail);
      const contactOk = registered.includes(comparableEmail(address!));
      const ok = row.id !== null && cardOk && expiryOk && contactOk;
      // The holder's quota is spent only by someone who has the card: wrong data costs the
      // caller's address (the per-source limit), never the holder's chance to revoke.
      if (cardOk && expiryOk) await spendQuota(client, 'revocation', key, at);
      const already = ok && row.state === 'revoked';
      const reason = !row.id ? 'no_credential' : !cardOk || !expiryOk ? 'card_mismatch' : !contactOk ? 'contact_mismatch' : already ? 'already_revoked' : 'verified';
      await appendAudit(client, {
        actor,
        action: 'revocation.request',
        subject: row.id ?? 'unknown',
        decision: ok ? (already ? 'already_revoked' : 'verified') : 'refused',
        detail: row.id ? { reason } : { reason, identifier: key.subarray(0, 8).toString('hex') },
      });
      return ok ? { credentialId: row.id!, already, revokedAt: row.revoked_at } : undefined;
    });
    if (!verified) throw NOT_MATCHED();
    const { credentialId } = verified;
    if (verified.already) {
      return revocationAnswerSchema.parse({ status: 'already_revoked', revokedAt: (verified.revokedAt ?? at).toISOString(), message: ALREADY_REVOKED_MESSAGE });
    }
    try {
      const { revokedAt } = await deps.temporal.workflow
        .getHandle(credentialWorkflowId(credentialId))
        .executeUpdate(revokeCredentialUpdate, { args: [{ requestedBy: 'citizen', reason: 'holder', grant: revocationGrant(deps, credentialId, 'citizen', 'holder') }] });
      deps.log.info({ credentialId }, 'PIN revoked by its holder');
      return revocationAnswerSchema.parse({ status: 'revoked', revokedAt, message: REVOKED_MESSAGE });
    } catch (err) {
      if (!outcomeUnknown(err)) throw err;
      // The answer may have been lost after the revocation was made: the database says.
      const { rows } = await deps.pool.query<{ state: string; revoked_at: Date | null }>(
        `SELECT c.state, e.at AS revoked_at FROM credentials c LEFT JOIN credential_events e ON e.idempotency_key = c.id::text || ':revoked' WHERE c.id = $1::uuid`,
        [credentialId],
      );
      deps.log.warn({ err, credentialId, state: rows[0]?.state }, 'holder revocation not confirmed in time');
      if (rows[0]?.state === 'revoked') {
        return revocationAnswerSchema.parse({ status: 'revoked', revokedAt: (rows[0].revoked_at ?? now()).toISOString(), message: REVOKED_MESSAGE });
      }
      return revocationAnswerSchema.parse({ status: 'in_progress', message: REVOCATION_IN_PROGRESS });
    }
  }

  /** A contact-centre operator revokes a caller's PIN (after verifying the caller); the note is audited. */
  /**
   * The contact centre revokes for a caller it has verified (telephone PIN or identity questions):
   * how the caller was identified is recorded before the revocation, with the operator's note.
   */
  async function revokeByOperator(staff: StaffPrincipal, credentialId: string, input: unknown): Promise<{ revokedAt: string }> {
    const { rows } = await deps.pool.query<{ state: string; codice_fiscale: string }>('SELECT state, codice_fiscale FROM credentials WHERE id = $1::uuid', [credentialId]);
    if (!rows[0]) throw notFound();
    if (!(HOLDER_STATES as readonly string[]).includes(rows[0].state)) {
      throw new DomainError(ErrorType.Conflict, { it: 'Il PIN non può essere revocato nel suo stato attuale.', en: 'The PIN cannot be revoked in its current state.' }, [], { state: rows[0].state });
    }
    const { verification, note } = parseInput(staffRevokeBodySchema, input);
    const requestedBy = `operator:${staff.staffId}`;
    const verified = await verifyCaller(staff, rows[0].codice_fiscale, verification);
    await audit(deps.pool, { actor: requestedBy, action: 'revoke.caller_verified', subject: credentialId, decision: 'verified', detail: { ...verified, ...(note ? { operatorNote: note } : {}) } });
    const { revokedAt } = await deps.temporal.workflow
      .getHandle(credentialWorkflowId(credentialId))
      .executeUpdate(revokeCredentialUpdate, { args: [{ requestedBy, reason: 'contact_centre', grant: revocationGrant(deps, credentialId, requestedBy, 'contact_centre') }] });
    return { revokedAt };
  }

  return { revokeByHolder, revokeByOperator };
}

