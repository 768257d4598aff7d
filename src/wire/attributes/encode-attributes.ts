// Encodes PathAttributes (and optionally MP_REACH/MP_UNREACH) into the Path Attributes field
// of an UPDATE (RFC 4271 §4.3). Order: MP_REACH_NLRI and MP_UNREACH_NLRI first (RFC 7606
// §5.1, so a receiver can always find the NLRI), then ascending type code, unknown transitive
// attributes merged in by code. Towards a 2-octet peer the AS4_* attributes are added when
// needed (RFC 6793 §4.2.2).
//
//   +-----------------------------------------------------+
//   | attribute | attribute | ...   (see writer.ts)       |
//   +-----------------------------------------------------+
import type { CodecContext, MpReach, NlriSet, PathAttributes, UnknownAttribute } from '../types.js';
import { AttrCode, FLAGS_OPTIONAL_NON_TRANSITIVE } from './codes.js';
import { encodeInvalid } from './fail.js';
import { writeMpReach, writeMpUnreach } from './mp.js';
import { ATTRIBUTE_BY_CODE, ATTRIBUTE_TABLE } from './table.js';
import { ByteWriter } from './writer.js';

/** NLRI carriers to put in front of the attributes. */
export interface MpAttrs {
  reach?: MpReach;
  unreach?: NlriSet;
}

function writeUnknown(u: UnknownAttribute, w: ByteWriter): void {
  if (!Number.isInteger(u.code) || u.code < 0 || u.code > 255) throw encodeInvalid(`attribute code ${u.code}`);
  // A known code here would be sent twice, and the receiver would drop one (RFC 7606 §3.g).
  if (ATTRIBUTE_BY_CODE[u.code] !== undefined || u.code === AttrCode.MP_REACH_NLRI || u.code === AttrCode.MP_UNREACH_NLRI) {
    throw encodeInvalid(`attribute code ${u.code} is not unknown to this codec`);
  }
  const mark = w.beginAttr(u.flags, u.code);
  w.bytes(u.value);
  w.endAttr(mark);
}

/** Writes the attributes into `w` (no Total Path Attribute Length: the caller frames). */
export function writeAttributes(attrs: PathAttributes | null, ctx: CodecContext, mp: MpAttrs | undefined, w: ByteWriter): void {
  if (mp?.reach) {
    const mark = w.beginAttr(FLAGS_OPTIONAL_NON_TRANSITIVE, AttrCode.MP_REACH_NLRI);
    writeMpReach(mp.reach, ctx, w);
    w.endAttr(mark);
  }
  if (mp?.unreach) {
    const mark = w.beginAttr(FLAGS_OPTIONAL_NON_TRANSITIVE, AttrCode.MP_UNREACH_NLRI);
    writeMpUnreach(mp.unreach, ctx, w);
    w.endAttr(mark);
  }
  if (attrs === null) return;
  const unknown = attrs.unknown && attrs.unknown.length > 0 ? [...attrs.unknown].sort((x, y) => x.code - y.code) : null;
  let u = 0;
  for (const d of ATTRIBUTE_TABLE) {
    while (unknown && u < unknown.length && unknown[u]!.code < d.code) writeUnknown(unknown[u++]!, w);
    if (!d.present(attrs, ctx)) continue;
    const mark = w.beginAttr(d.flags, d.code);
    d.encode(attrs, ctx, w);
    w.endAttr(mark);
  }
  while (unknown && u < unknown.length) writeUnknown(unknown[u++]!, w);
}

/**
 * The Path Attributes field for `attrs` (plus MP_REACH/MP_UNREACH when given), ready to be
 * reused for every UPDATE that shares this attribute set (see update-pack.ts).
 */
export function encodeAttributes(attrs: PathAttributes | null, ctx: CodecContext, mp?: MpAttrs): Buffer {
  const w = new ByteWriter(256);
  writeAttributes(attrs, ctx, mp, w);
  return w.finish();
}
