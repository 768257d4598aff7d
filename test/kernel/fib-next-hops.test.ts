// The FIB programmer as the source of next-hop resolution: it loads the table's other routes
// with every dump, follows their notifications, and installs a next hop that sits behind a
// gateway route through that route's gateways (the kernel refuses it otherwise).
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FibProgrammer } from '../../src/kernel/fib-programmer.js';
import { ipv4ToNumber, parsePrefix } from '../../src/lib/prefix.js';
import { waitFor } from '../harness/wait.js';
import { FakeRoutingTable, foreign } from './fake-routing-table.js';

const G = ipv4ToNumber;
const key = (p: string): number | string => parsePrefix(p).prefix;
const logs: Array<Record<string, unknown>> = [];
const logger = pino({ level: 'debug' }, { write: (s: string) => void logs.push(JSON.parse(s) as Record<string, unknown>) });
const running: FibProgrammer[] = [];

function programmer(kernel: FakeRoutingTable): FibProgrammer {
  const fib = new FibProgrammer({ logger, resyncIntervalMs: 0, retryBaseMs: 10_000 }, { kernel });
  running.push(fib);
  return fib;
}

/** The installed route's gateways as text, or undefined. */
function installed(k: FakeRoutingTable, prefix: string): string | undefined {
  const r = k.ours.get(key(prefix));
  return r?.nextHops.map((h) => (typeof h.gateway === 'number' ? `${h.gateway >>> 24}.${(h.gateway >>> 16) & 255}.${(h.gateway >>> 8) & 255}.${h.gateway & 255}` : h.gateway)).join(',');
}

afterEach(async () => {
  for (const f of running.splice(0)) await f.stop();
  logs.length = 0;
});

