/**
 * The worker's own `GET /metrics`: the activities run here, so their counters (issuance stages,
 * notifications, letters per batch) live in this process's registry, not the API's. Same
 * registry module and the same access rule (METRICS_TOKEN) as the API's endpoint.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from '../lib/db';
import { METRICS_CONTENT_TYPE, collectMetrics, metricsAllowed, type MetricsAccess } from '../lib/metrics';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(opts: { port: number; host: string; pool?: Pool; access: MetricsAccess }): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (!metricsAllowed(opts.access, req.headers.authorization)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('metrics token required\n');
      return;
    }
    collectMetrics(opts.pool).then(
      (body) => res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': 'no-store' }).end(body),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
