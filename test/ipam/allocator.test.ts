import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryDatastore } from '../../src/datastore/memory.js';
import { keys } from '../../src/datastore/keys.js';
import {
  Ipam,
  IpamAddressInUseError,
  IpamAddressOutsidePoolsError,
  IpamExhaustedError,
  IpamNoPoolError,
  IpamPoolOverlapError,
} from '../../src/ipam/index.js';
import { InterleavingStore, checkStore } from './interleaving-store.js';

class TestClock {
  t = 1_000_000;
  now(): number {
    return this.t;
  }
}

describe('Ipam on the in-memory datastore', () => {
  let store: MemoryDatastore;
  let clock: TestClock;
  let n1: Ipam;
  let n2: Ipam;

  beforeEach(() => {
    store = new MemoryDatastore();
    clock = new TestClock();
    n1 = new Ipam(store, { node: 'n1', clock });
    n2 = new Ipam(store, { node: 'n2', clock });
  });

  it("a node's first pod costs eight requests to the store: the claim works from the snapshot and allocates from what it wrote", async () => {
    await n1.addPool({ cidr: '10.244.0.0/24' });
    const calls: string[] = [];
    for (const m of ['get', 'list', 'txn'] as const) {
      const real = store[m].bind(store) as (...a: unknown[]) => Promise<unknown>;
      (store as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => {
        calls.push(m);
        return real(...a);
      };
    }
    // own blocks (pools, affinities, handle), the snapshot, pending, block, confirmed, the address
    expect(await n1.autoAssign({ handle: 'p1', family: 4 })).toBe('10.244.0.0');
    expect(calls).toEqual(['list', 'list', 'get', 'list', 'txn', 'txn', 'txn', 'txn']);
    expect(await n1.confirmedBlocks()).toEqual(['10.244.0.0/26']);
    expect(JSON.parse((await store.get(keys.handle('p1')))!.value)).toMatchObject({ blocks: { '10.244.0.0/26': [0] } });
  });

  it('a block another node claims after the snapshot is left to it: the claim withdraws and takes the next block', async () => {
    const racy = new InterleavingStore();
    const a = new Ipam(racy, { node: 'a', clock });
    const b = new Ipam(racy, { node: 'b', clock });
    await a.addPool({ cidr: '10.244.0.0/24' });
    // Just before a's first write (its pending affinity), b claims the same first block.
    racy.beforeTxn = async () => {
      expect(await b.autoAssign({ handle: 'pb', family: 4 })).toBe('10.244.0.0');
    };
    expect(await a.autoAssign({ handle: 'pa', family: 4 })).toBe('10.244.0.64');
    expect(await racy.get(keys.affinity('a', '10.244.0.0/26'))).toBeUndefined();
    expect(await a.confirmedBlocks()).toEqual(['10.244.0.64/26']);
    expect((await checkStore(racy)).problems).toEqual([]);
  });

  it('claims a block for the node and allocates from it in order', async () => {
    await n1.addPool({ cidr: '10.244.0.0/24' });
    expect(await n1.autoAssign({ handle: 'p1', family: 4 })).toBe('10.244.0.0');
    expect(await n1.autoAssign({ handle: 'p2', family: 4 })).toBe('10.244.0.1');
    expect(await n2.autoAssign({ handle: 'p3', family: 4 })).toBe('10.244.0.64');
    expect(await n1.confirmedBlocks()).toEqual(['10.244.0.0/26']);
    expect(await n1.confirmedBlocks('n2')).toEqual(['10.244.0.64/26']);
    const affinity = await store.get(keys.affinity('n1', '10.244.0.0/26'));
    expect(JSON.parse(affinity!.value)).toEqual({ state: 'confirmed' });
    expect((await n1.check()).ok).toBe(true);
  });

  it('allocates IPv6 from /122 blocks and keeps both families on one handle', async () => {
    await n1.addPool({ cidr: '10.244.0.0/24' });
    await n1.addPool({ cidr: 'fd00:10::/64' });
    expect(await n1.autoAssign({ handle: 'pod', family: 6 })).toBe('fd00:10::');
    expect(await n1.autoAssign({ handle: 'pod', family: 4 })).toBe('10.244.0.0');
    expect((await n1.listBlocks()).map((b) => [b.cidr, b.size, b.affinityState])).toEqual([
      ['10.244.0.0/26', 64, 'confirmed'],
      ['fd00:10::/122', 64, 'confirmed'],
    ]);
    expect((await n1.releaseByHandle('pod')).sort()).toEqual(['10.244.0.0', 'fd00:10::']);
  });

  it('never uses a pending affinity for routing', async () => {
    await n1.addPool({ cidr: '10.244.0.0/24' });
    await store.put(keys.affinity('n1', '10.244.0.0/26'), JSON.stringify({ state: 'pending' }));
    expect(await n1.confirmedBlocks()).toEqual([]);
    // The next allocation completes the half-done claim.
    await n1.autoAssign({ handle: 'p', family: 4 });
    expect(await n1.confirmedBlocks()).toEqual(['10.244.0.0/26']);
  });

  it('releases exactly the handle and is idempotent', async () => {
    await n1.addPool({ cidr: '10.244.0.0/24' });
    const a = await n1.autoAssign({ handle: 'a', family: 4 });
    const b = await n1.autoAssign({ handle: 'b', family: 4 });
    expect(await n1.releaseByHandle('a')).toEqual([a]);
    expect(await n1.releaseByHandle('a')).toEqual([]);
    expect(await store.get(keys.handle('a'))).toBeUndefined();
    const blocks = await n1.listBlocks();
    expect(blocks[0]!.allocations).toEqual([{ address: b, handle: 'b' }]);
    expect((await n1.check()).ok).toBe(true);
  });

  it('does not reuse a released address before the cooldown', async () => {
    const ipam = new Ipam(store, { node: 'n1', clock, cooldownMs: 30_000 });
    await ipam.addPool({ cidr: '10.244.0.0/30', blockSize: 30 }); // one block of 4
    for (const h of ['a', 'b', 'c', 'd']) await ipam.autoAssign({ handle: h, family: 4 });
    await ipam.releaseByHandle('c');
    clock.t += 1_000;
    await ipam.releaseByHandle('a');
    await expect(ipam.autoAssign({ handle: 'e', family: 4 })).rejects.toBeInstanceOf(IpamExhaustedError);
    clock.t += 29_000;
    expect(await ipam.autoAssign({ handle: 'e', family: 4 })).toBe('10.244.0.2'); // oldest freed
    await expect(ipam.autoAssign({ handle: 'f', family: 4 })).rejects.toBeInstanceOf(IpamExhaustedError);
    clock.t += 1_000;
    expect(await ipam.autoAssign({ handle: 'f', family: 4 })).toBe('10.244.0.0');
  });

  it('fails with a named error when the pool is exhausted or missing', async () => {
    await expect(n1.autoAssign({ handle: 'x', family: 4 })).rejects.toBeInstanceOf(IpamNoPoolError);
    await n1.addPool({ cidr: '10.9.0.0/31', blockSize: 31 });
    await n1.autoAssign({ handle: 'a', family: 4 });
    await n1.autoAssign({ handle: 'b', family: 4 });
    const err = await n1.autoAssign({ handle: 'c', family: 4 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpamExhaustedError);
    expect((err as IpamExhaustedError).code).toBe('ipam-exhausted');
    await expect(n1.autoAssign({ handle: 'c', family: 6 })).rejects.toBeInstanceOf(IpamNoPoolError);
  });

  it('borrows from another node when no block is left, unless strictAffinity', async () => {
    await n1.addPool({ cidr: '10.1.0.0/30', blockSize: 31 }); // two blocks of 2
    await n1.autoAssign({ handle: 'a', family: 4 }); // n1 claims 10.1.0.0/31
    await n2.autoAssign({ handle: 'b', family: 4 }); // n2 claims 10.1.0.2/31
    await n2.autoAssign({ handle: 'c', family: 4 }); // n2's block now full
    expect(await n2.autoAssign({ handle: 'd', family: 4 })).toBe('10.1.0.1'); // borrowed from n1
    expect(await n2.confirmedBlocks()).toEqual(['10.1.0.2/31']);
    expect((await n1.check()).ok).toBe(true);

    await n1.addPool({ cidr: '10.2.0.0/30', blockSize: 31, strictAffinity: true });
    await n1.autoAssign({ handle: 's1', family: 4, pool: '10.2.0.0/30' });
    await n2.autoAssign({ handle: 's2', family: 4, pool: '10.2.0.0/30' });
    await n2.autoAssign({ handle: 's3', family: 4, pool: '10.2.0.0/30' });
    await expect(n2.autoAssign({ handle: 's4', family: 4, pool: '10.2.0.0/30' })).rejects.toBeInstanceOf(IpamExhaustedError);
  });

  it('assigns a specific address only if it is free and inside a pool', async () => {
    await n1.addPool({ cidr: '10.244.0.0/24' });
    expect(await n1.assign({ handle: 'a', address: '10.244.0.70' })).toBe('10.244.0.70');
    expect(await n1.confirmedBlocks()).toEqual(['10.244.0.64/26']);
    const err = await n2.assign({ handle: 'b', address: '10.244.0.70' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpamAddressInUseError);
    expect((err as Error).message).toContain('handle a');
    await expect(n1.assign({ handle: 'c', address: '192.168.0.1' })).rejects.toBeInstanceOf(IpamAddressOutsidePoolsError);
    expect(await n1.autoAssign({ handle: 'd', family: 4 })).toBe('10.244.0.64');
    expect((await n1.check()).ok).toBe(true);
  });

  it('rejects overlapping pools naming both', async () => {
    await n1.addPool({ cidr: '10.244.0.0/16' });
    const err = await n1.addPool({ cidr: '10.244.128.0/17' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpamPoolOverlapError);
    expect((err as Error).message).toBe('pool 10.244.128.0/17 overlaps existing pool 10.244.0.0/16');
    await expect(n1.addPool({ cidr: '10.0.0.0/8' })).rejects.toThrow(/10\.0\.0\.0\/8 overlaps existing pool 10\.244\.0\.0\/16/);
    await expect(n1.addPool({ cidr: '10.245.0.0/16' })).resolves.toMatchObject({ cidr: '10.245.0.0/16', blockSize: 26 });
  });

  it('check() finds injected corruption', async () => {
    await n1.addPool({ cidr: '10.244.0.0/24' });
    await n1.autoAssign({ handle: 'a', family: 4 });
    await n1.autoAssign({ handle: 'b', family: 4 });
    expect((await n1.check()).ok).toBe(true);

    // A handle record lost: its allocation is now orphaned.
    await store.delete(keys.handle('b'));
    // A handle record pointing at a free address.
    await store.put(keys.handle('ghost'), JSON.stringify({ handle: 'ghost', blocks: { '10.244.0.0/26': [9] } }));
    // An overlapping block (as if block sizes had changed) duplicating 10.244.0.0.
    const dup = JSON.parse((await store.get(keys.block('10.244.0.0/26')))!.value);
    await store.put(keys.block('10.244.0.0/27'), JSON.stringify({ ...dup, cidr: '10.244.0.0/27', bitmap: Buffer.from([0x80, 0, 0, 0]).toString('base64'), handles: { '0': 'a' } }));
    await store.put(keys.block('10.99.0.0/26'), 'not json');

    const report = await n1.check();
    expect(report.ok).toBe(false);
    const kinds = report.problems.map((p) => p.kind).sort();
    expect(kinds).toEqual(['allocation-without-handle', 'allocation-without-handle', 'corrupt-record', 'duplicate-address', 'handle-without-allocation']);
    expect(report.problems).toContainEqual({ kind: 'duplicate-address', address: '10.244.0.0', blocks: ['10.244.0.0/26', '10.244.0.0/27'] });
    expect(report.problems).toContainEqual({ kind: 'handle-without-allocation', handle: 'ghost', block: '10.244.0.0/26', ordinal: 9 });
  });
});
