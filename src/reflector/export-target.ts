// Who a route is exported to: everything the propagation rules need to know about one peer.

/** Our own addresses on the session to the target, used when the next hop is "self". */
export interface LocalNextHops {
  ipv4?: number;
  /** global IPv6 next hop */
  ipv6?: string;
  /** RFC 2545 §3: link-local next hop, sent with the global one when the peer shares the link */
  ipv6LinkLocal?: string;
}

export interface ExportTarget {
  kind: 'ebgp' | 'ibgp';
  /** the target is our route-reflector client (RFC 4456) */
  rrClient: boolean;
  /** the target's AS */
  asn: number;
  /** our AS */
  localAs: number;
  /** our BGP identifier (u32) */
  routerId: number;
  /** our cluster ID (u32), the router ID unless configured (RFC 4456 §7) */
  clusterId: number;
  /**
   * Next hop self towards this iBGP peer for routes learned from eBGP. Like FRR (and unlike
   * BIRD), it does not apply to reflected iBGP routes: RFC 4456 §10 wants reflected routes
   * unchanged, and a reflector that is not in the forwarding path must not attract traffic.
   */
  nextHopSelf: boolean;
  /** keep the received next hop towards this eBGP peer (route servers, RFC 7947 §2.2.2) */
  nextHopKeep: boolean;
  localAddress: LocalNextHops;
  /**
   * The target's session id (PathSource.id of what we learn from it): enables split horizon
   * ('same-peer'). Leave out when computing once for an update group; the group must then
   * withhold a member's own routes from it.
   */
  id?: number;
  /** the target's BGP identifier: enables the optional RFC 4456 §8 'originator-is-target' skip */
  peerBgpId?: number;
  /**
   * Sender-side loop detection (FRR's `sender-as-path-loop-detection`, off by default there and
   * here): skip routes whose AS_PATH already holds the eBGP target's AS.
   */
  senderSideLoopDetection?: boolean;
}

/**
 * Targets with equal signatures get equal exportPath results apart from the per-member
 * 'same-peer' / 'originator-is-target' skips, so they may share one ExportCache and one
 * Adj-RIB-Out (an update group).
 */
export function exportSignature(t: ExportTarget): string {
  const a = t.localAddress;
  return [
    t.kind,
    t.rrClient ? 'c' : 'n',
    t.kind === 'ebgp' && t.senderSideLoopDetection ? `lp${t.asn}` : '',
    t.localAs,
    t.clusterId,
    t.nextHopSelf ? 'nhs' : '',
    t.nextHopKeep ? 'nhk' : '',
    a.ipv4 ?? '',
    a.ipv6 ?? '',
    a.ipv6LinkLocal ?? '',
  ].join('|');
}
