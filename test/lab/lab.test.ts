// `wren lab` as a user runs it: the built CLI builds a 4-node cluster on real etcd in network
// namespaces, every pod reaches every other pod, every session is Established; the cluster is
// switched to two route reflectors with the mesh off (with the cluster CLI, as an operator
// would) and every pod still reaches every other; `down` leaves no namespace and no process.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WREN_BIN, ensurePackages, run, waitFor } from '../harness/index.js';
import type { LabPingReport } from '../../src/lab/ping.js';
import type { LabStatus } from '../../src/lab/status.js';
import type { LabState } from '../../src/lab/state.js';
import { isLabNamespace } from '../../src/lab/plan.js';
import { isRunning } from '../../src/lab/processes.js';
import { readState } from '../../src/lab/state.js';

const skip = await ensurePackages(['etcd-server', 'iputils-ping']);
if (skip !== undefined) console.warn(`lab tests skipped: ${skip}`);

const ETCD = 'http://10.99.255.1:2379';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node bin/wren ARGS` */
async function wren(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  const r = await run(process.execPath, [WREN_BIN, ...args], { allowFailure: true, timeoutMs });
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

function labNamespaces(prefix: string): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => isLabNamespace(prefix, n));
  } catch {
    return [];
  }
}

/** A lab with its own directory and namespace prefix, so it never meets a user's lab (wlab-). */
class TestLab {
  readonly dir = mkdtempSync(join(tmpdir(), 'wren-lab-test-'));
  readonly prefix: string;
  private pids: number[] = [];

  constructor(tag: string) {
    this.prefix = `${tag}${process.pid.toString(36)}-`.slice(0, 8);
  }

  get opts(): string[] {
    return ['--dir', this.dir, '--prefix', this.prefix];
  }

  async cmd(sub: string, extra: string[] = [], timeoutMs?: number): Promise<CliResult> {
    return wren(['lab', sub, ...this.opts, ...extra], timeoutMs);
  }

  async ok(sub: string, extra: string[] = [], timeoutMs?: number): Promise<string> {
    const r = await this.cmd(sub, extra, timeoutMs);
    expect(r.code, `wren lab ${sub} ${extra.join(' ')}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}${this.logHint()}`).toBe(0);
    return r.stdout;
  }

  async json<T>(sub: string): Promise<{ code: number | null; value: T; raw: CliResult }> {
    const r = await this.cmd(sub, ['-o', 'json']);
    try {
      return { code: r.code, value: JSON.parse(r.stdout) as T, raw: r };
    } catch {
      throw new Error(`wren lab ${sub} -o json printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
  }

  /** A cluster command inside etcd's namespace (the only place that reaches the bridge). */
  async cluster(args: string[]): Promise<string> {
    const r = await run('ip', ['netns', 'exec', `${this.prefix}etcd`, process.execPath, WREN_BIN, ...args, '--etcd', ETCD], { allowFailure: true, timeoutMs: 20_000 });
    expect(r.exitCode, `wren ${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
    return r.stdout;
  }

  state(): LabState {
    const s = readState(this.dir);
    this.pids = [s.etcd.pid, ...s.nodes.map((n) => n.pid)].filter((p): p is number => p !== null);
    return s;
  }

  recordedPids(): number[] {
    return this.pids;
  }

  logHint(): string {
    return existsSync(this.dir) ? `\n(lab files in ${this.dir})` : '';
  }

  /** Last resort after a failed test: the CLI's down, then whatever it left. */
  async destroy(): Promise<void> {
    await this.cmd('down').catch(() => undefined);
    for (const ns of labNamespaces(this.prefix)) await run('ip', ['netns', 'delete', ns], { allowFailure: true });
    for (const pid of this.pids) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe.skipIf(skip !== undefined)('wren lab', () => {
  const labs: TestLab[] = [];
  afterAll(async () => {
    for (const lab of labs) await lab.destroy();
  }, 60_000);

  it(
    'builds a 4-node mesh where every pod reaches every other, keeps that with 2 route reflectors and the mesh off, and removes everything',
    async () => {
      const lab = new TestLab('wt');
      labs.push(lab);

      const t0 = Date.now();
      const up = await lab.ok('up', ['--nodes', '4', '--pods', '2'], 60_000);
      const upMs = Date.now() - t0;
      console.info(`lab up (4 nodes, 8 pods): ${(upMs / 1000).toFixed(1)} s`);
      expect(up).toMatch(/etcd up at http:\/\/10\.99\.255\.1:2379/);
      expect(up).toMatch(/12 BGP sessions established/);
      expect(up).toMatch(/8 pods created/);
      const state = lab.state();
      expect(state.phase).toBe('up');
      expect(state.pods.every((p) => p.ipv4 !== null && p.ipv4.startsWith('10.244.'))).toBe(true);
      expect(new Set(state.pods.map((p) => p.ipv4)).size).toBe(8);
      expect(labNamespaces(lab.prefix)).toHaveLength(2 + 4 + 8);

      // A second lab in the same place is refused, and nothing of the first is touched.
      const again = await lab.cmd('up');
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/already exists.*wren lab down/);

      const ping = await lab.json<LabPingReport>('ping');
      expect(ping.value.failures, JSON.stringify(ping.value.failures)).toEqual([]);
      expect(ping.value.pairs).toBe(56);
      expect(ping.code).toBe(0);
      expect((await lab.ok('ping')).trimEnd()).toMatch(/all 8×7 = 56 pairs reachable/);

      const status = await lab.json<LabStatus>('status');
      expect(status.value.problems).toEqual([]);
      expect(status.value.summary).toMatchObject({ nodes: 4, reflectors: 0, sessions: 12, sessionsEstablished: 12, pods: 8 });
      expect(status.code).toBe(0);
      expect(status.value.nodes.every((n) => n.routes === 3 && n.peers.every((p) => p.type === 'node-to-node mesh'))).toBe(true);
      const before = sessionsSince(status.value);
      // Sessions with other cluster nodes bring a few routes each: none of them starts the
      // kernel writer thread, memory every node would pay (a standalone speaker's do:
      // test/daemon/kernel-next-hops.test.ts).
      for (const n of state.nodes) expect(readFileSync(n.log, 'utf8'), n.name).not.toContain('"fib.writer-moved"');

      // Two route reflectors, every node their client, then the mesh off: the operator's way.
      for (const node of ['node-1', 'node-2']) await lab.cluster(['node', 'set', node, '--rr-cluster-id', '10.99.255.254', '--label', 'route-reflector=true']);
      await lab.cluster(['peer', 'add', 'to-reflectors', '--node-selector', 'all()', '--peer-selector', 'has(route-reflector)']);
      await lab.cluster(['cluster', 'mesh', 'off']);

      // Reflectors peer with the 3 other nodes, clients with the 2 reflectors.
      const switched = await waitFor(
        async () => {
          const s = await lab.json<LabStatus>('status');
          return s.code === 0 && s.value.summary.sessions === 10 && s.value.summary.reflectors === 2 ? s.value : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 500, what: 'lab status: 2 reflectors, 10 sessions, all Established' },
      );
      for (const n of switched.nodes) {
        expect(n.sessions.total, n.name).toBe(n.role === 'reflector' ? 3 : 2);
        expect(n.peers.every((p) => p.type === 'route reflector'), n.name).toBe(true);
      }
      console.info(`sessions reset by the switch: ${resetSessions(before, sessionsSince(switched)).join(', ') || 'none'}`);

      const pingAfter = await waitFor(
        async () => {
          const r = await lab.json<LabPingReport>('ping');
          return r.code === 0 ? r.value : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 500, what: 'every pod reaching every other after the switch to reflectors' },
      );
      expect(pingAfter.pairs).toBe(56);

      const pids = lab.recordedPids();
      expect(pids).toHaveLength(5);
      expect(pids.every(isRunning)).toBe(true);
      const down = await lab.ok('down', [], 30_000);
      expect(down).toMatch(/stopped 5 process\(es\); deleted 14 namespace\(s\)/);
      expect(labNamespaces(lab.prefix)).toEqual([]);
      expect(pids.filter(isRunning)).toEqual([]);
      expect(existsSync(lab.dir)).toBe(false);
      // Idempotent.
      expect(await lab.ok('down')).toMatch(/nothing to remove/);
    },
    120_000,
  );

  it(
    'down removes a lab whose state file is gone (a crash), finding its daemons through its namespaces',
    async () => {
      const lab = new TestLab('wc');
      labs.push(lab);
      await lab.ok('up', ['--nodes', '2', '--pods', '1'], 60_000);
      lab.state();
      const pids = lab.recordedPids();
      expect(pids.every(isRunning)).toBe(true);
      unlinkSync(join(lab.dir, 'lab.json'));

      const status = await lab.cmd('status');
      expect(status.code).toBe(2);
      expect(status.stderr).toMatch(/no lab in .*wren lab up/);

      expect(await lab.ok('down', [], 30_000)).toMatch(/stopped 3 process\(es\); deleted 6 namespace\(s\)/);
      expect(labNamespaces(lab.prefix)).toEqual([]);
      expect(pids.filter(isRunning)).toEqual([]);
      expect(existsSync(lab.dir)).toBe(false);
    },
    90_000,
  );
});

/** "node-1 10.99.0.2" → since, for Established sessions. */
function sessionsSince(s: LabStatus): Map<string, string> {
  const m = new Map<string, string>();
  for (const n of s.nodes) for (const p of n.peers) if (p.state === 'Established') m.set(`${n.name}→${p.node ?? p.address}`, p.since);
  return m;
}

/** Sessions present before and after whose Established time changed (they were reset). */
function resetSessions(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after].filter(([k, since]) => before.has(k) && before.get(k) !== since).map(([k]) => k);
}
