// Proves the interop harness against the real reference peers, before Wren sits between them:
// BIRD, GoBGP and FRR in a triangle of eBGP sessions (one over IPv6 transport), each
// originating an IPv4 and an IPv6 prefix. Temporary scaffolding; the parser tests stay useful.

import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Lab,
  WaitTimeoutError,
  bestRoute,
  countBgp,
  ensurePackages,
  malformed,
  parseBirdProtocols,
  parseBirdRoutes,
  parseFrrRib,
  parseGobgpRib,
  startBird,
  startCapture,
  startFrr,
  startGobgp,
  waitFor,
} from '../harness/index.js';
import type { BirdHandle, Capture, Family, FrrHandle, GobgpHandle, LabHost, PeerRoute } from '../harness/index.js';

const skipReason = await ensurePackages(['bird2', 'gobgpd', 'frr', 'tshark']);
if (skipReason !== undefined) console.warn(`[interop/harness] skipped: ${skipReason}`);

const PREFIXES = {
  bird: { ipv4: '10.99.1.0/24', ipv6: 'fd99:1::/48', asn: 65001 },
  gobgp: { ipv4: '10.99.2.0/24', ipv6: 'fd99:2::/48', asn: 65002 },
  frr: { ipv4: '10.99.3.0/24', ipv6: 'fd99:3::/48', asn: 65003 },
} as const;
type Router = keyof typeof PREFIXES;
const ROUTERS: Router[] = ['bird', 'gobgp', 'frr'];
const BOTH: Family[] = ['ipv4', 'ipv6'];

