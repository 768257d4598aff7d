// One measurement of bench/rr.ts: a fresh lab (reflector, tester and clients namespaces on one
// bridge), the reflector under test, M clients and the tester; the clock runs from the
// tester's first UPDATE byte until every client holds all N prefixes.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { run } from '../test/harness/exec.js';
import { Lab } from '../test/harness/netns.js';
import { JsonChild, type ChildEvent } from './rr-child.js';
import type { ClientsArgs } from './rr-clients.js';
import { machineBusySeconds, sampleProcess, stealSeconds, type ProcSample } from './rr-proc.js';
import { startReflector, type Impl } from './rr-reflectors.js';
import type { TesterArgs } from './rr-tester.js';

export interface MeasureOptions {
  impl: Impl;
  n: number;
  m: number;
  perUpdate: number;
  /** Give up this long after the first UPDATE byte. */
  timeoutMs: number;
  /** Tick of the clients' read gate, ms (see ReadGate in rr-speaker.ts; 0: read as data arrives). */
  readBatchMs: number;
  /** Give up when no client's count changed for this long (0: never). */
  stallMs: number;
  /** Pause between "every session Established" and the first UPDATE. */
  settleMs: number;
}

export type Outcome = 'ok' | 'timeout' | 'stalled' | 'error' | 'skipped';

export interface Measurement {
  impl: Impl;
  n: number;
  m: number;
  outcome: Outcome;
  /** First UPDATE byte → last client complete, seconds (outcome ok). */
  seconds?: number;
  /** First UPDATE byte → first benchmark prefix at any client, seconds. */
  firstRouteSeconds?: number;
  /** First → last UPDATE byte handed to the tester's kernel, seconds. */
  sendSeconds?: number;
  /** Reflector CPU seconds between the first UPDATE and the end of the measurement. */
  cpuSeconds?: number;
  /** Reflector CPU seconds over its whole life (startup and session setup included). */
  cpuTotalSeconds?: number;
  peakRssMb?: number;
  /** Reflector threads runnable but not running (waiting for a CPU) over the same interval. */
  runDelaySeconds?: number;
  /** Machine-wide CPU steal (hypervisor) over the same interval. */
  stealSeconds?: number;
  /**
   * CPU the rest of the machine used over the same interval: busy time from /proc/stat minus
   * reflector, tester and clients (kernel networking of the lab, and anything else running).
   */
  otherCpuSeconds?: number;
  testerCpuSeconds?: number;
  clientsCpuSeconds?: number;
  /** Fewest prefixes any client held at the end. */
  minHeld?: number;
  sessionResets?: number;
  note?: string;
}

const ASN = 65000;
const HOLD_TIME = 240;
/** 32.0.0.0: the benchmark prefixes are 32.0.0.0/24, 32.0.1.0/24, … (1M of them end below 48.0.0.0). */
export const BASE_ADDRESS = 0x20000000;
const RR = '10.77.0.1';
const TESTER = '10.77.0.2';
const CLIENT_HOST = '10.77.0.3';
/** Client k speaks from 10.77.0.(10 + k). */
export const MAX_CLIENTS = 240;
const SETUP_MS = 60_000;

const here = dirname(fileURLToPath(import.meta.url));

function cpuDelta(a: ProcSample, b: ProcSample): number | undefined {
  return a.cpuSeconds === undefined || b.cpuSeconds === undefined ? undefined : b.cpuSeconds - a.cpuSeconds;
}

