// Decoding what next-hop resolution needs from rtnetlink notifications and dumps: routes of
// other protocols in full (type, metric, ToS, every next hop) and link/address changes. Pure;
// host byte order (the adapter refuses big-endian hosts). rtnl-codec.ts has the header and
// rtmsg diagrams; the link and address bodies are (linux/rtnetlink.h, linux/if_addr.h):
//
// struct ifinfomsg (RTM_NEWLINK / RTM_DELLINK), 16 bytes:
//  | family (8) | pad (8) | type (16) | index (s32) | flags (32, IFF_*) | change (32) |
// struct ifaddrmsg (RTM_NEWADDR / RTM_DELADDR), 8 bytes:
//  | family (8) | prefixlen (8) | flags (8) | scope (8) | index (32) |

import { bytesToIpv6, prefix4 } from '../lib/prefix.js';
import { AF_INET, AF_INET6, type NetlinkMessageView } from './rtnl-codec.js';
import type { ForeignHop, ForeignRoute, ForeignRouteType, LinkEvent } from './types.js';

const RTMSG = 12;
const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_PRIORITY = 6;
const RTA_MULTIPATH = 9;
const RTA_TABLE = 15;
const RTNH_F_ONLINK = 4;
const RTM_F_CLONED = 0x200;
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

function readAddress(buf: Buffer, off: number, v4: boolean): number | string {
  return v4 ? buf.readUInt32BE(off) : bytesToIpv6(buf, off);
}

/** rtm_protocol of a route message (before decoding the rest); undefined if too short. */
export function routeProtocol(buf: Buffer, m: NetlinkMessageView): number | undefined {
  return m.end - m.body >= RTMSG ? buf[m.body + 5] : undefined;
}

/**
 * Decodes an RTM_NEWROUTE / RTM_DELROUTE body in full; undefined for other families, cached
 * clones (RTM_F_CLONED) and malformed messages.
 */
export function decodeForeignRoute(buf: Buffer, m: NetlinkMessageView): DecodedForeignRoute | undefined {
  if (m.end - m.body < RTMSG) return undefined;
  const b = m.body;
  const family = buf[b]!;
  if (family !== AF_INET && family !== AF_INET6) return undefined;
  const v4 = family === AF_INET;
  const plen = buf[b + 1]!;
  if (plen > (v4 ? 32 : 128)) return undefined;
  const tos = buf[b + 3]!;
  let table = buf[b + 4]!;
  const protocol = buf[b + 5]!;
  const type = routeType(buf[b + 7]!);
  const rtmFlags = buf.readUInt32LE(b + 8);
  if (rtmFlags & RTM_F_CLONED) return undefined;
  let dst: number | string = v4 ? 0 : '::';
  let gateway: number | string | undefined;
  let oif: number | undefined;
  let metric = 0;
  const multipath: ForeignHop[] = [];
  let a = b + RTMSG;
  while (a + 4 <= m.end) {
    const alen = buf.readUInt16LE(a);
    const atype = buf.readUInt16LE(a + 2) & 0x3fff; // strip NLA_F_NESTED / NLA_F_NET_BYTEORDER
    if (alen < 4 || a + alen > m.end) break;
    const v = a + 4;
    const size = alen - 4;
    switch (atype) {
      case RTA_DST: if (size >= (v4 ? 4 : 16)) dst = readAddress(buf, v, v4); break;
      case RTA_GATEWAY: if (size >= (v4 ? 4 : 16)) gateway = readAddress(buf, v, v4); break;
      case RTA_OIF: if (size >= 4) oif = buf.readUInt32LE(v); break;
      case RTA_PRIORITY: if (size >= 4) metric = buf.readUInt32LE(v); break;
      case RTA_TABLE: if (size >= 4) table = buf.readUInt32LE(v); break;
      case RTA_MULTIPATH: decodeMultipath(buf, v, a + alen, v4, multipath); break;
      default: break;
    }
    a += (alen + 3) & ~3;
  }
  let hops: ForeignHop[] = multipath;
  if (multipath.length === 0 && (gateway !== undefined || oif !== undefined)) {
    const hop: ForeignHop = {};
    if (gateway !== undefined) hop.gateway = gateway;
    if (oif !== undefined) hop.ifindex = oif;
    if (rtmFlags & RTNH_F_ONLINK) hop.onlink = true;
    hops = [hop];
  }
  const prefix = v4 ? prefix4(dst as number, plen) : `${dst as string}/${plen}`;
  return { table, route: { prefix, protocol, type, metric, tos, hops } };
}

function decodeMultipath(buf: Buffer, start: number, end: number, v4: boolean, out: ForeignHop[]): void {
  let p = start;
  while (p + 8 <= end) {
    const len = buf.readUInt16LE(p);
    if (len < 8 || p + len > end) return;
    const flags = buf[p + 2]!;
    const ifindex = buf.readInt32LE(p + 4);
    const hop: ForeignHop = {};
    for (let a = p + 8; a + 4 <= p + len; ) {
      const alen = buf.readUInt16LE(a);
      if (alen < 4 || a + alen > p + len) break;
      if ((buf.readUInt16LE(a + 2) & 0x3fff) === RTA_GATEWAY && alen - 4 >= (v4 ? 4 : 16)) hop.gateway = readAddress(buf, a + 4, v4);
      a += (alen + 3) & ~3;
    }
    if (ifindex > 0) hop.ifindex = ifindex;
    if (flags & RTNH_F_ONLINK) hop.onlink = true;
    out.push(hop);
    p += (len + 3) & ~3;
  }
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
