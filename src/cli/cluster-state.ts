// One consistent read of the whole cluster (a single list of /wren/v1/, so every record is from
// the same revision) for the CLI's list and show commands.

import type { Datastore } from '../datastore/port.js';
import { parseKey, prefixes } from '../datastore/keys.js';
import { parseClusterConfig, parseNode, parsePeer, type ClusterConfig, type NodeRecord, type PeerObject } from '../cluster/index.js';
import { parseAffinity, parseBlock, parsePool, type AffinityState, type Pool } from '../ipam/records.js';
import type { Block } from '../ipam/block.js';
import { formatCidr } from '../ipam/cidr.js';

export interface ClusterState {
  readonly revision: number;
  readonly config: ClusterConfig | undefined;
  readonly nodes: NodeRecord[];
  readonly live: Set<string>;
  readonly peers: PeerObject[];
  readonly pools: Pool[];
  readonly blocks: Block[];
  /** `${node} ${cidr}` → state */
  readonly affinities: Map<string, AffinityState>;
  /** Node names that hold affinities (registered or not). */
  readonly affinityNodes: Set<string>;
}

export async function readClusterState(store: Datastore): Promise<ClusterState> {
  const { kvs, revision } = await store.list(prefixes.root);
  const state: ClusterState = {
    revision,
    config: undefined,
    nodes: [],
    live: new Set(),
    peers: [],
    pools: [],
    blocks: [],
    affinities: new Map(),
    affinityNodes: new Set(),
  };
  let config: ClusterConfig | undefined;
  for (const kv of kvs) {
    const k = parseKey(kv.key);
    switch (k?.kind) {
      case 'config':
        config = parseClusterConfig(kv);
        break;
      case 'node':
        state.nodes.push(parseNode(kv));
        break;
      case 'liveness':
        state.live.add(k.node);
        break;
      case 'peer':
        state.peers.push(parsePeer(kv));
        break;
      case 'pool':
        state.pools.push(parsePool(kv));
        break;
      case 'block':
        state.blocks.push(parseBlock(kv));
        break;
      case 'affinity':
        state.affinities.set(`${k.node} ${k.cidr}`, parseAffinity(kv).state);
        state.affinityNodes.add(k.node);
        break;
      case 'handle':
      case undefined:
        break;
    }
  }
  return { ...state, config };
}

/** Blocks `node` routes: confirmed affinity and the block affine to it. */
export function confirmedBlocksOf(state: ClusterState, node: string): Block[] {
  return state.blocks.filter((b) => b.affinity === node && state.affinities.get(`${node} ${cidrText(b)}`) === 'confirmed');
}

export function cidrText(b: Block): string {
  return formatCidr(b.cidr);
}
