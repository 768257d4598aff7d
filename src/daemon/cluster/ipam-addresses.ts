// Pod addresses from cluster IPAM (etcd). A pod inside one of this node's confirmed blocks is
// covered by the block's advertisement; a borrowed address is advertised as its own /32.
import { isIPv4 } from 'node:net';
import { DatastoreError } from '../../datastore/errors.js';
import { Ipam, IpamAddressInUseError, IpamAddressOutsidePoolsError, IpamError, IpamExhaustedError, IpamNoPoolError } from '../../ipam/index.js';
import { ipv4ToNumber } from '../../lib/prefix.js';
import type { PodAddressSource } from '../../pods/address-source.js';
import { PodError } from '../../pods/errors.js';

interface Range {
  first: number;
  last: number;
}

export class IpamAddresses implements PodAddressSource {
  private blocks: Range[] = [];

  constructor(private readonly ipam: Ipam) {}

  /** This node's confirmed blocks (from the cluster watch). */
  setBlocks(cidrs: readonly string[]): void {
    this.blocks = cidrs.filter((c) => !c.includes(':')).map((c) => {
      const [addr, len] = c.split('/') as [string, string];
      const first = ipv4ToNumber(addr);
      return { first, last: first + 2 ** (32 - Number(len)) - 1 };
    });
  }

  async assign(id: string, requested: string | undefined): Promise<string> {
    try {
      if (requested !== undefined) {
        if (!isIPv4(requested)) throw new PodError('bad-request', `ip "${requested}" is not an IPv4 address`);
        return await this.ipam.assign({ handle: id, address: requested });
      }
      return await this.ipam.autoAssign({ handle: id, family: 4 });
    } catch (e) {
      throw toPodError(e);
    }
  }

  async release(id: string): Promise<void> {
    try {
      await this.ipam.releaseByHandle(id);
    } catch (e) {
      throw toPodError(e);
    }
  }

  adopt(): void {
    // IPAM is the record of who holds what; nothing to rebuild locally.
  }

  aggregated(address: string): boolean {
    const n = ipv4ToNumber(address);
    return this.blocks.some((b) => n >= b.first && n <= b.last);
  }
}

function toPodError(e: unknown): unknown {
  if (e instanceof PodError) return e;
  if (e instanceof IpamAddressInUseError) return new PodError('address-in-use', e.message);
  if (e instanceof IpamAddressOutsidePoolsError) return new PodError('address-outside-pool', e.message);
  if (e instanceof IpamExhaustedError || e instanceof IpamNoPoolError) return new PodError('pool-exhausted', e.message);
  if (e instanceof DatastoreError) return new PodError('ipam-unavailable', `IPAM is unavailable (${e.message}); try again when etcd is reachable`);
  if (e instanceof IpamError) return new PodError('ipam-unavailable', e.message);
  return e;
}
