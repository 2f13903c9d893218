/**
 * A change of a credential's contacts, by its holder or by a contact-centre operator: the new
 * set is written with the old one in `contact_changes`, the timeline gets `contacts_changed`
 * (which the conversion's risk flags read) and the audit log its row, in one transaction; then
 * the notices workflow tells the old and new addresses. If that workflow cannot be started (a start
 * whose answer was lost is asked again first: services/temporal-outcome.ts) the change is undone
 * (nothing changes without its notices) and the error goes to the caller.
 */
import { randomUUID } from 'node:crypto';
import { startSettled } from '../temporal-outcome';
import type { ServiceDeps } from '../deps';
import { withTransaction } from '../../lib/db';
import { appendAudit } from '../../lib/audit';
import { DomainError, ErrorType } from '../../domain/errors';
import type { ContactDetails } from '../../domain/pin-request';
import { CONTACT_NOTICES_WORKFLOW_TYPE, contactNoticesWorkflowId, type ContactNoticesInput } from '../../workflows/recovery-definitions';
import type { contactNoticesWorkflow } from '../../workflows/recovery';
import { isLive } from '../../domain/credential';

export interface ContactChange {
  credentialId: string;
  /** The whole new set, normalised by `validateContacts`. */
  next: ContactDetails;
  /** `citizen` or `operator:<staffId>`. */
  changedBy: string;
  /** How the person asking was verified (no secret). */
  verification: Record<string, unknown>;
  /**
   * Checked under the credential's row lock against the current contacts; throws to refuse
   * (e.g. an operator may only fill an empty contact).
   */
  check?: (current: ContactDetails) => void;
}

const KINDS = ['homePhone', 'mobile', 'email', 'pec', 'preferredPhone', 'preferredTimeSlot'] as const;

/** The contact fields that differ between two sets. */
export function changedFields(a: Partial<ContactDetails>, b: Partial<ContactDetails>): string[] {
  return KINDS.filter((k) => (a[k] ?? null) !== (b[k] ?? null));
}

/** Only the contact fields (the stored JSON may hold nulls for absent ones). */
export function contactsOf(raw: Record<string, unknown>): ContactDetails {
  const out: Record<string, unknown> = {};
  for (const k of KINDS) if (typeof raw[k] === 'string' && raw[k] !== '') out[k] = raw[k];
  return out as unknown as ContactDetails;
}

const notFound = () => new DomainError(ErrorType.NotFound, { it: 'Credenziale non trovata.', en: 'Credential not found.' });

/** Applies a change and starts its notices; `undefined` when the new set equals the current one. */
export async function applyContactChange(deps: Pick<ServiceDeps, 'log' | 'pool' | 'taskQueue' | 'temporal'>, change: ContactChange): Promise<{ changeId: string; fields: string[] } | undefined> {
  const changeId = randomUUID();
  const applied = await withTransaction(deps.pool, async (client) => {
    const { rows } = await client.query<{ contacts: Record<string, unknown>; state: string }>(
      'SELECT contacts, state FROM credentials WHERE id = $1::uuid FOR UPDATE',
      [change.credentialId],
    );
    const row = rows[0];
    if (!row || !isLive(row.state)) throw notFound();
    const current = contactsOf(row.contacts);
    change.check?.(current);
    const fields = changedFields(current, change.next);
    if (fields.length === 0) return undefined;
    await client.query('UPDATE credentials SET contacts = $2::jsonb, updated_at = now() WHERE id = $1::uuid', [change.credentialId, JSON.stringify(change.next)]);
    await client.query(
      `INSERT INTO contact_changes (id, credential_id, old_contacts, new_contacts, changed_by, verification)
       VALUES ($1::uuid, $2::uuid, $3::jsonb, $4::jsonb, $5::text, $6::jsonb)`,
      [changeId, change.credentialId, JSON.stringify(current), JSON.stringify(change.next), change.changedBy, JSON.stringify(change.verification)],
    );
    // The timeline and the audit say which fields changed, not their values.
    await client.query(
      `INSERT INTO credential_events (idempotency_key, credential_id, type, actor, data) VALUES ($1::text, $2::uuid, 'contacts_changed', $3::text, $4::jsonb)`,
      [`${change.credentialId}:contacts:${changeId}`, change.credentialId, change.changedBy, JSON.stringify({ changeId, fields })],
    );
    await appendAudit(client, {
      actor: change.changedBy,
      action: 'contacts.change',
      subject: change.credentialId,
      decision: 'changed',
      detail: { changeId, fields, verification: change.verification },
    });
    return { current, fields };
  });
  if (!applied) return undefined;

  const input: ContactNoticesInput = { changeId };
  try {
    // A start whose answer was lost is asked again before the change is undone (temporal-outcome.ts).
    await startSettled(deps.temporal, () =>
      deps.temporal.workflow.start<typeof contactNoticesWorkflow>(CONTACT_NOTICES_WORKFLOW_TYPE, { workflowId: contactNoticesWorkflowId(changeId), taskQueue: deps.taskQueue, args: [input] }),
    );
  } catch (err) {
    // Without its notices the change must not stand: restore the old set if nothing changed it since.
    await withTransaction(deps.pool, async (client) => {
      const undone = await client.query('UPDATE credentials SET contacts = $2::jsonb, updated_at = now() WHERE id = $1::uuid AND contacts = $3::jsonb', [
        change.credentialId,
        JSON.stringify(applied.current),
        JSON.stringify(change.next),
      ]);
      await appendAudit(client, { actor: 'system', action: 'contacts.change', subject: change.credentialId, decision: 'undone', detail: { changeId, restored: (undone.rowCount ?? 0) > 0 } });
    });
    throw err;
  }
  deps.log.info({ credentialId: change.credentialId, changeId, fields: applied.fields }, 'contacts changed');
  return { changeId, fields: applied.fields };
}
