// Run inside a network namespace by netlink-next-hops.test.ts (`ip netns exec NS vite-node
// test/kernel/next-hops-in-netns.ts`): the FIB programmer on the real kernel, with the kernel
// routes changed by `ip route` the way an operator would, printing what next-hop resolution
// answered after each step as one JSON line: {step, answers, route?}. Every wait is bounded.
// Expects veth0 up with 10.91.0.1/24 and fd91::1/64 (the test sets it up).

import { execFileSync } from 'node:child_process';
import { pino } from 'pino';
import { FibProgrammer } from '../../src/kernel/fib-programmer.js';
import { ipv4ToNumber, numberToIpv4, parsePrefix } from '../../src/lib/prefix.js';

const logger = pino({ level: 'silent' });
const fib = new FibProgrammer({ logger, resyncIntervalMs: 0 });
const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
const nh = (a: string): number | string => (a.includes(':') ? a : ipv4ToNumber(a));
const ifindex = (dev: string): number => Number(ip('-o', 'link', 'show', dev).split(':')[0]);

function answer(a: string): unknown {
  const r = fib.nextHops.table.answer(nh(a));
  return {
    reachable: r.reachable,
    ...(r.reachable ? { cost: r.igpCost } : {}),
    via: r.via === null ? null : r.via.map((v) => `${typeof v.gateway === 'number' ? numberToIpv4(v.gateway) : v.gateway}${v.ifindex === undefined ? '' : `%${v.ifindex}`}${v.onlink ? ' onlink' : ''}`),
  };
}

async function until(what: string, ok: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function kernelRoute(prefix: string): string {
  return ip('-j', prefix.includes(':') ? '-6' : '-4', 'route', 'show', prefix, 'proto', '199').trim();
}

const out = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

const probes = ['10.91.0.7', '10.99.0.1', '10.99.0.129', '10.98.0.1', '10.97.0.1', 'fd91::7', 'fd99::1'];
const answers = (): Record<string, unknown> => Object.fromEntries(probes.map((p) => [p, answer(p)]));
const reachable = (a: string): boolean => fib.nextHops.table.answer(nh(a)).reachable;

await fib.start();
out({ step: 'start', veth0: ifindex('veth0'), answers: answers() });

ip('route', 'add', '10.99.0.0/24', 'via', '10.91.0.2', 'metric', '30');
await until('10.99.0.1 reachable', () => reachable('10.99.0.1'));
fib.set(parsePrefix('10.80.0.0/24').prefix, [{ gateway: ipv4ToNumber('10.99.0.1') }]);
await fib.settled();
out({ step: 'static', answers: answers(), route: kernelRoute('10.80.0.0/24') });

ip('route', 'replace', '10.99.0.0/24', 'via', '10.91.0.3', 'metric', '30');
await until('10.80.0.0/24 via 10.91.0.3', () => kernelRoute('10.80.0.0/24').includes('10.91.0.3'));
out({ step: 'replaced', answers: answers(), route: kernelRoute('10.80.0.0/24') });

ip('route', 'add', '10.98.0.0/24', 'nexthop', 'via', '10.91.0.2', 'nexthop', 'via', '10.91.0.3');
ip('route', 'add', 'blackhole', '10.99.0.128/25');
ip('route', 'add', '10.97.0.0/24', 'via', '10.91.0.2', 'proto', '199');
ip('-6', 'route', 'add', 'fd99::/64', 'via', 'fd91::2');
await until('fd99::1 reachable', () => reachable('fd99::1') && reachable('10.98.0.1') && !reachable('10.99.0.129'));
out({ step: 'more', answers: answers() });

ip('route', 'del', '10.98.0.0/24');
ip('-6', 'route', 'del', 'fd99::/64');
await until('deletions seen', () => !reachable('fd99::1') && !reachable('10.98.0.1'));
out({ step: 'deleted', answers: answers() });

// IPv4 flushes routes through a link that goes down without telling anyone.
ip('link', 'set', 'veth0', 'down');
await until('10.99.0.1 unreachable after link down', () => !reachable('10.99.0.1') && !reachable('10.91.0.7'));
out({ step: 'link-down', answers: answers() });

await fib.stop({ flush: true });
process.exit(0);
