// When a node's IPAM garbage collector runs next.
//
// Each pass reads every IPAM record of the cluster. With a fixed interval, nodes started
// together (a cluster brought up, a rolling restart) would all read at the same second, every
// minute, for as long as they run. Each delay is drawn from half to one and a half times the
// interval instead: the average stays the interval, and passes drift apart.

/** Milliseconds until the next pass: 0.5 to 1.5 times `intervalMs`, whole. */
export function nextGcDelayMs(intervalMs: number, random: () => number = Math.random): number {
  return Math.floor(intervalMs * (0.5 + random()));
}
