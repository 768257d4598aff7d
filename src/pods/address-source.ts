// Where pod addresses come from: the node's local pool (single-node mode) or cluster IPAM.

export interface PodAddressSource {
  /**
   * An address for pod `id`: `requested` when given (refused if in use or outside the pool),
   * else the next free one. Throws PodError.
   */
  assign(id: string, requested: string | undefined): Promise<string>;
  /** Frees the pod's address; unknown ids are fine (idempotent). */
  release(id: string, address: string): Promise<void>;
  /** Re-registers an address found in the pod state at start (no pool checks, no duplicates). */
  adopt(id: string, address: string): void;
  /** True when the address is covered by an advertised aggregate (the /32 stays kernel-only). */
  aggregated(address: string): boolean;
}
