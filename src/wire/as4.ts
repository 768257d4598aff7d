// RFC 6793 §4.2.3: rebuilding the 4-octet AS path and aggregator of a route received from a
// 2-octet ("OLD") peer, which carries the real ASNs in AS4_PATH / AS4_AGGREGATOR and AS_TRANS
// in their place in AS_PATH / AGGREGATOR.
//
//   AS_PATH  (2-octet):  [SEQ 65001 23456 23456]      AS4_PATH: [SEQ 4200000001 4200000002]
//   result:              [SEQ 65001 4200000001 4200000002]
//
// Rules, in the RFC's order:
// - AGGREGATOR present with an AS other than AS_TRANS: AS4_AGGREGATOR and AS4_PATH are ignored
//   (a 2-octet speaker aggregated the route after the AS4 attributes were attached);
// - AGGREGATOR with AS_TRANS and an AS4_AGGREGATOR: the latter replaces it;
// - AS4_PATH with more ASes than AS_PATH (counting an AS_SET as one, confederation segments as
//   zero, RFC 4271 §9.1.2.2 and RFC 5065 §5.3) is ignored;
// - otherwise the leading (count(AS_PATH) - count(AS4_PATH)) ASes of AS_PATH, and the
//   confederation segments before them, are kept and AS4_PATH is appended.
// Every "ignored" is reported as attribute-discard so operators can see it.
import type { AsPathSegment, AttributeError } from './types.js';
import { AS_TRANS } from './constants.js';
import { AttrCode, SegmentType } from './attributes/codes.js';
import type { AttrDecodeState } from './attributes/descriptor.js';

function isConfed(type: number): boolean {
  return type === SegmentType.AS_CONFED_SEQUENCE || type === SegmentType.AS_CONFED_SET;
}

/** Path length for best-path selection and for RFC 6793's comparison. */
export function countAsPath(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (const seg of segments) {
    if (seg.type === SegmentType.AS_SEQUENCE) n += seg.asns.length;
    else if (seg.type === SegmentType.AS_SET) n += 1;
  }
  return n;
}

/** Keeps the leading part of `asPath` and appends `as4Path` (caller checked the counts). */
export function mergeAs4Path(asPath: readonly AsPathSegment[], as4Path: readonly AsPathSegment[]): AsPathSegment[] {
  let keep = countAsPath(asPath) - countAsPath(as4Path);
  const out: AsPathSegment[] = [];
  for (const seg of asPath) {
    if (isConfed(seg.type)) {
      out.push({ type: seg.type, asns: seg.asns.slice() });
      continue;
    }
    if (keep === 0) break;
    if (seg.type === SegmentType.AS_SET) {
      out.push({ type: seg.type, asns: seg.asns.slice() });
      keep -= 1;
    } else {
      const take = Math.min(keep, seg.asns.length);
      out.push({ type: seg.type, asns: seg.asns.slice(0, take) });
      keep -= take;
    }
  }
  for (let i = 0; i < as4Path.length; i++) {
    const seg = as4Path[i]!;
    const last = out[out.length - 1];
    // Join the seam (only there) so a path sent as one sequence comes back as one sequence.
    if (i === 0 && last && last.type === SegmentType.AS_SEQUENCE && seg.type === SegmentType.AS_SEQUENCE && last.asns.length + seg.asns.length <= 255) {
      last.asns.push(...seg.asns);
    } else {
      out.push({ type: seg.type, asns: seg.asns.slice() });
    }
  }
  return out;
}

/** Applies RFC 6793 §4.2.3 to a decoded attribute set from a 2-octet peer. */
export function reconcileAs4(st: AttrDecodeState, errors: AttributeError[]): void {
  const { as4Path, as4Aggregator } = st;
  if (as4Path === undefined && as4Aggregator === undefined) return;
  const attrs = st.attrs;
  const agg = attrs.aggregator;
  if (agg !== undefined && agg.asn !== AS_TRANS) {
    if (as4Aggregator) errors.push({ action: 'attribute-discard', code: AttrCode.AS4_AGGREGATOR, reason: 'as4-aggregator-ignored-aggregator-not-as-trans' });
    if (as4Path) errors.push({ action: 'attribute-discard', code: AttrCode.AS4_PATH, reason: 'as4-path-ignored-aggregator-not-as-trans' });
    return;
  }
  if (as4Aggregator) {
    if (agg === undefined) {
      errors.push({ action: 'attribute-discard', code: AttrCode.AS4_AGGREGATOR, reason: 'as4-aggregator-without-aggregator' });
    } else {
      attrs.aggregator = as4Aggregator;
    }
  }
  if (as4Path) {
    if (countAsPath(as4Path) > countAsPath(attrs.asPath)) {
      errors.push({ action: 'attribute-discard', code: AttrCode.AS4_PATH, reason: 'as4-path-longer-than-as-path' });
    } else {
      attrs.asPath = mergeAs4Path(attrs.asPath, as4Path);
    }
  }
}
