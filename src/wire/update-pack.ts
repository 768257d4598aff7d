// Packing: as many prefixes sharing one attribute set as fit into each UPDATE, as many
// UPDATEs as needed (DESIGN.md "pack prefixes that share attributes"; BIRD's buckets).
// All messages of one call are written into a single buffer and returned as views of it.
//
//   IPv4:  [header][0000][attr len][attrBytes][prefix][prefix]...          (RFC 4271 §4.3)
//   IPv6:  [header][0000][attr len][MP_REACH_NLRI(prefixes...)][attrBytes]  (RFC 4760 §3;
//          MP_REACH first, RFC 7606 §5.1)
//   withdrawals: classic Withdrawn Routes for IPv4, MP_UNREACH_NLRI for IPv6 (RFC 4760 §4).
import { HEADER_SIZE, MAX_MESSAGE_SIZE } from './constants.js';
import { AttrCode, AttrFlag, FLAGS_OPTIONAL_NON_TRANSITIVE } from './attributes/codes.js';
import { encodeTooLarge } from './attributes/fail.js';
import { writeMpReachHead } from './attributes/mp.js';
import { ByteWriter } from './attributes/writer.js';
import { AFI_IPV6, SAFI_UNICAST } from './types.js';
import { prefix4WireSize, prefix6WireSize, writePrefixes4, writePrefixes6 } from './nlri.js';
import { writeUpdateHeader } from './update-encode.js';

/** Chunk ends for items of sizes size(i), each chunk at most `room` octets. */
function chunk(n: number, size: (i: number) => number, room: number, minMessage: number, maxSize: number): number[] {
  const ends: number[] = [];
  let used = 0;
  for (let i = 0; i < n; i++) {
    const s = size(i);
    if (s > room) throw encodeTooLarge(minMessage + s, maxSize);
    if (used + s > room) {
      ends.push(i);
      used = 0;
    }
    used += s;
  }
  if (n > 0) ends.push(n);
  return ends;
}

/**
 * IPv4 announcements: UPDATEs carrying `attrBytes` (from encodeAttributes, with NEXT_HOP)
 * and as many of `prefixes` as fit in `maxSize` each. Pass `pathIds` to send ADD-PATH ids.
 */
export function packIpv4(attrBytes: Buffer, prefixes: readonly number[], maxSize: number = MAX_MESSAGE_SIZE, pathIds?: readonly number[]): Buffer[] {
  return packIpv4Fields(attrBytes, prefixes, maxSize, pathIds, false);
}

/** IPv4 withdrawals in the Withdrawn Routes field, as many UPDATEs as needed. */
export function packIpv4Withdrawals(prefixes: readonly number[], maxSize: number = MAX_MESSAGE_SIZE, pathIds?: readonly number[]): Buffer[] {
  return packIpv4Fields(Buffer.alloc(0), prefixes, maxSize, pathIds, true);
}

function packIpv4Fields(attrBytes: Buffer, prefixes: readonly number[], maxSize: number, pathIds: readonly number[] | undefined, withdraw: boolean): Buffer[] {
  const n = prefixes.length;
  if (n === 0) return [];
  const addPath = pathIds !== undefined;
  const overhead = HEADER_SIZE + 4 + attrBytes.length;
  const idSize = addPath ? 4 : 0;
  const ends = chunk(n, (i) => idSize + 1 + (((prefixes[i]! % 64) + 7) >> 3), maxSize - overhead, overhead, maxSize);
  let total = ends.length * overhead;
  for (let i = 0; i < n; i++) total += idSize + prefix4WireSize(prefixes[i]!);
  const buf = Buffer.allocUnsafe(total);
  const out: Buffer[] = [];
  let o = 0;
  let from = 0;
  for (const to of ends) {
    const start = o;
    o += HEADER_SIZE;
    if (withdraw) {
      const end = writePrefixes4(buf, o + 2, prefixes, from, to, pathIds, addPath);
      const wLen = end - o - 2;
      buf[o] = wLen >>> 8;
      buf[o + 1] = wLen;
      buf[end] = 0;
      buf[end + 1] = 0;
      o = end + 2;
    } else {
      buf[o] = 0;
      buf[o + 1] = 0;
      buf[o + 2] = attrBytes.length >>> 8;
      buf[o + 3] = attrBytes.length;
      attrBytes.copy(buf, o + 4);
      o = writePrefixes4(buf, o + 4 + attrBytes.length, prefixes, from, to, pathIds, addPath);
    }
    writeUpdateHeader(buf, start, o - start);
    out.push(buf.subarray(start, o));
    from = to;
  }
  return out;
}

