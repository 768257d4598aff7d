// The only file that talks to the kernel: rtnetlink sockets (from the `netlink` package's raw
// layer) in the current network namespace. Route requests are our own tiny encoding
// (rtnl-codec.ts), packed many to a datagram and pipelined:
//
// - No NLM_F_ACK on route requests: the kernel answers only on error (netlink_rcv_skb acks
//   when `NLM_F_ACK || err`). Each datagram ends with a NOOP carrying NLM_F_ACK; the kernel
//   processes a datagram's messages in order, so that ACK proves every request before it is
//   done and any error for them is already queued on our socket. A success costs no reply,
//   which is what makes 100k routes/s possible (an ACK per route caps out near 35k/s here
//   and floods the receive buffer).
// - Errors carry the request's sequence number: each is matched to its route and reported
//   with the errno name. ESRCH on a delete means "already gone", which is what we wanted.
// - Requests in flight are bounded by what the receive buffer can hold if every one failed,
//   so the error replies cannot overflow it. If they still do (ENOBUFS), every request whose
//   outcome was not yet confirmed is reported as failed with 'ENOBUFS' (outcome unknown):
//   the caller dumps and reconciles.
// - A listener on 'error' is mandatory with this package: an ENOBUFS from recvmsg is emitted
//   as 'error' from a native callback, and an unhandled one aborts the process.
// - Worse, netlink 0.3.0 aborts the process whenever a socket's receive buffer overflows:
//   the kernel then flags the socket with an error, epoll reports EPOLLERR, libuv calls the
//   poll callback with a status, and the addon builds its exception with a NULL syscall name
//   (Napi::String::New(env, NULL) throws a C++ exception: "terminate called after throwing an
//   instance of 'Napi::Error' … Error in native callback"). So no socket may ever overflow:
//   replies are bounded as above, and while we listen to route notifications every op we
//   send is expected to come back as one notification, and we never have more of those
//   outstanding than the notification socket's buffer holds (echo pacing, see pump()).
// - Reading our own echoes costs more than the kernel work itself (a recvmsg and a decode per
//   route). For a burst bigger than that budget (start-up, a peer's full table), we leave the
//   route multicast groups while the burst is in flight, rejoin when it is done, and ask for a
//   resync (onResync('paused')) once no new burst has started for RESYNC_AFTER_BURST_MS: one
//   dump replaces a hundred thousand notifications. Echoes of requests sent before the pause
//   stay counted after it: a busy thread may not have read them yet.
// - The request socket lives in a worker thread (fib-worker.ts) by default: the kernel does
//   its insert work inside sendmsg, so there it overlaps BGP work on the main thread instead of
//   stalling it. Encoding, sequence numbers, matching and echo pacing stay here; the worker
//   sends the datagrams, bounds its own requests in flight by its receive buffer, and hands
//   the replies back. Should the worker fail, the adapter carries on with a socket of its own
//   (requests in flight then have an unknown outcome: 'ENOBUFS').
// - Other protocols' routes in our table (connected, static, other daemons') are what next
//   hops resolve through: dumpAll() returns them with ours from the same dump, and their
//   notifications go to onForeignRoute, decoded in full (rtnl-foreign-codec.ts). While the
//   route groups are left for a burst those are missed too; the resync that follows reloads them.

