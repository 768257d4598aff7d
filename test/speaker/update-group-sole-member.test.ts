// An update group with a single member: its own routes go to nobody (split horizon), so the
// group skips their export and encoding. These tests pin down that the skip never costs a
// member a route it should get: other sources' routes, withdrawals of what it was sent, routes
// that become sendable when a second member joins, and a late peer's full table.
import { afterEach, describe, expect, it } from 'vitest';
import type { PathSource } from '../../src/rib/types.js';
import { RouteEngine } from '../../src/speaker/route-engine.js';
import type { UpdateGroup } from '../../src/speaker/update-group.js';
import type { PathAttributes } from '../../src/wire/types.js';
import { attrs, client, GroupHarness } from './group-harness.js';
import { announce4, config, FakeMember, FakePeer, fold, hosts4, ip, metrics, p4, settle, silentLogger, withdraw4 } from './helpers.js';

/** One group, no members yet; `announce4` takes attribute overrides. */
class OneGroup {
  readonly h: GroupHarness;
  readonly group: UpdateGroup;

  constructor(passBest: boolean) {
    this.h = new GroupHarness(passBest);
    this.group = this.h.group([]);
  }

  announce4(source: PathSource, prefixes: number[], over: Partial<PathAttributes> = {}): void {
    this.h.announce4(source, prefixes, attrs(over));
  }

  announce6(source: PathSource, prefixes: string[]): void {
    this.h.announce6(source, prefixes);
  }

  withdraw(source: PathSource, prefixes: number[]): void {
    this.h.withdraw(source, prefixes);
  }

  flush(slice?: number): void {
    this.h.flush(this.group, slice);
  }
}

describe.each([
  ['skipped when flushed', false],
  ['dropped when marked', true],
])('update group with a single member: own routes %s', (_, passBest) => {
  const a = client(1);
  const b = client(2);
  const c = client(3); // a source that is not a member
  const make = (): OneGroup => new OneGroup(passBest);

  it('sends the member every route of other sources, interleaved with its own, and none of its own', () => {
    const h = make();
    const ma = new FakeMember(a.id);
    h.group.members.add(ma);
    const own = hosts4(3000, '10.1.0.0');
    const others = hosts4(3000, '10.2.0.0');
    // Interleaved so one slice holds both kinds, and slices smaller than the table.
    for (let i = 0; i < own.length; i++) {
      h.announce4(a, [own[i]!], { med: i % 7 });
      h.announce4(c, [others[i]!], { med: i % 5 });
    }
    h.announce6(a, ['fd00:a::/64']);
    h.announce6(c, ['fd00:c::/64']);
    h.flush(1000);
    const seen = fold(ma.received());
    expect(seen.withdrawn).toEqual([]);
    expect(seen.announced.length).toBe(others.length + 1);
    expect(new Set(seen.announced)).toEqual(new Set([...others, 'fd00:c::/64']));
    for (let i = 0; i < others.length; i++) expect(seen.attrs.get(others[i]!)!.med).toBe(i % 5);
  });

  it('withdraws from the member what it was sent once its own path becomes best, and re-sends it after', () => {
    const h = make();
    const ma = new FakeMember(a.id);
    h.group.members.add(ma);
    const P = p4('10.4.0.0/24');
    const Q = p4('10.4.1.0/24');
    h.announce4(c, [P, Q], { localPref: 100 });
    h.flush();
    expect(new Set(fold(ma.received()).announced)).toEqual(new Set([P, Q]));
    ma.clear();

    h.announce4(a, [P, Q], { localPref: 200 });
    h.flush();
    let seen = fold(ma.received());
    expect(seen.announced).toEqual([]);
    expect(new Set(seen.withdrawn)).toEqual(new Set([P, Q]));
    ma.clear();

    // Its own path replaced by its own newer one: nothing (it never had either).
    h.announce4(a, [P], { localPref: 300 });
    h.flush();
    expect(ma.writes).toEqual([]);

    // Its own path goes: the other source's path is best again, and the member gets it.
    h.withdraw(a, [P, Q]);
    h.flush();
    seen = fold(ma.received());
    expect(seen.withdrawn).toEqual([]);
    expect(new Set(seen.announced)).toEqual(new Set([P, Q]));
    expect(seen.nextHop.get(P)).toBe(ip(c.address));
  });

  it('sends nothing when the member withdraws a route of its own it was never sent', () => {
    const h = make();
    const ma = new FakeMember(a.id);
    h.group.members.add(ma);
    const own = hosts4(100);
    h.announce4(a, own);
    h.flush();
    h.withdraw(a, own);
    h.flush();
    expect(ma.writes).toEqual([]);
  });

  // With the best path passed, a member must join through a catch-up, as RouteEngine does.
  if (!passBest) it('decides at flush time: a member added before the flush gets the routes marked while there was one', () => {
    const h = make();
    const ma = new FakeMember(a.id);
    const mb = new FakeMember(b.id);
    h.group.members.add(ma);
    const own = hosts4(500);
    h.announce4(a, own);
    h.group.members.add(mb);
    h.flush(200);
    expect(ma.writes).toEqual([]);
    const seen = fold(mb.received());
    expect(seen.announced.length).toBe(500);
    expect(new Set(seen.announced)).toEqual(new Set(own));
  });

  it('keeps nothing pending for a sole member\'s own routes when it is told the new best', () => {
    const h = make();
    const ma = new FakeMember(a.id);
    h.group.members.add(ma);
    h.announce4(a, hosts4(100));
    h.announce4(c, hosts4(10, '10.6.0.0'));
    expect(h.group.pending).toBe(passBest ? 10 : 110);
    h.flush();
    expect(fold(ma.received()).announced.length).toBe(10);
  });

  it('sends a second member routes the first one sent after it joined', () => {
    const h = make();
    const ma = new FakeMember(a.id);
    const mb = new FakeMember(b.id);
    h.group.members.add(ma);
    h.announce4(a, hosts4(10));
    h.flush();
    h.group.members.add(mb);
    const later = hosts4(20, '10.7.0.0');
    h.announce4(a, later);
    h.flush();
    expect(ma.writes).toEqual([]);
    expect(new Set(fold(mb.received()).announced)).toEqual(new Set(later));
  });
});

