/**
 * The audit log as administrators read it: the latest rows (by subject or actor), and the check
 * of the whole keyed chain against the checkpoints kept outside the database — the same check as
 * `npm run audit:verify`, without writing a checkpoint (the worker does that).
 */
import { verifyAuditChain } from '../lib/audit';
import { verifyAuditLog, type AuditLogVerification } from '../lib/audit-checkpoints';
import type { ServiceDeps } from './deps';

export interface AuditRowView {
  id: number;
  at: Date;
  actor: string;
  action: string;
  subject: string | null;
  /** The protocol number a person knows the subject by, when it is a PIN (its request's) or a claim. */
  subjectProtocol: string | null;
  /** The actor as a person knows it when its id is a record's: a staff account's username, a PIN's protocol number. */
  actorName: string | null;
  decision: string | null;
  detail: Record<string, unknown>;
  keyed: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function recentAuditRows(deps: Pick<ServiceDeps, 'pool'>, filter: { subject?: string; actor?: string }, limit = 100): Promise<AuditRowView[]> {
  const { rows } = await deps.pool.query<{ id: string; at: Date; actor: string; action: string; subject: string | null; decision: string | null; detail: Record<string, unknown>; key_id: number | null }>(
    `SELECT id, at, actor, action, subject, decision, detail, key_id FROM audit_log
      WHERE ($1::text IS NULL OR subject = $1::text) AND ($2::text IS NULL OR actor = $2::text)
      ORDER BY id DESC LIMIT $3::int`,
    [filter.subject ?? null, filter.actor ?? null, limit],
  );
  const actorIds = rows.map((r) => /^(?:staff|citizen|delegate|clerk):(.+)$/.exec(r.actor)?.[1]).filter((id): id is string => id !== undefined && UUID.test(id));
  const ids = [...new Set([...rows.map((r) => r.subject).filter((s): s is string => s !== null && UUID.test(s)), ...actorIds].map((id) => id.toLowerCase()))];
  const protocols = new Map(
    (
      await deps.pool.query<{ id: string; protocol: string | null }>(
        `SELECT s.id::text AS id,
                coalesce((SELECT min(r.protocol) FROM pin_requests r WHERE r.credential_id = s.id),
                         (SELECT b.protocol FROM benefit_claims b WHERE b.id = s.id),
                         (SELECT a.username FROM staff_accounts a WHERE a.id = s.id)) AS protocol
           FROM unnest($1::uuid[]) AS s(id)`,
        [ids],
      )
    ).rows.map((r) => [r.id, r.protocol]),
  );
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at,
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    subjectProtocol: (r.subject && protocols.get(r.subject.toLowerCase())) ?? null,
    actorName: protocols.get(/^[a-z]+:(.+)$/.exec(r.actor)?.[1]?.toLowerCase() ?? '') ?? null,
    decision: r.decision,
    detail: r.detail,
    keyed: r.key_id !== null,
  }));
}

/** The chain and, when a checkpoint file is configured, every checkpoint in it. */
export async function checkAuditLog(deps: Pick<ServiceDeps, 'pool' | 'secrets' | 'auditCheckpointFile'>): Promise<AuditLogVerification & { checkpointsConfigured: boolean }> {
  if (!deps.secrets) throw new Error('the secrets key is not configured');
  if (deps.auditCheckpointFile) return { ...(await verifyAuditLog(deps.pool, deps.secrets, deps.auditCheckpointFile, new Date(), { writeCheckpoint: false })), checkpointsConfigured: true };
  const chain = await verifyAuditChain(deps.pool, deps.secrets);
  const problems = chain.firstBroken === undefined ? [] : [`chain broken at row ${chain.firstBroken}: ${chain.reason}`];
  return { ok: problems.length === 0, chain, checkpointsChecked: 0, problems, checkpointsConfigured: false };
}
