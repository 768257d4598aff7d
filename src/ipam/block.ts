// Pure block arithmetic and the allocation state of one block (no I/O, no clock: callers pass
// `now`). A pool is split into equal blocks (Calico's model, DESIGN.md); a block is claimed by
// one node and holds a bitmap of allocated ordinals plus the handle owning each one.
//
// Reuse policy: never-used ordinals go first, lowest first; once none is left, freed ordinals
// are reused oldest-freed first, and only after `cooldownMs` has passed since their release, so
// an address a pod just gave up is not handed to the next pod while stale routes, ARP/NDP
// entries or conntrack state may still point at it.

import { cidrContains, cidrSize, familyBits, formatAddress, formatCidr, parseCidr, type Cidr, type Family } from './cidr.js';
import { IpamInvalidPoolError } from './errors.js';
import { checkPoolRange } from './reserved.js';

export const DEFAULT_BLOCK_SIZE: Readonly<Record<Family, number>> = { 4: 26, 6: 122 };
/** Block lengths accepted per family (Calico's limits): at most 4096 addresses per block. */
export const BLOCK_SIZE_RANGE: Readonly<Record<Family, readonly [number, number]>> = { 4: [20, 32], 6: [116, 128] };

/**
 * The block length for a new pool, validated against the family and the pool's own length; the
 * pool itself must keep clear of the reserved ranges (reserved.ts).
 */
export function blockSizeFor(pool: Cidr, blockSize?: number): number {
  checkPoolRange(pool);
  const size = blockSize ?? DEFAULT_BLOCK_SIZE[pool.family];
  const [min, max] = BLOCK_SIZE_RANGE[pool.family];
  const text = formatCidr(pool);
  if (!Number.isInteger(size) || size < min || size > max) {
    throw new IpamInvalidPoolError(text, `block size /${size} must be /${min}../${max} for IPv${pool.family}`);
  }
  if (size < pool.length) throw new IpamInvalidPoolError(text, `block size /${size} is larger than the pool`);
  return size;
}

/** The pool's blocks in address order, lazily (an IPv6 pool may hold 2^58 of them). */
export function* poolBlocks(pool: Cidr, blockSize: number): Generator<Cidr> {
  const step = 1n << BigInt(familyBits(pool.family) - blockSize);
  const end = pool.base + cidrSize(pool);
  for (let base = pool.base; base < end; base += step) yield { family: pool.family, base, length: blockSize };
}

/** The block of `pool` that contains `value`. */
export function blockContaining(pool: Cidr, blockSize: number, value: bigint): Cidr {
  const mask = (1n << BigInt(familyBits(pool.family) - blockSize)) - 1n;
  return { family: pool.family, base: value & ~mask, length: blockSize };
}

/** A block as stored at /wren/v1/ipam/blocks/<cidr>. */
export interface BlockData {
  cidr: string;
  /** Node the block is affine to (null once released by GC, or never claimed). */
  affinity: string | null;
  /** Allocation bitmap, bit i (MSB first in byte i/8) set when ordinal i is allocated; base64. */
  bitmap: string;
  /** Handle owning each allocated ordinal (keys are decimal ordinals). */
  handles: Record<string, string>;
  /** Released ordinals as [ordinal, releasedAtMs], oldest first. */
  freed: Array<[number, number]>;
}

export class Block {
  readonly cidr: Cidr;
  readonly size: number;
  affinity: string | null;
  private readonly bits: Buffer;
  private readonly handles: Map<number, string>;
  private freed: Array<[number, number]>;

  private constructor(cidr: Cidr, affinity: string | null, bits: Buffer, handles: Map<number, string>, freed: Array<[number, number]>) {
    this.cidr = cidr;
    this.size = Number(cidrSize(cidr));
    this.affinity = affinity;
    this.bits = bits;
    this.handles = handles;
    this.freed = freed;
  }

  static create(cidr: Cidr, affinity: string | null): Block {
    const size = Number(cidrSize(cidr));
    return new Block(cidr, affinity, Buffer.alloc(Math.ceil(size / 8)), new Map(), []);
  }

