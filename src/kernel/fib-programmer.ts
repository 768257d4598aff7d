// The FIB programmer: keeps the kernel's Wren routes equal to what the Loc-RIB wants.
// I/O shell around the pure diff (diff.ts); the kernel is reached only through a
// KernelRoutePort (the netlink adapter in the daemon, a fake in unit tests).
//
// - set() records the RIB's wish and marks the prefix dirty; dirty prefixes are applied in the
//   next event-loop turn as one pipelined batch, so a burst of RIB changes coalesces per prefix
//   (a burst bigger than flushEarly goes out in slices of that size while it is still coming).
// - start() dumps the kernel and adopts our routes (equal ones are never touched); routes the
//   RIB does not want go only at converged(), so a restart never makes the data plane blink.
// - Route notifications with our protocol that we did not cause (each op we send expects one
//   echo) are drift: the route is put back at once and logged as 'route.drift'.
// - Failures are retried with exponential back-off, and at once when a link or address changes
//   (the usual cure for ENETUNREACH / ENODEV). Lost notifications (ENOBUFS), unknown outcomes
//   and EEXIST trigger a full resync (dump + diff), which also runs periodically.
// - Next hops (next-hop-feed.ts): every dump also loads the table's other routes (connected,
//   static, other daemons') into a resolver the route engine uses, kept current by their
//   notifications. A next hop behind a gateway route is installed through that route's
//   gateways, and re-installed when they change.

import type { Logger } from 'pino';
import { bytesToIpv6, formatPrefix4, ipv6ToBytes } from '../lib/prefix.js';
import { diffOne, indexRoutes, routeSatisfies, sameNextHops } from './diff.js';
import { NetlinkAdapter } from './netlink-adapter.js';
import type { NextHopTableChange } from './kernel-next-hops.js';
import { KernelNextHopFeed } from './next-hop-feed.js';
import { NextHopInterner, RouteStateTable, type RouteState } from './route-state.js';
import type { DesiredRoute, KernelNextHop, KernelRouteEvent, KernelRoutePort, RouteKey, RouteOp, RouteOpFailure, TableDump } from './types.js';

export interface FibProgrammerInit {
  /** Routing protocol number of Wren's routes; default 199. */
  protocol?: number;
  /** Kernel table; default 254 (main). */
  table?: number;
  /** Route metric; default unset (kernel default). */
  metric?: number;
  /** Full dump-and-diff safety net; default 90 000 ms (0 disables). */
  resyncIntervalMs?: number;
  /** First retry delay after a failure, doubled per attempt; default 250 ms. */
  retryBaseMs?: number;
  /** Longest retry delay; default 10 000 ms. */
  retryMaxMs?: number;
  /** Dirty prefixes that are applied at once instead of at the end of the event-loop turn; default 2048. */
  flushEarly?: number;
  /** Where the netlink adapter sends from (NetlinkAdapterInit.thread); default 'auto'. */
  writer?: 'auto' | 'worker' | 'main';
  logger: Logger;
}

export interface FibProgrammerComponents {
  /** Default: a NetlinkAdapter in the current network namespace. */
  kernel?: KernelRoutePort;
}

export interface FibStats {
  /** Wren routes in the kernel, as far as we know. */
  installed: number;
  /** Prefixes waiting to be applied or in flight. */
  pending: number;
  /** Prefixes whose last attempt failed (waiting for a retry). */
  failed: number;
  /** Routes changed or removed by someone else and put back. */
  driftRepaired: number;
}

/** What the RIB wants for a prefix: next hops (1 = plain, >1 = ECMP), a blackhole, or nothing. */
export type FibTarget = readonly KernelNextHop[] | 'blackhole' | { readonly device: number } | null;

/** Codes worth a full resync: our view of the kernel may be wrong. */
const RESYNC_CODES = new Set(['EEXIST', 'ENOBUFS']);
/** Individual failure lines per batch before the rest is summarised. */
const LOG_FAILURES_PER_BATCH = 20;

