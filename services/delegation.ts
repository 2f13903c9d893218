/**
 * Delegation: a holder of a dispositivo PIN, or a citizen who cannot use the online services on
 * their own through a clerk at an INPS office, lets a trusted person act for them, within a
 * scope, until an end date (docs/decisions/0011-recovery-revocation-delegation.md, 0022). A new
 * delegation is pending until the delegate, logged in with their own PIN, accepts it; unanswered
 * it lapses. Every use is checked against the database (status, end time, scope) and audited as
 * "delegate for delegator"; the delegation's workflow waits for the consent, ends it at the end
 * date and on revocation (by the delegator, the delegate or a clerk), and tells both parties.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { italianCalendarDate, parseIsoDate } from '../domain/calendar';
import { validateCodiceFiscaleFormat } from '../domain/codice-fiscale';
import { DomainError, ErrorType, validationError, type Bilingual, type FieldIssue } from '../domain/errors';
import { checkIdentityDocument, type IdentityDocument } from '../domain/identity-document';
import { officeName } from '../domain/offices';
import { catalogueFor, normaliseProfile, type SessionScope } from '../domain/services';
import type { IssuancePolicy } from '../workflows/definitions';
import { appendAudit, audit } from '../lib/audit';
import type { Pool, PoolClient } from '../lib/db';
import { withTransaction } from '../lib/db';
import type { delegationWorkflow } from '../workflows/delegation';
import {
  DELEGATION_ACCEPTANCE_DAYS,
  DELEGATION_WORKFLOW_TYPE,
  acceptDelegationUpdate,
  declineDelegationUpdate,
  delegationWorkflowId,
  revokeDelegationUpdate,
  type DelegationInput,
  type DelegationRevoker,
  type DelegationScope,
} from '../workflows/delegation-definitions';
import type { CitizenPrincipal } from './access/sessions';
import type { StaffPrincipal } from './staff/auth';
import { admittedClaim, claimTypesFor, fileClaim, toView, type ClaimRow } from './conversion/claims';
import { renderOfficeDelegationReceipt } from '../forms';
import { personNames } from '../lib/people';
import { createDelegationBodySchema, delegationViewSchema, officeDelegationBodySchema, staffDelegationRevokeBodySchema } from './schemas/lifecycle';
import { parseInput } from './schemas/validate';
import { startSettled } from './temporal-outcome';

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

type DelegationStatus = 'pending' | 'active' | 'expired' | 'revoked' | 'declined' | 'lapsed';

interface DelegationRow {
  id: string;
  /** The credential that gave it online; null for an office delegation (bound to the person). */
  delegator_credential_id: string | null;
  delegator_cf: string;
  delegate_cf: string;
  scope: DelegationScope;
  ends_on: string;
  ends_at: Date;
  status: DelegationStatus;
  source: 'online' | 'office';
  accept_by: Date | null;
  accepted_at: Date | null;
  accepted_by: string | null;
  created_at: Date;
  ended_at: Date | null;
}

const COLUMNS = `id, delegator_credential_id, delegator_cf, delegate_cf, scope, to_char(ends_on, 'YYYY-MM-DD') AS ends_on,
                 ends_at, status, source, accept_by, accepted_at, accepted_by, created_at, ended_at`;
const SELECT_DELEGATION = `SELECT ${COLUMNS} FROM delegations`;

const DAY = 86_400_000;

const notFound = () => new DomainError(ErrorType.NotFound, { it: 'Delega non trovata.', en: 'Delegation not found.' });

type Unusable = 'DELEGATION_REVOKED' | 'DELEGATION_EXPIRED' | 'DELEGATION_PENDING' | 'DELEGATION_DECLINED' | 'DELEGATION_LAPSED';

const ENDED: Record<Unusable, Bilingual> = {
  DELEGATION_REVOKED: { it: 'La delega è stata revocata: non è più possibile operare con essa.', en: 'The delegation has been revoked: it can no longer be used.' },
  DELEGATION_EXPIRED: { it: 'La delega è scaduta: non è più possibile operare con essa.', en: 'The delegation has expired: it can no longer be used.' },
  DELEGATION_PENDING: {
    it: 'La delega non è ancora stata accettata: la accetti dalla pagina «Deleghe» prima di operare per conto del delegante.',
    en: 'The delegation has not been accepted yet: accept it on the "Delegations" page before acting for the delegator.',
  },
  DELEGATION_DECLINED: { it: 'La delega è stata rifiutata: non è possibile operare con essa.', en: 'The delegation was declined: it cannot be used.' },
  DELEGATION_LAPSED: { it: 'La delega è decaduta perché non accettata in tempo.', en: 'The delegation lapsed: it was not accepted in time.' },
};

