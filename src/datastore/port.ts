// The datastore port: what IPAM, the node registry and the daemon need from a consistent
// key-value store, shaped after etcd v3's data model (one global revision counter; every key
// carries createRevision, modRevision and version; multi-key transactions guarded by compares;
// watches that replay history from a revision; leases that delete their keys when they end).
// Two adapters implement it: `EtcdHttpDatastore` (production, etcd's v3 JSON gateway) and `MemoryDatastore` (tests).
//
// Values are UTF-8 strings, JSON by convention (the key schema decides the shape). Strings keep
// every caller free of Buffer juggling, and nothing Wren stores is binary. Keys are strings too;
// listing order is byte order of their UTF-8 form, as in etcd.
//
// Revisions are JS numbers: etcd's int64 revisions stay below 2^53 for any realistic cluster
// lifetime (one write per microsecond for 285 years). Lease ids are not small (etcd draws them
// at random from the int64 space), so they are decimal strings.

import type { DatastoreCompactedError, DatastoreError, LeaseLostError } from './errors.js';
import type { Listener } from './events.js';

/** Decimal int64 lease id, as etcd prints it. */
export type LeaseId = string;

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  /** Revision of the write that created this key (since its last deletion). */
  readonly createRevision: number;
  /** Revision of the last write to this key; the usual compare-and-swap guard. */
  readonly modRevision: number;
  /** Number of writes since creation: 1 after the first put. */
  readonly version: number;
  /** Lease the key is bound to, if any. */
  readonly lease: LeaseId | undefined;
}

export interface ListResult {
  /** Sorted by key. */
  readonly kvs: KeyValue[];
  /** Store revision the listing was read at: watch from `revision + 1` to miss nothing. */
  readonly revision: number;
}

export interface PutOptions {
  /** Bind the key to this lease (it is deleted when the lease ends). Without it, any lease the
   * key had is detached, as etcd does. */
  lease?: LeaseId;
}

export interface WriteResult {
  /** Store revision after the write (the key's new modRevision for a put). */
  readonly revision: number;
}

export interface DeleteResult extends WriteResult {
  readonly deleted: number;
}

export type CompareOp = '==' | '!=' | '<' | '>';

/**
 * One guard of a transaction. A missing key has version, createRevision and modRevision 0, and
 * every `value` compare on it fails (etcd cannot tell "missing" from "empty").
 */
export type Compare =
  | { readonly target: 'modRevision'; readonly key: string; readonly op: CompareOp; readonly revision: number }
  | { readonly target: 'createRevision'; readonly key: string; readonly op: CompareOp; readonly revision: number }
  | { readonly target: 'version'; readonly key: string; readonly op: CompareOp; readonly version: number }
  | { readonly target: 'value'; readonly key: string; readonly op: CompareOp; readonly value: string }
  | { readonly target: 'exists'; readonly key: string }
  | { readonly target: 'absent'; readonly key: string };

/** Builders for compares, so call sites read like the condition they guard. */
export const cmp = {
  modRevision: (key: string, op: CompareOp, revision: number): Compare => ({ target: 'modRevision', key, op, revision }),
  createRevision: (key: string, op: CompareOp, revision: number): Compare => ({
    target: 'createRevision',
    key,
    op,
    revision,
  }),
  version: (key: string, op: CompareOp, version: number): Compare => ({ target: 'version', key, op, version }),
  value: (key: string, op: CompareOp, value: string): Compare => ({ target: 'value', key, op, value }),
  exists: (key: string): Compare => ({ target: 'exists', key }),
  absent: (key: string): Compare => ({ target: 'absent', key }),
  /** The key is exactly as it was read (or still absent if it was). */
  unchanged: (key: string, kv: KeyValue | undefined): Compare =>
    kv === undefined ? { target: 'absent', key } : { target: 'modRevision', key, op: '==', revision: kv.modRevision },
} as const;

export type TxnOp =
  | { readonly kind: 'put'; readonly key: string; readonly value: string; readonly lease?: LeaseId }
  | { readonly kind: 'delete'; readonly key: string }
  | { readonly kind: 'get'; readonly key: string };

