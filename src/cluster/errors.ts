// Cluster model failures, one class per condition with a stable `code` (STYLE.md).

export type ClusterErrorCode = 'cluster-record-invalid' | 'cluster-self-unknown';

export abstract class ClusterError extends Error {
  abstract readonly code: ClusterErrorCode;
}

export type ClusterRecordKind = 'cluster config' | 'node' | 'peer';

/** A stored or proposed cluster record that does not validate; names every bad field. */
export class ClusterRecordError extends ClusterError {
  override readonly name = 'ClusterRecordError';
  readonly code = 'cluster-record-invalid';
  constructor(
    readonly kind: ClusterRecordKind,
    /** Node or peer name, or the datastore key, when known. */
    readonly subject: string | undefined,
    /** One entry per bad field: `field: what is wrong`. */
    readonly issues: readonly string[],
  ) {
    super(`invalid ${kind}${subject === undefined ? '' : ` "${subject}"`}: ${issues.join('; ')}`);
  }
}

/** Peers were derived for a node that has no node record. */
export class SelfNodeUnknownError extends ClusterError {
  override readonly name = 'SelfNodeUnknownError';
  readonly code = 'cluster-self-unknown';
  constructor(readonly node: string) {
    super(`node "${node}" is not registered (no /wren/v1/nodes/${node} record)`);
  }
}
