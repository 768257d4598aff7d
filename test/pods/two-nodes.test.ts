// Two Wren nodes peered over a bridge, two pods each wired with `wren pod add`: every pod
// reaches every other pod through routes learned over BGP and installed by Wren. Then the
// things a node must survive: kill -9 during a ping, a Wren route deleted by hand, failed adds
// that must leave nothing behind, and a restart that must neither forget nor duplicate pods.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Lab, ensurePackages, waitFor } from '../harness/index.js';
import type { LabHost } from '../harness/index.js';
import { startWren, type WrenHandle } from '../harness/wren.js';

const skipReason = await ensurePackages(['iputils-ping']);
if (skipReason !== undefined) console.warn(`[pods/two-nodes] skipped: ${skipReason}`);

interface IpRoute {
  dst: string;
  dev?: string;
  gateway?: string;
  protocol?: string | number;
  scope?: string;
  type?: string;
}

interface Pod {
  id: string;
  node: 'a' | 'b';
  ns: string;
  path: string;
  ip: string;
}

describe.skipIf(skipReason !== undefined)('pods on two nodes reach each other over BGP-learned kernel routes', () => {
  const lab = new Lab('pd');
  let a: LabHost;
  let b: LabHost;
  const wren: Record<'a' | 'b', WrenHandle> = {} as Record<'a' | 'b', WrenHandle>;
  const configs: Record<'a' | 'b', object> = {} as Record<'a' | 'b', object>;
  const pods: Pod[] = [];

  const nodeConfig = (self: LabHost, other: LabHost, pool: string): object => ({
    asn: 65000,
    routerId: self.ipv4,
    kernel: { enabled: true, convergeTimeout: 10 },
    pods: { pool },
    peers: [{ name: 'other', address: other.ipv4, asn: 65000, connectRetryTime: 1 }],
  });
  const routes = (host: LabHost): Promise<IpRoute[]> => lab.ipJson<IpRoute[]>(host.ns, ['-4', 'route', 'show', 'proto', '199']);
  const ping = (from: Pod, to: string, extra: string[] = []): Promise<{ exitCode: number | null; stdout: string }> =>
    lab.exec(from.ns, 'ping', ['-c', '1', '-W', '2', ...extra, to], { allowFailure: true });

  beforeAll(async () => {
    a = await lab.addHost('a');
    b = await lab.addHost('b');
    configs.a = nodeConfig(a, b, '10.244.1.0/24');
    configs.b = nodeConfig(b, a, '10.244.2.0/24');
    wren.a = await startWren({ lab, host: a, config: configs.a, name: 'wren-a' });
    wren.b = await startWren({ lab, host: b, config: configs.b, name: 'wren-b' });
    await wren.a.waitEstablished(b.ipv4);
    for (const [node, n] of [['a', 1], ['a', 2], ['b', 1], ['b', 2]] as const) {
      const { ns, path } = await lab.addNamespace(`${node}pod${n}`);
      const out = await wren[node].cli(['pod', 'add', '--id', `${node}-pod-${n}`, '--netns', path, '-o', 'json']);
      expect(out.code, out.stderr).toBe(0);
      const r = JSON.parse(out.stdout) as { ipv4: string; created: boolean };
      expect(r.created).toBe(true);
      pods.push({ id: `${node}-pod-${n}`, node, ns, path, ip: r.ipv4 });
    }
  }, 90_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(lab.logTails(40));
  });

  afterAll(async () => {
    await lab.cleanup();
  });

  it('gives pods distinct addresses from each node pool', () => {
    expect(pods.filter((p) => p.node === 'a').map((p) => p.ip)).toEqual(['10.244.1.1', '10.244.1.2']);
    expect(pods.filter((p) => p.node === 'b').map((p) => p.ip)).toEqual(['10.244.2.1', '10.244.2.2']);
  });

  it('every pod pings every other pod, across nodes too', async () => {
    for (const p of pods) {
      await waitFor(async () => (await routes(p.node === 'a' ? b : a)).some((r) => r.dst === p.ip), { timeoutMs: 10_000, what: `${p.ip} learned by the other node` });
    }
    const failures: string[] = [];
    for (const from of pods) {
      for (const to of pods) {
        if (from === to) continue;
        const r = await ping(from, to.ip);
        if (r.exitCode !== 0) failures.push(`${from.id} -> ${to.id} (${to.ip})`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('shows the pod routes with protocol 199: scope link to the veth locally, via the peer remotely', async () => {
    const onA = await routes(a);
    const podA1 = onA.find((r) => r.dst === '10.244.1.1');
    expect(podA1?.scope).toBe('link');
    expect(podA1?.dev).toMatch(/^wren[0-9a-f]{11}$/);
    expect(onA.find((r) => r.dst === '10.244.2.1')?.gateway).toBe(b.ipv4);
    const neigh = await lab.ipJson<{ dst: string; state: string[] }[]>(a.ns, ['neigh', 'show', 'dev', podA1!.dev!]);
    expect(neigh.find((n) => n.dst === '10.244.1.1')?.state).toContain('PERMANENT');
  });

  it('shows the pods in `wren pod list` and reports them healthy in `wren pod check`', async () => {
    const list = JSON.parse((await wren.a.cli(['pod', 'list', '-o', 'json'])).stdout) as { id: string }[];
    expect(list.map((p) => p.id).sort()).toEqual(['a-pod-1', 'a-pod-2']);
    const check = await wren.a.cli(['pod', 'check', 'a-pod-1']);
    expect(check.stdout).toContain('a-pod-1: OK');
  });

  it('adding an existing pod id returns it unchanged; deleting an unknown id succeeds', async () => {
    const p = pods[0]!;
    const again = await wren.a.call('podAdd', { id: p.id, netns: p.path });
    expect(again.created).toBe(false);
    expect(again.ipv4).toBe(p.ip);
    expect(await wren.a.call('podDel', { id: 'never-added' })).toEqual({ id: 'never-added', deleted: false });
  });

  it('refuses a missing netns, a duplicate address and an address outside the pool, leaving nothing behind', async () => {
    const before = await lab.ipJson<{ ifname: string }[]>(a.ns, ['link', 'show']);
    const { path } = await lab.addNamespace('apodx');
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ id: 'x1', netns: '/var/run/netns/does-not-exist' }, 'netns-missing', /does-not-exist/],
      [{ id: 'x2', netns: path, ip: '10.244.1.1' }, 'address-in-use', /already used by pod a-pod-1/],
      [{ id: 'x3', netns: path, ip: '10.99.0.1' }, 'address-outside-pool', /outside the pod pool 10.244.1.0\/24/],
      [{ id: 'x4', netns: path, ifname: 'this-name-is-too-long' }, 'bad-request', /ifname/],
    ];
    for (const [params, code, message] of cases) {
      await expect(wren.a.call('podAdd', params as { id: string; netns: string })).rejects.toMatchObject({ code, message: expect.stringMatching(message) as unknown });
    }
    const after = await lab.ipJson<{ ifname: string }[]>(a.ns, ['link', 'show']);
    expect(after.map((l) => l.ifname).sort()).toEqual(before.map((l) => l.ifname).sort());
    const inPod = await lab.ipJson<{ ifname: string }[]>(`${lab.tag}-apodx`, ['link', 'show']);
    expect(inPod.map((l) => l.ifname)).toEqual(['lo']);
    // the refused requests took no address: the next pod gets the next free one
    const next = await wren.a.call('podAdd', { id: 'x5', netns: path });
    expect(next.ipv4).toBe('10.244.1.3');
    await wren.a.call('podDel', { id: 'x5' });
    expect((await routes(a)).some((r) => r.dst === '10.244.1.3')).toBe(false);
    await waitFor(async () => !(await routes(b)).some((r) => r.dst === '10.244.1.3'), { timeoutMs: 5000, what: 'deleted pod withdrawn from node b' });
  });

  it('puts back a pod route deleted by hand within a second', async () => {
    await lab.exec(a.ns, 'ip', ['route', 'del', '10.244.1.2/32']);
    const started = Date.now();
    await waitFor(async () => (await routes(a)).some((r) => r.dst === '10.244.1.2'), { timeoutMs: 3000, intervalMs: 20, what: 'pod route back' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('loses no packet while node a is killed with -9 and restarted, and forgets no pod', async () => {
    const from = pods.find((p) => p.id === 'b-pod-1')!;
    const to = pods.find((p) => p.id === 'a-pod-1')!;
    const pinging = lab.exec(from.ns, 'ping', ['-c', '40', '-i', '0.1', '-W', '1', to.ip], { allowFailure: true });
    await new Promise((r) => setTimeout(r, 500));
    wren.a.signal('SIGKILL');
    await wren.a.daemon.exited;
    await new Promise((r) => setTimeout(r, 300));
    wren.a = await startWren({ lab, host: a, config: configs.a, name: 'wren-a2', dir: lab.subdir('wren-a') });
    const result = await pinging;
    expect(result.stdout).toMatch(/40 packets transmitted, 40 received/);
    await wren.a.waitEstablished(b.ipv4);
    const list = await wren.a.call('podList');
    expect(list.map((p) => p.id).sort()).toEqual(['a-pod-1', 'a-pod-2']);
    // a new pod after the restart does not reuse an address that is in use
    const { path } = await lab.addNamespace('apod3');
    const p3 = await wren.a.call('podAdd', { id: 'a-pod-3', netns: path });
    expect(['10.244.1.1', '10.244.1.2']).not.toContain(p3.ipv4);
    const r = await ping(from, to.ip);
    expect(r.exitCode).toBe(0);
  });

  it('loses no packet across a SIGTERM restart either: peers keep the routes (graceful restart)', async () => {
    const from = pods.find((p) => p.id === 'b-pod-2')!;
    const to = pods.find((p) => p.id === 'a-pod-2')!;
    await wren.a.waitEstablished(b.ipv4);
    const pinging = lab.exec(from.ns, 'ping', ['-c', '40', '-i', '0.1', '-W', '1', to.ip], { allowFailure: true });
    await new Promise((r) => setTimeout(r, 500));
    await wren.a.daemon.stop();
    expect(wren.a.daemon.logTail(50)).not.toContain('notification.sent');
    wren.a = await startWren({ lab, host: a, config: configs.a, name: 'wren-a3', dir: lab.subdir('wren-a') });
    const result = await pinging;
    expect(result.stdout).toMatch(/40 packets transmitted, 40 received/);
    await wren.a.waitEstablished(b.ipv4);
  });
});
