// `wren lab ping`: all-pairs pod reachability. From every pod's namespace, one ping to every
// other pod's address (`ip netns exec POD ping -c1 -W1 IP`), many at a time but bounded.
import { requireRoot } from './common.js';
import { LabStateError } from './errors.js';
import { inNamespace } from './netns.js';
import { mapLimit, requireTool } from './shell.js';
import { readState } from './state.js';

const PING_CONCURRENCY = 16;

export interface LabPingPod {
  id: string;
  node: string;
  ns: string;
  ipv4: string | null;
}

export interface LabPingFailure {
  from: string;
  to: string;
  ip: string | null;
  reason: string;
}

export interface LabPingReport {
  pods: LabPingPod[];
  /** reachable[from][to]; null on the diagonal */
  reachable: (boolean | null)[][];
  pairs: number;
  failures: LabPingFailure[];
  ok: boolean;
  elapsedMs: number;
}

export async function labPing(dir: string): Promise<LabPingReport> {
  requireRoot('ping');
  const ping = requireTool('ping', 'iputils-ping');
  const started = Date.now();
  const state = readState(dir);
  const pods: LabPingPod[] = state.pods.map((p) => ({ id: p.id, node: p.node, ns: p.ns, ipv4: p.ipv4 }));
  if (pods.length < 2) throw new LabStateError(`the lab in ${dir} has ${pods.length} pod(s); ping needs at least 2 (wren lab up --pods P)`);
  const reachable: (boolean | null)[][] = pods.map((_, i) => pods.map((__, j) => (i === j ? null : false)));
  const failures: LabPingFailure[] = [];
  const pairs = pods.flatMap((_, i) => pods.map((__, j) => [i, j] as const)).filter(([i, j]) => i !== j);
  await mapLimit(pairs, PING_CONCURRENCY, async ([i, j]) => {
    const from = pods[i]!;
    const to = pods[j]!;
    if (to.ipv4 === null) {
      failures.push({ from: from.id, to: to.id, ip: null, reason: 'the pod has no address (its podAdd did not finish)' });
      return;
    }
    const r = await inNamespace(from.ns, ping, ['-c1', '-W1', '-n', '-q', to.ipv4], { allowFailure: true, timeoutMs: 5_000 }).catch((e: unknown) => ({
      code: -1,
      stdout: '',
      stderr: e instanceof Error ? e.message : String(e),
    }));
    if (r.code === 0) reachable[i]![j] = true;
    else failures.push({ from: from.id, to: to.id, ip: to.ipv4, reason: r.code === 1 ? 'no reply' : r.stderr.trim().split('\n')[0] || `exit ${r.code}` });
  });
  const order = new Map(pods.map((p, i) => [p.id, i]));
  failures.sort((a, b) => order.get(a.from)! - order.get(b.from)! || order.get(a.to)! - order.get(b.to)!);
  return { pods, reachable, pairs: pairs.length, failures, ok: failures.length === 0, elapsedMs: Date.now() - started };
}
