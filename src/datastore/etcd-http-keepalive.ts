// Keeps one etcd lease alive through the JSON gateway: a refresh about every TTL/3, a quicker
// retry after a failed one, and 'lost' once the lease is gone (etcd answers TTL 0) or could not
// be refreshed before its TTL ran out (the server has expired it by then). Each refresh is one
// POST /v3/lease/keepalive carrying a single request: the gateway relays it on a LeaseKeepAlive
// stream that ends after the one answer, so there is no stream of our own to keep healthy.

import type { EtcdHttpTransport } from './etcd-http-transport.js';
import { int, type WireLeaseKeepAliveResponse } from './etcd-http-wire.js';
import { LeaseLostError, type LeaseLostReason } from './errors.js';
import { TypedEvents, type Listener } from './events.js';
import type { KeepAlive, KeepAliveEvents, LeaseId } from './port.js';

export interface EtcdHttpKeepAliveInit {
  readonly transport: EtcdHttpTransport;
  readonly lease: LeaseId;
  /** TTL the lease was granted with, when this client granted it. */
  readonly ttlSeconds: number | undefined;
}

const RETRY_MS = 500;

export class EtcdHttpKeepAlive implements KeepAlive {
  private readonly events = new TypedEvents<KeepAliveEvents>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** When the server will expire the lease if we do not refresh it. */
  private deadline: number | undefined;

  constructor(private readonly init: EtcdHttpKeepAliveInit) {
    this.deadline = init.ttlSeconds === undefined ? undefined : Date.now() + init.ttlSeconds * 1000;
    this.schedule(0);
  }

  get lease(): LeaseId {
    return this.init.lease;
  }

  on<K extends keyof KeepAliveEvents>(type: K, fn: Listener<KeepAliveEvents[K]>): void {
    this.events.on(type, fn);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.refresh(), ms);
    this.timer.unref();
  }

  private async refresh(): Promise<void> {
    // Sent from the moment of asking: the server counts the TTL from when it receives it.
    const asked = Date.now();
    let ttl: number | undefined;
    try {
      const res = await this.init.transport.call<WireLeaseKeepAliveResponse>(
        '/v3/lease/keepalive',
        { ID: this.init.lease },
        { streamed: true, idempotent: true, ctx: { lease: this.init.lease } },
      );
      ttl = int(res.TTL);
    } catch {
      // Unreachable, timed out, or refused: retried below until the deadline.
    }
    if (this.stopped) return;
    if (ttl === undefined) {
      if (this.deadline !== undefined && Date.now() >= this.deadline) this.lose('unreachable');
      else this.schedule(RETRY_MS);
      return;
    }
    if (ttl <= 0) {
      this.lose('not-found');
      return;
    }
    this.deadline = asked + ttl * 1000;
    this.schedule((ttl * 1000) / 3);
  }

  private lose(reason: LeaseLostReason): void {
    this.stop();
    this.events.emit('lost', new LeaseLostError(this.init.lease, reason));
  }
}
