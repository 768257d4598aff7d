// RouteEngine with fake sessions: initial table and End-of-RIB, route refresh, session loss
// with and without graceful restart, reflection, loop detection and back-pressure between
// update groups. Everything is asserted on the UPDATEs the fake peers decode.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RouteEngine } from '../../src/speaker/route-engine.js';
import { GROUP_BACKLOG_LIMIT, TABLE_JOIN_LIMIT } from '../../src/speaker/update-group.js';
import { parsePrefix6 } from '../../src/lib/prefix.js';
import type { PathAttributes } from '../../src/wire/types.js';
import {
  announce4,
  announce6,
  config,
  endOfRib,
  FakePeer,
  hosts4,
  hosts6,
  ip,
  metrics,
  p4,
  settle,
  silentLogger,
  withdraw4,
} from './helpers.js';

const CFG = config(`
asn: 65000
routerId: 10.0.0.1
clusterId: 10.0.0.100
nextHopResolution: any
originate: [10.9.0.0/26, "fd00:9::/122"]
peers:
  - { address: 10.0.0.11, asn: 65000, rrClient: true }
  - { address: 10.0.0.12, asn: 65000, rrClient: true }
  - { address: 10.0.0.21, asn: 65000 }
  - { address: 192.0.2.1, asn: 65100 }
`);
const ORIGINATED4 = p4('10.9.0.0/26');
const ORIGINATED6 = parsePrefix6('fd00:9::/122');

const E_ATTRS: PathAttributes = { origin: 0, asPath: [{ type: 2, asns: [65100] }], nextHop: ip('192.0.2.1'), med: 5 };
const E_ATTRS6: PathAttributes = { origin: 0, asPath: [{ type: 2, asns: [65100] }], med: 5 };
const E_NH6 = '2001:db8:e::1';

/** Routes enough that a joining peer gets a catch-up (sliced, paced by its socket), not the group's encoded table. */
const CATCH_UP = TABLE_JOIN_LIMIT + 1;

let engine: RouteEngine | null = null;
afterEach(() => {
  engine?.close();
  engine = null;
});

function setup() {
  engine = new RouteEngine(CFG, { logger: silentLogger, metrics });
  const [a, b, n, e] = CFG.peers;
  return {
    engine,
    /** route-reflector clients */
    a: new FakePeer(a!, ip('10.0.0.11')),
    b: new FakePeer(b!, ip('10.0.0.12')),
    /** iBGP non-client */
    n: new FakePeer(n!, ip('10.0.0.21')),
    /** eBGP */
    e: new FakePeer(e!, ip('192.0.2.1')),
  };
}

