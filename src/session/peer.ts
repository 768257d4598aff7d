// One peer: up to three RFC 4271 FSMs (our dial, and accepted connections) plus what ties them
// together: connection collision detection (RFC 4271 §6.8), the IdleHold back-off, admin
// start/stop, and the single visible state `wren status` shows. Pure like fsm.ts:
// peerStep(state, input, config) → { state, effects }.
//
// Connection ids: the machine allocates the ids it dials (even numbers: 0, 2, 4 …); the shell
// allocates the ids of connections it accepts and must use odd numbers (1, 3, 5 …). An id is
// known from its 'dial' effect or 'tcp-accepted' input until the machine emits 'close' for it
// or the shell reports 'tcp-failed'; inputs naming any other id are ignored. Ids are per peer.
//
// Timers: the shell arms and cancels them as told and feeds expirations back as
// { kind: 'timer' } inputs; an expiration the machine no longer expects is ignored.
import type { BgpMessage } from '../wire/types.js';
import type { WireError } from '../wire/errors.js';
import { collisionWinner } from './collision.js';
import { idleHoldDelay } from './backoff.js';
import type { SessionConfig } from './config.js';
import { describeDown } from './down-reason.js';
import { establishedRun, initialConnState, step } from './fsm.js';
import type {
  ConnDown,
  ConnState,
  DownEffect,
  FsmInput,
  NotificationSpec,
  PeerEffect,
  SessionState,
  TimerName,
} from './fsm-types.js';
import { delayingOpen, SESSION_STATES } from './fsm-types.js';
import { announcedAs } from './negotiate.js';
import { eventOfDecodeError, eventOfMessage } from './message-events.js';
import { CeaseSubcode, ErrorCode } from '../wire/constants.js';
import { validateOpen } from './open-validate.js';

export type { PeerEffect, SessionState, TimerName, NotificationSpec } from './fsm-types.js';

export type PeerInput =
  /** ManualStart (RFC 4271 Event 1; Event 4/5 for a passive peer) */
  | { kind: 'start' }
  /** ManualStop (Event 2); default NOTIFICATION Cease / Administrative Shutdown, no text */
  | { kind: 'stop'; notification?: NotificationSpec }
  /** our dial `conn` completed */
  | { kind: 'tcp-connected'; conn: number }
  /** a connection from the peer's address was accepted; `conn` is odd (see above) */
  | { kind: 'tcp-accepted'; conn: number }
  /** dial failed, or the connection closed or broke; the shell has already forgotten it */
  | { kind: 'tcp-failed'; conn: number; error: string }
  | { kind: 'timer'; timer: TimerName; conn?: number }
  | { kind: 'message'; conn: number; message: BgpMessage }
  /**
   * Messages read together from `conn`, in order: the same as one 'message' input each, but
   * a run of KEEPALIVEs and UPDATEs in Established costs one step (establishedRun in fsm.ts:
   * one HoldTimer restart per run). Once a message ends the connection the rest are ignored,
   * as they would be one by one.
   */
  | { kind: 'messages'; conn: number; messages: readonly BgpMessage[] }
  | { kind: 'decode-error'; conn: number; error: WireError };

export interface PeerState {
  /** between 'start' and 'stop' */
  readonly started: boolean;
  /** the FSM that dials (or, for a passive peer, sits in Active) */
  readonly out: ConnState;
  /** FSMs of accepted connections, each bound to its connection */
  readonly incoming: readonly ConnState[];
  /** Idle, waiting for the IdleHold timer before AutomaticStart */
  readonly idleHoldRunning: boolean;
  /** consecutive failures since the last ManualStart or stable session (back-off input) */
  readonly failures: number;
  /** next even id to dial with */
  readonly nextDialConn: number;
  /** last state reported with a 'state' effect */
  readonly visible: SessionState;
}

export interface PeerResult {
  state: PeerState;
  effects: PeerEffect[];
}

/**
 * At most this many accepted connections at once: one Established plus one newcomer (a
 * restarted peer or a collision) is all a sane peer needs; more are refused on arrival.
 */
export const MAX_INCOMING = 2;

/** The state of a configured, not yet started peer. (The config is accepted for symmetry.) */
export function initialPeerState(_cfg?: SessionConfig): PeerState {
  return {
    started: false,
    out: initialConnState('out'),
    incoming: [],
    idleHoldRunning: false,
    failures: 0,
    nextDialConn: 0,
    visible: 'Idle',
  };
}

const ADMIN_SHUTDOWN: NotificationSpec = { code: ErrorCode.CEASE, subcode: CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, data: Buffer.alloc(0) };
const COLLISION_CEASE: NotificationSpec = { code: ErrorCode.CEASE, subcode: CeaseSubcode.CONNECTION_COLLISION_RESOLUTION, data: Buffer.alloc(0) };