/** The IPv6 next hop(s) of an MP_REACH_NLRI (RFC 2545 §3). */
export interface Ipv6NextHop {
  nextHop: string;
  linkLocalNextHop?: string;
}

/**
 * IPv6 announcements: UPDATEs with an MP_REACH_NLRI holding as many `prefixes` as fit,
 * followed by `attrBytes` (encodeAttributes without mp, no NEXT_HOP needed).
 */
export function packIpv6(attrBytes: Buffer, nh: Ipv6NextHop, prefixes: readonly string[], maxSize: number = MAX_MESSAGE_SIZE, pathIds?: readonly number[]): Buffer[] {
  const head = new ByteWriter(64);
  writeMpReachHead('ipv6-unicast', nh.nextHop, nh.linkLocalNextHop, head);
  return packMp(AttrCode.MP_REACH_NLRI, head.finish(), attrBytes, prefixes, maxSize, pathIds);
}

/** IPv6 withdrawals in MP_UNREACH_NLRI, as many UPDATEs as needed. */
export function packIpv6Withdrawals(prefixes: readonly string[], maxSize: number = MAX_MESSAGE_SIZE, pathIds?: readonly number[]): Buffer[] {
  const head = Buffer.from([AFI_IPV6 >>> 8, AFI_IPV6 & 0xff, SAFI_UNICAST]);
  return packMp(AttrCode.MP_UNREACH_NLRI, head, Buffer.alloc(0), prefixes, maxSize, pathIds);
}

function packMp(code: number, head: Buffer, attrBytes: Buffer, prefixes: readonly string[], maxSize: number, pathIds: readonly number[] | undefined): Buffer[] {
  const n = prefixes.length;
  if (n === 0) return [];
  const addPath = pathIds !== undefined;
  const idSize = addPath ? 4 : 0;
  // Room is computed with the 4-octet (extended length) attribute header; the one-octet form
  // is used when the value turns out to fit in 255 octets.
  const overhead = HEADER_SIZE + 4 + 4 + head.length + attrBytes.length;
  const sizes = prefixes.map((t) => idSize + prefix6WireSize(t));
  const ends = chunk(n, (i) => sizes[i]!, maxSize - overhead, overhead, maxSize);
  const out: Buffer[] = [];
  let from = 0;
  for (const to of ends) {
    let nlriSize = 0;
    for (let i = from; i < to; i++) nlriSize += sizes[i]!;
    const valueLen = head.length + nlriSize;
    const ext = valueLen > 255;
    const attrHdr = ext ? 4 : 3;
    const size = HEADER_SIZE + 4 + attrHdr + valueLen + attrBytes.length;
    const buf = Buffer.allocUnsafe(size);
    writeUpdateHeader(buf, 0, size);
    let o = HEADER_SIZE;
    buf[o++] = 0;
    buf[o++] = 0;
    const aLen = attrHdr + valueLen + attrBytes.length;
    buf[o++] = aLen >>> 8;
    buf[o++] = aLen;
    buf[o++] = FLAGS_OPTIONAL_NON_TRANSITIVE | (ext ? AttrFlag.EXTENDED_LENGTH : 0);
    buf[o++] = code;
    if (ext) buf[o++] = valueLen >>> 8;
    buf[o++] = valueLen;
    head.copy(buf, o);
    o = writePrefixes6(buf, o + head.length, prefixes, from, to, pathIds, addPath);
    attrBytes.copy(buf, o);
    out.push(buf);
    from = to;
  }
  return out;
}
