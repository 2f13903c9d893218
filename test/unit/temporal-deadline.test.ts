/**
 * A Temporal server that does not answer (down, restarting) must turn an API request into a quick
 * 503 with Retry-After, not a request that hangs and holds its admission slot.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Client, Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { errorHandler } from '../../api/errors';
import { temporalDeadline } from '../../api/temporal-deadline';
import { createLogger } from '../../lib/logger';

describe('deadline of the Temporal calls of a request', () => {
  it('answers 503 with Retry-After when Temporal does not answer in time', async () => {
    // Accepts connections and never says a word, like a server stuck in its restart.
    const sockets: net.Socket[] = [];
    const blackHole = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
    const connection = Connection.lazy({ address: `127.0.0.1:${(blackHole.address() as AddressInfo).port}` });
    const client = new Client({ connection });

    const app = express();
    app.use(temporalDeadline(client, 300));
    app.get('/state', async (_req, res) => {
      res.json(await client.workflow.getHandle('pin-unknown').query('state'));
    });
    app.use(errorHandler(createLogger({ level: 'silent' })));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const started = Date.now();
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/state`, { signal: AbortSignal.timeout(10_000) });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
      expect(((await res.json()) as { error: { type: string } }).error.type).toBe('UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      server.close();
      await connection.close().catch(() => undefined);
      sockets.forEach((s) => s.destroy());
      blackHole.close();
    }
  });
});
