// Typed BGP messages: the contract between the codec and everything above it.
//
// Prefix representation (DESIGN.md, performance model):
// - an IPv4 prefix is one number: address (u32) * 64 + length, see src/lib/prefix.ts;
// - an IPv6 prefix is its canonical text, e.g. "2001:db8::/32".
// Addresses (next hops, identifiers) in attributes are kept as numbers (IPv4 u32) or text
// (IPv6) so the rest of the speaker never re-parses bytes.

/** AFI values, IANA "Address Family Numbers". */
export const AFI_IPV4 = 1;
export const AFI_IPV6 = 2;
/** SAFI values, IANA "SAFI Values". */
export const SAFI_UNICAST = 1;

export type Family = 'ipv4-unicast' | 'ipv6-unicast';

export interface AfiSafi {
  afi: number;
  safi: number;
}

// ---------------------------------------------------------------------------------------------
// OPEN (RFC 4271 §4.2) and capabilities (RFC 5492)

export type Capability =
  /** RFC 4760 §8, code 1 */
  | { kind: 'multiprotocol'; afi: number; safi: number }
  /** RFC 2918, code 2 (and the pre-standard code 128, decoded as this too) */
  | { kind: 'route-refresh' }
  /** RFC 7313, code 70 */
  | { kind: 'enhanced-route-refresh' }
  /** RFC 8654, code 6 */
  | { kind: 'extended-message' }
  /** RFC 4724, code 64 */
  | {
      kind: 'graceful-restart';
      /** R bit (restart state) */
      restarting: boolean;
      /** N bit (RFC 8538 notification support), kept so it round-trips */
      notification: boolean;
      /** restart time in seconds, 12 bits */
      restartTime: number;
      families: { afi: number; safi: number; forwardingPreserved: boolean }[];
    }
  /** RFC 6793, code 65 */
  | { kind: 'as4'; asn: number }
  /** RFC 7911, code 69; sendReceive: 1 receive, 2 send, 3 both */
  | { kind: 'add-path'; families: { afi: number; safi: number; sendReceive: 1 | 2 | 3 }[] }
  /** draft-walton-bgp-hostname-capability, code 73: parsed, never required */
  | { kind: 'fqdn'; hostname: string; domain: string }
  /** anything else, kept verbatim */
  | { kind: 'unknown'; code: number; value: Buffer };

export interface OpenMessage {
  kind: 'open';
  /** always 4 on the wire today; decoded as sent so the FSM can reject others */
  version: number;
  /** the 2-octet My Autonomous System field as sent (AS_TRANS 23456 for 4-octet ASNs) */
  myAs: number;
  holdTime: number;
  /** BGP identifier as u32 */
  bgpId: number;
  capabilities: Capability[];
}

// ---------------------------------------------------------------------------------------------
// UPDATE (RFC 4271 §4.3) and path attributes

export type Origin = 0 | 1 | 2; // IGP, EGP, INCOMPLETE

/** AS_PATH segment types, RFC 4271 §4.3 and RFC 5065 (confed types kept for round trips) */
export type AsPathSegmentType = 1 | 2 | 3 | 4; // AS_SET, AS_SEQUENCE, AS_CONFED_SEQUENCE, AS_CONFED_SET

export interface AsPathSegment {
  type: AsPathSegmentType;
  /** 4-octet ASNs, after AS4_PATH reconciliation (RFC 6793 §4.2.3) when the peer is 2-octet */
  asns: number[];
}

export interface Aggregator {
  asn: number;
  /** IPv4 address as u32 */
  address: number;
}

export interface LargeCommunity {
  global: number;
  local1: number;
  local2: number;
}

export interface UnknownAttribute {
  /** flags as they will be sent (Partial bit already set for transitive unknowns we pass on) */
  flags: number;
  code: number;
  value: Buffer;
}

/**
 * Decoded path attributes, MP_REACH/MP_UNREACH excluded (those are NLRI carriers, see
 * UpdateMessage). Objects are treated as immutable: the RIB interns them by content.
 */
