import { msToNumber } from '@temporalio/common/lib/time';
import { describe, expect, it } from 'vitest';
import { durationToMs } from '../../domain/durations';

describe('durationToMs', () => {
  // The SDK's own converter is the reference: a workflow timer of '60 days' and a deadline the
  // API computes from the same policy string must be the same number of milliseconds.
  const samples = ['1 day', '24 hours', '60 days', '26 weeks', '2 seconds', '90m', '1.5h', '500', '500ms', '1 year', '14d', '2 Weeks', '-1s'];
  it.each(samples)('agrees with the SDK on %j', (text) => {
    expect(durationToMs(text)).toBe(msToNumber(text as Parameters<typeof msToNumber>[0]));
  });

  it('passes numbers through as milliseconds', () => {
    expect(durationToMs(1234)).toBe(1234);
  });

  it.each(['', 'soon', '3 months', '1 fortnight', 'x'.repeat(101)])('refuses %j', (text) => {
    expect(() => durationToMs(text)).toThrow(TypeError);
  });
});
