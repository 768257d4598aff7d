// IdleHold back-off: how long the peer stays Idle before AutomaticStart after its n-th
// consecutive failure (RFC 4271 §8.1.1 DampPeerOscillations leaves the method open).
//
// 1, 2, 4, 8 … seconds, capped at maxIdleHoldTime. A ManualStart starts at once (no wait),
// and the count goes back to zero once a session has stayed Established for stableTime
// (the 'Stable' timer), so a session that flaps right after coming up keeps backing off
// while one that dies after a long healthy life reconnects within a second.

/** Seconds to wait after `failures` (>= 1) consecutive failures. */
export function idleHoldDelay(failures: number, maxIdleHoldTime: number): number {
  if (failures <= 0) return 0;
  // 2^(n-1) without overflowing to Infinity for large n.
  const exp = Math.min(failures - 1, 30);
  return Math.min(maxIdleHoldTime, 2 ** exp);
}
