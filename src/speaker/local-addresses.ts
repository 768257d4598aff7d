// Finds our own addresses for "next hop self": the interface that holds the session's local
// address also provides the other family's address and the IPv6 link-local (RFC 2545 §3).
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { ipv4OrNull, ipv6ToBytes } from '../lib/prefix.js';

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

export interface NextHopOptions {
  localAddress: string;
  peerAddress: string;
  /** configured IPv6 next hop for IPv6 routes over an IPv4 session */
  nextHop6?: string;
}

/** One address of an interface, parsed once per reading of the host's interfaces. */
interface IfaceAddress {
  family: 'IPv4' | 'IPv6';
  /** as reported, zone id stripped */
  address: string;
  v4: number | null;
  v6: Uint8Array | null;
  /** null: no subnet known */
  prefixLength: number | null;
  linkLocal: boolean;
}

/** The host's interfaces, by the addresses they hold (an address may sit on several). */
export type HostAddresses = ReadonlyMap<string, readonly (readonly IfaceAddress[])[]>;

export function indexInterfaces(ifaces: NodeJS.Dict<NetworkInterfaceInfo[]>): HostAddresses {
  const byAddress = new Map<string, IfaceAddress[][]>();
  for (const infos of Object.values(ifaces)) {
    if (!infos) continue;
    const parsed = infos.map((i): IfaceAddress => {
      const address = normalizeAddress(i.address);
      const v4 = i.family === 'IPv4' ? ipv4OrNull(address) : null;
      return {
        family: i.family,
        address,
        v4,
        v6: i.family === 'IPv6' ? ipv6ToBytes(address) : null,
        prefixLength: i.cidr ? Number(i.cidr.split('/')[1]) : null,
        linkLocal: i.family === 'IPv6' && address.toLowerCase().startsWith('fe80:'),
      };
    });
    for (const a of new Set(parsed.map((x) => x.address))) {
      const list = byAddress.get(a);
      if (list) list.push(parsed);
      else byAddress.set(a, [parsed]);
    }
  }
  return byAddress;
}

function inSubnet(peer4: number | null, peer6: Uint8Array | null, a: IfaceAddress): boolean {
  const len = a.prefixLength;
  if (len === null) return false;
  if (a.family === 'IPv4') {
    if (peer4 === null || a.v4 === null) return false;
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    return ((peer4 & mask) >>> 0) === ((a.v4 & mask) >>> 0);
  }
  if (peer6 === null || a.v6 === null) return false;
  for (let bit = 0; bit < len; bit++) {
    const m = 0x80 >> (bit & 7);
    if ((peer6[bit >> 3]! & m) !== (a.v6[bit >> 3]! & m)) return false;
  }
  return true;
}

/**
 * os.networkInterfaces() reads every address of the host (a netlink dump); a full mesh brings
 * up a hundred sessions in a burst, so one reading, parsed once, serves for ten seconds, and is
 * read again at once when a session's local address is not in it (an address just added).
 */
const INTERFACES_TTL_MS = 10_000;
let interfacesCache: { at: number; value: HostAddresses } | null = null;

function hostAddresses(local: string): HostAddresses {
  const now = Date.now();
  const c = interfacesCache;
  if (c !== null && now - c.at <= INTERFACES_TTL_MS && c.value.has(local)) return c.value;
  interfacesCache = { at: now, value: indexInterfaces(networkInterfaces()) };
  return interfacesCache.value;
}

export function nextHopSelf(opts: NextHopOptions, hostGiven?: HostAddresses): NextHopSelf {
  const local = normalizeAddress(opts.localAddress);
  const host = hostGiven ?? hostAddresses(local);
  const peer = normalizeAddress(opts.peerAddress);
  const out: NextHopSelf = {};
  const local4 = ipv4OrNull(local);
  if (local4 !== null) out.ipv4 = local4;
  else out.ipv6 = local;
  const peer4 = ipv4OrNull(peer);
  let peer6: Uint8Array | null | undefined;
  for (const infos of host.get(local) ?? []) {
    if (peer4 === null && peer6 === undefined) peer6 = ipv6ToBytes(peer);
    const sameLink = infos.some((i) => inSubnet(peer4, peer6 ?? null, i));
    for (const i of infos) {
      if (i.family === 'IPv4' && out.ipv4 === undefined && i.v4 !== null) out.ipv4 = i.v4;
      if (i.family === 'IPv6') {
        if (i.linkLocal && sameLink && out.ipv6LinkLocal === undefined) out.ipv6LinkLocal = i.address;
        if (!i.linkLocal && out.ipv6 === undefined) out.ipv6 = i.address;
      }
    }
  }
  if (opts.nextHop6) out.ipv6 = opts.nextHop6;
  return out;
}
