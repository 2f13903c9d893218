/**
 * What a PIN holder sees about themselves in the portal: the name and the PIN's expiry for the
 * personal area, the contacts to change, and "Le mie richieste" — their own timeline across every
 * PIN their codice fiscale had (requests with protocol numbers and where they stand, the calls that
 * verified a residence, letters, conversions, remote identifications, claims, recoveries, contact
 * changes). Read only, and only the holder's own rows; nothing internal
 * (no clerk names, no risk flags, no PIN material).
 */
import type { QueryResultRow } from 'pg';
import type { ContactDetails } from '../domain/pin-request';
import type { ServiceDeps } from './deps';
import type { Bilingual } from '../domain/errors';
import { rejectionText } from '../domain/review-reasons';

export interface HolderSummary {
  name: string;
  surname: string;
  /** When the PIN in use expires (absent while it is the 16-character one, before the first access). */
  pinExpiresAt?: string;
}

/** One thing that happened, in the order the citizen lived it. `kind` and `status` are codes the page labels. */
export interface TimelineEntry {
  at: string;
  kind: 'request' | 'callback' | 'letter' | 'conversion' | 'remote_identification' | 'claim' | 'recovery' | 'contacts_changed' | 'credential_ended';
  status?: string;
  protocol?: string;
  /** A claim's type, a letter's sequence, a conversion's source or a request's channel. */
  detail?: string;
  /** A decision's reason as told to the citizen (a rejected conversion or claim), in both languages. */
  reason?: Bilingual;
}

export function createCitizenAccountService(deps: Pick<ServiceDeps, 'pool'>) {
  const q = async <T extends QueryResultRow>(sql: string, params: unknown[]): Promise<T[]> => (await deps.pool.query<T>(sql, params)).rows;

  return {
    async summary(credentialId: string): Promise<HolderSummary | undefined> {
      const rows = await q<{ name: string; surname: string; expires_at: Date | null }>(
        `SELECT c.holder->>'name' AS name, c.holder->>'surname' AS surname,
                (SELECT s.expires_at FROM pin_secrets s WHERE s.credential_id = c.id AND s.status = 'active' ORDER BY s.version DESC LIMIT 1) AS expires_at
           FROM credentials c WHERE c.id = $1::uuid`,
        [credentialId],
      );
      const r = rows[0];
      if (!r) return undefined;
      return { name: r.name ?? '', surname: r.surname ?? '', ...(r.expires_at ? { pinExpiresAt: r.expires_at.toISOString() } : {}) };
    },

    async contacts(credentialId: string): Promise<ContactDetails | undefined> {
      const rows = await q<{ contacts: ContactDetails }>('SELECT contacts FROM credentials WHERE id = $1::uuid', [credentialId]);
      return rows[0]?.contacts;
    },

    /** The codice fiscale's own timeline, newest first (at most 200 entries). */
    async timeline(codiceFiscale: string): Promise<TimelineEntry[]> {
      const cf = [codiceFiscale];
      const mine = 'credential_id IN (SELECT id FROM credentials WHERE codice_fiscale = $1::text)';
      const [requests, callbacks, letters, cases, identifications, claims, recoveries, changes, ended] = await Promise.all([
        // A request's status is its PIN's: waiting for the call-back, sent, in use, refused.
        q<{ at: Date; protocol: string | null; channel: string; state: string }>(
          `SELECT r.created_at AS at, r.protocol, r.channel, c.state FROM pin_requests r JOIN credentials c ON c.id = r.credential_id WHERE c.codice_fiscale = $1::text`,
          cf,
        ),
        // Each call made to verify a residence that differed from the institute's record, and the end of an unanswered one.
        q<{ at: Date; outcome: string }>(
          `SELECT a.recorded_at AS at, a.outcome FROM callback_attempts a JOIN callback_tasks t ON t.id = a.task_id WHERE t.${mine}
           UNION ALL SELECT t.closed_at AS at, t.outcome FROM callback_tasks t WHERE t.${mine} AND t.outcome = 'expired' AND t.closed_at IS NOT NULL`,
          cf,
        ),
        q<{ at: Date; seq: number; status: string }>(
          `SELECT COALESCE(dispatched_at, created_at) AS at, seq, status FROM letters WHERE ${mine} AND status <> 'void'`,
          cf,
        ),
        q<{ at: Date; source: string; status: string; reason: string | null; reason_code: string | null }>(
          // A case the system itself closed (the request could not start) is not one the citizen made.
          `SELECT COALESCE(decided_at, created_at) AS at, source, status, CASE WHEN status = 'rejected' THEN reason END AS reason,
                  CASE WHEN status = 'rejected' THEN reason_code END AS reason_code FROM review_cases
            WHERE ${mine} AND coalesce(reason, '') <> 'refused_by_workflow'`,
          cf,
        ),
        q<{ at: Date }>(`SELECT created_at AS at FROM identity_verifications WHERE ${mine} AND method = 'remote'`, cf),
        q<{ at: Date; protocol: string; claim_type: string; status: string; reason: string | null }>(
          `SELECT received_at AS at, protocol, claim_type, status, CASE WHEN status = 'rejected' THEN reason END AS reason FROM benefit_claims WHERE ${mine}`,
          cf,
        ),
        q<{ at: Date; status: string }>(`SELECT requested_at AS at, status FROM recovery_links WHERE ${mine}`, cf),
        q<{ at: Date }>(`SELECT created_at AS at FROM contact_changes WHERE ${mine}`, cf),
        q<{ at: Date; state: string }>(
          `SELECT updated_at AS at, state FROM credentials WHERE codice_fiscale = $1::text AND state IN ('revoked', 'expired', 'refused')`,
          cf,
        ),
      ]);
      const iso = (d: Date) => d.toISOString();
      const entries: TimelineEntry[] = [
        ...requests.map((r) => ({ at: iso(r.at), kind: 'request' as const, status: r.state, detail: r.channel, ...(r.protocol ? { protocol: r.protocol } : {}) })),
        ...callbacks.map((c) => ({ at: iso(c.at), kind: 'callback' as const, status: c.outcome })),
        ...letters.map((l) => ({ at: iso(l.at), kind: 'letter' as const, status: l.status, detail: String(l.seq) })),
        ...cases.map((c) => {
          // The reason's text in both languages; the clerk's note is not the citizen's.
          const reason = rejectionText(c.reason_code, c.reason);
          return { at: iso(c.at), kind: 'conversion' as const, status: c.status, detail: c.source, ...(reason ? { reason } : {}) };
        }),
        ...identifications.map((i) => ({ at: iso(i.at), kind: 'remote_identification' as const })),
        // A claim's reason is the back office's own text, as decided.
        ...claims.map((c) => ({ at: iso(c.at), kind: 'claim' as const, status: c.status, protocol: c.protocol, detail: c.claim_type, ...(c.reason ? { reason: { it: c.reason, en: c.reason } } : {}) })),
        ...recoveries.map((r) => ({ at: iso(r.at), kind: 'recovery' as const, status: r.status })),
        ...changes.map((c) => ({ at: iso(c.at), kind: 'contacts_changed' as const })),
        ...ended.map((e) => ({ at: iso(e.at), kind: 'credential_ended' as const, status: e.state })),
      ];
      return entries.sort((a, b) => b.at.localeCompare(a.at)).slice(0, 200);
    },
  };
}
