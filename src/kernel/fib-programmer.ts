// The FIB programmer: keeps the kernel's Wren routes equal to what the Loc-RIB wants.
// I/O shell around the pure diff (diff.ts); the kernel is reached only through a
// KernelRoutePort (the netlink adapter in the daemon, a fake in unit tests).
//
// - set() records the RIB's wish and marks the prefix dirty; dirty prefixes are applied in the
//   next event-loop turn as one pipelined batch, so a burst of RIB changes coalesces per prefix.
// - start() dumps the kernel and adopts our routes (equal ones are never touched); routes the
//   RIB does not want go only at converged(), so a restart never makes the data plane blink.
// - Route notifications with our protocol that we did not cause (each op we send expects one
//   echo) are drift: the route is put back at once and logged as 'route.drift'.
// - Failures are retried with exponential back-off, and at once when a link or address changes
//   (the usual cure for ENETUNREACH / ENODEV). Lost notifications (ENOBUFS), unknown outcomes
//   and EEXIST trigger a full resync (dump + diff), which also runs periodically.

import type { Logger } from 'pino';
import { bytesToIpv6, formatPrefix4, ipv6ToBytes } from '../lib/prefix.js';
import { diffOne, indexRoutes, routeSatisfies } from './diff.js';
import { NetlinkAdapter } from './netlink-adapter.js';
import type { DesiredRoute, KernelNextHop, KernelRouteEvent, KernelRoutePort, RouteKey, RouteOp, RouteOpFailure } from './types.js';

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
export type FibTarget = readonly KernelNextHop[] | 'blackhole' | null;

