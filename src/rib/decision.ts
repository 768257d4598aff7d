// The decision process: RFC 4271 §9.1.2 (with §9.1.1 LOCAL_PREF) and RFC 4456 §9, as named
// steps run in one fixed order. Each step is a comparator (negative: `a` is better) and the
// selection follows the RFC's wording: every step *removes from consideration* the paths that
// are worse than the best remaining one, until one path is left. Eliminating over the whole set
// (rather than comparing pairs as they arrive) keeps the result independent of arrival order
// even though MED is only comparable inside one neighbouring AS (the "deterministic MED"
// behaviour other implementations make optional).
//
// Order (DECISION_STEPS):
//   next-hop-resolvable   §9.1.2.1: unresolvable next hop → ineligible
//   local-origin          locally originated wins (what FRR expresses as weight 32768 on its own
//                         routes); not in the RFC, placed before LOCAL_PREF like FRR's weight
//   local-pref            §9.1.1: highest; missing counts as 100
//   as-path-length        §9.1.2.2 a: shortest; AS_SET counts 1, confed segments 0 (RFC 5065 §5.3)
//   origin                §9.1.2.2 b: IGP < EGP < INCOMPLETE
//   med                   §9.1.2.2 c: lowest, only among paths from the same neighbouring AS
//                         unless alwaysCompareMed; missing MED counts as 0
//   ebgp-over-ibgp        §9.1.2.2 d
//   igp-cost              §9.1.2.2 e: lowest cost to the next hop (resolver)
//   router-id             §9.1.2.2 f, with RFC 4456 §9: ORIGINATOR_ID instead of the BGP id
//   cluster-list-length   RFC 4456 §9: "inserted between Steps f) and g)" — so AFTER router-id
//   peer-address          §9.1.2.2 g: lowest
// Paths still equal after igp-cost are the multipath (ECMP) set.
import type { Path, BestPathReason } from './types.js';
import type { AsPathSegment, PathAttributes } from '../wire/types.js';
import { REACHABLE, type NextHopResolution, type NextHopResolver } from './next-hop.js';
import { ipv6ToBytes } from '../lib/prefix.js';
import { sameAsPath } from './attrs-equal.js';

export const DEFAULT_LOCAL_PREF = 100;
export const DEFAULT_MAX_PATHS = 16;
/** ORIGIN treated when absent (only possible for routes we build ourselves): least preferred. */
const ORIGIN_INCOMPLETE = 2;

export interface DecisionContext {
  resolver: NextHopResolver;
  /** compare MED between paths from different neighbouring ASes too */
  alwaysCompareMed: boolean;
  /** maximum size of the multipath set (≥ 1) */
  maxPaths: number;
}

export interface BestPathResult {
  /** null when no candidate is eligible */
  best: Path | null;
  /** the step that separated the best from the runner-up; 'only-path' when alone */
  reason: BestPathReason;
  /** best first, then the paths equal to it up to igp-cost (ECMP), at most maxPaths; [] without best */
  multipath: readonly Path[];
}

export type PathComparator = (a: Path, b: Path, ctx: DecisionContext) => number;

export interface DecisionStep {
  reason: BestPathReason;
  compare: PathComparator;
  /** a total preorder (every pair comparable): the best class is found in O(n) */
  total: boolean;
}

// ---------------------------------------------------------------------------------------------
// Per-path values the steps compare

/** Locally originated paths never need resolving: their next hop is this speaker. */
export function resolveNextHop(p: Path, ctx: DecisionContext): NextHopResolution {
  return p.source.kind === 'local' ? REACHABLE : ctx.resolver.resolve(p.nextHop);
}

/** RFC 4271 §9.1.2.2 a: an AS_SET counts 1 whatever its size; RFC 5065 §5.3: confed segments 0. */
export function asPathLength(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s.type === 2) n += s.asns.length;
    else if (s.type === 1) n += 1;
  }
  return n;
}

/** neighborAS() of §9.1.2.2 c: the local AS is written -1. */
export const LOCAL_AS = -1;

/**
 * RFC 4271 §9.1.2.2 c: the first AS of the AS_PATH when it starts with an AS_SEQUENCE, else (empty,
 * or starting with an AS_SET: originated or aggregated inside our AS) the local AS. Confederation
 * segments are skipped: they name member ASes inside our confederation (RFC 5065 §5.3).
 */
export function neighbourAs(attrs: PathAttributes): number {
  for (const s of attrs.asPath) {
    if (s.type === 3 || s.type === 4) continue;
    return s.type === 2 && s.asns.length > 0 ? s.asns[0]! : LOCAL_AS;
  }
  return LOCAL_AS;
}

