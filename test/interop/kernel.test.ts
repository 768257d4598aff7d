// Wren as a node daemon with `kernel.enabled`: routes BIRD announces land in the kernel of
// Wren's namespace with protocol 199, are put back when someone deletes them, survive the
// daemon (SIGKILL and SIGTERM alike), and a restarted daemon adopts them without deleting
// and re-adding.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Lab, ensurePackages, startBird, waitFor } from '../harness/index.js';
import type { BirdHandle, Daemon, LabHost } from '../harness/index.js';
import { startWren, type WrenHandle } from '../harness/wren.js';
import { readFileSync } from 'node:fs';

const skipReason = await ensurePackages(['bird2']);
if (skipReason !== undefined) console.warn(`[interop/kernel] skipped: ${skipReason}`);

interface IpRoute {
  dst: string;
  gateway?: string;
  protocol?: string | number;
  nexthops?: { gateway: string }[];
}

describe.skipIf(skipReason !== undefined)('wren programs the kernel with what it learns', () => {
  const lab = new Lab('kn');
  let w: LabHost;
  let b: LabHost;
  let bird: BirdHandle;
  let wren: WrenHandle;
  let config: object;

  const routes = async (family: '-4' | '-6' = '-4'): Promise<IpRoute[]> => lab.ipJson<IpRoute[]>(w.ns, [family, 'route', 'show', 'proto', '199']);
  const route = async (dst: string, family: '-4' | '-6' = '-4'): Promise<IpRoute | undefined> => (await routes(family)).find((r) => r.dst === dst);

  beforeAll(async () => {
    w = await lab.addHost('wren');
    b = await lab.addHost('bird');
    bird = await startBird(lab, b, {
      routerId: b.ipv4,
      asn: 65002,
      peers: [{ name: 'wren', address: w.ipv4, asn: 65001, families: ['ipv4', 'ipv6'], passive: true, gracefulRestart: true }],
      originate: { ipv4: ['10.60.0.0/24', '10.61.0.0/24'], ipv6: ['fd60::/48'] },
    });
    config = {
      asn: 65001,
      routerId: w.ipv4,
      originate: ['10.70.0.0/24'],
      kernel: { enabled: true, convergeTimeout: 5 },
      peers: [{ name: 'bird', address: b.ipv4, asn: 65002, families: ['ipv4-unicast', 'ipv6-unicast'], connectRetryTime: 1 }],
    };
    wren = await startWren({ lab, host: w, config, name: 'wren' });
  }, 60_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(lab.logTails(40));
  });

  afterAll(async () => {
    await lab.cleanup();
  });

  it('installs learned IPv4 and IPv6 routes with protocol 199 and the peer as gateway', async () => {
    await wren.waitEstablished(b.ipv4);
    const r4 = await waitFor(() => route('10.60.0.0/24'), { timeoutMs: 15_000, what: '10.60.0.0/24 in the kernel' });
    expect(r4.gateway).toBe(b.ipv4);
    const r6 = await waitFor(() => route('fd60::/48', '-6'), { timeoutMs: 15_000, what: 'fd60::/48 in the kernel' });
    expect(r6.gateway).toBe(b.ipv6);
    // our own originated prefix is not a kernel route of ours
    expect(await route('10.70.0.0/24')).toBeUndefined();
    // and nothing of another protocol was touched: the connected route is still there
    const all = await lab.ipJson<IpRoute[]>(w.ns, ['-4', 'route', 'show']);
    expect(all.some((r) => r.dst === '10.77.0.0/24' && r.protocol === 'kernel')).toBe(true);
  });

  it('puts back a Wren route deleted by someone else within a second', async () => {
    await lab.exec(w.ns, 'ip', ['route', 'del', '10.61.0.0/24']);
    const started = Date.now();
    await waitFor(() => route('10.61.0.0/24'), { timeoutMs: 3000, intervalMs: 20, what: '10.61.0.0/24 back in the kernel' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(wren.daemon.logTail(200)).toContain('route.drift');
  });

  it('withdraws the kernel route when the peer withdraws the prefix', async () => {
    await bird.reconfigure({
      routerId: b.ipv4,
      asn: 65002,
      peers: [{ name: 'wren', address: w.ipv4, asn: 65001, families: ['ipv4', 'ipv6'], passive: true, gracefulRestart: true }],
      originate: { ipv4: ['10.60.0.0/24'], ipv6: ['fd60::/48'] },
    });
    await waitFor(async () => (await route('10.61.0.0/24')) === undefined, { timeoutMs: 10_000, what: '10.61.0.0/24 removed from the kernel' });
    expect(await route('10.60.0.0/24')).toBeDefined();
  });

  it('leaves routes in the kernel when killed, and a restarted daemon adopts them without a delete', async () => {
    wren.signal('SIGKILL');
    await wren.daemon.exited;
    expect(await route('10.60.0.0/24')).toBeDefined();
    // watch the kernel's route notifications across the restart
    const monitorLog = lab.path('ip-monitor.log');
    const monitor: Daemon = lab.spawn(w.ns, 'ip', ['monitor', 'route'], { logFile: monitorLog, name: 'ip-monitor' });
    // Ready only once it reports a probe route of ours (del + add: a no-op change is not notified).
    await waitFor(
      async () => {
        monitor.assertRunning();
        await lab.exec(w.ns, 'ip', ['route', 'del', '10.250.0.0/24'], { allowFailure: true });
        await lab.exec(w.ns, 'ip', ['route', 'add', '10.250.0.0/24', 'via', b.ipv4, 'proto', 'static']);
        return readFileSync(monitorLog, 'utf8').includes('10.250.0.0/24');
      },
      { timeoutMs: 5000, what: 'ip monitor to report a probe route' },
    );
    wren = await startWren({ lab, host: w, config, name: 'wren-again' });
    await wren.waitEstablished(b.ipv4);
    await waitFor(() => wren.daemon.logTail(200).includes('rib.converged'), { timeoutMs: 15_000, what: 'the restarted daemon to converge' });
    await waitFor(() => route('10.60.0.0/24'), { timeoutMs: 5000, what: 'route still there' });
    await monitor.stop();
    const seen = readFileSync(monitorLog, 'utf8');
    expect(seen).not.toMatch(/Deleted .*10\.60\.0\.0\/24/);
  });

  it('leaves routes in the kernel on SIGTERM by default', async () => {
    wren.signal('SIGTERM');
    expect((await wren.daemon.exited).code).toBe(0);
    expect(await route('10.60.0.0/24')).toBeDefined();
  });
});
