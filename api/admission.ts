/**
 * Admission control: the API sheds load it cannot serve in time instead of letting every request
 * queue until something times out with a 500. Two limits, both answering with `Retry-After`:
 *
 * - capacity: at most `maxInFlight` requests are handled at once; the next ones wait in a FIFO
 *   queue of at most `maxQueue`, each for at most `queueWaitMs`; beyond that, 503;
 * - per client (the address, `X-Forwarded-For` from a trusted proxy included): a token bucket of
 *   `clientBurst` refilled at `clientPerMinute`; beyond it, 429.
 *
 * Health and metrics endpoints are exempt, so an orchestrator still sees a saturated instance as alive.
 * A refused request has changed nothing, so a client may safely retry it (with the same
 * Idempotency-Key for a PIN request).
 */
import type { Request, RequestHandler, Response } from 'express';
import { AddressThrottle } from '../services/access/attempts';
import { DomainError, ErrorType } from '../domain/errors';

/** Limits of {@link admissionControl}. */
export interface AdmissionOptions {
  /** Requests handled at the same time. */
  maxInFlight: number;
  /** Requests waiting for a slot; one more is refused at once. */
  maxQueue: number;
  /** Longest wait for a slot before the request is refused (the queue-wait budget). */
  queueWaitMs: number;
  /** Requests a client regains per minute; 0 turns the per-client limit off. */
  clientPerMinute: number;
  /** Requests a client may make at once before the per-minute rate applies. */
  clientBurst: number;
  /** `Retry-After` of a 503, in seconds. */
  retryAfterSeconds: number;
  /** Paths never limited (default: the liveness and readiness probes and the metrics scrape). */
  exemptPaths?: readonly string[];
  /** Clock of the per-client buckets (tests). */
  now?: () => Date;
}

/** What the middleware has done since start, for logs, metrics and the chaos scripts. */
export interface AdmissionStats {
  inFlight: number;
  queued: number;
  admitted: number;
  /** Refused with 503 because the queue was full. */
  shedQueueFull: number;
  /** Refused with 503 because no slot freed within the queue-wait budget. */
  shedQueueTimeout: number;
  /** Refused with 429 by the per-client limit. */
  rateLimited: number;
}

/** The middleware, with its counters. */
export type Admission = RequestHandler & { stats(): AdmissionStats };

const DEFAULT_EXEMPT_PATHS: readonly string[] = ['/healthz', '/readyz', '/metrics'];

const overloaded = (retryAfterSeconds: number) =>
  new DomainError(
    ErrorType.Unavailable,
    {
      it: 'Il servizio è molto richiesto in questo momento: riprova tra qualche secondo.',
      en: 'The service is very busy right now: please try again in a few seconds.',
    },
    [],
    { retryAfterSeconds },
  );

const tooManyRequests = (retryAfterSeconds: number) =>
  new DomainError(
    ErrorType.RateLimited,
    {
      it: 'Troppe richieste da questo indirizzo: riprova tra qualche secondo.',
      en: 'Too many requests from this address: please try again in a few seconds.',
    },
    [],
    { retryAfterSeconds },
  );

interface Waiter {
  admit(): void;
  timer: NodeJS.Timeout;
}

export function admissionControl(opts: AdmissionOptions): Admission {
  const exempt = new Set(opts.exemptPaths ?? DEFAULT_EXEMPT_PATHS);
  const throttle =
    opts.clientPerMinute > 0
      ? new AddressThrottle({ burst: opts.clientBurst, perMinute: opts.clientPerMinute, maxAddresses: 100_000 }, opts.now)
      : undefined;
  const queue: Waiter[] = [];
  let inFlight = 0;
  const counters = { admitted: 0, shedQueueFull: 0, shedQueueTimeout: 0, rateLimited: 0 };

  /** A finished request hands its slot straight to the oldest waiter, so the queue stays FIFO. */
  function release(): void {
    const next = queue.shift();
    if (next) {
      clearTimeout(next.timer);
      next.admit();
    } else {
      inFlight--;
    }
  }

  /** Runs the request in a slot it already holds; the slot is released once, when the response closes. */
  function run(res: Response, next: () => void): void {
    counters.admitted++;
    res.once('close', release);
    next();
  }

  const middleware = ((req: Request, res: Response, next: (err?: unknown) => void) => {
    if (exempt.has(req.path)) return next();
    if (throttle) {
      const decision = throttle.take(req.ip);
      if (!decision.allowed) {
        counters.rateLimited++;
        return next(tooManyRequests(decision.retryAfterSeconds));
      }
    }
    if (inFlight < opts.maxInFlight) {
      inFlight++;
      return run(res, next);
    }
    if (queue.length >= opts.maxQueue) {
      counters.shedQueueFull++;
      return next(overloaded(opts.retryAfterSeconds));
    }
    const waiter: Waiter = {
      admit: () => {
        res.off('close', abandon);
        run(res, next);
      },
      timer: setTimeout(() => {
        leave();
        counters.shedQueueTimeout++;
        next(overloaded(opts.retryAfterSeconds));
      }, opts.queueWaitMs),
    };
    const leave = () => {
      const i = queue.indexOf(waiter);
      if (i >= 0) queue.splice(i, 1);
      res.off('close', abandon);
    };
    // A client that gives up while waiting must not keep its place (nor later take a slot).
    const abandon = () => {
      clearTimeout(waiter.timer);
      leave();
    };
    res.once('close', abandon);
    queue.push(waiter);
  }) as Admission;

  middleware.stats = () => ({ inFlight, queued: queue.length, ...counters });
  return middleware;
}
