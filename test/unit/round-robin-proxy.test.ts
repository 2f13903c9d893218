/**
 * The local load balancer of `npm run start:cluster` (dev/round-robin-proxy.ts): round robin,
 * sticky on the console's cookie, a replica that refuses connections skipped without losing the
 * request, bodies and the client's address passed on.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startRoundRobinProxy, type RoundRobinProxy } from '../../dev/round-robin-proxy';

interface Replica {
  port: number;
  seen: { method: string; body: string; forwardedFor?: string }[];
  close(): Promise<void>;
}

async function replica(name: string): Promise<Replica> {
  const seen: Replica['seen'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, body, forwardedFor: req.headers['x-forwarded-for'] as string | undefined });
      res.writeHead(200, { 'content-type': 'text/plain', 'x-replica': name }).end(name);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function setUp(): Promise<{ a: Replica; b: Replica; proxy: RoundRobinProxy }> {
  const [a, b] = [await replica('a'), await replica('b')];
  const proxy = await startRoundRobinProxy({ port: 0, upstreams: [a, b].map((r) => ({ host: '127.0.0.1', port: r.port })), stickyCookie: 'staff_session' });
  open.push(proxy, a, b);
  return { a, b, proxy };
}

const get = async (url: string, headers: Record<string, string> = {}) => (await fetch(url, { headers })).text();

describe('round-robin proxy', () => {
  it('takes the replicas in turn and passes bodies and the client address on', async () => {
    const { a, b, proxy } = await setUp();
    expect([await get(proxy.url), await get(proxy.url), await get(proxy.url), await get(proxy.url)]).toEqual(['a', 'b', 'a', 'b']);
    const res = await fetch(`${proxy.url}/api/pin-requests`, { method: 'POST', body: '{"x":1}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    const posted = [...a.seen, ...b.seen].find((s) => s.method === 'POST')!;
    expect(posted.body).toBe('{"x":1}');
    expect(posted.forwardedFor).toBe('127.0.0.1');
    expect(proxy.forwarded()).toEqual([3, 2]);
  });

  it('keeps a console session on one replica', async () => {
    const { proxy } = await setUp();
    const cookie = { cookie: 'lang=it; staff_session=abc123' };
    const answers = new Set([await get(proxy.url, cookie), await get(proxy.url, cookie), await get(proxy.url, cookie), await get(proxy.url, cookie)]);
    expect(answers.size).toBe(1);
  });

  it('sends the requests of a replica that refuses connections to the others, losing none', async () => {
    const { a, proxy } = await setUp();
    await a.close();
    const answers = await Promise.all(Array.from({ length: 6 }, () => fetch(proxy.url, { method: 'POST', body: 'x' }).then((r) => r.text())));
    expect(answers).toEqual(Array(6).fill('b'));
    // A session stuck to the replica that is gone goes on elsewhere.
    expect(await get(proxy.url, { cookie: 'staff_session=abc123' })).toBe('b');
  });

  it('answers 502 with Retry-After when no replica answers', async () => {
    const { a, b, proxy } = await setUp();
    await Promise.all([a.close(), b.close()]);
    const res = await fetch(proxy.url);
    expect(res.status).toBe(502);
    expect(res.headers.get('retry-after')).toBe('1');
  });
});
