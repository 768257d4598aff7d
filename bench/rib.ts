// RIB throughput and memory: `npx tsc -p tsconfig.build.json && node --expose-gc dist/bench/rib.js`
// (optionally `--prefixes N`). One iBGP source announces N IPv4 /24s, 10 per UPDATE, with
// N/10 distinct attribute sets (one community per UPDATE), through Rib.applyUpdate — the shape
// of the reflector benchmark (`bench:rr`). Each UPDATE's attributes are a fresh object, as the
// decoder returns them when its cache misses, so interning does real work.
//
// Phases: generate-only (the cost of building the messages, subtracted), announce (array
// result), retained memory, re-announce of everything with new attributes (implicit withdraw
// everywhere), announce with a sink callback instead of arrays, GR markStale + sweep, and
// withdrawSource. Targets (issue 3): the RIB's share of the 1M reflect well under 1 s and
// ~120 MB.
import { performance } from 'node:perf_hooks';
import { Rib } from '../src/rib/rib.js';
import type { BestChange } from '../src/rib/loc-rib.js';
import type { PathSource } from '../src/rib/types.js';
import type { PathAttributes, UpdateMessage } from '../src/wire/types.js';

const argIdx = process.argv.indexOf('--prefixes');
const PREFIXES = argIdx > 0 ? Number(process.argv[argIdx + 1]) : 1_000_000;
const PER_UPDATE = 10;
const UPDATES = Math.ceil(PREFIXES / PER_UPDATE);

const source: PathSource = { id: 1, address: '192.0.2.1', addressKey: 0xc0000201, bgpId: 0xc0000201, asn: 65000, kind: 'ibgp', rrClient: true };

const gc = (globalThis as { gc?: () => void }).gc;
function collect(): void {
  if (gc) {
    gc();
    gc();
  }
}

const mb = (n: number): string => (n / 1048576).toFixed(1);

