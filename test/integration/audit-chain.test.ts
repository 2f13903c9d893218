/**
 * The audit log's hash chain on a real PostgreSQL: appends chain, verification passes, and an
 * edited, deleted or inserted row is named as the first broken one. Runs in a schema of its own
 * so the shared audit log of the other tests is never tampered with.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { audit, verifyAuditChain } from '../../lib/audit';
import { createPool, type Pool } from '../../lib/db';

const schema = `audit_test_${randomBytes(4).toString('hex')}`;
let admin: Pool;
let pool: Pool;

beforeAll(async () => {
  admin = createPool(inject('databaseUrl'), 1);
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.audit_log (LIKE public.audit_log INCLUDING ALL)`);
  const url = new URL(inject('databaseUrl'));
  url.searchParams.set('options', `-c search_path=${schema}`);
  pool = createPool(url.toString(), 4);
});
afterAll(async () => {
  await pool?.end();
  await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin?.end();
});

async function ids(): Promise<number[]> {
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM audit_log ORDER BY id');
  return rows.map((r) => Number(r.id));
}

describe('audit chain', () => {
  it('chains concurrent appends and verifies them', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => audit(pool, { actor: `staff:${i % 3}`, action: 'login', subject: `c-${i}`, decision: i % 2 ? 'granted' : 'denied', detail: { n: i, nested: { b: 1, a: [i] } } })),
    );
    expect(await verifyAuditChain(pool)).toEqual({ rows: 20 });
  });

  it('names the first edited row, and verifies again once it is restored', async () => {
    const [, , third] = await ids();
    await pool.query(`UPDATE audit_log SET decision = decision || '-edited' WHERE id = $1`, [third]);
    expect((await verifyAuditChain(pool)).firstBroken).toBe(third);
    await pool.query(`UPDATE audit_log SET decision = replace(decision, '-edited', '') WHERE id = $1`, [third]);
    expect(await verifyAuditChain(pool)).toEqual({ rows: 20 });
  });

  it('names the row after a deleted one, and a row whose detail was changed', async () => {
    const all = await ids();
    await pool.query('DELETE FROM audit_log WHERE id = $1', [all[10]]);
    expect((await verifyAuditChain(pool)).firstBroken).toBe(all[11]);
    await pool.query(`UPDATE audit_log SET detail = '{"n": 999}'::jsonb WHERE id = $1`, [all[0]]);
    expect((await verifyAuditChain(pool)).firstBroken).toBe(all[0]);
  });
});
