// WireErrors raised while encoding. They never become a NOTIFICATION (notifCode 0): they mean
// the caller built a message the wire cannot carry, which is a bug or a packing decision above.

import { WireError } from './errors.js';

const NO_DATA = Buffer.alloc(0);

export function encodeInvalid(message: string): WireError {
  return new WireError('encode-invalid', 0, 0, NO_DATA, message);
}

export function encodeTooLarge(length: number, max: number, what: string): WireError {
  return new WireError('encode-too-large', 0, 0, NO_DATA, `${what} of ${length} octets exceeds the maximum ${max}`);
}

/** Throws encode-invalid unless `n` is an integer in 0..max. */
export function checkUint(n: number, max: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > max) throw encodeInvalid(`${what} ${n} is not an integer in 0..${max}`);
  return n;
}
