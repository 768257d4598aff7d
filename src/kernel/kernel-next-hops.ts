// Next-hop resolution from the kernel's own routing table (RFC 4271 §9.1.2.1): a longest-prefix
// match over the routes of our table that are not Wren's — connected subnets, static routes,
// other daemons' routes. Pure: the FIB programmer feeds it dumps and notifications.
//
// - Routes with Wren's protocol number are never used: a next hop resolved through a route we
//   installed from BGP would be recursive, and would keep itself alive after its cause is gone.
// - The best match decides, as in the kernel's own lookup: the most specific prefix, then the
//   lowest metric (RTA_PRIORITY). A unicast match makes the next hop reachable at igpCost =
//   that metric (connected routes all tie, as the connected resolver did). A blackhole,
//   unreachable, prohibit or throw match makes it unreachable: the kernel would drop the
//   traffic there rather than fall back to a less specific route. Local, broadcast, multicast
//   and other types, and routes for one ToS only, are not used at all.
// - When the match is a gateway route, the answer carries that route's gateways (`via`): the
//   kernel accepts only directly reachable gateways, so the FIB installs those instead (as
//   BIRD's recursive gateways and zebra's resolved next hops do).
// - Answers are memoised per next hop asked about (a handful: one per peer or node); every
//   change recomputes the memoised next hops it covers, so a change reports exactly which
//   answers changed and whether the decision process must run again.

import { ipv6ToBytes, prefix4Address, prefix4Length } from '../lib/prefix.js';
import type { NextHopResolution, NextHopResolver } from '../rib/next-hop.js';
import { sameNextHops } from './diff.js';
import type { ForeignHop, ForeignRoute, ForeignRouteEvent, ForeignRouteType, KernelNextHop } from './types.js';

export interface KernelNextHopAnswer extends NextHopResolution {
  /**
   * The gateways traffic to the next hop leaves through when its best match is a gateway
   * route; null when the next hop is directly connected (or unreachable).
   */
  readonly via: readonly KernelNextHop[] | null;
}

export interface NextHopTableChange {
  /** Some next hop's reachability or cost changed: the decision process must run again. */
  readonly decision: boolean;
  /** The next hops whose answer changed in any way (reachability, cost or `via`). */
  readonly nextHops: ReadonlySet<number | string>;
  /** Which answers changed is unknown (too many next hops to track): assume every one did. */
  readonly all: boolean;
}

export interface KernelNextHopTableInit {
  /** Wren's routing protocol number: routes with it are never used. Default 199. */
  protocol?: number;
}

interface Entry {
  type: ForeignRouteType;
  metric: number;
  hops: ForeignHop[];
}

/** Routes of one prefix, by metric. */
type Bucket = Map<number, Entry>;

interface Touched {
  v4: boolean;
  len: number;
  key: number | string;
}

interface Memo {
  answer: KernelNextHopAnswer;
  /** IPv6 only: the address as 32 hex digits. */
  hex?: string;
}

const UNREACHABLE_ANSWER: KernelNextHopAnswer = Object.freeze({ reachable: false, igpCost: Infinity, via: null });
const NO_CHANGE: NextHopTableChange = Object.freeze({ decision: false, nextHops: new Set<number | string>(), all: false });
/** Next hops memoised at most; beyond, the memo starts over and the next change reports `all`. */
const MEMO_MAX = 65536;
/** A change touching more prefixes than this recomputes every memoised next hop. */
const TOUCH_SCAN_MAX = 32;

const mask4 = (len: number): number => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);

/** The first `len` bits of a 32-digit hex address, as hex digits (the last one masked). */
function hexPrefix(hex: string, len: number): string {
  const full = len >> 2;
  const rest = len & 3;
  if (rest === 0) return hex.slice(0, full);
  const nibble = parseInt(hex[full]!, 16) & (0xf0 >> rest) & 0xf;
  return hex.slice(0, full) + nibble.toString(16);
}

function hexOf(address: string): string | undefined {
  try {
    return ipv6ToBytes(address).toString('hex');
  } catch {
    return undefined;
  }
}

/** Longest-prefix match over buckets keyed by (length, masked key). */
class LpmTable<K extends number | string> {
  private readonly byLen: (Map<K, Bucket> | undefined)[];
  /** Lengths with at least one bucket, longest first. */
  private lens: number[] = [];

  constructor(maxLen: number) {
    this.byLen = new Array<Map<K, Bucket> | undefined>(maxLen + 1);
  }

  get(len: number, key: K): Bucket | undefined {
    return this.byLen[len]?.get(key);
  }

  obtain(len: number, key: K): Bucket {
    let m = this.byLen[len];
    if (m === undefined) {
      m = new Map();
      this.byLen[len] = m;
      this.lens = [...this.lens, len].sort((a, b) => b - a);
    }
    let b = m.get(key);
    if (b === undefined) {
      b = new Map();
      m.set(key, b);
    }
    return b;
  }

  dropIfEmpty(len: number, key: K): void {
    const m = this.byLen[len];
    const b = m?.get(key);
    if (m === undefined || b === undefined || b.size > 0) return;
    m.delete(key);
    if (m.size === 0) {
      this.byLen[len] = undefined;
      this.lens = this.lens.filter((l) => l !== len);
    }
  }

