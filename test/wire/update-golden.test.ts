// Golden bytes both ways (GoBGP style): each row is (message hex, context, value). Rows marked
// decodeOnly are inputs Wren accepts but never produces (the encoder would write them
// differently, e.g. AS4_PATH always carries the whole path).
import { describe, expect, it } from 'vitest';
import { parsePrefix4 } from '../../src/lib/prefix.js';
import { encodeEndOfRib, isEndOfRib } from '../../src/wire/end-of-rib.js';
import { decodeUpdate } from '../../src/wire/update-decode.js';
import { encodeUpdate } from '../../src/wire/update-encode.js';
import type { CodecContext, PathAttributes, UpdateMessage } from '../../src/wire/types.js';
import { AS2, AS4, bodyOf, context, hex, withHeader } from './update-fixtures.js';

const p4 = parsePrefix4;

function update(parts: Partial<UpdateMessage> & { attrs: PathAttributes | null }): UpdateMessage {
  return {
    kind: 'update',
    withdrawn: { family: 'ipv4-unicast', prefixes: [] },
    nlri: { family: 'ipv4-unicast', prefixes: [] },
    treatAsWithdraw: false,
    attributeErrors: [],
    ...parts,
  };
}

interface Golden {
  name: string;
  ctx: CodecContext;
  /** UPDATE body hex; the header is added by withHeader */
  body: string;
  value: UpdateMessage;
  decodeOnly?: boolean;
}

const manyCommunities = Array.from({ length: 70 }, (_, i) => (0xfde80000 + i) >>> 0);

