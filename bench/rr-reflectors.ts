// The reflectors under test, each configured the same way: iBGP AS 65000, a cluster ID, every
// peer (the tester and the M clients) a passive route-reflector client (RFC 4456) holding
// IPv4 unicast, hold time 240 s. Wren, BIRD 2 and GoBGP start through the test harness;
// FRR runs bgpd alone with -Z (no zebra: IPv4 next hops on a shared subnet need no
// resolution, and no kernel installs skew its figures).

import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { startBird } from '../test/harness/bird.js';
import type { Daemon } from '../test/harness/exec.js';
import { frrConfigText } from '../test/harness/frr.js';
import { startGobgp } from '../test/harness/gobgp.js';
import type { Lab, LabHost } from '../test/harness/netns.js';
import { findBinary } from '../test/harness/packages.js';
import { waitFor } from '../test/harness/wait.js';
import { VERSION } from '../src/version.js';

export const IMPLS = ['wren', 'bird', 'frr', 'gobgp'] as const;
export type Impl = (typeof IMPLS)[number];

export interface ReflectorSpec {
  asn: number;
  routerId: string;
  clusterId: string;
  /** The reflector's own address (listen address where the implementation takes one). */
  address: string;
  /** Tester first, then the clients. */
  peers: string[];
  holdTime: number;
}

export interface Reflector {
  impl: Impl;
  /** The daemon's pid: the process whose CPU and peak RSS are reported. */
  daemon: Daemon;
}

/** dist/bench/rr-reflectors.js and bench/rr-reflectors.ts both sit two levels under the root. */
function repoRoot(): string {
  const up = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  return existsSync(join(up, 'package.json')) ? up : resolve(up, '..');
}

export const WREN_BIN = join(repoRoot(), 'bin', 'wren');
const FRR_BGPD = '/usr/lib/frr/bgpd';

/** Why `impl` cannot run here, or undefined when it can. */
export function unavailable(impl: Impl): string | undefined {
  switch (impl) {
    case 'wren':
      return existsSync(join(repoRoot(), 'dist', 'src', 'cli', 'main.js')) ? undefined : 'not built (npm run build)';
    case 'bird':
      return findBinary('bird') === undefined ? 'bird not installed (apt-get install bird2)' : undefined;
    case 'frr':
      return findBinary(FRR_BGPD) === undefined ? 'FRR not installed (apt-get install frr)' : undefined;
    case 'gobgp':
      return findBinary('gobgpd') === undefined ? 'gobgpd not installed (apt-get install gobgpd)' : undefined;
  }
}

/** One line naming the implementation's version, for the report header. */
export function versionOf(impl: Impl): string {
  const first = (cmd: string, args: string[]): string => {
    try {
      // BIRD prints its version on stderr; merge both streams.
      return execFileSync('sh', ['-c', `"$0" "$@" 2>&1`, cmd, ...args], { encoding: 'utf8' }).trim().split('\n')[0] ?? '?';
    } catch {
      return '?';
    }
  };
  switch (impl) {
    case 'wren':
      return `wren ${VERSION} (node ${process.version})`;
    case 'bird':
      return first('bird', ['--version']);
    case 'frr':
      return first(FRR_BGPD, ['--version']);
    case 'gobgp':
      return first('gobgpd', ['--version']);
  }
}

export async function startReflector(impl: Impl, lab: Lab, host: LabHost, spec: ReflectorSpec): Promise<Reflector> {
  switch (impl) {
    case 'wren':
      return { impl, daemon: startWrenReflector(lab, host, spec) };
    case 'bird': {
      const bird = await startBird(lab, host, {
        routerId: spec.routerId,
        asn: spec.asn,
        rrClusterId: spec.clusterId,
        peers: spec.peers.map((address, i) => ({
          name: `p${i}`,
          address,
          asn: spec.asn,
          families: ['ipv4'],
          passive: true,
          rrClient: true,
          direct: true,
          holdTime: spec.holdTime,
        })),
      });
      return { impl, daemon: bird.daemon };
    }
    case 'gobgp': {
      const gobgp = await startGobgp(lab, host, {
        routerId: spec.routerId,
        asn: spec.asn,
        rrClusterId: spec.clusterId,
        logLevel: 'warn',
        neighbors: spec.peers.map((address) => ({
          address,
          peerAs: spec.asn,
          families: ['ipv4'],
          passive: true,
          rrClient: true,
          holdTime: spec.holdTime,
        })),
      });
      return { impl, daemon: gobgp.daemon };
    }
    case 'frr':
      return { impl, daemon: await startFrrBgpd(lab, host, spec) };
  }
}

function startWrenReflector(lab: Lab, host: LabHost, spec: ReflectorSpec): Daemon {
  const dir = lab.subdir('wren');
  const configFile = join(dir, 'wren.yaml');
  const config = {
    asn: spec.asn,
    routerId: spec.routerId,
    clusterId: spec.clusterId,
    listen: { address: spec.address, port: 179 },
    peers: spec.peers.map((address) => ({
      address,
      asn: spec.asn,
      rrClient: true,
      passive: true,
      families: ['ipv4-unicast'],
      holdTime: spec.holdTime,
    })),
  };
  writeFileSync(configFile, stringify(config));
  // Plain `node bin/wren daemon`, default heap and info-level logs: what an operator runs.
  const env = { ...process.env, WREN_LOG_LEVEL: 'info' };
  // WREN_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the reflector.
  const nodeArgs = (process.env.WREN_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  return lab.spawn(host.ns, process.execPath, [...nodeArgs, WREN_BIN, 'daemon', '--config', configFile, '--control', join(dir, 'wren.sock')], {
    logFile: join(dir, 'wren.log'),
    name: `wren@${host.name}`,
    env,
  });
}

async function startFrrBgpd(lab: Lab, host: LabHost, spec: ReflectorSpec): Promise<Daemon> {
  const dir = lab.subdir('frr');
  const configFile = join(dir, 'bgpd.conf');
  writeFileSync(
    configFile,
    frrConfigText(host, {
      routerId: spec.routerId,
      asn: spec.asn,
      clusterId: spec.clusterId,
      neighbors: spec.peers.map((address) => ({
        address,
        remoteAs: spec.asn,
        families: ['ipv4'],
        passive: true,
        rrClient: true,
        timers: [Math.floor(spec.holdTime / 3), spec.holdTime],
      })),
    }),
  );
  // -Z no zebra, -S no user switching, -P 0 no TCP vty (PEERS.md).
  const bgpd = lab.spawn(
    host.ns,
    FRR_BGPD,
    ['-f', configFile, '-Z', '-S', '-P', '0', '-i', join(dir, 'bgpd.pid'), '--vty_socket', dir, '--log', `file:${join(dir, 'bgpd.log')}`],
    { logFile: join(dir, 'bgpd.stdout.log'), name: `bgpd@${host.name}` },
  );
  // FRR keeps a per-process crash-log directory under /var/tmp/frr.
  lab.defer(() => rmSync(`/var/tmp/frr/bgpd.${bgpd.pid}`, { recursive: true, force: true }));
  await waitFor(
    () => {
      bgpd.assertRunning();
      return existsSync(join(dir, 'bgpd.vty'));
    },
    { timeoutMs: 10_000, intervalMs: 50, what: `bgpd@${host.name} vty socket` },
  );
  return bgpd;
}
