// BIRD 2 in bench/cluster.ts's full-mesh topology: Calico's bird.cfg reduced to a mesh node,
// every daemon started at once, the clock from the last start until every kernel holds every
// other node's block.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab, type LabHost } from '../test/harness/netns.js';
import type { Daemon } from '../test/harness/exec.js';
import { addNodeHost, CLUSTER_ASN, inParallel, PROTO_BIRD } from './cluster-lab.js';
import { KernelWatch, wallMs } from './cluster-observer.js';
import { cpuSeconds, memSample, sum, type MemSample } from './cluster-procs.js';
import { converged, postMortem, totalFlaps, type Window } from './cluster-window.js';
import { machineBusySeconds } from './rr-proc.js';

export interface BirdNode {
  k: number;
  host: LabHost;
  daemon: Daemon;
  spawnedAt: number;
}

/** Node k's one /26 in the BIRD lab: 10.244.0.0/26, 10.244.0.64/26, … (k from 1). */
export function birdBlock(k: number): string {
  const i = k - 1;
  return `10.244.${Math.floor(i / 4)}.${(i % 4) * 64}/26`;
}

/**
 * Calico's bird.cfg reduced to what a mesh node needs (confd's bird.cfg.template and
 * bird_ipam.cfg): a blackhole for the node's block exported to every peer, BGP routes into the
 * kernel, one session per other node from a template with Calico's timers, multihop with
 * recursive next hops resolved over connected routes. Passive side: the higher address, as
 * issue 5 asks (the same rule as Wren's derived mesh).
 */
export function birdMeshConfig(self: LabHost, block: string, others: readonly LabHost[], logFile: string): string {
  const n = (ip: string): number => ip.split('.').reduce((a, b) => a * 256 + Number(b), 0);
  const L = [
    `router id ${self.ipv4};`,
    `log "${logFile}" { info, remote, warning, error, auth, fatal, bug };`,
    'protocol device { scan time 2; }',
    // Connected routes: next hops of multihop iBGP sessions resolve over them; never exported.
    'protocol direct { ipv4; interface "eth*"; }',
    'protocol static blocks {',
    '  ipv4;',
    `  route ${block} blackhole;`,
    '}',
    'protocol kernel {',
    '  ipv4 { import none; export where source = RTS_BGP; };',
    '  merge paths on;',
    '}',
    'template bgp mesh {',
    `  local as ${CLUSTER_ASN};`,
    '  multihop;',
    '  graceful restart;',
    '  connect delay time 1;',
    '  connect retry time 3;',
    '  error wait time 5,60;',
    '  ipv4 {',
    '    gateway recursive;',
    '    import all;',
    '    export where source = RTS_STATIC;',
    '    add paths on;',
    '  };',
    '}',
  ];
  for (const o of others) {
    L.push(`protocol bgp Mesh_${o.ipv4.replaceAll('.', '_')} from mesh {`, `  neighbor ${o.ipv4} as ${CLUSTER_ASN};`, `  source address ${self.ipv4};`);
    if (n(self.ipv4) > n(o.ipv4)) L.push('  passive on;');
    L.push('}');
  }
  return `${L.join('\n')}\n`;
}

export function spawnBird(lab: Lab, k: number, host: LabHost, all: readonly LabHost[]): BirdNode {
  const dir = lab.subdir(`bird-${host.name}`);
  const configFile = join(dir, 'bird.conf');
  writeFileSync(configFile, birdMeshConfig(host, birdBlock(k), all.filter((h) => h !== host), join(dir, 'bird.log')));
  const daemon = lab.spawn(host.ns, 'bird', ['-f', '-c', configFile, '-s', join(dir, 'bird.ctl')], { logFile: join(dir, 'bird.stdout.log'), name: `bird@${host.name}` });
  return { k, host, daemon, spawnedAt: wallMs() };
}

export interface BirdRun {
  nodes: number;
  window: Window;
  /** first to last spawn, seconds */
  spawnSpreadS: number;
  mem: MemSample[];
}

export async function runBird(o: { nodes: number; timeoutMs: number; log(line: string): void }): Promise<BirdRun> {
  const lab = new Lab('cb');
  const label = `bird ${o.nodes}-node mesh`;
  try {
    o.log(`${label}: making ${o.nodes} node namespaces`);
    const hosts = await inParallel(o.nodes, 6, (i) => addNodeHost(lab, i + 1));
    const watches = await inParallel(o.nodes, 8, (i) => KernelWatch.start(lab, hosts[i]!.ns, PROTO_BIRD));
    const blocks = hosts.map((_, i) => birdBlock(i + 1));
    const others = (i: number): string[] => blocks.filter((_, j) => j !== i);
    await new Promise((r) => setTimeout(r, 1000));
    const m0 = machineBusySeconds();
    const b0 = process.cpuUsage();
    const o0 = sum(watches.map((w) => w.cpuSeconds()));
    // BIRD is ready as soon as it starts (issue 5): all at once, the clock from the last start.
    const birds = hosts.map((h, i) => spawnBird(lab, i + 1, h, hosts));
    const t0 = birds[birds.length - 1]!.spawnedAt;
    o.log(`${label}: ${o.nodes} BIRDs started; waiting for every block in every kernel`);
    const r = await converged(watches, others, Date.now() + o.timeoutMs);
    const b = process.cpuUsage(b0);
    const window: Window = {
      ...(r.at === undefined ? { outcome: 'timeout' as const, held: r.held, wanted: r.wanted } : { outcome: 'ok' as const, seconds: (r.at - t0) / 1000 }),
      // BIRD's whole life is the window (it starts inside it).
      daemonCpuS: sum(birds.map((x) => cpuSeconds(x.daemon.pid))),
      observerCpuS: sum(watches.map((w) => w.cpuSeconds())) - o0,
      benchCpuS: (b.user + b.system) / 1e6,
      machineBusyS: machineBusySeconds() - m0,
      flaps: totalFlaps(watches),
    };
    o.log(`${label}: ${window.outcome} ${window.seconds?.toFixed(2) ?? ''}`);
    for (const x of birds) x.daemon.assertRunning();
    const mem = birds.map((x) => memSample(x.daemon.pid)).filter((m): m is MemSample => m !== undefined);
    return { nodes: o.nodes, window, spawnSpreadS: (t0 - birds[0]!.spawnedAt) / 1000, mem };
  } catch (e) {
    postMortem(lab, true);
    throw e;
  } finally {
    o.log(`${label}: removing the lab`);
    await lab.cleanup();
  }
}
