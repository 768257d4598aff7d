// KEEPALIVE message, RFC 4271 §4.4: the 19-octet header alone, type 4.
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                      Marker (16 octets)                       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Length = 19               |   Type = 4    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

import { HEADER_SIZE, KEEPALIVE_SIZE, MessageType } from './constants.js';
import { allocMessage, badMessageLength } from './header.js';
import type { KeepaliveMessage } from './types.js';

const KEEPALIVE: KeepaliveMessage = Object.freeze({ kind: 'keepalive' });

/** Decodes a KEEPALIVE body, which must be empty (RFC 4271 §6.1: length must be exactly 19). */
export function decodeKeepalive(body: Buffer): KeepaliveMessage {
  if (body.length !== 0) {
    throw badMessageLength(body.length + HEADER_SIZE, 'keepalive-malformed', `KEEPALIVE must be ${KEEPALIVE_SIZE} octets`);
  }
  return KEEPALIVE;
}

/** A whole KEEPALIVE message (a fresh buffer each call: callers may hand it to a socket). */
export function encodeKeepalive(): Buffer {
  return allocMessage(MessageType.KEEPALIVE, 0);
}
