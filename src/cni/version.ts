// CNI spec versions this plugin speaks. 0.3.x and 0.4.0 differ from 1.x in the result only by
// the `version` field of each IP; CHECK needs 0.4.0, GC and STATUS need 1.1.0.

export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export type CniVersion = (typeof SUPPORTED_VERSIONS)[number];

/** The newest version we speak: used when a request names none we know. */
export const LATEST_VERSION: CniVersion = '1.1.0';

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

export function isSemver(v: string): boolean {
  return SEMVER.test(v);
}

export function isSupported(v: string): v is CniVersion {
  return (SUPPORTED_VERSIONS as readonly string[]).includes(v);
}

/** a >= b, both x.y.z */
export function versionAtLeast(a: string, b: string): boolean {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/** Results before 1.0.0 carry `"version": "4" | "6"` on every IP. */
export function ipsCarryVersion(v: CniVersion): boolean {
  return !versionAtLeast(v, '1.0.0');
}
