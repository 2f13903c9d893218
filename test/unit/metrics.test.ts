/**
 * Metrics plumbing without a database: route-pattern labels (never the URL, also when an error
 * leaves the router), and who may read the metrics.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpMetrics } from '../../api/routes/metrics';
import { collectMetrics, metricsAccess, metricsAllowed } from '../../lib/metrics';

describe('HTTP metrics', () => {
  let base: string;
  let close: () => void;

  beforeAll(async () => {
    const app = express();
    app.use(httpMetrics());
    const api = express.Router();
    api.get('/things/:thingId', (_req, res) => void res.json({ ok: true }));
    api.post('/things/:thingId/fail', () => {
      throw new Error('boom');
    });
    app.use('/api-test', api);
    app.use((_req, res) => void res.status(404).end());
    app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(500).end());
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => close());

  it('labels requests with the route pattern and mount path, never ids or raw URLs', async () => {
    const id = 'RSSMRA80A01H501U';
    expect((await fetch(`${base}/api-test/things/${id}?email=a@b.it`)).status).toBe(200);
    expect((await fetch(`${base}/api-test/things/${id}/fail`, { method: 'POST' })).status).toBe(500);
    expect((await fetch(`${base}/no/such/${id}`)).status).toBe(404);
    // 'close' fires just after the response ends: give it a tick.
    await new Promise((r) => setTimeout(r, 50));
    const text = await collectMetrics();
    expect(text).toContain('pin_http_requests_total{method="GET",route="/api-test/things/:thingId",status="200"} 1');
    expect(text).toContain('pin_http_requests_total{method="POST",route="/api-test/things/:thingId/fail",status="500"} 1');
    expect(text).toContain('pin_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).toMatch(/pin_http_request_duration_seconds_count\{method="GET",route="\/api-test\/things\/:thingId",status="200"\} 1/);
    expect(text).not.toContain(id);
    expect(text).not.toContain('a@b.it');
  });
});

describe('metrics access', () => {
  it('is open without a token outside production, closed in production, bearer when a token is set', () => {
    expect(metricsAllowed(metricsAccess({ NODE_ENV: 'development' }), undefined)).toBe(true);
    expect(metricsAllowed(metricsAccess({ NODE_ENV: 'production' }), undefined)).toBe(false);
    const access = metricsAccess({ NODE_ENV: 'development', METRICS_TOKEN: 'a-long-metrics-token' });
    expect(metricsAllowed(access, undefined)).toBe(false);
    expect(metricsAllowed(access, 'Bearer wrong')).toBe(false);
    expect(metricsAllowed(access, 'Bearer a-long-metrics-token-and-more')).toBe(false);
    expect(metricsAllowed(access, 'Bearer a-long-metrics-token')).toBe(true);
  });
});