describe('RouteEngine', () => {
  it('sends a new peer the whole table, then End-of-RIB for each negotiated family', async () => {
    const { engine, a, e } = setup();
    engine.peerUp(e);
    const v4 = hosts4(300);
    const v6 = hosts6(50);
    engine.receive(e, announce4(v4, E_ATTRS));
    engine.receive(e, announce6(v6, E_ATTRS6, E_NH6));
    await settle([a, e]);

    engine.peerUp(a);
    await settle([a, e]);
    const wires = a.received();
    const seen = a.seen();
    expect(new Set(seen.announced)).toEqual(new Set([...v4, ORIGINATED4, ...v6, ORIGINATED6]));
    expect(seen.announced.length).toBe(352);
    expect(seen.withdrawn).toEqual([]);
    expect(seen.endOfRib).toEqual(['ipv4-unicast', 'ipv6-unicast']);
    // The markers come last: nothing of the initial table after them.
    expect(wires.slice(-2).map((w) => w.size)).toEqual([23, 29]);
    expect(seen.nextHop.get(v4[0]!)).toBe(ip('192.0.2.1'));
    expect(seen.nextHop.get(v6[0]!)).toBe(E_NH6);
    expect(seen.nextHop.get(ORIGINATED4)).toBe(ip('10.0.0.1')); // next hop self for our own
    expect(seen.nextHop.get(ORIGINATED6)).toBe('2001:db8::1');

    // The eBGP peer got our own routes and its End-of-RIB, never its own routes back.
    const es = e.seen();
    expect(new Set(es.announced)).toEqual(new Set([ORIGINATED4, ORIGINATED6]));
    expect(es.endOfRib).toEqual(['ipv4-unicast', 'ipv6-unicast']);
  });

  it('sends End-of-RIB only for the families the peer negotiated', async () => {
    const { engine, a } = setup();
    a.fams = ['ipv4-unicast'];
    engine.peerUp(a);
    await settle([a]);
    const seen = a.seen();
    expect(seen.announced).toEqual([ORIGINATED4]);
    expect(seen.endOfRib).toEqual(['ipv4-unicast']);
  });

  it('re-sends the table on route refresh, bracketed by BoRR and EoRR when enhanced', async () => {
    const { engine, a, e } = setup();
    engine.peerUp(e);
    engine.peerUp(a);
    const v4 = hosts4(200);
    engine.receive(e, announce4(v4, E_ATTRS));
    engine.receive(e, announce6(hosts6(20), E_ATTRS6, E_NH6));
    await settle([a, e]);
    a.clear();

    a.enhanced = true;
    engine.refresh(a, 'ipv4-unicast');
    await settle([a, e]);
    const events = a.events();
    expect(events[0]).toEqual({ kind: 'marker', family: 'ipv4-unicast', subtype: 1 });
    expect(events.at(-1)).toEqual({ kind: 'marker', family: 'ipv4-unicast', subtype: 2 });
    const inside = events.slice(1, -1);
    expect(inside.every((ev) => ev.kind === 'update')).toBe(true);
    const seen = a.seen();
    expect(new Set(seen.announced)).toEqual(new Set([...v4, ORIGINATED4])); // IPv4 only
    expect(seen.announced.length).toBe(201);
    expect(seen.endOfRib).toEqual([]);

    a.clear();
    a.enhanced = false;
    engine.refresh(a, 'ipv6-unicast');
    await settle([a, e]);
    expect(a.events().every((ev) => ev.kind === 'update')).toBe(true);
    expect(a.seen().announced.length).toBe(21);
  });

  it('withdraws a lost peer’s routes from the others when it did not negotiate graceful restart', async () => {
    const { engine, a, b, e } = setup();
    for (const p of [e, a, b]) engine.peerUp(p);
    const v4 = hosts4(100);
    const v6 = hosts6(10);
    engine.receive(e, announce4(v4, E_ATTRS));
    engine.receive(e, announce6(v6, E_ATTRS6, E_NH6));
    await settle([a, b, e]);
    a.clear();
    b.clear();

    engine.peerDown(e, null);
    await settle([a, b, e]);
    for (const p of [a, b]) {
      const seen = p.seen();
      expect(seen.announced).toEqual([]);
      expect(new Set(seen.withdrawn)).toEqual(new Set([...v4, ...v6]));
      expect(seen.withdrawn.length).toBe(110);
    }
    expect(engine.rib.get(v4[0]!)).toBeUndefined();
    expect(engine.rib.countFrom(engine.sourceOf(e)!.id)).toEqual({ ipv4: 0, ipv6: 0 });
  });

  it('keeps a gracefully restarting peer’s routes as stale and sweeps those not re-announced at its End-of-RIB', async () => {
    const { engine, a, e } = setup();
    engine.peerUp(e);
    engine.peerUp(a);
    const v4 = hosts4(100);
    const v6 = hosts6(10);
    engine.receive(e, announce4(v4, E_ATTRS));
    engine.receive(e, announce6(v6, E_ATTRS6, E_NH6));
    await settle([a, e]);
    a.clear();

    engine.peerDown(e, { restartTime: 120, families: ['ipv4-unicast', 'ipv6-unicast'] });
    await settle([a, e]);
    expect(a.writeCount()).toBe(0); // nothing withdrawn
    expect(engine.rib.get(v4[0]!)!.paths[0]!.stale).toBe(true);
    expect(engine.rib.get(v6[0]!)!.paths[0]!.stale).toBe(true);

    // Back: it re-announces 60 of its IPv4 routes and all IPv6 ones, then End-of-RIB.
    engine.peerUp(e);
    await settle([a, e]);
    expect(new Set(e.seen().announced)).toEqual(new Set([ORIGINATED4, ORIGINATED6])); // its own stale ones not echoed
    const kept = v4.slice(0, 60);
    const gone = v4.slice(60);
    engine.receive(e, announce4(kept, E_ATTRS));
    engine.receive(e, announce6(v6, E_ATTRS6, E_NH6));
    await settle([a, e]);
    expect(engine.rib.get(gone[0]!)!.paths[0]!.stale).toBe(true); // until End-of-RIB
    expect(a.seen().withdrawn).toEqual([]);

    engine.receive(e, endOfRib('ipv4-unicast'));
    await settle([a, e]);
    const seen = a.seen();
    expect(new Set(seen.withdrawn)).toEqual(new Set(gone));
    expect(seen.withdrawn.length).toBe(40);
    for (const p of gone) expect(engine.rib.get(p)).toBeUndefined();
    for (const p of kept) expect(engine.rib.get(p)!.paths[0]!.stale).toBeFalsy();
    for (const p of v6) expect(engine.rib.get(p)!.paths[0]!.stale).toBeFalsy();

    engine.receive(e, endOfRib('ipv6-unicast'));
    await settle([a, e]);
    expect(new Set(a.seen().withdrawn)).toEqual(new Set(gone)); // no IPv6 withdrawn: all came back
  });

  it('withdraws at once the routes of families the restarting peer did not preserve', async () => {
    const { engine, a, e } = setup();
    engine.peerUp(e);
    engine.peerUp(a);
    const v4 = hosts4(20);
    const v6 = hosts6(10);
    engine.receive(e, announce4(v4, E_ATTRS));
    engine.receive(e, announce6(v6, E_ATTRS6, E_NH6));
    await settle([a, e]);
    a.clear();

    engine.peerDown(e, { restartTime: 120, families: ['ipv4-unicast'] });
    await settle([a, e]);
    const seen = a.seen();
    expect(new Set(seen.withdrawn)).toEqual(new Set(v6));
    for (const p of v6) expect(engine.rib.get(p)).toBeUndefined();
    expect(engine.rib.get(v4[0]!)!.paths[0]!.stale).toBe(true);
  });

  it('reflects a client’s route to the other client with ORIGINATOR_ID and CLUSTER_LIST, never back to it', async () => {
    const { engine, a, b, n, e } = setup();
    for (const p of [a, b, n, e]) engine.peerUp(p);
    await settle([a, b, n, e]);
    for (const p of [a, b, n, e]) p.clear();

    const P = p4('10.20.0.0/24');
    engine.receive(a, announce4([P], { origin: 0, asPath: [], nextHop: ip('10.0.0.11'), localPref: 100 }));
    engine.receive(a, announce6(['fd00:20::/64'], { origin: 0, asPath: [], localPref: 100 }, '2001:db8:a::1'));
    await settle([a, b, n, e]);
    expect(a.writeCount()).toBe(0);
    for (const p of [b, n]) {
      const seen = p.seen();
      expect(seen.announced).toEqual([P, 'fd00:20::/64']);
      for (const attrs of seen.attrs.values()) {
        expect(attrs.originatorId).toBe(ip('10.0.0.11'));
        expect(attrs.clusterList).toEqual([ip('10.0.0.100')]);
      }
      expect(seen.nextHop.get(P)).toBe(ip('10.0.0.11')); // RFC 4456 §10: unchanged
      expect(seen.nextHop.get('fd00:20::/64')).toBe('2001:db8:a::1');
    }
    const es = e.seen().attrs.get(P)!;
    expect(es.originatorId).toBeUndefined();
    expect(es.clusterList).toBeUndefined();
    expect(es.asPath).toEqual([{ type: 2, asns: [65000] }]);
  });

  it('drops a route whose ORIGINATOR_ID is our router ID or whose CLUSTER_LIST holds our cluster ID', async () => {
    const { engine, a, b } = setup();
    engine.peerUp(a);
    engine.peerUp(b);
    await settle([a, b]);
    b.clear();

    const P = p4('10.21.0.0/24');
    const Q = p4('10.22.0.0/24');
    engine.receive(a, announce4([P], { origin: 0, asPath: [], nextHop: ip('10.0.0.11'), localPref: 100, originatorId: ip('10.0.0.1') }));
    engine.receive(a, announce4([Q], { origin: 0, asPath: [], nextHop: ip('10.0.0.11'), localPref: 100, originatorId: ip('10.0.0.11'), clusterList: [ip('10.0.0.200'), ip('10.0.0.100')] }));
    await settle([a, b]);
    expect(engine.stats.loopsDropped['originator-id-is-self']).toBe(1);
    expect(engine.stats.loopsDropped['cluster-list-loop']).toBe(1);
    expect(engine.rib.get(P)).toBeUndefined();
    expect(engine.rib.get(Q)).toBeUndefined();
    expect(b.writeCount()).toBe(0);
  });

  it('withdraws a previously accepted route when its replacement is a loop', async () => {
    const { engine, a, b } = setup();
    engine.peerUp(a);
    engine.peerUp(b);
    const P = p4('10.23.0.0/24');
    engine.receive(a, announce4([P], { origin: 0, asPath: [], nextHop: ip('10.0.0.11'), localPref: 100 }));
    await settle([a, b]);
    b.clear();
    engine.receive(a, announce4([P], { origin: 0, asPath: [], nextHop: ip('10.0.0.11'), localPref: 100, originatorId: ip('10.0.0.1') }));
    await settle([a, b]);
    expect(b.seen().withdrawn).toEqual([P]);
    expect(engine.rib.get(P)).toBeUndefined();
  });

  it('holds back a blocked group while another keeps flowing, then sends it the latest state once', async () => {
    const { engine, a, b, n, e } = setup();
    for (const p of [a, b, n, e]) engine.peerUp(p);
    const v4 = hosts4(1000);
    engine.receive(e, announce4(v4, E_ATTRS));
    await settle([a, b, n, e]);
    expect(n.seen().announced.length).toBe(1002); // each once, with our two originated routes
    for (const p of [a, b, n, e]) p.clear();

    n.backlog = GROUP_BACKLOG_LIMIT + 1;
    for (let round = 1; round <= 10; round++) {
      engine.receive(e, announce4(v4, { ...E_ATTRS, med: round }));
      if (round === 9) engine.receive(e, withdraw4(v4.slice(0, 100)));
      await settle([a, b, n, e]);
    }
    expect(n.writeCount()).toBe(0);
    const as = a.seen();
    expect(as.announced.length).toBe(10_000 - 100);
    expect(as.withdrawn.length).toBe(100);
    expect(as.attrs.get(v4[0]!)!.med).toBe(10);

    n.drained();
    await settle([a, b, n, e]);
    const ns = n.seen();
    expect(ns.withdrawn).toEqual([]);
    expect(ns.announced.length).toBe(1000);
    expect(new Set(ns.announced)).toEqual(new Set(v4));
    for (const attrs of ns.attrs.values()) expect(attrs.med).toBe(10);
  });

  it('gives a peer that joins while its group is blocked its full table once the socket drains', async () => {
    const { engine, a, e } = setup();
    engine.peerUp(e);
    const v4 = hosts4(CATCH_UP);
    engine.receive(e, announce4(v4, E_ATTRS));
    await settle([a, e]);
    engine.peerUp(a);
    a.backlog = GROUP_BACKLOG_LIMIT + 1;
    engine.receive(e, announce4(v4.slice(0, 10), { ...E_ATTRS, med: 99 }));
    await settle([a, e]);
    expect(a.writeCount()).toBe(0);
    a.drained();
    await settle([a, e]);
    const seen = a.seen();
    expect(seen.endOfRib).toEqual(['ipv4-unicast', 'ipv6-unicast']);
    expect(new Set(seen.announced)).toEqual(new Set([...v4, ORIGINATED4, ORIGINATED6]));
    for (const p of v4.slice(0, 10)) expect(seen.attrs.get(p)!.med).toBe(99);
  });

  it('sends each prefix once to a peer that joins while routes arrive', async () => {
    const { engine, a, b, e } = setup();
    engine.peerUp(e);
    engine.peerUp(b);
    await settle([a, b, e]);
    engine.peerUp(a);
    const v4 = hosts4(500);
    engine.receive(e, announce4(v4, E_ATTRS)); // before the catch-up's first flush
    await settle([a, b, e]);
    const seen = a.seen();
    expect(seen.announced.length).toBe(502);
    expect(new Set(seen.announced)).toEqual(new Set([...v4, ORIGINATED4, ORIGINATED6]));
    expect(seen.endOfRib).toEqual(['ipv4-unicast', 'ipv6-unicast']);
  });

  it('passes on changes made after the catch-up sent a prefix but before the peer joined its group', async () => {
    const { engine, a, b, e } = setup();
    engine.peerUp(e);
    engine.peerUp(b);
    const v4 = hosts4(CATCH_UP);
    engine.receive(e, announce4(v4, E_ATTRS));
    await settle([a, b, e]);
    b.clear();

    engine.peerUp(a);
    a.member_!.blockOnWrite = true; // the table goes out, then the socket is full: no End-of-RIB yet
    await settle([a, b, e]);
    expect(new Set(a.seen().announced)).toEqual(new Set([...v4, ORIGINATED4, ORIGINATED6]));
    expect(a.seen().endOfRib).toEqual([]);
    a.clear();

    engine.receive(e, announce4([v4[0]!], { ...E_ATTRS, med: 77 }));
    engine.receive(e, withdraw4([v4[1]!]));
    await settle([a, b, e]);
    expect(a.writeCount()).toBe(0);
    expect(b.seen().withdrawn).toEqual([v4[1]]);

    a.member_!.blockOnWrite = false;
    a.drained();
    await settle([a, b, e]);
    const seen = a.seen();
    expect(seen.announced).toEqual([v4[0]]);
    expect(seen.attrs.get(v4[0]!)!.med).toBe(77);
    expect(seen.withdrawn).toEqual([v4[1]]);
    expect(seen.endOfRib).toEqual(['ipv4-unicast', 'ipv6-unicast']);
    a.clear();

    // Joined: later changes reach it through the group.
    engine.receive(e, announce4([v4[2]!], { ...E_ATTRS, med: 78 }));
    await settle([a, b, e]);
    expect(a.seen().announced).toEqual([v4[2]]);
    expect(engine.groupOf(a)!.members).toBe(2);
  });

  it('still joins a group that emptied while the peer was catching up', async () => {
    const { engine, a, b, e } = setup();
    engine.peerUp(e);
    engine.peerUp(b);
    const v4 = hosts4(CATCH_UP);
    engine.receive(e, announce4(v4, E_ATTRS));
    await settle([a, b, e]);

    engine.peerUp(a);
    a.member_!.blockOnWrite = true;
    await settle([a, b, e]);
    engine.peerDown(b, null); // its group is now empty and dropped
    await settle([a, b, e]);
    a.member_!.blockOnWrite = false;
    a.drained();
    await settle([a, b, e]);
    expect(a.seen().endOfRib).toEqual(['ipv4-unicast', 'ipv6-unicast']);
    a.clear();

    engine.receive(e, announce4([v4[0]!], { ...E_ATTRS, med: 9 }));
    await settle([a, b, e]);
    expect(a.seen().announced).toEqual([v4[0]]);
    engine.peerUp(b);
    await settle([a, b, e]);
    expect(engine.groupOf(a)!.members).toBe(2);
    expect(engine.groupOf(b)!.key).toBe(engine.groupOf(a)!.key);
  });
});

