// One full GC once a daemon is quiet after a burst (src/daemon/idle-gc.ts): when the decision
// fires, and a real Node process running the built module: after a burst of allocation it
// collects and its resident memory falls. bench:cluster measures it on reflectors.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AfterBurst, type IdleGcResult } from '../../src/daemon/idle-gc.js';
import { run } from '../harness/exec.js';

describe('when to collect', () => {
  const MB = 1024;
  /** intervals as [busy, heap MB]; returns the indexes that collect */
  const run = (intervals: [boolean, number][], startMb = 10): number[] => {
    const d = new AfterBurst(startMb * MB, 8 * MB);
    return intervals.flatMap(([busy, heap], i) => {
      if (!d.next(busy, heap * MB)) return [];
      d.collected(startMb * MB);
      return [i];
    });
  };

  it('never while quiet, however large the heap', () => {
    expect(run([[false, 10], [false, 30], [false, 30]])).toEqual([]);
  });

  it('once, in the first quiet interval after a burst that grew the heap, however long the burst', () => {
    expect(run([[true, 20], [false, 20], [false, 20]])).toEqual([1]);
    expect(run([[true, 12], [true, 20], [true, 30], [true, 40], [false, 40], [false, 40]])).toEqual([4]);
  });

  it('not after a burst that left the heap less than 8 MB above its low point', () => {
    expect(run([[true, 17], [false, 17], [true, 14], [false, 14]])).toEqual([]);
    // V8 shrank the heap on its own to 6 MB: growth is measured from there.
    expect(run([[false, 6], [true, 15], [false, 15]])).toEqual([2]);
  });

  it('after a burst of half a CPU-second or more, whatever the heap did', () => {
    /** intervals as [busy, heap MB, CPU ms] */
    const runCpu = (intervals: [boolean, number, number][]): number[] => {
      const d = new AfterBurst(10 * MB, 8 * MB, 500);
      return intervals.flatMap(([busy, heap, cpu], i) => {
        if (!d.next(busy, heap * MB, cpu)) return [];
        d.collected(10 * MB);
        return [i];
      });
    };
    // 200 sessions re-forming on a reflector: 1.4 CPU-s over two intervals, heap up 5 MB.
    expect(runCpu([[true, 14, 900], [true, 15, 500], [false, 15, 20]])).toEqual([2]);
    // A node agent's session bursts: 120 ms each, heap up 3 MB: never.
    expect(runCpu([[true, 13, 120], [false, 13, 5], [true, 13, 120], [false, 13, 5]])).toEqual([]);
    // CPU counts per burst, not summed across the quiet intervals between bursts.
    expect(runCpu([[true, 11, 300], [false, 11, 5], [true, 11, 300], [false, 11, 5]])).toEqual([]);
  });

  it('with two quiet intervals to end a burst, a pause of one does not split it', () => {
    const d = new AfterBurst(10 * MB, 8 * MB, 500, 2);
    // 200 clients in two waves of 300 ms of CPU each, one quiet interval between them
    const seen = ([[true, 12, 300], [false, 12, 5], [true, 13, 300], [false, 13, 5], [false, 13, 5], [false, 13, 5]] as const).map(([busy, heap, cpu]) =>
      d.next(busy, heap * MB, cpu),
    );
    expect(seen).toEqual([false, false, false, false, true, false]);
    // two quiet intervals apart, they are two bursts, each too small
    const e = new AfterBurst(10 * MB, 8 * MB, 500, 2);
    const apart = ([[true, 12, 300], [false, 12, 5], [false, 12, 5], [true, 13, 300], [false, 13, 5], [false, 13, 5]] as const).map(([busy, heap, cpu]) =>
      e.next(busy, heap * MB, cpu),
    );
    expect(apart).toEqual([false, false, false, false, false, false]);
  });

  it('keeps a burst pending while the heap is too large to collect, and collects once it is not', () => {
    const d = new AfterBurst(10 * MB, 8 * MB, 500);
    expect(d.next(true, 60 * MB, 900)).toBe(false);
    // quiet, due, but the old generation is over the cap: not now, and not forgotten
    expect(d.next(false, 60 * MB, 5, false)).toBe(false);
    expect(d.next(false, 60 * MB, 5, false)).toBe(false);
    expect(d.next(false, 55 * MB, 5, true)).toBe(true);
    d.collected(20 * MB);
    expect(d.next(false, 20 * MB, 5, true)).toBe(false);
  });

  it('again after each later burst that grew the heap', () => {
    expect(run([[true, 20], [false, 20], [false, 10], [true, 19], [false, 19], [true, 25], [true, 25], [false, 25]])).toEqual([1, 4, 7]);
  });
});

const ROOT_DIR = resolve(import.meta.dirname, '../..');
const MODULE = pathToFileURL(join(ROOT_DIR, 'dist/src/daemon/idle-gc.js')).href;

/**
 * A Node process that allocates for 1.5 s, drops it all, and reports what the idle GC did. The
 * heap such a burst leaves is 22-83 MB depending on where V8's own collections fall, garbage
 * included, so the daemon's cap (64 MB of old generation in use, for pauses) is lifted here.
 */
const CHILD = `
import { startIdleGc } from ${JSON.stringify(MODULE)};
const stop = startIdleGc({ intervalMs: 1000, maxHeapMb: 1024, onCollected: (r) => { console.log(JSON.stringify(r)); stop(); process.exit(0); } });
let keep = [];
const t0 = Date.now();
while (Date.now() - t0 < 1500) {
  const a = [];
  for (let i = 0; i < 20000; i++) a.push({ i, s: 'x' + i });
  keep.push(a);
  if (keep.length > 8) keep.shift();
}
keep = null;
setTimeout(() => { console.log('no collection'); process.exit(1); }, 10000);
`;

describe.runIf(process.platform === 'linux')('a process after a burst', () => {
  it('collects once it is quiet and hands the garbage back to the system', async () => {
    const out = await run(process.execPath, ['--max-semi-space-size=1', '--input-type=module', '-e', CHILD], { timeoutMs: 20_000 });
    const r = JSON.parse(out.stdout.trim()) as IdleGcResult;
    expect(r.heapAfterKb).toBeLessThan(r.heapBeforeKb - 10 * 1024);
    expect(r.anonAfterKb).toBeLessThan(r.anonBeforeKb - 10 * 1024);
    expect(typeof r.trimmed).toBe('boolean');
    // The file pages the burst touched went too (the native helper is built by npm run build).
    expect(r.filePagesKb).toBeGreaterThan(1024);
  });
});
