// The kernel's neighbour (ARP/NDP) table limits are global: every namespace shares
// net.{ipv4,ipv6}.neigh.default.gc_thresh1..3 (1024 entries by default). A lab of more than
// ~25 fully meshed nodes overflows them ("neighbor table overflow", SYNs never sent, sessions
// stuck in Connect; DESIGN.md, Testing model), so big labs raise them and `down` puts them back.
import { readFileSync, writeFileSync } from 'node:fs';
import type { SysctlChange } from './state.js';

/** Above this many nodes the lab raises the limits. */
export const NEIGH_RAISE_AT = 25;

/** Limits for a lab of `nodes` nodes with `pods` pods each: every node may hold an entry for every other node and its pods. */
export function wantedLimits(nodes: number, pods: number): { gc_thresh1: number; gc_thresh2: number; gc_thresh3: number } {
  const entries = nodes * (nodes + pods + 4);
  let t3 = 65_536;
  while (t3 < entries * 2) t3 *= 2;
  return { gc_thresh1: t3 / 8, gc_thresh2: t3 / 2, gc_thresh3: t3 };
}

/** Raises the limits that are lower than wanted; returns what it changed. */
export function raiseNeighbourLimits(nodes: number, pods: number): SysctlChange[] {
  const changes: SysctlChange[] = [];
  for (const fam of ['ipv4', 'ipv6']) {
    for (const [key, value] of Object.entries(wantedLimits(nodes, pods))) {
      const path = `/proc/sys/net/${fam}/neigh/default/${key}`;
      const old = readFileSync(path, 'utf8').trim();
      if (Number(old) >= value) continue;
      writeFileSync(path, String(value));
      changes.push({ path, old, set: String(value) });
    }
  }
  return changes;
}

/** Puts back what the lab changed, unless someone changed it again since. Returns the paths restored. */
export function restoreSysctls(changes: readonly SysctlChange[]): string[] {
  const restored: string[] = [];
  for (const c of changes) {
    try {
      if (readFileSync(c.path, 'utf8').trim() !== c.set) continue;
      writeFileSync(c.path, c.old);
      restored.push(c.path);
    } catch {
      // a missing sysctl (IPv6 disabled in the kernel) has nothing to restore
    }
  }
  return restored;
}

/** "net.ipv4.neigh.default.gc_thresh3" for "/proc/sys/net/ipv4/neigh/default/gc_thresh3". */
export function sysctlName(path: string): string {
  return path.replace('/proc/sys/', '').replace(/\//g, '.');
}

/** Names for a message, the three thresholds of a family as one: "net.ipv4.neigh.default.gc_thresh1..3". */
export function sysctlSummary(paths: readonly string[]): string {
  return [...new Set(paths.map((p) => sysctlName(p).replace(/gc_thresh\d$/, 'gc_thresh1..3')))].join(', ');
}