describe('RouteEngine policies', () => {
  const PCFG = config(`
asn: 65000
routerId: 10.0.0.1
nextHopResolution: any
policies:
  pods-only:
    terms:
      - match: { prefixes: [{ prefix: 10.244.0.0/16, ge: 24, le: 32 }] }
        then: { setLocalPref: 250, action: accept }
    default: reject
  tag-out:
    terms:
      - match: { community: ["65100:1"] }
        then: { action: reject }
      - then: { addCommunities: ["65000:42"] }
peers:
  - { address: 192.0.2.1, asn: 65100, importPolicy: pods-only }
  - { address: 10.0.0.11, asn: 65000, exportPolicy: tag-out }
`);

  it('applies import policy per prefix (accept with changes, reject the rest) and export policy per group', async () => {
    const eng = new RouteEngine(PCFG, { logger: silentLogger, metrics });
    engine = eng;
    const [eCfg, iCfg] = PCFG.peers;
    const e = new FakePeer(eCfg!, ip('192.0.2.1'));
    const i = new FakePeer(iCfg!, ip('10.0.0.11'));
    eng.peerUp(e);
    eng.peerUp(i);
    const pod = p4('10.244.1.0/24');
    const other = p4('10.99.0.0/24');
    const tagged = p4('10.244.2.0/24');
    eng.receive(e, announce4([pod, other], { origin: 0, asPath: [{ type: 2, asns: [65100] }], nextHop: ip('192.0.2.1') }));
    eng.receive(e, announce4([tagged], { origin: 0, asPath: [{ type: 2, asns: [65100] }], nextHop: ip('192.0.2.1'), communities: [((65100 << 16) | 1) >>> 0] }));
    await settle([e, i]);
    expect(eng.rib.get(other)).toBeUndefined();
    expect(eng.rib.get(pod)?.best?.attrs.localPref).toBe(250);
    expect(eng.stats.importRejected).toBe(1);
    const seen = i.seen();
    expect(seen.announced).toEqual([pod]);
    const last = seen.attrs.get(pod);
    expect(last?.communities).toEqual([65000 * 65536 + 42]);
    expect(last?.localPref).toBe(250);
  });
});

