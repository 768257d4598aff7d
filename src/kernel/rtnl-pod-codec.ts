// The rtnetlink messages pod wiring sends and reads (links, addresses, neighbours, routes),
// encoded and decoded here, pure. The `netlink` package's typed layer (rt) would do the same
// but loads type tables for every rtnetlink object, about 9 MB of RSS in every node daemon.
// Layouts: rtnetlink(7), linux/if_link.h, linux/if_addr.h, linux/neighbour.h, linux/rtnetlink.h.

import { bytesToIpv6, ipv6ToBytes } from '../lib/prefix.js';

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;
export const RTM_NEWADDR = 20;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_GETROUTE = 26;
export const RTM_NEWNEIGH = 28;

export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_DUMP = 0x300;

export const AF_INET = 2;
export const AF_INET6 = 10;

const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_LINKINFO = 18;
const IFLA_NET_NS_FD = 28;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const VETH_INFO_PEER = 1;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_FLAGS = 8;
const NDA_DST = 1;
const NDA_LLADDR = 2;
const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const IFF_UP = 1;
const IFA_F_NODAD = 0x02;
const NUD_PERMANENT = 0x80;
const RT_TABLE_MAIN = 254;
const RTPROT_STATIC = 4;
const RTN_UNICAST = 1;
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;

/** One attribute: 4-byte header, payload, padding to 4. */
function attr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const out = Buffer.alloc((len + 3) & ~3);
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  payload.copy(out, 4);
  return out;
}

const cstring = (s: string): Buffer => Buffer.from(`${s}\0`, 'utf8');

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

/** "10.1.2.3" or "fd00::1" as 4 or 16 bytes. */
export function addressBytes(text: string): Buffer {
  return text.includes(':') ? ipv6ToBytes(text) : Buffer.from(text.split('.').map(Number));
}

export function addressText(b: Buffer): string {
  return b.length === 4 ? [...b].join('.') : bytesToIpv6(b);
}

export const macBytes = (mac: string): Buffer => Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
export const macText = (b: Buffer | undefined): string => (b ? [...b].map((x) => x.toString(16).padStart(2, '0')).join(':') : '');

function ifinfomsg(index: number, flags = 0, change = 0): Buffer {
  const b = Buffer.alloc(16);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags, 8);
  b.writeUInt32LE(change, 12);
  return b;
}

/** RTM_NEWLINK: a veth `name` whose peer `peer` is created in the namespace open as `nsFd`. */
export function newVeth(name: string, peer: string, nsFd: number): Buffer {
  const peerMsg = Buffer.concat([ifinfomsg(0), attr(IFLA_IFNAME, cstring(peer)), attr(IFLA_NET_NS_FD, u32(nsFd))]);
  const linkinfo = Buffer.concat([attr(IFLA_INFO_KIND, cstring('veth')), attr(IFLA_INFO_DATA, attr(VETH_INFO_PEER, peerMsg))]);
  return Buffer.concat([ifinfomsg(0), attr(IFLA_IFNAME, cstring(name)), attr(IFLA_LINKINFO, linkinfo)]);
}

/** RTM_GETLINK by name. */
export const getLinkByName = (name: string): Buffer => Buffer.concat([ifinfomsg(0), attr(IFLA_IFNAME, cstring(name))]);

/** RTM_SETLINK (up) / RTM_DELLINK by index. */
export const linkUp = (index: number): Buffer => ifinfomsg(index, IFF_UP, IFF_UP);
export const linkIndex = (index: number): Buffer => ifinfomsg(index);

