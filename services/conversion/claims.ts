/**
 * Benefit claims: which a session may file (by profile and PIN type), filing one idempotently
 * (held until the PIN becomes dispositivo when the claim needs it, or processed at once), and
 * reading them back. Each claim has its own workflow (`claim-<claimId>`).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { DomainError, ErrorType, type Bilingual } from '../../domain/errors';
import { SERVICES, audienceIncludes, isCovidBonusClaimType, onOffer, serviceById, type Catalogue, type Service } from '../../domain/services';
import { appendAudit, type AuditEntry } from '../../lib/audit';
import { withTransaction } from '../../lib/db';
import type { benefitClaimWorkflow } from '../../workflows/claim';
import { CLAIM_ENDS, CLAIM_WORKFLOW_TYPE, claimStateQuery, claimWorkflowId, decideClaimUpdate, withdrawClaimUpdate, type ClaimInput } from '../../workflows/claim-definitions';
import { heldAtFiling, type StoredClaimStatus } from '../../domain/claims';
import { renderClaimReceipt } from '../../forms/claim-receipt';
import { commandGrant } from '../grants';
import type { StaffPrincipal } from '../staff/auth';
import { type CitizenPrincipal } from '../access/sessions';
import type { ServiceDeps } from '../deps';
import { parseInput } from '../schemas/validate';
import { startSettled } from '../temporal-outcome';

export const fileClaimBody = z.strictObject({ type: z.string().min(1).max(64) });

export const claimIdParams = z.strictObject({ claimId: z.guid() });

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,128}$/;

export const claimView = z.strictObject({
  claimId: z.guid(),
  protocol: z.string(),
  type: z.string(),
  status: z.enum(['waiting_for_dispositivo', 'released', 'in_processing', ...CLAIM_ENDS]),
  receivedAt: z.iso.datetime(),
  releasedAt: z.iso.datetime().optional(),
  /** When it was decided, withdrawn or cancelled. */
  endedAt: z.iso.datetime().optional(),
  /** The decision's reason (always for a rejection), or why it was cancelled. */
  reason: z.string().optional(),
  filedBy: z.string(),
});

export interface ClaimRow {
  id: string;
  protocol: string;
  claim_type: string;
  status: StoredClaimStatus;
  received_at: Date;
  released_at: Date | null;
  ended_at?: Date | null;
  reason?: string | null;
  filed_by: string;
}

/** Columns of `ClaimRow`, as every read selects them. */
const CLAIM_COLUMNS = 'id, protocol, claim_type, status, received_at, released_at, ended_at, reason, filed_by';

/** The decision body of the back office; a rejection needs its reason. */
export const claimDecisionBody = z
  .strictObject({ decision: z.enum(['accepted', 'rejected']), reason: z.string().trim().min(1).max(500).optional() })
  .refine((b) => b.decision === 'accepted' || b.reason !== undefined, {
    path: ['reason'],
    message: 'a rejection needs its reason',
    params: { message: { it: 'Scrivi il motivo del rifiuto (obbligatorio per respingere).', en: 'Write the reason for the rejection (required to reject).' } },
  });

export const toView = (c: ClaimRow) =>
  claimView.parse({
    claimId: c.id,
    protocol: c.protocol,
    type: c.claim_type,
    status: c.status,
    receivedAt: c.received_at.toISOString(),
    ...(c.released_at ? { releasedAt: c.released_at.toISOString() } : {}),
    ...(c.ended_at ? { endedAt: c.ended_at.toISOString() } : {}),
    ...(c.reason ? { reason: c.reason } : {}),
    filedBy: c.filed_by,
  });

/**
 * Whether a claim of `service` may be filed in this session, and whether it is processed at
 * once: a dispositivo session, or the simplified scope for its bonuses; an ordinary PIN files
 * and waits. Profile rules apply as for every service.
 */