/** ORIGINATOR_ID when present, else the BGP identifier of the peer (RFC 4456 §9). */
export function routerIdOf(p: Path): number {
  return p.attrs.originatorId ?? p.source.bgpId;
}

// ---------------------------------------------------------------------------------------------
// The steps, in order

export function compareNextHopResolvable(a: Path, b: Path, ctx: DecisionContext): number {
  return (resolveNextHop(a, ctx).reachable ? 0 : 1) - (resolveNextHop(b, ctx).reachable ? 0 : 1);
}

/** Locally originated beats learned (FRR's weight 32768 for its own routes). */
export function compareLocalOrigin(a: Path, b: Path): number {
  return (a.source.kind === 'local' ? 0 : 1) - (b.source.kind === 'local' ? 0 : 1);
}

/**
 * Highest LOCAL_PREF (§9.1.1). Missing counts as 100: eBGP paths carry none (the RIB drops a
 * received one, RFC 4271 §5.1.5) unless import policy set it.
 */
export function compareLocalPref(a: Path, b: Path): number {
  return (b.attrs.localPref ?? DEFAULT_LOCAL_PREF) - (a.attrs.localPref ?? DEFAULT_LOCAL_PREF);
}

export function compareAsPathLength(a: Path, b: Path): number {
  return asPathLength(a.attrs.asPath) - asPathLength(b.attrs.asPath);
}

export function compareOrigin(a: Path, b: Path): number {
  return (a.attrs.origin ?? ORIGIN_INCOMPLETE) - (b.attrs.origin ?? ORIGIN_INCOMPLETE);
}

/** Lowest MED, missing = 0 (§9.1.2.2 c); 0 (no opinion) between different neighbouring ASes. */
export function compareMed(a: Path, b: Path, ctx: DecisionContext): number {
  if (!ctx.alwaysCompareMed && neighbourAs(a.attrs) !== neighbourAs(b.attrs)) return 0;
  return (a.attrs.med ?? 0) - (b.attrs.med ?? 0);
}

export function compareEbgpOverIbgp(a: Path, b: Path): number {
  return (a.source.kind === 'ebgp' ? 0 : 1) - (b.source.kind === 'ebgp' ? 0 : 1);
}

export function compareIgpCost(a: Path, b: Path, ctx: DecisionContext): number {
  const ca = resolveNextHop(a, ctx).igpCost;
  const cb = resolveNextHop(b, ctx).igpCost;
  return ca === cb ? 0 : ca < cb ? -1 : 1;
}

export function compareRouterId(a: Path, b: Path): number {
  return routerIdOf(a) - routerIdOf(b);
}

export function compareClusterListLength(a: Path, b: Path): number {
  return (a.attrs.clusterList?.length ?? 0) - (b.attrs.clusterList?.length ?? 0);
}

/** Lowest peer address; IPv4 (numbers) sort before IPv6 (text, compared numerically). */
export function comparePeerAddress(a: Path, b: Path): number {
  const ka = a.source.addressKey;
  const kb = b.source.addressKey;
  if (typeof ka === 'number') return typeof kb === 'number' ? ka - kb : -1;
  if (typeof kb === 'number') return 1;
  return ka === kb ? 0 : Buffer.compare(v6Key(ka), v6Key(kb));
}

function v6Key(text: string): Buffer {
  try {
    return ipv6ToBytes(text);
  } catch {
    return Buffer.from(text, 'latin1');
  }
}

export const DECISION_STEPS: readonly DecisionStep[] = [
  { reason: 'next-hop-resolvable', compare: compareNextHopResolvable, total: true },
  { reason: 'local-origin', compare: compareLocalOrigin, total: true },
  { reason: 'local-pref', compare: compareLocalPref, total: true },
  { reason: 'as-path-length', compare: compareAsPathLength, total: true },
  { reason: 'origin', compare: compareOrigin, total: true },
  { reason: 'med', compare: compareMed, total: false },
  { reason: 'ebgp-over-ibgp', compare: compareEbgpOverIbgp, total: true },
  { reason: 'igp-cost', compare: compareIgpCost, total: true },
  { reason: 'router-id', compare: compareRouterId, total: true },
  { reason: 'cluster-list-length', compare: compareClusterListLength, total: true },
  { reason: 'peer-address', compare: comparePeerAddress, total: true },
];

/** Index of the last step that still defines multipath equality. */
const MULTIPATH_LAST = DECISION_STEPS.findIndex((s) => s.reason === 'igp-cost');

// ---------------------------------------------------------------------------------------------
// Selection

const NO_BEST: BestPathResult = Object.freeze({ best: null, reason: 'next-hop-resolvable', multipath: Object.freeze([]) as readonly Path[] });

