// Values the per-connection FSM (fsm.ts) and the peer machine (peer.ts) take and emit.
import type {
  BgpMessage,
  NotificationMessage,
  OpenMessage,
  RouteRefreshMessage,
  UpdateMessage,
} from '../wire/types.js';
import type { WireError } from '../wire/errors.js';
import type { DownNotification, SessionDownReason } from './down-reason.js';
import type { Negotiated } from './negotiate.js';

/** RFC 4271 §8.2.2 states. */
export type SessionState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

export const SESSION_STATES: readonly SessionState[] = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'];

/**
 * Timers the shell runs for us, named after RFC 4271 §8's ConnectRetryTimer, HoldTimer,
 * KeepaliveTimer, DelayOpenTimer and IdleHoldTimer, plus our 'Stable' timer that resets the
 * IdleHold back-off once a session has stayed Established long enough. 'Hold', 'Keepalive' and
 * 'DelayOpen' are per connection (conn set); the others are per peer (no conn).
 */
export type TimerName = 'ConnectRetry' | 'Hold' | 'Keepalive' | 'DelayOpen' | 'IdleHold' | 'Stable';

export interface NotificationSpec {
  code: number;
  subcode: number;
  data: Buffer;
}

/** One RFC 4271 FSM, bound to at most one TCP connection. */
export interface ConnState {
  /** 'out': the FSM that dials (and owns ConnectRetry); 'in': one per accepted connection */
  readonly role: 'out' | 'in';
  readonly state: SessionState;
  /**
   * the TCP connection id this FSM uses, null in Idle/Active (or Connect before a dial); an
   * accepted connection in Active has one while its DelayOpenTimer runs (see delayingOpen)
   */
  readonly conn: number | null;
  /** RFC 4271 §8 ConnectRetryCounter, kept for status; the back-off lives in the peer */
  readonly connectRetryCounter: number;
  /** the OPEN we sent on conn (OpenSent onwards) */
  readonly sentOpen: OpenMessage | null;
  /** what was agreed (OpenConfirm onwards) */
  readonly negotiated: Negotiated | null;
}

/** Events, numbered and named as in RFC 4271 §8.1; the last three are ours. */
export type FsmInput =
  /** Event 1; dialConn: the id to use if this start dials */
  | { event: 'ManualStart'; dialConn: number }
  /** Event 2 */
  | { event: 'ManualStop'; notification: NotificationSpec }
  /** Event 3 */
  | { event: 'AutomaticStart'; dialConn: number }
  /** Event 8: the peer machine stops this FSM (other connection won, session torn down) */
  | { event: 'AutomaticStop'; reason: SessionDownReason; notification?: NotificationSpec }
  /** Event 9 */
  | { event: 'ConnectRetryTimer_Expires'; dialConn: number }
  /** Event 10 */
  | { event: 'HoldTimer_Expires' }
  /** Event 11 */
  | { event: 'KeepaliveTimer_Expires' }
  /** Event 12 */
  | { event: 'DelayOpenTimer_Expires' }
  /** Event 16: our dial completed */
  | { event: 'Tcp_CR_Acked' }
  /** Event 17: a connection we accepted, now bound to this FSM */
  | { event: 'TcpConnectionConfirmed'; conn: number }
  /** Event 18 */
  | { event: 'TcpConnectionFails'; error: string }
  /** Event 19 (header and OPEN already decoded; the checks of §6.2 run here) */
  | { event: 'BGPOpen'; message: OpenMessage }
  /** Event 21 */
  | { event: 'BGPHeaderErr'; error: WireError }
  /** Event 22 */
  | { event: 'BGPOpenMsgErr'; error: WireError }
  /** Event 23 */
  | { event: 'OpenCollisionDump' }
  /** Event 24 */
  | { event: 'NotifMsgVerErr'; message: NotificationMessage }
  /** Event 25 */
  | { event: 'NotifMsg'; message: NotificationMessage }
  /** Event 26 */
  | { event: 'KeepAliveMsg' }
  /** Event 27 */
  | { event: 'UpdateMsg'; message: UpdateMessage }
  /** Event 28 */
  | { event: 'UpdateMsgErr'; error: WireError }
  /** RFC 2918 / RFC 7313 ROUTE-REFRESH received */
  | { event: 'RouteRefreshMsg'; message: RouteRefreshMessage }
  /** another malformed message (KEEPALIVE, ROUTE-REFRESH): send the error's NOTIFICATION */
  | { event: 'BGPMsgErr'; error: WireError }
  /** a malformed NOTIFICATION: RFC 4271 §6.4, close without answering */
  | { event: 'NotifMsgErr'; error: WireError };

export type FsmEvent = FsmInput['event'];

/** Effects both machines emit. */
export type IoEffect =
  /** open a TCP connection to the peer; report tcp-connected / tcp-failed with this id */
  | { kind: 'dial'; conn: number }
  | { kind: 'send'; conn: number; message: BgpMessage }
  /** close the connection (after flushing what was sent before) and forget the id */
  | { kind: 'close'; conn: number }
  /** (re)start a timer; replaces a running timer with the same (timer, conn) */
  | { kind: 'arm-timer'; timer: TimerName; conn?: number; seconds: number }
  | { kind: 'cancel-timer'; timer: TimerName; conn?: number }
  | { kind: 'established'; conn: number; negotiated: Negotiated }
  | { kind: 'update'; conn: number; message: UpdateMessage }
  | { kind: 'route-refresh'; conn: number; message: RouteRefreshMessage };

/** The FSM's own report that its connection (or connection attempt) ended. */
export interface ConnDown {
  kind: 'conn-down';
  conn: number | null;
  reason: SessionDownReason;
  wasEstablished: boolean;
  notification?: DownNotification;
  error?: string;
  /**
   * RFC 4271 §8.2.2 sends the FSM to Idle (ConnectRetryCounter incremented, peer oscillation
   * damping) rather than to Active: the peer machine applies its IdleHold back-off.
   */
  backoff: boolean;
}

export type FsmEffect = IoEffect | ConnDown;

export interface FsmResult {
  state: ConnState;
  effects: FsmEffect[];
}

/** The session went down, or an attempt at one failed. */
export interface DownEffect {
  kind: 'down';
  /** the connection it happened on, null when there was none (e.g. admin stop in Active) */
  conn: number | null;
  reason: SessionDownReason;
  /** true when an Established session ended: its routes must go (or go stale under GR) */
  wasEstablished: boolean;
  notification?: DownNotification;
  /** socket error for connection failures, as the shell reported it */
  error?: string;
  /** describeDown() text for `wren status` */
  lastError: string;
}

export type PeerEffect = IoEffect | DownEffect | { kind: 'state'; state: SessionState };

/** An accepted connection waiting for the peer's OPEN before sending ours (DelayOpen). */
export function delayingOpen(s: ConnState): boolean {
  return s.state === 'Active' && s.conn !== null;
}