export function claimAdmission(citizen: Pick<CitizenPrincipal, 'scope' | 'profile' | 'intermediary'>, service: Service, catalogue: Catalogue): 'process' | 'hold' | 'refuse' {
  if (service.kind !== 'claim' || !onOffer(catalogue, service) || !audienceIncludes(service.audience, citizen.profile, citizen.intermediary)) return 'refuse';
  if (citizen.scope === 'simplified') return isCovidBonusClaimType(service.id) ? 'process' : 'refuse';
  return citizen.scope === 'dispositivo' ? 'process' : 'hold';
}

const NOT_AVAILABLE = {
  own: { it: 'Questa domanda non è disponibile per il tuo profilo o il tuo PIN.', en: 'This claim is not available for your profile or PIN.' },
  delegator: { it: 'Questa domanda non è disponibile per il profilo o il PIN del delegante.', en: 'This claim is not available for the delegator’s profile or PIN.' },
} as const;

/**
 * The claim a body asks for, if the holder (`own`, or the `delegator` a delegate acts for) may
 * file it now or once their PIN is dispositivo; FORBIDDEN on the field `type` otherwise.
 */
export function admittedClaim(
  holder: Pick<CitizenPrincipal, 'scope' | 'profile' | 'intermediary'>,
  input: unknown,
  whose: keyof typeof NOT_AVAILABLE,
  catalogue: Catalogue,
): { service: Service; admission: 'process' | 'hold' } {
  const body = parseInput(fileClaimBody, input);
  const service = serviceById(body.type);
  const admission = service ? claimAdmission(holder, service, catalogue) : 'refuse';
  if (!service || admission === 'refuse') {
    throw new DomainError(ErrorType.Forbidden, NOT_AVAILABLE[whose], [
      { field: 'type', code: 'not_available', message: { it: 'Tipo di domanda non disponibile', en: 'Claim type not available' } },
    ]);
  }
  return { service, admission };
}

export const claimNotFound = () => new DomainError(ErrorType.NotFound, { it: 'Domanda non trovata.', en: 'Claim not found.' });

const claimConcluded = () =>
  new DomainError(ErrorType.Conflict, { it: 'La domanda non è in lavorazione: è già conclusa o non ancora avviata.', en: 'The claim is not in processing: it is already concluded or not started yet.' });

/** What `fileClaim` needs: whose claim, of which service, how it is processed, who files it. */
export interface FileClaimInput {
  /** The credential the claim belongs to (the claimant's, also when a delegate files it). */
  credentialId: string;
  service: Service;
  /** From `claimAdmission` for the claimant: 'refuse' is the caller's to answer before. */
  admission: 'process' | 'hold';
  /** The client's `Idempotency-Key`, if any (checked here). */
  rawKey?: string;
  /** Scope of the idempotency key: who is filing (the claimant, or the delegate for them). */
  keyScope: string;
  /** `benefit_claims.filed_by`: `citizen`, or `delegate:<credentialId>:delegation:<id>`. */
  filedBy: string;
  /** An audit row written in the claim's transaction (e.g. "delegate for delegator"). */
  audit?: (claim: { id: string; protocol: string }) => AuditEntry;
}

/**
 * Files a claim: the row with its protocol number and received time (the deadline stops), then
 * its workflow. Idempotent by key; a key reused for another claim type is a CONFLICT. Shared by
 * the holder's own filing and a delegate's filing for the delegator.
 */
