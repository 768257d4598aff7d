// Loc-RIB for one address family: for every prefix, the candidate paths (at most one per
// source — a new path from a source replaces its previous one, the implicit withdraw of
// RFC 4271 §3.1) and the outcome of the decision process over them.
//
// The candidates ARE the Adj-RIBs-In after import policy: nothing is stored twice
// (pathsFrom/countFrom give the per-peer view).
//
// Representation of one prefix's slot (memory is the point: a reflector holds millions):
//   - a Path          exactly one candidate, it is eligible, so it is the best
//                     (reason 'only-path', multipath [it]) — the overwhelming case, no wrapper;
//   - a Candidates    anything else: several candidates, or a single ineligible one; holds the
//                     paths in arrival order with the stored best, reason and multipath.
// The decision process runs only for the prefix touched, and only when a Candidates is involved.
//
// What counts as a change (BestChange): the best Path object or the multipath membership
// differs. A re-announcement is a new Path object, so it is reported even with identical
// attributes (consumers compare `attrs` — interned, so by identity — to skip re-sending). A
// change of reason alone is stored for the CLI but not reported. markStale reports nothing.
import type { Family } from '../wire/types.js';
import type { BestPathReason, Path } from './types.js';
import { bestPath, rankPaths, resolveNextHop, type DecisionContext } from './decision.js';
import type { AttrInterner } from './intern.js';
import { Ipv4PrefixTable, type PrefixMap } from './prefix-table.js';
import type { NextHopResolver } from './next-hop.js';

/** A change of a prefix's best path or multipath set. */
export interface BestChange<K extends number | string = number | string> {
  family: Family;
  prefix: K;
  /** the new best; null when the prefix has no eligible path any more (withdraw it) */
  best: Path | null;
  /** the best before the change (null: the prefix had none) */
  previous: Path | null;
  /** why `best` won; 'next-hop-resolvable' when paths remain but none is eligible; null when no path remains */
  reason: BestPathReason | null;
  /** best first (ECMP set); empty when best is null. Shared: never mutate. */
  multipath: readonly Path[];
}

/** What `get` shows for one prefix (`wren routes PREFIX`). */
export interface RouteEntry<K extends number | string = number | string> {
  prefix: K;
  /** every candidate: best first, then in decision order, ineligible last */
  paths: Path[];
  best: Path | null;
  reason: BestPathReason;
  multipath: readonly Path[];
}

export type ChangeSink<K extends number | string = number | string> = (change: BestChange<K>) => void;

export interface LocRibComponents {
  ctx: DecisionContext;
  interner: AttrInterner;
}

const EMPTY: readonly Path[] = Object.freeze([]);

class Candidates {
  constructor(
    public paths: Path[],
    public best: Path | null,
    public reason: BestPathReason,
    public multipath: readonly Path[],
  ) {}
}

type Slot = Path | Candidates;

