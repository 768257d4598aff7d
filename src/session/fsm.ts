// The BGP finite state machine of RFC 4271 §8 for ONE connection, as a pure function:
// step(state, event, config) → { state, effects }. No sockets, timers or clock: the shell
// carries out the effects and feeds back what happens.
//
// Deviations from §8.2.2, on purpose:
// - No per-FSM peer oscillation damping: the peer machine (peer.ts) owns the IdleHold back-off
//   and restarts the FSM with AutomaticStart.
// - DelayOpen (cfg.delayOpenTime) applies to accepted connections only: a connection we open
//   sends its OPEN at once, so two Wren speakers never both wait.
// - Connect + TcpConnectionFails goes to Active and retries on ConnectRetryTimer (as §8.2.2
//   does with DelayOpen, and as BIRD does), so a refused dial is not an "error" with back-off.
// - An accepted connection has an FSM of its own (role 'in', born in Active). Where §8.2.2
//   would send it back to Active it goes to Idle instead: nothing is left for it to do.
// - A passive FSM (cfg.passive) never arms ConnectRetryTimer, so it never dials.
// - Timer events in states where that timer is never armed are ignored rather than treated
//   as FSM errors: such an event can only be a late delivery from the shell.
import type { BgpMessage, NotificationMessage, OpenMessage } from '../wire/types.js';
import type { WireError } from '../wire/errors.js';
import type { SessionConfig } from './config.js';
import type { DownNotification, SessionDownReason } from './down-reason.js';
import { delayingOpen, type ConnState, type FsmEffect, type FsmInput, type FsmResult, type IoEffect, type NotificationSpec } from './fsm-types.js';
import { buildOpen, negotiate } from './negotiate.js';
import { familyOf } from '../wire/family.js';
import { CeaseSubcode, ErrorCode, FsmSubcode } from '../wire/constants.js';
import { validateOpen } from './open-validate.js';

/** RFC 4271 §8.2.2: "a large value" for the HoldTimer while waiting for the OPEN; 4 minutes suggested. */
export const LARGE_HOLD_TIME = 240;

export function initialConnState(role: 'out' | 'in'): ConnState {
  return {
    role,
    // An accepted connection's FSM starts where §8.2.2 listens: Active.
    state: role === 'out' ? 'Idle' : 'Active',
    conn: null,
    connectRetryCounter: 0,
    sentOpen: null,
    negotiated: null,
  };
}

const unchanged = (s: ConnState): FsmResult => ({ state: s, effects: [] });

function notif(code: number, subcode: number, data: Buffer = Buffer.alloc(0)): NotificationSpec {
  return { code, subcode, data };
}

function fromWire(e: WireError): NotificationSpec {
  return notif(e.notifCode, e.notifSubcode, e.data);
}

interface DropOptions {
  reason: SessionDownReason;
  /** NOTIFICATION to send before closing */
  send?: NotificationSpec;
  /** NOTIFICATION the peer sent */
  received?: NotificationMessage;
  /** the shell reported the connection gone: nothing to close */
  tcpGone?: boolean;
  error?: string;
  /** Active (retry on ConnectRetryTimer) or Idle (back-off); 'in' FSMs always end in Idle */
  next: 'Idle' | 'Active';
  /** counts as a failure for ConnectRetryCounter and the peer's back-off */
  failure: boolean;
}

/**
 * Leave the current state: optionally send a NOTIFICATION, close the connection, stop the
 * timers this state may have running, and report the end with a conn-down effect.
 */
