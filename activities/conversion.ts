/**
 * Activities of the conversion to dispositivo and of benefit claims: the review case's rows
 * (claim, decisions, escalation), the conversion itself with the release of held claims, and
 * the claim's hand-off to processing. Each is idempotent by the row it moves.
 */
import { randomUUID } from 'node:crypto';
import { grantHolds, type AuthorityGrant } from '../lib/authority';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { PoolClient } from 'pg';
import { withTransaction } from '../lib/db';
import { appendAudit } from '../lib/audit';
import { reviewEscalations } from '../lib/metrics';
import { ErrorType } from '../domain/errors';
import { heldAtFiling, type StoredClaimStatus } from '../domain/claims';
import { serviceById } from '../domain/services';
import type { ActivityDeps } from './deps';
import { recordEvent } from '../lib/events';
import { definitelyRefused, releaseUnopenedCase } from '../lib/review-cases';
import { credentialWorkflowId, requestConversionUpdate } from '../workflows/definitions';
import type { ConversionSweepInput, ConversionSweepResult } from '../workflows/conversion-sweep-definitions';
import { enqueueNotification, loadCredential } from './issuance';
import { claimDecidedMessage, claimReceivedMessage, conversionApprovedMessage, conversionRejectedMessage, reviewInProgressMessage } from './templates';
import { isRejectionReasonCode, REJECTION_REASONS, rejectionText } from '../domain/review-reasons';

/** How long the sweep waits for one credential's workflow to answer. */
const SWEEP_ASK_DEADLINE_MS = 10_000;
/** Unanswered asks in a row after which a sweep stops and leaves the rest to the next run. */
const SWEEP_SILENT_LIMIT = 5;

/** Outcome notices go to the e-mail and PEC (a reason does not fit an SMS). */
const MAIL_CHANNELS = ['email', 'pec'] as const;

export type ReviewAction = 'claim' | 'first_approval' | 'approve' | 'reject';

/**
 * The conversion's outcome is acted on only when the case row, written by a clerk's granted
 * decision, says so for this credential: a decision signalled to the credential's workflow by
 * anyone else changes nothing.
 */
async function requireDecidedCase(client: PoolClient, caseId: string, credentialId: string, status: 'approved' | 'rejected'): Promise<void> {
  const { rows } = await client.query<{ status: string }>('SELECT status FROM review_cases WHERE id = $1::uuid AND credential_id = $2::uuid', [caseId, credentialId]);
  if (rows[0]?.status !== status) throw ApplicationFailure.nonRetryable('NO_SUCH_DECISION', ErrorType.Forbidden);
}

