import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/datastore/index.js';
import { keys, prefixes } from '../../src/datastore/keys.js';
import { Ipam, IpamNoPoolError, IpamPoolInUseError, IpamUnknownPoolError, type IpamCheckReport, deletePool } from '../../src/ipam/index.js';
import { InterleavingStore, checkStore } from './interleaving-store.js';

describe('deleting a pool (wren pool del)', () => {
  let clock: ManualClock;
  let store: InterleavingStore;
  let n1: Ipam;
  let n2: Ipam;

  const check = (): Promise<IpamCheckReport> => checkStore(store);
  const poolRecord = async (cidr: string): Promise<Record<string, unknown> | undefined> => {
    const kv = await store.get(keys.pool(cidr));
    return kv === undefined ? undefined : (JSON.parse(kv.value) as Record<string, unknown>);
  };

  beforeEach(async () => {
    clock = new ManualClock(1_700_000_000_000);
    store = new InterleavingStore({ clock });
    n1 = new Ipam(store, { node: 'n1', clock });
    n2 = new Ipam(store, { node: 'n2', clock });
    await n1.addPool({ cidr: '10.244.0.0/24', blockSize: 26 });
    await n1.addPool({ cidr: '10.245.0.0/24', blockSize: 26 });
  });

  it('deletes an emptied pool with its blocks and their affinities; the other pool and its pods stay', async () => {
    await n1.autoAssign({ handle: 'a', family: 4, pool: '10.244.0.0/24' });
    await n2.autoAssign({ handle: 'b', family: 4, pool: '10.244.0.0/24' });
    const keep = await n2.autoAssign({ handle: 'keep', family: 4, pool: '10.245.0.0/24' });
    // A claim n2 never finished: a pending affinity to a block of the pool that does not exist.
    await store.put(keys.affinity('n2', '10.244.0.192/26'), JSON.stringify({ state: 'pending' }));
    for (const h of ['a', 'b']) await n1.releaseByHandle(h);

    const r = await deletePool(store, '10.244.0.0/24');

    expect(r.blocks).toEqual(['10.244.0.0/26', '10.244.0.64/26']);
    expect(r.affinities).toEqual(
      expect.arrayContaining([
        { node: 'n1', block: '10.244.0.0/26' },
        { node: 'n2', block: '10.244.0.64/26' },
        { node: 'n2', block: '10.244.0.192/26' },
      ]),
    );
    expect(r.affinities).toHaveLength(3);
    expect(await poolRecord('10.244.0.0/24')).toBeUndefined();
    const left = (await store.list(prefixes.ipam)).kvs.map((kv) => kv.key);
    expect(left.filter((k) => k.includes('10.244.'))).toEqual([]);
    expect(await store.get(keys.handle('keep'))).toBeDefined();
    expect((await check()).problems).toEqual([]);
    // Allocation goes on from the pool that is left.
    expect(await n1.autoAssign({ handle: 'c', family: 4 })).toMatch(/^10\.245\.0\./);
    expect(keep).toMatch(/^10\.245\.0\./);
  });

  it('refuses a pool with addresses still allocated, naming the holders, and changes nothing', async () => {
    await n1.autoAssign({ handle: 'pod-a', family: 4, pool: '10.244.0.0/24' });
    await n2.autoAssign({ handle: 'pod-b', family: 4, pool: '10.244.0.0/24' });
    const before = (await store.list(prefixes.ipam)).kvs;

    const e = await deletePool(store, '10.244.0.0/24').catch((x: unknown) => x);

    expect(e).toBeInstanceOf(IpamPoolInUseError);
    expect((e as Error).message).toBe(
      'pool 10.244.0.0/24 still has 2 addresses allocated (handles: pod-a, pod-b); delete those pods, or release them with "wren ipam release --handle H", then delete the pool',
    );
    expect((await store.list(prefixes.ipam)).kvs).toEqual(before);
    expect(await n1.autoAssign({ handle: 'pod-c', family: 4, pool: '10.244.0.0/24' })).toMatch(/^10\.244\.0\./);
  });

  it('names the pools there are when asked for one that is not', async () => {
    await expect(deletePool(store, '10.246.0.0/24')).rejects.toThrow(new IpamUnknownPoolError('10.246.0.0/24', ['10.244.0.0/24', '10.245.0.0/24']));
    await expect(deletePool(store, '10.246.0.1/24')).rejects.toThrow(/host bits set/);
  });

  it('an allocation that lands between the read and the mark makes it refuse, and the mark is taken back', async () => {
    store.beforeTxn = async () => {
      await n2.autoAssign({ handle: 'late', family: 4, pool: '10.244.0.0/24' });
    };
    await expect(deletePool(store, '10.244.0.0/24')).rejects.toThrow(/still has 1 address allocated \(handles: late\)/);
    expect(await poolRecord('10.244.0.0/24')).toEqual({ cidr: '10.244.0.0/24', blockSize: 26, strictAffinity: false });
    expect((await check()).problems).toEqual([]);
  });

  it('a claim in flight when the pool is deleted creates no block: the pool it read has changed', async () => {
    // n2 has read the pools (its snapshot) when the whole deletion runs, before n2's first write.
    store.beforeTxn = async () => {
      await deletePool(store, '10.244.0.0/24');
    };
    await expect(n2.autoAssign({ handle: 'x', family: 4, pool: '10.244.0.0/24' })).rejects.toThrow(IpamNoPoolError);
    expect(await poolRecord('10.244.0.0/24')).toBeUndefined();
    const left = (await store.list(prefixes.ipam)).kvs.map((kv) => kv.key);
    expect(left.filter((k) => k.includes('10.244.'))).toEqual([]);
    expect((await check()).problems).toEqual([]);
  });

  it('a disabled pool gives no address automatically, not even from a block with room; its pods keep theirs; pool del keeps the flag', async () => {
    const a = await n1.autoAssign({ handle: 'a', family: 4, pool: '10.244.0.0/24' });
    expect(await n1.setPoolDisabled('10.244.0.0/24', true)).toBe(true);
    expect(await n1.setPoolDisabled('10.244.0.0/24', true)).toBe(false);
    // n1's block in it has 63 free addresses, yet the next pod comes from the other pool.
    expect(await n1.autoAssign({ handle: 'b', family: 4 })).toMatch(/^10\.245\.0\./);
    await expect(n1.autoAssign({ handle: 'c', family: 4, pool: '10.244.0.0/24' })).rejects.toThrow('no IPAM pool: pool 10.244.0.0/24 is disabled');
    // An explicit address is still given (a pod asking for it, a restored pod reclaiming it).
    expect(await n2.assign({ handle: 'd', address: '10.244.0.100' })).toBe('10.244.0.100');
    expect(await store.get(keys.handle('a'))).toBeDefined();
    // A refused pool del takes back its own mark only: the pool stays disabled.
    await expect(deletePool(store, '10.244.0.0/24')).rejects.toThrow(IpamPoolInUseError);
    expect(await poolRecord('10.244.0.0/24')).toEqual({ cidr: '10.244.0.0/24', blockSize: 26, strictAffinity: false, disabled: true });
    expect(a).toBe('10.244.0.0');
    // With every IPv4 pool disabled, the error says why.
    await n1.setPoolDisabled('10.245.0.0/24', true);
    await expect(n1.autoAssign({ handle: 'e', family: 4 })).rejects.toThrow('no IPAM pool: no IPv4 pool (10.244.0.0/24 disabled, 10.245.0.0/24 disabled)');
    expect(await n1.setPoolDisabled('10.245.0.0/24', false)).toBe(true);
    expect(await n1.autoAssign({ handle: 'e', family: 4 })).toMatch(/^10\.245\.0\./);
    await expect(n1.setPoolDisabled('10.246.0.0/24', true)).rejects.toThrow(IpamUnknownPoolError);
    expect((await check()).problems).toEqual([]);
  });

  it('a pool being deleted gives no address; a deletion that was interrupted completes when run again', async () => {
    await n1.autoAssign({ handle: 'a', family: 4, pool: '10.244.0.0/24' });
    await n1.releaseByHandle('a');
    // What an interrupted `pool del` leaves: the mark, the blocks still there.
    await store.put(keys.pool('10.244.0.0/24'), JSON.stringify({ cidr: '10.244.0.0/24', blockSize: 26, strictAffinity: false, deleting: true }));
    await expect(n2.autoAssign({ handle: 'x', family: 4, pool: '10.244.0.0/24' })).rejects.toThrow('no IPAM pool: pool 10.244.0.0/24 is being deleted');
    await expect(n2.assign({ handle: 'y', address: '10.244.0.7' })).rejects.toThrow('no IPAM pool: pool 10.244.0.0/24 is being deleted');
    // Auto-assignment without a pool skips it; with no other pool of the family it says why.
    expect(await n1.autoAssign({ handle: 'z', family: 4 })).toMatch(/^10\.245\.0\./);

    const r = await deletePool(store, '10.244.0.0/24');
    expect(r.blocks).toEqual(['10.244.0.0/26']);
    await n1.releaseByHandle('z');
    await deletePool(store, '10.245.0.0/24');
    await expect(n1.autoAssign({ handle: 'w', family: 4 })).rejects.toThrow('no IPAM pool: no IPv4 pool');
    expect((await check()).problems).toEqual([]);
  });
});
