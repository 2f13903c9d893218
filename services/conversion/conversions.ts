/**
 * Conversion requests: the case row (with its risk flags and whether an approval needs a second
 * clerk) and the documents attached in one transaction, then the credential's workflow opens the
 * review. A retried request finds the open case and asks the workflow again (idempotent there).
 *
 * A citizen's online request whose update did not get an answer in time is received all the same
 * (its case and documents are recorded, and the citizen is told so): the workflow is asked again
 * after the answer, with a deadline of its own, so the review opens without a second request.
 * Should this process end first, the conversion sweep (workflows/conversion-sweep.ts) asks again.
 */
import { createHash, randomUUID } from 'node:crypto';
import { definitelyRefused, releaseUnopenedCase } from '../../lib/review-cases';
import type { ServiceDeps } from '../deps';
import { withTransaction } from '../../lib/db';
import { appendAudit } from '../../lib/audit';
import { DomainError, ErrorType } from '../../domain/errors';
import { credentialWorkflowId, requestConversionUpdate } from '../../workflows/definitions';
import { outcomeUnknown } from '../temporal-outcome';

export type ConversionSource = 'online' | 'fax' | 'office';

/** Share of ordinary cases sampled for a second review, unless configured (a random share of ordinary cases gets a second clerk; docs/decisions/0012). */
const DEFAULT_SECOND_REVIEW_SAMPLE_RATE = 0.1;

/** Deterministic sampling: the same case is always in or out of the sample. */
function sampledForSecondReview(caseId: string, rate: number): boolean {
  const n = createHash('sha256').update(caseId).digest().readUInt32BE(0);
  return n / 0x1_0000_0000 < rate;
}

const notAllowed = (it: string, en: string) => new DomainError(ErrorType.Conflict, { it, en });

export async function openConversion(
  deps: Pick<ServiceDeps, 'pool' | 'temporal' | 'secondReviewSampleRate'> & { log?: Pick<ServiceDeps['log'], 'warn' | 'error'> },
  args: { credentialId: string; documentIds: string[]; source: ConversionSource; createdBy: string },
): Promise<{ caseId: string; status: string }> {
  const rate = deps.secondReviewSampleRate ?? DEFAULT_SECOND_REVIEW_SAMPLE_RATE;
  const caseId = await withTransaction(deps.pool, async (client) => {
    const { rows } = await client.query<{ state: string; pin_type: string }>('SELECT state, pin_type FROM credentials WHERE id = $1::uuid FOR UPDATE', [
      args.credentialId,
    ]);
    const credential = rows[0];
    if (!credential) throw new DomainError(ErrorType.NotFound, { it: 'Credenziale non trovata.', en: 'Credential not found.' });
    if (credential.pin_type === 'dispositivo') throw notAllowed('Il PIN è già dispositivo.', 'The PIN is already a dispositivo PIN.');
    if (credential.state !== 'active' && credential.state !== 'pin_expired') {
      throw notAllowed('Il PIN non può essere convertito nel suo stato attuale.', 'The PIN cannot be converted in its current state.');
    }
    const open = await client.query<{ id: string }>(
      `SELECT id FROM review_cases WHERE credential_id = $1::uuid AND status IN ('open', 'claimed', 'awaiting_second_review')`,
      [args.credentialId],
    );
    if (open.rows[0]) return open.rows[0].id;

    const docs = await client.query<{ id: string; kind: string }>(
      'SELECT id, kind FROM documents WHERE id = ANY($1::uuid[]) AND credential_id = $2::uuid AND case_id IS NULL',
      [args.documentIds, args.credentialId],
    );
    // Documents of someone else, or already used, are "not found": their existence is not told.
    if (docs.rowCount !== new Set(args.documentIds).size) {
      throw new DomainError(ErrorType.NotFound, { it: 'Documento non trovato o già usato.', en: 'Document not found or already used.' });
    }
    const kinds = new Set(docs.rows.map((d) => d.kind));
    if (args.source === 'online' && !(kinds.has('signed_request') && kinds.has('identity_document'))) {
      throw new DomainError(
        ErrorType.Validation,
        { it: 'Servono il modulo firmato e il documento di identità.', en: 'The signed form and the identity document are both needed.' },
        [{ field: 'documents', code: 'missing_document', message: { it: 'Modulo firmato e documento di identità', en: 'Signed form and identity document' } }],
      );
    }

    const flags = await riskFlags(client, args.credentialId, args.source);
    const id = randomUUID();
    const secondReview = flags.length > 0 || sampledForSecondReview(id, rate);
    await client.query(
      `INSERT INTO review_cases (id, credential_id, source, high_risk, risk_flags, second_review_required, created_by)
       VALUES ($1::uuid, $2::uuid, $3::text, $4::boolean, $5::jsonb, $6::boolean, $7::text)`,
      [id, args.credentialId, args.source, flags.length > 0, JSON.stringify(flags), secondReview, args.createdBy],
    );
    await client.query('UPDATE documents SET case_id = $1::uuid WHERE id = ANY($2::uuid[])', [id, args.documentIds]);
    await client.query(
      `INSERT INTO credential_events (idempotency_key, credential_id, type, actor, data) VALUES ($1::text, $2::uuid, 'conversion_requested', $3::text, $4::jsonb)`,
      [`${id}:requested`, args.credentialId, args.createdBy, JSON.stringify({ caseId: id, source: args.source })],
    );
    await appendAudit(client, { actor: args.createdBy, action: 'conversion_requested', subject: args.credentialId, detail: { caseId: id, source: args.source } });
    return id;
  });

  const ask = () => deps.temporal.workflow.getHandle(credentialWorkflowId(args.credentialId)).executeUpdate(requestConversionUpdate, { args: [{ caseId }] });
  // The workflow refused (its state moved on) or has ended: the case never opens, its documents are free again.
  const refused = () => releaseUnopenedCase(deps.pool, caseId);
  try {
    await ask();
  } catch (err) {
    if (definitelyRefused(err)) await refused();
    if (args.source !== 'online' || !outcomeUnknown(err)) throw err;
    deps.log?.warn({ err, caseId }, 'conversion request not confirmed in time; asked again after the answer');
    setImmediate(() => void askAgain(deps, ask, refused, caseId));
  }
  return { caseId, status: 'open' };
}

