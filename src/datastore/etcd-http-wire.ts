// etcd's v3 API in the JSON form its grpc-gateway serves on the client port (etcd 3.4+: POST
// /v3/kv/range and friends). The proto3 JSON mapping decides the shapes: bytes are base64,
// int64 are decimal strings, enums are upper-case names, and a field holding its default value
// (0, false, "", empty list) is left out of a response, so every read below has a default.
// Request int64s are sent as strings too, which the gateway accepts for every int64 field.

import type { Compare, CompareOp, KeyValue, LeaseId, TxnOp, WatchEvent } from './port.js';

export interface WireHeader {
  readonly revision?: string;
}

export interface WireKeyValue {
  readonly key?: string;
  readonly value?: string;
  readonly create_revision?: string;
  readonly mod_revision?: string;
  readonly version?: string;
  readonly lease?: string;
}

export interface WireRangeResponse {
  readonly header?: WireHeader;
  readonly kvs?: readonly WireKeyValue[];
}

export interface WireDeleteRangeResponse {
  readonly header?: WireHeader;
  readonly deleted?: string;
}

export interface WireTxnResponse {
  readonly header?: WireHeader;
  readonly succeeded?: boolean;
  readonly responses?: readonly {
    readonly response_range?: WireRangeResponse;
    readonly response_delete_range?: WireDeleteRangeResponse;
  }[];
}

export interface WireLeaseGrantResponse {
  readonly ID?: string;
  readonly TTL?: string;
  readonly error?: string;
}

/** One answer of the LeaseKeepAlive stream; TTL is absent (0) when the lease is gone. */
export interface WireLeaseKeepAliveResponse {
  readonly TTL?: string;
}

export interface WireAuthenticateResponse {
  readonly token?: string;
}

export interface WireWatchResponse {
  readonly header?: WireHeader;
  readonly created?: boolean;
  readonly canceled?: boolean;
  readonly compact_revision?: string;
  readonly cancel_reason?: string;
  readonly events?: readonly { readonly type?: 'PUT' | 'DELETE'; readonly kv?: WireKeyValue }[];
}

/** Request bodies are plain JSON values. */
export type WireRequest = { readonly [field: string]: WireValue };
type WireValue = string | number | boolean | WireRequest | readonly WireValue[];

export function b64(text: string | Buffer): string {
  return Buffer.from(text).toString('base64');
}

function text(b64text: string | undefined): string {
  return b64text === undefined ? '' : Buffer.from(b64text, 'base64').toString('utf8');
}

/** An int64 field as a JS number (see port.ts on why revisions fit). */
export function int(field: string | undefined): number {
  return field === undefined ? 0 : Number(field);
}

export function revisionOf(res: { readonly header?: WireHeader }): number {
  return int(res.header?.revision);
}

function leaseOf(field: string | undefined): LeaseId | undefined {
  return field === undefined || field === '0' || field === '' ? undefined : field;
}

export function toKeyValue(kv: WireKeyValue): KeyValue {
  return {
    key: text(kv.key),
    value: text(kv.value),
    createRevision: int(kv.create_revision),
    modRevision: int(kv.mod_revision),
    version: int(kv.version),
    lease: leaseOf(kv.lease),
  };
}

export function toWatchEvent(ev: { readonly type?: 'PUT' | 'DELETE'; readonly kv?: WireKeyValue }): WatchEvent {
  const kv = toKeyValue(ev.kv ?? {});
  return ev.type === 'DELETE'
    ? { type: 'delete', key: kv.key, modRevision: kv.modRevision }
    : {
        type: 'put',
        key: kv.key,
        value: kv.value,
        modRevision: kv.modRevision,
        createRevision: kv.createRevision,
        version: kv.version,
        lease: kv.lease,
      };
}

const RESULT = { '==': 'EQUAL', '!=': 'NOT_EQUAL', '<': 'LESS', '>': 'GREATER' } as const satisfies Record<CompareOp, string>;

export function toWireCompare(c: Compare): WireRequest {
  const key = b64(c.key);
  switch (c.target) {
    case 'modRevision':
      return { key, target: 'MOD', result: RESULT[c.op], mod_revision: String(c.revision) };
    case 'createRevision':
      return { key, target: 'CREATE', result: RESULT[c.op], create_revision: String(c.revision) };
    case 'version':
      return { key, target: 'VERSION', result: RESULT[c.op], version: String(c.version) };
    case 'value':
      return { key, target: 'VALUE', result: RESULT[c.op], value: b64(c.value) };
    // A missing key compares as version 0 (etcd server/etcdserver/apply.go applyCompare).
    case 'exists':
      return { key, target: 'VERSION', result: 'GREATER', version: '0' };
    case 'absent':
      return { key, target: 'VERSION', result: 'EQUAL', version: '0' };
  }
}

export function putRequest(key: string, value: string, lease: LeaseId | undefined): WireRequest {
  return lease === undefined ? { key: b64(key), value: b64(value) } : { key: b64(key), value: b64(value), lease };
}

export function toWireOp(o: TxnOp): WireRequest {
  switch (o.kind) {
    case 'put':
      return { request_put: putRequest(o.key, o.value, o.lease) };
    case 'delete':
      return { request_delete_range: { key: b64(o.key) } };
    case 'get':
      return { request_range: { key: b64(o.key) } };
  }
}