  /** Rebuilds a block from its stored form; throws on a shape that cannot be a block. */
  static fromData(data: BlockData): Block {
    const cidr = parseCidr(data.cidr);
    const size = Number(cidrSize(cidr));
    const bits = Buffer.from(data.bitmap, 'base64');
    if (bits.length !== Math.ceil(size / 8)) throw new Error(`bitmap has ${bits.length} bytes, expected ${Math.ceil(size / 8)}`);
    const handles = new Map<number, string>();
    for (const [k, v] of Object.entries(data.handles)) {
      const ordinal = Number(k);
      if (!Number.isInteger(ordinal) || ordinal < 0 || ordinal >= size) throw new Error(`handle ordinal ${k} out of range`);
      handles.set(ordinal, v);
    }
    return new Block(cidr, data.affinity, bits, handles, data.freed.map(([o, t]) => [o, t]));
  }

  toData(): BlockData {
    const handles: Record<string, string> = {};
    for (const [o, h] of [...this.handles].sort((a, b) => a[0] - b[0])) handles[String(o)] = h;
    return { cidr: formatCidr(this.cidr), affinity: this.affinity, bitmap: this.bits.toString('base64'), handles, freed: this.freed.map(([o, t]) => [o, t]) };
  }

  serialize(): string {
    return JSON.stringify(this.toData());
  }

  isAllocated(ordinal: number): boolean {
    return (this.bits[ordinal >> 3]! & (0x80 >> (ordinal & 7))) !== 0;
  }

  /** Handle attribute of an ordinal (set exactly when allocated, unless the record is corrupt). */
  handleOf(ordinal: number): string | undefined {
    return this.handles.get(ordinal);
  }

  /** Ordinals whose bit is set, ascending. */
  allocatedOrdinals(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) if (this.isAllocated(i)) out.push(i);
    return out;
  }

  /** Ordinals carrying a handle attribute, ascending (for consistency checks). */
  attributedOrdinals(): number[] {
    return [...this.handles.keys()].sort((a, b) => a - b);
  }

  addressOf(ordinal: number): string {
    return formatAddress(this.cidr.family, this.cidr.base + BigInt(ordinal));
  }

  /** Ordinal of an address inside this block, or undefined if it is outside. */
  ordinalOf(family: Family, value: bigint): number | undefined {
    return cidrContains(this.cidr, family, value) ? Number(value - this.cidr.base) : undefined;
  }

  /** The ordinal `allocate` would pick now, without taking it. */
  nextFree(now: number, cooldownMs: number): number | undefined {
    const cooling = new Set(this.freed.map(([o]) => o));
    for (let i = 0; i < this.size; i++) if (!this.isAllocated(i) && !cooling.has(i)) return i;
    const oldest = this.freed[0];
    if (oldest !== undefined && now - oldest[1] >= cooldownMs) return oldest[0];
    return undefined;
  }

  /** Takes the next free ordinal for `handle`; undefined when none is free (or all cool down). */
  allocate(handle: string, now: number, cooldownMs: number): number | undefined {
    const ordinal = this.nextFree(now, cooldownMs);
    if (ordinal !== undefined) this.assign(ordinal, handle);
    return ordinal;
  }

  /** Takes a specific ordinal (an explicit request: cooldown does not apply). */
  assign(ordinal: number, handle: string): void {
    if (this.isAllocated(ordinal)) throw new Error(`ordinal ${ordinal} already allocated`);
    this.bits[ordinal >> 3] = this.bits[ordinal >> 3]! | (0x80 >> (ordinal & 7));
    this.handles.set(ordinal, handle);
    this.freed = this.freed.filter(([o]) => o !== ordinal);
  }

  /** Frees an ordinal, remembering when; false if it was not allocated. */
  release(ordinal: number, now: number): boolean {
    if (!this.isAllocated(ordinal)) return false;
    this.bits[ordinal >> 3] = this.bits[ordinal >> 3]! & ~(0x80 >> (ordinal & 7));
    this.handles.delete(ordinal);
    this.freed.push([ordinal, now]);
    return true;
  }

  allocatedCount(): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) if (this.isAllocated(i)) n++;
    return n;
  }
}
