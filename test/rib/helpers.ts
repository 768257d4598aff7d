// Builders for RIB tests: sources, attribute sets and paths with sensible defaults.
import type { Path, PathSource } from '../../src/rib/types.js';
import type { PathAttributes, UpdateMessage } from '../../src/wire/types.js';
import { decisionContext, type DecisionContext } from '../../src/rib/decision.js';
import { ConnectedResolver, type NextHopResolver } from '../../src/rib/next-hop.js';
import { ipv4ToNumber, parsePrefix4 } from '../../src/lib/prefix.js';

export const ip = ipv4ToNumber;
export const p4 = parsePrefix4;

let nextId = 100;

export function src(over: Partial<PathSource> & { address?: string } = {}): PathSource {
  const address = over.address ?? `10.0.0.${(nextId % 250) + 1}`;
  const key = address.includes(':') || address === 'local' ? address : ip(address);
  return {
    id: over.id ?? nextId++,
    address,
    addressKey: over.addressKey ?? key,
    bgpId: over.bgpId ?? (typeof key === 'number' ? key : 0x01010101),
    asn: over.asn ?? 65000,
    kind: over.kind ?? 'ibgp',
    rrClient: over.rrClient ?? false,
  };
}

export function attrs(over: Partial<PathAttributes> = {}): PathAttributes {
  return { origin: 0, asPath: [], nextHop: ip('192.0.2.1'), ...over };
}

export function path(source: PathSource, over: Partial<PathAttributes> = {}, nextHop?: number | string): Path {
  const a = attrs(over);
  return { source, attrs: a, nextHop: nextHop ?? a.nextHop ?? 0 };
}

export function ctx(over: { resolver?: NextHopResolver; alwaysCompareMed?: boolean; maxPaths?: number } = {}): DecisionContext {
  return decisionContext({ resolver: over.resolver ?? ConnectedResolver.everythingReachable(), ...over });
}

export function seq(...asns: number[]): PathAttributes['asPath'] {
  return [{ type: 2, asns }];
}

export function update(over: Partial<UpdateMessage> = {}): UpdateMessage {
  return {
    kind: 'update',
    withdrawn: { family: 'ipv4-unicast', prefixes: [] },
    attrs: null,
    nlri: { family: 'ipv4-unicast', prefixes: [] },
    treatAsWithdraw: false,
    attributeErrors: [],
    ...over,
  };
}
