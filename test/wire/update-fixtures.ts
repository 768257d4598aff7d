// Shared helpers for the UPDATE codec tests: contexts and hex framing.
import type { CodecContext, Family } from '../../src/wire/types.js';

export function context(as4: boolean, addPath: Family[] = [], extendedMessage = false): CodecContext {
  return { as4, extendedMessage, addPathReceive: new Set(addPath), addPathSend: new Set(addPath) };
}

export const AS4 = context(true);
export const AS2 = context(false);

/** Full UPDATE message hex from a body hex (marker, length, type 2 prepended). */
export function withHeader(bodyHex: string): string {
  const body = bodyHex.replace(/\s+/g, '');
  const len = 19 + body.length / 2;
  return `${'ff'.repeat(16)}${len.toString(16).padStart(4, '0')}02${body}`;
}

export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

/** The body (after the 19-octet header) of a full message. */
export function bodyOf(message: Buffer): Buffer {
  return message.subarray(19);
}