function isConnected(s: ConnState): boolean {
  return s.state === 'OpenSent' || s.state === 'OpenConfirm' || s.state === 'Established';
}

/** Has a live connection: connected, or an accepted one waiting for the peer's OPEN. */
function hasConnection(s: ConnState): boolean {
  return isConnected(s) || delayingOpen(s);
}

function rank(s: SessionState): number {
  return SESSION_STATES.indexOf(s);
}

/** Which FSM a step applies to: the dialling one, or the accepted one bound to `conn`. */
type FsmRef = 'out' | { conn: number };

/** One call's worth of work; the machine stays pure because nothing outlives the call. */
class Step {
  st: PeerState;
  readonly effects: PeerEffect[] = [];

  constructor(
    st: PeerState,
    readonly cfg: SessionConfig,
  ) {
    this.st = st;
  }

  all(): ConnState[] {
    return [this.st.out, ...this.st.incoming];
  }

  refOf(conn: number): FsmRef | null {
    if (this.st.out.conn === conn) return 'out';
    return this.st.incoming.some((c) => c.conn === conn) ? { conn } : null;
  }

  get(ref: FsmRef): ConnState | null {
    if (ref === 'out') return this.st.out;
    return this.st.incoming.find((c) => c.conn === ref.conn) ?? null;
  }

  inUse(conn: number): boolean {
    return this.all().some((c) => c.conn === conn);
  }

  /** An even id no FSM uses; only taken if the FSM actually dials with it. */
  dialCandidate(): number {
    let id = this.st.nextDialConn;
    while (this.inUse(id)) id += 2;
    return id;
  }

  /**
   * Steps one FSM, keeps its IO effects and returns its conn-down reports. Accepted FSMs that
   * end in Idle are dropped: their connection is gone.
   */
  run(ref: FsmRef, input: FsmInput): ConnDown[] {
    const before = this.get(ref);
    if (!before) return [];
    const { state, effects } = step(before, input, this.cfg);
    if (ref === 'out') {
      this.st = { ...this.st, out: state };
    } else {
      const incoming = this.st.incoming
        .map((c) => (c === before ? state : c))
        .filter((c) => c.state !== 'Idle');
      this.st = { ...this.st, incoming };
    }
    const downs: ConnDown[] = [];
    for (const e of effects) {
      if (e.kind === 'conn-down') {
        downs.push(e);
        continue;
      }
      if (e.kind === 'dial' && e.conn >= this.st.nextDialConn) this.st = { ...this.st, nextDialConn: e.conn + 2 };
      this.effects.push(e);
    }
    for (const e of effects) if (e.kind === 'established') this.onEstablished(e.conn);
    return downs;
  }

  /** Steps an FSM because of something that happened to it, then judges how it ended. */
  event(ref: FsmRef, input: FsmInput): void {
    for (const d of this.run(ref, input)) this.onConnDown(d);
  }

  /** A session came up on `conn`: every other connection loses (Cease / collision). */
  onEstablished(conn: number): void {
    for (const other of this.all()) {
      if (other.conn === conn) continue;
      const ref: FsmRef = other.role === 'out' ? 'out' : { conn: other.conn! };
      if (isConnected(other)) this.run(ref, { event: 'AutomaticStop', reason: 'collision', notification: COLLISION_CEASE });
      else if (other.state !== 'Idle' && (other.role === 'out' || delayingOpen(other))) this.run(ref, { event: 'AutomaticStop', reason: 'collision' });
    }
    this.effects.push({ kind: 'arm-timer', timer: 'Stable', seconds: this.cfg.stableTime });
  }

  down(d: ConnDown): void {
    const e: DownEffect = {
      kind: 'down',
      conn: d.conn,
      reason: d.reason,
      wasEstablished: d.wasEstablished,
      ...(d.notification ? { notification: d.notification } : {}),
      ...(d.error !== undefined ? { error: d.error } : {}),
      lastError: describeDown(d),
    };
    this.effects.push(e);
  }

  /**
   * A connection ended. The peer goes down only when nothing else is still trying: a
   * connection that lost a collision, or failed while its twin is alive, changes nothing.
   */
  onConnDown(d: ConnDown): void {
    if (d.wasEstablished) this.effects.push({ kind: 'cancel-timer', timer: 'Stable' });
    if (d.reason === 'collision' && !d.wasEstablished) return;
    const othersAlive = this.all().some(hasConnection);
    if (d.wasEstablished || !othersAlive) this.down(d);
    if (othersAlive) return;
    // Back off after a failure RFC 4271 sends to Idle; and also when nothing would otherwise
    // restart the peer (our dial was dropped when another connection won earlier).
    if (d.backoff || (this.st.started && this.st.out.state === 'Idle')) this.enterIdleHold();
  }

