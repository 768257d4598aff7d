// The I/O shell around one peer's pure session machine: sockets, timers, framing, counters.
// Inputs go through `input()`; effects are executed here and nowhere else.
import { connect, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { Framer } from '../wire/framer.js';
import { decodeMessage, encodeMessage, type MessageContext } from '../wire/message.js';
import { WireError } from '../wire/errors.js';
import { describeNotification, decodeShutdownCommunication } from '../wire/notification.js';
import { afiSafiOf, familyOf } from '../wire/family.js';
import { DEFAULT_CODEC_CONTEXT, type BgpMessage, type CodecContext, type Family, type UpdateMessage } from '../wire/types.js';
import { initialPeerState, peerStep, type PeerEffect, type PeerInput, type PeerState } from '../session/peer.js';
import { codecContextOf, type Negotiated } from '../session/negotiate.js';
import type { SessionConfig } from '../session/config.js';
import type { GroupMember } from './update-group.js';
import type { EnginePeer } from './route-engine.js';
import type { MessageKind, NeighborDetail, NotificationInfo, PeerStatus, PeerType } from '../api/types.js';
import type { PeerConfig } from '../config/schema.js';
import { nextHopSelf, normalizeAddress, type NextHopSelf } from './local-addresses.js';
import type { SpeakerMetrics } from '../daemon/metrics.js';
import { jitteredMs } from './timer-jitter.js';

type VisibleState = PeerStatus['state'];

interface Conn {
  id: number;
  socket: Socket;
  framer: Framer;
  ctx: MessageContext;
  /** writes are being collected until the end of this tick (see writeTo) */
  corked: boolean;
}

/** An armed FSM timer. */
interface TimerEntry {
  handle: NodeJS.Timeout;
  seconds: number;
  /** bumped on every refresh, so an expiry already decided before it is void */
  generation: number;
}

/**
 * Messages written to one connection in the same tick (KEEPALIVE after OPEN, an initial table
 * and its End-of-RIB, a batch of UPDATEs) leave in one writev instead of one syscall each: each
 * write to a local peer also wakes it, which in a large mesh on a busy host costs more than
 * the bytes.
 */
function writeTo(conn: Conn, buf: Buffer): void {
  if (!conn.corked) {
    conn.corked = true;
    conn.socket.cork();
    // One tick callback uncorks every connection written to in this tick: a session coming up
    // writes to one connection, but a route change writes to every peer's.
    if (corked.length === 0) process.nextTick(uncorkAll);
    corked.push(conn);
  }
  conn.socket.write(buf);
}

/** Connections corked in this tick, uncorked together at its end. */
let corked: Conn[] = [];

function uncorkAll(): void {
  const list = corked;
  corked = [];
  for (const conn of list) {
    conn.corked = false;
    conn.socket.uncork();
  }
}

export interface PeerRunnerComponents {
  logger: Logger;
  metrics: SpeakerMetrics;
  /** called when the session becomes Established, to send the initial table */
  onEstablished(runner: PeerRunner): void;
  /** called for each UPDATE received in Established */
  onUpdate(runner: PeerRunner, msg: UpdateMessage): void;
  /** called when a ROUTE-REFRESH for a negotiated family arrives */
  onRouteRefresh(runner: PeerRunner, family: Family): void;
  /** called when the session leaves Established; `graceful` when RFC 4724 keeps its routes */
  onDown(runner: PeerRunner, graceful: { restartTime: number; families: Family[] } | null): void;
  /** the peer sent more prefixes than allowed and the policy says stop */
  onMaxPrefix(runner: PeerRunner, family: Family): void;
  /** input back-pressure from the route engine */
  inputGate?: { overloaded(): boolean; whenDrained(fn: () => void): void };
}

/** Session endings after which a graceful-restart peer's routes are kept (RFC 4724 §4.2). */
const GRACEFUL_REASONS: ReadonlySet<string> = new Set(['connection-closed', 'connection-failed', 'peer-restarted', 'hold-timer-expired']);

const zeroCounts = (): Record<MessageKind, number> => ({ open: 0, update: 0, notification: 0, keepalive: 0, 'route-refresh': 0 });

export class PeerRunner implements EnginePeer {
  private state: PeerState;
  private readonly conns = new Map<number, Conn>();
  private readonly timers = new Map<string, TimerEntry>();
  private stopped = false;
  visibleState: VisibleState = 'Idle';
  since = new Date();
  info = 'Not started';
  negotiated: Negotiated | null = null;
  establishedConn: number | null = null;
  establishedAt: Date | null = null;
  flaps = 0;
  private drainListener: (() => void) | null = null;
  readonly received = zeroCounts();
  readonly sent = zeroCounts();
  lastNotificationSent: NotificationInfo | null = null;
  lastNotificationReceived: NotificationInfo | null = null;
  private nextAcceptedId = 1;
  /** UPDATEs handed to onUpdate since deliverRun started its run */
  private updatesDelivered = 0;
  /** Set when stop() was asked: resolves once every connection is closed. */
  private drained: (() => void) | null = null;

  constructor(
    public peer: PeerConfig,
    private readonly session: SessionConfig,
    private readonly c: PeerRunnerComponents,
  ) {
    this.state = initialPeerState(session);
  }

  get label(): string {
    return this.peer.name ?? this.peer.address;
  }

  get type(): PeerType {
    if (this.peer.asn !== this.session.localAs) return 'ebgp';
    return this.peer.rrClient ? 'rr-client' : 'ibgp';
  }

  get ebgp(): boolean {
    return this.peer.asn !== this.session.localAs;
  }

  start(): void {
    this.input({ kind: 'start' });
  }

  /** ManualStop with a NOTIFICATION; resolves when the sockets are closed (bounded). */
  async stop(notification: { code: number; subcode: number; data: Buffer }, timeoutMs = 2000): Promise<void> {
    const done = new Promise<void>((resolve) => {
      this.drained = resolve;
    });
    this.input({ kind: 'stop', notification });
    this.stopped = true;
    this.clearTimers();
    if (this.conns.size === 0) this.drained?.();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    for (const conn of this.conns.values()) conn.socket.destroy();
    this.conns.clear();
  }

  /**
   * Leaves without a NOTIFICATION, as a restarting speaker does (RFC 4724): the peer sees the
   * TCP session end and, having our graceful-restart capability, keeps our routes until we are
   * back and send End-of-RIB.
   */
  async detach(): Promise<void> {
    this.stopped = true;
    this.clearTimers();
    const closing = [...this.conns.values()].map(
      (conn) => new Promise<void>((resolve) => {
        conn.socket.once('close', () => resolve());
        conn.socket.end();
        setTimeout(() => {
          conn.socket.destroy();
          resolve();
        }, 500).unref();
      }),
    );
    await Promise.all(closing);
    this.conns.clear();
  }

  /** The session negotiated graceful restart (the peer will keep our routes across a restart). */
  get gracefulRestartNegotiated(): boolean {
    return this.negotiated?.gracefulRestart !== null && this.negotiated?.gracefulRestart !== undefined;
  }

  /** An incoming TCP connection from this peer's address. */
  accept(socket: Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    // Accepted connections get odd ids so they never collide with the machine's dial ids.
    const id = this.nextAcceptedId;
    this.nextAcceptedId += 2;
    this.attach(id, socket);
    this.input({ kind: 'tcp-accepted', conn: id });
  }

  input(input: PeerInput): void {
    const { state, effects } = peerStep(this.state, input, this.session);
    this.state = state;
    for (const e of effects) this.execute(e);
  }

  private execute(e: PeerEffect): void {
    switch (e.kind) {
      case 'dial':
        if (!this.stopped) this.dial(e.conn);
        return;
      case 'send':
        this.send(e.conn, e.message);
        return;
      case 'close':
        this.close(e.conn);
        return;
      case 'arm-timer': {
        if (this.stopped) return;
        const key = `${e.timer}:${e.conn ?? ''}`;
        const prev = this.timers.get(key);
        // The Hold timer is re-armed by every KEEPALIVE and UPDATE: refresh() is far cheaper
        // than a new timeout per message.
        if (prev && prev.seconds === e.seconds && e.timer === 'Hold') {
          prev.generation++;
          prev.handle.refresh();
          return;
        }
        if (prev) clearTimeout(prev.handle);
        const conn = e.conn;
        const expire = (): void => {
          // Node runs due timers before it polls for I/O. On a busy host a timer can come due
          // while what would have stopped it (the connect completing, a KEEPALIVE) already
          // waits unread; expiring then drops a session that was fine (seen in a 100-node
          // mesh: a third of the first connects abandoned as "timed out"). So the expiry is
          // decided after this turn's poll, and only if nothing re-armed, refreshed or
          // cancelled the timer meanwhile.
          const generation = entry.generation;
          setImmediate(() => {
            if (this.timers.get(key) !== entry || entry.generation !== generation) return;
            this.timers.delete(key);
            this.input(conn === undefined ? { kind: 'timer', timer: e.timer } : { kind: 'timer', timer: e.timer, conn });
          });
        };
        const entry: TimerEntry = { handle: setTimeout(expire, jitteredMs(e.timer, e.seconds)), seconds: e.seconds, generation: 0 };
        entry.handle.unref();
        this.timers.set(key, entry);
        return;
      }
      case 'cancel-timer': {
        const key = `${e.timer}:${e.conn ?? ''}`;
        const prev = this.timers.get(key);
        if (prev) clearTimeout(prev.handle);
        this.timers.delete(key);
        return;
      }
      case 'established': {
        this.negotiated = e.negotiated;
        this.establishedConn = e.conn;
        this.establishedAt = new Date();
        const conn = this.conns.get(e.conn);
        if (conn) {
          conn.ctx = { ...codecContextOf(e.negotiated), enhancedRouteRefresh: e.negotiated.enhancedRouteRefresh };
          conn.framer.setMaxMessageSize(conn.ctx.extendedMessage ? 65535 : 4096);
        }
        this.info = 'Established';
        this.c.logger.info({ event: 'session.up', peer: this.peer.address, name: this.peer.name, families: e.negotiated.families, holdTime: e.negotiated.holdTime }, 'session established');
        this.c.onEstablished(this);
        return;
      }
      case 'update':
        // Only a run's later UPDATEs can find their connection gone: onUpdate for an earlier
        // one stopped the session. One by one, they would not have been read.
        if (!this.conns.has(e.conn)) return;
        this.updatesDelivered++;
        this.c.onUpdate(this, e.message);
        return;
      case 'route-refresh': {
        const family = familyOf(e.message.afi, e.message.safi);
        if (family && e.message.subtype === 0) this.c.onRouteRefresh(this, family);
        return;
      }
      case 'down': {
        this.info = e.lastError;
        // Failed connection attempts are 'down' too; only an Established session has routes.
        if (!e.wasEstablished) {
          this.c.logger.debug({ event: 'session.attempt-failed', peer: this.peer.address, reason: e.reason, info: this.info }, 'connection attempt failed');
          return;
        }
        this.flaps++;
        this.c.metrics.flap(this.label);
        const gr = this.negotiated?.gracefulRestart;
        const graceful = gr && GRACEFUL_REASONS.has(e.reason) ? { restartTime: gr.restartTime, families: gr.families.map((f) => f.family) } : null;
        this.negotiated = null;
        this.establishedConn = null;
        this.establishedAt = null;
        this.c.logger.warn({ event: 'session.down', peer: this.peer.address, name: this.peer.name, reason: e.reason, info: this.info, notification: e.notification ? { direction: e.notification.direction, code: e.notification.code, subcode: e.notification.subcode } : undefined }, 'session down');
        this.c.onDown(this, graceful);
        return;
      }
      case 'state':
        if (e.state !== this.visibleState) {
          this.visibleState = e.state;
          this.since = new Date();
          this.c.metrics.state(this.label, e.state);
          if (e.state !== 'Established' && e.state !== 'Idle' && this.info === 'Not started') this.info = e.state;
        }
        return;
      default: {
        const never: never = e;
        throw new Error(`unhandled effect ${JSON.stringify(never)}`);
      }
    }
  }

  private dial(id: number): void {
    const socket = connect({
      host: this.peer.address,
      port: this.peer.port,
      ...(this.peer.localAddress ? { localAddress: this.peer.localAddress } : {}),
    });
    socket.setNoDelay(true);
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      this.input({ kind: 'tcp-connected', conn: id });
    });
    this.attach(id, socket, () => connected);
  }

  private attach(id: number, socket: Socket, isConnected: () => boolean = () => true): void {
    const conn: Conn = { id, socket, framer: new Framer(), ctx: DEFAULT_CODEC_CONTEXT, corked: false };
    this.conns.set(id, conn);
    socket.on('data', (chunk: Buffer) => this.receive(conn, chunk));
    socket.on('drain', () => this.drainListener?.());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.conns.get(id) !== conn) return;
      this.c.logger.debug({ event: 'tcp.error', peer: this.peer.address, conn: id, code: err.code }, err.message);
      this.conns.delete(id);
      socket.destroy();
      this.input({ kind: 'tcp-failed', conn: id, error: tcpErrorText(err, isConnected()) });
      this.maybeDrained();
    });
    socket.on('close', () => {
      if (this.conns.get(id) !== conn) {
        this.maybeDrained();
        return;
      }
      this.conns.delete(id);
      this.input({ kind: 'tcp-failed', conn: id, error: isConnected() ? 'Connection closed by peer' : 'Connection failed' });
      this.maybeDrained();
    });
  }

  private maybeDrained(): void {
    if (this.drained && this.conns.size === 0) this.drained();
  }

  /**
   * One read. UPDATEs and KEEPALIVEs on the Established connection are collected and go to the
   * machine as ONE 'messages' input (one step, one Hold timer refresh) when something else
   * comes or the read ends: per message, that bookkeeping cost more than decoding. Anything
   * else goes alone, after the run before it, so the order is the peer's. The codec context
   * changes only when a session becomes Established, which a run never does: so the whole
   * run can be decoded before the machine sees any of it.
   */
  private receive(conn: Conn, chunk: Buffer): void {
    let raws: Buffer[];
    try {
      raws = conn.framer.push(chunk);
    } catch (e) {
      if (e instanceof WireError) this.input({ kind: 'decode-error', conn: conn.id, error: e });
      else throw e;
      return;
    }
    let run: BgpMessage[] | null = null;
    for (const raw of raws) {
      if (run === null && this.conns.get(conn.id) !== conn) return;
      let msg: BgpMessage | null;
      try {
        msg = decodeMessage(raw, conn.ctx);
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        if (run !== null && !this.deliverRun(conn, run)) return;
        this.c.logger.warn({ event: 'message.malformed', peer: this.peer.address, code: e.code, notifCode: e.notifCode, notifSubcode: e.notifSubcode }, e.message);
        this.input({ kind: 'decode-error', conn: conn.id, error: e });
        return;
      }
      if (msg === null) continue; // RFC 7313 §5: ROUTE-REFRESH with a reserved subtype is ignored
      if ((msg.kind === 'update' || msg.kind === 'keepalive') && this.establishedConn === conn.id) {
        (run ??= []).push(msg);
        continue;
      }
      if (run !== null) {
        if (!this.deliverRun(conn, run)) return;
        run = null;
      }
      this.received[msg.kind]++;
      this.c.metrics.message(this.label, 'in', msg.kind);
      if (msg.kind === 'notification') this.lastNotificationReceived = notificationInfo(msg.code, msg.subcode, msg.data);
      this.input({ kind: 'message', conn: conn.id, message: msg });
    }
    if (run !== null && !this.deliverRun(conn, run)) return;
    const gate = this.c.inputGate;
    if (gate && !conn.socket.isPaused() && gate.overloaded()) {
      conn.socket.pause();
      gate.whenDrained(() => {
        if (this.conns.get(conn.id) === conn && !conn.socket.destroyed) conn.socket.resume();
      });
    }
  }

  /**
   * Feeds a run of UPDATEs and KEEPALIVEs to the machine and counts them. Returns false when
   * the connection is gone afterwards: then only the messages up to the UPDATE whose handling
   * ended the session (a prefix limit stops it from onUpdate) were taken, and counted, as one
   * input per message would have; the rest of the read is dropped.
   */
  private deliverRun(conn: Conn, run: readonly BgpMessage[]): boolean {
    this.updatesDelivered = 0;
    this.input({ kind: 'messages', conn: conn.id, messages: run });
    const alive = this.conns.get(conn.id) === conn;
    let end = run.length;
    if (!alive) {
      end = 0;
      for (let seen = 0; end < run.length && seen < this.updatesDelivered; end++) if (run[end]!.kind === 'update') seen++;
    }
    let updates = 0;
    for (let i = 0; i < end; i++) if (run[i]!.kind === 'update') updates++;
    const keepalives = end - updates;
    this.received.update += updates;
    this.received.keepalive += keepalives;
    if (updates > 0) this.c.metrics.messageCount(this.label, 'in', 'update', updates);
    if (keepalives > 0) this.c.metrics.messageCount(this.label, 'in', 'keepalive', keepalives);
    return alive;
  }

  /** Sends on the Established connection (used by the speaker for routes). */
  sendEstablished(msg: BgpMessage): boolean {
    if (this.establishedConn === null) return false;
    const conn = this.conns.get(this.establishedConn);
    if (!conn) return false;
    this.send(conn.id, msg);
    return true;
  }

  // --- EnginePeer ---------------------------------------------------------------------------

  families(): Family[] {
    return this.negotiated ? [...this.negotiated.families] : [];
  }

  peerBgpId(): number | null {
    return this.negotiated?.peerBgpId ?? null;
  }

  enhancedRouteRefresh(): boolean {
    return this.negotiated?.enhancedRouteRefresh ?? false;
  }

  localNextHops(): NextHopSelf {
    const conn = this.establishedConn !== null ? this.conns.get(this.establishedConn) : undefined;
    const local = conn?.socket.localAddress;
    if (!local) return {};
    return nextHopSelf({ localAddress: local, peerAddress: this.peer.address, ...(this.peer.nextHop6 ? { nextHop6: this.peer.nextHop6 } : {}) });
  }

  member(sourceId: number): GroupMember {
    const conn = this.establishedConn !== null ? this.conns.get(this.establishedConn) : undefined;
    const runner = this;
    return {
      sourceId,
      write(buf: Buffer, count: number): void {
        if (!conn || conn.socket.destroyed || runner.conns.get(conn.id) !== conn) return;
        writeTo(conn, buf);
        runner.sent.update += count;
        runner.c.metrics.messageCount(runner.label, 'out', 'update', count);
      },
      get backlog(): number {
        return conn && !conn.socket.destroyed ? conn.socket.writableLength : 0;
      },
    };
  }

  sendRefreshMarker(family: Family, subtype: 1 | 2): void {
    this.sendEstablished({ kind: 'route-refresh', ...afiSafiOf(family), subtype });
  }

  onDrain(fn: () => void): void {
    this.drainListener = fn;
  }

  stopForMaxPrefix(family: Family): void {
    this.c.onMaxPrefix(this, family);
  }

  codecContext(): CodecContext | null {
    if (this.establishedConn === null) return null;
    return this.conns.get(this.establishedConn)?.ctx ?? null;
  }

  private send(id: number, msg: BgpMessage): void {
    const conn = this.conns.get(id);
    if (!conn || conn.socket.destroyed) return;
    let buf: Buffer;
    try {
      buf = encodeMessage(msg, conn.ctx);
    } catch (e) {
      this.c.logger.error({ event: 'message.encode-failed', peer: this.peer.address, kind: msg.kind, err: e instanceof Error ? e.message : String(e) }, 'cannot encode message');
      return;
    }
    writeTo(conn, buf);
    this.sent[msg.kind]++;
    this.c.metrics.message(this.label, 'out', msg.kind);
    if (msg.kind === 'notification') {
      this.lastNotificationSent = notificationInfo(msg.code, msg.subcode, msg.data);
      this.c.logger.warn({ event: 'notification.sent', peer: this.peer.address, code: msg.code, subcode: msg.subcode, description: this.lastNotificationSent.description }, 'notification sent');
    }
  }

  private close(id: number): void {
    const conn = this.conns.get(id);
    if (!conn) return;
    this.conns.delete(id);
    // Let a queued NOTIFICATION reach the peer, but never hang on a dead socket.
    conn.socket.end();
    const t = setTimeout(() => conn.socket.destroy(), 1000);
    t.unref();
    conn.socket.once('close', () => {
      clearTimeout(t);
      this.maybeDrained();
    });
    this.maybeDrained();
  }

  private clearTimers(): void {
    for (const t of this.timers.values()) clearTimeout(t.handle);
    this.timers.clear();
  }

  status(): PeerStatus {
    return {
      name: this.peer.name ?? null,
      address: this.peer.address,
      asn: this.peer.asn,
      type: this.type,
      state: this.visibleState,
      since: this.since.toISOString(),
      info: this.info,
      prefixesReceived: 0,
      prefixesAdvertised: 0,
    };
  }

  detail(routerIdText: (n: number) => string): NeighborDetail {
    const n = this.negotiated;
    const conn = this.establishedConn !== null ? this.conns.get(this.establishedConn) : undefined;
    return {
      ...this.status(),
      localAddress: conn?.socket.localAddress ? normalizeAddress(conn.socket.localAddress) : null,
      localPort: conn?.socket.localPort ?? null,
      remotePort: conn?.socket.remotePort ?? null,
      routerId: n ? routerIdText(n.peerBgpId) : null,
      holdTimeConfigured: this.peer.holdTime,
      holdTime: n ? n.holdTime : null,
      keepaliveTime: n ? n.keepaliveTime : null,
      uptimeSeconds: this.establishedAt ? Math.round((Date.now() - this.establishedAt.getTime()) / 1000) : null,
      flaps: this.flaps,
      capabilities: n
        ? {
            families: [...n.families],
            as4: n.as4,
            routeRefresh: n.routeRefresh,
            enhancedRouteRefresh: n.enhancedRouteRefresh,
            extendedMessage: n.extendedMessage,
            gracefulRestart: n.gracefulRestart ? { restartTime: n.gracefulRestart.restartTime, families: n.gracefulRestart.families.map((f) => f.family) } : null,
            addPath: { receive: [...n.addPath.receive], send: [...n.addPath.send] },
            hostname: n.hostname ?? null,
          }
        : null,
      messages: { received: { ...this.received }, sent: { ...this.sent } },
      lastNotificationSent: this.lastNotificationSent,
      lastNotificationReceived: this.lastNotificationReceived,
    };
  }
}

function notificationInfo(code: number, subcode: number, data: Buffer): NotificationInfo {
  const info: NotificationInfo = { code, subcode, description: describeNotification(code, subcode), at: new Date().toISOString() };
  // RFC 9003: Cease / Administrative Shutdown (2) and Administrative Reset (4) carry text.
  if (code === 6 && (subcode === 2 || subcode === 4)) {
    const text = decodeShutdownCommunication(data);
    if (text) info.message = text;
  }
  return info;
}

function tcpErrorText(err: NodeJS.ErrnoException, connected: boolean): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'Connection refused';
    case 'EHOSTUNREACH':
      return 'No route to host';
    case 'ENETUNREACH':
      return 'Network unreachable';
    case 'ETIMEDOUT':
      return 'Connection timed out';
    case 'ECONNRESET':
      return 'Connection reset by peer';
    case 'EADDRNOTAVAIL':
      return 'Local address not available';
    default:
      return connected ? `Connection error (${err.code ?? err.message})` : `Connection failed (${err.code ?? err.message})`;
  }
}
