// Text renderings for the etcd-side commands (JSON output prints the values as they are).

import type { ClusterConfig, NodeRecord, PeerObject } from '../cluster/index.js';
import type { IpamCheckReport, IpamProblem } from '../ipam/index.js';
import { table } from './table.js';

const onOff = (b: boolean): string => (b ? 'on' : 'off');

export function renderClusterConfig(c: ClusterConfig): string {
  const timers = [
    ...(c.holdTime === undefined ? [] : [`hold time ${c.holdTime}s`]),
    ...(c.keepaliveTime === undefined ? [] : [`keepalive ${c.keepaliveTime}s`]),
  ];
  return [
    `AS ${c.asn}, node-to-node mesh ${onOff(c.nodeToNodeMesh)}`,
    `Default block sizes: IPv4 /${c.blockSize.ipv4}, IPv6 /${c.blockSize.ipv6}`,
    ...(timers.length === 0 ? [] : [`Timers: ${timers.join(', ')}`]),
  ].join('\n');
}

export interface NodeRow extends Omit<NodeRecord, 'asn'> {
  asn: number | null;
  asnOverride: boolean;
  live: boolean;
  blocks: string[];
}

export function renderNodes(nodes: NodeRow[]): string {
  if (nodes.length === 0) return 'No nodes registered.';
  const rows = nodes.map((n) => [
    n.name,
    n.live ? 'live' : 'down',
    n.ipv4,
    n.ipv6 ?? '-',
    n.asn === null ? '-' : `${n.asn}${n.asnOverride ? ' (node)' : ''}`,
    n.routeReflectorClusterId ?? '-',
    Object.entries(n.labels)
      .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
      .join(',') || '-',
    n.blocks.join(',') || '-',
  ]);
  const live = nodes.filter((n) => n.live).length;
  return `${table(['NAME', 'STATUS', 'IPV4', 'IPV6', 'ASN', 'RR CLUSTER ID', 'LABELS', 'BLOCKS'], rows)}\n\n${live} of ${nodes.length} nodes live.`;
}

export function renderPeers(peers: PeerObject[]): string {
  if (peers.length === 0) return 'No peer objects.';
  const rows = peers.map((p) => [
    p.name,
    p.peerIp ?? `nodes: ${p.peerSelector}`,
    p.asn === undefined ? '(node AS)' : String(p.asn),
    p.node !== undefined ? `node ${p.node}` : (p.nodeSelector ?? '(all nodes)'),
    p.keepOriginalNextHop === true ? 'yes' : 'no',
  ]);
  return table(['NAME', 'PEER', 'ASN', 'APPLIES TO', 'KEEP NEXT HOP'], rows);
}

export interface PoolRow {
  cidr: string;
  blockSize: number;
  strictAffinity: boolean;
  /** Blocks claimed so far. */
  blocks: number;
  /** Blocks the pool holds (decimal; IPv6 pools hold more than a JS number counts). */
  totalBlocks: string;
  allocated: number;
  /** Addresses in the pool (decimal). */
  size: string;
  /** `wren pool disable` (present only then): no address is given from it automatically. */
  disabled?: true;
  /** `wren pool del` is removing it (present only then): nothing more is allocated from it. */
  deleting?: true;
}

/** A pool's CIDR with what keeps addresses from coming from it. */
export function poolLabel(p: { cidr: string; disabled?: boolean | undefined; deleting?: boolean | undefined }): string {
  return p.deleting === true ? `${p.cidr} (being deleted)` : p.disabled === true ? `${p.cidr} (disabled)` : p.cidr;
}

export function renderPools(pools: PoolRow[]): string {
  if (pools.length === 0) return 'No pools.';
  const rows = pools.map((p) => [poolLabel(p), `/${p.blockSize}`, p.strictAffinity ? 'yes' : 'no', `${p.blocks} of ${p.totalBlocks}`, `${p.allocated} of ${p.size}`]);
  return table(['CIDR', 'BLOCK SIZE', 'STRICT AFFINITY', 'BLOCKS CLAIMED', 'ADDRESSES ALLOCATED'], rows);
}

export interface BlockRow {
  block: string;
  node: string | null;
  state: 'pending' | 'confirmed' | 'missing';
  size: number;
  allocated: number;
  allocations: Array<{ address: string; handle: string | null }>;
}

export function renderBlocks(blocks: BlockRow[], pending: Array<{ node: string; block: string }>, withAllocations: boolean): string {
  const parts: string[] = [];
  if (blocks.length === 0) parts.push('No blocks.');
  else {
    parts.push(table(['BLOCK', 'NODE', 'AFFINITY', 'ALLOCATED', 'FREE'], blocks.map((b) => [b.block, b.node ?? '-', b.state, String(b.allocated), String(b.size - b.allocated)])));
    const total = blocks.reduce((n, b) => n + b.allocated, 0);
    parts.push(`${blocks.length} block${blocks.length === 1 ? '' : 's'}, ${total} address${total === 1 ? '' : 'es'} allocated.`);
  }
  if (pending.length > 0) parts.push(`Pending claims (never routed): ${pending.map((p) => `${p.block} by ${p.node}`).join(', ')}`);
  if (withAllocations) {
    const rows = blocks.flatMap((b) => b.allocations.map((a) => [a.address, a.handle ?? '(none)', b.block]));
    parts.push(rows.length === 0 ? 'No allocations.' : table(['ADDRESS', 'HANDLE', 'BLOCK'], rows));
  }
  return parts.join('\n\n');
}

function describeProblem(p: IpamProblem): string {
  switch (p.kind) {
    case 'corrupt-record':
      return `corrupt record ${p.key}: ${p.detail}`;
    case 'bitmap-mismatch':
      return `block ${p.block}: bitmap and handles disagree at ${p.address} (ordinal ${p.ordinal})`;
    case 'allocation-without-handle':
      return `block ${p.block}: ${p.address} allocated to handle ${p.handle}, whose record does not list it`;
    case 'handle-without-allocation':
      return `handle ${p.handle}: lists ordinal ${p.ordinal} of block ${p.block}, which the block does not hold for it`;
    case 'duplicate-address':
      return `address ${p.address} allocated in several blocks: ${p.blocks.join(', ')}`;
    case 'block-outside-pool':
      return `block ${p.block} is outside every pool`;
    case 'affinity-mismatch':
      return `node ${p.node} has a confirmed affinity to block ${p.block}, which is not affine to it`;
    case 'pool-reserved':
      return `pool ${p.pool} ${p.detail}: its pods cannot work; move them to another pool, then "wren pool del ${p.pool}"`;
    case 'pool-deleting':
      return `pool ${p.pool} is marked for deletion by a "wren pool del" that did not finish (nothing is allocated from it): run it again`;
  }
}

export function renderCheck(r: IpamCheckReport): string {
  const head = `${r.blocks} blocks, ${r.allocations} allocations, ${r.handles} handles at revision ${r.revision}`;
  if (r.ok) return `IPAM consistent: ${head}.`;
  return [`IPAM has ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'} (${head}):`, ...r.problems.map((p) => `  - ${describeProblem(p)}`)].join('\n');
}
