import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { handlerDeadline } from '../../web/request-guards';

describe('handlerDeadline', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  it('answers 503 with Retry-After when the handler does not answer in time, and drops its late answer', async () => {
    const app = express();
    app.use(handlerDeadline(150, 3));
    let late: unknown;
    app.get('/stuck', (_req, res) => {
      setTimeout(() => {
        try {
          res.json({ late: true });
        } catch (err) {
          late = err;
        }
      }, 400);
    });
    app.get('/quick', (_req, res) => res.json({ ok: true }));
    const server = app.listen(0, '127.0.0.1');
    close = () => server.close();
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const started = Date.now();
    const stuck = await fetch(`${base}/stuck`);
    expect(stuck.status).toBe(503);
    expect(stuck.headers.get('retry-after')).toBe('3');
    expect(((await stuck.json()) as { error: { type: string } }).error.type).toBe('UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await fetch(`${base}/quick`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 400));
    expect(late).toBeInstanceOf(Error);
  });
});
