// The lab of bench/cluster.ts: an etcd in its own namespace, N node namespaces on one bridge,
// pod namespaces, and the daemons (Wren node daemons in cluster mode, or BIRD 2 with a
// Calico-style mesh config). Nothing here is timed; cluster-measure.ts does the timing.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { callDaemon } from '../src/api/client.js';
import type { Daemon } from '../test/harness/exec.js';
import type { RunResult } from '../test/harness/exec.js';
import type { Lab, LabHost } from '../test/harness/netns.js';
import { waitFor } from '../test/harness/wait.js';
import type { EtcdCommand } from './cluster-etcd.js';
import { wallMs } from './cluster-observer.js';
import { JsonChild, type ChildEvent } from './rr-child.js';
import { WREN_BIN } from './rr-reflectors.js';

/** Calico's default AS; every node (Wren or BIRD) is in it. */
export const CLUSTER_ASN = 64512;
export const POOL = '10.244.0.0/16';
/** Routes with this rtm_protocol are Wren's (kernel.protocol default) or BIRD's (RTPROT_BIRD). */
export const PROTO_WREN = 199;
export const PROTO_BIRD = 12;
export const RR_CLUSTER_ID = '10.99.99.99';
export const RR_LABEL = 'route-reflector';
export const RR_PEER_OBJECT = 'to-reflectors';

/**
 * Address of lab host k (0 = etcd, 1… = nodes) on one /16, so labs beyond 253 hosts fit:
 * 10.77.0.1 … 10.77.0.250, 10.77.1.1 … Addresses grow with k, so in a full mesh the node
 * started later is the passive side of every session it has with an older node.
 */
export function hostAddress(k: number): string {
  return `10.77.${Math.floor(k / 250)}.${(k % 250) + 1}`;
}

