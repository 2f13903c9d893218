/**
 * PostgreSQL access. Everything goes through a `pg.Pool`, against a managed server in production
 * and the embedded one (dev/embedded-postgres.ts) in development and tests.
 */
import pg from 'pg';
import { withTimeout } from './async';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/**
 * `connectionTimeoutMillis` bounds the wait for a free connection too: the API keeps it short
 * (a saturated pool answers 503 quickly), the worker can afford to queue longer.
 */
export function createPool(connectionString: string, max = 10, connectionTimeoutMillis = 5_000): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis });
  // An idle client that loses its server (restart, network) emits here; without a listener Node
  // would crash the process. The pool drops the client and the next query reconnects.
  pool.on('error', () => undefined);
  // A checked-out client has no pool listener: a server shutdown arriving between two of its
  // queries (57P01 during a transaction) would crash the process. Swallowed here, the client is
  // left unqueryable, its next query fails (a retryable error) and the pool discards it on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** Runs `fn` in a transaction; rolls back on any error and rethrows it. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** True when the database answers a trivial query within `timeoutMs`. */
export async function databaseAnswers(pool: pg.Pool, timeoutMs = 2_000): Promise<boolean> {
  return withTimeout(pool.query('SELECT 1'), timeoutMs).then(
    () => true,
    () => false,
  );
}

/**
 * Opens `count` connections of the pool and returns them to it, so the first requests after a
 * start do not each pay for a new server process and its SCRAM authentication (a cold API
 * answered its first burst in up to half a second). Failures are left to the first queries.
 */
export async function warmPool(pool: pg.Pool, count: number): Promise<void> {
  const clients = await Promise.all(Array.from({ length: count }, () => pool.connect().catch(() => undefined)));
  for (const c of clients) c?.release();
}
