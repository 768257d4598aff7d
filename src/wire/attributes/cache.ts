// AttrCache: memoizes decoded attribute sections by their bytes, so UPDATEs that share an
// attribute set (the normal case: a peer sends many UPDATEs per set) decode it once and all
// return the SAME PathAttributes object (DESIGN.md: identical wire bytes → one object).
//
// Keyed by a 32-bit FNV-1a hash of the bytes and verified byte for byte, with one map per
// ctx.as4 value (the same bytes mean different ASNs with 2- and 4-octet AS_PATH). Bounded:
// when full it is simply cleared (cheap, and a steady-state working set refills it at once).
import type { AttrSet } from './decode-attributes.js';

export interface AttrCacheInit {
  /** Entries kept before the cache is cleared. Default 16384. */
  maxEntries?: number;
}

interface Entry {
  key: Buffer;
  value: AttrSet;
  next: Entry | undefined;
}

/** FNV-1a style, four octets per step (the keys are short; this is on the decode hot path). */
function hashBytes(b: Buffer, start: number, end: number): number {
  let h = 0x811c9dc5 ^ (end - start);
  let i = start;
  for (; i + 4 <= end; i += 4) h = Math.imul(h ^ (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)), 0x01000193);
  for (; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h ^ (h >>> 15);
}

function sameBytes(key: Buffer, b: Buffer, start: number, end: number): boolean {
  if (key.length !== end - start) return false;
  for (let i = 0, j = start; j < end; i++, j++) if (key[i] !== b[j]) return false;
  return true;
}

export class AttrCache {
  readonly maxEntries: number;
  hits = 0;
  misses = 0;
  private size = 0;
  private readonly maps: [Map<number, Entry>, Map<number, Entry>] = [new Map(), new Map()];

  constructor(init: AttrCacheInit = {}) {
    this.maxEntries = init.maxEntries ?? 16384;
  }

  get entries(): number {
    return this.size;
  }

  get(b: Buffer, start: number, end: number, as4: boolean): AttrSet | undefined {
    const map = this.maps[as4 ? 1 : 0];
    for (let e = map.get(hashBytes(b, start, end)); e !== undefined; e = e.next) {
      if (sameBytes(e.key, b, start, end)) {
        this.hits++;
        return e.value;
      }
    }
    this.misses++;
    return undefined;
  }

  set(b: Buffer, start: number, end: number, as4: boolean, value: AttrSet): void {
    if (this.size >= this.maxEntries) this.clear();
    const map = this.maps[as4 ? 1 : 0];
    const h = hashBytes(b, start, end);
    // A copy: the receive buffer is reused by the framer.
    map.set(h, { key: Buffer.from(b.subarray(start, end)), value, next: map.get(h) });
    this.size++;
  }

  clear(): void {
    this.maps[0].clear();
    this.maps[1].clear();
    this.size = 0;
  }
}
