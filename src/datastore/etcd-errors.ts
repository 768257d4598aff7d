// Translates what the etcd3 client throws (its own classes over gRPC status codes, and
// cockatiel's broken-circuit error) into the datastore's named errors.

import { isBrokenCircuitError } from 'cockatiel';
import {
  ClientClosedError,
  EtcdAuthenticationFailedError,
  EtcdInvalidAuthTokenError,
  EtcdLeaseInvalidError,
  EtcdPermissionDeniedError,
  GRPCCancelledError,
  GRPCDeadlineExceededError,
  GRPCInvalidArgumentError,
  GRPCUnauthenticatedError,
  GRPCUnavailableError,
} from 'etcd3';
import {
  DatastoreAuthError,
  DatastoreClosedError,
  DatastoreCompactedError,
  DatastoreError,
  DatastoreFailedError,
  DatastoreRequestError,
  DatastoreUnavailableError,
  LeaseNotFoundError,
} from './errors.js';

export interface ErrorContext {
  readonly endpoints: readonly string[];
  /** The lease the request was about, for LeaseNotFoundError. */
  readonly lease?: string;
  /** The revision the request was about, for DatastoreCompactedError. */
  readonly revision?: number;
}

export function translateEtcdError(err: unknown, ctx: ErrorContext): DatastoreError {
  if (err instanceof DatastoreError) return err;
  if (!(err instanceof Error)) return new DatastoreFailedError(String(err));
  const message = err.message;
  if (err instanceof ClientClosedError) return new DatastoreClosedError();
  if (err instanceof EtcdLeaseInvalidError) return new LeaseNotFoundError(ctx.lease ?? '?');
  if (
    err instanceof EtcdAuthenticationFailedError ||
    err instanceof EtcdInvalidAuthTokenError ||
    err instanceof EtcdPermissionDeniedError ||
    err instanceof GRPCUnauthenticatedError
  ) {
    return new DatastoreAuthError(message);
  }
  if (
    err instanceof GRPCUnavailableError ||
    err instanceof GRPCDeadlineExceededError ||
    // The client cancels in-flight calls when a channel is reset after a connection failure.
    err instanceof GRPCCancelledError ||
    isBrokenCircuitError(err)
  ) {
    return new DatastoreUnavailableError(ctx.endpoints, firstLine(message));
  }
  if (message.includes('required revision has been compacted')) {
    return new DatastoreCompactedError(ctx.revision ?? 0, ctx.revision ?? 0);
  }
  if (err instanceof GRPCInvalidArgumentError || message.includes('duplicate key given in txn request')) {
    return new DatastoreRequestError(firstLine(message));
  }
  return new DatastoreFailedError(firstLine(message));
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
