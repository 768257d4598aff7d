import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Ipv4PrefixTable } from '../../src/rib/prefix-table.js';

const prefixArb = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 })).map(([a, l]) => {
  const mask = l === 0 ? 0 : (0xffffffff << (32 - l)) >>> 0;
  return ((a & mask) >>> 0) * 64 + l;
});

type Op = { kind: 'set'; k: number; v: number } | { kind: 'delete'; k: number } | { kind: 'sweep'; mod: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('set' as const), k: prefixArb, v: fc.integer() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), k: prefixArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const), mod: fc.integer({ min: 2, max: 5 }) }) },
);

describe('Ipv4PrefixTable', () => {
  it('behaves like a Map, including deletes and replaces inside forEach', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 400 }), (ops) => {
        const t = new Ipv4PrefixTable<number>();
        const m = new Map<number, number>();
        for (const op of ops) {
          if (op.kind === 'set') {
            t.set(op.k, op.v);
            m.set(op.k, op.v);
          } else if (op.kind === 'delete') {
            expect(t.delete(op.k)).toBe(m.delete(op.k));
          } else {
            // withdrawSource-like pass: delete some, replace others
            t.forEach((v, k) => {
              if (v % op.mod === 0) t.delete(k);
              else t.set(k, v + 1);
            });
            for (const [k, v] of [...m]) {
              if (v % op.mod === 0) m.delete(k);
              else m.set(k, v + 1);
            }
          }
          expect(t.size).toBe(m.size);
        }
        for (const [k, v] of m) expect(t.get(k)).toBe(v);
        expect(new Map(t.entries())).toEqual(m);
      }),
      { numRuns: 200 },
    );
  });

  it('grows to a million sequential /24s and shrinks back when emptied', () => {
    const t = new Ipv4PrefixTable<number>();
    const n = 1 << 17;
    for (let i = 0; i < n; i++) t.set((0x10000000 + i * 256) * 64 + 24, i);
    expect(t.size).toBe(n);
    expect(t.get((0x10000000 + 12345 * 256) * 64 + 24)).toBe(12345);
    expect(t.get((0x10000000 + 12345 * 256) * 64 + 25)).toBeUndefined();
    const big = t.capacity;
    t.forEach((_, k) => t.delete(k));
    expect(t.size).toBe(0);
    expect(t.capacity).toBeLessThan(big / 100);
  });

  it('keeps /0 and /32 distinct from their neighbours', () => {
    const t = new Ipv4PrefixTable<string>();
    t.set(0, 'default');
    t.set(0xffffffff * 64 + 32, 'last');
    t.set(0 * 64 + 1, '0/1');
    expect([t.get(0), t.get(0xffffffff * 64 + 32), t.get(1)]).toEqual(['default', 'last', '0/1']);
  });
});
