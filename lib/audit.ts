/**
 * The append-only audit log. Each row's MAC covers its content and the previous row's MAC, under
 * a key derived from the secrets key — which lives outside the database — so whoever can write
 * to PostgreSQL cannot edit, insert or delete a row without breaking the chain from that point
 * on, nor re-compute it. The table itself refuses UPDATE, DELETE and TRUNCATE (migration 015).
 * What a database writer could still do unseen is cut the tail or restore an old copy: the
 * checkpoints kept outside the database (lib/audit-checkpoints.ts) catch that.
 *
 * Appends take a transaction-scoped advisory lock: the chain needs a total order, and an audit
 * append is short. Never put a secret in `detail`.
 *
 * Rows written before the key (key_id NULL) carry the old unkeyed SHA-256; they are accepted only
 * as the chain's prefix, and the first keyed row's MAC covers their last hash, so they are kept
 * under the key as well.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Pool, PoolClient } from './db';
import type { KeyRing } from './secrets';

export interface AuditEntry {
  actor: string;
  action: string;
  subject?: string;
  decision?: string;
  detail?: Record<string, unknown>;
}

/** The advisory lock every append holds until its transaction ends (also taken by `login_grant`). */
export const AUDIT_LOCK = 7_233_002;

interface AuditRow {
  at: Date;
  actor: string;
  action: string;
  subject: string | null;
  decision: string | null;
  detail: unknown;
}

/** The encoded content of a row: fixed field order, ISO timestamp, canonical JSON of the detail. */
function encodedRow(row: AuditRow): string {
  return [row.at.toISOString(), row.actor, row.action, row.subject ?? '', row.decision ?? '', canonical(row.detail)].map((part) => `${Buffer.byteLength(part)}:${part}`).join('');
}

/** The unkeyed hash of rows written before the key (kept to verify them). */
export function legacyRowHash(prev: Buffer | null, row: AuditRow): Buffer {
  return createHash('sha256')
    .update(prev ?? Buffer.alloc(0))
    .update(encodedRow(row))
    .digest();
}

/** The audit key of a secrets key id: HMAC-derived, so it is never the secrets key itself. */
function auditKey(ring: KeyRing, keyId: number): Buffer | undefined {
  const secret = ring.keys.get(keyId);
  return secret && createHmac('sha256', secret).update('audit-chain-v1').digest();
}

