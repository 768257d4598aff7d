// GoBGP (gobgpd 3.x) as a reference peer: typed config → TOML, the gRPC API on
// 127.0.0.1:50051 inside the host's namespace (each namespace has its own loopback), and the
// `gobgp` CLI's JSON output parsed into PeerRoute.

import { writeFileSync } from 'node:fs';
import type { Daemon, RunResult } from './exec.js';
import type { Lab, LabHost } from './netns.js';
import { PeerOutputError, canonicalIp, communityFromNumber, parseCommunity, parseExtCommunity, parseLargeCommunity } from './routes.js';
import type { Family, Originate, PeerRoute } from './routes.js';
import { waitFor } from './wait.js';

export interface GobgpNeighbor {
  address: string;
  peerAs: number;
  families: Family[];
  passive?: boolean;
  rrClient?: boolean;
  /** eBGP multihop TTL. */
  multihop?: number;
  gracefulRestart?: boolean;
  holdTime?: number;
  keepaliveInterval?: number;
  localAddress?: string;
  remotePort?: number;
}

export interface GobgpConfig {
  routerId: string;
  asn: number;
  neighbors: GobgpNeighbor[];
  originate?: Originate;
  /** route-reflector-cluster-id for RR clients; default the router id. */
  rrClusterId?: string;
  /** BGP listen port; default 179. */
  port?: number;
  /** gobgpd log level; default info. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export interface GobgpNeighborState {
  address: string;
  peerAs: number;
  /** idle, connect, active, opensent, openconfirm, established (or unknown). */
  state: string;
  adminState: string;
  routerId?: string;
  /** Message counters as GoBGP reports them (update, open, keepalive, notification, refresh, total…). */
  sent: Record<string, number>;
  received: Record<string, number>;
  /** Per-family received / accepted path counts. */
  families: Partial<Record<Family, { received: number; accepted: number }>>;
}

export interface AddRouteOptions {
  nexthop: string;
  communities?: string[];
  largeCommunities?: string[];
  /** Only "rt:…" can be given through the gobgp CLI. */
  extCommunities?: string[];
  med?: number;
  localPref?: number;
  asPath?: number[];
  origin?: 'igp' | 'egp' | 'incomplete';
}

