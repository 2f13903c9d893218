/**
 * A small HTTP load balancer for `npm run start:cluster`: one public port in front of several API
 * processes, as the TLS-terminating load balancer of a deployment would be.
 *
 * - Round robin over the replicas; a replica that refuses the connection (down, restarting) is
 *   skipped for a few seconds and the request goes to the next one. Only a refused connection is
 *   retried: the replica never saw the request. A connection reset after the request was sent
 *   answers 502, because the replica may have acted on it (clients retry with their
 *   Idempotency-Key).
 * - Sticky for staff: a request carrying the console's session cookie always goes to the same
 *   replica while it is up, because a sealed envelope waits for its print page in the memory of
 *   the replica that issued it (console/envelope-desk.ts).
 * - Sets X-Forwarded-For/-Proto/-Host; the APIs trust them from loopback (TRUSTED_PROXIES).
 *
 * Request bodies are read whole before they are forwarded (so a refused one can go elsewhere),
 * up to `maxBodyBytes`; the API refuses larger uploads anyway.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Upstream {
  host: string;
  port: number;
}

export interface RoundRobinProxy {
  url: string;
  port: number;
  /** Requests forwarded to each upstream, in order. */
  forwarded(): number[];
  close(): Promise<void>;
}

export interface RoundRobinProxyOptions {
  host?: string;
  port: number;
  upstreams: Upstream[];
  /** Requests carrying this cookie stick to one upstream (by a hash of its value). */
  stickyCookie?: string;
  /** How long a refusing upstream is skipped. Default 2 s. */
  downForMs?: number;
  maxBodyBytes?: number;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) are the proxy's own, never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name && v.length) return v.join('=');
  }
  return undefined;
}

export async function startRoundRobinProxy(opts: RoundRobinProxyOptions): Promise<RoundRobinProxy> {
  if (opts.upstreams.length === 0) throw new Error('the proxy needs at least one upstream');
  const host = opts.host ?? '127.0.0.1';
  const downForMs = opts.downForMs ?? 2_000;
  const maxBody = opts.maxBodyBytes ?? 32 * 1024 * 1024;
  const downUntil = opts.upstreams.map(() => 0);
  const counts = opts.upstreams.map(() => 0);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  let next = 0;

  /** Upstreams in the order to try them: the sticky one or the next in turn first, those marked down last. */
  function order(req: http.IncomingMessage): number[] {
    const n = opts.upstreams.length;
    const sticky = opts.stickyCookie ? cookieValue(req.headers.cookie, opts.stickyCookie) : undefined;
    const first = sticky ? createHash('sha256').update(sticky).digest().readUInt32BE(0) % n : next++ % n;
    const all = Array.from({ length: n }, (_, k) => (first + k) % n);
    const now = Date.now();
    return [...all.filter((i) => downUntil[i]! <= now), ...all.filter((i) => downUntil[i]! > now)];
  }

  function forward(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, tries: number[]): void {
    const i = tries.shift();
    if (i === undefined) {
      res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '1' }).end('no API replica is answering\n');
      return;
    }
    const up = opts.upstreams[i]!;
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
    const client = req.socket.remoteAddress ?? '';
    headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${String(req.headers['x-forwarded-for'])}, ${client}` : client;
    headers['x-forwarded-proto'] = 'http';
    headers['x-forwarded-host'] = req.headers.host ?? '';
    headers['content-length'] = String(body.length);
    let sent = false;
    const upstreamReq = http.request({ host: up.host, port: up.port, method: req.method, path: req.url, headers, agent }, (upstreamRes) => {
      counts[i]!++;
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(upstreamRes.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, out);
      upstreamRes.pipe(res);
      upstreamRes.once('error', () => res.destroy());
    });
    // A kept-alive socket is already connected: what is written on it may reach the replica.
    upstreamReq.once('socket', (socket) => {
      if (socket.connecting) socket.once('connect', () => (sent = true));
      else sent = true;
    });
    upstreamReq.once('error', (err: NodeJS.ErrnoException) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // Refused (or reset before a byte was written): that replica never saw the request.
      if (!sent || err.code === 'ECONNREFUSED') {
        downUntil[i] = Date.now() + downForMs;
        forward(req, res, body, tries);
        return;
      }
      res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '1' }).end(`the API replica failed: ${err.code ?? err.message}\n`);
    });
    upstreamReq.end(body);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) {
        res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end('request too large\n');
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.once('end', () => {
      if (!res.headersSent) forward(req, res, Buffer.concat(chunks), order(req));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    forwarded: () => [...counts],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