  /** RFC 4271 §8.1.1 damping: everything to Idle, AutomaticStart after the back-off. */
  enterIdleHold(): void {
    if (this.st.out.state !== 'Idle') this.run('out', { event: 'AutomaticStop', reason: 'connection-closed' });
    for (const c of [...this.st.incoming]) this.run({ conn: c.conn! }, { event: 'AutomaticStop', reason: 'connection-closed' });
    const failures = this.st.failures + 1;
    this.st = { ...this.st, failures, idleHoldRunning: true };
    this.effects.push({ kind: 'arm-timer', timer: 'IdleHold', seconds: idleHoldDelay(failures, this.cfg.maxIdleHoldTime) });
  }

  start(): void {
    if (this.st.started) return;
    this.st = { ...this.st, started: true, failures: 0, idleHoldRunning: false };
    this.run('out', { event: 'ManualStart', dialConn: this.dialCandidate() });
  }

  stop(notification: NotificationSpec): void {
    if (!this.st.started) return;
    const before = this.all();
    const leader = before.reduce((a, b) => (rank(b.state) > rank(a.state) ? b : a));
    const wasEstablished = before.some((c) => c.state === 'Established');
    let sent: ConnDown | null = null;
    for (const c of before) {
      const ref: FsmRef = c.role === 'out' ? 'out' : { conn: c.conn! };
      for (const d of this.run(ref, { event: 'ManualStop', notification })) if (c === leader) sent = d;
    }
    if (this.st.idleHoldRunning) this.effects.push({ kind: 'cancel-timer', timer: 'IdleHold' });
    if (wasEstablished) this.effects.push({ kind: 'cancel-timer', timer: 'Stable' });
    this.st = { ...this.st, started: false, idleHoldRunning: false, incoming: [] };
    this.down({
      kind: 'conn-down',
      conn: sent?.conn ?? null,
      reason: 'admin-stop',
      wasEstablished,
      ...(sent?.notification ? { notification: sent.notification } : {}),
      backoff: false,
    });
  }

  accepted(conn: number): void {
    if (this.inUse(conn)) return; // a shell bug; the live connection with that id must not suffer
    // RFC 4271 §8.2.2 Idle refuses connections; so do we while stopped or backing off.
    if (!this.st.started || this.st.idleHoldRunning || this.st.incoming.length >= MAX_INCOMING) {
      this.effects.push({ kind: 'close', conn });
      return;
    }
    this.st = { ...this.st, incoming: [...this.st.incoming, initialConnState('in')] };
    // The fresh FSM is the only one with conn null among the incoming.
    const fresh = this.st.incoming[this.st.incoming.length - 1]!;
    const { state, effects } = step(fresh, { event: 'TcpConnectionConfirmed', conn }, this.cfg);
    this.st = { ...this.st, incoming: this.st.incoming.map((c) => (c === fresh ? state : c)) };
    for (const e of effects) if (e.kind !== 'conn-down') this.effects.push(e);
  }

  timer(timer: TimerName, conn: number | undefined): void {
    switch (timer) {
      case 'IdleHold':
        if (!this.st.started || !this.st.idleHoldRunning) return;
        this.st = { ...this.st, idleHoldRunning: false };
        this.event('out', { event: 'AutomaticStart', dialConn: this.dialCandidate() });
        return;
      case 'Stable':
        if (this.all().some((c) => c.state === 'Established')) this.st = { ...this.st, failures: 0 };
        return;
      case 'ConnectRetry':
        if (!this.st.started) return;
        this.event('out', { event: 'ConnectRetryTimer_Expires', dialConn: this.dialCandidate() });
        return;
      case 'Hold':
      case 'Keepalive':
      case 'DelayOpen': {
        if (conn === undefined) return;
        const ref = this.refOf(conn);
        if (!ref) return;
        this.event(ref, { event: timer === 'Hold' ? 'HoldTimer_Expires' : timer === 'Keepalive' ? 'KeepaliveTimer_Expires' : 'DelayOpenTimer_Expires' });
        return;
      }
    }
  }

  message(conn: number, m: BgpMessage): void {
    const ref = this.refOf(conn);
    if (!ref) return;
    if (m.kind === 'open' && this.collision(ref, m)) return;
    this.event(ref, eventOfMessage(m));
  }

