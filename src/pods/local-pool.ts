// Pod addresses from the node's own pools (config `pods.pool`, `pods.pool6`), for single-node
// mode: an IPv4 address, an IPv6 one, or both (dual stack) per pod.
import { isIPv4, isIPv6 } from 'node:net';
import type { PodAddresses } from '../kernel/pod-net.js';
import type { AddressRequest, PodAddressSource } from './address-source.js';
import { PodError } from './errors.js';
import { RangeAllocator } from './range-allocator.js';

export interface LocalPoolCursors {
  cursor?: number;
  cursor6?: string;
}

export class LocalPool implements PodAddressSource {
  private readonly v4: RangeAllocator | null;
  private readonly v6: RangeAllocator | null;
  /** `--ip` addresses when the family has no pool (anywhere, but never twice). */
  private readonly loose4 = new RangeAllocator('0.0.0.0/0');
  private readonly loose6 = new RangeAllocator('::/0');

  constructor(
    pool: string | null,
    private readonly aggregate: boolean,
    cursors: LocalPoolCursors = {},
    pool6: string | null = null,
  ) {
    this.v4 = pool === null ? null : new RangeAllocator(pool, cursors.cursor === undefined ? undefined : BigInt(cursors.cursor));
    this.v6 = pool6 === null ? null : new RangeAllocator(pool6, cursors.cursor6 === undefined ? undefined : BigInt(cursors.cursor6));
  }

  /** Where the next searches start (kept in the pod state file across restarts). */
  cursors(): LocalPoolCursors {
    return {
      ...(this.v4 ? { cursor: Number(this.v4.cursor) } : {}),
      ...(this.v6 ? { cursor6: this.v6.cursor.toString() } : {}),
    };
  }

  async assign(id: string, req: AddressRequest): Promise<PodAddresses> {
    if (req.ipv4 !== undefined && !isIPv4(req.ipv4)) throw new PodError('bad-request', `ip "${req.ipv4}" is not an IPv4 address`);
    if (req.ipv6 !== undefined && !isIPv6(req.ipv6)) throw new PodError('bad-request', `ip "${req.ipv6}" is not an IPv6 address`);
    const want4 = req.ipv4 !== undefined || this.v4 !== null;
    const want6 = req.ipv6 !== undefined || this.v6 !== null;
    if (!want4 && !want6) throw new PodError('bad-request', 'no --ip given and no pod pool configured (pods.pool, pods.pool6)');
    const ipv4 = want4 ? this.takeFrom(this.v4, this.loose4, id, req.ipv4, 'pods.pool') : null;
    try {
      const ipv6 = want6 ? this.takeFrom(this.v6, this.loose6, id, req.ipv6, 'pods.pool6') : null;
      return { ipv4, ipv6 };
    } catch (e) {
      if (ipv4 !== null) await this.release(id, { ipv4, ipv6: null });
      throw e;
    }
  }

  private takeFrom(pool: RangeAllocator | null, loose: RangeAllocator, id: string, requested: string | undefined, field: string): string {
    if (pool) {
      if (requested !== undefined && !pool.contains(requested)) {
        throw new PodError('address-outside-pool', `${requested} is outside the pod pool ${pool.pool} (${field})`);
      }
      return pool.take(id, requested);
    }
    return loose.take(id, requested);
  }

  async release(id: string, addrs: PodAddresses): Promise<void> {
    if (addrs.ipv4 !== null) (this.v4 && this.v4.contains(addrs.ipv4) ? this.v4 : this.loose4).free(id, addrs.ipv4);
    if (addrs.ipv6 !== null) (this.v6 && this.v6.contains(addrs.ipv6) ? this.v6 : this.loose6).free(id, addrs.ipv6);
  }

  adopt(id: string, addrs: PodAddresses): void {
    if (addrs.ipv4 !== null) (this.v4 && this.v4.contains(addrs.ipv4) ? this.v4 : this.loose4).hold(id, addrs.ipv4);
    if (addrs.ipv6 !== null) (this.v6 && this.v6.contains(addrs.ipv6) ? this.v6 : this.loose6).hold(id, addrs.ipv6);
  }

  aggregated(address: string): boolean {
    if (!this.aggregate) return false;
    const pool = isIPv4(address) ? this.v4 : this.v6;
    return pool !== null && pool.contains(address);
  }
}