import { endianness } from 'node:os';
import type { Logger } from 'pino';
import { RawNetlinkSocket } from 'netlink/dist/raw.js';
import { KernelError } from './errors.js';
import { mainThreadTransport, workerTransport, type RequestTransport, type TransportEvents, type TransportInit } from './fib-worker-transport.js';
import { dumpRouteFamily, errnoName, guard } from './rtnl-dump.js';
import {
  AF_INET,
  AF_INET6,
  BARRIER_LENGTH,
  NLMSG_ERROR,
  NLM_F_REPLACE,
  RTM_DELROUTE,
  RTM_NEWROUTE,
  RTNLGRP_IPV4_IFADDR,
  RTNLGRP_IPV4_ROUTE,
  RTNLGRP_IPV6_IFADDR,
  RTNLGRP_IPV6_ROUTE,
  RTNLGRP_LINK,
  decodeErrno,
  decodeRoute,
  forEachMessage,
  routeMessageLength,
  writeBarrier,
  writeRouteMessage,
  type RouteEncodeContext,
} from './rtnl-codec.js';
import { decodeForeignRoute, decodeLinkEvent, routeProtocol } from './rtnl-foreign-codec.js';
import type { DesiredRoute, ForeignRoute, KernelEventHandlers, KernelRoutePort, RouteOp, RouteOpFailure, TableDump } from './types.js';

const NETLINK_ROUTE = 0;
const RTM_NEWLINK = 16;
const RTM_DELADDR = 21;
const ESRCH = 3;
const ENOBUFS = 105;
/** Receive-buffer bytes one queued error reply costs (skb truesize, rounded up). */
const BYTES_PER_ERROR = 1280;
/** Receive-buffer bytes one queued route notification costs (IPv6 ECMP ones are the largest). */
const BYTES_PER_NOTIFICATION = 1536;
/** Largest datagram we send (the kernel takes up to 64 KiB; smaller keeps its allocations cheap). */
const MAX_DATAGRAM = 48 * 1024;
/** Quiet time after a burst (notifications paused) before the resync that covers it. */
const RESYNC_AFTER_BURST_MS = 250;
/** 'auto': requests pending at once that make a worker thread worth its memory. */
const WORKER_AFTER_OPS = 2048;
/** Echo pacing gives up on missing notifications after this long without one. */
const ECHO_STALL_MS = 100;

export interface NetlinkAdapterInit {
  /** Routing protocol number of every route we install (rtm_protocol); default 199. */
  protocol?: number;
  /** Kernel routing table; default 254 (main). */
  table?: number;
  /** RTA_PRIORITY of our routes; default unset (kernel default: IPv4 0, IPv6 1024). */
  metric?: number;
  /**
   * Upper bound on requests in flight. Default: with the worker 65536 (the worker itself keeps
   * what its socket has unacknowledged within its receive buffer); without it 2048, lowered
   * to fit the receive buffer.
   */
  maxInFlight?: number;
  /**
   * Where the request socket lives: 'auto' (default: this thread until a burst of
   * WORKER_AFTER_OPS requests, or prepareForBurst(), then a worker for good), 'worker' or
   * 'main' (this thread).
   */
  thread?: 'auto' | 'worker' | 'main';
  /** Told when the worker takes over, and when it fails and the adapter falls back to this thread. */
  logger?: Pick<Logger, 'warn' | 'info'>;
  /** Requests per datagram; default 256. */
  batchSize?: number;
  /** SO_RCVBUF asked for (the kernel caps it at net.core.rmem_max); default 8 MiB. */
  recvBufferBytes?: number;
}

interface Job {
  ops: readonly RouteOp[];
  next: number;
  outstanding: number;
  failures: RouteOpFailure[];
  resolve(f: RouteOpFailure[]): void;
  reject(e: Error): void;
}

interface Chunk {
  job: Job;
  ops: RouteOp[];
  firstSeq: number;
  barrierSeq: number;
  failed: Set<number>;
  /** Ops that cause no notification (refused, or deletes of routes already gone). */
  silent: number;
}

