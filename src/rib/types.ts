// Shared RIB types: where a path came from, the path itself, and why a best path won.
import type { PathAttributes } from '../wire/types.js';

/** The session a path was learned from (or the local speaker for originated routes). */
export interface PathSource {
  /** small integer unique per session lifetime; 0 is the local speaker */
  id: number;
  /** peer address text ('local' for originated) */
  address: string;
  /** peer address as a comparable key (IPv4 u32, or IPv6 text) for the last tie-breaker */
  addressKey: number | string;
  /** peer's BGP identifier (u32); for local routes our router ID */
  bgpId: number;
  asn: number;
  /** session type */
  kind: 'local' | 'ebgp' | 'ibgp';
  /** the peer is our route-reflector client (RFC 4456) */
  rrClient: boolean;
}

/** One path to a prefix. Immutable; attrs are interned (shared by every route with them). */
export interface Path {
  source: PathSource;
  attrs: PathAttributes;
  /** next hop: IPv4 u32 (IPv4 routes: equals attrs.nextHop unless carried in MP_REACH) or IPv6 text */
  nextHop: number | string;
  /** IPv6 link-local next hop (RFC 2545) */
  linkLocalNextHop?: string;
  /** graceful restart (RFC 4724): kept from a restarting peer until its End-of-RIB */
  stale?: boolean;
}

/** Which decision step picked the best path (RFC 4271 §9.1.2.2, RFC 4456 §9), in order. */
export type BestPathReason =
  | 'only-path'
  | 'next-hop-resolvable'
  | 'local-pref'
  | 'local-origin'
  | 'as-path-length'
  | 'origin'
  | 'med'
  | 'ebgp-over-ibgp'
  | 'igp-cost'
  | 'cluster-list-length'
  | 'router-id'
  | 'peer-address';
