// Dual-stack pods: with pods.pool6 a pod gets a /128 next to its /32, routes via the host
// veth's link-local gateway fe80::1, and reaches pods on the other node over IPv6 routes
// learned over the IPv4 session.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Lab, ensurePackages, waitFor } from '../harness/index.js';
import type { LabHost } from '../harness/index.js';
import { startWren, type WrenHandle } from '../harness/wren.js';

const skipReason = await ensurePackages(['iputils-ping']);
if (skipReason !== undefined) console.warn(`[pods/dual-stack] skipped: ${skipReason}`);

interface IpRoute {
  dst: string;
  dev?: string;
  gateway?: string;
  scope?: string;
}

describe.skipIf(skipReason !== undefined)('dual-stack pods', () => {
  const lab = new Lab('ds');
  const hosts: LabHost[] = [];
  const nodes: WrenHandle[] = [];
  const pods: { ns: string; ipv4: string; ipv6: string }[] = [];

  beforeAll(async () => {
    hosts.push(await lab.addHost('a'), await lab.addHost('b'));
    for (const [i, self] of hosts.entries()) {
      const other = hosts[1 - i]!;
      nodes.push(
        await startWren({
          lab,
          host: self,
          name: `wren-${i}`,
          config: {
            asn: 65000,
            routerId: self.ipv4,
            kernel: { enabled: true, convergeTimeout: 10 },
            pods: { pool: `10.244.${i + 1}.0/24`, pool6: `fd00:244:${i + 1}::/64` },
            peers: [{ address: other.ipv4, asn: 65000, families: ['ipv4-unicast', 'ipv6-unicast'], connectRetryTime: 1 }],
          },
        }),
      );
    }
    await nodes[0]!.waitEstablished(hosts[1]!.ipv4);
    for (let i = 0; i < 2; i++) {
      const { ns, path } = await lab.addNamespace(`p${i}`);
      const p = await nodes[i]!.call('podAdd', { id: `pod-${i}`, netns: path });
      pods.push({ ns, ipv4: p.ipv4!, ipv6: p.ipv6! });
    }
  }, 60_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(lab.logTails(40));
  });
  afterAll(async () => lab.cleanup());

  it('gives each pod an address of each family from its node pools', () => {
    expect(pods.map((p) => p.ipv4)).toEqual(['10.244.1.1', '10.244.2.1']);
    expect(pods.map((p) => p.ipv6)).toEqual(['fd00:244:1::1', 'fd00:244:2::1']);
  });

  it('wires the /128 with a default route via fe80::1 in the pod and a device route on the host', async () => {
    const inPod = await lab.ipJson<IpRoute[]>(pods[0]!.ns, ['-6', 'route', 'show', 'default']);
    expect(inPod[0]?.gateway).toBe('fe80::1');
    const onHost = await lab.ipJson<IpRoute[]>(hosts[0]!.ns, ['-6', 'route', 'show', 'proto', '199']);
    const own = onHost.find((r) => r.dst === 'fd00:244:1::1');
    expect(own?.dev).toMatch(/^wren/);
    expect(await nodes[0]!.cli(['pod', 'check', 'pod-0'])).toMatchObject({ code: 0 });
  });

  it('pods reach each other over IPv4 and IPv6 across the nodes', async () => {
    for (const [i, host] of hosts.entries()) {
      const remote = pods[1 - i]!;
      await waitFor(async () => (await lab.ipJson<IpRoute[]>(host.ns, ['-6', 'route', 'show', 'proto', '199'])).some((r) => r.dst === remote.ipv6), {
        timeoutMs: 10_000,
        what: `${remote.ipv6} learned by node ${i}`,
      });
    }
    for (const [from, to] of [[0, 1], [1, 0]] as const) {
      for (const target of [pods[to]!.ipv4, pods[to]!.ipv6]) {
        const r = await lab.exec(pods[from]!.ns, 'ping', ['-c', '1', '-W', '2', target], { allowFailure: true });
        expect(r.exitCode, `pod-${from} -> ${target}: ${r.stdout}${r.stderr}`).toBe(0);
      }
    }
  });
});
