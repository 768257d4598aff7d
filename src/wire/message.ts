// Whole-message dispatch on the RFC 4271 §4.1 header:
//
// +--------------------------------+----------------+--------+-----------------------+
// | Marker (16, all ones)          | Length (2)     | Type(1)| body (Length - 19)    |
// +--------------------------------+----------------+--------+-----------------------+
//
// Type: 1 OPEN, 2 UPDATE, 3 NOTIFICATION, 4 KEEPALIVE, 5 ROUTE-REFRESH (IANA "BGP Message
// Types"). Anything else is Message Header Error / Bad Message Type with the type octet as data
// (RFC 4271 §6.1).

import {
  ErrorCode,
  HEADER_SIZE,
  MAX_EXTENDED_MESSAGE_SIZE,
  MAX_MESSAGE_SIZE,
  MessageHeaderSubcode,
  MessageType,
  MIN_UPDATE_SIZE,
} from './constants.js';
import { encodeTooLarge } from './encode-errors.js';
import { WireError } from './errors.js';
import { badMarker, badMessageLength, hasValidMarker } from './header.js';
import { decodeKeepalive, encodeKeepalive } from './keepalive.js';
import { decodeNotification, encodeNotification } from './notification.js';
import { decodeOpen, encodeOpen } from './open.js';
import { decodeRouteRefresh, encodeRouteRefresh, type RouteRefreshOptions } from './route-refresh.js';
import type { BgpMessage, CodecContext } from './types.js';
import { decodeUpdate } from './update-decode.js';
import { encodeUpdate } from './update-encode.js';

/** CodecContext plus what only the non-UPDATE messages need; a plain CodecContext is accepted. */
export type MessageContext = CodecContext & RouteRefreshOptions;

/** Largest message allowed for `type` under `ctx` (RFC 8654 §3: never for OPEN and KEEPALIVE). */
export function maxMessageSize(type: number, ctx: CodecContext): number {
  if (!ctx.extendedMessage || type === MessageType.OPEN || type === MessageType.KEEPALIVE) return MAX_MESSAGE_SIZE;
  return MAX_EXTENDED_MESSAGE_SIZE;
}

/**
 * Decodes one whole message (header included), normally a buffer returned by Framer.push.
 * Returns null for a message the RFCs say to ignore: today only a ROUTE-REFRESH with a reserved
 * subtype (RFC 7313 §5). Throws WireError carrying the NOTIFICATION to send.
 *
 * The header is re-checked (cheap) so the function is safe on buffers that did not come from a
 * Framer, e.g. the test corpus.
 */
export function decodeMessage(raw: Buffer, ctx: MessageContext): BgpMessage | null {
  if (raw.length < HEADER_SIZE) throw badMessageLength(raw.length, 'bad-length', `shorter than the ${HEADER_SIZE}-octet header`);
  if (!hasValidMarker(raw, 0)) throw badMarker();
  const length = raw.readUInt16BE(16);
  const type = raw[18]!;
  if (length !== raw.length) throw badMessageLength(length, 'bad-length', `header says ${length} octets, message has ${raw.length}`);
  if (length > maxMessageSize(type, ctx)) throw badMessageLength(length, 'bad-length', `longer than the maximum ${maxMessageSize(type, ctx)}`);
  const body = raw.subarray(HEADER_SIZE);
  switch (type) {
    case MessageType.UPDATE:
      // RFC 4271 §6.1: shorter than the UPDATE minimum. Checked here so the answer is the
      // same whatever the UPDATE decoder does with a body it cannot even start to read.
      if (length < MIN_UPDATE_SIZE) throw badMessageLength(length, 'update-malformed', `UPDATE needs at least ${MIN_UPDATE_SIZE} octets`);
      return decodeUpdate(body, ctx);
    case MessageType.KEEPALIVE:
      return decodeKeepalive(body);
    case MessageType.OPEN:
      return decodeOpen(body);
    case MessageType.NOTIFICATION:
      return decodeNotification(body);
    case MessageType.ROUTE_REFRESH:
      return decodeRouteRefresh(body, ctx);
    default:
      throw new WireError(
        'bad-type',
        ErrorCode.MESSAGE_HEADER,
        MessageHeaderSubcode.BAD_MESSAGE_TYPE,
        Buffer.of(type),
        `unknown message type ${type}`,
      );
  }
}

/**
 * Encodes one whole message (header included). Throws WireError 'encode-too-large' above the
 * size limit of maxMessageSize (NOTIFICATION data is truncated instead, see notification.ts)
 * and 'encode-invalid' on out-of-range fields.
 */
export function encodeMessage(msg: BgpMessage, ctx: CodecContext): Buffer {
  let buf: Buffer;
  switch (msg.kind) {
    case 'update':
      buf = encodeUpdate(msg, ctx);
      break;
    case 'keepalive':
      buf = encodeKeepalive();
      break;
    case 'open':
      buf = encodeOpen(msg);
      break;
    case 'notification':
      buf = encodeNotification(msg, ctx);
      break;
    case 'route-refresh':
      buf = encodeRouteRefresh(msg);
      break;
  }
  const max = maxMessageSize(buf[18]!, ctx);
  if (buf.length > max) throw encodeTooLarge(buf.length, max, msg.kind.toUpperCase());
  return buf;
}