export interface GobgpHandle {
  readonly host: LabHost;
  readonly daemon: Daemon;
  readonly dir: string;
  readonly configFile: string;
  /** Runs `gobgp -u 127.0.0.1 -p 50051 ARGS…` in the namespace and returns stdout. */
  gobgp(args: string[]): Promise<string>;
  neighbors(): Promise<GobgpNeighborState[]>;
  rib(family: Family): Promise<PeerRoute[]>;
  addRoute(prefix: string, opts: AddRouteOptions): Promise<void>;
  deleteRoute(prefix: string): Promise<void>;
  /**
   * `gobgp neighbor X softresetin`. NOTE: GoBGP re-runs import policy over its stored
   * Adj-RIB-In; it does NOT send a ROUTE-REFRESH message (checked in GoBGP 3.10's server.go).
   * Use BIRD's reloadIn or FRR's softIn to make a peer send ROUTE-REFRESH.
   */
  softResetIn(peer: string): Promise<void>;
  waitEstablished(addresses?: string[], timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const API_PORT = 50051;
// apipb PeerState.SessionState, as encoding/json prints it (a number).
const SESSION_STATES = ['unknown', 'idle', 'connect', 'active', 'opensent', 'openconfirm', 'established'];
const ADMIN_STATES = ['up', 'down', 'pfx_ct'];

export function gobgpConfigText(cfg: GobgpConfig): string {
  const L: string[] = [];
  L.push('[global.config]', `  as = ${cfg.asn}`, `  router-id = ${q(cfg.routerId)}`, `  port = ${cfg.port ?? 179}`);
  for (const n of cfg.neighbors) {
    L.push('', '[[neighbors]]');
    L.push('  [neighbors.config]', `    neighbor-address = ${q(n.address)}`, `    peer-as = ${n.peerAs}`);
    // connect-retry 1 and a 1 s idle hold after reset: GoBGP's default idle hold is 30 s.
    L.push('  [neighbors.timers.config]', '    connect-retry = 1', '    idle-hold-time-after-reset = 1');
    if (n.holdTime !== undefined) L.push(`    hold-time = ${n.holdTime}`);
    if (n.keepaliveInterval !== undefined) L.push(`    keepalive-interval = ${n.keepaliveInterval}`);
    if (n.passive || n.localAddress !== undefined || n.remotePort !== undefined) {
      L.push('  [neighbors.transport.config]');
      if (n.passive) L.push('    passive-mode = true');
      if (n.localAddress !== undefined) L.push(`    local-address = ${q(n.localAddress)}`);
      if (n.remotePort !== undefined) L.push(`    remote-port = ${n.remotePort}`);
    }
    if (n.rrClient) {
      L.push('  [neighbors.route-reflector.config]', '    route-reflector-client = true');
      L.push(`    route-reflector-cluster-id = ${q(cfg.rrClusterId ?? cfg.routerId)}`);
    }
    if (n.multihop !== undefined) {
      L.push('  [neighbors.ebgp-multihop.config]', '    enabled = true', `    multihop-ttl = ${n.multihop}`);
    }
    if (n.gracefulRestart) L.push('  [neighbors.graceful-restart.config]', '    enabled = true', '    restart-time = 120');
    for (const f of n.families) {
      L.push('  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', `      afi-safi-name = ${q(`${f}-unicast`)}`);
      if (n.gracefulRestart) L.push('    [neighbors.afi-safis.mp-graceful-restart.config]', '      enabled = true');
    }
  }
  return `${L.join('\n')}\n`;
}

function q(s: string): string {
  return JSON.stringify(s); // a TOML basic string is a JSON string for our (ASCII) values
}

export async function startGobgp(lab: Lab, host: LabHost, cfg: GobgpConfig): Promise<GobgpHandle> {
  const dir = lab.subdir(`gobgp-${host.name}`);
  const configFile = `${dir}/gobgpd.toml`;
  writeFileSync(configFile, gobgpConfigText(cfg));
  const daemon = lab.spawn(
    host.ns,
    'gobgpd',
    ['-f', configFile, '-t', 'toml', '--api-hosts', `127.0.0.1:${API_PORT}`, '-l', cfg.logLevel ?? 'info', '-p', '--pprof-disable'],
    { logFile: `${dir}/gobgpd.log`, name: `gobgpd@${host.name}` },
  );

  const gobgp = async (args: string[]): Promise<string> => {
    const r: RunResult = await lab.exec(host.ns, 'gobgp', ['-u', '127.0.0.1', '-p', String(API_PORT), ...args], {
      timeoutMs: 15_000,
    });
    return r.stdout;
  };
  const json = async (args: string[], what: string): Promise<unknown> => {
    const out = await gobgp([...args, '-j']);
    const text = out.trim();
    if (text === '' || text === 'null') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new PeerOutputError(`gobgp@${host.name}`, what, String(err), out);
    }
  };

  // The API answers before the config file's neighbours exist; wait for all of them.
  await waitFor(
    async () => {
      daemon.assertRunning();
      const list = (await json(['neighbor'], 'neighbor -j')) ?? [];
      return Array.isArray(list) && list.length >= cfg.neighbors.length;
    },
    { timeoutMs: 10_000, what: `gobgpd@${host.name} API with ${cfg.neighbors.length} neighbours` },
  );

  const handle: GobgpHandle = {
    host,
    daemon,
    dir,
    configFile,
    gobgp,
    async neighbors() {
      const list = await json(['neighbor'], 'neighbor -j');
      if (list === null) return [];
      if (!Array.isArray(list)) throw new PeerOutputError(`gobgp@${host.name}`, 'neighbor -j', 'not an array', JSON.stringify(list));
      return list.map((n) => parseNeighbor(n, host.name));
    },
    async rib(family) {
      const out = await json(['global', 'rib', '-a', family], `global rib -a ${family}`);
      return parseGobgpRib(out, host.name);
    },
    async addRoute(prefix, opts) {
      await gobgp(['global', 'rib', 'add', '-a', familyOf(prefix), ...routeArgs(prefix, opts)]);
    },
    async deleteRoute(prefix) {
      await gobgp(['global', 'rib', 'del', '-a', familyOf(prefix), prefix]);
    },
    async softResetIn(peer) {
      await gobgp(['neighbor', peer, 'softresetin']);
    },
    async waitEstablished(addresses = cfg.neighbors.map((n) => n.address), timeoutMs = 30_000) {
      let seen: Array<[string, string]> = [];
      await waitFor(
        async () => {
          daemon.assertRunning();
          const ns = await handle.neighbors();
          seen = ns.map((n) => [n.address, n.state]);
          return addresses.every((a) => ns.find((n) => n.address === canonicalIp(a))?.state === 'established');
        },
        { timeoutMs, what: `gobgpd@${host.name} neighbours ${addresses.join(', ')} established` },
      ).catch((err: unknown) => {
        if (err instanceof Error) err.message += `\nneighbour states: ${JSON.stringify(seen)}`;
        throw err;
      });
    },
    async stop() {
      await daemon.stop();
    },
  };

  const o = cfg.originate ?? {};
  for (const fam of ['ipv4', 'ipv6'] as const) {
    const nexthop = fam === 'ipv4' ? host.ipv4 : host.ipv6;
    for (const prefix of o[fam] ?? []) {
      if (nexthop === undefined) throw new Error(`gobgp@${host.name}: no ${fam} address to use as next hop for ${prefix}`);
      await handle.addRoute(prefix, {
        nexthop,
        ...(o.communities === undefined ? {} : { communities: o.communities }),
        ...(o.largeCommunities === undefined ? {} : { largeCommunities: o.largeCommunities }),
        ...(o.extCommunities === undefined ? {} : { extCommunities: o.extCommunities }),
      });
    }
  }
  return handle;
}

function familyOf(prefix: string): Family {
  return prefix.includes(':') ? 'ipv6' : 'ipv4';
}

/** `gobgp global rib add` arguments after `-a FAMILY` (syntax of cmd/gobgp/global.go parsePath). */
export function routeArgs(prefix: string, o: AddRouteOptions): string[] {
  const a: string[] = [prefix, 'nexthop', o.nexthop];
  if (o.origin !== undefined) a.push('origin', o.origin);
  if (o.asPath !== undefined && o.asPath.length > 0) a.push('aspath', o.asPath.join(' '));
  if (o.med !== undefined) a.push('med', String(o.med));
  if (o.localPref !== undefined) a.push('local-pref', String(o.localPref));
  if (o.communities?.length) a.push('community', o.communities.map((c) => parseCommunity(c).join(':')).join(','));
  if (o.largeCommunities?.length) {
    a.push('large-community', o.largeCommunities.map((c) => parseLargeCommunity(c).join(':')).join(','));
  }
  // Extended communities go last: everything after the prefix that no keyword consumed.
  const rts = (o.extCommunities ?? []).map((c) => {
    const e = parseExtCommunity(c);
    if (e.kind !== 'rt') throw new Error(`gobgp CLI can only add route-target extended communities, not ${c}`);
    return `${e.admin}:${e.value}`;
  });
  if (rts.length > 0) a.push('rt', ...rts);
  return a;
}

function parseNeighbor(raw: unknown, hostName: string): GobgpNeighborState {
  const n = obj(raw);
  const conf = obj(n.conf);
  const state = obj(n.state);
  const address = str(conf.neighbor_address) ?? str(state.neighbor_address);
  if (address === undefined) throw new PeerOutputError(`gobgp@${hostName}`, 'neighbor -j', 'neighbour without an address', JSON.stringify(raw));
  const families: GobgpNeighborState['families'] = {};
  for (const af of Array.isArray(n.afi_safis) ? n.afi_safis : []) {
    const s = obj(obj(af).state);
    const fam = obj(s.family);
    const key: Family | undefined = fam.afi === 1 ? 'ipv4' : fam.afi === 2 ? 'ipv6' : undefined;
    if (key !== undefined && fam.safi === 1) families[key] = { received: num(s.received) ?? 0, accepted: num(s.accepted) ?? 0 };
  }
  const messages = obj(state.messages);
  const routerId = str(state.router_id);
  return {
    address,
    peerAs: num(conf.peer_asn) ?? num(state.peer_asn) ?? 0,
    state: enumName(state.session_state, SESSION_STATES),
    adminState: enumName(state.admin_state ?? 0, ADMIN_STATES),
    ...(routerId === undefined ? {} : { routerId }),
    sent: counters(messages.sent),
    received: counters(messages.received),
    families,
  };
}

/** Parses `gobgp global rib -a FAMILY -j`: { prefix: Path[] } with typed attributes. */
export function parseGobgpRib(data: unknown, hostName = 'gobgp'): PeerRoute[] {
  if (data === null) return [];
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new PeerOutputError(`gobgp@${hostName}`, 'global rib -j', 'not an object keyed by prefix', JSON.stringify(data));
  }
  const routes: PeerRoute[] = [];
  for (const [prefix, paths] of Object.entries(data)) {
    if (!Array.isArray(paths)) throw new PeerOutputError(`gobgp@${hostName}`, 'global rib -j', `paths of ${prefix} not an array`, JSON.stringify(data));
    for (const p of paths) routes.push(parsePath(prefix, obj(p)));
  }
  return routes;
}

