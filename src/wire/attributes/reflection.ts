// ORIGINATOR_ID (type 9) and CLUSTER_LIST (type 10), RFC 4456 §8.
//
//   ORIGINATOR_ID: +------------------------------+
//                  | router id (4 octets)         |
//   CLUSTER_LIST:  n × | cluster id (4 octets)    |
//
// RFC 7606 §7.9 / §7.10: ORIGINATOR_ID length other than 4, CLUSTER_LIST length not a
// non-zero multiple of 4 → treat-as-withdraw.
import { AttrCode, FLAGS_OPTIONAL_NON_TRANSITIVE } from './codes.js';
import { readU32, type AttrDescriptor } from './descriptor.js';
import { encodeInvalid } from './fail.js';

function checkU32(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw encodeInvalid(`${what} ${v} is not a u32`);
}

export const originatorIdAttr: AttrDescriptor = {
  code: AttrCode.ORIGINATOR_ID,
  name: 'ORIGINATOR_ID',
  slug: 'originator-id',
  flags: FLAGS_OPTIONAL_NON_TRANSITIVE,
  malformed: 'treat-as-withdraw',
  decode(b, off, len, st) {
    if (len !== 4) return 'originator-id-bad-length';
    st.attrs.originatorId = readU32(b, off);
    return null;
  },
  present: (a) => a.originatorId !== undefined,
  encode(a, _ctx, w) {
    checkU32(a.originatorId!, 'ORIGINATOR_ID');
    w.u32(a.originatorId!);
  },
};

export const clusterListAttr: AttrDescriptor = {
  code: AttrCode.CLUSTER_LIST,
  name: 'CLUSTER_LIST',
  slug: 'cluster-list',
  flags: FLAGS_OPTIONAL_NON_TRANSITIVE,
  malformed: 'treat-as-withdraw',
  decode(b, off, len, st) {
    if (len === 0 || len % 4 !== 0) return 'cluster-list-bad-length';
    const n = len >> 2;
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = readU32(b, off + i * 4);
    st.attrs.clusterList = out;
    return null;
  },
  present: (a) => a.clusterList !== undefined && a.clusterList.length > 0,
  encode(a, _ctx, w) {
    const list = a.clusterList!;
    w.ensure(list.length * 4);
    for (const id of list) {
      checkU32(id, 'CLUSTER_LIST id');
      w.u32(id);
    }
  },
};
