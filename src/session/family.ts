// Mapping between our Family names and (AFI, SAFI) pairs, IANA "Address Family Numbers" and
// "SAFI Values".
import { AFI_IPV4, AFI_IPV6, SAFI_UNICAST } from '../wire/types.js';
import type { AfiSafi, Family } from '../wire/types.js';

export const ALL_FAMILIES: readonly Family[] = ['ipv4-unicast', 'ipv6-unicast'];

export function afiSafiOf(family: Family): AfiSafi {
  return family === 'ipv4-unicast' ? { afi: AFI_IPV4, safi: SAFI_UNICAST } : { afi: AFI_IPV6, safi: SAFI_UNICAST };
}

/** The Family for (afi, safi), or null for one we do not handle. */
export function familyOf(afi: number, safi: number): Family | null {
  if (safi !== SAFI_UNICAST) return null;
  if (afi === AFI_IPV4) return 'ipv4-unicast';
  if (afi === AFI_IPV6) return 'ipv6-unicast';
  return null;
}
