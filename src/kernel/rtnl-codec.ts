// rtnetlink route messages ⇄ DesiredRoute. Pure: no sockets. Host byte order (the netlink
// convention); the adapter refuses to start on a big-endian host.
//
// Netlink message header (RFC 3549 §2.3.2), 16 bytes:
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                          Length                             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |            Type              |           Flags              |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                      Sequence Number                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                      Process ID (PID)                       |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Route message body, struct rtmsg (RFC 3549 §3.1.1), 12 bytes, then attributes:
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |   Family    | Dst length  | Src length  |      TOS      |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  | Table ID    |  Protocol   |   Scope     |      Type     |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                          Flags                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Attribute (struct rtattr), padded to 4 bytes:   | Length (16) | Type (16) | Value … |
// RTA_MULTIPATH value: a list of struct rtnexthop (linux/rtnetlink.h), each followed by its
// own attributes (RTA_GATEWAY):
//  | rtnh_len (16) | rtnh_flags (8) | rtnh_hops (8) | rtnh_ifindex (32) | attributes … |
//
// NLMSG_ERROR body: | error (s32, -errno; 0 = ACK) | the request's nlmsghdr … |

import { bytesToIpv6, ipv6ToBytes, prefix4, prefix4Address, prefix4Length } from '../lib/prefix.js';
import { RouteEncodeError } from './errors.js';
import type { DesiredRoute, ForeignHop, KernelNextHop, RouteOp } from './types.js';

// linux/netlink.h
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
// linux/rtnetlink.h
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;
export const RTNLGRP_LINK = 1;
export const RTNLGRP_IPV4_IFADDR = 5;
export const RTNLGRP_IPV4_ROUTE = 7;
export const RTNLGRP_IPV6_IFADDR = 9;
export const RTNLGRP_IPV6_ROUTE = 11;
const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_PRIORITY = 6;
const RTA_MULTIPATH = 9;
const RTA_TABLE = 15;
const RTN_UNSPEC = 0;
const RTN_UNICAST = 1;
const RTN_BLACKHOLE = 6;
const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_LINK = 253;
const RT_SCOPE_NOWHERE = 255;
const RTNH_F_ONLINK = 4;
const RTM_F_CLONED = 0x200;
/** rtm_table for table ids that do not fit 8 bits; the real id goes in RTA_TABLE. */
const RT_TABLE_COMPAT = 252;
export const AF_INET = 2;
export const AF_INET6 = 10;

const HDR = 16;
const RTMSG = 12;

/** Fixed parts of every route request. */
export interface RouteEncodeContext {
  protocol: number;
  table: number;
  /** RTA_PRIORITY; unset: the kernel default (IPv4 0, IPv6 1024). */
  metric?: number;
  /** Our netlink port id (nlmsg_pid). */
  pid: number;
}

const isV4 = (r: DesiredRoute): boolean => typeof r.prefix === 'number';

function checkFamily(r: DesiredRoute, nh: KernelNextHop): void {
  if (typeof nh.gateway !== typeof r.prefix) {
    throw new RouteEncodeError(`next hop ${String(nh.gateway)} is not of the family of prefix ${String(r.prefix)}`);
  }
}

/** Bytes the request for `op` takes on the wire (already 4-aligned). */
export function routeMessageLength(op: RouteOp, ctx: RouteEncodeContext): number {
  const alen = isV4(op.route) ? 4 : 16;
  let n = HDR + RTMSG + 8 /* table */ + 4 + alen /* dst */ + (ctx.metric === undefined ? 0 : 8);
  if (op.kind === 'delete' || op.route.blackhole === true) return n;
  if (op.route.device !== undefined) return n + 8;
  const hops = op.route.nextHops;
  if (hops.length === 1) {
    n += 4 + alen + (hops[0]!.ifindex === undefined ? 0 : 8);
  } else if (hops.length > 1) {
    n += 4 + hops.length * (8 + 4 + alen);
  }
  return n;
}

