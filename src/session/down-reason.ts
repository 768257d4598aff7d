// Why a session (or an attempt at one) ended, as values (STYLE.md "reasons are values"), and
// the one-line text `wren status` shows for it, worded like BIRD's `show protocols` Info.
import { CeaseSubcode, ErrorCode } from '../wire/constants.js';
import { decodeShutdownCommunication, describeNotification } from '../wire/notification.js';

export type SessionDownReason =
  /** we stopped the peer ('stop' input, RFC 4271 ManualStop) */
  | 'admin-stop'
  /** the peer was silent for the hold time; we sent Hold Timer Expired */
  | 'hold-timer-expired'
  /** the peer sent a NOTIFICATION */
  | 'notification-received'
  /** we refused the peer's OPEN (OPEN Message Error sent) */
  | 'open-rejected'
  /** the peer sent a message the FSM state does not allow; FSM Error sent (RFC 6608) */
  | 'fsm-error'
  /** a message failed to decode; the NOTIFICATION it called for was sent (RFC 7606 session reset) */
  | 'decode-error'
  /** our TCP connection attempt failed or timed out */
  | 'connection-failed'
  /** an open TCP connection closed or reset without a NOTIFICATION */
  | 'connection-closed'
  /** the connection lost connection collision resolution (RFC 4271 §6.8), Cease sent */
  | 'collision'
  /**
   * the peer reconnected while we still had an Established session with Graceful Restart
   * negotiated: the old session was closed without NOTIFICATION (RFC 4724 §4.2), its routes
   * may be kept as stale
   */
  | 'peer-restarted';

export const SESSION_DOWN_REASONS: readonly SessionDownReason[] = [
  'admin-stop',
  'hold-timer-expired',
  'notification-received',
  'open-rejected',
  'fsm-error',
  'decode-error',
  'connection-failed',
  'connection-closed',
  'collision',
  'peer-restarted',
];

/** A NOTIFICATION that ended the session, and which way it went. */
export interface DownNotification {
  direction: 'sent' | 'received';
  code: number;
  subcode: number;
  data: Buffer;
}

/** Node's socket error codes in the words of strerror(3), which is what BIRD prints. */
const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  ETIMEDOUT: 'Connection timed out',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EADDRINUSE: 'Address already in use',
  EPIPE: 'Broken pipe',
  ECONNABORTED: 'Connection aborted',
  EACCES: 'Permission denied',
};

function socketErrorText(error: string): string {
  return SOCKET_ERRORS[error] ?? error;
}

function notificationText(n: DownNotification): string {
  let text = describeNotification(n.code, n.subcode);
  // RFC 9003: show the operator's shutdown message the way BIRD does (an empty one adds nothing).
  const carriesText = n.subcode === CeaseSubcode.ADMINISTRATIVE_SHUTDOWN || n.subcode === CeaseSubcode.ADMINISTRATIVE_RESET;
  if (n.code === ErrorCode.CEASE && carriesText) {
    const msg = decodeShutdownCommunication(n.data);
    if (msg !== undefined && msg !== '') text += ` "${msg}"`;
  }
  return text;
}

export interface DownInfo {
  reason: SessionDownReason;
  notification?: DownNotification;
  /** socket error code or text for connection failures, e.g. 'ECONNREFUSED' */
  error?: string;
}

/**
 * One line for `wren status`, e.g. "Hold timer expired", "Received: Bad peer AS",
 * "Error: Unsupported capability", "Connection refused".
 */
export function describeDown(info: DownInfo): string {
  const n = info.notification;
  switch (info.reason) {
    case 'admin-stop':
      return n ? `Shutdown: ${notificationText(n)}` : 'Shutdown';
    case 'hold-timer-expired':
      return 'Hold timer expired';
    case 'notification-received':
      return n ? `Received: ${notificationText(n)}` : 'Received: NOTIFICATION';
    case 'open-rejected':
    case 'fsm-error':
    case 'decode-error':
      if (n) return `Error: ${notificationText(n)}`;
      return info.error !== undefined ? `Error: ${info.error}` : 'Error: malformed message';
    case 'connection-failed':
    case 'connection-closed':
      if (info.error !== undefined) return socketErrorText(info.error);
      return info.reason === 'connection-failed' ? 'Connection failed' : 'Connection closed';
    case 'collision':
      return 'Connection collision';
    case 'peer-restarted':
      return 'Peer restarted (graceful restart)';
  }
}
