// The FIB programmer against a real kernel, in a network namespace of its own. The programmer
// runs in a child process inside the namespace (test/harness/fib-driver.ts); routes are
// checked with `ip -j route`. Needs root; skipped with a printed reason otherwise.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { run, type RunResult } from '../harness/exec.js';
import { createVethNamespace } from './veth-ns.js';
import { waitFor } from '../harness/wait.js';
import type { DriverCommand } from '../harness/fib-driver.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('test/kernel/netlink.test.ts skipped: needs root for network namespaces');

const NS = `wk${process.pid.toString(36)}`;
const ip = (...args: string[]): Promise<unknown> => run('ip', ['-n', NS, ...args]);

interface IpRoute {
  dst: string;
  gateway?: string;
  type?: string;
  protocol?: string;
  nexthops?: Array<{ gateway: string }>;
}

async function routes(family: '-4' | '-6', ...filter: string[]): Promise<IpRoute[]> {
  const r = await run('ip', ['-n', NS, '-j', family, 'route', 'show', ...filter]);
  return JSON.parse(r.stdout.trim() || '[]') as IpRoute[];
}

async function wrenRoutes(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const r of [...(await routes('-4', 'proto', '199')), ...(await routes('-6', 'proto', '199'))]) {
    const via = r.type === 'blackhole' ? 'blackhole' : (r.nexthops ?? [{ gateway: r.gateway ?? '' }]).map((h) => h.gateway).sort().join(',');
    out.set(r.dst, via);
  }
  return out;
}

type Line = Record<string, unknown>;
type CommandBody = DriverCommand extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;

class Driver {
  private readonly lines: Line[] = [];
  private nextId = 1;
  private constructor(private readonly proc: ChildProcessWithoutNullStreams) {
    createInterface({ input: proc.stdout }).on('line', (l) => this.lines.push(JSON.parse(l) as Line));
    proc.stderr.on('data', (d: Buffer) => process.stderr.write(d));
  }

  static async start(): Promise<Driver> {
    const proc = spawn('ip', ['netns', 'exec', NS, 'node_modules/.bin/vite-node', 'test/harness/fib-driver.ts'], { cwd: process.cwd() });
    const d = new Driver(proc);
    await waitFor(() => d.lines.some((l) => l.ready === true), { timeoutMs: 15_000, what: 'fib driver ready' });
    return d;
  }

  async send(body: CommandBody, timeoutMs = 10_000): Promise<Line> {
    const id = this.nextId++;
    this.proc.stdin.write(`${JSON.stringify({ id, ...body })}\n`);
    const r = await waitFor(() => this.lines.find((l) => l.reply === id), { timeoutMs, intervalMs: 10, what: `reply to ${body.cmd}` });
    if (r.ok !== true) throw new Error(`driver ${body.cmd} failed: ${String(r.error)}`);
    return r;
  }

  events(name: string): Line[] {
    return this.lines.filter((l) => l.event === name);
  }

  async stop(flush = false): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    await this.send({ cmd: 'stop', flush });
    await exited;
  }

  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