export class NetlinkAdapter implements KernelRoutePort {
  readonly protocol: number;
  readonly table: number;
  private readonly batchSize: number;
  private readonly ctx: RouteEncodeContext;
  private transport: RequestTransport;
  /** 'auto' only: the worker being started for the first big burst (see maybeMoveToWorker). */
  private startingWorker: RequestTransport | undefined;
  /** Why the worker was started: a burst pending, or one expected (prepareForBurst). */
  private workerWhy: 'burst' | 'expected-burst' = 'burst';
  private autoWorker: boolean;
  private readonly transportInit: TransportInit;
  private dumpSock: RawNetlinkSocket | undefined;
  private notifySock: RawNetlinkSocket | undefined;
  private readonly jobs: Job[] = [];
  private readonly inflight: Chunk[] = [];
  private inflightOps = 0;
  private seq = 1;
  private closed = false;
  private readonly recvBufferBytes: number;
  /** Notifications our sent ops will still cause (only counted while subscribed). */
  private expectedEchoes = 0;
  /** How many may be outstanding without overflowing the notification socket. */
  private echoBudget = Infinity;
  private echoStallTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private echoesSeen = 0;
  /** Out of the route groups for a burst (see the header). */
  private deaf = false;
  private handlers: KernelEventHandlers | undefined;
  private readonly log: Pick<Logger, 'warn' | 'info'> | undefined;

  constructor(init: NetlinkAdapterInit = {}) {
    if (endianness() !== 'LE') throw new KernelError('netlink-unsupported-host', 'netlink adapter supports little-endian hosts only');
    this.protocol = init.protocol ?? 199;
    this.table = init.table ?? 254;
    this.recvBufferBytes = init.recvBufferBytes ?? 8 << 20;
    this.log = init.logger;
    this.ctx = { protocol: this.protocol, table: this.table, pid: 0, ...(init.metric === undefined ? {} : { metric: init.metric }) };
    this.transportInit = { recvBufferBytes: this.recvBufferBytes, sendBufferBytes: 4 << 20, bytesPerError: BYTES_PER_ERROR, ...(init.maxInFlight === undefined ? {} : { maxInFlight: init.maxInFlight }) };
    const thread = init.thread ?? 'auto';
    this.autoWorker = thread === 'auto';
    this.transport = (thread === 'worker' ? workerTransport : mainThreadTransport)(this.transportInit, this.transportEvents());
    this.ctx.pid = this.transport.port;
    this.batchSize = Math.max(1, Math.min(init.batchSize ?? 256, this.transport.maxInFlight));
  }

  /** Effective bound on requests in flight. */
  get maxInFlight(): number {
    return this.transport.maxInFlight;
  }

  /** Where the request socket lives now (see the header). */
  get thread(): 'worker' | 'main' {
    return this.transport.thread;
  }

  private transportEvents(): TransportEvents {
    return {
      onReady: (port) => {
        this.ctx.pid = port;
        if (!this.closed) this.pump();
      },
      onReply: (buf) => {
        if (!this.closed) this.onReply(buf);
      },
      onSendFailed: (barrierSeq, errno, code) => this.onSendFailed(barrierSeq, errno, code),
      onSocketError: (errno, code) => this.onRequestSocketError(errno, code),
      onFailed: (why) => this.workerFailed(why),
    };
  }

  /** The worker is gone: what it had in flight has an unknown outcome; go on from this thread. */
  private workerFailed(why: string): void {
    if (this.closed || this.transport.thread !== 'worker') return;
    this.log?.warn({ event: 'fib.worker-failed', err: why, inFlight: this.inflightOps }, 'netlink worker failed; sending routes from the main thread');
    this.transport.close();
    this.transport = mainThreadTransport(this.transportInit, this.transportEvents());
    this.ctx.pid = this.transport.port;
    if (this.inflight.length > 0 || this.jobs.length > 0) this.transport.ref();
    for (const c of [...this.inflight]) this.abandon(c, ENOBUFS, 'ENOBUFS');
    this.pump();
  }

