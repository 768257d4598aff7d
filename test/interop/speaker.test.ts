// Wren against the real reference peers, each in its own network namespace on one bridge:
// BIRD 2 over IPv4 and over IPv6 transport, GoBGP with a 4-octet AS, FRR with zebra, and a
// BIRD that has Wren's AS wrong. Routes flow both ways in both families, communities of all
// three kinds arrive intact, route refresh is answered, wrong AS numbers end in Bad Peer AS,
// and a capture of Wren's link has no malformed packet.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Lab,
  bestRoute,
  countBgp,
  ensurePackages,
  malformed,
  routesFor,
  startBird,
  startCapture,
  startFrr,
  startGobgp,
  waitFor,
} from '../harness/index.js';
import type { BirdHandle, Capture, Family, FrrHandle, GobgpHandle, LabHost, PeerRoute } from '../harness/index.js';
import { startWren, type WrenHandle } from '../harness/wren.js';
import type { RouteView } from '../../src/api/types.js';

const skipReason = await ensurePackages(['bird2', 'gobgpd', 'frr', 'tshark']);
if (skipReason !== undefined) console.warn(`[interop/speaker] skipped: ${skipReason}`);

const BOTH: Family[] = ['ipv4', 'ipv6'];
const WREN = { asn: 65001, ipv4: '10.10.1.0/24', ipv6: 'fd10:1::/48' };
const BIRD = { asn: 65002, ipv4: '10.20.0.0/24', ipv6: 'fd20::/48' };
const GOBGP = { asn: 4200000003, ipv4: '10.30.0.0/24', ipv6: 'fd30::/48' };
const FRR = { asn: 65004, ipv4: '10.40.0.0/24', ipv6: 'fd40::/48' };
const BAD = { asn: 65005 };
const OLD = { asn: 65006 };