const CFG = config(`
asn: 65000
routerId: 10.0.0.1
clusterId: 10.0.0.100
nextHopResolution: any
peers:
  - { address: 10.0.0.11, asn: 65000, rrClient: true }
  - { address: 10.0.0.12, asn: 65000, rrClient: true }
  - { address: 192.0.2.1, asn: 65100 }
`);
const E_ATTRS: PathAttributes = { origin: 0, asPath: [{ type: 2, asns: [65100] }], nextHop: ip('192.0.2.1'), med: 5 };

let engine: RouteEngine | null = null;
afterEach(() => {
  engine?.close();
  engine = null;
});

describe('RouteEngine with one peer per group', () => {
  function setup() {
    engine = new RouteEngine(CFG, { logger: silentLogger, metrics });
    const [a, b, e] = CFG.peers;
    return { engine, a: new FakePeer(a!, ip('10.0.0.11')), b: new FakePeer(b!, ip('10.0.0.12')), e: new FakePeer(e!, ip('192.0.2.1')) };
  }

  it('gives a peer that comes up later the full table its only peer sent before', async () => {
    const { engine, a, e } = setup();
    e.fams = ['ipv4-unicast'];
    a.fams = ['ipv4-unicast'];
    engine.peerUp(e);
    await settle([e]);
    const v4 = hosts4(25_000); // more than one flush slice
    for (let i = 0; i < v4.length; i += 1000) engine.receive(e, announce4(v4.slice(i, i + 1000), { ...E_ATTRS, med: i / 1000 }));
    await settle([a, e]);
    const es = e.seen();
    expect(es.announced).toEqual([]); // its own routes never go back to it
    expect(es.endOfRib).toEqual(['ipv4-unicast']);

    engine.peerUp(a);
    await settle([a, e]);
    const seen = a.seen();
    expect(seen.announced.length).toBe(v4.length);
    expect(new Set(seen.announced)).toEqual(new Set(v4));
    expect(seen.attrs.get(v4[1000]!)!.med).toBe(1);
    expect(seen.endOfRib).toEqual(['ipv4-unicast']);
  });

  it('sends the only eBGP peer a better path for its prefix, then withdraws it when its own is best again', async () => {
    const { engine, a, e } = setup();
    e.fams = ['ipv4-unicast'];
    a.fams = ['ipv4-unicast'];
    engine.peerUp(e);
    engine.peerUp(a);
    await settle([a, e]);
    const P = p4('10.8.0.0/24');
    engine.receive(e, announce4([P], E_ATTRS));
    await settle([a, e]);
    expect(e.seen().announced).toEqual([]);
    expect(a.seen().announced).toEqual([P]);
    e.clear();
    a.clear();

    // A client's path wins on LOCAL_PREF: e's exclusion for P ends.
    engine.receive(a, announce4([P], { origin: 0, asPath: [], nextHop: ip('10.0.0.11'), localPref: 200 }));
    await settle([a, e]);
    expect(e.seen().announced).toEqual([P]);
    expect(a.seen().withdrawn).toEqual([P]);
    e.clear();
    a.clear();

    // The client's path goes: e's own is best again, so e must lose what it was sent.
    engine.receive(a, withdraw4([P]));
    await settle([a, e]);
    const es = e.seen();
    expect(es.withdrawn).toEqual([P]);
    expect(es.announced).toEqual([]);
    expect(a.seen().announced).toEqual([P]);
  });
});
