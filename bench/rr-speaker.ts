// A minimal BGP speaker for the route-reflection benchmark (bench/rr.ts): just enough of
// RFC 4271 §8 to bring one iBGP session up from a chosen local address and keep it up —
// connect, OPEN, KEEPALIVE, Established, periodic KEEPALIVEs — built on Wren's own codec.
// It has no RIB and no hold timer of its own: the benchmark's tester and clients only need
// to push bytes or count them, and must stay far cheaper than the reflector they measure.

import { connect, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { MessageType } from '../src/wire/constants.js';
import { Framer } from '../src/wire/framer.js';
import { decodeMessage, encodeMessage } from '../src/wire/message.js';
import { AFI_IPV4, DEFAULT_CODEC_CONTEXT, SAFI_UNICAST } from '../src/wire/types.js';
import type { Capability } from '../src/wire/types.js';
import { ipv4ToNumber } from '../src/lib/prefix.js';

export interface SpeakerInit {
  /** Local IPv4 address to bind (one of the namespace's addresses). */
  local: string;
  /** The reflector's address. */
  remote: string;
  port: number;
  asn: number;
  /** BGP identifier, dotted quad. */
  bgpId: string;
  /** Proposed hold time (seconds); KEEPALIVEs go out every third of it, at most every 30 s. */
  holdTime: number;
  /** Called with every whole UPDATE (header included) received while Established. */
  onUpdate?: (msg: Buffer) => void;
  /** Called once when an Established session ends (closed, reset or NOTIFICATION). */
  onDown?: (why: string) => void;
  /** Once Established, reads are batched through this gate (see ReadGate). */
  gate?: ReadGate;
}

/** The reflector refused or dropped the session before it reached Established. */
export class SessionSetupError extends Error {
  readonly code = 'BENCH_SESSION_SETUP';
  constructor(readonly why: string) {
    super(`session setup failed: ${why}`);
    this.name = 'SessionSetupError';
  }
}

export interface EstablishedSession {
  readonly socket: Socket;
  /** Writes pre-encoded bytes; resolves once the socket accepts more (back-pressure). */
  write(buf: Buffer): Promise<void>;
  close(): void;
}

function openMessage(init: SpeakerInit): Buffer {
  const capabilities: Capability[] = [
    { kind: 'multiprotocol', afi: AFI_IPV4, safi: SAFI_UNICAST },
    { kind: 'route-refresh' },
    { kind: 'as4', asn: init.asn },
  ];
  return encodeMessage(
    { kind: 'open', version: 4, myAs: init.asn > 0xffff ? 23456 : init.asn, holdTime: init.holdTime, bgpId: ipv4ToNumber(init.bgpId), capabilities },
    DEFAULT_CODEC_CONTEXT,
  );
}

/**
 * Batches reads of many sockets: a socket that delivered data is paused until the gate's next
 * tick, which resumes every held socket at once. Reflectors write UPDATEs one by one; reading
 * them as they trickle in costs the clients' process a wake-up (and read/epoll syscalls) per
 * message per socket, enough to compete for the CPU with the reflector on a small machine.
 * Held, the kernel gathers what arrives into one read per socket per tick. A socket receive
 * buffer absorbs far more than a tick of any reflector's output, so the reflector is not
 * slowed down; completion is seen at most one tick late.
 */
export class ReadGate {
  private readonly held = new Set<Socket>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly periodMs: number) {}

  hold(socket: Socket): void {
    if (this.periodMs <= 0) return;
    socket.pause();
    this.held.add(socket);
    this.timer ??= setTimeout(() => this.release(), this.periodMs);
  }

  private release(): void {
    this.timer = undefined;
    const sockets = [...this.held];
    this.held.clear();
    for (const s of sockets) s.resume();
  }
}

const KEEPALIVE = encodeMessage({ kind: 'keepalive' }, DEFAULT_CODEC_CONTEXT);

/** One attempt: connect, exchange OPEN and KEEPALIVE (RFC 4271 §8.2.2 OpenSent → OpenConfirm → Established). */
export function establishOnce(init: SpeakerInit): Promise<EstablishedSession> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: init.remote, port: init.port, localAddress: init.local });
    socket.setNoDelay(true);
    const framer = new Framer();
    let state: 'connect' | 'open-sent' | 'open-confirm' | 'established' = 'connect';
    let keepaliveTimer: NodeJS.Timeout | undefined;
    let downReported = false;

    const down = (why: string): void => {
      if (keepaliveTimer !== undefined) clearInterval(keepaliveTimer);
      if (state !== 'established') {
        reject(new SessionSetupError(why));
      } else if (!downReported) {
        downReported = true;
        init.onDown?.(why);
      }
      socket.destroy();
    };

    const session: EstablishedSession = {
      socket,
      write(buf) {
        return new Promise((res, rej) => {
          if (socket.destroyed) {
            rej(new SessionSetupError('socket closed while writing'));
            return;
          }
          if (socket.write(buf)) res();
          else socket.once('drain', () => res());
        });
      },
      close() {
        if (keepaliveTimer !== undefined) clearInterval(keepaliveTimer);
        downReported = true;
        socket.destroy();
      },
    };

    socket.on('connect', () => {
      state = 'open-sent';
      socket.write(openMessage(init));
    });
    socket.on('error', (err) => down(err.message));
    socket.on('close', () => down('connection closed'));
    socket.on('data', (chunk: Buffer) => {
      let msgs: Buffer[];
      try {
        msgs = framer.push(chunk);
      } catch (err) {
        down(`bad framing: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      if (state === 'established') init.gate?.hold(socket);
      for (const msg of msgs) {
        const type = msg[18];
        if (type === MessageType.UPDATE) {
          if (state === 'established') init.onUpdate?.(msg);
          continue;
        }
        if (type === MessageType.KEEPALIVE) {
          if (state === 'open-confirm') {
            state = 'established';
            const every = Math.max(1, Math.min(30, Math.floor(init.holdTime / 3))) * 1000;
            keepaliveTimer = setInterval(() => socket.write(KEEPALIVE), every);
            keepaliveTimer.unref();
            resolve(session);
          }
          continue;
        }
        let decoded;
        try {
          decoded = decodeMessage(msg, DEFAULT_CODEC_CONTEXT);
        } catch (err) {
          down(`undecodable message: ${err instanceof Error ? err.message : String(err)}`);
          return;
        }
        if (decoded?.kind === 'open' && state === 'open-sent') {
          state = 'open-confirm';
          socket.write(KEEPALIVE);
        } else if (decoded?.kind === 'notification') {
          down(`NOTIFICATION ${decoded.code}/${decoded.subcode}`);
          return;
        }
      }
    });
  });
}

/**
 * Retries establishOnce until it succeeds or `deadline` (Date.now() ms) passes: the reflector
 * may still be starting, or may refuse a peer until its configuration is loaded.
 */
export async function establish(init: SpeakerInit, deadline: number, retryMs = 250): Promise<EstablishedSession> {
  let last = 'no attempt';
  while (Date.now() < deadline) {
    try {
      return await establishOnce(init);
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await delay(retryMs);
  }
  throw new SessionSetupError(`gave up at the deadline; last attempt: ${last}`);
}

/** CLOCK_MONOTONIC in milliseconds (libuv's uv_hrtime): one clock shared by every process. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
