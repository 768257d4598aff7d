// Typed kernel-layer failures. Per-route refusals are values (RouteOpFailure), not exceptions;
// these classes are for conditions that stop a whole operation.

export type KernelErrorCode =
  | 'route-encode-invalid'
  | 'netlink-dump-failed'
  | 'netlink-closed'
  | 'netlink-unsupported-host';

export class KernelError extends Error {
  override readonly name = 'KernelError';
  constructor(
    readonly code: KernelErrorCode,
    message: string,
    /** Errno name when the kernel said why ('EPERM', 'EBUSY' …). */
    readonly errnoCode?: string,
  ) {
    super(message);
  }
}

/** A DesiredRoute that cannot be put on the wire (next-hop family differs from the prefix's). */
export class RouteEncodeError extends KernelError {
  constructor(message: string) {
    super('route-encode-invalid', message);
  }
}
