// List-then-watch with recovery, the informer pattern: the caller gets one stream of put/delete
// events that always converges on the store's state. The initial listing arrives as puts; a
// watch then continues from the listing's revision; if that history is compacted away (after a
// long disconnect, say), the prefix is listed again and only the differences from what the
// caller has already seen are emitted. Works over any Datastore adapter.

import { DatastoreError, DatastoreFailedError } from './errors.js';
import type { Datastore, KeyValue, ListResult, WatchEvent, Watcher } from './port.js';

/** Where an event came from: the first listing, the live watch, or a re-list after compaction. */
export type ResyncOrigin = 'initial' | 'watch' | 'resync';

export interface ResyncingWatchInit {
  /** State the caller already holds (e.g. an earlier listing): no initial puts are emitted and
   * the watch starts after `from.revision`. */
  from?: ListResult;
  /** Every failure that is being retried (store unreachable, watch canceled). */
  onError?: (err: DatastoreError) => void;
  /** Pause before retrying a failed list or watch; default 1000 ms. */
  retryMs?: number;
}

export interface ResyncingWatch {
  /** Resolves once the initial state has been delivered (or taken from `from`). */
  readonly ready: Promise<void>;
  /** The caller's view: every key under the prefix as of `revision`. */
  snapshot(): ReadonlyMap<string, KeyValue>;
  /** Revision the view is complete up to. */
  readonly revision: number;
  /** How many times a compaction forced a re-list. */
  readonly resyncs: number;
  close(): Promise<void>;
}

export function resyncingWatch(
  store: Datastore,
  prefix: string,
  onEvent: (event: WatchEvent, origin: ResyncOrigin) => void,
  init: ResyncingWatchInit = {},
): ResyncingWatch {
  return new ResyncingWatchImpl(store, prefix, onEvent, init);
}

class ResyncingWatchImpl implements ResyncingWatch {
  private cache = new Map<string, KeyValue>();
  private watcher: Watcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private markReady: () => void = () => undefined;
  revision = 0;
  resyncs = 0;
  readonly ready: Promise<void>;

  constructor(
    private readonly store: Datastore,
    private readonly prefix: string,
    private readonly onEvent: (event: WatchEvent, origin: ResyncOrigin) => void,
    private readonly init: ResyncingWatchInit,
  ) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    if (init.from !== undefined) {
      this.adopt(init.from);
      this.markReady();
      this.watchFromHere();
    } else {
      void this.relist('initial');
    }
  }

  snapshot(): ReadonlyMap<string, KeyValue> {
    return this.cache;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.watcher?.close();
    this.markReady();
  }

  private adopt(list: ListResult): void {
    this.cache = new Map(list.kvs.map((kv) => [kv.key, kv]));
    this.revision = list.revision;
  }

  private async relist(origin: 'initial' | 'resync'): Promise<void> {
    let list: ListResult;
    try {
      list = await this.store.list(this.prefix);
    } catch (err) {
      this.retry(err, () => void this.relist(origin));
      return;
    }
    if (this.closed) return;
    const before = this.cache;
    this.adopt(list);
    if (origin === 'resync') this.resyncs += 1;
    // Deletions carry the listing's revision: the real one was compacted away with the history.
    for (const key of [...before.keys()].sort()) {
      if (!this.cache.has(key)) this.onEvent({ type: 'delete', key, modRevision: list.revision }, origin);
    }
    for (const kv of list.kvs) {
      if (before.get(kv.key)?.modRevision !== kv.modRevision) this.onEvent({ type: 'put', ...kv }, origin);
    }
    this.markReady();
    this.watchFromHere();
  }

  private watchFromHere(): void {
    if (this.closed) return;
    const w = this.store.watch(this.prefix, { fromRevision: this.revision + 1 });
    this.watcher = w;
    w.on('event', (ev) => {
      if (this.watcher !== w) return;
      if (ev.type === 'put') {
        this.cache.set(ev.key, {
          key: ev.key,
          value: ev.value,
          createRevision: ev.createRevision,
          modRevision: ev.modRevision,
          version: ev.version,
          lease: ev.lease,
        });
      } else {
        this.cache.delete(ev.key);
      }
      this.revision = Math.max(this.revision, ev.modRevision);
      this.onEvent(ev, 'watch');
    });
    w.on('compacted', (err) => {
      if (this.watcher !== w) return;
      this.watcher = undefined;
      this.init.onError?.(err);
      void this.relist('resync');
    });
    w.on('error', (err) => {
      if (this.watcher !== w) return;
      this.watcher = undefined;
      // A resumed watch from `revision + 1` catches up, or reports compaction and we re-list.
      this.retry(err, () => this.watchFromHere());
    });
  }

  private retry(err: unknown, again: () => void): void {
    if (this.closed) return;
    this.init.onError?.(err instanceof DatastoreError ? err : new DatastoreFailedError(String(err)));
    this.timer = setTimeout(again, this.init.retryMs ?? 1_000);
    this.timer.unref();
  }
}