/** Keeps the paths no other path beats at this step. */
function eliminate(cands: Path[], step: DecisionStep, ctx: DecisionContext): Path[] {
  const cmp = step.compare;
  if (step.total) {
    let best = cands[0]!;
    for (let i = 1; i < cands.length; i++) if (cmp(cands[i]!, best, ctx) < 0) best = cands[i]!;
    const out: Path[] = [];
    for (const c of cands) if (cmp(c, best, ctx) <= 0) out.push(c);
    return out;
  }
  // Partial order (MED): a path survives unless some comparable path is strictly better.
  const out: Path[] = [];
  for (const c of cands) {
    let beaten = false;
    for (const d of cands) {
      if (d !== c && cmp(d, c, ctx) < 0) {
        beaten = true;
        break;
      }
    }
    if (!beaten) out.push(c);
  }
  return out;
}

/** Tie-breakers after igp-cost, used to order the multipath set (best first). */
function compareAfterIgp(a: Path, b: Path, ctx: DecisionContext): number {
  for (let i = MULTIPATH_LAST + 1; i < DECISION_STEPS.length; i++) {
    const r = DECISION_STEPS[i]!.compare(a, b, ctx);
    if (r !== 0) return r;
  }
  return a.source.id - b.source.id;
}

/**
 * Multipath membership beyond decision equality, as FRR does it without `multipath-relax`:
 * eBGP paths only with paths from the same neighbouring AS (peer ASN); iBGP paths only with an
 * identical AS_PATH (the same exit). Ours beats all, so a local best is always alone.
 */
function multipathCompatible(best: Path, p: Path): boolean {
  if (p === best) return true;
  if (best.source.kind === 'ebgp') return p.source.kind === 'ebgp' && p.source.asn === best.source.asn;
  if (best.source.kind === 'ibgp') return p.source.kind === 'ibgp' && sameAsPath(p.attrs.asPath, best.attrs.asPath);
  return false;
}

/** Runs the decision process over the candidate paths of one prefix. */
export function bestPath(paths: readonly Path[], ctx: DecisionContext): BestPathResult {
  if (paths.length === 0) return NO_BEST;
  if (paths.length === 1) {
    const p = paths[0]!;
    return resolveNextHop(p, ctx).reachable ? { best: p, reason: 'only-path', multipath: [p] } : NO_BEST;
  }
  // Step 0 is a filter, not a ranking: when no path resolves, none is best (§9.1.2.1).
  let cands = paths.filter((p) => resolveNextHop(p, ctx).reachable);
  if (cands.length === 0) return NO_BEST;
  let reason: BestPathReason = cands.length < paths.length ? 'next-hop-resolvable' : 'only-path';
  let equalToIgp: Path[] | null = null;
  for (let i = 1; i < DECISION_STEPS.length && cands.length > 1; i++) {
    const step = DECISION_STEPS[i]!;
    const before = cands.length;
    cands = eliminate(cands, step, ctx);
    if (cands.length < before) reason = step.reason;
    if (i === MULTIPATH_LAST && cands.length > 1) equalToIgp = cands;
  }
  // Two sources with one peer address (never between real sessions): lowest source id, so the
  // result stays deterministic.
  let best = cands[0]!;
  for (const c of cands) if (c.source.id < best.source.id) best = c;
  if (cands.length > 1) reason = 'peer-address';

  if (equalToIgp === null || ctx.maxPaths <= 1) return { best, reason, multipath: [best] };
  const mp = equalToIgp.filter((p) => multipathCompatible(best, p));
  mp.sort((a, b) => compareAfterIgp(a, b, ctx));
  if (mp.length > ctx.maxPaths) mp.length = ctx.maxPaths;
  return { best, reason, multipath: mp };
}

/**
 * All candidates in decision order for display (`wren routes PREFIX`): the best first, then
 * each next-best of the rest, ineligible paths last in arrival order. O(n²); not for hot paths.
 */
export function rankPaths(paths: readonly Path[], ctx: DecisionContext): Path[] {
  const out: Path[] = [];
  let rest = paths.slice();
  while (rest.length > 0) {
    const r = bestPath(rest, ctx);
    if (r.best === null) break;
    out.push(r.best);
    rest = rest.filter((p) => p !== r.best);
  }
  return out.concat(rest);
}

export function decisionContext(init: { resolver: NextHopResolver; alwaysCompareMed?: boolean; maxPaths?: number }): DecisionContext {
  return {
    resolver: init.resolver,
    alwaysCompareMed: init.alwaysCompareMed ?? false,
    maxPaths: Math.max(1, init.maxPaths ?? DEFAULT_MAX_PATHS),
  };
}
