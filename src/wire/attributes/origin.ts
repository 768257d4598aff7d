// ORIGIN (type 1), RFC 4271 §4.3 / §5.1.1. RFC 7606 §7.1: bad length or undefined value →
// treat-as-withdraw.
//
//   +---------------+
//   | ORIGIN (1 oct)|  0 IGP, 1 EGP, 2 INCOMPLETE
//   +---------------+
import type { Origin } from '../types.js';
import { AttrCode, FLAGS_WELL_KNOWN } from './codes.js';
import type { AttrDescriptor } from './descriptor.js';
import { encodeInvalid } from './fail.js';

export const originAttr: AttrDescriptor = {
  code: AttrCode.ORIGIN,
  name: 'ORIGIN',
  slug: 'origin',
  flags: FLAGS_WELL_KNOWN,
  malformed: 'treat-as-withdraw',
  decode(b, off, len, st) {
    if (len !== 1) return 'origin-bad-length';
    const v = b[off]!;
    if (v > 2) return 'origin-bad-value';
    st.attrs.origin = v as Origin;
    return null;
  },
  present: (a) => a.origin !== undefined,
  encode(a, _ctx, w) {
    const v = a.origin!;
    if (v !== 0 && v !== 1 && v !== 2) throw encodeInvalid(`ORIGIN ${String(v)} is not 0, 1 or 2`);
    w.u8(v);
  },
};
