// Attribute interning (DESIGN.md, performance model): every distinct attribute set is stored
// once and shared by every path that carries it, so a million routes with a hundred thousand
// attribute sets cost a hundred thousand PathAttributes objects.
//
// The interned object is frozen by convention (never mutated; Object.freeze is not applied
// because it costs on the hot path and buys nothing the type system does not already say).
//
// Lifetime: the RIB counts references — `retain` when it stores a path for a prefix, `release`
// when it removes one. An entry whose count is zero is not dropped at once (a withdraw followed
// by a re-announce of the same set is common) but by `sweep()`, which runs by itself when the
// table has doubled since the last sweep, so its O(entries) cost is amortised over insertions.
// No WeakRef, no FinalizationRegistry, no clock.
//
// Content lookup is a structural hash (a small integer Map key) plus field-by-field equality on
// a hit (attrs-equal.ts), not a serialized string: cheaper per set and no key kept in memory.
// Callers that hold the attribute section's wire bytes may key by those too (internByKey).
import type { PathAttributes } from '../wire/types.js';
import { attrsEqual, attrsHash } from './attrs-equal.js';

interface Entry {
  readonly attrs: PathAttributes;
  readonly hash: number;
  /** prefix references held by the RIB (one per stored candidate path) */
  refs: number;
  /** next entry with the same hash */
  next: Entry | undefined;
  /** the caller's key when created or found through internByKey */
  key: string | undefined;
}

export interface AttrInternerInit {
  /** Entries kept before the first automatic sweep; afterwards twice the live count. Default 65536. */
  minSweepSize?: number;
}

export class AttrInterner {
  private readonly byHash = new Map<number, Entry>();
  /** canonical object → its entry: the fast path when the caller already holds it */
  private readonly byObject = new Map<PathAttributes, Entry>();
  /** internByKey's keys (e.g. wire bytes as latin1) */
  private readonly byKey = new Map<string, Entry>();
  private count = 0;
  private readonly minSweepSize: number;
  private sweepAt: number;
  // One-entry memos: consecutive prefixes of one UPDATE share their attributes.
  private lastRetained: Entry | undefined;
  private lastReleased: Entry | undefined;
  /** automatic and explicit sweeps run so far */
  sweeps = 0;

  constructor(init: AttrInternerInit = {}) {
    this.minSweepSize = init.minSweepSize ?? 65536;
    this.sweepAt = this.minSweepSize;
  }

  /** Distinct attribute sets held (live or waiting for a sweep). */
  get size(): number {
    return this.count;
  }

  /** The shared object with the same content as `attrs` (`attrs` itself when it is the first). */
  intern(attrs: PathAttributes): PathAttributes {
    return this.entryOf(attrs).attrs;
  }

  /**
   * The shared object for `key` — e.g. the attribute section's wire bytes as latin1 — calling
   * `make` only for a new key. The result is also interned by content, so a set reached through
   * a key and through `intern` is one object.
   */
  internByKey(key: string, make: () => PathAttributes): PathAttributes {
    const known = this.byKey.get(key);
    if (known !== undefined) return known.attrs;
    const e = this.entryOf(make());
    if (e.key === undefined) {
      e.key = key;
      this.byKey.set(key, e);
    }
    return e.attrs;
  }

  /** Interns and counts one reference; returns the canonical object to store. */
  retain(attrs: PathAttributes): PathAttributes {
    let e = this.lastRetained;
    if (e === undefined || e.attrs !== attrs) {
      e = this.entryOf(attrs);
      this.lastRetained = e;
    }
    e.refs++;
    return e.attrs;
  }

  /** Drops one reference taken by `retain` (objects not interned here are ignored). */
  release(attrs: PathAttributes): void {
    let e = this.lastReleased;
    if (e === undefined || e.attrs !== attrs) {
      e = this.byObject.get(attrs);
      if (e === undefined) return;
      this.lastReleased = e;
    }
    if (e.refs > 0) e.refs--;
  }

  /** References held on the canonical object for this content (0 when not interned). */
  refCount(attrs: PathAttributes): number {
    return this.byObject.get(attrs)?.refs ?? 0;
  }

  /** True when `attrs` is the canonical object of its entry. */
  isInterned(attrs: PathAttributes): boolean {
    return this.byObject.has(attrs);
  }

  /** Drops every entry with no references; returns how many were dropped. */
  sweep(): number {
    let dropped = 0;
    for (const e of this.byObject.values()) {
      if (e.refs > 0) continue;
      this.unlink(e);
      dropped++;
    }
    this.lastRetained = undefined;
    this.lastReleased = undefined;
    this.sweepAt = Math.max(this.minSweepSize, 2 * this.count);
    this.sweeps++;
    return dropped;
  }

  private entryOf(attrs: PathAttributes): Entry {
    const known = this.byObject.get(attrs);
    if (known !== undefined) return known;
    const hash = attrsHash(attrs);
    const head = this.byHash.get(hash);
    for (let e = head; e !== undefined; e = e.next) if (attrsEqual(e.attrs, attrs)) return e;
    // Sweep before inserting so the entry being added survives it.
    if (this.count >= this.sweepAt) {
      this.sweep();
      return this.add(attrs, hash, this.byHash.get(hash));
    }
    return this.add(attrs, hash, head);
  }

  private add(attrs: PathAttributes, hash: number, head: Entry | undefined): Entry {
    const e: Entry = { attrs, hash, refs: 0, next: head, key: undefined };
    this.byHash.set(hash, e);
    this.byObject.set(attrs, e);
    this.count++;
    return e;
  }

  private unlink(e: Entry): void {
    this.byObject.delete(e.attrs);
    if (e.key !== undefined) this.byKey.delete(e.key);
    const head = this.byHash.get(e.hash);
    if (head === e) {
      if (e.next === undefined) this.byHash.delete(e.hash);
      else this.byHash.set(e.hash, e.next);
    } else {
      for (let p = head; p !== undefined; p = p.next) {
        if (p.next === e) {
          p.next = e.next;
          break;
        }
      }
    }
    this.count--;
  }
}
