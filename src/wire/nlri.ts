// NLRI prefix lists: the Withdrawn Routes and NLRI fields of an UPDATE (RFC 4271 §4.3) and
// the NLRI inside MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760 §5), optionally preceded by an
// ADD-PATH path identifier (RFC 7911 §3).
//
//   +--------------------------------+
//   | Path Identifier (4 octets)     |   only when ADD-PATH was negotiated for the family
//   +--------------------------------+
//   | Length (1 octet, in bits)      |
//   +--------------------------------+
//   | Prefix (ceil(Length/8) octets) |   trailing bits are irrelevant (RFC 4271 §4.3): zeroed
//   +--------------------------------+
//
// IPv4 prefixes are numbers (address * 64 + length) pushed into plain arrays, IPv6 prefixes
// canonical text (src/lib/prefix.ts): no object per prefix on the hot path.
import { bytesToIpv6, ipv6ToBytes, InvalidPrefixError } from '../lib/prefix.js';
import { encodeInvalid } from './attributes/fail.js';

/**
 * Decodes IPv4 prefixes from [start, end). Returns null, or the reason the field is
 * syntactically incorrect (RFC 7606 §5.3): the caller turns it into a session reset.
 */
export function decodePrefixes4(b: Buffer, start: number, end: number, addPath: boolean, prefixes: number[], pathIds: number[] | null): string | null {
  let p = start;
  while (p < end) {
    if (addPath) {
      if (p + 5 > end) return 'path-id-truncated';
      pathIds!.push(b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!));
      p += 4;
    }
    const len = b[p++]!;
    if (len > 32) return 'prefix-too-long';
    const n = (len + 7) >> 3;
    if (p + n > end) return 'prefix-overrun';
    let addr = 0;
    if (n > 0) {
      addr = b[p]! << 24;
      if (n > 1) addr |= b[p + 1]! << 16;
      if (n > 2) addr |= b[p + 2]! << 8;
      if (n > 3) addr |= b[p + 3]!;
      addr = (addr & (0xffffffff << (32 - len))) >>> 0;
    }
    p += n;
    prefixes.push(addr * 64 + len);
  }
  return null;
}

/** Decodes IPv6 prefixes from [start, end) into canonical text (see decodePrefixes4). */
export function decodePrefixes6(b: Buffer, start: number, end: number, addPath: boolean, prefixes: string[], pathIds: number[] | null): string | null {
  const scratch = new Uint8Array(16);
  let p = start;
  while (p < end) {
    if (addPath) {
      if (p + 5 > end) return 'path-id-truncated';
      pathIds!.push(b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!));
      p += 4;
    }
    const len = b[p++]!;
    if (len > 128) return 'prefix-too-long';
    const n = (len + 7) >> 3;
    if (p + n > end) return 'prefix-overrun';
    scratch.fill(0);
    for (let i = 0; i < n; i++) scratch[i] = b[p + i]!;
    if (len & 7) scratch[n - 1] = scratch[n - 1]! & (0xff << (8 - (len & 7)));
    p += n;
    prefixes.push(`${bytesToIpv6(scratch)}/${len}`);
  }
  return null;
}

/** Octets taken by one IPv4 prefix number on the wire (without path id). */
export function prefix4WireSize(p: number): number {
  return 1 + (((p % 64) + 7) >> 3);
}

/** Octets taken by a list of IPv4 prefixes. */
export function prefixes4Size(prefixes: readonly number[], addPath: boolean): number {
  let size = addPath ? prefixes.length * 4 : 0;
  for (let i = 0; i < prefixes.length; i++) size += 1 + (((prefixes[i]! % 64) + 7) >> 3);
  return size;
}

/**
 * Writes IPv4 prefixes [from, to) at `off`; returns the offset after them. Path ids are
 * written when `addPath` (0 where the caller has none).
 */
export function writePrefixes4(
  buf: Buffer,
  off: number,
  prefixes: readonly number[],
  from: number,
  to: number,
  pathIds: readonly number[] | undefined,
  addPath: boolean,
): number {
  let o = off;
  for (let i = from; i < to; i++) {
    if (addPath) {
      const id = pathIds !== undefined ? pathIds[i]! : 0;
      buf[o] = id >>> 24;
      buf[o + 1] = id >>> 16;
      buf[o + 2] = id >>> 8;
      buf[o + 3] = id;
      o += 4;
    }
    const p = prefixes[i]!;
    const len = p % 64;
    if (len > 32 || !(p >= 0)) throw encodeInvalid(`IPv4 prefix value ${p} has length ${len} > 32`);
    const addr = (p - len) / 64;
    buf[o++] = len;
    if (len > 0) buf[o++] = addr >>> 24;
    if (len > 8) buf[o++] = addr >>> 16;
    if (len > 16) buf[o++] = addr >>> 8;
    if (len > 24) buf[o++] = addr;
  }
  return o;
}

/** Prefix length of "addr/len" text, validated. */
function prefix6Length(text: string): number {
  const slash = text.lastIndexOf('/');
  const len = slash < 0 ? NaN : Number(text.slice(slash + 1));
  if (!Number.isInteger(len) || len < 0 || len > 128) throw encodeInvalid(`IPv6 prefix "${text}" has no valid length`);
  return len;
}

/** Octets taken by one IPv6 prefix on the wire (without path id). */
export function prefix6WireSize(text: string): number {
  return 1 + ((prefix6Length(text) + 7) >> 3);
}

export function prefixes6Size(prefixes: readonly string[], addPath: boolean): number {
  let size = addPath ? prefixes.length * 4 : 0;
  for (const t of prefixes) size += prefix6WireSize(t);
  return size;
}

/** Writes IPv6 prefixes [from, to) at `off`; returns the offset after them. */
export function writePrefixes6(
  buf: Buffer,
  off: number,
  prefixes: readonly string[],
  from: number,
  to: number,
  pathIds: readonly number[] | undefined,
  addPath: boolean,
): number {
  let o = off;
  for (let i = from; i < to; i++) {
    if (addPath) {
      buf.writeUInt32BE((pathIds !== undefined ? pathIds[i]! : 0) >>> 0, o);
      o += 4;
    }
    const text = prefixes[i]!;
    const len = prefix6Length(text);
    let bytes: Buffer;
    try {
      bytes = ipv6ToBytes(text.slice(0, text.lastIndexOf('/')));
    } catch (e) {
      if (e instanceof InvalidPrefixError) throw encodeInvalid(`IPv6 prefix "${text}": ${e.why}`);
      throw e;
    }
    const n = (len + 7) >> 3;
    buf[o++] = len;
    for (let k = 0; k < n; k++) buf[o + k] = bytes[k]!;
    if (len & 7) buf[o + n - 1] = buf[o + n - 1]! & (0xff << (8 - (len & 7)));
    o += n;
  }
  return o;
}