function prefixText(key: RouteKey): string {
  return typeof key === 'number' ? formatPrefix4(key) : key;
}

function canonicalHop(nh: KernelNextHop): KernelNextHop {
  return typeof nh.gateway === 'string' ? { ...nh, gateway: bytesToIpv6(ipv6ToBytes(nh.gateway)) } : nh;
}

export class FibProgrammer {
  /**
   * Next-hop resolution from the kernel's other routes in our table: the route engine's
   * resolver once the first dump is in (null before, and with a kernel port that cannot dump
   * other protocols' routes).
   */
  readonly nextHops: KernelNextHopFeed;
  private readonly protocol: number;
  private readonly log: Logger;
  private readonly kernel: KernelRoutePort;
  private readonly resyncIntervalMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly flushEarly: number;
  /** Everything known per prefix (wish, kernel, pending work): see route-state.ts. */
  private readonly state = new RouteStateTable();
  /** Dirty prefixes in the order they became dirty (each once; `dirty` flags membership). */
  private queue: RouteState[] = [];
  private dirtyCount = 0;
  private inFlightCount = 0;
  /** Prefixes with a `have` route. */
  private installedCount = 0;
  /** Prefixes whose last attempt failed. */
  private readonly failed = new Set<RouteState>();
  private readonly hops = new NextHopInterner(canonicalHop);
  private readonly applying = new Set<Promise<void>>();
  private driftRepaired = 0;
  private isConverged = false;
  private started = false;
  private stopped = false;
  private flushTimer: NodeJS.Immediate | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private resyncRunning: Promise<void> | undefined;
  private resyncAgain = false;

  constructor(init: FibProgrammerInit, components: FibProgrammerComponents = {}) {
    this.protocol = init.protocol ?? 199;
    this.log = init.logger;
    this.resyncIntervalMs = init.resyncIntervalMs ?? 90_000;
    this.retryBaseMs = init.retryBaseMs ?? 250;
    this.retryMaxMs = init.retryMaxMs ?? 10_000;
    this.flushEarly = Math.max(1, init.flushEarly ?? 2048);
    this.nextHops = new KernelNextHopFeed({ protocol: this.protocol });
    this.kernel =
      components.kernel ??
      new NetlinkAdapter({ protocol: this.protocol, table: init.table ?? 254, logger: this.log, thread: init.writer ?? 'auto', ...(init.metric === undefined ? {} : { metric: init.metric }) });
  }

  /** Dumps the kernel's Wren routes (adopting them), subscribes to changes, applies set()s made so far. */
  async start(): Promise<void> {
    const routes = await this.dumpTable();
    for (const [k, r] of indexRoutes(routes)) this.setHave(this.state.obtain(k), r);
    this.kernel.subscribe({
      onRoute: (ev) => this.onKernelRoute(ev),
      onForeignRoute: (ev) => this.onNextHopChange(this.nextHops.onRoute(ev)),
      onResync: (reason) => this.requestResync(reason === 'paused' ? 'notifications-paused' : 'notifications-lost'),
      onLinkChange: () => this.retryNow(),
      onLink: (ev) => {
        if (this.nextHops.needsDump(ev)) this.requestResync('link-down');
      },
    });
    this.started = true;
    const thread = this.kernel instanceof NetlinkAdapter ? { thread: this.kernel.thread } : {};
    this.log.info({ event: 'fib.started', adopted: this.installedCount, protocol: this.protocol, ...thread }, 'fib programmer started');
    if (this.resyncIntervalMs > 0) {
      this.resyncTimer = setInterval(() => this.requestResync('periodic'), this.resyncIntervalMs);
      this.resyncTimer.unref();
    }
    this.scheduleFlush();
  }

