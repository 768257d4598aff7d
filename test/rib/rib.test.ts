import { describe, expect, it } from 'vitest';
import { Rib } from '../../src/rib/rib.js';
import type { BestChange } from '../../src/rib/loc-rib.js';
import { ConnectedResolver } from '../../src/rib/next-hop.js';
import type { Path } from '../../src/rib/types.js';
import { attrs, ip, p4, src, update } from './helpers.js';

const A = p4('10.0.1.0/24');
const B = p4('10.0.2.0/24');
const C = p4('10.0.3.0/24');

function announce(prefixes: number[], over: Parameters<typeof attrs>[0] = {}) {
  return update({ attrs: attrs(over), nlri: { family: 'ipv4-unicast', prefixes } });
}

describe('Rib.applyUpdate', () => {
  it('stores every prefix of an UPDATE with one shared Path and interned attributes', () => {
    const rib = new Rib();
    const s = src();
    const changes = rib.applyUpdate(s, announce([A, B, C], { med: 3 }));
    expect(changes.map((c) => c.prefix)).toEqual([A, B, C]);
    const paths = changes.map((c) => c.best);
    expect(paths[0]).toBe(paths[1]);
    expect(paths[1]).toBe(paths[2]);
    expect(paths[0]).toMatchObject({ source: s, nextHop: ip('192.0.2.1') });
    // A second UPDATE with equal attributes shares the attribute object.
    const again = rib.applyUpdate(src(), announce([p4('10.9.0.0/16')], { med: 3 }));
    expect(again[0]!.best!.attrs).toBe(paths[0]!.attrs);
    expect(rib.countFrom(s.id)).toEqual({ ipv4: 3, ipv6: 0 });
  });

  it('applies withdrawals before announcements', () => {
    const rib = new Rib();
    const s = src();
    rib.applyUpdate(s, announce([A, B]));
    const msg = announce([A], { med: 9 });
    msg.withdrawn.prefixes.push(A, B);
    const changes = rib.applyUpdate(s, msg);
    expect(changes.map((c) => [c.prefix, c.best?.attrs.med ?? null])).toEqual([
      [A, null],
      [B, null],
      [A, 9],
    ]);
    expect(rib.prefixCount).toBe(1);
  });

  it('treat-as-withdraw (RFC 7606) withdraws the announced prefixes', () => {
    const rib = new Rib();
    const s = src();
    rib.applyUpdate(s, announce([A, B]));
    const bad = announce([A]);
    bad.treatAsWithdraw = true;
    bad.attributeErrors.push({ action: 'treat-as-withdraw', code: 1, reason: 'origin-bad-value' });
    bad.mpReach = { nlri: { family: 'ipv6-unicast', prefixes: ['2001:db8::/32'] }, nextHop: '2001:db8::1' };
    const changes = rib.applyUpdate(s, bad);
    expect(changes).toEqual([expect.objectContaining({ prefix: A, best: null })]);
    expect(rib.get(A)).toBeUndefined();
    expect(rib.get(B)).toBeDefined();
    expect(rib.get('2001:db8::/32')).toBeUndefined();
  });

  it('takes the next hop of IPv4 NLRI in MP_REACH from MP_REACH (RFC 4760)', () => {
    const rib = new Rib();
    const msg = update({ attrs: attrs({ nextHop: undefined }), mpReach: { nlri: { family: 'ipv4-unicast', prefixes: [A] }, nextHop: ip('198.51.100.7') } });
    const [ch] = rib.applyUpdate(src(), msg);
    expect(ch!.best!.nextHop).toBe(ip('198.51.100.7'));
  });

  it('stores IPv6 routes with their global and link-local next hops, withdrawn by MP_UNREACH', () => {
    const rib = new Rib();
    const s = src();
    const msg = update({
      attrs: attrs({ nextHop: undefined }),
      mpReach: { nlri: { family: 'ipv6-unicast', prefixes: ['2001:db8:1::/48', '2001:db8:2::/48'] }, nextHop: '2001:db8::1', linkLocalNextHop: 'fe80::1' },
    });
    const changes = rib.applyUpdate(s, msg);
    expect(changes).toHaveLength(2);
    expect(changes[0]).toMatchObject({ family: 'ipv6-unicast', prefix: '2001:db8:1::/48' });
    expect(changes[0]!.best).toMatchObject({ nextHop: '2001:db8::1', linkLocalNextHop: 'fe80::1' });
    const wd = update({ mpUnreach: { family: 'ipv6-unicast', prefixes: ['2001:db8:1::/48'] } });
    expect(rib.applyUpdate(s, wd)).toEqual([expect.objectContaining({ prefix: '2001:db8:1::/48', best: null })]);
    expect(rib.countFrom(s.id)).toEqual({ ipv4: 0, ipv6: 1 });
  });

  it('ignores LOCAL_PREF received over eBGP (RFC 4271 §5.1.5)', () => {
    const rib = new Rib();
    const [ch] = rib.applyUpdate(src({ kind: 'ebgp', asn: 65001 }), announce([A], { localPref: 500, asPath: [{ type: 2, asns: [65001] }] }));
    expect(ch!.best!.attrs.localPref).toBeUndefined();
    const [ich] = rib.applyUpdate(src(), announce([B], { localPref: 500 }));
    expect(ich!.best!.attrs.localPref).toBe(500);
  });

  it('runs import policy per prefix: modify, reject (withdrawing what was accepted)', () => {
    const rib = new Rib();
    const s = src();
    rib.applyUpdate(s, announce([A, B]));
    const modified = new Map<Path, Path>();
    const importFn = (_f: string, prefix: number | string, p: Path): Path | null => {
      if (prefix === A) return null;
      let m = modified.get(p);
      if (m === undefined) {
        m = { ...p, attrs: { ...p.attrs, localPref: 250 } };
        modified.set(p, m);
      }
      return m;
    };
    const changes = rib.applyUpdate(s, announce([A, B, C]), importFn);
    expect(changes.map((c) => [c.prefix, c.best?.attrs.localPref ?? null])).toEqual([
      [A, null],
      [B, 250],
      [C, 250],
    ]);
    expect(rib.get(B)!.best).toBe(rib.get(C)!.best);
  });

  it('delivers changes to a sink instead of returning them', () => {
    const rib = new Rib();
    const seen: BestChange[] = [];
    expect(rib.applyUpdate(src(), announce([A, B]), undefined, (c) => seen.push(c))).toEqual([]);
    expect(seen).toHaveLength(2);
  });

  it('selects across sources and reports the deciding step', () => {
    const rib = new Rib();
    const low = src({ bgpId: ip('2.2.2.2') });
    const high = src({ bgpId: ip('1.1.1.1') });
    rib.applyUpdate(low, announce([A], { localPref: 200 }));
    rib.applyUpdate(high, announce([A], { localPref: 100 }));
    expect(rib.get(A)).toMatchObject({ reason: 'local-pref' });
    expect(rib.get(A)!.paths.map((p) => p.source)).toEqual([low, high]);
    rib.applyUpdate(low, announce([A], { localPref: 100 }));
    expect(rib.get(A)).toMatchObject({ reason: 'router-id' });
    expect(rib.get(A)!.best!.source).toBe(high);
  });
});

