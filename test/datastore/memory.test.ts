import { describe, expect, it } from 'vitest';
import { DatastoreClosedError, DatastoreUnavailableError, ManualClock, MemoryDatastore } from '../../src/datastore/index.js';
import { datastoreCompliance } from './compliance.js';

describe('MemoryDatastore', () => {
  const clock = new ManualClock();
  datastoreCompliance(() => ({
    open: async () => new MemoryDatastore({ clock }),
    elapse: async (ms) => clock.advance(ms),
    compact: async (store, revision) => {
      if (!(store instanceof MemoryDatastore)) throw new Error('not a memory store');
      await store.compact(revision);
    },
    leaseTtlSeconds: 2,
    waitMs: 1_000,
  }));

  it('fails requests with the named error while simulating an outage, and after close', async () => {
    const store = new MemoryDatastore({ clock });
    store.setUnavailable(true);
    await expect(store.get('/k')).rejects.toBeInstanceOf(DatastoreUnavailableError);
    await expect(store.put('/k', 'v')).rejects.toMatchObject({ code: 'datastore-unavailable' });
    store.setUnavailable(false);
    await store.put('/k', 'v');
    await store.close();
    await expect(store.get('/k')).rejects.toBeInstanceOf(DatastoreClosedError);
  });

  it('starts at revision 1 like a fresh etcd and expires a lease only after its whole TTL', async () => {
    const store = new MemoryDatastore({ clock });
    expect((await store.list('')).revision).toBe(1);
    const lease = await store.grantLease(3);
    await store.put('/k', 'v', { lease });
    clock.advance(2_999);
    expect(await store.get('/k')).toBeDefined();
    clock.advance(1);
    expect(await store.get('/k')).toBeUndefined();
    await store.close();
  });
});
