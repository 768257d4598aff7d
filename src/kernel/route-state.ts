// The FIB programmer's per-prefix state, one record per prefix in one table.
//
// Why not a Map/Set per concern (desired, in kernel, dirty, in flight, echoes …): IPv4 prefix
// keys (address*64+length, up to 2^38) are not V8 small integers, so every Map/Set entry boxes
// its key as a heap number and every lookup hashes one; with six collections that was ~10
// hash operations and several boxes per route, the top of the 100k-route profile. One record
// per prefix in an Ipv4PrefixTable (unboxed Float64Array keys, see src/rib/prefix-table.ts)
// costs one lookup per event and no boxing. IPv6 keys are strings and stay in a Map.

import { Ipv4PrefixTable } from '../rib/prefix-table.js';
import type { DesiredRoute, KernelNextHop, RouteKey } from './types.js';

export interface Failure {
  attempts: number;
  code: string;
  retryAt: number;
}

export interface RouteState {
  readonly key: RouteKey;
  /** What the RIB wants, as the kernel gets it; undefined: nothing (withdrawn, or never wanted). */
  want: DesiredRoute | undefined;
  /**
   * The RIB's own next hops when `want` carries others (a next hop behind a gateway route is
   * installed through that route's gateways, next-hop-feed.ts); undefined when they are the same.
   */
  wish: KernelNextHop[] | undefined;
  /** Our route in the kernel as far as we know (dump, our acked ops, notifications). */
  have: DesiredRoute | undefined;
  /** Waiting in the programmer's queue to be diffed and applied. */
  dirty: boolean;
  /** An op for it was sent and not yet acknowledged. */
  inFlight: boolean;
  /** Notifications we expect because we sent ops (one echo per op). */
  echoes: number;
  /** The last attempt failed; retried at retryAt. */
  failure: Failure | undefined;
  /** Changed by someone else; being put back. */
  drifted: boolean;
}

/** RouteKey → RouteState: IPv4 in an Ipv4PrefixTable, IPv6 in a Map. */
export class RouteStateTable {
  private readonly v4 = new Ipv4PrefixTable<RouteState>();
  private readonly v6 = new Map<string, RouteState>();

  get size(): number {
    return this.v4.size + this.v6.size;
  }

  get(key: RouteKey): RouteState | undefined {
    return typeof key === 'number' ? this.v4.get(key) : this.v6.get(key);
  }

  /** The state of `key`, created empty if absent. Never call during forEach. */
  obtain(key: RouteKey): RouteState {
    let s = this.get(key);
    if (s === undefined) {
      s = { key, want: undefined, wish: undefined, have: undefined, dirty: false, inFlight: false, echoes: 0, failure: undefined, drifted: false };
      if (typeof key === 'number') this.v4.set(key, s);
      else this.v6.set(key, s);
    }
    return s;
  }

  /** Forgets a state that says nothing any more (no route, nothing pending). */
  release(s: RouteState): void {
    if (s.want !== undefined || s.have !== undefined || s.dirty || s.inFlight || s.echoes > 0 || s.failure !== undefined || s.drifted) return;
    if (typeof s.key === 'number') this.v4.delete(s.key);
    else this.v6.delete(s.key);
  }

  /** Visits every state; the callback may release the current one, never obtain a new one. */
  forEach(fn: (s: RouteState) => void): void {
    this.v4.forEach(fn);
    this.v6.forEach(fn);
  }
}

function sameHop(a: KernelNextHop, b: KernelNextHop): boolean {
  return a.gateway === b.gateway && a.ifindex === b.ifindex && a.onlink === b.onlink;
}

/**
 * Shares one canonical next-hop list between consecutive prefixes with the same next hops (a
 * peer's UPDATE carries many prefixes with one next hop), instead of a fresh copy per prefix.
 * The lists handed out are never mutated.
 */
export class NextHopInterner {
  private last: KernelNextHop[] = [];

  constructor(private readonly canonical: (nh: KernelNextHop) => KernelNextHop) {}

  intern(hops: readonly KernelNextHop[]): KernelNextHop[] {
    const last = this.last;
    if (hops.length === last.length && hops.length > 0) {
      let same = true;
      for (let i = 0; i < hops.length; i++) {
        if (!sameHop(hops[i]!, last[i]!)) {
          same = false;
          break;
        }
      }
      if (same) return last;
    }
    this.last = hops.map(this.canonical);
    return this.last;
  }
}
