// Micro benchmark of the netlink path: N IPv4 /24 routes installed, dumped and deleted through
// the NetlinkAdapter in a fresh network namespace, then the same through the FibProgrammer
// (set() per prefix, with the notification subscriber running, as in the daemon).
// Run as root: `npm run build && node dist/bench/fib-netlink.js [N]` (default N = 100000).
// The parent creates the namespace and runs this same file inside it (`ip netns exec`).

import { execFileSync, spawnSync } from 'node:child_process';
import { pino } from 'pino';
import { FibProgrammer } from '../src/kernel/fib-programmer.js';
import { NetlinkAdapter } from '../src/kernel/netlink-adapter.js';
import type { RouteOp } from '../src/kernel/types.js';
import { ipv4ToNumber, prefix4 } from '../src/lib/prefix.js';

const N = Number(process.argv[2] ?? 100_000);
const GATEWAY = ipv4ToNumber('10.255.0.2');
const FIRST = ipv4ToNumber('20.0.0.0');

function prefixes(): number[] {
  const out: number[] = [];
  for (let i = 0; i < N; i++) out.push(prefix4((FIRST + i * 256) >>> 0, 24));
  return out;
}

function rate(n: number, ms: number): string {
  return `${n} in ${ms.toFixed(0)} ms = ${Math.round((n / ms) * 1000).toLocaleString('en-US')} routes/s`;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const v = await fn();
  return [v, performance.now() - t];
}

async function child(): Promise<void> {
  const list = prefixes();
  const adapter = new NetlinkAdapter({ protocol: 199 });
  console.log(`adapter: request socket on the ${adapter.thread} thread, max in flight ${adapter.maxInFlight}`);
  const adds: RouteOp[] = list.map((prefix) => ({ kind: 'add', route: { prefix, nextHops: [{ gateway: GATEWAY }] } }));
  const [addFail, addMs] = await timed(() => adapter.apply(adds));
  console.log(`adapter add:     ${rate(N, addMs)} (failures ${addFail.length})`);
  const [dumped, dumpMs] = await timed(() => adapter.dump());
  console.log(`adapter dump:    ${rate(dumped.length, dumpMs)}`);
  const dels: RouteOp[] = list.map((prefix) => ({ kind: 'delete', route: { prefix, nextHops: [] } }));
  const [delFail, delMs] = await timed(() => adapter.apply(dels));
  console.log(`adapter delete:  ${rate(N, delMs)} (failures ${delFail.length})`);
  adapter.close();

  const fib = new FibProgrammer({ protocol: 199, logger: pino({ level: 'warn' }) });
  await fib.start();
  const [, fibMs] = await timed(async () => {
    for (const p of list) fib.set(p, [{ gateway: GATEWAY }]);
    await fib.settled();
  });
  console.log(`programmer add:  ${rate(N, fibMs)} ${JSON.stringify(fib.stats())}`);
  const [, fibDelMs] = await timed(async () => {
    for (const p of list) fib.set(p, null);
    await fib.settled();
  });
  console.log(`programmer del:  ${rate(N, fibDelMs)} ${JSON.stringify(fib.stats())}`);
  await fib.stop();
  const cpu = process.cpuUsage();
  console.log(`cpu: user ${(cpu.user / 1e6).toFixed(2)} s, system ${(cpu.system / 1e6).toFixed(2)} s; peak rss ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

function parent(): void {
  if (process.getuid?.() !== 0) {
    console.log('bench:fib-netlink needs root (network namespaces); skipped');
    return;
  }
  const ns = `wrenfib${process.pid}`;
  const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: 'inherit' });
  ip('netns', 'add', ns);
  try {
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1');
    ip('-n', ns, 'addr', 'add', '10.255.0.1/16', 'dev', 'veth0');
    ip('-n', ns, 'link', 'set', 'veth0', 'up');
    ip('-n', ns, 'link', 'set', 'veth1', 'up');
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, ...process.execArgv, process.argv[1]!, String(N)], {
      stdio: 'inherit',
      env: { ...process.env, WREN_FIB_BENCH_CHILD: '1' },
    });
    if (r.status !== 0) process.exitCode = r.status ?? 1;
  } finally {
    ip('netns', 'del', ns);
  }
}

if (process.env.WREN_FIB_BENCH_CHILD === '1') await child();
else parent();
