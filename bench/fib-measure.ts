// One measurement of bench/fib.ts: a fresh lab (router and tester namespaces on one bridge),
// the router under test, the FIB observer in the router's namespace and the tester; the clock
// runs from the tester's first UPDATE byte until the observer has seen all N routes arrive in
// the router namespace's kernel table.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { run } from '../test/harness/exec.js';
import { Lab } from '../test/harness/netns.js';
import { JsonChild, type ChildEvent } from './rr-child.js';
import { machineBusySeconds, sampleProcess, stealSeconds, type ProcSample } from './rr-proc.js';
import { KERNEL_PROTOCOL, startRouter, type FibImpl } from './fib-routers.js';
import type { TesterArgs } from './rr-tester.js';
import type { ObserverArgs } from './fib-observer.js';
import { startNativeObserver } from './fib-observer-native.js';

/** Which observer counts the routes: the native one (fib-observer.c, built) or the Node one. */
export type ObserverChoice = { kind: 'native'; binary: string } | { kind: 'node' };

export interface FibMeasureOptions {
  impl: FibImpl;
  observer: ObserverChoice;
  n: number;
  perUpdate: number;
  /** Give up this long after the first UPDATE byte. */
  timeoutMs: number;
  /** Give up when the kernel gained no route for this long (0: never). */
  stallMs: number;
  /** Pause between "session Established" and the first UPDATE. */
  settleMs: number;
}

export type FibOutcome = 'ok' | 'timeout' | 'stalled' | 'error' | 'skipped';

export interface FibMeasurement {
  impl: FibImpl;
  n: number;
  outcome: FibOutcome;
  /** First UPDATE byte → all N in the kernel, seconds (outcome ok). */
  seconds?: number;
  /** First UPDATE byte → first benchmark route in the kernel, seconds. */
  firstRouteSeconds?: number;
  /** First → last UPDATE byte handed to the tester's kernel, seconds. */
  sendSeconds?: number;
  /** Router CPU seconds (FRR: bgpd + zebra) between the first UPDATE and the end. */
  cpuSeconds?: number;
  /** Router CPU seconds over its whole life (startup and session setup included). */
  cpuTotalSeconds?: number;
  /** VmHWM at the end (FRR: bgpd's + zebra's), MB. */
  peakRssMb?: number;
  /** Router threads runnable but waiting for a CPU over the same interval. */
  runDelaySeconds?: number;
  stealSeconds?: number;
  /** Busy CPU of the rest of the machine (kernel work, anything else) over the same interval. */
  otherCpuSeconds?: number;
  testerCpuSeconds?: number;
  observerCpuSeconds?: number;
  /** Benchmark routes in the kernel at the end. */
  held?: number;
  /** Times the observer's notification socket overflowed (ENOBUFS), each repaired by a dump. */
  overflows?: number;
  /** The last routes were found by such a dump: the time is late by up to one dump. */
  doneByDump?: boolean;
  /** Benchmark routes counted in the kernel table after a run that did not finish (`ip route`). */
  kernelHeld?: number;
  note?: string;
}

const ASN = 65000;
const TESTER_ASN = 65001;
const HOLD_TIME = 240;
/** 32.0.0.0: the benchmark prefixes are 32.0.0.0/24, 32.0.1.0/24, … */
export const BASE_ADDRESS = 0x20000000;
const ROUTER = '10.77.0.1';
const TESTER = '10.77.0.2';
const SETUP_MS = 60_000;

const here = dirname(fileURLToPath(import.meta.url));

function sum(samples: ProcSample[], key: 'cpuSeconds' | 'peakRssMb' | 'runDelaySeconds'): number | undefined {
  let total = 0;
  for (const s of samples) {
    const v = s[key];
    if (v === undefined) return undefined;
    total += v;
  }
  return total;
}

function delta(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : b - a;
}

