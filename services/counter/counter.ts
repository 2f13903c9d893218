/**
 * Issuance at an office counter (form MV35): the clerk identifies the citizen with an identity
 * document and hands over a dispositivo PIN at once, in a sealed envelope.
 *
 * One transaction stores the credential (already active and dispositivo), the request, the
 * identity check, the PIN's argon2id hash, the prefilled MV35, a timeline event and an audit
 * entry. The 8-character PIN exists only in memory: it is hashed and printed into the envelope
 * PDF, which is returned once to the clerk and never stored. After the commit the credential's
 * workflow starts directly in its active cycle (no letters, no first access).
 *
 * The request data are checked with the PIN request's own validation (domain/pin-request.ts),
 * relaxed where the counter needs less: the call-back preferences (preferred phone and time
 * slot) are optional, since the citizen is identified in person and no residence call-back
 * happens; the channel is implicit; "has an Italian identity document" follows from the
 * document shown (or is stated). The contact rules stay: notices and recovery need them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { ServiceDeps } from '../deps';
import type { StaffPrincipal } from '../staff/auth';
import { documentStore } from '../conversion/documents';
import { birthPlaceText, residenceText } from '../../domain/holder-text';
import { withTransaction } from '../../lib/db';
import { appendAudit } from '../../lib/audit';
import { recordEvent } from '../../lib/events';
import { generatePin } from '../../lib/secrets';
import { hashPin } from '../../lib/pin-hash';
import { renderMv35, renderSealedEnvelope } from '../../forms/index';
import { italianCalendarDate, parseIsoDate } from '../../domain/calendar';
import { fieldIssue, DomainError, ErrorType, validationError, type FieldIssue } from '../../domain/errors';
import { checkEligibility, validatePinRequest, type PinRequest } from '../../domain/pin-request';
import { checkIdentityDocument, IDENTITY_DOCUMENT_TYPES, issuerText, type IdentityDocument } from '../../domain/identity-document';
import { officeName } from '../../domain/offices';
import { staffDisplayName } from '../staff/accounts';
import { normaliseProfile } from '../../domain/services';
import {
  CREDENTIAL_WORKFLOW_TYPE,
  DEFAULT_ACCESS_POLICY,
  credentialWorkflowId,
  type CredentialWorkflowInput,
} from '../../workflows/definitions';
import type { pinCredentialWorkflow } from '../../workflows/credential';
import { LIVE_CREDENTIAL } from '../credentials';

/** A counter request, checked: the citizen's data, the office and the document shown. */
export interface CounterIssuanceRequest {
  /** The citizen's data, normalised. `preferredPhone`/`preferredTimeSlot` only when given. */
  citizen: Omit<PinRequest, 'channel' | 'preferredPhone' | 'preferredTimeSlot'> & Partial<Pick<PinRequest, 'preferredPhone' | 'preferredTimeSlot'>>;
  office: string;
  identityDocument: IdentityDocument;
  warnings: FieldIssue[];
}

const COUNTER_FIELDS = new Set(['office', 'identityDocument']);


/**
 * Validates a counter request. Throws VALIDATION (400) listing every bad field, the PIN
 * request's and the document's together, or NOT_ELIGIBLE (422) under the 2021 policy.
 */