function writeAttrHeader(buf: Buffer, off: number, len: number, type: number): number {
  buf.writeUInt16LE(len, off);
  buf.writeUInt16LE(type, off + 2);
  return off + 4;
}

function writeAddress(buf: Buffer, off: number, addr: number | string): number {
  if (typeof addr === 'number') {
    buf.writeUInt32BE(addr >>> 0, off);
    return off + 4;
  }
  ipv6ToBytes(addr).copy(buf, off);
  return off + 16;
}

function splitPrefix(prefix: number | string): { addr: number | string; len: number } {
  if (typeof prefix === 'number') return { addr: prefix4Address(prefix), len: prefix4Length(prefix) };
  const slash = prefix.indexOf('/');
  return { addr: prefix.slice(0, slash), len: Number(prefix.slice(slash + 1)) };
}

/**
 * Writes one RTM_NEWROUTE / RTM_DELROUTE request at `off` (the caller sized `buf` with
 * routeMessageLength) and returns the offset after it. No NLM_F_ACK: the kernel answers only
 * on error, and a barrier (writeBarrier) after a batch says everything before it is done.
 */
export function writeRouteMessage(buf: Buffer, off: number, op: RouteOp, seq: number, ctx: RouteEncodeContext): number {
  const r = op.route;
  const v4 = isV4(r);
  const alen = v4 ? 4 : 16;
  for (const nh of r.nextHops) checkFamily(r, nh);
  const len = routeMessageLength(op, ctx);
  const del = op.kind === 'delete';
  const flags =
    NLM_F_REQUEST | (op.kind === 'add' ? NLM_F_CREATE | NLM_F_EXCL : op.kind === 'replace' ? NLM_F_CREATE | NLM_F_REPLACE : 0);
  buf.writeUInt32LE(len, off);
  buf.writeUInt16LE(del ? RTM_DELROUTE : RTM_NEWROUTE, off + 4);
  buf.writeUInt16LE(flags, off + 6);
  buf.writeUInt32LE(seq >>> 0, off + 8);
  buf.writeUInt32LE(ctx.pid >>> 0, off + 12);
  const { addr, len: plen } = splitPrefix(r.prefix);
  const single = !del && r.blackhole !== true && r.nextHops.length === 1 ? r.nextHops[0] : undefined;
  let p = off + HDR;
  buf[p] = v4 ? AF_INET : AF_INET6;
  buf[p + 1] = plen;
  buf[p + 2] = 0;
  buf[p + 3] = 0;
  buf[p + 4] = ctx.table < 256 ? ctx.table : RT_TABLE_COMPAT;
  buf[p + 5] = ctx.protocol;
  // A delete matches any scope and type (RT_SCOPE_NOWHERE / RTN_UNSPEC) but only our protocol.
  buf[p + 6] = del ? RT_SCOPE_NOWHERE : r.device !== undefined && r.blackhole !== true ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  buf[p + 7] = del ? RTN_UNSPEC : r.blackhole === true ? RTN_BLACKHOLE : RTN_UNICAST;
  buf.writeUInt32LE(single?.onlink === true ? RTNH_F_ONLINK : 0, p + 8);
  p += RTMSG;
  p = writeAttrHeader(buf, p, 8, RTA_TABLE);
  buf.writeUInt32LE(ctx.table >>> 0, p);
  p += 4;
  p = writeAttrHeader(buf, p, 4 + alen, RTA_DST);
  p = writeAddress(buf, p, addr);
  if (ctx.metric !== undefined) {
    p = writeAttrHeader(buf, p, 8, RTA_PRIORITY);
    buf.writeUInt32LE(ctx.metric >>> 0, p);
    p += 4;
  }
  if (!del && r.blackhole !== true && r.device !== undefined) {
    p = writeAttrHeader(buf, p, 8, RTA_OIF);
    buf.writeUInt32LE(r.device, p);
    p += 4;
  } else if (single !== undefined) {
    p = writeAttrHeader(buf, p, 4 + alen, RTA_GATEWAY);
    p = writeAddress(buf, p, single.gateway);
    if (single.ifindex !== undefined) {
      p = writeAttrHeader(buf, p, 8, RTA_OIF);
      buf.writeUInt32LE(single.ifindex, p);
      p += 4;
    }
  } else if (!del && r.blackhole !== true && r.nextHops.length > 1) {
    const per = 8 + 4 + alen;
    p = writeAttrHeader(buf, p, 4 + r.nextHops.length * per, RTA_MULTIPATH);
    for (const nh of r.nextHops) {
      buf.writeUInt16LE(per, p);
      buf[p + 2] = nh.onlink === true ? RTNH_F_ONLINK : 0;
      buf[p + 3] = 0; // rtnh_hops: weight - 1; equal weights
      buf.writeInt32LE(nh.ifindex ?? 0, p + 4);
      p = writeAttrHeader(buf, p + 8, 4 + alen, RTA_GATEWAY);
      p = writeAddress(buf, p, nh.gateway);
    }
  }
  return p;
}