describe.skipIf(skipReason !== undefined)('wren speaker with BIRD, GoBGP and FRR', () => {
  const lab = new Lab('ws');
  let w: LabHost;
  let b: LabHost;
  let g: LabHost;
  let f: LabHost;
  let x: LabHost;
  let o: LabHost;
  let old: BirdHandle;
  let wren: WrenHandle;
  let bird: BirdHandle;
  let gobgp: GobgpHandle;
  let frr: FrrHandle;
  let capture: Capture;

  const v6 = (h: LabHost): string => h.ipv6 ?? '';

  beforeAll(async () => {
    w = await lab.addHost('wren');
    [b, g, f, x, o] = await Promise.all([lab.addHost('bird'), lab.addHost('gobgp'), lab.addHost('frr'), lab.addHost('bad'), lab.addHost('old')]);
    capture = await startCapture(lab, w.ns, w.ifname, lab.path('wren-eth0.pcapng'));
    wren = await startWren({
      lab,
      host: w,
      config: {
        asn: WREN.asn,
        routerId: w.ipv4,
        hostname: 'wren-interop',
        originate: [WREN.ipv4, WREN.ipv6],
        peers: [
          { name: 'bird4', address: b.ipv4, asn: BIRD.asn, families: ['ipv4-unicast', 'ipv6-unicast'], connectRetryTime: 1 },
          { name: 'bird6', address: v6(b), asn: BIRD.asn, families: ['ipv6-unicast'], connectRetryTime: 1 },
          // GoBGP dials; Wren holds its OPEN back until GoBGP's arrives (RFC 4271 DelayOpen).
          { name: 'gobgp', address: g.ipv4, asn: GOBGP.asn, families: ['ipv4-unicast', 'ipv6-unicast'], passive: true, delayOpenTime: 5 },
          { name: 'frr', address: f.ipv4, asn: FRR.asn, families: ['ipv4-unicast', 'ipv6-unicast'], connectRetryTime: 1 },
          // The BIRD on `bad` believes Wren is AS 65099: it must answer with Bad Peer AS.
          { name: 'badpeer', address: x.ipv4, asn: BAD.asn, connectRetryTime: 1 },
          // And here Wren has the wrong AS for that BIRD: Wren must send Bad Peer AS.
          { name: 'badlocal', address: v6(x), asn: 65098, connectRetryTime: 1 },
          // A BIRD without 4-octet AS support (RFC 6793 §4.2: AS_TRANS and AS4_PATH towards it).
          { name: 'old', address: o.ipv4, asn: OLD.asn, connectRetryTime: 1 },
        ],
      },
    });
    [bird, gobgp, frr, , old] = await Promise.all([
      startBird(lab, b, {
        routerId: b.ipv4,
        asn: BIRD.asn,
        peers: [
          { name: 'wren4', address: w.ipv4, asn: WREN.asn, families: BOTH, passive: true },
          { name: 'wren6', address: v6(w), asn: WREN.asn, families: ['ipv6'], passive: true },
        ],
        originate: { ipv4: [BIRD.ipv4], ipv6: [BIRD.ipv6], communities: ['65002:100'], largeCommunities: ['65002:1:2'], extCommunities: ['rt:65002:7'] },
      }),
      startGobgp(lab, g, {
        routerId: g.ipv4,
        asn: GOBGP.asn,
        neighbors: [{ address: w.ipv4, peerAs: WREN.asn, families: BOTH }],
        originate: { ipv4: [GOBGP.ipv4], ipv6: [GOBGP.ipv6], communities: ['65003:300'], largeCommunities: ['4200000003:3:3'] },
      }),
      startFrr(lab, f, {
        routerId: f.ipv4,
        asn: FRR.asn,
        neighbors: [{ address: w.ipv4, remoteAs: WREN.asn, families: BOTH }],
        originate: { ipv4: [FRR.ipv4], ipv6: [FRR.ipv6], communities: ['65004:400'], largeCommunities: ['65004:4:4'] },
      }),
      startBird(lab, x, {
        routerId: x.ipv4,
        asn: BAD.asn,
        peers: [
          { name: 'wrongas', address: w.ipv4, asn: 65099, families: ['ipv4'] },
          { name: 'rightas', address: v6(w), asn: WREN.asn, families: ['ipv6'] },
        ],
      }),
      startBird(lab, o, {
        routerId: o.ipv4,
        asn: OLD.asn,
        peers: [{ name: 'wren', address: w.ipv4, asn: WREN.asn, families: ['ipv4'], passive: true, extraProtocolLines: ['enable as4 off;'] }],
      }),
    ]);
  }, 120_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(lab.logTails(40));
  });

  afterAll(async () => {
    await lab.cleanup();
  });

  it('establishes sessions with BIRD (IPv4 and IPv6 transport), GoBGP (4-octet AS) and FRR', async () => {
    for (const addr of [b.ipv4, v6(b), g.ipv4, f.ipv4]) await wren.waitEstablished(addr, 30_000);
    const out = await wren.cli(['status']);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(new RegExp(`${g.ipv4} \\(gobgp\\)\\s+ebgp\\s+4200000003\\s+Established`));
    expect(out.stdout).toMatch(new RegExp(`${v6(b)} \\(bird6\\)\\s+ebgp\\s+65002\\s+Established`));
    const [n] = await wren.call('neighbors', { address: g.ipv4 });
    expect(n!.capabilities).toMatchObject({ as4: true, families: ['ipv4-unicast', 'ipv6-unicast'] });
    expect(n!.localPort).toBe(179); // GoBGP's connection, on which Wren delayed its OPEN
  });

  it('learns every peer’s IPv4 and IPv6 routes with communities, large and extended communities intact', async () => {
    const want: [string, string, string, Partial<RouteView>][] = [
      [b.ipv4, 'ipv4-unicast', BIRD.ipv4, { asPath: '65002', communities: ['65002:100'], largeCommunities: ['65002:1:2'], extCommunities: ['rt:65002:7'], nextHop: b.ipv4 }],
      [b.ipv4, 'ipv6-unicast', BIRD.ipv6, { asPath: '65002', communities: ['65002:100'], largeCommunities: ['65002:1:2'], extCommunities: ['rt:65002:7'] }],
      [v6(b), 'ipv6-unicast', BIRD.ipv6, { asPath: '65002', communities: ['65002:100'] }],
      [g.ipv4, 'ipv4-unicast', GOBGP.ipv4, { asPath: '4200000003', communities: ['65003:300'], largeCommunities: ['4200000003:3:3'], nextHop: g.ipv4 }],
      [g.ipv4, 'ipv6-unicast', GOBGP.ipv6, { asPath: '4200000003', communities: ['65003:300'] }],
      [f.ipv4, 'ipv4-unicast', FRR.ipv4, { asPath: '65004', communities: ['65004:400'], largeCommunities: ['65004:4:4'], nextHop: f.ipv4 }],
      [f.ipv4, 'ipv6-unicast', FRR.ipv6, { asPath: '65004', communities: ['65004:400'] }],
    ];
    const routes = await waitFor(
      async () => {
        const rs = await wren.call('routes', {});
        return want.every(([from, family, prefix]) => rs.some((r) => r.from === from && r.family === family && r.prefix === prefix)) ? rs : undefined;
      },
      { timeoutMs: 30_000, what: 'wren to learn all seven routes' },
    );
    for (const [from, family, prefix, attrs] of want) {
      const r = routes.find((x) => x.from === from && x.family === family && x.prefix === prefix);
      expect(r, `${prefix} from ${from}`).toMatchObject(attrs);
    }
    // IPv6 over the IPv6 session: BIRD sends its global and link-local next hop (RFC 2545).
    const r6 = routes.find((r) => r.from === v6(b) && r.prefix === BIRD.ipv6);
    expect(r6?.nextHop).toMatch(new RegExp(`^${v6(b)} fe80:`));
    const st = await wren.peer(g.ipv4);
    expect(st.prefixesReceived).toBe(2);
  });

  it('sends its originated routes to every peer with its AS prepended and itself as next hop', async () => {
    const check = async (name: string, rib: (fam: Family) => Promise<PeerRoute[]>): Promise<void> => {
      for (const fam of BOTH) {
        const prefix = fam === 'ipv4' ? WREN.ipv4 : WREN.ipv6;
        const r = await waitFor(async () => bestRoute(await rib(fam), prefix), { timeoutMs: 20_000, what: `${name} to learn ${prefix} from wren` });
        expect(r.asPath, `${name} ${prefix}`).toEqual([WREN.asn]);
        expect(r.nextHops[0], `${name} ${prefix}`).toBe(fam === 'ipv4' ? w.ipv4 : v6(w));
        expect(r.origin).toBe('igp');
      }
    };
    await check('bird', (fam) => bird.routes(fam, { protocol: 'wren4' }));
    await check('gobgp', (fam) => gobgp.rib(fam));
    await check('frr', (fam) => frr.rib(fam));
    // On the shared subnet Wren adds its link-local next hop, as RFC 2545 asks.
    // (BIRD learns it twice, over both sessions; this is the copy from the IPv6 session.)
    const r6 = await waitFor(async () => routesFor(await bird.routes('ipv6', { protocol: 'wren6' }), WREN.ipv6)[0], { timeoutMs: 20_000, what: 'BIRD to learn the IPv6 prefix over the IPv6 session' });
    expect(r6.nextHops[0]).toBe(v6(w));
    expect(r6.nextHops[1]).toMatch(/^fe80:/);
  });

  it('answers a ROUTE-REFRESH from BIRD (enhanced, with BoRR/EoRR) and from FRR', async () => {
    const before = (await wren.call('neighbors', { address: b.ipv4 }))[0]!;
    await bird.reloadIn('wren4');
    await frr.softIn(w.ipv4);
    const after = await waitFor(
      async () => {
        const [n] = await wren.call('neighbors', { address: b.ipv4 });
        return n && n.messages.received['route-refresh'] >= before.messages.received['route-refresh'] + 2 && n.messages.sent['route-refresh'] >= 2 ? n : undefined;
      },
      { timeoutMs: 10_000, what: 'wren to receive BIRD’s refresh for both families and bracket its answers' },
    );
    expect(after.messages.sent.update).toBeGreaterThan(before.messages.sent.update);
    await waitFor(async () => ((await wren.call('neighbors', { address: f.ipv4 }))[0]!.messages.received['route-refresh'] ?? 0) >= 1, { timeoutMs: 10_000, what: 'wren to receive FRR’s refresh' });
    expect(bestRoute(await bird.routes('ipv4', { protocol: 'wren4' }), WREN.ipv4)).toBeDefined();
  });

  it('ends a session with a wrong AS in Bad Peer AS, in either direction, shown by wren status', async () => {
    const received = await waitFor(async () => {
      const p = await wren.peer(x.ipv4);
      return /Bad peer AS/i.test(p.info) ? p : undefined;
    }, { timeoutMs: 20_000, what: 'wren status INFO for the peer with the wrong AS' });
    expect(received.state).not.toBe('Established');
    expect(received.info).toMatch(/^Received: /);
    const sent = await waitFor(async () => {
      const p = await wren.peer(v6(x));
      return /Bad peer AS/i.test(p.info) ? p : undefined;
    }, { timeoutMs: 20_000, what: 'wren status INFO for the peer it has the wrong AS for' });
    expect(sent.info).not.toMatch(/^Received/);
    const [n] = await wren.call('neighbors', { address: v6(x) });
    expect(n!.lastNotificationSent).toMatchObject({ code: 2, subcode: 2 });
  });

  it('passes a 4-octet AS path to a 2-octet peer as AS_TRANS plus AS4_PATH, which BIRD reassembles', async () => {
    const p = await wren.waitEstablished(o.ipv4, 30_000);
    expect(p.state).toBe('Established');
    const [n] = await wren.call('neighbors', { address: o.ipv4 });
    expect(n!.capabilities!.as4).toBe(false);
    const r = await waitFor(async () => routesFor(await old.routes('ipv4'), GOBGP.ipv4)[0], { timeoutMs: 20_000, what: 'the 2-octet BIRD to learn GoBGP’s prefix through Wren' });
    expect(r.asPath).toEqual([WREN.asn, GOBGP.asn]);
  });

  it('leaves a capture of its link with no malformed BGP packet', async () => {
    await capture.stop();
    const counts = await countBgp(capture.file);
    expect(counts.open).toBeGreaterThanOrEqual(5);
    expect(counts.update).toBeGreaterThan(5);
    expect(counts.routeRefresh).toBeGreaterThanOrEqual(2);
    expect(await malformed(capture.file)).toEqual([]);
  });

  it('tells BIRD why on shutdown (RFC 9003)', async () => {
    wren.signal('SIGTERM');
    expect((await wren.daemon.exited).code).toBe(0);
    const text = await waitFor(async () => {
      const out = await bird.birdc('show protocols all wren4');
      return /Administrative shutdown/i.test(out) ? out : undefined;
    }, { timeoutMs: 10_000, what: 'BIRD to show the shutdown' });
    expect(text).toMatch(/wren shutting down \(SIGTERM\)/);
  });
});
