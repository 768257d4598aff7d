// Parsers for BIRD 2 `birdc` text output (`show protocols`, `show route all`). BIRD has no
// machine-readable output, so these follow its printing code: a route header line per path,
// tab-indented detail lines, and "\t\t" continuation lines for long community lists.

import { PeerOutputError, normaliseExtKind } from './routes.js';
import type { PeerRoute } from './routes.js';

export interface BirdProtocol {
  name: string;
  proto: string;
  table: string;
  /** up, down, start, stop… */
  state: string;
  since: string;
  info: string;
  /** For BGP protocols: Idle, Connect, Active, OpenSent, OpenConfirm, Established, Close. */
  bgpState?: string;
}

/** Parses `show protocols` (one line per protocol; `show protocols all` detail lines are skipped). */
export function parseBirdProtocols(text: string): BirdProtocol[] {
  const out: BirdProtocol[] = [];
  let sawHeader = false;
  for (const line of text.split('\n')) {
    if (/^Name\s+Proto\s+Table\s+State\s+Since\s+Info/.test(line)) {
      sawHeader = true;
      continue;
    }
    if (!sawHeader || line.trim() === '' || /^\s/.test(line)) continue;
    const f = line.trim().split(/\s+/);
    if (f.length < 5) throw new PeerOutputError('bird', 'show protocols', `short row ${JSON.stringify(line)}`, text);
    const [name, proto, table, state, since, ...rest] = f as [string, string, string, string, string, ...string[]];
    const info = rest.join(' ');
    const p: BirdProtocol = { name, proto, table, state, since, info };
    if (proto === 'BGP') p.bgpState = rest[0] ?? '';
    out.push(p);
  }
  if (!sawHeader) throw new PeerOutputError('bird', 'show protocols', 'no header line', text);
  return out;
}

// "10.99.2.0/24         unicast [gob 08:24:18.855 from fd77::2] * (100/?) [AS65002?]"
// Continuation paths for the same prefix start with blanks instead of the prefix.
const HEADER = /^(\S+)?\s+(\w+) \[(\S+)(?: ([^\]]*?))?(?: from (\S+))?\]( \*)? \((\d+)(?:\/[^)]*)?\)/;

/** Parses `show route all [table T] [protocol P]` into one PeerRoute per path. */
export function parseBirdRoutes(text: string): PeerRoute[] {
  const routes: PeerRoute[] = [];
  let prefix: string | undefined;
  let cur: PeerRoute | undefined;
  let lastAttr: string | undefined;
  const attrs = new Map<string, string>();
  const flush = (): void => {
    if (cur !== undefined) applyAttrs(cur, attrs, text);
    attrs.clear();
    cur = undefined;
    lastAttr = undefined;
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || /^BIRD [\d.]+ ready\.$/.test(line) || /^Table \S+:$/.test(line)) continue;
    if (line.startsWith('\t\t') && lastAttr !== undefined) {
      attrs.set(lastAttr, `${attrs.get(lastAttr) ?? ''} ${line.trim()}`);
      continue;
    }
    if (line.startsWith('\t')) {
      if (cur === undefined) throw new PeerOutputError('bird', 'show route all', `detail line before any route: ${line}`, text);
      const body = line.slice(1);
      const via = /^via (\S+)/.exec(body);
      if (via?.[1] !== undefined) {
        attrs.set('via', `${attrs.get('via') ?? ''} ${via[1]}`.trim());
        lastAttr = undefined;
        continue;
      }
      const colon = body.indexOf(':');
      if (colon > 0 && /^[A-Za-z][\w.]*$/.test(body.slice(0, colon))) {
        lastAttr = body.slice(0, colon);
        attrs.set(lastAttr, body.slice(colon + 1).trim());
      } else {
        lastAttr = undefined;
      }
      continue;
    }
    const m = HEADER.exec(line);
    if (m === null) throw new PeerOutputError('bird', 'show route all', `unrecognised line ${JSON.stringify(line)}`, text);
    flush();
    if (m[1] !== undefined) prefix = m[1];
    if (prefix === undefined) throw new PeerOutputError('bird', 'show route all', 'continuation path without a prefix', text);
    cur = {
      prefix,
      nextHops: [],
      asPath: [],
      communities: [],
      largeCommunities: [],
      extCommunities: [],
      clusterList: [],
      best: m[6] !== undefined,
      source: m[3] ?? '',
    };
    routes.push(cur);
  }
  flush();
  return routes;
}

function applyAttrs(r: PeerRoute, a: Map<string, string>, text: string): void {
  const nh = a.get('BGP.next_hop') ?? a.get('via');
  if (nh !== undefined) r.nextHops = nh.split(/\s+/).filter(Boolean);
  const path = a.get('BGP.as_path');
  if (path !== undefined) r.asPath = (path.match(/\d+/g) ?? []).map(Number);
  const origin = a.get('BGP.origin')?.toLowerCase();
  if (origin === 'igp' || origin === 'egp' || origin === 'incomplete') r.origin = origin;
  const med = a.get('BGP.med');
  if (med !== undefined) r.med = Number(med);
  const lp = a.get('BGP.local_pref');
  if (lp !== undefined) r.localPref = Number(lp);
  const comm = a.get('BGP.community');
  if (comm !== undefined) r.communities = tuples(comm, 2, text).map((t) => t.join(':'));
  const large = a.get('BGP.large_community');
  if (large !== undefined) r.largeCommunities = tuples(large, 3, text).map((t) => t.join(':'));
  const ext = a.get('BGP.ext_community');
  if (ext !== undefined) {
    r.extCommunities = tuples(ext, 3, text).map(([kind, x, y]) => `${normaliseExtKind(kind ?? '')}:${x}:${y}`);
  }
  const orig = a.get('BGP.originator_id');
  if (orig !== undefined) r.originatorId = orig;
  const cl = a.get('BGP.cluster_list');
  if (cl !== undefined) r.clusterList = cl.split(/\s+/).filter(Boolean);
}

/** "(65001,100) (65001,101)" → [["65001","100"], …], checking each tuple's arity. */
function tuples(value: string, arity: number, text: string): string[][] {
  const out: string[][] = [];
  for (const m of value.matchAll(/\(([^)]*)\)/g)) {
    const parts = (m[1] ?? '').split(',').map((s) => s.trim());
    if (parts.length !== arity) {
      throw new PeerOutputError('bird', 'show route all', `expected ${arity}-tuples in ${JSON.stringify(value)}`, text);
    }
    out.push(parts);
  }
  return out;
}
