// What the update-group tests share: the route-reflector client target, client sources, and a
// Loc-RIB feeding groups' dirty sets the way RouteEngine.onChange does.
import { Rib } from '../../src/rib/rib.js';
import type { BestChange } from '../../src/rib/loc-rib.js';
import type { Path, PathSource } from '../../src/rib/types.js';
import type { ExportTarget } from '../../src/reflector/export-target.js';
import { UpdateGroup } from '../../src/speaker/update-group.js';
import type { CodecContext, Family, PathAttributes } from '../../src/wire/types.js';
import { CTX, type FakeMember, ip } from './helpers.js';

export const CLUSTER_ID = ip('10.0.0.100');
export const BOTH: ReadonlySet<Family> = new Set(['ipv4-unicast', 'ipv6-unicast']);

/** Reflection towards route-reflector clients: attributes pass unchanged but for RFC 4456 ones. */
export const CLIENT_TARGET: ExportTarget = {
  kind: 'ibgp',
  rrClient: true,
  asn: 65000,
  localAs: 65000,
  routerId: ip('10.0.0.1'),
  clusterId: CLUSTER_ID,
  nextHopSelf: false,
  nextHopKeep: false,
  localAddress: { ipv4: ip('10.0.0.1'), ipv6: '2001:db8::1' },
};

/** A route-reflector client as a path source (address 10.0.0.<10 + id>). */
export function client(id: number): PathSource {
  const address = `10.0.0.${10 + id}`;
  return { id, address, addressKey: ip(address), bgpId: ip(address), asn: 65000, kind: 'ibgp', rrClient: true };
}

export function attrs(over: Partial<PathAttributes> = {}): PathAttributes {
  return { origin: 0, asPath: [], localPref: 100, ...over };
}

/**
 * A Loc-RIB feeding every group's dirty set, the way RouteEngine.onChange does. `passBest`
 * hands the groups the new best path too (what lets a sole member's own routes be dropped when
 * they change), as RouteEngine does.
 */
export class GroupHarness {
  readonly rib = new Rib();
  readonly groups: UpdateGroup[] = [];
  readonly lookup = { best4: (p: number) => this.rib.v4.best(p), best6: (p: string) => this.rib.v6.best(p) };

  constructor(private readonly passBest = false) {}

  group(members: FakeMember[], ctx: CodecContext = CTX, target: ExportTarget = CLIENT_TARGET): UpdateGroup {
    const g = new UpdateGroup(`g${this.groups.length}`, target, ctx, BOTH, null);
    for (const m of members) g.members.add(m);
    this.groups.push(g);
    return g;
  }

  private apply(ch: BestChange | null): void {
    if (!ch) return;
    const best = this.passBest ? ch.best : undefined;
    for (const g of this.groups) {
      if (typeof ch.prefix === 'number') g.markDirty4(ch.prefix, ch.previous, best);
      else g.markDirty6(ch.prefix, ch.previous, best);
    }
  }

  /** `source` announces v4 prefixes with `a` (its own address as NEXT_HOP unless given). */
  announce4(source: PathSource, prefixes: number[], a: PathAttributes = attrs()): void {
    const full = { nextHop: ip(source.address), ...a };
    const path: Path = { source, attrs: full, nextHop: full.nextHop };
    for (const p of prefixes) this.apply(this.rib.update(p, path));
  }

  announce6(source: PathSource, prefixes: string[], a: PathAttributes = attrs()): void {
    const path: Path = { source, attrs: a, nextHop: `2001:db8::${source.id}` };
    for (const p of prefixes) this.apply(this.rib.update(p, path));
  }

  withdraw(source: PathSource, prefixes: (number | string)[]): void {
    for (const p of prefixes) this.apply(this.rib.withdraw(p, source.id));
  }

  /** Flushes one group until it has nothing pending (as RouteEngine does, slice by slice). */
  flush(g: UpdateGroup, slice?: number): void {
    for (let i = 0; g.pending > 0; i++) {
      if (i > 10_000) throw new Error('flush does not make progress');
      g.flush(this.lookup, slice);
    }
  }
}
