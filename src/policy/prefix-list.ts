// Compiled prefix lists: "does this route's prefix fall under any entry, with a length in
// [ge, le]?" IPv4 routes are one number (address·64 + length, src/lib/prefix.ts); entries are
// grouped by their own length so a lookup is one masked-address Map probe per distinct entry
// length, whatever the list size. IPv6 lists are short in pod networks: a linear scan.
import { ipv6ToBytes, parsePrefix } from '../lib/prefix.js';
import type { PrefixEntryDef } from './schema.js';

interface Group4 {
  length: number;
  mask: number;
  /** masked address → allowed route lengths (index 0..32, 1 = allowed) */
  byAddress: Map<number, Uint8Array>;
}

interface Entry6 {
  bytes: Buffer;
  length: number;
  ge: number;
  le: number;
}

function maskOf(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

/** Entry bounds: exact match unless ge/le given; ge alone means "up to the maximum". */
function bounds(e: PrefixEntryDef, length: number, max: number): { ge: number; le: number } {
  if (e.ge === undefined && e.le === undefined) return { ge: length, le: length };
  const ge = e.ge ?? length;
  return { ge, le: e.le ?? max };
}

export class PrefixList {
  private readonly groups4: Group4[] = [];
  private readonly entries6: Entry6[] = [];

  constructor(entries: readonly PrefixEntryDef[]) {
    for (const e of entries) {
      const p = parsePrefix(e.prefix);
      if (p.family === 'ipv4-unicast') {
        const length = p.prefix % 64;
        const address = Math.floor(p.prefix / 64);
        const { ge, le } = bounds(e, length, 32);
        let g = this.groups4.find((x) => x.length === length);
        if (g === undefined) {
          g = { length, mask: maskOf(length), byAddress: new Map() };
          this.groups4.push(g);
        }
        let allowed = g.byAddress.get(address);
        if (allowed === undefined) {
          allowed = new Uint8Array(33);
          g.byAddress.set(address, allowed);
        }
        for (let l = ge; l <= le; l++) allowed[l] = 1;
      } else {
        const slash = p.prefix.indexOf('/');
        const length = Number(p.prefix.slice(slash + 1));
        this.entries6.push({ bytes: ipv6ToBytes(p.prefix.slice(0, slash)), length, ...bounds(e, length, 128) });
      }
    }
    this.groups4.sort((a, b) => a.length - b.length);
  }

  /** `prefix` is address·64 + length. */
  matches4(prefix: number): boolean {
    const length = prefix % 64;
    const address = (prefix - length) / 64;
    for (const g of this.groups4) {
      if (g.length > length) break; // a route is never shorter than the entry it falls under
      const allowed = g.byAddress.get((address & g.mask) >>> 0);
      if (allowed !== undefined && allowed[length] === 1) return true;
    }
    return false;
  }

  /** `prefix` is canonical IPv6 prefix text. */
  matches6(prefix: string): boolean {
    if (this.entries6.length === 0) return false;
    const slash = prefix.indexOf('/');
    const length = Number(prefix.slice(slash + 1));
    let bytes: Buffer | undefined;
    for (const e of this.entries6) {
      if (length < e.ge || length > e.le) continue;
      bytes ??= ipv6ToBytes(prefix.slice(0, slash));
      if (samePrefixBits(bytes, e.bytes, e.length)) return true;
    }
    return false;
  }

  get hasIpv4(): boolean {
    return this.groups4.length > 0;
  }

  get hasIpv6(): boolean {
    return this.entries6.length > 0;
  }
}

function samePrefixBits(a: Buffer, b: Buffer, length: number): boolean {
  const whole = length >> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false;
  const rest = length & 7;
  if (rest === 0) return true;
  const m = (0xff << (8 - rest)) & 0xff;
  return (a[whole]! & m) === (b[whole]! & m);
}
