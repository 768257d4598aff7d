// NEXT_HOP (type 3), RFC 4271 §4.3 / §5.1.3: the IPv4 next hop of the classic NLRI field.
//
//   +-------------------------------+
//   | IPv4 address (4 octets)       |
//   +-------------------------------+
//
// RFC 7606 §7.3: bad length → treat-as-withdraw. RFC 4271 §6.3: a semantically incorrect
// NEXT_HOP means the route is ignored without NOTIFICATION, i.e. treat-as-withdraw too. Only
// what the codec can judge alone is checked here: 0.0.0.0 and 224.0.0.0 and above (multicast,
// class E, limited broadcast); "is it my own address" belongs to the session layer.
// When the UPDATE has no classic NLRI the NEXT_HOP is ignored (RFC 4760 §3), so the decoder
// downgrades these findings to attribute-discard there (see update-decode.ts).
import { AttrCode, FLAGS_WELL_KNOWN } from './codes.js';
import { readU32, type AttrDescriptor } from './descriptor.js';
import { encodeInvalid } from './fail.js';

export function isUsableNextHop4(addr: number): boolean {
  return addr !== 0 && addr < 0xe0000000;
}

export const nextHopAttr: AttrDescriptor = {
  code: AttrCode.NEXT_HOP,
  name: 'NEXT_HOP',
  slug: 'next-hop',
  flags: FLAGS_WELL_KNOWN,
  malformed: 'treat-as-withdraw',
  decode(b, off, len, st) {
    if (len !== 4) return 'next-hop-bad-length';
    const addr = readU32(b, off);
    if (!isUsableNextHop4(addr)) return 'next-hop-invalid';
    st.attrs.nextHop = addr;
    return null;
  },
  present: (a) => a.nextHop !== undefined,
  encode(a, _ctx, w) {
    const v = a.nextHop!;
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw encodeInvalid(`NEXT_HOP ${v} is not an IPv4 address`);
    w.u32(v);
  },
};
