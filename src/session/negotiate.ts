// What a session agreed on, from our OPEN and the peer's OPEN (RFC 4271 §4.2, RFC 5492), and
// our OPEN built from the session config.
import type { Capability, CodecContext, Family, OpenMessage } from '../wire/types.js';
import type { SessionConfig } from './config.js';
import { afiSafiOf, familyOf } from '../wire/family.js';
import { AS_TRANS, BGP_VERSION } from '../wire/constants.js';

export interface GracefulRestartInfo {
  /** the peer's Restart Time, seconds: how long to keep its routes stale after it goes away */
  restartTime: number;
  /** R bit: the peer has just restarted (RFC 4724 §3) */
  peerRestarting: boolean;
  /** N bit: the peer supports RFC 8538 notification handling */
  notification: boolean;
  /** negotiated families the peer preserves forwarding state for */
  families: { family: Family; forwardingPreserved: boolean }[];
}

export interface Negotiated {
  /** the peer's ASN: the 4-octet one from its as4 capability when present */
  peerAs: number;
  peerBgpId: number;
  /** min(ours, theirs); 0 means no hold timer and no keepalives (RFC 4271 §4.2) */
  holdTime: number;
  /** holdTime / 3 rounded down (at least 1), or 0 when holdTime is 0 (RFC 4271 §10) */
  keepaliveTime: number;
  /** families both sides announced, in our configured order */
  families: Family[];
  /** RFC 6793: both sides announced 4-octet AS support */
  as4: boolean;
  /** RFC 2918: both sides announced route refresh */
  routeRefresh: boolean;
  /** RFC 7313: both sides announced enhanced route refresh */
  enhancedRouteRefresh: boolean;
  /** RFC 8654: both sides announced extended messages */
  extendedMessage: boolean;
  /** RFC 4724: the peer's Graceful Restart capability, when both sides announced one */
  gracefulRestart: GracefulRestartInfo | null;
  /** RFC 7911 §4: per-family path identifier direction, from our point of view */
  addPath: { receive: Family[]; send: Family[] };
  /** FQDN capability hostname of the peer, if it sent one */
  hostname?: string;
  /** everything the peer announced, for `wren status` and logs */
  peerCapabilities: Capability[];
}

/** Negotiated hold time to keepalive interval; RFC 4271 §10 suggests one third. */
export function keepaliveFor(holdTime: number): number {
  return holdTime === 0 ? 0 : Math.max(1, Math.floor(holdTime / 3));
}

/**
 * The families an OPEN announces. RFC 4760 §8: a speaker that sends no multiprotocol
 * capability at all is assumed to do IPv4 unicast only.
 */
export function announcedFamilies(open: OpenMessage): Family[] {
  const out: Family[] = [];
  let anyMp = false;
  for (const c of open.capabilities) {
    if (c.kind !== 'multiprotocol') continue;
    anyMp = true;
    const f = familyOf(c.afi, c.safi);
    if (f !== null && !out.includes(f)) out.push(f);
  }
  return anyMp ? out : ['ipv4-unicast'];
}

/** The peer's ASN as announced: RFC 6793 §4.1, the as4 capability wins over My AS. */
export function announcedAs(open: OpenMessage): number {
  const as4 = findCap(open, 'as4');
  return as4 ? as4.asn : open.myAs;
}

export function findCap<K extends Capability['kind']>(
  open: OpenMessage,
  kind: K,
): Extract<Capability, { kind: K }> | undefined {
  return open.capabilities.find((c): c is Extract<Capability, { kind: K }> => c.kind === kind);
}

function has(open: OpenMessage, kind: Capability['kind']): boolean {
  return open.capabilities.some((c) => c.kind === kind);
}

/** add-path direction bits for a family: 1 receive, 2 send, 3 both (RFC 7911 §4). */
function addPathBits(open: OpenMessage, family: Family): number {
  const cap = findCap(open, 'add-path');
  if (!cap) return 0;
  const { afi, safi } = afiSafiOf(family);
  let bits = 0;
  for (const f of cap.families) if (f.afi === afi && f.safi === safi) bits |= f.sendReceive;
  return bits;
}

