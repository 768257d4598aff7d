// Walks the path attributes of one UPDATE (MP_REACH/MP_UNREACH excepted, see mp.ts) through
// the attribute table and applies RFC 7606 §3 and §7 as it goes:
//
//   <attribute>* where attribute = flags(1) type(1) length(1|2, E bit) value(length)
//
// - conflicting Optional/Transitive flags → the attribute's own malformed action (§3.c);
// - a repeated attribute → every occurrence after the first discarded (§3.g);
// - unrecognized well-known → session reset, Unrecognized Well-known Attribute (RFC 4271 §6.3);
// - unrecognized optional transitive → kept with Partial set; optional non-transitive → dropped
//   (RFC 4271 §5);
// - AS4_PATH / AS4_AGGREGATOR from a 4-octet peer → discarded (RFC 6793 §4.1), from a
//   2-octet peer → reconciled (RFC 6793 §4.2.3, as4.ts).
// The result depends only on the bytes and ctx.as4, which is what lets AttrCache share it.
import type { AttributeError, CodecContext, PathAttributes } from '../types.js';
import { reconcileAs4 } from '../as4.js';
import { UpdateSubcode } from '../constants.js';
import { ATTR_FLAGS_OT_MASK, AttrCode, AttrFlag } from './codes.js';
import type { AttrDecodeState } from './descriptor.js';
import { attributeMalformed } from './fail.js';
import { ATTRIBUTE_BY_CODE } from './table.js';

/** Bits of AttrSet.seen: which well-known mandatory attributes appeared on the wire. */
export const SEEN_ORIGIN = 1;
export const SEEN_AS_PATH = 2;
export const SEEN_NEXT_HOP = 4;

/** A decoded attribute section: shared between UPDATEs by AttrCache, so never mutated. */
export interface AttrSet {
  readonly attrs: PathAttributes;
  /** RFC 7606 findings for these attributes alone (message-level checks come later) */
  readonly errors: readonly AttributeError[];
  /** SEEN_* bits (RFC 7606 §3.d needs presence, even of a malformed attribute) */
  readonly seen: number;
}

/**
 * Decodes the attributes in [start, end), which must be well framed (every length inside the
 * range: update-decode.ts checks that first, RFC 7606 §4). MP_REACH/MP_UNREACH are skipped.
 */
export function decodeAttrSet(b: Buffer, start: number, end: number, ctx: CodecContext): AttrSet {
  const st: AttrDecodeState = { ctx, attrs: { asPath: [] } };
  const errors: AttributeError[] = [];
  let seen = 0;
  let seenLo = 0; // duplicate detection, codes 0..31
  let seenHi = 0; // codes 32..63
  let seenMore: Set<number> | null = null; // codes 64..255 (rare)
  let p = start;
  while (p < end) {
    const attrStart = p;
    const flags = b[p]!;
    const code = b[p + 1]!;
    let off: number;
    let len: number;
    if (flags & AttrFlag.EXTENDED_LENGTH) {
      len = (b[p + 2]! << 8) | b[p + 3]!;
      off = p + 4;
    } else {
      len = b[p + 2]!;
      off = p + 3;
    }
    p = off + len;
    if (code === AttrCode.MP_REACH_NLRI || code === AttrCode.MP_UNREACH_NLRI) continue;

    let dup: boolean;
    if (code < 32) {
      dup = (seenLo & (1 << code)) !== 0;
      seenLo |= 1 << code;
    } else if (code < 64) {
      dup = (seenHi & (1 << (code - 32))) !== 0;
      seenHi |= 1 << (code - 32);
    } else {
      seenMore ??= new Set();
      dup = seenMore.has(code);
      seenMore.add(code);
    }
    if (dup) {
      errors.push({ action: 'attribute-discard', code, reason: 'duplicate-attribute' });
      continue;
    }

    const d = ATTRIBUTE_BY_CODE[code];
    if (d === undefined) {
      if ((flags & AttrFlag.OPTIONAL) === 0) {
        throw attributeMalformed(
          UpdateSubcode.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE,
          `unrecognized well-known attribute ${code}`,
          Buffer.from(b.subarray(attrStart, p)),
        );
      }
      if (flags & AttrFlag.TRANSITIVE) {
        (st.attrs.unknown ??= []).push({
          flags: (flags & 0xe0) | AttrFlag.PARTIAL,
          code,
          value: Buffer.from(b.subarray(off, p)),
        });
      }
      continue;
    }
    if (code <= AttrCode.NEXT_HOP) seen |= 1 << (code - 1);
    if (ctx.as4 && (code === AttrCode.AS4_PATH || code === AttrCode.AS4_AGGREGATOR)) {
      errors.push({ action: 'attribute-discard', code, reason: `${d.slug}-from-as4-peer` });
      continue;
    }
    if ((flags & ATTR_FLAGS_OT_MASK) !== d.flags) {
      errors.push({ action: d.malformed, code, reason: `${d.slug}-bad-flags` });
      continue;
    }
    const reason = d.decode(b, off, len, st);
    if (reason !== null) errors.push({ action: d.malformed, code, reason });
  }
  if (!ctx.as4) reconcileAs4(st, errors);
  return { attrs: st.attrs, errors, seen };
}
