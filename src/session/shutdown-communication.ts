// RFC 9003 BGP Shutdown Communication: the data of a Cease / Administrative Shutdown or
// Administrative Reset NOTIFICATION.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  | Error code 6  |  Subcode 2/4  |    Length     |     ...       \
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+               /
//  \                 Shutdown Communication (UTF-8) ...           \
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Only the Length octet and the UTF-8 text are the NOTIFICATION data; the code and subcode
// are the NOTIFICATION's own fields.

/** RFC 9003 §2: at most 255 octets of UTF-8. */
export const SHUTDOWN_COMMUNICATION_MAX = 255;

/** NOTIFICATION data carrying `text`, cut at a character boundary to fit 255 octets. */
export function shutdownCommunication(text: string): Buffer {
  let bytes = Buffer.from(text, 'utf8');
  if (bytes.length > SHUTDOWN_COMMUNICATION_MAX) {
    // Cut before a UTF-8 continuation octet (10xxxxxx) so the text stays valid UTF-8.
    let end = SHUTDOWN_COMMUNICATION_MAX;
    while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
    bytes = bytes.subarray(0, end);
  }
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

/**
 * The text of a received Shutdown Communication, or null when the data is absent or not in
 * RFC 9003 form (RFC 9003 §4: a malformed one is logged, never fatal).
 */
export function parseShutdownCommunication(data: Buffer): string | null {
  if (data.length < 1) return null;
  const len = data[0]!;
  if (len === 0 || data.length < 1 + len) return null;
  const text = data.subarray(1, 1 + len);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(text);
  } catch {
    return null;
  }
}
