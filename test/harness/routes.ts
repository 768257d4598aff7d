// The one shape every peer's routing table is parsed into, so assertions read the same whether
// the route was learned by BIRD, GoBGP or FRR. Community text is normalised:
//   communities        "65001:100"           (RFC 1997)
//   large communities  "65001:1:2"           (RFC 8092)
//   ext communities    "rt:65001:7", "soo:65001:7", "rt:10.0.0.1:7"; anything else "<kind>:<a>:<b>"
//                      as the peer spelled it, lower case (RFC 4360)

export type Family = 'ipv4' | 'ipv6';

/** Routes a reference peer originates itself, with attributes attached to every one of them. */
export interface Originate {
  ipv4?: string[];
  ipv6?: string[];
  /** Attached to every originated route: "65001:100". */
  communities?: string[];
  /** "65001:1:2". */
  largeCommunities?: string[];
  /** "rt:65001:7" or "soo:65001:7". */
  extCommunities?: string[];
}

export interface PeerRoute {
  /** Prefix as the peer prints it (canonical text: "10.99.1.0/24", "fd99:1::/48"). */
  prefix: string;
  /** BGP next hop(s): global first, then link-local when the peer shows one. */
  nextHops: string[];
  /** All AS numbers of the path in order; AS_SET members are flattened in. */
  asPath: number[];
  origin?: 'igp' | 'egp' | 'incomplete';
  med?: number;
  localPref?: number;
  communities: string[];
  largeCommunities: string[];
  extCommunities: string[];
  originatorId?: string;
  clusterList: string[];
  /** Selected as best by the peer. */
  best: boolean;
  /**
   * Where the peer got it: BIRD protocol name, GoBGP/FRR neighbour address, or "local" for a
   * route the peer originated itself.
   */
  source: string;
}

export class PeerOutputError extends Error {
  readonly code = 'HARNESS_PEER_OUTPUT';
  constructor(peer: string, what: string, detail: string, readonly output: string) {
    super(`${peer}: cannot parse ${what}: ${detail}\n--- output (first 1500 chars) ---\n${output.slice(0, 1500)}`);
    this.name = 'PeerOutputError';
  }
}

/** "(rt, 65001, 7)" style kinds and GoBGP/FRR spellings mapped to one vocabulary. */
export function normaliseExtKind(kind: string): string {
  const k = kind.trim().toLowerCase();
  if (k === 'ro' || k === 'soo') return 'soo';
  return k;
}

/** Splits a community given as "a:b" into numbers; throws on anything else. */
export function parseCommunity(text: string): [number, number] {
  const m = /^(\d+):(\d+)$/.exec(text.trim());
  if (m === null) throw new Error(`not a community (want "asn:value"): ${text}`);
  return [Number(m[1]), Number(m[2])];
}

export function parseLargeCommunity(text: string): [number, number, number] {
  const m = /^(\d+):(\d+):(\d+)$/.exec(text.trim());
  if (m === null) throw new Error(`not a large community (want "asn:a:b"): ${text}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** "rt:65001:7" → { kind: 'rt', admin: '65001', value: '7' }. */
export function parseExtCommunity(text: string): { kind: string; admin: string; value: string } {
  const m = /^([a-z]+):([0-9.]+):(\d+)$/i.exec(text.trim());
  if (m === null || m[1] === undefined || m[2] === undefined || m[3] === undefined) {
    throw new Error(`not an extended community (want "rt|soo:admin:value"): ${text}`);
  }
  return { kind: normaliseExtKind(m[1]), admin: m[2], value: m[3] };
}

/** A 32-bit community as GoBGP's JSON gives it → "asn:value". */
export function communityFromNumber(n: number): string {
  return `${Math.floor(n / 65536)}:${n % 65536}`;
}

/**
 * An IP address in the form peers print it (RFC 5952 for IPv6: "fd77::1", not "fd77:0:0:0::1"),
 * so configured and reported addresses compare equal.
 */
export function canonicalIp(addr: string): string {
  if (!addr.includes(':')) return addr;
  const host = new URL(`http://[${addr}]/`).hostname; // WHATWG URL serialises IPv6 canonically
  return host.slice(1, -1);
}

/** Every route of `routes` for `prefix`, best first. */
export function routesFor(routes: readonly PeerRoute[], prefix: string): PeerRoute[] {
  return routes.filter((r) => r.prefix === prefix).sort((a, b) => Number(b.best) - Number(a.best));
}

/** The best route for `prefix`, if any. */
export function bestRoute(routes: readonly PeerRoute[], prefix: string): PeerRoute | undefined {
  return routes.find((r) => r.prefix === prefix && r.best);
}
