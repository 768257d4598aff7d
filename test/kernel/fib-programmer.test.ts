// The FIB programmer against a fake kernel port that behaves like rtnetlink: it echoes every
// change as a notification, refuses unreachable gateways and routes another protocol owns.

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FibProgrammer, type FibProgrammerInit } from '../../src/kernel/fib-programmer.js';
import type { DesiredRoute, KernelEventHandlers, KernelRoutePort, RouteKey, RouteOp, RouteOpFailure } from '../../src/kernel/types.js';
import { ipv4ToNumber, parsePrefix4 } from '../../src/lib/prefix.js';
import { waitFor } from '../harness/wait.js';

const P = parsePrefix4;
const G = ipv4ToNumber;
const via = (...gws: string[]): Array<{ gateway: number }> => gws.map((g) => ({ gateway: G(g) }));
const route = (prefix: string, ...gws: string[]): DesiredRoute => ({ prefix: P(prefix), nextHops: via(...gws) });

class FakeKernel implements KernelRoutePort {
  readonly routes = new Map<RouteKey, DesiredRoute>();
  /** Prefixes held by another protocol: our add gets EEXIST. */
  readonly foreign = new Set<RouteKey>();
  readonly unreachable = new Set<number>();
  readonly calls: RouteOp[][] = [];
  handlers: KernelEventHandlers | undefined;
  closed = false;

  async dump(): Promise<DesiredRoute[]> {
    return [...this.routes.values()];
  }

  async apply(ops: readonly RouteOp[]): Promise<RouteOpFailure[]> {
    this.calls.push([...ops]);
    const failures: RouteOpFailure[] = [];
    for (const op of ops) {
      const key = op.route.prefix;
      const fail = (errno: number, code: string): void => void failures.push({ op, errno, code });
      if (op.kind === 'delete') {
        if (this.routes.delete(key)) this.notify('del', op.route);
        continue;
      }
      if (op.route.nextHops.some((h) => this.unreachable.has(h.gateway as number))) fail(101, 'ENETUNREACH');
      else if (this.foreign.has(key) || (op.kind === 'add' && this.routes.has(key))) fail(17, 'EEXIST');
      else {
        this.routes.set(key, op.route);
        this.notify('new', op.route);
      }
    }
    await new Promise((r) => setImmediate(r));
    return failures;
  }

  subscribe(handlers: KernelEventHandlers): void {
    this.handlers = handlers;
  }

  close(): void {
    this.closed = true;
  }

  /** Someone else (an admin with `ip route`) changes the kernel. */
  external(kind: 'new' | 'del', r: DesiredRoute): void {
    if (kind === 'del') this.routes.delete(r.prefix);
    else this.routes.set(r.prefix, r);
    this.notify(kind, r);
  }

  private notify(kind: 'new' | 'del', r: DesiredRoute): void {
    setImmediate(() => this.handlers?.onRoute({ kind, protocol: 199, table: 254, route: r }));
  }
}

const logs: Array<Record<string, unknown>> = [];
const logger = pino({ level: 'debug' }, { write: (s: string) => void logs.push(JSON.parse(s) as Record<string, unknown>) });
const events = (name: string): Array<Record<string, unknown>> => logs.filter((l) => l.event === name);
const running: FibProgrammer[] = [];

function programmer(kernel: FakeKernel, init: Partial<FibProgrammerInit> = {}): FibProgrammer {
  const fib = new FibProgrammer({ logger, resyncIntervalMs: 0, ...init }, { kernel });
  running.push(fib);
  return fib;
}

afterEach(async () => {
  logs.length = 0;
  for (const f of running.splice(0)) await f.stop();
});

