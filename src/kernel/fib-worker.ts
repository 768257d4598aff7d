// The netlink request socket in a worker thread of its own. The kernel inserts a route inside
// the sendmsg(2) that carries the request (5–9 µs a route, most of it in the kernel), so on
// the daemon's only thread a table of 100k routes costs the BGP side half a second. Here the
// sendmsg runs on the worker, next to BGP decoding and the decision process on the main thread.
//
// Main → worker: datagrams already encoded by the adapter (rtnl-codec.ts), each ending with a
// barrier (a NOOP with NLM_F_ACK), in ArrayBuffers transferred without a copy. Worker → main:
// the reply datagrams (errors and barrier ACKs), copied into one buffer per event-loop turn.
// The adapter matches them to routes by sequence number exactly as it does on its own socket.
//
// Receive-buffer overflow protection lives here, where the socket is: the worker keeps at most
// as many requests unacknowledged as the socket's buffer could hold error replies for, however
// many datagrams the adapter has queued (netlink 0.3.0 aborts the process when a socket's
// buffer overflows; see netlink-adapter.ts).
//
// Exit: a worker that Node terminates with a netlink socket of the `netlink` addon still open
// can abort the process (the addon calls into JavaScript from the worker's teardown and its
// C++ exception is never caught: "terminate called after throwing an instance of
// 'Napi::Error'"). So the socket is always closed by the worker itself before it ends: close()
// asks for it, and a process 'exit' hook asks for it again and waits (Atomics.wait, bounded)
// until the worker says the socket is closed. process.exit(), an uncaught exception and a
// drained event loop all run 'exit' hooks; signals without handlers never start a teardown.
//
// The worker's program is fibWorkerMain below, started from its source text (`eval`), so the
// same code runs from dist/ and from the TypeScript sources under vite-node: it may use only
// its parameters and globals.

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// The first ArrayBuffer a process ever detaches (our transfers to the worker) invalidates a V8
// protector ("no ArrayBuffer is detached"): every optimised function that reads a Buffer (BGP
// decoding, the netlink encoder, the RIB's key tables) is thrown away and compiled again, with
// detach checks. Mid-burst that is a recompile of the whole hot path while it is hottest
// (bench:fib with --trace-deopt: a dozen functions at the first transfer). Detaching a
// throwaway buffer as this module loads pays that before anything is optimised.
const throwaway = new ArrayBuffer(8);
structuredClone(throwaway, { transfer: [throwaway] });

/** Indexes into the shared Int32Array of flags. */
const FLAG_STOP = 0;
const FLAG_CLOSED = 1;
/** Longest an exiting process waits for the worker to close its socket. */
const EXIT_WAIT_MS = 2000;

export interface FibWorkerData {
  /** Absolute path of the `netlink` package's entry point (the worker cannot resolve it). */
  netlinkPath: string;
  recvBufferBytes: number;
  sendBufferBytes: number;
  /** Receive-buffer bytes one queued error reply costs: bounds requests in flight. */
  bytesPerError: number;
  /** Int32Array(2) over it: [stop sending, socket closed]. */
  flags: SharedArrayBuffer;
}

/** Main → worker. */
export type ToFibWorker =
  /**
   * Datagrams to send: `frames` holds [start, end, requests, barrier sequence number] for
   * each, byte ranges of `buf` (each ends with its barrier).
   */
  | { t: 'send'; buf: ArrayBuffer; frames: number[] }
  | { t: 'close' };

/** Worker → main. */
export type FromFibWorker =
  | { t: 'ready'; port: number; recvBufferBytes: number; maxInFlight: number }
  /** Reply datagrams, each padded to 4 bytes, back to back. */
  | { t: 'replies'; data: ArrayBuffer }
  /** sendmsg refused the datagram ending with `barrierSeq`: none of its requests was done. */
  | { t: 'send-failed'; barrierSeq: number; errno: number; code: string }
  /** The socket lost replies (ENOBUFS): every datagram not yet acknowledged has an unknown outcome. */
  | { t: 'socket-error'; errno: number; code: string }
  /** The worker cannot go on (socket creation failed, a bug); it has closed its socket. */
  | { t: 'fatal'; message: string };

/**
 * The worker thread's whole program. Self-contained on purpose (see the header): `req` is the
 * worker's `require`, `data` its workerData.
 */