describe('RouteEngine next-hop resolution from connected subnets', () => {
  const RCFG = config(`
asn: 65000
routerId: 10.0.0.1
peers:
  - { address: 192.0.2.1, asn: 65100 }
`);
  const iface = (cidr: string) => ({ address: cidr.split('/')[0]!, netmask: '255.255.255.0', family: 'IPv4' as const, mac: '00:00:00:00:00:00', internal: false, cidr });

  it('makes a path eligible once its next hop becomes connected, without a restart', async () => {
    vi.useFakeTimers({ toFake: ['setInterval'] });
    try {
      let ifaces: NodeJS.Dict<ReturnType<typeof iface>[]> = { eth0: [iface('10.0.0.1/24')] };
      const eng = new RouteEngine(RCFG, { logger: silentLogger, metrics, interfaces: () => ifaces });
      engine = eng;
      const e = new FakePeer(RCFG.peers[0]!, ip('192.0.2.1'));
      eng.peerUp(e);
      const prefix = p4('10.80.0.0/24');
      eng.receive(e, announce4([prefix], { origin: 0, asPath: [{ type: 2, asns: [65100] }], nextHop: ip('192.0.2.1') }));
      await settle([e]);
      expect(eng.rib.get(prefix)?.best).toBeNull();
      ifaces = { eth0: [iface('10.0.0.1/24')], eth1: [iface('192.0.2.10/24')] };
      vi.advanceTimersByTime(6000);
      await settle([e]);
      expect(eng.rib.get(prefix)?.best?.nextHop).toBe(ip('192.0.2.1'));
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('RouteEngine: a peer joining with the group’s encoded table', () => {
  const MESH = config(`
asn: 65000
routerId: 10.0.0.1
nextHopResolution: any
originate: [10.9.0.0/26]
peers:
  - { address: 10.0.0.2, asn: 65000 }
  - { address: 10.0.0.3, asn: 65000 }
  - { address: 10.0.0.4, asn: 65000 }
`);
  const nodeAttrs = (nextHop: string): PathAttributes => ({ origin: 0, asPath: [], nextHop: ip(nextHop), localPref: 100 });

  function mesh() {
    engine = new RouteEngine(MESH, { logger: silentLogger, metrics });
    const [m1, m2, m3] = MESH.peers.map((p) => new FakePeer(p, ip(p.address)));
    return { engine, m1: m1!, m2: m2!, m3: m3! };
  }

  it('gives each joining node the local routes as they are then, never another node’s, then End-of-RIB', async () => {
    const { engine, m1, m2, m3 } = mesh();
    engine.peerUp(m1);
    engine.receive(m1, announce4([p4('10.9.1.0/26')], nodeAttrs('10.0.0.2')));
    engine.peerUp(m2);
    await settle([m1, m2]);
    expect(m2.seen().announced).toEqual([ORIGINATED_MESH]);
    expect(m2.seen().endOfRib).toEqual(['ipv4-unicast', 'ipv6-unicast']);

    // Both kinds of change after the last join: a route the group exports comes and goes,
    // another node's route changes.
    engine.setLocalRoute('10.9.2.0/26', 'blackhole', { advertise: true });
    engine.setLocalRoute('10.9.3.0/26', 'blackhole', { advertise: true });
    await settle([m1, m2]);
    engine.removeLocalRoute('10.9.2.0/26');
    engine.receive(m1, withdraw4([p4('10.9.1.0/26')]));
    engine.receive(m2, announce4([p4('10.9.4.0/26')], nodeAttrs('10.0.0.3')));
    await settle([m1, m2]);
    expect(new Set(m1.seen().announced)).toEqual(new Set([ORIGINATED_MESH, p4('10.9.2.0/26'), p4('10.9.3.0/26')]));
    expect(m1.seen().withdrawn).toEqual([p4('10.9.2.0/26')]);

    engine.peerUp(m3);
    await settle([m1, m2, m3]);
    const seen = m3.seen();
    expect(new Set(seen.announced)).toEqual(new Set([ORIGINATED_MESH, p4('10.9.3.0/26')]));
    expect(seen.withdrawn).toEqual([]);
    expect(seen.endOfRib).toEqual(['ipv4-unicast', 'ipv6-unicast']);
    expect(engine.groupOf(m3)!.members).toBe(3);

    // In the group now: the next change reaches it with the others.
    engine.removeLocalRoute('10.9.3.0/26');
    await settle([m1, m2, m3]);
    expect(m3.seen().withdrawn).toEqual([p4('10.9.3.0/26')]);
  });

  it('gives a node joining while a change waits the table its peers hold, then the change with them', async () => {
    const { engine, m1, m2 } = mesh();
    engine.peerUp(m1);
    await settle([m1]);
    m1.clear();
    engine.setLocalRoute('10.9.5.0/26', 'blackhole', { advertise: true });
    engine.peerUp(m2); // before the flush that sends 10.9.5.0/26
    await settle([m1, m2]);
    expect(m1.seen().announced).toEqual([p4('10.9.5.0/26')]);
    // The table first (as m1 holds it), End-of-RIB, then the change that was waiting.
    expect(m2.seen().announced).toEqual([ORIGINATED_MESH, p4('10.9.5.0/26')]);
    expect(m2.seen().endOfRib).toEqual(['ipv4-unicast', 'ipv6-unicast']);
  });

  it('gives a node joining while a withdrawal waits the route its peers still hold, then the withdrawal', async () => {
    const { engine, m1, m2 } = mesh();
    engine.peerUp(m1);
    engine.setLocalRoute('10.9.6.0/26', 'blackhole', { advertise: true });
    await settle([m1]);
    m1.clear();
    engine.removeLocalRoute('10.9.6.0/26');
    engine.peerUp(m2);
    await settle([m1, m2]);
    expect(m1.seen().withdrawn).toEqual([p4('10.9.6.0/26')]);
    expect(new Set(m2.seen().announced)).toEqual(new Set([ORIGINATED_MESH, p4('10.9.6.0/26')]));
    expect(m2.seen().withdrawn).toEqual([p4('10.9.6.0/26')]);
    // And the next node gets neither: the table is renewed once the withdrawal went out.
    const m3 = new FakePeer(MESH.peers[2]!, ip(MESH.peers[2]!.address));
    engine.peerUp(m3);
    await settle([m1, m2, m3]);
    expect(m3.seen().announced).toEqual([ORIGINATED_MESH]);
  });
});

const ORIGINATED_MESH = p4('10.9.0.0/26');
