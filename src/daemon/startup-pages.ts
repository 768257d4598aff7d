// Handing back, once the daemon has started, the file pages that only start-up touched.
//
// A bare `node` process has ~34 MB of its executable resident before running any code of ours:
// V8's and Node's start-up code, the start-up snapshot, symbol tables read by the dynamic
// linker. A daemon that then idles or runs a BGP session touches a fraction of that again.
// Those pages are counted in the daemon's RSS for as long as they stay mapped, although they
// are clean copies of the file, shared through the page cache, and would be the first thing
// reclaim takes under memory pressure. So after start-up the daemon drops them from its page
// tables with madvise(MADV_DONTNEED) (native/wren_mem.c): what it touches later is refaulted
// from the page cache (a minor fault, no I/O), and RSS is left with what it really uses. The
// idle GC (idle-gc.ts) does the same after a burst, for the pages only the burst touched.
//
// Only clean, read-only, private mappings of regular files qualify: there MADV_DONTNEED can
// only ever drop a page that is identical to the file. A mapping with any anonymous
// (copy-on-write) page, such as relocated read-only data, is left alone, as are writable and
// shared mappings, the kernel's [vdso]/[vvar], memfds, devices and deleted files.
import { readFileSync } from 'node:fs';
import { loadNativeHelper } from '../lib/native.js';
import { ownStatusKb } from '../lib/proc-status.js';

export interface Mapping {
  start: number;
  end: number;
  /** "r-xp", "r--p", "rw-p", "r--s" … */
  perms: string;
  inode: number;
  path: string;
  rssKb: number;
  anonymousKb: number;
}

const HEADER = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ (\d+)\s*(.*)$/;

/** Parses /proc/PID/smaps: one Mapping per region, with its Rss and Anonymous sizes. */
export function parseSmaps(text: string): Mapping[] {
  const maps: Mapping[] = [];
  let cur: Mapping | null = null;
  for (const line of text.split('\n')) {
    const h = HEADER.exec(line);
    if (h) {
      cur = { start: parseInt(h[1]!, 16), end: parseInt(h[2]!, 16), perms: h[3]!, inode: Number(h[4]), path: h[5]!, rssKb: 0, anonymousKb: 0 };
      maps.push(cur);
    } else if (cur && line.startsWith('Rss:')) cur.rssKb = parseInt(line.slice(4), 10);
    else if (cur && line.startsWith('Anonymous:')) cur.anonymousKb = parseInt(line.slice(10), 10);
  }
  return maps;
}

/** The mappings whose resident pages can be dropped without losing anything (see the top). */
export function releasable(maps: readonly Mapping[]): Mapping[] {
  return maps.filter(
    (m) =>
      m.rssKb > 0 &&
      m.anonymousKb === 0 &&
      m.perms[0] === 'r' &&
      m.perms[1] === '-' &&
      m.perms[3] === 'p' &&
      m.inode !== 0 &&
      m.path.startsWith('/') &&
      !m.path.startsWith('/dev/') &&
      !m.path.startsWith('/memfd:') &&
      !m.path.endsWith('(deleted)'),
  );
}

export interface StartupPagesReleased {
  /** resident kB of the mappings handed back */
  releasedKb: number;
  mappings: number;
  rssBeforeKb: number;
  rssAfterKb: number;
}

interface MemBinding {
  dontneed(address: number, length: number): void;
}

/**
 * Drops this process's clean file-backed pages (see the top). Returns null where that cannot be
 * done: not Linux, or native/build/wren_mem.node not built.
 */
export function releaseStartupPages(): StartupPagesReleased | null {
  if (process.platform !== 'linux') return null;
  const mem = loadNativeHelper<MemBinding>('wren_mem');
  if (!mem) return null;
  const rssBeforeKb = ownStatusKb('VmRSS');
  const maps = releasable(parseSmaps(readFileSync('/proc/self/smaps', 'utf8')));
  let releasedKb = 0;
  for (const m of maps) {
    mem.dontneed(m.start, m.end - m.start);
    releasedKb += m.rssKb;
  }
  return { releasedKb, mappings: maps.length, rssBeforeKb, rssAfterKb: ownStatusKb('VmRSS') };
}
