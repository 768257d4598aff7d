// Pod addresses from the node's own pool (config `pods.pool`), for single-node mode. Addresses
// are handed out round-robin from a cursor, so a freed address is reused only after every
// other free one was (the oldest freed first); in-use addresses are never handed out twice.
import { isIPv4 } from 'node:net';
import { ipv4ToNumber, numberToIpv4, parsePrefix4, prefix4Address, prefix4Length } from '../lib/prefix.js';
import type { PodAddressSource } from './address-source.js';
import { PodError } from './errors.js';

export class LocalPool implements PodAddressSource {
  private readonly first: number;
  private readonly last: number;
  private readonly used = new Map<number, string>();
  private cursor: number;

  /** `pool` null: only `--ip` addresses, anywhere. */
  constructor(
    private readonly pool: string | null,
    private readonly aggregate: boolean,
    cursor?: number,
  ) {
    if (pool === null) {
      this.first = 0;
      this.last = -1;
    } else {
      const p = parsePrefix4(pool);
      const base = prefix4Address(p);
      const len = prefix4Length(p);
      const size = 2 ** (32 - len);
      // Network and broadcast addresses are skipped where the pool has room for it.
      this.first = len <= 30 ? base + 1 : base;
      this.last = len <= 30 ? base + size - 2 : base + size - 1;
    }
    this.cursor = cursor !== undefined && cursor >= this.first && cursor <= this.last ? cursor : this.first;
  }

  /** Where the next search starts (kept in the pod state file across restarts). */
  get nextCursor(): number {
    return this.cursor;
  }

  private inPool(n: number): boolean {
    return n >= this.first && n <= this.last;
  }

  async assign(id: string, requested: string | undefined): Promise<string> {
    if (requested !== undefined) {
      if (!isIPv4(requested)) throw new PodError('bad-request', `ip "${requested}" is not an IPv4 address`);
      const n = ipv4ToNumber(requested);
      if (this.pool !== null && !this.inPool(n)) throw new PodError('address-outside-pool', `${requested} is outside the pod pool ${this.pool}`);
      const owner = this.used.get(n);
      if (owner !== undefined) throw new PodError('address-in-use', `${requested} is already used by pod ${owner}`);
      this.used.set(n, id);
      return requested;
    }
    if (this.pool === null) throw new PodError('bad-request', 'no --ip given and no pod pool configured (pods.pool)');
    const size = this.last - this.first + 1;
    for (let i = 0; i < size; i++) {
      const n = this.first + ((this.cursor - this.first + i) % size);
      if (this.used.has(n)) continue;
      this.used.set(n, id);
      this.cursor = n === this.last ? this.first : n + 1;
      return numberToIpv4(n);
    }
    throw new PodError('pool-exhausted', `the pod pool ${this.pool} has no free address (${size} in use)`);
  }

  async release(id: string, address: string): Promise<void> {
    const n = ipv4ToNumber(address);
    if (this.used.get(n) === id) this.used.delete(n);
  }

  adopt(id: string, address: string): void {
    this.used.set(ipv4ToNumber(address), id);
  }

  aggregated(address: string): boolean {
    return this.aggregate && this.pool !== null && this.inPool(ipv4ToNumber(address));
  }
}
