// Builds the API's RouteView list from the Loc-RIB: every path per prefix, best first, with
// the deciding step, RR attributes and the stale flag.
import type { RouteView } from '../api/types.js';
import type { Path } from '../rib/types.js';
import type { PathAttributes } from '../wire/types.js';
import { formatPrefix4, numberToIpv4, parsePrefix } from '../lib/prefix.js';
import { formatAsPath, formatCommunity, formatExtCommunities, formatLargeCommunity } from '../lib/format-attrs.js';
import type { PeerRunner } from './peer-runner.js';
import type { RouteEngine } from './route-engine.js';
import type { RouteEntry } from '../rib/loc-rib.js';

const ORIGINS = ['igp', 'egp', 'incomplete'] as const;
/** Most paths one `routes` call returns. */
export const MAX_ROUTES_PER_REPLY = 100_000;

export interface RouteQuery {
  family?: 'ipv4' | 'ipv6';
  /** peer address or name, or 'local' */
  peer?: string;
  /** one prefix in detail */
  prefix?: string;
  /** at most this many routes (default: all) */
  limit?: number;
}

export class RouteQueryError extends Error {
  override readonly name = 'RouteQueryError';
  constructor(readonly code: 'bad-prefix' | 'unknown-peer', message: string) {
    super(message);
  }
}

function attrsView(attrs: PathAttributes) {
  return {
    asPath: formatAsPath(attrs.asPath),
    origin: attrs.origin !== undefined ? ORIGINS[attrs.origin] : null,
    med: attrs.med ?? null,
    localPref: attrs.localPref ?? null,
    communities: attrs.communities?.map(formatCommunity) ?? [],
    largeCommunities: attrs.largeCommunities?.map(formatLargeCommunity) ?? [],
    extCommunities: attrs.extCommunities ? formatExtCommunities(attrs.extCommunities) : [],
    originatorId: attrs.originatorId !== undefined ? numberToIpv4(attrs.originatorId) : null,
    clusterList: attrs.clusterList?.map(numberToIpv4) ?? [],
    atomicAggregate: attrs.atomicAggregate ?? false,
    aggregator: attrs.aggregator ? `${attrs.aggregator.asn} ${numberToIpv4(attrs.aggregator.address)}` : null,
  };
}

function pathView(prefix: number | string, path: Path, entry: RouteEntry | undefined): RouteView {
  const best = entry?.best === path;
  const local = path.source.kind === 'local';
  const nh = local ? null : typeof path.nextHop === 'number' ? numberToIpv4(path.nextHop) : path.linkLocalNextHop ? `${path.nextHop} ${path.linkLocalNextHop}` : path.nextHop;
  return {
    family: typeof prefix === 'number' ? 'ipv4-unicast' : 'ipv6-unicast',
    prefix: typeof prefix === 'number' ? formatPrefix4(prefix) : prefix,
    from: path.source.address,
    best,
    reason: best ? (entry?.reason ?? null) : null,
    multipath: entry?.multipath.includes(path) ?? false,
    stale: path.stale ?? false,
    nextHop: nh,
    ...attrsView(path.attrs),
  };
}

export function routeViews(engine: RouteEngine, runners: PeerRunner[], q: RouteQuery): RouteView[] {
  const rib = engine.rib;
  // A million-route reply would be hundreds of MB of JSON on the control socket.
  const limit = Math.min(q.limit ?? MAX_ROUTES_PER_REPLY, MAX_ROUTES_PER_REPLY);
  const out: RouteView[] = [];
  const add = (prefix: number | string, path: Path, entry: RouteEntry | undefined): void => {
    if (out.length < limit) out.push(pathView(prefix, path, entry));
  };
  if (q.prefix) {
    let parsed;
    try {
      parsed = parsePrefix(q.prefix);
    } catch (e) {
      throw new RouteQueryError('bad-prefix', e instanceof Error ? e.message : String(e));
    }
    const entry = rib.get(parsed.prefix);
    if (entry) for (const p of entry.paths) add(parsed.prefix, p, entry);
    return out;
  }
  let sourceId: number | null = null;
  if (q.peer) {
    if (q.peer === 'local') sourceId = 0;
    else {
      const r = runners.find((x) => x.peer.address === q.peer || x.peer.name === q.peer);
      if (!r) throw new RouteQueryError('unknown-peer', `no configured peer ${q.peer}`);
      sourceId = engine.sourceOf(r)?.id ?? -1;
    }
  }
  const walk = <K extends number | string>(table: { forEachEntry(fn: (prefix: K, paths: readonly Path[]) => void): void; get(p: K): RouteEntry<K> | undefined }): void => {
    table.forEachEntry((prefix, paths) => {
      if (out.length >= limit) return;
      let entry: RouteEntry<K> | undefined;
      for (const p of paths) {
        if (sourceId !== null && p.source.id !== sourceId) continue;
        entry ??= table.get(prefix);
        add(prefix, p, entry as RouteEntry | undefined);
      }
    });
  };
  if (q.family !== 'ipv6') walk(rib.v4);
  if (q.family !== 'ipv4') walk(rib.v6);
  return out;
}