function drop(s: ConnState, cfg: SessionConfig, o: DropOptions): FsmResult {
  const effects: FsmEffect[] = [];
  const conn = s.conn;
  const connected = s.state === 'OpenSent' || s.state === 'OpenConfirm' || s.state === 'Established';
  // Waiting with our OPEN, a NOTIFICATION still goes out for an error in the peer's OPEN
  // (§8.2.2 Active with SendNOTIFICATIONwithoutOPEN), so the peer learns why.
  const delaying = delayingOpen(s);
  const notify = o.send !== undefined && (connected || delaying) && !o.tcpGone;
  if (conn !== null) {
    if (notify) effects.push({ kind: 'send', conn, message: { kind: 'notification', ...o.send! } });
    if (!o.tcpGone) effects.push({ kind: 'close', conn });
    if (connected) {
      effects.push({ kind: 'cancel-timer', timer: 'Hold', conn });
      if (s.state !== 'OpenSent') effects.push({ kind: 'cancel-timer', timer: 'Keepalive', conn });
    }
    if (delaying) effects.push({ kind: 'cancel-timer', timer: 'DelayOpen', conn });
  }
  const next = s.role === 'in' ? 'Idle' : o.next;
  const retry = next === 'Active' && !cfg.passive;
  if (s.role === 'out') {
    if (retry) effects.push({ kind: 'arm-timer', timer: 'ConnectRetry', seconds: cfg.connectRetryTime });
    else if (s.state === 'Connect' || s.state === 'Active') effects.push({ kind: 'cancel-timer', timer: 'ConnectRetry' });
  }
  let notification: DownNotification | undefined;
  if (notify) notification = { direction: 'sent', ...o.send! };
  if (o.received) notification = { direction: 'received', code: o.received.code, subcode: o.received.subcode, data: o.received.data };
  effects.push({
    kind: 'conn-down',
    conn,
    reason: o.reason,
    wasEstablished: s.state === 'Established',
    ...(notification ? { notification } : {}),
    ...(o.error !== undefined ? { error: o.error } : {}),
    backoff: o.failure && next === 'Idle',
  });
  return {
    state: {
      ...s,
      state: next,
      conn: null,
      sentOpen: null,
      negotiated: null,
      connectRetryCounter: o.failure ? s.connectRetryCounter + 1 : s.connectRetryCounter,
    },
    effects,
  };
}

/** ManualStart / AutomaticStart / ConnectRetryTimer_Expires: dial, or wait passively. */
function startConnecting(s: ConnState, cfg: SessionConfig, dialConn: number, effects: FsmEffect[] = []): FsmResult {
  if (cfg.passive) return { state: { ...s, state: 'Active', conn: null }, effects };
  effects.push({ kind: 'dial', conn: dialConn }, { kind: 'arm-timer', timer: 'ConnectRetry', seconds: cfg.connectRetryTime });
  return { state: { ...s, state: 'Connect', conn: dialConn }, effects };
}

/** TCP is up (Events 16/17): send OPEN, set the HoldTimer large, go to OpenSent. */
function sendOpen(s: ConnState, cfg: SessionConfig, conn: number, effects: FsmEffect[] = []): FsmResult {
  const open: OpenMessage = buildOpen(cfg);
  effects.push(
    { kind: 'send', conn, message: open },
    { kind: 'arm-timer', timer: 'Hold', conn, seconds: LARGE_HOLD_TIME },
  );
  return { state: { ...s, state: 'OpenSent', conn, sentOpen: open }, effects };
}

function fsmError(s: ConnState, cfg: SessionConfig, subcode: number): FsmResult {
  return drop(s, cfg, { reason: 'fsm-error', send: notif(ErrorCode.FSM, subcode), next: 'Idle', failure: true });
}

