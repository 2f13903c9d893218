/**
 * The audit log on a real PostgreSQL, attacked by someone who can write to the database but does
 * not hold the key: appends chain under the key, and an edited, deleted, re-hashed or cut-off row
 * is found — by the keyed chain, or by the checkpoints kept outside the database. Runs in a schema
 * of its own (a copy of the table without its append-only triggers, as an attacker who dropped
 * them would have it) so the shared audit log of the other tests is never tampered with.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { audit, keyAuditLog, legacyRowHash, verifyAuditChain } from '../../lib/audit';
import { checkpointAuditLog, readCheckpoints, verifyAuditLog } from '../../lib/audit-checkpoints';
import { createPool, type Pool } from '../../lib/db';
import type { KeyRing } from '../../lib/secrets';
import { TEST_SECRETS } from '../support/stack';

const schema = `audit_test_${randomBytes(4).toString('hex')}`;
const ring: KeyRing = { currentId: 1, keys: new Map([[1, randomBytes(32)]]) };
const checkpointFile = path.join(mkdtempSync(path.join(tmpdir(), 'audit-checkpoints-')), 'checkpoints.jsonl');
let admin: Pool;
let pool: Pool;

interface Row {
  id: string;
  at: Date;
  actor: string;
  action: string;
  subject: string | null;
  decision: string | null;
  detail: unknown;
  prev_hash: Buffer | null;
  row_hash: Buffer;
  key_id: number | null;
}

beforeAll(async () => {
  admin = createPool(inject('databaseUrl'), 1);
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.audit_log (LIKE public.audit_log INCLUDING ALL)`);
  const url = new URL(inject('databaseUrl'));
  url.searchParams.set('options', `-c search_path=${schema}`);
  pool = keyAuditLog(createPool(url.toString(), 4), ring);
});
afterAll(async () => {
  await pool?.end();
  await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin?.end();
});

async function rows(): Promise<Row[]> {
  return (await pool.query<Row>('SELECT * FROM audit_log ORDER BY id')).rows;
}

/** What an attacker without the key can do: re-hash every row from `fromId` on, unkeyed. */
async function rehashUnkeyed(fromId: number): Promise<void> {
  let prev: Buffer | null = null;
  for (const r of await rows()) {
    if (Number(r.id) >= fromId) {
      const hash = legacyRowHash(prev, r);
      await pool.query('UPDATE audit_log SET prev_hash = $2, row_hash = $3, key_id = NULL WHERE id = $1', [r.id, prev, hash]);
      prev = hash;
    } else prev = r.row_hash;
  }
}

describe('audit chain under the key', () => {
  it('accepts the unkeyed rows written before the key as a prefix, then chains concurrent keyed appends', async () => {
    let prev: Buffer | null = null;
    for (const n of [1, 2]) {
      const row = { at: new Date(), actor: 'system', action: 'legacy', subject: `old-${n}`, decision: null, detail: { n } };
      const hash = legacyRowHash(prev, row);
      await pool.query('INSERT INTO audit_log (at, actor, action, subject, decision, detail, prev_hash, row_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        row.at,
        row.actor,
        row.action,
        row.subject,
        row.decision,
        row.detail,
        prev,
        hash,
      ]);
      prev = hash;
    }
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => audit(pool, { actor: `staff:${i % 3}`, action: 'login', subject: `c-${i}`, decision: i % 2 ? 'granted' : 'denied', detail: { n: i, nested: { b: 1, a: [i] } } })),
    );
    const chain = await verifyAuditChain(pool, ring);
    expect(chain).toMatchObject({ rows: 22, keyed: 20 });
    expect(chain.firstBroken).toBeUndefined();
    expect((await rows()).slice(2).every((r) => r.key_id === 1)).toBe(true);
  });

  it('refuses an append on a pool that was not given the key, writing nothing', async () => {
    const url = new URL(inject('databaseUrl'));
    url.searchParams.set('options', `-c search_path=${schema}`);
    const unkeyed = createPool(url.toString(), 1);
    try {
      await expect(audit(unkeyed, { actor: 'system', action: 'x' })).rejects.toThrow(/keyAuditLog/);
    } finally {
      await unkeyed.end();
    }
    expect(await rows()).toHaveLength(22);
  });

  it('a checkpoint outside the database is written once the whole log verifies', async () => {
    const result = await verifyAuditLog(pool, ring, checkpointFile);
    expect(result.ok).toBe(true);
    const last = (await rows()).at(-1)!;
    expect(result.written).toMatchObject({ id: Number(last.id), rowHash: last.row_hash.toString('hex'), keyed: true });
    expect(readCheckpoints(checkpointFile, ring).checkpoints).toHaveLength(1);
    await audit(pool, { actor: 'system', action: 'after-checkpoint' });
    expect((await checkpointAuditLog(pool, ring, checkpointFile))?.id).toBe(Number(last.id) + 1);
  });

  it('an edited row is named, whether left as it is or re-hashed without the key', async () => {
    const third = (await rows())[4]!;
    const original = third.decision;
    await pool.query(`UPDATE audit_log SET decision = 'approved' WHERE id = $1`, [third.id]);
    expect(await verifyAuditChain(pool, ring)).toMatchObject({ firstBroken: Number(third.id), reason: expect.stringMatching(/MAC/) });
    // The old scheme's repair (SHA-256 again from the edited row on) no longer hides it.
    await rehashUnkeyed(Number(third.id));
    expect(await verifyAuditChain(pool, ring)).toMatchObject({ firstBroken: Number(third.id), reason: expect.stringMatching(/unkeyed row after keyed/) });
    // Re-hashing the whole log unkeyed passes the chain alone — the checkpoints do not.
    await rehashUnkeyed(0);
    expect((await verifyAuditChain(pool, ring)).firstBroken).toBeUndefined();
    const verified = await verifyAuditLog(pool, ring, checkpointFile);
    expect(verified.ok).toBe(false);
    expect(verified.problems.join('\n')).toMatch(/differs from its checkpoint/);
    await expect(checkpointAuditLog(pool, ring, checkpointFile)).rejects.toThrow(/missing or changed/);
    await pool.query('UPDATE audit_log SET decision = $2 WHERE id = $1', [third.id, original]);
  });

  it('a MAC made with another key is refused', async () => {
    const fresh = `${schema}_b`;
    await admin.query(`CREATE SCHEMA ${fresh}`);
    await admin.query(`CREATE TABLE ${fresh}.audit_log (LIKE public.audit_log INCLUDING ALL)`);
    const url = new URL(inject('databaseUrl'));
    url.searchParams.set('options', `-c search_path=${fresh}`);
    const other: KeyRing = { currentId: 1, keys: new Map([[1, randomBytes(32)]]) };
    const forger = keyAuditLog(createPool(url.toString(), 1), other);
    try {
      await audit(forger, { actor: 'staff:ghost', action: 'review_approve' });
      const chain = await verifyAuditChain(forger, ring);
      expect(chain).toMatchObject({ rows: 0, reason: expect.stringMatching(/MAC/) });
    } finally {
      await forger.end();
      await admin.query(`DROP SCHEMA ${fresh} CASCADE`);
    }
  });
});