  /** The RIB's current wish for one prefix; null withdraws it (the kernel route goes at once). */
  set(prefix: RouteKey, target: FibTarget): void {
    if (this.stopped) return;
    if (target === null || (Array.isArray(target) && target.length === 0)) {
      // Nothing known about the prefix: nothing to withdraw.
      const s = this.state.get(prefix);
      if (s === undefined) return;
      s.want = undefined;
      s.wish = undefined;
      this.clearFailure(s);
      this.markDirty(s);
      this.flushIfLarge();
      return;
    }
    const s = this.state.obtain(prefix);
    if (target === 'blackhole') {
      s.want = { prefix, nextHops: [], blackhole: true };
      s.wish = undefined;
    } else if ('device' in target) {
      s.want = { prefix, nextHops: [], device: target.device };
      s.wish = undefined;
    } else {
      const wish = this.hops.intern(target);
      // Unresolvable next hops go as they are: the kernel says why it refuses them.
      const hops = this.nextHops.translate(wish) ?? wish;
      s.want = { prefix, nextHops: hops };
      s.wish = hops === wish ? undefined : wish;
    }
    this.clearFailure(s);
    this.markDirty(s);
    this.flushIfLarge();
  }

  /**
   * A session that may bring a full table has come up (any peer that is not a cluster node):
   * with `kernel.writer: auto` the writer thread starts now, before the routes arrive.
   */
  expectBurst(): void {
    if (!this.stopped) this.kernel.prepareForBurst?.();
  }

  /** The RIB has converged: Wren routes it does not want are deleted (once). */
  converged(): void {
    if (this.isConverged) return;
    this.isConverged = true;
    let stale = 0;
    this.state.forEach((s) => {
      if (s.have !== undefined && s.want === undefined) {
        stale++;
        this.markDirty(s);
      }
    });
    this.log.info({ event: 'fib.converged', stale }, 'RIB converged; removing stale routes');
  }

  stats(): FibStats {
    return { installed: this.installedCount, pending: this.dirtyCount + this.inFlightCount, failed: this.failed.size, driftRepaired: this.driftRepaired };
  }

