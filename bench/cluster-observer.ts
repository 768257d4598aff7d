// The kernel observer of bench/cluster.ts: one `ip -4 -N -ts -n NS monitor route` per node
// namespace. A process of iproute2 is a few hundred kB of private memory and sleeps between
// notifications, where a Node observer would cost ~40 MB and a start-up per namespace; with
// 100–200 namespaces on a 2-core machine that difference lands on the daemons under test.
//
// Every notification line carries the wall-clock time `ip` read it at (-ts: gettimeofday, local
// time, microseconds), so a line read late by this process still has the time the namespace's
// kernel announced the route. -N keeps protocol numbers numeric (199, 12) whatever
// /etc/iproute2/rt_protos.d says. A line looks like
//
//   [2026-11-28T10:59:26.413133] 10.244.0.64/26 via 10.77.0.3 dev eth0 proto 199
//   [2026-11-28T10:59:26.443088] 6 10.244.0.0/26 proto 199            (6 = RTN_BLACKHOLE)
//   [2026-11-28T10:59:26.467934] Deleted 10.244.0.64/26 via 10.77.0.3 dev eth0 proto 199
//
// Only unicast routes (no type number) with the watched protocol count: a node's own block is a
// blackhole and is never "another node's block".

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { run } from '../test/harness/exec.js';
import type { Lab } from '../test/harness/netns.js';
import { waitFor } from '../test/harness/wait.js';
import { cpuSeconds } from './cluster-procs.js';

const LINE = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\] (Deleted )?(?:(\d+) )?(\d+\.\d+\.\d+\.\d+\/\d+) (.*)$/;
const PROTO = /(?:^| )proto (\d+)(?: |$)/;

/** `[2026-11-28T10:59:26.413133]` (local time, as `ip -ts` prints it) → wall-clock ms. */
export function monitorTime(date: string, micros: string): number {
  return new Date(date).getTime() + Number(micros) / 1000;
}

export interface MonitorEvent {
  t: number;
  deleted: boolean;
  dst: string;
  protocol: number;
}

/** One `ip monitor` line as an event about a unicast route, or undefined for anything else. */
export function parseMonitorLine(line: string): MonitorEvent | undefined {
  const m = LINE.exec(line);
  if (!m || m[4] !== undefined) return undefined;
  const p = PROTO.exec(m[6]!);
  if (!p) return undefined;
  return { t: monitorTime(m[1]!, m[2]!), deleted: m[3] !== undefined, dst: m[5]!, protocol: Number(p[1]) };
}

/** Wall-clock ms with sub-millisecond resolution, comparable with monitorTime(). */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

export class KernelWatch {
  /** Routes present now, with the time each (last) appeared. */
  readonly present = new Map<string, number>();
  /** Removals seen (a flap shows as a removal and a later add). */
  deletions = 0;
  readonly pid: number;
  private readonly proc: ChildProcess;
  private exited = false;

  private constructor(
    readonly ns: string,
    readonly protocol: number,
    logFile: string,
  ) {
    const fd = openSync(logFile, 'a');
    try {
      this.proc = spawn('ip', ['-4', '-N', '-ts', '-n', ns, 'monitor', 'route'], { stdio: ['ignore', 'pipe', fd], detached: true });
    } finally {
      closeSync(fd);
    }
    if (this.proc.pid === undefined) throw new Error(`ip monitor in ${ns} could not be started`);
    this.pid = this.proc.pid;
    this.proc.on('error', () => undefined);
    this.proc.on('exit', () => (this.exited = true));
    createInterface({ input: this.proc.stdout! }).on('line', (line) => this.onLine(line));
  }

  /**
   * Starts watching `ns` for routes with `protocol`; resolves once the monitor is subscribed
   * (its netlink socket is bound to a multicast group) and the table has been read once, so no
   * route can slip between the two.
   */
  static async start(lab: Lab, ns: string, protocol: number): Promise<KernelWatch> {
    const w = new KernelWatch(ns, protocol, lab.path(`monitor-${ns}.log`));
    lab.defer(() => w.stop());
    await waitFor(
      () => {
        if (w.exited) throw new Error(`ip monitor in ${ns} exited`);
        return w.subscribed();
      },
      { timeoutMs: 10_000, intervalMs: 10, what: `ip monitor in ${ns} subscribed` },
    );
    const r = await run('ip', ['-4', '-N', '-j', '-n', ns, 'route', 'show', 'proto', String(protocol)]);
    const t = wallMs();
    for (const route of JSON.parse(r.stdout.trim() || '[]') as Array<{ dst: string; type?: string }>) {
      const dst = route.dst.includes('/') ? route.dst : `${route.dst}/32`;
      if ((route.type === undefined || route.type === 'unicast') && !w.present.has(dst)) w.present.set(dst, t);
    }
    return w;
  }

  /** Its socket shows in /proc/PID/net/netlink (the namespace's list) with a group bound. */
  private subscribed(): boolean {
    let text: string;
    try {
      text = readFileSync(`/proc/${this.pid}/net/netlink`, 'utf8');
    } catch {
      return false;
    }
    // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
    return text.split('\n').some((l) => {
      const f = l.trim().split(/\s+/);
      return f[2] === String(this.pid) && f[3] !== undefined && /^[0-9a-f]+$/i.test(f[3]) && Number.parseInt(f[3], 16) !== 0;
    });
  }

  private onLine(line: string): void {
    const e = parseMonitorLine(line);
    if (e === undefined || e.protocol !== this.protocol) return;
    if (e.deleted) {
      if (this.present.delete(e.dst)) this.deletions++;
    } else if (!this.present.has(e.dst)) {
      this.present.set(e.dst, e.t);
    }
  }

  /** When the last of `expected` appeared, if every one is present now. */
  completedAt(expected: Iterable<string>): number | undefined {
    let last = -Infinity;
    for (const dst of expected) {
      const t = this.present.get(dst);
      if (t === undefined) return undefined;
      last = Math.max(last, t);
    }
    return last;
  }

  /** How many of `expected` are present now. */
  count(expected: Iterable<string>): number {
    let n = 0;
    for (const dst of expected) if (this.present.has(dst)) n++;
    return n;
  }

  cpuSeconds(): number {
    return cpuSeconds(this.pid);
  }

  stop(): void {
    if (this.exited) return;
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
