// Adj-RIB-In: what one peer sent, after RFC 7606 handling. Pure; the RIB issue puts the
// decision process behind it. IPv4 entries share the UPDATE's PathAttributes object; IPv6
// entries share one PathV6 object per UPDATE, so memory grows with distinct attribute sets,
// not with prefixes.
import type { Family, NlriSet, PathAttributes, UpdateMessage } from '../wire/types.js';

export interface PathV6 {
  attrs: PathAttributes;
  nextHop: string;
  linkLocalNextHop?: string;
}

export interface AdjRibInChange {
  announced: number;
  withdrawn: number;
}

export class AdjRibIn {
  readonly v4 = new Map<number, PathAttributes>();
  readonly v6 = new Map<string, PathV6>();

  get size(): number {
    return this.v4.size + this.v6.size;
  }

  count(family: Family): number {
    return family === 'ipv4-unicast' ? this.v4.size : this.v6.size;
  }

  /** Applies one UPDATE: withdrawals first, then announcements (implicit withdraw by replace). */
  apply(msg: UpdateMessage): AdjRibInChange {
    let withdrawn = this.withdraw(msg.withdrawn);
    if (msg.mpUnreach) withdrawn += this.withdraw(msg.mpUnreach);
    let announced = 0;
    if (msg.treatAsWithdraw) {
      // RFC 7606 §2: the UPDATE's NLRI are handled as if they were withdrawn.
      withdrawn += this.withdraw(msg.nlri);
      if (msg.mpReach) withdrawn += this.withdraw(msg.mpReach.nlri);
      return { announced, withdrawn };
    }
    const attrs = msg.attrs;
    if (attrs) {
      for (const p of msg.nlri.prefixes) this.v4.set(p, attrs);
      announced += msg.nlri.prefixes.length;
      const mp = msg.mpReach;
      if (mp) {
        if (mp.nlri.family === 'ipv4-unicast') {
          // IPv4 over MP_REACH (e.g. from an IPv6 session): the MP next hop wins (RFC 4760 §3).
          const withNh: PathAttributes = typeof mp.nextHop === 'number' ? { ...attrs, nextHop: mp.nextHop } : attrs;
          for (const p of mp.nlri.prefixes) this.v4.set(p, withNh);
        } else if (typeof mp.nextHop === 'string') {
          const path: PathV6 = mp.linkLocalNextHop
            ? { attrs, nextHop: mp.nextHop, linkLocalNextHop: mp.linkLocalNextHop }
            : { attrs, nextHop: mp.nextHop };
          for (const p of mp.nlri.prefixes) this.v6.set(p, path);
        }
        announced += mp.nlri.prefixes.length;
      }
    }
    return { announced, withdrawn };
  }

  private withdraw(set: NlriSet): number {
    let n = 0;
    if (set.family === 'ipv4-unicast') {
      for (const p of set.prefixes) if (this.v4.delete(p)) n++;
    } else {
      for (const p of set.prefixes) if (this.v6.delete(p)) n++;
    }
    return n;
  }

  clear(): void {
    this.v4.clear();
    this.v6.clear();
  }
}