/** Asks the workflow again to open a review whose first request got no answer (idempotent there), a few times. */
async function askAgain(
  deps: Pick<ServiceDeps, 'temporal'> & { log?: Pick<ServiceDeps['log'], 'warn' | 'error'> },
  ask: () => Promise<unknown>,
  refused: () => Promise<unknown>,
  caseId: string,
): Promise<void> {
  for (const pauseMs of [0, 2_000, 10_000, 60_000]) {
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    try {
      await deps.temporal.withDeadline(Date.now() + 10_000, ask);
      return;
    } catch (err) {
      if (definitelyRefused(err)) {
        await refused().catch(() => undefined);
        return;
      }
      if (!outcomeUnknown(err)) return;
    }
  }
  deps.log?.error({ caseId }, 'conversion request still not confirmed by the workflow; the conversion sweep asks again');
}

/**
 * Why a case is high risk (each needs a second clerk): a declared residence that differs from
 * the institute's records, a recent lock-out, a recent recovery or contact change, a fax.
 */
async function riskFlags(client: { query: ServiceDeps['pool']['query'] }, credentialId: string, source: ConversionSource): Promise<string[]> {
  const { rows } = await client.query<{ mismatch: boolean; lockout: boolean; recent_change: boolean }>(
    `SELECT
       EXISTS (SELECT 1 FROM callback_tasks WHERE credential_id = $1::uuid AND reason = 'residence_mismatch') AS mismatch,
       EXISTS (SELECT 1 FROM credential_access WHERE credential_id = $1::uuid AND consecutive_failures >= 3
                 AND last_failure_at > now() - interval '30 days') AS lockout,
       EXISTS (SELECT 1 FROM credential_events WHERE credential_id = $1::uuid AND at > now() - interval '30 days'
                 AND type IN ('contacts_changed', 'reissue_recovery')) AS recent_change`,
    [credentialId],
  );
  const r = rows[0]!;
  return [
    ...(r.mismatch ? ['residence_mismatch'] : []),
    ...(r.lockout ? ['recent_lockout'] : []),
    ...(r.recent_change ? ['recent_recovery_or_contact_change'] : []),
    ...(source === 'fax' ? ['fax_source'] : []),
  ];
}
