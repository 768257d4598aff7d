// The RIB: both families' Loc-RIBs, the attribute interner, the next-hop resolver and the
// decision options, plus the bulk entry point that applies one decoded UPDATE from a source.
//
// The per-source Adj-RIB-In is not a separate table: a LocRib's candidates are exactly the
// paths each source holds after import policy (countFrom / pathsFrom give that view), so a
// million routes are stored once (DESIGN.md, performance model).
//
// Hot path (applyUpdate): one Path object per UPDATE and family, shared by every prefix of the
// UPDATE (unless importFn returns another one); attributes interned once per UPDATE; no
// per-prefix allocation other than the table's and the BestChange reported.
import type { Family, NlriSet, PathAttributes, UpdateMessage } from '../wire/types.js';
import type { Path, PathSource } from './types.js';
import { decisionContext, type DecisionContext } from './decision.js';
import { AttrInterner } from './intern.js';
import { LocRib, type BestChange, type ChangeSink, type RouteEntry } from './loc-rib.js';
import { ConnectedResolver, type NextHopResolver } from './next-hop.js';

export interface RibInit {
  /** Default: ConnectedResolver.everythingReachable() (until the kernel layer resolves). */
  resolver?: NextHopResolver;
  /** Compare MED across neighbouring ASes (RFC 4271 §9.1.2.2 c allows it). Default false. */
  alwaysCompareMed?: boolean;
  /** Maximum multipath (ECMP) set size. Default 16. */
  maxPaths?: number;
  /** Share an interner with other tables (Adj-RIB-Out). Default: a new one. */
  interner?: AttrInterner;
}

/**
 * Import policy hook: the path to store for this prefix (the same object when unchanged — then
 * it stays shared by the whole UPDATE; return one object per distinct result to keep sharing),
 * or null to reject (a previously accepted path of the source is withdrawn).
 */
export type ImportFn = (family: Family, prefix: number | string, path: Path) => Path | null;

export interface RibPath {
  family: Family;
  prefix: number | string;
  path: Path;
}

export interface SourceCounts {
  ipv4: number;
  ipv6: number;
}

/** RFC 4271 §5.1.5: LOCAL_PREF received from an external peer is ignored. */
function withoutLocalPref(a: PathAttributes): PathAttributes {
  const { localPref, ...rest } = a;
  void localPref;
  return rest;
}

export class Rib {
  readonly interner: AttrInterner;
  readonly ctx: DecisionContext;
  readonly v4: LocRib<number>;
  readonly v6: LocRib<string>;

  constructor(init: RibInit = {}) {
    this.interner = init.interner ?? new AttrInterner();
    this.ctx = decisionContext({
      resolver: init.resolver ?? ConnectedResolver.everythingReachable(),
      ...(init.alwaysCompareMed !== undefined ? { alwaysCompareMed: init.alwaysCompareMed } : {}),
      ...(init.maxPaths !== undefined ? { maxPaths: init.maxPaths } : {}),
    });
    const c = { ctx: this.ctx, interner: this.interner };
    this.v4 = LocRib.ipv4(c);
    this.v6 = LocRib.ipv6(c);
  }

  get resolver(): NextHopResolver {
    return this.ctx.resolver;
  }

  get prefixCount(): number {
    return this.v4.prefixCount + this.v6.prefixCount;
  }

  get pathCount(): number {
    return this.v4.pathCount + this.v6.pathCount;
  }

  /**
   * Applies one decoded UPDATE from `source`: withdrawals (classic and MP_UNREACH) first, then
   * announcements (implicit withdraw replaces the source's previous path). With
   * msg.treatAsWithdraw (RFC 7606 §2) the announced prefixes are withdrawn instead.
   * Changes go to `sink` when given (the returned array is then empty), else are returned.
   */
  applyUpdate(source: PathSource, msg: UpdateMessage, importFn?: ImportFn, sink?: ChangeSink): BestChange[] {
    const out: BestChange[] = [];
    const emit: ChangeSink = sink ?? ((c) => void out.push(c));
    const id = source.id;
    if (msg.withdrawn.prefixes.length > 0) this.withdrawSet(msg.withdrawn, id, emit);
    if (msg.mpUnreach !== undefined) this.withdrawSet(msg.mpUnreach, id, emit);
    const raw = msg.attrs;
    if (msg.treatAsWithdraw || raw === null) {
      // RFC 7606 §2 treat-as-withdraw; an UPDATE with NLRI and no attributes never reaches here
      // from the decoder, but it could not be stored either.
      this.withdrawSet(msg.nlri, id, emit);
      if (msg.mpReach !== undefined) this.withdrawSet(msg.mpReach.nlri, id, emit);
      return out;
    }
    const attrs = this.interner.intern(source.kind === 'ebgp' && raw.localPref !== undefined ? withoutLocalPref(raw) : raw);

    const nlri = msg.nlri.prefixes;
    if (nlri.length > 0) {
      if (attrs.nextHop === undefined) {
        // No NEXT_HOP for classic NLRI: the decoder flags treat-as-withdraw (RFC 7606 §3.d).
        this.withdrawSet(msg.nlri, id, emit);
      } else {
        const path: Path = { source, attrs, nextHop: attrs.nextHop };
        this.announce4(nlri, path, importFn, emit);
      }
    }
    const mp = msg.mpReach;
    if (mp !== undefined && mp.nlri.prefixes.length > 0) {
      // RFC 4760 §3: MP_REACH carries its own next hop (for IPv4 too, e.g. over an IPv6 session).
      const path: Path = mp.linkLocalNextHop !== undefined ? { source, attrs, nextHop: mp.nextHop, linkLocalNextHop: mp.linkLocalNextHop } : { source, attrs, nextHop: mp.nextHop };
      if (mp.nlri.family === 'ipv4-unicast') this.announce4(mp.nlri.prefixes, path, importFn, emit);
      else this.announce6(mp.nlri.prefixes, path, importFn, emit);
    }
    return out;
  }

