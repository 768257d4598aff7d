// Talking to the wren daemon: one call per request over the control socket, every failure
// turned into a CniError with the code docs/cni.md lists, and replies checked before use (a
// TypeError deep in result building would reach the runtime as a stack trace, not as JSON).
import { ApiError, DaemonUnreachableError, callDaemon } from '../api/client.js';
import type { ApiMethod, ApiMethods, PodCheckResult, PodInfo } from '../api/types.js';
import { CniCode, CniError, type CniCodeNumber } from './errors.js';
import { isObject, isStringArray } from './json.js';

export type DaemonCall = <M extends ApiMethod>(method: M, params: ApiMethods[M]['params']) => Promise<ApiMethods[M]['result']>;

/** Daemon error codes (ApiError.code) and what the runtime gets for each. */
const DAEMON_CODES: Record<string, CniCodeNumber> = {
  'bad-request': CniCode.DaemonBadRequest,
  // The namespace is gone: the container no longer exists, nothing was created (CNI code 3).
  'netns-missing': CniCode.UnknownContainer,
  'unknown-pod': CniCode.UnknownContainer,
  'address-in-use': CniCode.AddressInUse,
  'address-outside-pool': CniCode.AddressOutsidePool,
  'pool-exhausted': CniCode.PoolExhausted,
  // The id exists with another netns, ifname or address (the runtime broke the ADD-once rule).
  'pod-conflict': CniCode.AttachmentConflict,
  kernel: CniCode.KernelFailure,
  'pods-unavailable': CniCode.PodsUnavailable,
  // The datastore behind IPAM is down: transient, the runtime should retry.
  'ipam-unavailable': CniCode.TryAgainLater,
  'unknown-method': CniCode.DaemonTooOld,
  internal: CniCode.Internal,
};

export function daemonCaller(socketPath: string, timeoutMs: number): DaemonCall {
  return (method, params) =>
    callDaemon(socketPath, method, params, timeoutMs).catch((e: unknown) => {
      throw toCniError(e, method, socketPath);
    });
}

export function toCniError(e: unknown, method: ApiMethod, socketPath: string): CniError {
  if (e instanceof CniError) return e;
  if (e instanceof DaemonUnreachableError) {
    return new CniError(CniCode.TryAgainLater, e.message, `the wren daemon must be running on this node and listening on ${socketPath} (controlSocket in the network config)`);
  }
  if (e instanceof ApiError) {
    const code = DAEMON_CODES[e.code] ?? CniCode.Internal;
    return new CniError(code, `wren daemon ${method}: ${e.message}`, `daemon error code "${e.code}"`);
  }
  return new CniError(CniCode.Internal, `wren daemon ${method}: ${e instanceof Error ? e.message : String(e)}`);
}

const badReply = (method: ApiMethod, why: string): CniError => new CniError(CniCode.BadDaemonReply, `wren daemon ${method}: unexpected reply: ${why}`, 'is the daemon the same version as wren-cni?');

export function checkPodInfo(method: ApiMethod, v: unknown): PodInfo {
  if (!isObject(v)) throw badReply(method, 'not an object');
  for (const key of ['id', 'netns', 'ifname', 'hostIfname', 'mac', 'hostMac'] as const) {
    if (typeof v[key] !== 'string') throw badReply(method, `${key} is not a string`);
  }
  for (const key of ['ipv4', 'ipv6'] as const) {
    if (v[key] !== null && typeof v[key] !== 'string') throw badReply(method, `${key} is neither a string nor null`);
  }
  return v as unknown as PodInfo;
}

export function checkPodList(v: unknown): PodInfo[] {
  if (!Array.isArray(v)) throw badReply('podList', 'not an array');
  for (const p of v) if (!isObject(p) || typeof p.id !== 'string') throw badReply('podList', 'an entry has no string id');
  return v as PodInfo[];
}

export function checkPodCheck(v: unknown): PodCheckResult {
  if (!isObject(v) || !isStringArray(v.problems)) throw badReply('podCheck', 'problems is not an array of strings');
  return v as unknown as PodCheckResult;
}
