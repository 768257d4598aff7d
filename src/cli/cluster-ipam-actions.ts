// `wren pool …` and `wren ipam …`: pools, blocks and allocations in etcd, through the same IPAM
// code the daemons use.

import { cidrSize, formatAddress, formatCidr, parseAddress, parseCidr } from '../ipam/cidr.js';
import { Ipam, deletePool, releaseAddress } from '../ipam/index.js';
import { InvalidPrefixError } from '../lib/prefix.js';
import { CLI_IPAM_NODE } from './cluster-actions.js';
import { CliInputError, print, requireClusterConfig, withEtcd, type EtcdOptions } from './cluster-context.js';
import { renderBlocks, renderCheck, renderPools, type BlockRow, type PoolRow } from './cluster-render.js';
import { cidrText, readClusterState } from './cluster-state.js';

export interface PoolAddOptions extends EtcdOptions {
  blockSize?: number;
  strictAffinity?: boolean;
}

export async function poolAdd(cidr: string, opts: PoolAddOptions): Promise<void> {
  await withEtcd(opts, async (store) => {
    const parsed = parseCidr(cidr);
    const config = await requireClusterConfig(store);
    const blockSize = opts.blockSize ?? config.blockSize[parsed.family === 4 ? 'ipv4' : 'ipv6'];
    const pool = await new Ipam(store, { node: CLI_IPAM_NODE }).addPool({ cidr, blockSize, strictAffinity: opts.strictAffinity === true });
    const out = { cidr: pool.cidr, blockSize: pool.blockSize, strictAffinity: pool.strictAffinity };
    print(opts, out, () => `Pool ${out.cidr} added (block size /${out.blockSize}, strict affinity ${out.strictAffinity ? 'on' : 'off'}).`);
  });
}

export async function poolDel(cidr: string, opts: EtcdOptions): Promise<void> {
  await withEtcd(opts, async (store) => {
    await requireClusterConfig(store);
    const r = await deletePool(store, cidr);
    const shown = r.blocks.slice(0, 4).join(', ') + (r.blocks.length > 4 ? ', …' : '');
    const blocks = r.blocks.length === 0 ? 'it had no blocks' : `${r.blocks.length} empty block${r.blocks.length === 1 ? '' : 's'} released (${shown})`;
    print(opts, r, () => `Pool ${r.cidr} deleted; ${blocks}.`);
  });
}

export async function poolDisable(cidr: string, disabled: boolean, opts: EtcdOptions): Promise<void> {
  await withEtcd(opts, async (store) => {
    await requireClusterConfig(store);
    const changed = await new Ipam(store, { node: CLI_IPAM_NODE }).setPoolDisabled(cidr, disabled);
    const pool = formatCidr(parseCidr(cidr));
    const out = { cidr: pool, disabled, changed };
    const text = !changed
      ? `Pool ${pool} was already ${disabled ? 'disabled' : 'enabled'}.`
      : disabled
        ? `Pool ${pool} disabled: no new addresses come from it; the pods it holds keep theirs.`
        : `Pool ${pool} enabled.`;
    print(opts, out, () => text);
  });
}

export async function poolList(opts: EtcdOptions): Promise<void> {
  await withEtcd(opts, async (store) => {
    const state = await readClusterState(store);
    const rows: PoolRow[] = [...state.pools]
      .sort((a, b) => (a.parsed.family - b.parsed.family || (a.parsed.base < b.parsed.base ? -1 : 1)))
      .map((p) => {
        const blocks = state.blocks.filter((b) => b.cidr.family === p.parsed.family && b.cidr.base >= p.parsed.base && b.cidr.base < p.parsed.base + cidrSize(p.parsed));
        return {
          cidr: p.cidr,
          blockSize: p.blockSize,
          strictAffinity: p.strictAffinity,
          blocks: blocks.length,
          totalBlocks: (1n << BigInt(p.blockSize - p.parsed.length)).toString(),
          allocated: blocks.reduce((n, b) => n + b.allocatedCount(), 0),
          size: cidrSize(p.parsed).toString(),
          ...(p.disabled === true ? { disabled: true as const } : {}),
          ...(p.deleting === true ? { deleting: true as const } : {}),
        };
      });
    print(opts, rows, () => renderPools(rows));
  });
}

export interface IpamShowOptions extends EtcdOptions {
  node?: string;
}

export async function ipamShow(opts: IpamShowOptions): Promise<void> {
  await withEtcd(opts, async (store) => {
    const state = await readClusterState(store);
    const node = opts.node;
    if (node !== undefined && !state.nodes.some((n) => n.name === node) && !state.affinityNodes.has(node) && !state.blocks.some((b) => b.affinity === node)) {
      const known = [...new Set([...state.nodes.map((n) => n.name), ...state.affinityNodes])].sort();
      throw new CliInputError(`unknown node "${node}" (nodes: ${known.join(', ') || 'none'})`);
    }
    const rows: BlockRow[] = state.blocks
      .filter((b) => node === undefined || b.affinity === node)
      .sort((a, b) => a.cidr.family - b.cidr.family || (a.cidr.base < b.cidr.base ? -1 : 1))
      .map((b) => ({
        block: cidrText(b),
        node: b.affinity,
        state: b.affinity === null ? 'missing' : (state.affinities.get(`${b.affinity} ${cidrText(b)}`) ?? 'missing'),
        size: b.size,
        allocated: b.allocatedCount(),
        allocations: b.allocatedOrdinals().map((o) => ({ address: b.addressOf(o), handle: b.handleOf(o) ?? null })),
      }));
    const pending = [...state.affinities]
      .filter(([k, s]) => s === 'pending' && (node === undefined || k.startsWith(`${node} `)))
      .map(([k]) => ({ node: k.slice(0, k.indexOf(' ')), block: k.slice(k.indexOf(' ') + 1) }));
    print(opts, { blocks: rows, pendingClaims: pending }, () => renderBlocks(rows, pending, node !== undefined));
  });
}

export async function ipamCheck(opts: EtcdOptions): Promise<void> {
  await withEtcd(opts, async (store) => {
    const report = await new Ipam(store, { node: CLI_IPAM_NODE }).check();
    print(opts, report, () => renderCheck(report));
    if (!report.ok) process.exitCode = 1;
  });
}

export interface IpamReleaseOptions extends EtcdOptions {
  handle?: string;
  ip?: string;
}

export async function ipamRelease(opts: IpamReleaseOptions): Promise<void> {
  await withEtcd(opts, async (store) => {
    if ((opts.handle === undefined) === (opts.ip === undefined)) throw new CliInputError('give exactly one of --handle HANDLE or --ip ADDRESS');
    if (opts.handle !== undefined) {
      const handle = opts.handle;
      const released = await new Ipam(store, { node: CLI_IPAM_NODE }).releaseByHandle(handle);
      if (released.length === 0) throw new CliInputError(`handle "${handle}" holds no addresses`);
      print(opts, { handle, released }, () => `Released ${released.join(', ')} (handle ${handle}).`);
      return;
    }
    const ip = opts.ip!;
    let canonical: string;
    try {
      const { family, value } = parseAddress(ip);
      canonical = formatAddress(family, value);
    } catch (e) {
      if (e instanceof InvalidPrefixError) throw new CliInputError(`--ip "${ip}" is not an IP address`);
      throw e;
    }
    const r = await releaseAddress(store, canonical);
    if (r === undefined) throw new CliInputError(`address ${canonical} is not allocated`);
    print(opts, { handle: r.handle ?? null, released: [r.address], block: r.block }, () => `Released ${r.address}${r.handle === undefined ? '' : ` (handle ${r.handle})`}.`);
  });
}
