// One etcd watch over the JSON gateway: POST /v3/watch with a create request, then etcd's watch
// responses arrive as lines of a chunked answer for as long as the connection lives. After any
// disconnect the watch is created again from the revision after the last one delivered, so a
// flapping connection neither loses nor repeats events; if that revision has been compacted away
// meanwhile, etcd cancels the watch with `compact_revision` set (etcd api/v3rpc/watch.go) and we
// report 'compacted' so the caller re-lists.
//
// The gateway only starts answering once the request body is complete, so nothing can be sent
// up the stream later: no progress requests to check that a quiet connection is still alive.
// Instead a watch that has heard nothing for a while asks the transport whether its endpoint
// still answers at all, and reconnects (on the next endpoint) when it does not.

import type { EtcdHttpEndpoint } from './etcd-http-endpoints.js';
import type { EtcdHttpTransport, StreamHandle } from './etcd-http-transport.js';
import { b64, int, revisionOf, toWatchEvent, type WireWatchResponse } from './etcd-http-wire.js';
import { translateGatewayStatus } from './etcd-http-errors.js';
import { DatastoreAuthError, DatastoreCompactedError, DatastoreUnavailableError, type DatastoreError } from './errors.js';
import { TypedEvents, type Listener } from './events.js';
import type { Watcher, WatcherEvents } from './port.js';

export interface EtcdHttpWatcherInit {
  readonly transport: EtcdHttpTransport;
  readonly key: Buffer;
  readonly rangeEnd: Buffer;
  readonly fromRevision: number | undefined;
  /** Quiet time after which the endpoint is probed; default 10 s (a usual gRPC
   * keep-alive interval). */
  readonly idleProbeMs: number | undefined;
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;
const DEFAULT_IDLE_PROBE_MS = 10_000;

export class EtcdHttpWatcher implements Watcher {
  private readonly events = new TypedEvents<WatcherEvents>();
  private readonly idleProbeMs: number;
  private stream: StreamHandle | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private lastHeard = 0;
  private attempt = 0;
  private stopped = false;
  /** An auth cancel is retried once with a fresh token; reset once a watch is created. */
  private renewedToken = false;
  private markReady: () => void = () => undefined;
  /** Revision to resume from: one past the last complete revision delivered. */
  nextRevision: number | undefined;
  readonly ready: Promise<void>;

  constructor(private readonly init: EtcdHttpWatcherInit) {
    this.idleProbeMs = init.idleProbeMs ?? DEFAULT_IDLE_PROBE_MS;
    this.nextRevision = init.fromRevision;
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    this.connect();
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
    clearTimeout(this.idleTimer);
    this.stream?.close();
    this.stream = undefined;
    this.markReady();
  }

  private connect(): void {
    if (this.stopped) return;
    const body = {
      create_request: {
        key: b64(this.init.key),
        range_end: b64(this.init.rangeEnd),
        // 0 means "from now"; the creation header then tells us where "now" was.
        start_revision: String(this.nextRevision ?? 0),
      },
    };
    const stream: StreamHandle = this.init.transport.openStream('/v3/watch', body, {
      message: (msg) => {
        if (this.stream !== stream) return;
        this.lastHeard = Date.now();
        this.onResponse(msg as WireWatchResponse);
      },
      end: (err) => {
        if (this.stream === stream) this.onEnd(err);
      },
    });
    this.stream = stream;
    this.lastHeard = Date.now();
    this.armIdleCheck(stream.endpoint, this.idleProbeMs);
  }

  private onResponse(res: WireWatchResponse): void {
    const compactRevision = int(res.compact_revision);
    if (compactRevision > 0) {
      this.stop();
      this.events.emit('compacted', new DatastoreCompactedError(this.nextRevision ?? 0, compactRevision));
      return;
    }
    if (res.canceled === true) {
      const reason = res.cancel_reason || 'watch canceled by the server';
      const err = translateGatewayStatus({ code: 0, message: reason }, { endpoints: this.init.transport.labels });
      // A token etcd no longer honours (expired, or etcd restarted) cancels the watch like a
      // denied permission; one retry with a fresh token tells the two apart.
      if (err instanceof DatastoreAuthError && this.init.transport.hasCredentials && !this.renewedToken) {
        this.renewedToken = true;
        this.init.transport.renewToken();
        this.reconnectNow();
        return;
      }
      this.fail(err);
      return;
    }
    if (res.created === true) {
      this.attempt = 0;
      this.renewedToken = false;
      this.nextRevision ??= revisionOf(res) + 1;
      this.markReady();
    }
    // Without `fragment`, one response carries whole revisions, so after it everything up to its
    // last event's revision has been seen. Events below nextRevision are replays after a resume.
    let last = 0;
    for (const ev of res.events ?? []) {
      const event = toWatchEvent(ev);
      if (this.nextRevision !== undefined && event.modRevision < this.nextRevision) continue;
      this.events.emit('event', event);
      if (this.stopped) return;
      last = event.modRevision;
    }
    if (last > 0) this.nextRevision = last + 1;
  }

  private onEnd(err: DatastoreError | undefined): void {
    this.stream = undefined;
    clearTimeout(this.idleTimer);
    if (err === undefined || err instanceof DatastoreUnavailableError) this.retryLater();
    else this.fail(err);
  }

  private fail(err: DatastoreError): void {
    this.stop();
    this.events.emit('error', err);
  }

  private reconnectNow(): void {
    this.stream?.close();
    this.stream = undefined;
    clearTimeout(this.idleTimer);
    this.connect();
  }

  private retryLater(): void {
    if (this.stopped) return;
    const base = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** this.attempt);
    this.attempt += 1;
    // Jitter spreads the reconnects of many daemons after an etcd restart.
    this.retryTimer = setTimeout(() => this.connect(), base / 2 + Math.random() * (base / 2));
    this.retryTimer.unref();
  }

  private armIdleCheck(endpoint: EtcdHttpEndpoint, delayMs: number): void {
    clearTimeout(this.idleTimer);
    const stream = this.stream;
    this.idleTimer = setTimeout(() => {
      if (this.stream !== stream || this.stopped) return;
      const quietMs = Date.now() - this.lastHeard;
      if (quietMs < this.idleProbeMs) {
        this.armIdleCheck(endpoint, this.idleProbeMs - quietMs);
        return;
      }
      void this.init.transport.probe(endpoint, this.idleProbeMs).then((alive) => {
        if (this.stream !== stream || this.stopped) return;
        if (alive) {
          this.lastHeard = Date.now();
          this.armIdleCheck(endpoint, this.idleProbeMs);
        } else {
          stream?.close();
          this.stream = undefined;
          this.retryLater();
        }
      });
    }, delayMs);
    this.idleTimer.unref();
  }
}