export async function fileClaim(deps: Pick<ServiceDeps, 'pool' | 'temporal' | 'taskQueue'>, input: FileClaimInput): Promise<{ status: 200 | 202; body: z.output<typeof claimView> & { message: Bilingual } }> {
  const { rawKey, service, admission } = input;
  if (rawKey !== undefined && !IDEMPOTENCY_KEY.test(rawKey)) {
    throw new DomainError(ErrorType.Validation, { it: 'Chiave di idempotenza non valida.', en: 'Invalid idempotency key.' }, [
      { field: 'Idempotency-Key', code: 'invalid', message: { it: '8-128 caratteri [A-Za-z0-9_.:-]', en: '8-128 characters [A-Za-z0-9_.:-]' } },
    ]);
  }
  // Without a key every call is a new claim; with one, a retry returns the first claim.
  const idempotencyKey = `${input.keyScope}:${rawKey ?? randomUUID()}`;
  const claim = await withTransaction(deps.pool, async (client) => {
    // Shares the credential row with a conversion (which takes it FOR UPDATE): a claim filed
    // while the PIN becomes dispositivo is either released by it or sees the new type.
    const cred = await client.query<{ pin_type: string }>('SELECT pin_type FROM credentials WHERE id = $1::uuid FOR SHARE', [input.credentialId]);
    const hold = admission === 'hold' && cred.rows[0]?.pin_type !== 'dispositivo';
    const { rows } = await client.query<ClaimRow & { inserted: boolean }>(
      `INSERT INTO benefit_claims (id, idempotency_key, protocol, credential_id, claim_type, status, filed_by)
       VALUES (gen_random_uuid(), $1::text, 'INPS.' || to_char(now(), 'YYYY') || '.' || lpad(nextval('benefit_claim_protocol')::text, 8, '0'),
               $2::uuid, $3::text, $4::text, $5::text)
       ON CONFLICT (idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
       RETURNING ${CLAIM_COLUMNS}, (xmax = 0) AS inserted`,
      [idempotencyKey, input.credentialId, service.id, hold ? 'waiting_for_dispositivo' : 'released', input.filedBy],
    );
    const row = rows[0]!;
    if (row.inserted && input.audit) await appendAudit(client, input.audit(row));
    return row;
  });
  if (claim.claim_type !== service.id) {
    throw new DomainError(ErrorType.Conflict, { it: 'Chiave di idempotenza già usata per un\'altra domanda.', en: 'Idempotency key already used for another claim.' });
  }
  const workflowInput: ClaimInput = { claimId: claim.id, credentialId: input.credentialId };
  try {
    // A start whose answer was lost is asked again before the claim is given up (temporal-outcome.ts).
    await startSettled(deps.temporal, () =>
      deps.temporal.workflow.start<typeof benefitClaimWorkflow>(CLAIM_WORKFLOW_TYPE, { workflowId: claimWorkflowId(claim.id), taskQueue: deps.taskQueue, args: [workflowInput] }),
    );
  } catch (err) {
    // Not accepted after all: the claim disappears rather than wait with no workflow.
    if (claim.inserted) await deps.pool.query('DELETE FROM benefit_claims WHERE id = $1::uuid AND status <> $2::text', [claim.id, 'in_processing']);
    throw err;
  }
  return {
    status: claim.inserted ? 202 : 200,
    body: {
      ...toView(claim),
      message:
        claim.status === 'waiting_for_dispositivo'
          ? {
              it: 'Domanda ricevuta: sarà lavorata quando il tuo PIN sarà dispositivo. Il termine è rispettato dalla data di ricezione.',
              en: 'Claim received: it will be processed once your PIN is a dispositivo PIN. Any deadline is met as of the received date.',
            }
          : { it: 'Domanda ricevuta e avviata alla lavorazione.', en: 'Claim received and sent to processing.' },
    },
  };
}

/** The claim types a session may file, and whether each is processed at once (shared with the portal). */
export function claimTypesFor(
  citizen: Pick<CitizenPrincipal, 'scope' | 'profile' | 'intermediary'>,
  catalogue: Catalogue,
): { type: string; name: Bilingual; processing: 'immediate' | 'after_dispositivo' }[] {
  return SERVICES.filter((s) => claimAdmission(citizen, s, catalogue) !== 'refuse').map((s) => ({
    type: s.id,
    name: s.name,
    processing: claimAdmission(citizen, s, catalogue) === 'process' ? 'immediate' : 'after_dispositivo',
  }));
}

/** A credential's claims, newest first (at most 200). */
export async function claimsOf(deps: Pick<ServiceDeps, 'pool'>, credentialId: string): Promise<z.output<typeof claimView>[]> {
  const { rows } = await deps.pool.query<ClaimRow>(
    `SELECT ${CLAIM_COLUMNS} FROM benefit_claims WHERE credential_id = $1::uuid ORDER BY received_at DESC LIMIT 200`,
    [credentialId],
  );
  return rows.map(toView);
}

