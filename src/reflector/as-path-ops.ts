// AS_PATH operations used on the way in (loop detection) and out (prepend to eBGP).
import type { AsPathSegment } from '../wire/types.js';

/** RFC 4271 §4.3: a segment carries at most 255 ASNs (one-octet count). */
export const MAX_SEGMENT_ASNS = 255;

/** How many times `asn` appears in the path, AS_SETs and confederation segments included. */
export function countAs(path: readonly AsPathSegment[], asn: number): number {
  let n = 0;
  for (const seg of path) for (const a of seg.asns) if (a === asn) n++;
  return n;
}

/**
 * The path as sent to an external peer, RFC 4271 §5.1.2: our AS prepended to the leading
 * AS_SEQUENCE, or as a new AS_SEQUENCE when the path is empty, starts with an AS_SET or the
 * leading sequence is full. Confederation segments are removed first (RFC 5065 §5.3); Wren runs
 * no confederation, so they can only be leftovers.
 */
export function prependAs(path: readonly AsPathSegment[], asn: number): AsPathSegment[] {
  const rest = path.some((s) => s.type === 3 || s.type === 4) ? path.filter((s) => s.type === 1 || s.type === 2) : path;
  const first = rest[0];
  if (first !== undefined && first.type === 2 && first.asns.length < MAX_SEGMENT_ASNS) {
    return [{ type: 2, asns: [asn, ...first.asns] }, ...rest.slice(1)];
  }
  return [{ type: 2, asns: [asn] }, ...rest];
}
