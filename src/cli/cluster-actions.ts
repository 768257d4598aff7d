// `wren cluster …`, `wren node …` and `wren peer …`: the cluster config, node records and peer
// objects, read and written in etcd directly (like calicoctl). Writes are compare-and-swap on
// what was read, so two admins cannot silently overwrite each other.

import { cmp, op, type Datastore } from '../datastore/port.js';
import { keys } from '../datastore/keys.js';
import {
  ClusterRecordError,
  parseClusterConfig,
  parseNode,
  parsePeer,
  validateClusterConfig,
  validateNode,
  validatePeer,
  type PeerObject,
} from '../cluster/index.js';
import { blockSizeFor } from '../ipam/block.js';
import { cidrsOverlap, formatCidr, parseCidr } from '../ipam/cidr.js';
import { Ipam, IpamPoolOverlapError, releaseNode, type NodeReleaseReport } from '../ipam/index.js';
import {
  CliInputError,
  notInitialised,
  print,
  requireClusterConfig,
  sameValue,
  withEtcd,
  type EtcdOptions,
} from './cluster-context.js';
import { poolLabel, renderClusterConfig, renderNodes, renderPeers } from './cluster-render.js';
import { confirmedBlocksOf, readClusterState } from './cluster-state.js';

/** IPAM calls the CLI makes need no node of their own; this name is never written anywhere. */
export const CLI_IPAM_NODE = 'wren-cli';
const onOff = (b: boolean): string => (b ? 'on' : 'off');

// --- cluster ---

export interface ClusterInitOptions extends EtcdOptions {
  asn: number;
  mesh: boolean;
  pool?: string[];
  blockSizeV4?: number;
  blockSizeV6?: number;
}

export async function clusterInit(opts: ClusterInitOptions): Promise<void> {
  await withEtcd(opts, async (store) => {
    const wanted = validateClusterConfig({
      asn: opts.asn,
      nodeToNodeMesh: opts.mesh,
      blockSize: {
        ...(opts.blockSizeV4 === undefined ? {} : { ipv4: opts.blockSizeV4 }),
        ...(opts.blockSizeV6 === undefined ? {} : { ipv6: opts.blockSizeV6 }),
      },
    });
    const pools = (opts.pool ?? []).map((text) => {
      const parsed = parseCidr(text);
      return { cidr: formatCidr(parsed), parsed, blockSize: blockSizeFor(parsed, wanted.blockSize[parsed.family === 4 ? 'ipv4' : 'ipv6']) };
    });
    pools.forEach((a, i) =>
      pools.slice(i + 1).forEach((b) => {
        if (cidrsOverlap(a.parsed, b.parsed)) throw new CliInputError(`--pool ${b.cidr} overlaps --pool ${a.cidr}`);
      }),
    );
    const ipam = new Ipam(store, { node: CLI_IPAM_NODE });
    const existing = await ipam.listPools();
    const plan = pools.map((p) => {
      const same = existing.find((e) => e.cidr === p.cidr && e.blockSize === p.blockSize);
      if (same !== undefined) return { ...p, strictAffinity: same.strictAffinity, added: false };
      const clash = existing.find((e) => cidrsOverlap(e.parsed, p.parsed));
      if (clash?.cidr === p.cidr) throw new CliInputError(`pool ${p.cidr} already exists with block size /${clash.blockSize}, not /${p.blockSize}`);
      if (clash !== undefined) throw new IpamPoolOverlapError(p.cidr, clash.cidr);
      return { ...p, strictAffinity: false, added: true };
    });

    const r = await store.txn([cmp.absent(keys.config())], [op.put(keys.config(), JSON.stringify(wanted))]);
    if (!r.succeeded) {
      const current = await requireClusterConfig(store);
      if (!sameValue(current, wanted)) {
        throw new CliInputError(
          `cluster already initialised with AS ${current.asn}, node-to-node mesh ${onOff(current.nodeToNodeMesh)}, ` +
            `block sizes /${current.blockSize.ipv4} and /${current.blockSize.ipv6}; ` +
            'change the mesh with "wren cluster mesh on|off", add pools with "wren pool add"',
        );
      }
    }
    for (const p of plan) if (p.added) await ipam.addPool({ cidr: p.cidr, blockSize: p.blockSize });

    const result = { created: r.succeeded, config: wanted, pools: plan.map((p) => ({ cidr: p.cidr, blockSize: p.blockSize, strictAffinity: p.strictAffinity, added: p.added })) };
    print(opts, result, () =>
      [
        r.succeeded ? 'Cluster initialised.' : 'Cluster already initialised with these settings.',
        renderClusterConfig(wanted),
        ...plan.map((p) => `Pool ${p.cidr} (block size /${p.blockSize}): ${p.added ? 'added' : 'already present'}`),
      ].join('\n'),
    );
  });
}

