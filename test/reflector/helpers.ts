// Builders for paths and targets in reflector tests.
import type { Path, PathSource } from '../../src/rib/types.js';
import type { ExportTarget } from '../../src/reflector/export-target.js';
import type { PathAttributes } from '../../src/wire/types.js';
import { ipv4ToNumber } from '../../src/lib/prefix.js';

export const ip = ipv4ToNumber;
export const LOCAL_AS = 65000;
export const ROUTER_ID = ip('10.0.0.1');
export const CLUSTER_ID = ip('10.0.0.100');

export type SourceKind = 'local' | 'ebgp' | 'ibgp-client' | 'ibgp-nonclient';

let nextId = 1;
export function source(kind: SourceKind, over: Partial<PathSource> = {}): PathSource {
  const id = kind === 'local' ? 0 : nextId++;
  const base: Record<SourceKind, PathSource> = {
    local: { id: 0, address: 'local', addressKey: 0, bgpId: ROUTER_ID, asn: LOCAL_AS, kind: 'local', rrClient: false },
    ebgp: { id, address: '192.0.2.1', addressKey: ip('192.0.2.1'), bgpId: ip('192.0.2.1'), asn: 65100, kind: 'ebgp', rrClient: false },
    'ibgp-client': { id, address: '10.0.0.11', addressKey: ip('10.0.0.11'), bgpId: ip('10.0.0.11'), asn: LOCAL_AS, kind: 'ibgp', rrClient: true },
    'ibgp-nonclient': { id, address: '10.0.0.21', addressKey: ip('10.0.0.21'), bgpId: ip('10.0.0.21'), asn: LOCAL_AS, kind: 'ibgp', rrClient: false },
  };
  return { ...base[kind], ...over };
}

/** Attributes as the source would have sent them (LOCAL_PREF only on iBGP). */
export function attrsFor(kind: SourceKind, over: Partial<PathAttributes> = {}): PathAttributes {
  const nh = kind === 'ebgp' ? ip('192.0.2.1') : kind === 'local' ? 0 : ip('10.0.0.11');
  const a: PathAttributes = {
    origin: 0,
    asPath: kind === 'ebgp' ? [{ type: 2, asns: [65100] }] : [],
    nextHop: nh,
    med: 50,
  };
  if (kind === 'ibgp-client' || kind === 'ibgp-nonclient') a.localPref = 150;
  return { ...a, ...over };
}

export function path4(src: PathSource, attrs: PathAttributes, nextHop: number = attrs.nextHop ?? 0): Path {
  return { source: src, attrs, nextHop };
}

export function path6(src: PathSource, attrs: PathAttributes, nextHop: string, linkLocalNextHop?: string): Path {
  return linkLocalNextHop === undefined ? { source: src, attrs, nextHop } : { source: src, attrs, nextHop, linkLocalNextHop };
}

export type TargetKind = 'ebgp' | 'ibgp-client' | 'ibgp-nonclient';

export function target(kind: TargetKind, over: Partial<ExportTarget> = {}): ExportTarget {
  return {
    kind: kind === 'ebgp' ? 'ebgp' : 'ibgp',
    rrClient: kind === 'ibgp-client',
    asn: kind === 'ebgp' ? 65200 : LOCAL_AS,
    localAs: LOCAL_AS,
    routerId: ROUTER_ID,
    clusterId: CLUSTER_ID,
    nextHopSelf: false,
    nextHopKeep: false,
    localAddress: { ipv4: ip('10.0.0.1'), ipv6: '2001:db8::1', ipv6LinkLocal: 'fe80::1' },
    ...over,
  };
}
