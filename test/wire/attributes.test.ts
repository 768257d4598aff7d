// Attribute-level behaviour not covered by the golden table and the RFC 7606 corpus:
// encoder choices, value validation, AS4 helpers and the attribute table itself.
import { describe, expect, it } from 'vitest';
import { countAsPath, mergeAs4Path } from '../../src/wire/as4.js';
import { AttrCode, FLAGS_OPTIONAL_NON_TRANSITIVE, FLAGS_OPTIONAL_TRANSITIVE, FLAGS_WELL_KNOWN } from '../../src/wire/attributes/codes.js';
import { decodeAttrSet } from '../../src/wire/attributes/decode-attributes.js';
import { encodeAttributes } from '../../src/wire/attributes/encode-attributes.js';
import { ATTRIBUTE_BY_CODE, ATTRIBUTE_TABLE } from '../../src/wire/attributes/table.js';
import { WireError } from '../../src/wire/errors.js';
import type { PathAttributes } from '../../src/wire/types.js';
import { AS2, AS4, hex } from './update-fixtures.js';

function encodeError(f: () => unknown): WireError {
  try {
    f();
  } catch (e) {
    if (e instanceof WireError) return e;
    throw e;
  }
  throw new Error('expected a WireError');
}

describe('attribute table', () => {
  it('lists every supported attribute once, in type-code order, with RFC 4271 §5 flags', () => {
    const codes = ATTRIBUTE_TABLE.map((d) => d.code);
    expect(codes).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 16, 17, 18, 32]);
    for (const d of ATTRIBUTE_TABLE) expect(ATTRIBUTE_BY_CODE[d.code]).toBe(d);
    expect(ATTRIBUTE_BY_CODE[AttrCode.ORIGIN]!.flags).toBe(FLAGS_WELL_KNOWN);
    expect(ATTRIBUTE_BY_CODE[AttrCode.MULTI_EXIT_DISC]!.flags).toBe(FLAGS_OPTIONAL_NON_TRANSITIVE);
    expect(ATTRIBUTE_BY_CODE[AttrCode.COMMUNITIES]!.flags).toBe(FLAGS_OPTIONAL_TRANSITIVE);
  });

  it('names the RFC 7606 §7 action of every attribute', () => {
    const discard = ATTRIBUTE_TABLE.filter((d) => d.malformed === 'attribute-discard').map((d) => d.name);
    expect(discard).toEqual(['ATOMIC_AGGREGATE', 'AGGREGATOR', 'AS4_PATH', 'AS4_AGGREGATOR']);
  });
});

describe('attribute encoding', () => {
  const base: PathAttributes = { origin: 0, asPath: [] };

  it('uses the Extended Length flag only for values above 255 octets', () => {
    const short = encodeAttributes({ ...base, unknown: [{ flags: 0xe0, code: 150, value: Buffer.alloc(255, 1) }] }, AS4);
    const long = encodeAttributes({ ...base, unknown: [{ flags: 0xe0, code: 150, value: Buffer.alloc(256, 1) }] }, AS4);
    expect(short.subarray(7, 10).toString('hex')).toBe('e096ff');
    expect(long.subarray(7, 11).toString('hex')).toBe('f0960100');
  });

  it('writes MP_REACH_NLRI first and the rest by type code, unknowns merged in', () => {
    const bytes = encodeAttributes(
      { origin: 0, asPath: [], med: 1, largeCommunities: [{ global: 1, local1: 2, local2: 3 }], unknown: [{ flags: 0xe0, code: 20, value: hex('00') }] },
      AS4,
      { reach: { nlri: { family: 'ipv6-unicast', prefixes: [] }, nextHop: '2001:db8::1' } },
    );
    const codes: number[] = [];
    for (let p = 0; p < bytes.length; ) {
      const ext = bytes[p]! & 0x10;
      const len = ext ? bytes.readUInt16BE(p + 2) : bytes[p + 2]!;
      codes.push(bytes[p + 1]!);
      p += (ext ? 4 : 3) + len;
    }
    expect(codes).toEqual([14, 1, 2, 4, 20, 32]);
  });

  it('splits an AS_SEQUENCE longer than 255 ASNs into several segments', () => {
    const asns = Array.from({ length: 300 }, (_, i) => 64512 + i);
    const bytes = encodeAttributes({ origin: 0, asPath: [{ type: 2, asns }] }, AS4);
    const set = decodeAttrSet(bytes, 0, bytes.length, AS4);
    expect(set.attrs.asPath).toEqual([
      { type: 2, asns: asns.slice(0, 255) },
      { type: 2, asns: asns.slice(255) },
    ]);
  });

  it('refuses values the wire cannot carry', () => {
    expect(encodeError(() => encodeAttributes({ origin: 7 as 0, asPath: [] }, AS4)).code).toBe('encode-invalid');
    expect(encodeError(() => encodeAttributes({ origin: 0, asPath: [{ type: 2, asns: [2 ** 32] }] }, AS4)).code).toBe('encode-invalid');
    expect(encodeError(() => encodeAttributes({ origin: 0, asPath: [{ type: 1, asns: Array.from({ length: 256 }, (_, i) => i) }] }, AS4)).code).toBe('encode-invalid');
    expect(encodeError(() => encodeAttributes({ ...base, med: -1 }, AS4)).code).toBe('encode-invalid');
    expect(encodeError(() => encodeAttributes({ ...base, unknown: [{ flags: 0xc0, code: AttrCode.COMMUNITIES, value: hex('00000001') }] }, AS4)).code).toBe('encode-invalid');
    expect(encodeError(() => encodeAttributes({ ...base, extCommunities: hex('0001') }, AS4)).code).toBe('encode-invalid');
  });

  it('never sends empty community lists (RFC 7606 §7.8 would call them malformed)', () => {
    expect(encodeAttributes({ ...base, communities: [], clusterList: [], largeCommunities: [] }, AS4).toString('hex')).toBe('400101004002' + '00');
  });

  it('towards a 2-octet peer sends AS4_PATH only when an ASN needs it, without confed segments', () => {
    const small = encodeAttributes({ origin: 0, asPath: [{ type: 2, asns: [65001] }] }, AS2);
    expect(small.toString('hex')).toBe('40010100' + '4002040201fde9');
    const big = encodeAttributes({ origin: 0, asPath: [{ type: 3, asns: [65000] }, { type: 2, asns: [4200000000] }] }, AS2);
    expect(big.toString('hex')).toBe('40010100' + '4002080301fde802015ba0' + 'c011060201fa56ea00');
  });
});

