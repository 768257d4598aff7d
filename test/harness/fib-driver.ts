// Test driver for the FIB programmer: runs inside a network namespace (`ip netns exec NS
// vite-node test/harness/fib-driver.ts`), since a Node process cannot enter one itself.
// stdin: one JSON command per line, {id, cmd, ...}. stdout: one JSON object per line, either
// a reply {reply: id, ok, ...} or a pino log line (with its `event` field).

import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { FibProgrammer } from '../../src/kernel/fib-programmer.js';
import { NetlinkAdapter } from '../../src/kernel/netlink-adapter.js';
import type { KernelNextHop, RouteKey, RouteOp } from '../../src/kernel/types.js';
import { ipv4ToNumber, parsePrefix } from '../../src/lib/prefix.js';

/** Next hops as text on the wire of this driver: {gateway: "10.0.0.2" | "fd00::2", ifindex?, onlink?}. */
export interface DriverNextHop {
  gateway: string;
  ifindex?: number;
  onlink?: boolean;
}

export type DriverCommand =
  | { id: number; cmd: 'start'; protocol?: number; resyncIntervalMs?: number; retryBaseMs?: number; retryMaxMs?: number }
  | { id: number; cmd: 'set'; prefix: string; target: DriverNextHop[] | 'blackhole' | null }
  | { id: number; cmd: 'converged' }
  | { id: number; cmd: 'settled' }
  | { id: number; cmd: 'stats' }
  | { id: number; cmd: 'stop'; flush?: boolean }
  | { id: number; cmd: 'apply'; ops: Array<{ kind: RouteOp['kind']; prefix: string; target: DriverNextHop[] | 'blackhole' }> };

function key(prefix: string): RouteKey {
  const p = parsePrefix(prefix);
  return p.prefix;
}

function hop(h: DriverNextHop): KernelNextHop {
  return { ...h, gateway: h.gateway.includes(':') ? h.gateway : ipv4ToNumber(h.gateway) };
}

function target(t: DriverNextHop[] | 'blackhole' | null): readonly KernelNextHop[] | 'blackhole' | null {
  return t === null || t === 'blackhole' ? t : t.map(hop);
}

const logger = pino({ level: 'debug', base: null }, pino.destination({ fd: 1, sync: true }));
let fib: FibProgrammer | undefined;
const reply = (id: number, body: object): void => void process.stdout.write(`${JSON.stringify({ reply: id, ...body })}\n`);

async function handle(c: DriverCommand): Promise<object> {
  switch (c.cmd) {
    case 'start':
      fib = new FibProgrammer({
        protocol: c.protocol ?? 199,
        logger,
        ...(c.resyncIntervalMs === undefined ? {} : { resyncIntervalMs: c.resyncIntervalMs }),
        ...(c.retryBaseMs === undefined ? {} : { retryBaseMs: c.retryBaseMs }),
        ...(c.retryMaxMs === undefined ? {} : { retryMaxMs: c.retryMaxMs }),
      });
      await fib.start();
      return {};
    case 'set':
      fib!.set(key(c.prefix), target(c.target));
      return {};
    case 'converged':
      fib!.converged();
      return {};
    case 'settled':
      await fib!.settled();
      return { stats: fib!.stats() };
    case 'stats':
      return { stats: fib!.stats() };
    case 'stop':
      await fib!.stop({ flush: c.flush === true });
      return {};
    case 'apply': {
      // Straight to a fresh adapter: per-op errors as the kernel reports them.
      const a = new NetlinkAdapter({ protocol: 199 });
      try {
        const ops: RouteOp[] = c.ops.map((o) => {
          const t = target(o.target);
          const prefix = key(o.prefix);
          return { kind: o.kind, route: t === 'blackhole' ? { prefix, nextHops: [], blackhole: true } : { prefix, nextHops: t === null ? [] : [...t] } };
        });
        const failures = await a.apply(ops);
        return { failures: failures.map((f) => ({ index: ops.indexOf(f.op), code: f.code, errno: f.errno })) };
      } finally {
        a.close();
      }
    }
  }
}

const rl = createInterface({ input: process.stdin });
let chain = Promise.resolve();
rl.on('line', (line) => {
  const c = JSON.parse(line) as DriverCommand;
  chain = chain.then(async () => {
    try {
      reply(c.id, { ok: true, ...(await handle(c)) });
    } catch (err) {
      reply(c.id, { ok: false, error: String(err), code: (err as { code?: string }).code });
    }
    if (c.cmd === 'stop') process.exit(0);
  });
});
rl.on('close', () => void chain.then(() => process.exit(0)));
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
