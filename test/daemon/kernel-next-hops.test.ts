// A Wren node daemon (kernel.enabled, so nextHopResolution defaults to kernel) resolves BGP next hops
// from its namespace's routing table: a route whose next hop is reachable only through a
// static route is installed (through that route's gateway) within a second of `ip route add`
// and removed within a second of `ip route del`; a next hop on a subnet that appears with
// `ip addr add` likewise; a next hop inside a route Wren itself installed never resolves.
// The peer is GoBGP over iBGP, which passes the next hops it is given unchanged.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Lab, ensurePackages, startGobgp, waitFor } from '../harness/index.js';
import type { GobgpHandle, LabHost } from '../harness/index.js';
import { startWren, type WrenHandle } from '../harness/wren.js';

const skipReason = await ensurePackages(['gobgpd']);
if (skipReason !== undefined) console.warn(`[daemon/kernel-next-hops] skipped: ${skipReason}`);

interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string | number;
  nexthops?: { gateway: string }[];
}

describe.skipIf(skipReason !== undefined)('wren resolves next hops from the kernel routing table', () => {
  const lab = new Lab('nh');
  let w: LabHost;
  let g: LabHost;
  let gobgp: GobgpHandle;
  let wren: WrenHandle;

  const wrenRoute = async (dst: string): Promise<IpRoute | undefined> =>
    (await lab.ipJson<IpRoute[]>(w.ns, [dst.includes(':') ? '-6' : '-4', 'route', 'show', 'proto', '199'])).find((r) => r.dst === dst);
  const path = async (prefix: string) => (await wren.call('routes', { prefix })).find((r) => r.from === g.ipv4);
  /** Runs `ip ARGS` in Wren's namespace and returns when it is done (the clock starts then). */
  const ipw = async (...args: string[]): Promise<number> => {
    await lab.exec(w.ns, 'ip', args);
    return performance.now();
  };
  /** Waits (at most 3 s) for `cond` and returns how long it took since `since`. */
  const within = async (since: number, what: string, cond: () => Promise<boolean>): Promise<number> => {
    await waitFor(cond, { timeoutMs: 3000, intervalMs: 20, what });
    return performance.now() - since;
  };

  beforeAll(async () => {
    w = await lab.addHost('wren');
    g = await lab.addHost('gobgp');
    gobgp = await startGobgp(lab, g, {
      routerId: g.ipv4,
      asn: 65001,
      neighbors: [{ address: w.ipv4, peerAs: 65001, families: ['ipv4', 'ipv6'] }],
    });
    // Next hops: behind a static route to be added (10.99.0.1, fd99::1), on the connected subnet
    // (10.77.0.3), on a subnet to be added (10.98.0.5), and inside a prefix Wren itself installs
    // (10.96.0.1 in 10.96.0.0/16).
    await gobgp.addRoute('10.80.0.0/24', { nexthop: '10.99.0.1' });
    await gobgp.addRoute('10.81.0.0/24', { nexthop: '10.77.0.3' });
    await gobgp.addRoute('10.82.0.0/24', { nexthop: '10.98.0.5' });
    await gobgp.addRoute('10.96.0.0/16', { nexthop: '10.77.0.2' });
    await gobgp.addRoute('10.83.0.0/24', { nexthop: '10.96.0.1' });
    await gobgp.addRoute('fd80::/64', { nexthop: 'fd99::1' });
    wren = await startWren({
      lab,
      host: w,
      name: 'wren',
      config: {
        asn: 65001,
        routerId: w.ipv4,
        kernel: { enabled: true, convergeTimeout: 5 },
        peers: [{ name: 'gobgp', address: g.ipv4, asn: 65001, families: ['ipv4-unicast', 'ipv6-unicast'], connectRetryTime: 1 }],
      },
    });
    await wren.waitEstablished(g.ipv4);
    // Everything announced has arrived (installed or not) before the tests look.
    await waitFor(async () => (await Promise.all(['10.80.0.0/24', '10.81.0.0/24', '10.82.0.0/24', '10.83.0.0/24', '10.96.0.0/16', 'fd80::/64'].map(path))).every((p) => p !== undefined), {
      timeoutMs: 15_000,
      what: 'all GoBGP routes in Wren',
    });
  }, 90_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(lab.logTails(40));
  });

  afterAll(async () => {
    await lab.cleanup();
  });

  it('switches to the kernel table and installs a route whose next hop is on a connected subnet', async () => {
    const r = await waitFor(() => wrenRoute('10.81.0.0/24'), { timeoutMs: 5000, what: '10.81.0.0/24 installed' });
    expect(r.gateway).toBe('10.77.0.3');
    expect(wren.daemon.logTail(400)).toContain('next-hop.kernel');
  });

  it('moves its kernel writes to a worker thread when a session that may bring a full table comes up', async () => {
    // A standalone speaker's peers may send full tables: the writer thread is started at the
    // session, not in the middle of the burst (node daemons' sessions with other cluster nodes
    // do not start it: test/lab/lab.test.ts).
    const line = await waitFor(() => wren.daemon.logTail(400).split('\n').find((l) => l.includes('"fib.writer-moved"')), { timeoutMs: 5000, what: 'fib.writer-moved logged' });
    expect(JSON.parse(line)).toMatchObject({ thread: 'worker', why: 'expected-burst' });
  });

  it('never resolves a next hop through a route Wren installed itself', async () => {
    await waitFor(() => wrenRoute('10.96.0.0/16'), { timeoutMs: 5000, what: '10.96.0.0/16 installed' });
    expect((await path('10.83.0.0/24'))?.best).toBe(false);
    expect(await wrenRoute('10.83.0.0/24')).toBeUndefined();
  });

  it('installs a route within a second of a static route to its next hop, and removes it within a second of its deletion', async () => {
    expect((await path('10.80.0.0/24'))?.best).toBe(false);
    expect(await wrenRoute('10.80.0.0/24')).toBeUndefined();

    let t = await ipw('route', 'add', '10.99.0.0/24', 'via', g.ipv4, 'proto', 'static');
    const up = await within(t, '10.80.0.0/24 installed', async () => (await wrenRoute('10.80.0.0/24')) !== undefined);
    expect(up).toBeLessThan(1000);
    // Installed through the static route's gateway: the kernel takes no gateway it cannot reach directly.
    expect(await wrenRoute('10.80.0.0/24')).toMatchObject({ gateway: g.ipv4, dev: 'eth0' });
    expect((await path('10.80.0.0/24'))?.best).toBe(true);

    t = await ipw('route', 'del', '10.99.0.0/24');
    const down = await within(t, '10.80.0.0/24 removed', async () => (await wrenRoute('10.80.0.0/24')) === undefined);
    expect(down).toBeLessThan(1000);
    expect((await path('10.80.0.0/24'))?.best).toBe(false);
  });

  it('does the same for IPv6', async () => {
    expect(await wrenRoute('fd80::/64')).toBeUndefined();
    let t = await ipw('-6', 'route', 'add', 'fd99::/64', 'via', g.ipv6!, 'proto', 'static');
    const up = await within(t, 'fd80::/64 installed', async () => (await wrenRoute('fd80::/64')) !== undefined);
    expect(up).toBeLessThan(1000);
    expect(await wrenRoute('fd80::/64')).toMatchObject({ gateway: g.ipv6 });
    t = await ipw('-6', 'route', 'del', 'fd99::/64');
    const down = await within(t, 'fd80::/64 removed', async () => (await wrenRoute('fd80::/64')) === undefined);
    expect(down).toBeLessThan(1000);
  });

  it('follows a connected subnet that appears and disappears with an address', async () => {
    expect(await wrenRoute('10.82.0.0/24')).toBeUndefined();
    let t = await ipw('addr', 'add', '10.98.0.1/24', 'dev', 'eth0');
    const up = await within(t, '10.82.0.0/24 installed', async () => (await wrenRoute('10.82.0.0/24')) !== undefined);
    expect(up).toBeLessThan(1000);
    expect((await wrenRoute('10.82.0.0/24'))?.gateway).toBe('10.98.0.5');
    t = await ipw('addr', 'del', '10.98.0.1/24', 'dev', 'eth0');
    const down = await within(t, '10.82.0.0/24 removed', async () => (await wrenRoute('10.82.0.0/24')) === undefined);
    expect(down).toBeLessThan(1000);
  });
});