describe('attribute decoding', () => {
  function decode(h: string, ctx = AS4) {
    const b = hex(h);
    return decodeAttrSet(b, 0, b.length, ctx);
  }

  it('treats 255.255.255.255 as an unusable NEXT_HOP', () => {
    expect(decode('400304ffffffff').errors).toEqual([{ action: 'treat-as-withdraw', code: 3, reason: 'next-hop-invalid' }]);
  });

  it('ignores an AS4_AGGREGATOR that has no AGGREGATOR to complete', () => {
    const set = decode('40010100 40020401 01 5ba0 c01208 fa56ea01 c0000201', AS2);
    expect(set.attrs.aggregator).toBeUndefined();
    expect(set.errors).toEqual([{ action: 'attribute-discard', code: 18, reason: 'as4-aggregator-without-aggregator' }]);
  });

  it('keeps AGGREGATOR at AS_TRANS when no AS4_AGGREGATOR came with it', () => {
    expect(decode('c00706 5ba0 c0000201', AS2).attrs.aggregator).toEqual({ asn: 23456, address: 0xc0000201 });
  });

  it('copies values out of the receive buffer', () => {
    const b = hex('c0100800020000fde80064 c0630101');
    const set = decodeAttrSet(b, 0, b.length, AS4);
    b.fill(0);
    expect(set.attrs.extCommunities?.toString('hex')).toBe('00020000fde80064');
    expect(set.attrs.unknown?.[0]?.value.toString('hex')).toBe('01');
  });

  it('records which mandatory attributes appeared, even malformed', () => {
    expect(decode('40010109 400200').seen).toBe(3);
  });
});

describe('AS4 helpers (RFC 6793 §4.2.3)', () => {
  it('counts an AS_SET as one and confederation segments as zero', () => {
    expect(
      countAsPath([
        { type: 3, asns: [1, 2] },
        { type: 2, asns: [3, 4, 5] },
        { type: 1, asns: [6, 7, 8] },
        { type: 4, asns: [9] },
      ]),
    ).toBe(4);
  });

  it('keeps the leading ASNs and appends AS4_PATH, joining the seam', () => {
    expect(mergeAs4Path([{ type: 2, asns: [1, 2, 23456, 23456] }], [{ type: 2, asns: [70000, 70001] }])).toEqual([{ type: 2, asns: [1, 2, 70000, 70001] }]);
  });

  it('keeps an AS_SET of the leading part whole', () => {
    expect(
      mergeAs4Path(
        [
          { type: 1, asns: [1, 2] },
          { type: 2, asns: [23456] },
        ],
        [{ type: 2, asns: [70000] }],
      ),
    ).toEqual([
      { type: 1, asns: [1, 2] },
      { type: 2, asns: [70000] },
    ]);
  });
});