  /**
   * Waits (at most `timeoutMs`) until the prefix's wish is applied; resolves with the errno
   * name when the kernel refused it, or null (installed, or still pending at the deadline).
   */
  async outcome(prefix: RouteKey, timeoutMs: number): Promise<string | null> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const s = this.state.get(prefix);
      if (s === undefined || (!s.dirty && !s.inFlight)) return s?.failure?.code ?? null;
      if (performance.now() >= deadline) return null;
      // A macrotask at least: the flush runs from setImmediate, never from a microtask.
      if (this.applying.size === 0) await new Promise<void>((r) => setImmediate(r));
      else await Promise.race([...this.applying, new Promise<void>((r) => setTimeout(r, Math.max(1, deadline - performance.now())).unref())]);
    }
  }

  /** Waits until nothing is dirty or in flight (failed prefixes waiting for a retry do not count). */
  async settled(): Promise<void> {
    while (this.applying.size > 0 || this.flushTimer !== undefined || this.resyncRunning !== undefined) {
      await Promise.all([...this.applying, this.resyncRunning]);
      if (this.flushTimer !== undefined) await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** Stops; with flush, removes every Wren route first (kernel.flushOnExit), else they stay. */
  async stop(opts: { flush?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.flushTimer !== undefined) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    clearTimeout(this.retryTimer);
    clearInterval(this.resyncTimer);
    await Promise.allSettled([...this.applying, this.resyncRunning]);
    let flushed = 0;
    if (opts.flush === true) {
      try {
        const ours = await this.kernel.dump();
        const failures = await this.kernel.apply(ours.map((route) => ({ kind: 'delete' as const, route })));
        flushed = ours.length - failures.length;
        for (const f of failures.slice(0, LOG_FAILURES_PER_BATCH)) {
          this.log.warn({ event: 'route.remove-failed', prefix: prefixText(f.op.route.prefix), errno: f.code }, 'could not remove route on exit');
        }
      } catch (err) {
        this.log.error({ event: 'route.remove-failed', errno: errorCode(err) }, 'could not flush routes on exit');
      }
    }
    this.kernel.close();
    this.log.info({ event: 'fib.stopped', flushed, kept: opts.flush === true ? 0 : this.installedCount }, 'fib programmer stopped');
  }

  /** One dump of our table: our routes returned, the others handed to next-hop resolution. */
  private async dumpTable(): Promise<DesiredRoute[]> {
    const k = this.kernel;
    if (k.dumpAll === undefined) return k.dump();
    const first = !this.nextHops.table.loaded;
    this.nextHops.dumpStarted();
    let d: TableDump;
    try {
      d = await k.dumpAll();
    } catch (err) {
      this.nextHops.dumpDone(undefined);
      throw err;
    }
    const ch = this.nextHops.dumpDone(d.foreign);
    if (first) {
      this.log.info({ event: 'next-hop.kernel-loaded', routes: this.nextHops.table.size }, 'next hops resolved from the kernel routing table');
      this.retranslate(undefined);
    } else {
      this.onNextHopChange(ch);
    }
    return d.ours;
  }

  private onNextHopChange(ch: NextHopTableChange): void {
    if (this.stopped || (!ch.all && ch.nextHops.size === 0)) return;
    this.retranslate(ch.all ? undefined : ch.nextHops);
  }

  /**
   * Next hops' answers changed: routes through them get their kernel next hops again (all
   * routes when `only` is undefined). A next hop that became unresolvable is left as it is:
   * the RIB withdraws or replaces the route once it has recomputed.
   */
  private retranslate(only: ReadonlySet<number | string> | undefined): void {
    let changed = 0;
    this.state.forEach((s) => {
      const want = s.want;
      if (want === undefined || want.blackhole === true || want.device !== undefined) return;
      const wish = s.wish ?? want.nextHops;
      if (only !== undefined && !wish.some((h) => only.has(h.gateway))) return;
      const hops = this.nextHops.translate(wish);
      if (hops === undefined || sameNextHops(hops, want.nextHops)) return;
      s.want = { prefix: want.prefix, nextHops: hops };
      s.wish = hops === wish ? undefined : wish;
      this.clearFailure(s);
      this.markDirty(s);
      changed++;
    });
    if (changed > 0) this.log.info({ event: 'next-hop.reinstall', routes: changed }, 'kernel next hops changed; re-installing routes through them');
  }

  private setHave(s: RouteState, route: DesiredRoute | undefined): void {
    if ((s.have === undefined) !== (route === undefined)) this.installedCount += route === undefined ? -1 : 1;
    s.have = route;
  }

  private clearFailure(s: RouteState): void {
    if (s.failure === undefined) return;
    s.failure = undefined;
    this.failed.delete(s);
  }

  /** Queues the prefix (once) without scheduling a flush. */
  private enqueue(s: RouteState): void {
    if (s.dirty) return;
    s.dirty = true;
    this.dirtyCount++;
    this.queue.push(s);
  }

  private markDirty(s: RouteState): void {
    this.enqueue(s);
    this.scheduleFlush();
  }

  /**
   * A large burst (a peer's full table arriving in one read) goes out in slices while the RIB
   * is still working through it, so the kernel (on the netlink worker) starts at once. Only
   * from set(): elsewhere we may be iterating the state table, which a flush may shrink.
   */
  private flushIfLarge(): void {
    if (this.dirtyCount < this.flushEarly || !this.started || this.stopped) return;
    if (this.flushTimer !== undefined) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    this.flush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== undefined || !this.started || this.stopped || this.dirtyCount === 0) return;
    this.flushTimer = setImmediate(() => {
      this.flushTimer = undefined;
      this.flush();
    });
  }

  private flush(): void {
    const ops: RouteOp[] = [];
    const batch: RouteState[] = [];
    const queue = this.queue;
    this.queue = [];
    for (const s of queue) {
      if (!s.dirty) continue;
      if (s.inFlight) {
        this.queue.push(s); // applied again when the op in flight completes
        continue;
      }
      s.dirty = false;
      this.dirtyCount--;
      // A dirty prefix the RIB does not want is either withdrawn or (after convergence) stale.
      const step = diffOne(s.want, s.have, { converged: true });
      if (step === undefined) {
        s.drifted = false;
        this.state.release(s);
        continue;
      }
      ops.push(step);
      batch.push(s);
      s.inFlight = true;
      this.inFlightCount++;
      s.echoes++;
    }
    if (ops.length === 0) return;
    const started = performance.now();
    const p = this.kernel
      .apply(ops)
      .then(
        (failures) => this.onApplied(ops, batch, failures, performance.now() - started),
        (err: unknown) => this.onApplied(ops, batch, ops.map((op) => ({ op, errno: 0, code: errorCode(err) })), performance.now() - started),
      )
      .finally(() => this.applying.delete(p));
    this.applying.add(p);
  }

  /** `batch[i]` is the state of `ops[i]`. */
  private onApplied(ops: readonly RouteOp[], batch: readonly RouteState[], failures: readonly RouteOpFailure[], ms: number): void {
    const failedOps = new Map<RouteOp, RouteOpFailure>();
    for (const f of failures) failedOps.set(f.op, f);
    let logged = 0;
    const codes: Record<string, number> = {};
    let resync = false;
    const now = performance.now();
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      const s = batch[i]!;
      const key = s.key;
      s.inFlight = false;
      this.inFlightCount--;
      const f = failures.length === 0 ? undefined : failedOps.get(op);
      if (f === undefined) {
        // (A notification from someone else while the op was in flight was already applied to
        // `have` and marked the prefix dirty; the diff after this completion decides again.)
        this.setHave(s, op.kind === 'delete' ? undefined : op.route);
        const before = s.failure;
        if (before !== undefined) {
          this.clearFailure(s);
          this.log.info({ event: 'route.install-recovered', prefix: prefixText(key), attempts: before.attempts + 1 }, 'route installed after retry');
        }
        if (s.drifted) {
          s.drifted = false;
          this.driftRepaired++;
        }
      } else {
        if (s.echoes > 0) s.echoes--;
        const attempts = (s.failure?.attempts ?? 0) + 1;
        // Encoding errors are permanent until the RIB says something else.
        const delay = f.errno === 0 && f.code === 'route-encode-invalid' ? Infinity : Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** (attempts - 1));
        s.failure = { attempts, code: f.code, retryAt: now + delay };
        this.failed.add(s);
        codes[f.code] = (codes[f.code] ?? 0) + 1;
        if (RESYNC_CODES.has(f.code)) resync = true;
        if (logged++ < LOG_FAILURES_PER_BATCH) {
          this.log.warn(
            { event: 'route.install-failed', prefix: prefixText(key), op: op.kind, errno: f.code, attempt: attempts, retryInMs: Number.isFinite(delay) ? delay : null },
            'kernel refused route',
          );
        }
      }
      if (s.dirty) this.scheduleFlush();
      else this.state.release(s);
    }
    if (failures.length > LOG_FAILURES_PER_BATCH) {
      this.log.warn({ event: 'route.install-failed', count: failures.length, codes }, 'kernel refused routes (summary)');
    }
    this.log.debug({ event: 'fib.batch-applied', ops: ops.length, failed: failures.length, ms: Math.round(ms) }, 'batch applied');
    if (failures.length > 0) this.armRetry();
    if (resync) this.requestResync('uncertain-state');
  }

  private armRetry(): void {
    clearTimeout(this.retryTimer);
    let next = Infinity;
    for (const s of this.failed) next = Math.min(next, s.failure?.retryAt ?? Infinity);
    if (!Number.isFinite(next) || this.stopped) return;
    this.retryTimer = setTimeout(() => this.retryDue(), Math.max(0, next - performance.now()));
    this.retryTimer.unref();
  }

  private retryDue(): void {
    const now = performance.now();
    for (const s of this.failed) if (s.failure !== undefined && s.failure.retryAt <= now) this.enqueue(s);
    this.scheduleFlush();
    this.armRetry();
  }

  /** A link or address changed: retry every failed prefix now (keeping its attempt count). */
  private retryNow(): void {
    if (this.failed.size === 0) return;
    const now = performance.now();
    for (const s of this.failed) if (s.failure !== undefined && Number.isFinite(s.failure.retryAt)) s.failure.retryAt = now;
    this.retryDue();
  }

  private onKernelRoute(ev: KernelRouteEvent): void {
    if (ev.protocol !== this.protocol || this.stopped) return; // never ours to touch
    const key = ev.route.prefix;
    let s = this.state.get(key);
    if (s !== undefined && s.echoes > 0) {
      s.echoes--; // the kernel telling us about our own op
      this.state.release(s);
      return;
    }
    const want = s?.want;
    if (ev.kind === 'del') {
      if (s === undefined) return;
      this.setHave(s, undefined);
      if (want === undefined) {
        this.state.release(s);
        return;
      }
      this.drift(s, 'deleted');
    } else {
      s ??= this.state.obtain(key);
      this.setHave(s, ev.route);
      if (want !== undefined ? !routeSatisfies(want, ev.route) : this.isConverged) this.drift(s, want === undefined ? 'added' : 'changed');
    }
  }

  private drift(s: RouteState, change: 'deleted' | 'changed' | 'added' | 'missing', log = true): void {
    if (log) this.log.warn({ event: 'route.drift', prefix: prefixText(s.key), change }, 'Wren route changed by someone else; repairing');
    s.drifted = true;
    this.clearFailure(s);
    this.markDirty(s);
  }

  /** Full dump and diff; coalesced (one runs at a time, one more queued at most). */
  private requestResync(reason: string): void {
    if (this.stopped || !this.started) return;
    if (this.resyncRunning !== undefined) {
      this.resyncAgain = true;
      return;
    }
    this.resyncRunning = this.resync(reason)
      .catch((err: unknown) => this.log.error({ event: 'fib.resync-failed', errno: errorCode(err) }, 'resync failed'))
      .finally(() => {
        this.resyncRunning = undefined;
        if (this.resyncAgain) {
          this.resyncAgain = false;
          this.requestResync('queued');
        }
      });
  }

  private async resync(reason: string): Promise<void> {
    // Let the ops in flight land first, so the dump and our view agree on them.
    await Promise.allSettled([...this.applying]);
    const dumped = indexRoutes(await this.dumpTable());
    if (this.stopped) return;
    this.state.forEach((s) => {
      s.echoes = 0;
      if (s.have !== undefined && !dumped.has(s.key) && !s.inFlight) this.setHave(s, undefined);
    });
    for (const [key, have] of dumped) {
      const s = this.state.obtain(key);
      if (!s.inFlight) this.setHave(s, have);
    }
    let repaired = 0;
    this.state.forEach((s) => {
      const want = s.want;
      if (want !== undefined && !s.inFlight && !s.dirty && s.failure === undefined) {
        const have = s.have;
        if (have === undefined || !routeSatisfies(want, have)) {
          this.drift(s, have === undefined ? 'missing' : 'changed', repaired++ < LOG_FAILURES_PER_BATCH);
        }
      }
      if (this.isConverged && s.have !== undefined && s.want === undefined) this.markDirty(s);
      this.state.release(s);
    });
    if (repaired > 0) this.log.warn({ event: 'route.drift', change: 'resync', count: repaired }, 'resync found Wren routes out of place');
    this.log.info({ event: 'fib.resync', reason, kernel: dumped.size, repaired }, 'resync done');
  }
}

function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return 'unknown';
}