describe('FibProgrammer', () => {
  it('coalesces set() calls per prefix into one batch applied in the next turn', async () => {
    const k = new FakeKernel();
    const fib = programmer(k);
    await fib.start();
    fib.set(P('10.0.0.0/24'), via('1.1.1.1'));
    fib.set(P('10.0.0.0/24'), via('1.1.1.2'));
    fib.set(P('10.0.1.0/24'), via('1.1.1.1', '1.1.1.2'));
    expect(k.calls).toEqual([]);
    await fib.settled();
    expect(k.calls).toEqual([
      [
        { kind: 'add', route: route('10.0.0.0/24', '1.1.1.2') },
        { kind: 'add', route: route('10.0.1.0/24', '1.1.1.1', '1.1.1.2') },
      ],
    ]);
    expect(fib.stats()).toEqual({ installed: 2, pending: 0, failed: 0, driftRepaired: 0 });
  });

  it('hands a large burst to the kernel in slices while the RIB is still setting it', async () => {
    const k = new FakeKernel();
    const fib = programmer(k, { flushEarly: 1000 });
    await fib.start();
    const base = G('20.0.0.0');
    for (let i = 0; i < 3500; i++) fib.set((base + i * 256) * 64 + 24, via('1.1.1.1'));
    // Three slices went out during the loop; the rest waits for the end of the turn as usual.
    expect(k.calls.map((c) => c.length)).toEqual([1000, 1000, 1000]);
    await fib.settled();
    expect(k.calls.map((c) => c.length)).toEqual([1000, 1000, 1000, 500]);
    expect(k.routes.size).toBe(3500);
    expect(fib.stats()).toEqual({ installed: 3500, pending: 0, failed: 0, driftRepaired: 0 });
  });

  it('adopts equal routes at start, replaces changed ones, and deletes stale ones only after convergence', async () => {
    const k = new FakeKernel();
    for (const r of [route('10.0.0.0/24', '1.1.1.1'), route('10.0.1.0/24', '1.1.1.1'), route('10.0.9.0/24', '1.1.1.1')]) k.routes.set(r.prefix, r);
    const fib = programmer(k);
    fib.set(P('10.0.0.0/24'), via('1.1.1.1'));
    fib.set(P('10.0.1.0/24'), via('1.1.1.2'));
    await fib.start();
    await fib.settled();
    expect(k.calls).toEqual([[{ kind: 'replace', route: route('10.0.1.0/24', '1.1.1.2') }]]);
    expect(k.routes.has(P('10.0.9.0/24'))).toBe(true);
    fib.converged();
    fib.converged();
    await fib.settled();
    expect(k.calls.slice(1)).toEqual([[{ kind: 'delete', route: route('10.0.9.0/24', '1.1.1.1') }]]);
    expect(events('fib.started')[0]).toMatchObject({ adopted: 3 });
  });

  it('withdraws a route at once when the RIB sets null', async () => {
    const k = new FakeKernel();
    const fib = programmer(k);
    await fib.start();
    fib.set(P('10.0.0.0/24'), 'blackhole');
    await fib.settled();
    fib.set(P('10.0.0.0/24'), null);
    await fib.settled();
    expect(k.routes.size).toBe(0);
    expect(k.calls[1]).toEqual([{ kind: 'delete', route: { prefix: P('10.0.0.0/24'), nextHops: [], blackhole: true } }]);
  });

  it('repairs a route deleted or changed by someone else, and not its own echoes', async () => {
    const k = new FakeKernel();
    const fib = programmer(k);
    await fib.start();
    fib.set(P('10.0.0.0/24'), via('1.1.1.1'));
    fib.set(P('10.0.1.0/24'), via('1.1.1.1'));
    await fib.settled();
    await new Promise((r) => setImmediate(r)); // let the echoes arrive
    expect(events('route.drift')).toEqual([]);
    k.external('del', route('10.0.0.0/24', '1.1.1.1'));
    k.external('new', route('10.0.1.0/24', '9.9.9.9'));
    await waitFor(() => fib.stats().driftRepaired === 2, { timeoutMs: 2_000, intervalMs: 5, what: 'two repairs' });
    expect(k.routes.get(P('10.0.0.0/24'))).toEqual(route('10.0.0.0/24', '1.1.1.1'));
    expect(k.routes.get(P('10.0.1.0/24'))).toEqual(route('10.0.1.0/24', '1.1.1.1'));
    expect(events('route.drift').map((e) => e.change)).toEqual(['deleted', 'changed']);
  });

  it('ignores routes of other protocols', async () => {
    const k = new FakeKernel();
    const fib = programmer(k);
    await fib.start();
    fib.set(P('10.0.0.0/24'), via('1.1.1.1'));
    await fib.settled();
    k.handlers!.onRoute({ kind: 'del', protocol: 4, table: 254, route: route('10.0.0.0/24', '1.1.1.1') });
    await fib.settled();
    expect(k.calls.length).toBe(1);
  });

  it('retries a refused route with back-off, logging the errno, and at once when a link changes', async () => {
    const k = new FakeKernel();
    k.unreachable.add(G('1.1.1.1'));
    const fib = programmer(k, { retryBaseMs: 60_000, retryMaxMs: 60_000 });
    await fib.start();
    fib.set(P('10.0.0.0/24'), via('1.1.1.1'));
    await fib.settled();
    expect(fib.stats()).toMatchObject({ installed: 0, failed: 1 });
    expect(events('route.install-failed')[0]).toMatchObject({ prefix: '10.0.0.0/24', errno: 'ENETUNREACH', attempt: 1, retryInMs: 60_000 });
    k.unreachable.clear();
    k.handlers!.onLinkChange!();
    await waitFor(() => fib.stats().installed === 1, { timeoutMs: 2_000, intervalMs: 5, what: 'route installed after link change' });
    expect(fib.stats().failed).toBe(0);
    expect(events('route.install-recovered')[0]).toMatchObject({ prefix: '10.0.0.0/24', attempts: 2 });
  });

  it('backs off exponentially between retries', async () => {
    const k = new FakeKernel();
    k.unreachable.add(G('1.1.1.1'));
    const fib = programmer(k, { retryBaseMs: 5, retryMaxMs: 20 });
    await fib.start();
    fib.set(P('10.0.0.0/24'), via('1.1.1.1'));
    await waitFor(() => events('route.install-failed').length >= 4, { timeoutMs: 2_000, intervalMs: 5, what: 'four attempts' });
    expect(events('route.install-failed').slice(0, 4).map((e) => e.retryInMs)).toEqual([5, 10, 20, 20]);
  });

  it('does not replace a route another protocol owns (EEXIST) and resyncs to check', async () => {
    const k = new FakeKernel();
    k.foreign.add(P('10.0.0.0/24'));
    const fib = programmer(k, { retryBaseMs: 60_000, retryMaxMs: 60_000 });
    await fib.start();
    fib.set(P('10.0.0.0/24'), via('1.1.1.1'));
    await waitFor(() => events('fib.resync').length === 1, { timeoutMs: 2_000, intervalMs: 5, what: 'resync after EEXIST' });
    expect(k.calls.flat().map((op) => op.kind)).toEqual(['add']);
    expect(fib.stats()).toMatchObject({ installed: 0, failed: 1 });
  });

  it('puts back routes lost without a notification when notifications overflowed', async () => {
    const k = new FakeKernel();
    const fib = programmer(k);
    await fib.start();
    fib.set(P('10.0.0.0/24'), via('1.1.1.1'));
    await fib.settled();
    k.routes.clear(); // gone, and the notification was lost
    k.handlers!.onResync('overflow');
    await waitFor(() => k.routes.size === 1, { timeoutMs: 2_000, intervalMs: 5, what: 'route back after resync' });
    await waitFor(() => fib.stats().driftRepaired === 1, { timeoutMs: 2_000, intervalMs: 5, what: 'repair counted' });
  });

  it('keeps its routes on stop, or removes them all with flush', async () => {
    const k = new FakeKernel();
    const a = programmer(k);
    await a.start();
    a.set(P('10.0.0.0/24'), via('1.1.1.1'));
    a.set('2001:db8::/32', [{ gateway: 'FD00:0::1' }]);
    await a.settled();
    await a.stop();
    expect(k.routes.size).toBe(2);
    expect(k.routes.get('2001:db8::/32')?.nextHops).toEqual([{ gateway: 'fd00::1' }]);
    expect(k.closed).toBe(true);
    const b = programmer(k);
    await b.start();
    await b.stop({ flush: true });
    expect(k.routes.size).toBe(0);
  });
});
