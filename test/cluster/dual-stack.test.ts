// A dual-stack cluster: IPv4 and IPv6 IPAM pools, nodes registering their IPv6 address. Pods
// get one address of each family from per-node blocks, and IPv6 pod blocks travel over the
// IPv4 sessions with the node's IPv6 address as next hop.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Lab, ensurePackages, waitFor } from '../harness/index.js';
import type { LabHost } from '../harness/index.js';
import { startWren, WREN_BIN, type WrenHandle } from '../harness/wren.js';

const skipReason = await ensurePackages(['etcd-server', 'iputils-ping']);
if (skipReason !== undefined) console.warn(`[cluster/dual-stack] skipped: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('a dual-stack cluster', () => {
  const lab = new Lab('c6');
  let etcdHost: LabHost;
  const hosts: LabHost[] = [];
  const nodes: WrenHandle[] = [];
  const pods: { ns: string; ipv4: string; ipv6: string }[] = [];

  beforeAll(async () => {
    etcdHost = await lab.addHost('etcd');
    const url = `http://${etcdHost.ipv4}:2379`;
    const peer = `http://${etcdHost.ipv4}:2380`;
    lab.spawn(etcdHost.ns, 'etcd', ['--name', 'c6', '--data-dir', lab.path('etcd-data'), '--listen-client-urls', url, '--advertise-client-urls', url, '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `c6=${peer}`, '--log-level', 'warn'], { logFile: 'etcd.log', name: 'etcd' });
    const cli = (args: string[]): Promise<{ exitCode: number | null; stderr: string }> => lab.exec(etcdHost.ns, process.execPath, [WREN_BIN, ...args, '--etcd', url], { allowFailure: true });
    await waitFor(async () => ((await cli(['cluster', 'init', '--asn', '64512', '--pool', '10.244.0.0/16', '--pool', 'fd00:244::/64'])).exitCode === 0 ? true : undefined), { timeoutMs: 15_000, what: 'cluster init' });
    for (let i = 0; i < 2; i++) {
      const h = await lab.addHost(`n${i}`);
      hosts.push(h);
      nodes.push(
        await startWren({
          lab,
          host: h,
          name: `node${i}`,
          config: { asn: 64512, routerId: h.ipv4, datastore: { etcd: { endpoints: [url] } }, cluster: { nodeName: `node${i}`, ipv6: h.ipv6 }, kernel: { enabled: true, convergeTimeout: 10 } },
        }),
      );
    }
    await nodes[0]!.waitEstablished(hosts[1]!.ipv4);
    for (let i = 0; i < 2; i++) {
      const { ns, path } = await lab.addNamespace(`p${i}`);
      const p = await nodes[i]!.call('podAdd', { id: `pod-${i}`, netns: path });
      pods.push({ ns, ipv4: p.ipv4!, ipv6: p.ipv6! });
    }
  }, 90_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(lab.logTails(40));
  });
  afterAll(async () => lab.cleanup());

  it('gives every pod an IPv4 and an IPv6 address from its node blocks', () => {
    for (const p of pods) {
      expect(p.ipv4).toMatch(/^10\.244\./);
      expect(p.ipv6).toMatch(/^fd00:244::/);
    }
  });

  it('pods on different nodes reach each other over both families', async () => {
    await waitFor(
      async () => (await lab.ipJson<{ dst: string; gateway?: string }[]>(hosts[0]!.ns, ['-6', 'route', 'show', 'proto', '199'])).some((r) => r.gateway === hosts[1]!.ipv6),
      { timeoutMs: 10_000, what: "node1's IPv6 block in node0's kernel via node1's IPv6 address" },
    );
    for (const [from, to] of [[0, 1], [1, 0]] as const) {
      for (const target of [pods[to]!.ipv4, pods[to]!.ipv6]) {
        const r = await lab.exec(pods[from]!.ns, 'ping', ['-c', '1', '-W', '2', target], { allowFailure: true });
        expect(r.exitCode, `pod-${from} -> ${target}: ${r.stdout}${r.stderr}`).toBe(0);
      }
    }
  });
});
