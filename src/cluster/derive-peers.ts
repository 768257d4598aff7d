// The BGP peers one node should have, derived from cluster state: Calico's model (DESIGN.md).
// Pure: the daemon feeds it what its etcd watches hold and applies the result with the same
// address-keyed diff as a config reload, so sessions whose settings did not change are kept.
//
// Where peers come from:
//   1. Full mesh (cluster config `nodeToNodeMesh`, default on): every other live node.
//   2. Reflector tier (mesh off): a node with a routeReflectorClusterId peers with every other
//      live reflector, as a non-client (RFC 4456 §7: reflectors are fully meshed among
//      themselves).
//   3. Peer objects with a peerSelector: sessions between the nodes on the object's local side
//      (global, `node` or `nodeSelector`) and the live nodes matching `peerSelector`. Like
//      Calico, an object works in both directions: a node matching `peerSelector` peers with
//      every live node on the local side. That is how `nodeSelector: all()`,
//      `peerSelector: has(route-reflector)` makes every node a client of the reflectors and
//      every reflector see every node.
//   4. Peer objects with a peerIp: a session to that address for the nodes on the local side.
//
// Between two cluster nodes the higher address takes the passive side (only the lower one
// dials), whatever produced the session, so a session that moves from the mesh to the
// reflector tier keeps its settings on the client side and is not reset. A reflector treats an
// iBGP node that is not itself a reflector as its route-reflector client.
//
// One peer per address. When several sources derive the same address, the first of
// mesh > route reflector > node specific > global wins (then the lower peer object name): the
// cluster's own topology before explicit configuration, the more specific object before the
// more general. The losers are returned in `shadowed` so the daemon can log them.

import { createHash } from 'node:crypto';
import type * as z from '../config/zod.js';
import type { peerSchema } from '../config/schema.js';
import { parseAddress } from '../ipam/cidr.js';
import { SelfNodeUnknownError } from './errors.js';
import { peerScope, type ClusterConfig, type NodeRecord, type PeerObject } from './records.js';
import { parseSelector, selectorMatches, type Selector } from './selector.js';

/** `wren status` PEER TYPE, as `calicoctl node status` spells it. */
export type ClusterPeerType = 'node-to-node mesh' | 'route reflector' | 'global' | 'node specific';

export type PeerFamily = 'ipv4-unicast' | 'ipv6-unicast';

/** One peer of the daemon's config (src/config/schema.ts peerSchema) plus where it came from. */
export interface DerivedPeer {
  /** Stable and deterministic: `mesh-<node>`, `rr-<node>`, `peer-<node>`, `global-<object>`,
   * `node-<object>` (shortened with a hash past 64 characters). */
  readonly name: string;
  readonly address: string;
  readonly asn: number;
  readonly passive: boolean;
  readonly rrClient: boolean;
  /** From the cluster config, when it sets one. */
  readonly holdTime?: number;
  /** Set when the session carries IPv6 too (dual-stack nodes over their IPv4 session, or an
   * IPv6 peer address); absent means the daemon's default (IPv4 unicast). */
  readonly families?: readonly PeerFamily[];
  /** This node's IPv6 address, the next hop of its IPv6 routes over an IPv4 session. */
  readonly nextHop6?: string;
  /** Peer object keepOriginalNextHop. */
  readonly nextHopKeep?: boolean;
  readonly type: ClusterPeerType;
  /** The cluster node at the far end, or null for an address outside the cluster. */
  readonly node: string | null;
  /** What produced it: `mesh`, `reflector tier` or `peer object <name>`. */
  readonly source: string;
}

export interface ShadowedPeer {
  readonly name: string;
  readonly address: string;
  readonly type: ClusterPeerType;
  readonly source: string;
  /** Name of the peer that won the address. */
  readonly shadowedBy: string;
}

export interface DerivedPeering {
  readonly node: string;
  /** This node's AS: its own override or the cluster's. */
  readonly asn: number;
  /** This node's IPv4 address. */
  readonly routerId: string;
  /** This node's RFC 4456 CLUSTER_ID when it is a route reflector. */
  readonly clusterId: string | undefined;
  /** Sorted by name. */
  readonly peers: readonly DerivedPeer[];
  readonly shadowed: readonly ShadowedPeer[];
}

