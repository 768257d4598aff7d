// ROUTE-REFRESH message, RFC 2918 §3 with the subtype of RFC 7313 §3.2 (after the header):
//
//  0       7      15      23      31
// +-------+-------+-------+-------+
// |      AFI      | Subtype| SAFI |
// +-------+-------+-------+-------+
//
// Subtype (RFC 2918 "Reserved"): 0 normal request, 1 BoRR, 2 EoRR, 3..254 reserved, 255
// reserved for RFC 5291 ORF. Wren never negotiates ORF, so the body is always 4 octets.
//
// Error handling, RFC 7313 §5:
// - a BoRR/EoRR (subtype 1, 2) whose body is not 4 octets, or any ROUTE-REFRESH of the wrong
//   length once Enhanced Route Refresh is negotiated, is ROUTE-REFRESH Message Error / Invalid
//   Message Length with the complete message as data;
// - without Enhanced Route Refresh, RFC 2918 defines no error, so a subtype-0 message of the
//   wrong length gets the generic RFC 4271 §6.1 Message Header Error / Bad Message Length;
// - a subtype other than 0, 1, 2 MUST be ignored: decodeRouteRefresh returns null (whatever its
//   length, since the length rule only names subtypes 1 and 2).

import {
  ErrorCode,
  HEADER_SIZE,
  MessageType,
  ROUTE_REFRESH_SIZE,
  RouteRefreshErrorSubcode,
  RouteRefreshSubtypeValue,
} from './constants.js';
import { checkUint } from './encode-errors.js';
import { WireError } from './errors.js';
import { allocMessage, badMessageLength, writeHeader } from './header.js';
import type { RouteRefreshMessage, RouteRefreshSubtype } from './types.js';

export interface RouteRefreshOptions {
  /** RFC 7313: both sides advertised Enhanced Route Refresh (stricter length rule, §5) */
  enhancedRouteRefresh?: boolean;
}

const BODY_SIZE = ROUTE_REFRESH_SIZE - HEADER_SIZE;

/**
 * Decodes a ROUTE-REFRESH body. Returns null for a subtype RFC 7313 §5 says to ignore.
 * Throws WireError ('route-refresh-malformed') on a bad length, see the file comment.
 */
export function decodeRouteRefresh(body: Buffer, opts: RouteRefreshOptions = {}): RouteRefreshMessage | null {
  const subtype = body.length >= 3 ? body[2]! : -1;
  if (subtype > RouteRefreshSubtypeValue.EORR) return null;
  if (body.length !== BODY_SIZE) {
    const length = body.length + HEADER_SIZE;
    if (opts.enhancedRouteRefresh === true || subtype === RouteRefreshSubtypeValue.BORR || subtype === RouteRefreshSubtypeValue.EORR) {
      const whole = Buffer.allocUnsafe(length);
      writeHeader(whole, length, MessageType.ROUTE_REFRESH);
      body.copy(whole, HEADER_SIZE);
      throw new WireError(
        'route-refresh-malformed',
        ErrorCode.ROUTE_REFRESH_MESSAGE,
        RouteRefreshErrorSubcode.INVALID_MESSAGE_LENGTH,
        whole,
        `ROUTE-REFRESH of ${length} octets, expected ${ROUTE_REFRESH_SIZE}`,
      );
    }
    throw badMessageLength(length, 'route-refresh-malformed', `ROUTE-REFRESH must be ${ROUTE_REFRESH_SIZE} octets`);
  }
  return {
    kind: 'route-refresh',
    afi: body.readUInt16BE(0),
    safi: body[3]!,
    subtype: subtype as RouteRefreshSubtype, // 0..2, checked above
  };
}

/** A whole 23-octet ROUTE-REFRESH message. */
export function encodeRouteRefresh(msg: RouteRefreshMessage): Buffer {
  const buf = allocMessage(MessageType.ROUTE_REFRESH, BODY_SIZE);
  buf.writeUInt16BE(checkUint(msg.afi, 0xffff, 'ROUTE-REFRESH AFI'), HEADER_SIZE);
  buf[HEADER_SIZE + 2] = checkUint(msg.subtype, RouteRefreshSubtypeValue.EORR, 'ROUTE-REFRESH subtype');
  buf[HEADER_SIZE + 3] = checkUint(msg.safi, 0xff, 'ROUTE-REFRESH SAFI');
  return buf;
}
