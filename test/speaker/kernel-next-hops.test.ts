// RouteEngine with the FIB programmer's kernel next-hop resolution (nextHopResolution: kernel,
// the default with the kernel enabled): connected subnets until the kernel table is loaded, then
// the kernel's routes, re-resolved when they change (coalesced), never through Wren's own
// routes. An explicit `connected` keeps to the interfaces' subnets.
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FibProgrammer } from '../../src/kernel/fib-programmer.js';
import { RouteEngine } from '../../src/speaker/route-engine.js';
import { waitFor } from '../harness/wait.js';
import { FakeRoutingTable, foreign } from '../kernel/fake-routing-table.js';
import type { PathAttributes } from '../../src/wire/types.js';
import { announce4, config, FakePeer, ip, metrics, p4, settle } from './helpers.js';

const CFG = config(`
asn: 65000
routerId: 10.77.0.1
kernel: { enabled: true }
peers:
  - { address: 10.77.0.2, asn: 65000 }
`);
const ATTRS: Omit<PathAttributes, 'nextHop'> = { origin: 0, asPath: [], localPref: 100 };
const logs: Array<Record<string, unknown>> = [];
const logger = pino({ level: 'debug' }, { write: (s: string) => void logs.push(JSON.parse(s) as Record<string, unknown>) });
const iface = (cidr: string) => ({ address: cidr.split('/')[0]!, netmask: '255.255.255.0', family: 'IPv4' as const, mac: '00:00:00:00:00:00', internal: false, cidr });

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  logs.length = 0;
});

async function setup(k: FakeRoutingTable, cfg = CFG) {
  const fib = new FibProgrammer({ logger, resyncIntervalMs: 0, retryBaseMs: 10_000 }, { kernel: k });
  const engine = new RouteEngine(cfg, { logger, metrics, fib, interfaces: () => ({ eth0: [iface('10.77.0.1/24')] }) });
  cleanup.push(() => fib.stop(), () => engine.close());
  const peer = new FakePeer(CFG.peers[0]!, ip('10.77.0.2'));
  engine.peerUp(peer);
  return { fib, engine, peer };
}

