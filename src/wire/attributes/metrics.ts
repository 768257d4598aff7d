// MULTI_EXIT_DISC (type 4, RFC 4271 §5.1.4) and LOCAL_PREF (type 5, RFC 4271 §5.1.5).
//
//   +-------------------------------+
//   | value (4 octets, unsigned)    |
//   +-------------------------------+
//
// RFC 7606 §7.4 / §7.5: bad length → treat-as-withdraw. (§7.5 also says a LOCAL_PREF from an
// eBGP peer is discarded: the codec does not know the peer type, the session layer does it.)
import type { CodecContext, PathAttributes } from '../types.js';
import { AttrCode, FLAGS_OPTIONAL_NON_TRANSITIVE, FLAGS_WELL_KNOWN } from './codes.js';
import { readU32, type AttrDescriptor } from './descriptor.js';
import { encodeInvalid } from './fail.js';
import type { ByteWriter } from './writer.js';

function writeU32(v: number, what: string, w: ByteWriter): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw encodeInvalid(`${what} ${v} is not a u32`);
  w.u32(v);
}

export const medAttr: AttrDescriptor = {
  code: AttrCode.MULTI_EXIT_DISC,
  name: 'MULTI_EXIT_DISC',
  slug: 'med',
  flags: FLAGS_OPTIONAL_NON_TRANSITIVE,
  malformed: 'treat-as-withdraw',
  decode(b, off, len, st) {
    if (len !== 4) return 'med-bad-length';
    st.attrs.med = readU32(b, off);
    return null;
  },
  present: (a: PathAttributes) => a.med !== undefined,
  encode: (a: PathAttributes, _ctx: CodecContext, w: ByteWriter) => writeU32(a.med!, 'MED', w),
};

export const localPrefAttr: AttrDescriptor = {
  code: AttrCode.LOCAL_PREF,
  name: 'LOCAL_PREF',
  slug: 'local-pref',
  flags: FLAGS_WELL_KNOWN,
  malformed: 'treat-as-withdraw',
  decode(b, off, len, st) {
    if (len !== 4) return 'local-pref-bad-length';
    st.attrs.localPref = readU32(b, off);
    return null;
  },
  present: (a) => a.localPref !== undefined,
  encode: (a, _ctx, w) => writeU32(a.localPref!, 'LOCAL_PREF', w),
};
