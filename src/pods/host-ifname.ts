// Host-side veth names: a fixed prefix plus a hash of the pod id, at most 15 characters
// (IFNAMSIZ - 1), the same for the same id on every run (so a restarted daemon finds it).
import { createHash } from 'node:crypto';

export const IFNAME_MAX = 15;

export function hostIfname(prefix: string, podId: string): string {
  const room = IFNAME_MAX - prefix.length;
  return prefix + createHash('sha1').update(podId).digest('hex').slice(0, room);
}

/** Why an interface name is unusable, or null when it is fine. */
export function ifnameProblem(name: string): string | null {
  if (name.length === 0 || name.length > IFNAME_MAX) return `must be 1 to ${IFNAME_MAX} characters`;
  if (name === '.' || name === '..') return 'must not be "." or ".."';
  if (/[\s/:]/.test(name)) return 'must not contain whitespace, "/" or ":"';
  return null;
}
