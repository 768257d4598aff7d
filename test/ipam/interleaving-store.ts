import { MemoryDatastore, type Compare, type TxnOp, type TxnResult } from '../../src/datastore/index.js';
import { prefixes } from '../../src/datastore/keys.js';
import { checkSnapshot, type IpamCheckReport } from '../../src/ipam/index.js';

/** A memory store that runs `beforeTxn` once, just before the next transaction: a concurrent
 * writer landing between a reader's snapshot and its compare-and-swap. */
export class InterleavingStore extends MemoryDatastore {
  beforeTxn: (() => Promise<void>) | undefined;
  override async txn(compares: readonly Compare[], onSuccess: readonly TxnOp[], onFailure?: readonly TxnOp[]): Promise<TxnResult> {
    const hook = this.beforeTxn;
    this.beforeTxn = undefined;
    if (hook !== undefined) await hook();
    return super.txn(compares, onSuccess, onFailure);
  }
}

/** `wren ipam check` over everything the store holds. */
export async function checkStore(store: MemoryDatastore): Promise<IpamCheckReport> {
  const { kvs, revision } = await store.list(prefixes.ipam);
  return checkSnapshot(kvs, revision);
}
