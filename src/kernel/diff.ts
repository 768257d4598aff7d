// Desired vs kernel state: the pure core of reconciliation. Routes equal on both sides are left
// alone (adopted, never deleted and re-added, so the data plane never blinks); routes only in
// the kernel go only once the RIB has converged (End-of-RIB from every GR peer, or the restart
// timer), because before that "not desired" may just mean "not learned again yet".

import type { DesiredRoute, KernelNextHop, RouteKey } from './types.js';

export interface RouteDiff {
  /** Desired, absent from the kernel. */
  add: DesiredRoute[];
  /** Desired, present with other next hops (or blackhole-ness): the desired version. */
  replace: DesiredRoute[];
  /** In the kernel (ours), not desired: the kernel version. Empty unless converged. */
  delete: DesiredRoute[];
}

export interface DiffOptions {
  /** The RIB has converged: routes the RIB does not want may be deleted. */
  converged: boolean;
}

function nextHopMatches(want: KernelNextHop, have: KernelNextHop): boolean {
  // An unset ifindex means "the kernel resolves it", so any resolved interface is fine.
  return (
    want.gateway === have.gateway &&
    (want.ifindex === undefined || want.ifindex === have.ifindex) &&
    (want.onlink === true) === (have.onlink === true)
  );
}

/** The same next hops in the same order, field for field (no "the kernel resolves it" leeway). */
export function sameNextHops(a: readonly KernelNextHop[], b: readonly KernelNextHop[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.gateway !== y.gateway || x.ifindex !== y.ifindex || x.onlink !== y.onlink) return false;
  }
  return true;
}

/**
 * True when the kernel route `have` forwards as `want` asks: same blackhole-ness and the same
 * next hops, in any order (the kernel keeps ECMP members in its own order).
 */
export function routeSatisfies(want: DesiredRoute, have: DesiredRoute): boolean {
  if ((want.blackhole === true) !== (have.blackhole === true)) return false;
  if (want.blackhole === true) return true;
  if (want.device !== have.device) return false;
  if (want.nextHops.length !== have.nextHops.length) return false;
  const used = new Array<boolean>(have.nextHops.length).fill(false);
  for (const w of want.nextHops) {
    let found = false;
    for (let i = 0; i < have.nextHops.length; i++) {
      if (!used[i] && nextHopMatches(w, have.nextHops[i]!)) {
        used[i] = true;
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

/** What to do for one prefix; undefined when nothing. */
export function diffOne(
  want: DesiredRoute | undefined,
  have: DesiredRoute | undefined,
  opts: DiffOptions,
): { kind: 'add' | 'replace'; route: DesiredRoute } | { kind: 'delete'; route: DesiredRoute } | undefined {
  if (want !== undefined) {
    if (have === undefined) return { kind: 'add', route: want };
    return routeSatisfies(want, have) ? undefined : { kind: 'replace', route: want };
  }
  if (have !== undefined && opts.converged) return { kind: 'delete', route: have };
  return undefined;
}

/** Whole-table diff (start-up adoption and periodic resync). */
export function diffRoutes(
  desired: ReadonlyMap<RouteKey, DesiredRoute>,
  kernel: ReadonlyMap<RouteKey, DesiredRoute>,
  opts: DiffOptions,
): RouteDiff {
  const out: RouteDiff = { add: [], replace: [], delete: [] };
  for (const [key, want] of desired) {
    const step = diffOne(want, kernel.get(key), opts);
    if (step !== undefined) out[step.kind].push(step.route);
  }
  if (opts.converged) {
    for (const [key, have] of kernel) if (!desired.has(key)) out.delete.push(have);
  }
  return out;
}

/** Indexes a dump by prefix. A prefix seen twice (two metrics) keeps the first. */
export function indexRoutes(routes: readonly DesiredRoute[]): Map<RouteKey, DesiredRoute> {
  const m = new Map<RouteKey, DesiredRoute>();
  for (const r of routes) if (!m.has(r.prefix)) m.set(r.prefix, r);
  return m;
}
