// The FIB observer of bench/fib.ts: a small process in the router's namespace that watches the
// kernel's IPv4 routing table through rtnetlink route notifications (RTNLGRP_IPV4_ROUTE,
// rtnetlink(7)) and counts the benchmark's /24s installed with the router's protocol number.
// Reports JSON lines on stdout (times on CLOCK_MONOTONIC, shared with the tester):
//   {"ev":"ready","rcvbuf":B,"count":c}     subscribed (and the table dumped once)
//   {"ev":"progress","count":c}             every 250 ms while the count changes
//   {"ev":"first","t":ms}                   the first benchmark route is in the kernel
//   {"ev":"done","t":ms,"first":ms,"viaDump":b}  all N are in the kernel; viaDump: completed by a
//                                           dump after an overflow, so "t" is late by up to a dump
//   {"ev":"overflow","why":"ENOBUFS","count":c}  the notification socket overflowed: some
//                                           notifications were lost, the count was completed from
//                                           a full dump of the table
//   {"ev":"recheck","count":c}              one more dump after an overflow (see dumpLoop)
//   {"ev":"error","msg":"..."}
//
// Notifications are parsed here from the netlink headers up, not by the package's rtnetlink
// layer (createRtNetlink), which decodes every attribute into objects: for 100k routes that
// costs about a fifth more CPU in this process, CPU the router under test would compete for.
// Each message read (struct rtmsg, then route attributes; rtnetlink(7), linux/rtnetlink.h):
//
//   0        8        16       24       32
//   +--------+--------+--------+--------+
//   | family | dst_len| src_len|  tos   |
//   +--------+--------+--------+--------+
//   | table  |protocol| scope  |  type  |
//   +--------+--------+--------+--------+
//   |              flags                |
//   +--------+--------+--------+--------+
//   | rta_len (16)    | rta_type (16)   |  RTA_DST = 1: the destination address
//   +--------+--------+--------+--------+
//   | value, padded to 4 octets …       |

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createNetlink, FlagsGet, Protocol, rt, type NetlinkMessage, type NetlinkSocket } from 'netlink';
import { monotonicMs } from './rr-speaker.js';

export interface ObserverArgs {
  n: number;
  /** First benchmark prefix's address as a u32 (the /24s are base, base+256, …). */
  baseAddress: number;
  /** Routing protocol number (rtm_protocol) that marks the router's routes. */
  protocol: number;
  /** SO_RCVBUF to ask for; default net.core.rmem_max (small values exercise the overflow repair). */
  recvBuffer?: number;
}

const AF_INET = 2;
const RTA_DST = 1;
const RTM_HEADER = 12;
/** linux/rtnetlink.h: RTNLGRP_IPV4_ROUTE. */
const IPV4_ROUTE_GROUP = rt.MulticastGroups.IPV4_ROUTE;
/**
 * Read buffer per notification: one IPv4 route is about 100 octets, a multipath one with a
 * dozen next hops a few hundred; a larger one is reported as truncated and repaired by a dump.
 */
const NOTIFICATION_BUFFER = 4096;
const ENOBUFS = 105;

function emit(obj: object): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

/**
 * Which benchmark /24 (0 … n-1) an rtmsg describes, or -1 when it is not one of the router's.
 * Netlink fields are in host order (little-endian on every machine this runs on); addresses are
 * in network order.
 */
export function benchmarkSlot(data: Buffer, args: ObserverArgs): number {
  if (data.length < RTM_HEADER || data[0] !== AF_INET || data[1] !== 24 || data[5] !== args.protocol) return -1;
  let o = RTM_HEADER;
  while (o + 4 <= data.length) {
    const len = data.readUInt16LE(o);
    const type = data.readUInt16LE(o + 2) & 0x3fff; // NLA_F_NESTED / NLA_F_NET_BYTEORDER masked off
    if (len < 4) return -1;
    if (type === RTA_DST && len >= 8) {
      const slot = (data.readUInt32BE(o + 4) - args.baseAddress) / 256;
      return Number.isInteger(slot) && slot >= 0 && slot < args.n ? slot : -1;
    }
    o += (len + 3) & ~3;
  }
  return -1;
}

class FibCounter {
  count = 0;
  first: number | undefined;
  private readonly held: Uint8Array;

  constructor(private readonly args: ObserverArgs) {
    this.held = new Uint8Array(args.n);
  }

  /** Accounts one RTM_NEWROUTE / RTM_DELROUTE; true when the count changed. */
  account(type: number, data: Buffer): boolean {
    const slot = benchmarkSlot(data, this.args);
    if (slot < 0) return false;
    if (type === rt.MessageType.NEWROUTE && this.held[slot] === 0) {
      this.held[slot] = 1;
      this.count++;
      this.first ??= monotonicMs();
      return true;
    }
    if (type === rt.MessageType.DELROUTE && this.held[slot] === 1) {
      this.held[slot] = 0;
      this.count--;
      return true;
    }
    return false;
  }

}

