// Decoding what next-hop resolution needs from rtnetlink notifications and dumps: routes of
// other protocols in full (type, metric, ToS, every next hop) and link/address changes. Pure;
// host byte order (the adapter refuses big-endian hosts). rtnl-codec.ts has the header and
// rtmsg diagrams; the link and address bodies are (linux/rtnetlink.h, linux/if_addr.h):
//
// struct ifinfomsg (RTM_NEWLINK / RTM_DELLINK), 16 bytes:
//  | family (8) | pad (8) | type (16) | index (s32) | flags (32, IFF_*) | change (32) |
// struct ifaddrmsg (RTM_NEWADDR / RTM_DELADDR), 8 bytes:
//  | family (8) | prefixlen (8) | flags (8) | scope (8) | index (32) |

import { readRoute, type NetlinkMessageView } from './rtnl-codec.js';
import type { ForeignRoute, ForeignRouteType, LinkEvent } from './types.js';

/** struct rtmsg */
const RTMSG_SIZE = 12;
// linux/rtnetlink.h rtm_type
const RTN_UNICAST = 1;
const RTN_BLACKHOLE = 6;
const RTN_UNREACHABLE = 7;
const RTN_PROHIBIT = 8;
const RTN_THROW = 9;
// linux/rtnetlink.h message types
const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;
const IFF_UP = 0x1;

/** A route of any protocol, decoded for next-hop resolution. */
export interface DecodedForeignRoute {
  table: number;
  route: ForeignRoute;
}

function routeType(t: number): ForeignRouteType {
  switch (t) {
    case RTN_UNICAST: return 'unicast';
    case RTN_BLACKHOLE: return 'blackhole';
    case RTN_UNREACHABLE: return 'unreachable';
    case RTN_PROHIBIT: return 'prohibit';
    case RTN_THROW: return 'throw';
    default: return 'other';
  }
}

/** rtm_protocol of a route message (before decoding the rest); undefined if too short. */
export function routeProtocol(buf: Buffer, m: NetlinkMessageView): number | undefined {
  return m.end - m.body >= RTMSG_SIZE ? buf[m.body + 5] : undefined;
}

/**
 * Decodes an RTM_NEWROUTE / RTM_DELROUTE body in full (readRoute, shared with our own routes);
 * undefined for other families, cached clones (RTM_F_CLONED) and malformed messages.
 */
export function decodeForeignRoute(buf: Buffer, m: NetlinkMessageView): DecodedForeignRoute | undefined {
  const r = readRoute(buf, m);
  if (r === undefined) return undefined;
  return { table: r.table, route: { prefix: r.prefix, protocol: r.protocol, type: routeType(r.type), metric: r.metric, tos: r.tos, hops: r.hops } };
}

/** A link or address message; undefined for other types and malformed bodies. */
export function decodeLinkEvent(buf: Buffer, m: NetlinkMessageView): LinkEvent | undefined {
  const size = m.end - m.body;
  switch (m.type) {
    case RTM_NEWLINK:
    case RTM_DELLINK: {
      if (size < 16) return undefined;
      const ifindex = buf.readInt32LE(m.body + 4);
      if (m.type === RTM_DELLINK) return { kind: 'link-del', ifindex };
      return { kind: 'link-new', ifindex, up: (buf.readUInt32LE(m.body + 8) & IFF_UP) !== 0 };
    }
    case RTM_NEWADDR:
    case RTM_DELADDR:
      if (size < 8) return undefined;
      return { kind: m.type === RTM_NEWADDR ? 'addr-new' : 'addr-del', ifindex: buf.readUInt32LE(m.body + 4) };
    default:
      return undefined;
  }
}
