// `wren lab up`: a whole cluster on this machine. A switch namespace with a bridge, etcd in its
// own namespace on it, N node namespaces each running a Wren node daemon in cluster mode, P pod
// namespaces per node wired through the node's control socket with addresses from cluster IPAM.
// Nothing is added to the root namespace. Every step is recorded in DIR/lab.json at once, so
// `wren lab down` can remove a lab that `up` did not finish.
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { callDaemon } from '../api/client.js';
import { LabCommandError, LabExistsError, LabInputError, LabProcessExitedError, LabStepError } from './errors.js';
import { downCommandHint, requireRoot, tailOf } from './common.js';
import { raiseNeighbourLimits, NEIGH_RAISE_AT, sysctlSummary } from './neigh-limits.js';
import { addNamespace, addSwitch, inNamespace, labNamespaces, plugIntoSwitch } from './netns.js';
import { kernelRoutes, peeringOf, unroutedAddresses } from './observe.js';
import {
  expectedSessions,
  LAB_ASN,
  LAB_POOL,
  LAB_SUBNET_LENGTH,
  nodeConfig,
  planLab,
  RR_LABEL,
  RR_PEER_OBJECT,
  type LabOptions,
  type LabPlan,
  type PlannedNode,
} from './plan.js';
import { Progress, seconds } from './progress.js';
import { commandLine, mapLimit, requireTool, sleep, spawnDetached, waitUntil, type DetachedProcess } from './shell.js';
import { labExists, writeState, LAB_STATE_VERSION, type LabState } from './state.js';
import { daemonCommand, wrenCommand } from './wren-bin.js';

/** Daemons started at once: on a small machine, Node start-up is the cost, not the lab. */
const START_CONCURRENCY = 4;
const SETUP_CONCURRENCY = 8;

export interface UpResult {
  state: LabState;
  elapsedMs: number;
}

export async function labUp(options: LabOptions, progress = new Progress()): Promise<UpResult> {
  const started = Date.now();
  requireRoot('up');
  requireTool('ip', 'iproute2');
  const etcdBin = requireTool('etcd', 'etcd-server');
  const plan = planLab(options);
  const { dir, prefix } = plan.options;
  refuseExisting(plan);
  mkdirSync(dir, { recursive: true });

  const state: LabState = {
    version: LAB_STATE_VERSION,
    phase: 'building',
    prefix,
    dir,
    createdAt: new Date().toISOString(),
    asn: LAB_ASN,
    pool: LAB_POOL,
    reflectors: plan.options.reflectors,
    podsPerNode: plan.options.podsPerNode,
    switchNs: plan.switchNs,
    etcd: { ns: plan.etcd.ns, endpoint: plan.etcd.endpoint, dataDir: plan.etcd.dataDir, log: plan.etcd.log, pid: null },
    nodes: plan.nodes.map((n) => ({ name: n.name, ns: n.ns, address: n.address, reflector: n.reflector, config: n.config, control: n.control, log: n.log, pid: null })),
    pods: [],
    sysctls: [],
  };
  writeState(state);
  const topology = plan.options.reflectors > 0 ? `${plan.options.reflectors} route reflector(s), mesh off` : 'full mesh';
  progress.line(`building lab: ${plan.nodes.length} nodes (${topology}), ${plan.pods.length} pods, namespaces ${prefix}*, files in ${dir}`);

  if (plan.nodes.length > NEIGH_RAISE_AT) {
    state.sysctls = raiseNeighbourLimits(plan.nodes.length, plan.options.podsPerNode);
    writeState(state);
    if (state.sysctls.length > 0) {
      progress.line(`raised ${sysctlSummary(state.sysctls.map((c) => c.path))} (shared by all namespaces; ${plan.nodes.length} nodes would overflow the neighbour tables); \`wren lab down\` restores them`);
    }
  }

  await addSwitch(plan.switchNs, plan.bridge);
  await startEtcd(plan, state, etcdBin, progress);
  await initCluster(plan, progress);
  await startNodes(plan, state, progress);
  await waitSessions(plan, state, progress);
  await createPods(plan, state, progress);
  await waitRoutes(state, progress);

  state.phase = 'up';
  writeState(state);
  progress.line(`lab up in ${seconds(started)}: ${plan.nodes.length} nodes (${topology}), ${state.pods.length} pods, etcd at ${plan.etcd.endpoint}`);
  return { state, elapsedMs: Date.now() - started };
}

function refuseExisting(plan: LabPlan): void {
  const { dir, prefix } = plan.options;
  const hint = downCommandHint(dir, prefix);
  if (labExists(dir)) throw new LabExistsError(`a lab already exists in ${dir}; remove it first with: ${hint}`);
  const leftovers = labNamespaces(prefix);
  if (leftovers.length > 0) {
    const shown = leftovers.slice(0, 4).join(', ') + (leftovers.length > 4 ? ', …' : '');
    throw new LabExistsError(`${leftovers.length} namespace(s) of a lab with prefix "${prefix}" exist (${shown}); remove them first with: ${hint}`);
  }
  let entries: string[] = [];
  try {
    if (!statSync(dir).isDirectory()) throw new LabInputError(`--dir ${dir} exists and is not a directory`);
    entries = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e instanceof LabInputError ? e : new LabInputError(`--dir ${dir}: ${(e as Error).message}`);
  }
  if (entries.length > 0) throw new LabExistsError(`${dir} is not empty (${entries.slice(0, 4).join(', ')}); give an empty or new --dir`);
}

