// Builds the UPDATEs that announce (or withdraw) our originated prefixes to one peer.
// Issue 2 scope: eBGP prepends our AS, iBGP sends an empty AS_PATH with LOCAL_PREF 100; both
// set the next hop to ourselves (RFC 4271 §5.1.3).
import type { PathAttributes, UpdateMessage } from '../wire/types.js';

export interface NextHopSelf {
  ipv4?: number;
  ipv6?: string;
  ipv6LinkLocal?: string;
}

export interface OriginateTarget {
  localAs: number;
  ebgp: boolean;
  families: ReadonlyArray<'ipv4-unicast' | 'ipv6-unicast'>;
  nextHop: NextHopSelf;
}

export interface Originated {
  v4: number[];
  v6: string[];
}

export class NoNextHopError extends Error {
  override readonly name = 'NoNextHopError';
  readonly code = 'no-next-hop';
  constructor(readonly family: 'ipv4-unicast' | 'ipv6-unicast') {
    super(`no ${family === 'ipv4-unicast' ? 'IPv4' : 'IPv6'} address of ours to use as next hop`);
  }
}

function baseAttrs(t: OriginateTarget): PathAttributes {
  return t.ebgp
    ? { origin: 0, asPath: [{ type: 2, asns: [t.localAs] }] }
    : { origin: 0, asPath: [], localPref: 100 };
}

const empty4 = (): UpdateMessage['nlri'] => ({ family: 'ipv4-unicast', prefixes: [] });

/**
 * One UpdateMessage per family with everything announced; the encoder splits nothing, so
 * callers pass chunks that fit (see chunk()). Families without a usable next hop are
 * reported in `skipped` instead of being sent with a bogus one.
 */
export function announceOriginated(t: OriginateTarget, routes: Originated): { updates: UpdateMessage[]; skipped: NoNextHopError[] } {
  const updates: UpdateMessage[] = [];
  const skipped: NoNextHopError[] = [];
  const attrs = baseAttrs(t);
  if (t.families.includes('ipv4-unicast') && routes.v4.length > 0) {
    if (t.nextHop.ipv4 === undefined) skipped.push(new NoNextHopError('ipv4-unicast'));
    else {
      for (const part of chunk(routes.v4, 500)) {
        updates.push({ kind: 'update', withdrawn: empty4(), attrs: { ...attrs, nextHop: t.nextHop.ipv4 }, nlri: { family: 'ipv4-unicast', prefixes: part }, treatAsWithdraw: false, attributeErrors: [] });
      }
    }
  }
  if (t.families.includes('ipv6-unicast') && routes.v6.length > 0) {
    const nh = t.nextHop.ipv6;
    if (nh === undefined) skipped.push(new NoNextHopError('ipv6-unicast'));
    else {
      for (const part of chunk(routes.v6, 150)) {
        const mpReach: UpdateMessage['mpReach'] = t.nextHop.ipv6LinkLocal
          ? { nlri: { family: 'ipv6-unicast', prefixes: part }, nextHop: nh, linkLocalNextHop: t.nextHop.ipv6LinkLocal }
          : { nlri: { family: 'ipv6-unicast', prefixes: part }, nextHop: nh };
        updates.push({ kind: 'update', withdrawn: empty4(), attrs: { ...attrs }, nlri: empty4(), mpReach, treatAsWithdraw: false, attributeErrors: [] });
      }
    }
  }
  return { updates, skipped };
}

export function withdrawOriginated(families: ReadonlyArray<string>, routes: Originated): UpdateMessage[] {
  const out: UpdateMessage[] = [];
  if (families.includes('ipv4-unicast')) {
    for (const part of chunk(routes.v4, 900)) {
      out.push({ kind: 'update', withdrawn: { family: 'ipv4-unicast', prefixes: part }, attrs: null, nlri: empty4(), treatAsWithdraw: false, attributeErrors: [] });
    }
  }
  if (families.includes('ipv6-unicast')) {
    for (const part of chunk(routes.v6, 200)) {
      out.push({ kind: 'update', withdrawn: empty4(), attrs: null, nlri: empty4(), mpUnreach: { family: 'ipv6-unicast', prefixes: part }, treatAsWithdraw: false, attributeErrors: [] });
    }
  }
  return out;
}

/** Splits a list so each UPDATE stays far below 4096 octets (/32 v4 = 5 octets, /128 v6 = 17). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
