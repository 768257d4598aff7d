// The one transaction that releases a handle: its record deleted and each of its ordinals freed
// in its blocks, guarded by the handle record and every block exactly as read. Shared by the
// garbage collector (a leaked handle) and `wren node del` (every handle of a gone node).

import { cmp, op, type Compare, type KeyValue, type TxnOp } from '../datastore/port.js';
import { keys } from '../datastore/keys.js';
import type { Block } from './block.js';
import { parseBlock, type HandleData } from './records.js';

export interface HandleRelease {
  readonly compares: Compare[];
  readonly ops: TxnOp[];
  /** The addresses the transaction frees. */
  readonly addresses: string[];
}

export function handleRelease(
  handle: { kv: KeyValue; data: HandleData },
  blocks: ReadonlyMap<string, { kv: KeyValue; block: Block }>,
  now: number,
): HandleRelease {
  const compares: Compare[] = [cmp.unchanged(handle.kv.key, handle.kv)];
  const ops: TxnOp[] = [op.delete(handle.kv.key)];
  const addresses: string[] = [];
  for (const [cidr, ordinals] of Object.entries(handle.data.blocks)) {
    const entry = blocks.get(cidr);
    compares.push(cmp.unchanged(keys.block(cidr), entry?.kv));
    if (entry === undefined) continue;
    const block = parseBlock(entry.kv); // a copy: the caller's snapshot stays as read
    for (const o of ordinals) if (block.handleOf(o) === handle.data.handle && block.release(o, now)) addresses.push(block.addressOf(o));
    ops.push(op.put(entry.kv.key, block.serialize()));
  }
  return { compares, ops, addresses };
}
