import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { JITTER_STEPS, jitteredMs } from '../../src/speaker/timer-jitter.js';

describe('session timer jitter (RFC 4271 §10)', () => {
  it('leaves Hold as configured', () => {
    expect(jitteredMs('Hold', 90, () => 0)).toBe(90_000);
    expect(jitteredMs('Hold', 90, () => 0.999)).toBe(90_000);
  });

  it('shortens the other timers by 0 to 25 %, in whole milliseconds', () => {
    fc.assert(
      fc.property(fc.constantFrom('ConnectRetry' as const, 'Keepalive' as const, 'DelayOpen' as const), fc.integer({ min: 1, max: 65535 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (timer, seconds, r) => {
        const ms = jitteredMs(timer, seconds, () => r);
        expect(Number.isInteger(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(Math.round(seconds * 750));
        expect(ms).toBeLessThanOrEqual(seconds * 1000);
      }),
    );
  });

  it('reaches both ends of the range', () => {
    expect(jitteredMs('Keepalive', 30, () => 0)).toBe(22_500);
    expect(jitteredMs('Keepalive', 30, () => 0.9999)).toBe(30_000);
  });

  it('spreads a hundred sessions over a few shared durations, not one each', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(jitteredMs('Keepalive', 30));
    expect(seen.size).toBeGreaterThan(JITTER_STEPS / 2);
    expect(seen.size).toBeLessThanOrEqual(JITTER_STEPS);
  });
});
