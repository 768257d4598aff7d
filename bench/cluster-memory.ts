// Where a Wren node daemon's memory goes, and what node options and environment variables save:
// `node dist/bench/cluster-memory.js` (root; after `npm run build`). For each variant a fresh
// small cluster (etcd + K nodes in full mesh, 2 pods each, as bench/cluster.ts builds it) is
// brought up with the variant's node options, converged, left idle for --settle seconds, and
// every daemon's VmRSS / RssAnon / RssFile / PSS read from /proc. Reference rows: a bare `node`
// process, and a bare one that only loads the daemon's bundle (without running it).
//
//   --nodes 5            daemons per variant
//   --settle 10          idle seconds before the sample
//   --only a,b           run only these variant names (see VARIANTS)

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { callDaemon } from '../src/api/client.js';
import { Lab } from '../test/harness/netns.js';
import { isRoot } from '../test/harness/packages.js';
import { waitFor } from '../test/harness/wait.js';
import { f, renderTable, UsageError } from './cli-util.js';
import { addNodeHost, blockOf, inParallel, PROTO_WREN, spawnWren, startEtcd, waitWrenReady, type WrenNode } from './cluster-lab.js';
import { KernelWatch, wallMs } from './cluster-observer.js';
import { cpuOf, memSample, stat, type MemSample } from './cluster-procs.js';
import { WREN_BIN } from './rr-reflectors.js';
import { DAEMON_NODE_FLAGS } from '../src/lab/wren-bin.js';

interface Variant {
  name: string;
  nodeArgs: string[];
  env?: NodeJS.ProcessEnv;
  why: string;
}

const VARIANTS: Variant[] = [
  { name: 'default', nodeArgs: [], why: 'plain `node bin/wren daemon`' },
  { name: 'node-agent', nodeArgs: [...DAEMON_NODE_FLAGS], why: 'as the lab and the image start node daemons (src/lab/wren-bin.ts)' },
  { name: 'semi1', nodeArgs: ['--max-semi-space-size=1'], why: 'young generation capped at 1 MB semi-spaces (default up to 16)' },
  { name: 'semi2', nodeArgs: ['--max-semi-space-size=2'], why: 'semi-spaces capped at 2 MB' },
  { name: 'semi4', nodeArgs: ['--max-semi-space-size=4'], why: 'semi-spaces capped at 4 MB' },
  { name: 'optsize', nodeArgs: ['--optimize-for-size'], why: 'V8 favours size over speed' },
  { name: 'pool1', nodeArgs: ['--v8-pool-size=1'], why: 'one V8 platform worker thread instead of 4' },
  { name: 'arena2', nodeArgs: [], env: { MALLOC_ARENA_MAX: '2' }, why: 'glibc malloc: at most 2 arenas (one per thread otherwise)' },
  { name: 'lite', nodeArgs: ['--lite-mode'], why: 'no optimising compiler (TurboFan), smaller code caches' },
  { name: 'jitless', nodeArgs: ['--jitless'], why: 'interpreter only, no executable memory' },
  { name: 'combo', nodeArgs: ['--max-semi-space-size=1', '--v8-pool-size=1'], env: { MALLOC_ARENA_MAX: '2' }, why: 'semi1 + pool1 + arena2' },
  { name: 'combo+size', nodeArgs: ['--max-semi-space-size=1', '--v8-pool-size=1', '--optimize-for-size'], env: { MALLOC_ARENA_MAX: '2' }, why: 'combo + optsize' },
  { name: 'combo+lite', nodeArgs: ['--max-semi-space-size=1', '--v8-pool-size=1', '--lite-mode'], env: { MALLOC_ARENA_MAX: '2' }, why: 'combo + lite' },
];

interface Row {
  name: string;
  why: string;
  mem: MemSample[];
  startupCpuS?: number;
  convergeS?: number;
  note?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A bare node process running `code` (ES module), sampled after it has settled. */
async function bareNode(name: string, why: string, code: string, settleMs: number): Promise<Row> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: 'ignore', cwd: join(WREN_BIN, '..', '..') });
  try {
    await sleep(settleMs);
    const m = memSample(child.pid!);
    return { name, why, mem: m === undefined ? [] : [m], ...(m === undefined ? { note: 'exited' } : {}) };
  } finally {
    child.kill('SIGKILL');
  }
}

