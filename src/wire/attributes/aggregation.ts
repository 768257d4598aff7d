// ATOMIC_AGGREGATE (type 6, RFC 4271 §5.1.6), AGGREGATOR (type 7, RFC 4271 §5.1.7, RFC 6793
// §3) and AS4_AGGREGATOR (type 18, RFC 6793 §3).
//
//   ATOMIC_AGGREGATE: no value (length 0)
//   AGGREGATOR:       +----------------------------+---------------------------+
//                     | AS (2 octets, 4 with AS4)  | IPv4 address (4 octets)   |
//                     +----------------------------+---------------------------+
//   AS4_AGGREGATOR:   | AS (4 octets)              | IPv4 address (4 octets)   |
//
// RFC 7606 §7.6 / §7.7: ATOMIC_AGGREGATE or AGGREGATOR with a bad length → attribute-discard.
// RFC 6793 §6: a malformed AS4_AGGREGATOR → attribute-discard.
import { AS_TRANS } from '../constants.js';
import { AttrCode, FLAGS_OPTIONAL_TRANSITIVE, FLAGS_WELL_KNOWN } from './codes.js';
import { readU32, type AttrDescriptor } from './descriptor.js';
import { encodeInvalid } from './fail.js';
import type { Aggregator } from '../types.js';
import type { ByteWriter } from './writer.js';

export const atomicAggregateAttr: AttrDescriptor = {
  code: AttrCode.ATOMIC_AGGREGATE,
  name: 'ATOMIC_AGGREGATE',
  slug: 'atomic-aggregate',
  flags: FLAGS_WELL_KNOWN,
  malformed: 'attribute-discard',
  decode(_b, _off, len, st) {
    if (len !== 0) return 'atomic-aggregate-bad-length';
    st.attrs.atomicAggregate = true;
    return null;
  },
  present: (a) => a.atomicAggregate === true,
  encode: () => {},
};

function checkAggregator(g: Aggregator): void {
  if (!Number.isInteger(g.asn) || g.asn < 0 || g.asn > 0xffffffff) throw encodeInvalid(`AGGREGATOR AS ${g.asn}`);
  if (!Number.isInteger(g.address) || g.address < 0 || g.address > 0xffffffff) throw encodeInvalid(`AGGREGATOR address ${g.address}`);
}

function writeAggregator(g: Aggregator, asnSize: 2 | 4, w: ByteWriter): void {
  checkAggregator(g);
  if (asnSize === 4) w.u32(g.asn);
  else w.u16(g.asn > 0xffff ? AS_TRANS : g.asn);
  w.u32(g.address);
}

export const aggregatorAttr: AttrDescriptor = {
  code: AttrCode.AGGREGATOR,
  name: 'AGGREGATOR',
  slug: 'aggregator',
  flags: FLAGS_OPTIONAL_TRANSITIVE,
  malformed: 'attribute-discard',
  decode(b, off, len, st) {
    if (st.ctx.as4) {
      if (len !== 8) return 'aggregator-bad-length';
      st.attrs.aggregator = { asn: readU32(b, off), address: readU32(b, off + 4) };
    } else {
      if (len !== 6) return 'aggregator-bad-length';
      st.attrs.aggregator = { asn: (b[off]! << 8) | b[off + 1]!, address: readU32(b, off + 2) };
    }
    return null;
  },
  present: (a) => a.aggregator !== undefined,
  encode: (a, ctx, w) => writeAggregator(a.aggregator!, ctx.as4 ? 4 : 2, w),
};

export const as4AggregatorAttr: AttrDescriptor = {
  code: AttrCode.AS4_AGGREGATOR,
  name: 'AS4_AGGREGATOR',
  slug: 'as4-aggregator',
  flags: FLAGS_OPTIONAL_TRANSITIVE,
  malformed: 'attribute-discard',
  decode(b, off, len, st) {
    if (len !== 8) return 'as4-aggregator-bad-length';
    st.as4Aggregator = { asn: readU32(b, off), address: readU32(b, off + 4) };
    return null;
  },
  // RFC 6793 §4.2.2: only towards a 2-octet peer, only when the AS does not fit 2 octets.
  present: (a, ctx) => !ctx.as4 && a.aggregator !== undefined && a.aggregator.asn > 0xffff,
  encode: (a, _ctx, w) => writeAggregator(a.aggregator!, 4, w),
};
