// One full garbage collection when the daemon falls quiet after a burst of work.
//
// A burst (a mesh forming, a reflector's clients connecting, a full table arriving) grows V8's
// heap, and the garbage it leaves stays resident until V8's memory reducer notices that
// allocation has been low. Node gives that reducer no idle hints, and here it took 10 to 30 s
// and more (a reflector of 200 clients held 55.6 MB of anonymous memory for 25 s, then 24.3).
// Browsers collect in idle time; a daemon knows when it is idle from its own CPU use. So every
// interval the daemon looks at the CPU it used: after an interval busier than `busyShare`, the
// second quiet one in a row runs one full GC if the burst left the heap 8 MB larger or used
// 200 ms of CPU, V8 returns the freed pages to the system, and glibc's malloc arenas are
// trimmed (native/wren_mem.c). The file pages the burst touched (the optimising compiler's
// code, say) are dropped from the page tables as start-up's were (startup-pages.ts): a
// reflector's file-backed RSS fell from 28 to 18 MB. Quiet daemons never collect; a long
// burst collects once, after it ends. Only old generations up to `maxHeapMb` in use (node
// agents, a cluster's reflectors: tens of ms): a full table's heap is left to V8's own reducer,
// which marks incrementally instead of stopping the daemon for the whole heap.
import { cpuUsage } from 'node:process';
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ownStatusKb } from '../lib/proc-status.js';
import { loadNativeHelper } from '../lib/native.js';
import { releaseStartupPages } from './startup-pages.js';

/**
 * The decision, apart from clocks: fed whether each interval was busy, the CPU it used and V8's
 * committed heap, says when to collect. Two kinds of burst are worth one collection once they
 * end (`quietToEnd` quiet intervals in a row):
 * - one that left the heap `growthKb` above its lowest point since the last collection. A node
 *   agent's small bursts are not (in one A/B run of bench:cluster, collecting after each of
 *   them took the 100-node mesh's formation from 18.1 to 20.5 CPU-seconds and left its heaps
 *   2 MB larger);
 * - one that used at least `bigBurstCpuMs` of CPU, however the heap looks: the collection (tens of
 *   ms for these heaps) is then a small part of the burst. A reflector whose 200 clients had
 *   just reconnected held 60-64 MB (once 81 MB) for the next 30 s: its committed heap had not
 *   grown, and its burst (traced in bench:cluster: 205 + 72 ms and 114 + 150 ms over two
 *   intervals) stayed under the 500 ms this mark used to be. A node agent's burst while a
 *   100-node mesh forms is about 120 ms, under 200.
 *   Clients may arrive in waves with a quiet interval between them: the daemon ends a burst
 *   only after two quiet intervals, so the waves count as one.
 */
export class AfterBurst {
  private sawBurst = false;
  private burstCpuMs = 0;
  private lowKb: number;
  /** quiet intervals in a row since the last busy one */
  private quiet = 0;

  constructor(
    heapKb: number,
    private readonly growthKb: number,
    private readonly bigBurstCpuMs = Number.POSITIVE_INFINITY,
    /** quiet intervals in a row that end a burst: with 2, a burst with a pause of one interval
     * in it (a reflector's clients arriving in two waves) counts as one */
    private readonly quietToEnd = 1,
  ) {
    this.lowKb = heapKb;
  }

  /**
   * true: the burst since the last collection ended (`quietToEnd` quiet intervals in a row) and
   * grew the heap or was big. `allowed` false (the heap is too large to collect here just now):
   * the burst stays pending, and the first quiet interval that allows it collects.
   */
  next(busy: boolean, heapKb: number, cpuMs = 0, allowed = true): boolean {
    this.lowKb = Math.min(this.lowKb, heapKb);
    if (busy) {
      this.sawBurst = true;
      this.burstCpuMs += cpuMs;
      this.quiet = 0;
      return false;
    }
    if (++this.quiet < this.quietToEnd) return false;
    const collect = this.sawBurst && (heapKb >= this.lowKb + this.growthKb || this.burstCpuMs >= this.bigBurstCpuMs);
    if (collect && !allowed) return false;
    this.sawBurst = false;
    this.burstCpuMs = 0;
    return collect;
  }

  /** the heap after a collection: growth is measured from there on */
  collected(heapKb: number): void {
    this.lowKb = heapKb;
  }
}