export function parseCounterIssuance(body: unknown, opts: { today: Date; eligibilityPolicy: boolean }): CounterIssuanceRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw validationError([fieldIssue('', 'invalid_type', 'La richiesta deve essere un oggetto JSON.', 'The request must be a JSON object.')]);
  }
  const input = body as Record<string, unknown>;
  const issues: FieldIssue[] = [];
  const core: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) if (!COUNTER_FIELDS.has(k) && k !== 'channel') core[k] = v;
  if ('channel' in input) issues.push(fieldIssue('channel', 'unknown_field', 'Campo non previsto: «channel».', 'Unexpected field: "channel".'));

  // The validator wants the call-back preferences and a channel: placeholders that are never stored.
  const givenPhone = typeof core.preferredPhone === 'string' && core.preferredPhone !== '';
  const givenSlot = typeof core.preferredTimeSlot === 'string' && core.preferredTimeSlot !== '';
  if (!givenPhone) core.preferredPhone = typeof core.mobile === 'string' && core.mobile.trim() ? 'mobile' : 'home';
  if (!givenSlot) core.preferredTimeSlot = '08-11';
  if (core.hasItalianIdentityDocument === undefined) core.hasItalianIdentityDocument = false;
  core.channel = 'online';

  let request: PinRequest | undefined;
  let warnings: FieldIssue[] = [];
  try {
    ({ request, warnings } = validatePinRequest(core, { today: opts.today, eligibilityPolicy: false }));
  } catch (err) {
    if (!(err instanceof DomainError) || err.type !== ErrorType.Validation) throw err;
    issues.push(...err.fields.filter((f) => givenPhone || f.code !== 'preferred_phone_missing'));
  }

  const office = typeof input.office === 'string' ? officeName(input.office) : '';
  if (office.length < 2 || office.length > 120) {
    issues.push(fieldIssue('office', 'required', 'Indica la sede INPS (2-120 caratteri).', 'Give the INPS office (2-120 characters).'));
  }
  const rawBirth = typeof input.birthDate === 'string' && parseIsoDate(input.birthDate) ? input.birthDate : undefined;
  const doc = checkIdentityDocument(input.identityDocument, { today: opts.today, birthDate: request?.birthDate ?? rawBirth });
  issues.push(...doc.issues);
  if (issues.length || !request || !doc.document) throw validationError(issues);

  const hasItalianIdentityDocument = request.hasItalianIdentityDocument || IDENTITY_DOCUMENT_TYPES[doc.document.type].italian;
  const eligibility = checkEligibility({ residence: request.residence, hasItalianIdentityDocument }, { today: opts.today, eligibilityPolicy: opts.eligibilityPolicy, audience: 'staff' });
  if (!eligibility.eligible) throw new DomainError(ErrorType.NotEligible, eligibility.message, [], { reason: eligibility.reason });

  const { channel: _channel, preferredPhone, preferredTimeSlot, ...citizen } = request;
  return {
    citizen: {
      ...citizen,
      hasItalianIdentityDocument,
      ...(givenPhone ? { preferredPhone } : {}),
      ...(givenSlot ? { preferredTimeSlot } : {}),
    },
    office,
    identityDocument: doc.document,
    warnings,
  };
}

/** What the clerk gets back, once: the envelope bytes hold the PIN and are never stored. */
export interface CounterIssuance {
  credentialId: string;
  requestId: string;
  /** The request's protocol number, as the holder and the staff know it. */
  protocol: string;
  holderName: string;
  mv35DocumentId: string;
  pinExpiresAt: string;
  warnings: FieldIssue[];
  envelopePdf: Uint8Array;
}

const liveCredentialConflict = () =>
  new DomainError(
    ErrorType.Conflict,
    {
      it: 'Esiste già un PIN attivo o in corso di rilascio per questo codice fiscale: non se ne può rilasciare un altro allo sportello. Per renderlo dispositivo usa la conversione allo sportello.',
      en: 'A PIN is already active or being issued for this codice fiscale: another one cannot be issued at the counter. To make it a dispositivo PIN, use the conversion at the counter.',
    },
    [],
    { reason: 'LIVE_CREDENTIAL' },
  );

