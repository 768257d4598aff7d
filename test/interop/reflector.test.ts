// Wren as a route reflector (RFC 4456) between BIRD 2, GoBGP and FRR clients, each with one
// session over IPv4 (ipv4-unicast) and one over IPv6 (ipv6-unicast), as dual-stack pod
// networks run it. A second Wren with the same cluster ID serves BIRD and FRR too, so a
// route survives the loss of either reflector. BIRD restarts with graceful restart and its
// routes stay in Wren, stale, and are refreshed rather than flapped.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Lab, ensurePackages, readCapture, routesFor, startBird, startCapture, startFrr, startGobgp, waitFor } from '../harness/index.js';
import type { BirdConfig, BirdHandle, Capture, Family, FrrHandle, GobgpHandle, LabHost, PeerRoute } from '../harness/index.js';
import { startWren, type WrenHandle } from '../harness/wren.js';

const skipReason = await ensurePackages(['bird2', 'gobgpd', 'frr', 'tshark']);
if (skipReason !== undefined) console.warn(`[interop/reflector] skipped: ${skipReason}`);

const AS = 65000;
const CLUSTER_ID = '10.255.0.1';
const P = {
  bird: { ipv4: '10.51.0.0/24', ipv6: 'fd51::/48' },
  gobgp: { ipv4: '10.52.0.0/24', ipv6: 'fd52::/48' },
  frr: { ipv4: '10.53.0.0/24', ipv6: 'fd53::/48' },
} as const;
type Client = keyof typeof P;
const CLIENTS: Client[] = ['bird', 'gobgp', 'frr'];
const FAMILIES: Family[] = ['ipv4', 'ipv6'];