describe.skipIf(!isRoot)('FIB programmer in a network namespace', () => {
  const drivers: Driver[] = [];
  const driver = async (): Promise<Driver> => {
    const d = await Driver.start();
    drivers.push(d);
    return d;
  };

  beforeAll(async () => {
    await createVethNamespace(NS);
  });

  afterEach(async () => {
    for (const d of drivers.splice(0)) d.kill();
    await run('ip', ['-n', NS, 'route', 'flush', 'proto', '199'], { allowFailure: true });
    await run('ip', ['-n', NS, '-6', 'route', 'flush', 'proto', '199'], { allowFailure: true });
  });

  afterAll(async () => {
    for (const d of drivers.splice(0)) d.kill();
    await run('ip', ['netns', 'del', NS], { allowFailure: true });
  });

  it('installs IPv4 and IPv6 routes, ECMP and blackholes, with protocol 199', async () => {
    const d = await driver();
    await d.send({ cmd: 'start' });
    await d.send({ cmd: 'set', prefix: '10.1.0.0/24', target: [{ gateway: '10.91.0.2' }] });
    await d.send({ cmd: 'set', prefix: '10.1.1.0/24', target: [{ gateway: '10.91.0.2' }, { gateway: '10.91.0.3' }] });
    await d.send({ cmd: 'set', prefix: '10.1.2.0/24', target: 'blackhole' });
    await d.send({ cmd: 'set', prefix: '2001:db8:1::/48', target: [{ gateway: 'fd91::2' }] });
    await d.send({ cmd: 'set', prefix: '2001:db8:2::/48', target: [{ gateway: 'fd91::2' }, { gateway: 'fd91::3' }] });
    const s = await d.send({ cmd: 'settled' });
    expect(s.stats).toEqual({ installed: 5, pending: 0, failed: 0, driftRepaired: 0 });
    expect(await wrenRoutes()).toEqual(
      new Map([
        ['10.1.0.0/24', '10.91.0.2'],
        ['10.1.1.0/24', '10.91.0.2,10.91.0.3'],
        ['10.1.2.0/24', 'blackhole'],
        ['2001:db8:1::/48', 'fd91::2'],
        ['2001:db8:2::/48', 'fd91::2,fd91::3'],
      ]),
    );
    // A withdrawal removes the route at once, even before convergence.
    await d.send({ cmd: 'set', prefix: '10.1.1.0/24', target: null });
    await d.send({ cmd: 'settled' });
    expect((await wrenRoutes()).has('10.1.1.0/24')).toBe(false);
  });

  it('reports each refused route with its errno and never touches other protocols', async () => {
    await ip('route', 'add', '10.2.9.0/24', 'via', '10.91.0.3', 'proto', 'static');
    const d = await driver();
    const r = await d.send({
      cmd: 'apply',
      ops: [
        { kind: 'add', prefix: '10.2.0.0/24', target: [{ gateway: '10.91.0.2' }] },
        { kind: 'add', prefix: '10.2.1.0/24', target: [{ gateway: '10.92.0.2' }] },
        { kind: 'add', prefix: '10.2.2.0/24', target: [{ gateway: '10.91.0.2', ifindex: 9999, onlink: true }] },
        { kind: 'add', prefix: '10.2.9.0/24', target: [{ gateway: '10.91.0.2' }] },
        { kind: 'delete', prefix: '10.2.9.0/24', target: [] },
        { kind: 'delete', prefix: '10.2.8.0/24', target: [] },
      ],
    });
    expect(r.failures).toEqual([
      { index: 1, code: 'ENETUNREACH', errno: 101 },
      { index: 2, code: 'ENODEV', errno: 19 },
      { index: 3, code: 'EEXIST', errno: 17 },
    ]);
    // The delete carried protocol 199: the static route is still there.
    expect((await routes('-4', 'proto', 'static')).map((x) => x.dst)).toContain('10.2.9.0/24');
    expect([...(await wrenRoutes()).keys()]).toEqual(['10.2.0.0/24']);
    await ip('route', 'del', '10.2.9.0/24', 'proto', 'static');
  });

  it('matches every refusal in a burst of thousands to its own route', async () => {
    // Many datagrams in flight through the worker thread: errors must land on the right routes.
    const d = await driver();
    const ops = Array.from({ length: 3000 }, (_, i) => ({
      kind: 'add' as const,
      prefix: `10.${16 + (i >> 8)}.${i & 255}.0/24`,
      target: [{ gateway: i % 97 === 5 ? '10.92.0.2' : '10.91.0.2' }],
    }));
    const r = await d.send({ cmd: 'apply', ops }, 30_000);
    const refused = ops.flatMap((_, i) => (i % 97 === 5 ? [{ index: i, code: 'ENETUNREACH', errno: 101 }] : []));
    expect(r.failures).toEqual(refused);
    expect((await wrenRoutes()).size).toBe(ops.length - refused.length);
  });

  /** Runs a TypeScript snippet against the adapter inside the namespace (vite-node). */
  async function runSnippet(name: string, lines: string[], args: string[]): Promise<RunResult> {
    const dir = mkdtempSync(join(tmpdir(), 'wren-netlink-'));
    try {
      const script = join(dir, `${name}.ts`);
      writeFileSync(script, [`import { NetlinkAdapter } from ${JSON.stringify(resolve('src/kernel/netlink-adapter.ts'))};`, ...lines].join('\n'));
      return await run('ip', ['netns', 'exec', NS, 'node_modules/.bin/vite-node', script, ...args], { allowFailure: true, timeoutMs: 60_000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const aborted = (r: RunResult): boolean => r.signal === 'SIGABRT' || /terminate called|Error in native callback/.test(r.stderr);
  const snippetRoute = `const route = (i: number) => ({ prefix: (0x0b000000 + i * 256) * 64 + 24, nextHops: [{ gateway: 0x0a5b0002 }] });`;

  it('exits cleanly when the process ends in the middle of a burst', async () => {
    // The request socket lives in a worker thread; a worker torn down with the netlink addon's
    // socket open can abort the whole process. process.exit() and an uncaught exception must
    // leave with their own exit code, never SIGABRT.
    const lines = [
      `const a = new NetlinkAdapter({ protocol: 199 });`,
      snippetRoute,
      `await a.apply([{ kind: 'add', route: route(0) }]);`,
      `void a.apply(Array.from({ length: 50000 }, (_, i) => ({ kind: 'add' as const, route: route(i + 1) })));`,
      `setImmediate(() => { if (process.argv[2] === 'throw') throw new Error('thrown mid-burst'); process.exit(7); });`,
    ];
    for (const [how, code] of [['exit', 7], ['throw', 1]] as const) {
      const r = await runSnippet('exit-mid-burst', lines, [how]);
      expect({ how, code: r.exitCode, aborted: aborted(r) }).toEqual({ how, code, aborted: false });
    }
  });

  it('never overflows its notification socket while the main thread is busy', async () => {
    // Slices of a burst sent while the main thread is too busy to read the echoes of earlier
    // ones: pacing must count the echoes still unread (an overflowed socket aborts the process
    // with netlink 0.3.0).
    const r = await runSnippet(
      'busy-main-thread',
      [
        `const a = new NetlinkAdapter({ protocol: 199 });`,
        `a.subscribe({ onRoute: () => {}, onResync: () => {} });`,
        snippetRoute,
        `await a.apply([{ kind: 'add', route: route(0) }]);`,
        `const pending: Promise<unknown[]>[] = [];`,
        `for (let s = 0; s < 24; s++) {`,
        `  pending.push(a.apply(Array.from({ length: 2048 }, (_, i) => ({ kind: 'add' as const, route: route(1 + s * 2048 + i) }))));`,
        `  const until = performance.now() + 100;`,
        `  while (performance.now() < until);`,
        `  await new Promise((r) => setImmediate(r));`,
        `}`,
        `console.log(JSON.stringify({ failures: (await Promise.all(pending)).flat().length }));`,
        `a.close();`,
      ],
      [],
    );
    expect({ code: r.exitCode, aborted: aborted(r), out: r.stdout.trim() }).toEqual({ code: 0, aborted: false, out: '{"failures":0}' });
    expect((await wrenRoutes()).size).toBe(1 + 24 * 2048);
  });

  it('stays on its own thread for a few routes and moves to a worker for a burst without losing a route', async () => {
    // A worker thread costs memory every node daemon would pay; only a burst is worth one.
    // The hand-over happens while requests are pending: none may be lost or mismatched.
    const r = await runSnippet(
      'auto-worker',
      [
        `const a = new NetlinkAdapter({ protocol: 199 });`,
        snippetRoute,
        `const small = await a.apply(Array.from({ length: 100 }, (_, i) => ({ kind: 'add' as const, route: route(i) })));`,
        `const before = a.thread;`,
        `const bad = (i: number) => ({ prefix: (0x0c000000 + i * 256) * 64 + 24, nextHops: [{ gateway: 0x0a5c0002 }] });`,
        `const burst = await Promise.all([0, 1, 2, 3].map((s) => a.apply(Array.from({ length: 2000 }, (_, i) => ({ kind: 'add' as const, route: i === 7 ? bad(s) : route(100 + s * 2000 + i) })))));`,
        // The main thread keeps sending while the worker starts: on a busy machine the burst can
        // be done first. The hand-over happens once the worker is ready, and later writes use it.
        `for (let i = 0; i < 200 && a.thread !== 'worker'; i++) await new Promise((r) => setTimeout(r, 25));`,
        `const after = a.thread;`,
        `const later = await a.apply(Array.from({ length: 50 }, (_, i) => ({ kind: 'add' as const, route: route(8100 + i) })));`,
        `console.log(JSON.stringify({ small: small.length, before, after, later: later.length, failed: burst.map((f) => f.map((x) => x.code)) }));`,
        `a.close();`,
      ],
      [],
    );
    expect({ code: r.exitCode, aborted: aborted(r), out: JSON.parse(r.stdout.trim()) as unknown }).toEqual({
      code: 0,
      aborted: false,
      out: { small: 0, before: 'main', after: 'worker', later: 0, failed: [['ENETUNREACH'], ['ENETUNREACH'], ['ENETUNREACH'], ['ENETUNREACH']] },
    });
    expect((await wrenRoutes()).size).toBe(100 + 4 * 1999 + 50);
  });

  it('starts its worker ahead of a burst it is told of, and takes it over with nothing pending', async () => {
    // A session that may bring a full table has come up: the worker's start-up (an isolate and
    // the addon) must not fall inside the burst.
    const r = await runSnippet(
      'prepared-worker',
      [
        `const a = new NetlinkAdapter({ protocol: 199 });`,
        snippetRoute,
        `const before = a.thread;`,
        `a.prepareForBurst();`,
        `for (let i = 0; i < 200 && a.thread !== 'worker'; i++) await new Promise((r) => setTimeout(r, 25));`,
        `const after = a.thread;`,
        `const routes = await a.apply(Array.from({ length: 3000 }, (_, i) => ({ kind: 'add' as const, route: route(i) })));`,
        `console.log(JSON.stringify({ before, after, failed: routes.length }));`,
        `a.close();`,
      ],
      [],
    );
    expect({ code: r.exitCode, aborted: aborted(r), out: JSON.parse(r.stdout.trim()) as unknown }).toEqual({ code: 0, aborted: false, out: { before: 'main', after: 'worker', failed: 0 } });
    expect((await wrenRoutes()).size).toBe(3000);
  });

  it('retries a route whose gateway is unreachable and installs it once the gateway is reachable', async () => {
    const d = await driver();
    await d.send({ cmd: 'start', retryBaseMs: 5_000, retryMaxMs: 5_000 });
    await d.send({ cmd: 'set', prefix: '10.3.0.0/24', target: [{ gateway: '10.93.0.2' }] });
    await waitFor(() => d.events('route.install-failed').find((e) => e.errno === 'ENETUNREACH'), { timeoutMs: 5_000, what: 'ENETUNREACH logged' });
    expect((await d.send({ cmd: 'stats' })).stats).toMatchObject({ installed: 0, failed: 1 });
    // The address change notification triggers the retry well before the 5 s back-off.
    await ip('addr', 'add', '10.93.0.1/24', 'dev', 'veth0');
    try {
      await waitFor(async () => (await wrenRoutes()).get('10.3.0.0/24') === '10.93.0.2', { timeoutMs: 3_000, intervalMs: 20, what: '10.3.0.0/24 installed' });
      await waitFor(() => d.events('route.install-recovered').length === 1, { timeoutMs: 2_000, what: 'recovery logged' });
    } finally {
      await ip('addr', 'del', '10.93.0.1/24', 'dev', 'veth0');
    }
  });

  it('adopts its routes on restart without deleting or re-adding them, and removes stale ones only at convergence', async () => {
    const a = await driver();
    await a.send({ cmd: 'start' });
    for (const p of ['10.4.0.0/24', '10.4.1.0/24', '10.4.2.0/24']) await a.send({ cmd: 'set', prefix: p, target: [{ gateway: '10.91.0.2' }] });
    await a.send({ cmd: 'set', prefix: '2001:db8:4::/48', target: [{ gateway: 'fd91::2' }, { gateway: 'fd91::3' }] });
    await a.send({ cmd: 'settled' });
    await a.stop(false);
    expect((await wrenRoutes()).size).toBe(4);

    const monitorLines: string[] = [];
    const monitor = spawn('ip', ['-n', NS, 'monitor', 'route']);
    createInterface({ input: monitor.stdout }).on('line', (l) => monitorLines.push(l));
    try {
      await waitFor(
        async () => {
          // Delete and add again each time: a replace that changes nothing is not notified, so a
          // monitor that missed the first one would wait in vain.
          await run('ip', ['-n', NS, 'route', 'del', '10.4.99.0/24', 'proto', 'static'], { allowFailure: true });
          await run('ip', ['-n', NS, 'route', 'add', '10.4.99.0/24', 'via', '10.91.0.3', 'proto', 'static']);
          return monitorLines.some((l) => l.includes('10.4.99.0/24'));
        },
        { timeoutMs: 5_000, what: 'ip monitor ready' },
      );
      const b = await driver();
      await b.send({ cmd: 'start' });
      await b.send({ cmd: 'set', prefix: '10.4.0.0/24', target: [{ gateway: '10.91.0.2' }] });
      await b.send({ cmd: 'set', prefix: '10.4.1.0/24', target: [{ gateway: '10.91.0.2' }] });
      await b.send({ cmd: 'set', prefix: '2001:db8:4::/48', target: [{ gateway: 'fd91::3' }, { gateway: 'fd91::2' }] });
      await b.send({ cmd: 'settled' });
      // Not converged yet: the stale 10.4.2.0/24 stays so forwarding never blinks.
      expect((await wrenRoutes()).size).toBe(4);
      await b.send({ cmd: 'converged' });
      await b.send({ cmd: 'settled' });
      expect([...(await wrenRoutes()).keys()].sort()).toEqual(['10.4.0.0/24', '10.4.1.0/24', '2001:db8:4::/48']);
      await waitFor(() => monitorLines.some((l) => l.startsWith('Deleted') && l.includes('10.4.2.0/24')), { timeoutMs: 2_000, what: 'stale route deletion seen' });
      // The adopted routes were never deleted nor re-added.
      const touched = monitorLines.filter((l) => /10\.4\.[01]\.0\/24|2001:db8:4::/.test(l));
      expect(touched).toEqual([]);
      expect(b.events('fib.started')[0]).toMatchObject({ adopted: 4 });
    } finally {
      monitor.kill();
      await run('ip', ['-n', NS, 'route', 'del', '10.4.99.0/24', 'proto', 'static'], { allowFailure: true });
    }
  });

  it('puts back a Wren route deleted or changed by someone else within a second', async () => {
    const d = await driver();
    await d.send({ cmd: 'start' });
    await d.send({ cmd: 'set', prefix: '10.5.0.0/24', target: [{ gateway: '10.91.0.2' }] });
    await d.send({ cmd: 'set', prefix: '2001:db8:5::/48', target: [{ gateway: 'fd91::2' }] });
    await d.send({ cmd: 'settled' });

    await ip('route', 'del', '10.5.0.0/24');
    let t = performance.now();
    await waitFor(async () => (await wrenRoutes()).get('10.5.0.0/24') === '10.91.0.2', { timeoutMs: 1_000, intervalMs: 10, what: '10.5.0.0/24 back' });
    expect(performance.now() - t).toBeLessThan(1_000);

    await ip('-6', 'route', 'replace', '2001:db8:5::/48', 'via', 'fd91::3', 'proto', '199');
    t = performance.now();
    await waitFor(async () => (await wrenRoutes()).get('2001:db8:5::/48') === 'fd91::2', { timeoutMs: 1_000, intervalMs: 10, what: '2001:db8:5::/48 repaired' });
    expect(performance.now() - t).toBeLessThan(1_000);

    await waitFor(async () => ((await d.send({ cmd: 'stats' })).stats as { driftRepaired: number }).driftRepaired === 2, { timeoutMs: 2_000, what: 'two drift repairs counted' });
    expect(d.events('route.drift').map((e) => e.change).sort()).toEqual(['changed', 'deleted']);
  });

  it('removes its routes on exit with flushOnExit, and only its routes', async () => {
    await ip('route', 'add', '10.6.9.0/24', 'via', '10.91.0.3', 'proto', '200');
    const d = await driver();
    await d.send({ cmd: 'start' });
    await d.send({ cmd: 'set', prefix: '10.6.0.0/24', target: [{ gateway: '10.91.0.2' }] });
    await d.send({ cmd: 'set', prefix: '2001:db8:6::/48', target: 'blackhole' });
    await d.send({ cmd: 'settled' });
    expect((await wrenRoutes()).size).toBe(2);
    await d.stop(true);
    expect((await wrenRoutes()).size).toBe(0);
    expect((await routes('-4', 'proto', '200')).map((x) => x.dst)).toEqual(['10.6.9.0/24']);
    await ip('route', 'del', '10.6.9.0/24', 'proto', '200');
  });
});
