// The shape of one path attribute's entry in the attribute table (BIRD's bgp_attr_table
// idea): name, expected flags, the RFC 7606 action for a malformed value, and the decode and
// encode hooks. Hooks work straight on the receive buffer and on a shared ByteWriter.
import type { Aggregator, AsPathSegment, CodecContext, PathAttributes } from '../types.js';
import type { ByteWriter } from './writer.js';

/** What RFC 7606 §7 (or RFC 6793 §6) prescribes when this attribute is malformed. */
export type MalformedAction = 'treat-as-withdraw' | 'attribute-discard';

/** Mutable state for one walk over an attribute section. */
export interface AttrDecodeState {
  readonly ctx: CodecContext;
  attrs: PathAttributes;
  /** AS4_PATH as received from a 2-octet peer, reconciled after the walk (RFC 6793 §4.2.3) */
  as4Path?: AsPathSegment[];
  /** AS4_AGGREGATOR as received from a 2-octet peer */
  as4Aggregator?: Aggregator;
}

export interface AttrDescriptor {
  /** IANA type code */
  readonly code: number;
  /** IANA name, for logs */
  readonly name: string;
  /** prefix of every reason string this attribute produces, e.g. 'origin' */
  readonly slug: string;
  /** expected Optional/Transitive bits (RFC 4271 §5, RFC 7606 §3.c) */
  readonly flags: number;
  /** RFC 7606 action for a malformed value or conflicting flags */
  readonly malformed: MalformedAction;
  /**
   * Decodes `len` octets at `off` into `st`. Returns null when well-formed, otherwise the
   * kebab-case reason (the value is then not stored).
   */
  decode(b: Buffer, off: number, len: number, st: AttrDecodeState): string | null;
  /** Whether encode() has anything to write for these attributes in this context. */
  present(attrs: PathAttributes, ctx: CodecContext): boolean;
  /** Writes the attribute value (the caller frames it). */
  encode(attrs: PathAttributes, ctx: CodecContext, w: ByteWriter): void;
}

/** Reads a big-endian u32 without bounds exceptions (callers check bounds first). */
export function readU32(b: Buffer, p: number): number {
  return b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
}