export function fibWorkerMain(req: NodeJS.Require, data: FibWorkerData): void {
  const threads = req('node:worker_threads') as typeof import('node:worker_threads');
  const port = threads.parentPort;
  if (port === null) return;
  // Constants repeated here: the function cannot see the module's.
  const FLAG_STOP_W = 0;
  const FLAG_CLOSED_W = 1;
  const NLMSG_ERROR = 2;
  const flags = new Int32Array(data.flags);
  // This isolate transfers its replies too: its first detach is paid here, before anything is
  // optimised (see the throwaway at the top of this module).
  const throwaway = new ArrayBuffer(8);
  structuredClone(throwaway, { transfer: [throwaway] });
  const post = (m: FromFibWorker, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);
  let sock: import('netlink/dist/raw.js').RawNetlinkSocket | undefined;
  let open = true;

  const close = (): void => {
    if (!open) return;
    open = false;
    try {
      sock?.close();
    } finally {
      Atomics.store(flags, FLAG_CLOSED_W, 1);
      Atomics.notify(flags, FLAG_CLOSED_W);
      port.close();
    }
  };
  const fatal = (err: unknown): void => {
    try {
      post({ t: 'fatal', message: err instanceof Error ? err.message : String(err) });
    } catch {
      // the port is gone: nobody to tell
    }
    close();
  };

  try {
    const { RawNetlinkSocket } = req(data.netlinkPath) as typeof import('netlink/dist/raw.js');
    sock = new RawNetlinkSocket(0, { recvBufferSize: data.recvBufferBytes, sendBufferSize: data.sendBufferBytes });
  } catch (err) {
    fatal(err);
    return;
  }
  const s = sock;
  const limit = Math.max(1, Math.floor(s.getRecvBufferSize() / data.bytesPerError));
  /** Datagrams not yet sent, from `head` on (sent slots are emptied, then dropped in bulk). */
  const queue: ({ buf: Buffer; ops: number; barrierSeq: number } | undefined)[] = [];
  let head = 0;
  /** barrier sequence number → requests before it, for datagrams sent and not yet acknowledged. */
  const inflight = new Map<number, number>();
  let inflightOps = 0;
  let replies: Buffer[] = [];
  let replyBytes = 0;
  let flushing = false;

  const flushReplies = (): void => {
    flushing = false;
    if (replies.length === 0 || !open) return;
    const out = new Uint8Array(replyBytes);
    let off = 0;
    for (const r of replies) {
      out.set(r, off);
      off += (r.length + 3) & ~3;
    }
    replies = [];
    replyBytes = 0;
    post({ t: 'replies', data: out.buffer }, [out.buffer]);
  };

  const release = (barrierSeq: number): void => {
    const n = inflight.get(barrierSeq);
    if (n === undefined) return;
    inflight.delete(barrierSeq);
    inflightOps -= n;
  };

  const pump = (): void => {
    while (open && head < queue.length && Atomics.load(flags, FLAG_STOP_W) === 0) {
      const d = queue[head]!;
      // Always one datagram at least, however large (the adapter keeps them under the limit).
      if (inflightOps > 0 && inflightOps + d.ops > limit) break;
      queue[head++] = undefined;
      if (head > 1024 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      inflight.set(d.barrierSeq, d.ops);
      inflightOps += d.ops;
      s.send(d.buf, {}, (err) => {
        if (err === undefined || !open) return;
        try {
          release(d.barrierSeq);
          post({ t: 'send-failed', barrierSeq: d.barrierSeq, errno: err.errno, code: err.code });
          pump();
        } catch (e) {
          fatal(e);
        }
      });
    }
  };

  s.on('message', (msg: Buffer) => {
    try {
      let off = 0;
      while (off + 16 <= msg.length) {
        const len = msg.readUInt32LE(off);
        if (len < 16 || off + len > msg.length) break;
        if (msg.readUInt16LE(off + 4) === NLMSG_ERROR) release(msg.readUInt32LE(off + 8));
        off += (len + 3) & ~3;
      }
      replies.push(msg);
      replyBytes += (msg.length + 3) & ~3;
      if (!flushing) {
        flushing = true;
        setImmediate(flushReplies);
      }
      pump();
    } catch (err) {
      fatal(err);
    }
  });
  // Mandatory: without a listener the addon's 'error' aborts the process.
  s.on('error', (err) => {
    try {
      if (!open) return;
      inflight.clear();
      inflightOps = 0;
      flushReplies();
      post({ t: 'socket-error', errno: err.errno, code: err.code });
      pump();
    } catch (e) {
      fatal(e);
    }
  });
  port.on('message', (m: ToFibWorker) => {
    try {
      if (m.t === 'close') {
        close();
        return;
      }
      if (!open) return;
      const all = Buffer.from(m.buf);
      const f = m.frames;
      for (let i = 0; i + 3 < f.length; i += 4) queue.push({ buf: all.subarray(f[i]!, f[i + 1]!), ops: f[i + 2]!, barrierSeq: f[i + 3]! });
      pump();
    } catch (err) {
      fatal(err);
    }
  });
  post({ t: 'ready', port: s.address().port, recvBufferBytes: s.getRecvBufferSize(), maxInFlight: limit });
}

export interface FibWorkerHandlers {
  onMessage(m: FromFibWorker): void;
  /** The worker ended without close() (it crashed or was killed). */
  onExit(code: number): void;
}

export interface FibWorkerInit {
  recvBufferBytes: number;
  sendBufferBytes: number;
  bytesPerError: number;
}

/** Main-thread side: starts the worker, sends datagrams, and guarantees a clean end. */
export class FibWorker {
  private readonly worker: Worker;
  private readonly flags: Int32Array;
  private closing = false;
  private exited = false;
  private readonly onProcessExit = (): void => this.stopBeforeExit();

  constructor(init: FibWorkerInit, handlers: FibWorkerHandlers) {
    const sab = new SharedArrayBuffer(8);
    this.flags = new Int32Array(sab);
    const data: FibWorkerData = {
      netlinkPath: createRequire(import.meta.url).resolve('netlink/dist/raw.js'),
      recvBufferBytes: init.recvBufferBytes,
      sendBufferBytes: init.sendBufferBytes,
      bytesPerError: init.bytesPerError,
      flags: sab,
    };
    // `__name`: esbuild (vite-node) may wrap named inner functions with it; tsc never does.
    const source = `const __name = (f) => f;\n(${fibWorkerMain.toString()})(require, require('node:worker_threads').workerData);\n`;
    this.worker = new Worker(source, { eval: true, workerData: data, stdout: false, stderr: false });
    this.worker.on('message', (m: FromFibWorker) => handlers.onMessage(m));
    // An exception escaping the worker ends it; its socket was closed by its own guards.
    this.worker.on('error', (err) => handlers.onMessage({ t: 'fatal', message: err.message }));
    this.worker.on('exit', (code) => {
      this.exited = true;
      process.off('exit', this.onProcessExit);
      if (!this.closing) handlers.onExit(code);
    });
    process.on('exit', this.onProcessExit);
    this.worker.unref();
  }

  /** Sends datagrams (see ToFibWorker); `buf`'s memory is transferred when it owns all of it. */
  send(buf: Uint8Array, frames: readonly number[]): void {
    let ab = buf.buffer as ArrayBuffer;
    // A view into a larger (pooled) buffer is copied: transferring would take the whole pool.
    if (buf.byteOffset !== 0 || buf.byteLength !== ab.byteLength || ab instanceof SharedArrayBuffer) ab = new Uint8Array(buf).buffer;
    const m: ToFibWorker = { t: 'send', buf: ab, frames: [...frames] };
    this.worker.postMessage(m, [ab]);
  }

  /** Keeps the process alive (work in flight) or not. */
  ref(): void {
    if (!this.exited) this.worker.ref();
  }

  unref(): void {
    if (!this.exited) this.worker.unref();
  }

  /** Asks the worker to close its socket and end; the process may exit at any time after. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    Atomics.store(this.flags, FLAG_STOP, 1);
    if (this.exited) return;
    const m: ToFibWorker = { t: 'close' };
    this.worker.postMessage(m);
    this.worker.unref();
  }

  /** From process 'exit': the worker must have closed its socket before Node terminates it. */
  private stopBeforeExit(): void {
    if (this.exited) return;
    this.close();
    if (Atomics.load(this.flags, FLAG_CLOSED) === 0) Atomics.wait(this.flags, FLAG_CLOSED, 0, EXIT_WAIT_MS);
  }
}
