import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/datastore/index.js';
import { keys } from '../../src/datastore/keys.js';
import { Ipam, IpamGc, releaseAddress, type IpamGcInit } from '../../src/ipam/index.js';
import { InterleavingStore } from './interleaving-store.js';

const MIN = 60_000;

describe('IPAM garbage collection', () => {
  let clock: ManualClock;
  let store: InterleavingStore;
  let n1: Ipam;
  let n2: Ipam;
  const pods = new Set<string>();

  /** A node's liveness key on a 10 s lease that nobody keeps alive. */
  async function alive(node: string): Promise<void> {
    const lease = await store.grantLease(10);
    await store.put(keys.liveness(node), JSON.stringify({ since: 'now' }), { lease });
  }
  function gc(init: Partial<IpamGcInit> = {}): IpamGc {
    return new IpamGc(store, { node: 'n1', clock, validHandles: () => pods, deadNodeGraceMs: 10 * MIN, leakGraceMs: 5 * MIN, ...init });
  }

  beforeEach(async () => {
    clock = new ManualClock(1_700_000_000_000);
    store = new InterleavingStore({ clock });
    n1 = new Ipam(store, { node: 'n1', clock });
    n2 = new Ipam(store, { node: 'n2', clock });
    pods.clear();
    await n1.addPool({ cidr: '10.244.0.0/24' });
    await alive('n1');
    await alive('n2');
  });

  it("releases a dead node's empty block after the grace period, once two passes saw it empty", async () => {
    await n1.autoAssign({ handle: 'a', family: 4 });
    await n2.autoAssign({ handle: 'b', family: 4 });
    await n2.releaseByHandle('b');
    await store.put(keys.liveness('n1'), '{}'); // n1 stays alive (no lease)
    const collector = gc();

    clock.advance(11_000); // n2's lease ends
    expect(await store.get(keys.liveness('n2'))).toBeUndefined();
    const first = await collector.pass();
    expect(first.deadNodes).toEqual([{ node: 'n2', deadForMs: 0 }]);
    expect(first.releasedBlocks).toEqual([]);

    clock.advance(10 * MIN);
    expect((await collector.pass()).releasedBlocks).toEqual([]); // first sighting after grace
    const third = await collector.pass();
    expect(third.releasedBlocks).toEqual([{ node: 'n2', block: '10.244.0.64/26' }]);
    expect(await store.get(keys.block('10.244.0.64/26'))).toBeUndefined();
    expect(await store.get(keys.affinity('n2', '10.244.0.64/26'))).toBeUndefined();

    // The block is free again: a new node claims it.
    const n3 = new Ipam(store, { node: 'n3', clock });
    expect(await n3.autoAssign({ handle: 'c', family: 4 })).toBe('10.244.0.64');
    expect((await n1.check()).problems).toEqual([]);
  });

  it("never releases a dead node's block that still holds addresses (its pods may still run)", async () => {
    await n2.autoAssign({ handle: 'survivor', family: 4 });
    clock.advance(11_000);
    const collector = gc();
    for (let i = 0; i < 4; i++) {
      const r = await collector.pass();
      expect(r.releasedBlocks).toEqual([]);
      expect(r.releasedHandles).toEqual([]);
      clock.advance(20 * MIN);
    }
    const blocks = await n1.listBlocks();
    expect(blocks.find((b) => b.cidr === '10.244.0.0/26')?.allocations).toEqual([{ address: '10.244.0.0', handle: 'survivor' }]);
  });

  it('keeps the blocks of a node that comes back before the second sighting', async () => {
    await n2.autoAssign({ handle: 'b', family: 4 });
    await n2.releaseByHandle('b');
    clock.advance(11_000);
    const collector = gc();
    await collector.pass();
    clock.advance(10 * MIN);
    await collector.pass(); // first sighting
    await alive('n2');
    const r = await collector.pass();
    expect(r.releasedBlocks).toEqual([]);
    expect(r.deadNodes).toEqual([]);
    expect(await n2.confirmedBlocks()).toEqual(['10.244.0.0/26']);
    // Dead again: the grace period starts over.
    clock.advance(11_000);
    await collector.pass();
    await collector.pass();
    expect((await collector.pass()).releasedBlocks).toEqual([]);
  });

  it('starts over when the block changed between the two sightings', async () => {
    await n2.autoAssign({ handle: 'b', family: 4 });
    await n2.releaseByHandle('b');
    clock.advance(11_000);
    const collector = gc();
    await collector.pass();
    clock.advance(10 * MIN);
    await collector.pass(); // first sighting
    // Another node borrows an address from the block and gives it back: same content class
    // (empty), but a different revision.
    await n1.assign({ handle: 'borrow', address: '10.244.0.5' });
    await n1.releaseByHandle('borrow');
    expect((await collector.pass()).releasedBlocks).toEqual([]);
    expect((await collector.pass()).releasedBlocks).toEqual([{ node: 'n2', block: '10.244.0.0/26' }]);
  });

  it('loses harmlessly to an allocation landing between its snapshot and its write', async () => {
    await n2.autoAssign({ handle: 'b', family: 4 });
    await n2.releaseByHandle('b');
    clock.advance(11_000);
    const collector = gc();
    await collector.pass();
    clock.advance(10 * MIN);
    await collector.pass();
    store.beforeTxn = async () => {
      await n1.assign({ handle: 'late', address: '10.244.0.7' });
    };
    const r = await collector.pass();
    expect(r.releasedBlocks).toEqual([]);
    expect(r.conflicts).toBe(1);
    const blocks = await n1.listBlocks();
    expect(blocks.find((b) => b.cidr === '10.244.0.0/26')?.allocations).toEqual([{ address: '10.244.0.7', handle: 'late' }]);
    expect((await n1.check()).ok).toBe(true);
  });

  it('keeps released addresses cooling down: a block freed recently is not handed over', async () => {
    await n2.autoAssign({ handle: 'b', family: 4 });
    clock.advance(11_000); // n2 dies with a pod
    await n2.releaseByHandle('b'); // released later (e.g. by an operator)
    const collector = gc({ cooldownMs: 60 * MIN });
    for (let i = 0; i < 3; i++) {
      expect((await collector.pass()).releasedBlocks).toEqual([]);
      clock.advance(15 * MIN);
    }
    clock.advance(15 * MIN); // 60 minutes since the release
    expect((await collector.pass()).releasedBlocks).toEqual([]); // first sighting
    expect((await collector.pass()).releasedBlocks).toEqual([{ node: 'n2', block: '10.244.0.0/26' }]);
  });

  it("removes a dead node's unfinished (pending) claim", async () => {
    await store.put(keys.affinity('n2', '10.244.0.128/26'), JSON.stringify({ state: 'pending' }));
    clock.advance(11_000);
    const collector = gc();
    await collector.pass();
    clock.advance(10 * MIN);
    await collector.pass();
    expect((await collector.pass()).removedAffinities).toEqual([{ node: 'n2', block: '10.244.0.128/26', state: 'pending' }]);
    expect(await store.get(keys.affinity('n2', '10.244.0.128/26'))).toBeUndefined();
  });

  describe('leaked handles of this node', () => {
    /** Adds the allocating node to a handle record, as proposed for the allocator. */
    async function attribute(handle: string, node: string): Promise<void> {
      const kv = (await store.get(keys.handle(handle)))!;
      await store.put(kv.key, JSON.stringify({ ...JSON.parse(kv.value), node }));
    }

    /** A handle record written before records named their node. */
    async function unattribute(handle: string): Promise<void> {
      const kv = (await store.get(keys.handle(handle)))!;
      const { node: _node, ...rest } = JSON.parse(kv.value) as Record<string, unknown>;
      await store.put(kv.key, JSON.stringify(rest));
    }

    it('releases a handle of this node that no pod has, after the grace period and two passes', async () => {
      const addr = await n1.autoAssign({ handle: 'crashed-pod', family: 4 });
      await attribute('crashed-pod', 'n1');
      const collector = gc();
      expect((await collector.pass()).waiting).toBe(1);
      clock.advance(4 * MIN);
      expect((await collector.pass()).releasedHandles).toEqual([]); // grace not over
      clock.advance(MIN);
      expect((await collector.pass()).releasedHandles).toEqual([{ handle: 'crashed-pod', addresses: [addr] }]);
      expect(await store.get(keys.handle('crashed-pod'))).toBeUndefined();
      expect((await n1.check()).ok).toBe(true);
    });

    it('reports the pods of this node that IPAM has no handle record of', async () => {
      await n1.autoAssign({ handle: 'recorded', family: 4 });
      pods.add('recorded');
      pods.add('ghost'); // restored from the state file after its addresses were released
      expect((await gc().pass()).unrecordedPods).toEqual(['ghost']);
    });

    it('never touches a pod being created (allocated, recorded by the daemon a moment later)', async () => {
      await n1.autoAssign({ handle: 'new-pod', family: 4 });
      await attribute('new-pod', 'n1');
      const collector = gc();
      await collector.pass(); // sees it unknown
      pods.add('new-pod');
      clock.advance(10 * MIN);
      await collector.pass();
      clock.advance(10 * MIN);
      expect((await collector.pass()).releasedHandles).toEqual([]);
      expect(await store.get(keys.handle('new-pod'))).toBeDefined();
    });

    it("never releases another node's handle, nor one it cannot attribute", async () => {
      await n1.autoAssign({ handle: 'theirs', family: 4 });
      await attribute('theirs', 'n2');
      await n1.autoAssign({ handle: 'unattributed', family: 4 });
      await unattribute('unattributed');
      const collector = gc();
      for (let i = 0; i < 3; i++) {
        expect((await collector.pass()).releasedHandles).toEqual([]);
        clock.advance(10 * MIN);
      }
      expect((await n1.listBlocks())[0]?.allocations.map((a) => a.handle)).toEqual(['theirs', 'unattributed']);
    });

    it('attributes handles through handleOwner when the daemon has its own way to tell', async () => {
      await n1.autoAssign({ handle: 'n1:pod-a', family: 4 });
      await n1.autoAssign({ handle: 'n1:pod-b', family: 4 });
      pods.add('n1:pod-b');
      const collector = gc({ handleOwner: (h) => h.split(':')[0] });
      await collector.pass();
      clock.advance(5 * MIN);
      expect((await collector.pass()).releasedHandles).toEqual([{ handle: 'n1:pod-a', addresses: ['10.244.0.0'] }]);
    });

    it('releases an orphan allocation (no handle record at all) in its own block, not one of a running pod', async () => {
      await n1.autoAssign({ handle: 'orphan', family: 4 });
      await n1.autoAssign({ handle: 'running', family: 4 });
      await store.delete(keys.handle('orphan'));
      await store.delete(keys.handle('running'));
      pods.add('running');
      const collector = gc();
      await collector.pass();
      clock.advance(5 * MIN);
      expect((await collector.pass()).releasedOrphans).toEqual([{ block: '10.244.0.0/26', address: '10.244.0.0', handle: 'orphan' }]);
      expect((await n1.listBlocks())[0]?.allocations).toEqual([{ address: '10.244.0.1', handle: 'running' }]);
    });
  });

  describe('releaseAddress', () => {
    it('releases one address of a handle and keeps the rest of its record', async () => {
      await n1.addPool({ cidr: 'fd00:10::/64' });
      await n1.autoAssign({ handle: 'pod', family: 4 });
      await n1.autoAssign({ handle: 'pod', family: 6 });
      expect(await releaseAddress(store, '10.244.0.0', { clock })).toEqual({ address: '10.244.0.0', block: '10.244.0.0/26', handle: 'pod' });
      expect(JSON.parse((await store.get(keys.handle('pod')))!.value)).toEqual({ handle: 'pod', node: 'n1', blocks: { 'fd00:10::/122': [0] } });
      expect(await releaseAddress(store, 'fd00:10::', { clock })).toMatchObject({ handle: 'pod' });
      expect(await store.get(keys.handle('pod'))).toBeUndefined();
      expect((await n1.check()).ok).toBe(true);
    });

    it('returns undefined for an address that is not allocated', async () => {
      await n1.autoAssign({ handle: 'pod', family: 4 });
      expect(await releaseAddress(store, '10.244.0.9')).toBeUndefined();
      expect(await releaseAddress(store, '192.0.2.1')).toBeUndefined();
    });
  });
});