export async function measureFib(o: FibMeasureOptions, log: (line: string) => void): Promise<FibMeasurement> {
  const result: FibMeasurement = { impl: o.impl, n: o.n, outcome: 'error' };
  const lab = new Lab('fb');
  try {
    const sw = await lab.addSwitch();
    const [rtrHost, tstHost] = await Promise.all([
      lab.addHost('rtr', { ipv4: `${ROUTER}/24`, ipv6: false, switch: sw }),
      lab.addHost('tst', { ipv4: `${TESTER}/24`, ipv6: false, switch: sw }),
    ]);
    const router = await startRouter(o.impl, lab, rtrHost, { asn: ASN, routerId: ROUTER, address: ROUTER, tester: TESTER, testerAsn: TESTER_ASN, holdTime: HOLD_TIME });
    const pids = router.daemons.map((d) => d.pid);
    const running = (): boolean => router.daemons.every((d) => d.running);

    const observerArgs: ObserverArgs = { n: o.n, baseAddress: BASE_ADDRESS, protocol: KERNEL_PROTOCOL[o.impl] };
    const observerLog = lab.path('observer.stderr.log');
    const observer =
      o.observer.kind === 'native'
        ? startNativeObserver(lab, rtrHost.ns, o.observer.binary, observerArgs, observerLog)
        : new JsonChild(lab, rtrHost.ns, join(here, 'fib-observer.js'), observerArgs, 'observer', observerLog);
    const testerArgs: TesterArgs = {
      local: TESTER,
      remote: ROUTER,
      port: 179,
      asn: TESTER_ASN,
      ebgp: true,
      n: o.n,
      baseAddress: BASE_ADDRESS,
      perUpdate: o.perUpdate,
      holdTime: HOLD_TIME,
      setupMs: SETUP_MS,
    };
    const tester = new JsonChild(lab, tstHost.ns, join(here, 'rr-tester.js'), testerArgs, 'tester', lab.path('tester.stderr.log'));

    const ready = await observer.waitFor((e) => e.ev === 'ready', 'rtnetlink subscription', SETUP_MS);
    if (Number(ready.count) !== 0) throw new Error(`the fresh namespace already holds ${String(ready.count)} benchmark routes`);
    const built = await tester.waitFor((e) => e.ev === 'built', 'UPDATEs built', SETUP_MS);
    await tester.waitFor((e) => e.ev === 'up', 'session Established', SETUP_MS);
    for (const d of router.daemons) d.assertRunning();
    log(`  ${o.impl} ${o.n}: session up, ${String(built.updates)} UPDATEs (${(Number(built.bytes) / 1e6).toFixed(1)} MB) ready, observer buffer ${(Number(ready.rcvbuf) / 2 ** 20).toFixed(0)} MiB`);
    await delay(o.settleMs);

    const sample = (): { router: ProcSample[]; tester: ProcSample; observer: ProcSample; steal: number; busy: number } => ({
      router: pids.map(sampleProcess),
      tester: sampleProcess(tester.pid),
      observer: sampleProcess(observer.pid),
      steal: stealSeconds(),
      busy: machineBusySeconds(),
    });
    const before = sample();
    tester.send('go');
    const outcome = await awaitFib(o, tester, observer, running, result);
    const after = sample();

    result.outcome = outcome;
    const cpu = delta(sum(before.router, 'cpuSeconds'), sum(after.router, 'cpuSeconds'));
    if (cpu !== undefined) result.cpuSeconds = cpu;
    const total = sum(after.router, 'cpuSeconds');
    if (total !== undefined) result.cpuTotalSeconds = total;
    const rss = sum(after.router, 'peakRssMb');
    if (rss !== undefined) result.peakRssMb = rss;
    const wait = delta(sum(before.router, 'runDelaySeconds'), sum(after.router, 'runDelaySeconds'));
    if (wait !== undefined) result.runDelaySeconds = wait;
    result.stealSeconds = after.steal - before.steal;
    const tc = delta(before.tester.cpuSeconds, after.tester.cpuSeconds);
    if (tc !== undefined) result.testerCpuSeconds = tc;
    const oc = delta(before.observer.cpuSeconds, after.observer.cpuSeconds);
    if (oc !== undefined) result.observerCpuSeconds = oc;
    if (cpu !== undefined && tc !== undefined && oc !== undefined) result.otherCpuSeconds = Math.max(0, after.busy - before.busy - cpu - tc - oc);
    // A cross-check of the observer when the run did not finish: what the kernel table holds.
    if (outcome !== 'ok') result.kernelHeld = await kernelRoutes(rtrHost.ns, KERNEL_PROTOCOL[o.impl], o.n);
    const dead = router.daemons.find((d) => !d.running);
    if (dead !== undefined) result.note = `${dead.name} exited: ${dead.logTail(5).trim().split('\n').pop() ?? ''}`;
  } catch (err) {
    result.outcome = 'error';
    result.note = (err instanceof Error ? err.message : String(err)).split('\n').slice(0, 6).join(' | ');
    log(`  ${o.impl} ${o.n}: error: ${err instanceof Error ? err.message : String(err)}\n${lab.logTails(10)}`);
  } finally {
    await lab.cleanup().catch((err: unknown) => log(`  lab cleanup: ${err instanceof Error ? err.message : String(err)}`));
  }
  return result;
}

