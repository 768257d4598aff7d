// IPAM failures, one class per condition with a stable `code` for logs, the CLI and the API.

export type IpamErrorCode =
  | 'ipam-invalid-pool'
  | 'ipam-pool-overlap'
  | 'ipam-no-pool'
  | 'ipam-exhausted'
  | 'ipam-address-outside-pools'
  | 'ipam-address-in-use'
  | 'ipam-conflict'
  | 'ipam-corrupt-record'
  | 'ipam-node-live'
  | 'ipam-unknown-pool'
  | 'ipam-pool-in-use';

export abstract class IpamError extends Error {
  abstract readonly code: IpamErrorCode;
}

/** A pool whose block size does not fit its family or its own length. */
export class IpamInvalidPoolError extends IpamError {
  override readonly name = 'IpamInvalidPoolError';
  readonly code = 'ipam-invalid-pool';
  constructor(
    readonly cidr: string,
    readonly why: string,
  ) {
    super(`invalid pool ${cidr}: ${why}`);
  }
}

export class IpamPoolOverlapError extends IpamError {
  override readonly name = 'IpamPoolOverlapError';
  readonly code = 'ipam-pool-overlap';
  constructor(
    readonly cidr: string,
    readonly existing: string,
  ) {
    super(`pool ${cidr} overlaps existing pool ${existing}`);
  }
}

/** No pool of the requested family (or the named pool does not exist). `unusable`: pools of
 * the family that exist but give nothing (disabled, being deleted); empty when there are none. */
export class IpamNoPoolError extends IpamError {
  override readonly name = 'IpamNoPoolError';
  readonly code = 'ipam-no-pool';
  constructor(
    readonly what: string,
    readonly unusable: readonly string[] = [],
  ) {
    super(`no IPAM pool: ${what}`);
  }
}

/** Every address the node may use is taken (or still cooling down after release). */
export class IpamExhaustedError extends IpamError {
  override readonly name = 'IpamExhaustedError';
  readonly code = 'ipam-exhausted';
  constructor(
    readonly pools: readonly string[],
    readonly node: string,
  ) {
    super(`no free address for node ${node} in pool(s) ${pools.join(', ')}`);
  }
}

export class IpamAddressOutsidePoolsError extends IpamError {
  override readonly name = 'IpamAddressOutsidePoolsError';
  readonly code = 'ipam-address-outside-pools';
  constructor(readonly address: string) {
    super(`address ${address} is not inside any IPAM pool`);
  }
}

export class IpamAddressInUseError extends IpamError {
  override readonly name = 'IpamAddressInUseError';
  readonly code = 'ipam-address-in-use';
  constructor(
    readonly address: string,
    readonly holder: string,
  ) {
    super(`address ${address} is already allocated to handle ${holder}`);
  }
}

/** Compare-and-swap kept losing to concurrent writers; the operation was not applied. */
export class IpamConflictError extends IpamError {
  override readonly name = 'IpamConflictError';
  readonly code = 'ipam-conflict';
  constructor(
    readonly operation: string,
    readonly attempts: number,
  ) {
    super(`${operation} gave up after ${attempts} conflicting attempts`);
  }
}

/** A node's IPAM state cannot be released while its daemon holds a liveness lease. */
export class IpamNodeLiveError extends IpamError {
  override readonly name = 'IpamNodeLiveError';
  readonly code = 'ipam-node-live';
  constructor(readonly node: string) {
    super(`node ${node} is live (its daemon holds a liveness lease): stop its daemon first (the lease then ends within cluster.leaseTtl, 10 s by default)`);
  }
}

/** `pool del` of a pool that does not exist. */
export class IpamUnknownPoolError extends IpamError {
  override readonly name = 'IpamUnknownPoolError';
  readonly code = 'ipam-unknown-pool';
  constructor(
    readonly cidr: string,
    readonly pools: readonly string[],
  ) {
    super(`no pool ${cidr} (pools: ${pools.join(', ') || 'none'})`);
  }
}

/** `pool del` of a pool whose addresses are still allocated: nothing was changed. */
export class IpamPoolInUseError extends IpamError {
  override readonly name = 'IpamPoolInUseError';
  readonly code = 'ipam-pool-in-use';
  constructor(
    readonly cidr: string,
    readonly allocated: number,
    readonly handles: readonly string[],
  ) {
    const shown = handles.slice(0, 5).join(', ') + (handles.length > 5 ? `, and ${handles.length - 5} more` : '');
    super(
      `pool ${cidr} still has ${allocated} address${allocated === 1 ? '' : 'es'} allocated (handles: ${shown}); ` +
        'delete those pods, or release them with "wren ipam release --handle H", then delete the pool',
    );
  }
}

/** A stored IPAM record that does not parse; `wren ipam check` reports these too. */
export class IpamCorruptRecordError extends IpamError {
  override readonly name = 'IpamCorruptRecordError';
  readonly code = 'ipam-corrupt-record';
  constructor(
    readonly key: string,
    readonly why: string,
  ) {
    super(`corrupt IPAM record at ${key}: ${why}`);
  }
}
