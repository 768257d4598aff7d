// Structural hash and equality of PathAttributes, for interning by content.
//
// Why not a serialized string key: building a key string per attribute set and hashing it in a
// Map<string> cost ~3× more per set than hashing the numbers directly into a small-integer Map
// key and comparing fields on a hit, and the key strings would stay in memory for every set.
import type { AsPathSegment, PathAttributes } from '../wire/types.js';

const PRIME = 0x01000193;

function mix(h: number, v: number): number {
  return Math.imul(h ^ v, PRIME);
}

function mixNumbers(h: number, vs: readonly number[]): number {
  h = mix(h, vs.length);
  for (let i = 0; i < vs.length; i++) h = mix(h, vs[i]!);
  return h;
}

function mixBytes(h: number, b: Buffer): number {
  h = mix(h, b.length);
  for (let i = 0; i < b.length; i++) h = mix(h, b[i]!);
  return h;
}

/** A 31-bit hash of the content (a V8 small integer, cheap as a Map key). */
export function attrsHash(a: PathAttributes): number {
  let h = 0x811c9dc5;
  h = mix(h, a.origin ?? 7);
  const segs = a.asPath;
  h = mix(h, segs.length);
  for (let i = 0; i < segs.length; i++) {
    h = mix(h, segs[i]!.type);
    h = mixNumbers(h, segs[i]!.asns);
  }
  h = mix(h, a.nextHop ?? -1);
  h = mix(h, a.med ?? -1);
  h = mix(h, a.localPref ?? -1);
  if (a.atomicAggregate) h = mix(h, 0x41);
  if (a.aggregator !== undefined) h = mix(mix(h, a.aggregator.asn), a.aggregator.address);
  if (a.communities !== undefined) h = mixNumbers(h, a.communities);
  if (a.extCommunities !== undefined) h = mixBytes(h, a.extCommunities);
  if (a.largeCommunities !== undefined) {
    for (const l of a.largeCommunities) h = mix(mix(mix(h, l.global), l.local1), l.local2);
  }
  if (a.originatorId !== undefined) h = mix(h, a.originatorId);
  if (a.clusterList !== undefined) h = mixNumbers(h, a.clusterList);
  if (a.unknown !== undefined) for (const u of a.unknown) h = mixBytes(mix(mix(h, u.flags), u.code), u.value);
  return (h ^ (h >>> 15)) & 0x3fffffff;
}

function sameNumbers(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameBuffer(a: Buffer | undefined, b: Buffer | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return a.equals(b);
}

export function sameAsPath(a: readonly AsPathSegment[], b: readonly AsPathSegment[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.type !== b[i]!.type || !sameNumbers(a[i]!.asns, b[i]!.asns)) return false;
  }
  return true;
}

/** Same content. An absent list and an empty one differ (they encode differently). */
export function attrsEqual(a: PathAttributes, b: PathAttributes): boolean {
  if (a === b) return true;
  if (
    a.origin !== b.origin ||
    a.nextHop !== b.nextHop ||
    a.med !== b.med ||
    a.localPref !== b.localPref ||
    (a.atomicAggregate ?? false) !== (b.atomicAggregate ?? false) ||
    a.originatorId !== b.originatorId
  ) {
    return false;
  }
  if (!sameAsPath(a.asPath, b.asPath)) return false;
  if (!sameNumbers(a.communities, b.communities) || !sameNumbers(a.clusterList, b.clusterList)) return false;
  if (a.aggregator !== b.aggregator) {
    if (a.aggregator === undefined || b.aggregator === undefined) return false;
    if (a.aggregator.asn !== b.aggregator.asn || a.aggregator.address !== b.aggregator.address) return false;
  }
  if (!sameBuffer(a.extCommunities, b.extCommunities)) return false;
  if (a.largeCommunities !== b.largeCommunities) {
    const x = a.largeCommunities;
    const y = b.largeCommunities;
    if (x === undefined || y === undefined || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) {
      if (x[i]!.global !== y[i]!.global || x[i]!.local1 !== y[i]!.local1 || x[i]!.local2 !== y[i]!.local2) return false;
    }
  }
  if (a.unknown !== b.unknown) {
    const x = a.unknown;
    const y = b.unknown;
    if (x === undefined || y === undefined || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) {
      if (x[i]!.flags !== y[i]!.flags || x[i]!.code !== y[i]!.code || !x[i]!.value.equals(y[i]!.value)) return false;
    }
  }
  return true;
}
