// UPDATE message encoder (RFC 4271 §4.3): the whole message, header included.
//
//   +--------------------------------------------------------------+
//   | Marker (16 octets, all ones) | Length (2) | Type (1) = 2       |   RFC 4271 §4.1
//   +--------------------------------------------------------------+
//   | Withdrawn Routes Length (2) | Withdrawn Routes (variable)     |
//   +--------------------------------------------------------------+
//   | Total Path Attribute Length (2) | Path Attributes (variable)  |
//   +--------------------------------------------------------------+
//   | Network Layer Reachability Information (variable)            |
//   +--------------------------------------------------------------+
//
// Two ways in: encodeUpdate from a typed UpdateMessage, and encodeUpdateRaw from attribute
// bytes encoded once per attribute set (the speaker's hot path, see update-pack.ts).
import type { CodecContext, UpdateMessage } from './types.js';
import { HEADER_SIZE, MAX_EXTENDED_MESSAGE_SIZE, MAX_MESSAGE_SIZE, MessageType } from './constants.js';
import { writeAttributes } from './attributes/encode-attributes.js';
import { encodeInvalid, encodeTooLarge } from './attributes/fail.js';
import { ByteWriter } from './attributes/writer.js';
import { prefixes4Size, writePrefixes4 } from './nlri.js';

/** 4096, or 65535 once RFC 8654 extended messages are negotiated. */
export function maxMessageSize(ctx: CodecContext): number {
  return ctx.extendedMessage ? MAX_EXTENDED_MESSAGE_SIZE : MAX_MESSAGE_SIZE;
}

/** Writes the 19-octet header of an UPDATE of `length` octets at `off`. */
export function writeUpdateHeader(buf: Buffer, off: number, length: number): void {
  buf.fill(0xff, off, off + 16);
  buf[off + 16] = length >>> 8;
  buf[off + 17] = length;
  buf[off + 18] = MessageType.UPDATE;
}

export function encodeUpdate(msg: UpdateMessage, ctx: CodecContext): Buffer {
  const addPath4 = ctx.addPathSend.has('ipv4-unicast');
  const nlri = msg.nlri.prefixes;
  const wd = msg.withdrawn.prefixes;
  if (msg.attrs === null && (nlri.length > 0 || msg.mpReach !== undefined)) {
    // A peer would treat the routes as withdrawn (RFC 7606 §3.d): refuse rather than mislead.
    throw encodeInvalid('UPDATE with NLRI but no path attributes');
  }
  const wSize = prefixes4Size(wd, addPath4);
  const nSize = prefixes4Size(nlri, addPath4);
  const w = new ByteWriter(HEADER_SIZE + 4 + wSize + nSize + 128);
  w.pos = HEADER_SIZE;
  w.u16(wSize);
  w.ensure(wSize + 2);
  w.pos = writePrefixes4(w.buf, w.pos, wd, 0, wd.length, msg.withdrawn.pathIds, addPath4);
  const aLenAt = w.pos;
  w.pos += 2;
  const mp = msg.mpReach !== undefined || msg.mpUnreach !== undefined ? { reach: msg.mpReach, unreach: msg.mpUnreach } : undefined;
  if (msg.attrs !== null || mp !== undefined) writeAttributes(msg.attrs, ctx, mp, w);
  const aLen = w.pos - aLenAt - 2;
  w.ensure(nSize);
  w.pos = writePrefixes4(w.buf, w.pos, nlri, 0, nlri.length, msg.nlri.pathIds, addPath4);
  const size = w.pos;
  const max = maxMessageSize(ctx);
  if (size > max) throw encodeTooLarge(size, max);
  if (aLen > 0xffff) throw encodeTooLarge(size, max);
  w.buf[aLenAt] = aLen >>> 8;
  w.buf[aLenAt + 1] = aLen;
  writeUpdateHeader(w.buf, 0, size);
  return w.finish();
}

/**
 * One UPDATE from pre-encoded Path Attributes (encodeAttributes) and IPv4 prefix numbers,
 * without ADD-PATH. Throws encode-too-large above `maxSize`.
 */
export function encodeUpdateRaw(
  attrBytes: Buffer,
  nlri4: readonly number[],
  withdrawn4: readonly number[],
  maxSize: number = MAX_MESSAGE_SIZE,
): Buffer {
  const wSize = prefixes4Size(withdrawn4, false);
  const nSize = prefixes4Size(nlri4, false);
  const size = HEADER_SIZE + 4 + wSize + attrBytes.length + nSize;
  if (size > maxSize) throw encodeTooLarge(size, maxSize);
  const buf = Buffer.allocUnsafe(size);
  writeUpdateHeader(buf, 0, size);
  let o = HEADER_SIZE;
  buf[o] = wSize >>> 8;
  buf[o + 1] = wSize;
  o = writePrefixes4(buf, o + 2, withdrawn4, 0, withdrawn4.length, undefined, false);
  buf[o] = attrBytes.length >>> 8;
  buf[o + 1] = attrBytes.length;
  o += 2;
  attrBytes.copy(buf, o);
  writePrefixes4(buf, o + attrBytes.length, nlri4, 0, nlri4.length, undefined, false);
  return buf;
}
