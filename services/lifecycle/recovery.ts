/**
 * Recovery (ripristino) of a PIN: a request names two contacts registered with the PIN; when they
 * match, a single-use link (stored only as SHA-256, valid 24 hours) goes to the e-mail or PEC; the
 * link's confirmation asks the credential's workflow to re-issue the PIN over two channels. The
 * answer never says whether the codice fiscale exists; tries are limited per codice fiscale.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { HOLDER_STATES, type CredentialRow } from '../../domain/credential';
import { hashLinkToken } from '../../lib/secrets';
import type { ServiceDeps } from '../deps';
import { validateCodiceFiscaleFormat } from '../../domain/codice-fiscale';
import { DomainError, ErrorType, type Bilingual } from '../../domain/errors';
import { appendAudit, audit } from '../../lib/audit';
import { withTransaction, type PoolClient } from '../../lib/db';
import { credentialWorkflowId, reissuePinUpdate } from '../../workflows/definitions';
import { RECOVERY_LINK_WORKFLOW_TYPE, recoveryLinkUsedSignal, recoveryLinkWorkflowId, type RecoveryLinkInput } from '../../workflows/recovery-definitions';
import { RECOVERY_ATTEMPTS, attemptKey, checkQuota, contactsMatch, spendQuota } from '../access/identity-checks';
import { sourceLimiter } from '../access/attempts';
import { reissueGrant } from '../grants';
import { recoveryAcceptedSchema, recoveryConfirmBodySchema, recoveryConfirmationSchema, recoveryRequestBodySchema } from '../schemas/lifecycle';
import { reissueEventKey } from '../../lib/events';
import { WorkflowUpdateFailedError } from '@temporalio/client';

export type RecoveryConfirmation = z.output<typeof recoveryConfirmationSchema>;
import { parseInput } from '../schemas/validate';
import type { recoveryLinkWorkflow } from '../../workflows/recovery';

/** The general rule, always shown: it reveals nothing about any codice fiscale. */
export const RECOVERY_RULE: Bilingual = {
  it: 'Per il ripristino servono il codice fiscale e almeno due dei recapiti indicati nella richiesta del PIN (cellulare, e-mail, PEC). Se hai registrato un solo recapito, chiama il Contact center (803 164 da rete fissa, 06 164 164 da cellulare o dall’estero) per aggiungerne un secondo.',
  en: 'Recovery needs the codice fiscale and at least two of the contacts given in the PIN request (mobile, e-mail, PEC). If you registered only one contact, call the contact centre (803 164 from a landline, +39 06 164 164 from a mobile or from abroad) to add a second one.',
};

const ACCEPTED: Bilingual = {
  it: 'Richiesta ricevuta. Se i dati corrispondono a quelli registrati, riceverai a breve all’indirizzo e-mail o PEC un messaggio con il collegamento per confermare il ripristino, valido 24 ore e utilizzabile una sola volta.',
  en: 'Request received. If the data match those on record, you will shortly receive at your e-mail or PEC address a message with the link to confirm the recovery, valid for 24 hours and usable once.',
};

/** The re-issue was asked for but its outcome is not known yet (the workflow did not answer in time). */
const IN_PROGRESS: Bilingual = {
  it: 'Ripristino confermato e in corso: il PIN precedente non vale più e riceverai le due parti del nuovo PIN (SMS ed e-mail o PEC) appena pronte. Non serve aprire di nuovo il link.',
  en: 'Recovery confirmed and under way: the previous PIN no longer works, and you will get the two parts of the new PIN (text message and e-mail or PEC) as soon as they are ready. There is no need to open the link again.',
};

const LINK_REFUSALS: Record<'LINK_INVALID' | 'LINK_USED' | 'LINK_EXPIRED', Bilingual> = {
  LINK_INVALID: {
    it: 'Il collegamento di conferma non è valido. Controlla di aver copiato l’indirizzo completo, oppure richiedi un nuovo ripristino.',
    en: 'The confirmation link is not valid. Check that you copied the whole address, or request a new recovery.',
  },
  LINK_USED: {
    it: 'Il collegamento di conferma è già stato usato e non vale più: il ripristino è stato eseguito. Se non hai ricevuto il nuovo PIN, richiedi un nuovo ripristino.',
    en: 'The confirmation link was already used and is no longer valid: the recovery was carried out. If you did not get the new PIN, request a new recovery.',
  },
  LINK_EXPIRED: {
    it: 'Il collegamento di conferma è scaduto (vale 24 ore): richiedi un nuovo ripristino.',
    en: 'The confirmation link has expired (it is valid for 24 hours): request a new recovery.',
  },
};

