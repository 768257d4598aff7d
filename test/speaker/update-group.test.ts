// UpdateGroup: packing, coalescing, back-pressure and split horizon, asserted on what the
// members would read off the wire (decoded with Wren's own UPDATE decoder).
import { describe, expect, it } from 'vitest';
import { GROUP_BACKLOG_LIMIT } from '../../src/speaker/update-group.js';
import { attrs, client, CLIENT_TARGET, CLUSTER_ID, GroupHarness } from './group-harness.js';
import { CTX, CTX_EXT, FakeMember, fold, hosts4, hosts6, ip, p4, type Wire } from './helpers.js';

/** Fewest messages of at most `max` octets for `n` items of `item` octets after `overhead`. */
function fewest(n: number, item: number, overhead: number, max: number): number {
  return Math.ceil(n / Math.floor((max - overhead) / item));
}

function nlriCount(w: Wire): number {
  const m = w.msg;
  return m.nlri.prefixes.length + m.withdrawn.prefixes.length + (m.mpReach?.nlri.prefixes.length ?? 0) + (m.mpUnreach?.prefixes.length ?? 0);
}

describe('packing', () => {
  const src = client(1);

  it('sends 1000 IPv4 prefixes sharing one attribute set in the fewest UPDATEs of at most 4096 octets', () => {
    const h = new GroupHarness();
    const m = new FakeMember(50);
    const g = h.group([m]);
    const prefixes = hosts4(1000);
    h.announce4(src, prefixes);
    h.flush(g);
    const wires = m.received();
    for (const w of wires) expect(w.size).toBeLessThanOrEqual(4096);
    const overhead = 23 + wires[0]!.attrLen; // header, two length fields, attributes
    expect(wires.length).toBe(fewest(1000, 5, overhead, 4096));
    expect(wires.length).toBe(2);
    const seen = fold(wires);
    expect([...seen.announced].sort()).toEqual([...prefixes].sort());
    expect(seen.withdrawn).toEqual([]);
    for (const w of wires) expect(w.msg.attrs).toEqual(wires[0]!.msg.attrs);
  });

  it('uses 65535-octet UPDATEs when extended messages are negotiated, so fewer of them', () => {
    for (const [family, item, make] of [
      ['ipv4-unicast', 5, () => hosts4(1000)],
      ['ipv6-unicast', 17, () => hosts6(1000)],
    ] as const) {
      const h = new GroupHarness();
      const small = new FakeMember(50);
      const big = new FakeMember(51);
      const gs = h.group([small], CTX);
      const gb = h.group([big], CTX_EXT);
      const prefixes: (number | string)[] = make();
      if (family === 'ipv4-unicast') h.announce4(src, prefixes as number[]);
      else h.announce6(src, prefixes as string[]);
      h.flush(gs);
      h.flush(gb);
      const ws = small.received();
      const wb = big.received();
      for (const w of ws) expect(w.size).toBeLessThanOrEqual(4096);
      for (const w of wb) expect(w.size).toBeLessThanOrEqual(65535);
      const overheadOf = (w: Wire) => w.size - item * nlriCount(w);
      expect(ws.length).toBe(fewest(1000, item, overheadOf(ws[0]!), 4096));
      expect(wb.length).toBe(fewest(1000, item, overheadOf(wb[0]!), 65535));
      expect(wb.length).toBe(1);
      expect(wb.length).toBeLessThan(ws.length);
      expect(wb[0]!.size).toBeGreaterThan(4096);
      for (const w of [ws, wb]) expect(new Set(fold(w).announced)).toEqual(new Set(prefixes));
    }
  });

  it('never mixes prefixes with different attribute sets in one UPDATE', () => {
    const h = new GroupHarness();
    const m = new FakeMember(50);
    const g = h.group([m]);
    const prefixes = hosts4(900);
    const medOf = new Map<number, number>();
    // Interleaved: consecutive prefixes alternate between three sets.
    prefixes.forEach((p, i) => {
      medOf.set(p, i % 3);
      h.announce4(src, [p], attrs({ med: i % 3 }));
    });
    const v6 = hosts6(90);
    const medOf6 = new Map<string, number>();
    v6.forEach((p, i) => {
      medOf6.set(p, 10 + (i % 3));
      h.announce6(src, [p], attrs({ med: 10 + (i % 3) }));
    });
    h.flush(g);
    const wires = m.received();
    expect(wires.length).toBe(6); // one UPDATE per set and family: each set fits in one
    for (const w of wires) {
      const med = w.msg.attrs!.med!;
      for (const p of w.msg.nlri.prefixes) expect(medOf.get(p)).toBe(med);
      for (const p of w.msg.mpReach?.nlri.prefixes ?? []) expect(medOf6.get(String(p))).toBe(med);
    }
    const seen = fold(wires);
    expect(seen.announced.length).toBe(990);
    expect(new Set(seen.announced).size).toBe(990);
  });

  it('packs IPv4 withdrawals in the Withdrawn Routes field and IPv6 ones in MP_UNREACH_NLRI', () => {
    const h = new GroupHarness();
    const m = new FakeMember(50);
    const g = h.group([m]);
    const v4 = hosts4(1000);
    const v6 = hosts6(1000);
    h.announce4(src, v4);
    h.announce6(src, v6);
    h.flush(g);
    m.clear();
    h.withdraw(src, [...v4, ...v6]);
    h.flush(g);
    const wires = m.received();
    for (const w of wires) {
      expect(w.size).toBeLessThanOrEqual(4096);
      expect(w.msg.attrs === null || w.msg.mpReach === undefined).toBe(true); // nothing announced
      expect(w.msg.nlri.prefixes).toEqual([]);
    }
    const w4 = wires.filter((w) => w.msg.withdrawn.prefixes.length > 0);
    const w6 = wires.filter((w) => w.msg.mpUnreach !== undefined);
    expect(w4.length + w6.length).toBe(wires.length);
    expect(new Set(w4.flatMap((w) => w.msg.withdrawn.prefixes))).toEqual(new Set(v4));
    expect(new Set(w6.flatMap((w): (number | string)[] => w.msg.mpUnreach!.prefixes))).toEqual(new Set(v6));
    expect(w4.length).toBe(fewest(1000, 5, 23, 4096));
    expect(w6.length).toBe(fewest(1000, 17, w6[0]!.size - 17 * nlriCount(w6[0]!), 4096));
    for (const w of w6) expect(w.msg.mpUnreach!.family).toBe('ipv6-unicast');
  });
});

