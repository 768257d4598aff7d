// fast-check arbitraries for UPDATE messages that the codec must round-trip exactly
// (decode(encode(x)) deep-equals x), for a 4-octet or a 2-octet AS session.
import fc from 'fast-check';
import { bytesToIpv6 } from '../../src/lib/prefix.js';
import { needsAs4Path } from '../../src/wire/attributes/as-path.js';
import type { AsPathSegment, AsPathSegmentType, CodecContext, PathAttributes, UpdateMessage } from '../../src/wire/types.js';
import { context } from './update-fixtures.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });

export const prefix4Arb = fc.tuple(u32, fc.integer({ min: 0, max: 32 })).map(([a, len]) => {
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((a & mask) >>> 0) * 64 + len;
});

export const prefix6Arb = fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 })).map(([b, len]) => {
  const bytes = Uint8Array.from(b);
  for (let bit = len; bit < 128; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return `${bytesToIpv6(bytes)}/${len}`;
});

const ipv6Arb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => bytesToIpv6(b));

function segmentsArb(types: AsPathSegmentType[], asn: fc.Arbitrary<number>, max: number): fc.Arbitrary<AsPathSegment[]> {
  return fc.array(fc.record({ type: fc.constantFrom(...types), asns: fc.array(asn, { minLength: 1, maxLength: 8 }) }), { maxLength: max });
}

/**
 * Path attributes representable on a session. With 2-octet ASNs (RFC 6793) confederation
 * segments hold only 2-octet ASNs and come first, and an aggregator of a route whose path needs
 * AS4_PATH must itself be AS_TRANS or a 4-octet AS (otherwise the receiver ignores AS4_PATH).
 */
export function attrsArb(as4: boolean, withNextHop: boolean): fc.Arbitrary<PathAttributes> {
  const asn = fc.oneof(fc.integer({ min: 0, max: 0xffff }), u32);
  const asPath = as4
    ? segmentsArb([1, 2, 3, 4], asn, 4)
    : fc.tuple(segmentsArb([3, 4], fc.integer({ min: 0, max: 0xffff }), 1), segmentsArb([1, 2], asn, 3)).map(([c, s]) => [...c, ...s]);
  return fc
    .record(
      {
        origin: fc.constantFrom(0 as const, 1 as const, 2 as const),
        asPath,
        nextHop: fc.integer({ min: 1, max: 0xdfffffff }),
        med: u32,
        localPref: u32,
        atomicAggregate: fc.constant(true),
        aggregator: fc.record({ asn, address: u32 }),
        communities: fc.array(u32, { minLength: 1, maxLength: 6 }),
        extCommunities: fc.array(fc.uint8Array({ minLength: 8, maxLength: 8 }), { minLength: 1, maxLength: 3 }).map((l) => Buffer.concat(l)),
        largeCommunities: fc.array(fc.record({ global: u32, local1: u32, local2: u32 }), { minLength: 1, maxLength: 3 }),
        originatorId: u32,
        clusterList: fc.array(u32, { minLength: 1, maxLength: 4 }),
        unknown: fc
          .uniqueArray(fc.integer({ min: 100, max: 200 }), { minLength: 1, maxLength: 2 })
          .chain((codes) =>
            fc.tuple(...codes.sort((x, y) => x - y).map((code) => fc.uint8Array({ maxLength: 300 }).map((v) => ({ flags: 0xe0, code, value: Buffer.from(v) })))),
          ),
      },
      { requiredKeys: ['origin', 'asPath'] },
    )
    .map((a) => {
      const attrs: PathAttributes = { ...a, unknown: a.unknown ? [...a.unknown] : undefined };
      if (attrs.unknown === undefined) delete attrs.unknown;
      if (!withNextHop) delete attrs.nextHop;
      else if (attrs.nextHop === undefined) attrs.nextHop = 0x0a000001;
      const g = attrs.aggregator;
      if (!as4 && g && g.asn <= 0xffff && g.asn !== 23456 && needsAs4Path(attrs.asPath)) attrs.aggregator = { ...g, asn: g.asn + 0x10000 };
      return attrs;
    });
}

export interface UpdateCase {
  ctx: CodecContext;
  msg: UpdateMessage;
}

function withIds<T>(list: [T, number][], addPath: boolean): { prefixes: T[]; pathIds?: number[] } {
  const prefixes = list.map((x) => x[0]);
  return addPath ? { prefixes, pathIds: list.map((x) => x[1]) } : { prefixes };
}

/** A whole UPDATE and the context it round-trips in. */
export function updateCaseArb(as4: boolean): fc.Arbitrary<UpdateCase> {
  return fc
    .record({
      addPath: fc.boolean(),
      withdrawn: fc.array(fc.tuple(prefix4Arb, u32), { maxLength: 12 }),
      nlri: fc.array(fc.tuple(prefix4Arb, u32), { maxLength: 12 }),
      reach: fc.option(fc.record({ prefixes: fc.array(fc.tuple(prefix6Arb, u32), { maxLength: 8 }), nextHop: ipv6Arb, ll: fc.option(ipv6Arb) })),
      unreach: fc.option(fc.array(fc.tuple(prefix6Arb, u32), { maxLength: 8 })),
      bareAttrs: fc.boolean(),
    })
    .chain((r) => {
      const needAttrs = r.nlri.length > 0 || r.reach !== null || !r.bareAttrs;
      return (needAttrs ? attrsArb(as4, r.nlri.length > 0).map((a): PathAttributes | null => a) : fc.constant(null)).map((attrs): UpdateCase => {
        const families = r.addPath ? (['ipv4-unicast', 'ipv6-unicast'] as const) : [];
        const msg: UpdateMessage = {
          kind: 'update',
          withdrawn: { family: 'ipv4-unicast', ...withIds(r.withdrawn, r.addPath) },
          attrs,
          nlri: { family: 'ipv4-unicast', ...withIds(r.nlri, r.addPath) },
          treatAsWithdraw: false,
          attributeErrors: [],
        };
        if (r.reach) {
          msg.mpReach = { nlri: { family: 'ipv6-unicast', ...withIds(r.reach.prefixes, r.addPath) }, nextHop: r.reach.nextHop };
          if (r.reach.ll !== null) msg.mpReach.linkLocalNextHop = r.reach.ll;
        }
        if (r.unreach) msg.mpUnreach = { family: 'ipv6-unicast', ...withIds(r.unreach, r.addPath) };
        return { ctx: context(as4, [...families], true), msg };
      });
    });
}