describe.skipIf(skipReason !== undefined)('interop harness with BIRD, GoBGP and FRR', () => {
  const lab = new Lab('hx');
  let hosts: Record<Router, LabHost>;
  let bird: BirdHandle;
  let gobgp: GobgpHandle;
  let frr: FrrHandle;
  let capture: Capture;

  const rib = (r: Router, family: Family): Promise<PeerRoute[]> =>
    r === 'bird' ? bird.routes(family) : r === 'gobgp' ? gobgp.rib(family) : frr.rib(family);

  beforeAll(async () => {
    const [b, g, f] = await Promise.all([lab.addHost('bird'), lab.addHost('gobgp'), lab.addHost('frr')]);
    hosts = { bird: b, gobgp: g, frr: f };
    const v6 = (h: LabHost): string => h.ipv6 ?? '';
    capture = await startCapture(lab, b.ns, b.ifname, lab.path('bird-eth0.pcapng'));
    [bird, gobgp, frr] = await Promise.all([
      startBird(lab, b, {
        routerId: b.ipv4,
        asn: PREFIXES.bird.asn,
        peers: [
          { name: 'gobgp', address: g.ipv4, asn: PREFIXES.gobgp.asn, families: BOTH },
          { name: 'frr', address: v6(f), asn: PREFIXES.frr.asn, families: BOTH },
        ],
        originate: {
          ipv4: [PREFIXES.bird.ipv4],
          ipv6: [PREFIXES.bird.ipv6],
          communities: ['65001:100'],
          largeCommunities: ['65001:1:2'],
          extCommunities: ['rt:65001:7'],
        },
      }),
      startGobgp(lab, g, {
        routerId: g.ipv4,
        asn: PREFIXES.gobgp.asn,
        neighbors: [
          // Passive towards BIRD on both of BIRD's sessions: no connection collisions, so the
          // capture of BIRD's link holds exactly two OPENs per session and no NOTIFICATION.
          { address: b.ipv4, peerAs: PREFIXES.bird.asn, families: BOTH, passive: true },
          { address: f.ipv4, peerAs: PREFIXES.frr.asn, families: BOTH },
        ],
        originate: { ipv4: [PREFIXES.gobgp.ipv4], ipv6: [PREFIXES.gobgp.ipv6], communities: ['65002:200'] },
      }),
      startFrr(lab, f, {
        routerId: f.ipv4,
        asn: PREFIXES.frr.asn,
        neighbors: [
          { address: v6(b), remoteAs: PREFIXES.bird.asn, families: BOTH, passive: true },
          { address: g.ipv4, remoteAs: PREFIXES.gobgp.asn, families: BOTH },
        ],
        originate: { ipv4: [PREFIXES.frr.ipv4], ipv6: [PREFIXES.frr.ipv6], largeCommunities: ['65003:3:3'] },
      }),
    ]);
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(lab.logTails(30));
  });

  afterAll(async () => {
    await lab.cleanup();
  });

  it('establishes every session of the triangle, one of them over IPv6', async () => {
    await Promise.all([bird.waitEstablished(), gobgp.waitEstablished(), frr.waitEstablished()]);
    const ps = await bird.protocols();
    expect(ps.filter((p) => p.proto === 'BGP').map((p) => [p.name, p.bgpState])).toEqual([
      ['gobgp', 'Established'],
      ['frr', 'Established'],
    ]);
  });

  it('lets every peer learn every other peer’s IPv4 and IPv6 prefixes over the direct session', async () => {
    for (const learner of ROUTERS) {
      for (const family of BOTH) {
        const others = ROUTERS.filter((r) => r !== learner);
        const routes = await waitFor(
          async () => {
            const rs = await rib(learner, family);
            return others.every((o) => bestRoute(rs, PREFIXES[o][family])?.asPath.length === 1) ? rs : undefined;
          },
          { timeoutMs: 30_000, what: `${learner} to learn ${family} prefixes of ${others.join(' and ')}` },
        );
        for (const o of others) expect(bestRoute(routes, PREFIXES[o][family])?.asPath).toEqual([PREFIXES[o].asn]);
      }
    }
  });

  it('carries communities, large communities and extended communities unchanged', async () => {
    for (const family of BOTH) {
      for (const learner of ['gobgp', 'frr'] as const) {
        const r = bestRoute(await rib(learner, family), PREFIXES.bird[family]);
        expect(r?.communities).toEqual(['65001:100']);
        expect(r?.largeCommunities).toEqual(['65001:1:2']);
        expect(r?.extCommunities).toEqual(['rt:65001:7']);
      }
      expect(bestRoute(await bird.routes(family), PREFIXES.gobgp[family])?.communities).toEqual(['65002:200']);
      expect(bestRoute(await frr.rib(family), PREFIXES.gobgp[family])?.communities).toEqual(['65002:200']);
      expect(bestRoute(await bird.routes(family), PREFIXES.frr[family])?.largeCommunities).toEqual(['65003:3:3']);
      expect(bestRoute(await gobgp.rib(family), PREFIXES.frr[family])?.largeCommunities).toEqual(['65003:3:3']);
    }
  });

  it('shows BIRD’s global and link-local IPv6 next hops at FRR over the IPv6 session (RFC 2545)', async () => {
    const r = bestRoute(await frr.rib('ipv6'), PREFIXES.bird.ipv6);
    expect(r?.source).toBe(hosts.bird.ipv6);
    expect(r?.nextHops[0]).toBe(hosts.bird.ipv6);
    expect(r?.nextHops[1]).toMatch(/^fe80:/);
  });

  it('captures well-formed BGP on BIRD’s link, including ROUTE-REFRESH from BIRD and FRR', async () => {
    await bird.reloadIn('gobgp');
    await frr.softIn(hosts.bird.ipv6 ?? '');
    // GoBGP counts the refresh it received; FRR counts what it sent.
    await waitFor(
      async () => ((await gobgp.neighbors()).find((n) => n.address === hosts.bird.ipv4)?.received.refresh ?? 0) >= 1,
      { timeoutMs: 10_000, what: 'GoBGP to count a ROUTE-REFRESH from BIRD' },
    );
    await waitFor(
      async () => ((await frr.neighbors()).find((n) => n.address === hosts.bird.ipv6)?.messageStats.routeRefreshSent ?? 0) >= 1,
      { timeoutMs: 10_000, what: 'FRR to count a ROUTE-REFRESH sent to BIRD' },
    );
    await capture.waitForFrames('bgp.type == 5', 2);
    await capture.stop();
    const counts = await countBgp(capture.file);
    expect(counts.open).toBe(4);
    expect(counts.notification).toBe(0);
    expect(counts.update).toBeGreaterThan(0);
    expect(counts.routeRefresh).toBeGreaterThanOrEqual(2);
    expect(await malformed(capture.file)).toEqual([]);
  });
});

