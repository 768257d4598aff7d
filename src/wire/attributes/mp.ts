// MP_REACH_NLRI (type 14, RFC 4760 §3) and MP_UNREACH_NLRI (type 15, RFC 4760 §4) for IPv4
// and IPv6 unicast. IPv6 next hop: 16 octets global, or 32 octets global + link-local
// (RFC 2545 §3). Other AFI/SAFI pairs are reported in mpOther and otherwise skipped.
//
//   MP_REACH_NLRI                                 MP_UNREACH_NLRI
//   +-------------------------------------+       +-------------------------------------+
//   | AFI (2 octets)                      |       | AFI (2 octets)                      |
//   | SAFI (1 octet)                      |       | SAFI (1 octet)                      |
//   | Length of Next Hop Address (1)      |       | Withdrawn Routes (variable)         |
//   | Next Hop Address (variable)         |       +-------------------------------------+
//   | Reserved (1 octet)                  |
//   | NLRI (variable)                     |
//   +-------------------------------------+
//
// Malformed MP attributes: RFC 7606 §7.11 / §7.12 allow "AFI/SAFI disable" or "session
// reset". Wren chooses session reset (Optional Attribute Error, RFC 4760 §7) because disabling
// one family of a pod-network session silently is worse than a visible reset.
import { bytesToIpv6, ipv6ToBytes, InvalidPrefixError } from '../../lib/prefix.js';
import { SAFI_UNICAST, type CodecContext, type Family, type MpOther, type MpReach, type NlriSet } from '../types.js';
import { afiOf, familyOf } from '../family.js';
import { decodePrefixes4, decodePrefixes6, prefixes4Size, prefixes6Size, writePrefixes4, writePrefixes6 } from '../nlri.js';
import { UpdateSubcode } from '../constants.js';
import type { WireError } from '../errors.js';
import { attributeMalformed, encodeInvalid } from './fail.js';
import type { ByteWriter } from './writer.js';

/** Where decoded MP attributes land (fields of UpdateMessage). */
export interface MpTarget {
  mpReach?: MpReach;
  mpUnreach?: NlriSet;
  mpOther?: MpOther[];
}

function malformed(b: Buffer, attrStart: number, end: number, reason: string): WireError {
  // RFC 4271 §6.3: the Data field of Optional Attribute Error carries the attribute.
  return attributeMalformed(UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, reason, Buffer.from(b.subarray(attrStart, end)));
}

function decodeNlriSet(b: Buffer, start: number, end: number, family: Family, ctx: CodecContext, what: string, attrStart: number): NlriSet {
  const addPath = ctx.addPathReceive.has(family);
  const pathIds: number[] | null = addPath ? [] : null;
  if (family === 'ipv4-unicast') {
    const prefixes: number[] = [];
    const err = decodePrefixes4(b, start, end, addPath, prefixes, pathIds);
    if (err !== null) throw malformed(b, attrStart, end, `${what}-${err}`);
    return pathIds ? { family, prefixes, pathIds } : { family, prefixes };
  }
  const prefixes: string[] = [];
  const err = decodePrefixes6(b, start, end, addPath, prefixes, pathIds);
  if (err !== null) throw malformed(b, attrStart, end, `${what}-${err}`);
  return pathIds ? { family, prefixes, pathIds } : { family, prefixes };
}

/** Decodes an MP_REACH_NLRI value at [off, off+len); attrStart is the attribute's first octet. */
export function decodeMpReach(b: Buffer, attrStart: number, off: number, len: number, ctx: CodecContext, out: MpTarget): void {
  const end = off + len;
  if (len < 5) throw malformed(b, attrStart, end, 'mp-reach-too-short');
  const afi = (b[off]! << 8) | b[off + 1]!;
  const safi = b[off + 2]!;
  const family = familyOf(afi, safi);
  if (family === null) {
    (out.mpOther ??= []).push({ afi, safi });
    return;
  }
  const nhLen = b[off + 3]!;
  const nh = off + 4;
  if (nh + nhLen + 1 > end) throw malformed(b, attrStart, end, 'mp-reach-next-hop-overrun');
  let nextHop: number | string;
  let linkLocal: string | undefined;
  if (family === 'ipv4-unicast') {
    if (nhLen !== 4) throw malformed(b, attrStart, end, 'mp-reach-bad-next-hop-length');
    nextHop = b[nh]! * 0x1000000 + ((b[nh + 1]! << 16) | (b[nh + 2]! << 8) | b[nh + 3]!);
  } else {
    if (nhLen !== 16 && nhLen !== 32) throw malformed(b, attrStart, end, 'mp-reach-bad-next-hop-length');
    nextHop = bytesToIpv6(b, nh);
    if (nhLen === 32) linkLocal = bytesToIpv6(b, nh + 16);
  }
  // The Reserved octet (RFC 4760 §3) is ignored on receipt.
  const nlri = decodeNlriSet(b, nh + nhLen + 1, end, family, ctx, 'mp-reach', attrStart);
  out.mpReach = linkLocal !== undefined ? { nlri, nextHop, linkLocalNextHop: linkLocal } : { nlri, nextHop };
}

