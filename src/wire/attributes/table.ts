// The attribute table: one descriptor per path attribute code Wren understands (BIRD's
// bgp_attr_table). MP_REACH_NLRI / MP_UNREACH_NLRI are NLRI carriers handled by mp.ts;
// every other code not listed here is "unrecognized" in the RFC 4271 §5 sense.
import { aggregatorAttr, as4AggregatorAttr, atomicAggregateAttr } from './aggregation.js';
import { as4PathAttr, asPathAttr } from './as-path.js';
import { communitiesAttr, extCommunitiesAttr, largeCommunityAttr } from './communities.js';
import type { AttrDescriptor } from './descriptor.js';
import { localPrefAttr, medAttr } from './metrics.js';
import { nextHopAttr } from './next-hop.js';
import { originAttr } from './origin.js';
import { clusterListAttr, originatorIdAttr } from './reflection.js';

/** In type-code order, which is also the order the encoder writes them in. */
export const ATTRIBUTE_TABLE: readonly AttrDescriptor[] = [
  originAttr,
  asPathAttr,
  nextHopAttr,
  medAttr,
  localPrefAttr,
  atomicAggregateAttr,
  aggregatorAttr,
  communitiesAttr,
  originatorIdAttr,
  clusterListAttr,
  extCommunitiesAttr,
  as4PathAttr,
  as4AggregatorAttr,
  largeCommunityAttr,
];

/** Descriptor by type code (undefined: unrecognized). */
export const ATTRIBUTE_BY_CODE: readonly (AttrDescriptor | undefined)[] = (() => {
  const byCode = new Array<AttrDescriptor | undefined>(256).fill(undefined);
  for (const d of ATTRIBUTE_TABLE) byCode[d.code] = d;
  return byCode;
})();
