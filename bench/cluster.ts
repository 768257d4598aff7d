// Cluster benchmark: `npm run bench:cluster` (or `npx tsc -p tsconfig.build.json && node
// dist/bench/cluster.js`), as root. Issue 5's "Performance and scale": N node namespaces on one
// bridge with an etcd in its own namespace, each node running a Wren node daemon in cluster mode
// with its own block and 2 pods; BIRD 2 in the same full-mesh topology; Wren again with 2 route
// reflectors and the mesh off. Prints convergence, join, and memory/CPU tables with ratios to
// BIRD and the issue's targets. The Wren runs are in cluster-measure.ts, BIRD's in
// cluster-bird.ts, what the windows share in cluster-window.ts, how kernels are watched in
// cluster-observer.ts; cluster-memory.ts breaks a daemon's memory down by node options.
//
//   --nodes 100          full-mesh size (Wren and BIRD)
//   --rr-nodes 200       node daemons in the route-reflector run (the first --reflectors of them
//                        are the reflectors)
//   --reflectors 2
//   --pods 2             pods per node (the first claims the node's block)
//   --batch 10           daemons started at a time during bring-up
//   --timeout 120        seconds each window may take
//   --settle 30          seconds the converged cluster is left alone before memory is sampled
//                        again (0: only right after convergence); the memory target is judged there
//   --skip-mesh, --skip-bird, --skip-rr, --skip-join, --skip-formation
//   --claim-storm        every node adds its pods at the moment the last daemon is ready (all
//                        block claims at once) instead of as soon as it is ready itself
//   --node-args=…        node options for every Wren daemon (default $WREN_NODE_ARGS, else the
//                        lab's and the image's: src/lab/wren-bin.ts DAEMON_NODE_FLAGS), e.g.
//                        --node-args="--max-semi-space-size=1 --lite-mode" (with "=": the value starts
//                        with a dash); shown in the header
//   --cpu-prof DIR       CPU profiles (node --cpu-prof) of the first, middle and last node daemon
//                        and the joining one of each Wren run, written into DIR
//   --json FILE          also write the measurements as JSON

import { writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { isRoot } from '../test/harness/packages.js';
import { DAEMON_NODE_FLAGS } from '../src/lab/wren-bin.js';
import { f, ratio, renderTable, UsageError } from './cli-util.js';
import { CLUSTER_ASN, POOL } from './cluster-lab.js';
import { runBird, type BirdRun } from './cluster-bird.js';
import { runWren, type WrenRun } from './cluster-measure.js';
import type { Window } from './cluster-window.js';
import { stat, type MemSample } from './cluster-procs.js';
import { unavailable, versionOf } from './rr-reflectors.js';

/** Issue 5's targets. */
const TARGET = { meshVsBird: 1.0, meshNodes: 100, joinS: 1, rrS: 10, rrNodes: 200, rssMb: 60 } as const;

interface Results {
  mesh?: WrenRun;
  bird?: BirdRun;
  rr?: WrenRun;
  skipped: string[];
}

function windowCells(w: Window): { time: string; note: string } {
  const notes: string[] = [];
  if (w.note) notes.push(w.note);
  switch (w.outcome) {
    case 'ok':
      return { time: f(w.seconds), note: notes.join('; ') };
    case 'timeout':
      return { time: 'timeout', note: [`held ${w.held}/${w.wanted} block routes`, ...notes].join('; ') };
    case 'skipped':
      return { time: 'skipped', note: notes.join('; ') };
    case 'failed':
      return { time: 'failed', note: notes.join('; ') };
  }
}

function convergenceTable(r: Results): string {
  const head = ['run', 'nodes', 'clock starts', 'time s', 'x BIRD', 'daemons cpu s', 'etcd cpu s', 'observers cpu s', 'bench cpu s', 'other cpu s', 'flaps', 'note'];
  const lines: string[][] = [head];
  const birdS = r.bird?.window.outcome === 'ok' ? r.bird.window.seconds : undefined;
  const row = (run: string, nodes: number, clock: string, w: Window, vsBird: boolean, extra = ''): void => {
    const c = windowCells(w);
    const note = [c.note, extra].filter((s) => s !== '').join('; ');
    lines.push([
      run,
      String(nodes),
      clock,
      c.time,
      vsBird && w.outcome === 'ok' ? ratio(w.seconds, birdS) : '',
      f(w.daemonCpuS),
      f(w.etcdCpuS),
      f(w.observerCpuS),
      f(w.benchCpuS),
      // Busy CPU of the machine not accounted to the rows' processes: the kernel's share of the
      // lab, and whatever else runs on a shared machine.
      // (clamped: /proc/stat and the processes' counters tick apart, so tiny windows can dip below 0)
      w.machineBusyS === undefined ? '-' : f(Math.max(0, w.machineBusyS - (w.daemonCpuS ?? 0) - (w.etcdCpuS ?? 0) - (w.observerCpuS ?? 0) - (w.benchCpuS ?? 0))),
      w.flaps === undefined ? '' : String(w.flaps),
      note,
    ]);
  };
  const lastReady = (w: WrenRun): string => (w.claimStorm ? 'last daemon ready; all add pods then' : 'last daemon ready (pods as each got ready)');
  const podNote = (l: WrenRun['literal']): string => (l.podAddMedianMs === undefined ? '' : `pod add median ${f(l.podAddMedianMs, 0)} ms, max ${f(l.podAddMaxMs, 0)} ms`);
  if (r.mesh) {
    row('wren mesh', r.mesh.nodes, 'all ready; mesh switched on *', r.mesh.formation, r.bird?.nodes === r.mesh.nodes);
    row('wren mesh', r.mesh.nodes, lastReady(r.mesh), r.mesh.literal, r.bird?.nodes === r.mesh.nodes, podNote(r.mesh.literal));
  }
  if (r.bird) row('bird mesh', r.bird.nodes, 'last BIRD started *', r.bird.window, false, `${r.bird.nodes} started within ${f(r.bird.spawnSpreadS)} s`);
  if (r.rr) {
    const run = `wren ${r.rr.reflectors} RRs`;
    row(run, r.rr.nodes, 'all ready; peer object added *', r.rr.formation, false);
    row(run, r.rr.nodes, lastReady(r.rr), r.rr.literal, false, podNote(r.rr.literal));
  }
  return renderTable(lines, (c, n) => c <= 2 || c === n - 1);
}

function joinTable(r: Results): string | undefined {
  const runs = [r.mesh, r.rr].filter((x): x is WrenRun => x?.join !== undefined);
  if (runs.length === 0) return undefined;
  const lines: string[][] = [['run', 'nodes before', 'from ready s', 'from spawn s', 'spawn -> ready s', 'pod add ms', 'note']];
  for (const w of runs) {
    const j = w.join!;
    lines.push([
      w.reflectors > 0 ? `wren ${w.reflectors} RRs` : 'wren mesh',
      String(w.nodes),
      j.outcome === 'ok' ? f(j.fromReadyS) : j.outcome,
      j.outcome === 'ok' ? f(j.fromSpawnS) : '',
      f(j.spawnToReadyS),
      f(j.podAddMs, 0),
      j.note ?? '',
    ]);
  }
  return renderTable(lines, (c, n) => c === 0 || c === n - 1);
}

function memTable(r: Results): string {
  const head = ['daemons', 'count', 'RSS mean MB', 'RSS max MB', 'x BIRD', 'anon mean MB', 'file mean MB', 'PSS mean MB', 'peak RSS max MB', 'cpu s mean', 'cpu s max', 'x BIRD', 'start-up cpu s mean'];
  const lines: string[][] = [head];
  const bird = r.bird?.mem;
  const birdRss = stat(bird?.map((m) => m.rssMb) ?? [])?.mean;
  const birdCpu = stat(bird?.map((m) => m.cpuSeconds) ?? [])?.mean;
  const row = (name: string, ms: MemSample[], startupCpu: number | undefined, vsBird: boolean): void => {
    if (ms.length === 0) return;
    const rss = stat(ms.map((m) => m.rssMb))!;
    const cpu = stat(ms.map((m) => m.cpuSeconds))!;
    const pss = ms.every((m) => m.pssMb !== undefined) ? stat(ms.map((m) => m.pssMb!))!.mean : undefined;
    lines.push([
      name,
      String(ms.length),
      f(rss.mean, 1),
      f(rss.max, 1),
      vsBird ? ratio(rss.mean, birdRss) : '',
      f(stat(ms.map((m) => m.anonMb))!.mean, 1),
      f(stat(ms.map((m) => m.fileMb))!.mean, 1),
      f(pss, 1),
      f(stat(ms.map((m) => m.hwmMb))!.max, 1),
      f(cpu.mean),
      f(cpu.max),
      vsBird ? ratio(cpu.mean, birdCpu) : '',
      f(startupCpu),
    ]);
  };
  const later = (w: WrenRun): string => (w.settled ? `, ${w.settled.afterS} s later` : '');
  if (r.mesh) {
    row(`wren mesh nodes (${r.mesh.nodes}+1)`, r.mesh.mem, r.mesh.startupCpuMeanS, true);
    if (r.mesh.settled) row(`  the same${later(r.mesh)}`, r.mesh.settled.mem, undefined, true);
  }
  if (r.bird) row(`bird mesh nodes (${r.bird.nodes})`, r.bird.mem, undefined, false);
  if (r.rr) {
    const clients = `wren RR clients (${r.rr.nodes - r.rr.reflectors}${r.rr.join ? '+1' : ''})`;
    row(clients, r.rr.mem, r.rr.startupCpuMeanS, true);
    if (r.rr.settled) row(`  the same${later(r.rr)}`, r.rr.settled.mem, undefined, true);
    row(`wren reflectors (${r.rr.reflectors})`, r.rr.reflectorMem, undefined, true);
    if (r.rr.settled) row(`  the same${later(r.rr)}`, r.rr.settled.reflectorMem, undefined, true);
  }
  return renderTable(lines, (c, n) => c === 0 || c === n - 1);
}

function verdicts(r: Results): string[] {
  const out: string[] = [];
  const pf = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
  const at = (n: number, want: number): string => (n === want ? '' : ` [at ${n} nodes; the target is for ${want}]`);
  const secs = (w: Window): string => (w.outcome === 'ok' ? `${f(w.seconds)} s` : w.outcome);
  if (r.mesh && r.bird) {
    const b = r.bird.window;
    if (b.outcome !== 'ok' || b.seconds === undefined) out.push(`mesh convergence <= ${TARGET.meshVsBird}x BIRD: no BIRD time (${b.outcome})`);
    else {
      const w = r.mesh.formation;
      const x = w.outcome === 'ok' ? w.seconds! / b.seconds : undefined;
      out.push(`${pf(x !== undefined && x <= TARGET.meshVsBird)}  ${r.mesh.nodes}-node mesh convergence <= ${TARGET.meshVsBird}x BIRD (${f(b.seconds * TARGET.meshVsBird)} s): Wren ${secs(w)}${x === undefined ? '' : ` = ${f(x)}x`} (all ready, mesh switched on)${at(r.mesh.nodes, TARGET.meshNodes)}`);
      const l = r.mesh.literal;
      out.push(`      from the last daemon ready (${r.mesh.claimStorm ? 'all nodes add their pods then' : 'pods added as each node got ready'}): ${secs(l)}${l.outcome === 'ok' ? ` = ${ratio(l.seconds, b.seconds)} BIRD` : ''}`);
    }
  }
  for (const w of [r.mesh, r.rr]) {
    if (w?.join === undefined) continue;
    const j = w.join;
    out.push(`${pf(j.outcome === 'ok' && j.fromReadyS! <= TARGET.joinS)}  join <= ${TARGET.joinS} s from ready (${w.reflectors > 0 ? `${w.reflectors} RRs` : 'mesh'}, ${w.nodes} nodes): ${j.outcome === 'ok' ? `${f(j.fromReadyS)} s (${f(j.fromSpawnS)} s from process spawn)` : j.outcome}`);
  }
  if (r.rr) {
    const w = r.rr.formation;
    out.push(`${pf(w.outcome === 'ok' && w.seconds! <= TARGET.rrS)}  ${r.rr.nodes} nodes with ${r.rr.reflectors} reflectors converged <= ${TARGET.rrS} s: ${secs(w)} (all ready, peer object added)${at(r.rr.nodes, TARGET.rrNodes)}`);
    out.push(`      from the last daemon ready (${r.rr.claimStorm ? 'all nodes add their pods then' : 'pods added as each node got ready'}): ${secs(r.rr.literal)}`);
  }
  // The target is a daemon's resident memory as it runs, so it is judged on the settled sample
  // (V8 has handed a burst's garbage back); the sample right after convergence is shown next to it.
  const runs = [r.mesh, r.rr].filter((w): w is WrenRun => w !== undefined);
  const every = (pick: (w: WrenRun) => { mem: MemSample[]; reflectorMem: MemSample[] } | undefined): MemSample[] => runs.flatMap((w) => [...(pick(w)?.mem ?? []), ...(pick(w)?.reflectorMem ?? [])]);
  const now = stat(every((w) => w).map((m) => m.rssMb));
  const settledS = runs.find((w) => w.settled)?.settled?.afterS;
  const later = stat(every((w) => w.settled).map((m) => m.rssMb));
  if (now) {
    const judged = later ?? now;
    const when = later ? `${settledS} s after convergence` : 'right after convergence';
    out.push(`${pf(judged.max < TARGET.rssMb)}  resident memory per node daemon < ${TARGET.rssMb} MB (VmRSS, every daemon, ${when}): mean ${f(judged.mean, 1)} MB, max ${f(judged.max, 1)} MB over ${every((w) => w.settled ?? w).length} daemons`);
    if (later) out.push(`      right after convergence: mean ${f(now.mean, 1)} MB, max ${f(now.max, 1)} MB`);
  }
  return out;
}

function header(o: { nodes: number; rrNodes: number; reflectors: number; pods: number; batch: number; timeoutS: number; settleS: number; nodeArgs: string[] }, r: Results): string {
  const cpu = cpus();
  return [
    'Cluster benchmark (bench/cluster.ts), issue 5 "Performance and scale"',
    `  lab        one namespace per node on one bridge (10.77.0.0/16), etcd in its own namespace (data on tmpfs); the kernel's`,
    `             neighbour table limits are raised while labs of more than 25 hosts run (they are shared by every namespace)`,
    `  wren       node daemons in cluster mode (AS ${CLUSTER_ASN}, pool ${POOL}, /26 blocks, kernel on, info logs), ${o.pods} pods per node,`,
    `             started ${o.batch} at a time; ready = the control socket answers status${o.nodeArgs.length > 0 ? `; node ${o.nodeArgs.join(' ')}` : ''}`,
    `  bird       one /26 per node (static blackhole) exported to every other node, routes into the kernel (proto bird);`,
    `             Calico's bird.cfg mesh template: multihop, graceful restart, add paths, connect delay 1 s, retry 3 s,`,
    `             error wait 5-60 s; the higher address passive (as issue 5 asks); all BIRDs started at once`,
    `  time       wall clock at which the last namespace's kernel announced the last block it was missing, from iproute2's`,
    `             "ip -4 -ts monitor route" in every node namespace (Wren routes: proto 199, BIRD: proto 12)`,
    `  windows    * = the issue's convergence (targets apply to it). Issue 5 starts the clock when the last daemon is ready,`,
    `             leaving out start-up on a shared 2-core machine; on one machine the daemons can only start a batch at a time,`,
    `             so "all ready at once", as in a real cluster, is made like this: every daemon is up and ready with its block`,
    `             and pods, the peering is switched off in etcd until every block has left every kernel, then on again with`,
    `             one etcd write (the clock starts there): every session forms at once -> every kernel holds every other`,
    `             node's block. BIRD starts with its block configured and is ready as soon as it starts (issue 5), so the`,
    `             two rows * compare the same thing: sessions forming and every block reaching every kernel.`,
    `             "last daemon ready": the literal reading, on the same bring-up: daemons start ${o.batch} at a time, and each node`,
    `             adds its pods (one after the other; the first claims its block through IPAM) when it is ready (--claim-storm:`,
    `             every node adds them at the moment the last daemon is ready) -> every kernel holds every other block. Earlier`,
    `             batches have meshed by then; the last batch's sessions and claims fall inside the window.`,
    `  join       one more node (highest address, passive to all) started in the converged cluster; after ready it adds its`,
    `             pods -> its block in every other kernel and every block in its kernel`,
    `  cpu        utime+stime (/proc/PID/stat) over the window: all daemons, etcd (+ the bench's etcd writer), the ip monitors,`,
    `             this process; other: the rest of the machine's busy CPU (/proc/stat): kernel work not charged to a process,`,
    `             and anything else running on the machine. Memory table: /proc/PID/status after everything converged, and`,
    `             again ${o.settleS} s later ("the same"; the target is judged there: V8 hands a burst's garbage back once`,
    `             allocation has been low for a while, ~10-30 s). VmRSS includes the pages of the node executable a daemon`,
    `             uses (shared by every node process; those only start-up touched are handed back: startup-pages.ts); PSS`,
    `             splits shared pages among their sharers; cpu s = whole life (start-up included)`,
    `  sizes      mesh ${o.nodes} nodes, reflectors: ${o.rrNodes} nodes of which ${o.reflectors} reflectors (mesh off, peer object`,
    `             all() -> has(route-reflector)); timeout ${o.timeoutS} s per window`,
    `  machine    ${cpu.length} x ${cpu[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}`,
    `  versions   ${versionOf('wren')}; ${unavailable('bird') ?? versionOf('bird')}`,
    ...(r.skipped.length > 0 ? [`  skipped    ${r.skipped.join(', ')}`] : []),
  ].join('\n');
}

function positive(name: string, text: string, min = 1): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) throw new UsageError(`--${name}: an integer >= ${min}, not ${JSON.stringify(text)}`);
  return v;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '100' },
      'rr-nodes': { type: 'string', default: '200' },
      reflectors: { type: 'string', default: '2' },
      pods: { type: 'string', default: '2' },
      batch: { type: 'string', default: '10' },
      timeout: { type: 'string', default: '120' },
      settle: { type: 'string', default: '30' },
      'skip-mesh': { type: 'boolean', default: false },
      'skip-bird': { type: 'boolean', default: false },
      'skip-rr': { type: 'boolean', default: false },
      'skip-join': { type: 'boolean', default: false },
      'skip-formation': { type: 'boolean', default: false },
      'claim-storm': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      'node-args': { type: 'string', default: process.env.WREN_NODE_ARGS ?? DAEMON_NODE_FLAGS.join(' ') },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.info(
      'usage: node dist/bench/cluster.js [--nodes 100] [--rr-nodes 200] [--reflectors 2] [--pods 2] [--batch 10] [--timeout 120] [--settle 30]\n' +
        '         [--skip-mesh] [--skip-bird] [--skip-rr] [--skip-join] [--skip-formation] [--claim-storm] [--node-args="…"] [--cpu-prof DIR] [--json FILE]',
    );
    return 0;
  }
  const o = {
    nodes: positive('nodes', values.nodes, 2),
    rrNodes: positive('rr-nodes', values['rr-nodes'], 2),
    reflectors: positive('reflectors', values.reflectors),
    pods: positive('pods', values.pods),
    batch: positive('batch', values.batch),
    timeoutS: positive('timeout', values.timeout),
    settleS: positive('settle', values.settle, 0),
    nodeArgs: values['node-args'].split(' ').filter((a) => a !== ''),
  };
  if (o.reflectors >= o.rrNodes) throw new UsageError(`--reflectors (${o.reflectors}) must be fewer than --rr-nodes (${o.rrNodes})`);
  // Addresses 10.77.0.1 … on a /16 (cluster-lab.ts hostAddress), /26 blocks of a /16 pool.
  if (Math.max(o.nodes, o.rrNodes) + 2 > 250 * 250) throw new UsageError('at most 62000 nodes');
  if ((Math.max(o.nodes, o.rrNodes) + 1) * Math.ceil(o.pods / 64) > 1024) throw new UsageError('the /16 pool has 1024 blocks of /26: too many nodes or pods');
  if (!isRoot()) {
    console.error('bench:cluster needs root (it creates network namespaces)');
    return 2;
  }
  const missing = ['wren', ...(values['skip-bird'] ? [] : ['bird'])].map((i) => unavailable(i as 'wren' | 'bird')).filter((x) => x !== undefined);
  if (missing.length > 0) {
    console.error(`bench:cluster: ${missing.join('; ')}`);
    return 2;
  }

  const r: Results = { skipped: [] };
  // Wall clock, and CLOCK_MONOTONIC seconds: the clock of --cpu-prof profiles' sample times.
  const log = (line: string): void => console.error(`[${new Date().toISOString().slice(11, 19)} mono ${(Number(process.hrtime.bigint()) / 1e9).toFixed(3)}] ${line}`);
  const timeoutMs = o.timeoutS * 1000;
  const wren = { podsPerNode: o.pods, batch: o.batch, nodeArgs: o.nodeArgs, env: {}, join: !values['skip-join'], formation: !values['skip-formation'], claimStorm: values['claim-storm'], timeoutMs, settleS: o.settleS, log, ...(values['cpu-prof'] === undefined ? {} : { cpuProfDir: values['cpu-prof'] }) };
  if (!values['skip-mesh']) r.mesh = await runWren({ ...wren, nodes: o.nodes, reflectors: 0 });
  else r.skipped.push('wren mesh');
  if (!values['skip-bird']) r.bird = await runBird({ nodes: o.nodes, timeoutMs, log });
  else r.skipped.push('bird');
  if (!values['skip-rr']) r.rr = await runWren({ ...wren, nodes: o.rrNodes, reflectors: o.reflectors });
  else r.skipped.push('wren reflectors');

  console.info(header(o, r));
  console.info('');
  console.info('(1) convergence');
  console.info(convergenceTable(r));
  const j = joinTable(r);
  if (j !== undefined) console.info(`\n(2) join\n${j}`);
  console.info(`\n(3) memory and CPU per daemon`);
  console.info(memTable(r));
  const bringUp = [r.mesh, r.rr].filter((x): x is WrenRun => x !== undefined).map((w) => `${w.reflectors > 0 ? `${w.reflectors} RRs` : 'mesh'}: ${w.nodes} daemons ready ${f(w.startupS, 1)} s after the first spawn`);
  if (bringUp.length > 0) console.info(`\nbring-up (not measured): ${bringUp.join('; ')}`);
  console.info('');
  for (const line of verdicts(r)) console.info(line);
  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ options: o, ...r }, null, 2)}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const usage = err instanceof UsageError || String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    console.error(usage ? `bench:cluster: ${(err as Error).message}` : err);
    process.exit(2);
  },
);
