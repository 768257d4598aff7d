// Propagation rules: whether the best path for a prefix goes to a peer, and with which
// attributes and next hop. RFC 4271 §9.1.3 (iBGP split horizon), RFC 4456 §6/§8/§10 (route
// reflection), RFC 4271 §5.1 (attributes towards eBGP), RFC 1997 (well-known communities).
// Pure: no I/O, no clock. Export policy runs after this (so a MED set by policy survives).
import type { Path, PathSource } from '../rib/types.js';
import type { PathAttributes } from '../wire/types.js';
import { countAs, prependAs } from './as-path-ops.js';
import { copyAttrs, type OptionalAttr } from './attrs-copy.js';
import type { ExportCache } from './export-cache.js';
import type { ExportTarget } from './export-target.js';
import { NO_ADVERTISE, NO_EXPORT, NO_EXPORT_SUBCONFED } from './well-known.js';

/** RFC 4271 §5.1.5 leaves the value to the operator; 100 is what BIRD, FRR and GoBGP use. */
export const DEFAULT_LOCAL_PREF = 100;

/** Why a path is not sent to a peer: values shown in logs, metrics and `wren routes`. */
export type SkipReason =
  /** split horizon: never back to the peer it came from */
  | 'same-peer'
  /** RFC 1997 NO_ADVERTISE: to nobody */
  | 'no-advertise'
  /** RFC 1997 NO_EXPORT: not to eBGP peers */
  | 'no-export'
  /** RFC 1997 NO_EXPORT_SUBCONFED: not to eBGP peers (no confederations here) */
  | 'no-export-subconfed'
  /** RFC 4271 §9.1.3 / RFC 4456 §6: iBGP to iBGP when neither side is our client */
  | 'ibgp-to-ibgp-not-reflected'
  /** RFC 4456 §8: the target originated it and would drop it anyway */
  | 'originator-is-target'
  /** sender-side loop detection (opt-in): the eBGP target's AS is already in AS_PATH */
  | 'peer-as-in-path'
  /** next hop self is due but we have no address of the route's family towards the peer */
  | 'no-local-next-hop';

export type ExportResult =
  | { action: 'send'; attrs: PathAttributes; nextHop: number | string; linkLocalNextHop?: string }
  | { action: 'skip'; reason: SkipReason };

// What happens to the attributes; also the base of the cache variant key (0..4).
const REFLECT = 0;
const TO_EBGP_LOCAL = 1;
const TO_EBGP_LEARNED = 2;
const TO_IBGP_LOCAL = 3;
const TO_IBGP_FROM_EBGP = 4;
type Mode = typeof REFLECT | typeof TO_EBGP_LOCAL | typeof TO_EBGP_LEARNED | typeof TO_IBGP_LOCAL | typeof TO_IBGP_FROM_EBGP;

const skips = new Map<SkipReason, ExportResult>();
function skip(reason: SkipReason): ExportResult {
  let r = skips.get(reason);
  if (r === undefined) {
    r = Object.freeze({ action: 'skip', reason });
    skips.set(reason, r);
  }
  return r;
}

function modeFor(source: PathSource, target: ExportTarget): Mode | SkipReason {
  if (target.kind === 'ebgp') return source.kind === 'local' ? TO_EBGP_LOCAL : TO_EBGP_LEARNED;
  switch (source.kind) {
    case 'local':
      return TO_IBGP_LOCAL;
    case 'ebgp':
      return TO_IBGP_FROM_EBGP;
    case 'ibgp':
      // RFC 4456 §6: a client's route goes to clients and non-clients, a non-client's route
      // to clients only; without a client on either side this is plain iBGP (RFC 4271 §9.1.3).
      return source.rrClient || target.rrClient ? REFLECT : 'ibgp-to-ibgp-not-reflected';
  }
}

/**
 * The best path as it goes to `target`, or why it does not. With `cache` (one per
 * exportSignature(target)), equal inputs give the identical derived attribute object.
 * The route family follows the next hop: a number is IPv4 (NEXT_HOP in attrs), text is IPv6
 * (MP_REACH next hop, returned apart; attrs.nextHop is then not used for the next hop).
 */
export function exportPath(path: Path, target: ExportTarget, cache?: ExportCache): ExportResult {
  const source = path.source;
  const attrs = path.attrs;
  if (target.id !== undefined && source.id === target.id) return skip('same-peer');
  const communities = attrs.communities;
  if (communities !== undefined) {
    if (communities.includes(NO_ADVERTISE)) return skip('no-advertise');
    if (target.kind === 'ebgp') {
      if (communities.includes(NO_EXPORT)) return skip('no-export');
      if (communities.includes(NO_EXPORT_SUBCONFED)) return skip('no-export-subconfed');
    }
  }
  const mode = modeFor(source, target);
  if (typeof mode === 'string') return skip(mode);
  if (mode === REFLECT && target.peerBgpId !== undefined && (attrs.originatorId ?? source.bgpId) === target.peerBgpId) {
    return skip('originator-is-target');
  }
  if (target.kind === 'ebgp' && target.senderSideLoopDetection === true && countAs(attrs.asPath, target.asn) > 0) {
    return skip('peer-as-in-path');
  }

  // Next hop. Self for local routes; towards eBGP unless nextHopKeep (RFC 4271 §5.1.3);
  // towards iBGP for eBGP-learned routes only with nextHopSelf; reflected routes never
  // (RFC 4456 §10).
  const self =
    mode === TO_EBGP_LOCAL ||
    mode === TO_IBGP_LOCAL ||
    (mode === TO_EBGP_LEARNED && !target.nextHopKeep) ||
    (mode === TO_IBGP_FROM_EBGP && target.nextHopSelf);
  const ipv4 = typeof path.nextHop === 'number';
  let nextHop: number | string;
  let linkLocal: string | undefined;
  if (!self) {
    // A received link-local next hop is only valid on the link it came from (RFC 2545 §3),
    // which we cannot assume the target shares: the global one is passed on alone.
    nextHop = path.nextHop;
  } else if (ipv4) {
    const nh = target.localAddress.ipv4;
    if (nh === undefined) return skip('no-local-next-hop');
    nextHop = nh;
  } else {
    const nh = target.localAddress.ipv6;
    if (nh === undefined) return skip('no-local-next-hop');
    nextHop = nh;
    linkLocal = target.localAddress.ipv6LinkLocal;
  }

  const nextHop4 = typeof nextHop === 'number' ? nextHop : undefined;
  const newOriginator = mode === REFLECT && attrs.originatorId === undefined ? source.bgpId : undefined;
  const variant = variantOf(mode, newOriginator, !self && attrs.nextHop !== nextHop4 ? nextHop4 : undefined);
  let out = cache?.get(ipv4, variant, attrs);
  if (out === undefined) {
    out = derive(attrs, mode, source, target, nextHop4);
    cache?.set(ipv4, variant, attrs, out);
  }
  return linkLocal === undefined ? { action: 'send', attrs: out, nextHop } : { action: 'send', attrs: out, nextHop, linkLocalNextHop: linkLocal };
}

