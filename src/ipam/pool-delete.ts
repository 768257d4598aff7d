// `wren pool del CIDR`: a pool removed with its blocks, once nothing in it is allocated.
//
// Nodes create blocks in a pool at any moment (a claim), and the datastore has no compare over a
// key range, so no single snapshot proves a pool empty. So the pool is marked `deleting` first:
// the allocator gives nothing more from a deleting pool, and creates a block only while its
// pool's record is unchanged (allocator.ts, claim), so once the mark is written no new block
// appears in the pool. Then its blocks are read again. If an address is still allocated, the
// mark is taken back and the deletion refused, naming the holders. Otherwise the blocks go with
// every affinity to them (pending claims too), in transactions that each compare the marked pool
// and every key they delete, and the pool record goes last. A block that gained an address in
// the meantime fails its transaction, and the whole is decided again from a fresh read. Blocks
// already deleted stay deleted: they were empty, and a node claims a new block when it needs one.
//
// A node that advertised a deleted block withdraws it when its watch sees the affinity go, as
// for blocks the garbage collector takes from dead nodes.

import { cmp, op, type Compare, type Datastore, type KeyValue, type TxnOp } from '../datastore/port.js';
import { keys, parseKey, prefixes } from '../datastore/keys.js';
import type { Block } from './block.js';
import { cidrContains, formatCidr, parseCidr, type Cidr } from './cidr.js';
import { IpamConflictError, IpamPoolInUseError, IpamUnknownPoolError } from './errors.js';
import { parseBlock, parsePool, serializePool, type Pool } from './records.js';

export interface PoolDeleteReport {
  readonly cidr: string;
  /** the pool's blocks, deleted (all were empty) */
  readonly blocks: readonly string[];
  /** the affinities deleted with them */
  readonly affinities: ReadonlyArray<{ readonly node: string; readonly block: string }>;
}

/** Keys compared (and deleted) per transaction: etcd refuses more than 128 (--max-txn-ops). */
const KEYS_PER_TXN = 100;

interface Contents {
  readonly blocks: Array<{ readonly cidr: string; readonly kv: KeyValue; readonly block: Block }>;
  readonly affinities: Array<{ readonly node: string; readonly block: string; readonly kv: KeyValue }>;
  readonly allocated: number;
  readonly handles: string[];
}

export async function deletePool(store: Datastore, cidrText: string, opts: { maxAttempts?: number } = {}): Promise<PoolDeleteReport> {
  const cidr = formatCidr(parseCidr(cidrText));
  const poolKey = keys.pool(cidr);
  const maxAttempts = opts.maxAttempts ?? 20;
  const deletedBlocks: string[] = [];
  const deletedAffinities: Array<{ node: string; block: string }> = [];

  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const poolKv = await store.get(poolKey);
    if (poolKv === undefined) {
      const { kvs } = await store.list(prefixes.pools);
      throw new IpamUnknownPoolError(cidr, kvs.map((kv) => parsePool(kv).cidr));
    }
    const pool = parsePool(poolKv);
    const contents = await readContents(store, pool.parsed);

    if (contents.allocated > 0) {
      // Refused. A mark (ours, or one an interrupted deletion left) is taken back: the pool
      // serves allocations again, as it did before the command.
      if (pool.deleting === true) {
        const r = await store.txn([cmp.unchanged(poolKey, poolKv)], [op.put(poolKey, marked(pool, false))]);
        if (!r.succeeded) continue;
      }
      throw new IpamPoolInUseError(cidr, contents.allocated, contents.handles);
    }

    if (pool.deleting !== true) {
      await store.txn([cmp.unchanged(poolKey, poolKv)], [op.put(poolKey, marked(pool, true))]);
      continue; // read the blocks again under the mark, whether it was ours or not
    }

    if (!(await deleteContents(store, poolKey, poolKv, contents, deletedBlocks, deletedAffinities))) continue;
    const r = await store.txn([cmp.unchanged(poolKey, poolKv)], [op.delete(poolKey)]);
    if (r.succeeded) return { cidr, blocks: sortCidrs(deletedBlocks), affinities: deletedAffinities };
  }
  throw new IpamConflictError(`pool del ${cidr}`, maxAttempts);
}

/** In address order. */
function sortCidrs(list: string[]): string[] {
  return list.map(parseCidr).sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0)).map(formatCidr);
}

function marked(pool: Pool, deleting: boolean): string {
  return serializePool({ ...pool, deleting });
}

async function readContents(store: Datastore, pool: Cidr): Promise<Contents> {
  const [blockList, affinityList] = await Promise.all([store.list(prefixes.blocks), store.list(prefixes.affinities)]);
  const inPool = (text: string): boolean => {
    const c = parseCidr(text);
    return cidrContains(pool, c.family, c.base);
  };
  const blocks: Contents['blocks'] = [];
  const handles = new Set<string>();
  let allocated = 0;
  for (const kv of blockList.kvs) {
    const k = parseKey(kv.key);
    if (k?.kind !== 'block' || !inPool(k.cidr)) continue;
    const block = parseBlock(kv);
    blocks.push({ cidr: k.cidr, kv, block });
    for (const o of block.allocatedOrdinals()) {
      allocated++;
      handles.add(block.handleOf(o) ?? '(none)');
    }
  }
  const affinities: Contents['affinities'] = [];
  for (const kv of affinityList.kvs) {
    const k = parseKey(kv.key);
    if (k?.kind === 'affinity' && inPool(k.cidr)) affinities.push({ node: k.node, block: k.cidr, kv });
  }
  return { blocks, affinities, allocated, handles: [...handles].sort() };
}

/**
 * Deletes the blocks and affinities, each block together with its affinities, in transactions
 * that compare the marked pool and every key. False when one failed (something changed).
 */
async function deleteContents(
  store: Datastore,
  poolKey: string,
  poolKv: KeyValue,
  contents: Contents,
  deletedBlocks: string[],
  deletedAffinities: Array<{ node: string; block: string }>,
): Promise<boolean> {
  const groups = new Map<string, { block?: Contents['blocks'][number]; affinities: Contents['affinities'] }>();
  for (const b of contents.blocks) groups.set(b.cidr, { block: b, affinities: [] });
  for (const a of contents.affinities) {
    let g = groups.get(a.block);
    if (g === undefined) groups.set(a.block, (g = { affinities: [] }));
    g.affinities.push(a);
  }
  let compares: Compare[] = [];
  let ops: TxnOp[] = [];
  let pending: Array<() => void> = [];
  const commit = async (): Promise<boolean> => {
    if (ops.length === 0) return true;
    const r = await store.txn([cmp.unchanged(poolKey, poolKv), ...compares], ops);
    if (r.succeeded) for (const note of pending) note();
    compares = [];
    ops = [];
    pending = [];
    return r.succeeded;
  };
  for (const [cidr, g] of groups) {
    const size = (g.block ? 1 : 0) + g.affinities.length;
    if (ops.length > 0 && ops.length + size > KEYS_PER_TXN && !(await commit())) return false;
    if (g.block) {
      compares.push(cmp.unchanged(g.block.kv.key, g.block.kv));
      ops.push(op.delete(g.block.kv.key));
      pending.push(() => deletedBlocks.push(cidr));
    }
    for (const a of g.affinities) {
      compares.push(cmp.unchanged(a.kv.key, a.kv));
      ops.push(op.delete(a.kv.key));
      pending.push(() => deletedAffinities.push({ node: a.node, block: a.block }));
    }
  }
  return commit();
}
