// The lab of bench/pods.ts, built before anything is timed: four router namespaces on one
// bridge (Wren nodes A and B, BIRD nodes C and D, each pair iBGP-peered), the pod namespaces
// every timed add wires into, and a route observer in each receiving node (B and D).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { callDaemon } from '../src/api/client.js';
import type { Daemon } from '../test/harness/exec.js';
import { run } from '../test/harness/exec.js';
import type { Lab, LabHost } from '../test/harness/netns.js';
import { waitFor } from '../test/harness/wait.js';
import type { PodsObserverArgs } from './pods-observer.js';
import { JsonChild } from './rr-child.js';
import { WREN_BIN } from './rr-reflectors.js';

/** Both pairs are iBGP, as a Calico node mesh is (Calico's default AS is 64512). */
export const WREN_ASN = 65000;
export const BIRD_ASN = 64512;
/** Node A's pod pool: room for every pod the benchmark makes. */
export const POD_POOL = '10.244.0.0/16';
/** The rival's /32s: 10.245.X.Y, added in C's kernel. */
export const BIRD_PREFIX_BASE = [10, 245] as const;
/** Routes with this protocol (rtm_protocol) are Wren's (kernel.protocol default) or BIRD's (RTPROT_BIRD). */
export const PROTO_WREN = 199;
export const PROTO_BIRD = 12;
/** RTPROT_STATIC: the rival's /32s in C, as `ip route add … proto static` (Felix uses its own number). */
export const PROTO_STATIC = 4;
/** The interface C's /32s point at, as a pod's host-side veth (no traffic flows, only routes). */
export const BIRD_POD_IF = 'calibench0';

export interface WrenNode {
  host: LabHost;
  daemon: Daemon;
  control: string;
}

export interface BirdNode {
  host: LabHost;
  daemon: Daemon;
  socket: string;
}

export interface PodNamespace {
  ns: string;
  path: string;
}

/** Wren as an operator runs it: `node bin/wren daemon`, info-level logs. */
export async function startWrenNode(lab: Lab, host: LabHost, config: object): Promise<WrenNode> {
  const dir = lab.subdir(`wren-${host.name}`);
  const configFile = join(dir, 'wren.yaml');
  const control = join(dir, 'wren.sock');
  // The pod state file in the lab, never the machine-wide default (/var/lib/wren/pods.json).
  writeFileSync(configFile, stringify({ ...config, pods: { ...((config as { pods?: object }).pods ?? {}), stateFile: join(dir, 'pods.json') } }));
  // WREN_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles both daemons.
  const nodeArgs = (process.env.WREN_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const daemon = lab.spawn(host.ns, process.execPath, [...nodeArgs, WREN_BIN, 'daemon', '--config', configFile, '--control', control], {
    logFile: join(dir, 'wren.log'),
    name: `wren@${host.name}`,
    env: { ...process.env, WREN_LOG_LEVEL: 'info' },
  });
  await waitFor(
    async () => {
      daemon.assertRunning();
      return (await callDaemon(control, 'status', {}, 1000)).daemon.pid > 0;
    },
    { timeoutMs: 20_000, intervalMs: 50, what: `wren@${host.name} control socket` },
  );
  return { host, daemon, control };
}

export function wrenNodeConfig(self: LabHost, other: LabHost, pods: boolean): object {
  return {
    asn: WREN_ASN,
    routerId: self.ipv4,
    kernel: { enabled: true },
    ...(pods ? { pods: { pool: POD_POOL } } : {}),
    peers: [{ name: other.name, address: other.ipv4, asn: WREN_ASN, connectRetryTime: 1 }],
  };
}

export async function waitWrenEstablished(node: WrenNode, peer: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    async () => {
      node.daemon.assertRunning();
      const s = await callDaemon(node.control, 'status', {}, 1000);
      return s.peers.find((p) => p.address === peer)?.state === 'Established';
    },
    { timeoutMs, intervalMs: 100, what: `wren@${node.host.name} session with ${peer} Established` },
  );
}

/**
 * Calico's BIRD on the node where the pod is created (confd's bird.cfg, reduced to what matters
 * here): the kernel protocol learns routes other programs put in the kernel (Felix's /32s to the
 * pods' veths) and BGP announces them to the peer with this node as the next hop.
 */