const UNUSABLE: Record<Exclude<DelegationStatus, 'active'>, Unusable> = {
  pending: 'DELEGATION_PENDING',
  expired: 'DELEGATION_EXPIRED',
  revoked: 'DELEGATION_REVOKED',
  declined: 'DELEGATION_DECLINED',
  lapsed: 'DELEGATION_LAPSED',
};

const idempotencyKeyReused = () =>
  new DomainError(
    ErrorType.Unprocessable,
    {
      it: 'Questa chiave di idempotenza è già stata usata per un’altra delega: per una nuova delega usa una chiave nuova.',
      en: 'This idempotency key was already used for a different delegation: use a new key for a new delegation.',
    },
    [{ field: 'Idempotency-Key', code: 'idempotency_key_reused', message: { it: 'Chiave già usata per un’altra delega', en: 'Key already used for a different delegation' } }],
  );

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,128}$/;

const oneLivePerPair = () =>
  new DomainError(ErrorType.Conflict, {
    it: 'Esiste già una delega attiva o in attesa di accettazione a questa persona: revocala prima di crearne una nuova.',
    en: 'There is already an active or pending delegation to this person: revoke it before creating a new one.',
  });

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

/** What the delegate's "act for the delegator" page shows (see `actingView`). */
export interface ActingView {
  delegation: DelegationView;
  delegatorName: string;
  /** Why it cannot be used now; then nothing of the delegator's is read. */
  unusable?: Bilingual;
  claims?: ReturnType<typeof toView>[];
  claimTypes?: ReturnType<typeof claimTypesFor>;
}

/** Where the receipt of an office registration is served (GET /api/staff/delegations/:id/receipt; the console links it). */
export const officeDelegationReceiptPath = (delegationId: string): string => `/api/staff/delegations/${delegationId}/receipt`;

/** Both parties of a delegation by name (the codice fiscale when the system has no name for them). */
export interface DelegationParties {
  delegator: { name: string; codiceFiscale: string; named: boolean };
  delegate: { name: string; codiceFiscale: string; named: boolean };
}

/** A person's name, or their codice fiscale when the system has none. */
async function nameOrCode(pool: Pool, codiceFiscale: string): Promise<string> {
  return (await personNames(pool, [codiceFiscale])).get(codiceFiscale) ?? codiceFiscale;
}

export async function partiesOf(pool: Pool, d: { delegatorCodiceFiscale: string; delegateCodiceFiscale: string }): Promise<DelegationParties> {
  const names = await personNames(pool, [d.delegatorCodiceFiscale, d.delegateCodiceFiscale]);
  const party = (cf: string) => ({ name: names.get(cf) ?? cf, codiceFiscale: cf, named: names.has(cf) });
  return { delegator: party(d.delegatorCodiceFiscale), delegate: party(d.delegateCodiceFiscale) };
}

