// Copies of attribute sets for derivation (export rules, policy edits). V8 makes object spread
// of these sets and `delete` on the copy ~10× slower than building the copy field by field
// (measured: ~3 µs vs ~0.2 µs per set), and derivation runs once per distinct set per update
// group, so it matters at a million routes. Fields go in one fixed order, so derived sets
// with the same fields share one hidden class.
import type { PathAttributes } from '../wire/types.js';

/** Every PathAttributes field but asPath (always present), in wire type-code order. */
const OPTIONAL_KEYS = [
  'origin',
  'nextHop',
  'med',
  'localPref',
  'atomicAggregate',
  'aggregator',
  'communities',
  'originatorId',
  'clusterList',
  'extCommunities',
  'largeCommunities',
  'unknown',
] as const;

export type OptionalAttr = (typeof OPTIONAL_KEYS)[number];

// Compile-time guard: a field added to PathAttributes must be added above, or copies drop it.
type Uncopied = Exclude<keyof PathAttributes, OptionalAttr | 'asPath'>;
const allFieldsCopied: [Uncopied] extends [never] ? true : Uncopied = true;
void allFieldsCopied;

function put<K extends OptionalAttr>(to: PathAttributes, from: PathAttributes, k: K): void {
  const v = from[k];
  if (v !== undefined) to[k] = v;
}

/** A shallow copy of `from` without the `omit` fields (absent, not undefined-valued). */
export function copyAttrs(from: PathAttributes, omit?: readonly OptionalAttr[]): PathAttributes {
  const to: PathAttributes = { asPath: from.asPath };
  for (const k of OPTIONAL_KEYS) if (omit === undefined || !omit.includes(k)) put(to, from, k);
  return to;
}