describe('coalescing', () => {
  const src = client(1);
  const P = p4('10.2.0.0/24');

  it('sends one announcement with the latest attributes for many changes before a flush', () => {
    const h = new GroupHarness();
    const m = new FakeMember(50);
    const g = h.group([m]);
    for (let med = 1; med <= 20; med++) h.announce4(src, [P], attrs({ med }));
    expect(g.pending).toBe(1);
    expect(g.stats.coalesced).toBe(19);
    h.flush(g);
    const wires = m.received();
    expect(wires.length).toBe(1);
    expect(wires[0]!.msg.nlri.prefixes).toEqual([P]);
    expect(wires[0]!.msg.attrs!.med).toBe(20);
    expect(wires[0]!.msg.withdrawn.prefixes).toEqual([]);
  });

  it('sends nothing when a source re-announces exactly what it had (graceful restart refresh)', () => {
    const h = new GroupHarness();
    const m = new FakeMember(50);
    const g = h.group([m]);
    const a = attrs({ med: 5 });
    h.announce4(src, [P], a);
    h.flush(g);
    expect(m.received().length).toBe(1);
    h.announce4(src, [P], a); // a new Path object with the same (shared) attributes
    h.flush(g);
    expect(m.received().length).toBe(1);
    h.announce4(src, [P], attrs({ med: 6 }));
    h.flush(g);
    expect(m.received().length).toBe(2);
  });

  it('sends nothing for a prefix announced and withdrawn again before it was ever sent', () => {
    const h = new GroupHarness();
    const m = new FakeMember(50);
    const g = h.group([m]);
    h.announce4(src, [P]);
    h.announce6(src, ['fd00::/64']);
    h.withdraw(src, [P, 'fd00::/64']);
    expect(g.stats.coalesced).toBe(2);
    h.flush(g);
    expect(m.writes).toEqual([]);
  });

  it('sends one withdrawal for a sent prefix changed several times and then withdrawn', () => {
    const h = new GroupHarness();
    const m = new FakeMember(50);
    const g = h.group([m]);
    h.announce4(src, [P], attrs({ med: 1 }));
    h.flush(g);
    m.clear();
    for (let med = 2; med <= 5; med++) h.announce4(src, [P], attrs({ med }));
    h.withdraw(src, [P]);
    h.flush(g);
    const seen = fold(m.received());
    expect(seen.messages).toBe(1);
    expect(seen.withdrawn).toEqual([P]);
    expect(seen.announced).toEqual([]);
  });

  it('sends only the re-announcement for a sent prefix withdrawn and announced again', () => {
    const h = new GroupHarness();
    const m = new FakeMember(50);
    const g = h.group([m]);
    h.announce4(src, [P], attrs({ med: 1 }));
    h.flush(g);
    m.clear();
    h.withdraw(src, [P]);
    h.announce4(src, [P], attrs({ med: 2 }));
    h.flush(g);
    const seen = fold(m.received());
    expect(seen.withdrawn).toEqual([]);
    expect(seen.announced).toEqual([P]);
    expect(seen.attrs.get(P)!.med).toBe(2);
  });
});