/** The whole IPv4 table (RTM_GETROUTE with NLM_F_DUMP) on a socket of its own. */
async function dumpIpv4(): Promise<NetlinkMessage[]> {
  const s = createNetlink(Protocol.ROUTE, { recvBufferSize: 0, sendBufferSize: 0 });
  let failure: Error | undefined;
  // Without a listener an 'error' event would throw inside the addon's read callback (abort).
  s.on('error', (err) => (failure ??= err));
  try {
    const req = Buffer.alloc(RTM_HEADER);
    req[0] = AF_INET;
    const [msgs] = await s.request(rt.MessageType.GETROUTE, req, { flags: FlagsGet.DUMP, timeout: 30_000 });
    if (failure !== undefined) throw failure;
    return msgs;
  } finally {
    // Closed on a later turn: this continuation may run inside the addon's read loop, which
    // would go on reading a closed descriptor.
    setImmediate(() => s.close());
  }
}

function rmemMax(): number {
  try {
    return Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim()) || 4 << 20;
  } catch {
    return 4 << 20;
  }
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as ObserverArgs;
  const counter = new FibCounter(args);
  let doneAt: number | undefined;
  let firstReported = false;
  /** viaDump: the count was completed by a dump, so the routes were all there somewhat earlier. */
  const checkDone = (viaDump: boolean): void => {
    if (!firstReported && counter.first !== undefined) {
      firstReported = true;
      emit({ ev: 'first', t: counter.first });
    }
    if (doneAt === undefined && counter.count >= args.n) {
      doneAt = monotonicMs();
      emit({ ev: 'done', t: doneAt, first: counter.first, viaDump });
    }
  };

  // The largest buffer SO_RCVBUF may ask for (rmem_max, raised by the parent: fib-rmem.ts; the
  // kernel doubles it): notifications queue here while this process waits for a CPU.
  const sock: NetlinkSocket = createNetlink(Protocol.ROUTE, {
    ref: true,
    messagePeeking: false,
    msgBufferSize: NOTIFICATION_BUFFER,
    recvBufferSize: args.recvBuffer ?? rmemMax(),
    sendBufferSize: 0,
  });
  // Merged into the count, not replacing it: notifications that arrive while the dump runs are
  // counted too. Removals lost in an overflow go unseen, but the benchmark only adds routes.
  // The kernel reports ENOBUFS once and then drops silently until this socket's queue has
  // drained (netlink_overrun), so routes added behind a running dump's cursor can be lost
  // without a second report: after an overflow, the table is dumped again whenever the count
  // has stood still for a second short of N.
  let overflowed = false;
  let dumping = false;
  let dumpAgain = false;
  let lastChangeAt = monotonicMs();
  let lastDumpAt = 0;
  const resync = async (): Promise<void> => {
    const before = counter.count;
    for (const m of await dumpIpv4()) if (m.type === rt.MessageType.NEWROUTE) counter.account(m.type, m.data);
    if (counter.count !== before) lastChangeAt = monotonicMs();
  };
  const dumpLoop = (why: string): void => {
    if (dumping) {
      dumpAgain = true;
      return;
    }
    dumping = true;
    void (async () => {
      do {
        dumpAgain = false;
        try {
          await resync();
        } catch (e) {
          emit({ ev: 'error', msg: `dump after ${why}: ${e instanceof Error ? e.message : String(e)}` });
        }
      } while (dumpAgain);
      dumping = false;
      lastDumpAt = monotonicMs();
      emit({ ev: why === 'recheck' ? 'recheck' : 'overflow', why, count: counter.count });
      checkDone(true);
    })();
  };
  const overflow = (why: string): void => {
    overflowed = true;
    dumpLoop(why);
  };
  sock.on('message', (msgs) => {
    let changed = false;
    for (const m of msgs) if (counter.account(m.type, m.data)) changed = true;
    if (changed) {
      lastChangeAt = monotonicMs();
      checkDone(false);
    }
  });
  // A notification larger than the read buffer: its route is unknown, so look at the table.
  sock.on('truncatedMessage', () => overflow('a truncated notification'));
  sock.on('error', (err) => {
    // Lost notifications: the only way back to the truth is a full dump (rtnetlink(7)).
    if (err.errno === ENOBUFS || err.code === 'ENOBUFS') overflow('ENOBUFS');
    else emit({ ev: 'error', msg: `rtnetlink: ${err.message}` });
  });
  sock.addMembership(IPV4_ROUTE_GROUP);
  // Subscribed first, dumped second: a route added in between is seen at least once.
  await resync();
  emit({ ev: 'ready', rcvbuf: sock.getRecvBufferSize(), count: counter.count });
  checkDone(true);

  let last = -1;
  setInterval(() => {
    if (counter.count !== last) {
      last = counter.count;
      emit({ ev: 'progress', count: counter.count });
    }
    const now = monotonicMs();
    if (overflowed && !dumping && doneAt === undefined && now - lastChangeAt >= 1000 && now - lastDumpAt >= 1000) dumpLoop('recheck');
  }, 250).unref();
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  process.on('SIGTERM', () => process.exit(0));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    emit({ ev: 'error', msg: err instanceof Error ? err.message : String(err) });
    process.exitCode = 1;
  });
}