/** Decodes an MP_UNREACH_NLRI value (see decodeMpReach). */
export function decodeMpUnreach(b: Buffer, attrStart: number, off: number, len: number, ctx: CodecContext, out: MpTarget): void {
  const end = off + len;
  if (len < 3) throw malformed(b, attrStart, end, 'mp-unreach-too-short');
  const afi = (b[off]! << 8) | b[off + 1]!;
  const safi = b[off + 2]!;
  const family = familyOf(afi, safi);
  if (family === null) {
    (out.mpOther ??= []).push({ afi, safi });
    return;
  }
  out.mpUnreach = decodeNlriSet(b, off + 3, end, family, ctx, 'mp-unreach', attrStart);
}

function ipv6Bytes(text: string, what: string): Buffer {
  try {
    return ipv6ToBytes(text);
  } catch (e) {
    if (e instanceof InvalidPrefixError) throw encodeInvalid(`${what} "${text}" is not an IPv6 address`);
    throw e;
  }
}

function writeNlriSet(nlri: NlriSet, ctx: CodecContext, w: ByteWriter): void {
  const addPath = ctx.addPathSend.has(nlri.family);
  if (nlri.family === 'ipv4-unicast') {
    w.ensure(prefixes4Size(nlri.prefixes, addPath));
    w.pos = writePrefixes4(w.buf, w.pos, nlri.prefixes, 0, nlri.prefixes.length, nlri.pathIds, addPath);
  } else {
    w.ensure(prefixes6Size(nlri.prefixes, addPath));
    w.pos = writePrefixes6(w.buf, w.pos, nlri.prefixes, 0, nlri.prefixes.length, nlri.pathIds, addPath);
  }
}

/** Writes the AFI..Reserved part of MP_REACH_NLRI (everything before the NLRI). */
export function writeMpReachHead(family: Family, nextHop: number | string, linkLocal: string | undefined, w: ByteWriter): void {
  w.u16(afiOf(family));
  w.u8(SAFI_UNICAST);
  if (family === 'ipv4-unicast') {
    if (typeof nextHop !== 'number' || !Number.isInteger(nextHop) || nextHop < 0 || nextHop > 0xffffffff) {
      throw encodeInvalid(`MP_REACH IPv4 next hop ${String(nextHop)} is not an IPv4 address`);
    }
    w.u8(4);
    w.u32(nextHop);
  } else {
    if (typeof nextHop !== 'string') throw encodeInvalid(`MP_REACH IPv6 next hop ${String(nextHop)} is not text`);
    w.u8(linkLocal !== undefined ? 32 : 16);
    w.bytes(ipv6Bytes(nextHop, 'IPv6 next hop'));
    if (linkLocal !== undefined) w.bytes(ipv6Bytes(linkLocal, 'IPv6 link-local next hop'));
  }
  w.u8(0); // Reserved
}

export function writeMpReach(reach: MpReach, ctx: CodecContext, w: ByteWriter): void {
  writeMpReachHead(reach.nlri.family, reach.nextHop, reach.linkLocalNextHop, w);
  writeNlriSet(reach.nlri, ctx, w);
}

export function writeMpUnreach(nlri: NlriSet, ctx: CodecContext, w: ByteWriter): void {
  w.u16(afiOf(nlri.family));
  w.u8(SAFI_UNICAST);
  writeNlriSet(nlri, ctx, w);
}
