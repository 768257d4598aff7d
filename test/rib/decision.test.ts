import { describe, expect, it } from 'vitest';
import {
  asPathLength,
  bestPath,
  compareMed,
  DECISION_STEPS,
  neighbourAs,
  rankPaths,
  type DecisionContext,
} from '../../src/rib/decision.js';
import { ConnectedResolver, type NextHopResolver } from '../../src/rib/next-hop.js';
import type { Path } from '../../src/rib/types.js';
import { attrs, ctx, ip, p4, path, seq, src } from './helpers.js';

/** Both arrival orders must give the same best and reason. */
function decide(a: Path, b: Path, c: DecisionContext = ctx()) {
  const r1 = bestPath([a, b], c);
  const r2 = bestPath([b, a], c);
  expect(r2.best).toBe(r1.best);
  expect(r2.reason).toBe(r1.reason);
  return r1;
}

const costs = (table: Record<number, number>): NextHopResolver => ({
  resolve: (nh) => ({ reachable: true, igpCost: typeof nh === 'number' ? (table[nh] ?? 0) : 0 }),
});

describe('decision steps (one tie-breaker each, in RFC order)', () => {
  it('runs the steps in the documented order, cluster-list-length after router-id (RFC 4456 §9)', () => {
    expect(DECISION_STEPS.map((s) => s.reason)).toEqual([
      'next-hop-resolvable',
      'local-origin',
      'local-pref',
      'as-path-length',
      'origin',
      'med',
      'ebgp-over-ibgp',
      'igp-cost',
      'router-id',
      'cluster-list-length',
      'peer-address',
    ]);
  });

  it('a single eligible path is best with reason only-path', () => {
    const p = path(src());
    expect(bestPath([p], ctx())).toEqual({ best: p, reason: 'only-path', multipath: [p] });
  });

  it('next-hop-resolvable: an unresolvable next hop makes a better path ineligible', () => {
    const resolver = new ConnectedResolver({ prefixes: [p4('10.1.0.0/16')] });
    const reachable = path(src(), { localPref: 50, nextHop: ip('10.1.0.5') });
    const unreachable = path(src(), { localPref: 500, nextHop: ip('192.0.2.1') });
    const r = decide(reachable, unreachable, ctx({ resolver }));
    expect(r.best).toBe(reachable);
    expect(r.reason).toBe('next-hop-resolvable');
  });

  it('next-hop-resolvable: no best when no path is eligible', () => {
    const resolver = new ConnectedResolver({ prefixes: [] });
    const r = bestPath([path(src()), path(src())], ctx({ resolver }));
    expect(r.best).toBeNull();
    expect(r.reason).toBe('next-hop-resolvable');
    expect(r.multipath).toEqual([]);
    expect(bestPath([path(src())], ctx({ resolver })).best).toBeNull();
  });

  it('local-origin: a locally originated path beats a higher LOCAL_PREF', () => {
    const local = path(src({ kind: 'local', id: 0, address: 'local', addressKey: 0 }), { localPref: 100 });
    const learned = path(src(), { localPref: 300 });
    const r = decide(local, learned);
    expect(r.best).toBe(local);
    expect(r.reason).toBe('local-origin');
  });

  it('local-pref: highest wins, a missing LOCAL_PREF counts as 100', () => {
    const high = path(src(), { localPref: 200, asPath: seq(1, 2, 3) });
    const none = path(src(), { asPath: seq(1) });
    expect(decide(high, none)).toMatchObject({ best: high, reason: 'local-pref' });
    const low = path(src(), { localPref: 99, asPath: seq(1) });
    expect(decide(none, low)).toMatchObject({ best: none, reason: 'local-pref' });
  });

  it('as-path-length: shortest wins', () => {
    const short = path(src(), { asPath: seq(1, 2), origin: 2 });
    const long = path(src(), { asPath: seq(1, 2, 3), origin: 0 });
    expect(decide(short, long)).toMatchObject({ best: short, reason: 'as-path-length' });
  });

  it('as-path-length: an AS_SET counts 1 and confederation segments 0', () => {
    expect(asPathLength([{ type: 2, asns: [1] }, { type: 1, asns: [2, 3, 4, 5] }])).toBe(2);
    expect(asPathLength([{ type: 3, asns: [64512, 64513] }, { type: 2, asns: [1, 2] }, { type: 4, asns: [9] }])).toBe(2);
    const withSet = path(src(), { asPath: [{ type: 2, asns: [1] }, { type: 1, asns: [2, 3, 4, 5] }] });
    const three = path(src(), { asPath: seq(1, 2, 3) });
    expect(decide(withSet, three)).toMatchObject({ best: withSet, reason: 'as-path-length' });
  });

  it('origin: IGP beats EGP beats INCOMPLETE', () => {
    const igp = path(src(), { origin: 0, med: 50 });
    const egp = path(src(), { origin: 1, med: 0 });
    const inc = path(src(), { origin: 2 });
    expect(decide(igp, egp)).toMatchObject({ best: igp, reason: 'origin' });
    expect(decide(egp, inc)).toMatchObject({ best: egp, reason: 'origin' });
  });

  it('med: lowest wins between paths from the same neighbouring AS', () => {
    const low = path(src({ bgpId: 9 }), { asPath: seq(65001, 7), med: 10 });
    const high = path(src({ bgpId: 1 }), { asPath: seq(65001, 8), med: 20 });
    expect(decide(low, high)).toMatchObject({ best: low, reason: 'med' });
  });

  it('med: a missing MED counts as 0 (RFC 4271 §9.1.2.2 c)', () => {
    const missing = path(src({ bgpId: 9 }), { asPath: seq(65001) });
    const five = path(src({ bgpId: 1 }), { asPath: seq(65001), med: 5 });
    expect(decide(missing, five)).toMatchObject({ best: missing, reason: 'med' });
  });

  it('med: not compared across neighbouring ASes; a later step decides', () => {
    const lowMed = path(src({ bgpId: 9 }), { asPath: seq(65001), med: 1 });
    const highMed = path(src({ bgpId: 1 }), { asPath: seq(65002), med: 1000 });
    expect(compareMed(lowMed, highMed, ctx())).toBe(0);
    expect(decide(lowMed, highMed)).toMatchObject({ best: highMed, reason: 'router-id' });
  });

  it('med: compared across neighbouring ASes with alwaysCompareMed', () => {
    const lowMed = path(src({ bgpId: 9 }), { asPath: seq(65001), med: 1 });
    const highMed = path(src({ bgpId: 1 }), { asPath: seq(65002), med: 1000 });
    expect(decide(lowMed, highMed, ctx({ alwaysCompareMed: true }))).toMatchObject({ best: lowMed, reason: 'med' });
  });

  it('med: neighbouring AS is the first AS of a leading AS_SEQUENCE, else the local AS', () => {
    expect(neighbourAs(attrs({ asPath: seq(65001, 65002) }))).toBe(65001);
    expect(neighbourAs(attrs({ asPath: [{ type: 3, asns: [64512] }, { type: 2, asns: [65009] }] }))).toBe(65009);
    expect(neighbourAs(attrs({ asPath: [] }))).toBe(neighbourAs(attrs({ asPath: [{ type: 1, asns: [1, 2] }] })));
    // Two internal routes (empty AS_PATH) are comparable with each other.
    const a = path(src({ bgpId: 9 }), { med: 1 });
    const b = path(src({ bgpId: 1 }), { med: 2 });
    expect(decide(a, b)).toMatchObject({ best: a, reason: 'med' });
  });

  it('med: the result does not depend on arrival order (elimination over the set)', () => {
    // A and C share neighbour AS 100 (C has the lower MED); B is from AS 200.
    const A = path(src({ bgpId: 1 }), { asPath: seq(100), med: 20 });
    const B = path(src({ bgpId: 3 }), { asPath: seq(200), med: 10 });
    const C = path(src({ bgpId: 2 }), { asPath: seq(100), med: 10 });
    for (const order of [[A, B, C], [A, C, B], [B, A, C], [B, C, A], [C, A, B], [C, B, A]]) {
      expect(bestPath(order, ctx())).toMatchObject({ best: C, reason: 'router-id' });
    }
  });

  it('ebgp-over-ibgp: an eBGP path beats an iBGP one', () => {
    const ebgp = path(src({ kind: 'ebgp', asn: 65001, bgpId: 9 }), { asPath: seq(65001) });
    const ibgp = path(src({ kind: 'ibgp', bgpId: 1 }), { asPath: seq(65002) });
    expect(decide(ebgp, ibgp)).toMatchObject({ best: ebgp, reason: 'ebgp-over-ibgp' });
  });

  it('igp-cost: the lower cost to the next hop wins', () => {
    const near = path(src({ bgpId: 9 }), { nextHop: ip('10.0.1.1') });
    const far = path(src({ bgpId: 1 }), { nextHop: ip('10.0.2.1') });
    const r = decide(near, far, ctx({ resolver: costs({ [ip('10.0.1.1')]: 5, [ip('10.0.2.1')]: 50 }) }));
    expect(r).toMatchObject({ best: near, reason: 'igp-cost' });
  });

  it('router-id: the lowest BGP identifier wins', () => {
    const low = path(src({ bgpId: ip('1.1.1.1'), address: '10.0.0.200' }));
    const high = path(src({ bgpId: ip('2.2.2.2'), address: '10.0.0.1' }));
    expect(decide(low, high)).toMatchObject({ best: low, reason: 'router-id' });
  });

  it('router-id: ORIGINATOR_ID replaces the BGP identifier (RFC 4456 §9)', () => {
    const reflected = path(src({ bgpId: ip('9.9.9.9') }), { originatorId: ip('1.1.1.1'), clusterList: [1] });
    const direct = path(src({ bgpId: ip('2.2.2.2') }));
    expect(decide(reflected, direct)).toMatchObject({ best: reflected, reason: 'router-id' });
  });

  it('cluster-list-length: with the same originator the shorter CLUSTER_LIST wins', () => {
    const one = path(src({ bgpId: ip('9.9.9.9'), address: '10.0.0.200' }), { originatorId: ip('1.1.1.1'), clusterList: [7] });
    const two = path(src({ bgpId: ip('8.8.8.8'), address: '10.0.0.1' }), { originatorId: ip('1.1.1.1'), clusterList: [7, 8] });
    expect(decide(one, two)).toMatchObject({ best: one, reason: 'cluster-list-length' });
  });

  it('peer-address: the lowest peer address breaks the last tie', () => {
    const a = path(src({ bgpId: 7, address: '10.0.0.2' }), { originatorId: 1 });
    const b = path(src({ bgpId: 7, address: '10.0.0.10' }), { originatorId: 1 });
    expect(decide(a, b)).toMatchObject({ best: a, reason: 'peer-address' });
    const v6a = path(src({ bgpId: 7, address: '2001:db8::9' }));
    const v6b = path(src({ bgpId: 7, address: '2001:db8::10' }));
    expect(decide(v6a, v6b)).toMatchObject({ best: v6a, reason: 'peer-address' });
  });

  it('reports the step that separated best from runner-up, not the first that removed anyone', () => {
    const best = path(src({ bgpId: 1 }), { localPref: 200, origin: 0 });
    const runnerUp = path(src({ bgpId: 2 }), { localPref: 200, origin: 1 });
    const third = path(src({ bgpId: 3 }), { localPref: 100, origin: 0 });
    expect(bestPath([third, runnerUp, best], ctx())).toMatchObject({ best, reason: 'origin' });
  });

  it('ranks all candidates for display: best first, ineligible last', () => {
    const resolver = new ConnectedResolver({ prefixes: [p4('10.1.0.0/16')] });
    const a = path(src(), { localPref: 300, nextHop: ip('192.0.2.1') });
    const b = path(src(), { localPref: 200, nextHop: ip('10.1.0.1') });
    const c = path(src(), { localPref: 100, nextHop: ip('10.1.0.2') });
    expect(rankPaths([c, a, b], ctx({ resolver }))).toEqual([b, c, a]);
  });
});

