// Builds the API's RouteView list from the originated routes and every peer's Adj-RIB-In.
import type { RouteView } from '../api/types.js';
import type { PathAttributes } from '../wire/types.js';
import { formatPrefix4, numberToIpv4 } from '../lib/prefix.js';
import { formatAsPath, formatCommunity, formatExtCommunities, formatLargeCommunity } from '../lib/format-attrs.js';
import type { Originated } from './originate.js';
import type { PeerRunner } from './peer-runner.js';

const ORIGINS = ['igp', 'egp', 'incomplete'] as const;

function view(family: RouteView['family'], prefix: string, from: string, attrs: PathAttributes | null, nextHop: string | null): RouteView {
  return {
    family,
    prefix,
    from,
    nextHop,
    asPath: attrs ? formatAsPath(attrs.asPath) : '',
    origin: attrs?.origin !== undefined ? ORIGINS[attrs.origin] : null,
    med: attrs?.med ?? null,
    localPref: attrs?.localPref ?? null,
    communities: attrs?.communities?.map(formatCommunity) ?? [],
    largeCommunities: attrs?.largeCommunities?.map(formatLargeCommunity) ?? [],
    extCommunities: attrs?.extCommunities ? formatExtCommunities(attrs.extCommunities) : [],
    originatorId: attrs?.originatorId !== undefined ? numberToIpv4(attrs.originatorId) : null,
    clusterList: attrs?.clusterList?.map(numberToIpv4) ?? [],
    atomicAggregate: attrs?.atomicAggregate ?? false,
    aggregator: attrs?.aggregator ? `${attrs.aggregator.asn} ${numberToIpv4(attrs.aggregator.address)}` : null,
  };
}

export function routeViews(originated: Originated, runners: PeerRunner[], filter: { family?: 'ipv4' | 'ipv6'; peer?: string }): RouteView[] {
  const out: RouteView[] = [];
  const want4 = filter.family !== 'ipv6';
  const want6 = filter.family !== 'ipv4';
  if (!filter.peer || filter.peer === 'local') {
    const self = { origin: 0 as const, asPath: [] };
    if (want4) for (const p of originated.v4) out.push(view('ipv4-unicast', formatPrefix4(p), 'local', self, null));
    if (want6) for (const p of originated.v6) out.push(view('ipv6-unicast', p, 'local', self, null));
  }
  for (const r of runners) {
    if (filter.peer && filter.peer !== r.peer.address && filter.peer !== r.peer.name) continue;
    if (want4) for (const [p, attrs] of r.adjRibIn.v4) out.push(view('ipv4-unicast', formatPrefix4(p), r.peer.address, attrs, attrs.nextHop !== undefined ? numberToIpv4(attrs.nextHop) : null));
    if (want6) for (const [p, path] of r.adjRibIn.v6) out.push(view('ipv6-unicast', p, r.peer.address, path.attrs, path.linkLocalNextHop ? `${path.nextHop} ${path.linkLocalNextHop}` : path.nextHop));
  }
  return out;
}
