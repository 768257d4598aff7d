// Community text as operators write it in policies: "65000:100" or a well-known name
// (RFC 1997), "65000:1:2" for large communities (RFC 8092).
import type { LargeCommunity } from '../wire/types.js';
import { BLACKHOLE, GRACEFUL_SHUTDOWN, NO_ADVERTISE, NO_EXPORT, NO_EXPORT_SUBCONFED, NO_PEER } from '../reflector/well-known.js';

export class InvalidCommunityError extends Error {
  override readonly name = 'InvalidCommunityError';
  readonly code = 'invalid-community';
  constructor(
    readonly input: string,
    readonly why: string,
  ) {
    super(`invalid community "${input}": ${why}`);
  }
}

/** IANA "BGP Well-known Communities", by the names BIRD and FRR print. */
export const WELL_KNOWN_COMMUNITIES: Readonly<Record<string, number>> = {
  'no-export': NO_EXPORT,
  'no-advertise': NO_ADVERTISE,
  'no-export-subconfed': NO_EXPORT_SUBCONFED,
  'no-peer': NO_PEER,
  'graceful-shutdown': GRACEFUL_SHUTDOWN,
  blackhole: BLACKHOLE,
};

function decimal(text: string, part: string, max: number): number {
  if (!/^\d{1,10}$/.test(part)) throw new InvalidCommunityError(text, `"${part}" is not a decimal number`);
  const n = Number(part);
  if (n > max) throw new InvalidCommunityError(text, `${n} is larger than ${max}`);
  return n;
}

/** "ASN:VALUE" (each 0..65535) or a well-known name → the u32 (ASN << 16 | VALUE). */
export function parseCommunity(text: string): number {
  const named = WELL_KNOWN_COMMUNITIES[text];
  if (named !== undefined) return named;
  const parts = text.split(':');
  if (parts.length !== 2) throw new InvalidCommunityError(text, 'expected ASN:VALUE or a well-known name');
  return decimal(text, parts[0]!, 0xffff) * 0x10000 + decimal(text, parts[1]!, 0xffff);
}

/** "GLOBAL:LOCAL1:LOCAL2", each 0..4294967295. */
export function parseLargeCommunity(text: string): LargeCommunity {
  const parts = text.split(':');
  if (parts.length !== 3) throw new InvalidCommunityError(text, 'expected GLOBAL:LOCAL1:LOCAL2');
  return { global: decimal(text, parts[0]!, 0xffffffff), local1: decimal(text, parts[1]!, 0xffffffff), local2: decimal(text, parts[2]!, 0xffffffff) };
}