  /** Adds or replaces one path (locally originated routes, tests). */
  update(prefix: number | string, path: Path): BestChange | null {
    return typeof prefix === 'number' ? this.v4.update(prefix, path) : this.v6.update(prefix, path);
  }

  withdraw(prefix: number | string, sourceId: number): BestChange | null {
    return typeof prefix === 'number' ? this.v4.withdraw(prefix, sourceId) : this.v6.withdraw(prefix, sourceId);
  }

  /** Session down without graceful restart: all of the source's paths, both families. */
  withdrawSource(sourceId: number, sink?: ChangeSink): BestChange[] {
    const out: BestChange[] = this.v4.withdrawSource(sourceId, sink);
    return out.concat(this.v6.withdrawSource(sourceId, sink));
  }

  /** RFC 4724 receiving side: keep the source's paths (one family, or both) marked stale. */
  markStale(sourceId: number, family?: Family): number {
    let n = 0;
    if (family !== 'ipv6-unicast') n += this.v4.markStale(sourceId);
    if (family !== 'ipv4-unicast') n += this.v6.markStale(sourceId);
    return n;
  }

  /** End-of-RIB for `family` (or restart time expired: both): drop what is still stale. */
  sweepStale(sourceId: number, family?: Family, sink?: ChangeSink): BestChange[] {
    const out: BestChange[] = family !== 'ipv6-unicast' ? this.v4.sweepStale(sourceId, sink) : [];
    return family !== 'ipv4-unicast' ? out.concat(this.v6.sweepStale(sourceId, sink)) : out;
  }

  /** Re-runs the decision everywhere (the resolver's answers changed). */
  recomputeAll(sink?: ChangeSink): BestChange[] {
    const out: BestChange[] = this.v4.recomputeAll(sink);
    return out.concat(this.v6.recomputeAll(sink));
  }

  /** Swaps the resolver (e.g. connected → kernel) and recomputes. */
  setResolver(resolver: NextHopResolver, sink?: ChangeSink): BestChange[] {
    this.ctx.resolver = resolver;
    return this.recomputeAll(sink);
  }

  get(prefix: number | string): RouteEntry | undefined {
    return typeof prefix === 'number' ? this.v4.get(prefix) : this.v6.get(prefix);
  }

  countFrom(sourceId: number): SourceCounts {
    return { ipv4: this.v4.countFrom(sourceId), ipv6: this.v6.countFrom(sourceId) };
  }

  /** The source's Adj-RIB-In after policy (`wren routes --peer`). */
  *pathsFrom(sourceId: number, family?: Family): IterableIterator<RibPath> {
    if (family !== 'ipv6-unicast') for (const [prefix, path] of this.v4.pathsFrom(sourceId)) yield { family: 'ipv4-unicast', prefix, path };
    if (family !== 'ipv4-unicast') for (const [prefix, path] of this.v6.pathsFrom(sourceId)) yield { family: 'ipv6-unicast', prefix, path };
  }

  // -------------------------------------------------------------------------------------------

  private announce4(prefixes: readonly number[], path: Path, importFn: ImportFn | undefined, emit: ChangeSink): void {
    const rib = this.v4;
    if (importFn === undefined) {
      for (let i = 0; i < prefixes.length; i++) {
        const ch = rib.update(prefixes[i]!, path);
        if (ch !== null) emit(ch);
      }
      return;
    }
    for (let i = 0; i < prefixes.length; i++) {
      const prefix = prefixes[i]!;
      const p = importFn('ipv4-unicast', prefix, path);
      const ch = p === null ? rib.withdraw(prefix, path.source.id) : rib.update(prefix, p);
      if (ch !== null) emit(ch);
    }
  }

  private announce6(prefixes: readonly string[], path: Path, importFn: ImportFn | undefined, emit: ChangeSink): void {
    const rib = this.v6;
    for (let i = 0; i < prefixes.length; i++) {
      const prefix = prefixes[i]!;
      const p = importFn === undefined ? path : importFn('ipv6-unicast', prefix, path);
      const ch = p === null ? rib.withdraw(prefix, path.source.id) : rib.update(prefix, p);
      if (ch !== null) emit(ch);
    }
  }

  private withdrawSet(set: NlriSet, sourceId: number, emit: ChangeSink): void {
    if (set.family === 'ipv4-unicast') {
      const rib = this.v4;
      for (const p of set.prefixes) {
        const ch = rib.withdraw(p, sourceId);
        if (ch !== null) emit(ch);
      }
    } else {
      const rib = this.v6;
      for (const p of set.prefixes) {
        const ch = rib.withdraw(p, sourceId);
        if (ch !== null) emit(ch);
      }
    }
  }
}
