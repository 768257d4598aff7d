// Maximum-prefix limit per peer and family, as a pure counter check: the caller passes the
// Adj-RIB-In count after each UPDATE and acts on the verdict (log a warning, or send Cease /
// Maximum Number of Prefixes Reached, RFC 4486 §4, and schedule a restart).
import type { Family } from '../wire/types.js';

export type MaxPrefixVerdict = 'ok' | 'warn' | 'stop';

export interface MaxPrefixLimit {
  ipv4?: number;
  ipv6?: number;
  action: 'warn' | 'stop';
}

/**
 * Reports the configured action once per crossing: when a family's count first exceeds its
 * limit; it re-arms when the count falls back to the limit or below (or on reset(), e.g. when
 * the session restarts). Exceeding means count > limit, as in FRR and BIRD.
 */
export class MaxPrefixGuard {
  private over4 = false;
  private over6 = false;

  constructor(readonly limit: MaxPrefixLimit) {}

  check(family: Family, count: number): MaxPrefixVerdict {
    const v4 = family === 'ipv4-unicast';
    const max = v4 ? this.limit.ipv4 : this.limit.ipv6;
    if (max === undefined) return 'ok';
    const over = count > max;
    const was = v4 ? this.over4 : this.over6;
    if (v4) this.over4 = over;
    else this.over6 = over;
    return over && !was ? this.limit.action : 'ok';
  }

  reset(): void {
    this.over4 = false;
    this.over6 = false;
  }
}