/** One claim of a credential; someone else's is undefined, like a missing one. */
export async function claimOf(deps: Pick<ServiceDeps, 'pool'>, credentialId: string, claimId: string): Promise<z.output<typeof claimView> | undefined> {
  const { rows } = await deps.pool.query<ClaimRow>(
    `SELECT ${CLAIM_COLUMNS} FROM benefit_claims WHERE id = $1::uuid AND credential_id = $2::uuid`,
    [claimId, credentialId],
  );
  return rows[0] ? toView(rows[0]) : undefined;
}

/** The receipt's file name, as the browser saves it. */
export const CLAIM_RECEIPT_NAME = 'ricevuta-domanda-prestazione.pdf';

/**
 * The printable receipt (PDF) of one of a credential's claims: protocol number, claim, received
 * time, status when filed, the claimant and the declaration made; someone else's is "not found".
 */
export async function claimReceipt(deps: Pick<ServiceDeps, 'pool'>, credentialId: string, claimId: string): Promise<Uint8Array> {
  const { rows } = await deps.pool.query<{
    protocol: string;
    claim_type: string;
    status: StoredClaimStatus;
    received_at: Date;
    processing_at: Date | null;
    released_by_conversion: boolean;
    holder: { name: string; surname: string };
    codice_fiscale: string;
  }>(
    `SELECT b.protocol, b.claim_type, b.status, b.received_at, b.processing_at,
            EXISTS (SELECT 1 FROM claim_releases r WHERE r.claim_id = b.id) AS released_by_conversion,
            c.holder, c.codice_fiscale
       FROM benefit_claims b
       JOIN credentials c ON c.id = b.credential_id
      WHERE b.id = $1::uuid AND b.credential_id = $2::uuid`,
    [claimId, credentialId],
  );
  const claim = rows[0];
  if (!claim) throw claimNotFound();
  return renderClaimReceipt({
    protocol: claim.protocol,
    receivedAt: claim.received_at.toISOString(),
    claimName: serviceById(claim.claim_type)?.name ?? { it: claim.claim_type, en: claim.claim_type },
    held: heldAtFiling({ status: claim.status, releasedByConversion: claim.released_by_conversion, processingAt: claim.processing_at }),
    holderName: `${claim.holder.name} ${claim.holder.surname}`,
    codiceFiscale: claim.codice_fiscale,
  });
}