interface Failure {
  attempts: number;
  code: string;
  retryAt: number;
}

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
  private readonly protocol: number;
  private readonly log: Logger;
  private readonly kernel: KernelRoutePort;
  private readonly resyncIntervalMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly desired = new Map<RouteKey, DesiredRoute>();
  /** Our routes in the kernel as far as we know (dump, our acked ops, notifications). */
  private readonly inKernel = new Map<RouteKey, DesiredRoute>();
  private readonly dirty = new Set<RouteKey>();
  private readonly inFlight = new Set<RouteKey>();
  private readonly failures = new Map<RouteKey, Failure>();
  /** Notifications we expect because we sent the op (one echo per op). */
  private readonly echoes = new Map<RouteKey, number>();
  private readonly drifted = new Set<RouteKey>();
  private readonly touchedInFlight = new Set<RouteKey>();
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
    this.kernel =
      components.kernel ??
      new NetlinkAdapter({ protocol: this.protocol, table: init.table ?? 254, ...(init.metric === undefined ? {} : { metric: init.metric }) });
  }

  /** Dumps the kernel's Wren routes (adopting them), subscribes to changes, applies set()s made so far. */
  async start(): Promise<void> {
    const routes = await this.kernel.dump();
    for (const [k, r] of indexRoutes(routes)) this.inKernel.set(k, r);
    this.kernel.subscribe({
      onRoute: (ev) => this.onKernelRoute(ev),
      onResync: (reason) => this.requestResync(reason === 'paused' ? 'notifications-paused' : 'notifications-lost'),
      onLinkChange: () => this.retryNow(),
    });
    this.started = true;
    this.log.info({ event: 'fib.started', adopted: this.inKernel.size, protocol: this.protocol }, 'fib programmer started');
    if (this.resyncIntervalMs > 0) {
      this.resyncTimer = setInterval(() => this.requestResync('periodic'), this.resyncIntervalMs);
      this.resyncTimer.unref();
    }
    this.scheduleFlush();
  }

  /** The RIB's current wish for one prefix; null withdraws it (the kernel route goes at once). */
  set(prefix: RouteKey, target: FibTarget): void {
    if (this.stopped) return;
    if (target === null || (target !== 'blackhole' && target.length === 0)) this.desired.delete(prefix);
    else if (target === 'blackhole') this.desired.set(prefix, { prefix, nextHops: [], blackhole: true });
    else this.desired.set(prefix, { prefix, nextHops: target.map(canonicalHop) });
    this.failures.delete(prefix);
    this.markDirty(prefix);
  }

  /** The RIB has converged: Wren routes it does not want are deleted (once). */
  converged(): void {
    if (this.isConverged) return;
    this.isConverged = true;
    let stale = 0;
    for (const k of this.inKernel.keys()) {
      if (!this.desired.has(k)) {
        stale++;
        this.markDirty(k);
      }
    }
    this.log.info({ event: 'fib.converged', stale }, 'RIB converged; removing stale routes');
  }

  stats(): FibStats {
    return { installed: this.inKernel.size, pending: this.dirty.size + this.inFlight.size, failed: this.failures.size, driftRepaired: this.driftRepaired };
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
    this.log.info({ event: 'fib.stopped', flushed, kept: opts.flush === true ? 0 : this.inKernel.size }, 'fib programmer stopped');
  }

  private markDirty(key: RouteKey): void {
    this.dirty.add(key);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== undefined || !this.started || this.stopped || this.dirty.size === 0) return;
    this.flushTimer = setImmediate(() => {
      this.flushTimer = undefined;
      this.flush();
    });
  }

  private flush(): void {
    const ops: RouteOp[] = [];
    for (const key of this.dirty) {
      if (this.inFlight.has(key)) continue; // applied again when the op in flight completes
      this.dirty.delete(key);
      // A dirty prefix the RIB does not want is either withdrawn or (after convergence) stale.
      const step = diffOne(this.desired.get(key), this.inKernel.get(key), { converged: true });
      if (step === undefined) {
        this.drifted.delete(key);
        continue;
      }
      ops.push(step);
      this.inFlight.add(key);
      this.echoes.set(key, (this.echoes.get(key) ?? 0) + 1);
    }
    if (ops.length === 0) return;
    const started = performance.now();
    const p = this.kernel
      .apply(ops)
      .then(
        (failures) => this.onApplied(ops, failures, performance.now() - started),
        (err: unknown) => this.onApplied(ops, ops.map((op) => ({ op, errno: 0, code: errorCode(err) })), performance.now() - started),
      )
      .finally(() => this.applying.delete(p));
    this.applying.add(p);
  }

  private onApplied(ops: readonly RouteOp[], failures: readonly RouteOpFailure[], ms: number): void {
    const failedOps = new Map<RouteOp, RouteOpFailure>();
    for (const f of failures) failedOps.set(f.op, f);
    let logged = 0;
    const codes: Record<string, number> = {};
    let resync = false;
    const now = performance.now();
    for (const op of ops) {
      const key = op.route.prefix;
      this.inFlight.delete(key);
      this.touchedInFlight.delete(key);
      const f = failedOps.get(op);
      if (f === undefined) {
        if (op.kind === 'delete' || this.touchedInFlight.has(key)) this.inKernel.delete(key);
        else this.inKernel.set(key, op.route);
        const before = this.failures.get(key);
        if (before !== undefined) {
          this.failures.delete(key);
          this.log.info({ event: 'route.install-recovered', prefix: prefixText(key), attempts: before.attempts + 1 }, 'route installed after retry');
        }
        if (this.drifted.delete(key)) this.driftRepaired++;
      } else {
        this.dropEcho(key);
        const attempts = (this.failures.get(key)?.attempts ?? 0) + 1;
        // Encoding errors are permanent until the RIB says something else.
        const delay = f.errno === 0 && f.code === 'route-encode-invalid' ? Infinity : Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** (attempts - 1));
        this.failures.set(key, { attempts, code: f.code, retryAt: now + delay });
        codes[f.code] = (codes[f.code] ?? 0) + 1;
        if (RESYNC_CODES.has(f.code)) resync = true;
        if (logged++ < LOG_FAILURES_PER_BATCH) {
          this.log.warn(
            { event: 'route.install-failed', prefix: prefixText(key), op: op.kind, errno: f.code, attempt: attempts, retryInMs: Number.isFinite(delay) ? delay : null },
            'kernel refused route',
          );
        }
      }
      if (this.dirty.has(key)) this.scheduleFlush();
    }
    if (failures.length > LOG_FAILURES_PER_BATCH) {
      this.log.warn({ event: 'route.install-failed', count: failures.length, codes }, 'kernel refused routes (summary)');
    }
    this.log.debug({ event: 'fib.batch-applied', ops: ops.length, failed: failures.length, ms: Math.round(ms) }, 'batch applied');
    if (failures.length > 0) this.armRetry();
    if (resync) this.requestResync('uncertain-state');
  }

  private dropEcho(key: RouteKey): void {
    const n = (this.echoes.get(key) ?? 0) - 1;
    if (n > 0) this.echoes.set(key, n);
    else this.echoes.delete(key);
  }

  private armRetry(): void {
    clearTimeout(this.retryTimer);
    let next = Infinity;
    for (const f of this.failures.values()) next = Math.min(next, f.retryAt);
    if (!Number.isFinite(next) || this.stopped) return;
    this.retryTimer = setTimeout(() => this.retryDue(), Math.max(0, next - performance.now()));
    this.retryTimer.unref();
  }

  private retryDue(): void {
    const now = performance.now();
    for (const [key, f] of this.failures) if (f.retryAt <= now) this.dirty.add(key);
    this.scheduleFlush();
    this.armRetry();
  }

  /** A link or address changed: retry every failed prefix now (keeping its attempt count). */
  private retryNow(): void {
    if (this.failures.size === 0) return;
    const now = performance.now();
    for (const f of this.failures.values()) if (Number.isFinite(f.retryAt)) f.retryAt = now;
    this.retryDue();
  }

  private onKernelRoute(ev: KernelRouteEvent): void {
    if (ev.protocol !== this.protocol || this.stopped) return; // never ours to touch
    const key = ev.route.prefix;
    if (this.echoes.has(key)) {
      this.dropEcho(key); // the kernel telling us about our own op
      return;
    }
    // Someone else touched it while our op was in flight: our op's success no longer says
    // what the kernel has, so forget it on completion and let the diff decide again.
    if (this.inFlight.has(key)) this.touchedInFlight.add(key);
    const want = this.desired.get(key);
    if (ev.kind === 'del') {
      this.inKernel.delete(key);
      if (want === undefined) return;
      this.drift(key, 'deleted');
    } else {
      this.inKernel.set(key, ev.route);
      if (want !== undefined ? !routeSatisfies(want, ev.route) : this.isConverged) this.drift(key, want === undefined ? 'added' : 'changed');
    }
  }

  private drift(key: RouteKey, change: 'deleted' | 'changed' | 'added' | 'missing', log = true): void {
    if (log) this.log.warn({ event: 'route.drift', prefix: prefixText(key), change }, 'Wren route changed by someone else; repairing');
    this.drifted.add(key);
    this.failures.delete(key);
    this.markDirty(key);
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
    const dumped = indexRoutes(await this.kernel.dump());
    if (this.stopped) return;
    this.echoes.clear();
    let repaired = 0;
    for (const key of [...this.inKernel.keys()]) if (!dumped.has(key) && !this.inFlight.has(key)) this.inKernel.delete(key);
    for (const [key, have] of dumped) if (!this.inFlight.has(key)) this.inKernel.set(key, have);
    for (const [key, want] of this.desired) {
      if (this.inFlight.has(key) || this.dirty.has(key) || this.failures.has(key)) continue;
      const have = this.inKernel.get(key);
      if (have === undefined || !routeSatisfies(want, have)) {
        this.drift(key, have === undefined ? 'missing' : 'changed', repaired++ < LOG_FAILURES_PER_BATCH);
      }
    }
    if (this.isConverged) for (const key of this.inKernel.keys()) if (!this.desired.has(key)) this.markDirty(key);
    if (repaired > 0) this.log.warn({ event: 'route.drift', change: 'resync', count: repaired }, 'resync found Wren routes out of place');
    this.log.info({ event: 'fib.resync', reason, kernel: dumped.size, repaired }, 'resync done');
  }
}

function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return 'unknown';
}
