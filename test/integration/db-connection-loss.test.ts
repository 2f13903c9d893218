/**
 * A PostgreSQL restart terminates every connection (57P01), including one a transaction holds
 * between two queries. That must fail the transaction (a retryable error), not crash the process
 * with an unhandled 'error' event; the pool must then go on with fresh connections.
 */
import { describe, expect, inject, it } from 'vitest';
import { createPool, withTransaction } from '../../lib/db';

describe('losing the database connection', () => {
  it('fails the transaction that held it, and the pool recovers', async () => {
    const pool = createPool(inject('databaseUrl'), 2);
    const admin = createPool(inject('databaseUrl'), 1);
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const outcome = await withTransaction(pool, async (client) => {
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        // What a server shutdown does to each backend, while this client waits between queries.
        await admin.query('SELECT pg_terminate_backend($1::int)', [rows[0]!.pid]);
        await new Promise((r) => setTimeout(r, 300));
        await client.query('SELECT 1');
        return 'committed';
      }).catch((err: Error) => err);
      expect(outcome).toBeInstanceOf(Error);
      expect(uncaught).toEqual([]);
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
    } finally {
      process.off('uncaughtException', onUncaught);
      await Promise.all([pool.end(), admin.end()]);
    }
  });
});
