// One behavioural suite for every Datastore adapter: each adapter's test file calls
// `datastoreCompliance` with a target that opens a store, lets lease time pass (a manual clock
// for memory, real time for etcd) and compacts history. Tests use a fresh key prefix each, so an
// etcd target can share one server across the whole suite.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/index.js';
import {
  cmp,
  DatastoreCompactedError,
  DatastoreRequestError,
  LeaseLostError,
  LeaseNotFoundError,
  op,
  resyncingWatch,
  type Datastore,
  type ResyncOrigin,
  type WatchEvent,
  type Watcher,
} from '../../src/datastore/index.js';

export interface ComplianceTarget {
  /** A client for the store under test (a fresh store, or a new client of a shared one). */
  open(): Promise<Datastore>;
  /** Lets at least `ms` of lease time pass. */
  elapse(ms: number): Promise<void>;
  /** Discards history before `revision` on the store `open()` returns. */
  compact(store: Datastore, revision: number): Promise<void>;
  /** Lease TTL the lease tests use (etcd's minimum is about 2 s). */
  readonly leaseTtlSeconds: number;
  /** Bound on any wait for something the store does by itself (lease expiry, event delivery). */
  readonly waitMs: number;
}

let prefixCounter = 0;

function collect(w: Watcher): WatchEvent[] {
  const events: WatchEvent[] = [];
  w.on('event', (e) => events.push(e));
  return events;
}

function brief(e: WatchEvent): string {
  return e.type === 'put' ? `put ${e.key}=${e.value}` : `delete ${e.key}`;
}