/** RTM_NEWADDR: a host address (/32 or /128, or fe80::1/64) without duplicate address detection. */
export function newAddress(index: number, address: string, prefixlen: number, scope = RT_SCOPE_UNIVERSE): Buffer {
  const a = addressBytes(address);
  const head = Buffer.alloc(8);
  head[0] = a.length === 4 ? AF_INET : AF_INET6;
  head[1] = prefixlen;
  head[2] = a.length === 4 ? 0 : IFA_F_NODAD;
  head[3] = scope;
  head.writeUInt32LE(index, 4);
  const attrs = [attr(IFA_LOCAL, a), attr(IFA_ADDRESS, a)];
  if (a.length === 16) attrs.push(attr(IFA_FLAGS, u32(IFA_F_NODAD)));
  return Buffer.concat([head, ...attrs]);
}

/** RTM_NEWNEIGH: a permanent neighbour entry. */
export function newNeighbour(index: number, address: string, mac: string): Buffer {
  const a = addressBytes(address);
  const head = Buffer.alloc(12);
  head[0] = a.length === 4 ? AF_INET : AF_INET6;
  head.writeInt32LE(index, 4);
  head.writeUInt16LE(NUD_PERMANENT, 8);
  return Buffer.concat([head, attr(NDA_DST, a), attr(NDA_LLADDR, macBytes(mac))]);
}

/** RTM_NEWROUTE in the main table: to `dst/len` out of `oif`, via `gateway` or on the link. */
export function newRoute(family: number, dst: string | null, dstLen: number, oif: number, gateway: string | null): Buffer {
  const head = Buffer.alloc(12);
  head[0] = family;
  head[1] = dstLen;
  head[4] = RT_TABLE_MAIN;
  head[5] = RTPROT_STATIC;
  head[6] = gateway === null ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  head[7] = RTN_UNICAST;
  const attrs = [attr(RTA_OIF, u32(oif))];
  if (dst !== null) attrs.push(attr(RTA_DST, addressBytes(dst)));
  if (gateway !== null) attrs.push(attr(RTA_GATEWAY, addressBytes(gateway)));
  return Buffer.concat([head, ...attrs]);
}

/** A dump request body for addresses or routes of one family. */
export function dumpFamily(family: number, kind: 'addr' | 'route'): Buffer {
  const b = Buffer.alloc(kind === 'addr' ? 8 : 12);
  b[0] = family;
  return b;
}

function attrs(buf: Buffer, from: number): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let p = from;
  while (p + 4 <= buf.length) {
    const len = buf.readUInt16LE(p);
    if (len < 4 || p + len > buf.length) break;
    out.set(buf.readUInt16LE(p + 2) & 0x3fff, buf.subarray(p + 4, p + len));
    p += (len + 3) & ~3;
  }
  return out;
}

export interface LinkReply {
  index: number;
  up: boolean;
  mac: string;
  name: string;
}

export function parseLink(body: Buffer): LinkReply {
  const a = attrs(body, 16);
  const name = a.get(IFLA_IFNAME);
  return {
    index: body.readInt32LE(4),
    up: (body.readUInt32LE(8) & IFF_UP) !== 0,
    mac: macText(a.get(IFLA_ADDRESS)),
    name: name ? name.subarray(0, name.indexOf(0) >= 0 ? name.indexOf(0) : name.length).toString('utf8') : '',
  };
}

export interface AddrReply {
  index: number;
  prefixlen: number;
  address: string;
}

export function parseAddr(body: Buffer): AddrReply | null {
  const a = attrs(body, 8);
  const addr = a.get(IFA_LOCAL) ?? a.get(IFA_ADDRESS);
  if (!addr) return null;
  return { index: body.readUInt32LE(4), prefixlen: body[1]!, address: addressText(addr) };
}

export interface RouteReply {
  dstLen: number;
  oif: number | null;
  gateway: string | null;
}

export function parseRoute(body: Buffer): RouteReply {
  const a = attrs(body, 12);
  const oif = a.get(RTA_OIF);
  const gw = a.get(RTA_GATEWAY);
  return { dstLen: body[1]!, oif: oif ? oif.readUInt32LE(0) : null, gateway: gw ? addressText(gw) : null };
}
