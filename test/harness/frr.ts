// FRR (zebra + bgpd 8.x) as a reference peer. zebra is needed to resolve IPv6 link-local next
// hops (RFC 2545) and to install routes; each instance keeps its config, pid files, zserv and
// vty sockets and logs in its own directory of the lab, so instances never share state.

import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { run } from './exec.js';
import type { Daemon } from './exec.js';
import type { Lab, LabHost } from './netns.js';
import { PeerOutputError, canonicalIp, normaliseExtKind, parseCommunity, parseExtCommunity, parseLargeCommunity } from './routes.js';
import type { Family, Originate, PeerRoute } from './routes.js';
import { waitFor } from './wait.js';

export interface FrrNeighbor {
  address: string;
  remoteAs: number;
  families: Family[];
  passive?: boolean;
  rrClient?: boolean;
  nextHopSelf?: boolean;
  /** eBGP multihop TTL. */
  multihop?: number;
  gracefulRestart?: boolean;
  /** [keepalive, hold] seconds. */
  timers?: [number, number];
  updateSource?: string;
  port?: number;
  /** Raw lines under `router bgp` for this neighbour ("neighbor X …" is not added for you). */
  extraLines?: string[];
}

export interface FrrConfig {
  routerId: string;
  asn: number;
  neighbors: FrrNeighbor[];
  originate?: Originate;
  clusterId?: string;
  /** Do not install BGP routes into the namespace's kernel (bgpd -n). */
  noKernel?: boolean;
  /** Raw lines appended inside `router bgp`. */
  extraRouterLines?: string[];
}

export interface FrrNeighborState {
  address: string;
  remoteAs: number;
  /** Lower-cased bgpState: idle, connect, active, opensent, openconfirm, established. */
  state: string;
  remoteRouterId?: string;
  /** FRR's messageStats (opensSent, updatesRecv, routeRefreshRecv, routeRefreshSent…). */
  messageStats: Record<string, number>;
  /** Accepted prefixes per family, when the family is negotiated. */
  accepted: Partial<Record<Family, number>>;
}

export class FrrCommandError extends Error {
  readonly code = 'HARNESS_VTYSH';
  constructor(cmds: string[], output: string) {
    super(`vtysh ${cmds.map((c) => `-c '${c}'`).join(' ')}: ${output.trim().slice(0, 1000)}`);
    this.name = 'FrrCommandError';
  }
}

export class FrrConfigError extends Error {
  readonly code = 'HARNESS_FRR_CONFIG';
  constructor(readonly configFile: string, output: string) {
    super(`FRR rejects ${configFile} (vtysh -C): ${output.trim().slice(0, 1000)}`);
    this.name = 'FrrConfigError';
  }
}

