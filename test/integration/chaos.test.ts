/**
 * The reliability scenarios (scripts/chaos/) at their CI size, on the test run's PostgreSQL
 * server (each creates a database of its own there; the restart scenario runs a private cluster).
 * Each starts its own Temporal dev server, sinks, worker and API processes, so they do not use
 * the shared stack of the other integration tests. A failure prints the scenario's figures and
 * the checks that failed; its logs are kept in the folder the report names.
 */
import { describe, expect, inject, it } from 'vitest';
import { formatResult, type ChaosResult, type ChaosRunOptions } from '../../scripts/chaos/harness';
import { run as workerCrash } from '../../scripts/chaos/worker-crash';
import { run as restarts } from '../../scripts/chaos/restarts';
import { run as channelsDown } from '../../scripts/chaos/channels-down';
import { run as surge } from '../../scripts/chaos/surge';
import { run as secretsCanary } from '../../scripts/chaos/secrets-canary';

const quiet = () => undefined;

async function passes(run: (opts: ChaosRunOptions) => Promise<ChaosResult>): Promise<void> {
  const result = await run({ size: 'small', databaseUrl: inject('databaseUrl'), log: process.env.CHAOS_VERBOSE ? undefined : quiet });
  console.log(formatResult(result));
  expect(result.checks.filter((c) => !c.ok)).toEqual([]);
  expect(result.ok).toBe(true);
}

describe('chaos scenarios (small size)', () => {
  it('worker-crash: five SIGKILLs of the worker lose and duplicate nothing', () => passes(workerCrash), 360_000);
  it('restarts: Temporal and PostgreSQL restarts lose nothing; PostgreSQL down is 503 + Retry-After', () => passes(restarts), 360_000);
  it('channels-down: the outbox holds every message and delivers it once, in order', () => passes(channelsDown), 360_000);
  it('surge: 10× the normal rate is shed with 429/503 + Retry-After; nothing accepted lost or doubled', () => passes(surge), 360_000);
  it('secrets-canary: no PIN, half or token in logs, database dump, histories or other messages', () => passes(secretsCanary), 360_000);
});