export function createCounterService(deps: Pick<ServiceDeps, 'eligibilityPolicy' | 'log' | 'now' | 'pepper' | 'pool' | 'policy' | 'taskQueue' | 'temporal'>) {
  const store = documentStore(deps);
  const now = deps.now ?? (() => new Date());

  return {
    async issue(staff: StaffPrincipal, body: unknown): Promise<CounterIssuance> {
      const at = now();
      const req = parseCounterIssuance(body, { today: at, eligibilityPolicy: deps.eligibilityPolicy });
      const { citizen, office, identityDocument: idDoc } = req;
      store.assertConfigured();
      // A cheap refusal before hashing; the unique index decides races inside the transaction.
      const live = await deps.pool.query(`SELECT 1 FROM credentials WHERE codice_fiscale = $1::text AND ${LIVE_CREDENTIAL}`, [citizen.codiceFiscale]);
      if (live.rowCount) throw liveCredentialConflict();

      const credentialId = randomUUID();
      const requestId = randomUUID();
      const mv35DocumentId = randomUUID();
      const actor = `staff:${staff.staffId}`;
      const date = italianCalendarDate(at);
      const reference = `MV35-${requestId}`;
      const mv35 = await renderMv35({
        reference,
        date,
        office,
        citizen: {
          codiceFiscale: citizen.codiceFiscale,
          surname: citizen.surname,
          name: citizen.name,
          birthDate: citizen.birthDate,
          sex: citizen.sex,
          birthPlace: birthPlaceText(citizen),
          residence: residenceText(citizen.residence),
          email: citizen.email ?? citizen.pec,
          mobile: citizen.mobile,
        },
        identityDocument: {
          type: IDENTITY_DOCUMENT_TYPES[idDoc.type].label.it,
          number: idDoc.number,
          issuer: issuerText(idDoc),
          issueDate: idDoc.issuedOn,
          expiryDate: idDoc.expiresOn,
        },
        // The MV35 names the clerk who checked the document and signs it.
        clerk: { id: staff.staffId, name: await staffDisplayName(deps.pool, staff.staffId) },
      });

      // The PIN lives in this scope only: hashed for the database, printed for the envelope.
      const pin = generatePin(8);
      const pinHash = await hashPin(deps.pepper, pin);
      const envelopePdf = await renderSealedEnvelope({
        reference,
        date,
        holderName: `${citizen.name} ${citizen.surname}`,
        codiceFiscale: citizen.codiceFiscale,
        pin,
        office,
      });

      let storageName: string | undefined;
      let pinExpiresAt: Date;
      let protocol: string;
      try {
        ({ pinExpiresAt, protocol } = await withTransaction(deps.pool, async (client) => {
          const { rows: records } = await client.query<{ profile: unknown }>('SELECT profile FROM institute_records WHERE codice_fiscale = $1::text', [
            citizen.codiceFiscale,
          ]);
          const profile = records[0]?.profile ?? {};
          const months = normaliseProfile(profile).intermediary
            ? DEFAULT_ACCESS_POLICY.intermediaryPinValidityMonths
            : DEFAULT_ACCESS_POLICY.citizenPinValidityMonths;
          await client.query(
            `INSERT INTO credentials (id, codice_fiscale, state, pin_type, channel, holder, contacts, residence, profile, issuance_mode, workflow_started_at)
             VALUES ($1::uuid, $2::text, 'active', 'dispositivo', 'counter', $3::jsonb, $4::jsonb, $5::jsonb, $6::jsonb, 'counter', $7::timestamptz)`,
            [
              credentialId,
              citizen.codiceFiscale,
              JSON.stringify({
                surname: citizen.surname,
                name: citizen.name,
                birthDate: citizen.birthDate,
                sex: citizen.sex,
                birthProvince: citizen.birthProvince,
                birthMunicipality: citizen.birthMunicipality,
              }),
              JSON.stringify({
                homePhone: citizen.homePhone,
                mobile: citizen.mobile,
                email: citizen.email,
                pec: citizen.pec,
                preferredPhone: citizen.preferredPhone,
                preferredTimeSlot: citizen.preferredTimeSlot,
              }),
              JSON.stringify(citizen.residence),
              JSON.stringify(profile),
              at,
            ],
          );
          const request = await client.query<{ protocol: string }>(
            `INSERT INTO pin_requests (id, idempotency_key, credential_id, channel, operator_id, data, warnings)
             VALUES ($1::uuid, $2::text, $3::uuid, 'counter', $4::text, $5::jsonb, $6::jsonb) RETURNING protocol`,
            [requestId, `counter:${requestId}`, credentialId, staff.staffId, JSON.stringify({ ...citizen, channel: 'counter', office }), JSON.stringify(req.warnings)],
          );
          const secret = await client.query<{ expires_at: Date }>(
            `INSERT INTO pin_secrets (credential_id, version, kind, pin_hash, salt, status, activated_at, expires_at)
             VALUES ($1::uuid, 1, 'personal', $2::text, $3::bytea, 'active', $4::timestamptz, $4::timestamptz + make_interval(months => $5::int))
             RETURNING expires_at`,
            // argon2id carries its own salt; the column is required by the table's other kinds.
            [credentialId, pinHash, randomBytes(16), at, months],
          );
          const doc = await store.store(client, {
            documentId: mv35DocumentId,
            credentialId,
            kind: 'mv35',
            mediaType: 'application/pdf',
            bytes: mv35,
            displayName: `${reference}.pdf`,
            uploadedBy: actor,
          });
          storageName = doc.storageName;
          await client.query(
            `INSERT INTO identity_verifications (id, credential_id, method, document_type, document_number, document_issuer, issuing_country, issued_on, expires_on, verified_by, office, mv35_document_id)
             VALUES ($1::uuid, $2::uuid, 'counter', $3::text, $4::text, $5::text, $6::text, $7::date, $8::date, $9::text, $10::text, $11::uuid)`,
            [randomUUID(), credentialId, idDoc.type, idDoc.number, idDoc.issuer, idDoc.issuingCountry, idDoc.issuedOn, idDoc.expiresOn, actor, office, mv35DocumentId],
          );
          const expiresAt = secret.rows[0]!.expires_at;
          await recordEvent(
            client,
            credentialId,
            'counter_issued',
            actor,
            { office, documentType: idDoc.type, pinVersion: 1, pinType: 'dispositivo', pinExpiresAt: expiresAt.toISOString(), mv35DocumentId },
            `${credentialId}:counter-issued`,
          );
          await appendAudit(client, {
            actor,
            action: 'counter_issuance',
            subject: credentialId,
            decision: 'issued',
            detail: { office, documentType: idDoc.type, pinVersion: 1, requestId },
          });
          return { pinExpiresAt: expiresAt, protocol: request.rows[0]!.protocol };
        }));
      } catch (err) {
        if (storageName) await store.discard(storageName);
        const e = err as { code?: string; constraint?: string };
        if (e.code === '23505' && e.constraint === 'credentials_one_live_per_cf') throw liveCredentialConflict();
        throw err;
      }

      await startActiveWorkflow(deps, credentialId, pinExpiresAt.toISOString());
      deps.log.info({ credentialId, requestId, staffId: staff.staffId, office }, 'dispositivo PIN issued at the counter');
      return { credentialId, requestId, protocol, holderName: `${citizen.name} ${citizen.surname}`, mv35DocumentId, pinExpiresAt: pinExpiresAt.toISOString(), warnings: req.warnings, envelopePdf };
    },

    /** The stored MV35 of a credential (the latest, if the form was ever replaced). */
    async mv35(credentialId: string) {
      return store.read({ credentialId, kind: 'mv35' });
    },
  };
}

