// `wren ipam check`: a consistency report over one snapshot of the IPAM keys (a single list of
// /wren/v1/ipam/, so every record is read at the same revision). Pure: the caller lists.

import type { KeyValue } from '../datastore/port.js';
import { parseKey } from '../datastore/keys.js';
import type { Block } from './block.js';
import { cidrsOverlap } from './cidr.js';
import { IpamCorruptRecordError } from './errors.js';
import { parseAffinity, parseBlock, parseHandle, parsePool, type HandleData, type Pool } from './records.js';
import { reservedOverlap } from './reserved.js';

export type IpamProblem =
  | { kind: 'corrupt-record'; key: string; detail: string }
  /** Bitmap bit set without a handle attribute, or the reverse, inside one block. */
  | { kind: 'bitmap-mismatch'; block: string; ordinal: number; address: string }
  /** Allocated in a block, but the handle's record does not list it (or does not exist). */
  | { kind: 'allocation-without-handle'; block: string; address: string; handle: string }
  /** Listed by a handle record, but the block does not hold it for that handle. */
  | { kind: 'handle-without-allocation'; handle: string; block: string; ordinal: number }
  /** The same address allocated more than once (overlapping blocks). */
  | { kind: 'duplicate-address'; address: string; blocks: string[] }
  | { kind: 'block-outside-pool'; block: string }
  /** A confirmed affinity whose block does not exist or is affine to another node. */
  | { kind: 'affinity-mismatch'; node: string; block: string }
  /** A pool (from before pools were checked) in a range no pod can use: reserved.ts. */
  | { kind: 'pool-reserved'; pool: string; detail: string }
  /** A pool marked `deleting` by a `pool del` that did not finish: nothing is allocated from it. */
  | { kind: 'pool-deleting'; pool: string };

export interface IpamCheckReport {
  readonly ok: boolean;
  readonly revision: number;
  readonly blocks: number;
  readonly allocations: number;
  readonly handles: number;
  readonly problems: IpamProblem[];
}

export function checkSnapshot(kvs: readonly KeyValue[], revision: number): IpamCheckReport {
  const problems: IpamProblem[] = [];
  const pools: Pool[] = [];
  const blocks = new Map<string, Block>();
  const handles = new Map<string, HandleData>();
  const confirmed: Array<{ node: string; cidr: string }> = [];
  for (const kv of kvs) {
    const k = parseKey(kv.key);
    try {
      if (k?.kind === 'pool') pools.push(parsePool(kv));
      else if (k?.kind === 'block') blocks.set(k.cidr, parseBlock(kv));
      else if (k?.kind === 'handle') handles.set(k.handle, parseHandle(kv));
      else if (k?.kind === 'affinity' && parseAffinity(kv).state === 'confirmed') confirmed.push({ node: k.node, cidr: k.cidr });
    } catch (e) {
      if (!(e instanceof IpamCorruptRecordError)) throw e;
      problems.push({ kind: 'corrupt-record', key: kv.key, detail: e.why });
    }
  }

  for (const pool of pools) {
    const reserved = reservedOverlap(pool.parsed);
    if (reserved !== undefined) problems.push({ kind: 'pool-reserved', pool: pool.cidr, detail: reserved });
    if (pool.deleting === true) problems.push({ kind: 'pool-deleting', pool: pool.cidr });
  }

  let allocations = 0;
  const seen = new Map<string, string[]>();
  for (const [cidr, block] of blocks) {
    if (!pools.some((p) => cidrsOverlap(p.parsed, block.cidr))) problems.push({ kind: 'block-outside-pool', block: cidr });
    const allocated = block.allocatedOrdinals();
    const attributed = new Set(block.attributedOrdinals());
    for (const o of allocated) {
      allocations++;
      const address = block.addressOf(o);
      seen.set(address, [...(seen.get(address) ?? []), cidr]);
      const handle = block.handleOf(o);
      if (handle === undefined) {
        problems.push({ kind: 'bitmap-mismatch', block: cidr, ordinal: o, address });
        continue;
      }
      attributed.delete(o);
      if (!(handles.get(handle)?.blocks[cidr] ?? []).includes(o)) {
        problems.push({ kind: 'allocation-without-handle', block: cidr, address, handle });
      }
    }
    for (const o of attributed) problems.push({ kind: 'bitmap-mismatch', block: cidr, ordinal: o, address: block.addressOf(o) });
  }
  for (const [address, where] of seen) if (where.length > 1) problems.push({ kind: 'duplicate-address', address, blocks: where });
  for (const [handle, rec] of handles) {
    for (const [cidr, ordinals] of Object.entries(rec.blocks)) {
      const block = blocks.get(cidr);
      for (const o of ordinals) {
        if (block === undefined || !block.isAllocated(o) || block.handleOf(o) !== handle) {
          problems.push({ kind: 'handle-without-allocation', handle, block: cidr, ordinal: o });
        }
      }
    }
  }
  for (const { node, cidr } of confirmed) {
    if (blocks.get(cidr)?.affinity !== node) problems.push({ kind: 'affinity-mismatch', node, block: cidr });
  }
  return { ok: problems.length === 0, revision, blocks: blocks.size, allocations, handles: handles.size, problems };
}
