// BGP message header, RFC 4271 §4.1:
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// +                                                               +
// |                                                               |
// +                                                               +
// |                           Marker                              |
// +                                                               +
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |          Length               |      Type     |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The marker is all ones (RFC 4271 §4.1, authentication moved to TCP). Length counts the whole
// message, header included.

import { ErrorCode, HEADER_SIZE, MessageHeaderSubcode } from './constants.js';
import { WireError, type WireErrorCode } from './errors.js';

/** True when the 16 octets at `offset` are all ones. Four 32-bit reads: this is on the hot path. */
export function hasValidMarker(buf: Buffer, offset: number): boolean {
  return (
    buf.readInt32LE(offset) === -1 &&
    buf.readInt32LE(offset + 4) === -1 &&
    buf.readInt32LE(offset + 8) === -1 &&
    buf.readInt32LE(offset + 12) === -1
  );
}

/** Writes marker, length and type at the start of `buf`. */
export function writeHeader(buf: Buffer, length: number, type: number): void {
  buf.fill(0xff, 0, 16);
  buf.writeUInt16BE(length, 16);
  buf[18] = type;
}

/** A 19-octet header on its own. */
export function encodeHeader(length: number, type: number): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_SIZE);
  writeHeader(buf, length, type);
  return buf;
}

/**
 * A whole message buffer of `HEADER_SIZE + bodyLength` octets with the header written; the
 * caller fills the body from offset 19. The body is not zeroed.
 */
export function allocMessage(type: number, bodyLength: number): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_SIZE + bodyLength);
  writeHeader(buf, HEADER_SIZE + bodyLength, type);
  return buf;
}

/** The 2-octet Length field as NOTIFICATION data (RFC 4271 §6.1 "erroneous Length field"). */
export function lengthData(length: number): Buffer {
  const data = Buffer.allocUnsafe(2);
  data.writeUInt16BE(length & 0xffff, 0);
  return data;
}

/** Message Header Error / Bad Message Length with the Length field as data (RFC 4271 §6.1). */
export function badMessageLength(length: number, code: WireErrorCode, why: string): WireError {
  return new WireError(
    code,
    ErrorCode.MESSAGE_HEADER,
    MessageHeaderSubcode.BAD_MESSAGE_LENGTH,
    lengthData(length),
    `bad message length ${length}: ${why}`,
  );
}

/** Message Header Error / Connection Not Synchronized (RFC 4271 §6.1: marker not all ones). */
export function badMarker(): WireError {
  return new WireError(
    'bad-marker',
    ErrorCode.MESSAGE_HEADER,
    MessageHeaderSubcode.CONNECTION_NOT_SYNCHRONIZED,
    Buffer.alloc(0),
    'message header marker is not all ones',
  );
}