function heap(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** The u-th UPDATE; `variant` changes every attribute set (for the re-announce phase). */
function makeUpdate(u: number, variant: number): UpdateMessage {
  const prefixes: number[] = [];
  const first = 0x10000000 + u * PER_UPDATE * 256; // 16.0.0.0 onwards, /24 steps
  for (let i = 0; i < PER_UPDATE; i++) prefixes.push((first + i * 256) * 64 + 24);
  const attrs: PathAttributes = {
    origin: 0,
    asPath: [{ type: 2, asns: [65001, 65002, 65003] }],
    nextHop: 0xc0000201,
    med: 100 + variant,
    communities: [((65000 + (u >>> 16)) * 65536 + (u & 0xffff)) >>> 0],
  };
  return { kind: 'update', withdrawn: { family: 'ipv4-unicast', prefixes: [] }, attrs, nlri: { family: 'ipv4-unicast', prefixes }, treatAsWithdraw: false, attributeErrors: [] };
}

/** Wall time (returned) and CPU time of the process (includes V8's parallel GC threads). */
function time(label: string, fn: () => number, extra = ''): number {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const n = fn();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(`${label.padEnd(36)} ${ms.toFixed(0).padStart(5)} ms wall ${cpuMs.toFixed(0).padStart(5)} ms cpu ${String(n).padStart(8)} ${extra || 'changes'}`);
  return ms;
}

function main(): void {
  if (!gc) console.log('(run with --expose-gc for retained-memory figures)');
  console.log(`RIB bench: ${PREFIXES} IPv4 prefixes, ${PER_UPDATE} per UPDATE, ${UPDATES} attribute sets, one source\n`);

  // Warm the code paths on a small table so the timings below are of optimized code.
  {
    const w = new Rib();
    for (let u = 0; u < 2000; u++) w.applyUpdate(source, makeUpdate(u, 0));
    for (let u = 0; u < 2000; u++) w.applyUpdate(source, makeUpdate(u, 1));
    w.markStale(source.id);
    w.sweepStale(source.id);
  }
  collect();

  let genMs = 0;
  {
    let n = 0;
    genMs = time('generate messages only', () => {
      for (let u = 0; u < UPDATES; u++) n += makeUpdate(u, 0).nlri.prefixes.length;
      return 0;
    });
    void n;
  }
  collect();
  const before = heap();

  const rib = new Rib();
  let changes = 0;
  const announceMs = time('announce (applyUpdate → arrays)', () => {
    for (let u = 0; u < UPDATES; u++) changes += rib.applyUpdate(source, makeUpdate(u, 0)).length;
    return changes;
  });
  collect();
  const retained = heap() - before;
  console.log(`  → RIB work ≈ ${(announceMs - genMs).toFixed(0)} ms (${((PREFIXES / (announceMs - genMs)) * 1000 / 1e6).toFixed(2)} M prefixes/s after subtracting generation)`);
  console.log(`  → retained: ${mb(retained)} MB for ${rib.prefixCount} prefixes, ${rib.pathCount} paths, ${rib.interner.size} attribute sets (${(retained / rib.prefixCount).toFixed(0)} B/prefix)\n`);

  time('re-announce, new attrs (implicit wd)', () => {
    let c = 0;
    for (let u = 0; u < UPDATES; u++) c += rib.applyUpdate(source, makeUpdate(u, 1)).length;
    return c;
  });
  collect();
  console.log(`  → interner after re-announce + auto sweeps: ${rib.interner.size} sets (${rib.interner.sweeps} sweeps); heap ${mb(heap() - before)} MB`);
  const swept = rib.interner.sweep();
  collect();
  console.log(`  → explicit sweep dropped ${swept}; ${rib.interner.size} sets; heap ${mb(heap() - before)} MB\n`);

  time('markStale (GR)', () => rib.markStale(source.id), '(paths marked)');
  time('re-announce half (refresh stale)', () => {
    let c = 0;
    for (let u = 0; u < UPDATES / 2; u++) c += rib.applyUpdate(source, makeUpdate(u, 1)).length;
    return c;
  });
  let sunk = 0;
  const sink = (c: BestChange): void => {
    if (c.best === null) sunk++;
  };
  time('sweepStale (End-of-RIB, sink)', () => {
    rib.sweepStale(source.id, 'ipv4-unicast', sink);
    return sunk;
  });
  time('recomputeAll', () => rib.recomputeAll().length);
  time('withdrawSource (sink)', () => {
    let c = 0;
    rib.withdrawSource(source.id, () => c++);
    return c;
  });
  console.log(`  → after withdrawSource: ${rib.prefixCount} prefixes, ${rib.pathCount} paths\n`);

  collect();
  const rib2 = new Rib();
  const before2 = heap();
  let c2 = 0;
  const sinkMs = time('announce (applyUpdate → sink)', () => {
    const s = (): void => void c2++;
    for (let u = 0; u < UPDATES; u++) rib2.applyUpdate(source, makeUpdate(u, 0), undefined, s);
    return c2;
  });
  console.log(`  → RIB work ≈ ${(sinkMs - genMs).toFixed(0)} ms`);
  collect();
  console.log(`  → retained ${mb(heap() - before2)} MB\n`);

  const lookups = time('lookup every prefix (get best)', () => {
    let found = 0;
    for (let u = 0; u < UPDATES; u++) {
      const first = 0x10000000 + u * PER_UPDATE * 256;
      for (let i = 0; i < PER_UPDATE; i++) if (rib2.v4.get((first + i * 256) * 64 + 24)?.best) found++;
    }
    return found;
  });
  void lookups;

  const ru = process.resourceUsage();
  const m = process.memoryUsage();
  console.log(`\npeak RSS ${(ru.maxRSS / 1024).toFixed(0)} MB; now rss ${mb(m.rss)} MB, heapUsed ${mb(m.heapUsed)} MB, arrayBuffers ${mb(m.arrayBuffers)} MB`);
}

main();