export interface PathAttributes {
  origin?: Origin;
  asPath: AsPathSegment[];
  /** NEXT_HOP (code 3) as IPv4 u32 */
  nextHop?: number;
  med?: number;
  localPref?: number;
  atomicAggregate?: boolean;
  aggregator?: Aggregator;
  /** RFC 1997, each a u32 (ASN << 16 | value) */
  communities?: number[];
  /** RFC 4360, each 8 octets, concatenated in one buffer (length a multiple of 8) */
  extCommunities?: Buffer;
  /** RFC 8092 */
  largeCommunities?: LargeCommunity[];
  /** RFC 4456 ORIGINATOR_ID as u32 */
  originatorId?: number;
  /** RFC 4456 CLUSTER_LIST, each u32 */
  clusterList?: number[];
  /** optional transitive attributes we do not know, passed on with the Partial bit set */
  unknown?: UnknownAttribute[];
}

/** A set of NLRI for one family. ADD-PATH path identifiers run parallel to prefixes. */
export type Nlri4 = { family: 'ipv4-unicast'; prefixes: number[]; pathIds?: number[] };
export type Nlri6 = { family: 'ipv6-unicast'; prefixes: string[]; pathIds?: number[] };
export type NlriSet = Nlri4 | Nlri6;

export interface MpReach {
  /** the NLRI carried */
  nlri: NlriSet;
  /** next hop: IPv4 u32 for ipv4 over MP, or IPv6 global text */
  nextHop: number | string;
  /** IPv6 link-local next hop when the peer sent 32 octets (RFC 2545 §3) */
  linkLocalNextHop?: string;
}

/** MP_REACH for an AFI/SAFI we do not support: kept opaque so the session survives */
export interface MpOther {
  afi: number;
  safi: number;
}

/** RFC 7606 §2 actions. 'session-reset' is never in a decoded message; it is a WireError. */
export type Rfc7606Action = 'session-reset' | 'afi-safi-disable' | 'treat-as-withdraw' | 'attribute-discard';

export interface AttributeError {
  action: Exclude<Rfc7606Action, 'session-reset'>;
  /** attribute type code the error was found in */
  code: number;
  /** stable machine reason, e.g. 'origin-bad-value', 'med-bad-length' */
  reason: string;
}

export interface UpdateMessage {
  kind: 'update';
  /** IPv4 withdrawn routes (the classic field) */
  withdrawn: Nlri4;
  /** null when the UPDATE carries no path attributes (pure withdraw / End-of-RIB) */
  attrs: PathAttributes | null;
  /** IPv4 NLRI (the classic field); needs attrs.nextHop */
  nlri: Nlri4;
  mpReach?: MpReach;
  mpUnreach?: NlriSet;
  /** MP_REACH/MP_UNREACH of families we do not handle; ignored by the speaker */
  mpOther?: MpOther[];
  /**
   * RFC 7606: when true, every prefix in nlri and mpReach must be handled as withdrawn
   * (and withdrawn/mpUnreach as usual). attributeErrors says why.
   */
  treatAsWithdraw: boolean;
  /** attribute-discard and treat-as-withdraw findings, for logs and counters */
  attributeErrors: AttributeError[];
}

// ---------------------------------------------------------------------------------------------
// NOTIFICATION (RFC 4271 §4.5), KEEPALIVE, ROUTE-REFRESH (RFC 2918, RFC 7313)

export interface NotificationMessage {
  kind: 'notification';
  code: number;
  subcode: number;
  data: Buffer;
}

export interface KeepaliveMessage {
  kind: 'keepalive';
}

/** RFC 7313 §3.2 message subtypes: 0 normal request, 1 BoRR, 2 EoRR */
export type RouteRefreshSubtype = 0 | 1 | 2;

export interface RouteRefreshMessage {
  kind: 'route-refresh';
  afi: number;
  safi: number;
  subtype: RouteRefreshSubtype;
}

export type BgpMessage =
  | OpenMessage
  | UpdateMessage
  | NotificationMessage
  | KeepaliveMessage
  | RouteRefreshMessage;

// ---------------------------------------------------------------------------------------------
// Codec context: what the session negotiated, needed to read and write UPDATEs.

export interface CodecContext {
  /** RFC 6793: both sides advertised 4-octet AS support */
  as4: boolean;
  /** RFC 8654: both sides advertised extended messages (max 65535 instead of 4096) */
  extendedMessage: boolean;
  /** RFC 7911: families for which we receive path identifiers */
  addPathReceive: ReadonlySet<Family>;
  /** RFC 7911: families for which we send path identifiers */
  addPathSend: ReadonlySet<Family>;
}

export const DEFAULT_CODEC_CONTEXT: CodecContext = {
  as4: false,
  extendedMessage: false,
  addPathReceive: new Set(),
  addPathSend: new Set(),
};
