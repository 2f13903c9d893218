/**
 * What the console's citizen lookup reads: every PIN credential a codice fiscale ever had and,
 * for each, the records its timeline is built from (events, notifications without payloads or
 * recipients, letters, PIN versions, conversions, claims, identity checks, recoveries, contact
 * changes), plus the codice fiscale's telephone PINs and delegations. Read only; the console
 * audits the lookup itself.
 */
import type { QueryResultRow } from 'pg';
import type { ServiceDeps } from './deps';

export interface LookupCredential {
  id: string;
  state: string;
  pin_type: string;
  channel: string;
  issuance_mode: string;
  holder: Record<string, string>;
  contacts: Record<string, unknown>;
  residence: { abroad?: boolean; address?: string; city?: string; postalCode?: string; country?: string; province?: string };
  created_at: Date;
  /** The protocol number of the request that made it (none for a PIN made at the counter before protocols). */
  protocol: string | null;
}

export function createCitizenLookup(deps: Pick<ServiceDeps, 'pool'>) {
  const q = async <T extends QueryResultRow>(sql: string, params: unknown[]): Promise<T[]> => (await deps.pool.query<T>(sql, params)).rows;

  /** The codice fiscale's credentials, newest first (at most 20). */
  const credentialsOf = (codiceFiscale: string): Promise<LookupCredential[]> =>
    q<LookupCredential>(
      `SELECT c.id, c.state, c.pin_type, c.channel, c.issuance_mode, c.holder, c.contacts, c.residence, c.created_at,
              (SELECT min(r.protocol) FROM pin_requests r WHERE r.credential_id = c.id) AS protocol
         FROM credentials c WHERE c.codice_fiscale = $1::text ORDER BY c.created_at DESC LIMIT 20`,
      [codiceFiscale],
    );

  /** The records one credential's timeline is made of, oldest first within each. */
  async function historyOf(credentialId: string) {
    const id = [credentialId];
    const [events, outbox, letters, secrets, cases, claims, checks, recoveries, changes] = await Promise.all([
      q<{ type: string; actor: string; data: Record<string, unknown>; at: Date }>('SELECT type, actor, data, at FROM credential_events WHERE credential_id = $1::uuid ORDER BY id', id),
      q<{ channel: string; purpose: string; status: string; attempts: number; created_at: Date; sent_at: Date | null }>(
        'SELECT channel, purpose, status, attempts, created_at, sent_at FROM outbox WHERE credential_id = $1::uuid ORDER BY created_at',
        id,
      ),
      q<{ seq: number; reason: string; status: string; batch_date: string | null; created_at: Date; dispatched_at: Date | null }>(
        `SELECT seq, reason, status, to_char(batch_date, 'YYYY-MM-DD') AS batch_date, created_at, dispatched_at FROM letters WHERE credential_id = $1::uuid ORDER BY seq`,
        id,
      ),
      q<{ version: number; kind: string; status: string; created_at: Date; activated_at: Date | null; expires_at: Date | null; superseded_at: Date | null }>(
        'SELECT version, kind, status, created_at, activated_at, expires_at, superseded_at FROM pin_secrets WHERE credential_id = $1::uuid ORDER BY version',
        id,
      ),
      q<{ id: string; source: string; status: string; claimed_by: string | null; decided_by: string | null; reason: string | null; reason_code: string | null; note: string | null; created_at: Date; decided_at: Date | null }>(
        'SELECT id, source, status, claimed_by, decided_by, reason, reason_code, note, created_at, decided_at FROM review_cases WHERE credential_id = $1::uuid ORDER BY created_at',
        id,
      ),
      q<{ id: string; protocol: string; claim_type: string; status: string; filed_by: string; received_at: Date; released_at: Date | null }>(
        'SELECT id, protocol, claim_type, status, filed_by, received_at, released_at FROM benefit_claims WHERE credential_id = $1::uuid ORDER BY received_at',
        id,
      ),
      q<{ method: string; document_type: string; verified_by: string; office: string | null; created_at: Date }>(
        'SELECT method, document_type, verified_by, office, created_at FROM identity_verifications WHERE credential_id = $1::uuid ORDER BY created_at',
        id,
      ),
      q<{ channel: string; status: string; requested_at: Date; used_at: Date | null }>('SELECT channel, status, requested_at, used_at FROM recovery_links WHERE credential_id = $1::uuid ORDER BY requested_at', id),
      q<{ changed_by: string; old_contacts: Record<string, unknown>; new_contacts: Record<string, unknown>; created_at: Date }>(
        'SELECT changed_by, old_contacts, new_contacts, created_at FROM contact_changes WHERE credential_id = $1::uuid ORDER BY created_at',
        id,
      ),
    ]);
    return { events, outbox, letters, secrets, cases, claims, checks, recoveries, changes };
  }

  const telephonePinsOf = (codiceFiscale: string) =>
      q<{ validity: string; status: string; identity_method: string; created_at: Date; expires_at: Date; ended_at: Date | null }>(
        'SELECT validity, status, identity_method, created_at, expires_at, ended_at FROM telephone_pins WHERE codice_fiscale = $1::text ORDER BY created_at DESC LIMIT 50',
        [codiceFiscale],
      );

  const delegationsOf = (codiceFiscale: string) =>
      q<{ delegator_cf: string; delegate_cf: string; scope: string; ends_on: string; status: string; source: string; office: string | null; created_at: Date; ended_by: string | null }>(
        `SELECT delegator_cf, delegate_cf, scope, to_char(ends_on, 'YYYY-MM-DD') AS ends_on, status, source, office, created_at, ended_by FROM delegations
          WHERE delegator_cf = $1::text OR delegate_cf = $1::text ORDER BY created_at DESC LIMIT 50`,
        [codiceFiscale],
      );

  /**
   * The codice fiscale behind a protocol number a person reads out: a PIN request's
   * (`PIN.2026.00000012`) or a claim's (`INPS.2026.00000007`); undefined when none has it.
   */
  async function codiceFiscaleByProtocol(protocol: string): Promise<string | undefined> {
    const p = protocol.trim().toUpperCase();
    const sql = /^PIN\.\d{4}\.\d{8}$/.test(p)
      ? 'SELECT c.codice_fiscale FROM pin_requests r JOIN credentials c ON c.id = r.credential_id WHERE r.protocol = $1::text'
      : /^INPS\.\d{4}\.\d{8}$/.test(p)
        ? 'SELECT c.codice_fiscale FROM benefit_claims b JOIN credentials c ON c.id = b.credential_id WHERE b.protocol = $1::text'
        : undefined;
    if (!sql) return undefined;
    const { rows } = await deps.pool.query<{ codice_fiscale: string }>(sql, [p]);
    return rows[0]?.codice_fiscale;
  }

  return { credentialsOf, historyOf, telephonePinsOf, delegationsOf, codiceFiscaleByProtocol };
}