  /**
   * 'auto': a worker thread costs several MB of memory, worth it only for bursts (a peer's
   * full table, start-up). The first time this much is pending, a worker is started while this
   * thread keeps sending; once it is ready and this thread's socket has nothing in flight, the
   * worker takes over for good. Returns true while this thread should hold back (draining).
   */
  private maybeMoveToWorker(): boolean {
    if (!this.autoWorker) return false;
    if (this.startingWorker === undefined) {
      if (this.pendingOps() >= WORKER_AFTER_OPS) this.startWorker('burst');
      return false;
    }
    if (!this.startingWorker.ready) return false;
    if (this.inflight.length > 0) return true;
    const main = this.transport;
    this.transport = this.startingWorker;
    this.autoWorker = false;
    main.close();
    this.log?.info({ event: 'fib.writer-moved', thread: 'worker', why: this.workerWhy }, 'kernel route writes moved to a worker thread');
    this.ctx.pid = this.transport.port;
    if (this.jobs.length > 0) this.transport.ref();
    else this.transport.unref();
    return false;
  }

  /**
   * 'auto' only: a burst is coming (a session that may bring a full table has come up), so the
   * worker is started now rather than in the middle of it, where its start-up (an isolate and
   * the addon, tens of ms on a busy machine) delays the routes. It takes over once it is ready
   * and this thread has nothing in flight. No-op in the other modes or once started.
   */
  prepareForBurst(): void {
    if (this.autoWorker && this.startingWorker === undefined && !this.closed) this.startWorker('expected-burst');
  }

  private startWorker(why: 'burst' | 'expected-burst'): void {
    this.workerWhy = why;
    const events = this.transportEvents();
    this.startingWorker = workerTransport(this.transportInit, {
      ...events,
      onReady: () => {
        if (!this.closed) this.pump();
      },
      onFailed: (err) => {
        if (this.transport === this.startingWorker) return events.onFailed(err);
        this.log?.warn({ event: 'fib.worker-failed', err }, 'netlink worker failed to start; sending routes from the main thread');
        this.startingWorker?.close();
        this.startingWorker = undefined;
        this.autoWorker = false;
      },
    });
    this.startingWorker.unref();
  }

  /** Requests waiting to be sent plus requests in flight. */
  pendingOps(): number {
    let n = this.inflightOps;
    for (const j of this.jobs) n += j.ops.length - j.next;
    return n;
  }

