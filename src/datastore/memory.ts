// In-memory adapter with etcd's semantics, for unit tests of everything above the datastore:
// one revision counter (starting at 1, as a fresh etcd does), writes that change nothing do not
// bump it, transactions apply their branch atomically at one revision, watches replay history
// from a revision until it is compacted, and leases expire on an injectable clock.

import { systemClock, type Clock } from './clock.js';
import {
  DatastoreClosedError,
  DatastoreCompactedError,
  DatastoreRequestError,
  DatastoreUnavailableError,
  LeaseLostError,
  LeaseNotFoundError,
} from './errors.js';
import { TypedEvents, type Listener } from './events.js';
import type {
  Compare,
  CompareOp,
  Datastore,
  DeleteResult,
  KeepAlive,
  KeepAliveEvents,
  KeyValue,
  LeaseId,
  ListResult,
  PutOptions,
  TxnOp,
  TxnOpResult,
  TxnResult,
  WatchEvent,
  Watcher,
  WatcherEvents,
  WatchOptions,
  WriteResult,
} from './port.js';

export interface MemoryDatastoreInit {
  /** Drives lease TTLs and keep-alive refreshes; default the system clock. */
  clock?: Clock;
}

interface LeaseState {
  readonly ttlMs: number;
  readonly keys: Set<string>;
  cancelExpiry: () => void;
}

export class MemoryDatastore implements Datastore {
  private readonly clock: Clock;
  private revision = 1;
  private compactRevision = 0;
  private readonly kvs = new Map<string, KeyValue>();
  /** Every event since the last compaction, in revision order. */
  private history: WatchEvent[] = [];
  private readonly watchers = new Set<MemoryWatcher>();
  private readonly leases = new Map<LeaseId, LeaseState>();
  private readonly keepAlives = new Set<MemoryKeepAlive>();
  private nextLeaseId = 7_000_000_001;
  private closed = false;
  private unavailable = false;

  constructor(init: MemoryDatastoreInit = {}) {
    this.clock = init.clock ?? systemClock;
  }

  /** Simulates an unreachable store: requests fail with DatastoreUnavailableError. */
  setUnavailable(unavailable: boolean): void {
    this.unavailable = unavailable;
  }

  /** Current store revision. */
  currentRevision(): number {
    return this.revision;
  }

  /** Discards history before `revision`, as etcd's compaction does. */
  async compact(revision: number): Promise<void> {
    this.check();
    if (revision > this.revision) throw new DatastoreRequestError(`compact to future revision ${revision}`);
    if (revision <= this.compactRevision) throw new DatastoreCompactedError(revision, this.compactRevision);
    this.compactRevision = revision;
    this.history = this.history.filter((e) => e.modRevision >= revision);
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.check();
    return this.kvs.get(key);
  }

  async list(prefix: string): Promise<ListResult> {
    this.check();
    const kvs = [...this.kvs.values()].filter((kv) => kv.key.startsWith(prefix));
    kvs.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    return { kvs, revision: this.revision };
  }

  async put(key: string, value: string, opts: PutOptions = {}): Promise<WriteResult> {
    const r = await this.txn([], [{ kind: 'put', key, value, ...(opts.lease === undefined ? {} : { lease: opts.lease }) }]);
    return { revision: r.revision };
  }

  async delete(key: string): Promise<DeleteResult> {
    const r = await this.txn([], [{ kind: 'delete', key }]);
    const first = r.results[0];
    return { revision: r.revision, deleted: first?.kind === 'delete' ? first.deleted : 0 };
  }

