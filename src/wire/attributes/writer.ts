// Growable big-endian byte writer for the UPDATE encoder, with attribute framing that picks
// the one- or two-octet Attribute Length after the value is written (RFC 4271 §4.3: the
// Extended Length bit is set only when the value needs it, which is what every peer expects).
//
//   +---------------+---------------+---------------+---------------+
//   | Attr. Flags   |Attr. Type Code| Length (1 octet, or 2 if E=1) | value...
//   +---------------+---------------+---------------+---------------+
import { AttrFlag } from './codes.js';
import { encodeInvalid } from './fail.js';

export class ByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialSize = 512) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    b[this.pos] = v >>> 8;
    b[this.pos + 1] = v;
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
    this.pos = p + 4;
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** Starts an attribute; the header is provisional until endAttr. Returns its offset. */
  beginAttr(flags: number, code: number): number {
    this.ensure(4);
    const mark = this.pos;
    this.buf[mark] = (flags & 0xe0) | AttrFlag.EXTENDED_LENGTH;
    this.buf[mark + 1] = code;
    this.pos += 4;
    return mark;
  }

  /** Closes an attribute: one-octet length when it fits (value shifted back one octet). */
  endAttr(mark: number): void {
    const len = this.pos - mark - 4;
    const b = this.buf;
    if (len <= 255) {
      b[mark] = b[mark]! & ~AttrFlag.EXTENDED_LENGTH;
      b[mark + 2] = len;
      b.copyWithin(mark + 3, mark + 4, this.pos);
      this.pos -= 1;
    } else if (len <= 0xffff) {
      b[mark + 2] = len >>> 8;
      b[mark + 3] = len;
    } else {
      throw encodeInvalid(`attribute ${b[mark + 1]} value of ${len} octets does not fit a 2-octet length`);
    }
  }

  /** A copy of the written bytes (the scratch buffer may be large and is not retained). */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
