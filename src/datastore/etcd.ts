// etcd v3 adapter over the `etcd3` client. It uses the client's raw gRPC services (KV, Lease,
// Watch) rather than its builders, so revisions, compares and watch resumption are ours to
// control. Every unary call has a deadline (dial + request timeout) so an unreachable etcd
// fails fast with DatastoreUnavailableError instead of hanging the caller; the client's default
// per-host circuit breaker (which would keep failing for 5 s after etcd comes back) is replaced
// by a plain fail-over across endpoints.

import { readFileSync } from 'node:fs';
import { ConstantBackoff, handleWhen, noop, retry } from 'cockatiel';
import { Etcd3, isRecoverableError, type ICompare, type IKeyValue, type IOptions, type IRequestOp } from 'etcd3';
import { EtcdKeepAlive } from './etcd-keepalive.js';
import { translateEtcdError, type ErrorContext } from './etcd-errors.js';
import { EtcdWatcher } from './etcd-watch.js';
import { DatastoreClosedError, DatastoreConfigError, DatastoreRequestError } from './errors.js';
import {
  prefixRangeEnd,
  type Compare,
  type CompareOp,
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

/** Mirrors the `datastore.etcd` section of the daemon config. */
export interface EtcdDatastoreInit {
  /** `http://host:port`, `https://host:port` or `host:port`. */
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

const DEFAULT_DIAL_TIMEOUT_MS = 2_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

export class EtcdDatastore implements Datastore {
  private readonly client: Etcd3;
  private readonly endpoints: readonly string[];
  private readonly requestTimeoutMs: number;
  private readonly watchers = new Set<EtcdWatcher>();
  private readonly keepAlives = new Set<EtcdKeepAlive>();
  /** TTLs of leases granted through this client, so keep-alive knows its deadline at once. */
  private readonly grantedTtl = new Map<LeaseId, number>();
  private closed = false;

  constructor(init: EtcdDatastoreInit) {
    this.endpoints = [...init.endpoints];
    this.requestTimeoutMs = init.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.client = new Etcd3(clientOptions(init));
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.call({}, () => this.client.kv.range({ key: Buffer.from(key) }));
    const kv = res.kvs[0];
    return kv === undefined ? undefined : toKeyValue(kv);
  }

  async list(prefix: string): Promise<ListResult> {
    const key = prefix === '' ? Buffer.from([0]) : Buffer.from(prefix);
    const res = await this.call({}, () =>
      this.client.kv.range({ key, range_end: prefixRangeEnd(Buffer.from(prefix)), sort_order: 'Ascend', sort_target: 'Key' }),
    );
    return { kvs: res.kvs.map(toKeyValue), revision: Number(res.header.revision) };
  }

  async put(key: string, value: string, opts: PutOptions = {}): Promise<WriteResult> {
    const ctx = opts.lease === undefined ? {} : { lease: opts.lease };
    const res = await this.call(ctx, () =>
      this.client.kv.put({ key: Buffer.from(key), value: Buffer.from(value), ...(opts.lease === undefined ? {} : { lease: opts.lease }) }),
    );
    return { revision: Number(res.header.revision) };
  }

  async delete(key: string): Promise<DeleteResult> {
    const res = await this.call({}, () => this.client.kv.deleteRange({ key: Buffer.from(key) }));
    return { revision: Number(res.header.revision), deleted: Number(res.deleted) };
  }

  async txn(compares: readonly Compare[], onSuccess: readonly TxnOp[], onFailure: readonly TxnOp[] = []): Promise<TxnResult> {
    const lease = [...onSuccess, ...onFailure].find((o) => o.kind === 'put' && o.lease !== undefined);
    const ctx = lease?.kind === 'put' && lease.lease !== undefined ? { lease: lease.lease } : {};
    const res = await this.call(ctx, () =>
      this.client.kv.txn({ compare: compares.map(toCompare), success: onSuccess.map(toRequestOp), failure: onFailure.map(toRequestOp) }),
    );
    const ops = res.succeeded ? onSuccess : onFailure;
    const results = ops.map((o, i): TxnOpResult => {
      const r = res.responses[i];
      switch (o.kind) {
        case 'put':
          return { kind: 'put' };
        case 'delete':
          return { kind: 'delete', deleted: Number(r?.response_delete_range?.deleted ?? 0) };
        case 'get': {
          const kv = r?.response_range?.kvs[0];
          return { kind: 'get', kv: kv === undefined ? undefined : toKeyValue(kv) };
        }
      }
    });
    return { succeeded: res.succeeded, revision: Number(res.header.revision), results };
  }

  watch(prefix: string, opts: WatchOptions = {}): Watcher {
    const w = new EtcdWatcher({
      client: this.client.watchClient,
      key: prefix === '' ? Buffer.from([0]) : Buffer.from(prefix),
      rangeEnd: prefixRangeEnd(Buffer.from(prefix)),
      fromRevision: opts.fromRevision,
    });
    if (this.closed) void w.close();
    else this.watchers.add(w);
    return w;
  }

  async grantLease(ttlSeconds: number): Promise<LeaseId> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new DatastoreRequestError(`lease TTL ${ttlSeconds}`);
    const res = await this.call({}, () => this.client.leaseClient.leaseGrant({ TTL: ttlSeconds }));
    // etcd may raise a TTL below its minimum (1.5 election timeouts); it reports what it granted.
    this.grantedTtl.set(res.ID, Number(res.TTL));
    return res.ID;
  }

  keepAlive(lease: LeaseId): KeepAlive {
    const ka = new EtcdKeepAlive({
      client: this.client.leaseClient,
      lease,
      ttlSeconds: this.grantedTtl.get(lease),
      replyTimeoutMs: this.requestTimeoutMs,
    });
    if (this.closed) ka.stop();
    else this.keepAlives.add(ka);
    return ka;
  }

  async revokeLease(lease: LeaseId): Promise<void> {
    await this.call({ lease }, () => this.client.leaseClient.leaseRevoke({ ID: lease }));
    this.grantedTtl.delete(lease);
  }

  /** Discards history before `revision` (etcd's compaction), for tests and maintenance. */
  async compact(revision: number): Promise<void> {
    await this.call({ revision }, () => this.client.kv.compact({ revision, physical: true }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watchers) await w.close();
    for (const k of this.keepAlives) k.stop();
    this.client.close();
  }

  private async call<T>(ctx: Omit<ErrorContext, 'endpoints'>, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new DatastoreClosedError();
    try {
      return await fn();
    } catch (err) {
      throw translateEtcdError(err, { endpoints: this.endpoints, ...ctx });
    }
  }
}

function clientOptions(init: EtcdDatastoreInit): IOptions {
  if (init.endpoints.length === 0) throw new DatastoreConfigError('no etcd endpoints');
  const secure = init.endpoints.some((e) => e.startsWith('https://'));
  if (secure && init.tls === undefined) throw new DatastoreConfigError('https endpoints need tls.ca');
  if ((init.tls?.cert === undefined) !== (init.tls?.key === undefined)) {
    throw new DatastoreConfigError('tls.cert and tls.key go together');
  }
  if ((init.username === undefined) !== (init.password === undefined)) {
    throw new DatastoreConfigError('username and password go together');
  }
  const budgetMs = (init.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS) + (init.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  // Streams (watch, keep-alive) live for as long as they are wanted; only unary calls get a deadline.
  const callOptions = (ctx: { isStream: boolean }): { deadline?: number } =>
    ctx.isStream ? {} : { deadline: Date.now() + budgetMs };
  const options: IOptions = {
    hosts: init.endpoints,
    defaultCallOptions: callOptions,
    grpcOptions: {
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2_000,
      // Detect a dead connection (etcd host gone) on otherwise idle watch streams. etcd refuses
      // pings more often than every 5 s (--grpc-keepalive-min-time).
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
    },
    faultHandling: {
      host: () => noop,
      // Another endpoint may answer where one failed; with one endpoint there is nothing to retry.
      global:
        init.endpoints.length > 1
          ? retry(handleWhen(isRecoverableError), { maxAttempts: init.endpoints.length - 1, backoff: new ConstantBackoff(50) })
          : noop,
    },
  };
  if (init.tls !== undefined) {
    options.credentials = {
      rootCertificate: readPem(init.tls.ca, 'tls.ca'),
      ...(init.tls.cert === undefined ? {} : { certChain: readPem(init.tls.cert, 'tls.cert') }),
      ...(init.tls.key === undefined ? {} : { privateKey: readPem(init.tls.key, 'tls.key') }),
    };
  }
  if (init.username !== undefined && init.password !== undefined) {
    options.auth = { username: init.username, password: init.password, callOptions };
  }
  return options;
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new DatastoreConfigError(`${what} ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function toKeyValue(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    version: Number(kv.version),
    lease: kv.lease === '0' || kv.lease === '' ? undefined : kv.lease,
  };
}

const RESULT = { '==': 'Equal', '!=': 'NotEqual', '<': 'Less', '>': 'Greater' } as const satisfies Record<CompareOp, string>;

function toCompare(c: Compare): ICompare {
  const key = Buffer.from(c.key);
  switch (c.target) {
    case 'modRevision':
      return { key, target: 'Mod', result: RESULT[c.op], mod_revision: c.revision };
    case 'createRevision':
      return { key, target: 'Create', result: RESULT[c.op], create_revision: c.revision };
    case 'version':
      return { key, target: 'Version', result: RESULT[c.op], version: c.version };
    case 'value':
      return { key, target: 'Value', result: RESULT[c.op], value: Buffer.from(c.value) };
    // A missing key compares as version 0 (etcd server/etcdserver/apply.go applyCompare).
    case 'exists':
      return { key, target: 'Version', result: 'Greater', version: 0 };
    case 'absent':
      return { key, target: 'Version', result: 'Equal', version: 0 };
  }
}

function toRequestOp(o: TxnOp): IRequestOp {
  const key = Buffer.from(o.key);
  switch (o.kind) {
    case 'put':
      return { request_put: { key, value: Buffer.from(o.value), ...(o.lease === undefined ? {} : { lease: o.lease }) } };
    case 'delete':
      return { request_delete_range: { key } };
    case 'get':
      return { request_range: { key } };
  }
}
