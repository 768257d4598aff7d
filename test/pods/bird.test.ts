// A Wren node with an aggregated pod pool next to BIRD: BIRD learns the pool as one route
// (never the pods' /32s), the node blackholes the pool in its kernel while each pod's /32
// still wins locally, traffic from BIRD's namespace reaches a pod through the block, and a
// route BIRD announces lands in the node's kernel.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Lab, ensurePackages, startBird, waitFor } from '../harness/index.js';
import type { BirdHandle, LabHost } from '../harness/index.js';
import { startWren, type WrenHandle } from '../harness/wren.js';

const skipReason = await ensurePackages(['bird2', 'iputils-ping']);
if (skipReason !== undefined) console.warn(`[pods/bird] skipped: ${skipReason}`);

interface IpRoute {
  dst: string;
  dev?: string;
  gateway?: string;
  type?: string;
  scope?: string;
}

describe.skipIf(skipReason !== undefined)('an aggregated pod pool next to BIRD', () => {
  const lab = new Lab('pb');
  let w: LabHost;
  let b: LabHost;
  let bird: BirdHandle;
  let wren: WrenHandle;
  let podIp: string;
  let podNs: string;

  beforeAll(async () => {
    w = await lab.addHost('wren');
    b = await lab.addHost('bird');
    bird = await startBird(lab, b, {
      routerId: b.ipv4,
      asn: 65002,
      kernel: true,
      peers: [{ name: 'wren', address: w.ipv4, asn: 65001, families: ['ipv4'], passive: true }],
      originate: { ipv4: ['10.60.0.0/24'] },
    });
    wren = await startWren({
      lab,
      host: w,
      name: 'wren',
      config: {
        asn: 65001,
        routerId: w.ipv4,
        kernel: { enabled: true, convergeTimeout: 5 },
        pods: { pool: '10.244.7.0/24', aggregate: true },
        peers: [{ name: 'bird', address: b.ipv4, asn: 65002, connectRetryTime: 1 }],
      },
    });
    const pod = await lab.addNamespace('pod1');
    podNs = pod.ns;
    podIp = (await wren.call('podAdd', { id: 'pod-1', netns: pod.path })).ipv4!;
    await bird.waitEstablished(['wren'], 30_000);
  }, 90_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(lab.logTails(40));
  });

  afterAll(async () => {
    await lab.cleanup();
  });

  it('BIRD learns the pool, not the pod /32', async () => {
    const routes = await waitFor(
      async () => {
        const rs = await bird.routes('ipv4', { protocol: 'wren' });
        return rs.some((r) => r.prefix === '10.244.7.0/24') ? rs : undefined;
      },
      { timeoutMs: 15_000, what: 'BIRD to learn 10.244.7.0/24' },
    );
    expect(routes.map((r) => r.prefix)).toEqual(['10.244.7.0/24']);
    expect(routes[0]!.nextHops[0]).toBe(w.ipv4);
  });

  it('blackholes the pool in the node kernel while the pod /32 routes to its veth', async () => {
    const routes = await lab.ipJson<IpRoute[]>(w.ns, ['-4', 'route', 'show', 'proto', '199']);
    expect(routes.find((r) => r.dst === '10.244.7.0/24')?.type).toBe('blackhole');
    const pod = routes.find((r) => r.dst === podIp);
    expect(pod?.scope).toBe('link');
    expect(pod?.dev).toMatch(/^wren/);
  });

  it('delivers traffic from BIRD to the pod through the aggregate, and a BIRD route reaches the node kernel', async () => {
    await waitFor(async () => (await lab.ipJson<IpRoute[]>(b.ns, ['-4', 'route', 'show', '10.244.7.0/24'])).length > 0, { timeoutMs: 10_000, what: 'BIRD kernel route for the pool' });
    const r = await lab.exec(b.ns, 'ping', ['-c', '1', '-W', '2', podIp], { allowFailure: true });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const learned = await waitFor(
      async () => (await lab.ipJson<IpRoute[]>(w.ns, ['-4', 'route', 'show', 'proto', '199'])).find((x) => x.dst === '10.60.0.0/24'),
      { timeoutMs: 10_000, what: '10.60.0.0/24 in the node kernel' },
    );
    expect(learned.gateway).toBe(b.ipv4);
    // and the pod itself reaches BIRD's address through the node
    const back = await lab.exec(podNs, 'ping', ['-c', '1', '-W', '2', b.ipv4], { allowFailure: true });
    expect(back.exitCode, back.stdout + back.stderr).toBe(0);
  });
});
