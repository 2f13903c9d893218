/**
 * `npm run soak` at its CI size: 24 citizen journeys at once, with console users reading the
 * review queue, on the stack exactly as `npm start` builds it (the script starts it itself, on
 * the embedded PostgreSQL). Every journey completes, nothing answers ≥ 500, no error is logged,
 * and Ctrl-C stops everything.
 */
import { describe, expect, it } from 'vitest';
import { formatResult } from '../../scripts/chaos/harness';
import { errorLines, run } from '../../scripts/soak';

describe('soak: many people at once on npm start', () => {
  it('24 journeys from request to logout, console logins and queue reads alongside, no 5xx, no error logged', async () => {
    const result = await run({ size: 'small', log: process.env.CHAOS_VERBOSE ? undefined : () => undefined });
    console.log(formatResult(result));
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.figures['concurrent citizen journeys']).toBeGreaterThanOrEqual(24);
  }, 600_000);

  it('counts as errors the lines a stack writes when something fails, and only those', () => {
    const out = [
      '{"level":30,"msg":"worker started"}',
      '{"level":50,"msg":"prepared statement \\"session-read\\" already exists"}',
      '{"level":40,"msg":"slow query"}',
      'Error: connect ECONNREFUSED 127.0.0.1:5432',
      '2026-12-04T10:00:00Z ERROR temporal frontend failed',
      'PIN back-office is starting:',
    ].join('\n');
    expect(errorLines(out)).toHaveLength(3);
  });
});
