// NOTIFICATION message, RFC 4271 §4.5 (after the 19-octet header):
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Error code    | Error subcode |   Data (variable)             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Shutdown Communication in the data of Cease / Administrative Shutdown and Administrative
// Reset, RFC 9003 §2 (obsoletes RFC 8203, raising the limit from 128 to 255 octets):
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Error code 6  |    Subcode    |    Length     |     ...       \
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+               /
// \                 Shutdown Communication (UTF-8) ...           \
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

import {
  CeaseSubcode,
  ErrorCode,
  FsmSubcode,
  HEADER_SIZE,
  MAX_EXTENDED_MESSAGE_SIZE,
  MAX_MESSAGE_SIZE,
  MAX_SHUTDOWN_COMMUNICATION_OCTETS,
  MIN_NOTIFICATION_SIZE,
  MessageHeaderSubcode,
  MessageType,
  OpenSubcode,
  RouteRefreshErrorSubcode,
  UpdateSubcode,
} from './constants.js';
import { WireError } from './errors.js';
import { allocMessage, badMessageLength } from './header.js';
import type { CodecContext, NotificationMessage } from './types.js';

/**
 * Decodes a NOTIFICATION body (the message after the header). The data is copied so the
 * message does not pin the receive buffer.
 *
 * Note for the session (RFC 4271 §6.4 has no reply to a NOTIFICATION): a WireError from here
 * has code 'notification-malformed' so the caller can close without sending one back.
 */
export function decodeNotification(body: Buffer): NotificationMessage {
  const length = body.length + HEADER_SIZE;
  if (length < MIN_NOTIFICATION_SIZE) {
    // RFC 4271 §6.1: shorter than the minimum length for its type.
    throw badMessageLength(length, 'notification-malformed', `NOTIFICATION needs at least ${MIN_NOTIFICATION_SIZE} octets`);
  }
  return { kind: 'notification', code: body[0]!, subcode: body[1]!, data: Buffer.from(body.subarray(2)) };
}

/**
 * Encodes a whole NOTIFICATION message. Deviation from "encoders throw when too large": the
 * data is truncated to fit the maximum message size (4096, or 65535 with RFC 8654 negotiated)
 * because a NOTIFICATION must always be sendable; the data is diagnostic only (RFC 4271 §4.5).
 */
export function encodeNotification(msg: NotificationMessage, ctx?: CodecContext): Buffer {
  if (!isOctet(msg.code) || !isOctet(msg.subcode)) {
    throw new WireError('encode-invalid', 0, 0, Buffer.alloc(0), `NOTIFICATION code ${msg.code}/${msg.subcode} out of range`);
  }
  const max = ctx?.extendedMessage === true ? MAX_EXTENDED_MESSAGE_SIZE : MAX_MESSAGE_SIZE;
  const dataLength = Math.min(msg.data.length, max - MIN_NOTIFICATION_SIZE);
  const buf = allocMessage(MessageType.NOTIFICATION, 2 + dataLength);
  buf[HEADER_SIZE] = msg.code;
  buf[HEADER_SIZE + 1] = msg.subcode;
  msg.data.copy(buf, HEADER_SIZE + 2, 0, dataLength);
  return buf;
}

// ---------------------------------------------------------------------------------------------
// RFC 9003 Shutdown Communication

/**
 * Length octet + UTF-8 text, at most 255 octets (RFC 9003 §2). Longer text is truncated at a
 * UTF-8 character boundary so the receiver never sees a broken sequence.
 */
