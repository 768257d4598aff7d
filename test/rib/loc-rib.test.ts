import { describe, expect, it } from 'vitest';
import { LocRib, type BestChange } from '../../src/rib/loc-rib.js';
import { AttrInterner } from '../../src/rib/intern.js';
import { ConnectedResolver, type NextHopResolver } from '../../src/rib/next-hop.js';
import { ctx, ip, p4, path, src } from './helpers.js';

function rib(resolver: NextHopResolver = ConnectedResolver.everythingReachable()) {
  const interner = new AttrInterner();
  const c = ctx({ resolver });
  return { rib: LocRib.ipv4({ ctx: c, interner }), interner, c };
}

const P = p4('10.10.0.0/24');
const Q = p4('10.10.1.0/24');

describe('LocRib', () => {
  it('announces a first path as best with reason only-path', () => {
    const { rib: r } = rib();
    const a = path(src());
    expect(r.update(P, a)).toEqual({ family: 'ipv4-unicast', prefix: P, best: a, previous: null, reason: 'only-path', multipath: [a] });
    expect(r.get(P)).toEqual({ prefix: P, paths: [a], best: a, reason: 'only-path', multipath: [a] });
    expect([r.prefixCount, r.pathCount]).toEqual([1, 1]);
  });

  it('implicit withdraw: a new path from the same source replaces the old one', () => {
    const { rib: r } = rib();
    const s = src();
    const old = path(s, { med: 1 });
    const neu = path(s, { med: 2 });
    r.update(P, old);
    const ch = r.update(P, neu);
    expect(ch).toMatchObject({ best: neu, previous: old, reason: 'only-path' });
    expect(r.get(P)?.paths).toEqual([neu]);
    expect(r.pathCount).toBe(1);
    expect(r.countFrom(s.id)).toBe(1);
  });

  it('re-sending the same Path object reports no change', () => {
    const { rib: r } = rib();
    const a = path(src());
    r.update(P, a);
    expect(r.update(P, a)).toBeNull();
  });

  it('a second source triggers the decision; a worse path changes nothing', () => {
    const { rib: r } = rib();
    const good = path(src(), { localPref: 200 });
    const worse = path(src(), { localPref: 100 });
    r.update(P, good);
    expect(r.update(P, worse)).toBeNull();
    const e = r.get(P)!;
    expect(e.best).toBe(good);
    expect(e.reason).toBe('local-pref');
    expect(e.paths).toEqual([good, worse]);
  });

  it('a better path from another source takes over, and its withdraw hands back', () => {
    const { rib: r } = rib();
    const a = path(src(), { localPref: 100 });
    const b = path(src(), { localPref: 300 });
    r.update(P, a);
    expect(r.update(P, b)).toMatchObject({ best: b, previous: a, reason: 'local-pref' });
    expect(r.withdraw(P, b.source.id)).toMatchObject({ best: a, previous: b, reason: 'only-path', multipath: [a] });
    expect(r.withdraw(P, a.source.id)).toMatchObject({ best: null, previous: a, reason: null, multipath: [] });
    expect(r.get(P)).toBeUndefined();
    expect([r.prefixCount, r.pathCount]).toEqual([0, 0]);
  });

  it('withdrawing a path that is not the best reports nothing', () => {
    const { rib: r } = rib();
    const a = path(src(), { localPref: 300 });
    const b = path(src(), { localPref: 100 });
    r.update(P, a);
    r.update(P, b);
    expect(r.withdraw(P, b.source.id)).toBeNull();
    expect(r.withdraw(P, 12345)).toBeNull();
    expect(r.withdraw(Q, a.source.id)).toBeNull();
  });

  it('reports a multipath change even when the best stays', () => {
    const { rib: r } = rib();
    const a = path(src({ bgpId: 1 }));
    const b = path(src({ bgpId: 2 }));
    r.update(P, a);
    const ch = r.update(P, b);
    expect(ch).toMatchObject({ best: a, previous: a, reason: 'router-id', multipath: [a, b] });
  });

  it('keeps a path with an unresolvable next hop but gives the prefix no best', () => {
    const { rib: r } = rib(new ConnectedResolver({ prefixes: [p4('10.1.0.0/16')] }));
    const bad = path(src(), { nextHop: ip('192.0.2.1') });
    expect(r.update(P, bad)).toBeNull();
    expect(r.get(P)).toMatchObject({ best: null, reason: 'next-hop-resolvable', paths: [bad] });
    const good = path(src(), { nextHop: ip('10.1.2.3'), localPref: 10 });
    expect(r.update(P, good)).toMatchObject({ best: good, previous: null, reason: 'next-hop-resolvable' });
  });

  it('recomputeAll follows a resolver change', () => {
    let reachable = true;
    const resolver = { resolve: () => ({ reachable, igpCost: 0 }) };
    const { rib: r } = rib(resolver);
    const a = path(src());
    r.update(P, a);
    reachable = false;
    expect(r.recomputeAll()).toEqual([{ family: 'ipv4-unicast', prefix: P, best: null, previous: a, reason: 'next-hop-resolvable', multipath: [] }]);
    reachable = true;
    expect(r.recomputeAll()).toEqual([{ family: 'ipv4-unicast', prefix: P, best: a, previous: null, reason: 'only-path', multipath: [a] }]);
  });

  it('withdrawSource removes every path of the source and reports each best change', () => {
    const { rib: r } = rib();
    const gone = src();
    const stays = src();
    const g = path(gone, { localPref: 300 });
    const s = path(stays);
    for (let i = 0; i < 100; i++) r.update(p4(`10.20.${i}.0/24`), g);
    r.update(P, s);
    r.update(Q, g);
    r.update(Q, s);
    const changes = r.withdrawSource(gone.id);
    expect(changes).toHaveLength(101);
    expect(changes.find((c) => c.prefix === Q)).toMatchObject({ best: s, previous: g });
    expect(changes.filter((c) => c.prefix !== Q).every((c) => c.best === null)).toBe(true);
    expect([r.prefixCount, r.pathCount, r.countFrom(gone.id), r.countFrom(stays.id)]).toEqual([2, 2, 0, 2]);
  });

  it('withdrawSource can deliver to a sink instead of building an array', () => {
    const { rib: r } = rib();
    const a = path(src());
    r.update(P, a);
    r.update(Q, a);
    const seen: BestChange[] = [];
    expect(r.withdrawSource(a.source.id, (c) => seen.push(c))).toEqual([]);
    expect(seen.map((c) => c.prefix).sort()).toEqual([P, Q].sort());
  });

  it('graceful restart: stale paths stay, refreshed ones become fresh, the rest go at sweep', () => {
    const { rib: r } = rib();
    const peer = src();
    const other = src();
    const a = path(peer, { localPref: 300 });
    r.update(P, a);
    r.update(Q, a);
    r.update(Q, path(other));
    expect(r.markStale(peer.id)).toBe(2);
    const stale = r.get(P)!.best!;
    expect(stale.stale).toBe(true);
    expect(stale.attrs).toBe(a.attrs);
    expect(r.get(Q)!.best!.stale).toBe(true); // still the best: stale routes are not depreferred
    expect(r.get(Q)!.best).toBe(stale); // one stale copy per original Path
    // The peer is back and re-announces P only.
    const fresh = { ...a }; // a new Path (new UPDATE), same interned attributes
    expect(r.update(P, fresh)).toMatchObject({ best: fresh, previous: stale });
    expect(r.get(P)!.best!.stale).toBeUndefined();
    // End-of-RIB: Q's stale path goes, the other source's path takes over.
    const changes = r.sweepStale(peer.id);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ prefix: Q, previous: stale, reason: 'only-path' });
    expect(changes[0]!.best!.source).toBe(other);
    expect(r.get(P)!.best).toBe(fresh);
    expect(r.countFrom(peer.id)).toBe(1);
  });

  it('iterates best routes and the paths of one source', () => {
    const { rib: r } = rib();
    const a = path(src(), { localPref: 300 });
    const b = path(src());
    r.update(P, a);
    r.update(Q, b);
    r.update(Q, a);
    const bests: [number, number][] = [];
    r.forEachBest((prefix, best) => bests.push([prefix, best.source.id]));
    expect(bests.sort()).toEqual([[P, a.source.id], [Q, a.source.id]].sort());
    expect([...r.pathsFrom(b.source.id)]).toEqual([[Q, b]]);
    const entries: [number, number][] = [];
    r.forEachEntry((prefix, paths) => entries.push([prefix, paths.length]));
    expect(entries.sort()).toEqual([[P, 1], [Q, 2]].sort());
    expect(r.best(Q)).toBe(a);
    expect(r.best(p4('10.99.0.0/16'))).toBeNull();
    expect(r.countFrom(a.source.id)).toBe(2);
  });

  it('stores attributes interned and releases them when paths go', () => {
    const { rib: r, interner } = rib();
    const s1 = src();
    const s2 = src();
    const a1 = path(s1, { med: 7 });
    const a2 = path(s2, { med: 7 }); // equal content, another object
    r.update(P, a1);
    r.update(Q, a2);
    expect(r.get(Q)!.best!.attrs).toBe(a1.attrs);
    expect(interner.refCount(a1.attrs)).toBe(2);
    r.withdraw(P, s1.id);
    r.withdraw(Q, s2.id);
    expect(interner.refCount(a1.attrs)).toBe(0);
    expect(interner.sweep()).toBe(1);
    expect(interner.size).toBe(0);
  });

  it('works the same for IPv6 prefixes (text keys)', () => {
    const interner = new AttrInterner();
    const r = LocRib.ipv6({ ctx: ctx(), interner });
    const a = path(src(), {}, '2001:db8::1');
    expect(r.update('2001:db8:1::/48', a)).toMatchObject({ family: 'ipv6-unicast', best: a });
    expect(r.withdrawSource(a.source.id)).toHaveLength(1);
    expect(r.prefixCount).toBe(0);
  });
});