async function startEtcd(plan: LabPlan, state: LabState, etcdBin: string, progress: Progress): Promise<void> {
  const t0 = Date.now();
  const e = plan.etcd;
  await addNamespace(e.ns);
  await plugIntoSwitch({ ns: plan.switchNs, bridge: plan.bridge }, e.ns, e.switchPort, `${e.address}/${LAB_SUBNET_LENGTH}`);
  const peerUrl = 'http://127.0.0.1:2380';
  const proc = spawnDetached(
    'ip',
    [
      'netns', 'exec', e.ns, etcdBin,
      '--name', 'wren-lab',
      '--data-dir', e.dataDir,
      '--listen-client-urls', `${e.endpoint},http://127.0.0.1:2379`,
      '--advertise-client-urls', e.endpoint,
      '--listen-peer-urls', peerUrl,
      '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `wren-lab=${peerUrl}`,
      '--log-level', 'warn',
    ],
    e.log,
  );
  state.etcd.pid = proc.pid;
  writeState(state);
  // The root namespace cannot reach the bridge: probe from inside etcd's namespace.
  const probe = `require('net').connect(2379, '${e.address}').on('connect', () => process.exit(0)).on('error', () => process.exit(1))`;
  await waitUntil(
    async () => {
      assertAlive(proc, 'etcd', e.log);
      const r = await inNamespace(e.ns, process.execPath, ['-e', probe], { allowFailure: true, timeoutMs: 5_000 });
      return r.code === 0 ? true : undefined;
    },
    20_000,
    () => `etcd to accept connections at ${e.endpoint} (log: ${e.log})`,
    100,
  );
  progress.line(`etcd up at ${e.endpoint} (${seconds(t0)})`);
}

/** `wren cluster init` (and the reflector peer object) run inside etcd's namespace, as an operator would. */
async function initCluster(plan: LabPlan, progress: Progress): Promise<void> {
  const etcd = ['--etcd', plan.etcd.endpoint];
  const k = plan.options.reflectors;
  await wrenInEtcdNs(plan, ['cluster', 'init', '--asn', String(LAB_ASN), '--pool', LAB_POOL, ...(k > 0 ? ['--no-mesh'] : []), ...etcd]);
  if (k > 0) await wrenInEtcdNs(plan, ['peer', 'add', RR_PEER_OBJECT, '--node-selector', 'all()', '--peer-selector', `has(${RR_LABEL})`, ...etcd]);
  progress.line(`cluster initialised: AS ${LAB_ASN}, pool ${LAB_POOL}, node-to-node mesh ${k > 0 ? `off, every node peers with the ${k} reflector(s)` : 'on'}`);
}

async function wrenInEtcdNs(plan: LabPlan, args: string[]): Promise<void> {
  const [cmd, cmdArgs] = wrenCommand(args);
  // Exit 3 is "etcd unreachable": etcd may accept connections a moment before it serves.
  for (let attempt = 1; ; attempt++) {
    const r = await inNamespace(plan.etcd.ns, cmd, cmdArgs, { allowFailure: true, timeoutMs: 20_000 });
    if (r.code === 0) return;
    if (r.code !== 3 || attempt >= 5) throw new LabCommandError(`ip netns exec ${plan.etcd.ns} ${commandLine(cmd, cmdArgs)}`, r.code ?? 'signal', r.stderr, r.stdout);
    await sleep(500);
  }
}

async function startNodes(plan: LabPlan, state: LabState, progress: Progress): Promise<void> {
  const t0 = Date.now();
  const sw = { ns: plan.switchNs, bridge: plan.bridge };
  await mapLimit(plan.nodes, SETUP_CONCURRENCY, async (n) => {
    await addNamespace(n.ns);
    await plugIntoSwitch(sw, n.ns, n.switchPort, `${n.address}/${LAB_SUBNET_LENGTH}`);
    writeFileSync(n.config, stringify(nodeConfig(plan, n)));
  });
  let ready = 0;
  progress.count('nodes started', 0, plan.nodes.length);
  await mapLimit(plan.nodes, START_CONCURRENCY, async (n, i) => {
    const proc = startNode(n);
    const entry = state.nodes[i];
    if (entry) entry.pid = proc.pid;
    writeState(state);
    await waitUntil(
      async () => {
        assertAlive(proc, `the daemon of ${n.name}`, n.log);
        return (await peeringOf(n.control, 1_000)).reachable ? true : undefined;
      },
      30_000,
      () => `the daemon of ${n.name} to answer on ${n.control} (log: ${n.log})`,
      100,
    );
    progress.count('nodes started', ++ready, plan.nodes.length);
  });
  progress.line(`${plan.nodes.length} node daemons running (${seconds(t0)})`);
}