/** Benchmark /24s in the namespace's main table with the protocol number, counted by `ip route`. */
async function kernelRoutes(ns: string, protocol: number, n: number): Promise<number | undefined> {
  const r = await run('ip', ['-n', ns, '-4', 'route', 'show', 'table', 'main', 'proto', String(protocol)], { timeoutMs: 60_000, allowFailure: true });
  if (r.exitCode !== 0) return undefined;
  let held = 0;
  for (const line of r.stdout.split('\n')) {
    const m = /^(\d+)\.(\d+)\.(\d+)\.0\/24 /.exec(line);
    if (m === null) continue;
    const slot = ((Number(m[1]) << 16) | (Number(m[2]) << 8) | Number(m[3])) - (BASE_ADDRESS >>> 8);
    if (slot >= 0 && slot < n) held++;
  }
  return held;
}

/** Waits until the observer has seen all N, or the timeout, a stall, or a failure ends the run. */
function awaitFib(o: FibMeasureOptions, tester: JsonChild, observer: JsonChild, routerRunning: () => boolean, result: FibMeasurement): Promise<FibOutcome> {
  return new Promise((resolve) => {
    let first: number | undefined;
    let doneAt: number | undefined;
    let firstRoute: number | undefined;
    let held = 0;
    let lastChange = Date.now();
    const started = Date.now();

    let finished = false;
    const finish = (outcome: FibOutcome, note?: string): void => {
      if (finished) return;
      finished = true;
      clearInterval(tick);
      offT();
      offO();
      result.held = held;
      if (note !== undefined) result.note = note;
      if (first !== undefined && firstRoute !== undefined) result.firstRouteSeconds = (firstRoute - first) / 1000;
      if (outcome === 'ok' && first !== undefined && doneAt !== undefined) result.seconds = (doneAt - first) / 1000;
      resolve(outcome);
    };
    // The observer may report "done" before the parent has read the tester's "first".
    const maybeDone = (): void => {
      if (first !== undefined && doneAt !== undefined) finish('ok');
    };
    const onTester = (e: ChildEvent): void => {
      if (e.ev === 'first') {
        first = Number(e.t);
        maybeDone();
      } else if (e.ev === 'sent' && first !== undefined) result.sendSeconds = (Number(e.t) - first) / 1000;
      else if (e.ev === 'down' || e.ev === 'error' || e.ev === 'exit') finish('error', `tester: ${String(e.why ?? e.msg ?? 'exited')}`);
    };
    const onObserver = (e: ChildEvent): void => {
      if (e.ev === 'progress') {
        if (Number(e.count) !== held) lastChange = Date.now();
        held = Number(e.count);
      } else if (e.ev === 'first') {
        firstRoute = Number(e.t);
      } else if (e.ev === 'done') {
        held = o.n;
        doneAt = Number(e.t);
        if (e.viaDump === true) result.doneByDump = true;
        maybeDone();
      } else if (e.ev === 'overflow' || e.ev === 'recheck') {
        if (e.ev === 'overflow') result.overflows = (result.overflows ?? 0) + 1;
        if (Number(e.count) !== held) lastChange = Date.now();
        held = Number(e.count);
      } else if (e.ev === 'error' || e.ev === 'exit') finish('error', `observer: ${String(e.msg ?? 'exited')}`);
    };
    const offT = tester.on(onTester);
    const offO = observer.on(onObserver);
    const tick = setInterval(() => {
      const now = Date.now();
      if (!routerRunning()) finish('error');
      else if (now - started > o.timeoutMs) finish('timeout');
      else if (o.stallMs > 0 && now - lastChange > o.stallMs) finish('stalled', `no route reached the kernel for ${o.stallMs / 1000} s`);
    }, 100);
  });
}
