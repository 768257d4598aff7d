// Typed decode/encode failures. A WireError is always a session reset (RFC 7606 §2
// "session reset"): it carries the NOTIFICATION the speaker must send.

/** Stable machine codes for wire failures, shown in logs and `wren status`. */
export type WireErrorCode =
  | 'bad-marker'
  | 'bad-length'
  | 'bad-type'
  | 'open-malformed'
  | 'open-bad-capability'
  | 'update-malformed'
  | 'attribute-malformed'
  | 'notification-malformed'
  | 'route-refresh-malformed'
  | 'keepalive-malformed'
  | 'encode-too-large'
  | 'encode-invalid';

export class WireError extends Error {
  override readonly name = 'WireError';
  constructor(
    readonly code: WireErrorCode,
    /** NOTIFICATION error code (RFC 4271 §4.5) to send */
    readonly notifCode: number,
    /** NOTIFICATION error subcode */
    readonly notifSubcode: number,
    /** NOTIFICATION data */
    readonly data: Buffer,
    message: string,
  ) {
    super(message);
  }
}
