// `wren lab status`: every node's peering table, summarised. Roles come from the node records
// in etcd (the cluster CLI may have changed them since `up`), sessions, learned routes and pods
// from each daemon's control socket.
import type { PeerStatus } from '../api/types.js';
import { requireRoot } from './common.js';
import { inNamespace } from './netns.js';
import { learnedRoutes, peeringOf, podCount } from './observe.js';
import { mapLimit } from './shell.js';
import { readState, type LabState } from './state.js';
import { wrenCommand } from './wren-bin.js';

export type NodeRole = 'reflector' | 'node';

export interface LabPeer extends PeerStatus {
  /** the lab node at that address, or null */
  node: string | null;
}

export interface LabNodeStatus {
  name: string;
  address: string;
  role: NodeRole;
  /** liveness in etcd, null when etcd could not be asked */
  live: boolean | null;
  reachable: boolean;
  error: string | null;
  sessions: { established: number; total: number };
  /** IPv4 prefixes whose best path was learned over BGP */
  routes: number | null;
  pods: number | null;
  peers: LabPeer[];
}

export interface LabStatus {
  dir: string;
  prefix: string;
  etcd: { endpoint: string; reachable: boolean; error: string | null };
  nodes: LabNodeStatus[];
  summary: { nodes: number; reflectors: number; daemonsAnswering: number; sessionsEstablished: number; sessions: number; pods: number };
  /** what is wrong; empty when every daemon answers and every session is Established */
  problems: string[];
  ok: boolean;
}

interface NodeRecordView {
  name: string;
  routeReflectorClusterId?: string;
  live?: boolean;
}

/** `wren node list -o json` inside etcd's namespace; undefined (with the reason) when etcd does not answer. */
async function nodeRecords(state: LabState): Promise<{ records?: NodeRecordView[]; error?: string }> {
  const [cmd, args] = wrenCommand(['node', 'list', '-o', 'json', '--etcd', state.etcd.endpoint]);
  const r = await inNamespace(state.etcd.ns, cmd, args, { allowFailure: true, timeoutMs: 15_000 }).catch((e: unknown) => ({ code: -1, stdout: '', stderr: String(e) }));
  if (r.code !== 0) return { error: r.stderr.trim().split('\n')[0] || `exit ${r.code}` };
  try {
    return { records: JSON.parse(r.stdout) as NodeRecordView[] };
  } catch (e) {
    return { error: `unreadable node list: ${(e as Error).message}` };
  }
}

export async function labStatus(dir: string): Promise<LabStatus> {
  requireRoot('status');
  const state = readState(dir);
  const byAddress = new Map(state.nodes.map((n) => [n.address, n.name]));
  const [etcd, views] = await Promise.all([
    nodeRecords(state),
    mapLimit(state.nodes, 16, async (n) => {
      const view = await peeringOf(n.control);
      const routes = view.reachable ? await learnedRoutes(n.control).catch(() => null) : null;
      const pods = view.reachable ? await podCount(n.control).catch(() => null) : null;
      return { view, routes, pods };
    }),
  ]);
  const records = new Map((etcd.records ?? []).map((r) => [r.name, r]));
  const nodes: LabNodeStatus[] = state.nodes.map((n, i) => {
    const { view, routes, pods } = views[i]!;
    const rec = records.get(n.name);
    const role: NodeRole = rec ? (rec.routeReflectorClusterId ? 'reflector' : 'node') : n.reflector ? 'reflector' : 'node';
    return {
      name: n.name,
      address: n.address,
      role,
      live: rec?.live ?? (etcd.records ? false : null),
      reachable: view.reachable,
      error: view.error ?? null,
      sessions: { established: view.established, total: view.peers.length },
      routes,
      pods,
      peers: view.peers.map((p) => ({ ...p, node: byAddress.get(p.address) ?? null })),
    };
  });
  const problems = findProblems(nodes);
  return {
    dir,
    prefix: state.prefix,
    etcd: { endpoint: state.etcd.endpoint, reachable: etcd.records !== undefined, error: etcd.error ?? null },
    nodes,
    summary: {
      nodes: nodes.length,
      reflectors: nodes.filter((n) => n.role === 'reflector').length,
      daemonsAnswering: nodes.filter((n) => n.reachable).length,
      sessionsEstablished: nodes.reduce((a, n) => a + n.sessions.established, 0),
      sessions: nodes.reduce((a, n) => a + n.sessions.total, 0),
      pods: nodes.reduce((a, n) => a + (n.pods ?? 0), 0),
    },
    problems,
    ok: problems.length === 0,
  };
}

/** Daemons not answering, sessions not Established, sessions only one side has, nodes without any. */
export function findProblems(nodes: readonly LabNodeStatus[]): string[] {
  const problems: string[] = [];
  const byName = new Map(nodes.map((n) => [n.name, n]));
  for (const n of nodes) {
    if (!n.reachable) {
      problems.push(`${n.name}: daemon not answering (${n.error ?? 'no reason'})`);
      continue;
    }
    for (const p of n.peers) {
      if (p.state !== 'Established') problems.push(`${n.name}: session with ${p.address}${p.node ? ` (${p.node})` : ''} is ${p.state}${p.info && p.info !== p.state ? `: ${p.info}` : ''}`);
    }
    if (n.peers.length === 0 && nodes.length > 1) problems.push(`${n.name}: no BGP sessions at all`);
    for (const p of n.peers) {
      const other = p.node === null ? undefined : byName.get(p.node);
      if (other?.reachable && !other.peers.some((q) => q.address === n.address)) {
        problems.push(`${n.name} has a session with ${other.name}, but ${other.name} has none with ${n.name}`);
      }
    }
  }
  return problems;
}