async function daemonVariant(v: Variant, nodes: number, settleMs: number, log: (s: string) => void): Promise<Row> {
  const lab = new Lab('cm');
  try {
    const etcd = await startEtcd(lab, { mesh: true });
    const hosts = await inParallel(nodes, 6, (i) => addNodeHost(lab, i + 1));
    const pods = await inParallel(nodes * 2, 6, (j) => lab.addNamespace(`p${Math.floor(j / 2) + 1}x${j % 2}`));
    const watches = await inParallel(nodes, 8, (i) => KernelWatch.start(lab, hosts[i]!.ns, PROTO_WREN));
    const daemons: WrenNode[] = hosts.map((h, i) => spawnWren(lab, { k: i + 1, host: h, endpoint: etcd.endpoint, reflector: false, nodeArgs: v.nodeArgs, ...(v.env ? { env: v.env } : {}) }));
    await Promise.all(daemons.map((d) => waitWrenReady(d, 60_000)));
    const startup = cpuOf(daemons.map((d) => d.daemon.pid));
    const t0 = wallMs();
    const blocks = await Promise.all(
      daemons.map(async (d, i) => {
        let b = '';
        for (let j = 0; j < 2; j++) b = blockOf((await callDaemon(d.control, 'podAdd', { id: `pod-${d.k}-${j}`, netns: pods[i * 2 + j]!.path }, 60_000)).ipv4!);
        return b;
      }),
    );
    const at = await waitFor(
      () => {
        let last = -Infinity;
        for (let i = 0; i < nodes; i++) {
          const t = watches[i]!.completedAt(blocks.filter((_, j) => j !== i));
          if (t === undefined) return undefined;
          last = Math.max(last, t);
        }
        return { last };
      },
      { timeoutMs: 60_000, intervalMs: 25, what: 'every block in every kernel' },
    );
    log(`memory ${v.name}: converged; idle ${settleMs / 1000} s`);
    await sleep(settleMs);
    const mem = daemons.map((d) => memSample(d.daemon.pid)).filter((m): m is MemSample => m !== undefined);
    return { name: v.name, why: v.why, mem, startupCpuS: stat(startup)!.mean, convergeS: (at.last - t0) / 1000 };
  } finally {
    await lab.cleanup();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '5' },
      settle: { type: 'string', default: '10' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.info(`usage: node dist/bench/cluster-memory.js [--nodes 5] [--settle 10] [--only ${VARIANTS.map((v) => v.name).join(',')}]`);
    return 0;
  }
  const nodes = Number(values.nodes);
  const settle = Number(values.settle);
  if (!Number.isInteger(nodes) || nodes < 2) throw new UsageError('--nodes: an integer >= 2');
  if (!(settle >= 0)) throw new UsageError('--settle: seconds >= 0');
  const only = values.only?.split(',').map((s) => s.trim());
  for (const n of only ?? []) if (!VARIANTS.some((v) => v.name === n)) throw new UsageError(`--only: unknown variant ${n} (${VARIANTS.map((v) => v.name).join(', ')})`);
  if (!isRoot()) {
    console.error('cluster-memory needs root (it creates network namespaces)');
    return 2;
  }
  const log = (line: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  const rows: Row[] = [];
  const settleMs = settle * 1000;
  rows.push(await bareNode('bare node', 'node -e "setInterval(…)": the floor of any Node process', 'setInterval(() => {}, 1e6);', Math.max(settleMs, 2000)));
  rows.push(
    await bareNode(
      'node + daemon bundle',
      "a bare node that loads the daemon's bundle (dist/bundle/daemon/main.js, what bin/wren runs) without running it",
      "await import('./dist/bundle/daemon/main.js'); setInterval(() => {}, 1e6);",
      Math.max(settleMs, 2000),
    ),
  );
  for (const v of VARIANTS) {
    if (only && !only.includes(v.name)) continue;
    log(`memory ${v.name}: ${nodes} daemons, node ${v.nodeArgs.join(' ')}${v.env ? ` ${Object.entries(v.env).map(([k, x]) => `${k}=${x}`).join(' ')}` : ''}`);
    try {
      rows.push(await daemonVariant(v, nodes, settleMs, log));
    } catch (e) {
      rows.push({ name: v.name, why: v.why, mem: [], note: e instanceof Error ? e.message.split('\n')[0]! : String(e) });
    }
  }
  const lines: string[][] = [['variant', 'RSS mean MB', 'RSS max MB', 'anon MB', 'file MB', 'PSS MB', 'peak RSS MB', 'start-up cpu s', 'pods -> converged s', 'what']];
  for (const r of rows) {
    const s = (k: keyof MemSample): number | undefined => stat(r.mem.map((m) => m[k] ?? 0))?.mean;
    lines.push([
      r.name,
      f(s('rssMb'), 1),
      f(stat(r.mem.map((m) => m.rssMb))?.max, 1),
      f(s('anonMb'), 1),
      f(s('fileMb'), 1),
      f(s('pssMb'), 1),
      f(stat(r.mem.map((m) => m.hwmMb))?.max, 1),
      f(r.startupCpuS),
      f(r.convergeS),
      `${r.why}${r.note ? ` (${r.note})` : ''}`,
    ]);
  }
  console.info(`Wren node daemon memory by variant (bench/cluster-memory.ts): ${nodes} daemons per variant in a full mesh with 2 pods each,`);
  console.info(`sampled after convergence and ${settle} s idle; means over the daemons. VmRSS = anon + file (+ shmem); file is mostly the`);
  console.info('node executable, shared by every node process on the machine; PSS charges shared pages to their sharers.');
  console.info('');
  console.info(renderTable(lines, (c, n) => c === 0 || c === n - 1));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof UsageError ? `cluster-memory: ${err.message}` : err);
    process.exit(2);
  },
);