export function createDelegationService(deps: DelegationDeps) {
  const now = deps.now ?? (() => new Date());

  /**
   * The status as of now, whatever the timers: an active row past its end time is over, a
   * pending one past its acceptance deadline (or its end) has lapsed.
   */
  const statusOf = (d: DelegationRow): DelegationStatus => {
    const t = now().getTime();
    if (d.status === 'active' && d.ends_at.getTime() <= t) return 'expired';
    if (d.status === 'pending' && (d.ends_at.getTime() <= t || (d.accept_by !== null && d.accept_by.getTime() <= t))) return 'lapsed';
    return d.status;
  };

  const view = (d: DelegationRow): DelegationView =>
    delegationViewSchema.parse({
      delegationId: d.id,
      delegatorCodiceFiscale: d.delegator_cf,
      delegateCodiceFiscale: d.delegate_cf,
      scope: d.scope,
      endsOn: d.ends_on,
      endsAt: d.ends_at.toISOString(),
      status: statusOf(d),
      source: d.source,
      createdAt: d.created_at.toISOString(),
      ...(d.accept_by ? { acceptBy: d.accept_by.toISOString() } : {}),
      ...(d.accepted_at ? { acceptedAt: d.accepted_at.toISOString() } : {}),
      ...(d.ended_at ? { endedAt: d.ended_at.toISOString() } : {}),
    });

  /** The delegate's codice fiscale and the end date, checked for both ways of giving a delegation. */
  function termIssues(delegatorCf: string, delegateCodiceFiscale: string, endsOn: string, selfMessage: Bilingual): { delegateCf: string; fields: FieldIssue[] } {
    const cf = validateCodiceFiscaleFormat(delegateCodiceFiscale);
    const fields: FieldIssue[] = cf.errors.map((e) => ({ ...e, field: 'delegateCodiceFiscale' }));
    const today = italianCalendarDate(now());
    const lastDay = italianCalendarDate(new Date(now().getTime() + MAX_DELEGATION_DAYS * DAY));
    if (cf.errors.length === 0 && cf.normalised === delegatorCf) fields.push({ field: 'delegateCodiceFiscale', code: 'self_delegation', message: selfMessage });
    if (endsOn < today || endsOn > lastDay) {
      fields.push({
        field: 'endsOn',
        code: 'end_date_out_of_range',
        message: { it: `La data di fine deve essere tra oggi e il ${lastDay}.`, en: `The end date must be between today and ${lastDay}.` },
      });
    }
    return { delegateCf: cf.normalised, fields };
  }

  /** Until when the delegate may accept: `DELEGATION_ACCEPTANCE_DAYS`, never past the end. */
  const acceptByFor = (endsAt: Date): Date => new Date(Math.min(now().getTime() + DELEGATION_ACCEPTANCE_DAYS * DAY, endsAt.getTime()));

  /**
   * Starts the delegation's workflow (again, for a retried registration: already started is
   * fine). Without its workflow nothing would end it or tell anyone: it does not come into being.
   */
  async function startWorkflow(d: DelegationRow): Promise<void> {
    const input: DelegationInput = {
      delegationId: d.id,
      ...(d.delegator_credential_id ? { delegatorCredentialId: d.delegator_credential_id } : {}),
      endsAt: d.ends_at.toISOString(),
      acceptWithinDays: DELEGATION_ACCEPTANCE_DAYS,
      // The deadline the database enforces: the notices and the lapse timer use the same one.
      ...(d.accept_by ? { acceptBy: d.accept_by.toISOString() } : {}),
    };
    try {
      // A start whose answer was lost is asked again before the delegation is given up (temporal-outcome.ts).
      await startSettled(deps.temporal, () =>
        deps.temporal.workflow.start<typeof delegationWorkflow>(DELEGATION_WORKFLOW_TYPE, { workflowId: delegationWorkflowId(d.id), taskQueue: deps.taskQueue, args: [input] }),
      );
    } catch (err) {
      await withTransaction(deps.pool, async (client) => {
        // Its key is freed: the same form sent again registers the delegation anew.
        await client.query(
          `UPDATE delegations SET status = 'revoked', ended_at = now(), ended_by = 'system', idempotency_key = NULL WHERE id = $1::uuid AND status IN ('pending', 'active')`,
          [d.id],
        );
        await appendAudit(client, { actor: 'system', action: 'delegation.end', subject: d.id, decision: 'abandoned', detail: { reason: 'workflow_not_started' } });
      });
      throw err;
    }
  }

  const insertDelegation = async (client: PoolClient, v: {
    delegatorCredentialId: string | null; delegatorCf: string; delegateCf: string; scope: DelegationScope; endsOn: string; endsAt: Date;
    source: 'online' | 'office'; registeredBy?: string; office?: string; idempotencyKey?: string;
  }): Promise<DelegationRow> =>
    (
      await client.query<DelegationRow>(
        `INSERT INTO delegations (id, delegator_credential_id, delegator_cf, delegate_cf, scope, ends_on, ends_at, status, source, accept_by, registered_by, office, idempotency_key)
         VALUES (gen_random_uuid(), $1::uuid, $2::text, $3::text, $4::text, $5::date, $6::timestamptz, 'pending', $7::text, $8::timestamptz, $9::text, $10::text, $11::text)
         RETURNING ${COLUMNS}`,
        [v.delegatorCredentialId, v.delegatorCf, v.delegateCf, v.scope, v.endsOn, v.endsAt, v.source, acceptByFor(v.endsAt), v.registeredBy ?? null, v.office ?? null, v.idempotencyKey ?? null],
      )
    ).rows[0]!;

  const livePairConflict = (err: unknown): never => {
    if ((err as { constraint?: string }).constraint === 'delegations_one_active') throw oneLivePerPair();
    throw err;
  };

  /**
   * A failed insert: when two sends of the same form (same key) raced, the second finds the
   * first's delegation and answers as a repeat; otherwise a live delegation to the same person.
   */
  async function afterFailedInsert<T>(err: unknown, previous: () => Promise<DelegationRow | undefined>, replay: (d: DelegationRow) => Promise<T>): Promise<T> {
    if ((err as { constraint?: string }).constraint === 'delegations_idempotency_key_key') {
      const raced = await previous();
      if (raced) return replay(raced);
    }
    return livePairConflict(err);
  }

  /**
   * A holder (personal session) gives a delegation: stored pending, then its workflow started.
   * With a key (the portal's form carries one per page) the same form sent again — after an
   * answer that never arrived — gives back the delegation it registered, not a conflict.
   */
  async function create(citizen: CitizenPrincipal, data: unknown, rawKey?: string): Promise<DelegationView> {
    if (citizen.scope !== 'dispositivo') {
      throw new DomainError(
        ErrorType.Forbidden,
        { it: 'Per delegare una persona di fiducia serve il PIN dispositivo.', en: 'Delegating a trusted person needs a dispositivo PIN.' },
        [],
        { reason: 'DISPOSITIVO_REQUIRED' },
      );
    }
    const body = parseInput(createDelegationBodySchema, data);
    const { delegateCf, fields } = termIssues(citizen.codiceFiscale, body.delegateCodiceFiscale, body.endsOn, { it: 'Non puoi delegare te stesso.', en: 'You cannot delegate yourself.' });
    if (fields.length) throw validationError(fields);

    const idempotencyKey = rawKey !== undefined && IDEMPOTENCY_KEY.test(rawKey) ? `citizen:${citizen.credentialId}:${rawKey}` : undefined;
    const previous = async (): Promise<DelegationRow | undefined> =>
      idempotencyKey ? (await deps.pool.query<DelegationRow>(`${SELECT_DELEGATION} WHERE idempotency_key = $1::text`, [idempotencyKey])).rows[0] : undefined;
    const replay = async (d: DelegationRow): Promise<DelegationView> => {
      if (d.delegate_cf !== delegateCf || d.scope !== body.scope || d.ends_on !== body.endsOn) throw idempotencyKeyReused();
      if (d.status === 'pending' || d.status === 'active') await startWorkflow(d);
      return view(d);
    };
    const first = await previous();
    if (first) return replay(first);

    const endsAt = endOfItalianDay(body.endsOn);
    const actor = `citizen:${citizen.credentialId}`;
    let row: DelegationRow;
    try {
      row = await withTransaction(deps.pool, async (client) => {
        const d = await insertDelegation(client, {
          delegatorCredentialId: citizen.credentialId, delegatorCf: citizen.codiceFiscale, delegateCf, scope: body.scope, endsOn: body.endsOn, endsAt, source: 'online', idempotencyKey,
        });
        await client.query(
          `INSERT INTO credential_events (idempotency_key, credential_id, type, actor, data) VALUES ($1::text, $2::uuid, 'delegation_created', $3::text, $4::jsonb)`,
          [`${d.id}:delegation-created`, citizen.credentialId, actor, JSON.stringify({ delegationId: d.id, scope: d.scope, endsOn: d.ends_on })],
        );
        await appendAudit(client, { actor, action: 'delegation.create', subject: d.id, decision: 'created', detail: { scope: d.scope, endsOn: d.ends_on, source: 'online' } });
        return d;
      });
    } catch (err) {
      return afterFailedInsert(err, previous, replay);
    }
    await startWorkflow(row);
    return view(row);
  }

  /**
   * A clerk registers a delegation handed in at an office: the form signed by the delegator, the
   * delegator's identity document (and the delegate's, when they came) checked in person. The
   * delegator needs no PIN. Idempotent by `Idempotency-Key` (per clerk): a retry answers the first
   * delegation (`replayed`), a key reused for other data is refused.
   */
  async function registerAtOffice(staff: StaffPrincipal, data: unknown, rawKey: string | undefined): Promise<{ delegation: DelegationView; replayed: boolean }> {
    if (rawKey !== undefined && !IDEMPOTENCY_KEY.test(rawKey)) {
      throw validationError([{ field: 'Idempotency-Key', code: 'invalid', message: { it: '8-128 caratteri [A-Za-z0-9_-]', en: '8-128 characters [A-Za-z0-9_-]' } }]);
    }
    const body = parseInput(officeDelegationBodySchema, data);
    const delegator = validateCodiceFiscaleFormat(body.delegatorCodiceFiscale);
    const fields: FieldIssue[] = delegator.errors.map((e) => ({ ...e, field: 'delegatorCodiceFiscale' }));
    const terms = termIssues(delegator.normalised, body.delegateCodiceFiscale, body.endsOn, {
      it: 'Delegante e delegato devono essere persone diverse.',
      en: 'The delegator and the delegate must be different people.',
    });
    fields.push(...terms.fields);
    const documents: { party: 'delegator' | 'delegate'; document: IdentityDocument }[] = [];
    for (const [party, given] of [['delegator', body.delegatorDocument], ['delegate', body.delegateDocument]] as const) {
      if (given === undefined) continue;
      const checked = checkIdentityDocument(given, { today: now(), prefix: `${party}Document` });
      if (checked.document) documents.push({ party, document: checked.document });
      else fields.push(...checked.issues);
    }
    if (fields.length) throw validationError(fields);

    const actor = `staff:${staff.staffId}`;
    const idempotencyKey = rawKey ? `staff:${staff.staffId}:${rawKey}` : undefined;
    const same = (d: DelegationRow) => d.delegator_cf === delegator.normalised && d.delegate_cf === terms.delegateCf && d.scope === body.scope && d.ends_on === body.endsOn && d.source === 'office';
    const previous = async (): Promise<DelegationRow | undefined> =>
      idempotencyKey ? (await deps.pool.query<DelegationRow>(`${SELECT_DELEGATION} WHERE idempotency_key = $1::text`, [idempotencyKey])).rows[0] : undefined;
    const replay = async (d: DelegationRow) => {
      if (!same(d)) throw idempotencyKeyReused();
      if (d.status === 'pending' || d.status === 'active') await startWorkflow(d);
      return { delegation: view(d), replayed: true };
    };
    const first = await previous();
    if (first) return replay(first);

    const endsAt = endOfItalianDay(body.endsOn);
    const office = officeName(body.office);
    let row: DelegationRow;
    try {
      row = await withTransaction(deps.pool, async (client) => {
          const d = await insertDelegation(client, {
            delegatorCredentialId: null, delegatorCf: delegator.normalised, delegateCf: terms.delegateCf, scope: body.scope, endsOn: body.endsOn, endsAt,
            source: 'office', registeredBy: actor, office, idempotencyKey,
          });
          for (const { party, document: doc } of documents) {
            await client.query(
              `INSERT INTO delegation_identity_checks (id, delegation_id, party, document_type, document_number, document_issuer, issuing_country, issued_on, expires_on, verified_by, office)
               VALUES ($1::uuid, $2::uuid, $3::text, $4::text, $5::text, $6::text, $7::text, $8::date, $9::date, $10::text, $11::text)`,
              [randomUUID(), d.id, party, doc.type, doc.number, doc.issuer, doc.issuingCountry, doc.issuedOn, doc.expiresOn, actor, office],
            );
          }
          await appendAudit(client, {
            actor,
            action: 'delegation.register_office',
            subject: d.id,
            decision: 'registered',
            detail: {
              office,
              scope: d.scope,
              endsOn: d.ends_on,
              signedFormReceived: true,
              documents: documents.map(({ party, document: doc }) => ({ party, type: doc.type, issuingCountry: doc.issuingCountry })),
            },
          });
          return d;
      });
    } catch (err) {
      return afterFailedInsert(err, previous, replay);
    }
    await startWorkflow(row);
    return { delegation: view(row), replayed: false };
  }

  /** Every delegation a person gave or received, newest first (for a clerk; the codice fiscale is checked). */
  async function ofPerson(typed: string): Promise<DelegationView[]> {
    const cf = validateCodiceFiscaleFormat(typed);
    if (cf.errors.length) throw validationError(cf.errors.map((e) => ({ ...e, field: 'codiceFiscale' })));
    return (
      await deps.pool.query<DelegationRow>(`${SELECT_DELEGATION} WHERE $1::text IN (delegator_cf, delegate_cf) ORDER BY created_at DESC LIMIT 50`, [cf.normalised])
    ).rows.map(view);
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

  const isLive = (d: DelegationRow) => ['pending', 'active'].includes(statusOf(d));

  /** Either party ends a delegation (pending or active): the delegator who gave it, or the delegate who received it. */
  async function revokeByParty(citizen: CitizenPrincipal, delegationId: string): Promise<DelegationView> {
    const { rows } = await deps.pool.query<DelegationRow>(`${SELECT_DELEGATION} WHERE id = $1::uuid AND $2::text IN (delegator_cf, delegate_cf)`, [delegationId, citizen.codiceFiscale]);
    const d = rows[0];
    if (!d) throw notFound();
    if (d.delegate_cf === citizen.codiceFiscale) return revokeByDelegate(citizen, delegationId);
    if (!isLive(d)) throw alreadyEnded(d);
    return view(await revoke(d.id, { kind: 'delegator', credentialId: citizen.credentialId }));
  }

  /** The delegation the caller received, by id (404 for anyone else's). */
  async function receivedOne(delegate: CitizenPrincipal, delegationId: string): Promise<DelegationRow> {
    const { rows } = await deps.pool.query<DelegationRow>(`${SELECT_DELEGATION} WHERE id = $1::uuid AND delegate_cf = $2::text`, [delegationId, delegate.codiceFiscale]);
    if (!rows[0]) throw notFound();
    return rows[0];
  }

  const notPending = (d: DelegationRow) =>
    new DomainError(ErrorType.Conflict, { it: 'La delega non è in attesa di accettazione.', en: 'The delegation is not awaiting acceptance.' }, [], { status: statusOf(d) });

  /** The delegate accepts a pending delegation: from now on it can be used. */
  async function accept(delegate: CitizenPrincipal, delegationId: string): Promise<DelegationView> {
    const d = await receivedOne(delegate, delegationId);
    if (statusOf(d) !== 'pending') throw notPending(d);
    await deps.temporal.workflow.getHandle(delegationWorkflowId(d.id)).executeUpdate(acceptDelegationUpdate, { args: [{ delegateCredentialId: delegate.credentialId }] });
    return view(await receivedOne(delegate, delegationId));
  }

  /** The delegate declines a pending delegation: it ends, both are told. */
  async function decline(delegate: CitizenPrincipal, delegationId: string): Promise<DelegationView> {
    const d = await receivedOne(delegate, delegationId);
    if (statusOf(d) !== 'pending') throw notPending(d);
    await deps.temporal.workflow.getHandle(delegationWorkflowId(d.id)).executeUpdate(declineDelegationUpdate, { args: [{ delegateCredentialId: delegate.credentialId }] });
    return view(await receivedOne(delegate, delegationId));
  }

  /** The delegate gives up a delegation they accepted (a pending one is declined instead). */
  async function revokeByDelegate(delegate: CitizenPrincipal, delegationId: string): Promise<DelegationView> {
    const d = await receivedOne(delegate, delegationId);
    const status = statusOf(d);
    if (status === 'pending') return decline(delegate, delegationId);
    if (status !== 'active') throw alreadyEnded(d);
    return view(await revoke(d.id, { kind: 'delegate', credentialId: delegate.credentialId }));
  }

  /** A clerk ends a delegation, with an optional note kept in the audit. */
  async function revokeByClerk(staffId: string, delegationId: string, input: unknown): Promise<DelegationView> {
    const { reason } = parseInput(staffDelegationRevokeBodySchema, input);
    const { rows } = await deps.pool.query<DelegationRow>(`${SELECT_DELEGATION} WHERE id = $1::uuid`, [delegationId]);
    const d = rows[0];
    if (!d) throw notFound();
    if (!isLive(d)) throw alreadyEnded(d);
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
      await audit(deps.pool, { actor: `delegate:${delegate.credentialId}`, action, subject: d.delegator_credential_id ?? d.id, decision: 'refused', detail: { delegationId: d.id, reason } });
      throw err;
    };
    if (status !== 'active') {
      const reason = UNUSABLE[status];
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
    // Bound to the credential that gave it online: a later PIN of the same person does not revive
    // it. One registered at an office is bound to the person identified there: their live PIN.
    if (d.delegator_credential_id !== null && c.id !== d.delegator_credential_id) return refuse('DELEGATION_REVOKED', new DomainError(ErrorType.Forbidden, ENDED.DELEGATION_REVOKED, [], { reason: 'DELEGATION_REVOKED' }));
    const { profile, intermediary } = normaliseProfile(c.profile);
    return { delegate, delegation: d, delegator: { credentialId: c.id, scope: c.pin_type, profile, intermediary } };
  }

  /** The delegate reads the delegator's claims (audited as delegate for delegator). */
  async function consultClaims(delegate: CitizenPrincipal, delegationId: string) {
    return claimsActedOn(await acting(delegate, delegationId, 'consult', 'delegate.consult_claims'));
  }

  async function claimsActedOn(a: Acting) {
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

  /** Accepted by the delegate at some time (one given before consent was asked has no deadline and was active at once). */
  const wasAccepted = (d: DelegationRow) => d.accepted_at !== null || (d.accept_by === null && d.status !== 'pending');

  /**
   * What the delegate's page "act for the delegator" shows: the delegation and the delegator's
   * name; while it can be used, the delegator's claims (consulted, audited) and the claim types
   * the delegate may file for them (none with a consult-only scope); once it cannot, why. A
   * delegation that is not the caller's, or that they never accepted, is not found.
   */
  async function actingView(delegate: CitizenPrincipal, delegationId: string): Promise<ActingView> {
    const d = await receivedOne(delegate, delegationId);
    if (!wasAccepted(d)) throw notFound();
    const base = { delegation: view(d), delegatorName: await nameOrCode(deps.pool, d.delegator_cf) };
    let a: Acting;
    try {
      a = await acting(delegate, delegationId, 'consult', 'delegate.consult_claims');
    } catch (err) {
      if (err instanceof DomainError && (err.type === ErrorType.Forbidden || err.type === ErrorType.Conflict)) return { ...base, unusable: err.userMessage };
      throw err;
    }
    const { claims } = await claimsActedOn(a);
    return { ...base, claims, claimTypes: d.scope === 'consult_and_claims' ? claimTypesFor(a.delegator, catalogueFor(deps.policy)) : [] };
  }

  /** The claim types the delegate may file for the delegator now, and the delegator's name (refusals audited as for filing). */
  async function claimTypesForDelegator(delegate: CitizenPrincipal, delegationId: string) {
    const a = await acting(delegate, delegationId, 'claims', 'delegate.file_claim');
    return { delegatorName: await nameOrCode(deps.pool, a.delegation.delegator_cf), claimTypes: claimTypesFor(a.delegator, catalogueFor(deps.policy)) };
  }

  /**
   * The receipt of an office registration (PDF), for the clerk who registered it only (anyone
   * else: not found); every copy handed out is audited.
   */
  async function officeReceipt(staff: StaffPrincipal, delegationId: string): Promise<{ pdf: Uint8Array; displayName: string }> {
    const { rows } = await deps.pool.query<DelegationRow & { office: string | null }>(
      `SELECT ${COLUMNS}, office FROM delegations WHERE id = $1::uuid AND source = 'office' AND registered_by = $2::text`,
      [delegationId, `staff:${staff.staffId}`],
    );
    const d = rows[0];
    if (!d) throw notFound();
    const parties = await partiesOf(deps.pool, { delegatorCodiceFiscale: d.delegator_cf, delegateCodiceFiscale: d.delegate_cf });
    const pdf = await renderOfficeDelegationReceipt({
      delegator: parties.delegator,
      delegate: parties.delegate,
      scope: d.scope,
      endsOn: d.ends_on,
      office: d.office ?? '',
      registeredAt: d.created_at.toISOString(),
      acceptBy: (d.accept_by ?? d.ends_at).toISOString(),
    });
    await audit(deps.pool, { actor: `staff:${staff.staffId}`, action: 'delegation.receipt', subject: d.id, decision: 'served', detail: { role: staff.role } });
    return { pdf, displayName: `ricevuta-delega-${d.created_at.toISOString().slice(0, 10)}.pdf` };
  }

  return {
    create, registerAtOffice, ofPerson, given, received, accept, decline, revokeByParty, revokeByClerk, consultClaims, fileClaimFor,
    actingView, claimTypesForDelegator, officeReceipt, parties: (d: DelegationView) => partiesOf(deps.pool, d),
  };
}
