import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nextGcDelayMs } from '../../src/daemon/cluster/gc-schedule.js';

describe('IPAM garbage collection schedule', () => {
  it('waits between half and one and a half intervals', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 3_600_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (interval, r) => {
        const ms = nextGcDelayMs(interval, () => r);
        expect(ms).toBeGreaterThanOrEqual(Math.floor(interval / 2));
        expect(ms).toBeLessThanOrEqual(Math.floor(interval * 1.5));
      }),
    );
  });

  it('keeps the interval on average, and nodes started together apart', () => {
    const delays = Array.from({ length: 2000 }, () => nextGcDelayMs(60_000));
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    expect(Math.abs(mean - 60_000)).toBeLessThan(3000);
    // 200 nodes started in the same second: their first passes spread over a minute.
    const first = delays.slice(0, 200);
    expect(Math.max(...first) - Math.min(...first)).toBeGreaterThan(45_000);
  });
});
