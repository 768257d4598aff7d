import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PrefixList } from '../../src/policy/prefix-list.js';
import { formatPrefix4, prefix4 } from '../../src/lib/prefix.js';

const mask = (len: number): number => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);

const prefixArb = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 })).map(([a, l]) => prefix4((a & mask(l)) >>> 0, l));
// Addresses from a small pool so routes fall under entries often enough to matter.
const nearArb = fc.tuple(fc.constantFrom(0x0a000000, 0x0af40000, 0xc0a80000, 0), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 32 })).map(([base, low, l]) => prefix4(((base + low * 256) & mask(l)) >>> 0, l));

const entryArb = fc.tuple(fc.oneof(prefixArb, nearArb), fc.option(fc.integer({ min: 0, max: 32 }), { nil: undefined }), fc.option(fc.integer({ min: 0, max: 32 }), { nil: undefined })).map(([p, a, b]) => {
  const len = p % 64;
  // keep len ≤ ge ≤ le ≤ 32, as the config schema guarantees
  const ge = a === undefined ? undefined : Math.max(len, a);
  const le = b === undefined ? undefined : Math.max(ge ?? len, b);
  return { prefix: formatPrefix4(p), ge, le, p };
});

describe('PrefixList (IPv4) agrees with the textbook definition', () => {
  it('matches exactly when some entry covers the route with a length in [ge, le]', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 12 }), fc.array(fc.oneof(prefixArb, nearArb), { minLength: 1, maxLength: 20 }), (entries, routes) => {
        const list = new PrefixList(entries.map(({ prefix, ge, le }) => ({ prefix, ...(ge !== undefined ? { ge } : {}), ...(le !== undefined ? { le } : {}) })));
        for (const r of routes) {
          const rl = r % 64;
          const ra = Math.floor(r / 64);
          const naive = entries.some((e) => {
            const el = e.p % 64;
            const ea = Math.floor(e.p / 64);
            const lo = e.ge ?? el;
            const hi = e.le ?? (e.ge !== undefined ? 32 : el);
            return rl >= lo && rl <= hi && rl >= el && ((ra & mask(el)) >>> 0) === ea;
          });
          expect(list.matches4(r)).toBe(naive);
        }
      }),
      { numRuns: 300 },
    );
  });
});
