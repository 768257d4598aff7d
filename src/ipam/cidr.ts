// Address arithmetic for IPAM on bigints, one representation for both families: a pool of
// 2^64 IPv6 addresses split into /122 blocks has more blocks than a JS number can count.

import { bytesToIpv6, InvalidPrefixError, ipv4ToNumber, ipv6ToBytes, numberToIpv4 } from '../lib/prefix.js';

export type Family = 4 | 6;

export interface Cidr {
  readonly family: Family;
  /** Network address (host bits zero). */
  readonly base: bigint;
  readonly length: number;
}

export function familyBits(family: Family): number {
  return family === 4 ? 32 : 128;
}

export function parseAddress(text: string): { family: Family; value: bigint } {
  if (text.includes(':')) {
    const bytes = ipv6ToBytes(text);
    return { family: 6, value: BigInt(`0x${bytes.toString('hex')}`) };
  }
  return { family: 4, value: BigInt(ipv4ToNumber(text)) };
}

export function formatAddress(family: Family, value: bigint): string {
  if (family === 4) return numberToIpv4(Number(value));
  return bytesToIpv6(Buffer.from(value.toString(16).padStart(32, '0'), 'hex'));
}

/** Parses "10.244.0.0/16" or "fd00::/48"; host bits must be zero. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  if (slash < 0) throw new InvalidPrefixError(text, 'missing /length');
  const { family, value } = parseAddress(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  const length = Number(lenText);
  if (!/^\d{1,3}$/.test(lenText) || length > familyBits(family)) {
    throw new InvalidPrefixError(text, `length must be 0..${familyBits(family)}`);
  }
  if ((value & hostMask(family, length)) !== 0n) throw new InvalidPrefixError(text, 'host bits set');
  return { family, base: value, length };
}

/** Canonical text (RFC 5952 for IPv6), the form used in keys and records. */
export function formatCidr(c: Cidr): string {
  return `${formatAddress(c.family, c.base)}/${c.length}`;
}

function hostMask(family: Family, length: number): bigint {
  return (1n << BigInt(familyBits(family) - length)) - 1n;
}

export function cidrSize(c: Cidr): bigint {
  return 1n << BigInt(familyBits(c.family) - c.length);
}

export function cidrContains(c: Cidr, family: Family, value: bigint): boolean {
  return family === c.family && value >= c.base && value < c.base + cidrSize(c);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  return a.base < b.base + cidrSize(b) && b.base < a.base + cidrSize(a);
}