export async function clusterMesh(mode: 'on' | 'off', opts: EtcdOptions): Promise<void> {
  await withEtcd(opts, async (store) => {
    const want = mode === 'on';
    for (;;) {
      const kv = await store.get(keys.config());
      if (kv === undefined) throw notInitialised();
      const config = parseClusterConfig(kv);
      if (config.nodeToNodeMesh === want) {
        print(opts, { nodeToNodeMesh: want, changed: false }, () => `Node-to-node mesh is already ${mode}.`);
        return;
      }
      const next = validateClusterConfig({ ...config, nodeToNodeMesh: want });
      const r = await store.txn([cmp.unchanged(kv.key, kv)], [op.put(kv.key, JSON.stringify(next))]);
      if (r.succeeded) {
        print(opts, { nodeToNodeMesh: want, changed: true }, () => `Node-to-node mesh switched ${mode}.`);
        return;
      }
    }
  });
}

export async function clusterShow(opts: EtcdOptions): Promise<void> {
  await withEtcd(opts, async (store) => {
    const state = await readClusterState(store);
    const config = state.config;
    if (config === undefined) throw notInitialised();
    const summary = {
      config,
      nodes: state.nodes.length,
      liveNodes: state.nodes.filter((n) => state.live.has(n.name)).length,
      peers: state.peers.length,
      pools: state.pools.map((p) => p.cidr),
    };
    print(opts, summary, () =>
      [
        renderClusterConfig(config),
        `Nodes: ${summary.nodes} registered, ${summary.liveNodes} live`,
        `Peer objects: ${summary.peers}`,
        `Pools: ${state.pools.map(poolLabel).join(', ') || 'none'}`,
      ].join('\n'),
    );
  });
}

// --- nodes ---

export async function nodeList(opts: EtcdOptions): Promise<void> {
  await withEtcd(opts, async (store) => {
    const state = await readClusterState(store);
    const nodes = [...state.nodes]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((n) => ({
        ...n,
        asn: n.asn ?? state.config?.asn ?? null,
        asnOverride: n.asn !== undefined,
        live: state.live.has(n.name),
        blocks: confirmedBlocksOf(state, n.name).map((b) => formatCidr(b.cidr)),
      }));
    print(opts, nodes, () => renderNodes(nodes));
  });
}

export interface NodeSetOptions extends EtcdOptions {
  label?: string[];
  removeLabel?: string[];
  /** A cluster ID, or false to make the node an ordinary node again. */
  rrClusterId?: string | false;
  asn?: number;
}

