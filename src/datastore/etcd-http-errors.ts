// Translates what etcd's JSON gateway answers with, and what the HTTP connection itself runs
// into, into the datastore's named errors. The gateway reports a failed call as a gRPC status
// (code + etcd's message): `{"code":5,"message":"etcdserver: requested lease not found"}` for
// unary calls, `{"error":{"grpc_code":14,"message":"..."}}` inside a stream. etcd's messages
// are stable (api/v3rpc/rpctypes/error.go): gRPC clients build their error classes from the
// same strings.

import {
  DatastoreAuthError,
  DatastoreCompactedError,
  DatastoreFailedError,
  DatastoreRequestError,
  DatastoreUnavailableError,
  LeaseNotFoundError,
  type DatastoreError,
} from './errors.js';

/** A gRPC status as the gateway relays it. */
export interface GatewayStatus {
  /** gRPC code (grpc/codes); 0 when the answer was not a gateway status at all. */
  readonly code: number;
  readonly message: string;
}

export interface HttpErrorContext {
  readonly endpoints: readonly string[];
  /** The lease the request was about, for LeaseNotFoundError. */
  readonly lease?: string;
  /** The revision the request was about, for DatastoreCompactedError. */
  readonly revision?: number;
}

const CANCELLED = 1;
const INVALID_ARGUMENT = 3;
const DEADLINE_EXCEEDED = 4;
const PERMISSION_DENIED = 7;
const UNAVAILABLE = 14;
const UNAUTHENTICATED = 16;

/** Reads the status out of a non-200 answer (or an error line of a stream). */
export function gatewayStatus(httpStatus: number, body: string): GatewayStatus {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null) {
      const top = parsed as { code?: unknown; message?: unknown; error?: unknown };
      const inner =
        typeof top.error === 'object' && top.error !== null ? (top.error as { grpc_code?: unknown; message?: unknown }) : undefined;
      const code = inner !== undefined ? inner.grpc_code : top.code;
      const message = inner !== undefined ? inner.message : (top.message ?? top.error);
      if (typeof code === 'number' && typeof message === 'string') return { code, message };
    }
  } catch {
    // Not the gateway talking (a proxy, or something else on the port): fall through.
  }
  // Proxies and load balancers in front of etcd speak HTTP status only.
  const code = httpStatus === 502 || httpStatus === 503 || httpStatus === 504 ? UNAVAILABLE : 0;
  return { code, message: `HTTP ${httpStatus}: ${body.trim().slice(0, 200) || '(empty body)'}` };
}

/** The token expired, or predates a change of users or roles (etcd then refuses it as issued
 * at an old auth revision): authenticating again fixes it. */
export function isInvalidToken(s: GatewayStatus): boolean {
  return s.code === UNAUTHENTICATED || s.message.includes('invalid auth token') || s.message.includes('revision of auth store is old');
}

/** The endpoint (or the cluster behind it) could not serve the call right now. */
export function isUnavailable(s: GatewayStatus): boolean {
  return s.code === UNAVAILABLE || s.code === DEADLINE_EXCEEDED || s.code === CANCELLED;
}

const AUTH_MESSAGES = [
  'authentication failed',
  'invalid auth token',
  'revision of auth store is old',
  'permission denied',
  'user name is empty',
  'user name not found',
  'authentication is not enabled',
];

export function translateGatewayStatus(s: GatewayStatus, ctx: HttpErrorContext): DatastoreError {
  const message = s.message;
  if (message.includes('requested lease not found')) return new LeaseNotFoundError(ctx.lease ?? '?');
  if (s.code === UNAUTHENTICATED || s.code === PERMISSION_DENIED || AUTH_MESSAGES.some((m) => message.includes(m))) {
    return new DatastoreAuthError(message);
  }
  if (isUnavailable(s)) return new DatastoreUnavailableError(ctx.endpoints, message);
  if (message.includes('required revision has been compacted')) {
    return new DatastoreCompactedError(ctx.revision ?? 0, ctx.revision ?? 0);
  }
  if (s.code === INVALID_ARGUMENT || message.includes('duplicate key given in txn request')) {
    return new DatastoreRequestError(message);
  }
  return new DatastoreFailedError(message);
}
