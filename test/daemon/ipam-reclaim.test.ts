// A pod that runs on a node but has no handle record in IPAM (the node was deleted while it
// was down, or the handle released by hand): the daemon claims its addresses for it again.
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, MemoryDatastore } from '../../src/datastore/index.js';
import { keys, prefixes } from '../../src/datastore/keys.js';
import { Ipam, checkSnapshot, deletePool, releaseNode } from '../../src/ipam/index.js';
import { IpamAddresses } from '../../src/daemon/cluster/ipam-addresses.js';

describe('claiming a running pod its addresses again', () => {
  let clock: ManualClock;
  let store: MemoryDatastore;
  let n1: Ipam;
  let n2: Ipam;

  const clean = async (): Promise<void> => {
    const { kvs, revision } = await store.list(prefixes.ipam);
    expect(checkSnapshot(kvs, revision).problems).toEqual([]);
  };

  beforeEach(async () => {
    clock = new ManualClock(1_700_000_000_000);
    store = new MemoryDatastore({ clock });
    n1 = new Ipam(store, { node: 'n1', clock });
    n2 = new Ipam(store, { node: 'n2', clock });
    await n1.addPool({ cidr: '10.244.0.0/24' });
  });

  it('a pod add fails, naming the pools, when the IPv4 pools exist but are all disabled; with no IPv4 pool at all a dual-stack cluster gives IPv6 only', async () => {
    await n1.addPool({ cidr: 'fd00:10::/120' });
    const addresses = new IpamAddresses(n1);
    expect(await addresses.assign('p1', {})).toMatchObject({ ipv4: expect.stringMatching(/^10\.244\.0\./) as unknown, ipv6: expect.stringMatching(/^fd00:10::/) as unknown });
    await n1.setPoolDisabled('10.244.0.0/24', true);
    await expect(addresses.assign('p2', {})).rejects.toMatchObject({ code: 'pool-exhausted', message: 'no IPAM pool: no IPv4 pool (10.244.0.0/24 disabled)' });
    expect(await store.get(keys.handle('p2'))).toBeUndefined(); // nothing was allocated for it
    await addresses.release('p1');
    await deletePool(store, '10.244.0.0/24');
    expect(await addresses.assign('p3', {})).toMatchObject({ ipv4: null, ipv6: expect.stringMatching(/^fd00:10::/) as unknown });
    await clean();
  });

  it('gives a pod of a deleted node its address and its block back', async () => {
    const ip = await n2.autoAssign({ handle: 'pod-a', family: 4 });
    const [released] = (await releaseNode(store, 'n2', { clock })).releasedBlocks;
    expect(await store.get(keys.block(released!))).toBeUndefined();

    const r = await new IpamAddresses(n2).reclaim('pod-a', { ipv4: ip, ipv6: null });

    expect(r).toEqual({ reclaimed: [ip], taken: [] });
    expect(JSON.parse((await store.get(keys.handle('pod-a')))!.value)).toMatchObject({ handle: 'pod-a', node: 'n2' });
    expect(await n2.confirmedBlocks()).toEqual([released]);
    await clean();
  });

  it('reports an address another pod holds now, and changes nothing', async () => {
    const ip = await n2.autoAssign({ handle: 'pod-a', family: 4 });
    await releaseNode(store, 'n2', { clock });
    expect(await n1.assign({ handle: 'pod-b', address: ip })).toBe(ip); // handed out meanwhile
    const before = (await store.list(prefixes.ipam)).kvs;

    const r = await new IpamAddresses(n2).reclaim('pod-a', { ipv4: ip, ipv6: null });

    expect(r).toEqual({ reclaimed: [], taken: [{ address: ip, handle: 'pod-b' }] });
    expect((await store.list(prefixes.ipam)).kvs).toEqual(before);
  });

  it('does nothing for a pod whose handle record exists', async () => {
    const ip = await n2.autoAssign({ handle: 'pod-a', family: 4 });
    const before = (await store.list(prefixes.ipam)).kvs;
    expect(await new IpamAddresses(n2).reclaim('pod-a', { ipv4: ip, ipv6: null })).toEqual({ reclaimed: [], taken: [] });
    expect((await store.list(prefixes.ipam)).kvs).toEqual(before);
  });
});
