// Compact prefix and address helpers shared by every layer.
// An IPv4 prefix is one number: address (u32) * 64 + length (DESIGN.md).
import { isIPv6 } from 'node:net';

export class InvalidPrefixError extends Error {
  override readonly name = 'InvalidPrefixError';
  readonly code = 'invalid-prefix';
  constructor(readonly input: string, readonly why: string) {
    super(`invalid prefix "${input}": ${why}`);
  }
}

export function prefix4(address: number, length: number): number {
  return address * 64 + length;
}

export function prefix4Address(p: number): number {
  return Math.floor(p / 64);
}

export function prefix4Length(p: number): number {
  return p % 64;
}

export function ipv4ToNumber(text: string): number {
  const n = ipv4OrNull(text);
  if (n === null) throw new InvalidPrefixError(text, 'not an IPv4 address');
  return n;
}

/**
 * Dotted-quad text as a number, or null: what node:net's isIPv4 accepts (four decimal octets,
 * no leading zeros), without its regular expression, which a node agent would otherwise run
 * cold for every peer of a forming mesh.
 */
export function ipv4OrNull(text: string): number | null {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return null;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return null; // a leading zero
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return null;
    } else {
      return null;
    }
  }
  if (dots !== 3 || digits === 0) return null;
  return value * 256 + octet;
}

export function numberToIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function formatPrefix4(p: number): string {
  return `${numberToIpv4(prefix4Address(p))}/${prefix4Length(p)}`;
}

/** Parses "a.b.c.d/len"; host bits must be zero. */
export function parsePrefix4(text: string): number {
  const slash = text.indexOf('/');
  if (slash < 0) throw new InvalidPrefixError(text, 'missing /length');
  const addr = ipv4ToNumber(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  const len = Number(lenText);
  if (!/^\d{1,2}$/.test(lenText) || len > 32) throw new InvalidPrefixError(text, 'length must be 0..32');
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  if ((addr & ~mask) >>> 0 !== 0) throw new InvalidPrefixError(text, 'host bits set');
  return prefix4(addr, len);
}

/** 16 bytes of an IPv6 address from text (accepts embedded IPv4 and zone-less forms). */
export function ipv6ToBytes(text: string): Buffer {
  if (!isIPv6(text)) throw new InvalidPrefixError(text, 'not an IPv6 address');
  let head = text;
  const out = Buffer.alloc(16);
  const v4 = head.match(/(\d+\.\d+\.\d+\.\d+)$/);
  let tailWords: number[] = [];
  if (v4) {
    const n = ipv4ToNumber(v4[1]!);
    tailWords = [n >>> 16, n & 0xffff];
    head = head.slice(0, head.length - v4[1]!.length);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const lw = left ? left.split(':').filter((s) => s !== '').map((h) => parseInt(h, 16)) : [];
  const rw = right !== undefined ? right.split(':').filter((s) => s !== '').map((h) => parseInt(h, 16)) : [];
  const words = right !== undefined ? [...lw, ...new Array<number>(8 - lw.length - rw.length - tailWords.length).fill(0), ...rw, ...tailWords] : [...lw, ...tailWords];
  if (words.length !== 8) throw new InvalidPrefixError(text, 'not an IPv6 address');
  for (let i = 0; i < 8; i++) out.writeUInt16BE(words[i]!, i * 2);
  return out;
}

/** RFC 5952 canonical text of 16 bytes (lower case, longest zero run compressed). */
export function bytesToIpv6(b: Uint8Array, offset = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[offset + i * 2]! << 8) | b[offset + i * 2 + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Parses "2001:db8::/32" into canonical text; host bits must be zero. */
export function parsePrefix6(text: string): string {
  const slash = text.indexOf('/');
  if (slash < 0) throw new InvalidPrefixError(text, 'missing /length');
  const lenText = text.slice(slash + 1);
  const len = Number(lenText);
  if (!/^\d{1,3}$/.test(lenText) || len > 128) throw new InvalidPrefixError(text, 'length must be 0..128');
  const bytes = ipv6ToBytes(text.slice(0, slash));
  for (let bit = len; bit < 128; bit++) {
    if (bytes[bit >> 3]! & (0x80 >> (bit & 7))) throw new InvalidPrefixError(text, 'host bits set');
  }
  return `${bytesToIpv6(bytes)}/${len}`;
}

export type ParsedPrefix = { family: 'ipv4-unicast'; prefix: number } | { family: 'ipv6-unicast'; prefix: string };

export function parsePrefix(text: string): ParsedPrefix {
  return text.includes(':') ? { family: 'ipv6-unicast', prefix: parsePrefix6(text) } : { family: 'ipv4-unicast', prefix: parsePrefix4(text) };
}
