// The route observer of bench/pods.ts: a small process in a node's namespace that watches the
// kernel's IPv4 routing table through rtnetlink route notifications (RTNLGRP_IPV4_ROUTE,
// rtnetlink(7)) and reports every new /32 installed with one routing protocol number, with the
// time it saw it on CLOCK_MONOTONIC (process.hrtime), which the benchmark shares. JSON lines on
// stdout:
//   {"ev":"ready"}                          subscribed; routes added from now on are reported
//   {"ev":"route","dst":"10.244.0.7","t":ms}  a /32 with the protocol appeared (first time, or
//                                           again after it was deleted)
//   {"ev":"overflow"}                       the socket overflowed (ENOBUFS): reports may be missing
//   {"ev":"error","msg":"..."}
//
// Each notification is read from the netlink headers up (struct rtmsg, then route attributes;
// linux/rtnetlink.h), not decoded into objects, to keep this process cheap:
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

import { fileURLToPath } from 'node:url';
import { createNetlink, Protocol, rt } from 'netlink';
import { monotonicMs } from './rr-speaker.js';

export interface PodsObserverArgs {
  /** rtm_protocol of the routes to report (Wren 199, BIRD 12). */
  protocol: number;
}

const AF_INET = 2;
const RTA_DST = 1;
const RTM_HEADER = 12;
const ENOBUFS = 105;

function emit(obj: object): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

/** The destination of an IPv4 /32 with `protocol`, dotted, or undefined for any other route. */
export function hostRouteDst(data: Buffer, protocol: number): string | undefined {
  if (data.length < RTM_HEADER || data[0] !== AF_INET || data[1] !== 32 || data[5] !== protocol) return undefined;
  let o = RTM_HEADER;
  while (o + 4 <= data.length) {
    const len = data.readUInt16LE(o);
    const type = data.readUInt16LE(o + 2) & 0x3fff; // NLA_F_NESTED / NLA_F_NET_BYTEORDER masked off
    if (len < 4) return undefined;
    if (type === RTA_DST && len >= 8) return `${data[o + 4]}.${data[o + 5]}.${data[o + 6]}.${data[o + 7]}`;
    o += (len + 3) & ~3;
  }
  return undefined;
}

function main(): void {
  const args = JSON.parse(process.argv[2] ?? '{}') as PodsObserverArgs;
  if (!Number.isInteger(args.protocol)) throw new Error(`pods-observer: protocol must be an integer (got ${JSON.stringify(args.protocol)})`);
  const present = new Set<string>();
  const sock = createNetlink(Protocol.ROUTE, { ref: true, recvBufferSize: 4 << 20, sendBufferSize: 0 });
  sock.on('message', (msgs) => {
    const t = monotonicMs();
    for (const m of msgs) {
      const dst = hostRouteDst(m.data, args.protocol);
      if (dst === undefined) continue;
      if (m.type === rt.MessageType.NEWROUTE && !present.has(dst)) {
        present.add(dst);
        emit({ ev: 'route', dst, t });
      } else if (m.type === rt.MessageType.DELROUTE) {
        present.delete(dst);
      }
    }
  });
  sock.on('error', (err) => {
    if (err.errno === ENOBUFS || err.code === 'ENOBUFS') emit({ ev: 'overflow' });
    else emit({ ev: 'error', msg: `rtnetlink: ${err.message}` });
  });
  sock.addMembership(rt.MulticastGroups.IPV4_ROUTE);
  emit({ ev: 'ready' });
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  process.on('SIGTERM', () => process.exit(0));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (err: unknown) {
    emit({ ev: 'error', msg: err instanceof Error ? err.message : String(err) });
    process.exitCode = 1;
  }
}
