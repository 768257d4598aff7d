// Whole-process wall times for bench/pods.ts: `node -e 0` beside `wren pod add`, `wren-cni`
// ADD and `wren status`, each started by this process as a fresh `node` (the same binary as
// the benchmark, so the comparison is about the program, not the interpreter) and timed from
// spawn to exit. Every add wires a real pod into a fresh namespace; it is deleted afterwards,
// outside the timing. Rounds are interleaved (one of each per round) so drift on a shared
// machine spreads over every row alike.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { callDaemon } from '../src/api/client.js';
import { run, type RunResult } from '../test/harness/exec.js';
import type { PodNamespace } from './pods-lab.js';
import { WREN_BIN } from './rr-reflectors.js';
import { monotonicMs } from './rr-speaker.js';

export const CNI_BIN = join(WREN_BIN, '..', 'wren-cni');
/** The network name in the CNI config; part of the pod id the plugin makes. */
const CNI_NETWORK = 'wren';

export type ProcName = 'node -e 0' | 'wren pod add' | 'wren-cni ADD' | 'wren status';

export interface ProcRow {
  name: ProcName;
  /** wall ms per timed run; empty when the command could not run here */
  samples: number[];
  /** why the row is empty or incomplete */
  note?: string;
}

export interface ProcOptions {
  control: string;
  runs: number;
  /** runs + 1 fresh namespaces each (the first for the untimed warm-up) */
  cliNamespaces: readonly PodNamespace[];
  cniNamespaces: readonly PodNamespace[];
}

interface Cmd {
  args: string[];
  env?: NodeJS.ProcessEnv;
  input?: string;
}

/**
 * Every command runs with PATH alone (plus CNI_* for the plugin, as a runtime starts it): what
 * the caller's environment holds must not differ between rows. NODE_EXTRA_CA_CERTS, for one,
 * makes every node start-up read a CA bundle (tens of ms).
 */
const BASE_ENV: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };

async function timed(cmd: Cmd): Promise<{ ms: number; result: RunResult }> {
  const t0 = monotonicMs();
  const result = await run(process.execPath, cmd.args, { allowFailure: true, timeoutMs: 30_000, env: cmd.env ?? BASE_ENV, ...(cmd.input !== undefined ? { input: cmd.input } : {}) });
  return { ms: monotonicMs() - t0, result };
}

function failure(what: string, r: RunResult): string {
  const text = `${r.stdout.trim()} ${r.stderr.trim()}`.trim().split('\n')[0] ?? '';
  return `${what} failed (exit ${r.exitCode ?? r.signal}): ${text.slice(0, 200)}`;
}

/** The runtime's view: CNI_* in a minimal environment, the network config on stdin. */
function cniCmd(command: 'ADD' | 'DEL', containerId: string, netns: string, control: string): Cmd {
  return {
    args: [CNI_BIN],
    env: { ...BASE_ENV, CNI_COMMAND: command, CNI_CONTAINERID: containerId, CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin' },
    input: JSON.stringify({ cniVersion: '1.0.0', name: CNI_NETWORK, type: 'wren', controlSocket: control }),
  };
}

export async function measureProcesses(o: ProcOptions): Promise<ProcRow[]> {
  const rows: Record<ProcName, ProcRow> = {
    'node -e 0': { name: 'node -e 0', samples: [] },
    'wren pod add': { name: 'wren pod add', samples: [] },
    'wren-cni ADD': { name: 'wren-cni ADD', samples: [] },
    'wren status': { name: 'wren status', samples: [] },
  };
  const cliAdd = (i: number): Cmd => ({ args: [WREN_BIN, '--control', o.control, 'pod', 'add', '--id', `cli-${i}`, '--netns', o.cliNamespaces[i]!.path] });
  const status: Cmd = { args: [WREN_BIN, '--control', o.control, 'status'] };
  const node: Cmd = { args: ['-e', '0'] };
  const cniId = (i: number): string => `benchcni${i}`;

  // Warm-up (untimed): file cache, and whether each command works at all here.
  await timed(node);
  const cliWarm = await timed(cliAdd(0));
  if (cliWarm.result.exitCode !== 0) throw new Error(failure('wren pod add (warm-up)', cliWarm.result));
  await callDaemon(o.control, 'podDel', { id: 'cli-0' }, 10_000);
  const st = await timed(status);
  if (st.result.exitCode !== 0) throw new Error(failure('wren status (warm-up)', st.result));
  let cni = existsSync(CNI_BIN);
  if (!cni) rows['wren-cni ADD'].note = `${CNI_BIN} does not exist`;
  else {
    const w = await timed(cniCmd('ADD', cniId(0), o.cniNamespaces[0]!.path, o.control));
    if (w.result.exitCode !== 0) {
      cni = false;
      rows['wren-cni ADD'].note = failure('ADD', w.result);
    } else {
      const d = await timed(cniCmd('DEL', cniId(0), o.cniNamespaces[0]!.path, o.control));
      if (d.result.exitCode !== 0) throw new Error(failure('wren-cni DEL (warm-up)', d.result));
    }
  }

  for (let i = 1; i <= o.runs; i++) {
    rows['node -e 0'].samples.push((await timed(node)).ms);

    const add = await timed(cliAdd(i));
    if (add.result.exitCode !== 0) throw new Error(failure(`wren pod add (run ${i})`, add.result));
    rows['wren pod add'].samples.push(add.ms);
    await callDaemon(o.control, 'podDel', { id: `cli-${i}` }, 10_000);

    if (cni) {
      const ns = o.cniNamespaces[i]!.path;
      const r = await timed(cniCmd('ADD', cniId(i), ns, o.control));
      const d = r.result.exitCode === 0 ? await timed(cniCmd('DEL', cniId(i), ns, o.control)) : undefined;
      if (r.result.exitCode === 0) rows['wren-cni ADD'].samples.push(r.ms);
      // The plugin is someone else's work in progress: a failure ends its row, not the benchmark.
      if (r.result.exitCode !== 0 || d?.result.exitCode !== 0) {
        cni = false;
        rows['wren-cni ADD'].note = failure(`${r.result.exitCode !== 0 ? 'ADD' : 'DEL'} (run ${i})`, d?.result ?? r.result);
      }
    }

    const s = await timed(status);
    if (s.result.exitCode !== 0) throw new Error(failure(`wren status (run ${i})`, s.result));
    rows['wren status'].samples.push(s.ms);
  }
  return Object.values(rows);
}