describe('audit checkpoints', () => {
  const fresh = `${schema}_c`;
  let log: Pool;
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'audit-checkpoints-')), 'checkpoints.jsonl');
  beforeAll(async () => {
    await admin.query(`CREATE SCHEMA ${fresh}`);
    await admin.query(`CREATE TABLE ${fresh}.audit_log (LIKE public.audit_log INCLUDING ALL)`);
    const url = new URL(inject('databaseUrl'));
    url.searchParams.set('options', `-c search_path=${fresh}`);
    log = keyAuditLog(createPool(url.toString(), 2), ring);
  });
  afterAll(async () => {
    await log?.end();
    await admin?.query(`DROP SCHEMA IF EXISTS ${fresh} CASCADE`);
  });

  it('find the last rows cut off after a checkpoint, and an altered checkpoint line', async () => {
    for (let i = 0; i < 6; i++) await audit(log, { actor: 'system', action: `step-${i}` });
    expect((await verifyAuditLog(log, ring, file)).ok).toBe(true);
    const all = (await log.query<{ id: string }>('SELECT id FROM audit_log ORDER BY id')).rows.map((r) => Number(r.id));
    // Cutting the tail leaves a chain that verifies alone; the checkpoint names what is gone.
    await log.query('DELETE FROM audit_log WHERE id >= $1', [all[4]]);
    expect((await verifyAuditChain(log, ring)).firstBroken).toBeUndefined();
    const cut = await verifyAuditLog(log, ring, file);
    expect(cut.ok).toBe(false);
    expect(cut.problems.join('\n')).toMatch(new RegExp(`row ${all[5]}, checkpointed .* is no longer in the chain`));
    expect(cut.written).toBeUndefined();
    await expect(checkpointAuditLog(log, ring, file)).rejects.toThrow(/missing or changed/);
    // A checkpoint line changed by hand (to bless the shorter log) is not believed.
    const line = JSON.parse(readFileSync(file, 'utf8').trim().split('\n')[0]!) as Record<string, unknown>;
    writeFileSync(file, `${JSON.stringify({ ...line, id: all[3], mac: createHmac('sha256', 'guess').update('x').digest('hex') })}\n`);
    const altered = await verifyAuditLog(log, ring, file);
    expect(altered.problems).toContain('checkpoint file line 1 was not written with the audit key (altered)');
  });

  it('a deleted middle row is named by the chain itself', async () => {
    for (let i = 0; i < 3; i++) await audit(log, { actor: 'system', action: `more-${i}` });
    const all = (await log.query<{ id: string }>('SELECT id FROM audit_log ORDER BY id')).rows.map((r) => Number(r.id));
    await log.query('DELETE FROM audit_log WHERE id = $1', [all[1]]);
    expect(await verifyAuditChain(log, ring)).toMatchObject({ firstBroken: all[2], reason: expect.stringMatching(/not linked/) });
  });
});

describe('the application’s audit table', () => {
  it('refuses UPDATE, DELETE and TRUNCATE, whoever asks', async () => {
    const shared = keyAuditLog(createPool(inject('databaseUrl'), 1), TEST_SECRETS);
    try {
      await audit(shared, { actor: 'system', action: 'append-only-probe' });
      const { rows: probe } = await shared.query<{ id: string }>(`SELECT id FROM audit_log WHERE action = 'append-only-probe' ORDER BY id DESC LIMIT 1`);
      const id = probe[0]!.id;
      await expect(shared.query(`UPDATE audit_log SET decision = 'approved' WHERE id = $1`, [id])).rejects.toThrow(/append-only \(UPDATE refused\)/);
      await expect(shared.query('DELETE FROM audit_log WHERE id = $1', [id])).rejects.toThrow(/append-only \(DELETE refused\)/);
      await expect(shared.query('TRUNCATE audit_log')).rejects.toThrow(/append-only \(TRUNCATE refused\)/);
      expect((await shared.query('SELECT decision FROM audit_log WHERE id = $1', [id])).rows).toEqual([{ decision: null }]);
    } finally {
      await shared.end();
    }
  });
});