function linkRefused(reason: keyof typeof LINK_REFUSALS): DomainError {
  return new DomainError(ErrorType.Validation, LINK_REFUSALS[reason], [{ field: 'token', code: reason.toLowerCase(), message: LINK_REFUSALS[reason] }], { reason });
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The two steps as functions of the caller's address and the JSON body, shared by the API routes
 * and the portal's pages (portal/recovery-routes.ts). Failures are thrown as `DomainError`.
 */
export function createRecoveryService(deps: Pick<ServiceDeps, 'log' | 'now' | 'pepper' | 'pool' | 'taskQueue' | 'temporal' | 'secrets'>) {
  const now = deps.now ?? (() => new Date());
  const fromSource = sourceLimiter(deps.pool, undefined, now);

  /** Starts the link's workflow; a failure voids the link (the citizen may ask again). */
  async function sendLink(linkId: string): Promise<void> {
    const input: RecoveryLinkInput = { linkId };
    try {
      await deps.temporal.workflow.start<typeof recoveryLinkWorkflow>(RECOVERY_LINK_WORKFLOW_TYPE, { workflowId: recoveryLinkWorkflowId(linkId), taskQueue: deps.taskQueue, args: [input] });
    } catch (err) {
      deps.log.error({ err, linkId }, 'recovery link workflow not started; link voided');
      await deps.pool.query(`UPDATE recovery_links SET status = 'void' WHERE id = $1::uuid AND status = 'requested'`, [linkId]).catch(() => undefined);
    }
  }

  /** Always the same answer (unless the input is malformed or the limit is reached). */
  async function request(req: { ip?: string }, input: unknown): Promise<z.output<typeof recoveryAcceptedSchema>> {
    const body = parseInput(recoveryRequestBodySchema, input);
    const cf = validateCodiceFiscaleFormat(body.codiceFiscale);
    const given = { mobile: body.mobile ?? undefined, email: body.email ?? undefined, pec: body.pec ?? undefined };
    const count = Object.values(given).filter((v) => v !== undefined && v.trim() !== '').length;
    const fields = [...cf.errors];
    if (count < 2) fields.push({ field: 'contacts', code: 'two_contacts_required', message: RECOVERY_RULE });
    if (fields.length) throw new DomainError(ErrorType.Validation, { it: 'Alcuni dati non sono validi.', en: 'Some of the data is not valid.' }, fields);

    await fromSource(req, 'recovery.request');
    const at = now();
    const key = attemptKey(deps.pepper, 'recovery', cf.normalised);
    // Both outcomes run the same statements but one INSERT, and the link is created after the
    // answer: the time taken does not say whether the codice fiscale or the contacts were right.
    const linkId = await withTransaction(deps.pool, async (client) => {
      await checkQuota(client, 'recovery', key, RECOVERY_ATTEMPTS, at);
      const { rows } = await client.query<Pick<CredentialRow, 'id' | 'contacts'>>(
        `SELECT id, contacts FROM credentials WHERE codice_fiscale = $1::text AND state = ANY($2::text[])`,
        [cf.normalised, HOLDER_STATES],
      );
      const credential = rows[0];
      const matched = credential !== undefined && contactsMatch(given, credential.contacts, 2);
      let id: string | undefined;
      if (matched) {
        await spendQuota(client, 'recovery', key, at);
        // The link goes to the e-mail if it was given (and matched), else to the PEC.
        const channel = given.email?.trim() ? 'email' : 'pec';
        const inserted = await client.query<{ id: string }>(
          `INSERT INTO recovery_links (id, credential_id, channel, requested_at) VALUES (gen_random_uuid(), $1::uuid, $2::text, $3::timestamptz) RETURNING id`,
          [credential.id, channel, at],
        );
        id = inserted.rows[0]!.id;
      }
      await appendAudit(client, {
        actor: `ip:${req.ip ?? 'unknown'}`,
        action: 'recovery.request',
        subject: credential?.id ?? 'unknown',
        decision: matched ? 'link_requested' : 'not_matched',
        detail: credential ? { ...(id ? { linkId: id } : {}) } : { identifier: key.subarray(0, 8).toString('hex') },
      });
      return id;
    });
    // Started after the answer is decided, and not awaited by it (see above).
    if (linkId) setImmediate(() => void sendLink(linkId));
    return recoveryAcceptedSchema.parse({ status: 'received', message: ACCEPTED, rule: RECOVERY_RULE });
  }

  /** The re-issue recorded for a link, if the credential's workflow has made it. */
  async function reissueOf(credentialId: string, linkId: string, db: Pick<PoolClient, 'query'> = deps.pool): Promise<number | undefined> {
    const { rows } = await db.query<{ pin_version: number }>(
      `SELECT (data->>'pinVersion')::int AS pin_version FROM credential_events WHERE idempotency_key = $1::text`,
      [reissueEventKey(credentialId, `recovery:${linkId}`)],
    );
    return rows[0]?.pin_version;
  }

  /**
   * Confirms a recovery link. The link is marked used first, in a transaction of its own; then,
   * with no transaction open, the credential's workflow is asked to re-issue the PIN, keyed by the
   * link (Temporal's update id, and the event the activity records), so a retry never re-issues
   * twice. When the workflow does not answer in time the citizen is told the re-issue is under
   * way (`in_progress`), not that it failed; opening the link again asks again, harmlessly.
   */
  async function confirm(req: { ip?: string }, input: unknown): Promise<RecoveryConfirmation> {
    const { token } = parseInput(recoveryConfirmBodySchema, input);
    if (!TOKEN.test(token)) throw linkRefused('LINK_INVALID');
    const at = now();
    const actor = `ip:${req.ip ?? 'unknown'}`;
    let refusal: { reason: keyof typeof LINK_REFUSALS; linkId?: string } | undefined;
    const link = await withTransaction(deps.pool, async (client) => {
      // The row lock makes a second use wait for the first and then see it used.
      const { rows } = await client.query<{ id: string; credential_id: string; status: string; expires_at: Date | null; state: string }>(
        `SELECT l.id, l.credential_id, l.status, l.expires_at, c.state
           FROM recovery_links l JOIN credentials c ON c.id = l.credential_id
          WHERE l.token_hash = $1::bytea FOR UPDATE OF l`,
        [hashLinkToken(token)],
      );
      const row = rows[0];
      if (!row || row.status === 'void' || row.status === 'requested') refusal = { reason: 'LINK_INVALID', linkId: row?.id };
      // Used and its re-issue made: spent. Used without it: an earlier confirmation is under way; ask again.
      else if (row.status === 'used' && (await reissueOf(row.credential_id, row.id, client)) !== undefined) refusal = { reason: 'LINK_USED', linkId: row.id };
      else if (row.status !== 'used' && (row.status === 'expired' || !row.expires_at || row.expires_at.getTime() <= at.getTime())) refusal = { reason: 'LINK_EXPIRED', linkId: row.id };
      if (refusal || !row) return undefined;
      let voided: string[] = [];
      if (row.status !== 'used') {
        if (!(HOLDER_STATES as readonly string[]).includes(row.state)) {
          throw new DomainError(ErrorType.Conflict, { it: 'Il PIN non può essere ripristinato in questo momento.', en: 'The PIN cannot be recovered at this time.' }, [], { reason: 'NOT_RECOVERABLE' });
        }
        await client.query(`UPDATE recovery_links SET status = 'used', used_at = $2::timestamptz WHERE id = $1::uuid`, [row.id, at]);
        const others = await client.query<{ id: string }>(
          `UPDATE recovery_links SET status = 'void' WHERE credential_id = $1::uuid AND id <> $2::uuid AND status IN ('requested', 'sent') RETURNING id`,
          [row.credential_id, row.id],
        );
        voided = others.rows.map((o) => o.id);
        await appendAudit(client, { actor, action: 'recovery.confirm', subject: row.credential_id, decision: 'confirmed', detail: { linkId: row.id } });
      }
      return { id: row.id, credentialId: row.credential_id, voided };
    });
    if (!link) {
      await audit(deps.pool, { actor, action: 'recovery.confirm', subject: refusal?.linkId ?? 'unknown', decision: 'refused', detail: { reason: refusal!.reason } });
      throw linkRefused(refusal!.reason);
    }

    let pinVersion: number | undefined;
    try {
      ({ pinVersion } = await deps.temporal.workflow
        .getHandle(credentialWorkflowId(link.credentialId))
        .executeUpdate(reissuePinUpdate, {
          // The update id stays in the history in clear: a digest of the link, not its id.
          updateId: `recovery-${createHash('sha256').update(link.id).digest('base64url').slice(0, 22)}`,
          args: [{ requestedBy: 'citizen:recovery-link', reason: 'recovery', requestKey: `recovery:${link.id}`, grant: reissueGrant(deps, link.credentialId, 'citizen:recovery-link', 'recovery') }],
        }));
    } catch (err) {
      // The answer may have been lost after the re-issue was made (in this run or, after it
      // continued as new, the last one): the database says.
      pinVersion = await reissueOf(link.credentialId, link.id);
      if (pinVersion === undefined) {
        const refused = err instanceof WorkflowUpdateFailedError;
        deps.log.warn({ err, linkId: link.id }, refused ? 'recovery re-issue refused by the workflow' : 'recovery re-issue not confirmed in time');
        // A workflow's refusal is final (the link stays used: a new request sends a new one);
        // anything else means "not known yet".
        if (refused) throw err;
        return recoveryConfirmationSchema.parse({ status: 'in_progress', message: IN_PROGRESS });
      }
    }
    await audit(deps.pool, { actor, action: 'recovery.confirm', subject: link.credentialId, decision: 'pin_reissued', detail: { linkId: link.id, pinVersion } });
    // The links' workflows may stop waiting out their lifetime (best effort: they expire anyway).
    for (const id of [link.id, ...link.voided]) {
      await deps.temporal.workflow.getHandle(recoveryLinkWorkflowId(id)).signal(recoveryLinkUsedSignal).catch(() => undefined);
    }
    return recoveryConfirmationSchema.parse({
      status: 'confirmed',
      pinVersion,
      message: {
        it: 'Ripristino confermato: il PIN precedente non vale più. Riceverai la prima parte del nuovo PIN via SMS e la seconda per e-mail o PEC; poi fai il primo accesso con tutti i 16 caratteri.',
        en: 'Recovery confirmed: the previous PIN no longer works. You will get the first part of the new PIN by text message and the second by e-mail or PEC; then make the first access with all 16 characters.',
      },
    });
  }

  return { request, confirm };
}

