// Pod addresses from cluster IPAM (etcd): one per family that has a pool. A pod inside one of
// this node's confirmed blocks is covered by the block's advertisement; a borrowed address is
// advertised as its own /32 (/128).
import { isIPv4, isIPv6 } from 'node:net';
import { DatastoreError } from '../../datastore/errors.js';
import { Ipam, IpamAddressInUseError, IpamAddressOutsidePoolsError, IpamError, IpamExhaustedError, IpamNoPoolError } from '../../ipam/index.js';
import { cidrContains, parseAddress, parseCidr, type Cidr } from '../../ipam/cidr.js';
import type { PodAddresses } from '../../kernel/pod-net.js';
import type { AddressRequest, PodAddressSource } from '../../pods/address-source.js';
import { PodError } from '../../pods/errors.js';

export interface Reclaimed {
  /** Addresses the pod holds in IPAM again. */
  readonly reclaimed: string[];
  /** Addresses IPAM gives to another handle now (null: outside every pool). */
  readonly taken: Array<{ readonly address: string; readonly handle: string | null }>;
}

export class IpamAddresses implements PodAddressSource {
  private blocks: Cidr[] = [];

  constructor(private readonly ipam: Ipam) {}

  /** This node's confirmed blocks (from the cluster watch). */
  setBlocks(cidrs: readonly string[]): void {
    this.blocks = cidrs.map(parseCidr);
  }

  async assign(id: string, req: AddressRequest): Promise<PodAddresses> {
    if (req.ipv4 !== undefined && !isIPv4(req.ipv4)) throw new PodError('bad-request', `ip "${req.ipv4}" is not an IPv4 address`);
    if (req.ipv6 !== undefined && !isIPv6(req.ipv6)) throw new PodError('bad-request', `ip "${req.ipv6}" is not an IPv6 address`);
    try {
      const ipv4 = await this.one(id, 4, req.ipv4);
      let ipv6: string | null;
      try {
        ipv6 = await this.one(id, 6, req.ipv6);
      } catch (e) {
        if (ipv4 !== null) await this.ipam.releaseByHandle(id).catch(() => undefined);
        throw e;
      }
      if (ipv4 === null && ipv6 === null) throw new PodError('pool-exhausted', 'no IPAM pool to allocate from (wren pool add CIDR)');
      return { ipv4, ipv6 };
    } catch (e) {
      throw toPodError(e);
    }
  }

  /** The requested address, or the next free one of a family that has a pool (else null). */
  private async one(id: string, family: 4 | 6, requested: string | undefined): Promise<string | null> {
    if (requested !== undefined) return this.ipam.assign({ handle: id, address: requested });
    try {
      return await this.ipam.autoAssign({ handle: id, family });
    } catch (e) {
      // No pool of the family: the cluster is single-stack, the pod goes without. Pools that
      // exist but are disabled or being deleted are an error: a pod must not lose a family
      // silently because an operator is moving pods between pools.
      if (e instanceof IpamNoPoolError && e.unusable.length === 0) return null;
      throw e;
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
    // IPAM is the record of who holds what; nothing to rebuild locally. A restored pod whose
    // addresses IPAM no longer gives it is found by the garbage collector (reclaim).
  }

  /**
   * A pod that runs here with no handle record in IPAM: its addresses are claimed for it again,
   * each one that is still free (the block is claimed again if it went too). One taken by
   * someone else meanwhile is a duplicate only the operator can end (delete and re-add the pod);
   * it is reported. Nothing is done when the handle record exists (it was written since).
   * Run it where no add or delete of this pod can run at the same time (the pod queue).
   */
  async reclaim(id: string, addrs: PodAddresses): Promise<Reclaimed> {
    if (await this.ipam.handleExists(id)) return { reclaimed: [], taken: [] };
    const out: Reclaimed = { reclaimed: [], taken: [] };
    for (const address of [addrs.ipv4, addrs.ipv6]) {
      if (address === null) continue;
      try {
        await this.ipam.assign({ handle: id, address });
        out.reclaimed.push(address);
      } catch (e) {
        if (e instanceof IpamAddressInUseError) out.taken.push({ address, handle: e.holder });
        else if (e instanceof IpamAddressOutsidePoolsError) out.taken.push({ address, handle: null });
        else throw e;
      }
    }
    return out;
  }

  aggregated(address: string): boolean {
    const a = parseAddress(address);
    return this.blocks.some((b) => cidrContains(b, a.family, a.value));
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
