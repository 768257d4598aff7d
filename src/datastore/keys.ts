// The whole cluster key schema, in one place. Every key Wren reads or writes in the datastore is
// built here and parsed here; nothing else concatenates key strings. Values are JSON; the module
// that owns the concept defines (and validates) the value's shape.
//
// | Key                                         | Value (JSON)                                        | Notes                                   |
// |---------------------------------------------|-----------------------------------------------------|-----------------------------------------|
// | /wren/v1/config                             | cluster config: AS number, full mesh on/off, ...    | one key for the whole cluster           |
// | /wren/v1/nodes/<node>                       | node: IPv4/IPv6 address, AS, RR cluster id, labels  | written at registration                 |
// | /wren/v1/liveness/<node>                    | { since } of the daemon's current lease             | bound to a lease the daemon keeps alive |
// | /wren/v1/peers/<name>                       | BGP peer: address, AS, node selector (or global)    | explicit peers (e.g. top-of-rack)       |
// | /wren/v1/ipam/pools/<cidr>                  | { cidr, blockSize, strictAffinity, disabled?,       | pools never overlap                     |
// |                                             |   deleting? }                                       |                                         |
// | /wren/v1/ipam/blocks/<cidr>                 | { cidr, affinity, bitmap, handles, freed }          | allocation state of one block           |
// | /wren/v1/ipam/affinity/<node>/<cidr>        | { state: "pending" \| "confirmed" }                 | pending is never routed                 |
// | /wren/v1/ipam/handles/<handle>              | { handle, blocks: { <block cidr>: [ordinal] } }     | one per pod id: exact release           |
//
// A CIDR inside a key has its "/" replaced by "-" (10.244.1.0/26 → 10.244.1.0-26,
// fd00::/122 → fd00::-122) so it stays one path segment. Node and peer names are single
// segments (no "/"); handles are URI-component encoded, since pod ids may contain anything.

export const ROOT = '/wren/v1/';

export const prefixes = {
  root: ROOT,
  nodes: `${ROOT}nodes/`,
  liveness: `${ROOT}liveness/`,
  peers: `${ROOT}peers/`,
  /** Everything IPAM owns: one `list` of this is a consistent IPAM snapshot. */
  ipam: `${ROOT}ipam/`,
  pools: `${ROOT}ipam/pools/`,
  blocks: `${ROOT}ipam/blocks/`,
  affinities: `${ROOT}ipam/affinity/`,
  handles: `${ROOT}ipam/handles/`,
  /** Affinities of one node. */
  nodeAffinities: (node: string): string => `${ROOT}ipam/affinity/${segment(node, 'node')}/`,
} as const;

export class InvalidKeyError extends Error {
  override readonly name = 'InvalidKeyError';
  readonly code = 'invalid-key';
  constructor(
    readonly input: string,
    readonly why: string,
  ) {
    super(`invalid key part "${input}": ${why}`);
  }
}

/** Names become one path segment: non-empty, no "/", no control characters. */
function segment(name: string, what: string): string {
  // eslint-disable-next-line no-control-regex
  if (name === '' || name.includes('/') || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new InvalidKeyError(name, `${what} name must be non-empty without "/" or control characters`);
  }
  return name;
}

/** "10.244.1.0/26" → "10.244.1.0-26". The CIDR must already be canonical (the caller parsed it). */
export function cidrToSegment(cidr: string): string {
  const slash = cidr.lastIndexOf('/');
  if (slash <= 0 || cidr.indexOf('/') !== slash) throw new InvalidKeyError(cidr, 'not a CIDR');
  return `${cidr.slice(0, slash)}-${cidr.slice(slash + 1)}`;
}

/** "10.244.1.0-26" → "10.244.1.0/26". */
export function segmentToCidr(seg: string): string {
  const dash = seg.lastIndexOf('-');
  if (dash <= 0 || !/^\d{1,3}$/.test(seg.slice(dash + 1))) throw new InvalidKeyError(seg, 'not a CIDR segment');
  return `${seg.slice(0, dash)}/${seg.slice(dash + 1)}`;
}

export const keys = {
  /** Cluster-wide configuration. */
  config: (): string => `${ROOT}config`,
  /** A registered node. */
  node: (node: string): string => `${prefixes.nodes}${segment(node, 'node')}`,
  /** A node's liveness, bound to the lease its daemon keeps alive; gone when the lease ends. */
  liveness: (node: string): string => `${prefixes.liveness}${segment(node, 'node')}`,
  /** An explicit BGP peer (global, or for the nodes its selector matches). */
  peer: (name: string): string => `${prefixes.peers}${segment(name, 'peer')}`,
  /** An IPAM pool. */
  pool: (cidr: string): string => `${prefixes.pools}${cidrToSegment(cidr)}`,
  /** An IPAM block's allocation state. */
  block: (cidr: string): string => `${prefixes.blocks}${cidrToSegment(cidr)}`,
  /** A node's claim on a block (pending while the claim is in progress, then confirmed). */
  affinity: (node: string, blockCidr: string): string =>
    `${prefixes.nodeAffinities(node)}${cidrToSegment(blockCidr)}`,
  /** The allocations of one handle (pod id). */
  handle: (handle: string): string => `${prefixes.handles}${encodeHandle(handle)}`,
} as const;

function encodeHandle(handle: string): string {
  if (handle === '') throw new InvalidKeyError(handle, 'handle must be non-empty');
  return encodeURIComponent(handle);
}

/** What a key names, or undefined if it is not a Wren key. */
export type ParsedKey =
  | { readonly kind: 'config' }
  | { readonly kind: 'node'; readonly node: string }
  | { readonly kind: 'liveness'; readonly node: string }
  | { readonly kind: 'peer'; readonly name: string }
  | { readonly kind: 'pool'; readonly cidr: string }
  | { readonly kind: 'block'; readonly cidr: string }
  | { readonly kind: 'affinity'; readonly node: string; readonly cidr: string }
  | { readonly kind: 'handle'; readonly handle: string };

export function parseKey(key: string): ParsedKey | undefined {
  if (!key.startsWith(ROOT)) return undefined;
  const rest = key.slice(ROOT.length);
  if (rest === 'config') return { kind: 'config' };
  const parts = rest.split('/');
  try {
    if (parts.length === 2 && parts[1] !== '') {
      const name = parts[1]!;
      if (parts[0] === 'nodes') return { kind: 'node', node: name };
      if (parts[0] === 'liveness') return { kind: 'liveness', node: name };
      if (parts[0] === 'peers') return { kind: 'peer', name };
    }
    if (parts[0] === 'ipam' && parts.length === 3 && parts[2] !== '') {
      const last = parts[2]!;
      if (parts[1] === 'pools') return { kind: 'pool', cidr: segmentToCidr(last) };
      if (parts[1] === 'blocks') return { kind: 'block', cidr: segmentToCidr(last) };
      if (parts[1] === 'handles') return { kind: 'handle', handle: decodeURIComponent(last) };
    }
    if (parts[0] === 'ipam' && parts[1] === 'affinity' && parts.length === 4 && parts[2] !== '' && parts[3] !== '') {
      return { kind: 'affinity', node: parts[2]!, cidr: segmentToCidr(parts[3]!) };
    }
  } catch {
    return undefined;
  }
  return undefined;
}
