import { describe, expect, it } from 'vitest';
import { exportPath } from '../../src/reflector/export.js';
import { ExportCache } from '../../src/reflector/export-cache.js';
import { exportSignature } from '../../src/reflector/export-target.js';
import type { PathAttributes } from '../../src/wire/types.js';
import { attrsFor, ip, path4, path6, source, target } from './helpers.js';

function sentAttrs(r: ReturnType<typeof exportPath>): PathAttributes {
  if (r.action !== 'send') throw new Error(`expected send, got ${r.reason}`);
  return r.attrs;
}

describe('export cache', () => {
  it('derives one attribute object per distinct input set, shared by every route carrying it', () => {
    const t = target('ebgp');
    const cache = new ExportCache(exportSignature(t));
    const src = source('ebgp');
    const sets = Array.from({ length: 10 }, (_, i) => attrsFor('ebgp', { communities: [65000 * 65536 + i] }));
    const out = new Map<PathAttributes, Set<PathAttributes>>();
    for (let r = 0; r < 1000; r++) {
      const attrs = sets[r % 10]!;
      const derived = sentAttrs(exportPath(path4(src, attrs), t, cache));
      if (!out.has(attrs)) out.set(attrs, new Set());
      out.get(attrs)!.add(derived);
    }
    expect(cache.built).toBe(10);
    for (const [input, derived] of out) {
      expect(derived.size).toBe(1);
      expect([...derived][0]).not.toBe(input);
    }
  });

  it('gives reflected routes from different originators different ORIGINATOR_IDs even when they share attrs', () => {
    const t = target('ibgp-client');
    const cache = new ExportCache(exportSignature(t));
    const shared = attrsFor('ibgp-client');
    const a = source('ibgp-client', { bgpId: ip('10.0.0.11') });
    const b = source('ibgp-client', { bgpId: ip('10.0.0.12') });
    const fromA = sentAttrs(exportPath(path4(a, shared), t, cache));
    const fromB = sentAttrs(exportPath(path4(b, shared), t, cache));
    expect(fromA.originatorId).toBe(ip('10.0.0.11'));
    expect(fromB.originatorId).toBe(ip('10.0.0.12'));
    expect(sentAttrs(exportPath(path4(a, shared), t, cache))).toBe(fromA);
    expect(cache.built).toBe(2);
  });

  it('keeps IPv4 and IPv6 derivations of one shared set apart', () => {
    const t = target('ebgp');
    const cache = new ExportCache(exportSignature(t));
    const src = source('ebgp');
    const shared = attrsFor('ebgp');
    const v4 = sentAttrs(exportPath(path4(src, shared), t, cache));
    const v6 = sentAttrs(exportPath(path6(src, shared, '2001:db8:1::1'), t, cache));
    expect(v4.nextHop).toBe(ip('10.0.0.1'));
    expect(v6.nextHop).toBeUndefined();
  });

  it('separates a local MED from a learned one for the same input set', () => {
    const t = target('ebgp');
    const cache = new ExportCache(exportSignature(t));
    const shared = attrsFor('local', { med: 5 });
    expect(sentAttrs(exportPath(path4(source('ebgp'), shared), t, cache)).med).toBeUndefined();
    expect(sentAttrs(exportPath(path4(source('local'), shared), t, cache)).med).toBe(5);
  });

  it('caches unchanged pass-through without counting it as built', () => {
    const t = target('ibgp-client');
    const cache = new ExportCache(exportSignature(t));
    const attrs = attrsFor('ebgp', { localPref: 100 });
    expect(sentAttrs(exportPath(path4(source('ebgp'), attrs), t, cache))).toBe(attrs);
    expect(cache.built).toBe(0);
  });

  it('signatures ignore per-member identity but not what changes the attributes', () => {
    const base = exportSignature(target('ibgp-client'));
    expect(exportSignature(target('ibgp-client', { id: 4, peerBgpId: 7 }))).toBe(base);
    expect(exportSignature(target('ibgp-nonclient'))).not.toBe(base);
    expect(exportSignature(target('ibgp-client', { nextHopSelf: true }))).not.toBe(base);
    expect(exportSignature(target('ibgp-client', { localAddress: { ipv4: ip('10.0.0.2') } }))).not.toBe(base);
    expect(exportSignature(target('ebgp', { asn: 1 }))).toBe(exportSignature(target('ebgp', { asn: 2 })));
    expect(exportSignature(target('ebgp', { asn: 1, senderSideLoopDetection: true }))).not.toBe(exportSignature(target('ebgp', { asn: 2, senderSideLoopDetection: true })));
  });
});