/** What our OPEN (`local`) and the peer's (`peer`) agree on. The OPEN must already be valid. */
export function negotiate(local: OpenMessage, peer: OpenMessage): Negotiated {
  const theirs = announcedFamilies(peer);
  const families = announcedFamilies(local).filter((f) => theirs.includes(f));
  const holdTime = Math.min(local.holdTime, peer.holdTime);

  // RFC 7911 §4: we receive path ids for F when we said "receive" and they said "send", and
  // send them when we said "send" and they said "receive".
  const receive: Family[] = [];
  const send: Family[] = [];
  for (const f of families) {
    const ours = addPathBits(local, f);
    const them = addPathBits(peer, f);
    if (ours & 1 && them & 2) receive.push(f);
    if (ours & 2 && them & 1) send.push(f);
  }

  // RFC 4724: graceful restart procedures apply when both sides exchanged the capability.
  const peerGr = findCap(peer, 'graceful-restart');
  let gracefulRestart: GracefulRestartInfo | null = null;
  if (peerGr && has(local, 'graceful-restart')) {
    const grFamilies: GracefulRestartInfo['families'] = [];
    for (const f of peerGr.families) {
      const fam = familyOf(f.afi, f.safi);
      if (fam !== null && families.includes(fam)) grFamilies.push({ family: fam, forwardingPreserved: f.forwardingPreserved });
    }
    gracefulRestart = {
      restartTime: peerGr.restartTime,
      peerRestarting: peerGr.restarting,
      notification: peerGr.notification,
      families: grFamilies,
    };
  }

  const fqdn = findCap(peer, 'fqdn');
  const both = (kind: Capability['kind']): boolean => has(local, kind) && has(peer, kind);
  return {
    peerAs: announcedAs(peer),
    peerBgpId: peer.bgpId,
    holdTime,
    keepaliveTime: keepaliveFor(holdTime),
    families,
    as4: both('as4'),
    routeRefresh: both('route-refresh'),
    enhancedRouteRefresh: both('enhanced-route-refresh'),
    extendedMessage: both('extended-message'),
    gracefulRestart,
    addPath: { receive, send },
    ...(fqdn ? { hostname: fqdn.hostname } : {}),
    peerCapabilities: peer.capabilities,
  };
}

/** The codec settings for UPDATEs on a session with these negotiated values. */
export function codecContextOf(n: Negotiated): CodecContext {
  return {
    as4: n.as4,
    extendedMessage: n.extendedMessage,
    addPathReceive: new Set(n.addPath.receive),
    addPathSend: new Set(n.addPath.send),
  };
}

/** Our OPEN for this peer. */
export function buildOpen(cfg: SessionConfig): OpenMessage {
  const capabilities: Capability[] = [];
  for (const f of cfg.families) capabilities.push({ kind: 'multiprotocol', ...afiSafiOf(f) });
  capabilities.push({ kind: 'route-refresh' }, { kind: 'enhanced-route-refresh' });
  // RFC 6793 §3: always announce 4-octet AS support, whatever our ASN.
  capabilities.push({ kind: 'as4', asn: cfg.localAs });
  if (cfg.gracefulRestart) {
    // Without forwarding preserved we are a receiving speaker only (RFC 4724 §3): no families
    // means we keep no forwarding state ourselves, but keep the peer's routes while it
    // restarts. A node daemon's kernel routes outlive it, so it lists its families with the F
    // bit and its peers keep its routes (pods stay reachable) while it restarts.
    capabilities.push({
      kind: 'graceful-restart',
      restarting: false,
      notification: false,
      restartTime: cfg.gracefulRestartTime,
      families: cfg.gracefulRestartForwarding ? cfg.families.map((f) => ({ ...afiSafiOf(f), forwardingPreserved: true })) : [],
    });
  }
  const addPath = cfg.addPathReceive.filter((f) => cfg.families.includes(f));
  if (addPath.length > 0) {
    capabilities.push({ kind: 'add-path', families: addPath.map((f) => ({ ...afiSafiOf(f), sendReceive: 1 as const })) });
  }
  capabilities.push({ kind: 'extended-message' });
  if (cfg.hostname !== undefined) capabilities.push({ kind: 'fqdn', hostname: cfg.hostname, domain: '' });
  return {
    kind: 'open',
    version: BGP_VERSION,
    myAs: cfg.localAs > 0xffff ? AS_TRANS : cfg.localAs,
    holdTime: cfg.holdTime,
    bgpId: cfg.routerId,
    capabilities,
  };
}