export function datastoreCompliance(getTarget: () => ComplianceTarget): void {
  let store: Datastore;
  let p: string;
  let t: ComplianceTarget;
  const until = <T>(fn: () => Promise<T | undefined | false> | T | undefined | false, what: string): Promise<T> =>
    waitFor(fn, { timeoutMs: t.waitMs, intervalMs: 20, what });

  beforeEach(async () => {
    t = getTarget();
    store = await t.open();
    prefixCounter += 1;
    p = `/wren-test/${process.pid}-${prefixCounter}-${Math.random().toString(36).slice(2, 8)}/`;
  });
  afterEach(async () => {
    await store.close();
  });

  describe('keys and revisions', () => {
    it('tracks create/mod revision and version across put, get, list and delete', async () => {
      const r1 = await store.put(`${p}a`, '{"n":1}');
      const a1 = await store.get(`${p}a`);
      expect(a1).toEqual({ key: `${p}a`, value: '{"n":1}', createRevision: r1.revision, modRevision: r1.revision, version: 1, lease: undefined });

      const r2 = await store.put(`${p}a`, '{"n":2}');
      expect(r2.revision).toBeGreaterThan(r1.revision);
      expect(await store.get(`${p}a`)).toMatchObject({ createRevision: r1.revision, modRevision: r2.revision, version: 2 });

      await store.put(`${p}c`, 'C');
      await store.put(`${p}b`, 'B');
      await store.put(`${p.slice(0, -1)}x`, 'outside the prefix');
      const list = await store.list(p);
      expect(list.kvs.map((kv) => kv.key)).toEqual([`${p}a`, `${p}b`, `${p}c`]);
      expect(list.revision).toBeGreaterThanOrEqual(list.kvs[2]!.modRevision);

      const del = await store.delete(`${p}a`);
      expect(del.deleted).toBe(1);
      expect(del.revision).toBe(list.revision + 1);
      expect(await store.get(`${p}a`)).toBeUndefined();
      // Deleting nothing is not a write: the revision does not move.
      const again = await store.delete(`${p}a`);
      expect(again).toEqual({ deleted: 0, revision: del.revision });

      // A re-created key starts a new life: version 1, new createRevision.
      const r3 = await store.put(`${p}a`, 'again');
      expect(await store.get(`${p}a`)).toMatchObject({ createRevision: r3.revision, version: 1 });
    });

    it('lists nothing under an unused prefix and treats the prefix literally', async () => {
      await store.put(`${p}ab`, '1');
      expect((await store.list(`${p}zz`)).kvs).toEqual([]);
      expect((await store.list(`${p}a`)).kvs.map((kv) => kv.value)).toEqual(['1']);
      expect((await store.list(`${p}ab/`)).kvs).toEqual([]);
    });
  });

  describe('transactions', () => {
    it('swaps on an unchanged modRevision and refuses a stale one, running the failure branch', async () => {
      const k = `${p}block`;
      await store.put(k, 'v1');
      const seen = (await store.get(k))!;
      const ok = await store.txn([cmp.modRevision(k, '==', seen.modRevision)], [op.put(k, 'v2')]);
      expect(ok.succeeded).toBe(true);
      expect((await store.get(k))!.modRevision).toBe(ok.revision);

      const stale = await store.txn([cmp.unchanged(k, seen)], [op.put(k, 'v3')], [op.get(k)]);
      expect(stale.succeeded).toBe(false);
      expect(stale.revision).toBe(ok.revision);
      expect(stale.results).toEqual([{ kind: 'get', kv: expect.objectContaining({ value: 'v2', version: 2 }) }]);
      expect((await store.get(k))!.value).toBe('v2');
    });

    it('creates if absent exactly once', async () => {
      const k = `${p}affinity`;
      const first = await store.txn([cmp.absent(k)], [op.put(k, 'node-1')], [op.get(k)]);
      const second = await store.txn([cmp.absent(k)], [op.put(k, 'node-2')], [op.get(k)]);
      expect(first.succeeded).toBe(true);
      expect(first.results).toEqual([{ kind: 'put' }]);
      expect(second.succeeded).toBe(false);
      expect(second.results).toEqual([{ kind: 'get', kv: expect.objectContaining({ value: 'node-1' }) }]);
      expect(cmp.unchanged(k, undefined)).toEqual(cmp.absent(k));
    });

    it('compares version, createRevision, value and existence; a value compare on a missing key fails', async () => {
      const k = `${p}k`;
      const w = await store.put(k, 'pending');
      const yes = await store.txn(
        [cmp.version(k, '==', 1), cmp.createRevision(k, '==', w.revision), cmp.value(k, '==', 'pending'), cmp.exists(k), cmp.version(k, '<', 2)],
        [op.put(k, 'confirmed'), op.delete(`${p}other`), op.get(k)],
      );
      expect(yes.succeeded).toBe(true);
      // Reads inside a branch see the branch's own earlier writes.
      expect(yes.results).toEqual([
        { kind: 'put' },
        { kind: 'delete', deleted: 0 },
        { kind: 'get', kv: expect.objectContaining({ value: 'confirmed', version: 2, modRevision: yes.revision }) },
      ]);
      expect((await store.txn([cmp.value(k, '!=', 'confirmed')], [op.delete(k)])).succeeded).toBe(false);
      expect((await store.txn([cmp.value(k, '>', 'a')], [])).succeeded).toBe(true);
      expect((await store.txn([cmp.value(`${p}missing`, '!=', 'x')], [])).succeeded).toBe(false);
      expect((await store.txn([cmp.version(`${p}missing`, '==', 0), cmp.modRevision(`${p}missing`, '==', 0)], [])).succeeded).toBe(true);
    });

    it('applies a branch atomically at one revision', async () => {
      const before = await store.put(`${p}x`, '0');
      const r = await store.txn([], [op.put(`${p}a`, '1'), op.put(`${p}b`, '2'), op.delete(`${p}x`)]);
      expect(r.revision).toBe(before.revision + 1);
      const list = await store.list(p);
      expect(list.kvs.map((kv) => [kv.key, kv.modRevision])).toEqual([
        [`${p}a`, r.revision],
        [`${p}b`, r.revision],
      ]);
    });

    it('rejects a branch that writes the same key twice, changing nothing', async () => {
      await expect(store.txn([], [op.put(`${p}a`, '1'), op.put(`${p}a`, '2')])).rejects.toBeInstanceOf(DatastoreRequestError);
      expect(await store.get(`${p}a`)).toBeUndefined();
    });

    it('ends 100 parallel compare-and-swap increments at exactly 100', async () => {
      const k = `${p}counter`;
      await store.put(k, '0');
      let conflicts = 0;
      const increment = async (): Promise<void> => {
        let current = await store.get(k);
        for (;;) {
          const next = String(Number(current!.value) + 1);
          const r = await store.txn([cmp.unchanged(k, current)], [op.put(k, next)], [op.get(k)]);
          if (r.succeeded) return;
          conflicts += 1;
          const got = r.results[0];
          current = got?.kind === 'get' ? got.kv : await store.get(k);
        }
      };
      await Promise.all(Array.from({ length: 100 }, increment));
      const final = (await store.get(k))!;
      expect(final.value).toBe('100');
      expect(final.version).toBe(101);
      expect(conflicts).toBeGreaterThanOrEqual(0);
    });
  });

  describe('watch', () => {
    it('replays from a revision, in order, then delivers live events', async () => {
      const r1 = await store.put(`${p}a`, '1');
      await store.put(`${p}b`, '2');
      await store.delete(`${p}a`);
      const tx = await store.txn([], [op.put(`${p}c`, '3'), op.put(`${p}d`, '4')]);
      await store.put(`/elsewhere${p}`, 'not watched');

      const w = store.watch(p, { fromRevision: r1.revision });
      const events = collect(w);
      await w.ready;
      await until(() => events.length >= 5, 'replayed events');
      await store.put(`${p}b`, '5');
      await until(() => events.length >= 6, 'live event');
      await w.close();

      expect(events.map(brief)).toEqual([`put ${p}a=1`, `put ${p}b=2`, `delete ${p}a`, `put ${p}c=3`, `put ${p}d=4`, `put ${p}b=5`]);
      const revs = events.map((e) => e.modRevision);
      expect(revs[0]).toBe(r1.revision);
      expect(revs[3]).toBe(tx.revision);
      expect(revs[4]).toBe(tx.revision);
      expect([...revs].sort((x, y) => x - y)).toEqual(revs);
      expect(events[5]).toMatchObject({ type: 'put', version: 2, createRevision: r1.revision + 1 });
      expect(w.nextRevision).toBe(revs[5]! + 1);
    });

    it('without a start revision delivers only changes after it is ready', async () => {
      await store.put(`${p}old`, 'x');
      const w = store.watch(p);
      const events = collect(w);
      await w.ready;
      await store.put(`${p}new`, 'y');
      await until(() => events.length >= 1, 'the new put');
      await w.close();
      await store.put(`${p}late`, 'z');
      expect(events.map(brief)).toEqual([`put ${p}new=y`]);
    });

    it('reports compaction when asked for discarded history', async () => {
      const r1 = await store.put(`${p}a`, '1');
      const r2 = await store.put(`${p}a`, '2');
      await t.compact(store, r2.revision);
      const w = store.watch(p, { fromRevision: r1.revision });
      const compacted = await new Promise<DatastoreCompactedError>((resolve) => w.on('compacted', resolve));
      expect(compacted).toBeInstanceOf(DatastoreCompactedError);
      expect(compacted.code).toBe('datastore-compacted');
      expect(compacted.compactRevision).toBeGreaterThanOrEqual(r2.revision);
      await w.close();
    });
  });

  describe('leases', () => {
    it('deletes a key bound to a lease when the lease is revoked, with a watch event', async () => {
      const lease = await store.grantLease(t.leaseTtlSeconds);
      await store.put(`${p}node`, 'alive', { lease });
      await store.put(`${p}other`, 'stays');
      expect((await store.get(`${p}node`))!.lease).toBe(lease);
      const w = store.watch(p);
      const events = collect(w);
      await w.ready;
      await store.revokeLease(lease);
      await until(() => events.length >= 1, 'delete event');
      await w.close();
      expect(events.map(brief)).toEqual([`delete ${p}node`]);
      expect(await store.get(`${p}node`)).toBeUndefined();
      expect(await store.get(`${p}other`)).toBeDefined();
      await expect(store.revokeLease(lease)).rejects.toBeInstanceOf(LeaseNotFoundError);
      await expect(store.put(`${p}x`, 'y', { lease })).rejects.toMatchObject({ code: 'lease-not-found' });
    });

    it('deletes a key bound to a lease when the lease expires', async () => {
      const lease = await store.grantLease(t.leaseTtlSeconds);
      await store.put(`${p}node`, 'alive', { lease });
      await t.elapse(t.leaseTtlSeconds * 1000);
      await until(async () => (await store.get(`${p}node`)) === undefined, 'key of the expired lease gone');
    });

    it('keeps a lease alive past its TTL while keepAlive runs', async () => {
      const lease = await store.grantLease(t.leaseTtlSeconds);
      await store.put(`${p}node`, 'alive', { lease });
      const ka = store.keepAlive(lease);
      const lost: LeaseLostError[] = [];
      ka.on('lost', (e) => lost.push(e));
      for (let i = 1; i <= 3; i++) {
        await t.elapse((t.leaseTtlSeconds * 1000) / 2);
        expect(await store.get(`${p}node`), `after ${i / 2} TTLs`).toBeDefined();
      }
      ka.stop();
      expect(lost).toEqual([]);
      await store.revokeLease(lease);
    });

    it('reports a lost lease when the lease is revoked under a keepAlive', async () => {
      const lease = await store.grantLease(t.leaseTtlSeconds);
      const ka = store.keepAlive(lease);
      const lost: LeaseLostError[] = [];
      ka.on('lost', (e) => lost.push(e));
      await store.revokeLease(lease);
      // The next refresh (about TTL/3 later) learns that the lease is gone.
      const err = await until(async () => {
        await t.elapse(100);
        return lost[0];
      }, 'lost notification');
      expect(err).toMatchObject({ code: 'lease-lost', lease, reason: 'not-found' });
      ka.stop();
    });
  });

  describe('resyncingWatch', () => {
    it('emits the listing, then live changes', async () => {
      await store.put(`${p}a`, '1');
      await store.put(`${p}b`, '2');
      const seen: [string, ResyncOrigin][] = [];
      const rw = resyncingWatch(store, p, (e, origin) => seen.push([brief(e), origin]));
      await rw.ready;
      await store.put(`${p}c`, '3');
      await store.delete(`${p}a`);
      await until(() => seen.length >= 4, 'live events');
      await rw.close();
      expect(seen).toEqual([
        [`put ${p}a=1`, 'initial'],
        [`put ${p}b=2`, 'initial'],
        [`put ${p}c=3`, 'watch'],
        [`delete ${p}a`, 'watch'],
      ]);
      expect([...rw.snapshot().keys()].sort()).toEqual([`${p}b`, `${p}c`]);
    });

    it('re-lists after compaction and emits only the differences', async () => {
      await store.put(`${p}a`, 'gone soon');
      await store.put(`${p}b`, 'old');
      await store.put(`${p}c`, 'unchanged');
      const known = await store.list(p);
      // Changes the watcher will never see as events: their history is compacted away.
      await store.delete(`${p}a`);
      await store.put(`${p}b`, 'new');
      const last = await store.put(`${p}d`, 'added');
      await t.compact(store, last.revision);

      const seen: [string, ResyncOrigin][] = [];
      const rw = resyncingWatch(store, p, (e, origin) => seen.push([brief(e), origin]), { from: known });
      await until(() => rw.resyncs === 1 && seen.length >= 3, 'resync events');
      await store.put(`${p}e`, 'live');
      await until(() => seen.length >= 4, 'live event after resync');
      await rw.close();
      expect(seen).toEqual([
        [`delete ${p}a`, 'resync'],
        [`put ${p}b=new`, 'resync'],
        [`put ${p}d=added`, 'resync'],
        [`put ${p}e=live`, 'watch'],
      ]);
      expect(new Map([...rw.snapshot()].map(([k, kv]) => [k, kv.value]))).toEqual(
        new Map([
          [`${p}b`, 'new'],
          [`${p}c`, 'unchanged'],
          [`${p}d`, 'added'],
          [`${p}e`, 'live'],
        ]),
      );
    });
  });
}
