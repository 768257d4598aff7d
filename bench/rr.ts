// Route-reflection benchmark: `npm run bench:rr` (or `npx tsc -p tsconfig.build.json && node
// dist/bench/rr.js`), as root. For each row (N prefixes × M clients) and each implementation,
// a fresh lab of network namespaces holds the reflector under test, one tester peer that
// announces N IPv4 /24s and M route-reflector clients that count what they receive; the time
// runs from the tester's first UPDATE byte until every client holds all N. Prints one table
// with ratios to BIRD. The tester and clients are Wren-codec TypeScript processes built to be
// cheap; their CPU is printed to show they are not the bottleneck. See rr-measure.ts.
//
//   --rows 100k:4,1m:4,100k:32   rows as N:M (k = thousand, m = million)
//   --impl wren,bird,frr,gobgp   implementations to run (missing ones are reported as skipped)
//   --timeout 120                seconds per measurement, from the first UPDATE byte
//   --stall 30                   give up when no client gained a prefix for this long (0: never)
//   --settle 1000                ms between "all sessions Established" and the first UPDATE
//   --per-update 10              prefixes per tester UPDATE (one community per UPDATE)
//   --repeat 1                   run each measurement K times and keep the fastest (noisy machines)
//   --read-batch 2               ms the clients let data gather between reads (see ReadGate)
//   --gobgp-max 100k             GoBGP skips rows with more prefixes (it needs minutes at 1M)
//   --json FILE                  also write the measurements as JSON

import { writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { parseArgs } from 'node:util';
import { UsageError, count, f, human, parseImpls, ratio, renderTable } from './cli-util.js';
import { isRoot } from '../test/harness/packages.js';
import { MAX_CLIENTS, measure, type Measurement } from './rr-measure.js';
import { IMPLS, type Impl, unavailable, versionOf } from './rr-reflectors.js';

interface Row {
  n: number;
  m: number;
}

function parseRows(text: string): Row[] {
  return text.split(',').map((r) => {
    const [n, m, extra] = r.split(/[:x×]/);
    if (n === undefined || m === undefined || extra !== undefined) throw new UsageError(`row ${JSON.stringify(r)} is not N:M`);
    const row = { n: count(n), m: count(m) };
    if (row.n > 4_000_000) throw new UsageError(`row ${r}: at most 4M prefixes (32.0.0.0/24 upwards must stay below 96.0.0.0)`);
    if (row.m > MAX_CLIENTS) throw new UsageError(`row ${r}: at most ${MAX_CLIENTS} clients`);
    return row;
  });
}


function table(results: Measurement[]): string {
  const head = ['row', 'impl', 'time s', 'x BIRD', 'cpu s', 'cpu wait s', 'peak RSS MB', 'x BIRD', 'first route s', 'tester cpu s', 'clients cpu s', 'other cpu s', 'note'];
  const lines: string[][] = [head];
  for (const r of results) {
    const bird = results.find((b) => b.impl === 'bird' && b.n === r.n && b.m === r.m && b.outcome === 'ok');
    let time: string;
    let note = r.note ?? '';
    switch (r.outcome) {
      case 'ok':
        time = f(r.seconds);
        break;
      case 'timeout':
      case 'stalled':
        time = 'timeout';
        note = `held ${r.minHeld ?? 0}/${r.n}${note === '' ? '' : `; ${note}`}`;
        break;
      default:
        time = r.outcome;
    }
    if (r.stealSeconds !== undefined && r.stealSeconds >= 0.05) note = `${note}${note === '' ? '' : '; '}CPU steal ${r.stealSeconds.toFixed(2)} s`;
    if (r.sessionResets) note = `${note}${note === '' ? '' : '; '}${r.sessionResets} client session reset(s)`;
    lines.push([
      `${human(r.n)} x ${r.m}`,
      r.impl,
      time,
      r.outcome === 'ok' && r.impl !== 'bird' ? ratio(r.seconds, bird?.seconds) : '',
      f(r.cpuSeconds),
      f(r.runDelaySeconds),
      f(r.peakRssMb, 0),
      r.impl !== 'bird' ? ratio(r.peakRssMb, bird?.peakRssMb) : '',
      f(r.firstRouteSeconds, 3),
      f(r.testerCpuSeconds),
      f(r.clientsCpuSeconds),
      f(r.otherCpuSeconds),
      note,
    ]);
  }
  return renderTable(lines, (c, n) => c <= 1 || c === n - 1);
}

function header(o: { perUpdate: number; timeoutS: number; stallS: number; settleMs: number; repeat: number }, impls: Impl[]): string {
  const cpu = cpus();
  return [
    'Route-reflection benchmark (bench/rr.ts)',
    `  lab       network namespaces made for each measurement (reflector, tester, clients on one bridge), removed after it`,
    `  tester    one iBGP rr-client announcing N IPv4 /24s, ${o.perUpdate} per UPDATE, one distinct community per UPDATE`,
    `            (N/${o.perUpdate} attribute sets); UPDATEs pre-built with Wren's codec, written as fast as the socket takes them`,
    `  clients   M iBGP rr-clients in one process (M source addresses), counting prefixes straight from UPDATE bytes`,
    `  reflector iBGP AS 65000, cluster id set, tester and clients all passive rr-clients, hold time 240 s`,
    `  time      tester's first UPDATE byte -> the last client holding all N (CLOCK_MONOTONIC, shared by all processes)`,
    `  cpu       reflector utime+stime from /proc/PID/stat between the first UPDATE and the end of the measurement`,
    `  cpu wait  time the reflector's threads were runnable but waiting for a CPU (schedstat), same interval`,
    `  peak RSS  reflector VmHWM from /proc/PID/status at the end (whole life); x BIRD = ratio to BIRD on the same row`,
    `  first route: first UPDATE byte -> first prefix at any client; tester/clients cpu: their CPU over the same interval`,
    `  other cpu busy CPU of the rest of the machine (lab networking in the kernel, anything else running) over`,
    `            the same interval: when it is high the row was disturbed; --repeat K keeps the fastest of K runs`,
    `  limits    timeout ${o.timeoutS} s per measurement, or no client progress for ${o.stallS || '∞'} s; settle ${o.settleMs} ms after sessions are up; best of ${o.repeat}`,
    `  machine   ${cpu.length} x ${cpu[0]?.model ?? '?'}, Linux ${release()}`,
    ...impls.map((i) => `  ${i.padEnd(9)} ${unavailable(i) ?? versionOf(i)}`),
  ].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '100k:4,1m:4,100k:32' },
      impl: { type: 'string', default: IMPLS.join(',') },
      timeout: { type: 'string', default: '120' },
      stall: { type: 'string', default: '30' },
      settle: { type: 'string', default: '1000' },
      'per-update': { type: 'string', default: '10' },
      repeat: { type: 'string', default: '1' },
      'read-batch': { type: 'string', default: '2' },
      'gobgp-max': { type: 'string', default: '100k' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.info('usage: node dist/bench/rr.js [--rows 100k:4,1m:4,100k:32] [--impl wren,bird,frr,gobgp] [--timeout 120] [--stall 30] [--settle 1000] [--per-update 10] [--repeat 1] [--read-batch 2] [--gobgp-max 100k] [--json FILE]');
    return 0;
  }
  const rows = parseRows(values.rows);
  const impls = parseImpls(values.impl, IMPLS);
  const timeoutS = Number(values.timeout);
  const stallS = Number(values.stall);
  const settleMs = Number(values.settle);
  const perUpdate = count(values['per-update']);
  const gobgpMax = count(values['gobgp-max']);
  const repeat = count(values.repeat);
  const readBatchMs = Number(values['read-batch']);
  if (!(readBatchMs >= 0)) throw new UsageError('--read-batch must be >= 0');
  if (!(timeoutS > 0) || !(stallS >= 0) || !(settleMs >= 0)) throw new UsageError('--timeout must be > 0, --stall and --settle >= 0');
  if (!isRoot()) {
    console.error('bench:rr needs root (it creates network namespaces)');
    return 2;
  }

  console.info(header({ perUpdate, timeoutS, stallS, settleMs, repeat }, impls));
  console.info('');
  const results: Measurement[] = [];
  const log = (line: string): void => console.error(line);
  for (const row of rows) {
    for (const impl of impls) {
      const skip = unavailable(impl) ?? (impl === 'gobgp' && row.n > gobgpMax ? `more than --gobgp-max ${human(gobgpMax)} prefixes` : undefined);
      if (skip !== undefined) {
        results.push({ impl, n: row.n, m: row.m, outcome: 'skipped', note: skip });
        continue;
      }
      let best: Measurement | undefined;
      for (let k = 1; k <= repeat; k++) {
        log(`${human(row.n)} x ${row.m} ${impl}: running${repeat > 1 ? ` (${k}/${repeat})` : ''}`);
        const r = await measure({ impl, n: row.n, m: row.m, perUpdate, readBatchMs, timeoutMs: timeoutS * 1000, stallMs: stallS * 1000, settleMs }, log);
        log(`${human(row.n)} x ${row.m} ${impl}: ${r.outcome}${r.seconds === undefined ? '' : ` ${r.seconds.toFixed(2)} s`}${r.note === undefined ? '' : ` (${r.note})`}`);
        if (best === undefined || (r.outcome === 'ok' && (best.outcome !== 'ok' || r.seconds! < best.seconds!))) best = r;
        // A reflector that cannot finish once will not finish on a second try either.
        if (r.outcome !== 'ok') break;
      }
      results.push(best!);
    }
  }
  console.info(table(results));
  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
  return results.some((r) => r.outcome === 'error') ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof UsageError ? `bench:rr: ${err.message}` : err);
    process.exit(2);
  },
);