  /** The most specific bucket whose key matches `keyAt(len)`. */
  match(keyAt: (len: number) => K): Bucket | undefined {
    for (const len of this.lens) {
      const b = this.byLen[len]!.get(keyAt(len));
      if (b !== undefined) return b;
    }
    return undefined;
  }

  clear(): void {
    this.byLen.fill(undefined);
    this.lens = [];
  }
}

function sameHop(a: ForeignHop, b: ForeignHop): boolean {
  return a.gateway === b.gateway && a.ifindex === b.ifindex;
}

function sameVia(a: readonly KernelNextHop[] | null, b: readonly KernelNextHop[] | null): boolean {
  if (a === null || b === null) return a === b;
  return sameNextHops(a, b);
}

function sameAnswer(a: KernelNextHopAnswer, b: KernelNextHopAnswer): boolean {
  return a.reachable === b.reachable && a.igpCost === b.igpCost && sameVia(a.via, b.via);
}

function answerOf(bucket: Bucket | undefined): KernelNextHopAnswer {
  if (bucket === undefined) return UNREACHABLE_ANSWER;
  let best: Entry | undefined;
  for (const e of bucket.values()) if (best === undefined || e.metric < best.metric) best = e;
  if (best === undefined || best.type !== 'unicast') return UNREACHABLE_ANSWER;
  // Any hop without a gateway means the next hop is on that link: install it as it is.
  let via: KernelNextHop[] | null = best.hops.length > 0 ? [] : null;
  for (const h of best.hops) {
    if (h.gateway === undefined) {
      via = null;
      break;
    }
    const v: KernelNextHop = { gateway: h.gateway };
    if (h.ifindex !== undefined) v.ifindex = h.ifindex;
    if (h.onlink === true) v.onlink = true;
    via!.push(v);
  }
  return Object.freeze({ reachable: true, igpCost: best.metric, via: via === null ? null : Object.freeze(via) });
}

export class KernelNextHopTable implements NextHopResolver {
  readonly protocol: number;
  private readonly v4 = new LpmTable<number>(32);
  private readonly v6 = new LpmTable<string>(128);
  private readonly memo = new Map<number | string, Memo>();
  /** The memo was started over: answers handed out before are not tracked. */
  private untracked = false;
  private touched: Touched[] = [];
  private touchedAll = false;
  /** Hops per interface index, so a link going down can tell whether it matters here. */
  private readonly ifRefs = new Map<number, number>();
  private entries = 0;
  private isLoaded = false;

  constructor(init: KernelNextHopTableInit = {}) {
    this.protocol = init.protocol ?? 199;
  }

  /** A full table has been loaded (replaceAll) at least once. */
  get loaded(): boolean {
    return this.isLoaded;
  }

  /** Routes in the table (per prefix and metric). */
  get size(): number {
    return this.entries;
  }

  /** True when some route in the table leaves through this interface. */
  references(ifindex: number): boolean {
    return (this.ifRefs.get(ifindex) ?? 0) > 0;
  }

  resolve(nextHop: number | string): NextHopResolution {
    return this.answer(nextHop);
  }

  /** The full answer: reachability, cost, and the gateways to install for a recursive next hop. */
  answer(nextHop: number | string): KernelNextHopAnswer {
    const m = this.memo.get(nextHop);
    if (m !== undefined) return m.answer;
    let memo: Memo;
    if (typeof nextHop === 'number') {
      memo = { answer: this.lookup4(nextHop) };
    } else {
      const hex = hexOf(nextHop);
      if (hex === undefined) return UNREACHABLE_ANSWER;
      memo = { answer: this.lookup6(hex), hex };
    }
    if (this.memo.size >= MEMO_MAX) {
      this.memo.clear();
      this.untracked = true;
    }
    this.memo.set(nextHop, memo);
    return memo.answer;
  }

  /** One notification. */
  apply(ev: ForeignRouteEvent): NextHopTableChange {
    this.mutate(ev);
    return this.commit();
  }

  /**
   * A full dump replaces everything; `replay` are notifications received while the dump ran
   * (applied after it, in order, so a change the dump missed is not lost).
   */
  replaceAll(routes: readonly ForeignRoute[], replay: readonly ForeignRouteEvent[] = []): NextHopTableChange {
    this.v4.clear();
    this.v6.clear();
    this.ifRefs.clear();
    this.entries = 0;
    for (const r of routes) this.mutate({ kind: 'new', route: r });
    for (const ev of replay) this.mutate(ev);
    this.touchedAll = true;
    this.isLoaded = true;
    return this.commit();
  }

  private usable(r: ForeignRoute): boolean {
    return r.protocol !== this.protocol && r.tos === 0 && r.type !== 'other';
  }

