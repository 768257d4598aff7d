// Datastore failures, one class per condition, each with a stable `code` that logs, metrics and
// the CLI can rely on. Adapters translate their client's errors into these; callers never match
// on messages or on HTTP/gRPC details.

export type DatastoreErrorCode =
  | 'datastore-unavailable'
  | 'datastore-compacted'
  | 'datastore-closed'
  | 'datastore-auth-failed'
  | 'datastore-config-invalid'
  | 'datastore-request-invalid'
  | 'datastore-request-failed'
  | 'lease-not-found'
  | 'lease-lost';

export abstract class DatastoreError extends Error {
  abstract readonly code: DatastoreErrorCode;
}

/** No endpoint answered in time (refused, unreachable, or the call deadline passed). */
export class DatastoreUnavailableError extends DatastoreError {
  override readonly name = 'DatastoreUnavailableError';
  readonly code = 'datastore-unavailable';
  constructor(
    /** The endpoints that were tried, as configured. */
    readonly endpoints: readonly string[],
    /** What the client said, for the log line. */
    readonly detail: string,
  ) {
    super(`datastore unavailable at ${endpoints.join(', ')}: ${detail}`);
  }
}

/**
 * A watch asked for history the store has already discarded. The caller must re-list (see
 * `resyncingWatch`): events between `requestedRevision` and now are gone for good.
 */
export class DatastoreCompactedError extends DatastoreError {
  override readonly name = 'DatastoreCompactedError';
  readonly code = 'datastore-compacted';
  constructor(
    readonly requestedRevision: number,
    /** Oldest revision still available. */
    readonly compactRevision: number,
  ) {
    super(`revision ${requestedRevision} was compacted (history starts at ${compactRevision})`);
  }
}

export class DatastoreClosedError extends DatastoreError {
  override readonly name = 'DatastoreClosedError';
  readonly code = 'datastore-closed';
  constructor() {
    super('datastore client is closed');
  }
}

/** Wrong username/password, an expired token, or a role without permission for the key. */
export class DatastoreAuthError extends DatastoreError {
  override readonly name = 'DatastoreAuthError';
  readonly code = 'datastore-auth-failed';
  constructor(readonly detail: string) {
    super(`datastore authentication or permission failure: ${detail}`);
  }
}

/** Options that cannot work (no endpoints, unreadable certificate file, https without TLS). */
export class DatastoreConfigError extends DatastoreError {
  override readonly name = 'DatastoreConfigError';
  readonly code = 'datastore-config-invalid';
  constructor(detail: string) {
    super(`invalid datastore options: ${detail}`);
  }
}

/** The request itself is wrong (e.g. the same key written twice in one transaction). */
export class DatastoreRequestError extends DatastoreError {
  override readonly name = 'DatastoreRequestError';
  readonly code = 'datastore-request-invalid';
  constructor(detail: string) {
    super(`invalid datastore request: ${detail}`);
  }
}

/** Anything else the server rejected; `detail` carries its message. */
export class DatastoreFailedError extends DatastoreError {
  override readonly name = 'DatastoreFailedError';
  readonly code = 'datastore-request-failed';
  constructor(readonly detail: string) {
    super(`datastore request failed: ${detail}`);
  }
}

export class LeaseNotFoundError extends DatastoreError {
  override readonly name = 'LeaseNotFoundError';
  readonly code = 'lease-not-found';
  constructor(readonly lease: string) {
    super(`lease ${lease} not found (expired or revoked)`);
  }
}

export type LeaseLostReason = 'expired' | 'not-found' | 'unreachable';

/** Reported by a keep-alive handle when its lease can no longer be kept alive. */
export class LeaseLostError extends DatastoreError {
  override readonly name = 'LeaseLostError';
  readonly code = 'lease-lost';
  constructor(
    readonly lease: string,
    readonly reason: LeaseLostReason,
  ) {
    super(`lease ${lease} lost: ${reason}`);
  }
}