function sameMembers(a: readonly Path[], b: readonly Path[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class LocRib<K extends number | string> {
  private readonly ctx: DecisionContext;
  private readonly interner: AttrInterner;
  private paths = 0;
  private readonly perSource = new Map<number, { n: number }>();
  private lastCounter: { id: number; c: { n: number } } | null = null;
  // One-entry memos for the single-path fast path: prefixes of one UPDATE share path and next hop.
  private memoResolver: NextHopResolver | null = null;
  private memoNextHop: number | string | undefined = undefined;
  private memoReachable = false;
  private singlePath: Path | null = null;
  private singleArr: readonly Path[] = EMPTY;

  constructor(
    readonly family: Family,
    private readonly table: PrefixMap<K, Slot>,
    c: LocRibComponents,
  ) {
    this.ctx = c.ctx;
    this.interner = c.interner;
  }

  static ipv4(c: LocRibComponents): LocRib<number> {
    return new LocRib<number>('ipv4-unicast', new Ipv4PrefixTable<Slot>(), c);
  }

  static ipv6(c: LocRibComponents): LocRib<string> {
    return new LocRib<string>('ipv6-unicast', new Map<string, Slot>(), c);
  }

  /** Prefixes with at least one candidate. */
  get prefixCount(): number {
    return this.table.size;
  }

  /** Candidate paths over all prefixes. */
  get pathCount(): number {
    return this.paths;
  }

  /** Paths held from one source (its Adj-RIB-In size after policy). */
  countFrom(sourceId: number): number {
    return this.perSource.get(sourceId)?.n ?? 0;
  }

  /**
   * Adds or replaces (implicit withdraw) the path of `path.source` for `prefix`. The attributes
   * are interned here; returns the change of best/multipath, or null when they did not change.
   */
  update(prefix: K, path: Path): BestChange<K> | null {
    const attrs = this.interner.retain(path.attrs);
    if (attrs !== path.attrs) path = { ...path, attrs };
    const v = this.table.get(prefix);
    if (v === undefined) {
      this.count(path.source.id, 1);
      if (this.eligible(path)) {
        this.table.set(prefix, path);
        return this.change(prefix, path, null, 'only-path', this.single(path));
      }
      this.table.set(prefix, new Candidates([path], null, 'next-hop-resolvable', EMPTY));
      return null;
    }
    if (!(v instanceof Candidates)) {
      if (v.source.id === path.source.id) {
        this.interner.release(v.attrs);
        if (v === path) return null; // the same shared Path again
        if (this.eligible(path)) {
          this.table.set(prefix, path);
          return this.change(prefix, path, v, 'only-path', this.single(path));
        }
        this.table.set(prefix, new Candidates([path], null, 'next-hop-resolvable', EMPTY));
        return this.change(prefix, null, v, 'next-hop-resolvable', EMPTY);
      }
      this.count(path.source.id, 1);
      const c = new Candidates([v, path], v, 'only-path', this.single(v));
      this.table.set(prefix, c);
      return this.decide(prefix, c);
    }
    const paths = v.paths;
    const id = path.source.id;
    let i = 0;
    while (i < paths.length && paths[i]!.source.id !== id) i++;
    if (i < paths.length) {
      this.interner.release(paths[i]!.attrs);
      paths[i] = path;
    } else {
      paths.push(path);
      this.count(id, 1);
    }
    return this.decide(prefix, v);
  }

  /** Removes the path of `sourceId` for `prefix`. */
  withdraw(prefix: K, sourceId: number): BestChange<K> | null {
    const v = this.table.get(prefix);
    if (v === undefined) return null;
    return this.remove(prefix, v, sourceId, false);
  }

  /** Session down without graceful restart: every path of the source goes. */
  withdrawSource(sourceId: number, sink?: ChangeSink<K>): BestChange<K>[] {
    return this.removeAll(sourceId, false, sink);
  }

  /**
   * RFC 4724 §4.2 (receiving speaker): the session of a peer that negotiated graceful restart
   * went down; keep its paths but mark them stale. Stale copies are made once per distinct Path
   * (they stay shared by the prefixes that shared the original). The decision is unaffected
   * (RFC 4724 does not deprefer stale routes), so nothing is announced. Returns paths marked.
   */
  markStale(sourceId: number): number {
    if (this.countFrom(sourceId) === 0) return 0;
    const copies = new Map<Path, Path>();
    let lastIn: Path | null = null; // neighbouring slots mostly share a Path
    let lastOut: Path | null = null;
    const staleOf = (p: Path): Path => {
      if (p.source.id !== sourceId || p.stale === true) return p;
      if (p === lastIn) return lastOut!;
      let s = copies.get(p);
      if (s === undefined) {
        s = { ...p, stale: true };
        copies.set(p, s);
      }
      lastIn = p;
      lastOut = s;
      return s;
    };
    let marked = 0;
    this.table.forEach((v, k) => {
      if (!(v instanceof Candidates)) {
        if (v.source.id === sourceId && v.stale !== true) {
          this.table.set(k, staleOf(v));
          marked++;
        }
        return;
      }
      let hit = false;
      for (let i = 0; i < v.paths.length; i++) {
        const s = staleOf(v.paths[i]!);
        if (s !== v.paths[i]) {
          v.paths[i] = s;
          hit = true;
          marked++;
        }
      }
      if (hit) {
        if (v.best !== null) v.best = staleOf(v.best);
        v.multipath = v.multipath.map(staleOf);
      }
    });
    this.singlePath = null;
    return marked;
  }

  /**
   * RFC 4724 §4.2: End-of-RIB from the restarted peer (or its restart time ran out): paths
   * still stale were not re-announced and go. Re-announced ones replaced their stale copy.
   */
  sweepStale(sourceId: number, sink?: ChangeSink<K>): BestChange<K>[] {
    return this.removeAll(sourceId, true, sink);
  }

  /** Re-runs the decision for every prefix (after the resolver's answers changed). */
  recomputeAll(sink?: ChangeSink<K>): BestChange<K>[] {
    this.memoResolver = null;
    this.singlePath = null;
    const out: BestChange<K>[] = [];
    const emit = sink ?? ((c: BestChange<K>) => void out.push(c));
    this.table.forEach((v, k) => {
      let ch: BestChange<K> | null;
      if (v instanceof Candidates) {
        ch = this.decide(k, v);
      } else if (this.eligible(v)) {
        ch = null;
      } else {
        this.table.set(k, new Candidates([v], null, 'next-hop-resolvable', EMPTY));
        ch = this.change(k, null, v, 'next-hop-resolvable', EMPTY);
      }
      if (ch !== null) emit(ch);
    });
    return out;
  }

  get(prefix: K): RouteEntry<K> | undefined {
    const v = this.table.get(prefix);
    if (v === undefined) return undefined;
    if (!(v instanceof Candidates)) return { prefix, paths: [v], best: v, reason: 'only-path', multipath: [v] };
    return { prefix, paths: rankPaths(v.paths, this.ctx), best: v.best, reason: v.reason, multipath: v.multipath };
  }

  /** The best path of one prefix (null: none, or no eligible path). */
  best(prefix: K): Path | null {
    const v = this.table.get(prefix);
    if (v === undefined) return null;
    return v instanceof Candidates ? v.best : v;
  }

  /** Every prefix with its candidates in arrival order (shared arrays: never mutate). */
  forEachEntry(fn: (prefix: K, paths: readonly Path[]) => void): void {
    this.table.forEach((v, k) => fn(k, v instanceof Candidates ? v.paths : this.single(v)));
  }

  /** Every prefix that has a best path. */
  forEachBest(fn: (prefix: K, best: Path, reason: BestPathReason, multipath: readonly Path[]) => void): void {
    this.table.forEach((v, k) => {
      if (!(v instanceof Candidates)) fn(k, v, 'only-path', this.single(v));
      else if (v.best !== null) fn(k, v.best, v.reason, v.multipath);
    });
  }

  /** Every (prefix, path) held from one source — its Adj-RIB-In after policy. */
  *pathsFrom(sourceId: number): IterableIterator<[K, Path]> {
    for (const [k, v] of this.table.entries()) {
      if (!(v instanceof Candidates)) {
        if (v.source.id === sourceId) yield [k, v];
      } else {
        for (const p of v.paths) if (p.source.id === sourceId) yield [k, p];
      }
    }
  }

  // -------------------------------------------------------------------------------------------

  private eligible(p: Path): boolean {
    if (p.source.kind === 'local') return true;
    const r = this.ctx.resolver;
    if (this.memoResolver !== r || this.memoNextHop !== p.nextHop) {
      this.memoResolver = r;
      this.memoNextHop = p.nextHop;
      this.memoReachable = resolveNextHop(p, this.ctx).reachable;
    }
    return this.memoReachable;
  }

  /** A shared one-element multipath for consecutive changes carrying the same path. */
  private single(p: Path): readonly Path[] {
    if (this.singlePath !== p) {
      this.singlePath = p;
      this.singleArr = [p];
    }
    return this.singleArr;
  }

  private change(prefix: K, best: Path | null, previous: Path | null, reason: BestPathReason | null, multipath: readonly Path[]): BestChange<K> {
    return { family: this.family, prefix, best, previous, reason, multipath };
  }

  private count(sourceId: number, delta: number): void {
    this.paths += delta;
    const last = this.lastCounter;
    if (last !== null && last.id === sourceId) {
      last.c.n += delta;
      return;
    }
    let c = this.perSource.get(sourceId);
    if (c === undefined) {
      c = { n: 0 };
      this.perSource.set(sourceId, c);
    }
    c.n += delta;
    this.lastCounter = { id: sourceId, c };
  }

  private uncount(sourceId: number): void {
    this.count(sourceId, -1);
    const c = this.perSource.get(sourceId);
    if (c !== undefined && c.n === 0) {
      this.perSource.delete(sourceId);
      if (this.lastCounter?.id === sourceId) this.lastCounter = null;
    }
  }

  /** Runs the decision over a Candidates slot, collapses or deletes it, reports the change. */
  private decide(prefix: K, c: Candidates): BestChange<K> | null {
    const previous = c.best;
    const prevMp = c.multipath;
    if (c.paths.length === 0) {
      this.table.delete(prefix);
      return previous === null ? null : this.change(prefix, null, previous, null, EMPTY);
    }
    const r = bestPath(c.paths, this.ctx);
    if (c.paths.length === 1 && r.best !== null) {
      this.table.set(prefix, r.best); // back to the compact form
    } else {
      c.best = r.best;
      c.reason = r.reason;
      c.multipath = r.multipath;
    }
    if (r.best === previous && sameMembers(r.multipath, prevMp)) return null;
    return this.change(prefix, r.best, previous, r.best === null ? 'next-hop-resolvable' : r.reason, r.multipath);
  }

  /** Removes the path(s) of `sourceId` (only stale ones with `staleOnly`) from one slot. */
  private remove(prefix: K, v: Slot, sourceId: number, staleOnly: boolean): BestChange<K> | null {
    if (!(v instanceof Candidates)) {
      if (v.source.id !== sourceId || (staleOnly && v.stale !== true)) return null;
      this.table.delete(prefix);
      this.interner.release(v.attrs);
      this.uncount(v.source.id);
      return this.change(prefix, null, v, null, EMPTY);
    }
    const kept: Path[] = [];
    for (const p of v.paths) {
      if (p.source.id === sourceId && (!staleOnly || p.stale === true)) {
        this.interner.release(p.attrs);
        this.uncount(p.source.id);
      } else {
        kept.push(p);
      }
    }
    if (kept.length === v.paths.length) return null;
    v.paths = kept;
    return this.decide(prefix, v);
  }

  private removeAll(sourceId: number, staleOnly: boolean, sink: ChangeSink<K> | undefined): BestChange<K>[] {
    const out: BestChange<K>[] = [];
    if (this.countFrom(sourceId) === 0) return out;
    const emit = sink ?? ((c: BestChange<K>) => void out.push(c));
    this.table.forEach((v, k) => {
      const ch = this.remove(k, v, sourceId, staleOnly);
      if (ch !== null) emit(ch);
    });
    this.singlePath = null;
    return out;
  }
}
