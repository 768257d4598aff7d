// WireError constructors for the UPDATE codec, so every session reset names its NOTIFICATION
// (RFC 4271 §6.3) in one place and callers never build a bare Error.
import { WireError } from '../errors.js';
import { ErrorCode } from '../constants.js';

const EMPTY = Buffer.alloc(0);

/** A structural UPDATE error (lengths, NLRI fields): RFC 7606 §4 / §5.3 session reset. */
export function updateMalformed(subcode: number, message: string, data: Buffer = EMPTY): WireError {
  return new WireError('update-malformed', ErrorCode.UPDATE_MESSAGE, subcode, data, message);
}

/** An attribute error that RFC 7606 still answers with a session reset. */
export function attributeMalformed(subcode: number, message: string, data: Buffer = EMPTY): WireError {
  return new WireError('attribute-malformed', ErrorCode.UPDATE_MESSAGE, subcode, data, message);
}

/** The caller asked to encode something the wire cannot carry (bad value, bad prefix). */
export function encodeInvalid(message: string): WireError {
  return new WireError('encode-invalid', 0, 0, EMPTY, message);
}

/** The encoded message would exceed the negotiated maximum size (RFC 4271 §4.1, RFC 8654). */
export function encodeTooLarge(size: number, max: number): WireError {
  return new WireError('encode-too-large', 0, 0, EMPTY, `UPDATE of ${size} octets exceeds the maximum of ${max}`);
}
