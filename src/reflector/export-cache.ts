// Derived attribute sets, cached by the identity of the interned input set, so a million
// routes sharing ten thousand attribute sets produce at most ten thousand derived sets per
// update group (DESIGN.md, performance model) and the derived sets stay shareable by identity
// (packing groups prefixes by attribute object).
import type { PathAttributes } from '../wire/types.js';

/**
 * One cache per export signature (exportSignature). Inside, a WeakMap per "variant": what the
 * derived set depends on besides the input set and the target (transformation kind, the
 * source's BGP id for a new ORIGINATOR_ID, ...). WeakMaps so withdrawn attribute sets die
 * with their routes; variants are few (bounded by the number of peers).
 */
export class ExportCache {
  private readonly v4 = new Map<number | string, WeakMap<PathAttributes, PathAttributes>>();
  private readonly v6 = new Map<number | string, WeakMap<PathAttributes, PathAttributes>>();
  /** derived sets built through this cache (not hits): what the ≤ distinct-sets bound is about */
  built = 0;

  constructor(readonly signature: string) {}

  get(ipv4: boolean, variant: number | string, attrs: PathAttributes): PathAttributes | undefined {
    return (ipv4 ? this.v4 : this.v6).get(variant)?.get(attrs);
  }

  set(ipv4: boolean, variant: number | string, attrs: PathAttributes, derived: PathAttributes): void {
    const byVariant = ipv4 ? this.v4 : this.v6;
    let m = byVariant.get(variant);
    if (m === undefined) {
      m = new WeakMap();
      byVariant.set(variant, m);
    }
    m.set(attrs, derived);
    if (derived !== attrs) this.built++;
  }
}
