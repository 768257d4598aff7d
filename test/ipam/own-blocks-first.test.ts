// autoAssign reads this node's own IPAM records first: while its blocks have room, a pod add
// reads a few keys, never every block and handle of the cluster (what made pod adds slow when
// a whole cluster started at once: each re-read all of it from etcd).
import { describe, expect, it } from 'vitest';
import { MemoryDatastore } from '../../src/datastore/memory.js';
import { prefixes } from '../../src/datastore/keys.js';
import type { ListResult } from '../../src/datastore/port.js';
import { Ipam } from '../../src/ipam/index.js';

class CountingStore extends MemoryDatastore {
  readonly lists: string[] = [];
  override async list(prefix: string): Promise<ListResult> {
    this.lists.push(prefix);
    return super.list(prefix);
  }
}

describe('IPAM autoAssign from the node’s own blocks', () => {
  it('reads the whole IPAM prefix only to claim a block, not for pods that fit in one', async () => {
    const store = new CountingStore();
    const others = Array.from({ length: 5 }, (_, i) => new Ipam(store, { node: `other${i}` }));
    await others[0]!.addPool({ cidr: '10.248.0.0/16' });
    for (const [i, o] of others.entries()) await o.autoAssign({ handle: `other-pod-${i}`, family: 4 });
    const me = new Ipam(store, { node: 'me' });

    store.lists.length = 0;
    const first = await me.autoAssign({ handle: 'pod-1', family: 4 });
    expect(store.lists.filter((p) => p === prefixes.ipam).length).toBeGreaterThan(0); // it had to claim

    store.lists.length = 0;
    const more = [];
    for (let i = 2; i <= 10; i++) more.push(await me.autoAssign({ handle: `pod-${i}`, family: 4 }));
    expect(store.lists.filter((p) => p === prefixes.ipam)).toEqual([]);
    const all = [first, ...more];
    expect(new Set(all).size).toBe(10);
    // All from the block it claimed for the first pod.
    const block = (a: string): string => a.replace(/\.(\d+)$/, (_, n: string) => `.${Number(n) & ~63}`);
    expect(new Set(all.map(block)).size).toBe(1);
    expect((await me.check()).ok).toBe(true);
  });

  it('falls back to the whole state when its block is full, and claims another', async () => {
    const store = new CountingStore();
    const me = new Ipam(store, { node: 'me' });
    await me.addPool({ cidr: '10.249.0.0/24', blockSize: 30 });
    const got = [];
    for (let i = 0; i < 6; i++) got.push(await me.autoAssign({ handle: `pod-${i}`, family: 4 }));
    expect(new Set(got).size).toBe(6);
    expect((await me.listBlocks()).filter((b) => b.affinity === 'me').length).toBe(2);
    expect((await me.check()).ok).toBe(true);
  });
});