/**
 * Everything the derived set depends on besides the input set and the target signature, as a
 * number where possible (no string per route on the hot path): the mode (0..4); a new
 * ORIGINATOR_ID (8 + id); an IPv4 next hop that differs from attrs.nextHop although passed on
 * unchanged (IPv4 NLRI received in MP_REACH: 2^36 + mode·2^33 + next hop). Both: text.
 */
function variantOf(mode: Mode, newOriginator: number | undefined, rewrittenNextHop: number | undefined): number | string {
  if (newOriginator === undefined) return rewrittenNextHop === undefined ? mode : 2 ** 36 + mode * 2 ** 33 + rewrittenNextHop;
  return rewrittenNextHop === undefined ? 8 + newOriginator : `${newOriginator}/${rewrittenNextHop}`;
}

// Fields dropped by each derivation. IPv6 routes also lose NEXT_HOP: RFC 4760 §3, an UPDATE
// with only MP_REACH NLRI should not carry it.
const TO_EBGP_DROP: readonly OptionalAttr[] = ['localPref', 'originatorId', 'clusterList'];
const TO_EBGP_DROP_V6: readonly OptionalAttr[] = [...TO_EBGP_DROP, 'nextHop'];
const TO_EBGP_LEARNED_DROP: readonly OptionalAttr[] = [...TO_EBGP_DROP, 'med'];
const TO_EBGP_LEARNED_DROP_V6: readonly OptionalAttr[] = [...TO_EBGP_LEARNED_DROP, 'nextHop'];
const TO_IBGP_DROP: readonly OptionalAttr[] = ['originatorId', 'clusterList'];
const TO_IBGP_DROP_V6: readonly OptionalAttr[] = [...TO_IBGP_DROP, 'nextHop'];
const V6_DROP: readonly OptionalAttr[] = ['nextHop'];

/** `nextHop4`: the IPv4 NEXT_HOP to send; undefined for IPv6 routes. */
function derive(attrs: PathAttributes, mode: Mode, source: PathSource, target: ExportTarget, nextHop4: number | undefined): PathAttributes {
  const v6 = nextHop4 === undefined;
  let out: PathAttributes;
  switch (mode) {
    case REFLECT:
      // RFC 4456 §8: ORIGINATOR_ID is set once, by the first reflector; each reflector
      // prepends its CLUSTER_ID. Nothing else changes (§10).
      out = copyAttrs(attrs, v6 ? V6_DROP : undefined);
      out.originatorId ??= source.bgpId;
      out.clusterList = attrs.clusterList === undefined ? [target.clusterId] : [target.clusterId, ...attrs.clusterList];
      out.localPref ??= DEFAULT_LOCAL_PREF; // RFC 4271 §5.1.5: always sent to iBGP
      break;
    case TO_EBGP_LOCAL:
    case TO_EBGP_LEARNED:
      // RFC 4271 §5.1.5: no LOCAL_PREF to external peers. RFC 4456 §8: ORIGINATOR_ID and
      // CLUSTER_LIST are optional non-transitive, iBGP-only. RFC 4271 §5.1.4: a MED received
      // from a neighbouring AS is not passed on to other ASes; like FRR, only a locally
      // originated MED (or one set by export policy, which runs after this) is sent.
      out = copyAttrs(attrs, mode === TO_EBGP_LEARNED ? (v6 ? TO_EBGP_LEARNED_DROP_V6 : TO_EBGP_LEARNED_DROP) : v6 ? TO_EBGP_DROP_V6 : TO_EBGP_DROP);
      out.asPath = prependAs(attrs.asPath, target.localAs); // RFC 4271 §5.1.2
      break;
    case TO_IBGP_LOCAL:
    case TO_IBGP_FROM_EBGP:
      // Unchanged when possible: the interned set goes out as it is. ORIGINATOR_ID or
      // CLUSTER_LIST here are leftovers of an unsanitized eBGP set; passed on, they would make
      // our iBGP peers see false loops.
      if (attrs.localPref !== undefined && attrs.originatorId === undefined && attrs.clusterList === undefined && (v6 || attrs.nextHop === nextHop4)) return attrs;
      out = copyAttrs(attrs, v6 ? TO_IBGP_DROP_V6 : TO_IBGP_DROP);
      out.localPref ??= DEFAULT_LOCAL_PREF; // RFC 4271 §5.1.5
      break;
  }
  if (nextHop4 !== undefined) out.nextHop = nextHop4;
  return out;
}