describe('Rib session events', () => {
  it('withdrawSource clears both families', () => {
    const rib = new Rib();
    const s = src();
    rib.applyUpdate(s, announce([A, B]));
    rib.applyUpdate(s, update({ attrs: attrs(), mpReach: { nlri: { family: 'ipv6-unicast', prefixes: ['2001:db8::/32'] }, nextHop: '2001:db8::1' } }));
    expect(rib.withdrawSource(s.id)).toHaveLength(3);
    expect([rib.prefixCount, rib.pathCount]).toEqual([0, 0]);
  });

  it('graceful restart per family: End-of-RIB for IPv4 sweeps only IPv4 stale paths', () => {
    const rib = new Rib();
    const s = src();
    rib.applyUpdate(s, announce([A, B]));
    rib.applyUpdate(s, update({ attrs: attrs(), mpReach: { nlri: { family: 'ipv6-unicast', prefixes: ['2001:db8::/32'] }, nextHop: '2001:db8::1' } }));
    expect(rib.markStale(s.id)).toBe(3);
    rib.applyUpdate(s, announce([A]));
    expect(rib.sweepStale(s.id, 'ipv4-unicast')).toEqual([expect.objectContaining({ prefix: B, best: null })]);
    expect(rib.get('2001:db8::/32')!.best!.stale).toBe(true);
    expect(rib.sweepStale(s.id)).toHaveLength(1);
    expect([...rib.pathsFrom(s.id)].map((r) => r.prefix)).toEqual([A]);
  });

  it('setResolver recomputes: routes via a lost next hop lose their best', () => {
    const rib = new Rib();
    rib.applyUpdate(src(), announce([A], { nextHop: ip('10.1.0.1') }));
    rib.applyUpdate(src(), announce([B], { nextHop: ip('10.2.0.1') }));
    const changes = rib.setResolver(new ConnectedResolver({ prefixes: [p4('10.1.0.0/16')] }));
    expect(changes).toEqual([expect.objectContaining({ prefix: B, best: null, reason: 'next-hop-resolvable' })]);
    expect(rib.get(B)).toMatchObject({ best: null, reason: 'next-hop-resolvable' });
  });
});
