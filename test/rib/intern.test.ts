import { describe, expect, it } from 'vitest';
import { AttrInterner } from '../../src/rib/intern.js';
import { attrsEqual, attrsHash } from '../../src/rib/attrs-equal.js';
import type { PathAttributes } from '../../src/wire/types.js';
import { attrs } from './helpers.js';

const full = (): PathAttributes => ({
  origin: 1,
  asPath: [{ type: 2, asns: [65001, 65002] }, { type: 1, asns: [7, 8] }],
  nextHop: 0x0a000001,
  med: 5,
  localPref: 200,
  atomicAggregate: true,
  aggregator: { asn: 65001, address: 0x0a000002 },
  communities: [0xfde80001],
  extCommunities: Buffer.from('0002fde800000001', 'hex'),
  largeCommunities: [{ global: 1, local1: 2, local2: 3 }],
  originatorId: 0x01010101,
  clusterList: [0x02020202],
  unknown: [{ flags: 0xe0, code: 99, value: Buffer.from([1, 2]) }],
});

describe('AttrInterner', () => {
  it('returns one shared object for equal content', () => {
    const it = new AttrInterner();
    const a = full();
    const b = full();
    expect(it.intern(a)).toBe(a);
    expect(it.intern(b)).toBe(a);
    expect(it.size).toBe(1);
  });

  it('keeps sets that differ in any field apart', () => {
    const it = new AttrInterner();
    const variants: Partial<PathAttributes>[] = [
      { origin: 2 },
      { asPath: [{ type: 2, asns: [65001, 65002] }] },
      { asPath: [{ type: 2, asns: [65001, 65002] }, { type: 2, asns: [7, 8] }] },
      { nextHop: 0x0a000009 },
      { med: undefined },
      { localPref: 100 },
      { atomicAggregate: false },
      { aggregator: { asn: 65001, address: 0x0a000003 } },
      { communities: [] },
      { communities: undefined },
      { extCommunities: Buffer.from('0002fde800000002', 'hex') },
      { largeCommunities: [{ global: 1, local1: 2, local2: 4 }] },
      { originatorId: 0x01010102 },
      { clusterList: [0x02020202, 0x03030303] },
      { unknown: [{ flags: 0xe0, code: 99, value: Buffer.from([1, 3]) }] },
    ];
    const base = it.intern(full());
    for (const v of variants) {
      const x = { ...full(), ...v };
      expect(attrsEqual(x, base)).toBe(false);
      expect(it.intern(x)).toBe(x);
    }
    expect(it.size).toBe(variants.length + 1);
    expect(attrsHash(full())).toBe(attrsHash(base));
  });

  it('internByKey builds once per key and joins sets interned by content', () => {
    const it = new AttrInterner();
    let built = 0;
    const make = () => {
      built++;
      return attrs({ med: 1 });
    };
    const a = it.internByKey('wire-bytes-1', make);
    expect(it.internByKey('wire-bytes-1', make)).toBe(a);
    expect(built).toBe(1);
    expect(it.intern(attrs({ med: 1 }))).toBe(a);
    expect(it.internByKey('other-bytes-same-content', make)).toBe(a);
  });

  it('counts references and a sweep drops only unreferenced sets', () => {
    const it = new AttrInterner();
    const kept = it.retain(attrs({ med: 1 }));
    const gone = it.retain(attrs({ med: 2 }));
    it.retain(kept);
    expect(it.refCount(kept)).toBe(2);
    it.release(gone);
    it.release(kept);
    expect(it.refCount(kept)).toBe(1);
    expect(it.sweep()).toBe(1);
    expect(it.isInterned(kept)).toBe(true);
    expect(it.isInterned(gone)).toBe(false);
    // A released set that comes back is interned again.
    const again = attrs({ med: 2 });
    expect(it.intern(again)).toBe(again);
  });

  it('sweeps by itself when the table doubles, keeping live sets', () => {
    const it = new AttrInterner({ minSweepSize: 8 });
    const live = it.retain(attrs({ med: 1000 }));
    for (let i = 0; i < 100; i++) it.intern(attrs({ med: i }));
    expect(it.sweeps).toBeGreaterThan(0);
    expect(it.size).toBeLessThan(20);
    expect(it.isInterned(live)).toBe(true);
    expect(it.intern(attrs({ med: 1000 }))).toBe(live);
  });

  it('ignores releases of objects it never interned', () => {
    const it = new AttrInterner();
    it.release(attrs());
    expect(it.size).toBe(0);
  });
});
