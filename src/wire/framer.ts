// Splits a TCP byte stream into whole BGP messages (RFC 4271 §4.1 header):
//
// +--------------------------------+----------------+--------+-----------------------+
// | Marker (16, all ones)          | Length (2)     | Type(1)| body (Length - 19)    |
// +--------------------------------+----------------+--------+-----------------------+
//
// `push(chunk)` returns every message completed by the chunk (header included) and keeps the
// remainder. A message lying wholly inside one chunk is returned as a zero-copy subarray of it;
// only a message straddling chunks is copied, once, into a buffer of its exact size. The marker
// and length are checked as soon as a header is complete (RFC 4271 §6.1); the type is checked
// by the decoder (decodeMessage), which needs the whole message anyway.
//
// The framer does no I/O. After it throws, its state is unspecified: RFC 4271 §6.1 errors close
// the session, so the caller drops the framer with the connection.

import { HEADER_SIZE, MAX_EXTENDED_MESSAGE_SIZE, MAX_MESSAGE_SIZE } from './constants.js';
import { badMarker, badMessageLength, hasValidMarker } from './header.js';

export interface FramerInit {
  /**
   * Largest accepted message, header included. Default 4096 (RFC 4271 §4.1); raise to 65535
   * with setMaxMessageSize once RFC 8654 Extended Message is negotiated.
   */
  maxMessageSize?: number;
}

export class Framer {
  private maxMessageSize: number;
  /** an incomplete header straddling chunks (only the first `headerFill` octets are valid) */
  private readonly header = Buffer.allocUnsafe(HEADER_SIZE);
  private headerFill = 0;
  /** a message straddling chunks, allocated at its final size once its header was read */
  private partial: Buffer | null = null;
  private partialFill = 0;

  constructor(init: FramerInit = {}) {
    this.maxMessageSize = checkMax(init.maxMessageSize ?? MAX_MESSAGE_SIZE);
  }

  setMaxMessageSize(n: number): void {
    this.maxMessageSize = checkMax(n);
  }

  /** Octets held back waiting for the rest of a message. */
  get buffered(): number {
    return this.partial !== null ? this.partialFill : this.headerFill;
  }

  /** Returns the messages completed by `chunk`, in order. Throws WireError on a bad header. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    const n = chunk.length;
    let off = 0;

    // 1. Finish a header that straddled the previous chunk boundary.
    if (this.headerFill > 0) {
      const take = Math.min(HEADER_SIZE - this.headerFill, n);
      chunk.copy(this.header, this.headerFill, 0, take);
      this.headerFill += take;
      off = take;
      if (this.headerFill < HEADER_SIZE) return out;
      const length = this.checkHeader(this.header, 0);
      this.headerFill = 0;
      const msg = Buffer.allocUnsafe(length);
      this.header.copy(msg, 0, 0, HEADER_SIZE);
      this.partial = msg;
      this.partialFill = HEADER_SIZE;
    }

    // 2. Finish a message whose header we already have.
    const partial = this.partial;
    if (partial !== null) {
      const take = Math.min(partial.length - this.partialFill, n - off);
      chunk.copy(partial, this.partialFill, off, off + take);
      this.partialFill += take;
      off += take;
      if (this.partialFill < partial.length) return out;
      out.push(partial);
      this.partial = null;
      this.partialFill = 0;
    }

    // 3. Hot loop: whole messages inside this chunk are returned as subarrays.
    let length = 0;
    while (n - off >= HEADER_SIZE) {
      length = this.checkHeader(chunk, off);
      if (n - off < length) break;
      out.push(chunk.subarray(off, off + length));
      off += length;
      length = 0;
    }

    // 4. Keep the remainder. `length` is non-zero when a complete, checked header is present.
    const rest = n - off;
    if (rest > 0) {
      if (length === 0) {
        chunk.copy(this.header, 0, off, n);
        this.headerFill = rest;
      } else {
        const msg = Buffer.allocUnsafe(length);
        chunk.copy(msg, 0, off, n);
        this.partial = msg;
        this.partialFill = rest;
      }
    }
    return out;
  }

  /** RFC 4271 §6.1 header checks; returns the Length field. */
  private checkHeader(buf: Buffer, off: number): number {
    if (!hasValidMarker(buf, off)) throw badMarker();
    const length = buf.readUInt16BE(off + 16);
    if (length < HEADER_SIZE) {
      throw badMessageLength(length, 'bad-length', `shorter than the ${HEADER_SIZE}-octet header`);
    }
    if (length > this.maxMessageSize) {
      throw badMessageLength(length, 'bad-length', `longer than the maximum ${this.maxMessageSize}`);
    }
    return length;
  }
}

function checkMax(n: number): number {
  if (!Number.isInteger(n) || n < HEADER_SIZE || n > MAX_EXTENDED_MESSAGE_SIZE) {
    throw new RangeError(`maxMessageSize must be an integer in ${HEADER_SIZE}..${MAX_EXTENDED_MESSAGE_SIZE}`);
  }
  return n;
}