export async function measure(o: MeasureOptions, log: (line: string) => void): Promise<Measurement> {
  const result: Measurement = { impl: o.impl, n: o.n, m: o.m, outcome: 'error' };
  const lab = new Lab('rb');
  try {
    const sw = await lab.addSwitch();
    const [rrHost, tstHost, cliHost] = await Promise.all([
      lab.addHost('rr', { ipv4: `${RR}/24`, ipv6: false, switch: sw }),
      lab.addHost('tst', { ipv4: `${TESTER}/24`, ipv6: false, switch: sw }),
      lab.addHost('cli', { ipv4: `${CLIENT_HOST}/24`, ipv6: false, switch: sw }),
    ]);
    const locals = Array.from({ length: o.m }, (_, k) => `10.77.0.${10 + k}`);
    // All clients share one namespace and one veth: the reflector still sees M peers.
    const batch = locals.map((a) => `addr add ${a}/24 dev eth0`).join('\n');
    await run('ip', ['-n', cliHost.ns, '-batch', '-'], { input: `${batch}\n` });

    const reflector = await startReflector(o.impl, lab, rrHost, {
      asn: ASN,
      routerId: RR,
      clusterId: RR,
      address: RR,
      peers: [TESTER, ...locals],
      holdTime: HOLD_TIME,
    });
    const rrPid = reflector.daemon.pid;

    const clientsArgs: ClientsArgs = { remote: RR, port: 179, asn: ASN, locals, n: o.n, baseAddress: BASE_ADDRESS, holdTime: HOLD_TIME, setupMs: SETUP_MS, readBatchMs: o.readBatchMs };
    const clients = new JsonChild(lab, cliHost.ns, join(here, 'rr-clients.js'), clientsArgs, 'clients', lab.path('clients.stderr.log'));
    const testerArgs: TesterArgs = {
      local: TESTER,
      remote: RR,
      port: 179,
      asn: ASN,
      n: o.n,
      baseAddress: BASE_ADDRESS,
      perUpdate: o.perUpdate,
      holdTime: HOLD_TIME,
      setupMs: SETUP_MS,
    };
    const tester = new JsonChild(lab, tstHost.ns, join(here, 'rr-tester.js'), testerArgs, 'tester', lab.path('tester.stderr.log'));

    // Sessions up: all M clients' (the predicate sees every event once, past ones first).
    let ups = 0;
    await clients.waitFor((e) => e.ev === 'up' && ++ups >= o.m, `${o.m} sessions Established`, SETUP_MS);
    const built = await tester.waitFor((e) => e.ev === 'built', 'UPDATEs built', SETUP_MS);
    await tester.waitFor((e) => e.ev === 'up', 'session Established', SETUP_MS);
    reflector.daemon.assertRunning();
    log(`  ${o.impl} ${o.n}x${o.m}: ${o.m + 1} sessions up, ${String(built.updates)} UPDATEs (${(Number(built.bytes) / 1e6).toFixed(1)} MB) ready`);
    await delay(o.settleMs);

    const before = { rr: sampleProcess(rrPid), tester: sampleProcess(tester.pid), clients: sampleProcess(clients.pid), steal: stealSeconds(), busy: machineBusySeconds() };
    tester.send('go');
    const outcome = await awaitCompletion(o, tester, clients, () => reflector.daemon.running, result);
    const after = { rr: sampleProcess(rrPid), tester: sampleProcess(tester.pid), clients: sampleProcess(clients.pid), steal: stealSeconds(), busy: machineBusySeconds() };

    result.outcome = outcome;
    const cpu = cpuDelta(before.rr, after.rr);
    if (cpu !== undefined) result.cpuSeconds = cpu;
    if (after.rr.cpuSeconds !== undefined) result.cpuTotalSeconds = after.rr.cpuSeconds;
    if (after.rr.peakRssMb !== undefined) result.peakRssMb = after.rr.peakRssMb;
    if (before.rr.runDelaySeconds !== undefined && after.rr.runDelaySeconds !== undefined) {
      result.runDelaySeconds = after.rr.runDelaySeconds - before.rr.runDelaySeconds;
    }
    result.stealSeconds = after.steal - before.steal;
    const tc = cpuDelta(before.tester, after.tester);
    if (tc !== undefined) result.testerCpuSeconds = tc;
    const cc = cpuDelta(before.clients, after.clients);
    if (cc !== undefined) result.clientsCpuSeconds = cc;
    if (cpu !== undefined && tc !== undefined && cc !== undefined) result.otherCpuSeconds = Math.max(0, after.busy - before.busy - cpu - tc - cc);
    if (!reflector.daemon.running) result.note = `${o.impl} exited: ${reflector.daemon.logTail(5).trim().split('\n').pop() ?? ''}`;
  } catch (err) {
    result.outcome = 'error';
    result.note = (err instanceof Error ? err.message : String(err)).split('\n').slice(0, 6).join(' | ');
    log(`  ${o.impl} ${o.n}x${o.m}: error: ${err instanceof Error ? err.message : String(err)}\n${lab.logTails(10)}`);
  } finally {
    await lab.cleanup().catch((err: unknown) => log(`  lab cleanup: ${err instanceof Error ? err.message : String(err)}`));
  }
  return result;
}

/** Waits until every client is complete, or the timeout, a stall, or a failure ends the run. */
function awaitCompletion(o: MeasureOptions, tester: JsonChild, clients: JsonChild, reflectorRunning: () => boolean, result: Measurement): Promise<Outcome> {
  return new Promise((resolve) => {
    let first: number | undefined;
    let firstRoute: number | undefined;
    const doneAt = new Map<number, number>();
    let counts: number[] = new Array<number>(o.m).fill(0);
    let lastChange = Date.now();
    let resets = 0;
    const started = Date.now();

    let finished = false;
    const finish = (outcome: Outcome, note?: string): void => {
      if (finished) return;
      finished = true;
      clearInterval(tick);
      offT();
      offC();
      result.minHeld = Math.min(...counts);
      if (resets > 0) result.sessionResets = resets;
      if (note !== undefined) result.note = note;
      if (first !== undefined && firstRoute !== undefined) result.firstRouteSeconds = (firstRoute - first) / 1000;
      if (outcome === 'ok' && first !== undefined) result.seconds = (Math.max(...doneAt.values()) - first) / 1000;
      resolve(outcome);
    };
    const onTester = (e: ChildEvent): void => {
      if (e.ev === 'first') first = Number(e.t);
      else if (e.ev === 'sent' && first !== undefined) result.sendSeconds = (Number(e.t) - first) / 1000;
      else if (e.ev === 'down' || e.ev === 'error' || e.ev === 'exit') finish('error', `tester: ${String(e.why ?? e.msg ?? 'exited')}`);
    };
    const onClients = (e: ChildEvent): void => {
      if (e.ev === 'progress' && Array.isArray(e.counts)) {
        counts = e.counts.map(Number);
        lastChange = Date.now();
      } else if (e.ev === 'done') {
        counts[Number(e.i)] = o.n;
        doneAt.set(Number(e.i), Number(e.t));
        if (typeof e.first === 'number' && (firstRoute === undefined || e.first < firstRoute)) firstRoute = e.first;
        if (doneAt.size === o.m) finish('ok');
      } else if (e.ev === 'down') {
        resets++;
        doneAt.delete(Number(e.i));
      } else if (e.ev === 'error' || e.ev === 'exit') finish('error', `clients: ${String(e.msg ?? 'exited')}`);
    };
    const offT = tester.on(onTester);
    const offC = clients.on(onClients);
    const tick = setInterval(() => {
      const now = Date.now();
      if (!reflectorRunning()) finish('error');
      else if (now - started > o.timeoutMs) finish('timeout');
      else if (o.stallMs > 0 && now - lastChange > o.stallMs) finish('stalled', `no client progress for ${o.stallMs / 1000} s`);
    }, 100);
  });
}
