/**
 * The append-only audit log. Each row's hash covers its content and the previous row's hash, so
 * an edited, inserted or deleted row breaks the chain from that point on. Appends take a
 * transaction-scoped advisory lock: the chain needs a total order, and an audit append is short.
 * Never put a secret in `detail`.
 */
import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from './db';

export interface AuditEntry {
  actor: string;
  action: string;
  subject?: string;
  decision?: string;
  detail?: Record<string, unknown>;
}

const AUDIT_LOCK = 7_233_002;

/** The hashed form of a row: fixed field order, ISO timestamp, canonical JSON of the detail. */
export function auditRowHash(prev: Buffer | null, row: { at: Date; actor: string; action: string; subject: string | null; decision: string | null; detail: unknown }): Buffer {
  const h = createHash('sha256');
  h.update(prev ?? Buffer.alloc(0));
  for (const part of [row.at.toISOString(), row.actor, row.action, row.subject ?? '', row.decision ?? '', canonical(row.detail)]) {
    h.update(`${Buffer.byteLength(part)}:${part}`);
  }
  return h.digest();
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/** Appends within the caller's transaction (so the entry commits or rolls back with the action). */
export async function appendAudit(client: PoolClient, entry: AuditEntry): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [AUDIT_LOCK]);
  const last = await client.query<{ row_hash: Buffer }>('SELECT row_hash FROM audit_log ORDER BY id DESC LIMIT 1');
  const prev = last.rows[0]?.row_hash ?? null;
  // Millisecond precision, the precision the hash covers, so verification recomputes the same bytes.
  const at = new Date(Date.now());
  const detail = entry.detail ?? {};
  const rowHash = auditRowHash(prev, { at, actor: entry.actor, action: entry.action, subject: entry.subject ?? null, decision: entry.decision ?? null, detail });
  await client.query(
    `INSERT INTO audit_log (at, actor, action, subject, decision, detail, prev_hash, row_hash)
     VALUES ($1::timestamptz, $2::text, $3::text, $4::text, $5::text, $6::jsonb, $7::bytea, $8::bytea)`,
    [at, entry.actor, entry.action, entry.subject ?? null, entry.decision ?? null, JSON.stringify(detail), prev, rowHash],
  );
}

/** Appends in a transaction of its own. */
export async function audit(pool: Pool, entry: AuditEntry): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await appendAudit(client, entry);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Walks the chain; returns the id of the first row whose hash does not match, if any. */
export async function verifyAuditChain(pool: Pool): Promise<{ rows: number; firstBroken?: number }> {
  let prev: Buffer | null = null;
  let count = 0;
  let after = 0;
  for (;;) {
    const { rows } = await pool.query<{ id: string; at: Date; actor: string; action: string; subject: string | null; decision: string | null; detail: unknown; prev_hash: Buffer | null; row_hash: Buffer }>(
      'SELECT id, at, actor, action, subject, decision, detail, prev_hash, row_hash FROM audit_log WHERE id > $1::bigint ORDER BY id LIMIT 5000',
      [after],
    );
    if (rows.length === 0) return { rows: count };
    for (const r of rows) {
      const expected = auditRowHash(prev, r);
      const linked = (prev === null && r.prev_hash === null) || (prev !== null && r.prev_hash !== null && prev.equals(r.prev_hash));
      if (!linked || !expected.equals(r.row_hash)) return { rows: count, firstBroken: Number(r.id) };
      prev = r.row_hash;
      count++;
      after = Number(r.id);
    }
  }
}
