// FIB-programming benchmark: `npm run bench:fib` (or `npx tsc -p tsconfig.build.json && node
// dist/bench/fib.js`), as root. For each implementation a fresh lab of network namespaces
// holds the router under test and one eBGP tester peer on a shared bridge; the tester announces
// N IPv4 /24s and the time runs from its first UPDATE byte until all N are in the router
// namespace's kernel table, as seen by a small observer process subscribed to rtnetlink route
// notifications there. Prints one table with ratios to BIRD. See fib-measure.ts.
//
//   --n 100000                   prefixes announced (k and m suffixes accepted)
//   --impl wren,wren-worker,bird,frr  implementations to run (missing ones are reported as skipped);
//                                wren-worker is Wren with kernel.writer: worker
//   --repeat 1                   run each K times and keep the fastest (noisy machines)
//   --timeout 60                 seconds per measurement, from the first UPDATE byte
//   --stall 15                   give up when no route reached the kernel for this long (0: never)
//   --settle 1000                ms between "session Established" and the first UPDATE
//   --per-update 10              prefixes per tester UPDATE (one community per UPDATE)
//   --observer-rmem 64           MiB the observer's socket may ask for (net.core.rmem_max raised to it
//                                while the benchmark runs; the kernel doubles it; 0: leave rmem_max)
//   --observer native            native: fib-observer.c, built with cc at start (falls back to node,
//                                saying so, when it cannot be built); node: fib-observer.ts
//   --json FILE                  also write the measurements as JSON

import { writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { parseArgs } from 'node:util';
import { UsageError, count, f, human, parseImpls, ratio, renderTable } from './cli-util.js';
import { isRoot } from '../test/harness/packages.js';
import { measureFib, type FibMeasurement, type ObserverChoice } from './fib-measure.js';
import { buildNativeObserver } from './fib-observer-native.js';
import { raiseRmemMax } from './fib-rmem.js';
import { FIB_IMPLS, KERNEL_PROTOCOL, type FibImpl } from './fib-routers.js';
import { unavailable, versionOf } from './rr-reflectors.js';

/** Wren's target from issue 4: at most this fraction of BIRD's time. */
const TARGET_VS_BIRD = 0.8;


function fibTable(results: FibMeasurement[]): string {
  const head = ['impl', 'time s', 'x BIRD', 'cpu s', 'x BIRD', 'peak RSS MB', 'x BIRD', 'first route s', 'cpu wait s', 'observer cpu s', 'tester cpu s', 'other cpu s', 'note'];
  const lines: string[][] = [head];
  const bird = results.find((b) => b.impl === 'bird' && b.outcome === 'ok');
  for (const r of results) {
    let time: string;
    let note = r.note ?? '';
    const add = (s: string): void => {
      note = `${note}${note === '' ? '' : '; '}${s}`;
    };
    switch (r.outcome) {
      case 'ok':
        time = f(r.seconds);
        break;
      case 'timeout':
      case 'stalled':
        time = 'timeout';
        note = `held ${r.held ?? 0}/${r.n}${note === '' ? '' : `; ${note}`}`;
        break;
      default:
        time = r.outcome;
    }
    if (r.kernelHeld !== undefined && r.kernelHeld !== r.held) add(`ip route counts ${r.kernelHeld}/${r.n}`);
    if (r.overflows) add(`observer overflowed ${r.overflows}x, repaired by dumps${r.doneByDump ? ': time late by up to one dump' : ''}`);
    if (r.stealSeconds !== undefined && r.stealSeconds >= 0.05) add(`CPU steal ${r.stealSeconds.toFixed(2)} s`);
    const other = r.impl !== 'bird';
    lines.push([
      r.impl,
      time,
      r.outcome === 'ok' && other ? ratio(r.seconds, bird?.seconds) : '',
      f(r.cpuSeconds),
      r.outcome === 'ok' && other ? ratio(r.cpuSeconds, bird?.cpuSeconds) : '',
      f(r.peakRssMb, 0),
      other ? ratio(r.peakRssMb, bird?.peakRssMb) : '',
      f(r.firstRouteSeconds, 3),
      f(r.runDelaySeconds),
      f(r.observerCpuSeconds),
      f(r.testerCpuSeconds),
      f(r.otherCpuSeconds),
      note,
    ]);
  }
  return renderTable(lines, (c, n) => c === 0 || c === n - 1);
}

/** The program behind an implementation name (wren-worker is Wren configured otherwise). */
function program(impl: FibImpl): Exclude<FibImpl, 'wren-worker'> {
  return impl === 'wren-worker' ? 'wren' : impl;
}

/** One line on Wren (as configured by default, or `impl`) against the issue's target, when both it and BIRD finished. */
function verdict(results: FibMeasurement[], impl: FibImpl = 'wren'): string | undefined {
  const wren = results.find((r) => r.impl === impl);
  const bird = results.find((r) => r.impl === 'bird' && r.outcome === 'ok');
  if (wren === undefined || bird?.seconds === undefined) return undefined;
  if (wren.outcome !== 'ok' || wren.seconds === undefined) return `target: Wren <= ${TARGET_VS_BIRD}x BIRD's time (${(bird.seconds * TARGET_VS_BIRD).toFixed(2)} s): NOT MET (Wren ${wren.outcome})`;
  const x = wren.seconds / bird.seconds;
  return `target: ${impl} <= ${TARGET_VS_BIRD}x BIRD's time (${(bird.seconds * TARGET_VS_BIRD).toFixed(2)} s): ${x <= TARGET_VS_BIRD ? 'met' : 'NOT MET'} (${x.toFixed(2)}x)`;
}

function header(o: { n: number; perUpdate: number; timeoutS: number; stallS: number; settleMs: number; repeat: number; rmem: number; observer: string }, impls: FibImpl[]): string {
  const cpu = cpus();
  return [
    'FIB-programming benchmark (bench/fib.ts)',
    `  lab       network namespaces made for each measurement (router under test and tester on one bridge), removed after it`,
    `  tester    eBGP peer (AS 65001) announcing N = ${human(o.n)} IPv4 /24s, ${o.perUpdate} per UPDATE, one distinct community per UPDATE,`,
    `            next hop = its own address on the shared subnet; UPDATEs pre-built with Wren's codec, written as fast as the socket takes them`,
    `  router    AS 65000, one passive eBGP session (hold time 240 s), every best route installed into the main kernel table:`,
    `            wren  kernel: { enabled: true }  (proto ${KERNEL_PROTOCOL.wren}; writes from the main thread, a worker from the first burst)`,
    `            wren-worker  kernel: { enabled: true, writer: worker }  (a worker thread from the start)`,
    `            bird  protocol kernel { ipv4 { export where source = RTS_BGP; }; merge paths on; }, BGP session with direct;  (proto bird = ${KERNEL_PROTOCOL.bird})`,
    `            frr   bgpd + zebra, routes installed by zebra  (proto bgp = ${KERNEL_PROTOCOL.frr})`,
    `  time      tester's first UPDATE byte -> all N /24s in the router namespace's kernel, seen by an observer process there`,
    `            counting RTM_NEWROUTE notifications (RTNLGRP_IPV4_ROUTE) with the router's protocol (CLOCK_MONOTONIC, shared);`,
    `            its socket buffer is ${(o.rmem / 2 ** 20).toFixed(0)} MiB x 2 (net.core.rmem_max, raised while the benchmark runs); should it`,
    `            overflow anyway, the count is repaired from table dumps and the note says so`,
    `  observer  ${o.observer}`,
    `  cpu       router utime+stime (/proc/PID/stat; FRR: bgpd + zebra) between the first UPDATE and the end of the measurement`,
    `  cpu wait  time the router's threads were runnable but waiting for a CPU (schedstat), same interval`,
    `  peak RSS  router VmHWM (/proc/PID/status) at the end, whole life (FRR: bgpd's + zebra's); x BIRD = ratio to BIRD`,
    `  first route: first UPDATE byte -> first route in the kernel; observer/tester cpu: their CPU over the same interval;`,
    `            other cpu: busy CPU of the rest of the machine (kernel work of the lab, anything else) over the same interval`,
    `  limits    timeout ${o.timeoutS} s per measurement, or no new kernel route for ${o.stallS || '∞'} s; settle ${o.settleMs} ms after the session is up; best of ${o.repeat}`,
    `  target    Wren <= ${TARGET_VS_BIRD}x BIRD's time (issue 4)`,
    `  machine   ${cpu.length} x ${cpu[0]?.model ?? '?'}, Linux ${release()}`,
    ...impls.map((i) => `  ${i.padEnd(9)} ${unavailable(program(i)) ?? versionOf(program(i))}`),
  ].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '100000' },
      impl: { type: 'string', default: FIB_IMPLS.join(',') },
      repeat: { type: 'string', default: '1' },
      timeout: { type: 'string', default: '60' },
      stall: { type: 'string', default: '15' },
      settle: { type: 'string', default: '1000' },
      'per-update': { type: 'string', default: '10' },
      'observer-rmem': { type: 'string', default: '64' },
      observer: { type: 'string', default: 'native' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.info('usage: node dist/bench/fib.js [--n 100000] [--impl wren,wren-worker,bird,frr] [--repeat 1] [--timeout 60] [--stall 15] [--settle 1000] [--per-update 10] [--observer-rmem 64] [--observer native|node] [--json FILE]');
    return 0;
  }
  const n = count(values.n);
  if (n > 4_000_000) throw new UsageError('--n: at most 4M prefixes (32.0.0.0/24 upwards must stay below 96.0.0.0)');
  const impls = parseImpls(values.impl, FIB_IMPLS);
  const repeat = count(values.repeat);
  const timeoutS = Number(values.timeout);
  const stallS = Number(values.stall);
  const settleMs = Number(values.settle);
  const perUpdate = count(values['per-update']);
  const rmemMb = Number(values['observer-rmem']);
  if (!(timeoutS > 0) || !(stallS >= 0) || !(settleMs >= 0) || !(rmemMb >= 0)) throw new UsageError('--timeout must be > 0, --stall, --settle and --observer-rmem >= 0');
  if (values.observer !== 'native' && values.observer !== 'node') throw new UsageError(`--observer: native or node, not ${values.observer}`);
  if (!isRoot()) {
    console.error('bench:fib needs root (it creates network namespaces)');
    return 2;
  }

  // See fib-rmem.ts: the observer must not be the one that cannot keep up.
  const rmem = raiseRmemMax(Math.round(rmemMb * 2 ** 20));
  // The native observer costs the machine a sixth of the Node one's CPU (fib-observer.c).
  let observer: ObserverChoice = { kind: 'node' };
  let observerText = 'node: bench/fib-observer.ts (one recvmsg and one JavaScript callback per notification, ~7 µs each)';
  if (values.observer === 'native') {
    const built = buildNativeObserver();
    if ('binary' in built) {
      process.on('exit', built.cleanup);
      observer = { kind: 'native', binary: built.binary };
      observerText = 'native: bench/fib-observer.c (recvmmsg, 64 notifications a call; polls every 1 ms instead of blocking, so the router pays no wake-ups)';
    } else {
      observerText = `node (native not available: ${built.reason})`;
    }
  }
  console.info(header({ n, perUpdate, timeoutS, stallS, settleMs, repeat, rmem, observer: observerText }, impls));
  console.info('');
  const results: FibMeasurement[] = [];
  const log = (line: string): void => console.error(line);
  for (const impl of impls) {
    const skip = unavailable(program(impl));
    if (skip !== undefined) {
      results.push({ impl, n, outcome: 'skipped', note: skip });
      continue;
    }
    let best: FibMeasurement | undefined;
    for (let k = 1; k <= repeat; k++) {
      log(`${impl} ${human(n)}: running${repeat > 1 ? ` (${k}/${repeat})` : ''}`);
      const r = await measureFib({ impl, n, observer, perUpdate, timeoutMs: timeoutS * 1000, stallMs: stallS * 1000, settleMs }, log);
      log(`${impl} ${human(n)}: ${r.outcome}${r.seconds === undefined ? '' : ` ${r.seconds.toFixed(2)} s`}${r.outcome === 'ok' ? '' : ` (held ${r.held ?? 0}/${n})`}${r.note === undefined ? '' : ` (${r.note})`}`);
      if (best === undefined || (r.outcome === 'ok' && (best.outcome !== 'ok' || r.seconds! < best.seconds!))) best = r;
      // A router that cannot finish once will not finish on a second try either.
      if (r.outcome !== 'ok') break;
    }
    results.push(best!);
  }
  console.info(fibTable(results));
  for (const impl of ['wren', 'wren-worker'] as const) {
    const v = verdict(results, impl);
    if (v !== undefined) console.info(`${impl === 'wren' ? '\n' : ''}${v}`);
  }
  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
  return results.some((r) => r.outcome === 'error') ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof UsageError ? `bench:fib: ${err.message}` : err);
    process.exit(2);
  },
);
