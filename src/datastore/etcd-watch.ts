// One etcd watch on its own gRPC stream, resumed after any disconnect from the revision after the
// last one delivered, so a flapping connection neither loses nor repeats events. If that
// revision has been compacted away meanwhile, etcd cancels the watch with `compact_revision`
// set (etcd api/v3rpc/watch.go), and we report 'compacted' so the caller re-lists.

import type { IDuplexStream, IWatchRequest, IWatchResponse, WatchClient } from 'etcd3';
import { DatastoreAuthError, DatastoreCompactedError, DatastoreFailedError } from './errors.js';
import { TypedEvents, type Listener } from './events.js';
import type { WatchEvent, Watcher, WatcherEvents } from './port.js';

export interface EtcdWatcherInit {
  readonly client: WatchClient;
  readonly key: Buffer;
  readonly rangeEnd: Buffer;
  readonly fromRevision: number | undefined;
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;

type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse>;

export class EtcdWatcher implements Watcher {
  private readonly events = new TypedEvents<WatcherEvents>();
  private stream: WatchStream | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private stopped = false;
  private markReady: () => void = () => undefined;
  /** Revision to resume from: one past the last complete revision delivered. */
  nextRevision: number | undefined;
  readonly ready: Promise<void>;

  constructor(private readonly init: EtcdWatcherInit) {
    this.nextRevision = init.fromRevision;
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    void this.connect();
  }

  on<K extends keyof WatcherEvents>(type: K, fn: Listener<WatcherEvents[K]>): void {
    this.events.on(type, fn);
  }

  off<K extends keyof WatcherEvents>(type: K, fn: Listener<WatcherEvents[K]>): void {
    this.events.off(type, fn);
  }

  async close(): Promise<void> {
    this.stop();
  }

  private stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const s = this.stream;
    this.stream = undefined;
    s?.cancel();
    this.markReady();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let stream: WatchStream;
    try {
      stream = await this.init.client.watch();
    } catch {
      this.retryLater();
      return;
    }
    if (this.stopped) {
      stream.cancel();
      return;
    }
    this.stream = stream;
    stream.on('data', (res) => {
      if (this.stream === stream) this.onResponse(res);
    });
    stream.on('error', () => this.onBroken(stream));
    stream.on('end', () => this.onBroken(stream));
    stream.write({
      create_request: {
        key: this.init.key,
        range_end: this.init.rangeEnd,
        // 0 means "from now"; the creation header then tells us where "now" was.
        start_revision: this.nextRevision ?? 0,
      },
    });
  }

  private onResponse(res: IWatchResponse): void {
    const compactRevision = Number(res.compact_revision);
    if (compactRevision > 0) {
      this.stop();
      this.events.emit('compacted', new DatastoreCompactedError(this.nextRevision ?? 0, compactRevision));
      return;
    }
    if (res.canceled) {
      this.stop();
      const reason = res.cancel_reason || 'watch canceled by the server';
      this.events.emit('error', /permission denied/i.test(reason) ? new DatastoreAuthError(reason) : new DatastoreFailedError(reason));
      return;
    }
    if (res.created) {
      this.attempt = 0;
      this.nextRevision ??= Number(res.header.revision) + 1;
      this.markReady();
    }
    // Without `fragment`, one response carries whole revisions, so after it everything up to its
    // last event's revision has been seen. Events below nextRevision are replays after a resume.
    let last = 0;
    for (const ev of res.events ?? []) {
      const modRevision = Number(ev.kv.mod_revision);
      if (this.nextRevision !== undefined && modRevision < this.nextRevision) continue;
      const key = ev.kv.key.toString('utf8');
      const event: WatchEvent =
        ev.type === 'Delete'
          ? { type: 'delete', key, modRevision }
          : {
              type: 'put',
              key,
              value: ev.kv.value.toString('utf8'),
              modRevision,
              createRevision: Number(ev.kv.create_revision),
              version: Number(ev.kv.version),
              lease: ev.kv.lease === '0' || ev.kv.lease === '' ? undefined : ev.kv.lease,
            };
      this.events.emit('event', event);
      if (this.stopped) return;
      last = modRevision;
    }
    if (last > 0) this.nextRevision = last + 1;
  }

  private onBroken(stream: WatchStream): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    stream.cancel();
    this.retryLater();
  }

  private retryLater(): void {
    if (this.stopped) return;
    const base = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** this.attempt);
    this.attempt += 1;
    // Jitter spreads the reconnects of many daemons after an etcd restart.
    this.retryTimer = setTimeout(() => void this.connect(), base / 2 + Math.random() * (base / 2));
    this.retryTimer.unref();
  }
}
