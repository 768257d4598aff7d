// AS_PATH (type 2, RFC 4271 §4.3 / §5.1.2, RFC 6793 §3) and AS4_PATH (type 17, RFC 6793 §3).
// AS_PATH carries 2-octet ASNs to an old (2-octet) peer and 4-octet ASNs when both sides
// negotiated the AS4 capability; AS4_PATH always carries 4-octet ASNs.
//
//   segment: +-----------+-----------+----------------------------------+
//            | type (1)  | count (1) | count × ASN (2 or 4 octets each) |
//            +-----------+-----------+----------------------------------+
//   type: 1 AS_SET, 2 AS_SEQUENCE, 3 AS_CONFED_SEQUENCE, 4 AS_CONFED_SET (RFC 5065 §3)
//
// RFC 7606 §7.2: AS_PATH malformed (unknown segment type, overrun, one-octet underrun, a
// zero-count segment) → treat-as-withdraw. RFC 6793 §6: AS4_PATH malformed → attribute-discard;
// an AS4_PATH with confederation segments is treated as malformed too (RFC 6793 §6).
import type { AsPathSegment, AsPathSegmentType } from '../types.js';
import { AS_TRANS } from '../constants.js';
import { AttrCode, FLAGS_OPTIONAL_TRANSITIVE, FLAGS_WELL_KNOWN, SegmentType } from './codes.js';
import { readU32, type AttrDescriptor } from './descriptor.js';
import { encodeInvalid } from './fail.js';
import type { ByteWriter } from './writer.js';

/**
 * Parses segments of `asnSize`-octet ASNs. Returns the segments, or the reason suffix
 * ('segment-underrun', 'bad-segment-type', 'zero-length-segment', 'segment-overrun').
 */
export function parseSegments(b: Buffer, off: number, len: number, asnSize: 2 | 4): AsPathSegment[] | string {
  const end = off + len;
  const out: AsPathSegment[] = [];
  let p = off;
  while (p < end) {
    if (p + 2 > end) return 'segment-underrun';
    const type = b[p]!;
    const n = b[p + 1]!;
    if (type < 1 || type > 4) return 'bad-segment-type';
    if (n === 0) return 'zero-length-segment';
    p += 2;
    if (p + n * asnSize > end) return 'segment-overrun';
    const asns = new Array<number>(n);
    if (asnSize === 2) {
      for (let i = 0; i < n; i++, p += 2) asns[i] = (b[p]! << 8) | b[p + 1]!;
    } else {
      for (let i = 0; i < n; i++, p += 4) asns[i] = readU32(b, p);
    }
    out.push({ type: type as AsPathSegmentType, asns });
  }
  return out;
}

function isConfed(type: number): boolean {
  return type === SegmentType.AS_CONFED_SEQUENCE || type === SegmentType.AS_CONFED_SET;
}

function checkAsn(asn: number): void {
  if (!Number.isInteger(asn) || asn < 0 || asn > 0xffffffff) throw encodeInvalid(`ASN ${asn} is not a 32-bit unsigned integer`);
}

/**
 * Writes segments. With 2-octet ASNs, ASNs above 65535 become AS_TRANS (RFC 6793 §4.2.2).
 * Sequences longer than 255 are split into several segments (same meaning); a set cannot
 * be split, so a set above 255 is refused.
 */
export function writeSegments(segments: readonly AsPathSegment[], asnSize: 2 | 4, skipConfed: boolean, w: ByteWriter): void {
  for (const seg of segments) {
    const { type, asns } = seg;
    if (type !== 1 && type !== 2 && type !== 3 && type !== 4) throw encodeInvalid(`AS_PATH segment type ${String(type)}`);
    if (skipConfed && isConfed(type)) continue;
    if (asns.length === 0) continue; // RFC 7606 §7.2: a zero-count segment is malformed, never send one
    if (asns.length > 255 && (type === SegmentType.AS_SET || type === SegmentType.AS_CONFED_SET)) {
      throw encodeInvalid(`AS_SET of ${asns.length} ASNs does not fit one segment`);
    }
    for (let start = 0; start < asns.length; start += 255) {
      const n = Math.min(255, asns.length - start);
      w.ensure(2 + n * asnSize);
      w.u8(type);
      w.u8(n);
      for (let i = start; i < start + n; i++) {
        const asn = asns[i]!;
        checkAsn(asn);
        if (asnSize === 4) w.u32(asn);
        else w.u16(asn > 0xffff ? AS_TRANS : asn);
      }
    }
  }
}

/** RFC 6793 §4.2.2: an AS4_PATH is needed when a non-confederation ASN does not fit 2 octets. */
export function needsAs4Path(segments: readonly AsPathSegment[]): boolean {
  for (const seg of segments) {
    if (isConfed(seg.type)) continue;
    for (const asn of seg.asns) if (asn > 0xffff) return true;
  }
  return false;
}

export const asPathAttr: AttrDescriptor = {
  code: AttrCode.AS_PATH,
  name: 'AS_PATH',
  slug: 'as-path',
  flags: FLAGS_WELL_KNOWN,
  malformed: 'treat-as-withdraw',
  decode(b, off, len, st) {
    const r = parseSegments(b, off, len, st.ctx.as4 ? 4 : 2);
    if (typeof r === 'string') return `as-path-${r}`;
    st.attrs.asPath = r;
    return null;
  },
  // AS_PATH is well-known mandatory: always sent, empty for a locally originated iBGP route.
  present: () => true,
  encode(a, ctx, w) {
    writeSegments(a.asPath, ctx.as4 ? 4 : 2, false, w);
  },
};

export const as4PathAttr: AttrDescriptor = {
  code: AttrCode.AS4_PATH,
  name: 'AS4_PATH',
  slug: 'as4-path',
  flags: FLAGS_OPTIONAL_TRANSITIVE,
  malformed: 'attribute-discard',
  decode(b, off, len, st) {
    const r = parseSegments(b, off, len, 4);
    if (typeof r === 'string') return `as4-path-${r}`;
    for (const seg of r) if (isConfed(seg.type)) return 'as4-path-confed-segment';
    st.as4Path = r;
    return null;
  },
  // RFC 6793 §4.2.2: sent only to a 2-octet peer, without confederation segments.
  present: (a, ctx) => !ctx.as4 && needsAs4Path(a.asPath),
  encode(a, _ctx, w) {
    writeSegments(a.asPath, 4, true, w);
  },
};
