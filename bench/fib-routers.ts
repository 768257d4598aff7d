// The routers under test of bench/fib.ts, each configured the same way: AS 65000, one passive
// eBGP session (IPv4 unicast, hold time 240 s) to the tester in AS 65001 on the shared subnet,
// and every best route installed into the namespace's main kernel table. Each reports the
// routing protocol number its kernel routes carry, which the observer filters on.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startBird } from '../test/harness/bird.js';
import type { Daemon } from '../test/harness/exec.js';
import { startFrr } from '../test/harness/frr.js';
import type { Lab, LabHost } from '../test/harness/netns.js';
import { WREN_BIN } from './rr-reflectors.js';

/** 'wren-worker': Wren with `kernel.writer: worker` (what a node learning full tables would set). */
export const FIB_IMPLS = ['wren', 'wren-worker', 'bird', 'frr'] as const;
export type FibImpl = (typeof FIB_IMPLS)[number];

/** rtm_protocol of the routes each implementation installs (linux/rtnetlink.h, rt_protos). */
export const KERNEL_PROTOCOL: Record<FibImpl, number> = {
  /** Wren's `kernel.protocol` default. */
  wren: 199,
  'wren-worker': 199,
  /** RTPROT_BIRD: `proto bird`. */
  bird: 12,
  /** zebra's RTPROT_BGP: `proto bgp`. */
  frr: 186,
};

export interface RouterSpec {
  asn: number;
  routerId: string;
  /** The router's own address (listen address where the implementation takes one). */
  address: string;
  tester: string;
  testerAsn: number;
  holdTime: number;
}

export interface Router {
  impl: FibImpl;
  /** Processes whose CPU and peak RSS are summed (FRR: bgpd and zebra). */
  daemons: Daemon[];
}

export async function startRouter(impl: FibImpl, lab: Lab, host: LabHost, spec: RouterSpec): Promise<Router> {
  switch (impl) {
    case 'wren':
      return { impl, daemons: [startWrenRouter(lab, host, spec, 'auto')] };
    case 'wren-worker':
      return { impl, daemons: [startWrenRouter(lab, host, spec, 'worker')] };
    case 'bird': {
      // kernel: `protocol kernel { ipv4 { export where source = RTS_BGP; }; merge paths on; }`.
      const bird = await startBird(lab, host, {
        routerId: spec.routerId,
        asn: spec.asn,
        kernel: true,
        peers: [{ name: 'tester', address: spec.tester, asn: spec.testerAsn, families: ['ipv4'], passive: true, direct: true, holdTime: spec.holdTime }],
      });
      return { impl, daemons: [bird.daemon] };
    }
    case 'frr': {
      // bgpd with zebra (not -n): zebra installs the routes through its dataplane thread.
      const frr = await startFrr(lab, host, {
        routerId: spec.routerId,
        asn: spec.asn,
        neighbors: [{ address: spec.tester, remoteAs: spec.testerAsn, families: ['ipv4'], passive: true, timers: [Math.floor(spec.holdTime / 3), spec.holdTime] }],
      });
      return { impl, daemons: [frr.bgpd, frr.zebra] };
    }
  }
}

function startWrenRouter(lab: Lab, host: LabHost, spec: RouterSpec, writer: 'auto' | 'worker'): Daemon {
  const dir = lab.subdir(writer === 'auto' ? 'wren' : `wren-${writer}`);
  const configFile = join(dir, 'wren.yaml');
  const config = {
    asn: spec.asn,
    routerId: spec.routerId,
    listen: { address: spec.address, port: 179 },
    peers: [{ address: spec.tester, asn: spec.testerAsn, passive: true, families: ['ipv4-unicast'], holdTime: spec.holdTime }],
    kernel: { enabled: true, writer },
  };
  writeFileSync(configFile, stringify(config));
  // Plain `node bin/wren daemon`, default heap and info-level logs: what an operator runs.
  const env = { ...process.env, WREN_LOG_LEVEL: 'info' };
  // WREN_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the router.
  const nodeArgs = (process.env.WREN_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  return lab.spawn(host.ns, process.execPath, [...nodeArgs, WREN_BIN, 'daemon', '--config', configFile, '--control', join(dir, 'wren.sock')], {
    logFile: join(dir, 'wren.log'),
    name: `wren@${host.name}`,
    env,
  });
}