export interface DeriveInput {
  readonly config: ClusterConfig;
  /** Every registered node (live or not). */
  readonly nodes: readonly NodeRecord[];
  /** Names of the nodes whose liveness key exists. */
  readonly live: ReadonlySet<string>;
  readonly peers: readonly PeerObject[];
  /** The node the peers are derived for. */
  readonly self: string;
}

type PeerConfigInput = z.input<typeof peerSchema>;

/** The daemon's peer config for a derived peer (drops the explanation fields). */
export function toPeerConfig(p: DerivedPeer): PeerConfigInput {
  return {
    name: p.name,
    address: p.address,
    asn: p.asn,
    passive: p.passive,
    rrClient: p.rrClient,
    ...(p.holdTime === undefined ? {} : { holdTime: p.holdTime }),
    ...(p.families === undefined ? {} : { families: [...p.families] }),
    ...(p.nextHop6 === undefined ? {} : { nextHop6: p.nextHop6 }),
    ...(p.nextHopKeep === undefined ? {} : { nextHopKeep: p.nextHopKeep }),
  };
}

/** Precedence for one address derived more than once: lower wins. */
const RANK: Readonly<Record<ClusterPeerType, number>> = {
  'node-to-node mesh': 0,
  'route reflector': 1,
  'node specific': 2,
  global: 3,
};

const MAX_PEER_NAME = 64;