/** The claimant withdraws one of their claims before it is decided (the claim's workflow records it). */
export async function withdrawClaim(deps: Pick<ServiceDeps, 'pool' | 'temporal'>, credentialId: string, claimId: string, by: string): Promise<z.output<typeof claimView>> {
  const claim = await claimOf(deps, credentialId, claimId);
  if (!claim) throw claimNotFound();
  // A decided or cancelled claim's workflow has ended: say "not now" (409), not "not found".
  if (claim.status !== 'withdrawn' && (CLAIM_ENDS as readonly string[]).includes(claim.status)) throw claimConcluded();
  if (claim.status !== 'withdrawn') {
    const handle = deps.temporal.workflow.getHandle(claimWorkflowId(claimId));
    // A claim filed a moment ago may have a workflow still reading its row ('received'): it
    // refuses the withdrawal until then, although the claim may be withdrawn. Asked again
    // shortly (a few seconds at most), the citizen is not told "not now" for a claim that is open.
    for (let attempt = 1; ; attempt++) {
      try {
        await handle.executeUpdate(withdrawClaimUpdate, { args: [{ by }] });
        break;
      } catch (err) {
        const starting = attempt < 25 && (await handle.query(claimStateQuery).catch(() => undefined))?.status === 'received';
        if (!starting) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }
  return (await claimOf(deps, credentialId, claimId))!;
}

/** A claim as the back office reads it: whose it is and, once ended, who ended it. */
export const staffClaimView = claimView.extend({
  credentialId: z.guid(),
  /** The claimant's name and surname. */
  holder: z.string(),
  codiceFiscale: z.string(),
  /** When it went into processing (at once, or when its PIN became dispositivo). */
  processingAt: z.iso.datetime().optional(),
  /** Who ended it as a person knows them: a staff member's username, else "holder", "delegate" or "system". */
  endedBy: z.string().optional(),
});

interface StaffClaimRow extends ClaimRow {
  credential_id: string;
  holder: { name: string; surname: string };
  codice_fiscale: string;
  processing_at: Date | null;
  ended_by: string | null;
}

const STAFF_CLAIM_SELECT = `SELECT ${CLAIM_COLUMNS.split(', ').map((c) => `b.${c}`).join(', ')}, b.credential_id, b.processing_at, b.ended_by,
         c.holder, c.codice_fiscale
    FROM benefit_claims b
    JOIN credentials c ON c.id = b.credential_id`;

/** `ended_by` as a person knows it: a staff member's username (`staff:` or `operator:<username>`), else the claimant, their delegate, or the system. */
function endedByName(by: string): string {
  const staff = /^(?:staff|operator):(.+)$/.exec(by);
  if (staff) return staff[1]!;
  return by === 'citizen' ? 'holder' : by.startsWith('delegate:') ? 'delegate' : 'system';
}

function toStaffView(r: StaffClaimRow): z.output<typeof staffClaimView> {
  const endedBy = r.ended_by === null ? undefined : endedByName(r.ended_by);
  return staffClaimView.parse({
    ...toView(r),
    credentialId: r.credential_id,
    holder: `${r.holder.name} ${r.holder.surname}`,
    codiceFiscale: r.codice_fiscale,
    ...(r.processing_at ? { processingAt: r.processing_at.toISOString() } : {}),
    ...(endedBy ? { endedBy } : {}),
  });
}

/** Claims in processing, oldest first, for the back office (at most 200). */
export async function claimsInProcessing(deps: Pick<ServiceDeps, 'pool'>): Promise<z.output<typeof staffClaimView>[]> {
  const { rows } = await deps.pool.query<StaffClaimRow>(`${STAFF_CLAIM_SELECT} WHERE b.status = 'in_processing' ORDER BY b.processing_at NULLS LAST, b.received_at LIMIT 200`);
  return rows.map(toStaffView);
}

/** One claim, whoever's it is, for the back office. */
export async function claimForStaff(deps: Pick<ServiceDeps, 'pool'>, claimId: string): Promise<z.output<typeof staffClaimView>> {
  const { rows } = await deps.pool.query<StaffClaimRow>(`${STAFF_CLAIM_SELECT} WHERE b.id = $1::uuid`, [claimId]);
  if (!rows[0]) throw claimNotFound();
  return toStaffView(rows[0]);
}

/** The back office's decision on a claim in processing, with the API's grant for this clerk. */
export async function decideClaim(deps: Pick<ServiceDeps, 'pool' | 'temporal' | 'secrets'>, staff: StaffPrincipal, claimId: string, input: unknown): Promise<z.output<typeof claimView>> {
  const body = parseInput(claimDecisionBody, input);
  const { rows } = await deps.pool.query<{ credential_id: string; status: string }>('SELECT credential_id, status FROM benefit_claims WHERE id = $1::uuid', [claimId]);
  if (!rows[0]) throw claimNotFound();
  if (rows[0].status !== 'in_processing') throw claimConcluded();
  const grant = commandGrant(deps, { actor: `staff:${staff.staffId}`, role: staff.role, target: claimId, action: `claim:${body.decision}`, detail: body.reason ?? '' });
  await deps.temporal.workflow.getHandle(claimWorkflowId(claimId)).executeUpdate(decideClaimUpdate, {
    args: [{ decision: body.decision, ...(body.reason ? { reason: body.reason } : {}), staffId: staff.staffId, role: staff.role, grant }],
  });
  return (await claimOf(deps, rows[0].credential_id, claimId))!;
}
