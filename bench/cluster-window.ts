// What every convergence window of bench/cluster.ts shares: its result, the CPU counted over
// it, the wait until every kernel holds every expected block (times from the kernel observers,
// cluster-observer.ts: the wall-clock time at which each namespace's kernel announced a route,
// so when the benchmark notices is irrelevant), pod adds as a runtime makes them, and a
// post-mortem when something failed.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError, callDaemon } from '../src/api/client.js';
import type { ApiMethods } from '../src/api/types.js';
import type { Lab } from '../test/harness/netns.js';
import { WaitTimeoutError, waitFor } from '../test/harness/wait.js';
import type { KernelWatch } from './cluster-observer.js';
import { cpuOf, sum } from './cluster-procs.js';
import { machineBusySeconds } from './rr-proc.js';

/** How one convergence window went. */
export interface Window {
  outcome: 'ok' | 'timeout' | 'skipped' | 'failed';
  seconds?: number;
  /** at a timeout: blocks present / blocks wanted, summed over every kernel */
  held?: number;
  wanted?: number;
  note?: string;
  /** CPU seconds over the window */
  daemonCpuS?: number;
  etcdCpuS?: number;
  observerCpuS?: number;
  benchCpuS?: number;
  machineBusyS?: number;
  /** block routes removed from some kernel during the window (a flap shows as one) */
  flaps?: number;
}

export const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor((s.length - 1) / 2)]!;
};

/** Pod adds that failed and were tried again (a runtime retries a failed sandbox too). */
export interface Retries {
  count: number;
  codes: Map<string, number>;
}

const POD_ADD_TRIES = 5;

/**
 * `podAdd` as a container runtime does it: a failure with a transient IPAM error is tried again
 * (at most POD_ADD_TRIES times, 250 ms apart) and counted, so the table can say it happened.
 */
export async function podAdd(control: string, params: ApiMethods['podAdd']['params'], retries: Retries): Promise<ApiMethods['podAdd']['result']> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await callDaemon(control, 'podAdd', params, 60_000);
    } catch (e) {
      if (!(e instanceof ApiError) || !e.code.startsWith('ipam-') || attempt >= POD_ADD_TRIES) throw e;
      retries.count++;
      retries.codes.set(e.code, (retries.codes.get(e.code) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export const retryNote = (r: Retries): string => (r.count === 0 ? '' : `pod add retried ${r.count}x (${[...r.codes].map(([c, n]) => `${c} ${n}`).join(', ')})`);

/**
 * After a failure: this lab's files stay (later labs of the run are removed as usual), and a summary of
 * what went wrong is printed: the daemons' warnings and errors by event, and etcd's last lines.
 */
export function postMortem(lab: Lab, keep: boolean): void {
  if (keep) lab.keepFiles();
  const events = new Map<string, number>();
  for (const d of readdirSync(lab.dir)) {
    const log = join(lab.dir, d, 'wren.log');
    if (!d.startsWith('wren-') || !existsSync(log)) continue;
    for (const line of readFileSync(log, 'utf8').split('\n')) {
      const m = /"level":(\d+).*?"event":"([^"]+)"(?:.*?"err(?:or)?":"([^"]{0,80}))?/.exec(line);
      if (m && Number(m[1]) >= 40) {
        const key = `${m[2]}${m[3] ? `: ${m[3]}` : ''}`;
        events.set(key, (events.get(key) ?? 0) + 1);
      }
    }
  }
  const top = [...events].sort((a, b) => b[1] - a[1]).slice(0, 15);
  console.error(`daemon warnings and errors by event (logs under ${lab.dir}${keep ? ', kept' : ', removed with the lab'}):`);
  for (const [k, n] of top) console.error(`  ${String(n).padStart(6)}  ${k}`);
  const etcdLog = join(lab.dir, 'etcd.log');
  if (existsSync(etcdLog)) console.error(`etcd.log, last lines:\n${readFileSync(etcdLog, 'utf8').trim().split('\n').slice(-15).join('\n')}`);
}

/** CPU of everything that matters over a window: start() at t0, stop() at the end. */
export class CpuWindow {
  private d0 = 0;
  private e0 = 0;
  private o0 = 0;
  private b0 = process.cpuUsage();
  private m0 = 0;

  constructor(
    private readonly daemons: () => number[],
    private readonly etcd: () => number[],
    private readonly observers: () => KernelWatch[],
  ) {}

  start(): void {
    this.d0 = sum(cpuOf(this.daemons()));
    this.e0 = sum(cpuOf(this.etcd()));
    this.o0 = sum(this.observers().map((w) => w.cpuSeconds()));
    this.b0 = process.cpuUsage();
    this.m0 = machineBusySeconds();
  }

  stop(): Pick<Window, 'daemonCpuS' | 'etcdCpuS' | 'observerCpuS' | 'benchCpuS' | 'machineBusyS'> {
    const b = process.cpuUsage(this.b0);
    return {
      daemonCpuS: sum(cpuOf(this.daemons())) - this.d0,
      etcdCpuS: sum(cpuOf(this.etcd())) - this.e0,
      observerCpuS: sum(this.observers().map((w) => w.cpuSeconds())) - this.o0,
      benchCpuS: (b.user + b.system) / 1e6,
      machineBusyS: machineBusySeconds() - this.m0,
    };
  }
}

/**
 * Waits until every watch holds all its expected routes; resolves with the wall time the last
 * one appeared, or with the progress at the deadline.
 */
export async function converged(
  watches: readonly KernelWatch[],
  expected: (i: number) => readonly string[],
  deadline: number,
): Promise<{ at?: number; held: number; wanted: number }> {
  const progress = (): { held: number; wanted: number } => {
    let held = 0;
    let wanted = 0;
    watches.forEach((w, i) => {
      const e = expected(i);
      wanted += e.length;
      held += w.count(e);
    });
    return { held, wanted };
  };
  try {
    const at = await waitFor(
      () => {
        let last = -Infinity;
        for (let i = 0; i < watches.length; i++) {
          const t = watches[i]!.completedAt(expected(i));
          if (t === undefined) return undefined;
          last = Math.max(last, t);
        }
        return { last };
      },
      { timeoutMs: Math.max(0, deadline - Date.now()), intervalMs: 25, what: 'every kernel to hold every expected block' },
    );
    return { at: at.last, ...progress() };
  } catch (e) {
    if (!(e instanceof WaitTimeoutError)) throw e;
    return progress();
  }
}

export const totalFlaps = (watches: readonly KernelWatch[]): number => sum(watches.map((w) => w.deletions));

