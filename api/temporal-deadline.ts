/**
 * A deadline on every Temporal call a request makes. Without one, a call made while the Temporal
 * server is down or restarting (or a query no worker is there to answer) waits indefinitely: the
 * request hangs, holds its admission slot, and enough of them shed requests that need only
 * PostgreSQL. With it, such a request fails with DEADLINE_EXCEEDED, which the error middleware
 * answers with 503 and Retry-After. (The client's own retry of UNAVAILABLE may be sleeping when
 * the deadline passes, up to about 6 s, so the answer can come that much later.)
 */
import type { RequestHandler } from 'express';
import type { Client } from '@temporalio/client';

/** Runs the rest of the request inside `client.withDeadline`: its async continuations inherit the deadline. */
export function temporalDeadline(client: Client, timeoutMs: number): RequestHandler {
  return (_req, _res, next) => {
    void client.withDeadline(Date.now() + timeoutMs, async () => next());
  };
}