function parsePath(prefix: string, p: Record<string, unknown>): PeerRoute {
  const r: PeerRoute = {
    prefix,
    nextHops: [],
    asPath: [],
    communities: [],
    largeCommunities: [],
    extCommunities: [],
    clusterList: [],
    best: p.best === true,
    source: str(p['neighbor-ip']) ?? 'local',
  };
  for (const raw of Array.isArray(p.attrs) ? p.attrs : []) {
    const a = obj(raw);
    switch (a.type) {
      case 1: // ORIGIN (RFC 4271 §5.1.1)
        r.origin = (['igp', 'egp', 'incomplete'] as const)[num(a.value) ?? 2] ?? 'incomplete';
        break;
      case 2: // AS_PATH: segments of asns
        for (const seg of Array.isArray(a.as_paths) ? a.as_paths : []) {
          const asns = obj(seg).asns;
          if (Array.isArray(asns)) r.asPath.push(...asns.map(Number));
        }
        break;
      case 3: // NEXT_HOP
      case 14: // MP_REACH_NLRI: only the global next hop is in GoBGP's JSON
        if (typeof a.nexthop === 'string') r.nextHops.push(a.nexthop);
        break;
      case 4:
        r.med = num(a.metric) ?? 0;
        break;
      case 5:
        r.localPref = num(a.value) ?? 0;
        break;
      case 8:
        r.communities = (Array.isArray(a.communities) ? a.communities : []).map((c) => communityFromNumber(Number(c)));
        break;
      case 9:
        if (typeof a.value === 'string') r.originatorId = a.value;
        break;
      case 10:
        r.clusterList = (Array.isArray(a.value) ? a.value : []).map(String);
        break;
      case 16:
        r.extCommunities = (Array.isArray(a.value) ? a.value : []).map(extCommunity);
        break;
      case 32:
        r.largeCommunities = (Array.isArray(a.value) ? a.value : []).map((v) => {
          const l = obj(v);
          return `${num(l.ASN)}:${num(l.LocalData1)}:${num(l.LocalData2)}`;
        });
        break;
      default:
        break;
    }
  }
  return r;
}

/** RFC 4360 types 0x00/0x01/0x02 (2-octet AS, IPv4, 4-octet AS), subtype 2 = RT, 3 = SoO. */
function extCommunity(raw: unknown): string {
  const e = obj(raw);
  const value = str(e.value);
  if ((e.type === 0 || e.type === 1 || e.type === 2) && value !== undefined) {
    if (e.subtype === 2) return `rt:${value}`;
    if (e.subtype === 3) return `soo:${value}`;
  }
  return `type${String(e.type)}-${String(e.subtype)}:${value ?? JSON.stringify(raw)}`;
}

function obj(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
}
function enumName(v: unknown, names: readonly string[]): string {
  if (typeof v === 'number') return names[v] ?? `unknown(${v})`;
  if (typeof v === 'string') return v.toLowerCase().replace(/^(session_state_|admin_state_)/, '');
  return 'unknown';
}
function counters(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(obj(v))) if (typeof x === 'number') out[k] = x;
  return out;
}
