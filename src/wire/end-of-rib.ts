// End-of-RIB marker, RFC 4724 §2.
//
//   IPv4 unicast: an UPDATE with no withdrawn routes, no path attributes and no NLRI
//     [header len=23][0000][0000]
//   any other AFI/SAFI: an UPDATE whose only content is an empty MP_UNREACH_NLRI
//     [header len=29][0000][0006][80 0f 03][AFI(2) SAFI(1)]
import { AFI_IPV6, SAFI_UNICAST, type Family, type UpdateMessage } from './types.js';
import { HEADER_SIZE } from './constants.js';
import { AttrCode, FLAGS_OPTIONAL_NON_TRANSITIVE } from './attributes/codes.js';
import { writeUpdateHeader } from './update-encode.js';

export function encodeEndOfRib(family: Family): Buffer {
  if (family === 'ipv4-unicast') {
    const buf = Buffer.alloc(HEADER_SIZE + 4);
    writeUpdateHeader(buf, 0, buf.length);
    return buf;
  }
  const buf = Buffer.alloc(HEADER_SIZE + 4 + 6);
  writeUpdateHeader(buf, 0, buf.length);
  buf.set([0, 0, 0, 6, FLAGS_OPTIONAL_NON_TRANSITIVE, AttrCode.MP_UNREACH_NLRI, 3, AFI_IPV6 >>> 8, AFI_IPV6 & 0xff, SAFI_UNICAST], HEADER_SIZE);
  return buf;
}

/**
 * The family whose End-of-RIB this UPDATE is, or null. An empty MP_UNREACH_NLRI for IPv4
 * unicast is accepted as the IPv4 marker too (RFC 4724 only defines the empty UPDATE for it,
 * but the MP form carries the same meaning and some speakers send it).
 */
export function isEndOfRib(msg: UpdateMessage): Family | null {
  if (msg.withdrawn.prefixes.length > 0 || msg.nlri.prefixes.length > 0 || msg.attrs !== null) return null;
  if (msg.mpReach !== undefined || (msg.mpOther !== undefined && msg.mpOther.length > 0)) return null;
  if (msg.mpUnreach === undefined) return 'ipv4-unicast';
  return msg.mpUnreach.prefixes.length === 0 ? msg.mpUnreach.family : null;
}
