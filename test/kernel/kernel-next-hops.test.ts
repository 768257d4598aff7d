// Next-hop resolution from the kernel's routing table: longest-prefix match, metrics, route
// types, Wren's own routes ignored, incremental changes that report exactly what changed.
import { describe, expect, it } from 'vitest';
import { KernelNextHopTable } from '../../src/kernel/kernel-next-hops.js';
import type { ForeignHop, ForeignRoute, ForeignRouteType } from '../../src/kernel/types.js';
import { ipv4ToNumber, parsePrefix } from '../../src/lib/prefix.js';

const ip = ipv4ToNumber;

interface RouteInit {
  via?: string | string[];
  dev?: number;
  metric?: number;
  protocol?: number;
  type?: ForeignRouteType;
  tos?: number;
  onlink?: boolean;
}

/** `r('10.0.0.0/24', { via: '192.0.2.1', dev: 2 })` as `ip route` would describe it. */
function r(prefix: string, o: RouteInit = {}): ForeignRoute {
  const gws = o.via === undefined ? [] : Array.isArray(o.via) ? o.via : [o.via];
  const hop = (g: string | undefined): ForeignHop => ({
    ...(g === undefined ? {} : { gateway: g.includes(':') ? g : ip(g) }),
    ...(o.dev === undefined ? {} : { ifindex: o.dev }),
    ...(o.onlink ? { onlink: true } : {}),
  });
  const type = o.type ?? 'unicast';
  const hops = type !== 'unicast' ? [] : gws.length === 0 ? [hop(undefined)] : gws.map(hop);
  return { prefix: parsePrefix(prefix).prefix, protocol: o.protocol ?? 4, type, metric: o.metric ?? 0, tos: o.tos ?? 0, hops };
}

function table(...routes: ForeignRoute[]): KernelNextHopTable {
  const t = new KernelNextHopTable({ protocol: 199 });
  t.replaceAll(routes);
  return t;
}

