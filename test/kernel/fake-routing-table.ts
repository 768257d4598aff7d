// A kernel port that behaves like one rtnetlink routing table with other protocols' routes in
// it: dumps report both, a gateway must be on a connected subnet (as the kernel demands, else
// ENETUNREACH), every change is notified, and others' routes can be added and removed the way
// `ip route` would. For FIB-programmer and route-engine tests of next-hop resolution.

import type {
  DesiredRoute,
  ForeignRoute,
  KernelEventHandlers,
  KernelRoutePort,
  LinkEvent,
  RouteKey,
  RouteOp,
  RouteOpFailure,
  TableDump,
} from '../../src/kernel/types.js';
import { ipv4ToNumber, ipv6ToBytes, parsePrefix, prefix4Address, prefix4Length } from '../../src/lib/prefix.js';

export const PROTO_STATIC = 4;
export const PROTO_KERNEL = 2;

/** `foreign('10.99.0.0/24', '10.77.0.2')` (gateway route) or `foreign('10.77.0.0/24')` (connected, dev 2). */
export function foreign(prefix: string, gateway?: string, o: { metric?: number; dev?: number; protocol?: number } = {}): ForeignRoute {
  const dev = o.dev ?? 2;
  return {
    prefix: parsePrefix(prefix).prefix,
    protocol: o.protocol ?? (gateway === undefined ? PROTO_KERNEL : PROTO_STATIC),
    type: 'unicast',
    metric: o.metric ?? 0,
    tos: 0,
    hops: [gateway === undefined ? { ifindex: dev } : { gateway: gateway.includes(':') ? gateway : ipv4ToNumber(gateway), ifindex: dev }],
  };
}

function covers4(prefix: number, address: number): boolean {
  const len = prefix4Length(prefix);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return (address & mask) >>> 0 === prefix4Address(prefix);
}

export class FakeRoutingTable implements KernelRoutePort {
  readonly ours = new Map<RouteKey, DesiredRoute>();
  readonly others: ForeignRoute[] = [];
  readonly ops: RouteOp[] = [];
  handlers: KernelEventHandlers | undefined;
  dumps = 0;
  /** Held dumps: resolved by releaseDump(), to test notifications that arrive during one. */
  holdDumps = false;
  private held: (() => void)[] = [];

  constructor(others: ForeignRoute[] = []) {
    this.others.push(...others);
  }

  async dump(): Promise<DesiredRoute[]> {
    return [...this.ours.values()];
  }

  async dumpAll(): Promise<TableDump> {
    this.dumps++;
    const snapshot: TableDump = { ours: [...this.ours.values()], foreign: this.others.map((r) => ({ ...r, hops: r.hops.map((h) => ({ ...h })) })) };
    if (this.holdDumps) await new Promise<void>((r) => this.held.push(r));
    return snapshot;
  }

  releaseDumps(): void {
    for (const r of this.held.splice(0)) r();
  }

  async apply(ops: readonly RouteOp[]): Promise<RouteOpFailure[]> {
    const failures: RouteOpFailure[] = [];
    for (const op of ops) {
      this.ops.push(op);
      const key = op.route.prefix;
      if (op.kind === 'delete') {
        if (this.ours.delete(key)) this.notify('del', op.route);
        continue;
      }
      if (op.route.nextHops.some((h) => h.onlink !== true && !this.connected(h.gateway))) {
        failures.push({ op, errno: 101, code: 'ENETUNREACH' });
        continue;
      }
      this.ours.set(key, op.route);
      this.notify('new', op.route);
    }
    await new Promise((r) => setImmediate(r));
    return failures;
  }

  subscribe(handlers: KernelEventHandlers): void {
    this.handlers = handlers;
  }

  close(): void {}

  /** `ip route add` of another protocol's route. */
  add(r: ForeignRoute): void {
    this.others.push(r);
    this.handlers?.onForeignRoute?.({ kind: 'new', route: r });
  }

  /** `ip route del`. */
  del(prefix: string): void {
    const key = parsePrefix(prefix).prefix;
    const i = this.others.findIndex((r) => r.prefix === key);
    if (i < 0) return;
    const [r] = this.others.splice(i, 1);
    this.handlers?.onForeignRoute?.({ kind: 'del', route: r! });
  }

  /** Removes routes without telling (IPv4 on link down), then reports the link event. */
  linkDown(ifindex: number): void {
    for (let i = this.others.length - 1; i >= 0; i--) if (this.others[i]!.hops.some((h) => h.ifindex === ifindex)) this.others.splice(i, 1);
    const ev: LinkEvent = { kind: 'link-new', ifindex, up: false };
    this.handlers?.onLinkChange?.();
    this.handlers?.onLink?.(ev);
  }

  /** A gateway is acceptable when a connected route (no gateway) covers it. */
  private connected(gateway: number | string): boolean {
    return this.others.some((r) => {
      if (r.hops.some((h) => h.gateway !== undefined)) return false;
      if (typeof gateway === 'number') return typeof r.prefix === 'number' && covers4(r.prefix, gateway);
      if (typeof r.prefix !== 'string') return false;
      const [net = '', len = '0'] = r.prefix.split('/');
      // Good enough for the tests: prefixes on whole bytes.
      const bytes = Number(len) >> 3;
      return ipv6ToBytes(net).subarray(0, bytes).equals(ipv6ToBytes(gateway).subarray(0, bytes));
    });
  }

  private notify(kind: 'new' | 'del', route: DesiredRoute): void {
    setImmediate(() => this.handlers?.onRoute({ kind, protocol: 199, table: 254, route }));
  }
}