describe('interop harness parsers', () => {
  it('parses BIRD protocols and multi-path routes with wrapped community lines', () => {
    const protocols = parseBirdProtocols(
      [
        'BIRD 2.0.12 ready.',
        'Name       Proto      Table      State  Since         Info',
        'device1    Device     ---        up     08:24:14.498  ',
        'gob        BGP        ---        start  08:24:14.498  Active        Socket: Connection refused',
      ].join('\n'),
    );
    expect(protocols[1]).toMatchObject({ name: 'gob', state: 'start', bgpState: 'Active', info: 'Active Socket: Connection refused' });

    const routes = parseBirdRoutes(
      [
        'BIRD 2.0.12 ready.',
        'Table master6:',
        'fd99:2::/48          unicast [gob 08:24:18.856 from 10.77.0.2] * (100) [AS65002?]',
        '\tvia fd77::2 on eth0',
        '\tType: BGP univ',
        '\tBGP.origin: Incomplete',
        '\tBGP.as_path: 65002 65010',
        '\tBGP.next_hop: fd77::2 fe80::1',
        '\tBGP.local_pref: 100',
        '\tBGP.community: (65002,5) (65002,6)',
        '\t\t(65002,7)',
        '\tBGP.ext_community: (rt, 65001, 7) (ro, 10.0.0.1, 3)',
        '\tBGP.originator_id: 10.0.0.9',
        '\tBGP.cluster_list: 10.0.0.1 10.0.0.2',
        '                     unicast [gob6 08:24:18.804] (100) [AS65002?]',
        '\tvia fd77::2 on eth0',
        '\tBGP.as_path: 65002',
        '\tBGP.large_community: (65002, 1, 1)',
      ].join('\n'),
    );
    expect(routes).toHaveLength(2);
    expect(routes[0]).toMatchObject({
      prefix: 'fd99:2::/48',
      source: 'gob',
      best: true,
      origin: 'incomplete',
      asPath: [65002, 65010],
      nextHops: ['fd77::2', 'fe80::1'],
      localPref: 100,
      communities: ['65002:5', '65002:6', '65002:7'],
      extCommunities: ['rt:65001:7', 'soo:10.0.0.1:3'],
      originatorId: '10.0.0.9',
      clusterList: ['10.0.0.1', '10.0.0.2'],
    });
    expect(routes[1]).toMatchObject({ prefix: 'fd99:2::/48', source: 'gob6', best: false, largeCommunities: ['65002:1:1'], nextHops: ['fd77::2'] });
  });

  it('reports an unparsable BIRD line with the output it could not read', () => {
    expect(() => parseBirdRoutes('BIRD 2.0.12 ready.\nsomething odd\n')).toThrow(/unrecognised line "something odd"/);
  });

  it('parses GoBGP and FRR JSON ribs into the same route shape', () => {
    const g = parseGobgpRib({
      '10.99.1.0/24': [
        {
          nlri: { prefix: '10.99.1.0/24' },
          best: true,
          'neighbor-ip': '10.77.0.1',
          attrs: [
            { type: 1, value: 0 },
            { type: 2, as_paths: [{ segment_type: 2, num: 1, asns: [65001] }] },
            { type: 3, nexthop: '10.77.0.1' },
            { type: 5, value: 100 },
            { type: 8, communities: [4259905636] },
            { type: 9, value: '10.0.0.9' },
            { type: 10, value: ['10.0.0.1'] },
            { type: 16, value: [{ type: 0, subtype: 2, value: '65001:7' }] },
            { type: 32, value: [{ ASN: 65001, LocalData1: 1, LocalData2: 2 }] },
          ],
        },
      ],
    });
    const f = parseFrrRib({
      routes: {
        '10.99.1.0/24': [
          { prefix: '10.99.1.0/24', advertisedTo: {} },
          {
            aspath: { string: '65001', segments: [{ type: 'as-sequence', list: [65001] }], length: 1 },
            origin: 'IGP',
            locPrf: 100,
            bestpath: { overall: true },
            community: { string: '65001:100', list: ['65001:100'] },
            extendedCommunity: { string: 'RT:65001:7' },
            largeCommunity: { string: '65001:1:2', list: ['65001:1:2'] },
            originatorId: '10.0.0.9',
            clusterList: { list: ['10.0.0.1'] },
            nexthops: [{ ip: '10.77.0.1', afi: 'ipv4' }],
            peer: { peerId: '10.77.0.1', routerId: '10.77.0.1', type: 'external' },
          },
        ],
      },
    });
    const common = {
      prefix: '10.99.1.0/24',
      asPath: [65001],
      origin: 'igp',
      localPref: 100,
      best: true,
      source: '10.77.0.1',
      nextHops: ['10.77.0.1'],
      communities: ['65001:100'],
      largeCommunities: ['65001:1:2'],
      extCommunities: ['rt:65001:7'],
      originatorId: '10.0.0.9',
      clusterList: ['10.0.0.1'],
    };
    expect(g).toEqual([common]);
    expect(f).toEqual([common]);
  });

  it('names what it waited for and the last value seen when a wait times out', async () => {
    let n = 0;
    const err = await waitFor(() => (n++, false), { timeoutMs: 60, intervalMs: 10, what: 'the impossible' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect(String(err)).toMatch(/waiting for the impossible; last value: false/);
  });

  it('keeps the files of a lab asked to keep them, and removes those of the next lab', async () => {
    // A failed benchmark run keeps its lab's logs; a later lab in the same process must not.
    const failed = new Lab('kf');
    const next = new Lab('kf');
    failed.keepFiles();
    writeFileSync(failed.path('wren-n1', 'wren.log'), 'a line\n');
    writeFileSync(next.path('wren-n1', 'wren.log'), 'a line\n');
    try {
      await failed.cleanup();
      await next.cleanup();
      expect(existsSync(join(failed.dir, 'wren-n1', 'wren.log'))).toBe(true);
      expect(existsSync(next.dir)).toBe(false);
    } finally {
      rmSync(failed.dir, { recursive: true, force: true });
    }
  });
});