describe.skipIf(skipReason !== undefined)('wren as route reflector for BIRD, GoBGP and FRR', () => {
  const lab = new Lab('rr');
  let w: LabHost;
  let w2: LabHost;
  let h: Record<Client, LabHost>;
  let wren: WrenHandle;
  let wren2: WrenHandle;
  let bird: BirdHandle;
  let gobgp: GobgpHandle;
  let frr: FrrHandle;
  let frrCapture: Capture;
  let birdCfg: BirdConfig;

  const v6 = (x: LabHost): string => x.ipv6 ?? '';
  const rib = (c: Client, fam: Family): Promise<PeerRoute[]> => (c === 'bird' ? bird.routes(fam) : c === 'gobgp' ? gobgp.rib(fam) : frr.rib(fam));
  const clientPeers = (x: LabHost, name: string) => [
    { name: `${name}4`, address: x.ipv4, asn: AS, rrClient: true, families: ['ipv4-unicast'], connectRetryTime: 1 },
    { name: `${name}6`, address: v6(x), asn: AS, rrClient: true, families: ['ipv6-unicast'], connectRetryTime: 1 },
  ];

  beforeAll(async () => {
    w = await lab.addHost('wren');
    w2 = await lab.addHost('wren2');
    const [b, g, f] = await Promise.all([lab.addHost('bird'), lab.addHost('gobgp'), lab.addHost('frr')]);
    h = { bird: b, gobgp: g, frr: f };
    frrCapture = await startCapture(lab, f.ns, f.ifname, lab.path('frr-eth0.pcapng'));
    wren = await startWren({
      lab,
      host: w,
      name: 'wren',
      config: {
        asn: AS,
        routerId: w.ipv4,
        clusterId: CLUSTER_ID,
        peers: [...clientPeers(b, 'bird'), ...clientPeers(g, 'gobgp'), ...clientPeers(f, 'frr'), { name: 'wren2', address: w2.ipv4, asn: AS, families: ['ipv4-unicast'], connectRetryTime: 1 }],
      },
    });
    wren2 = await startWren({
      lab,
      host: w2,
      name: 'wren2',
      config: {
        asn: AS,
        routerId: w2.ipv4,
        clusterId: CLUSTER_ID,
        peers: [
          { name: 'bird4', address: b.ipv4, asn: AS, rrClient: true, families: ['ipv4-unicast'], connectRetryTime: 1 },
          { name: 'frr4', address: f.ipv4, asn: AS, rrClient: true, families: ['ipv4-unicast'], connectRetryTime: 1 },
          // the other reflector: a non-client, and the higher address takes the passive side
          { name: 'wren', address: w.ipv4, asn: AS, families: ['ipv4-unicast'], passive: true },
        ],
      },
    });
    birdCfg = {
      routerId: b.ipv4,
      asn: AS,
      peers: [
        { name: 'wren4', address: w.ipv4, asn: AS, families: ['ipv4'], direct: true, passive: true, gracefulRestart: true },
        { name: 'wren6', address: v6(w), asn: AS, families: ['ipv6'], direct: true, passive: true, gracefulRestart: true },
        { name: 'wrentwo', address: w2.ipv4, asn: AS, families: ['ipv4'], direct: true, passive: true },
      ],
      originate: { ipv4: [P.bird.ipv4], ipv6: [P.bird.ipv6], communities: ['65000:51'] },
    };
    [bird, gobgp, frr] = await Promise.all([
      startBird(lab, b, birdCfg),
      startGobgp(lab, g, {
        routerId: g.ipv4,
        asn: AS,
        neighbors: [
          { address: w.ipv4, peerAs: AS, families: ['ipv4'], passive: true },
          { address: v6(w), peerAs: AS, families: ['ipv6'], passive: true },
        ],
        originate: { ipv4: [P.gobgp.ipv4], ipv6: [P.gobgp.ipv6] },
      }),
      startFrr(lab, f, {
        routerId: f.ipv4,
        asn: AS,
        neighbors: [
          { address: w.ipv4, remoteAs: AS, families: ['ipv4'], passive: true },
          { address: v6(w), remoteAs: AS, families: ['ipv6'], passive: true },
          { address: w2.ipv4, remoteAs: AS, families: ['ipv4'], passive: true },
        ],
        originate: { ipv4: [P.frr.ipv4], ipv6: [P.frr.ipv6] },
      }),
    ]);
  }, 120_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(lab.logTails(40));
  });

  afterAll(async () => {
    await lab.cleanup();
  });

  it('shows every client as rr-client and the other reflector as non-client, all Established', async () => {
    for (const c of CLIENTS) {
      await wren.waitEstablished(h[c].ipv4, 30_000);
      await wren.waitEstablished(v6(h[c]), 30_000);
    }
    await wren.waitEstablished(w2.ipv4, 30_000);
    const out = (await wren.cli(['status'])).stdout;
    expect(out).toMatch(new RegExp(`${h.frr.ipv4} \\(frr4\\)\\s+rr-client\\s+65000\\s+Established`));
    expect(out).toMatch(new RegExp(`${w2.ipv4} \\(wren2\\)\\s+non-client\\s+65000\\s+Established`));
  });

  it('lets every client learn every other client’s IPv4 and IPv6 prefixes through Wren', async () => {
    for (const learner of CLIENTS) {
      for (const fam of FAMILIES) {
        for (const origin of CLIENTS.filter((c) => c !== learner)) {
          const prefix = P[origin][fam];
          const r = await waitFor(async () => routesFor(await rib(learner, fam), prefix)[0], { timeoutMs: 30_000, what: `${learner} to learn ${prefix} of ${origin}` });
          // Reflection never changes the next hop (RFC 4456 §10).
          expect(r.nextHops[0], `${learner} ${prefix}`).toBe(fam === 'ipv4' ? h[origin].ipv4 : v6(h[origin]));
          expect(r.asPath).toEqual([]);
        }
      }
    }
  });

  it('sets ORIGINATOR_ID to the originating client and CLUSTER_LIST to its cluster ID, as BIRD shows', async () => {
    for (const fam of FAMILIES) {
      const routes = await bird.routes(fam, { protocol: fam === 'ipv4' ? 'wren4' : 'wren6' });
      for (const origin of ['gobgp', 'frr'] as const) {
        const r = routesFor(routes, P[origin][fam])[0];
        expect(r?.originatorId, `${origin} ${fam}`).toBe(h[origin].ipv4);
        expect(r?.clusterList).toEqual([CLUSTER_ID]);
      }
    }
    const detail = await wren.cli(['routes', P.bird.ipv4]);
    expect(detail.stdout).toMatch(/BEST \(decided by only-path\)/);
  });

  it('keeps a restarting BIRD’s routes stale (graceful restart) and refreshes them without a withdrawal', async () => {
    const before = await waitFor(async () => routesFor(await frr.rib('ipv4'), P.bird.ipv4)[0], { timeoutMs: 10_000, what: 'FRR to hold BIRD’s prefix' });
    expect(before).toBeDefined();
    // BIRD dies without a word: TCP closes, Wren keeps its routes as stale (RFC 4724 §4.2).
    bird.daemon.killGroupNow();
    await bird.daemon.exited;
    const stale = await waitFor(
      async () => {
        const rs = await wren.call('routes', { prefix: P.bird.ipv4 });
        return rs.find((r) => r.from === h.bird.ipv4 && r.stale);
      },
      { timeoutMs: 15_000, what: 'Wren to mark BIRD’s route stale' },
    );
    expect(stale.best).toBe(true);
    expect(routesFor(await frr.rib('ipv4'), P.bird.ipv4)[0]).toBeDefined();
    bird = await startBird(lab, h.bird, birdCfg);
    await waitFor(
      async () => {
        const rs = await wren.call('routes', { prefix: P.bird.ipv4 });
        return rs.some((r) => r.from === h.bird.ipv4 && !r.stale) ? rs : undefined;
      },
      { timeoutMs: 30_000, what: 'BIRD’s route to be refreshed (not stale) in Wren' },
    );
    expect(routesFor(await frr.rib('ipv4'), P.bird.ipv4)[0]).toBeDefined();
    // FRR never saw BIRD's prefix withdrawn by Wren. (The second reflector has no graceful
    // restart with BIRD, so it does withdraw: that is right, and FRR keeps Wren's path.)
    const withdrawn = await readCapture(frrCapture.file, `ip.src == ${w.ipv4} && bgp.withdrawn_prefix == ${P.bird.ipv4.split('/')[0]}`, ['frame.number'], true);
    expect(withdrawn).toEqual([]);
  });

  it('keeps routes when either reflector is lost', async () => {
    const prefix = P.frr.ipv4;
    await waitFor(async () => routesFor(await bird.routes('ipv4', { protocol: 'wrentwo' }), prefix)[0], { timeoutMs: 30_000, what: 'BIRD to learn FRR’s prefix from the second reflector too' });
    wren.signal('SIGKILL');
    await wren.daemon.exited;
    const r = await waitFor(
      async () => {
        const rs = routesFor(await bird.routes('ipv4'), prefix);
        // only the path through the second reflector remains
        return rs.length === 1 && rs[0]!.source === 'wrentwo' ? rs[0] : undefined;
      },
      { timeoutMs: 20_000, what: 'BIRD to keep FRR’s prefix through the second reflector' },
    );
    expect(r.nextHops[0]).toBe(h.frr.ipv4);
    expect(routesFor(await frr.rib('ipv4'), P.bird.ipv4)[0]).toBeDefined();
    await wren2.stop();
  });
});