/**
 * Starts the credential's workflow in its active cycle. The PIN is already usable (the login
 * reads PostgreSQL), so a failure here does not undo the issue: it is logged and raised as an
 * operational alert for operations to start the workflow by hand.
 */
async function startActiveWorkflow(deps: Pick<ServiceDeps, 'log' | 'policy' | 'pool' | 'taskQueue' | 'temporal'>, credentialId: string, pinExpiresAt: string): Promise<void> {
  const input: CredentialWorkflowInput = {
    credentialId,
    policy: deps.policy,
    resume: { state: 'active', pinVersion: 1, pinType: 'dispositivo', pinExpiresAt, cycle: 1 },
    channel: 'counter',
  };
  try {
    await deps.temporal.workflow.start<typeof pinCredentialWorkflow>(CREDENTIAL_WORKFLOW_TYPE, { workflowId: credentialWorkflowId(credentialId), taskQueue: deps.taskQueue, args: [input] });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    deps.log.error({ err, credentialId }, 'counter issuance: credential workflow not started');
    await deps.pool
      .query(
        `INSERT INTO operational_alerts (id, idempotency_key, credential_id, kind, detail) VALUES ($1::uuid, $2::text, $3::uuid, 'workflow_start_failed', $4::jsonb)
         ON CONFLICT (idempotency_key) DO NOTHING`,
        [randomUUID(), `${credentialId}:workflow-start`, credentialId, JSON.stringify({ resume: input.resume })],
      )
      .catch(() => undefined);
  }
}