describe('multipath (ECMP set)', () => {
  it('holds every iBGP path equal up to igp-cost with the same AS_PATH, best first', () => {
    const ps = [3, 1, 2].map((id) => path(src({ bgpId: id }), { asPath: seq(65009) }));
    const r = bestPath(ps, ctx());
    expect(r.best).toBe(ps[1]);
    expect(r.reason).toBe('router-id');
    expect(r.multipath).toEqual([ps[1], ps[2], ps[0]]);
  });

  it('is capped at maxPaths and is only the best with maxPaths 1', () => {
    const ps = [1, 2, 3, 4].map((id) => path(src({ bgpId: id })));
    expect(bestPath(ps, ctx({ maxPaths: 2 })).multipath).toEqual([ps[0], ps[1]]);
    expect(bestPath(ps, ctx({ maxPaths: 1 })).multipath).toEqual([ps[0]]);
  });

  it('excludes paths worse at or before igp-cost', () => {
    const resolver = costs({ [ip('10.0.0.9')]: 10 });
    const best = path(src({ bgpId: 1 }));
    const tie = path(src({ bgpId: 2 }));
    const worseMed = path(src({ bgpId: 0 }), { med: 5 });
    const farther = path(src({ bgpId: 0 }), { nextHop: ip('10.0.0.9') });
    const r = bestPath([farther, worseMed, tie, best], ctx({ resolver }));
    expect(r.best).toBe(best);
    expect(r.multipath).toEqual([best, tie]);
  });

  it('for eBGP only takes paths from the same neighbouring AS (no multipath-relax)', () => {
    const a1 = path(src({ kind: 'ebgp', asn: 65001, bgpId: 1 }), { asPath: seq(65001, 9) });
    const a2 = path(src({ kind: 'ebgp', asn: 65001, bgpId: 2 }), { asPath: seq(65001, 8) });
    const b = path(src({ kind: 'ebgp', asn: 65002, bgpId: 3 }), { asPath: seq(65002, 9) });
    expect(bestPath([b, a2, a1], ctx()).multipath).toEqual([a1, a2]);
  });

  it('for iBGP does not mix paths whose AS_PATH differs', () => {
    const a = path(src({ bgpId: 1 }), { asPath: seq(65001) });
    const b = path(src({ bgpId: 2 }), { asPath: seq(65002) });
    expect(bestPath([a, b], ctx()).multipath).toEqual([a]);
  });
});
