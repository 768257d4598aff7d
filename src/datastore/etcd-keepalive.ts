// Keeps one etcd lease alive over the LeaseKeepAlive stream: a refresh about every TTL/3, a
// quicker retry after a failed one, and 'lost' once the lease is gone (etcd answers TTL 0) or
// could not be refreshed before its TTL ran out (the server has expired it by then).

import type { IDuplexStream, ILeaseKeepAliveRequest, ILeaseKeepAliveResponse, LeaseClient } from 'etcd3';
import { LeaseLostError, type LeaseLostReason } from './errors.js';
import { TypedEvents, type Listener } from './events.js';
import type { KeepAlive, KeepAliveEvents, LeaseId } from './port.js';

type KeepAliveStream = IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>;

export interface EtcdKeepAliveInit {
  readonly client: LeaseClient;
  readonly lease: LeaseId;
  /** TTL the lease was granted with, when this client granted it. */
  readonly ttlSeconds: number | undefined;
  /** How long to wait for one refresh answer. */
  readonly replyTimeoutMs: number;
}

const RETRY_MS = 500;

export class EtcdKeepAlive implements KeepAlive {
  private readonly events = new TypedEvents<KeepAliveEvents>();
  private stream: KeepAliveStream | undefined;
  private waiting: ((res: ILeaseKeepAliveResponse | undefined) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private ttlMs: number | undefined;
  /** When the server will expire the lease if we do not refresh it. */
  private deadline: number | undefined;

  constructor(private readonly init: EtcdKeepAliveInit) {
    this.ttlMs = init.ttlSeconds === undefined ? undefined : init.ttlSeconds * 1000;
    this.deadline = this.ttlMs === undefined ? undefined : Date.now() + this.ttlMs;
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
    this.waiting?.(undefined);
    this.stream?.cancel();
    this.stream = undefined;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.refresh(), ms);
    this.timer.unref();
  }

  private async refresh(): Promise<void> {
    const res = await this.refreshOnce();
    if (this.stopped) return;
    if (res === undefined) {
      if (this.deadline !== undefined && Date.now() >= this.deadline) this.lose('unreachable');
      else this.schedule(RETRY_MS);
      return;
    }
    const ttl = Number(res.TTL);
    if (ttl <= 0) {
      this.lose('not-found');
      return;
    }
    this.ttlMs = ttl * 1000;
    this.deadline = Date.now() + this.ttlMs;
    this.schedule(this.ttlMs / 3);
  }

  /** One request/answer on the (re)opened stream; undefined on any failure or timeout. */
  private async refreshOnce(): Promise<ILeaseKeepAliveResponse | undefined> {
    try {
      if (this.stream === undefined) {
        const stream = await this.init.client.leaseKeepAlive();
        if (this.stopped) {
          stream.cancel();
          return undefined;
        }
        const broken = (): void => {
          if (this.stream === stream) this.stream = undefined;
          this.waiting?.(undefined);
        };
        stream.on('data', (r) => this.waiting?.(r));
        stream.on('error', broken);
        stream.on('end', broken);
        this.stream = stream;
      }
      const stream = this.stream;
      return await new Promise<ILeaseKeepAliveResponse | undefined>((resolve) => {
        const t = setTimeout(() => finish(undefined), this.init.replyTimeoutMs);
        const finish = (r: ILeaseKeepAliveResponse | undefined): void => {
          clearTimeout(t);
          this.waiting = undefined;
          if (r === undefined && this.stream === stream) {
            // A stream that did not answer in time is not trusted again.
            this.stream = undefined;
            stream.cancel();
          }
          resolve(r);
        };
        this.waiting = finish;
        stream.write({ ID: this.init.lease });
      });
    } catch {
      return undefined;
    }
  }

  private lose(reason: LeaseLostReason): void {
    this.stop();
    this.events.emit('lost', new LeaseLostError(this.init.lease, reason));
  }
}