/** A NOOP with NLM_F_ACK: its ACK proves the kernel processed every earlier request. */
export const BARRIER_LENGTH = HDR;
export function writeBarrier(buf: Buffer, off: number, seq: number, pid: number): number {
  buf.writeUInt32LE(HDR, off);
  buf.writeUInt16LE(NLMSG_NOOP, off + 4);
  buf.writeUInt16LE(NLM_F_REQUEST | NLM_F_ACK, off + 6);
  buf.writeUInt32LE(seq >>> 0, off + 8);
  buf.writeUInt32LE(pid >>> 0, off + 12);
  return off + HDR;
}

/** RTM_GETROUTE dump request for one address family. */
export function encodeRouteDump(family: number, seq: number, pid: number): Buffer {
  const buf = Buffer.alloc(HDR + RTMSG);
  buf.writeUInt32LE(HDR + RTMSG, 0);
  buf.writeUInt16LE(RTM_GETROUTE, 4);
  buf.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6);
  buf.writeUInt32LE(seq >>> 0, 8);
  buf.writeUInt32LE(pid >>> 0, 12);
  buf[HDR] = family;
  return buf;
}

/** One message inside a datagram: header fields and where its body is. */
export interface NetlinkMessageView {
  type: number;
  flags: number;
  seq: number;
  /** Offset of the body (after the 16-byte header) and its end. */
  body: number;
  end: number;
}

/** Splits a datagram into messages; a truncated tail is ignored. */
export function forEachMessage(buf: Buffer, visit: (m: NetlinkMessageView) => void): void {
  let off = 0;
  while (off + HDR <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < HDR || off + len > buf.length) return;
    visit({ type: buf.readUInt16LE(off + 4), flags: buf.readUInt16LE(off + 6), seq: buf.readUInt32LE(off + 8), body: off + HDR, end: off + len });
    off += (len + 3) & ~3;
  }
}

/** Positive errno of an NLMSG_ERROR (0 = ACK). */
export function decodeErrno(buf: Buffer, m: NetlinkMessageView): number {
  return m.end - m.body >= 4 ? -buf.readInt32LE(m.body) : 0;
}

/** A route message decoded. */
export interface DecodedRoute {
  protocol: number;
  table: number;
  route: DesiredRoute;
}

/** An RTM_NEWROUTE / RTM_DELROUTE body: its rtmsg fields and the attributes we read. */
export interface RawRoute {
  /** IPv4: address*64+length; IPv6: canonical "addr/len". */
  prefix: number | string;
  tos: number;
  table: number;
  protocol: number;
  /** rtm_type (RTN_*). */
  type: number;
  /** RTA_PRIORITY; 0 when absent. */
  metric: number;
  /** RTA_MULTIPATH's hops, or the single RTA_GATEWAY / RTA_OIF hop (a gateway, or none for a
   * directly connected link); empty when neither. */
  hops: ForeignHop[];
}

