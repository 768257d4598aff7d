// Next-hop resolution (RFC 4271 §9.1.2.1): a route whose NEXT_HOP cannot be resolved is not
// eligible for the decision process, and the IGP cost to the next hop is a tie-breaker
// (§9.1.2.2 e). The RIB only sees this interface; the daemon fills it in — connected prefixes
// of the host's interfaces, or the kernel's routing table (src/kernel/kernel-next-hops.ts, fed
// through a NextHopFeed) when the kernel programmer runs. After the answers change the owner
// calls Rib.recomputeAll() (the RIB caches nothing across that call).
import type { NetworkInterfaceInfo } from 'node:os';
import { ipv4ToNumber, ipv6ToBytes, bytesToIpv6 } from '../lib/prefix.js';

export interface NextHopResolution {
  reachable: boolean;
  /** IGP cost to the next hop; lower wins (§9.1.2.2 e). */
  igpCost: number;
}

export interface NextHopResolver {
  /** IPv4 next hops are u32 numbers, IPv6 ones canonical text. */
  resolve(nextHop: number | string): NextHopResolution;
}

/**
 * Answers that change over time (the kernel's routing table). `resolver` is null until the
 * first complete view is in. Listeners are told when an answer that matters to the decision
 * process (reachability, cost) may have changed, and once when the resolver becomes available;
 * they should re-run the decision (Rib.setResolver / recomputeAll), coalesced.
 */
export interface NextHopFeed {
  readonly resolver: NextHopResolver | null;
  /** Returns a function that removes the listener. */
  subscribe(listener: () => void): () => void;
}

export const REACHABLE: NextHopResolution = Object.freeze({ reachable: true, igpCost: 0 });
export const UNREACHABLE: NextHopResolution = Object.freeze({ reachable: false, igpCost: Infinity });

export interface ConnectedResolverInit {
  /**
   * Connected prefixes: IPv4 as prefix numbers (address × 64 + length, src/lib/prefix.ts),
   * IPv6 as canonical "addr/len" text. A next hop inside one of them is reachable.
   */
  prefixes?: readonly (number | string)[];
  /** Every next hop is reachable (what the daemon uses until kernel routes are known). */
  everythingReachable?: boolean;
  /** Cost reported for reachable next hops. Default 0 (all equal: "equal for now"). */
  igpCost?: number;
}

interface V6Net {
  bytes: Buffer;
  length: number;
}

/** Bound on the IPv6 answer cache; next hops are few (one per node), so this is never hit in practice. */
const V6_CACHE_MAX = 65536;

export class ConnectedResolver implements NextHopResolver {
  readonly everythingReachable: boolean;
  private readonly v4Addr: number[] = [];
  private readonly v4Mask: number[] = [];
  private readonly v6: V6Net[] = [];
  private readonly v6Cache = new Map<string, NextHopResolution>();
  private readonly yes: NextHopResolution;

  constructor(init: ConnectedResolverInit = {}) {
    this.everythingReachable = init.everythingReachable ?? false;
    this.yes = init.igpCost === undefined || init.igpCost === 0 ? REACHABLE : Object.freeze({ reachable: true, igpCost: init.igpCost });
    for (const p of init.prefixes ?? []) {
      if (typeof p === 'number') {
        const len = p % 64;
        const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
        this.v4Addr.push((Math.floor(p / 64) & mask) >>> 0);
        this.v4Mask.push(mask);
      } else {
        const slash = p.indexOf('/');
        this.v6.push({ bytes: ipv6ToBytes(p.slice(0, slash)), length: Number(p.slice(slash + 1)) });
      }
    }
  }

  /** The daemon's default until the kernel issue: every next hop resolves, cost 0. */
  static everythingReachable(): ConnectedResolver {
    return new ConnectedResolver({ everythingReachable: true });
  }

  /**
   * Connected prefixes of the host's interfaces (each address's network). The default argument
   * reads the OS (getifaddrs) — the one place this layer looks outside; the daemon may pass
   * its own snapshot instead.
   */
  static fromInterfaces(ifaces: NodeJS.Dict<NetworkInterfaceInfo[]>, init: Omit<ConnectedResolverInit, 'prefixes'> = {}): ConnectedResolver {
    const prefixes: (number | string)[] = [];
    for (const list of Object.values(ifaces)) {
      for (const a of list ?? []) {
        const slash = a.cidr?.indexOf('/') ?? -1;
        if (a.cidr === null || slash < 0) continue;
        const len = Number(a.cidr.slice(slash + 1));
        if (a.family === 'IPv4') {
          const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
          prefixes.push(((ipv4ToNumber(a.address) & mask) >>> 0) * 64 + len);
        } else {
          const b = ipv6ToBytes(a.address.split('%')[0]!);
          for (let bit = len; bit < 128; bit++) b[bit >> 3] = b[bit >> 3]! & ~(0x80 >> (bit & 7));
          prefixes.push(`${bytesToIpv6(b)}/${len}`);
        }
      }
    }
    return new ConnectedResolver({ ...init, prefixes });
  }

  resolve(nextHop: number | string): NextHopResolution {
    if (this.everythingReachable) return this.yes;
    if (typeof nextHop === 'number') {
      for (let i = 0; i < this.v4Addr.length; i++) {
        if ((nextHop & this.v4Mask[i]!) >>> 0 === this.v4Addr[i]) return this.yes;
      }
      return UNREACHABLE;
    }
    let r = this.v6Cache.get(nextHop);
    if (r === undefined) {
      r = this.resolve6(nextHop);
      if (this.v6Cache.size >= V6_CACHE_MAX) this.v6Cache.clear();
      this.v6Cache.set(nextHop, r);
    }
    return r;
  }

  private resolve6(text: string): NextHopResolution {
    let b: Buffer;
    try {
      b = ipv6ToBytes(text);
    } catch {
      return UNREACHABLE;
    }
    for (const net of this.v6) if (within(b, net)) return this.yes;
    return UNREACHABLE;
  }
}

function within(addr: Buffer, net: V6Net): boolean {
  const full = net.length >> 3;
  for (let i = 0; i < full; i++) if (addr[i] !== net.bytes[i]) return false;
  const rest = net.length & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (addr[full]! & mask) === (net.bytes[full]! & mask);
}
