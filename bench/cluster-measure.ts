// The Wren side of bench/cluster.ts, one lab per run: a cluster of node daemons (full mesh, or
// route reflectors with the mesh off) brought up a batch at a time, then its convergence windows
// (from the last daemon ready; all ready with the peering switched on) and a join. BIRD's run is
// in cluster-bird.ts, the window plumbing in cluster-window.ts.

import { setTimeout as sleep } from 'node:timers/promises';
import type { LabHost } from '../test/harness/netns.js';
import { Lab } from '../test/harness/netns.js';
import { waitFor } from '../test/harness/wait.js';
import { callDaemon } from '../src/api/client.js';
import { keys } from '../src/datastore/keys.js';
import { addNodeHost, blockOf, inParallel, PROTO_WREN, RR_PEER_OBJECT, spawnWren, startEtcd, waitWrenReady, type EtcdSide, type WrenNode } from './cluster-lab.js';
import { KernelWatch, wallMs } from './cluster-observer.js';
import { cpuOf, memSample, sum, type MemSample } from './cluster-procs.js';
import { converged, CpuWindow, median, podAdd, postMortem, retryNote, totalFlaps, type Retries, type Window } from './cluster-window.js';

export interface JoinResult {
  outcome: 'ok' | 'timeout' | 'failed';
  fromReadyS?: number;
  fromSpawnS?: number;
  spawnToReadyS?: number;
  podAddMs?: number;
  note?: string;
}

export interface WrenRun {
  nodes: number;
  reflectors: number;
  podsPerNode: number;
  claimStorm: boolean;
  /** bring-up: first spawn to last ready, seconds (not part of any measurement) */
  startupS: number;
  /** daemon CPU seconds spent until ready, mean over daemons */
  startupCpuMeanS: number;
  literal: Window & { podAddMaxMs?: number; podAddMedianMs?: number };
  formation: Window;
  join?: JoinResult;
  /** right after everything converged: node daemons (reflectors apart) */
  mem: MemSample[];
  reflectorMem: MemSample[];
  /** the same daemons again after settleS seconds without a change in the cluster */
  settled?: { afterS: number; mem: MemSample[]; reflectorMem: MemSample[] };
}