describe('KernelNextHopTable', () => {
  it('resolves next hops on connected subnets directly and others through gateway routes', () => {
    const t = table(r('10.77.0.0/24', { dev: 2, protocol: 2 }), r('10.99.0.0/24', { via: '10.77.0.2', dev: 2 }), r('fd77::/64', { dev: 2, metric: 256 }));
    expect(t.answer(ip('10.77.0.5'))).toEqual({ reachable: true, igpCost: 0, via: null });
    expect(t.answer(ip('10.99.0.1'))).toEqual({ reachable: true, igpCost: 0, via: [{ gateway: ip('10.77.0.2'), ifindex: 2 }] });
    expect(t.answer('fd77::9')).toEqual({ reachable: true, igpCost: 256, via: null });
    expect(t.resolve(ip('10.98.0.1')).reachable).toBe(false);
    expect(t.resolve('fd78::1').reachable).toBe(false);
    expect(t.resolve('not an address').reachable).toBe(false);
  });

  it('picks the most specific prefix, then the lowest metric, and reports the metric as cost', () => {
    const t = table(
      r('0.0.0.0/0', { via: '10.77.0.1', dev: 2, metric: 10 }),
      r('10.0.0.0/8', { via: '10.77.0.2', dev: 2, metric: 500 }),
      r('10.0.0.0/8', { via: '10.77.0.3', dev: 2, metric: 100 }),
      r('10.77.0.0/24', { dev: 2 }),
    );
    expect(t.answer(ip('203.0.113.1'))).toMatchObject({ igpCost: 10, via: [{ gateway: ip('10.77.0.1') }] });
    expect(t.answer(ip('10.5.0.1'))).toMatchObject({ igpCost: 100, via: [{ gateway: ip('10.77.0.3') }] });
    expect(t.answer(ip('10.77.0.9'))).toMatchObject({ igpCost: 0, via: null });
  });

  it('matches IPv6 prefixes at any bit length', () => {
    const t = table(r('2001:db8::/29', { via: 'fd77::1', dev: 3, metric: 1024 }), r('2001:db8:8::/45', { type: 'blackhole', metric: 1024 }));
    expect(t.answer('2001:dbf:ffff::1')).toMatchObject({ reachable: true, via: [{ gateway: 'fd77::1', ifindex: 3 }] });
    expect(t.resolve('2001:dc0::1').reachable).toBe(false);
    // 2001:db8:8::/45 covers 2001:db8:8:: to 2001:db8:f:ffff::
    expect(t.resolve('2001:db8:f:1::1').reachable).toBe(false);
    expect(t.resolve('2001:db8:10::1').reachable).toBe(true);
  });

  it('never resolves through a route with Wren\'s own protocol number', () => {
    const t = table(r('10.77.0.0/24', { dev: 2 }), r('10.99.0.0/24', { via: '10.77.0.2', dev: 2, protocol: 199 }), r('0.0.0.0/0', { type: 'unreachable', protocol: 199 }));
    expect(t.resolve(ip('10.99.0.1')).reachable).toBe(false);
    expect(t.size).toBe(1);
    // nor when one arrives later
    expect(t.apply({ kind: 'new', route: r('10.99.0.0/16', { via: '10.77.0.2', dev: 2, protocol: 199 }) }).nextHops.size).toBe(0);
    expect(t.resolve(ip('10.99.0.1')).reachable).toBe(false);
  });

  it('a blackhole, unreachable, prohibit or throw match makes the next hop unreachable', () => {
    for (const type of ['blackhole', 'unreachable', 'prohibit', 'throw'] as const) {
      const t = table(r('0.0.0.0/0', { via: '10.77.0.1', dev: 2 }), r('10.99.0.0/24', { type }));
      expect({ type, reachable: t.resolve(ip('10.99.0.1')).reachable }).toEqual({ type, reachable: false });
      expect(t.resolve(ip('10.98.0.1')).reachable).toBe(true);
    }
  });

  it('ignores local/broadcast routes and routes for one ToS', () => {
    const t = table(r('10.99.0.0/24', { type: 'other' }), r('10.98.0.0/24', { via: '10.77.0.2', dev: 2, tos: 16 }));
    expect(t.resolve(ip('10.99.0.1')).reachable).toBe(false);
    expect(t.resolve(ip('10.98.0.1')).reachable).toBe(false);
    expect(t.size).toBe(0);
  });

  it('ECMP gateway routes resolve to all their gateways, onlink kept', () => {
    const t = table(r('10.99.0.0/24', { via: ['10.77.0.2', '10.77.0.3'], dev: 2 }), r('10.98.0.0/24', { via: '192.0.2.1', dev: 4, onlink: true }));
    expect(t.answer(ip('10.99.0.7')).via).toEqual([
      { gateway: ip('10.77.0.2'), ifindex: 2 },
      { gateway: ip('10.77.0.3'), ifindex: 2 },
    ]);
    expect(t.answer(ip('10.98.0.7')).via).toEqual([{ gateway: ip('192.0.2.1'), ifindex: 4, onlink: true }]);
  });

  it('reports which next hops changed, and whether the decision must run again', () => {
    const t = table(r('10.77.0.0/24', { dev: 2 }));
    const a = ip('10.99.0.1');
    const b = ip('10.98.0.1');
    expect(t.resolve(a).reachable).toBe(false);
    expect(t.resolve(b).reachable).toBe(false);
    // A static route appears: only a changes.
    let ch = t.apply({ kind: 'new', route: r('10.99.0.0/24', { via: '10.77.0.2', dev: 2 }) });
    expect(ch).toEqual({ decision: true, nextHops: new Set([a]), all: false });
    expect(t.resolve(a)).toMatchObject({ reachable: true, igpCost: 0 });
    // Its gateway changes: the route must be reinstalled, but the decision is unaffected.
    ch = t.apply({ kind: 'new', route: r('10.99.0.0/24', { via: '10.77.0.3', dev: 2 }), replace: true });
    expect(ch).toEqual({ decision: false, nextHops: new Set([a]), all: false });
    // A route that covers no next hop asked about changes nothing.
    ch = t.apply({ kind: 'new', route: r('192.168.0.0/16', { via: '10.77.0.3', dev: 2 }) });
    expect(ch.nextHops.size).toBe(0);
    expect(ch.decision).toBe(false);
    // A less specific route under the /24 changes nothing either: the /24 still wins.
    ch = t.apply({ kind: 'new', route: r('10.99.0.0/16', { via: '10.77.0.4', dev: 2 }) });
    expect(ch.nextHops.size).toBe(0);
    // The /24 goes: a falls back on the /16.
    ch = t.apply({ kind: 'del', route: r('10.99.0.0/24', { via: '10.77.0.3', dev: 2 }) });
    expect(ch).toEqual({ decision: false, nextHops: new Set([a]), all: false });
    expect(t.answer(a).via).toEqual([{ gateway: ip('10.77.0.4'), ifindex: 2 }]);
    // Deleting a route that is not there changes nothing.
    expect(t.apply({ kind: 'del', route: r('10.97.0.0/24', { via: '10.77.0.4', dev: 2 }) }).nextHops.size).toBe(0);
  });

  it('a metric change on an equal prefix changes the cost', () => {
    const t = table(r('10.99.0.0/24', { via: '10.77.0.2', dev: 2, metric: 20 }));
    const a = ip('10.99.0.1');
    expect(t.resolve(a).igpCost).toBe(20);
    const ch = t.apply({ kind: 'new', route: r('10.99.0.0/24', { via: '10.77.0.3', dev: 2, metric: 5 }) });
    expect(ch.decision).toBe(true);
    expect(t.resolve(a).igpCost).toBe(5);
  });

  it('IPv6 siblings added one by one form one ECMP route; deleting one keeps the other', () => {
    const t = table(r('fd99::/64', { via: 'fd77::2', dev: 2, metric: 1024 }));
    const nh = 'fd99::1';
    expect(t.answer(nh).via).toEqual([{ gateway: 'fd77::2', ifindex: 2 }]);
    t.apply({ kind: 'new', route: r('fd99::/64', { via: 'fd77::3', dev: 2, metric: 1024 }) });
    expect(t.answer(nh).via).toEqual([
      { gateway: 'fd77::2', ifindex: 2 },
      { gateway: 'fd77::3', ifindex: 2 },
    ]);
    t.apply({ kind: 'del', route: r('fd99::/64', { via: 'fd77::2', dev: 2, metric: 1024 }) });
    expect(t.answer(nh).via).toEqual([{ gateway: 'fd77::3', ifindex: 2 }]);
    t.apply({ kind: 'del', route: r('fd99::/64', { via: 'fd77::3', dev: 2, metric: 1024 }) });
    expect(t.resolve(nh).reachable).toBe(false);
    // fe80::/64 exists once per link: losing one link keeps the others.
    t.apply({ kind: 'new', route: r('fe80::/64', { dev: 2, metric: 256 }) });
    t.apply({ kind: 'new', route: r('fe80::/64', { dev: 3, metric: 256 }) });
    t.apply({ kind: 'del', route: r('fe80::/64', { dev: 2, metric: 256 }) });
    expect(t.resolve('fe80::1').reachable).toBe(true);
    expect(t.references(2)).toBe(false);
    expect(t.references(3)).toBe(true);
  });

  it('a full reload reports the next hops whose answers differ from before', () => {
    const t = table(r('10.77.0.0/24', { dev: 2 }), r('10.99.0.0/24', { via: '10.77.0.2', dev: 2 }));
    const a = ip('10.99.0.1');
    const c = ip('10.77.0.9');
    t.resolve(a);
    t.resolve(c);
    expect(t.replaceAll([r('10.77.0.0/24', { dev: 2 }), r('10.99.0.0/24', { via: '10.77.0.2', dev: 2 })]).nextHops.size).toBe(0);
    const ch = t.replaceAll([r('10.77.0.0/24', { dev: 2 })]);
    expect(ch).toEqual({ decision: true, nextHops: new Set([a]), all: false });
  });

  it('notifications received during a dump are applied after its snapshot', () => {
    const t = table(r('10.77.0.0/24', { dev: 2 }));
    const a = ip('10.99.0.1');
    t.resolve(a);
    // The dump did not see the static route added while it ran; the notification did.
    const ch = t.replaceAll([r('10.77.0.0/24', { dev: 2 })], [{ kind: 'new', route: r('10.99.0.0/24', { via: '10.77.0.2', dev: 2 }) }]);
    expect(ch.decision).toBe(true);
    expect(t.resolve(a).reachable).toBe(true);
    // And a deletion the dump still saw is not undone by it.
    t.replaceAll([r('10.77.0.0/24', { dev: 2 }), r('10.99.0.0/24', { via: '10.77.0.2', dev: 2 })], [{ kind: 'del', route: r('10.99.0.0/24', { via: '10.77.0.2', dev: 2 }) }]);
    expect(t.resolve(a).reachable).toBe(false);
  });

  it('knows which interfaces its routes use', () => {
    const t = table(r('10.77.0.0/24', { dev: 2 }), r('10.99.0.0/24', { via: '10.77.0.2', dev: 2 }), r('10.98.0.0/24', { via: '10.88.0.2', dev: 5 }));
    expect([t.references(2), t.references(5), t.references(7)]).toEqual([true, true, false]);
    t.apply({ kind: 'del', route: r('10.98.0.0/24', { via: '10.88.0.2', dev: 5 }) });
    expect(t.references(5)).toBe(false);
  });

  it('answers stay right for a next hop asked about before and after many changes', () => {
    // Cross-check incremental updates against a table built from scratch.
    const routes: ForeignRoute[] = [];
    const t = table();
    const hops = Array.from({ length: 64 }, (_, i) => ip(`10.${i & 7}.${i}.1`));
    for (const h of hops) t.resolve(h);
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let step = 0; step < 300; step++) {
      const len = 8 + rnd(17);
      const addr = (ip(`10.${rnd(8)}.${rnd(64)}.0`) & ((0xffffffff << (32 - len)) >>> 0)) >>> 0;
      const text = `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}/${len}`;
      const route = r(text, { via: `10.77.0.${1 + rnd(4)}`, dev: 2, metric: rnd(3) * 10, type: rnd(10) === 0 ? 'blackhole' : 'unicast' });
      const i = routes.findIndex((x) => x.prefix === route.prefix && x.metric === route.metric);
      if (i >= 0 && rnd(2) === 0) {
        t.apply({ kind: 'del', route: routes[i]! });
        routes.splice(i, 1);
      } else {
        t.apply({ kind: 'new', route, replace: true });
        if (i >= 0) routes[i] = route;
        else routes.push(route);
      }
      const fresh = table(...routes);
      expect(hops.map((h) => t.answer(h))).toEqual(hops.map((h) => fresh.answer(h)));
    }
  });
});