function startNode(n: PlannedNode): DetachedProcess {
  const [cmd, args] = daemonCommand(['daemon', '--config', n.config, '--control', n.control]);
  return spawnDetached('ip', ['netns', 'exec', n.ns, cmd, ...args], n.log, { ...process.env, WREN_LOG_LEVEL: process.env.WREN_LOG_LEVEL ?? 'info' });
}

function assertAlive(proc: DetachedProcess, what: string, log: string): void {
  if (proc.exit === null) return;
  throw new LabProcessExitedError(`${what} exited (code ${proc.exit.code}, signal ${proc.exit.signal}); last lines of ${log}:\n${tailOf(log, 20)}`);
}

async function waitSessions(plan: LabPlan, state: LabState, progress: Progress): Promise<void> {
  const t0 = Date.now();
  const expected = expectedSessions(plan.nodes, plan.options.reflectors);
  const total = expected.reduce((a, b) => a + b, 0);
  let lastProblems: string[] = [];
  await waitUntil(
    async () => {
      const views = await mapLimit(state.nodes, 16, (n) => peeringOf(n.control));
      let up = 0;
      lastProblems = [];
      views.forEach((v, i) => {
        const node = state.nodes[i]!;
        const want = expected[i] ?? 0;
        up += Math.min(v.established, want);
        if (!v.reachable) lastProblems.push(`${node.name}: daemon not answering (${v.error ?? '?'})`);
        else if (v.established < want || v.peers.length !== want) {
          const bad = v.peers.filter((p) => p.state !== 'Established').map((p) => `${p.address} ${p.state} (${p.info})`);
          lastProblems.push(`${node.name}: ${v.established} of ${want} sessions Established, ${v.peers.length} configured${bad.length ? `; ${bad.join(', ')}` : ''}`);
        }
      });
      progress.count('sessions established', up, total);
      return lastProblems.length === 0 ? true : undefined;
    },
    30_000 + plan.nodes.length * 200,
    () => `every session Established:\n  ${lastProblems.slice(0, 10).join('\n  ')}\n(logs: ${plan.options.dir}/node-*.log)`,
    300,
  );
  progress.line(`${total} BGP sessions established (${seconds(t0)})`);
}

async function createPods(plan: LabPlan, state: LabState, progress: Progress): Promise<void> {
  if (plan.pods.length === 0) return;
  const t0 = Date.now();
  let done = 0;
  progress.count('pods created', 0, plan.pods.length);
  const byNode = plan.nodes.map((n) => ({ node: n, pods: plan.pods.filter((p) => p.node === n.name) }));
  // One node's pods one after the other (each may claim a block); the nodes in parallel.
  await mapLimit(byNode, SETUP_CONCURRENCY, async ({ node, pods }) => {
    for (const pod of pods) {
      await addNamespace(pod.ns);
      const entry = { id: pod.id, node: pod.node, ns: pod.ns, ipv4: null as string | null };
      state.pods.push(entry);
      writeState(state);
      const r = await callDaemon(node.control, 'podAdd', { id: pod.id, netns: pod.netns }, 30_000).catch((e: unknown) => {
        const why = e instanceof Error ? e.message : String(e);
        throw new LabStepError(`${node.name} could not add pod ${pod.id}: ${why}; last lines of ${node.log}:\n${tailOf(node.log, 15)}`);
      });
      entry.ipv4 = r.ipv4;
      writeState(state);
      progress.count('pods created', ++done, plan.pods.length);
    }
  });
  state.pods.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  writeState(state);
  progress.line(`${plan.pods.length} pods created with addresses from ${LAB_POOL} (${seconds(t0)})`);
}

/** Every node's kernel routes every other node's pods (through BGP, into the FIB). */
async function waitRoutes(state: LabState, progress: Progress): Promise<void> {
  if (state.pods.length === 0 || state.nodes.length < 2) return;
  const t0 = Date.now();
  let missing: string[] = [];
  await waitUntil(
    async () => {
      missing = [];
      let ok = 0;
      await mapLimit(state.nodes, 8, async (n) => {
        const remote = state.pods.filter((p) => p.node !== n.name && p.ipv4 !== null).map((p) => p.ipv4 as string);
        const lacking = unroutedAddresses(await kernelRoutes(n.ns), remote);
        if (lacking.length === 0) ok++;
        else missing.push(`${n.name} has no route to ${lacking.slice(0, 5).join(', ')}${lacking.length > 5 ? ', …' : ''}`);
      });
      progress.count('nodes with routes to every pod', ok, state.nodes.length);
      return missing.length === 0 ? true : undefined;
    },
    30_000,
    () => `routes to every pod in every node's kernel:\n  ${missing.slice(0, 10).join('\n  ')}`,
    250,
  );
  progress.line(`every node routes to every pod (${seconds(t0)})`);
}
