// Receive-side checks, pure: loop prevention (RFC 4456 §8, RFC 4271 §9.1.2) and the attributes
// an external peer may not set for us (RFC 4271 §5.1.5, RFC 7606 §7.9/§7.10).
import type { Path } from '../rib/types.js';
import type { PathAttributes } from '../wire/types.js';
import { countAs } from './as-path-ops.js';
import { copyAttrs, type OptionalAttr } from './attrs-copy.js';

const EBGP_IGNORED: readonly OptionalAttr[] = ['localPref', 'originatorId', 'clusterList'];

export interface ImportLocal {
  /** our AS */
  asn: number;
  /** our BGP identifier (u32) */
  routerId: number;
  /** our cluster ID (u32) */
  clusterId: number;
  /** how many times our AS may appear in a path from eBGP (0: none; "allowas-in") */
  allowOwnAs: number;
}

/** Why a received path was dropped as a loop: values for logs and the loops-dropped metric. */
export type LoopReason = 'originator-id-is-self' | 'cluster-list-loop' | 'own-as-in-path';

export type ImportCheckResult = { ok: true } | { ok: false; reason: LoopReason };

const OK: ImportCheckResult = Object.freeze({ ok: true });
const ORIGINATOR_SELF: ImportCheckResult = Object.freeze({ ok: false, reason: 'originator-id-is-self' });
const CLUSTER_LOOP: ImportCheckResult = Object.freeze({ ok: false, reason: 'cluster-list-loop' });
const OWN_AS: ImportCheckResult = Object.freeze({ ok: false, reason: 'own-as-in-path' });

/**
 * Whether a received path may enter the Adj-RIB-In. Call after sanitizeFromEbgp.
 * - iBGP (RFC 4456 §8): ORIGINATOR_ID equal to our router ID means we originated it; our
 *   cluster ID in CLUSTER_LIST means it went round the cluster. Both are loops.
 * - eBGP (RFC 4271 §9.1.2): our AS in AS_PATH means the route left our AS and came back;
 *   `allowOwnAs` tolerates that many occurrences (pod networks where every node shares an AS
 *   behind eBGP top-of-rack switches need 1). iBGP paths never carry our AS at the front:
 *   we only prepend towards eBGP.
 */
export function importCheck(path: Path, local: ImportLocal): ImportCheckResult {
  const attrs = path.attrs;
  switch (path.source.kind) {
    case 'local':
      return OK;
    case 'ibgp':
      if (attrs.originatorId === local.routerId) return ORIGINATOR_SELF;
      if (attrs.clusterList !== undefined && attrs.clusterList.includes(local.clusterId)) return CLUSTER_LOOP;
      return OK;
    case 'ebgp':
      return countAs(attrs.asPath, local.asn) > local.allowOwnAs ? OWN_AS : OK;
  }
}

/**
 * The attribute set as we keep it from an external peer: LOCAL_PREF is ignored (RFC 4271
 * §5.1.5), ORIGINATOR_ID and CLUSTER_LIST are discarded (RFC 7606 §7.9, §7.10). Returns the
 * same object when there is nothing to strip, so interning still works.
 */
export function sanitizeFromEbgp(attrs: PathAttributes): PathAttributes {
  if (attrs.localPref === undefined && attrs.originatorId === undefined && attrs.clusterList === undefined) return attrs;
  return copyAttrs(attrs, EBGP_IGNORED);
}