describe('back-pressure', () => {
  const src = client(1);

  it('reports a member whose backlog exceeds the limit as blocking its group', () => {
    const h = new GroupHarness();
    const a = new FakeMember(50);
    const b = new FakeMember(51);
    const g = h.group([a, b]);
    expect(g.blocked()).toBeNull();
    b.backlog = GROUP_BACKLOG_LIMIT;
    expect(g.blocked()).toBeNull(); // at the limit is still fine
    b.backlog = GROUP_BACKLOG_LIMIT + 1;
    expect(g.blocked()).toBe(b);
    b.backlog = 0;
    expect(g.blocked()).toBeNull();
  });

  it('keeps at most one pending entry per prefix while blocked, then sends only the latest state', () => {
    const h = new GroupHarness();
    const slow = new FakeMember(50);
    const fast = new FakeMember(60);
    const gSlow = h.group([slow]);
    h.group([fast]);
    const prefixes = hosts4(1000);
    const v6 = hosts6(100);
    h.announce4(src, prefixes, attrs({ med: 0 }));
    h.announce6(src, v6, attrs({ med: 0 }));
    for (const g of h.groups) h.flush(g);
    slow.clear();
    fast.clear();

    slow.backlog = GROUP_BACKLOG_LIMIT + 1;
    // The engine's rule: flush groups that are not blocked.
    const flushUnblocked = () => {
      for (const g of h.groups) if (!g.blocked()) h.flush(g);
    };
    for (let round = 1; round <= 10; round++) {
      h.announce4(src, prefixes, attrs({ med: round }));
      h.announce6(src, v6, attrs({ med: round }));
      // Every fifth prefix is withdrawn in round 9 and comes back in round 10.
      if (round === 9) h.withdraw(src, prefixes.filter((_, i) => i % 5 === 0));
      flushUnblocked();
      expect(gSlow.blocked()).toBe(slow);
      expect(gSlow.pending).toBeLessThanOrEqual(1100);
    }
    expect(gSlow.pending).toBe(1100);
    expect(slow.writes).toEqual([]);
    // The other group kept flowing: every round reached it.
    const fastSeen = fold(fast.received());
    expect(fastSeen.announced.length).toBe(10 * 1100 - 200);
    expect(fastSeen.withdrawn.length).toBe(200);
    expect(fastSeen.attrs.get(prefixes[0]!)!.med).toBe(10);

    slow.backlog = 0; // drained
    flushUnblocked();
    const seen = fold(slow.received());
    expect(seen.withdrawn).toEqual([]); // what it had, it now has again, with newer attributes
    expect(seen.announced.length).toBe(1100);
    expect(new Set(seen.announced)).toEqual(new Set([...prefixes, ...v6]));
    for (const a of seen.attrs.values()) expect(a.med).toBe(10);
    expect(gSlow.pending).toBe(0);
  });

  it('withdraws from a drained member what went away while it was blocked', () => {
    const h = new GroupHarness();
    const slow = new FakeMember(50);
    const g = h.group([slow]);
    const prefixes = hosts4(10);
    h.announce4(src, prefixes);
    h.flush(g);
    slow.clear();
    slow.backlog = GROUP_BACKLOG_LIMIT + 1;
    h.announce4(src, prefixes, attrs({ med: 7 }));
    h.withdraw(src, prefixes.slice(0, 4));
    expect(g.pending).toBe(10);
    slow.backlog = 0;
    h.flush(g);
    const seen = fold(slow.received());
    expect(new Set(seen.withdrawn)).toEqual(new Set(prefixes.slice(0, 4)));
    expect(new Set(seen.announced)).toEqual(new Set(prefixes.slice(4)));
    for (const a of seen.attrs.values()) expect(a.med).toBe(7);
  });

  it('handles at most the slice size per flush call', () => {
    const h = new GroupHarness();
    const m = new FakeMember(50);
    const g = h.group([m]);
    h.announce4(src, hosts4(250));
    h.announce6(src, hosts6(250));
    expect(g.flush(h.lookup, 200)).toBe(200);
    expect(g.pending).toBe(300);
    expect(g.flush(h.lookup, 200)).toBe(200);
    expect(g.flush(h.lookup, 200)).toBe(100);
    expect(g.pending).toBe(0);
    expect(new Set(fold(m.received()).announced).size).toBe(500);
  });
});