/** Events every connected state (OpenSent, OpenConfirm, Established) handles the same way. */
function connectedCommon(s: ConnState, input: FsmInput, cfg: SessionConfig): FsmResult | null {
  switch (input.event) {
    case 'ManualStop':
      return drop(s, cfg, { reason: 'admin-stop', send: input.notification, next: 'Idle', failure: false });
    case 'AutomaticStop':
      return drop(s, cfg, { reason: input.reason, ...(input.notification ? { send: input.notification } : {}), next: 'Idle', failure: false });
    case 'HoldTimer_Expires':
      return drop(s, cfg, { reason: 'hold-timer-expired', send: notif(ErrorCode.HOLD_TIMER_EXPIRED, 0), next: 'Idle', failure: true });
    case 'OpenCollisionDump':
      return drop(s, cfg, { reason: 'collision', send: notif(ErrorCode.CEASE, CeaseSubcode.CONNECTION_COLLISION_RESOLUTION), next: 'Idle', failure: false });
    case 'NotifMsgVerErr':
    case 'NotifMsg':
      return drop(s, cfg, { reason: 'notification-received', received: input.message, next: 'Idle', failure: true });
    case 'NotifMsgErr':
      return drop(s, cfg, { reason: 'decode-error', error: input.error.message, next: 'Idle', failure: true });
    case 'BGPHeaderErr':
    case 'BGPOpenMsgErr':
    case 'BGPMsgErr':
      return drop(s, cfg, { reason: 'decode-error', send: fromWire(input.error), error: input.error.message, next: 'Idle', failure: true });
    case 'ManualStart':
    case 'AutomaticStart':
    case 'Tcp_CR_Acked':
    case 'TcpConnectionConfirmed':
    case 'ConnectRetryTimer_Expires':
      return unchanged(s);
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------

function idle(s: ConnState, input: FsmInput, cfg: SessionConfig): FsmResult {
  switch (input.event) {
    case 'ManualStart':
      return startConnecting({ ...s, connectRetryCounter: 0 }, cfg, input.dialConn);
    case 'AutomaticStart':
      return startConnecting(s, cfg, input.dialConn);
    default:
      // §8.2.2 Idle: "any other event ... does not cause change in the state".
      return unchanged(s);
  }
}

function connect(s: ConnState, input: FsmInput, cfg: SessionConfig): FsmResult {
  switch (input.event) {
    case 'ManualStart':
    case 'AutomaticStart':
    case 'HoldTimer_Expires':
    case 'KeepaliveTimer_Expires':
    case 'DelayOpenTimer_Expires':
    case 'TcpConnectionConfirmed': // accepted connections get their own FSM (peer.ts)
      return unchanged(s);
    case 'ManualStop':
      return drop({ ...s, connectRetryCounter: 0 }, cfg, { reason: 'admin-stop', next: 'Idle', failure: false });
    case 'AutomaticStop':
      return drop(s, cfg, { reason: input.reason, next: 'Idle', failure: false });
    case 'ConnectRetryTimer_Expires': {
      // Drop the attempt that did not complete and dial again.
      const effects: FsmEffect[] = [];
      if (s.conn !== null) effects.push({ kind: 'close', conn: s.conn });
      effects.push({ kind: 'conn-down', conn: s.conn, reason: 'connection-failed', wasEstablished: false, error: 'ETIMEDOUT', backoff: false });
      return startConnecting(s, cfg, input.dialConn, effects);
    }
    case 'Tcp_CR_Acked': {
      if (s.conn === null) return unchanged(s);
      return sendOpen(s, cfg, s.conn, [{ kind: 'cancel-timer', timer: 'ConnectRetry' }]);
    }
    case 'TcpConnectionFails':
      return drop(s, cfg, { reason: 'connection-failed', tcpGone: true, error: input.error, next: 'Active', failure: false });
    case 'BGPOpen':
    case 'BGPHeaderErr':
    case 'BGPOpenMsgErr':
    case 'OpenCollisionDump':
    case 'NotifMsgVerErr':
    case 'NotifMsg':
    case 'KeepAliveMsg':
    case 'UpdateMsg':
    case 'UpdateMsgErr':
    case 'RouteRefreshMsg':
    case 'BGPMsgErr':
    case 'NotifMsgErr':
      // §8.2.2 Connect, "any other event": drop TCP, Idle. No NOTIFICATION: no OPEN went out.
      return drop(s, cfg, { reason: 'fsm-error', next: 'Idle', failure: true });
  }
}

function active(s: ConnState, input: FsmInput, cfg: SessionConfig): FsmResult {
  if (delayingOpen(s)) return waitingForOpen(s, input, cfg);
  switch (input.event) {
    case 'ManualStop':
      return drop({ ...s, connectRetryCounter: 0 }, cfg, { reason: 'admin-stop', next: 'Idle', failure: false });
    case 'AutomaticStop':
      return drop(s, cfg, { reason: input.reason, next: 'Idle', failure: false });
    case 'ConnectRetryTimer_Expires':
      if (s.role === 'in' || cfg.passive) return unchanged(s);
      return startConnecting(s, cfg, input.dialConn);
    case 'TcpConnectionConfirmed':
      if (s.role === 'in' && cfg.delayOpenTime > 0) {
        return { state: { ...s, conn: input.conn }, effects: [{ kind: 'arm-timer', timer: 'DelayOpen', conn: input.conn, seconds: cfg.delayOpenTime }] };
      }
      return sendOpen(s, cfg, input.conn, s.role === 'out' && !cfg.passive ? [{ kind: 'cancel-timer', timer: 'ConnectRetry' }] : []);
    default:
      // No connection is bound in Active: nothing else can concern this FSM.
      return unchanged(s);
  }
}

/**
 * An accepted connection in Active with the DelayOpenTimer running (§8.2.2 Active, DelayOpen
 * TRUE): the peer's OPEN is answered with ours and a KEEPALIVE at once (Event 20); the timer
 * sends ours alone. Anything else before the peer's OPEN ends the connection.
 */
function waitingForOpen(s: ConnState, input: FsmInput, cfg: SessionConfig): FsmResult {
  const conn = s.conn!;
  switch (input.event) {
    case 'DelayOpenTimer_Expires':
      return sendOpen(s, cfg, conn);
    case 'BGPOpen': {
      // Collision detection (§6.8) already ran in peer.ts.
      const rejection = validateOpen(input.message, cfg);
      if (rejection) {
        const { code, subcode, data } = rejection;
        return drop(s, cfg, { reason: 'open-rejected', send: { code, subcode, data }, error: rejection.message, next: 'Idle', failure: true });
      }
      const open = buildOpen(cfg);
      const effects: FsmEffect[] = [{ kind: 'cancel-timer', timer: 'DelayOpen', conn }, { kind: 'send', conn, message: open }];
      return openReceived({ ...s, sentOpen: open }, input.message, cfg, effects);
    }
    case 'TcpConnectionFails':
      return drop(s, cfg, { reason: 'connection-closed', tcpGone: true, error: input.error, next: 'Idle', failure: false });
    case 'HoldTimer_Expires':
    case 'KeepaliveTimer_Expires':
      return unchanged(s); // never armed while waiting
    case 'UpdateMsgErr':
      return drop(s, cfg, { reason: 'decode-error', send: fromWire(input.error), error: input.error.message, next: 'Idle', failure: true });
    case 'KeepAliveMsg':
    case 'UpdateMsg':
    case 'RouteRefreshMsg':
      // §8.2.2 Active, "any other event": no OPEN has come, so nothing else may.
      return drop(s, cfg, { reason: 'fsm-error', send: notif(ErrorCode.FSM, 0), next: 'Idle', failure: true });
    default:
      // Stops, collision, NOTIFICATIONs and malformed messages as once connected (drop sends a
      // NOTIFICATION while waiting too).
      return connectedCommon(s, input, cfg) ?? unchanged(s);
  }
}

function openSent(s: ConnState, input: FsmInput, cfg: SessionConfig): FsmResult {
  const common = connectedCommon(s, input, cfg);
  if (common) return common;
  switch (input.event) {
    case 'TcpConnectionFails':
      return drop(s, cfg, { reason: 'connection-closed', tcpGone: true, error: input.error, next: 'Active', failure: false });
    case 'BGPOpen': {
      // Collision detection (§6.8) already ran in peer.ts; this is the §6.2 check and Event 19.
      const rejection = validateOpen(input.message, cfg);
      if (rejection) {
        const { code, subcode, data } = rejection;
        return drop(s, cfg, { reason: 'open-rejected', send: { code, subcode, data }, error: rejection.message, next: 'Idle', failure: true });
      }
      return openReceived(s, input.message, cfg, []);
    }
    case 'KeepAliveMsg':
    case 'UpdateMsg':
    case 'UpdateMsgErr':
    case 'RouteRefreshMsg':
      // RFC 6608 §4: Receive Unexpected Message in OpenSent State.
      return fsmError(s, cfg, FsmSubcode.UNEXPECTED_MESSAGE_IN_OPENSENT);
    default:
      return unchanged(s);
  }
}

/** A valid OPEN after ours (Events 19 and 20): KEEPALIVE, the negotiated timers, OpenConfirm. */
function openReceived(s: ConnState, open: OpenMessage, cfg: SessionConfig, effects: FsmEffect[]): FsmResult {
  const conn = s.conn!;
  const n = negotiate(s.sentOpen ?? buildOpen(cfg), open);
  effects.push({ kind: 'send', conn, message: { kind: 'keepalive' } });
  if (n.holdTime > 0) {
    effects.push(
      { kind: 'arm-timer', timer: 'Hold', conn, seconds: n.holdTime },
      { kind: 'arm-timer', timer: 'Keepalive', conn, seconds: n.keepaliveTime },
    );
  } else {
    // RFC 4271 §4.2: a Hold Time of zero means no hold timer and no keepalives.
    effects.push({ kind: 'cancel-timer', timer: 'Hold', conn });
  }
  return { state: { ...s, state: 'OpenConfirm', negotiated: n }, effects };
}

function openConfirm(s: ConnState, input: FsmInput, cfg: SessionConfig): FsmResult {
  const common = connectedCommon(s, input, cfg);
  if (common) return common;
  const conn = s.conn!;
  const n = s.negotiated!;
  switch (input.event) {
    case 'KeepaliveTimer_Expires':
      return keepaliveTick(s, conn, n.keepaliveTime);
    case 'TcpConnectionFails':
      return drop(s, cfg, { reason: 'connection-closed', tcpGone: true, error: input.error, next: 'Idle', failure: true });
    case 'KeepAliveMsg': {
      const effects: FsmEffect[] = [];
      if (n.holdTime > 0) effects.push({ kind: 'arm-timer', timer: 'Hold', conn, seconds: n.holdTime });
      effects.push({ kind: 'established', conn, negotiated: n });
      return { state: { ...s, state: 'Established' }, effects };
    }
    case 'BGPOpen': // a second OPEN on the same connection
    case 'UpdateMsg':
    case 'UpdateMsgErr':
    case 'RouteRefreshMsg':
      // RFC 6608 §4: Receive Unexpected Message in OpenConfirm State.
      return fsmError(s, cfg, FsmSubcode.UNEXPECTED_MESSAGE_IN_OPENCONFIRM);
    default:
      return unchanged(s);
  }
}

function keepaliveTick(s: ConnState, conn: number, keepaliveTime: number): FsmResult {
  if (keepaliveTime === 0) return unchanged(s);
  return {
    state: s,
    effects: [
      { kind: 'send', conn, message: { kind: 'keepalive' } },
      { kind: 'arm-timer', timer: 'Keepalive', conn, seconds: keepaliveTime },
    ],
  };
}

function established(s: ConnState, input: FsmInput, cfg: SessionConfig): FsmResult {
  const common = connectedCommon(s, input, cfg);
  if (common) return common;
  const conn = s.conn!;
  const n = s.negotiated!;
  const restartHold: FsmEffect[] = n.holdTime > 0 ? [{ kind: 'arm-timer', timer: 'Hold', conn, seconds: n.holdTime }] : [];
  switch (input.event) {
    case 'KeepaliveTimer_Expires':
      return keepaliveTick(s, conn, n.keepaliveTime);
    case 'TcpConnectionFails':
      return drop(s, cfg, { reason: 'connection-closed', tcpGone: true, error: input.error, next: 'Idle', failure: true });
    case 'KeepAliveMsg':
      return { state: s, effects: restartHold };
    case 'UpdateMsg':
      return { state: s, effects: [...restartHold, { kind: 'update', conn, message: input.message }] };
    case 'UpdateMsgErr':
      return drop(s, cfg, { reason: 'decode-error', send: fromWire(input.error), error: input.error.message, next: 'Idle', failure: true });
    case 'RouteRefreshMsg': {
      // The peer is evidently alive, so the hold timer restarts as for KEEPALIVE.
      const m = input.message;
      const fam = familyOf(m.afi, m.safi);
      // RFC 2918 §4: ignore a request for a family not negotiated, or without the capability;
      // RFC 7313 §5: BoRR/EoRR only when enhanced route refresh was negotiated.
      const allowed =
        fam !== null &&
        n.families.includes(fam) &&
        (m.subtype === 0 ? n.routeRefresh || n.enhancedRouteRefresh : n.enhancedRouteRefresh);
      return { state: s, effects: allowed ? [...restartHold, { kind: 'route-refresh', conn, message: m }] : restartHold };
    }
    case 'BGPOpen':
      // RFC 6608 §4: Receive Unexpected Message in Established State.
      return fsmError(s, cfg, FsmSubcode.UNEXPECTED_MESSAGE_IN_ESTABLISHED);
    default:
      return unchanged(s);
  }
}

/** Where establishedRun puts its effects (an array of any wider effect type will do). */
export interface EffectSink {
  push(...effects: IoEffect[]): unknown;
}

/**
 * Events 26 and 27 (KeepAliveMsg, UpdateMsg) for a run of messages received in Established,
 * without a transition per message: neither changes the state, so `established` would hand back
 * the same state each time, and a peer sending a table pays for that per UPDATE. Takes messages
 * from `messages[from]` on while they are KEEPALIVEs or UPDATEs and returns the index of the
 * first one it left (`from` when it took none, or when `s` is not Established): the caller
 * feeds that one to `step` as usual.
 *
 * Effects: one 'update' per UPDATE, in order, preceded by ONE HoldTimer restart for the whole
 * run where §8.2.2 restarts it per message. The shell carries out a run's effects in one go,
 * within the same event-loop turn, so restarting once is the same deadline; and restarting
 * first, as the first message would, means a session stopped while an UPDATE is handled (a
 * prefix limit) cancels the timer after this restart, not before it.
 */
export function establishedRun(s: ConnState, messages: readonly BgpMessage[], from: number, out: EffectSink): number {
  if (s.state !== 'Established' || from >= messages.length) return from;
  const first = messages[from]!.kind;
  if (first !== 'update' && first !== 'keepalive') return from;
  const conn = s.conn!;
  const holdTime = s.negotiated!.holdTime;
  if (holdTime > 0) out.push({ kind: 'arm-timer', timer: 'Hold', conn, seconds: holdTime });
  let i = from;
  for (; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.kind === 'update') out.push({ kind: 'update', conn, message: m });
    else if (m.kind !== 'keepalive') break;
  }
  return i;
}

/** One RFC 4271 §8.2.2 transition: `switch (state) { switch (event) }`. */
export function step(s: ConnState, input: FsmInput, cfg: SessionConfig): FsmResult {
  switch (s.state) {
    case 'Idle':
      return idle(s, input, cfg);
    case 'Connect':
      return connect(s, input, cfg);
    case 'Active':
      return active(s, input, cfg);
    case 'OpenSent':
      return openSent(s, input, cfg);
    case 'OpenConfirm':
      return openConfirm(s, input, cfg);
    case 'Established':
      return established(s, input, cfg);
  }
}
