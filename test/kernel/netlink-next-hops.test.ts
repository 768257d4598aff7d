// Next-hop resolution against a real kernel: the FIB programmer in a network namespace of its
// own (test/kernel/next-hops-in-netns.ts) while `ip route` adds, replaces and deletes static,
// ECMP, blackhole, IPv6 and Wren-protocol routes and takes the link down. Needs root; skipped
// with a printed reason otherwise.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../harness/exec.js';
import { createVethNamespace } from './veth-ns.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('test/kernel/netlink-next-hops.test.ts skipped: needs root for network namespaces');

const NS = `wh${process.pid.toString(36)}`;

type Step = { step: string; answers: Record<string, unknown>; route?: string; veth0?: number };

describe.skipIf(!isRoot)('next-hop resolution from the kernel routing table', () => {
  beforeAll(async () => {
    await createVethNamespace(NS);
  });

  afterAll(async () => {
    await run('ip', ['netns', 'del', NS], { allowFailure: true });
  });

  it('follows connected, static, ECMP, blackhole and IPv6 routes, ignores its own, and notices a link going down', async () => {
    const r = await run('ip', ['netns', 'exec', NS, 'node_modules/.bin/vite-node', 'test/kernel/next-hops-in-netns.ts'], { allowFailure: true, timeoutMs: 60_000 });
    const steps = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Step);
    expect({ code: r.exitCode, stderr: r.stderr.slice(-2000), steps: steps.map((s) => s.step) }).toEqual({
      code: 0,
      stderr: expect.any(String) as string,
      steps: ['start', 'static', 'replaced', 'more', 'deleted', 'link-down'],
    });
    const [start, stat, replaced, more, deleted, down] = steps as [Step, Step, Step, Step, Step, Step];
    const dev = start.veth0!;
    const no = { reachable: false, via: null };
    // Connected subnets only: IPv4 at metric 0, IPv6 at the kernel's 256.
    expect(start.answers).toEqual({
      '10.91.0.7': { reachable: true, cost: 0, via: null },
      '10.99.0.1': no,
      '10.99.0.129': no,
      '10.98.0.1': no,
      '10.97.0.1': no,
      'fd91::7': { reachable: true, cost: 256, via: null },
      'fd99::1': no,
    });
    // A static route with metric 30: reachable at cost 30, and the route is installed through its gateway.
    expect(stat.answers['10.99.0.1']).toEqual({ reachable: true, cost: 30, via: [`10.91.0.2%${dev}`] });
    expect(JSON.parse(stat.route!)).toMatchObject([{ dst: '10.80.0.0/24', gateway: '10.91.0.2', dev: 'veth0' }]);
    // `ip route replace` moves the installed route too.
    expect(replaced.answers['10.99.0.1']).toEqual({ reachable: true, cost: 30, via: [`10.91.0.3%${dev}`] });
    expect(JSON.parse(replaced.route!)).toMatchObject([{ dst: '10.80.0.0/24', gateway: '10.91.0.3' }]);
    expect(more.answers).toMatchObject({
      // a more specific blackhole wins over the static /24
      '10.99.0.129': no,
      '10.99.0.1': { reachable: true },
      '10.98.0.1': { reachable: true, cost: 0, via: [`10.91.0.2%${dev}`, `10.91.0.3%${dev}`] },
      // a route with Wren's protocol number never resolves anything
      '10.97.0.1': no,
      'fd99::1': { reachable: true, cost: 1024, via: [`fd91::2%${dev}`] },
    });
    expect(deleted.answers).toMatchObject({ '10.98.0.1': no, 'fd99::1': no, '10.99.0.1': { reachable: true } });
    expect(down.answers).toMatchObject({ '10.91.0.7': no, '10.99.0.1': no, 'fd91::7': no });
  });
});