  private mutate(ev: ForeignRouteEvent): void {
    const r = ev.route;
    if (!this.usable(r)) return;
    let v4: boolean;
    let len: number;
    let key: number | string;
    if (typeof r.prefix === 'number') {
      v4 = true;
      len = prefix4Length(r.prefix);
      if (len > 32) return;
      key = (prefix4Address(r.prefix) & mask4(len)) >>> 0;
    } else {
      v4 = false;
      const slash = r.prefix.indexOf('/');
      len = Number(r.prefix.slice(slash + 1));
      const hex = slash < 0 ? undefined : hexOf(r.prefix.slice(0, slash));
      if (hex === undefined || !Number.isInteger(len) || len < 0 || len > 128) return;
      key = hexPrefix(hex, len);
    }
    const changed = ev.kind === 'new' ? this.insert(v4, len, key, r, ev.replace === true) : this.remove(v4, len, key, r);
    if (changed) this.touched.push({ v4, len, key });
  }

  private bucket(v4: boolean, len: number, key: number | string, create: boolean): Bucket | undefined {
    if (v4) return create ? this.v4.obtain(len, key as number) : this.v4.get(len, key as number);
    return create ? this.v6.obtain(len, key as string) : this.v6.get(len, key as string);
  }

  private insert(v4: boolean, len: number, key: number | string, r: ForeignRoute, replace: boolean): boolean {
    const b = this.bucket(v4, len, key, true)!;
    const old = b.get(r.metric);
    let hops: ForeignHop[];
    if (old === undefined || replace || old.type !== r.type) {
      hops = r.hops.map((h) => ({ ...h }));
    } else {
      // Same prefix and metric without NLM_F_REPLACE: more next hops of one route (IPv6 ECMP
      // siblings arrive one by one on older kernels; connected fe80::/64 on every link).
      hops = [...old.hops];
      for (const h of r.hops) if (!hops.some((x) => sameHop(x, h))) hops.push({ ...h });
    }
    if (old !== undefined) this.unref(old);
    else this.entries++;
    const e: Entry = { type: r.type, metric: r.metric, hops };
    b.set(r.metric, e);
    this.ref(e);
    return true;
  }

  private remove(v4: boolean, len: number, key: number | string, r: ForeignRoute): boolean {
    const b = this.bucket(v4, len, key, false);
    const old = b?.get(r.metric);
    if (b === undefined || old === undefined) return false;
    this.unref(old);
    // A deleted sibling takes only its own next hops; a whole route takes them all.
    const rest = r.hops.length === 0 ? [] : old.hops.filter((h) => !r.hops.some((x) => sameHop(x, h)));
    if (rest.length > 0 && rest.length < old.hops.length) {
      const e: Entry = { ...old, hops: rest };
      b.set(r.metric, e);
      this.ref(e);
    } else {
      b.delete(r.metric);
      this.entries--;
      if (v4) this.v4.dropIfEmpty(len, key as number);
      else this.v6.dropIfEmpty(len, key as string);
    }
    return true;
  }

  private ref(e: Entry): void {
    for (const h of e.hops) if (h.ifindex !== undefined) this.ifRefs.set(h.ifindex, (this.ifRefs.get(h.ifindex) ?? 0) + 1);
  }

  private unref(e: Entry): void {
    for (const h of e.hops) {
      if (h.ifindex === undefined) continue;
      const n = (this.ifRefs.get(h.ifindex) ?? 0) - 1;
      if (n > 0) this.ifRefs.set(h.ifindex, n);
      else this.ifRefs.delete(h.ifindex);
    }
  }

  private lookup4(address: number): KernelNextHopAnswer {
    return answerOf(this.v4.match((len) => (address & mask4(len)) >>> 0));
  }

  private lookup6(hex: string): KernelNextHopAnswer {
    return answerOf(this.v6.match((len) => hexPrefix(hex, len)));
  }

  private covers(t: Touched, nextHop: number | string, m: Memo): boolean {
    if (typeof nextHop === 'number') return t.v4 && (nextHop & mask4(t.len)) >>> 0 === t.key;
    return !t.v4 && m.hex !== undefined && hexPrefix(m.hex, t.len) === t.key;
  }

  /** Recomputes the memoised next hops the touched prefixes cover; reports what changed. */
  private commit(): NextHopTableChange {
    const touched = this.touched;
    const all = this.touchedAll || touched.length > TOUCH_SCAN_MAX;
    this.touched = [];
    this.touchedAll = false;
    if (!all && touched.length === 0) return NO_CHANGE;
    if (this.untracked) {
      this.untracked = false;
      this.recomputeMemo(undefined);
      return { decision: true, nextHops: new Set(), all: true };
    }
    return this.recomputeMemo(all ? undefined : touched);
  }

  private recomputeMemo(touched: readonly Touched[] | undefined): NextHopTableChange {
    const changed = new Set<number | string>();
    let decision = false;
    for (const [nh, m] of this.memo) {
      if (touched !== undefined && !touched.some((t) => this.covers(t, nh, m))) continue;
      const next = typeof nh === 'number' ? this.lookup4(nh) : this.lookup6(m.hex!);
      if (sameAnswer(next, m.answer)) continue;
      if (next.reachable !== m.answer.reachable || next.igpCost !== m.answer.igpCost) decision = true;
      m.answer = next;
      changed.add(nh);
    }
    return changed.size === 0 ? NO_CHANGE : { decision, nextHops: changed, all: false };
  }
}
