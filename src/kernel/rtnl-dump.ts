// One RTM_GETROUTE dump over a netlink socket of the `netlink` package, and the two helpers
// every native-callback path needs. Used only by netlink-adapter.ts.

import { getSystemErrorName } from 'node:util';
import type { ErrnoException, RawNetlinkSocket } from 'netlink/dist/raw.js';
import { KernelError } from './errors.js';
import { NLMSG_DONE, NLMSG_ERROR, RTM_NEWROUTE, decodeErrno, encodeRouteDump, forEachMessage, type NetlinkMessageView } from './rtnl-codec.js';

/** The table changed during the dump (linux/netlink.h); the result may be inconsistent. */
const NLM_F_DUMP_INTR = 0x10;

/** 'ENETUNREACH' for 101. */
export function errnoName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `errno-${errno}`;
  }
}

/**
 * Runs a callback called from a native callback of the addon: a throw (or a throwing
 * process.nextTick, whose ticks still run inside the native scope) aborts the process there,
 * so errors are rethrown from a later macrotask instead.
 */
export function guard(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    setImmediate(() => {
      throw err;
    });
  }
}

/**
 * Dumps one address family's routes (every table and protocol: without NETLINK_GET_STRICT_CHK,
 * which the package cannot set, the kernel ignores dump filters) and hands each RTM_NEWROUTE
 * message to `visit` undecoded (the caller decodes only what it keeps).
 * Resolves with whether the kernel flagged the dump as interrupted. Dumps are flow-controlled
 * by the kernel, so the socket's buffer cannot overflow.
 */
export function dumpRouteFamily(sock: RawNetlinkSocket, family: number, seq: number, visit: (msg: Buffer, m: NetlinkMessageView) => void): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let interrupted = false;
    const done = (err?: Error): void => {
      sock.off('message', onMessage);
      sock.off('error', onError);
      sock.unref();
      if (err === undefined) resolve(interrupted);
      else reject(err);
    };
    const onError = (err: ErrnoException): void =>
      guard(() => done(new KernelError('netlink-dump-failed', `route dump failed: ${err.message}`, err.code)));
    const onMessage = (msg: Buffer): void =>
      guard(() =>
        forEachMessage(msg, (m) => {
          if (m.seq !== seq) return;
          if (m.flags & NLM_F_DUMP_INTR) interrupted = true;
          if (m.type === NLMSG_DONE) return done();
          if (m.type === NLMSG_ERROR) {
            const code = errnoName(decodeErrno(msg, m));
            return done(new KernelError('netlink-dump-failed', `route dump refused: ${code}`, code));
          }
          if (m.type === RTM_NEWROUTE) visit(msg, m);
        }),
      );
    sock.on('message', onMessage);
    sock.on('error', onError);
    sock.ref();
    sock.send(encodeRouteDump(family, seq, sock.address().port), {}, (err) => {
      if (err !== undefined) onError(err);
    });
  });
}
