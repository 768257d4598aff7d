// etcd v3 adapter over etcd's own JSON gateway (grpc-gateway on the client port, /v3/... in
// etcd 3.4+), using nothing but node:http(s). Wren used the `etcd3` client at first; with grpc-js
// and protobufjs it cost a Node process about 30 MB of RSS (measured: 39 → 69 MB on import),
// too much for a node daemon with a 60 MB budget. This adapter costs about 5 MB.
//
// Every unary call has a deadline (dial timeout for the connection, then the request timeout
// for the answer) so an unreachable etcd fails fast with DatastoreUnavailableError; calls fail
// over across endpoints (see etcd-http-transport.ts for which ones are repeated). Watches and
// keep-alives live in etcd-http-watch.ts and etcd-http-keepalive.ts.

import { readFileSync } from 'node:fs';
import { parseEndpoints } from './etcd-http-endpoints.js';
import { EtcdHttpKeepAlive } from './etcd-http-keepalive.js';
import { EtcdHttpTransport, type CallOptions, type EtcdHttpTransportInit } from './etcd-http-transport.js';
import { EtcdHttpWatcher } from './etcd-http-watch.js';
import {
  b64,
  int,
  putRequest,
  revisionOf,
  toKeyValue,
  toWireCompare,
  toWireOp,
  type WireDeleteRangeResponse,
  type WireHeader,
  type WireLeaseGrantResponse,
  type WireRangeResponse,
  type WireRequest,
  type WireTxnResponse,
} from './etcd-http-wire.js';
import { DatastoreClosedError, DatastoreConfigError, DatastoreFailedError, DatastoreRequestError } from './errors.js';
import {
  prefixRangeEnd,
  type Compare,
  type Datastore,
  type DeleteResult,
  type KeepAlive,
  type KeyValue,
  type LeaseId,
  type ListResult,
  type PutOptions,
  type TxnOp,
  type TxnOpResult,
  type TxnResult,
  type Watcher,
  type WatchOptions,
  type WriteResult,
} from './port.js';

/** The `datastore.etcd` section of the daemon config. */

/** How to reach etcd. */
export interface EtcdDatastoreInit {
  /** `http://host:port`, `https://host:port` or `host:port` (https when `tls` is set; default port 2379). */
  endpoints: string[];
  /** PEM file paths. `cert` and `key` (client certificate) go together. */
  tls?: { ca: string; cert?: string; key?: string };
  username?: string;
  password?: string;
  /** Budget for reaching an endpoint before a call counts as unavailable; default 2000 ms. */
  dialTimeoutMs?: number;
  /** Budget for the server to answer once reached; default 5000 ms. */
  requestTimeoutMs?: number;
}

export type EtcdHttpDatastoreInit = EtcdDatastoreInit;

/** Knobs the config does not expose; tests turn them down to run in seconds. */
export interface EtcdHttpTuning {
  /** A watch quiet for this long checks that its endpoint still answers; default 10000 ms. */
  watchIdleProbeMs?: number;
}

const DEFAULT_DIAL_TIMEOUT_MS = 2_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

export class EtcdHttpDatastore implements Datastore {
  private readonly transport: EtcdHttpTransport;
  private readonly watchers = new Set<EtcdHttpWatcher>();
  private readonly keepAlives = new Set<EtcdHttpKeepAlive>();
  /** TTLs of leases granted through this client, so keep-alive knows its deadline at once. */
  private readonly grantedTtl = new Map<LeaseId, number>();
  private closed = false;

  constructor(
    init: EtcdHttpDatastoreInit,
    private readonly tuning: EtcdHttpTuning = {},
  ) {
    this.transport = new EtcdHttpTransport(transportInit(init));
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.call<WireRangeResponse>('/v3/kv/range', { key: b64(key) }, { idempotent: true });
    const kv = res.kvs?.[0];
    return kv === undefined ? undefined : toKeyValue(kv);
  }

  async list(prefix: string): Promise<ListResult> {
    const key = prefix === '' ? Buffer.from([0]) : Buffer.from(prefix);
    // No sort options: etcd returns a range in key order already (mvcc's tree index), and
    // asking for that order explicitly makes etcd 3.4 sort it again.
    const res = await this.call<WireRangeResponse>(
      '/v3/kv/range',
      { key: b64(key), range_end: b64(prefixRangeEnd(Buffer.from(prefix))) },
      { idempotent: true },
    );
    return { kvs: (res.kvs ?? []).map(toKeyValue), revision: revisionOf(res) };
  }

  async put(key: string, value: string, opts: PutOptions = {}): Promise<WriteResult> {
    const ctx = opts.lease === undefined ? {} : { lease: opts.lease };
    const res = await this.call<{ header?: WireHeader }>('/v3/kv/put', putRequest(key, value, opts.lease), { ctx });
    return { revision: revisionOf(res) };
  }

  async delete(key: string): Promise<DeleteResult> {
    const res = await this.call<WireDeleteRangeResponse>('/v3/kv/deleterange', { key: b64(key) });
    return { revision: revisionOf(res), deleted: int(res.deleted) };
  }