export function encodeShutdownCommunication(text: string): Buffer {
  let utf8 = Buffer.from(text, 'utf8');
  if (utf8.length > MAX_SHUTDOWN_COMMUNICATION_OCTETS) {
    let end = MAX_SHUTDOWN_COMMUNICATION_OCTETS;
    // Back off over continuation octets (10xxxxxx) to the start of the cut character.
    while (end > 0 && (utf8[end]! & 0xc0) === 0x80) end--;
    utf8 = utf8.subarray(0, end);
  }
  const out = Buffer.allocUnsafe(1 + utf8.length);
  out[0] = utf8.length;
  utf8.copy(out, 1);
  return out;
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The Shutdown Communication carried in NOTIFICATION data, or undefined when there is none or it
 * is malformed (length beyond the data, invalid UTF-8). RFC 9003 §2: a malformed communication
 * is only logged, never an error. Octets after the communication are ignored.
 */
export function decodeShutdownCommunication(data: Buffer): string | undefined {
  if (data.length < 1) return undefined;
  const length = data[0]!;
  if (1 + length > data.length) return undefined;
  try {
    return fatalUtf8.decode(data.subarray(1, 1 + length));
  } catch {
    return undefined;
  }
}

/** Convenience: a Cease NOTIFICATION with an optional RFC 9003 Shutdown Communication. */
export function ceaseNotification(subcode: number, shutdownText?: string): NotificationMessage {
  const carriesText =
    shutdownText !== undefined &&
    (subcode === CeaseSubcode.ADMINISTRATIVE_SHUTDOWN || subcode === CeaseSubcode.ADMINISTRATIVE_RESET);
  return {
    kind: 'notification',
    code: ErrorCode.CEASE,
    subcode,
    data: carriesText ? encodeShutdownCommunication(shutdownText) : Buffer.alloc(0),
  };
}

// ---------------------------------------------------------------------------------------------
// Human names, for `wren status` and logs: worded as BIRD words them in `show protocols`
// ("Received: Bad peer AS"), so operators moving from BIRD read the same words.

const CODE_NAMES: Readonly<Record<number, string>> = {
  [ErrorCode.MESSAGE_HEADER]: 'Message header error',
  [ErrorCode.OPEN_MESSAGE]: 'OPEN message error',
  [ErrorCode.UPDATE_MESSAGE]: 'UPDATE message error',
  [ErrorCode.HOLD_TIMER_EXPIRED]: 'Hold timer expired',
  [ErrorCode.FSM]: 'Finite state machine error',
  [ErrorCode.CEASE]: 'Cease',
  [ErrorCode.ROUTE_REFRESH_MESSAGE]: 'ROUTE-REFRESH message error',
  [ErrorCode.SEND_HOLD_TIMER_EXPIRED]: 'Send hold timer expired',
};

const SUBCODE_NAMES: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  [ErrorCode.MESSAGE_HEADER]: {
    [MessageHeaderSubcode.CONNECTION_NOT_SYNCHRONIZED]: 'Connection not synchronized',
    [MessageHeaderSubcode.BAD_MESSAGE_LENGTH]: 'Bad message length',
    [MessageHeaderSubcode.BAD_MESSAGE_TYPE]: 'Bad message type',
  },
  [ErrorCode.OPEN_MESSAGE]: {
    [OpenSubcode.UNSUPPORTED_VERSION_NUMBER]: 'Unsupported version number',
    [OpenSubcode.BAD_PEER_AS]: 'Bad peer AS',
    [OpenSubcode.BAD_BGP_IDENTIFIER]: 'Bad BGP identifier',
    [OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER]: 'Unsupported optional parameter',
    [OpenSubcode.AUTHENTICATION_FAILURE_DEPRECATED]: 'Authentication failure',
    [OpenSubcode.UNACCEPTABLE_HOLD_TIME]: 'Unacceptable hold time',
    [OpenSubcode.UNSUPPORTED_CAPABILITY]: 'Unsupported capability',
    [OpenSubcode.ROLE_MISMATCH]: 'Role mismatch',
  },
  [ErrorCode.UPDATE_MESSAGE]: {
    [UpdateSubcode.MALFORMED_ATTRIBUTE_LIST]: 'Malformed attribute list',
    [UpdateSubcode.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE]: 'Unrecognized well-known attribute',
    [UpdateSubcode.MISSING_WELL_KNOWN_ATTRIBUTE]: 'Missing mandatory attribute',
    [UpdateSubcode.ATTRIBUTE_FLAGS_ERROR]: 'Invalid attribute flags',
    [UpdateSubcode.ATTRIBUTE_LENGTH_ERROR]: 'Invalid attribute length',
    [UpdateSubcode.INVALID_ORIGIN_ATTRIBUTE]: 'Invalid ORIGIN attribute',
    [UpdateSubcode.AS_ROUTING_LOOP_DEPRECATED]: 'AS routing loop',
    [UpdateSubcode.INVALID_NEXT_HOP_ATTRIBUTE]: 'Invalid NEXT_HOP attribute',
    [UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR]: 'Optional attribute error',
    [UpdateSubcode.INVALID_NETWORK_FIELD]: 'Invalid network field',
    [UpdateSubcode.MALFORMED_AS_PATH]: 'Malformed AS_PATH',
  },
  [ErrorCode.FSM]: {
    [FsmSubcode.UNEXPECTED_MESSAGE_IN_OPENSENT]: 'Unexpected message in OpenSent state',
    [FsmSubcode.UNEXPECTED_MESSAGE_IN_OPENCONFIRM]: 'Unexpected message in OpenConfirm state',
    [FsmSubcode.UNEXPECTED_MESSAGE_IN_ESTABLISHED]: 'Unexpected message in Established state',
  },
  [ErrorCode.CEASE]: {
    [CeaseSubcode.MAXIMUM_PREFIXES_REACHED]: 'Maximum number of prefixes reached',
    [CeaseSubcode.ADMINISTRATIVE_SHUTDOWN]: 'Administrative shutdown',
    [CeaseSubcode.PEER_DECONFIGURED]: 'Peer de-configured',
    [CeaseSubcode.ADMINISTRATIVE_RESET]: 'Administrative reset',
    [CeaseSubcode.CONNECTION_REJECTED]: 'Connection rejected',
    [CeaseSubcode.OTHER_CONFIGURATION_CHANGE]: 'Configuration change',
    [CeaseSubcode.CONNECTION_COLLISION_RESOLUTION]: 'Connection collision resolution',
    [CeaseSubcode.OUT_OF_RESOURCES]: 'Out of resources',
    [CeaseSubcode.HARD_RESET]: 'Hard reset',
    [CeaseSubcode.BFD_DOWN]: 'BFD session down',
  },
  [ErrorCode.ROUTE_REFRESH_MESSAGE]: {
    [RouteRefreshErrorSubcode.INVALID_MESSAGE_LENGTH]: 'Invalid message length',
  },
};

/**
 * The most specific name known for a NOTIFICATION, e.g. "Bad peer AS", "Hold timer expired",
 * "Administrative shutdown". A subcode without a name (0 = Unspecific / Reserved included)
 * falls back to the code's name, with the number when it is not 0 ("Cease (42)"); an unknown
 * code prints both numbers ("Unknown error 99/1"). Never fails.
 */
export function describeNotification(code: number, subcode: number): string {
  const subName = SUBCODE_NAMES[code]?.[subcode];
  if (subName !== undefined) return subName;
  const codeName = CODE_NAMES[code];
  if (codeName === undefined) return `Unknown error ${code}/${subcode}`;
  return subcode === 0 ? codeName : `${codeName} (${subcode})`;
}

function isOctet(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 255;
}