/** `count` jobs, `parallel` at a time, results in order. */
export async function inParallel<T>(count: number, parallel: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      out[i] = await job(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return out;
}

export async function addNodeHost(lab: Lab, k: number): Promise<LabHost> {
  return lab.addHost(`n${k}`, { ipv4: `${hostAddress(k)}/16`, ipv6: false });
}

// --- etcd ---------------------------------------------------------------------------------

export interface EtcdSide {
  host: LabHost;
  daemon: Daemon;
  endpoint: string;
  /** `wren ARGS --etcd URL` in the etcd namespace, as an operator would run it. */
  cli(args: string[]): Promise<RunResult>;
  /** One timed write through the long-lived writer (cluster-etcd.ts). */
  request(r: EtcdCommand): Promise<ChildEvent>;
  writerPid: number;
}

export async function startEtcd(lab: Lab, opts: { mesh: boolean }): Promise<EtcdSide> {
  const host = await lab.addHost('etcd', { ipv4: `${hostAddress(0)}/16`, ipv6: false });
  const endpoint = `http://${host.ipv4}:2379`;
  const peer = `http://${host.ipv4}:2380`;
  // tmpfs when there is one: etcd fsyncs every write, and 200 nodes claiming blocks at once
  // should measure the daemons, not the disk.
  let dataDir: string;
  try {
    dataDir = mkdtempSync('/dev/shm/wren-bench-etcd-');
  } catch {
    dataDir = lab.subdir('etcd-data');
  }
  lab.defer(() => rmSync(dataDir, { recursive: true, force: true }));
  const daemon = lab.spawn(
    host.ns,
    'etcd',
    ['--name', 'bench', '--data-dir', join(dataDir, 'data'), '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint, '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `bench=${peer}`, '--log-level', 'warn'],
    { logFile: 'etcd.log', name: 'etcd' },
  );
  const cli = (args: string[]): Promise<RunResult> => lab.exec(host.ns, process.execPath, [WREN_BIN, ...args, '--etcd', endpoint], { allowFailure: true, timeoutMs: 30_000 });
  // exit 3: etcd unreachable (not up yet); anything else is an answer.
  const init = await waitFor(
    async () => {
      daemon.assertRunning();
      const r = await cli(['cluster', 'init', '--asn', String(CLUSTER_ASN), '--pool', POOL, ...(opts.mesh ? [] : ['--no-mesh'])]);
      return r.exitCode === 3 ? undefined : r;
    },
    { timeoutMs: 30_000, intervalMs: 200, what: 'etcd to answer wren cluster init' },
  );
  if (init.exitCode !== 0) throw new Error(`wren cluster init failed: ${init.stderr.trim()}`);
  const writer = new JsonChild(lab, host.ns, join(import.meta.dirname, 'cluster-etcd.js'), { endpoint }, 'etcd-writer', lab.path('etcd-writer.stderr.log'));
  await writer.waitFor((e) => e.ev === 'ready', 'etcd writer ready', 20_000);
  let id = 0;
  const request = async (r: EtcdCommand): Promise<ChildEvent> => {
    const mine = ++id;
    const wait = writer.waitFor((e) => (e.ev === 'done' || e.ev === 'error') && e.id === mine, `answer to ${r.op}`, 30_000);
    writer.send(JSON.stringify({ ...r, id: mine }));
    const e = await wait;
    if (e.ev === 'error') throw new Error(`etcd writer ${r.op}: ${String(e.msg)}`);
    return e;
  };
  return { host, daemon, endpoint, cli, request, writerPid: writer.pid };
}

// --- Wren ---------------------------------------------------------------------------------

export interface WrenNode {
  k: number;
  name: string;
  host: LabHost;
  daemon: Daemon;
  control: string;
  reflector: boolean;
  /** wall ms */
  spawnedAt: number;
  readyAt?: number;
}

export interface WrenNodeInit {
  k: number;
  host: LabHost;
  endpoint: string;
  reflector: boolean;
  /** extra node options before bin/wren (V8 flags), e.g. ["--max-semi-space-size=1"] */
  nodeArgs: readonly string[];
  /** extra environment (MALLOC_ARENA_MAX …) */
  env?: NodeJS.ProcessEnv;
}

/** Spawns `node [ARGS] bin/wren daemon` in the host's namespace; does not wait. */
export function spawnWren(lab: Lab, o: WrenNodeInit): WrenNode {
  const name = `node${o.k}`;
  const dir = lab.subdir(`wren-${o.host.name}`);
  const configFile = join(dir, 'wren.yaml');
  const control = join(dir, 'wren.sock');
  const config = {
    asn: CLUSTER_ASN,
    routerId: o.host.ipv4,
    datastore: { etcd: { endpoints: [o.endpoint] } },
    cluster: {
      nodeName: name,
      ...(o.reflector ? { routeReflectorClusterId: RR_CLUSTER_ID, labels: { [RR_LABEL]: 'true' } } : {}),
    },
    kernel: { enabled: true },
    // The pod state file in the lab, never the machine-wide default (/var/lib/wren/pods.json).
    pods: { stateFile: join(dir, 'pods.json') },
  };
  writeFileSync(configFile, stringify(config));
  const daemon = lab.spawn(o.host.ns, process.execPath, [...o.nodeArgs, WREN_BIN, 'daemon', '--config', configFile, '--control', control], {
    logFile: join(dir, 'wren.log'),
    name: `wren@${o.host.name}`,
    env: { ...process.env, WREN_LOG_LEVEL: process.env.WREN_LOG_LEVEL ?? 'info', ...(o.env ?? {}) },
  });
  return { k: o.k, name, host: o.host, daemon, control, reflector: o.reflector, spawnedAt: wallMs() };
}

/** Ready = the control socket answers `status` (the definition). */
export async function waitWrenReady(node: WrenNode, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      node.daemon.assertRunning();
      return (await callDaemon(node.control, 'status', {}, 2000)).daemon.pid > 0;
    },
    { timeoutMs, intervalMs: 20, what: `${node.daemon.name} control socket` },
  );
  node.readyAt = wallMs();
}

/** The /26 holding a pod address. */
export function blockOf(ip: string): string {
  const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
  return `${a}.${b}.${c}.${d & ~63}/26`;
}
