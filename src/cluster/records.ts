// Stored values of the cluster keys that IPAM does not own (src/datastore/keys.ts):
//
//   /wren/v1/config        ClusterConfig  AS number, full mesh on/off, default block sizes, timers
//   /wren/v1/nodes/<node>  NodeRecord     addresses, AS override, route-reflector cluster ID, labels
//   /wren/v1/peers/<name>  PeerObject     an explicit BGP peer, or a node-to-node peering by selectors
//
// Every record is JSON validated with zod, strictly: an unknown field is an error, because a
// misspelled `nodeSelector` silently dropped would turn a rack-local peer into a global one.
// Errors name each bad field (ClusterRecordError).

import type { KeyValue } from '../datastore/port.js';
import { parseKey } from '../datastore/keys.js';
import { BLOCK_SIZE_RANGE, DEFAULT_BLOCK_SIZE } from '../ipam/block.js';
import { ClusterRecordError, type ClusterRecordKind } from './errors.js';
import { formatSelector, InvalidSelectorError, parseSelector } from './selector.js';

import { asn, holdTime, ipAddress, ipv4, ipv6, labels } from '../config/fields.js';
import * as z from '../config/zod.js';

/** Node and peer names: one key segment, DNS-subdomain-like (what Kubernetes allows). */
export const NAME_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const name = z
  .string()
  .check(
    z.minLength(1, 'must not be empty'),
    z.maxLength(253, 'at most 253 characters'),
    z.regex(NAME_PATTERN, 'letters, digits, ".", "_" and "-" only, starting and ending with a letter or digit'),
  );

const blockSize = (family: 4 | 6): z.ZodMiniNumber<number> => {
  const [min, max] = BLOCK_SIZE_RANGE[family];
  return z.number().check(z.int(), z.minimum(min, `must be ${min}..${max}`), z.maximum(max, `must be ${min}..${max}`));
};

const selectorText = z.string().check(
  z.superRefine((s, ctx) => {
    try {
      parseSelector(s);
    } catch (e) {
      if (!(e instanceof InvalidSelectorError)) throw e;
      ctx.addIssue({ code: 'custom', message: e.message });
    }
  }),
);

// --- cluster config ---

const clusterConfigSchema = z
  .strictObject({
    /** The cluster's AS number; a node may override it (NodeRecord.asn). */
    asn,
    /** Every node peers with every other live node. Default on, as in Calico. */
    nodeToNodeMesh: z._default(z.boolean(), true),
    /** Block length for new pools that do not name one. */
    blockSize: z._default(z.strictObject({ ipv4: z._default(blockSize(4), DEFAULT_BLOCK_SIZE[4]), ipv6: z._default(blockSize(6), DEFAULT_BLOCK_SIZE[6]) }), {
      ipv4: DEFAULT_BLOCK_SIZE[4],
      ipv6: DEFAULT_BLOCK_SIZE[6],
    }),
    /** Hold time for derived sessions (the daemon's default when absent). */
    holdTime: z.optional(holdTime),
    /** Keepalive interval for derived sessions; below the hold time. */
    keepaliveTime: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(21845))),
  })
  .check(
    z.superRefine((c, ctx) => {
      if (c.keepaliveTime !== undefined && c.holdTime !== undefined && c.holdTime !== 0 && c.keepaliveTime >= c.holdTime) {
        ctx.addIssue({ code: 'custom', path: ['keepaliveTime'], message: `must be below holdTime (${c.holdTime})` });
      }
    }),
  );

export type ClusterConfig = z.output<typeof clusterConfigSchema>;
export type ClusterConfigInput = z.input<typeof clusterConfigSchema>;

// --- node ---

const nodeSchema = z.strictObject({
  name,
  /** The node's IPv4 address: BGP sessions, router ID, next hop of its pod routes. */
  ipv4,
  /** IPv6 next hop for its IPv6 pod routes. */
  ipv6: z.optional(ipv6),
  /** Overrides the cluster AS for this node. */
  asn: z.optional(asn),
  /** Present on route reflectors: the RFC 4456 CLUSTER_ID (dotted IPv4 form). */
  routeReflectorClusterId: z.optional(ipv4),
  labels: z._default(labels, {}),
});

export type NodeRecord = z.output<typeof nodeSchema>;
export type NodeRecordInput = z.input<typeof nodeSchema>;

// --- peer object ---

