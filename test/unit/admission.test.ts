/**
 * Admission control (api/admission.ts) over real HTTP: the capacity limit with its FIFO queue and
 * queue-wait budget (503 + Retry-After), the per-client limit (429 + Retry-After, clients told
 * apart by X-Forwarded-For from the loopback proxy), the exempt health paths, and that a slot is
 * given back however a request ends.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { admissionControl, type Admission, type AdmissionOptions } from '../../api/admission';
import { errorHandler } from '../../api/errors';
import { createLogger } from '../../lib/logger';

const log = createLogger({ level: 'silent' });

interface Harness {
  url: string;
  admission: Admission;
  /** Requests to /slow wait here until released, in the order they were admitted. */
  held: ((() => void) & { id: string })[];
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

async function start(opts: Partial<AdmissionOptions>): Promise<Harness> {
  const admission = admissionControl({
    maxInFlight: 2,
    maxQueue: 2,
    queueWaitMs: 5_000,
    clientPerMinute: 0,
    clientBurst: 1,
    retryAfterSeconds: 3,
    ...opts,
  });
  const held: Harness['held'] = [];
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use(admission);
  app.get('/slow', async (req, res) => {
    await new Promise<void>((resolve) => held.push(Object.assign(() => resolve(), { id: String(req.query.id ?? '') })));
    res.json({ ok: true });
  });
  app.get('/fast', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/fail', () => {
    throw new Error('boom');
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(errorHandler(log));
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server!.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, admission, held };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
};

describe('admission control: capacity', () => {
  it('queues requests beyond the in-flight limit and admits them in arrival order as slots free', async () => {
    const h = await start({ maxInFlight: 2, maxQueue: 5 });
    const first = [fetch(`${h.url}/slow`), fetch(`${h.url}/slow`)];
    await until(() => h.held.length === 2);
    const third = fetch(`${h.url}/slow?id=third`);
    await until(() => h.admission.stats().queued === 1);
    const fourth = fetch(`${h.url}/slow?id=fourth`);
    await until(() => h.admission.stats().queued === 2);
    expect(h.admission.stats()).toMatchObject({ inFlight: 2, queued: 2 });

    h.held.shift()!(); // the first finishes: the third (oldest waiting) takes its slot
    await until(() => h.held.length === 2 && h.admission.stats().queued === 1);
    expect(h.held[1]!.id).toBe('third');
    h.held.splice(0).forEach((release) => release());
    await until(() => h.held.length === 1);
    expect(h.held[0]!.id).toBe('fourth');
    h.held.splice(0).forEach((release) => release());
    const statuses = (await Promise.all([...first, third, fourth])).map((r) => r.status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect(h.admission.stats()).toMatchObject({ inFlight: 0, queued: 0, admitted: 4, shedQueueFull: 0, shedQueueTimeout: 0 });
  });

  it('answers 503 with Retry-After and the structured error when no slot frees within the queue-wait budget', async () => {
    const h = await start({ maxInFlight: 1, maxQueue: 5, queueWaitMs: 100, retryAfterSeconds: 3 });
    const busy = fetch(`${h.url}/slow`);
    await until(() => h.held.length === 1);
    const started = Date.now();
    const res = await fetch(`${h.url}/fast`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('3');
    const body = (await res.json()) as { error: { type: string; message: { it: string; en: string } } };
    expect(body.error.type).toBe('UNAVAILABLE');
    expect(body.error.message.it).toMatch(/riprova/);
    expect(body.error.message.en).toMatch(/try again/);
    expect(h.admission.stats()).toMatchObject({ shedQueueTimeout: 1, queued: 0, inFlight: 1 });
    h.held.shift()!();
    expect((await busy).status).toBe(200);
    expect(h.admission.stats().inFlight).toBe(0);
  });

  it('answers 503 at once when the queue is full', async () => {
    const h = await start({ maxInFlight: 1, maxQueue: 1, queueWaitMs: 5_000 });
    const busy = fetch(`${h.url}/slow`);
    await until(() => h.held.length === 1);
    const waiting = fetch(`${h.url}/slow`);
    await until(() => h.admission.stats().queued === 1);
    const started = Date.now();
    const res = await fetch(`${h.url}/fast`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(h.admission.stats().shedQueueFull).toBe(1);
    h.held.shift()!();
    await until(() => h.held.length === 1);
    h.held.shift()!();
    expect([(await busy).status, (await waiting).status]).toEqual([200, 200]);
  });

  it('gives the slot back when a handler fails, and drops a waiter whose client went away', async () => {
    const h = await start({ maxInFlight: 1, maxQueue: 5, queueWaitMs: 5_000 });
    expect((await fetch(`${h.url}/fail`)).status).toBe(500);
    expect(h.admission.stats().inFlight).toBe(0);

    const busy = fetch(`${h.url}/slow`);
    await until(() => h.held.length === 1);
    const gaveUp = new AbortController();
    const abandoned = fetch(`${h.url}/fast`, { signal: gaveUp.signal }).catch(() => 'aborted');
    await until(() => h.admission.stats().queued === 1);
    gaveUp.abort();
    expect(await abandoned).toBe('aborted');
    await until(() => h.admission.stats().queued === 0);
    h.held.shift()!();
    expect((await busy).status).toBe(200);
    // The abandoned request never took the slot, so the next one is admitted at once.
    await until(() => h.admission.stats().inFlight === 0);
    expect((await fetch(`${h.url}/fast`)).status).toBe(200);
    expect(h.admission.stats()).toMatchObject({ admitted: 3, shedQueueTimeout: 0 });
  });

  it('never limits the health endpoints', async () => {
    const h = await start({ maxInFlight: 1, maxQueue: 0, queueWaitMs: 0 });
    const busy = fetch(`${h.url}/slow`);
    await until(() => h.held.length === 1);
    expect((await fetch(`${h.url}/fast`)).status).toBe(503);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    h.held.shift()!();
    await busy;
  });
});

describe('admission control: per client', () => {
  it('answers 429 with Retry-After beyond a client’s burst, and keeps serving other clients', async () => {
    let now = new Date('2026-03-02T10:00:00Z');
    const h = await start({ maxInFlight: 10, clientPerMinute: 60, clientBurst: 3, now: () => now });
    const from = (ip: string) => fetch(`${h.url}/fast`, { headers: { 'x-forwarded-for': ip } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await from('203.0.113.7')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await from('203.0.113.7');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { type: string } }).error.type).toBe('RATE_LIMITED');
    expect((await from('198.51.100.20')).status).toBe(200);
    // One request a second comes back.
    now = new Date(now.getTime() + 1_000);
    expect((await from('203.0.113.7')).status).toBe(200);
    expect((await from('203.0.113.7')).status).toBe(429);
    expect(h.admission.stats().rateLimited).toBe(3);
  });

  it('is off when the per-minute rate is 0', async () => {
    const h = await start({ maxInFlight: 10, clientPerMinute: 0, clientBurst: 1 });
    const statuses = await Promise.all(Array.from({ length: 5 }, () => fetch(`${h.url}/fast`).then((r) => r.status)));
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
  });
});
