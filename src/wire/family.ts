// Mapping between our Family names and (AFI, SAFI) pairs: IANA "Address Family Numbers"
// (RFC 4760 §3 uses them in MP_REACH_NLRI / MP_UNREACH_NLRI) and "SAFI Values". The one
// place that knows which pairs Wren handles; every layer asks here.
import { AFI_IPV4, AFI_IPV6, SAFI_UNICAST } from './types.js';
import type { AfiSafi, Family } from './types.js';

/** Every family Wren speaks. */
export const ALL_FAMILIES: readonly Family[] = ['ipv4-unicast', 'ipv6-unicast'];

/** The Family for (afi, safi), or null for one we do not handle. */
export function familyOf(afi: number, safi: number): Family | null {
  if (safi !== SAFI_UNICAST) return null;
  if (afi === AFI_IPV4) return 'ipv4-unicast';
  if (afi === AFI_IPV6) return 'ipv6-unicast';
  return null;
}

/** The AFI of a family (all our families are SAFI 1, unicast); allocation-free for encoders. */
export function afiOf(family: Family): number {
  return family === 'ipv4-unicast' ? AFI_IPV4 : AFI_IPV6;
}

/** The (AFI, SAFI) pair of a family, e.g. for a Multiprotocol capability (RFC 4760 §8). */
export function afiSafiOf(family: Family): AfiSafi {
  return { afi: afiOf(family), safi: SAFI_UNICAST };
}
