/**
 * Accepting a PIN request: store the credential and the request in one transaction; the
 * workflow starter then starts the credential's workflow (see workflow-starter.ts). Idempotent
 * by key (given, or derived from the data), so a repeated submission returns the first result
 * and starts nothing new.
 */
import { renderRequestReceipt } from '../../forms/request-receipt';
import { createHash, randomUUID } from 'node:crypto';
import type { Pool } from '../../lib/db';
import { DomainError, ErrorType, type FieldIssue } from '../../domain/errors';
import { deliveryPlan, type PinRequest } from '../../domain/pin-request';
import { issuanceStages } from '../../lib/metrics';
import { isLive } from '../../domain/credential';

export interface AcceptedRequest {
  requestId: string;
  /** `PIN.<year>.<8 digits>`: what the citizen keeps and staff look up. */
  protocol: string;
  credentialId: string;
  status: 'accepted';
  deliveryPlan: ReturnType<typeof deliveryPlan>;
  warnings: FieldIssue[];
}

export interface PinRequestServiceDeps {
  pool: Pool;
  /** Called after a request is stored: wakes the workflow starter. */
  onAccepted?: () => void;
}

/** Stable key for "the same request": the normalised data, so field order and spacing do not matter. */
function derivedIdempotencyKey(request: PinRequest): string {
  return `data:${createHash('sha256').update(canonicalJson(request)).digest('hex')}`;
}