  async txn(compares: readonly Compare[], onSuccess: readonly TxnOp[], onFailure: readonly TxnOp[] = []): Promise<TxnResult> {
    const lease = [...onSuccess, ...onFailure].find((o) => o.kind === 'put' && o.lease !== undefined);
    const ctx = lease?.kind === 'put' && lease.lease !== undefined ? { lease: lease.lease } : {};
    const res = await this.call<WireTxnResponse>(
      '/v3/kv/txn',
      { compare: compares.map(toWireCompare), success: onSuccess.map(toWireOp), failure: onFailure.map(toWireOp) },
      { ctx },
    );
    const succeeded = res.succeeded === true;
    const ops = succeeded ? onSuccess : onFailure;
    const results = ops.map((o, i): TxnOpResult => {
      const r = res.responses?.[i];
      switch (o.kind) {
        case 'put':
          return { kind: 'put' };
        case 'delete':
          return { kind: 'delete', deleted: int(r?.response_delete_range?.deleted) };
        case 'get': {
          const kv = r?.response_range?.kvs?.[0];
          return { kind: 'get', kv: kv === undefined ? undefined : toKeyValue(kv) };
        }
      }
    });
    return { succeeded, revision: revisionOf(res), results };
  }

  watch(prefix: string, opts: WatchOptions = {}): Watcher {
    const w = new EtcdHttpWatcher({
      transport: this.transport,
      key: prefix === '' ? Buffer.from([0]) : Buffer.from(prefix),
      rangeEnd: prefixRangeEnd(Buffer.from(prefix)),
      fromRevision: opts.fromRevision,
      idleProbeMs: this.tuning.watchIdleProbeMs,
    });
    if (this.closed) void w.close();
    else this.watchers.add(w);
    return w;
  }

  async grantLease(ttlSeconds: number): Promise<LeaseId> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new DatastoreRequestError(`lease TTL ${ttlSeconds}`);
    const res = await this.call<WireLeaseGrantResponse>('/v3/lease/grant', { TTL: String(ttlSeconds) });
    if (res.error !== undefined && res.error !== '') throw new DatastoreFailedError(res.error);
    if (res.ID === undefined) throw new DatastoreFailedError('lease grant answered without a lease id');
    // etcd may raise a TTL below its minimum (1.5 election timeouts); it reports what it granted.
    this.grantedTtl.set(res.ID, int(res.TTL));
    return res.ID;
  }

  keepAlive(lease: LeaseId): KeepAlive {
    const ka = new EtcdHttpKeepAlive({ transport: this.transport, lease, ttlSeconds: this.grantedTtl.get(lease) });
    if (this.closed) ka.stop();
    else this.keepAlives.add(ka);
    return ka;
  }

  async revokeLease(lease: LeaseId): Promise<void> {
    await this.call('/v3/lease/revoke', { ID: lease }, { ctx: { lease } });
    this.grantedTtl.delete(lease);
  }

  /** Discards history before `revision` (etcd's compaction), for tests and maintenance. */
  async compact(revision: number): Promise<void> {
    await this.call('/v3/kv/compaction', { revision: String(revision), physical: true }, { ctx: { revision } });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watchers) await w.close();
    for (const k of this.keepAlives) k.stop();
    this.transport.close();
  }

  private async call<T extends object>(path: string, body: WireRequest, opts: CallOptions = {}): Promise<T> {
    if (this.closed) throw new DatastoreClosedError();
    return this.transport.call<T>(path, body, opts);
  }
}

function transportInit(init: EtcdHttpDatastoreInit): EtcdHttpTransportInit {
  if ((init.tls?.cert === undefined) !== (init.tls?.key === undefined)) {
    throw new DatastoreConfigError('tls.cert and tls.key go together');
  }
  if ((init.username === undefined) !== (init.password === undefined)) {
    throw new DatastoreConfigError('username and password go together');
  }
  const dialTimeoutMs = timeout(init.dialTimeoutMs, DEFAULT_DIAL_TIMEOUT_MS, 'dialTimeoutMs');
  const requestTimeoutMs = timeout(init.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, 'requestTimeoutMs');
  const tls = init.tls;
  return {
    endpoints: parseEndpoints(init.endpoints, tls !== undefined),
    tls:
      tls === undefined
        ? undefined
        : {
            ca: readPem(tls.ca, 'tls.ca'),
            ...(tls.cert === undefined ? {} : { cert: readPem(tls.cert, 'tls.cert') }),
            ...(tls.key === undefined ? {} : { key: readPem(tls.key, 'tls.key') }),
          },
    credentials:
      init.username !== undefined && init.password !== undefined ? { username: init.username, password: init.password } : undefined,
    dialTimeoutMs,
    requestTimeoutMs,
  };
}

function timeout(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new DatastoreConfigError(`${what} must be a positive number of milliseconds, got ${value}`);
  }
  return value;
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new DatastoreConfigError(`${what} ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
