// Finds our own addresses for "next hop self": the interface that holds the session's local
// address also provides the other family's address and the IPv6 link-local (RFC 2545 §3).
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { ipv4OrNull, ipv4ToNumber, ipv6ToBytes } from '../lib/prefix.js';

/** Our addresses for "next hop self" towards one peer. */
export interface NextHopSelf {
  ipv4?: number;
  ipv6?: string;
  ipv6LinkLocal?: string;
}

/** "::ffff:10.0.0.1" → "10.0.0.1"; strips IPv6 zone ids. */
export function normalizeAddress(a: string): string {
  if (a.startsWith('::ffff:') && ipv4OrNull(a.slice(7)) !== null) return a.slice(7);
  const pct = a.indexOf('%');
  return pct >= 0 ? a.slice(0, pct) : a;
}

function inSubnet(address: string, info: NetworkInterfaceInfo): boolean {
  if (!info.cidr) return false;
  const len = Number(info.cidr.split('/')[1]);
  const v4 = ipv4OrNull(address);
  if (info.family === 'IPv4') {
    if (v4 === null) return false;
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    return ((v4 & mask) >>> 0) === ((ipv4ToNumber(info.address) & mask) >>> 0);
  }
  if (v4 !== null) return false;
  const a = ipv6ToBytes(address);
  const b = ipv6ToBytes(info.address);
  for (let bit = 0; bit < len; bit++) {
    const m = 0x80 >> (bit & 7);
    if ((a[bit >> 3]! & m) !== (b[bit >> 3]! & m)) return false;
  }
  return true;
}

export interface NextHopOptions {
  localAddress: string;
  peerAddress: string;
  /** configured IPv6 next hop for IPv6 routes over an IPv4 session */
  nextHop6?: string;
}

/**
 * os.networkInterfaces() reads every address of the host (a netlink dump); a full mesh brings
 * up a hundred sessions in a burst, so one reading serves for a second.
 */
const INTERFACES_TTL_MS = 1000;
let interfacesCache: { at: number; value: NodeJS.Dict<NetworkInterfaceInfo[]> } | null = null;

function hostInterfaces(): NodeJS.Dict<NetworkInterfaceInfo[]> {
  const now = Date.now();
  if (interfacesCache === null || now - interfacesCache.at > INTERFACES_TTL_MS) interfacesCache = { at: now, value: networkInterfaces() };
  return interfacesCache.value;
}

export function nextHopSelf(opts: NextHopOptions): NextHopSelf {
  const local = normalizeAddress(opts.localAddress);
  const peer = normalizeAddress(opts.peerAddress);
  const out: NextHopSelf = {};
  const local4 = ipv4OrNull(local);
  if (local4 !== null) out.ipv4 = local4;
  else out.ipv6 = local;
  const ifaces = hostInterfaces();
  for (const infos of Object.values(ifaces)) {
    if (!infos || !infos.some((i) => normalizeAddress(i.address) === local)) continue;
    const sameLink = infos.some((i) => inSubnet(peer, i));
    for (const i of infos) {
      if (i.family === 'IPv4' && out.ipv4 === undefined) out.ipv4 = ipv4ToNumber(i.address);
      if (i.family === 'IPv6') {
        const linkLocal = i.address.toLowerCase().startsWith('fe80:');
        if (linkLocal && sameLink && out.ipv6LinkLocal === undefined) out.ipv6LinkLocal = normalizeAddress(i.address);
        if (!linkLocal && out.ipv6 === undefined) out.ipv6 = i.address;
      }
    }
  }
  if (opts.nextHop6) out.ipv6 = opts.nextHop6;
  return out;
}