describe('FibProgrammer next hops from the kernel table', () => {
  it('resolves from the first dump on, and not before', async () => {
    const k = new FakeRoutingTable([foreign('10.77.0.0/24')]);
    const fib = programmer(k);
    expect(fib.nextHops.resolver).toBeNull();
    let told = 0;
    fib.nextHops.subscribe(() => told++);
    await fib.start();
    expect(told).toBe(1);
    const r = fib.nextHops.resolver!;
    expect(r.resolve(G('10.77.0.9'))).toMatchObject({ reachable: true, igpCost: 0 });
    expect(r.resolve(G('10.99.0.1')).reachable).toBe(false);
    expect(logs.some((l) => l.event === 'next-hop.kernel-loaded' && l.routes === 1)).toBe(true);
  });

  it('installs a next hop behind a static route through that route\'s gateway, and follows it', async () => {
    const k = new FakeRoutingTable([foreign('10.77.0.0/24'), foreign('10.99.0.0/24', '10.77.0.2')]);
    const fib = programmer(k);
    await fib.start();
    fib.set(key('10.80.0.0/24'), [{ gateway: G('10.99.0.1') }]);
    fib.set(key('10.81.0.0/24'), [{ gateway: G('10.77.0.5') }]);
    await fib.settled();
    expect(installed(k, '10.80.0.0/24')).toBe('10.77.0.2');
    expect(installed(k, '10.81.0.0/24')).toBe('10.77.0.5');
    expect(k.ours.get(key('10.80.0.0/24'))?.nextHops[0]?.ifindex).toBe(2);
    // The static route moves to another gateway: the route follows, the connected one is left alone.
    const before = k.ops.length;
    k.del('10.99.0.0/24');
    k.add(foreign('10.99.0.0/24', '10.77.0.3'));
    await waitFor(() => installed(k, '10.80.0.0/24') === '10.77.0.3', { timeoutMs: 2000, intervalMs: 5, what: 'route via the new gateway' });
    await fib.settled();
    expect(k.ops.slice(before).map((o) => o.route.prefix)).toEqual([key('10.80.0.0/24')]);
    expect(fib.stats()).toMatchObject({ installed: 2, failed: 0 });
  });

  it('leaves a route whose next hop became unresolvable to the RIB, which withdraws it', async () => {
    const k = new FakeRoutingTable([foreign('10.77.0.0/24'), foreign('10.99.0.0/24', '10.77.0.2')]);
    const fib = programmer(k);
    await fib.start();
    fib.set(key('10.80.0.0/24'), [{ gateway: G('10.99.0.1') }]);
    await fib.settled();
    const before = k.ops.length;
    k.del('10.99.0.0/24');
    await new Promise((r) => setImmediate(r));
    await fib.settled();
    // No attempt to install it through an unreachable gateway: the kernel would refuse.
    expect(k.ops.length).toBe(before);
    fib.set(key('10.80.0.0/24'), null);
    await fib.settled();
    expect(installed(k, '10.80.0.0/24')).toBeUndefined();
  });

  it('re-translates routes set before the table was loaded', async () => {
    const k = new FakeRoutingTable([foreign('10.77.0.0/24'), foreign('10.99.0.0/24', '10.77.0.2')]);
    const fib = programmer(k);
    fib.set(key('10.80.0.0/24'), [{ gateway: G('10.99.0.1') }]);
    await fib.start();
    await fib.settled();
    expect(installed(k, '10.80.0.0/24')).toBe('10.77.0.2');
  });

  it('ECMP next hops behind one gateway route collapse to its gateways; IPv6 too', async () => {
    const k = new FakeRoutingTable([foreign('10.77.0.0/24'), foreign('10.99.0.0/24', '10.77.0.2'), foreign('fd77::/64', undefined, { metric: 256 }), foreign('fd99::/64', 'fd77::2', { metric: 1024 })]);
    const fib = programmer(k);
    await fib.start();
    fib.set(key('10.80.0.0/24'), [{ gateway: G('10.99.0.1') }, { gateway: G('10.99.0.2') }, { gateway: G('10.77.0.7') }]);
    fib.set(key('fd80::/64'), [{ gateway: 'fd99::1' }]);
    await fib.settled();
    expect(installed(k, '10.80.0.0/24')).toBe('10.77.0.2,10.77.0.7');
    expect(installed(k, 'fd80::/64')).toBe('fd77::2');
  });

  it('a link going down with routes through it triggers a dump; an unrelated one does not', async () => {
    const k = new FakeRoutingTable([foreign('10.77.0.0/24'), foreign('10.99.0.0/24', '10.88.0.2', { dev: 5 })]);
    const fib = programmer(k);
    let told = 0;
    fib.nextHops.subscribe(() => told++);
    await fib.start();
    expect(fib.nextHops.resolver!.resolve(G('10.99.0.1')).reachable).toBe(true);
    const dumps = k.dumps;
    k.linkDown(9);
    await fib.settled();
    expect(k.dumps).toBe(dumps);
    k.linkDown(5);
    await waitFor(() => k.dumps > dumps, { timeoutMs: 2000, intervalMs: 5, what: 'a dump after the link went down' });
    await fib.settled();
    expect(fib.nextHops.resolver!.resolve(G('10.99.0.1')).reachable).toBe(false);
    expect(told).toBe(2);
  });

  it('keeps a notification that arrives while a resync dump runs', async () => {
    const k = new FakeRoutingTable([foreign('10.77.0.0/24')]);
    const fib = programmer(k);
    await fib.start();
    const r = fib.nextHops.resolver!;
    expect(r.resolve(G('10.99.0.1')).reachable).toBe(false);
    k.holdDumps = true;
    k.linkDown(2); // 10.77.0.0/24 goes silently; a dump starts and is held
    await waitFor(() => k.dumps === 2, { timeoutMs: 2000, intervalMs: 5, what: 'the resync dump' });
    // The snapshot is taken; then the link comes back and routes are added with notifications.
    k.add(foreign('10.77.0.0/24'));
    k.add(foreign('10.99.0.0/24', '10.77.0.2'));
    k.releaseDumps();
    await fib.settled();
    expect(r.resolve(G('10.99.0.1')).reachable).toBe(true);
    expect(r.resolve(G('10.77.0.1')).reachable).toBe(true);
  });
});