export const op = {
  put: (key: string, value: string, opts: PutOptions = {}): TxnOp =>
    opts.lease === undefined ? { kind: 'put', key, value } : { kind: 'put', key, value, lease: opts.lease },
  delete: (key: string): TxnOp => ({ kind: 'delete', key }),
  get: (key: string): TxnOp => ({ kind: 'get', key }),
} as const;

export type TxnOpResult =
  | { readonly kind: 'put' }
  | { readonly kind: 'delete'; readonly deleted: number }
  | { readonly kind: 'get'; readonly kv: KeyValue | undefined };

export interface TxnResult {
  /** All compares held and the success branch ran; otherwise the failure branch ran. */
  readonly succeeded: boolean;
  /** Store revision after the transaction (unchanged if the branch wrote nothing). */
  readonly revision: number;
  /** One result per op of the branch that ran, in order. */
  readonly results: TxnOpResult[];
}

export type WatchEvent =
  | {
      readonly type: 'put';
      readonly key: string;
      readonly value: string;
      readonly modRevision: number;
      readonly createRevision: number;
      readonly version: number;
      readonly lease: LeaseId | undefined;
    }
  | { readonly type: 'delete'; readonly key: string; readonly modRevision: number };

export interface WatchOptions {
  /** First revision to deliver (history is replayed from there). Default: changes after the
   * watch is established. */
  fromRevision?: number;
}

export interface WatcherEvents {
  /** A change, in revision order; events of one transaction share a modRevision. */
  event: WatchEvent;
  /** History from the requested revision is gone; the watcher has stopped. Re-list. */
  compacted: DatastoreCompactedError;
  /** The watch cannot continue (e.g. permission denied); it has stopped. Disconnects are not
   * errors: adapters resume from the last delivered revision by themselves. */
  error: DatastoreError;
}

export interface Watcher {
  on<K extends keyof WatcherEvents>(type: K, fn: Listener<WatcherEvents[K]>): void;
  off<K extends keyof WatcherEvents>(type: K, fn: Listener<WatcherEvents[K]>): void;
  /** Resolves once the server has accepted the watch (later writes will be seen). */
  readonly ready: Promise<void>;
  /** The revision the next delivered event will have at least; undefined until known. */
  readonly nextRevision: number | undefined;
  close(): Promise<void>;
}

export interface KeepAliveEvents {
  /** The lease ended or could not be refreshed before its TTL ran out; refreshing has stopped. */
  lost: LeaseLostError;
}

export interface KeepAlive {
  on<K extends keyof KeepAliveEvents>(type: K, fn: Listener<KeepAliveEvents[K]>): void;
  readonly lease: LeaseId;
  /** Stops refreshing; the lease then expires after its TTL unless revoked. */
  stop(): void;
}

export interface Datastore {
  get(key: string): Promise<KeyValue | undefined>;
  /** Every key starting with `prefix` ('' lists the whole store). */
  list(prefix: string): Promise<ListResult>;
  put(key: string, value: string, opts?: PutOptions): Promise<WriteResult>;
  delete(key: string): Promise<DeleteResult>;
  /** If every compare holds run `onSuccess`, else `onFailure`, atomically. A key may be
   * written at most once per branch. */
  txn(compares: readonly Compare[], onSuccess: readonly TxnOp[], onFailure?: readonly TxnOp[]): Promise<TxnResult>;
  /** Changes to keys starting with `prefix`. */
  watch(prefix: string, opts?: WatchOptions): Watcher;
  grantLease(ttlSeconds: number): Promise<LeaseId>;
  /** Refreshes the lease about every TTL/3 until stopped or lost. */
  keepAlive(lease: LeaseId): KeepAlive;
  /** Ends the lease now, deleting its keys. Throws LeaseNotFoundError if it is already gone. */
  revokeLease(lease: LeaseId): Promise<void>;
  /** Stops watchers and keep-alives and releases connections. */
  close(): Promise<void>;
}

/** Smallest key greater than every key with this prefix (etcd's range_end for a prefix). */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i] = end[i] + 1;
      return end.subarray(0, i + 1);
    }
  }
  // All 0xff (or empty): no upper bound; etcd spells that as a single zero byte.
  return Buffer.from([0]);
}
