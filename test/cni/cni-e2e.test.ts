// wren-cni against a real Wren daemon wiring real pods: the daemon runs in a lab node
// namespace with pod wiring on, each pod is a namespace made with `ip netns add`, and the
// plugin is run exactly as a runtime runs it. Checks what a runtime and a user would see: the
// result, the pod's address and default route, the host's /32 route, ping, and that DEL and
// GC leave nothing behind.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Lab, waitFor, type LabHost } from '../harness/index.js';
import { startWren, type WrenHandle } from '../harness/wren.js';
import { cniEnv, netConf, runCni } from './helpers.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('[cni/cni-e2e] skipped: needs root for network namespaces');

interface IpAddr {
  ifname: string;
  addr_info: { family: string; local: string; prefixlen: number }[];
}
interface IpRoute {
  dst: string;
  dev?: string;
  gateway?: string;
  protocol?: string | number;
}
interface AddResult {
  cniVersion: string;
  interfaces: { name: string; mac?: string; sandbox?: string }[];
  ips: { address: string; gateway?: string; interface?: number }[];
  routes: { dst: string; gw?: string }[];
}

describe.skipIf(!isRoot)('wren-cni with a real daemon', () => {
  const lab = new Lab('cn');
  let node: LabHost;
  let wren: WrenHandle;
  const conf = (extra: Record<string, unknown> = {}): Record<string, unknown> => netConf(wren.control, { cniVersion: '1.1.0', ...extra });
  const pod = (name: string): Promise<{ ns: string; path: string }> => lab.addNamespace(name);
  const hostRoutes = (): Promise<IpRoute[]> => lab.ipJson<IpRoute[]>(node.ns, ['-4', 'route', 'show', 'proto', '199']);
  const hostLinks = async (): Promise<string[]> => (await lab.ipJson<{ ifname: string }[]>(node.ns, ['link', 'show'])).map((l) => l.ifname);

  beforeAll(async () => {
    node = await lab.addHost('node');
    wren = await startWren({
      lab,
      host: node,
      name: 'wren-node',
      config: { asn: 65000, routerId: node.ipv4, kernel: { enabled: true, convergeTimeout: 5 }, pods: { pool: '10.244.1.0/24' } },
    });
  }, 60_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(lab.logTails(40));
  });

  afterAll(async () => {
    await lab.cleanup();
  });

  it('ADD wires a pod the host can reach, CHECK passes, DEL removes everything', async () => {
    const p = await pod('p1');
    const add = await runCni(cniEnv('ADD', 'ctr-one', p.path), conf());
    expect(add.exitCode, add.stdout).toBe(0);
    const result = add.json as unknown as AddResult;
    expect(result.cniVersion).toBe('1.1.0');
    const [host, inPod] = result.interfaces;
    expect(inPod).toMatchObject({ name: 'eth0', sandbox: p.path, mac: expect.stringMatching(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/) });
    expect(host!.name.length).toBeLessThanOrEqual(15);
    expect(result.ips).toHaveLength(1);
    const address = result.ips[0]!.address;
    expect(address).toMatch(/^10\.244\.1\.\d+\/32$/);
    expect(result.ips[0]).toMatchObject({ gateway: '169.254.1.1', interface: 1 });
    expect(result.routes).toEqual([{ dst: '0.0.0.0/0', gw: '169.254.1.1' }]);
    const ip = address.split('/')[0]!;

    // What the result says is what the kernel has.
    const [eth0] = await lab.ipJson<IpAddr[]>(p.ns, ['addr', 'show', 'dev', 'eth0']);
    expect(eth0!.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`)).toEqual([address]);
    const podDefault = (await lab.ipJson<IpRoute[]>(p.ns, ['-4', 'route', 'show', 'default']))[0];
    expect(podDefault).toMatchObject({ gateway: '169.254.1.1', dev: 'eth0' });
    await waitFor(async () => (await hostRoutes()).find((r) => r.dst === ip && r.dev === host!.name), { timeoutMs: 5000, what: `host route ${ip} dev ${host!.name} proto 199` });
    const ping = await lab.exec(node.ns, 'ping', ['-c', '1', '-W', '2', ip], { allowFailure: true });
    if (ping.exitCode !== 0) {
      for (const [ns, args] of [[p.ns, ['link']], [p.ns, ['neigh']], [p.ns, ['route']], [node.ns, ['route']], [node.ns, ['neigh']], [node.ns, ['addr']]] as const) {
        console.error(ns, args.join(' '), (await lab.exec(ns, 'ip', [...args], { allowFailure: true })).stdout);
      }
      console.error((await lab.exec(node.ns, 'sh', ['-c', `grep . /proc/sys/net/ipv4/conf/${host!.name}/proxy_arp /proc/sys/net/ipv4/conf/${host!.name}/forwarding /proc/sys/net/ipv4/conf/*/rp_filter`], { allowFailure: true })).stdout);
    }
    expect(ping.exitCode, ping.stdout).toBe(0);

    const check = await runCni(cniEnv('CHECK', 'ctr-one', p.path), conf({ prevResult: result }));
    expect(check.exitCode, check.stdout).toBe(0);
    expect(check.stdout).toBe('');

    // Retried ADD: same answer, nothing new.
    const again = await runCni(cniEnv('ADD', 'ctr-one', p.path), conf());
    expect(again.json).toEqual(add.json);

    const del = await runCni(cniEnv('DEL', 'ctr-one', p.path), conf());
    expect(del.exitCode, del.stdout).toBe(0);
    expect(del.stdout).toBe('');
    expect(await hostLinks()).not.toContain(host!.name);
    await waitFor(async () => !(await hostRoutes()).some((r) => r.dst === ip), { timeoutMs: 5000, what: `host route ${ip} gone` });
    expect(await wren.call('podList', {})).toEqual([]);

    const delAgain = await runCni(cniEnv('DEL', 'ctr-one', p.path), conf());
    expect(delAgain.exitCode, delAgain.stdout).toBe(0);
    const checkGone = await runCni(cniEnv('CHECK', 'ctr-one', p.path), conf({ prevResult: result }));
    expect(checkGone.exitCode).not.toBe(0);
    expect(checkGone.json).toMatchObject({ code: 3 });
  });

  it('DEL of a container that was never added succeeds with no output', async () => {
    const out = await runCni(cniEnv('DEL', 'never-added', '/var/run/netns/never-added'), conf());
    expect(out.exitCode, out.stdout).toBe(0);
    expect(out.stdout).toBe('');
  });

  it('CHECK fails when the pod side was tampered with', async () => {
    const p = await pod('p2');
    const add = await runCni(cniEnv('ADD', 'ctr-two', p.path), conf());
    expect(add.exitCode, add.stdout).toBe(0);
    await lab.exec(p.ns, 'ip', ['route', 'del', 'default']);
    const check = await runCni(cniEnv('CHECK', 'ctr-two', p.path), conf({ prevResult: add.json }));
    expect(check.exitCode).not.toBe(0);
    expect(check.json).toMatchObject({ code: 110, msg: expect.stringMatching(/default route/) });
    expect((await runCni(cniEnv('DEL', 'ctr-two', p.path), conf())).exitCode).toBe(0);
  });

  it('a missing network namespace is refused with code 3 and leaves nothing behind', async () => {
    const before = { links: await hostLinks(), pods: await wren.call('podList', {}), routes: await hostRoutes() };
    const out = await runCni(cniEnv('ADD', 'ctr-ghost', '/var/run/netns/does-not-exist'), conf());
    expect(out.exitCode).not.toBe(0);
    expect(out.json).toMatchObject({ code: 3, msg: expect.stringContaining('/var/run/netns/does-not-exist') });
    expect({ links: await hostLinks(), pods: await wren.call('podList', {}), routes: await hostRoutes() }).toEqual(before);
  });

  it('GC removes the pods the runtime no longer lists; STATUS reports the daemon ready', async () => {
    const keep = await pod('keep');
    const stale = await pod('stale');
    expect((await runCni(cniEnv('ADD', 'ctr-keep', keep.path), conf())).exitCode).toBe(0);
    const staleAdd = await runCni(cniEnv('ADD', 'ctr-stale', stale.path), conf());
    expect(staleAdd.exitCode).toBe(0);
    const staleHost = (staleAdd.json as unknown as AddResult).interfaces[0]!.name;

    const gc = await runCni({ CNI_COMMAND: 'GC', CNI_PATH: '/opt/cni/bin' }, conf({ 'cni.dev/valid-attachments': [{ containerID: 'ctr-keep', ifname: 'eth0' }] }));
    expect(gc.exitCode, gc.stdout).toBe(0);
    expect((await wren.call('podList', {})).map((x) => x.id)).toEqual(['cni/k8s-pod-network/ctr-keep/eth0']);
    expect(await hostLinks()).not.toContain(staleHost);

    const status = await runCni({ CNI_COMMAND: 'STATUS', CNI_PATH: '/opt/cni/bin' }, conf());
    expect(status.exitCode, status.stdout).toBe(0);
    expect((await runCni(cniEnv('DEL', 'ctr-keep', keep.path), conf())).exitCode).toBe(0);
  });
});