/** Edits a registered node: labels, route-reflector cluster ID, AS override. */
export async function nodeSet(name: string, opts: NodeSetOptions): Promise<void> {
  await withEtcd(opts, async (store) => {
    const labels = (opts.label ?? []).map((text) => {
      const eq = text.indexOf('=');
      if (eq <= 0) throw new CliInputError(`--label "${text}": expected KEY=VALUE`);
      return [text.slice(0, eq), text.slice(eq + 1)] as const;
    });
    if (labels.length === 0 && opts.removeLabel === undefined && opts.rrClusterId === undefined && opts.asn === undefined) {
      throw new CliInputError('nothing to change: give --label, --remove-label, --rr-cluster-id, --no-rr-cluster-id or --asn');
    }
    for (;;) {
      const kv = await store.get(keys.node(name));
      if (kv === undefined) throw await unknownNode(store, name);
      const node = parseNode(kv);
      const nextLabels: Record<string, string> = { ...node.labels };
      for (const k of opts.removeLabel ?? []) delete nextLabels[k];
      for (const [k, v] of labels) nextLabels[k] = v;
      const { routeReflectorClusterId: _rr, asn: _asn, ...rest } = node;
      const next = validateNode({
        ...rest,
        labels: nextLabels,
        ...(opts.rrClusterId === false ? {} : { routeReflectorClusterId: opts.rrClusterId ?? node.routeReflectorClusterId }),
        ...(opts.asn === undefined && node.asn === undefined ? {} : { asn: opts.asn ?? node.asn }),
      });
      const r = await store.txn([cmp.unchanged(kv.key, kv)], [op.put(kv.key, JSON.stringify(dropUndefined(next)))]);
      if (r.succeeded) {
        print(opts, next, () => `Node ${name} updated.`);
        return;
      }
    }
  });
}

/**
 * Deletes a node that is gone for good (`calicoctl delete node`): releases its pods' addresses
 * and its blocks (ipam/node-release.ts), then its node record. Refused while it is live.
 */
export async function nodeDel(name: string, opts: EtcdOptions): Promise<void> {
  await withEtcd(opts, async (store) => {
    await requireClusterConfig(store);
    const record = await store.get(keys.node(name));
    const report = await releaseNode(store, name);
    const released = report.releasedHandles.length + report.releasedBlocks.length + report.keptBlocks.length + report.removedAffinities.length;
    if (record === undefined && released === 0) throw await unknownNode(store, name);
    if (record !== undefined) {
      const r = await store.txn([cmp.unchanged(record.key, record), cmp.absent(keys.liveness(name))], [op.delete(record.key)]);
      if (!r.succeeded) throw new CliInputError(`node ${name} changed or came back while it was being deleted (its IPAM state is released); run "wren node list" and try again`);
    }
    const peers = (await readClusterState(store)).peers.filter((p) => p.node === name).map((p) => p.name).sort();
    const result = { ...report, nodeRecordDeleted: record !== undefined, peersNamingNode: peers };
    print(opts, result, () => renderNodeDel(result));
  });
}

function renderNodeDel(r: NodeReleaseReport & { nodeRecordDeleted: boolean; peersNamingNode: readonly string[] }): string {
  const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
  const addresses = r.releasedHandles.reduce((n, h) => n + h.addresses.length, 0);
  const lines = [
    `Node ${r.node} ${r.nodeRecordDeleted ? 'deleted' : 'had no node record; its IPAM state is released'}: ` +
      `${plural(addresses, 'address', 'addresses')} of ${plural(r.releasedHandles.length, 'pod')} released, ` +
      `${plural(r.releasedBlocks.length, 'block')} freed${r.releasedBlocks.length === 0 ? '' : ` (${r.releasedBlocks.join(', ')})`}.`,
  ];
  if (r.removedAffinities.length > 0) lines.push(`Unfinished block claims removed: ${r.removedAffinities.join(', ')}.`);
  for (const k of r.keptBlocks) lines.push(`Block ${k.block} kept: it still holds addresses that are not the node's (${k.holders.join('; ')}).`);
  if (r.peersNamingNode.length > 0) lines.push(`Peer objects still name node ${r.node}: ${r.peersNamingNode.join(', ')} (wren peer del NAME).`);
  return lines.join('\n');
}

