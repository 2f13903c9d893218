/**
 * Delegation: a holder of a dispositivo PIN lets a trusted person act for them, within a scope,
 * until an end date (docs/decisions/0011-recovery-revocation-delegation.md). The delegate uses
 * their own PIN session. Every use is checked against the database (status, end time, scope)
 * and audited as "delegate for delegator"; the delegation's workflow ends it at the end date and
 * on revocation, and tells both parties.
 */
import type { Client } from '@temporalio/client';
import { italianCalendarDate, parseIsoDate } from '../domain/calendar';
import { validateCodiceFiscaleFormat } from '../domain/codice-fiscale';
import { DomainError, ErrorType, type Bilingual } from '../domain/errors';
import { catalogueFor, normaliseProfile, type SessionScope } from '../domain/services';
import type { IssuancePolicy } from '../workflows/definitions';
import { appendAudit, audit } from '../lib/audit';
import type { Pool } from '../lib/db';
import { withTransaction } from '../lib/db';
import type { delegationWorkflow } from '../workflows/delegation';
import {
  DELEGATION_WORKFLOW_TYPE,
  delegationWorkflowId,
  revokeDelegationUpdate,
  type DelegationInput,
  type DelegationRevoker,
  type DelegationScope,
} from '../workflows/delegation-definitions';
import type { CitizenPrincipal } from './access/sessions';
import { admittedClaim, fileClaim, toView, type ClaimRow } from './conversion/claims';
import { createDelegationBodySchema, delegationViewSchema, staffDelegationRevokeBodySchema } from './schemas/lifecycle';
import { parseInput } from './schemas/validate';

/** The longest delegation, in days from today (a longer one is given again when it ends). */
const MAX_DELEGATION_DAYS = 366;

/** The instant a delegation whose last day is `isoDate` ends: the next midnight in Rome. */
export function endOfItalianDay(isoDate: string): Date {
  const p = parseIsoDate(isoDate)!;
  const utcMidnight = Date.UTC(p.year, p.month - 1, p.day + 1);
  // Rome is UTC+1 or UTC+2: the right one puts the instant on the next Italian day, a
  // millisecond before it still on `isoDate`.
  for (const hours of [1, 2]) {
    const t = new Date(utcMidnight - hours * 3_600_000);
    if (italianCalendarDate(t) !== isoDate && italianCalendarDate(new Date(t.getTime() - 1)) === isoDate) return t;
  }
  return new Date(utcMidnight - 3_600_000);
}

interface DelegationRow {
  id: string;
  delegator_credential_id: string;
  delegator_cf: string;
  delegate_cf: string;
  scope: DelegationScope;
  ends_on: string;
  ends_at: Date;
  status: 'active' | 'expired' | 'revoked';
  created_at: Date;
  ended_at: Date | null;
}

const SELECT_DELEGATION = `SELECT id, delegator_credential_id, delegator_cf, delegate_cf, scope, to_char(ends_on, 'YYYY-MM-DD') AS ends_on,
                                  ends_at, status, created_at, ended_at FROM delegations`;

const notFound = () => new DomainError(ErrorType.NotFound, { it: 'Delega non trovata.', en: 'Delegation not found.' });

const ENDED: Record<'DELEGATION_REVOKED' | 'DELEGATION_EXPIRED', Bilingual> = {
  DELEGATION_REVOKED: { it: 'La delega è stata revocata: non è più possibile operare con essa.', en: 'The delegation has been revoked: it can no longer be used.' },
  DELEGATION_EXPIRED: { it: 'La delega è scaduta: non è più possibile operare con essa.', en: 'The delegation has expired: it can no longer be used.' },
};

const OUT_OF_SCOPE: Bilingual = {
  it: 'La delega consente solo la consultazione: non permette di presentare domande per conto del delegante.',
  en: 'The delegation allows consulting only: it does not allow filing claims on the delegator’s behalf.',
};

export interface DelegationDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  /** For the claims on offer (COVID bonuses only under the simplified procedure). */
  policy: Pick<IssuancePolicy, 'simplifiedProcedure'>;
  now?: () => Date;
}

type DelegationView = ReturnType<typeof delegationViewSchema.parse>;