/** JSON with object keys sorted at every depth, so equal data always serialises the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const keyReused = () =>
  new DomainError(
    ErrorType.Unprocessable,
    {
      it: 'Questa chiave di idempotenza è già stata usata per un’altra richiesta: per una nuova richiesta usa una chiave nuova.',
      en: 'This idempotency key was already used for a different request: use a new key for a new request.',
    },
    [{ field: 'Idempotency-Key', code: 'idempotency_key_reused', message: { it: 'Chiave già usata per un’altra richiesta', en: 'Key already used for a different request' } }],
  );

const liveCredentialConflict = () =>
  new DomainError(ErrorType.Conflict, {
    it: 'Esiste già un PIN attivo o in corso di rilascio per questo codice fiscale.',
    en: 'A PIN is already active or being issued for this codice fiscale.',
  });

function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && e.constraint === constraint;
}

export function createPinRequestService(deps: PinRequestServiceDeps) {
  const { pool } = deps;

  async function findByKey(key: string): Promise<{ id: string; protocol: string; credential_id: string; data: PinRequest; warnings: FieldIssue[]; operator_id: string | null } | undefined> {
    const { rows } = await pool.query<{ id: string; protocol: string; credential_id: string; data: PinRequest; warnings: FieldIssue[]; operator_id: string | null }>(
      'SELECT id, protocol, credential_id, data, warnings, operator_id FROM pin_requests WHERE idempotency_key = $1::text',
      [key],
    );
    return rows[0];
  }

  async function credentialEnded(credentialId: string): Promise<boolean> {
    const { rows } = await pool.query<{ state: string }>('SELECT state FROM credentials WHERE id = $1::uuid', [credentialId]);
    return rows[0] !== undefined && !isLive(rows[0].state);
  }

  const accepted = (row: { id: string; protocol: string; credential_id: string; data: PinRequest; warnings: FieldIssue[] }): AcceptedRequest => ({
    requestId: row.id,
    protocol: row.protocol,
    credentialId: row.credential_id,
    status: 'accepted',
    deliveryPlan: deliveryPlan(row.data),
    warnings: row.warnings,
  });

  return {
    async submit(
      request: PinRequest,
      warnings: FieldIssue[],
      opts: { idempotencyKey?: string; operatorId?: string },
    ): Promise<{ created: boolean; result: AcceptedRequest }> {
      let key = opts.idempotencyKey ? `key:${opts.idempotencyKey}` : derivedIdempotencyKey(request);
      let previous = await findByKey(key);
      // A request whose credential has ended (revoked, or its initial PIN expired unused) does
      // not answer a new one with the same data: the new request gets the next key in a chain,
      // so a retry of it still finds it.
      while (previous && (await credentialEnded(previous.credential_id))) {
        key = `${key}:after:${previous.credential_id}`;
        previous = await findByKey(key);
      }
      if (previous) {
        // A given key answers only the request it was first used for, by the same caller: anything
        // else is refused without a word about the first request (it names someone's contacts).
        // A derived key is the data itself, so it can only match the same data.
        const sameCaller = (previous.operator_id ?? undefined) === opts.operatorId;
        if (opts.idempotencyKey && (!sameCaller || canonicalJson(previous.data) !== canonicalJson(request))) throw keyReused();
        return { created: false, result: accepted(previous) };
      }
      const credentialId = randomUUID();
      const requestId = randomUUID();
      let protocol: string;
      try {
        // One statement, so one round trip and its own transaction: the credential, the request
        // and the 'requested' event are stored together or not at all.
        const stored = await pool.query<{ protocol: string }>(
          `WITH credential AS (
             INSERT INTO credentials (id, codice_fiscale, state, channel, holder, contacts, residence)
             VALUES ($1::uuid, $2::text, 'requested', $3::text, $4::jsonb, $5::jsonb, $6::jsonb)
             RETURNING id),
           request AS (
             INSERT INTO pin_requests (id, idempotency_key, credential_id, channel, operator_id, data, warnings)
             SELECT $7::uuid, $8::text, id, $3::text, $9::text, $10::jsonb, $11::jsonb FROM credential
             RETURNING credential_id, protocol)
           INSERT INTO credential_events (idempotency_key, credential_id, type, actor, data)
           SELECT credential_id::text || ':requested', credential_id, 'requested', $12::text, $13::jsonb FROM request
           RETURNING (SELECT protocol FROM request) AS protocol`,
          [
            credentialId,
            request.codiceFiscale,
            request.channel,
            JSON.stringify({
              surname: request.surname,
              name: request.name,
              birthDate: request.birthDate,
              sex: request.sex,
              birthProvince: request.birthProvince,
              birthMunicipality: request.birthMunicipality,
            }),
            JSON.stringify({
              homePhone: request.homePhone,
              mobile: request.mobile,
              email: request.email,
              pec: request.pec,
              preferredPhone: request.preferredPhone,
              preferredTimeSlot: request.preferredTimeSlot,
            }),
            JSON.stringify(request.residence),
            requestId,
            key,
            opts.operatorId ?? null,
            JSON.stringify(request),
            JSON.stringify(warnings),
            opts.operatorId ? `operator:${opts.operatorId}` : 'citizen',
            JSON.stringify({ channel: request.channel }),
          ],
        );
        protocol = stored.rows[0]!.protocol;
      } catch (err) {
        if (isUniqueViolation(err, 'pin_requests_idempotency_key_key') || isUniqueViolation(err, 'credentials_one_live_per_cf')) {
          // Lost a race with an identical request: answer with the winner's result.
          const winner = await findByKey(key);
          if (winner) return { created: false, result: accepted(winner) };
          throw liveCredentialConflict();
        }
        throw err;
      }
      deps.onAccepted?.();
      issuanceStages.inc({ stage: 'requested' });
      return { created: true, result: accepted({ id: requestId, protocol, credential_id: credentialId, data: request, warnings }) };
    },

    /** Non-personal status of a request, by its unguessable id. */
    async status(requestId: string) {
      const { rows } = await pool.query<{ credential_id: string; protocol: string; created_at: Date }>(
        'SELECT credential_id, protocol, created_at FROM pin_requests WHERE id = $1::uuid',
        [requestId],
      );
      if (!rows[0]) throw new DomainError(ErrorType.NotFound, { it: 'Richiesta non trovata.', en: 'Request not found.' });
      return { credentialId: rows[0].credential_id, protocol: rows[0].protocol, receivedAt: rows[0].created_at.toISOString() };
    },

    /**
     * The printable receipt of a request, by its unguessable id (what the citizen was given when
     * it was accepted): protocol number, received time, the holder's name and what happens next.
     */
    async receipt(requestId: string): Promise<Uint8Array> {
      const { rows } = await pool.query<{ protocol: string; created_at: Date; data: PinRequest }>('SELECT protocol, created_at, data FROM pin_requests WHERE id = $1::uuid', [requestId]);
      if (!rows[0]) throw new DomainError(ErrorType.NotFound, { it: 'Richiesta non trovata.', en: 'Request not found.' });
      const r = rows[0];
      return renderRequestReceipt({
        protocol: r.protocol,
        receivedAt: r.created_at.toISOString(),
        holderName: `${r.data.name} ${r.data.surname}`,
        codiceFiscale: r.data.codiceFiscale,
        channels: deliveryPlan(r.data).firstHalf.flatMap((c) => (c.channel === 'letter' ? [] : [{ channel: c.channel }])),
      });
    },
  };
}
