// Addresses of one family from one prefix, handed out round-robin from a cursor: a freed
// address is reused only after every other free one was (the oldest freed first), and an
// address in use is never handed out twice.
import { cidrContains, cidrSize, formatAddress, parseAddress, parseCidr, type Cidr, type Family } from '../ipam/cidr.js';
import { PodError } from './errors.js';

/** More candidates than this are not scanned (an IPv6 /64 has 2^64). */
const SCAN_LIMIT = 1n << 20n;

export class RangeAllocator {
  readonly family: Family;
  private readonly cidr: Cidr;
  private readonly first: bigint;
  private readonly last: bigint;
  private readonly used = new Map<bigint, string>();
  cursor: bigint;

  constructor(readonly pool: string, cursor?: bigint) {
    this.cidr = parseCidr(pool);
    this.family = this.cidr.family;
    const size = cidrSize(this.cidr);
    // IPv4: network and broadcast addresses are skipped where the pool has room for it.
    // IPv6: the subnet-router anycast address (all zeros) is skipped.
    const skipEnds = this.family === 4 ? size >= 4n : size >= 2n;
    this.first = skipEnds ? this.cidr.base + 1n : this.cidr.base;
    this.last = this.family === 4 && size >= 4n ? this.cidr.base + size - 2n : this.cidr.base + size - 1n;
    this.cursor = cursor !== undefined && cursor >= this.first && cursor <= this.last ? cursor : this.first;
  }

  contains(address: string): boolean {
    const a = parseAddress(address);
    return cidrContains(this.cidr, a.family, a.value);
  }

  take(id: string, requested: string | undefined): string {
    if (requested !== undefined) {
      if (!this.contains(requested)) throw new PodError('address-outside-pool', `${requested} is outside the pod pool ${this.pool}`);
      const v = parseAddress(requested).value;
      const owner = this.used.get(v);
      if (owner !== undefined) throw new PodError('address-in-use', `${requested} is already used by pod ${owner}`);
      this.used.set(v, id);
      return formatAddress(this.family, v);
    }
    const size = this.last - this.first + 1n;
    const scan = size < SCAN_LIMIT ? size : SCAN_LIMIT;
    for (let i = 0n; i < scan; i++) {
      const v = this.first + ((this.cursor - this.first + i) % size);
      if (this.used.has(v)) continue;
      this.used.set(v, id);
      this.cursor = v === this.last ? this.first : v + 1n;
      return formatAddress(this.family, v);
    }
    throw new PodError('pool-exhausted', `the pod pool ${this.pool} has no free address (${this.used.size} in use)`);
  }

  /** Records an address already in use (from the state file), wherever it is. */
  hold(id: string, address: string): void {
    this.used.set(parseAddress(address).value, id);
  }

  /** Checks a requested address outside any pool against those in use. */
  heldBy(address: string): string | undefined {
    return this.used.get(parseAddress(address).value);
  }

  free(id: string, address: string): void {
    const v = parseAddress(address).value;
    if (this.used.get(v) === id) this.used.delete(v);
  }
}
