// Node daemons in cluster mode against a real etcd in its own namespace: they register, derive
// a full mesh, take pod addresses from IPAM blocks, advertise their blocks (blackholed
// locally), reach each other's pods, apply a new node and a switch to a route reflector
// incrementally, and carry on when etcd goes away.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Lab, ensurePackages, waitFor } from '../harness/index.js';
import type { Daemon, LabHost } from '../harness/index.js';
import { startWren, WREN_BIN, type WrenHandle } from '../harness/wren.js';

const skipReason = await ensurePackages(['etcd-server', 'iputils-ping']);
if (skipReason !== undefined) console.warn(`[cluster/cluster-daemon] skipped: ${skipReason}`);

interface IpRoute {
  dst: string;
  gateway?: string;
  type?: string;
}

describe.skipIf(skipReason !== undefined)('node daemons in cluster mode', () => {
  const lab = new Lab('cd');
  let etcdHost: LabHost;
  let etcd: Daemon;
  let endpoint: string;
  const hosts: LabHost[] = [];
  const nodes: WrenHandle[] = [];
  const pods: { node: number; ns: string; ip: string }[] = [];

  const wrenCli = (args: string[]): Promise<{ exitCode: number | null; stdout: string; stderr: string }> =>
    lab.exec(etcdHost.ns, process.execPath, [WREN_BIN, ...args, '--etcd', endpoint], { allowFailure: true });

  const startEtcd = (): Daemon => {
    const url = `http://${etcdHost.ipv4}:2379`;
    const peer = `http://${etcdHost.ipv4}:2380`;
    return lab.spawn(
      etcdHost.ns,
      'etcd',
      ['--name', 'lab', '--data-dir', lab.path('etcd-data'), '--listen-client-urls', url, '--advertise-client-urls', url, '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `lab=${peer}`, '--log-level', 'warn'],
      { logFile: 'etcd.log', name: 'etcd' },
    );
  };

  const nodeConfig = (i: number, extra: object = {}): object => ({
    asn: 65000,
    routerId: hosts[i]!.ipv4,
    datastore: { etcd: { endpoints: [endpoint] } },
    cluster: { nodeName: `node${i}`, leaseTtl: 4, ...extra },
    kernel: { enabled: true, convergeTimeout: 10 },
  });

  const addNode = async (i: number, extra: object = {}): Promise<WrenHandle> => {
    hosts[i] ??= await lab.addHost(`n${i}`);
    const w = await startWren({ lab, host: hosts[i]!, config: nodeConfig(i, extra), name: `node${i}` });
    nodes[i] = w;
    return w;
  };

  const kernelRoutes = (i: number): Promise<IpRoute[]> => lab.ipJson<IpRoute[]>(hosts[i]!.ns, ['-4', 'route', 'show', 'proto', '199']);

  beforeAll(async () => {
    etcdHost = await lab.addHost('etcd');
    endpoint = `http://${etcdHost.ipv4}:2379`;
    etcd = startEtcd();
    await waitFor(async () => (await wrenCli(['cluster', 'show'])).stderr.includes('not initialised') || (await wrenCli(['cluster', 'show'])).exitCode === 0, { timeoutMs: 15_000, what: 'etcd up' });
    const init = await wrenCli(['cluster', 'init', '--asn', '64512', '--pool', '10.244.0.0/16']);
    expect(init.exitCode, init.stderr).toBe(0);
    for (let i = 0; i < 3; i++) await addNode(i);
  }, 90_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(lab.logTails(40));
  });

  afterAll(async () => {
    await lab.cleanup();
  });

  it('derives a full mesh: every node peers with every other, PEER TYPE node-to-node mesh, the cluster AS', async () => {
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) if (i !== j) await nodes[i]!.waitEstablished(hosts[j]!.ipv4);
      const s = await nodes[i]!.call('status');
      expect(s.daemon.asn).toBe(64512);
      expect(s.peers.map((p) => p.type)).toEqual(['node-to-node mesh', 'node-to-node mesh']);
    }
    const text = await nodes[0]!.cli(['status']);
    expect(text.stdout).toContain('node-to-node mesh');
  });

  it('gives pods IPAM addresses from per-node blocks, advertises the blocks, and pods reach each other', async () => {
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 2; j++) {
        const { ns, path } = await lab.addNamespace(`p${i}x${j}`);
        const pod = await nodes[i]!.call('podAdd', { id: `pod-${i}-${j}`, netns: path });
        pods.push({ node: i, ns, ip: pod.ipv4! });
      }
    }
    expect(new Set(pods.map((p) => p.ip)).size).toBe(6);
    // each node's two pods share its block: same /26
    const block = (ip: string): string => {
      const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
      return `${a}.${b}.${c}.${d & ~63}/26`;
    };
    const blocks = [0, 1, 2].map((i) => block(pods.find((p) => p.node === i)!.ip));
    expect(new Set(blocks).size).toBe(3);
    for (let i = 0; i < 3; i++) {
      await waitFor(
        async () => {
          const rs = await kernelRoutes(i);
          return blocks.every((b, j) => rs.some((r) => r.dst === b && (j === i ? r.type === 'blackhole' : r.gateway === hosts[j]!.ipv4)));
        },
        { timeoutMs: 10_000, what: `node${i} kernel: own block blackholed, the others via their nodes` },
      );
    }
    const failures: string[] = [];
    for (const a of pods) for (const b of pods) if (a !== b) {
      const r = await lab.exec(a.ns, 'ping', ['-c', '1', '-W', '2', b.ip], { allowFailure: true });
      if (r.exitCode !== 0) failures.push(`${a.ip} -> ${b.ip}`);
    }
    expect(failures).toEqual([]);
  });

  it('pool del: refused while a pod holds an address; once it is gone every node drops the block, blackhole included', async () => {
    const add = await wrenCli(['pool', 'add', '10.240.0.0/24']);
    expect(add.exitCode, add.stderr).toBe(0);
    const { path } = await lab.addNamespace('pdel');
    const pod = await nodes[0]!.call('podAdd', { id: 'pod-pool-del', netns: path, ip: '10.240.0.5' });
    expect(pod.ipv4).toBe('10.240.0.5');
    const has = async (i: number): Promise<IpRoute | undefined> => (await kernelRoutes(i)).find((r) => r.dst === '10.240.0.0/26');
    for (const i of [0, 1, 2]) await waitFor(async () => (await has(i)) !== undefined, { timeoutMs: 10_000, what: `node${i} kernel: 10.240.0.0/26` });

    const refused = await wrenCli(['pool', 'del', '10.240.0.0/24']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('pool 10.240.0.0/24 still has 1 address allocated (handles: pod-pool-del)');

    await nodes[0]!.call('podDel', { id: 'pod-pool-del' });
    const del = await wrenCli(['pool', 'del', '10.240.0.0/24']);
    expect(del.exitCode, del.stderr).toBe(0);
    expect(del.stdout).toBe('Pool 10.240.0.0/24 deleted; 1 empty block released (10.240.0.0/26).\n');
    for (const i of [0, 1, 2]) await waitFor(async () => (await has(i)) === undefined, { timeoutMs: 10_000, what: `node${i} kernel without 10.240.0.0/26` });
    const check = await wrenCli(['ipam', 'check']);
    expect(check.exitCode, check.stdout + check.stderr).toBe(0);
  });

  it('a joining node is meshed within a second of being ready, without resetting existing sessions', async () => {
    const before = (await nodes[0]!.call('neighbors')).map((n) => ({ address: n.address, flaps: n.flaps, since: n.since }));
    const t0 = Date.now();
    await addNode(3);
    await Promise.all([0, 1, 2].map((i) => nodes[i]!.waitEstablished(hosts[3]!.ipv4, 10_000)));
    const joinMs = Date.now() - t0;
    console.info(`join: node3 meshed with 3 nodes ${joinMs} ms after start`);
    const after = await nodes[0]!.call('neighbors');
    for (const b of before) expect(after.find((n) => n.address === b.address)?.since).toBe(b.since);
  });

  it('a killed node: its pods stay reachable (routes kept), its lease expires, the others carry on', async () => {
    const victim = 2;
    nodes[victim]!.signal('SIGKILL');
    await nodes[victim]!.daemon.exited;
    const list = async (): Promise<{ name: string; live: boolean }[]> => JSON.parse((await wrenCli(['node', 'list', '-o', 'json'])).stdout) as { name: string; live: boolean }[];
    await waitFor(async () => ((await list()).find((n) => n.name === `node${victim}`)?.live === false ? true : undefined), { timeoutMs: 15_000, what: 'the killed node\'s lease to expire' });
    // other nodes keep their sessions with each other, and reach the killed node's pods
    for (const i of [0, 1, 3]) {
      const s = await nodes[i]!.call('status');
      expect(s.peers.filter((p) => p.address !== hosts[victim]!.ipv4).every((p) => p.state === 'Established')).toBe(true);
    }
    const from = pods.find((p) => p.node === 0)!;
    for (const to of pods.filter((p) => p.node === victim)) {
      const r = await lab.exec(from.ns, 'ping', ['-c', '1', '-W', '2', to.ip], { allowFailure: true });
      expect(r.exitCode, `${from.ip} -> ${to.ip} after node${victim} was killed`).toBe(0);
    }
    // The operator deletes it as gone for good: its pods' addresses and its block are released.
    const del = await wrenCli(['node', 'del', `node${victim}`]);
    expect(del.exitCode, del.stderr).toBe(0);
    expect(del.stdout).toMatch(/^Node node2 deleted: 2 addresses of 2 pods released, 1 block freed/);
    const gone = await wrenCli(['ipam', 'show', '--node', `node${victim}`]);
    expect(gone.stderr).toMatch(/unknown node "node2"/); // no record, no block, no claim left
    const handles = async (): Promise<string[]> => {
      const r = await wrenCli(['ipam', 'show', '--node', `node${victim}`, '-o', 'json']);
      if (r.exitCode !== 0) return [];
      const shown = JSON.parse(r.stdout) as { blocks: { allocations: { handle: string | null; address: string }[] }[] };
      return shown.blocks.flatMap((b) => b.allocations.map((a) => `${a.handle} ${a.address}`)).sort();
    };
    // It comes back after all, with its pods: their addresses are claimed for them again (the
    // garbage collector's pass finds pods that IPAM has no record of), and it resumes its place.
    await addNode(victim, { ipamGcInterval: 5 });
    await nodes[0]!.waitEstablished(hosts[victim]!.ipv4, 15_000);
    const mine = pods.filter((p) => p.node === victim).map((p, j) => `pod-${victim}-${j} ${p.ip}`).sort();
    await waitFor(async () => ((await handles()).join() === mine.join() ? true : undefined), { timeoutMs: 20_000, what: `node${victim}'s pods to own their addresses again` });
    const check = await wrenCli(['ipam', 'check']);
    expect(check.exitCode, check.stdout + check.stderr).toBe(0);
  });

  it('switches to a route reflector with the mesh off, keeping client-to-reflector sessions', async () => {
    await nodes[0]!.stop();
    await addNode(0, { routeReflectorClusterId: '10.99.99.99', labels: { 'route-reflector': 'true' } });
    const add = await wrenCli(['peer', 'add', 'to-reflectors', '--node-selector', 'all()', '--peer-selector', 'has(route-reflector)']);
    expect(add.exitCode, add.stderr).toBe(0);
    const off = await wrenCli(['cluster', 'mesh', 'off']);
    expect(off.exitCode, off.stderr).toBe(0);
    for (const i of [1, 2, 3]) {
      await waitFor(
        async () => {
          const s = await nodes[i]!.call('status');
          return s.peers.length === 1 && s.peers[0]!.address === hosts[0]!.ipv4 && s.peers[0]!.state === 'Established' && s.peers[0]!.type === 'route reflector' ? true : undefined;
        },
        { timeoutMs: 15_000, what: `node${i} peering only with the reflector` },
      );
    }
    const rr = await nodes[0]!.call('status');
    expect(rr.peers.map((p) => p.state)).toEqual(['Established', 'Established', 'Established']);
    // reflected routes still carry every pod
    const failures: string[] = [];
    for (const a of pods) for (const b of pods) if (a !== b && a.node !== b.node) {
      const r = await lab.exec(a.ns, 'ping', ['-c', '1', '-W', '2', b.ip], { allowFailure: true });
      if (r.exitCode !== 0) failures.push(`${a.ip} -> ${b.ip}`);
    }
    expect(failures).toEqual([]);
  });

  it('keeps what the cluster CLI set on a node (reflector role, labels) across a daemon restart', async () => {
    const set = await wrenCli(['node', 'set', 'node3', '--rr-cluster-id', '10.99.99.99', '--label', 'route-reflector=true', '--label', 'zone=b']);
    expect(set.exitCode, set.stderr).toBe(0);
    await nodes[3]!.stop();
    await addNode(3);
    await nodes[3]!.waitEstablished(hosts[0]!.ipv4, 15_000);
    const list = JSON.parse((await wrenCli(['node', 'list', '-o', 'json'])).stdout) as { name: string; routeReflectorClusterId?: string; labels: Record<string, string> }[];
    const n3 = list.find((n) => n.name === 'node3')!;
    expect(n3.routeReflectorClusterId).toBe('10.99.99.99');
    expect(n3.labels).toMatchObject({ 'route-reflector': 'true', zone: 'b' });
  });

  it('carries on without etcd: sessions stay, pod add fails clearly, and works again when etcd is back', async () => {
    await etcd.stop();
    const { path } = await lab.addNamespace('pdown');
    const started = Date.now();
    await expect(nodes[1]!.call('podAdd', { id: 'while-down', netns: path })).rejects.toMatchObject({ code: 'ipam-unavailable' });
    expect(Date.now() - started).toBeLessThan(10_000);
    await new Promise((r) => setTimeout(r, 6000)); // longer than the lease TTL
    const s = await nodes[1]!.call('status');
    expect(s.peers.every((p) => p.state === 'Established')).toBe(true);
    etcd = startEtcd();
    const pod = await waitFor(async () => nodes[1]!.call('podAdd', { id: 'after-up', netns: path }).catch(() => undefined), { timeoutMs: 20_000, what: 'pod add after etcd is back' });
    expect(pod.ipv4).toMatch(/^10\.244\./);
  });
});
