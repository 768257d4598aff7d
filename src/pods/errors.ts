// Errors of pod operations, each with a stable code the API and the CNI plugin pass on.

export type PodErrorCode =
  | 'bad-request'
  | 'netns-missing'
  | 'address-in-use'
  | 'address-outside-pool'
  | 'pool-exhausted'
  | 'pod-conflict'
  | 'kernel'
  | 'unknown-pod'
  | 'pods-unavailable'
  | 'ipam-unavailable';

export class PodError extends Error {
  override readonly name = 'PodError';
  constructor(
    readonly code: PodErrorCode,
    message: string,
  ) {
    super(message);
  }
}