function readAddress(buf: Buffer, off: number, v4: boolean): number | string {
  return v4 ? buf.readUInt32BE(off) : bytesToIpv6(buf, off);
}

/**
 * The one walk over a route message's attributes (Wren's routes and everyone else's share it).
 * Undefined for other families, cached clones (RTM_F_CLONED) and malformed bodies; attributes
 * too short for their type are skipped.
 */
export function readRoute(buf: Buffer, m: NetlinkMessageView): RawRoute | undefined {
  if (m.end - m.body < RTMSG) return undefined;
  const b = m.body;
  const family = buf[b]!;
  if (family !== AF_INET && family !== AF_INET6) return undefined;
  const v4 = family === AF_INET;
  const plen = buf[b + 1]!;
  if (plen > (v4 ? 32 : 128)) return undefined;
  const rtmFlags = buf.readUInt32LE(b + 8);
  if (rtmFlags & RTM_F_CLONED) return undefined;
  const addrSize = v4 ? 4 : 16;
  let table = buf[b + 4]!;
  let dst: number | string = v4 ? 0 : '::';
  let gateway: number | string | undefined;
  let oif: number | undefined;
  let metric = 0;
  let hops: ForeignHop[] = [];
  let a = b + RTMSG;
  while (a + 4 <= m.end) {
    const alen = buf.readUInt16LE(a);
    const atype = buf.readUInt16LE(a + 2) & 0x3fff; // strip NLA_F_NESTED / NLA_F_NET_BYTEORDER
    if (alen < 4 || a + alen > m.end) break;
    const v = a + 4;
    const size = alen - 4;
    switch (atype) {
      case RTA_DST: if (size >= addrSize) dst = readAddress(buf, v, v4); break;
      case RTA_GATEWAY: if (size >= addrSize) gateway = readAddress(buf, v, v4); break;
      case RTA_OIF: if (size >= 4) oif = buf.readUInt32LE(v); break;
      case RTA_PRIORITY: if (size >= 4) metric = buf.readUInt32LE(v); break;
      case RTA_TABLE: if (size >= 4) table = buf.readUInt32LE(v); break;
      case RTA_MULTIPATH: readMultipath(buf, v, a + alen, v4, hops); break;
      default: break;
    }
    a += (alen + 3) & ~3;
  }
  if (hops.length === 0 && (gateway !== undefined || oif !== undefined)) {
    const hop: ForeignHop = {};
    if (gateway !== undefined) hop.gateway = gateway;
    if (oif !== undefined) hop.ifindex = oif;
    if (rtmFlags & RTNH_F_ONLINK) hop.onlink = true;
    hops = [hop];
  }
  const prefix = v4 ? prefix4(dst as number, plen) : `${dst as string}/${plen}`;
  return { prefix, tos: buf[b + 3]!, table, protocol: buf[b + 5]!, type: buf[b + 7]!, metric, hops };
}

function readMultipath(buf: Buffer, start: number, end: number, v4: boolean, out: ForeignHop[]): void {
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

/** Decodes one of our route messages (readRoute) into the route it installs. */
export function decodeRoute(buf: Buffer, m: NetlinkMessageView): DecodedRoute | undefined {
  const r = readRoute(buf, m);
  if (r === undefined) return undefined;
  const { prefix, protocol, table } = r;
  if (r.type === RTN_BLACKHOLE) return { protocol, table, route: { prefix, nextHops: [], blackhole: true } };
  // Only hops with a gateway are next hops; a lone device hop is a device route.
  const nextHops: KernelNextHop[] = [];
  for (const h of r.hops) if (h.gateway !== undefined) nextHops.push(h as KernelNextHop);
  const device = r.hops.length === 1 && r.hops[0]!.gateway === undefined ? r.hops[0]!.ifindex : undefined;
  return { protocol, table, route: nextHops.length === 0 && device !== undefined ? { prefix, nextHops, device } : { prefix, nextHops } };
}