describe('RouteEngine next hops from the kernel routing table', () => {
  it('switches from connected subnets to the kernel table once it is loaded', async () => {
    const k = new FakeRoutingTable([foreign('10.77.0.0/24'), foreign('10.99.0.0/24', '10.77.0.2')]);
    const { fib, engine, peer } = await setup(k);
    const prefix = p4('10.80.0.0/24');
    engine.receive(peer, announce4([prefix], { ...ATTRS, nextHop: ip('10.99.0.1') }));
    await settle([peer]);
    // Interfaces alone know nothing of the static route.
    expect(engine.rib.get(prefix)?.best).toBeNull();
    await fib.start();
    await waitFor(() => engine.rib.get(prefix)?.best ?? undefined, { timeoutMs: 2000, intervalMs: 5, what: 'the path eligible through the static route' });
    expect(engine.rib.resolver).toBe(fib.nextHops.resolver);
    await waitFor(() => k.ours.get(prefix), { timeoutMs: 2000, intervalMs: 5, what: 'the route in the kernel' });
    expect(k.ours.get(prefix)?.nextHops).toEqual([{ gateway: ip('10.77.0.2'), ifindex: 2 }]);
    expect(logs.some((l) => l.event === 'next-hop.kernel')).toBe(true);
  });

  it('keeps to the interfaces\' subnets with an explicit nextHopResolution: connected', async () => {
    const cfg = config(`
asn: 65000
routerId: 10.77.0.1
nextHopResolution: connected
kernel: { enabled: true }
peers:
  - { address: 10.77.0.2, asn: 65000 }
`);
    const k = new FakeRoutingTable([foreign('10.77.0.0/24'), foreign('10.99.0.0/24', '10.77.0.2')]);
    const { fib, engine, peer } = await setup(k, cfg);
    await fib.start();
    await fib.settled();
    const behindStatic = p4('10.80.0.0/24');
    const connected = p4('10.81.0.0/24');
    engine.receive(peer, announce4([behindStatic], { ...ATTRS, nextHop: ip('10.99.0.1') }));
    engine.receive(peer, announce4([connected], { ...ATTRS, nextHop: ip('10.77.0.2') }));
    await settle([peer]);
    await waitFor(() => k.ours.get(connected), { timeoutMs: 2000, intervalMs: 5, what: 'the connected next hop installed' });
    expect(engine.rib.get(behindStatic)?.best).toBeNull();
    expect(engine.rib.resolver).not.toBe(fib.nextHops.resolver);
  });

  it('installs a route once a static route makes its next hop reachable, and withdraws it when it goes', async () => {
    const k = new FakeRoutingTable([foreign('10.77.0.0/24')]);
    const { fib, engine, peer } = await setup(k);
    await fib.start();
    const prefix = p4('10.80.0.0/24');
    engine.receive(peer, announce4([prefix], { ...ATTRS, nextHop: ip('10.99.0.1') }));
    await settle([peer]);
    await fib.settled();
    expect(engine.rib.get(prefix)?.best).toBeNull();
    expect(k.ours.has(prefix)).toBe(false);

    k.add(foreign('10.99.0.0/24', '10.77.0.2'));
    await waitFor(() => k.ours.get(prefix), { timeoutMs: 1000, intervalMs: 5, what: 'route installed after the static route appeared' });
    expect(k.ours.get(prefix)?.nextHops[0]?.gateway).toBe(ip('10.77.0.2'));

    k.del('10.99.0.0/24');
    await waitFor(() => !k.ours.has(prefix), { timeoutMs: 1000, intervalMs: 5, what: 'route withdrawn after the static route went' });
    expect(engine.rib.get(prefix)?.best).toBeNull();
  });

  it('never resolves a next hop through a route Wren installed itself', async () => {
    const k = new FakeRoutingTable([foreign('10.77.0.0/24')]);
    const { fib, engine, peer } = await setup(k);
    await fib.start();
    // 10.99.0.0/24 is learned through a connected next hop and installed with protocol 199 …
    engine.receive(peer, announce4([p4('10.99.0.0/24')], { ...ATTRS, nextHop: ip('10.77.0.3') }));
    // … and 10.80.0.0/24's next hop lies inside it.
    engine.receive(peer, announce4([p4('10.80.0.0/24')], { ...ATTRS, nextHop: ip('10.99.0.1') }));
    await settle([peer]);
    await waitFor(() => k.ours.get(p4('10.99.0.0/24')), { timeoutMs: 1000, intervalMs: 5, what: '10.99.0.0/24 installed' });
    // The kernel notifies our own route like any other: it must not make 10.99.0.1 reachable.
    k.handlers?.onForeignRoute?.({ kind: 'new', route: { ...foreign('10.99.0.0/24', '10.77.0.3'), protocol: 199 } });
    await fib.settled();
    expect(engine.rib.get(p4('10.80.0.0/24'))?.best).toBeNull();
    expect(k.ours.has(p4('10.80.0.0/24'))).toBe(false);
  });

  it('re-runs the decision at most every 100 ms for a burst of changes, and not for irrelevant ones', async () => {
    const k = new FakeRoutingTable([foreign('10.77.0.0/24')]);
    const { fib, engine, peer } = await setup(k);
    await fib.start();
    engine.receive(peer, announce4([p4('10.80.0.0/24')], { ...ATTRS, nextHop: ip('10.99.0.1') }));
    await settle([peer]);
    await waitFor(() => engine.rib.resolver === fib.nextHops.resolver, { timeoutMs: 1000, intervalMs: 5, what: 'kernel resolver in use' });
    const spy = vi.spyOn(engine.rib, 'setResolver');
    try {
      // A route no next hop lies in: nothing to re-run.
      k.add(foreign('192.168.0.0/16', '10.77.0.5'));
      // A burst of flaps of the one that matters.
      for (let i = 0; i < 50; i++) {
        k.add(foreign('10.99.0.0/24', '10.77.0.2'));
        k.del('10.99.0.0/24');
      }
      k.add(foreign('10.99.0.0/24', '10.77.0.2'));
      await waitFor(() => k.ours.get(p4('10.80.0.0/24')), { timeoutMs: 1000, intervalMs: 5, what: 'the route after the burst' });
      // An absence can only be waited out: two and a half coalescing windows, in which any
      // further re-run would have happened.
      await new Promise((r) => setTimeout(r, 250));
      expect(spy.mock.calls.length).toBeGreaterThanOrEqual(1);
      expect(spy.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
      spy.mockRestore();
    }
  });
});