export function createDelegationService(deps: DelegationDeps) {
  const now = deps.now ?? (() => new Date());

  /** The status as of now: an active row past its end time is already over, whatever the timer. */
  const statusOf = (d: DelegationRow): DelegationRow['status'] => (d.status === 'active' && d.ends_at.getTime() <= now().getTime() ? 'expired' : d.status);

  const view = (d: DelegationRow): DelegationView =>
    delegationViewSchema.parse({
      delegationId: d.id,
      delegatorCodiceFiscale: d.delegator_cf,
      delegateCodiceFiscale: d.delegate_cf,
      scope: d.scope,
      endsOn: d.ends_on,
      endsAt: d.ends_at.toISOString(),
      status: statusOf(d),
      createdAt: d.created_at.toISOString(),
      ...(d.ended_at ? { endedAt: d.ended_at.toISOString() } : {}),
    });

  /** A holder (personal session) gives a delegation: stored, then its workflow started. */
  async function create(citizen: CitizenPrincipal, data: unknown): Promise<DelegationView> {
    if (citizen.scope !== 'dispositivo') {
      throw new DomainError(
        ErrorType.Forbidden,
        { it: 'Per delegare una persona di fiducia serve il PIN dispositivo.', en: 'Delegating a trusted person needs a dispositivo PIN.' },
        [],
        { reason: 'DISPOSITIVO_REQUIRED' },
      );
    }
    const body = parseInput(createDelegationBodySchema, data);
    const cf = validateCodiceFiscaleFormat(body.delegateCodiceFiscale);
    const fields = cf.errors.map((e) => ({ ...e, field: 'delegateCodiceFiscale' }));
    const today = italianCalendarDate(now());
    const lastDay = italianCalendarDate(new Date(now().getTime() + MAX_DELEGATION_DAYS * 86_400_000));
    if (cf.errors.length === 0 && cf.normalised === citizen.codiceFiscale) {
      fields.push({ field: 'delegateCodiceFiscale', code: 'self_delegation', message: { it: 'Non può delegare sé stesso.', en: 'You cannot delegate yourself.' } });
    }
    if (body.endsOn < today || body.endsOn > lastDay) {
      fields.push({
        field: 'endsOn',
        code: 'end_date_out_of_range',
        message: { it: `La data di fine deve essere tra oggi e il ${lastDay}.`, en: `The end date must be between today and ${lastDay}.` },
      });
    }
    if (fields.length) throw new DomainError(ErrorType.Validation, { it: 'Alcuni dati non sono validi.', en: 'Some of the data is not valid.' }, fields);

    const endsAt = endOfItalianDay(body.endsOn);
    const actor = `citizen:${citizen.credentialId}`;
    const row = await withTransaction(deps.pool, async (client) => {
      const { rows } = await client.query<DelegationRow>(
        `INSERT INTO delegations (id, delegator_credential_id, delegator_cf, delegate_cf, scope, ends_on, ends_at)
         VALUES (gen_random_uuid(), $1::uuid, $2::text, $3::text, $4::text, $5::date, $6::timestamptz)
         RETURNING id, delegator_credential_id, delegator_cf, delegate_cf, scope, to_char(ends_on, 'YYYY-MM-DD') AS ends_on, ends_at, status, created_at, ended_at`,
        [citizen.credentialId, citizen.codiceFiscale, cf.normalised, body.scope, body.endsOn, endsAt],
      );
      const d = rows[0]!;
      await client.query(
        `INSERT INTO credential_events (idempotency_key, credential_id, type, actor, data) VALUES ($1::text, $2::uuid, 'delegation_created', $3::text, $4::jsonb)`,
        [`${d.id}:delegation-created`, citizen.credentialId, actor, JSON.stringify({ delegationId: d.id, scope: d.scope, endsOn: d.ends_on })],
      );
      await appendAudit(client, { actor, action: 'delegation.create', subject: d.id, decision: 'created', detail: { scope: d.scope, endsOn: d.ends_on } });
      return d;
    }).catch((err: unknown) => {
      if ((err as { code?: string; constraint?: string }).constraint === 'delegations_one_active') {
        throw new DomainError(ErrorType.Conflict, {
          it: 'Esiste già una delega attiva a questa persona: la revochi prima di crearne una nuova.',
          en: 'There is already an active delegation to this person: revoke it before creating a new one.',
        });
      }
      throw err;
    });

    const input: DelegationInput = { delegationId: row.id, delegatorCredentialId: citizen.credentialId, endsAt: endsAt.toISOString() };
    try {
      await deps.temporal.workflow.start<typeof delegationWorkflow>(DELEGATION_WORKFLOW_TYPE, { workflowId: delegationWorkflowId(row.id), taskQueue: deps.taskQueue, args: [input] });
    } catch (err) {
      // Without its workflow nothing would end it or tell anyone: it does not come into being.
      await withTransaction(deps.pool, async (client) => {
        await client.query(`UPDATE delegations SET status = 'revoked', ended_at = now(), ended_by = 'system' WHERE id = $1::uuid AND status = 'active'`, [row.id]);
        await appendAudit(client, { actor: 'system', action: 'delegation.end', subject: row.id, decision: 'abandoned', detail: { reason: 'workflow_not_started' } });
      });
      throw err;
    }
    return view(row);
  }

  const given = async (citizen: CitizenPrincipal): Promise<DelegationView[]> =>
    (await deps.pool.query<DelegationRow>(`${SELECT_DELEGATION} WHERE delegator_cf = $1::text ORDER BY created_at DESC LIMIT 200`, [citizen.codiceFiscale])).rows.map(view);

  const received = async (citizen: CitizenPrincipal): Promise<DelegationView[]> =>
    (await deps.pool.query<DelegationRow>(`${SELECT_DELEGATION} WHERE delegate_cf = $1::text ORDER BY created_at DESC LIMIT 200`, [citizen.codiceFiscale])).rows.map(view);

  async function revoke(delegationId: string, requestedBy: DelegationRevoker): Promise<DelegationRow> {
    await deps.temporal.workflow.getHandle(delegationWorkflowId(delegationId)).executeUpdate(revokeDelegationUpdate, { args: [{ requestedBy }] });
    const { rows } = await deps.pool.query<DelegationRow>(`${SELECT_DELEGATION} WHERE id = $1::uuid`, [delegationId]);
    return rows[0]!;
  }

  const alreadyEnded = (d: DelegationRow) =>
    new DomainError(ErrorType.Conflict, { it: 'La delega è già terminata.', en: 'The delegation has already ended.' }, [], { status: statusOf(d) });

  /** The delegator ends a delegation they gave. */
  async function revokeByDelegator(citizen: CitizenPrincipal, delegationId: string): Promise<DelegationView> {
    const { rows } = await deps.pool.query<DelegationRow>(`${SELECT_DELEGATION} WHERE id = $1::uuid AND delegator_cf = $2::text`, [delegationId, citizen.codiceFiscale]);
    const d = rows[0];
    if (!d) throw notFound();
    if (statusOf(d) !== 'active') throw alreadyEnded(d);
    return view(await revoke(d.id, { kind: 'delegator', credentialId: citizen.credentialId }));
  }

  /** A clerk ends a delegation, with an optional note kept in the audit. */
  async function revokeByClerk(staffId: string, delegationId: string, input: unknown): Promise<DelegationView> {
    const { reason } = parseInput(staffDelegationRevokeBodySchema, input);
    const { rows } = await deps.pool.query<DelegationRow>(`${SELECT_DELEGATION} WHERE id = $1::uuid`, [delegationId]);
    const d = rows[0];
    if (!d) throw notFound();
    if (statusOf(d) !== 'active') throw alreadyEnded(d);
    const ended = await revoke(d.id, { kind: 'clerk', staffId });
    if (reason) await audit(deps.pool, { actor: `clerk:${staffId}`, action: 'delegation.revoke.note', subject: d.id, decision: 'recorded', detail: { reason } });
    return view(ended);
  }

  interface Acting {
    delegate: CitizenPrincipal;
    delegation: DelegationRow;
    delegator: { credentialId: string; scope: SessionScope; profile: ReturnType<typeof normaliseProfile>['profile']; intermediary: boolean };
  }

  /**
   * The delegation the caller received, usable now for `need`; refusals are audited. The
   * delegator is acted for through their live credential, as it is now.
   */
  async function acting(delegate: CitizenPrincipal, delegationId: string, need: 'consult' | 'claims', action: string): Promise<Acting> {
    const { rows } = await deps.pool.query<DelegationRow>(`${SELECT_DELEGATION} WHERE id = $1::uuid AND delegate_cf = $2::text`, [delegationId, delegate.codiceFiscale]);
    const d = rows[0];
    if (!d) throw notFound();
    const status = statusOf(d);
    const refuse = async (reason: string, err: DomainError): Promise<never> => {
      await audit(deps.pool, { actor: `delegate:${delegate.credentialId}`, action, subject: d.delegator_credential_id, decision: 'refused', detail: { delegationId: d.id, reason } });
      throw err;
    };
    if (status !== 'active') {
      const reason = status === 'revoked' ? 'DELEGATION_REVOKED' : 'DELEGATION_EXPIRED';
      return refuse(reason, new DomainError(ErrorType.Forbidden, ENDED[reason], [], { reason }));
    }
    if (need === 'claims' && d.scope !== 'consult_and_claims') return refuse('OUT_OF_SCOPE', new DomainError(ErrorType.Forbidden, OUT_OF_SCOPE, [], { reason: 'OUT_OF_SCOPE' }));
    const cred = await deps.pool.query<{ id: string; pin_type: 'ordinary' | 'dispositivo'; profile: unknown }>(
      `SELECT c.id, c.pin_type, coalesce(ir.profile, '{}'::jsonb) || c.profile AS profile
         FROM credentials c LEFT JOIN institute_records ir ON ir.codice_fiscale = c.codice_fiscale
        WHERE c.codice_fiscale = $1::text AND c.state IN ('active', 'pin_expired') LIMIT 1`,
      [d.delegator_cf],
    );
    const c = cred.rows[0];
    if (!c) {
      return refuse(
        'DELEGATOR_WITHOUT_PIN',
        new DomainError(ErrorType.Conflict, { it: 'Il delegante non ha un PIN attivo.', en: 'The delegator has no active PIN.' }, [], { reason: 'DELEGATOR_WITHOUT_PIN' }),
      );
    }
    // Bound to the credential that gave it: a later PIN of the same person does not revive it.
    if (c.id !== d.delegator_credential_id) return refuse('DELEGATION_REVOKED', new DomainError(ErrorType.Forbidden, ENDED.DELEGATION_REVOKED, [], { reason: 'DELEGATION_REVOKED' }));
    const { profile, intermediary } = normaliseProfile(c.profile);
    return { delegate, delegation: d, delegator: { credentialId: c.id, scope: c.pin_type, profile, intermediary } };
  }

  /** The delegate reads the delegator's claims (audited as delegate for delegator). */
  async function consultClaims(delegate: CitizenPrincipal, delegationId: string) {
    const a = await acting(delegate, delegationId, 'consult', 'delegate.consult_claims');
    const claims = await withTransaction(deps.pool, async (client) => {
      const { rows } = await client.query<ClaimRow>(
        `SELECT id, protocol, claim_type, status, received_at, released_at, filed_by FROM benefit_claims WHERE credential_id = $1::uuid ORDER BY received_at DESC LIMIT 200`,
        [a.delegator.credentialId],
      );
      await appendAudit(client, {
        actor: `delegate:${a.delegate.credentialId}`,
        action: 'delegate.consult_claims',
        subject: a.delegator.credentialId,
        decision: 'delegate_for_delegator',
        detail: { delegationId: a.delegation.id, delegateCredentialId: a.delegate.credentialId, delegatorCredentialId: a.delegator.credentialId },
      });
      return rows;
    });
    return { delegationId: a.delegation.id, claims: claims.map(toView) };
  }

  /** The delegate files a claim for the delegator, within the delegation's scope. */
  async function fileClaimFor(delegate: CitizenPrincipal, delegationId: string, input: unknown, idempotencyKey: string | undefined) {
    const a = await acting(delegate, delegationId, 'claims', 'delegate.file_claim');
    const { service, admission } = admittedClaim(a.delegator, input, 'delegator', catalogueFor(deps.policy));
    const filed = await fileClaim(deps, {
      credentialId: a.delegator.credentialId,
      service,
      admission,
      rawKey: idempotencyKey,
      keyScope: `${a.delegator.credentialId}:delegate:${a.delegate.credentialId}`,
      filedBy: `delegate:${a.delegate.credentialId}:delegation:${a.delegation.id}`,
      audit: (claim) => ({
        actor: `delegate:${a.delegate.credentialId}`,
        action: 'delegate.file_claim',
        subject: a.delegator.credentialId,
        decision: 'delegate_for_delegator',
        detail: { delegationId: a.delegation.id, claimId: claim.id, protocol: claim.protocol, type: service.id, delegateCredentialId: a.delegate.credentialId },
      }),
    });
    return filed;
  }

  return { create, given, received, revokeByDelegator, revokeByClerk, consultClaims, fileClaimFor };
}
