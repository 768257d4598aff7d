// Human text for path attributes, as BIRD and FRR print them (used by the CLI and API).
import type { AsPathSegment, LargeCommunity } from '../wire/types.js';
import { numberToIpv4 } from './prefix.js';

export function formatAsPath(segments: readonly AsPathSegment[]): string {
  return segments
    .map((s) => {
      const asns = s.asns.join(' ');
      switch (s.type) {
        case 1:
          return `{${asns}}`;
        case 2:
          return asns;
        case 3:
          return `(${asns})`;
        case 4:
          return `[${asns}]`;
      }
    })
    .join(' ');
}

const WELL_KNOWN: Record<number, string> = {
  0xffffff01: 'no-export',
  0xffffff02: 'no-advertise',
  0xffffff03: 'no-export-subconfed',
  0xffffff04: 'no-peer',
};

export function formatCommunity(c: number): string {
  return WELL_KNOWN[c] ?? `${c >>> 16}:${c & 0xffff}`;
}

export function formatLargeCommunity(c: LargeCommunity): string {
  return `${c.global}:${c.local1}:${c.local2}`;
}

/** RFC 4360 extended communities: route target / origin in the common encodings, else hex. */
export function formatExtCommunities(buf: Buffer): string[] {
  const out: string[] = [];
  for (let o = 0; o + 8 <= buf.length; o += 8) {
    const type = buf[o]!;
    const sub = buf[o + 1]!;
    const name = sub === 2 ? 'rt' : sub === 3 ? 'ro' : null;
    if (name && (type === 0x00 || type === 0x40)) out.push(`${name}:${buf.readUInt16BE(o + 2)}:${buf.readUInt32BE(o + 4)}`);
    else if (name && (type === 0x01 || type === 0x41)) out.push(`${name}:${numberToIpv4(buf.readUInt32BE(o + 2))}:${buf.readUInt16BE(o + 6)}`);
    else if (name && (type === 0x02 || type === 0x42)) out.push(`${name}:${buf.readUInt32BE(o + 2)}:${buf.readUInt16BE(o + 6)}`);
    else out.push(`0x${buf.subarray(o, o + 8).toString('hex')}`);
  }
  return out;
}
