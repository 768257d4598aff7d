// Where the netlink adapter's request datagrams go: to the worker thread's socket
// (fib-worker.ts, the default) or to a socket on this thread (the fallback, and `thread:
// 'main'`). Either way the adapter gets the same events: reply datagrams to match by sequence
// number, refused sends, lost replies, and readiness.

import { RawNetlinkSocket } from 'netlink/dist/raw.js';
import { FibWorker, type FromFibWorker } from './fib-worker.js';
import { guard } from './rtnl-dump.js';

const NETLINK_ROUTE = 0;

export interface RequestTransport {
  readonly thread: 'worker' | 'main';
  /** Nothing is sent before: a worker that fails to start has then taken nothing with it. */
  readonly ready: boolean;
  /** Netlink port id of the socket (nlmsg_pid of our requests); 0 until it is known. */
  readonly port: number;
  /** Bound on requests in flight that this transport's socket can take (see the adapter). */
  readonly maxInFlight: number;
  /**
   * Sends datagrams: `frames` holds [start, end, requests, barrier sequence number] for each,
   * byte ranges of `buf`. `buf` must own its memory (it may be transferred).
   */
  send(buf: Buffer, frames: readonly number[]): void;
  ref(): void;
  unref(): void;
  close(): void;
}

export interface TransportEvents {
  /** The worker's socket is up (a transport on this thread is ready at once, never told). */
  onReady(port: number): void;
  /** Reply datagrams (errors and barrier ACKs), possibly several back to back. */
  onReply(buf: Buffer): void;
  /** sendmsg refused the datagram ending with `barrierSeq`. */
  onSendFailed(barrierSeq: number, errno: number, code: string): void;
  /** Replies were lost (ENOBUFS): nothing in flight can be trusted to complete. */
  onSocketError(errno: number, code: string): void;
  /** The worker is gone; the adapter must carry on with another transport. */
  onFailed(why: string): void;
}

export interface TransportInit {
  recvBufferBytes: number;
  sendBufferBytes: number;
  /** Receive-buffer bytes one queued error reply costs. */
  bytesPerError: number;
  /** Upper bound asked for by the adapter's user, if any. */
  maxInFlight?: number;
}

/** A request socket on this thread; in flight bounded by what its buffer holds in errors. */
export function mainThreadTransport(init: TransportInit, ev: TransportEvents): RequestTransport {
  const sock = new RawNetlinkSocket(NETLINK_ROUTE, { recvBufferSize: init.recvBufferBytes, sendBufferSize: init.sendBufferBytes });
  sock.on('message', (msg) => guard(() => ev.onReply(msg)));
  // Mandatory: without a listener the addon's 'error' aborts the process.
  sock.on('error', (err) => guard(() => ev.onSocketError(err.errno, err.code)));
  sock.unref();
  return {
    thread: 'main',
    ready: true,
    port: sock.address().port,
    maxInFlight: Math.max(64, Math.min(init.maxInFlight ?? 2048, Math.floor(sock.getRecvBufferSize() / init.bytesPerError))),
    send: (buf, frames) => {
      for (let i = 0; i < frames.length; i += 4) {
        const barrierSeq = frames[i + 3]!;
        sock.send(buf.subarray(frames[i]!, frames[i + 1]!), {}, (err) => {
          if (err !== undefined) guard(() => ev.onSendFailed(barrierSeq, err.errno, err.code));
        });
      }
    },
    ref: () => sock.ref(),
    unref: () => sock.unref(),
    close: () => sock.close(),
  };
}

/**
 * The request socket in a worker thread. The worker bounds what its own socket has in flight,
 * so the adapter's bound only limits how much work it queues there (default 65536 requests:
 * enough to keep the kernel busy while this thread is busy with BGP).
 */
export function workerTransport(init: TransportInit, ev: TransportEvents): RequestTransport {
  let closed = false;
  const onMessage = (m: FromFibWorker): void => {
    if (closed) return;
    switch (m.t) {
      case 'ready':
        transport.ready = true;
        transport.port = m.port;
        ev.onReady(m.port);
        return;
      case 'replies':
        ev.onReply(Buffer.from(m.data));
        return;
      case 'send-failed':
        ev.onSendFailed(m.barrierSeq, m.errno, m.code);
        return;
      case 'socket-error':
        ev.onSocketError(m.errno, m.code);
        return;
      case 'fatal':
        ev.onFailed(m.message);
        return;
    }
  };
  const worker = new FibWorker(
    { recvBufferBytes: init.recvBufferBytes, sendBufferBytes: init.sendBufferBytes, bytesPerError: init.bytesPerError },
    {
      onMessage: (m) => guard(() => onMessage(m)),
      onExit: (code) => guard(() => !closed && ev.onFailed(`worker exited with code ${code}`)),
    },
  );
  const transport = {
    thread: 'worker' as const,
    ready: false,
    port: 0,
    maxInFlight: Math.max(64, init.maxInFlight ?? 65536),
    send: (buf: Buffer, frames: readonly number[]): void => worker.send(buf, frames),
    ref: (): void => worker.ref(),
    unref: (): void => worker.unref(),
    close: (): void => {
      closed = true;
      worker.close();
    },
  };
  return transport;
}
