// Keeps a KernelNextHopTable in step with the kernel and tells its users when answers changed.
// Pure glue (no sockets, no timers): the FIB programmer hands it its dumps and notifications,
// and asks it how to install a next hop; the route engine takes it as its resolver.
//
// - A dump replaces the whole table. Notifications that arrive while a dump runs are applied at
//   once and again after the dump's snapshot, in order: whether or not the dump saw a change,
//   the last word is the kernel's latest.
// - IPv4 flushes the routes through an interface that goes down, or loses its last address,
//   without a single notification. Such a link event asks for a dump, but only when a route
//   in the table uses that interface (pod veths come and go all the time and never matter).

import type { NextHopFeed, NextHopResolver } from '../rib/next-hop.js';
import { KernelNextHopTable, type NextHopTableChange } from './kernel-next-hops.js';
import type { ForeignRoute, ForeignRouteEvent, KernelNextHop, LinkEvent } from './types.js';

export interface KernelNextHopFeedInit {
  /** Wren's routing protocol number (its routes are never used to resolve). Default 199. */
  protocol?: number;
}

const NO_CHANGE: NextHopTableChange = Object.freeze({ decision: false, nextHops: new Set<number | string>(), all: false });
/** Notifications kept for replay during one dump; beyond, the dump after the next one fixes it. */
const REPLAY_MAX = 65536;

export class KernelNextHopFeed implements NextHopFeed {
  readonly table: KernelNextHopTable;
  private readonly listeners = new Set<() => void>();
  private replay: ForeignRouteEvent[] | null = null;
  /** Bumped whenever an answer changed: invalidates the translation cache. */
  private generation = 0;
  private lastIn: KernelNextHop[] | undefined;
  private lastOut: KernelNextHop[] | undefined;
  private lastGeneration = -1;

  constructor(init: KernelNextHopFeedInit = {}) {
    this.table = new KernelNextHopTable({ protocol: init.protocol ?? 199 });
  }

  get resolver(): NextHopResolver | null {
    return this.table.loaded ? this.table : null;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A dump of the table starts: notifications from now on are kept for replay. */
  dumpStarted(): void {
    this.replay = [];
  }

  /**
   * The dump is done: `routes` are the non-Wren routes it found (undefined: the dump failed, or
   * the kernel port cannot report them; the table then stays as it is).
   */
  dumpDone(routes: readonly ForeignRoute[] | undefined): NextHopTableChange {
    const replay = this.replay ?? [];
    this.replay = null;
    if (routes === undefined) return NO_CHANGE;
    const first = !this.table.loaded;
    const ch = this.table.replaceAll(routes, replay);
    this.changed(ch, first);
    return ch;
  }

  /** A route notification (not Wren's). */
  onRoute(ev: ForeignRouteEvent): NextHopTableChange {
    if (this.replay !== null && this.replay.length < REPLAY_MAX) this.replay.push(ev);
    if (!this.table.loaded) return NO_CHANGE;
    const ch = this.table.apply(ev);
    this.changed(ch, false);
    return ch;
  }

  /** True when the kernel may have removed routes of the table without telling: dump it again. */
  needsDump(ev: LinkEvent): boolean {
    const gone = ev.kind === 'link-del' || ev.kind === 'addr-del' || (ev.kind === 'link-new' && ev.up === false);
    return gone && this.table.references(ev.ifindex);
  }

  /**
   * The next hops to install for the RIB's `hops`: each one behind a gateway route becomes that
   * route's gateways (the kernel refuses a gateway that is not directly reachable). The same
   * array when nothing changes (or the table is not loaded yet); undefined when a next hop
   * cannot be resolved at all. Arrays handed in or out are never mutated.
   */
  translate(hops: KernelNextHop[]): KernelNextHop[] | undefined {
    if (!this.table.loaded) return hops;
    if (hops === this.lastIn && this.generation === this.lastGeneration) return this.lastOut;
    const out = this.translateNow(hops);
    this.lastIn = hops;
    this.lastOut = out;
    this.lastGeneration = this.generation;
    return out;
  }

  private translateNow(hops: KernelNextHop[]): KernelNextHop[] | undefined {
    let out: KernelNextHop[] | undefined;
    for (let i = 0; i < hops.length; i++) {
      const h = hops[i]!;
      // An explicit interface or onlink: the caller knows where the next hop is.
      const a = h.ifindex !== undefined || h.onlink === true ? undefined : this.table.answer(h.gateway);
      if (a !== undefined && !a.reachable) return undefined;
      if (a === undefined || a.via === null) {
        if (out !== undefined && !out.some((x) => x.gateway === h.gateway && x.ifindex === h.ifindex)) out.push(h);
        continue;
      }
      out ??= hops.slice(0, i);
      for (const v of a.via) {
        if (!out.some((x) => x.gateway === v.gateway && x.ifindex === v.ifindex)) out.push(v);
      }
    }
    return out ?? hops;
  }

  private changed(ch: NextHopTableChange, first: boolean): void {
    if (ch.all || ch.nextHops.size > 0) this.generation++;
    if (!first && !ch.decision && !ch.all) return;
    for (const fn of [...this.listeners]) fn();
  }
}