async function unknownNode(store: Datastore, name: string): Promise<CliInputError> {
  const state = await readClusterState(store);
  const known = state.nodes.map((n) => n.name).sort();
  return new CliInputError(`unknown node "${name}" (registered nodes: ${known.join(', ') || 'none'})`);
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

// --- peers ---

export interface PeerAddOptions extends EtcdOptions {
  peerIp?: string;
  asn?: number;
  node?: string;
  nodeSelector?: string;
  peerSelector?: string;
  keepOriginalNextHop?: boolean;
}

/** Record fields as the command line spells them, for error messages. */
const PEER_FLAGS: Readonly<Record<string, string>> = {
  name: 'NAME',
  peerIp: '--peer-ip',
  asn: '--asn',
  node: '--node',
  nodeSelector: '--node-selector',
  peerSelector: '--peer-selector',
  keepOriginalNextHop: '--keep-original-next-hop',
};

/** "peerIp: one of peerIp or peerSelector is required" → "--peer-ip: one of --peer-ip or …". */
function withFlags(issue: string): string {
  const colon = issue.indexOf(':');
  const field = issue.slice(0, colon);
  const head = PEER_FLAGS[field] ?? field;
  const body = issue
    .slice(colon)
    .replace(/\b(peerIp|peerSelector|nodeSelector)\b/g, (f) => PEER_FLAGS[f]!)
    .replace(/^: node and /, ': --node and ');
  return `${head}${body}`;
}

export async function peerAdd(name: string, opts: PeerAddOptions): Promise<void> {
  await withEtcd(opts, async (store) => {
    let peer: PeerObject;
    try {
      peer = validatePeer({
        name,
        ...(opts.peerIp === undefined ? {} : { peerIp: opts.peerIp }),
        ...(opts.asn === undefined ? {} : { asn: opts.asn }),
        ...(opts.node === undefined ? {} : { node: opts.node }),
        ...(opts.nodeSelector === undefined ? {} : { nodeSelector: opts.nodeSelector }),
        ...(opts.peerSelector === undefined ? {} : { peerSelector: opts.peerSelector }),
        ...(opts.keepOriginalNextHop === true ? { keepOriginalNextHop: true } : {}),
      });
    } catch (e) {
      if (e instanceof ClusterRecordError) throw new CliInputError(`invalid peer "${name}": ${e.issues.map(withFlags).join('; ')}`);
      throw e;
    }
    await requireClusterConfig(store);
    if (peer.node !== undefined && (await store.get(keys.node(peer.node))) === undefined) throw await unknownNode(store, peer.node);
    const r = await store.txn([cmp.absent(keys.peer(name))], [op.put(keys.peer(name), JSON.stringify(peer))]);
    if (!r.succeeded) throw new CliInputError(`peer "${name}" already exists (remove it first with "wren peer del ${name}")`);
    print(opts, peer, () => `Peer ${name} added: ${describePeer(peer)}.`);
  });
}

export function describePeer(p: PeerObject): string {
  const remote = p.peerIp !== undefined ? `${p.peerIp} AS ${p.asn}` : `the nodes matching ${p.peerSelector}`;
  const local = p.node !== undefined ? `node ${p.node}` : p.nodeSelector !== undefined ? `the nodes matching ${p.nodeSelector}` : 'every node';
  return `${local} ${p.node === undefined && p.nodeSelector !== undefined ? 'peer' : 'peers'} with ${remote}`;
}

export async function peerList(opts: EtcdOptions): Promise<void> {
  await withEtcd(opts, async (store) => {
    const state = await readClusterState(store);
    const peers = [...state.peers].sort((a, b) => (a.name < b.name ? -1 : 1));
    print(opts, peers, () => renderPeers(peers));
  });
}

export async function peerDel(name: string, opts: EtcdOptions): Promise<void> {
  await withEtcd(opts, async (store) => {
    const kv = await store.get(keys.peer(name));
    if (kv === undefined) {
      const state = await readClusterState(store);
      const known = state.peers.map((p) => p.name).sort();
      throw new CliInputError(`no peer named "${name}" (peers: ${known.join(', ') || 'none'})`);
    }
    const peer = parsePeer(kv);
    const r = await store.txn([cmp.unchanged(kv.key, kv)], [op.delete(kv.key)]);
    if (!r.succeeded) throw new CliInputError(`peer "${name}" changed while deleting it; try again`);
    print(opts, { deleted: peer }, () => `Peer ${name} deleted.`);
  });
}