  async txn(compares: readonly Compare[], onSuccess: readonly TxnOp[], onFailure: readonly TxnOp[] = []): Promise<TxnResult> {
    this.check();
    const succeeded = compares.every((c) => this.holds(c));
    const ops = succeeded ? onSuccess : onFailure;
    this.validate(ops);
    const rev = this.revision + 1;
    const events: WatchEvent[] = [];
    const results: TxnOpResult[] = [];
    for (const o of ops) {
      switch (o.kind) {
        case 'get':
          results.push({ kind: 'get', kv: this.kvs.get(o.key) });
          break;
        case 'put': {
          const prev = this.kvs.get(o.key);
          const kv: KeyValue = {
            key: o.key,
            value: o.value,
            createRevision: prev?.createRevision ?? rev,
            modRevision: rev,
            version: (prev?.version ?? 0) + 1,
            lease: o.lease,
          };
          this.unbindLease(prev);
          if (o.lease !== undefined) this.leases.get(o.lease)?.keys.add(o.key);
          this.kvs.set(o.key, kv);
          events.push({
            type: 'put',
            key: kv.key,
            value: kv.value,
            modRevision: rev,
            createRevision: kv.createRevision,
            version: kv.version,
            lease: kv.lease,
          });
          results.push({ kind: 'put' });
          break;
        }
        case 'delete': {
          const prev = this.kvs.get(o.key);
          if (prev !== undefined) {
            this.unbindLease(prev);
            this.kvs.delete(o.key);
            events.push({ type: 'delete', key: o.key, modRevision: rev });
          }
          results.push({ kind: 'delete', deleted: prev === undefined ? 0 : 1 });
          break;
        }
      }
    }
    this.publish(events);
    return { succeeded, revision: this.revision, results };
  }

  watch(prefix: string, opts: WatchOptions = {}): Watcher {
    const w = new MemoryWatcher(prefix, (x) => this.watchers.delete(x));
    if (this.closed) {
      w.fail('error', new DatastoreClosedError());
      return w;
    }
    const from = opts.fromRevision ?? this.revision + 1;
    if (from < this.compactRevision) {
      w.fail('compacted', new DatastoreCompactedError(from, this.compactRevision));
      return w;
    }
    w.start(from, this.history.filter((e) => e.modRevision >= from));
    this.watchers.add(w);
    return w;
  }

  async grantLease(ttlSeconds: number): Promise<LeaseId> {
    this.check();
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new DatastoreRequestError(`lease TTL ${ttlSeconds}`);
    const id = String(this.nextLeaseId++);
    const state: LeaseState = { ttlMs: ttlSeconds * 1000, keys: new Set(), cancelExpiry: () => undefined };
    this.leases.set(id, state);
    this.armExpiry(id, state);
    return id;
  }

  keepAlive(lease: LeaseId): KeepAlive {
    const ka = new MemoryKeepAlive(lease, this.clock, (id) => this.refresh(id), (k) => this.keepAlives.delete(k));
    this.keepAlives.add(ka);
    ka.start(this.leases.get(lease)?.ttlMs);
    return ka;
  }

  async revokeLease(lease: LeaseId): Promise<void> {
    this.check();
    if (!this.leases.has(lease)) throw new LeaseNotFoundError(lease);
    this.endLease(lease);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watchers]) await w.close();
    for (const k of [...this.keepAlives]) k.stop();
    for (const l of this.leases.values()) l.cancelExpiry();
  }

  private check(): void {
    if (this.closed) throw new DatastoreClosedError();
    if (this.unavailable) throw new DatastoreUnavailableError(['memory'], 'simulated outage');
  }

  /** etcd rejects a branch that writes a key twice or names a lease that does not exist,
   * before applying anything; so do we, to keep the branch atomic. */
  private validate(ops: readonly TxnOp[]): void {
    const written = new Set<string>();
    for (const o of ops) {
      if (o.kind === 'get') continue;
      if (written.has(o.key)) throw new DatastoreRequestError(`key ${o.key} written twice in one transaction`);
      written.add(o.key);
      if (o.kind === 'put' && o.lease !== undefined && !this.leases.has(o.lease)) throw new LeaseNotFoundError(o.lease);
    }
  }

  private holds(c: Compare): boolean {
    const kv = this.kvs.get(c.key);
    switch (c.target) {
      case 'exists':
        return kv !== undefined;
      case 'absent':
        return kv === undefined;
      case 'modRevision':
        return compareNumbers(kv?.modRevision ?? 0, c.op, c.revision);
      case 'createRevision':
        return compareNumbers(kv?.createRevision ?? 0, c.op, c.revision);
      case 'version':
        return compareNumbers(kv?.version ?? 0, c.op, c.version);
      case 'value':
        // etcd: a value compare on a missing key always fails.
        return kv !== undefined && compareNumbers(Buffer.compare(Buffer.from(kv.value), Buffer.from(c.value)), c.op, 0);
    }
  }

  private publish(events: WatchEvent[]): void {
    if (events.length === 0) return;
    this.revision += 1;
    this.history.push(...events);
    for (const w of this.watchers) w.deliver(events);
  }

  private unbindLease(kv: KeyValue | undefined): void {
    if (kv?.lease !== undefined) this.leases.get(kv.lease)?.keys.delete(kv.key);
  }

  private armExpiry(id: LeaseId, state: LeaseState): void {
    state.cancelExpiry();
    state.cancelExpiry = this.clock.setTimer(state.ttlMs, () => {
      if (!this.closed) this.endLease(id);
    });
  }

  private refresh(id: LeaseId): boolean {
    const state = this.leases.get(id);
    if (state === undefined || this.closed) return false;
    this.armExpiry(id, state);
    return true;
  }

  /** Revocation and expiry alike delete every key of the lease in one revision. */
  private endLease(id: LeaseId): void {
    const state = this.leases.get(id);
    if (state === undefined) return;
    state.cancelExpiry();
    this.leases.delete(id);
    const rev = this.revision + 1;
    const events: WatchEvent[] = [];
    for (const key of [...state.keys].sort()) {
      this.kvs.delete(key);
      events.push({ type: 'delete', key, modRevision: rev });
    }
    this.publish(events);
  }
}