export interface IdleGcInit {
  /** how often CPU use is looked at (default 2000 ms) */
  intervalMs?: number;
  /** share of one core above which an interval counts as busy (default 0.05) */
  busyShare?: number;
  /**
   * a larger old generation (MB in use: what a full collection marks) is not collected here
   * (default 64); V8's own reducer marks it incrementally instead
   */
  maxHeapMb?: number;
  /** growth of the heap (MB) a burst must leave behind to be collected (default 8) */
  growthMb?: number;
  /** CPU (ms) of a burst that is collected after whatever its growth (default 200) */
  bigBurstCpuMs?: number;
  /** quiet intervals in a row that end a burst (default 2) */
  quietToEnd?: number;
  onCollected(result: IdleGcResult): void;
}

export interface IdleGcResult {
  /** the process's anonymous resident memory (RssAnon) before the collection and a second after */
  anonBeforeKb: number;
  anonAfterKb: number;
  /** V8's committed heap before and a second after */
  heapBeforeKb: number;
  heapAfterKb: number;
  /** the collection's own time (with the malloc trim) */
  ms: number;
  /** malloc_trim handed memory back (false also where there is no glibc or no native helper) */
  trimmed: boolean;
  /** resident file pages dropped (0 where that cannot be done: not Linux, no native helper) */
  filePagesKb: number;
}

/** A second after the collection: V8 returns freed pages from a background thread. */
const SETTLE_MS = 1000;

const heapKb = (): number => Math.round(getHeapStatistics().total_heap_size / 1024);

/**
 * The old generation in use, KB: the work of a full collection. Not the committed heap, which
 * includes a young generation that V8's default semi-spaces (as reflectors run) let grow to
 * 32 MB in a burst, and says nothing about what a collection costs.
 */
const oldGenerationKb = (): number => {
  let used = 0;
  for (const s of getHeapSpaceStatistics()) if (!s.space_name.startsWith('new_')) used += s.space_used_size;
  return Math.round(used / 1024);
};

/**
 * V8 gives scripts a gc() only behind --expose-gc; set at run time, the flag gives one to new
 * contexts (Node's documentation of v8.setFlagsFromString shows this use).
 */
function obtainGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** The file pages handed back, KB; 0 when none could be (a failure is not worth a crash). */
function releaseFilePages(): number {
  try {
    return releaseStartupPages()?.releasedKb ?? 0;
  } catch {
    return 0;
  }
}

/** Starts watching; returns the function that stops it. The timer never keeps the process alive. */
export function startIdleGc(init: IdleGcInit): () => void {
  const intervalMs = init.intervalMs ?? 2000;
  const busyShare = init.busyShare ?? 0.05;
  const maxHeapKb = (init.maxHeapMb ?? 64) * 1024;
  const gc = obtainGc();
  const mem = loadNativeHelper<{ trim(): boolean }>('wren_mem');
  const decide = new AfterBurst(heapKb(), (init.growthMb ?? 8) * 1024, init.bigBurstCpuMs ?? 200, init.quietToEnd ?? 2);
  let last = cpuUsage();
  const timer = setInterval(() => {
    const used = cpuUsage(last);
    const usedMs = (used.user + used.system) / 1000;
    const heapBeforeKb = heapKb();
    if (decide.next(usedMs > busyShare * intervalMs, heapBeforeKb, usedMs, oldGenerationKb() <= maxHeapKb)) {
      const anonBeforeKb = ownStatusKb('RssAnon');
      const t0 = performance.now();
      gc();
      // Freed socket buffers and Node's own allocations stay in glibc's malloc arenas; hand
      // them back too (1-6 MB on a reflector after its clients connected).
      const trimmed = mem?.trim() ?? false;
      const ms = Math.round((performance.now() - t0) * 10) / 10;
      const filePagesKb = releaseFilePages();
      setTimeout(() => {
        const heapAfterKb = heapKb();
        decide.collected(heapAfterKb);
        init.onCollected({ anonBeforeKb, anonAfterKb: ownStatusKb('RssAnon'), heapBeforeKb, heapAfterKb, ms, trimmed, filePagesKb });
      }, SETTLE_MS).unref();
    }
    // The collection itself is not part of the next interval's work.
    last = cpuUsage();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