const peerSchema = z
  .strictObject({
    name,
    /** An address outside the cluster (a top-of-rack router); exclusive with peerSelector. */
    peerIp: z.optional(ipAddress),
    /** Required with peerIp; not allowed with peerSelector (each selected node's own AS is used). */
    asn: z.optional(asn),
    /** Applies to this node only. */
    node: z.optional(name),
    /** Applies to the nodes matching this selector. Neither node nor nodeSelector: global. */
    nodeSelector: z.optional(selectorText),
    /** The peers are the nodes matching this selector (e.g. the route reflectors). */
    peerSelector: z.optional(selectorText),
    /** Send routes to this peer with their original next hop (eBGP route servers). */
    keepOriginalNextHop: z.optional(z.boolean()),
  })
  .check(
    z.superRefine((p, ctx) => {
      if (p.peerIp === undefined && p.peerSelector === undefined) {
        ctx.addIssue({ code: 'custom', path: ['peerIp'], message: 'one of peerIp or peerSelector is required' });
      }
      if (p.peerIp !== undefined && p.peerSelector !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['peerSelector'], message: 'peerIp and peerSelector exclude each other' });
      }
      if (p.peerIp !== undefined && p.asn === undefined) {
        ctx.addIssue({ code: 'custom', path: ['asn'], message: 'required with peerIp' });
      }
      if (p.peerSelector !== undefined && p.asn !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['asn'], message: "not allowed with peerSelector (each selected node's own AS is used)" });
      }
      if (p.node !== undefined && p.nodeSelector !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['nodeSelector'], message: 'node and nodeSelector exclude each other' });
      }
    }),
  );

export type PeerObject = z.output<typeof peerSchema>;
export type PeerObjectInput = z.input<typeof peerSchema>;

/** How a peer object scopes its local side. */
export type PeerScope = 'global' | 'node specific';

export function peerScope(p: PeerObject): PeerScope {
  return p.node === undefined && p.nodeSelector === undefined ? 'global' : 'node specific';
}

// --- validation, parsing, serialisation ---

function issuesOf(error: z.core.$ZodError): string[] {
  return error.issues.map((i) => {
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => `${[...i.path, k].join('.')}: unknown field`).join('; ');
    const path = i.path.length === 0 ? '(record)' : i.path.join('.');
    return `${path}: ${i.message}`;
  });
}

function validate<T>(kind: ClusterRecordKind, schema: z.ZodMiniType<T>, input: unknown, subject: string | undefined): T {
  const r = schema.safeParse(input);
  if (!r.success) throw new ClusterRecordError(kind, subject, issuesOf(r.error));
  return r.data;
}

function subjectOf(input: unknown): string | undefined {
  if (typeof input === 'object' && input !== null && 'name' in input && typeof input.name === 'string') return input.name;
  return undefined;
}

function parseJson(kind: ClusterRecordKind, kv: KeyValue): unknown {
  try {
    return JSON.parse(kv.value) as unknown;
  } catch (e) {
    throw new ClusterRecordError(kind, kv.key, [`not JSON: ${(e as Error).message}`]);
  }
}

export function validateClusterConfig(input: unknown): ClusterConfig {
  return validate('cluster config', clusterConfigSchema, input, undefined);
}

export function validateNode(input: unknown): NodeRecord {
  return validate('node', nodeSchema, input, subjectOf(input));
}

/** Validates a peer object; selectors come back in canonical spelling. */
export function validatePeer(input: unknown): PeerObject {
  // Named on its own: "unknown field" would suggest a typo rather than a missing feature.
  if (typeof input === 'object' && input !== null && 'password' in input) {
    throw new ClusterRecordError('peer', subjectOf(input), ['password: BGP session passwords (TCP MD5) are not supported']);
  }
  const p = validate('peer', peerSchema, input, subjectOf(input));
  return {
    ...p,
    ...(p.nodeSelector === undefined ? {} : { nodeSelector: formatSelector(parseSelector(p.nodeSelector)) }),
    ...(p.peerSelector === undefined ? {} : { peerSelector: formatSelector(parseSelector(p.peerSelector)) }),
  };
}

export function parseClusterConfig(kv: KeyValue): ClusterConfig {
  return validate('cluster config', clusterConfigSchema, parseJson('cluster config', kv), kv.key);
}

/** A node record; its name must match the key it is stored at. */
export function parseNode(kv: KeyValue): NodeRecord {
  const node = validate('node', nodeSchema, parseJson('node', kv), kv.key);
  const k = parseKey(kv.key);
  if (k?.kind === 'node' && k.node !== node.name) {
    throw new ClusterRecordError('node', kv.key, [`name: "${node.name}" does not match the key's node "${k.node}"`]);
  }
  return node;
}

/** A peer object; its name must match the key it is stored at. */
export function parsePeer(kv: KeyValue): PeerObject {
  const raw = parseJson('peer', kv);
  let peer: PeerObject;
  try {
    peer = validatePeer(raw);
  } catch (e) {
    if (e instanceof ClusterRecordError) throw new ClusterRecordError('peer', kv.key, e.issues);
    throw e;
  }
  const k = parseKey(kv.key);
  if (k?.kind === 'peer' && k.name !== peer.name) {
    throw new ClusterRecordError('peer', kv.key, [`name: "${peer.name}" does not match the key's peer "${k.name}"`]);
  }
  return peer;
}

export function serializeClusterConfig(input: ClusterConfigInput): string {
  return JSON.stringify(validateClusterConfig(input));
}

export function serializeNode(input: NodeRecordInput): string {
  return JSON.stringify(validateNode(input));
}

export function serializePeer(input: PeerObjectInput): string {
  return JSON.stringify(validatePeer(input));
}