/** A row's MAC under key `keyId` of `ring`, chained to the previous row's. */
export function auditRowMac(ring: KeyRing, keyId: number, prev: Buffer | null, row: AuditRow): Buffer {
  const key = auditKey(ring, keyId);
  if (!key) throw new Error(`audit key ${keyId} is not in the secrets key ring`);
  return createHmac('sha256', key)
    .update(prev ?? Buffer.alloc(0))
    .update(encodedRow(row))
    .digest();
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

const ringOfClient = new WeakMap<PoolClient, KeyRing>();

/**
 * Gives the pool's connections the key ring their audit rows are MACed with. Call it where the
 * pool is made, before any connection is opened: an append on a pool without it fails rather
 * than writing an unkeyed row.
 */
export function keyAuditLog(pool: Pool, ring: KeyRing): Pool {
  pool.on('connect', (client) => ringOfClient.set(client, ring));
  return pool;
}

function ringOf(client: PoolClient): KeyRing {
  const ring = ringOfClient.get(client);
  if (!ring) throw new Error('the audit log is keyed: call keyAuditLog(pool, secrets) where this pool is created');
  return ring;
}

/** Takes the chain's lock and reads the last row's MAC (two statements: the read must follow the lock). */
async function lockChain(client: PoolClient): Promise<Buffer | null> {
  await client.query({ name: 'audit-lock', text: 'SELECT pg_advisory_xact_lock($1::bigint)', values: [AUDIT_LOCK] });
  const last = await client.query<{ row_hash: Buffer }>({ name: 'audit-last', text: 'SELECT row_hash FROM audit_log ORDER BY id DESC LIMIT 1' });
  return last.rows[0]?.row_hash ?? null;
}

/**
 * Writes one row after `prev`, the chain's head read under the lock this transaction holds
 * (`lockChain`, or `login_grant`, which takes the same lock and returns the head).
 */
export async function appendAuditAfter(client: PoolClient, prev: Buffer | null, entry: AuditEntry): Promise<void> {
  const ring = ringOf(client);
  // Millisecond precision, the precision the MAC covers, so verification recomputes the same bytes.
  const row: AuditRow = { at: new Date(Date.now()), actor: entry.actor, action: entry.action, subject: entry.subject ?? null, decision: entry.decision ?? null, detail: entry.detail ?? {} };
  await client.query({
    name: 'audit-append',
    text: `INSERT INTO audit_log (at, actor, action, subject, decision, detail, prev_hash, row_hash, key_id)
           VALUES ($1::timestamptz, $2::text, $3::text, $4::text, $5::text, $6::jsonb, $7::bytea, $8::bytea, $9::smallint)`,
    values: [row.at, row.actor, row.action, row.subject, row.decision, JSON.stringify(row.detail), prev, auditRowMac(ring, ring.currentId, prev, row), ring.currentId],
  });
}

/** Appends within the caller's transaction (so the entry commits or rolls back with the action). */
export async function appendAudit(client: PoolClient, entry: AuditEntry): Promise<void> {
  ringOf(client); // before the lock: a pool without the key fails without waiting for it
  await appendAuditAfter(client, await lockChain(client), entry);
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

/** A row of the chain as verification reads it. */
export interface ChainLink {
  id: number;
  rowHash: Buffer;
}

export interface ChainVerification {
  rows: number;
  /** Rows under the key (the others are the unkeyed prefix written before it). */
  keyed: number;
  /** The last row verified. */
  head?: ChainLink;
  firstBroken?: number;
  reason?: string;
}

/**
 * Walks the chain with the key ring; stops at the first row whose MAC or link does not hold
 * (an edited, inserted, deleted or re-ordered row, an unkeyed row after a keyed one, or an
 * unknown key id). `onRow` sees every verified row (the checkpoints compare against them).
 */
export async function verifyAuditChain(
  pool: Pool,
  ring: KeyRing,
  onRow?: (link: ChainLink) => void,
  /** Start after this row (a checkpoint), which must still be there unchanged. */
  from?: ChainLink & { keyed: boolean },
): Promise<ChainVerification> {
  let prev: Buffer | null = from?.rowHash ?? null;
  let count = 0;
  let keyed = 0;
  let keyedBefore = from?.keyed ?? false;
  let after = from?.id ?? 0;
  let head: ChainLink | undefined;
  const broken = (id: number | string, reason: string): ChainVerification => ({ rows: count, keyed, ...(head ? { head } : {}), firstBroken: Number(id), reason });
  if (from) {
    const { rows } = await pool.query<{ row_hash: Buffer }>('SELECT row_hash FROM audit_log WHERE id = $1::bigint', [from.id]);
    if (!rows[0] || !rows[0].row_hash.equals(from.rowHash)) return broken(from.id, 'the checkpointed row is missing or changed (rows cut off or an older copy restored)');
  }
  for (;;) {
    const { rows } = await pool.query<AuditRow & { id: string; prev_hash: Buffer | null; row_hash: Buffer; key_id: number | null }>(
      'SELECT id, at, actor, action, subject, decision, detail, prev_hash, row_hash, key_id FROM audit_log WHERE id > $1::bigint ORDER BY id LIMIT 5000',
      [after],
    );
    if (rows.length === 0) return { rows: count, keyed, ...(head ? { head } : {}) };
    for (const r of rows) {
      const linked = (prev === null && r.prev_hash === null) || (prev !== null && r.prev_hash !== null && prev.equals(r.prev_hash));
      if (!linked) return broken(r.id, 'not linked to the row before it (a row deleted, inserted or re-ordered)');
      let expected: Buffer;
      if (r.key_id === null) {
        if (keyedBefore) return broken(r.id, 'an unkeyed row after keyed ones');
        expected = legacyRowHash(prev, r);
      } else {
        if (!auditKey(ring, r.key_id)) return broken(r.id, `key id ${r.key_id} is not in the secrets key ring`);
        expected = auditRowMac(ring, r.key_id, prev, r);
        keyed++;
        keyedBefore = true;
      }
      if (expected.length !== r.row_hash.length || !timingSafeEqual(expected, r.row_hash)) return broken(r.id, 'content does not match its MAC (an edited row)');
      prev = r.row_hash;
      head = { id: Number(r.id), rowHash: r.row_hash };
      onRow?.(head);
      count++;
      after = Number(r.id);
    }
  }
}
