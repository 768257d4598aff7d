// COMMUNITIES (type 8, RFC 1997), EXTENDED_COMMUNITIES (type 16, RFC 4360 §2) and
// LARGE_COMMUNITY (type 32, RFC 8092 §3).
//
//   COMMUNITIES:          n × +------------------------------+  (ASN << 16 | value)
//                             | community (4 octets)         |
//   EXTENDED_COMMUNITIES: n × | type, subtype, value (8 oct) |
//   LARGE_COMMUNITY:      n × | global (4) | local1 (4) | local2 (4) |
//
// RFC 7606 §7.8 / §7.14 and RFC 8092 §6: a length that is not a non-zero multiple of 4, 8 or
// 12 → treat-as-withdraw. An empty list is therefore never sent.
import type { LargeCommunity } from '../types.js';
import { AttrCode, FLAGS_OPTIONAL_TRANSITIVE } from './codes.js';
import { readU32, type AttrDescriptor } from './descriptor.js';
import { encodeInvalid } from './fail.js';

function checkU32(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw encodeInvalid(`${what} ${v} is not a u32`);
}

export const communitiesAttr: AttrDescriptor = {
  code: AttrCode.COMMUNITIES,
  name: 'COMMUNITIES',
  slug: 'communities',
  flags: FLAGS_OPTIONAL_TRANSITIVE,
  malformed: 'treat-as-withdraw',
  decode(b, off, len, st) {
    if (len === 0 || len % 4 !== 0) return 'communities-bad-length';
    const n = len >> 2;
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = readU32(b, off + i * 4);
    st.attrs.communities = out;
    return null;
  },
  present: (a) => a.communities !== undefined && a.communities.length > 0,
  encode(a, _ctx, w) {
    const list = a.communities!;
    w.ensure(list.length * 4);
    for (const c of list) {
      checkU32(c, 'community');
      w.u32(c);
    }
  },
};

export const extCommunitiesAttr: AttrDescriptor = {
  code: AttrCode.EXTENDED_COMMUNITIES,
  name: 'EXTENDED_COMMUNITIES',
  slug: 'ext-communities',
  flags: FLAGS_OPTIONAL_TRANSITIVE,
  malformed: 'treat-as-withdraw',
  decode(b, off, len, st) {
    if (len === 0 || len % 8 !== 0) return 'ext-communities-bad-length';
    // A copy: the receive buffer is reused by the framer, attributes live in the RIB.
    st.attrs.extCommunities = Buffer.from(b.subarray(off, off + len));
    return null;
  },
  present: (a) => a.extCommunities !== undefined && a.extCommunities.length > 0,
  encode(a, _ctx, w) {
    const v = a.extCommunities!;
    if (v.length % 8 !== 0) throw encodeInvalid(`EXTENDED_COMMUNITIES of ${v.length} octets is not a multiple of 8`);
    w.bytes(v);
  },
};

export const largeCommunityAttr: AttrDescriptor = {
  code: AttrCode.LARGE_COMMUNITY,
  name: 'LARGE_COMMUNITY',
  slug: 'large-communities',
  flags: FLAGS_OPTIONAL_TRANSITIVE,
  malformed: 'treat-as-withdraw',
  decode(b, off, len, st) {
    if (len === 0 || len % 12 !== 0) return 'large-communities-bad-length';
    const n = len / 12;
    const out = new Array<LargeCommunity>(n);
    for (let i = 0, p = off; i < n; i++, p += 12) {
      out[i] = { global: readU32(b, p), local1: readU32(b, p + 4), local2: readU32(b, p + 8) };
    }
    st.attrs.largeCommunities = out;
    return null;
  },
  present: (a) => a.largeCommunities !== undefined && a.largeCommunities.length > 0,
  encode(a, _ctx, w) {
    const list = a.largeCommunities!;
    w.ensure(list.length * 12);
    for (const c of list) {
      checkU32(c.global, 'large community global');
      checkU32(c.local1, 'large community local1');
      checkU32(c.local2, 'large community local2');
      w.u32(c.global);
      w.u32(c.local1);
      w.u32(c.local2);
    }
  },
};
