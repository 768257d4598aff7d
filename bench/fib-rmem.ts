// net.core.rmem_max for bench/fib.ts. The FIB observer takes a route notification at a time
// (about 10 µs each through the netlink package), while a router that pipelines its netlink
// requests makes the kernel emit them faster than that on a busy 2-core machine; with the
// usual cap (4 MiB, doubled by the kernel: some 8k queued notifications) the observer's socket
// overflows and has to repair its count with table dumps. The cap is global (the namespace
// cannot change it), only bounds what a socket may ask for (SO_RCVBUF; defaults stay as they
// are), and is put back when the benchmark exits, as the lab does with the neighbour limits.

import { readFileSync, writeFileSync } from 'node:fs';

const FILE = '/proc/sys/net/core/rmem_max';

/** Raises rmem_max to at least `bytes` until the process exits; returns the value in force. */
export function raiseRmemMax(bytes: number): number {
  const old = Number(readFileSync(FILE, 'utf8').trim());
  if (old >= bytes) return old;
  writeFileSync(FILE, String(bytes));
  process.on('exit', () => {
    try {
      // Only undo our own change: someone else may have set it since.
      if (Number(readFileSync(FILE, 'utf8').trim()) === bytes) writeFileSync(FILE, String(old));
    } catch {
      // best effort at exit
    }
  });
  return bytes;
}