export function createConversionActivities(deps: ActivityDeps) {
  const { pool } = deps;

  return {
    /** Records the escalation deadline; answers whether an approval needs a second clerk. */
    async openReview({ caseId, escalateAt }: { caseId: string; escalateAt: string }): Promise<{ secondReviewRequired: boolean }> {
      const { rows } = await pool.query<{ second_review_required: boolean }>(
        `UPDATE review_cases SET escalate_at = coalesce(escalate_at, $2::timestamptz) WHERE id = $1::uuid RETURNING second_review_required`,
        [caseId, escalateAt],
      );
      if (!rows[0]) throw ApplicationFailure.nonRetryable(`review case ${caseId} not found`, ErrorType.NotFound);
      return { secondReviewRequired: rows[0].second_review_required };
    },

    /**
     * Asks each credential's workflow again to open the review of a conversion request it never
     * opened: a case still open with no escalation deadline (the review writes one first) some
     * minutes after it was filed. The API asks again itself when an answer is lost, but only in
     * its own process; this runs on a schedule (workflows/conversion-sweep.ts). Idempotent in the
     * workflow; a refusal or an ended workflow releases the case and its documents.
     */
    async reaskUnopenedConversions({ olderThanMinutes, limit }: Required<ConversionSweepInput>): Promise<ConversionSweepResult> {
      const { rows } = await pool.query<{ id: string; credential_id: string }>(
        `SELECT id, credential_id FROM review_cases
          WHERE status = 'open' AND escalate_at IS NULL AND created_at < now() - make_interval(mins => $1::int)
          ORDER BY created_at LIMIT $2::int`,
        [olderThanMinutes, limit],
      );
      const { client } = Context.current();
      const result: ConversionSweepResult = { found: rows.length, opened: 0, released: 0, unanswered: 0 };
      let silentInARow = 0;
      for (const [i, c] of rows.entries()) {
        if (silentInARow >= SWEEP_SILENT_LIMIT) {
          // Temporal is not answering at all: the rest waits for the next run.
          result.unanswered += rows.length - i;
          break;
        }
        try {
          const ask = () => client.workflow.getHandle(credentialWorkflowId(c.credential_id)).executeUpdate(requestConversionUpdate, { args: [{ caseId: c.id }] });
          await client.withDeadline(Date.now() + SWEEP_ASK_DEADLINE_MS, ask);
          result.opened++;
          silentInARow = 0;
        } catch (err) {
          if (definitelyRefused(err)) {
            silentInARow = 0;
            if (await releaseUnopenedCase(pool, c.id)) result.released++;
          } else {
            // No answer (the frontend busy, the workflow's worker away): the next run asks again.
            silentInARow++;
            result.unanswered++;
            deps.log.warn({ err, caseId: c.id }, 'conversion sweep: no answer from the credential workflow');
          }
        }
      }
      if (rows.length > 0) deps.log.info(result, 'conversion sweep: unopened reviews asked again');
      return result;
    },

    /** One accepted clerk action: the case row, the credential's timeline and the audit log. */
    async recordReviewAction(input: {
      caseId: string;
      action: ReviewAction;
      staffId: string;
      /** A rejection's reason code (domain/review-reasons.ts) and the clerk's note for the staff. */
      reasonCode?: string;
      note?: string;
      /** The free-text reason of a decision made before reason codes (a workflow of that time). */
      reason?: string;
      /** What the API vouched for: the reviewer's role, the command, and its grant (lib/authority.ts). */
      authority?: { role: string; command: string; grant?: AuthorityGrant };
    }): Promise<void> {
      // Before anything is written: a reviewer the API did not authenticate is refused, for good.
      const claim = { actor: `staff:${input.staffId}`, role: input.authority?.role ?? '', target: input.caseId, action: input.authority?.command ?? '' };
      if (!grantHolds(deps.keys.secrets, claim, input.authority?.grant)) {
        throw ApplicationFailure.nonRetryable('FORGED_AUTHORITY', ErrorType.Forbidden);
      }
      await withTransaction(pool, async (client) => {
        const { rows } = await client.query<{ credential_id: string }>('SELECT credential_id FROM review_cases WHERE id = $1::uuid FOR UPDATE', [input.caseId]);
        if (!rows[0]) throw ApplicationFailure.nonRetryable(`review case ${input.caseId} not found`, ErrorType.NotFound);
        const actor = `staff:${input.staffId}`;
        const reason = input.reason ?? null;
        // A code only with a rejection (the workflow checked it; the column's CHECK knows the list).
        const reasonCode = input.action === 'reject' && isRejectionReasonCode(input.reasonCode) ? input.reasonCode : null;
        const note = input.note ?? null;
        switch (input.action) {
          case 'claim':
            await client.query(`UPDATE review_cases SET status = 'claimed', claimed_by = $2::text, claimed_at = now() WHERE id = $1::uuid`, [input.caseId, input.staffId]);
            break;
          case 'first_approval':
            await client.query(
              `UPDATE review_cases SET status = 'awaiting_second_review', first_decision_by = $2::text, first_decision_at = now(), reason = $3::text, note = $4::text WHERE id = $1::uuid`,
              [input.caseId, input.staffId, reason, note],
            );
            break;
          case 'approve':
          case 'reject':
            await client.query(
              `UPDATE review_cases SET status = $2::text, decided_by = $3::text, decided_at = now(), reason = coalesce($4::text, reason),
                      reason_code = $5::text, note = coalesce($6::text, note),
                      first_decision_by = coalesce(first_decision_by, $3::text), first_decision_at = coalesce(first_decision_at, now())
                WHERE id = $1::uuid`,
              [input.caseId, input.action === 'approve' ? 'approved' : 'rejected', input.staffId, reason, reasonCode, note],
            );
            break;
        }
        const credentialId = rows[0].credential_id;
        await recordEvent(
          client,
          credentialId,
          `review_${input.action}`,
          actor,
          { caseId: input.caseId, ...(reasonCode ? { reasonCode } : {}), ...(note ? { note } : {}), ...(reason ? { reason } : {}) },
          `${input.caseId}:${input.action}:${input.staffId}`,
        );
        await appendAudit(client, { actor, action: `review_${input.action}`, subject: credentialId, decision: input.action, detail: { caseId: input.caseId } });
      });
    },

    /** Five working days passed: the supervisors' queue shows it, and the citizen is told it is in progress. */
    async escalateReview({ caseId }: { caseId: string }): Promise<{ outboxIds: string[] }> {
      let escalatedNow = false;
      const result = await withTransaction(pool, async (client) => {
        const { rows } = await client.query<{ credential_id: string; escalated_at: Date | null }>(
          'SELECT credential_id, escalated_at FROM review_cases WHERE id = $1::uuid FOR UPDATE',
          [caseId],
        );
        if (!rows[0]) throw ApplicationFailure.nonRetryable(`review case ${caseId} not found`, ErrorType.NotFound);
        const credentialId = rows[0].credential_id;
        if (!rows[0].escalated_at) {
          escalatedNow = true;
          await client.query('UPDATE review_cases SET escalated_at = now() WHERE id = $1::uuid', [caseId]);
          await client.query(
            `INSERT INTO operational_alerts (id, idempotency_key, credential_id, kind, detail) VALUES ($1::uuid, $2::text, $3::uuid, 'review_escalated', $4::jsonb)
             ON CONFLICT (idempotency_key) DO NOTHING`,
            [randomUUID(), `${caseId}:escalated`, credentialId, JSON.stringify({ caseId })],
          );
          await recordEvent(client, credentialId, 'review_escalated', 'system', { caseId }, `${caseId}:escalated`);
          await appendAudit(client, { actor: 'system', action: 'review_escalated', subject: credentialId, detail: { caseId } });
        }
        const c = await loadCredential(client, credentialId);
        const rowsOut = await enqueueNotification(deps, client, c, 'review-in-progress', caseId, () => reviewInProgressMessage(c.holder), MAIL_CHANNELS);
        return { outboxIds: rowsOut.map((r) => r.outboxId) };
      });
      if (escalatedNow) reviewEscalations.inc();
      return result;
    },

    /**
     * The PIN becomes dispositivo (same PIN, sessions widen at once because they read the type
     * per request); held claims are released in the same transaction through `claim_releases`.
     */
    async convertToDispositivo({ credentialId, caseId }: { credentialId: string; caseId: string }): Promise<{ releasedClaimIds: string[]; outboxIds: string[] }> {
      return withTransaction(pool, async (client) => {
        await requireDecidedCase(client, caseId, credentialId, 'approved');
        const c = await loadCredential(client, credentialId, true);
        const { rowCount } = await client.query(
          `UPDATE credentials SET pin_type = 'dispositivo', updated_at = now() WHERE id = $1::uuid AND pin_type <> 'dispositivo' AND state <> 'revoked'`,
          [credentialId],
        );
        const released = await client.query<{ id: string }>(
          `UPDATE benefit_claims SET status = 'released', released_at = now()
            WHERE credential_id = $1::uuid AND status = 'waiting_for_dispositivo' RETURNING id`,
          [credentialId],
        );
        for (const { id } of released.rows) {
          await client.query('INSERT INTO claim_releases (claim_id, credential_id) VALUES ($1::uuid, $2::uuid) ON CONFLICT DO NOTHING', [id, credentialId]);
        }
        if (rowCount) {
          await recordEvent(client, credentialId, 'converted_to_dispositivo', 'system', { caseId, releasedClaims: released.rowCount }, `${caseId}:converted`);
          await appendAudit(client, { actor: 'system', action: 'convert_to_dispositivo', subject: credentialId, decision: 'approved', detail: { caseId } });
        }
        // Claims released by a first attempt of this activity are still waiting for their signal.
        const pending = await client.query<{ claim_id: string }>(
          'SELECT claim_id FROM claim_releases WHERE credential_id = $1::uuid AND signalled_at IS NULL ORDER BY created_at',
          [credentialId],
        );
        const notices = await enqueueNotification(deps, client, c, 'conversion-approved', caseId, () => conversionApprovedMessage(c.holder), MAIL_CHANNELS);
        return { releasedClaimIds: pending.rows.map((r) => r.claim_id), outboxIds: notices.map((n) => n.outboxId) };
      });
    },

    /**
     * The rejection's notice, with the reason in each language from the case row (the clerk's
     * note stays with the staff); a case decided before reason codes says its free text.
     */
    async closeRejectedConversion(input: { credentialId: string; caseId: string; reason: string }): Promise<{ outboxIds: string[] }> {
      return withTransaction(pool, async (client) => {
        await requireDecidedCase(client, input.caseId, input.credentialId, 'rejected');
        const { rows } = await client.query<{ reason_code: string | null; reason: string | null }>('SELECT reason_code, reason FROM review_cases WHERE id = $1::uuid', [input.caseId]);
        const said = rejectionText(rows[0]?.reason_code, rows[0]?.reason ?? input.reason) ?? REJECTION_REASONS.other.text;
        const c = await loadCredential(client, input.credentialId);
        await recordEvent(client, input.credentialId, 'conversion_rejected', 'system', { caseId: input.caseId }, `${input.caseId}:rejected`);
        const notices = await enqueueNotification(deps, client, c, 'conversion-rejected', input.caseId, () => conversionRejectedMessage(c.holder, said), MAIL_CHANNELS);
        return { outboxIds: notices.map((n) => n.outboxId) };
      });
    },

    async markClaimReleasesSignalled({ claimIds }: { claimIds: string[] }): Promise<void> {
      if (claimIds.length === 0) return;
      await pool.query('UPDATE claim_releases SET signalled_at = coalesce(signalled_at, now()) WHERE claim_id = ANY($1::uuid[])', [claimIds]);
    },

    async loadClaimStatus({ claimId }: { claimId: string }): Promise<{ status: StoredClaimStatus }> {
      const { rows } = await pool.query<{ status: StoredClaimStatus }>('SELECT status FROM benefit_claims WHERE id = $1::uuid', [claimId]);
      if (!rows[0]) throw ApplicationFailure.nonRetryable(`claim ${claimId} not found`, ErrorType.NotFound);
      return { status: rows[0].status };
    },

    /**
     * The claimant's confirmation that the claim was received: its protocol number, the received
     * time and whether it is processed now or waits for the dispositivo PIN. Queued once per claim
     * (the outbox row's key), to the claimant also when a delegate filed it.
     */
    async noticeClaimReceived({ claimId }: { claimId: string }): Promise<{ outboxIds: string[] }> {
      return withTransaction(pool, async (client) => {
        const { rows } = await client.query<{
          credential_id: string;
          protocol: string;
          claim_type: string;
          status: StoredClaimStatus;
          received_at: Date;
          processing_at: Date | null;
          filed_by: string;
          released_by_conversion: boolean;
        }>(
          `SELECT b.credential_id, b.protocol, b.claim_type, b.status, b.received_at, b.processing_at, b.filed_by,
                  EXISTS (SELECT 1 FROM claim_releases r WHERE r.claim_id = b.id) AS released_by_conversion
             FROM benefit_claims b WHERE b.id = $1::uuid`,
          [claimId],
        );
        const claim = rows[0];
        if (!claim) throw ApplicationFailure.nonRetryable(`claim ${claimId} not found`, ErrorType.NotFound);
        const c = await loadCredential(client, claim.credential_id);
        const received = {
          protocol: claim.protocol,
          name: serviceById(claim.claim_type)?.name ?? { it: claim.claim_type, en: claim.claim_type },
          receivedAt: claim.received_at.toISOString(),
          held: heldAtFiling({ status: claim.status, releasedByConversion: claim.released_by_conversion, processingAt: claim.processing_at }),
          byDelegate: claim.filed_by.startsWith('delegate:'),
        };
        const notices = await enqueueNotification(deps, client, c, 'claim-received', claimId, () => claimReceivedMessage(c.holder, received), MAIL_CHANNELS);
        return { outboxIds: notices.map((n) => n.outboxId) };
      });
    },

    /** The claimant withdraws the claim before any decision; idempotent. */
    async withdrawClaim({ claimId, by }: { claimId: string; by: string }): Promise<void> {
      await withTransaction(pool, async (client) => {
        const { rows } = await client.query<{ credential_id: string; protocol: string; status: string }>('SELECT credential_id, protocol, status FROM benefit_claims WHERE id = $1::uuid FOR UPDATE', [claimId]);
        const claim = rows[0];
        if (!claim) throw ApplicationFailure.nonRetryable(`claim ${claimId} not found`, ErrorType.NotFound);
        if (claim.status === 'withdrawn') return;
        if (!['waiting_for_dispositivo', 'released', 'in_processing'].includes(claim.status)) throw ApplicationFailure.nonRetryable(`claim is ${claim.status}`, ErrorType.Conflict);
        await client.query(`UPDATE benefit_claims SET status = 'withdrawn', ended_at = now(), ended_by = $2::text WHERE id = $1::uuid`, [claimId, by]);
        await recordEvent(client, claim.credential_id, 'claim_withdrawn', by, { claimId, protocol: claim.protocol }, `${claimId}:withdrawn`);
        await appendAudit(client, { actor: by, action: 'claim_withdrawn', subject: claim.credential_id, detail: { claimId, protocol: claim.protocol } });
      });
    },

    /**
     * The back office's decision on a claim in processing, made by a clerk the API authenticated
     * (grant checked before anything is written); the claimant is told, with the reason.
     */
    async decideClaim(input: { claimId: string; decision: 'accepted' | 'rejected'; reason?: string; staffId: string; role: string; grant?: AuthorityGrant }): Promise<{ outboxIds: string[] }> {
      const actor = `staff:${input.staffId}`;
      if (!grantHolds(deps.keys.secrets, { actor, role: input.role, target: input.claimId, action: `claim:${input.decision}`, detail: input.reason ?? '' }, input.grant)) {
        throw ApplicationFailure.nonRetryable('FORGED_AUTHORITY', ErrorType.Forbidden);
      }
      return withTransaction(pool, async (client) => {
        const { rows } = await client.query<{ credential_id: string; protocol: string; status: string }>('SELECT credential_id, protocol, status FROM benefit_claims WHERE id = $1::uuid FOR UPDATE', [input.claimId]);
        const claim = rows[0];
        if (!claim) throw ApplicationFailure.nonRetryable(`claim ${input.claimId} not found`, ErrorType.NotFound);
        if (claim.status === 'in_processing') {
          await client.query(`UPDATE benefit_claims SET status = $2::text, ended_at = now(), ended_by = $3::text, reason = $4::text WHERE id = $1::uuid`, [
            input.claimId,
            input.decision,
            actor,
            input.reason ?? null,
          ]);
          await recordEvent(client, claim.credential_id, `claim_${input.decision}`, actor, { claimId: input.claimId, protocol: claim.protocol }, `${input.claimId}:decided`);
          await appendAudit(client, { actor, action: 'claim_decision', subject: claim.credential_id, decision: input.decision, detail: { claimId: input.claimId, protocol: claim.protocol } });
        } else if (claim.status !== input.decision) {
          throw ApplicationFailure.nonRetryable(`claim is ${claim.status}`, ErrorType.Conflict);
        }
        const c = await loadCredential(client, claim.credential_id);
        const notices = await enqueueNotification(deps, client, c, 'claim-decided', input.claimId, () => claimDecidedMessage(c.holder, claim.protocol, input.decision, input.reason), MAIL_CHANNELS);
        return { outboxIds: notices.map((n) => n.outboxId) };
      });
    },

    /** The claim goes to the benefits back office (here: its status), once. */
    async beginClaimProcessing({ claimId }: { claimId: string }): Promise<{ releasedAt: string }> {
      return withTransaction(pool, async (client) => {
        const { rows } = await client.query<{ credential_id: string; protocol: string; released_at: Date | null; status: string }>(
          'SELECT credential_id, protocol, released_at, status FROM benefit_claims WHERE id = $1::uuid FOR UPDATE',
          [claimId],
        );
        const claim = rows[0];
        if (!claim) throw ApplicationFailure.nonRetryable(`claim ${claimId} not found`, ErrorType.NotFound);
        if (claim.status === 'waiting_for_dispositivo') throw ApplicationFailure.nonRetryable('claim is still waiting for a dispositivo PIN', ErrorType.Conflict);
        if (['accepted', 'rejected', 'withdrawn', 'cancelled'].includes(claim.status)) throw ApplicationFailure.nonRetryable(`claim is ${claim.status}`, ErrorType.Conflict);
        const updated = await client.query<{ released_at: Date }>(
          `UPDATE benefit_claims SET status = 'in_processing', processing_at = coalesce(processing_at, now()), released_at = coalesce(released_at, now())
            WHERE id = $1::uuid RETURNING released_at`,
          [claimId],
        );
        if (claim.status !== 'in_processing') {
          await recordEvent(client, claim.credential_id, 'claim_in_processing', 'system', { claimId, protocol: claim.protocol }, `${claimId}:processing`);
        }
        return { releasedAt: updated.rows[0]!.released_at.toISOString() };
      });
    },
  };
}
