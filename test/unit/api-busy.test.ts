import { describe, expect, it } from 'vitest';
import { apiBusy } from '../../api/app';

describe('apiBusy: when the workflow starter gives way to requests', () => {
  it('is busy while requests are answered, and for a moment after the last one', () => {
    expect(apiBusy({ count: 0 }, 100, 1_000)).toBe(false);
    expect(apiBusy({ count: 2 }, 100, 1_000)).toBe(true);
    // The gap between one answer and the same client's next request in a burst.
    expect(apiBusy({ count: 0, lastDoneAt: 950 }, 100, 1_000)).toBe(true);
    expect(apiBusy({ count: 0, lastDoneAt: 850 }, 100, 1_000)).toBe(false);
  });
});