function compareNumbers(a: number, op: CompareOp, b: number): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '>':
      return a > b;
  }
}

/** Delivers asynchronously (a microtask after the write) so listeners attached right after
 * `watch()` returns see everything, as with a real network watch. */
class MemoryWatcher implements Watcher {
  private readonly events = new TypedEvents<WatcherEvents>();
  private queue: WatchEvent[] = [];
  private scheduled = false;
  private closed = false;
  nextRevision: number | undefined;
  readonly ready: Promise<void> = Promise.resolve();

  constructor(
    private readonly prefix: string,
    private readonly detach: (w: MemoryWatcher) => void,
  ) {}

  on<K extends keyof WatcherEvents>(type: K, fn: Listener<WatcherEvents[K]>): void {
    this.events.on(type, fn);
  }

  off<K extends keyof WatcherEvents>(type: K, fn: Listener<WatcherEvents[K]>): void {
    this.events.off(type, fn);
  }

  start(from: number, backlog: WatchEvent[]): void {
    this.nextRevision = from;
    this.deliver(backlog);
  }

  fail<K extends 'compacted' | 'error'>(type: K, err: WatcherEvents[K]): void {
    this.closed = true;
    queueMicrotask(() => this.events.emit(type, err));
  }

  deliver(events: readonly WatchEvent[]): void {
    if (this.closed) return;
    for (const e of events) if (e.key.startsWith(this.prefix)) this.queue.push(e);
    if (this.queue.length > 0 && !this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue = [];
    this.detach(this);
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0 && !this.closed) {
      const e = this.queue.shift()!;
      this.events.emit('event', e);
      if (this.queue[0]?.modRevision !== e.modRevision) this.nextRevision = e.modRevision + 1;
    }
  }
}

class MemoryKeepAlive implements KeepAlive {
  private readonly events = new TypedEvents<KeepAliveEvents>();
  private cancel: () => void = () => undefined;
  private stopped = false;

  constructor(
    readonly lease: LeaseId,
    private readonly clock: Clock,
    private readonly refresh: (lease: LeaseId) => boolean,
    private readonly detach: (k: MemoryKeepAlive) => void,
  ) {}

  on<K extends keyof KeepAliveEvents>(type: K, fn: Listener<KeepAliveEvents[K]>): void {
    this.events.on(type, fn);
  }

  start(ttlMs: number | undefined): void {
    if (ttlMs === undefined) {
      this.lose();
      return;
    }
    const tick = (): void => {
      if (this.stopped) return;
      if (!this.refresh(this.lease)) this.lose();
      else this.cancel = this.clock.setTimer(ttlMs / 3, tick);
    };
    this.cancel = this.clock.setTimer(ttlMs / 3, tick);
  }

  stop(): void {
    this.stopped = true;
    this.cancel();
    this.detach(this);
  }

  private lose(): void {
    this.stop();
    queueMicrotask(() => this.events.emit('lost', new LeaseLostError(this.lease, 'not-found')));
  }
}