  /**
   * RFC 4271 §6.8, run when an OPEN arrives on a connection in OpenSent (or waiting to send its
   * own, DelayOpen): compare with every other connection in OpenConfirm or Established from the
   * same BGP Identifier. Returns true when this connection lost and was closed.
   */
  collision(ref: FsmRef, open: Extract<BgpMessage, { kind: 'open' }>): boolean {
    const self = this.get(ref);
    if (!self || (self.state !== 'OpenSent' && !delayingOpen(self))) return false;
    // An OPEN we are going to reject anyway must not disturb a good connection.
    if (validateOpen(open, this.cfg) !== null) return false;
    for (const other of this.all()) {
      if (other === self || other.conn === null || other.negotiated === null) continue;
      if (other.negotiated.peerBgpId !== open.bgpId) continue;
      const otherRef: FsmRef = other.role === 'out' ? 'out' : { conn: other.conn };
      if (other.state === 'Established') {
        if (other.negotiated.gracefulRestart !== null) {
          // RFC 4724 §4.2: a new connection from a Graceful Restart peer we still think is
          // Established means it restarted: close the old session without NOTIFICATION
          // (its routes become stale, not withdrawn) and carry on with the new one.
          for (const d of this.run(otherRef, { event: 'AutomaticStop', reason: 'peer-restarted' })) this.onConnDown(d);
          continue;
        }
        // RFC 4271 §6.8 last paragraph: the Established connection is kept.
        for (const d of this.run(ref, { event: 'OpenCollisionDump' })) this.onConnDown(d);
        return true;
      }
      if (other.state !== 'OpenConfirm') continue;
      let keepSelf: boolean;
      if (other.role === self.role) {
        // Two connections opened by the same side: the newer one is the one the peer uses.
        keepSelf = true;
      } else {
        const winner = collisionWinner({
          localId: this.cfg.routerId,
          remoteId: open.bgpId,
          localAs: this.cfg.localAs,
          remoteAs: announcedAs(open),
        });
        const winnerRole = winner === 'local' ? 'out' : 'in';
        keepSelf = self.role === winnerRole;
      }
      if (!keepSelf) {
        for (const d of this.run(ref, { event: 'OpenCollisionDump' })) this.onConnDown(d);
        return true;
      }
      for (const d of this.run(otherRef, { event: 'OpenCollisionDump' })) this.onConnDown(d);
    }
    return false;
  }

  /** See PeerInput 'messages'. Effects come out as from one 'message' input per message. */
  messages(conn: number, ms: readonly BgpMessage[]): void {
    let i = 0;
    while (i < ms.length) {
      const ref = this.refOf(conn);
      if (!ref) return;
      const next = establishedRun(this.get(ref)!, ms, i, this.effects);
      if (next > i) {
        i = next;
        continue;
      }
      this.message(conn, ms[i]!);
      this.noteVisible();
      i++;
    }
  }

  decodeError(conn: number, error: WireError): void {
    const ref = this.refOf(conn);
    if (ref) this.event(ref, eventOfDecodeError(error));
  }

  /** Reports a change of the visible state (the most advanced FSM's). */
  noteVisible(): void {
    const visible = this.all().reduce<SessionState>((v, c) => (rank(c.state) > rank(v) ? c.state : v), 'Idle');
    if (visible !== this.st.visible) {
      this.st = { ...this.st, visible };
      this.effects.push({ kind: 'state', state: visible });
    }
  }

  finish(): PeerResult {
    this.noteVisible();
    return { state: this.st, effects: this.effects };
  }
}

/** One input to the peer machine. */
export function peerStep(state: PeerState, input: PeerInput, cfg: SessionConfig): PeerResult {
  const s = new Step(state, cfg);
  switch (input.kind) {
    case 'start':
      s.start();
      break;
    case 'stop':
      s.stop(input.notification ?? ADMIN_SHUTDOWN);
      break;
    case 'tcp-connected':
      if (state.out.conn === input.conn && state.out.state === 'Connect') s.event('out', { event: 'Tcp_CR_Acked' });
      break;
    case 'tcp-accepted':
      s.accepted(input.conn);
      break;
    case 'tcp-failed': {
      const ref = s.refOf(input.conn);
      if (ref) s.event(ref, { event: 'TcpConnectionFails', error: input.error });
      break;
    }
    case 'timer':
      s.timer(input.timer, input.conn);
      break;
    case 'message':
      s.message(input.conn, input.message);
      break;
    case 'messages':
      s.messages(input.conn, input.messages);
      break;
    case 'decode-error':
      s.decodeError(input.conn, input.error);
      break;
  }
  return s.finish();
}

/** Convenience for status: the connection of the Established FSM, if any. */
export function establishedConn(state: PeerState): number | null {
  for (const c of [state.out, ...state.incoming]) if (c.state === 'Established') return c.conn;
  return null;
}