export function birdLearnConfig(self: LabHost, peer: LabHost, logFile: string): string {
  return [
    `router id ${self.ipv4};`,
    `log "${logFile}" { info, remote, warning, error, auth, fatal, bug };`,
    'protocol device { scan time 2; }',
    'protocol kernel {',
    '  learn;',
    '  ipv4 { import all; export none; };',
    '}',
    ...birdBgp(self, peer, ['import none;', 'export all;', 'next hop self;']),
  ].join('\n');
}

/** Calico's BIRD on the receiving node: BGP routes into the kernel (proto bird). */
export function birdInstallConfig(self: LabHost, peer: LabHost, logFile: string): string {
  return [
    `router id ${self.ipv4};`,
    `log "${logFile}" { info, remote, warning, error, auth, fatal, bug };`,
    'protocol device { scan time 2; }',
    'protocol kernel {',
    '  ipv4 { import none; export all; };',
    '}',
    ...birdBgp(self, peer, ['import all;', 'export none;']),
  ].join('\n');
}

function birdBgp(self: LabHost, peer: LabHost, channel: string[]): string[] {
  return [
    `protocol bgp ${peer.name} {`,
    `  local ${self.ipv4} as ${BIRD_ASN};`,
    `  neighbor ${peer.ipv4} as ${BIRD_ASN};`,
    // Same subnet: next hops resolve without an IGP table (Calico's node mesh is direct too).
    '  direct;',
    '  connect delay time 1;',
    '  connect retry time 1;',
    '  error wait time 1,2;',
    `  ipv4 { ${channel.join(' ')} };`,
    '}',
    '',
  ];
}

export async function startBirdNode(lab: Lab, host: LabHost, configText: (logFile: string) => string): Promise<BirdNode> {
  const dir = lab.subdir(`bird-${host.name}`);
  const configFile = join(dir, 'bird.conf');
  const socket = join(dir, 'bird.ctl');
  writeFileSync(configFile, configText(join(dir, 'bird.log')));
  const daemon = lab.spawn(host.ns, 'bird', ['-f', '-c', configFile, '-s', socket], { logFile: join(dir, 'bird.stdout.log'), name: `bird@${host.name}` });
  await waitFor(
    async () => {
      daemon.assertRunning();
      const r = await run('birdc', ['-s', socket, 'show status'], { allowFailure: true, timeoutMs: 5000 });
      return /ready\./.test(r.stdout);
    },
    { timeoutMs: 10_000, intervalMs: 50, what: `bird@${host.name} control socket` },
  );
  return { host, daemon, socket };
}

export async function waitBirdEstablished(node: BirdNode, protocol: string, timeoutMs = 30_000): Promise<void> {
  const line = new RegExp(`^${protocol}\\s+BGP\\s.*Established`, 'm');
  await waitFor(
    async () => {
      node.daemon.assertRunning();
      const r = await run('birdc', ['-s', node.socket, 'show protocols'], { allowFailure: true, timeoutMs: 5000 });
      return line.test(r.stdout);
    },
    { timeoutMs, intervalMs: 100, what: `bird@${node.host.name} session ${protocol} Established` },
  );
}

/** A route observer (pods-observer.ts) in `host`'s namespace, subscribed when this resolves. */
export async function startObserver(lab: Lab, host: LabHost, protocol: number): Promise<JsonChild> {
  const args: PodsObserverArgs = { protocol };
  const observer = new JsonChild(lab, host.ns, join(import.meta.dirname, 'pods-observer.js'), args, `observer@${host.name}`, lab.path(`observer-${host.name}.stderr.log`));
  await observer.waitFor((e) => e.ev === 'ready', 'rtnetlink subscription', 10_000);
  return observer;
}

/** `count` bare namespaces named `<prefix><i>`, made `parallel` at a time. */
export async function makeNamespaces(lab: Lab, prefix: string, count: number, parallel = 8): Promise<PodNamespace[]> {
  const out: PodNamespace[] = new Array<PodNamespace>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      out[i] = await lab.addNamespace(`${prefix}${i}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return out;
}
