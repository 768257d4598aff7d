// What the lab's nodes say right now: each daemon's peering table, learned routes and pods
// through its control socket (unix sockets work across namespaces), and what each node's
// kernel has for the other nodes' pods.
import { callDaemon } from '../api/client.js';
import type { PeerStatus } from '../api/types.js';
import { ipv4ToNumber } from '../lib/prefix.js';
import { run } from './shell.js';

export interface NodeView {
  reachable: boolean;
  /** why the daemon did not answer */
  error?: string;
  peers: PeerStatus[];
  established: number;
}

export async function peeringOf(control: string, timeoutMs = 3_000): Promise<NodeView> {
  try {
    const s = await callDaemon(control, 'status', {}, timeoutMs);
    return { reachable: true, peers: s.peers, established: s.peers.filter((p) => p.state === 'Established').length };
  } catch (e) {
    return { reachable: false, error: e instanceof Error ? e.message : String(e), peers: [], established: 0 };
  }
}

/** Prefixes whose best path was learned over BGP (not originated here). */
export async function learnedRoutes(control: string, timeoutMs = 5_000): Promise<number> {
  const routes = await callDaemon(control, 'routes', { family: 'ipv4' }, timeoutMs);
  return routes.filter((r) => r.best && r.from !== 'local').length;
}

export async function podCount(control: string, timeoutMs = 3_000): Promise<number> {
  return (await callDaemon(control, 'podList', {}, timeoutMs)).length;
}

/** One IPv4 route of `ip -j route show`. */
export interface KernelRoute {
  dst: string;
  type?: string;
  gateway?: string;
  dev?: string;
  nexthops?: unknown[];
}

export async function kernelRoutes(ns: string): Promise<KernelRoute[]> {
  const r = await run('ip', ['-j', '-4', '-n', ns, 'route', 'show', 'table', 'main']);
  const text = r.stdout.trim();
  return text === '' ? [] : (JSON.parse(text) as KernelRoute[]);
}

function parseDst(dst: string): { base: number; length: number } | undefined {
  if (dst === 'default') return { base: 0, length: 0 };
  const [addr = '', len] = dst.split('/');
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(addr)) return undefined;
  return { base: ipv4ToNumber(addr), length: len === undefined ? 32 : Number(len) };
}

/**
 * The addresses that this kernel cannot forward to another node: their longest matching route
 * is missing, or is not via a gateway (a blackhole, or only the default route's absence).
 */
export function unroutedAddresses(routes: readonly KernelRoute[], addresses: readonly string[]): string[] {
  const table = routes.flatMap((r) => {
    const d = parseDst(r.dst);
    return d === undefined || d.length === 0 ? [] : [{ ...d, route: r }];
  });
  return addresses.filter((a) => {
    const n = ipv4ToNumber(a);
    let best: (typeof table)[number] | undefined;
    for (const e of table) {
      const mask = e.length === 0 ? 0 : (0xffffffff << (32 - e.length)) >>> 0;
      if (((n & mask) >>> 0) === ((e.base & mask) >>> 0) && (best === undefined || e.length > best.length)) best = e;
    }
    return best === undefined || (best.route.gateway === undefined && best.route.nexthops === undefined) || (best.route.type !== undefined && best.route.type !== 'unicast');
  });
}
