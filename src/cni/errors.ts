// CNI error codes and the one error class the plugin throws. Codes 1-99 are the spec's
// (CNI 1.0 "Well-known Error Codes", 50-51 from 1.1); 100 and up are Wren's own and are
// documented in docs/cni.md. main.ts turns a CniError into the spec's error JSON.

export const CniCode = {
  /** 1: the config's cniVersion is not one this plugin speaks, or too old for the command */
  IncompatibleVersion: 1,
  /** 2: a field the plugin does not support; the message names the key and value */
  UnsupportedField: 2,
  /** 3: the container (attachment, or its network namespace) does not exist */
  UnknownContainer: 3,
  /** 4: a CNI_* environment variable is missing or malformed; the message names it */
  InvalidEnvironment: 4,
  /** 5: reading stdin failed */
  IoFailure: 5,
  /** 6: stdin is not JSON */
  DecodeFailure: 6,
  /** 7: a config field has a wrong type or value; the message names it */
  InvalidConfig: 7,
  /** 11: transient; the runtime should retry (daemon unreachable, datastore down) */
  TryAgainLater: 11,
  /** 50 (CNI 1.1 STATUS): the plugin cannot service ADD now */
  PluginNotAvailable: 50,

  /** an unexpected failure: the daemon's code "internal" or one this plugin does not know, or a bug in the plugin; msg says which */
  Internal: 100,
  /** the daemon refused the request as malformed ("bad-request") */
  DaemonBadRequest: 101,
  /** the requested address is already used by another pod ("address-in-use") */
  AddressInUse: 102,
  /** the requested address is outside the node's pod pool ("address-outside-pool") */
  AddressOutsidePool: 103,
  /** no free address left in the pod pool ("pool-exhausted") */
  PoolExhausted: 104,
  /** a netlink step failed; the daemon rolled back everything it had done ("kernel") */
  KernelFailure: 105,
  /** the daemon runs without pod wiring (no `pods:` section in its config) ("pods-unavailable") */
  PodsUnavailable: 106,
  /** the daemon does not know the method: it is older than this plugin ("unknown-method") */
  DaemonTooOld: 107,
  /** the daemon's reply is not what the control API promises */
  BadDaemonReply: 108,
  /** ADD for an attachment that already exists with another netns, interface or address */
  AttachmentConflict: 109,
  /** CHECK found the attachment differs from prevResult or from what the daemon recorded */
  CheckFailed: 110,
} as const;

export type CniCodeNumber = (typeof CniCode)[keyof typeof CniCode];

export class CniError extends Error {
  override readonly name = 'CniError';
  constructor(
    readonly code: CniCodeNumber,
    message: string,
    readonly details = '',
  ) {
    super(message);
  }
}

/** The spec's error object, printed on stdout with a non-zero exit. */
export interface CniErrorJson {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

export function errorJson(cniVersion: string, e: CniError): CniErrorJson {
  return e.details === '' ? { cniVersion, code: e.code, msg: e.message } : { cniVersion, code: e.code, msg: e.message, details: e.details };
}