describe('split horizon', () => {
  const a = client(1);
  const b = client(2);
  const c = client(3); // a source that is not a member of the group

  it('never sends a member its own routes', () => {
    const h = new GroupHarness();
    const ma = new FakeMember(a.id);
    const mb = new FakeMember(b.id);
    const g = h.group([ma, mb]);
    const Q = p4('10.3.0.0/24');
    h.announce4(a, [Q]);
    h.announce6(a, ['fd00:a::/64']);
    h.flush(g);
    expect(ma.writes).toEqual([]);
    const seen = fold(mb.received());
    expect(seen.announced).toEqual([Q, 'fd00:a::/64']);
    expect(seen.nextHop.get(Q)).toBe(ip(a.address));
    expect(seen.attrs.get(Q)!.originatorId).toBe(a.bgpId);
    expect(seen.attrs.get(Q)!.clusterList).toEqual([CLUSTER_ID]);
  });

  it('withdraws a prefix from a member whose own path became best, and sends that path to the others', () => {
    const h = new GroupHarness();
    const ma = new FakeMember(a.id);
    const mb = new FakeMember(b.id);
    const g = h.group([ma, mb]);
    const P = p4('10.4.0.0/24');
    const P6 = 'fd00:4::/64';
    h.announce4(c, [P], attrs({ localPref: 100 }));
    h.announce6(c, [P6], attrs({ localPref: 100 }));
    h.flush(g);
    expect(fold(ma.received()).nextHop.get(P)).toBe(ip(c.address));
    expect(fold(mb.received()).nextHop.get(P6)).toBe(`2001:db8::${c.id}`);
    ma.clear();
    mb.clear();

    h.announce4(a, [P], attrs({ localPref: 200 }));
    h.announce6(a, [P6], attrs({ localPref: 200 }));
    h.flush(g);
    const sa = fold(ma.received());
    expect(sa.announced).toEqual([]);
    expect(new Set(sa.withdrawn)).toEqual(new Set([P, P6]));
    const sb = fold(mb.received());
    expect(sb.withdrawn).toEqual([]);
    expect(sb.nextHop.get(P)).toBe(ip(a.address));
    expect(sb.nextHop.get(P6)).toBe(`2001:db8::${a.id}`);
    expect(sb.attrs.get(P)!.localPref).toBe(200);
    expect(sb.attrs.get(P)!.originatorId).toBe(a.bgpId);
    ma.clear();
    mb.clear();

    // Its own path goes: it gets the other path again; the others switch back.
    h.withdraw(a, [P, P6]);
    h.flush(g);
    const sa2 = fold(ma.received());
    expect(sa2.withdrawn).toEqual([]);
    expect(sa2.nextHop.get(P)).toBe(ip(c.address));
    expect(sa2.nextHop.get(P6)).toBe(`2001:db8::${c.id}`);
    expect(fold(mb.received()).nextHop.get(P)).toBe(ip(c.address));
  });

  it('sends no withdrawal to a member whose own path replaced its own earlier one', () => {
    const h = new GroupHarness();
    const ma = new FakeMember(a.id);
    const mb = new FakeMember(b.id);
    const g = h.group([ma, mb]);
    const P = p4('10.5.0.0/24');
    h.announce4(a, [P], attrs({ med: 1 }));
    h.flush(g);
    h.announce4(a, [P], attrs({ med: 2 }));
    h.flush(g);
    expect(ma.writes).toEqual([]);
    const sb = fold(mb.received());
    expect(sb.announced).toEqual([P, P]);
    expect(sb.attrs.get(P)!.med).toBe(2);
  });
});

describe('plain iBGP towards non-clients', () => {
  const NON_CLIENT_TARGET = { ...CLIENT_TARGET, rrClient: false };
  const node = (id: number) => ({ ...client(id), rrClient: false });

  it('has nothing to do for changes between routes learned from non-clients, and sends the next route it does export', () => {
    const h = new GroupHarness(true);
    const m = new FakeMember(50);
    const g = h.group([m], CTX, NON_CLIENT_TARGET);
    const prefixes = hosts4(20);
    h.announce4(node(1), prefixes);
    h.announce4(node(2), prefixes.slice(0, 5), attrs({ localPref: 200 }));
    h.withdraw(node(2), prefixes.slice(0, 5));
    expect(g.pending).toBe(0);
    h.flush(g);
    expect(m.writes).toEqual([]);

    // A route reflector's client is reflected to non-clients (RFC 4456 §6): that one goes out.
    h.announce4(client(3), [prefixes[0]!], attrs({ localPref: 300 }));
    expect(g.pending).toBe(1);
    h.flush(g);
    expect(fold(m.received()).announced).toEqual([prefixes[0]]);
  });
});
