// The prefixes an update group still has to send, in the order they changed, each with the
// path it had when it was last sent. One entry per prefix (later changes coalesce into it).
//
// Keys sit in a plain number[] (V8 keeps doubles unboxed there), and each waiting prefix's entry
// number in an Ipv4PrefixTable for IPv4: a Map<number, …> would box every IPv4 prefix key,
// which showed up as the top item of the reflector's profile.
import { Ipv4PrefixTable, type PrefixMap } from '../rib/prefix-table.js';
import type { Path } from '../rib/types.js';

export class DirtyQueue<K extends number | string> {
  private keys: K[] = [];
  private prevs: (Path | null)[] = [];
  private head = 0;
  /** entry number of keys[0]: the index maps a waiting prefix to its entry number */
  private base = 0;

  private constructor(private readonly index: PrefixMap<K, number>) {}

  static ipv4(): DirtyQueue<number> {
    return new DirtyQueue<number>(new Ipv4PrefixTable<number>());
  }

  static ipv6(): DirtyQueue<string> {
    return new DirtyQueue<string>(new Map<string, number>());
  }

  get size(): number {
    return this.keys.length - this.head;
  }

  /** false when the prefix was already waiting (the change coalesced into it) */
  add(key: K, previous: Path | null): boolean {
    if (this.index.get(key) !== undefined) return false;
    this.index.set(key, this.base + this.keys.length);
    this.keys.push(key);
    this.prevs.push(previous);
    return true;
  }

  /**
   * For a waiting prefix, the path it had when it was last sent (null: none); undefined when
   * the prefix is not waiting.
   */
  previousOf(key: K): Path | null | undefined {
    const entry = this.index.get(key);
    return entry === undefined ? undefined : this.prevs[entry - this.base]!;
  }

  /** Every waiting prefix with the path it had when it was last sent, in change order. */
  forEachWaiting(fn: (key: K, previous: Path | null) => void): void {
    for (let i = this.head; i < this.keys.length; i++) fn(this.keys[i]!, this.prevs[i]!);
  }

  /** Takes up to `limit` entries in change order, calling fn for each. */
  take(limit: number, fn: (key: K, previous: Path | null) => void): number {
    const end = Math.min(this.keys.length, this.head + limit);
    let i = this.head;
    for (; i < end; i++) {
      const k = this.keys[i]!;
      const prev = this.prevs[i]!;
      this.prevs[i] = null;
      this.index.delete(k);
      fn(k, prev);
    }
    const n = i - this.head;
    this.head = i;
    if (this.head === this.keys.length) this.clear();
    else if (this.head > 65536 && this.head * 2 > this.keys.length) {
      this.keys = this.keys.slice(this.head);
      this.prevs = this.prevs.slice(this.head);
      this.base += this.head;
      this.head = 0;
    }
    return n;
  }

  clear(): void {
    this.keys = [];
    this.prevs = [];
    this.base = 0;
    this.head = 0;
    if (this.index instanceof Map) this.index.clear();
    else if (this.index instanceof Ipv4PrefixTable) this.index.clear();
  }
}