const GOLDEN: Golden[] = [
  {
    name: 'every attribute, 4-octet AS session',
    ctx: AS4,
    body: `
      0003 100a01
      0076
      40 01 01 00
      40 02 10 02 02 0000fde9 fa56ea00 01 01 0000fdf2
      40 03 04 c0000201
      80 04 04 00000064
      40 05 04 000000c8
      40 06 00
      c0 07 08 0000fde9 c0000201
      c0 08 08 fde80001 ffffff01
      80 09 04 0a000001
      80 0a 08 0a000002 0a000003
      c0 10 08 0002fde800000064
      c0 20 0c 0000fde8 00000001 00000002
      e0 63 02 abcd
      18 c0a801 08 0a 00`,
    value: update({
      withdrawn: { family: 'ipv4-unicast', prefixes: [p4('10.1.0.0/16')] },
      attrs: {
        origin: 0,
        asPath: [
          { type: 2, asns: [65001, 4200000000] },
          { type: 1, asns: [65010] },
        ],
        nextHop: 0xc0000201,
        med: 100,
        localPref: 200,
        atomicAggregate: true,
        aggregator: { asn: 65001, address: 0xc0000201 },
        communities: [0xfde80001, 0xffffff01],
        originatorId: 0x0a000001,
        clusterList: [0x0a000002, 0x0a000003],
        extCommunities: hex('0002fde800000064'),
        largeCommunities: [{ global: 65000, local1: 1, local2: 2 }],
        unknown: [{ flags: 0xe0, code: 0x63, value: hex('abcd') }],
      },
      nlri: { family: 'ipv4-unicast', prefixes: [p4('192.168.1.0/24'), p4('10.0.0.0/8'), p4('0.0.0.0/0')] },
    }),
  },
  {
    name: '2-octet session: AS_TRANS in AS_PATH/AGGREGATOR, real ASNs in AS4_PATH/AS4_AGGREGATOR',
    ctx: AS2,
    body: `
      0000
      003f
      40 01 01 00
      40 02 0a 02 02 fde9 5ba0 01 01 fdf2
      40 03 04 c0000201
      c0 07 06 5ba0 c0000201
      c0 11 10 02 02 0000fde9 fa56ea00 01 01 0000fdf2
      c0 12 08 fa56ea01 c0000201
      18 c0a801`,
    value: update({
      attrs: {
        origin: 0,
        asPath: [
          { type: 2, asns: [65001, 4200000000] },
          { type: 1, asns: [65010] },
        ],
        nextHop: 0xc0000201,
        aggregator: { asn: 4200000001, address: 0xc0000201 },
      },
      nlri: { family: 'ipv4-unicast', prefixes: [p4('192.168.1.0/24')] },
    }),
  },
  {
    name: '2-octet session without large ASNs: no AS4_PATH',
    ctx: AS2,
    body: '0000 0014 40010102 4002060202fde9fdea 400304c0000201 18c0a801',
    value: update({
      attrs: { origin: 2, asPath: [{ type: 2, asns: [65001, 65002] }], nextHop: 0xc0000201 },
      nlri: { family: 'ipv4-unicast', prefixes: [p4('192.168.1.0/24')] },
    }),
  },
  {
    name: 'AS4_PATH shorter than AS_PATH replaces only the trailing ASNs (RFC 6793 §4.2.3)',
    ctx: AS2,
    decodeOnly: true,
    body: '0000 001f 40010100 4002080203fde9fdea5ba0 400304c0000201 c01106 0201 fa56ea00 18c0a801',
    value: update({
      attrs: { origin: 0, asPath: [{ type: 2, asns: [65001, 65002, 4200000000] }], nextHop: 0xc0000201 },
      nlri: { family: 'ipv4-unicast', prefixes: [p4('192.168.1.0/24')] },
    }),
  },
  {
    name: 'leading confederation segment of AS_PATH survives reconciliation',
    ctx: AS2,
    decodeOnly: true,
    body: '0000 0025 40010100 40020a 0301fde8 0202fde95ba0 400304c0000201 c0110a 0202 0000fde9 fa56ea00 18c0a801',
    value: update({
      attrs: {
        origin: 0,
        asPath: [
          { type: 3, asns: [65000] },
          { type: 2, asns: [65001, 4200000000] },
        ],
        nextHop: 0xc0000201,
      },
      nlri: { family: 'ipv4-unicast', prefixes: [p4('192.168.1.0/24')] },
    }),
  },
  {
    name: 'AS4_PATH longer than AS_PATH is ignored',
    ctx: AS2,
    decodeOnly: true,
    body: '0000 0023 40010100 4002040201 5ba0 400304c0000201 c0110e 0203 0000fde9 fa56ea00 fa56ea01 18c0a801',
    value: update({
      attrs: { origin: 0, asPath: [{ type: 2, asns: [23456] }], nextHop: 0xc0000201 },
      nlri: { family: 'ipv4-unicast', prefixes: [p4('192.168.1.0/24')] },
      attributeErrors: [{ action: 'attribute-discard', code: 17, reason: 'as4-path-longer-than-as-path' }],
    }),
  },
  {
    name: 'AGGREGATOR not AS_TRANS: AS4_PATH and AS4_AGGREGATOR ignored',
    ctx: AS2,
    decodeOnly: true,
    body: '0000 002f 40010100 4002040201 5ba0 400304c0000201 c00706 fde9 c0000201 c01106 0201 fa56ea00 c01208 fa56ea01 c0000201 18c0a801',
    value: update({
      attrs: { origin: 0, asPath: [{ type: 2, asns: [23456] }], nextHop: 0xc0000201, aggregator: { asn: 65001, address: 0xc0000201 } },
      nlri: { family: 'ipv4-unicast', prefixes: [p4('192.168.1.0/24')] },
      attributeErrors: [
        { action: 'attribute-discard', code: 18, reason: 'as4-aggregator-ignored-aggregator-not-as-trans' },
        { action: 'attribute-discard', code: 17, reason: 'as4-path-ignored-aggregator-not-as-trans' },
      ],
    }),
  },
  {
    name: '4-octet session: received AS4_PATH is discarded',
    ctx: AS4,
    decodeOnly: true,
    body: '0000 001d 40010100 4002060201 0000fde9 400304c0000201 c01106 0201 fa56ea00 18c0a801',
    value: update({
      attrs: { origin: 0, asPath: [{ type: 2, asns: [65001] }], nextHop: 0xc0000201 },
      nlri: { family: 'ipv4-unicast', prefixes: [p4('192.168.1.0/24')] },
      attributeErrors: [{ action: 'attribute-discard', code: 17, reason: 'as4-path-from-as4-peer' }],
    }),
  },
  {
    name: 'IPv6 MP_REACH_NLRI with a 16-octet next hop',
    ctx: AS4,
    body: `
      0000 0026
      80 0e 1c 0002 01 10 20010db8000000000000000000000001 00 30 20010db80001
      40 01 01 00
      40 02 00`,
    value: update({
      attrs: { origin: 0, asPath: [] },
      mpReach: { nlri: { family: 'ipv6-unicast', prefixes: ['2001:db8:1::/48'] }, nextHop: '2001:db8::1' },
    }),
  },
  {
    name: 'IPv6 MP_REACH_NLRI with global + link-local next hop (32 octets, RFC 2545)',
    ctx: AS4,
    body: `
      0000 0035
      80 0e 2b 0002 01 20 20010db8000000000000000000000001 fe800000000000000000000000000001 00
         20 20010db8 00
      40 01 01 00
      40 02 00`,
    value: update({
      attrs: { origin: 0, asPath: [] },
      mpReach: {
        nlri: { family: 'ipv6-unicast', prefixes: ['2001:db8::/32', '::/0'] },
        nextHop: '2001:db8::1',
        linkLocalNextHop: 'fe80::1',
      },
    }),
  },
  {
    name: 'IPv6 MP_UNREACH_NLRI alone (no other attributes needed)',
    ctx: AS4,
    body: '0000 000f 80 0f 0c 0002 01 40 20010db800000001',
    value: update({ attrs: null, mpUnreach: { family: 'ipv6-unicast', prefixes: ['2001:db8:0:1::/64'] } }),
  },
  {
    name: 'IPv4 over MP_REACH_NLRI',
    ctx: AS4,
    body: '0000 0017 80 0e 0d 0001 01 04 c0000201 00 18 c0a801 40 01 01 00 40 02 00',
    value: update({
      attrs: { origin: 0, asPath: [] },
      mpReach: { nlri: { family: 'ipv4-unicast', prefixes: [p4('192.168.1.0/24')] }, nextHop: 0xc0000201 },
    }),
  },
  {
    name: 'End-of-RIB IPv4 unicast',
    ctx: AS4,
    body: '0000 0000',
    value: update({ attrs: null }),
  },
  {
    name: 'End-of-RIB IPv6 unicast',
    ctx: AS4,
    body: '0000 0006 80 0f 03 0002 01',
    value: update({ attrs: null, mpUnreach: { family: 'ipv6-unicast', prefixes: [] } }),
  },
  {
    name: 'extended length attribute (COMMUNITIES of 280 octets)',
    ctx: AS4,
    body: `0000 012a 40010100 400200 400304c0000201 d0 08 0118 ${manyCommunities.map((c) => c.toString(16).padStart(8, '0')).join('')} 18c0a801`,
    value: update({
      attrs: { origin: 0, asPath: [], nextHop: 0xc0000201, communities: manyCommunities },
      nlri: { family: 'ipv4-unicast', prefixes: [p4('192.168.1.0/24')] },
    }),
  },
  {
    name: 'extended length flag on a short attribute is honoured',
    ctx: AS4,
    decodeOnly: true,
    body: '0000 000f 50 01 0001 00 400200 400304c0000201 18c0a801',
    value: update({
      attrs: { origin: 0, asPath: [], nextHop: 0xc0000201 },
      nlri: { family: 'ipv4-unicast', prefixes: [p4('192.168.1.0/24')] },
    }),
  },
  {
    name: 'unknown optional transitive attribute gets the Partial bit',
    ctx: AS4,
    decodeOnly: true,
    body: '0000 0012 40010100 400200 400304c0000201 c0 63 01 01 18c0a801',
    value: update({
      attrs: { origin: 0, asPath: [], nextHop: 0xc0000201, unknown: [{ flags: 0xe0, code: 0x63, value: hex('01') }] },
      nlri: { family: 'ipv4-unicast', prefixes: [p4('192.168.1.0/24')] },
    }),
  },
  {
    name: 'ADD-PATH path identifiers in withdrawn routes and NLRI (RFC 7911)',
    ctx: context(true, ['ipv4-unicast']),
    body: '0008 00000001 18 0a0000 000e 40010100 400200 400304c0000201 00000002 18 c0a801',
    value: update({
      withdrawn: { family: 'ipv4-unicast', prefixes: [p4('10.0.0.0/24')], pathIds: [1] },
      attrs: { origin: 0, asPath: [], nextHop: 0xc0000201 },
      nlri: { family: 'ipv4-unicast', prefixes: [p4('192.168.1.0/24')], pathIds: [2] },
    }),
  },
  {
    name: 'ADD-PATH in IPv6 MP_REACH_NLRI',
    ctx: context(true, ['ipv6-unicast']),
    body: '0000 002a 80 0e 20 0002 01 10 20010db8000000000000000000000001 00 0000000a 30 20010db80001 40 01 01 00 40 02 00',
    value: update({
      attrs: { origin: 0, asPath: [] },
      mpReach: { nlri: { family: 'ipv6-unicast', prefixes: ['2001:db8:1::/48'], pathIds: [10] }, nextHop: '2001:db8::1' },
    }),
  },
  {
    name: 'trailing prefix bits are cleared (RFC 4271 §4.3: irrelevant)',
    ctx: AS4,
    decodeOnly: true,
    body: '0000 000e 40010100 400200 400304c0000201 17 c0a8ff',
    value: update({
      attrs: { origin: 0, asPath: [], nextHop: 0xc0000201 },
      nlri: { family: 'ipv4-unicast', prefixes: [p4('192.168.254.0/23')] },
    }),
  },
];

