// The compliance suite against a real etcd (Debian's etcd-server) on loopback, through etcd's
// JSON gateway, plus what only a networked store has: resuming watches across a server restart,
// failing fast when no endpoint answers, failing over to an endpoint that does (also when one
// goes silent under a watch), TLS with client certificates, and username/password authentication.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdServer, ensurePackages, freePort, run, spawnDaemon, waitFor, type Daemon } from '../harness/index.js';
import {
  DatastoreAuthError,
  DatastoreConfigError,
  DatastoreUnavailableError,
  EtcdHttpDatastore,
  type Datastore,
  type WatchEvent,
} from '../../src/datastore/index.js';
import { LineSplitter } from '../../src/datastore/etcd-http-lines.js';
import { datastoreCompliance } from './compliance.js';

const skip = await ensurePackages(['etcd-server']);
if (skip !== undefined) console.warn(`etcd HTTP datastore tests skipped: ${skip}`);

describe.skipIf(skip !== undefined)('EtcdHttpDatastore against a real etcd', () => {
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
    open: async () => new EtcdHttpDatastore({ endpoints: [server.endpoint], dialTimeoutMs: 1_000 }),
    // Lease time is real time here: a bounded wait on the clock itself.
    elapse: async (ms) => {
      const until = Date.now() + ms;
      await waitFor(() => Date.now() >= until, { timeoutMs: ms + 1_000, intervalMs: 50, what: `${ms} ms of lease time` });
    },
    compact: async (store, revision) => {
      if (!(store instanceof EtcdHttpDatastore)) throw new Error('not an etcd HTTP store');
      await store.compact(revision);
    },
    leaseTtlSeconds: 2,
    waitMs: 5_000,
  }));

  it('resumes a watch across an etcd restart without losing or repeating events', async () => {
    const store = new EtcdHttpDatastore({ endpoints: [server.endpoint], dialTimeoutMs: 300, requestTimeoutMs: 1_000 });
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
    const store = new EtcdHttpDatastore({ endpoints: [endpoint], dialTimeoutMs: 500 });
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
    const store = new EtcdHttpDatastore({ endpoints: [`127.0.0.1:${address.port}`], dialTimeoutMs: 300, requestTimeoutMs: 300 });
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

  it('fails over to the next endpoint when the first refuses, for calls and watches', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const store = new EtcdHttpDatastore({ endpoints: [dead, server.endpoint], dialTimeoutMs: 500 });
    clients.push(store);
    const p = `/wren-test/failover-${process.pid}/`;
    const w = store.watch(p);
    const events: WatchEvent[] = [];
    w.on('event', (e) => events.push(e));
    let ready = false;
    void w.ready.then(() => (ready = true));
    await waitFor(() => ready, { timeoutMs: 5_000, what: 'watch created on the live endpoint' });
    const put = await store.put(`${p}a`, '1');
    expect(await store.get(`${p}a`)).toMatchObject({ value: '1', modRevision: put.revision });
    await waitFor(() => events.length >= 1, { timeoutMs: 5_000, what: 'watch event via the live endpoint' });
    await w.close();
    expect(events).toEqual([expect.objectContaining({ type: 'put', key: `${p}a`, modRevision: put.revision })]);
  });

  it('notices a watch whose endpoint went silent and carries on through another, missing nothing', async () => {
    const proxy = await freezableProxy(server.clientPort);
    const store = new EtcdHttpDatastore(
      { endpoints: [proxy.endpoint, server.endpoint], dialTimeoutMs: 300, requestTimeoutMs: 700 },
      { watchIdleProbeMs: 500 },
    );
    const writer = new EtcdHttpDatastore({ endpoints: [server.endpoint] });
    clients.push(store, writer);
    try {
      const p = `/wren-test/silent-${process.pid}/`;
      const w = store.watch(p);
      const events: WatchEvent[] = [];
      w.on('event', (e) => events.push(e));
      await w.ready;
      await writer.put(`${p}1`, 'through the proxy');
      await waitFor(() => events.length === 1, { timeoutMs: 5_000, what: 'event through the proxy' });
      // Like a host that vanished: connections stay open, nothing comes back.
      proxy.freeze();
      await writer.put(`${p}2`, 'while silent');
      await writer.put(`${p}3`, 'while silent');
      await waitFor(() => events.length >= 3, { timeoutMs: 8_000, what: 'events through the other endpoint' });
      expect(events.map((e) => e.key)).toEqual([`${p}1`, `${p}2`, `${p}3`]);
      // Calls started now skip the silent endpoint too.
      expect((await store.put(`${p}4`, 'x')).revision).toBeGreaterThan(0);
      await w.close();
    } finally {
      await proxy.close();
    }
  });

  it('refuses options that cannot work, naming what is wrong', () => {
    expect(() => new EtcdHttpDatastore({ endpoints: [] })).toThrow(DatastoreConfigError);
    expect(() => new EtcdHttpDatastore({ endpoints: ['https://127.0.0.1:2379'] })).toThrow(/https endpoints need tls.ca/);
    expect(() => new EtcdHttpDatastore({ endpoints: ['unix:///run/etcd.sock'] })).toThrow(/scheme unix/);
    expect(() => new EtcdHttpDatastore({ endpoints: ['http://127.0.0.1:2379/v3'] })).toThrow(/only scheme, host and port/);
    expect(() => new EtcdHttpDatastore({ endpoints: ['127.0.0.1:2379'], username: 'root' })).toThrow(/username and password/);
    expect(() => new EtcdHttpDatastore({ endpoints: ['127.0.0.1:2379'], dialTimeoutMs: 0 })).toThrow(/dialTimeoutMs/);
    const tls = { ca: '/nonexistent/ca.pem' };
    expect(() => new EtcdHttpDatastore({ endpoints: ['127.0.0.1:2379'], tls })).toThrow(/tls.ca \/nonexistent/);
  });

  describe('over TLS with a client certificate', () => {
    let dir: string;
    let etcd: Daemon | undefined;
    let endpoint: string;
    const file = (name: string): string => join(dir, name);

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'wren-etcd-tls-'));
      await makeCertificates(dir);
      const [clientPort, peerPort] = [await freePort(), await freePort()];
      endpoint = `https://127.0.0.1:${clientPort}`;
      const peer = `http://127.0.0.1:${peerPort}`;
      // etcd's gateway reaches etcd's own gRPC server with the server certificate, so that one
      // is also good for client auth (see makeCertificates).
      etcd = spawnDaemon(
        'etcd',
        [
          '--name', 'wren-tls',
          '--data-dir', file('data'),
          '--listen-client-urls', endpoint,
          '--advertise-client-urls', endpoint,
          '--listen-peer-urls', peer,
          '--initial-advertise-peer-urls', peer,
          '--initial-cluster', `wren-tls=${peer}`,
          '--cert-file', file('server.pem'),
          '--key-file', file('server.key'),
          '--trusted-ca-file', file('ca.pem'),
          '--client-cert-auth',
          '--log-level', 'warn',
        ],
        { logFile: file('etcd.log'), name: 'etcd (TLS)' },
      );
      const probe = new EtcdHttpDatastore({ endpoints: [endpoint], tls: tlsFiles(), dialTimeoutMs: 200, requestTimeoutMs: 500 });
      try {
        await waitFor(
          async () => {
            etcd?.assertRunning();
            return (await probe.list('/')).revision > 0;
          },
          { timeoutMs: 10_000, intervalMs: 50, what: 'etcd with TLS to answer' },
        );
      } finally {
        await probe.close();
      }
    });

    afterAll(async () => {
      await etcd?.stop(3_000);
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    const tlsFiles = (): { ca: string; cert: string; key: string } => ({
      ca: file('ca.pem'),
      cert: file('client.pem'),
      key: file('client.key'),
    });

    it('reads, writes, watches and keeps leases alive with the client certificate', async () => {
      const store = new EtcdHttpDatastore({ endpoints: [endpoint], tls: tlsFiles() });
      clients.push(store);
      const w = store.watch('/tls/');
      const events: WatchEvent[] = [];
      w.on('event', (e) => events.push(e));
      await w.ready;
      const lease = await store.grantLease(2);
      const ka = store.keepAlive(lease);
      const put = await store.put('/tls/k', 'v', { lease });
      expect(await store.get('/tls/k')).toMatchObject({ value: 'v', modRevision: put.revision, lease });
      await waitFor(() => events.length >= 1, { timeoutMs: 5_000, what: 'watch event over TLS' });
      ka.stop();
      await store.revokeLease(lease);
      await w.close();
      expect(events[0]).toMatchObject({ type: 'put', key: '/tls/k', value: 'v' });
    });

    it('takes a bare host:port as https when TLS is configured, and is refused without a client certificate', async () => {
      const bare = endpoint.replace('https://', '');
      const store = new EtcdHttpDatastore({ endpoints: [bare], tls: tlsFiles() });
      const noCert = new EtcdHttpDatastore({ endpoints: [bare], tls: { ca: file('ca.pem') }, dialTimeoutMs: 500 });
      clients.push(store, noCert);
      expect((await store.list('/tls/')).revision).toBeGreaterThan(0);
      await expect(noCert.get('/tls/k')).rejects.toBeInstanceOf(DatastoreUnavailableError);
    });
  });

  describe('with authentication enabled', () => {
    let authServer: EtcdServer;
    const rootPassword = 'wren-root-pw';

    // Users and roles through the gateway itself (no etcdctl needed).
    const admin = async (path: string, body: object, token?: string): Promise<object> => {
      const res = await fetch(`${authServer.endpoint}${path}`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: token === undefined ? {} : { authorization: token },
      });
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as object;
    };
    const rootToken = async (): Promise<string> => {
      const res = await admin('/v3/auth/authenticate', { name: 'root', password: rootPassword });
      if (!('token' in res) || typeof res.token !== 'string') throw new Error('no token');
      return res.token;
    };

    beforeAll(async () => {
      authServer = await EtcdServer.launch();
      // Root must exist, with the root role, before auth can be enabled.
      await admin('/v3/auth/user/add', { name: 'root', password: rootPassword });
      await admin('/v3/auth/user/grant', { user: 'root', role: 'root' });
      await admin('/v3/auth/enable', {});
    });

    afterAll(async () => {
      await authServer?.destroy();
    });

    it('authenticates with username and password for calls, watches and keep-alives', async () => {
      const store = new EtcdHttpDatastore({ endpoints: [authServer.endpoint], username: 'root', password: rootPassword });
      clients.push(store);
      const w = store.watch('/auth/');
      const events: WatchEvent[] = [];
      w.on('event', (e) => events.push(e));
      await w.ready;
      const lease = await store.grantLease(2);
      await store.put('/auth/k', 'v', { lease });
      const ka = store.keepAlive(lease);
      expect(await store.get('/auth/k')).toMatchObject({ value: 'v', lease });
      await waitFor(() => events.length >= 1, { timeoutMs: 5_000, what: 'watch event with auth' });
      ka.stop();
      await store.revokeLease(lease);
      await w.close();
      expect(events[0]).toMatchObject({ type: 'put', key: '/auth/k' });
    });

    it('authenticates again when etcd stops honouring its token, for calls and watches', async () => {
      const store = new EtcdHttpDatastore({ endpoints: [authServer.endpoint], username: 'root', password: rootPassword });
      clients.push(store);
      await store.put('/auth/r', '1');
      // Turning auth off and on again drops every token etcd has issued (as a restart does).
      await admin('/v3/auth/disable', {}, await rootToken());
      await admin('/v3/auth/enable', {});
      // etcd cancels a watch created with the stale token; the watcher renews it and goes on.
      const w = store.watch('/auth/');
      const events: WatchEvent[] = [];
      w.on('event', (e) => events.push(e));
      const errors: unknown[] = [];
      w.on('error', (e) => errors.push(e));
      let ready = false;
      void w.ready.then(() => (ready = true));
      await waitFor(() => ready, { timeoutMs: 5_000, what: 'watch created with a fresh token' });
      await admin('/v3/auth/disable', {}, await rootToken());
      await admin('/v3/auth/enable', {});
      const put = await store.put('/auth/r', '2');
      expect(await store.get('/auth/r')).toMatchObject({ value: '2', modRevision: put.revision });
      await waitFor(() => events.length >= 1, { timeoutMs: 5_000, what: 'watch event' });
      await w.close();
      expect(errors).toEqual([]);
      expect(events).toEqual([expect.objectContaining({ key: '/auth/r', value: '2' })]);
    });

    it('reports a wrong password or a missing login as datastore-auth-failed', async () => {
      const wrong = new EtcdHttpDatastore({ endpoints: [authServer.endpoint], username: 'root', password: 'nope' });
      const anonymous = new EtcdHttpDatastore({ endpoints: [authServer.endpoint] });
      clients.push(wrong, anonymous);
      await expect(wrong.get('/auth/k')).rejects.toBeInstanceOf(DatastoreAuthError);
      await expect(anonymous.put('/auth/k', 'x')).rejects.toMatchObject({ code: 'datastore-auth-failed' });
    });
  });
});

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate (EC P-256). */
async function makeCertificates(dir: string): Promise<void> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const at = (name: string): string => join(dir, name);
  await run('openssl', ['req', '-x509', ...ec, '-keyout', at('ca.key'), '-out', at('ca.pem'), '-days', '1', '-subj', '/CN=wren-test-ca']);
  const issue = async (name: string, cn: string, ext: string): Promise<void> => {
    writeFileSync(at(`${name}.ext`), ext);
    await run('openssl', ['req', ...ec, '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`), '-subj', `/CN=${cn}`]);
    await run('openssl', [
      'x509', '-req', '-in', at(`${name}.csr`), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial',
      '-out', at(`${name}.pem`), '-days', '1', '-extfile', at(`${name}.ext`),
    ]);
  };
  await issue('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  await issue('client', 'wren-test-client', 'extendedKeyUsage=clientAuth\n');
}

/** A TCP relay to etcd that can stop relaying while keeping every connection open. */
async function freezableProxy(port: number): Promise<{ endpoint: string; freeze(): void; close(): Promise<void> }> {
  let frozen = false;
  const sockets = new Set<Socket>();
  const relay: Server = createServer((client) => {
    sockets.add(client);
    client.on('error', () => client.destroy());
    if (frozen) return;
    const upstream = connect(port, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (d) => frozen || upstream.write(d));
    upstream.on('data', (d) => frozen || client.write(d));
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const address = relay.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    freeze: () => (frozen = true),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}

describe('LineSplitter', () => {
  it('returns the same messages however the stream is cut', () => {
    const messages = [
      '{"result":{"created":true}}',
      '{"result":{"events":[{"kv":{"key":"L2E="}}]}}',
      '{"error":{"grpc_code":14,"message":"x\\ny"}}',
    ];
    const stream = messages.map((m) => `${m}\n`).join('');
    for (let cut = 0; cut <= stream.length; cut++) {
      for (let cut2 = cut; cut2 <= stream.length; cut2++) {
        const s = new LineSplitter();
        const out = [...s.push(stream.slice(0, cut)), ...s.push(stream.slice(cut, cut2)), ...s.push(stream.slice(cut2))];
        expect(out).toEqual(messages);
        expect(s.pending).toBe('');
      }
    }
  });
});
