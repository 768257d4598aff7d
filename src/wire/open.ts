// OPEN message, RFC 4271 §4.2 (after the 19-octet header):
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+
// |    Version    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     My Autonomous System      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           Hold Time           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                         BGP Identifier                        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Opt Parm Len  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |             Optional Parameters (variable)                    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Each optional parameter is Type(1) Length(1) Value. RFC 9072 §2 extended form, signalled by
// Opt Parm Len = 255 followed by a Type octet of 255:
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Non-Ext OP Len = 255 | Non-Ext OP Type = 255 | Ext OP Length (2) |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  then parameters as Type(1) Length(2) Value                   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Errors, chosen per RFC 4271 §6.1/§6.2 (and as BIRD answers them):
// - shorter than 29 octets, or an optional-parameters length that disagrees with the message
//   length: Message Header Error / Bad Message Length, data = the Length field (§6.1 names the
//   OPEN minimum length; a length mismatch is the same inconsistency seen from the other side);
// - a parameter whose own length runs past the optional parameters: OPEN Message Error /
//   Unspecific (subcode 0, "recognized but malformed", §6.2);
// - a parameter type other than Capabilities (2): OPEN Message Error / Unsupported Optional
//   Parameter (subcode 4), data = the parameter (common practice, needed by Cisco peers);
// - malformed capabilities: see capabilities.ts.
// Semantic checks (version, peer AS, hold time 1-2, BGP identifier) belong to the session: the
// decoder returns the fields as sent.

import { capabilityValueLength, decodeCapabilities, writeCapability } from './capabilities.js';
import {
  ErrorCode,
  HEADER_SIZE,
  MAX_MESSAGE_SIZE,
  MessageType,
  OpenSubcode,
  OptionalParameterType,
} from './constants.js';
import { checkUint, encodeTooLarge } from './encode-errors.js';
import { WireError } from './errors.js';
import { allocMessage, badMessageLength } from './header.js';
import type { Capability, OpenMessage } from './types.js';

/** Octets of the OPEN body before the optional parameters (Version .. Opt Parm Len). */
const FIXED_BODY = 10;
/** Extended form adds Non-Ext OP Type (1) and Ext OP Length (2). */
const FIXED_BODY_EXTENDED = 13;
/** Largest Capabilities parameter value that still fits the 1-octet Opt Parm Len with its 2-octet header. */
const MAX_NON_EXTENDED_CAPS = 255 - 2;

/** Decodes an OPEN body (the message after the header). Throws WireError. */
export function decodeOpen(body: Buffer): OpenMessage {
  const length = body.length + HEADER_SIZE;
  if (body.length < FIXED_BODY) throw badMessageLength(length, 'open-malformed', 'OPEN shorter than 29 octets');
  const optLength = body[9]!;

  let params: Buffer;
  let lengthSize: 1 | 2;
  if (optLength === 255 && body.length > FIXED_BODY && body[FIXED_BODY] === OptionalParameterType.EXTENDED_LENGTH) {
    // RFC 9072 §2
    if (body.length < FIXED_BODY_EXTENDED) throw badMessageLength(length, 'open-malformed', 'OPEN extended optional parameters length cut short');
    const extLength = body.readUInt16BE(11);
    if (FIXED_BODY_EXTENDED + extLength !== body.length) {
      throw badMessageLength(length, 'open-malformed', `OPEN extended optional parameters length ${extLength} disagrees with the message length`);
    }
    params = body.subarray(FIXED_BODY_EXTENDED);
    lengthSize = 2;
  } else {
    if (FIXED_BODY + optLength !== body.length) {
      throw badMessageLength(length, 'open-malformed', `OPEN optional parameters length ${optLength} disagrees with the message length`);
    }
    params = body.subarray(FIXED_BODY);
    lengthSize = 1;
  }

  const capabilities: Capability[] = [];
  let off = 0;
  while (off < params.length) {
    if (params.length - off < 1 + lengthSize) throw openUnspecific('optional parameter header cut short');
    const type = params[off]!;
    const paramLength = lengthSize === 1 ? params[off + 1]! : params.readUInt16BE(off + 1);
    const valueAt = off + 1 + lengthSize;
    const end = valueAt + paramLength;
    if (end > params.length) throw openUnspecific(`optional parameter ${type} length ${paramLength} runs past the optional parameters`);
    if (type !== OptionalParameterType.CAPABILITIES) {
      throw new WireError(
        'open-malformed',
        ErrorCode.OPEN_MESSAGE,
        OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER,
        Buffer.from(params.subarray(off, end)),
        `unsupported optional parameter type ${type}`,
      );
    }
    decodeCapabilities(params.subarray(valueAt, end), capabilities);
    off = end;
  }

  return {
    kind: 'open',
    version: body[0]!,
    myAs: body.readUInt16BE(1),
    holdTime: body.readUInt16BE(3),
    bgpId: body.readUInt32BE(5),
    capabilities,
  };
}

function openUnspecific(why: string): WireError {
  return new WireError('open-malformed', ErrorCode.OPEN_MESSAGE, OpenSubcode.UNSPECIFIC, Buffer.alloc(0), why);
}

/**
 * Encodes a whole OPEN. All capabilities go in one Capabilities parameter; when they exceed 253
 * octets the RFC 9072 extended form is used (only then, as RFC 9072 §2 recommends, since older
 * peers cannot read it). An OPEN never exceeds 4096 octets (RFC 8654 §3), else 'encode-too-large'.
 */
export function encodeOpen(msg: OpenMessage): Buffer {
  const caps = msg.capabilities;
  const valueLengths = caps.map(capabilityValueLength);
  let capsLength = 0;
  for (const n of valueLengths) capsLength += 2 + n;
  const extended = capsLength > MAX_NON_EXTENDED_CAPS;
  const paramsLength = caps.length === 0 ? 0 : extended ? 3 + 3 + capsLength : 2 + capsLength;
  const bodyLength = FIXED_BODY + paramsLength;
  if (HEADER_SIZE + bodyLength > MAX_MESSAGE_SIZE) throw encodeTooLarge(HEADER_SIZE + bodyLength, MAX_MESSAGE_SIZE, 'OPEN');

  const buf = allocMessage(MessageType.OPEN, bodyLength);
  let off = HEADER_SIZE;
  buf[off] = checkUint(msg.version, 0xff, 'OPEN version');
  buf.writeUInt16BE(checkUint(msg.myAs, 0xffff, 'OPEN My Autonomous System'), off + 1);
  buf.writeUInt16BE(checkUint(msg.holdTime, 0xffff, 'OPEN hold time'), off + 3);
  buf.writeUInt32BE(checkUint(msg.bgpId, 0xffffffff, 'OPEN BGP identifier'), off + 5);
  off += 9;
  if (caps.length === 0) {
    buf[off] = 0;
    return buf;
  }
  if (extended) {
    buf[off] = 255; // Non-Ext OP Len, RFC 9072 §2
    buf[off + 1] = OptionalParameterType.EXTENDED_LENGTH;
    buf.writeUInt16BE(3 + capsLength, off + 2);
    buf[off + 4] = OptionalParameterType.CAPABILITIES;
    buf.writeUInt16BE(capsLength, off + 5);
    off += 7;
  } else {
    buf[off] = 2 + capsLength;
    buf[off + 1] = OptionalParameterType.CAPABILITIES;
    buf[off + 2] = capsLength;
    off += 3;
  }
  for (let i = 0; i < caps.length; i++) off = writeCapability(caps[i]!, buf, off, valueLengths[i]!);
  return buf;
}