export interface WrenRunOptions {
  nodes: number;
  reflectors: number;
  podsPerNode: number;
  batch: number;
  nodeArgs: string[];
  env: NodeJS.ProcessEnv;
  /** --cpu-prof for the first, middle and last node daemon (and the joining one), into this directory */
  cpuProfDir?: string;
  join: boolean;
  formation: boolean;
  /** every node adds its pods at the moment the last daemon is ready (default: each at its own ready) */
  claimStorm: boolean;
  timeoutMs: number;
  /** seconds to leave the converged cluster alone before memory is sampled again (0: not) */
  settleS: number;
  log(line: string): void;
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/** Node k's node options: the run's, plus a CPU profile for a few chosen daemons. */
function nodeArgsFor(o: WrenRunOptions, k: number): string[] {
  const profiled = new Set([1, Math.ceil(o.nodes / 2), o.nodes, o.nodes + 1]);
  if (o.cpuProfDir === undefined || !profiled.has(k)) return o.nodeArgs;
  return [...o.nodeArgs, '--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`, `--cpu-prof-name=wren-${o.reflectors > 0 ? 'rr' : 'mesh'}-${o.nodes}-node${k}.cpuprofile`];
}

/** Profiled daemons write their profile on exit: stop them first, with time to write it. */
async function stopProfiled(o: WrenRunOptions, nodes: readonly WrenNode[]): Promise<void> {
  if (o.cpuProfDir === undefined) return;
  await Promise.all(nodes.filter((n) => nodeArgsFor(o, n.k) !== o.nodeArgs).map((n) => n.daemon.stop(30_000)));
}

export async function runWren(o: WrenRunOptions): Promise<WrenRun> {
  const lab = new Lab('cl');
  const label = o.reflectors > 0 ? `wren ${o.nodes} nodes, ${o.reflectors} reflectors` : `wren ${o.nodes}-node mesh`;
  try {
    const etcd: EtcdSide = await startEtcd(lab, { mesh: o.reflectors === 0 });
    if (o.reflectors > 0) {
      const r = await etcd.cli(['peer', 'add', RR_PEER_OBJECT, '--node-selector', 'all()', '--peer-selector', `has(route-reflector)`]);
      if (r.exitCode !== 0) throw new Error(`wren peer add: ${r.stderr.trim()}`);
    }
    o.log(`${label}: making ${o.nodes} node namespaces and ${o.nodes * o.podsPerNode} pod namespaces`);
    const hosts = await inParallel(o.nodes, 6, (i) => addNodeHost(lab, i + 1));
    const podNs = await inParallel(o.nodes * o.podsPerNode, 6, (j) => lab.addNamespace(`p${Math.floor(j / o.podsPerNode) + 1}x${j % o.podsPerNode}`));
    const watches = await inParallel(o.nodes, 8, (i) => KernelWatch.start(lab, hosts[i]!.ns, PROTO_WREN));

    // Bring-up, not measured: batches of daemons, each batch ready before the next starts. A
    // node adds its pods as soon as it is ready (the first pod claims its block), as a kubelet
    // starts pods on a node that became ready; with --claim-storm every node waits and all add
    // their pods at the moment the last daemon is ready.
    const nodes: WrenNode[] = [];
    const addTimes: number[] = [];
    const retries: Retries = { count: 0, codes: new Map() };
    const failures: string[] = [];
    const blocks: string[][] = hosts.map(() => []);
    const addPods = async (n: WrenNode, i: number): Promise<void> => {
      try {
        // One node's pods one after the other: two at once could each claim a block.
        for (let j = 0; j < o.podsPerNode; j++) {
          const s = wallMs();
          const pod = await podAdd(n.control, { id: `pod-${n.k}-${j}`, netns: podNs[i * o.podsPerNode + j]!.path }, retries);
          addTimes.push(wallMs() - s);
          if (!pod.ipv4) throw new Error('pod add gave no IPv4 address');
          const b = blockOf(pod.ipv4);
          if (!blocks[i]!.includes(b)) blocks[i]!.push(b);
        }
      } catch (e) {
        failures.push(`${n.name}: ${firstLine(e)}`);
      }
    };
    const adding: Promise<void>[] = [];
    const t0 = Date.now();
    for (let b = 0; b < o.nodes; b += o.batch) {
      const batch: WrenNode[] = [];
      for (let i = b; i < Math.min(o.nodes, b + o.batch); i++) {
        batch.push(spawnWren(lab, { k: i + 1, host: hosts[i]!, endpoint: etcd.endpoint, reflector: i < o.reflectors, nodeArgs: nodeArgsFor(o, i + 1), env: o.env }));
      }
      nodes.push(...batch);
      await Promise.all(
        batch.map(async (n) => {
          await waitWrenReady(n, 120_000);
          if (!o.claimStorm) adding.push(addPods(n, n.k - 1));
        }),
      );
      o.log(`${label}: ${nodes.length}/${o.nodes} daemons ready (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
    const startupCpu = cpuOf(nodes.map((n) => n.daemon.pid));
    const lastReady = Math.max(...nodes.map((n) => n.readyAt!));
    const firstSpawn = Math.min(...nodes.map((n) => n.spawnedAt));
    const pids = (): number[] => nodes.map((n) => n.daemon.pid);
    const cpu = new CpuWindow(pids, () => [etcd.daemon.pid, etcd.writerPid], () => watches);

    // (1) from the last daemon ready until every kernel holds every other node's block.
    cpu.start();
    const flaps0 = totalFlaps(watches);
    if (o.claimStorm) {
      o.log(`${label}: all ready; every node adds ${o.podsPerNode} pods now; waiting for every block in every kernel`);
      for (const [i, n] of nodes.entries()) adding.push(addPods(n, i));
    } else {
      o.log(`${label}: all ready; waiting for every block in every kernel`);
    }
    await Promise.all(adding);
    const dupes = new Set<string>();
    const seen = new Set<string>();
    for (const b of blocks.flat()) (seen.has(b) ? dupes : seen).add(b);
    if (dupes.size > 0) throw new Error(`blocks claimed by more than one node: ${[...dupes].join(', ')}`);
    const others = (i: number): string[] => blocks.flatMap((bs, j) => (j === i ? [] : bs));
    const podNote = [`${blocks.flat().length} blocks`, retryNote(retries), failures.length === 0 ? '' : `${failures.length} nodes' pod adds FAILED (first: ${failures[0]})`];
    let literal: WrenRun['literal'];
    if (failures.length > 0) {
      literal = { outcome: 'failed', ...cpu.stop(), note: podNote.filter((x) => x !== '').join('; ') };
    } else {
      const lit = await converged(watches, others, Date.now() + o.timeoutMs);
      literal = {
        ...(lit.at === undefined ? { outcome: 'timeout' as const, held: lit.held, wanted: lit.wanted } : { outcome: 'ok' as const, seconds: (lit.at - lastReady) / 1000 }),
        ...cpu.stop(),
        flaps: totalFlaps(watches) - flaps0,
        note: podNote.filter((x) => x !== '').join('; '),
      };
    }
    literal.podAddMaxMs = addTimes.length === 0 ? undefined : Math.max(...addTimes);
    literal.podAddMedianMs = addTimes.length === 0 ? undefined : median(addTimes);
    o.log(`${label}: from last ready: ${literal.outcome} ${literal.seconds?.toFixed(2) ?? ''}`);

    // (1b) every daemon up and ready, the peering switched off and on again in etcd: the whole
    // mesh (or every reflector session) forms at once, as when all nodes become ready together.
    let formation: Window = { outcome: 'skipped', note: 'not asked (--skip-formation)' };
    if (literal.outcome !== 'ok') postMortem(lab, false);
    // After failed pod adds the blocks that were claimed still make a cluster worth measuring.
    const usable = literal.outcome === 'ok' || (literal.outcome === 'failed' && blocks.some((b) => b.length > 0));
    const partial = literal.outcome === 'ok' ? undefined : `only the ${blocks.flat().length} blocks claimed (pod adds failed on ${failures.length} nodes)`;
    if (o.formation && usable) {
      formation = await formationWindow(o, label, etcd, nodes, watches, others, cpu).catch((e: unknown): Window => ({ outcome: 'failed', note: firstLine(e) }));
      if (partial !== undefined) formation.note = [formation.note, partial].filter((x) => x !== undefined).join('; ');
    } else if (o.formation) formation = { outcome: 'skipped', note: 'the first window did not converge' };

    // (2) one more node joins the converged cluster.
    let join: JoinResult | undefined;
    if (o.join && usable) {
      join = await joinWindow(o, label, lab, etcd, nodes, watches, blocks).catch((e: unknown): JoinResult => ({ outcome: 'failed', note: firstLine(e) }));
    }

    const sample = (reflectors: boolean): MemSample[] => nodes.filter((n) => n.reflector === reflectors).map((n) => memSample(n.daemon.pid)).filter((m): m is MemSample => m !== undefined);
    const mem = sample(false);
    const reflectorMem = sample(true);
    // A daemon's heap is largest right after a burst of sessions; V8 hands the garbage back
    // once allocation has been low for a while (its memory reducer: about 10-30 s).
    let settled: WrenRun['settled'];
    if (o.settleS > 0) {
      o.log(`${label}: memory sampled; again after ${o.settleS} s without a change`);
      await sleep(o.settleS * 1000);
      settled = { afterS: o.settleS, mem: sample(false), reflectorMem: sample(true) };
    }
    await stopProfiled(o, nodes);
    return {
      nodes: o.nodes,
      reflectors: o.reflectors,
      podsPerNode: o.podsPerNode,
      claimStorm: o.claimStorm,
      startupS: (lastReady - firstSpawn) / 1000,
      startupCpuMeanS: sum(startupCpu) / startupCpu.length,
      literal,
      formation,
      ...(join === undefined ? {} : { join }),
      mem,
      reflectorMem,
      ...(settled === undefined ? {} : { settled }),
    };
  } catch (e) {
    postMortem(lab, true);
    throw e;
  } finally {
    o.log(`${label}: removing the lab`);
    await lab.cleanup();
  }
}

async function formationWindow(
  o: WrenRunOptions,
  label: string,
  etcd: EtcdSide,
  nodes: readonly WrenNode[],
  watches: readonly KernelWatch[],
  others: (i: number) => string[],
  cpu: CpuWindow,
): Promise<Window> {
  const rr = o.reflectors > 0;
  let peerValue: string | undefined;
  if (rr) {
    const got = await etcd.request({ op: 'get', key: keys.peer(RR_PEER_OBJECT) });
    if (typeof got.value !== 'string') throw new Error(`peer object ${RR_PEER_OBJECT} not found in etcd`);
    peerValue = got.value;
    await etcd.request({ op: 'delete', key: keys.peer(RR_PEER_OBJECT) });
  } else {
    await etcd.request({ op: 'mesh', on: false });
  }
  o.log(`${label}: ${rr ? 'peer object deleted' : 'mesh switched off'}; waiting for the blocks to leave every kernel`);
  // Reflectors keep their sessions with each other (the reflector tier needs no peer object).
  const left = (i: number): number => (nodes[i]!.reflector ? o.reflectors - 1 : 0);
  try {
    await waitFor(() => watches.every((w, i) => w.count(others(i)) <= left(i)), { timeoutMs: 60_000, intervalMs: 50, what: 'blocks withdrawn from every kernel' });
    await waitFor(
      async () => {
        const counts = await Promise.all(nodes.map((n) => callDaemon(n.control, 'status', {}, 5000).then((s) => s.peers.length)));
        return counts.every((c, i) => c <= (nodes[i]!.reflector ? o.reflectors - 1 : 0));
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'derived peers removed from every daemon' },
    );
  } catch (e) {
    return { outcome: 'skipped', note: `${rr ? 'peer object deleted' : 'mesh off'}, but ${e instanceof Error ? e.message.split(';')[0] : String(e)}` };
  }
  // Quiet first: the withdrawal's work (closing every session) must not be charged to the
  // window. Peers leave a daemon's status at once while their sessions still close; at 100
  // nodes that went on for seconds into the window (perf: a third of the first second).
  await new Promise((r) => setTimeout(r, 2000));
  const quiet = await quiesce(nodes.map((n) => n.daemon.pid), 60_000);
  o.log(`${label}: daemons idle ${quiet ? '' : '(not quite: 60 s passed) '}before the switch`);
  cpu.start();
  const flaps0 = totalFlaps(watches);
  const done = rr ? await etcd.request({ op: 'put', key: keys.peer(RR_PEER_OBJECT), value: peerValue! }) : await etcd.request({ op: 'mesh', on: true });
  const t0 = Number(done.t);
  o.log(`${label}: ${rr ? 'peer object back' : 'mesh switched on'}; waiting for every block in every kernel`);
  const r = await converged(watches, others, Date.now() + o.timeoutMs);
  const w: Window = {
    ...(r.at === undefined ? { outcome: 'timeout' as const, held: r.held, wanted: r.wanted } : { outcome: 'ok' as const, seconds: (r.at - t0) / 1000 }),
    ...cpu.stop(),
    flaps: totalFlaps(watches) - flaps0,
  };
  o.log(`${label}: formation: ${w.outcome} ${w.seconds?.toFixed(2) ?? ''}`);
  return w;
}

/** Until the daemons' CPU together stays under 2% of a core over half a second (true), or maxMs passed (false). */
async function quiesce(pids: readonly number[], maxMs: number): Promise<boolean> {
  const until = Date.now() + maxMs;
  let prev = sum(cpuOf(pids));
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const now = sum(cpuOf(pids));
    if (now - prev < 0.01) return true;
    if (Date.now() > until) return false;
    prev = now;
  }
}

async function joinWindow(
  o: WrenRunOptions,
  label: string,
  lab: Lab,
  etcd: EtcdSide,
  nodes: WrenNode[],
  watches: KernelWatch[],
  blocks: string[][],
): Promise<JoinResult> {
  const k = o.nodes + 1;
  const host: LabHost = await addNodeHost(lab, k);
  const pods = await inParallel(o.podsPerNode, 2, (j) => lab.addNamespace(`p${k}x${j}`));
  const watch = await KernelWatch.start(lab, host.ns, PROTO_WREN);
  // Settle: the cluster is idle when the newcomer starts.
  await new Promise((r) => setTimeout(r, 2000));
  o.log(`${label}: node ${k} joining`);
  const node = spawnWren(lab, { k, host, endpoint: etcd.endpoint, reflector: false, nodeArgs: nodeArgsFor(o, k), env: o.env });
  nodes.push(node);
  await waitWrenReady(node, 120_000);
  const s = wallMs();
  const retries: Retries = { count: 0, codes: new Map() };
  const mine: string[] = [];
  try {
    for (let j = 0; j < o.podsPerNode; j++) {
      const pod = await podAdd(node.control, { id: `pod-${k}-${j}`, netns: pods[j]!.path }, retries);
      if (!pod.ipv4) throw new Error('pod add gave no IPv4 address');
      const b = blockOf(pod.ipv4);
      if (!mine.includes(b)) mine.push(b);
    }
  } catch (e) {
    const why = firstLine(e);
    return { outcome: 'failed', spawnToReadyS: (node.readyAt! - node.spawnedAt) / 1000, podAddMs: wallMs() - s, note: [`pod add failed: ${why}`, retryNote(retries)].filter((x) => x !== '').join('; ') };
  }
  const podAddMs = wallMs() - s;
  const old = blocks.flat();
  const all = [...watches, watch];
  const r = await converged(all, (i) => (i < watches.length ? mine : old), Date.now() + o.timeoutMs);
  watches.push(watch);
  blocks.push(mine);
  const spawnToReadyS = (node.readyAt! - node.spawnedAt) / 1000;
  const note = retryNote(retries);
  if (r.at === undefined) return { outcome: 'timeout', spawnToReadyS, podAddMs, note: [`held ${r.held}/${r.wanted}`, note].filter((x) => x !== '').join('; ') };
  o.log(`${label}: join converged ${((r.at - node.readyAt!) / 1000).toFixed(2)} s after ready`);
  return { outcome: 'ok', fromReadyS: (r.at - node.readyAt!) / 1000, fromSpawnS: (r.at - node.spawnedAt) / 1000, spawnToReadyS, podAddMs, ...(note === '' ? {} : { note }) };
}

