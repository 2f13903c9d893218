/**
 * A database that is down or restarting is "try again later" (503 + Retry-After), never an
 * internal error (500); other database errors stay internal.
 */
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import express from 'express';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { errorHandler, toDomainError } from '../../api/errors';
import { ErrorType } from '../../domain/errors';
import { createLogger } from '../../lib/logger';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });

describe('errors of a database that is down', () => {
  it.each([
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['connection reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['server shutting down (57P01)', pgError('57P01', 'terminating connection due to administrator command')],
    ['crash shutdown (57P02)', pgError('57P02', 'terminating connection due to crash of another server process')],
    ['starting up (57P03)', pgError('57P03', 'the database system is starting up')],
    ['connection failure (08006)', pgError('08006', 'connection failure')],
    ['too many connections (53300)', pgError('53300', 'sorry, too many clients already')],
    ['connection lost mid-query', new Error('Connection terminated unexpectedly')],
    ['a client whose connection broke', new Error('Client has encountered a connection error and is not queryable')],
    ['pool saturated or server unreachable', new Error('timeout exceeded when trying to connect')],
    ['every address refused', new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' })], '')],
    ['wrapped', new Error('could not store the request', { cause: pgError('57P01', 'terminating connection due to administrator command') })],
    [
      'a workflow query while no worker polls (Temporal just restarted)',
      new Error('Failed to query Workflow', { cause: new Error('9 FAILED_PRECONDITION: no poller seen for task queue recently, worker may be down') }),
    ],
  ])('%s → UNAVAILABLE', (_name, err) => {
    expect(toDomainError(err).type).toBe(ErrorType.Unavailable);
  });

  it.each([
    ['unique violation', pgError('23505', 'duplicate key value violates unique constraint')],
    ['undefined table', pgError('42P01', 'relation "nope" does not exist')],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
  ])('%s → INTERNAL', (_name, err) => {
    expect(toDomainError(err).type).toBe(ErrorType.Internal);
  });

  it('a query against a server that refuses connections is answered 503 with Retry-After', async () => {
    // A port nobody listens on: bound, then released.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r));
    const pool = new pg.Pool({ connectionString: `postgres://pin:pin@127.0.0.1:${port}/pin`, connectionTimeoutMillis: 2_000 });
    pool.on('error', () => undefined);

    const app = express();
    app.get('/x', async (_req, res) => {
      await pool.query('SELECT 1');
      res.json({ ok: true });
    });
    app.use(errorHandler(createLogger({ level: 'silent' })));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = (await res.json()) as { error: { type: string; message: { it: string; en: string } } };
      expect(body.error.type).toBe('UNAVAILABLE');
      expect(body.error.message.it).toBeTruthy();
    } finally {
      server.close();
      await pool.end();
    }
  });
});
