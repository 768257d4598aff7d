import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/datastore/index.js';
import { keys, prefixes } from '../../src/datastore/keys.js';
import { Ipam, IpamNodeLiveError, type IpamCheckReport, releaseNode } from '../../src/ipam/index.js';
import { InterleavingStore, checkStore } from './interleaving-store.js';

describe('releasing a node that is gone for good (wren node del)', () => {
  let clock: ManualClock;
  let store: InterleavingStore;
  let n1: Ipam;
  let n2: Ipam;

  const check = (): Promise<IpamCheckReport> => checkStore(store);

  beforeEach(async () => {
    clock = new ManualClock(1_700_000_000_000);
    store = new InterleavingStore({ clock });
    n1 = new Ipam(store, { node: 'n1', clock });
    n2 = new Ipam(store, { node: 'n2', clock });
    // Two blocks of four: a node that needs more than one block's worth borrows.
    await n1.addPool({ cidr: '10.244.0.0/29', blockSize: 30 });
  });

  it("releases the node's pods wherever their addresses are, and frees its blocks for others", async () => {
    const a = await n2.autoAssign({ handle: 'a', family: 4 });
    await n2.autoAssign({ handle: 'b', family: 4 });
    await n1.autoAssign({ handle: 'keep', family: 4 }); // n1 claims the other block
    // n2's fourth, fifth and sixth pods: its block is full, the pool has no free block, so it borrows from n1's.
    await n2.autoAssign({ handle: 'c', family: 4 });
    await n2.autoAssign({ handle: 'd', family: 4 });
    const borrowed = await n2.autoAssign({ handle: 'e', family: 4 });

    const r = await releaseNode(store, 'n2', { clock });

    expect(r.releasedHandles.map((h) => h.handle).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(r.releasedHandles.find((h) => h.handle === 'a')?.addresses).toEqual([a]);
    expect(r.releasedHandles.find((h) => h.handle === 'e')?.addresses).toEqual([borrowed]);
    expect(r.releasedBlocks).toHaveLength(1);
    expect(r.keptBlocks).toEqual([]);
    for (const h of ['a', 'b', 'c', 'd', 'e']) expect(await store.get(keys.handle(h))).toBeUndefined();
    expect(await store.get(keys.block(r.releasedBlocks[0]!))).toBeUndefined();
    expect(await store.get(keys.affinity('n2', r.releasedBlocks[0]!))).toBeUndefined();
    // n1's own pod is untouched, the borrowed address is free again, and IPAM is consistent.
    expect(await store.get(keys.handle('keep'))).toBeDefined();
    const check1 = await check();
    expect(check1.problems).toEqual([]);
    expect(check1.allocations).toBe(1);
    // The freed block is free for a new node.
    const n3 = new Ipam(store, { node: 'n3', clock });
    expect(await n3.autoAssign({ handle: 'x', family: 4 })).toBe(a);
    expect(await store.get(keys.handle('keep'))).toBeDefined();
    expect((await check()).problems).toEqual([]);
  });

  it('refuses while the node is live and changes nothing', async () => {
    await n2.autoAssign({ handle: 'a', family: 4 });
    await store.put(keys.liveness('n2'), '{}');
    const before = await store.list(prefixes.ipam);
    await expect(releaseNode(store, 'n2', { clock })).rejects.toThrow(IpamNodeLiveError);
    await expect(releaseNode(store, 'n2', { clock })).rejects.toThrow(/node n2 is live .*stop its daemon first/);
    expect((await store.list(prefixes.ipam)).kvs).toEqual(before.kvs);
  });

  it("keeps a block that still holds another node's borrowed address, and names who holds it", async () => {
    await n1.autoAssign({ handle: 'p1', family: 4 });
    for (const h of ['q1', 'q2', 'q3', 'q4']) await n2.autoAssign({ handle: h, family: 4 });
    // n1's block has 3 free addresses; n2's is full: n2's fifth pod borrows from n1's block.
    await n2.autoAssign({ handle: 'q5', family: 4 });

    const r = await releaseNode(store, 'n1', { clock });

    expect(r.releasedHandles).toEqual([{ handle: 'p1', addresses: [expect.any(String)] }]);
    expect(r.releasedBlocks).toEqual([]);
    expect(r.keptBlocks).toEqual([{ block: expect.any(String), holders: ['node n2: 1 address'] }]);
    expect(await store.get(keys.handle('q5'))).toBeDefined();
    expect((await check()).problems).toEqual([]);
  });

  it('removes an unfinished (pending) claim of the node', async () => {
    await store.put(keys.affinity('n2', '10.244.0.4/30'), JSON.stringify({ state: 'pending' }));
    const r = await releaseNode(store, 'n2', { clock });
    expect(r.removedAffinities).toEqual(['10.244.0.4/30']);
    expect(await store.get(keys.affinity('n2', '10.244.0.4/30'))).toBeUndefined();
  });

  it('decides again from a fresh snapshot when a write lands under it, and releases everything once', async () => {
    await n2.autoAssign({ handle: 'a', family: 4 });
    await n2.autoAssign({ handle: 'b', family: 4 });
    // Another node borrows from n2's block between the snapshot and the first release.
    await n1.autoAssign({ handle: 'fill1', family: 4 });
    for (const h of ['f2', 'f3', 'f4']) await n1.autoAssign({ handle: h, family: 4 });
    store.beforeTxn = async () => {
      await n1.autoAssign({ handle: 'late', family: 4 });
    };

    const r = await releaseNode(store, 'n2', { clock });

    expect(r.releasedHandles.map((h) => h.handle).sort()).toEqual(['a', 'b']);
    expect(r.keptBlocks).toEqual([{ block: expect.any(String), holders: ['node n1: 1 address'] }]);
    expect(await store.get(keys.handle('late'))).toBeDefined();
    const c = await check();
    expect(c.problems).toEqual([]);
    expect(c.allocations).toBe(5);
  });

  it('stops when the node comes back in the middle, keeping what it released consistent', async () => {
    await n2.autoAssign({ handle: 'a', family: 4 });
    await n2.autoAssign({ handle: 'b', family: 4 });
    let txns = 0;
    const original = store.txn.bind(store);
    store.txn = async (compares, ops, onFailure) => {
      if (++txns === 2) await store.put(keys.liveness('n2'), '{}'); // the daemon starts again
      return original(compares, ops, onFailure);
    };

    await expect(releaseNode(store, 'n2', { clock })).rejects.toThrow(IpamNodeLiveError);

    expect((await store.list(prefixes.handles)).kvs).toHaveLength(1); // one released before it came back
    expect((await check()).problems).toEqual([]);
  });

  it('rejects a name that cannot be a node', async () => {
    await expect(releaseNode(store, 'bad/name', { clock })).rejects.toThrow(/node/);
  });
});
