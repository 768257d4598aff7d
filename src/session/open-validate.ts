// Checks on a received OPEN (RFC 4271 §6.2, RFC 5492, RFC 6286, RFC 6793) that decide
// whether the session may go on, and the exact NOTIFICATION to send when it may not.
//
// The NOTIFICATION data of Unsupported Capability (RFC 5492 §5) lists capabilities as they
// appear in an OPEN, one TLV each:
//
//  +------------------------------+
//  | Capability Code (1 octet)    |
//  +------------------------------+
//  | Capability Length (1 octet)  |
//  +------------------------------+
//  | Capability Value (variable)  |
//  +------------------------------+
import type { Family, OpenMessage } from '../wire/types.js';
import type { SessionConfig } from './config.js';
import { afiSafiOf } from '../wire/family.js';
import { announcedAs, announcedFamilies, findCap } from './negotiate.js';
import { BGP_VERSION, ErrorCode, OpenSubcode } from '../wire/constants.js';

/** Stable machine reasons for rejecting an OPEN; they end up in logs and `wren status`. */
export type OpenRejectReason =
  | 'unsupported-version'
  | 'bad-peer-as'
  | 'bad-bgp-id'
  | 'unacceptable-hold-time'
  | 'as4-required'
  | 'no-common-family';

export interface OpenRejection {
  reason: OpenRejectReason;
  /** always OPEN Message Error (2) */
  code: number;
  subcode: number;
  data: Buffer;
  /** one line for logs */
  message: string;
}

/** RFC 6793 §3 as4 capability TLV: code 65, length 4, our ASN. */
function as4CapabilityTlv(asn: number): Buffer {
  const b = Buffer.alloc(6);
  b[0] = 65;
  b[1] = 4;
  b.writeUInt32BE(asn, 2);
  return b;
}

/** RFC 4760 §8 multiprotocol capability TLV: code 1, length 4, AFI, reserved, SAFI. */
function mpCapabilityTlv(family: Family): Buffer {
  const { afi, safi } = afiSafiOf(family);
  const b = Buffer.alloc(6);
  b[0] = 1;
  b[1] = 4;
  b.writeUInt16BE(afi, 2);
  b[4] = 0;
  b[5] = safi;
  return b;
}

function reject(reason: OpenRejectReason, subcode: number, data: Buffer, message: string): OpenRejection {
  return { reason, code: ErrorCode.OPEN_MESSAGE, subcode, data, message };
}

/** null when `open` is acceptable from the peer described by `cfg`, else why not. */
export function validateOpen(open: OpenMessage, cfg: SessionConfig): OpenRejection | null {
  // RFC 4271 §6.2: the data is the largest version we support below theirs (or our smallest).
  if (open.version !== BGP_VERSION) {
    const data = Buffer.alloc(2);
    data.writeUInt16BE(BGP_VERSION);
    return reject('unsupported-version', OpenSubcode.UNSUPPORTED_VERSION_NUMBER, data, `peer speaks BGP version ${open.version}, we speak ${BGP_VERSION}`);
  }

  // RFC 6793 §4.1: the as4 capability carries the real ASN; My AS should be AS_TRANS when it
  // does not fit 2 octets, but we do not insist (a speaker sending its low 16 bits there is
  // tolerated) and judge by the capability alone. Without the capability My AS is the ASN.
  const peerAs = announcedAs(open);
  if (peerAs !== cfg.peerAs) {
    return reject('bad-peer-as', OpenSubcode.BAD_PEER_AS, Buffer.alloc(0), `peer announced AS ${peerAs}, expected AS ${cfg.peerAs}`);
  }

  // RFC 6286 §2.2: zero is always bad; equal to ours is bad only inside one AS (iBGP).
  if (open.bgpId === 0 || (cfg.isIbgp && open.bgpId === cfg.routerId)) {
    return reject('bad-bgp-id', OpenSubcode.BAD_BGP_IDENTIFIER, Buffer.alloc(0), `peer BGP identifier ${open.bgpId} is zero or equal to ours`);
  }

  // RFC 4271 §4.2 / §6.2: Hold Time must be zero or at least three seconds.
  if (open.holdTime === 1 || open.holdTime === 2) {
    return reject('unacceptable-hold-time', OpenSubcode.UNACCEPTABLE_HOLD_TIME, Buffer.alloc(0), `peer hold time ${open.holdTime} s is neither 0 nor >= 3`);
  }

  // RFC 6793 allows an old speaker to peer with AS_TRANS, but then every AS_PATH it builds
  // misstates our ASN; we refuse instead, naming the capability we require (RFC 5492 §5).
  if (cfg.localAs > 0xffff && !findCap(open, 'as4')) {
    return reject(
      'as4-required',
      OpenSubcode.UNSUPPORTED_CAPABILITY,
      as4CapabilityTlv(cfg.localAs),
      `our AS ${cfg.localAs} needs 4 octets and the peer did not announce 4-octet AS support`,
    );
  }

  // No family in common: a session that can carry nothing. Like BIRD we refuse it with
  // Unsupported Capability, listing the multiprotocol capabilities we wanted (RFC 5492 §5).
  const theirs = announcedFamilies(open);
  if (!cfg.families.some((f) => theirs.includes(f))) {
    return reject(
      'no-common-family',
      OpenSubcode.UNSUPPORTED_CAPABILITY,
      Buffer.concat(cfg.families.map(mpCapabilityTlv)),
      `no address family in common (we offer ${cfg.families.join(', ')}; peer offers ${theirs.join(', ') || 'none'})`,
    );
  }
  return null;
}