describe('UPDATE golden bytes', () => {
  for (const g of GOLDEN) {
    const message = hex(withHeader(g.body));
    it(`decodes: ${g.name}`, () => {
      expect(decodeUpdate(bodyOf(message), g.ctx)).toEqual(g.value);
    });
    if (!g.decodeOnly) {
      it(`encodes: ${g.name}`, () => {
        expect(encodeUpdate(g.value, g.ctx).toString('hex')).toBe(message.toString('hex'));
      });
    }
  }
});

describe('End-of-RIB (RFC 4724 §2)', () => {
  it('encodes the IPv4 marker as the empty UPDATE', () => {
    expect(encodeEndOfRib('ipv4-unicast').toString('hex')).toBe(withHeader('00000000'));
  });

  it('encodes the IPv6 marker as an empty MP_UNREACH_NLRI', () => {
    expect(encodeEndOfRib('ipv6-unicast').toString('hex')).toBe(withHeader('0000 0006 800f03000201'.replace(/ /g, '')));
  });

  it('recognises both markers after decoding', () => {
    expect(isEndOfRib(decodeUpdate(bodyOf(encodeEndOfRib('ipv4-unicast')), AS4))).toBe('ipv4-unicast');
    expect(isEndOfRib(decodeUpdate(bodyOf(encodeEndOfRib('ipv6-unicast')), AS4))).toBe('ipv6-unicast');
  });

  it('does not take UPDATEs with content for markers', () => {
    expect(isEndOfRib(decodeUpdate(hex('0003100a010000'), AS4))).toBeNull();
    expect(isEndOfRib(decodeUpdate(hex('0000000f800f0c00020140 20010db800000001'), AS4))).toBeNull();
    expect(isEndOfRib(decodeUpdate(hex('0000 0007 800f03000201 400200'), AS4))).toBeNull();
  });
});
