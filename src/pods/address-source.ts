// Where pod addresses come from: the node's local pools (single-node mode) or cluster IPAM.
import type { PodAddresses } from '../kernel/pod-net.js';

/** Addresses asked for explicitly (`--ip`); a family not asked for is assigned if enabled. */
export interface AddressRequest {
  ipv4?: string;
  ipv6?: string;
}

export interface PodAddressSource {
  /**
   * Addresses for pod `id`, one per enabled family: the requested ones (refused if in use or
   * outside the pool), else the next free ones. Throws PodError.
   */
  assign(id: string, req: AddressRequest): Promise<PodAddresses>;
  /** Frees the pod's addresses; unknown ids are fine (idempotent). */
  release(id: string, addrs: PodAddresses): Promise<void>;
  /** Re-registers addresses found in the pod state at start (no pool checks, no duplicates). */
  adopt(id: string, addrs: PodAddresses): void;
  /** True when the address is covered by an advertised aggregate (the host route stays kernel-only). */
  aggregated(address: string): boolean;
}