  apply(ops: readonly RouteOp[]): Promise<RouteOpFailure[]> {
    if (this.closed) return Promise.reject(new KernelError('netlink-closed', 'netlink adapter is closed'));
    if (ops.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.jobs.push({ ops, next: 0, outstanding: 0, failures: [], resolve, reject });
      this.transport.ref();
      if (this.notifySock !== undefined && !this.deaf && this.pendingOps() > this.echoBudget) this.pauseRouteNotifications(this.notifySock);
      this.pump();
    });
  }

  private nextSeqRange(n: number): number {
    if (this.seq + n + 1 >= 0xffffffff) this.seq = 1;
    const first = this.seq;
    this.seq += n + 1;
    return first;
  }

  private pump(): void {
    // First which requests go (bounded by what may be in flight and by echo pacing), then all
    // of them encoded into one buffer: the worker gets one message per pump, not per datagram.
    if (!this.transport.ready || this.maybeMoveToWorker()) return;
    const planned: { job: Job; ops: RouteOp[]; bytes: number }[] = [];
    let total = 0;
    while (this.jobs.length > 0 && this.inflightOps < this.transport.maxInFlight) {
      const job = this.jobs[0]!;
      const echoRoom = this.deaf ? Infinity : this.echoBudget - this.expectedEchoes;
      if (echoRoom < Math.min(this.batchSize, job.ops.length - job.next, this.echoBudget)) {
        this.watchEchoStall();
        break;
      }
      const room = Math.min(this.batchSize, this.transport.maxInFlight - this.inflightOps, job.ops.length - job.next, echoRoom);
      const ops: RouteOp[] = [];
      let bytes = BARRIER_LENGTH;
      while (ops.length < room && job.next < job.ops.length && bytes < MAX_DATAGRAM) {
        const op = job.ops[job.next++]!;
        ops.push(op);
        bytes += routeMessageLength(op, this.ctx);
      }
      if (job.next >= job.ops.length) this.jobs.shift();
      planned.push({ job, ops, bytes });
      total += bytes;
      // Reserved now (the loop's bounds depend on them), corrected below for requests that fail to encode.
      this.inflightOps += ops.length;
      if (this.notifySock !== undefined && !this.deaf) this.expectedEchoes += ops.length;
    }
    if (planned.length === 0) return;
    // Its own memory, not the pool's: the worker takes it over without a copy.
    const buf = Buffer.allocUnsafeSlow(total);
    const frames: number[] = [];
    let off = 0;
    for (const { job, ops } of planned) {
      const start = off;
      const firstSeq = this.nextSeqRange(ops.length);
      const sent: RouteOp[] = [];
      const early: RouteOpFailure[] = [];
      for (let i = 0; i < ops.length; i++) {
        const at = off;
        try {
          off = writeRouteMessage(buf, off, ops[i]!, firstSeq + sent.length, this.ctx);
          sent.push(ops[i]!);
        } catch (err) {
          off = at;
          early.push({ op: ops[i]!, errno: 0, code: err instanceof KernelError ? err.code : 'route-encode-invalid' });
        }
      }
      if (early.length > 0) {
        job.failures.push(...early);
        this.inflightOps -= early.length;
        if (this.notifySock !== undefined && !this.deaf) this.expectedEchoes -= early.length;
      }
      const barrierSeq = firstSeq + sent.length;
      off = writeBarrier(buf, off, barrierSeq, this.ctx.pid);
      job.outstanding++;
      this.inflight.push({ job, ops: sent, firstSeq, barrierSeq, failed: new Set(), silent: 0 });
      frames.push(start, off, sent.length, barrierSeq);
    }
    this.transport.send(buf, frames);
  }

  private onReply(msg: Buffer): void {
    forEachMessage(msg, (m) => {
      if (m.type !== NLMSG_ERROR) return;
      const errno = decodeErrno(msg, m);
      const first = this.inflight[0];
      // Replies come in the order the datagrams went out: almost always the oldest chunk.
      const chunk = first !== undefined && m.seq >= first.firstSeq && m.seq <= first.barrierSeq ? first : this.inflight.find((c) => m.seq >= c.firstSeq && m.seq <= c.barrierSeq);
      if (chunk === undefined) return; // a reply for a chunk already abandoned after ENOBUFS
      if (m.seq === chunk.barrierSeq) {
        this.finish(chunk);
        return;
      }
      const i = m.seq - chunk.firstSeq;
      const op = chunk.ops[i]!;
      if (errno === 0) return;
      chunk.silent++;
      if (errno === ESRCH && op.kind === 'delete') return;
      chunk.failed.add(i);
      chunk.job.failures.push({ op, errno, code: errnoName(errno) });
    });
  }

  private finish(chunk: Chunk): void {
    const at = this.inflight.indexOf(chunk);
    if (at < 0) return;
    this.inflight.splice(at, 1);
    this.inflightOps -= chunk.ops.length;
    if (this.notifySock !== undefined) this.expectedEchoes = Math.max(0, this.expectedEchoes - chunk.silent);
    const job = chunk.job;
    job.outstanding--;
    if (job.outstanding === 0 && job.next >= job.ops.length) job.resolve(job.failures);
    if (this.inflight.length === 0 && this.jobs.length === 0 && !this.closed) {
      this.transport.unref();
      if (this.deaf && this.notifySock !== undefined) this.resumeRouteNotifications(this.notifySock);
    }
    this.pump();
  }

  /** The chunk's outcome is unknown (send failed, or replies were dropped): report every op. */
  private abandon(chunk: Chunk, errno: number, code: string): void {
    for (let i = 0; i < chunk.ops.length; i++) {
      if (!chunk.failed.has(i)) chunk.job.failures.push({ op: chunk.ops[i]!, errno, code });
    }
    this.finish(chunk);
  }

  private pauseRouteNotifications(sock: RawNetlinkSocket): void {
    this.deaf = true;
    // A resync still owed for the last burst comes after this one instead.
    clearTimeout(this.resyncTimer);
    this.resyncTimer = undefined;
    sock.dropMembership(RTNLGRP_IPV4_ROUTE);
    sock.dropMembership(RTNLGRP_IPV6_ROUTE);
  }

  private resumeRouteNotifications(sock: RawNetlinkSocket): void {
    sock.addMembership(RTNLGRP_IPV4_ROUTE);
    sock.addMembership(RTNLGRP_IPV6_ROUTE);
    this.deaf = false;
    // expectedEchoes keeps what was sent before the pause: those echoes may still sit unread
    // in the socket (a busy main thread), and counting them as gone would let pacing overfill
    // it. Those the pause swallowed only slow pacing down until the stall timer lets go.
    //
    // The resync is not asked for at once: a burst often comes in slices (a peer's table in
    // several reads), and a dump between slices would compete with the kernel work of the
    // next one. Notifications are back on, so only changes others made during the pause are
    // still to be found.
    clearTimeout(this.resyncTimer);
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      if (!this.closed && !this.deaf) guard(() => this.handlers?.onResync('paused'));
    }, RESYNC_AFTER_BURST_MS);
    this.resyncTimer.unref();
  }

  private onEchoes(n: number): void {
    this.echoesSeen += n;
    this.expectedEchoes = Math.max(0, this.expectedEchoes - n);
    this.pump();
  }

  /** Pacing waits for notifications; if they stop coming (miscounted), stop waiting. */
  private watchEchoStall(): void {
    if (this.echoStallTimer !== undefined) return;
    const seen = this.echoesSeen;
    this.echoStallTimer = setTimeout(() => {
      // Timers run before the event loop polls: a busy thread may have echoes waiting in the
      // socket unread. Decide after this turn's poll phase has had its chance to read them.
      setImmediate(() => {
        this.echoStallTimer = undefined;
        if (this.closed) return;
        // Only when nothing at all arrived since the timer was armed, and nothing is in flight
        // (an ack still to come means the kernel is still working on our requests).
        if (this.echoesSeen === seen && this.inflightOps === 0) this.expectedEchoes = 0;
        this.pump();
      });
    }, ECHO_STALL_MS);
  }

  private onRequestSocketError(errno: number, code: string): void {
    // ENOBUFS: replies were dropped, so no chunk in flight can be trusted to complete.
    for (const c of [...this.inflight]) this.abandon(c, errno || ENOBUFS, code || 'ENOBUFS');
  }

  /** sendmsg refused a datagram: none of its requests reached the kernel. */
  private onSendFailed(barrierSeq: number, errno: number, code: string): void {
    const chunk = this.inflight.find((c) => c.barrierSeq === barrierSeq);
    if (chunk !== undefined) this.abandon(chunk, errno, code);
  }

  /** Every IPv4 and IPv6 route in our table with our protocol number. */
  async dump(): Promise<DesiredRoute[]> {
    return (await this.dumpTable(false)).ours;
  }

  /** Our routes and, in the same dump, every other route of our table (next-hop resolution). */
  dumpAll(): Promise<TableDump> {
    return this.dumpTable(true);
  }

  private async dumpTable(foreign: boolean): Promise<TableDump> {
    for (let attempt = 1; ; attempt++) {
      const out: TableDump = { ours: [], foreign: [] };
      let interrupted = false;
      for (const family of [AF_INET, AF_INET6]) {
        interrupted = (await this.dumpFamily(family, out.ours, foreign ? out.foreign : undefined)) || interrupted;
      }
      // NLM_F_DUMP_INTR: the table changed during the dump; the result may be inconsistent.
      if (!interrupted || attempt >= 3) return out;
    }
  }

  private dumpFamily(family: number, ours: DesiredRoute[], foreign: ForeignRoute[] | undefined): Promise<boolean> {
    if (this.closed) return Promise.reject(new KernelError('netlink-closed', 'netlink adapter is closed'));
    const sock = (this.dumpSock ??= new RawNetlinkSocket(NETLINK_ROUTE, { recvBufferSize: 1 << 20, sendBufferSize: 1 << 16 }));
    return dumpRouteFamily(sock, family, this.nextSeqRange(0), (msg, m) => {
      if (routeProtocol(msg, m) === this.protocol) {
        const r = decodeRoute(msg, m);
        if (r !== undefined && r.table === this.table) ours.push(r.route);
      } else if (foreign !== undefined) {
        const r = decodeForeignRoute(msg, m);
        if (r !== undefined && r.table === this.table) foreign.push(r.route);
      }
    });
  }

  /**
   * Route notifications for our table (every protocol; the caller filters; other protocols'
   * also decoded in full for onForeignRoute), link and address changes, and ENOBUFS
   * (notifications lost) as onResync.
   */
  subscribe(handlers: KernelEventHandlers): void {
    if (this.closed) throw new KernelError('netlink-closed', 'netlink adapter is closed');
    if (this.notifySock !== undefined) throw new KernelError('netlink-closed', 'already subscribed');
    const sock = new RawNetlinkSocket(NETLINK_ROUTE, { recvBufferSize: this.recvBufferBytes, sendBufferSize: 1 << 16 });
    this.notifySock = sock;
    this.handlers = handlers;
    sock.on('error', () => guard(() => handlers.onResync('overflow')));
    sock.on('message', (msg) =>
      guard(() => {
        let linkChange = false;
        let echoes = 0;
        forEachMessage(msg, (m) => {
          if (m.type === RTM_NEWROUTE || m.type === RTM_DELROUTE) {
            if (handlers.onForeignRoute !== undefined && routeProtocol(msg, m) !== this.protocol) {
              const f = decodeForeignRoute(msg, m);
              if (f !== undefined && f.table === this.table) {
                handlers.onForeignRoute({ kind: m.type === RTM_NEWROUTE ? 'new' : 'del', route: f.route, ...(m.flags & NLM_F_REPLACE ? { replace: true } : {}) });
              }
            }
            const r = decodeRoute(msg, m);
            if (r === undefined || r.table !== this.table) return;
            if (r.protocol === this.protocol) echoes++;
            handlers.onRoute({ kind: m.type === RTM_NEWROUTE ? 'new' : 'del', protocol: r.protocol, table: r.table, route: r.route });
          } else if (m.type >= RTM_NEWLINK && m.type <= RTM_DELADDR) {
            linkChange = true;
            if (handlers.onLink !== undefined) {
              const ev = decodeLinkEvent(msg, m);
              if (ev !== undefined) handlers.onLink(ev);
            }
          }
        });
        if (linkChange) handlers.onLinkChange?.();
        if (echoes > 0) this.onEchoes(echoes);
      }),
    );
    for (const g of [RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR]) sock.addMembership(g);
    sock.unref();
    // Keep a quarter of the buffer for notifications we do not cause (links, other daemons).
    this.echoBudget = Math.max(64, Math.floor((sock.getRecvBufferSize() * 0.75) / BYTES_PER_NOTIFICATION));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const err = new KernelError('netlink-closed', 'netlink adapter closed with requests pending');
    for (const j of this.jobs.splice(0)) j.reject(err);
    for (const c of this.inflight.splice(0)) c.job.reject(err);
    this.inflightOps = 0;
    clearTimeout(this.echoStallTimer);
    clearTimeout(this.resyncTimer);
    this.transport.close();
    if (this.startingWorker !== this.transport) this.startingWorker?.close();
    this.dumpSock?.close();
    this.notifySock?.close();
  }
}
