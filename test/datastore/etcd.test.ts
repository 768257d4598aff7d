// The compliance suite against a real etcd (Debian's etcd-server) on loopback, plus what only a
// networked store has: resuming watches across a server restart and failing fast when no
// endpoint answers.

import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdServer, ensurePackages, freePort, waitFor } from '../harness/index.js';
import {
  DatastoreUnavailableError,
  EtcdDatastore,
  type Datastore,
  type WatchEvent,
} from '../../src/datastore/index.js';
import { datastoreCompliance } from './compliance.js';

const skip = await ensurePackages(['etcd-server']);
if (skip !== undefined) console.warn(`etcd datastore tests skipped: ${skip}`);

describe.skipIf(skip !== undefined)('EtcdDatastore against a real etcd', () => {
  let server: EtcdServer;
  const clients: Datastore[] = [];

  beforeAll(async () => {
    server = await EtcdServer.launch();
  });

  afterAll(async () => {
    for (const c of clients) await c.close();
    await server?.destroy();
  });

  datastoreCompliance(() => ({
    open: async () => new EtcdDatastore({ endpoints: [server.endpoint], dialTimeoutMs: 1_000 }),
    // Lease time is real time here: a bounded wait on the clock itself.
    elapse: async (ms) => {
      const until = Date.now() + ms;
      await waitFor(() => Date.now() >= until, { timeoutMs: ms + 1_000, intervalMs: 50, what: `${ms} ms of lease time` });
    },
    compact: async (store, revision) => {
      if (!(store instanceof EtcdDatastore)) throw new Error('not an etcd store');
      await store.compact(revision);
    },
    leaseTtlSeconds: 2,
    waitMs: 5_000,
  }));

  it('resumes a watch across an etcd restart without losing or repeating events', async () => {
    const store = new EtcdDatastore({ endpoints: [server.endpoint], dialTimeoutMs: 300, requestTimeoutMs: 1_000 });
    clients.push(store);
    const p = `/wren-test/restart-${process.pid}/`;
    const w = store.watch(p);
    const events: WatchEvent[] = [];
    w.on('event', (e) => events.push(e));
    await w.ready;
    await store.put(`${p}1`, 'before');
    await waitFor(() => events.length === 1, { timeoutMs: 5_000, what: 'event before restart' });

    await server.stop();
    await expect(store.get(`${p}1`)).rejects.toBeInstanceOf(DatastoreUnavailableError);
    await server.start();
    // Written as soon as etcd is back, most likely before the watch has reconnected: the
    // resumed watch must replay it from its last revision.
    await waitFor(async () => (await store.put(`${p}2`, 'after')).revision > 0, { timeoutMs: 5_000, what: 'put after restart' });
    await store.put(`${p}3`, 'after');
    await waitFor(() => events.length >= 3, { timeoutMs: 8_000, what: 'events after restart' });
    await w.close();
    expect(events.map((e) => e.key)).toEqual([`${p}1`, `${p}2`, `${p}3`]);
  });

  it('fails fast with datastore-unavailable when nothing listens on the endpoint', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const store = new EtcdDatastore({ endpoints: [endpoint], dialTimeoutMs: 500 });
    clients.push(store);
    const started = Date.now();
    const err = await store.get('/k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatastoreUnavailableError);
    expect(err).toMatchObject({ code: 'datastore-unavailable', endpoints: [endpoint] });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('fails within the dial and request budget when the endpoint accepts but never answers', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const store = new EtcdDatastore({ endpoints: [`127.0.0.1:${address.port}`], dialTimeoutMs: 300, requestTimeoutMs: 300 });
    clients.push(store);
    try {
      const started = Date.now();
      await expect(store.txn([], [])).rejects.toBeInstanceOf(DatastoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