export interface FrrHandle {
  readonly host: LabHost;
  readonly zebra: Daemon;
  readonly bgpd: Daemon;
  readonly dir: string;
  readonly configFile: string;
  /** Runs vtysh -c for each command against this instance; returns stdout. */
  vtysh(...cmds: string[]): Promise<string>;
  neighbors(): Promise<FrrNeighborState[]>;
  rib(family: Family): Promise<PeerRoute[]>;
  /** `clear bgp X soft in`: FRR sends ROUTE-REFRESH (RFC 2918) when the peer supports it. */
  softIn(peer: string): Promise<void>;
  waitEstablished(addresses?: string[], timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const ROUTE_MAP = 'WREN-ORIGINATE';

export function frrConfigText(host: LabHost, cfg: FrrConfig): string {
  const L: string[] = ['frr defaults traditional', `hostname ${host.name}`, '!'];
  const o = cfg.originate ?? {};
  const sets: string[] = [];
  if (o.communities?.length) sets.push(` set community ${o.communities.map((c) => parseCommunity(c).join(':')).join(' ')}`);
  if (o.largeCommunities?.length) {
    sets.push(` set large-community ${o.largeCommunities.map((c) => parseLargeCommunity(c).join(':')).join(' ')}`);
  }
  const ext = (o.extCommunities ?? []).map(parseExtCommunity);
  for (const kind of ['rt', 'soo']) {
    const vals = ext.filter((e) => e.kind === kind).map((e) => `${e.admin}:${e.value}`);
    if (vals.length > 0) sets.push(` set extcommunity ${kind} ${vals.join(' ')}`);
  }
  const unknown = ext.filter((e) => e.kind !== 'rt' && e.kind !== 'soo');
  if (unknown.length > 0) throw new Error(`FRR harness can set only rt/soo extended communities, not ${unknown.map((e) => e.kind).join(', ')}`);
  if (sets.length > 0) L.push(`route-map ${ROUTE_MAP} permit 10`, ...sets, '!');
  const rm = sets.length > 0 ? ` route-map ${ROUTE_MAP}` : '';

  L.push(`router bgp ${cfg.asn}`, ` bgp router-id ${cfg.routerId}`);
  // Without these FRR (8.x defaults) drops eBGP routes lacking policy (RFC 8212), activates
  // IPv4 for every neighbour, and refuses to originate prefixes absent from the kernel.
  L.push(' no bgp ebgp-requires-policy', ' no bgp default ipv4-unicast', ' no bgp network import-check');
  if (cfg.clusterId !== undefined) L.push(` bgp cluster-id ${cfg.clusterId}`);
  for (const n of cfg.neighbors) {
    const a = n.address;
    L.push(` neighbor ${a} remote-as ${n.remoteAs}`, ` neighbor ${a} timers connect 1`);
    if (n.timers !== undefined) L.push(` neighbor ${a} timers ${n.timers[0]} ${n.timers[1]}`);
    if (n.passive) L.push(` neighbor ${a} passive`);
    if (n.multihop !== undefined) L.push(` neighbor ${a} ebgp-multihop ${n.multihop}`);
    if (n.updateSource !== undefined) L.push(` neighbor ${a} update-source ${n.updateSource}`);
    if (n.gracefulRestart) L.push(` neighbor ${a} graceful-restart`);
    if (n.port !== undefined) L.push(` neighbor ${a} port ${n.port}`);
    for (const x of n.extraLines ?? []) L.push(` ${x}`);
  }
  for (const x of cfg.extraRouterLines ?? []) L.push(` ${x}`);
  for (const fam of ['ipv4', 'ipv6'] as const) {
    const members = cfg.neighbors.filter((n) => n.families.includes(fam));
    const nets = o[fam] ?? [];
    if (members.length === 0 && nets.length === 0) continue;
    L.push(' !', ` address-family ${fam} unicast`);
    for (const p of nets) L.push(`  network ${p}${rm}`);
    for (const n of members) {
      L.push(`  neighbor ${n.address} activate`);
      if (n.rrClient) L.push(`  neighbor ${n.address} route-reflector-client`);
      if (n.nextHopSelf) L.push(`  neighbor ${n.address} next-hop-self`);
    }
    L.push(' exit-address-family');
  }
  L.push('!');
  return `${L.join('\n')}\n`;
}

export async function startFrr(lab: Lab, host: LabHost, cfg: FrrConfig): Promise<FrrHandle> {
  const dir = lab.subdir(`frr-${host.name}`);
  const zebraConf = `${dir}/zebra.conf`;
  const configFile = `${dir}/bgpd.conf`;
  const zserv = `${dir}/zserv.api`;
  writeFileSync(zebraConf, `hostname ${host.name}\n`);
  writeFileSync(configFile, frrConfigText(host, cfg));
  // bgpd skips a bad config line with only a log message; vtysh's dry run fails loudly instead.
  const check = await run('vtysh', ['-C', '-f', configFile], { allowFailure: true });
  if (check.exitCode !== 0) throw new FrrConfigError(configFile, `${check.stdout}${check.stderr}`);
  // `-u root -g frrvty`: FRR refuses to start unless the run-as user belongs to the vty group;
  // making frrvty the run-as group satisfies that without editing /etc/group (usermod). The
  // resulting "could chown socket" warning is harmless: we connect as root. `-P 0`: no TCP vty.
  const common = ['--vty_socket', dir, '-u', 'root', '-g', 'frrvty', '-P', '0', '-z', zserv];
  const zebra = lab.spawn(
    host.ns,
    '/usr/lib/frr/zebra',
    ['-f', zebraConf, '-i', `${dir}/zebra.pid`, ...common, '--log', `file:${dir}/zebra.log`],
    { logFile: `${dir}/zebra.stdout.log`, name: `zebra@${host.name}` },
  );
  // FRR keeps a per-process crash-log directory under /var/tmp/frr; remove ours at cleanup.
  lab.defer(() => removeFrrTmp(zebra.pid));
  await waitFor(
    () => {
      zebra.assertRunning();
      return existsSync(zserv) && existsSync(`${dir}/zebra.vty`);
    },
    { timeoutMs: 10_000, what: `zebra@${host.name} sockets in ${dir}` },
  );
  const bgpdArgs = ['-f', configFile, '-i', `${dir}/bgpd.pid`, ...common, '--log', `file:${dir}/bgpd.log`];
  if (cfg.noKernel) bgpdArgs.push('-n');
  const bgpd = lab.spawn(host.ns, '/usr/lib/frr/bgpd', bgpdArgs, {
    logFile: `${dir}/bgpd.stdout.log`,
    name: `bgpd@${host.name}`,
  });
  lab.defer(() => removeFrrTmp(bgpd.pid));

  const vtysh = async (...cmds: string[]): Promise<string> => {
    const r = await run('vtysh', ['--vty_socket', dir, ...cmds.flatMap((c) => ['-c', c])], {
      timeoutMs: 15_000,
      allowFailure: true,
    });
    if (r.exitCode !== 0 || /^% (Unknown command|Command incomplete|Ambiguous command|Invalid)/m.test(r.stdout)) {
      throw new FrrCommandError(cmds, `${r.stdout}${r.stderr}`);
    }
    return r.stdout;
  };
  const json = async (cmd: string): Promise<Record<string, unknown>> => {
    const out = await vtysh(cmd);
    try {
      return obj(JSON.parse(out) as unknown);
    } catch (err) {
      throw new PeerOutputError(`frr@${host.name}`, cmd, String(err), out);
    }
  };

  await waitFor(
    async () => {
      zebra.assertRunning();
      bgpd.assertRunning();
      if (!existsSync(`${dir}/bgpd.vty`)) return false;
      await json('show bgp summary json'); // throws until bgpd answers
      return true;
    },
    { timeoutMs: 10_000, what: `bgpd@${host.name} answering vtysh` },
  );

  const handle: FrrHandle = {
    host,
    zebra,
    bgpd,
    dir,
    configFile,
    vtysh,
    async neighbors() {
      const all = await json('show bgp neighbors json');
      return Object.entries(all).map(([address, v]) => parseNeighbor(address, obj(v)));
    },
    async rib(family) {
      // `json detail` (this order, FRR 8.4) carries communities, originator and cluster list.
      return parseFrrRib(await json(`show bgp ${family} unicast json detail`), host.name);
    },
    async softIn(peer) {
      await vtysh(`clear bgp ${peer} soft in`);
    },
    async waitEstablished(addresses = cfg.neighbors.map((n) => n.address), timeoutMs = 30_000) {
      let seen: Array<[string, string]> = [];
      await waitFor(
        async () => {
          zebra.assertRunning();
          bgpd.assertRunning();
          const ns = await handle.neighbors();
          seen = ns.map((n) => [n.address, n.state]);
          return addresses.every((a) => ns.find((n) => n.address === canonicalIp(a))?.state === 'established');
        },
        { timeoutMs, what: `frr@${host.name} neighbours ${addresses.join(', ')} established` },
      ).catch((err: unknown) => {
        if (err instanceof Error) err.message += `\nneighbour states: ${JSON.stringify(seen)}`;
        throw err;
      });
    },
    async stop() {
      await bgpd.stop();
      await zebra.stop();
    },
  };
  return handle;
}

function removeFrrTmp(pid: number): void {
  for (const d of ['zebra', 'bgpd']) rmSync(`/var/tmp/frr/${d}.${pid}`, { recursive: true, force: true });
}

function parseNeighbor(address: string, v: Record<string, unknown>): FrrNeighborState {
  const stats: Record<string, number> = {};
  for (const [k, x] of Object.entries(obj(v.messageStats))) if (typeof x === 'number') stats[k] = x;
  const afi = obj(v.addressFamilyInfo);
  const accepted: FrrNeighborState['accepted'] = {};
  const v4 = obj(afi.ipv4Unicast).acceptedPrefixCounter;
  const v6 = obj(afi.ipv6Unicast).acceptedPrefixCounter;
  if (typeof v4 === 'number') accepted.ipv4 = v4;
  if (typeof v6 === 'number') accepted.ipv6 = v6;
  const rid = typeof v.remoteRouterId === 'string' ? v.remoteRouterId : undefined;
  return {
    address,
    remoteAs: typeof v.remoteAs === 'number' ? v.remoteAs : 0,
    state: typeof v.bgpState === 'string' ? v.bgpState.toLowerCase() : 'unknown',
    ...(rid === undefined ? {} : { remoteRouterId: rid }),
    messageStats: stats,
    accepted,
  };
}

/** Parses `show bgp <afi> unicast json detail`: routes → [header, path, path…] per prefix. */
export function parseFrrRib(data: Record<string, unknown>, hostName = 'frr'): PeerRoute[] {
  const routes = data.routes;
  if (routes === undefined) return [];
  if (typeof routes !== 'object' || routes === null || Array.isArray(routes)) {
    throw new PeerOutputError(`frr@${hostName}`, 'show bgp json detail', '"routes" is not an object', JSON.stringify(data));
  }
  const out: PeerRoute[] = [];
  for (const [prefix, entries] of Object.entries(routes)) {
    if (!Array.isArray(entries)) throw new PeerOutputError(`frr@${hostName}`, 'show bgp json detail', `${prefix} is not an array`, JSON.stringify(data));
    for (const e of entries) {
      const p = obj(e);
      if (p.nexthops === undefined && p.aspath === undefined) continue; // the per-prefix header
      out.push(parsePath(prefix, p));
    }
  }
  return out;
}

function parsePath(prefix: string, p: Record<string, unknown>): PeerRoute {
  const peer = obj(p.peer);
  const local = p.sourced === true || p.local === true;
  const r: PeerRoute = {
    prefix,
    nextHops: (Array.isArray(p.nexthops) ? p.nexthops : []).map((n) => obj(n).ip).filter((x): x is string => typeof x === 'string'),
    asPath: [],
    communities: list(obj(p.community).list),
    largeCommunities: list(obj(p.largeCommunity).list),
    extCommunities: (typeof obj(p.extendedCommunity).string === 'string' ? String(obj(p.extendedCommunity).string) : '')
      .split(/\s+/)
      .filter(Boolean)
      .map((e) => {
        const i = e.indexOf(':');
        return i < 0 ? e.toLowerCase() : `${normaliseExtKind(e.slice(0, i))}${e.slice(i)}`;
      }),
    clusterList: list(obj(p.clusterList).list),
    best: obj(p.bestpath).overall === true,
    source: local ? 'local' : typeof peer.peerId === 'string' ? peer.peerId : 'unknown',
  };
  for (const seg of Array.isArray(obj(p.aspath).segments) ? (obj(p.aspath).segments as unknown[]) : []) {
    r.asPath.push(...list(obj(seg).list).map(Number));
  }
  const origin = typeof p.origin === 'string' ? p.origin.toLowerCase() : undefined;
  if (origin === 'igp' || origin === 'egp' || origin === 'incomplete') r.origin = origin;
  if (typeof p.metric === 'number') r.med = p.metric;
  const lp = p.locPrf ?? p.localpref; // FRR 8.4 says locPrf; some versions localpref
  if (typeof lp === 'number') r.localPref = lp;
  if (typeof p.originatorId === 'string') r.originatorId = p.originatorId;
  return r;
}

function obj(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
function list(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}