/** `prefix-name`, shortened deterministically (with a hash of the name) past 64 characters. */
export function derivedPeerName(prefix: string, name: string): string {
  const full = `${prefix}-${name}`;
  if (full.length <= MAX_PEER_NAME) return full;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${full.slice(0, MAX_PEER_NAME - hash.length - 1)}-${hash}`;
}

/** Numeric order of two addresses of one family (10.0.0.9 < 10.0.0.10). */
export function compareAddresses(a: string, b: string): number {
  const x = parseAddress(a).value;
  const y = parseAddress(b).value;
  return x < y ? -1 : x > y ? 1 : 0;
}

function addressKey(address: string): string {
  const { family, value } = parseAddress(address);
  return `${family}:${value}`;
}

const isReflector = (n: NodeRecord): boolean => n.routeReflectorClusterId !== undefined;

interface CompiledPeerObject {
  readonly obj: PeerObject;
  readonly nodeSel: Selector | undefined;
  readonly peerSel: Selector | undefined;
}

export function derivePeers(input: DeriveInput): DerivedPeering {
  const { config, self } = input;
  const byName = new Map(input.nodes.map((n) => [n.name, n]));
  const me = byName.get(self);
  if (me === undefined) throw new SelfNodeUnknownError(self);
  const asnOf = (n: NodeRecord): number => n.asn ?? config.asn;
  const myAsn = asnOf(me);
  const liveOthers = input.nodes
    .filter((n) => n.name !== self && input.live.has(n.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const myAddresses = new Set([me.ipv4, ...(me.ipv6 === undefined ? [] : [me.ipv6])].map(addressKey));
  const nodeByAddress = new Map<string, NodeRecord>();
  for (const n of input.nodes) {
    nodeByAddress.set(addressKey(n.ipv4), n);
    if (n.ipv6 !== undefined) nodeByAddress.set(addressKey(n.ipv6), n);
  }
  const common = config.holdTime === undefined ? {} : { holdTime: config.holdTime };

  /** A session from this node to another node at `address` (one of its addresses). */
  const toNode = (remote: NodeRecord, address: string, type: ClusterPeerType, name: string, source: string): DerivedPeer => {
    const v6 = address.includes(':');
    const mine = v6 ? me.ipv6 : me.ipv4;
    const ibgp = asnOf(remote) === myAsn;
    const dualStack = !v6 && me.ipv6 !== undefined && remote.ipv6 !== undefined;
    return {
      name,
      address,
      asn: asnOf(remote),
      // The higher address waits; with no address of that family here, this side dials.
      passive: mine !== undefined && compareAddresses(mine, address) > 0,
      rrClient: type !== 'node-to-node mesh' && ibgp && isReflector(me) && !isReflector(remote),
      ...common,
      ...(v6 ? { families: ['ipv6-unicast'] as const } : {}),
      ...(dualStack ? { families: ['ipv4-unicast', 'ipv6-unicast'] as const, nextHop6: me.ipv6 } : {}),
      type,
      node: remote.name,
      source,
    };
  };

  const candidates: DerivedPeer[] = [];

  // 1. Full mesh.
  if (config.nodeToNodeMesh) {
    for (const n of liveOthers) candidates.push(toNode(n, n.ipv4, 'node-to-node mesh', derivedPeerName('mesh', n.name), 'mesh'));
  }

  // 2. The reflector tier, fully meshed among itself when the node mesh is off.
  if (!config.nodeToNodeMesh && isReflector(me)) {
    for (const n of liveOthers.filter(isReflector)) {
      candidates.push(toNode(n, n.ipv4, 'route reflector', derivedPeerName('rr', n.name), 'reflector tier'));
    }
  }

  // 3 and 4. Peer objects.
  const compiled: CompiledPeerObject[] = [...input.peers]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((obj) => ({
      obj,
      nodeSel: obj.nodeSelector === undefined ? undefined : parseSelector(obj.nodeSelector),
      peerSel: obj.peerSelector === undefined ? undefined : parseSelector(obj.peerSelector),
    }));
  const onLocalSide = (c: CompiledPeerObject, n: NodeRecord): boolean => {
    if (c.obj.node !== undefined) return c.obj.node === n.name;
    if (c.nodeSel !== undefined) return selectorMatches(c.nodeSel, n.labels);
    return true;
  };
  for (const c of compiled) {
    const source = `peer object ${c.obj.name}`;
    const scope = peerScope(c.obj);
    if (c.peerSel !== undefined) {
      const peerSel = c.peerSel;
      const remotes = new Set<NodeRecord>();
      if (onLocalSide(c, me)) for (const n of liveOthers) if (selectorMatches(peerSel, n.labels)) remotes.add(n);
      if (selectorMatches(peerSel, me.labels)) for (const n of liveOthers) if (onLocalSide(c, n)) remotes.add(n);
      for (const n of remotes) {
        const rr = isReflector(me) || isReflector(n);
        const type: ClusterPeerType = rr ? 'route reflector' : scope;
        candidates.push(toNode(n, n.ipv4, type, derivedPeerName(rr ? 'rr' : 'peer', n.name), source));
      }
    } else if (c.obj.peerIp !== undefined && onLocalSide(c, me)) {
      const address = c.obj.peerIp;
      if (myAddresses.has(addressKey(address))) continue;
      const name = derivedPeerName(scope === 'global' ? 'global' : 'node', c.obj.name);
      const remote = nodeByAddress.get(addressKey(address));
      const keep = c.obj.keepOriginalNextHop === true ? { nextHopKeep: true } : {};
      if (remote !== undefined) {
        // An explicit address that is a cluster node: the node rules for passive and rrClient.
        const type: ClusterPeerType = isReflector(me) || isReflector(remote) ? 'route reflector' : scope;
        candidates.push({ ...toNode(remote, address, type, name, source), asn: c.obj.asn ?? asnOf(remote), ...keep });
      } else {
        candidates.push({
          name,
          address,
          asn: c.obj.asn ?? myAsn,
          passive: false,
          rrClient: false,
          ...common,
          ...(address.includes(':') ? { families: ['ipv6-unicast'] as const } : {}),
          ...keep,
          type: scope,
          node: null,
          source,
        });
      }
    }
  }

  // One peer per address: the best-ranked candidate (stable sort keeps source order on ties,
  // and sources were added in a deterministic order).
  const ordered = candidates
    .map((p, i) => ({ p, i }))
    .sort((a, b) => RANK[a.p.type] - RANK[b.p.type] || a.i - b.i)
    .map(({ p }) => p);
  const winners = new Map<string, DerivedPeer>();
  const shadowed: ShadowedPeer[] = [];
  for (const p of ordered) {
    const key = addressKey(p.address);
    const winner = winners.get(key);
    if (winner === undefined) winners.set(key, p);
    else if (winner.name !== p.name || winner.source !== p.source) {
      shadowed.push({ name: p.name, address: p.address, type: p.type, source: p.source, shadowedBy: winner.name });
    }
  }
  const peers = [...winners.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { node: self, asn: myAsn, routerId: me.ipv4, clusterId: me.routeReflectorClusterId, peers, shadowed };
}
