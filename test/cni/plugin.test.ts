// wren-cni run as a container runtime runs it (environment + stdin, JSON on stdout), against a
// stand-in daemon on a real control socket. The real daemon is in cni-e2e.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from './fake-daemon.js';
import { cniEnv, netConf, runCni } from './helpers.js';

let dir: string;
let daemon: FakeDaemon;
let sock: string;
/** a file standing in for a network namespace: the fake daemon only checks it exists */
let netns: string;
const absent = (): string => join(dir, 'no-such-daemon.sock');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wren-cni-'));
  sock = join(dir, 'wren.sock');
  netns = join(dir, 'netns-a');
  writeFileSync(netns, '');
  daemon = new FakeDaemon(sock);
  await daemon.listen();
});
afterAll(async () => {
  await daemon?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  daemon.pods.clear();
  daemon.calls.length = 0;
  daemon.failWith = null;
  daemon.checkProblems = [];
});

function expectError(out: Awaited<ReturnType<typeof runCni>>, code: number, msg: RegExp): void {
  expect(out.exitCode, out.stdout + out.stderr).not.toBe(0);
  expect(out.json).toMatchObject({ code, msg: expect.stringMatching(msg) });
  expect(typeof out.json?.cniVersion).toBe('string');
}

describe('VERSION', () => {
  it('lists the supported spec versions and echoes the requested one', async () => {
    const out = await runCni({ CNI_COMMAND: 'VERSION' }, { cniVersion: '1.0.0' });
    expect(out.exitCode).toBe(0);
    expect(out.json).toEqual({ cniVersion: '1.0.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
  });

  it('answers with no input at all', async () => {
    const out = await runCni({ CNI_COMMAND: 'VERSION' });
    expect(out.exitCode).toBe(0);
    expect(out.json).toMatchObject({ cniVersion: '1.1.0', supportedVersions: expect.arrayContaining(['1.0.0']) });
  });
});

describe('bad input', () => {
  it('fails with code 4 naming CNI_COMMAND when it is missing or unknown', async () => {
    expectError(await runCni({}, netConf(sock)), 4, /CNI_COMMAND is missing/);
    expectError(await runCni({ CNI_COMMAND: 'ATTACH' }, netConf(sock)), 4, /CNI_COMMAND "ATTACH" is not a CNI command/);
  });

  it('fails with code 4 naming every missing or malformed variable', async () => {
    const out = await runCni({ CNI_COMMAND: 'ADD', CNI_NETNS: netns, CNI_IFNAME: 'eth0:1', CNI_PATH: '/opt/cni/bin' }, netConf(sock));
    expectError(out, 4, /CNI_CONTAINERID is missing/);
    expect(out.json?.msg).toMatch(/CNI_IFNAME "eth0:1" must not contain/);
    expectError(await runCni(cniEnv('ADD', '-bad', netns), netConf(sock)), 4, /CNI_CONTAINERID "-bad" must start with a letter or digit/);
    expectError(await runCni(cniEnv('ADD', 'c1', 'relative/ns'), netConf(sock)), 4, /CNI_NETNS "relative\/ns" must be an absolute path/);
    expectError(await runCni(cniEnv('ADD', 'c1', netns, 'eth0', { CNI_ARGS: 'IP=10.244.1.300' }), netConf(sock)), 4, /CNI_ARGS IP=10\.244\.1\.300 is not an IPv4 or IPv6 address/);
    expect(daemon.calls).toEqual([]);
  });

  it('fails with code 6 when stdin is not JSON or is empty', async () => {
    expectError(await runCni(cniEnv('ADD', 'c1', netns), '{"cniVersion": "1.0.0",'), 6, /network config on stdin is not valid JSON/);
    expectError(await runCni(cniEnv('ADD', 'c1', netns), ''), 6, /network config on stdin is empty/);
  });

  it('fails with code 7 naming a config field with a wrong value', async () => {
    expectError(await runCni(cniEnv('ADD', 'c1', netns), netConf(sock, { timeoutMs: 'fast' })), 7, /timeoutMs must be an integer from 1 to 300000 \(got "fast"\)/);
    expectError(await runCni(cniEnv('ADD', 'c1', netns), netConf('wren.sock')), 7, /controlSocket must be an absolute path/);
    expectError(await runCni(cniEnv('ADD', 'c1', netns), netConf(sock, { name: 'pod network' })), 7, /name must be a string of letters/);
    expectError(await runCni(cniEnv('ADD', 'c1', netns), netConf(sock, { dns: { nameservers: '10.96.0.10' } })), 7, /dns\.nameservers must be an array of strings/);
    expectError(await runCni(cniEnv('ADD', 'c1', netns), { name: 'n', type: 'wren-cni' }), 7, /cniVersion is required/);
    expect(daemon.calls).toEqual([]);
  });

  it('fails with code 2 naming an unsupported field and its value', async () => {
    expectError(await runCni(cniEnv('ADD', 'c1', netns), netConf(sock, { controlSockt: '/x.sock' })), 2, /unsupported field in network config: "controlSockt": "\/x\.sock"/);
    const ipam = await runCni(cniEnv('ADD', 'c1', netns), netConf(sock, { ipam: { type: 'host-local' } }));
    expectError(ipam, 2, /"ipam": \{"type":"host-local"\}/);
    expect(ipam.json?.details).toMatch(/allocates pod addresses itself/);
  });

  it('fails with code 1 for a cniVersion it does not speak, echoing a supported one', async () => {
    const out = await runCni(cniEnv('ADD', 'c1', netns), netConf(sock, { cniVersion: '0.2.0' }));
    expectError(out, 1, /incompatible CNI versions: config is 0\.2\.0, wren-cni supports 0\.3\.0, 0\.3\.1, 0\.4\.0, 1\.0\.0, 1\.1\.0/);
    expectError(await runCni(cniEnv('ADD', 'c1', netns), netConf(sock, { cniVersion: '2.0.0' })), 1, /config is 2\.0\.0/);
  });
});

describe('daemon unreachable', () => {
  it('ADD fails with code 11 (try again later) naming the socket', async () => {
    const out = await runCni(cniEnv('ADD', 'c1', netns), netConf(absent()));
    expectError(out, 11, /cannot reach the wren daemon at .*no-such-daemon\.sock \(ENOENT\)/);
  });

  it('DEL fails with code 11 too, so the runtime retries instead of leaking the pod', async () => {
    expectError(await runCni(cniEnv('DEL', 'c1', netns), netConf(absent())), 11, /cannot reach the wren daemon/);
  });

  it('a daemon that never answers is code 11 after timeoutMs', async () => {
    const mute: Server = createServer(() => undefined);
    const path = join(dir, 'mute.sock');
    await new Promise<void>((r) => mute.listen(path, r));
    try {
      const started = Date.now();
      const out = await runCni(cniEnv('ADD', 'c1', netns), netConf(path, { timeoutMs: 300 }));
      expectError(out, 11, /no answer within 300 ms/);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      mute.close();
    }
  });

  it('a daemon that answers garbage still yields error JSON, not a crash', async () => {
    const liar: Server = createServer((s) => s.on('data', () => s.end('this is not json\n')));
    const path = join(dir, 'liar.sock');
    await new Promise<void>((r) => liar.listen(path, r));
    try {
      const out = await runCni(cniEnv('ADD', 'c1', netns), netConf(path));
      expectError(out, 100, /internal error: .*JSON/);
    } finally {
      liar.close();
    }
  });
});

describe('ADD', () => {
  it('asks the daemon to wire the attachment and prints the spec result', async () => {
    const out = await runCni(cniEnv('ADD', 'ctr1', netns), netConf(sock));
    expect(out.exitCode, out.stdout).toBe(0);
    expect(daemon.calls).toEqual([{ method: 'podAdd', params: { id: 'cni/k8s-pod-network/ctr1/eth0', netns, ifname: 'eth0' } }]);
    const pod = daemon.pods.get('cni/k8s-pod-network/ctr1/eth0')!;
    expect(out.json).toEqual({
      cniVersion: '1.0.0',
      interfaces: [
        { name: pod.hostIfname, mac: 'ee:ee:ee:ee:ee:ee' },
        { name: 'eth0', mac: pod.mac, sandbox: netns },
      ],
      ips: [{ address: `${pod.ipv4}/32`, gateway: '169.254.1.1', interface: 1 }],
      routes: [{ dst: '0.0.0.0/0', gw: '169.254.1.1' }],
      dns: {},
    });
  });

  it('passes the address from CNI_ARGS IP= and maps the daemon refusals to documented codes', async () => {
    const env = (id: string, ip: string): Record<string, string> => cniEnv('ADD', id, netns, 'eth0', { CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAME=web-0;IP=${ip}` });
    const ok = await runCni(env('a', '10.244.1.77'), netConf(sock));
    expect(ok.exitCode, ok.stdout).toBe(0);
    expect((ok.json?.ips as { address: string }[])[0]!.address).toBe('10.244.1.77/32');
    const inUse = await runCni(env('b', '10.244.1.77'), netConf(sock));
    expectError(inUse, 102, /wren daemon podAdd: 10\.244\.1\.77 is already used by another pod/);
    expect(inUse.json?.details).toBe('daemon error code "address-in-use"');
    expectError(await runCni(env('c', '192.0.2.1'), netConf(sock)), 103, /outside the pod pool/);
  });

  it('maps a missing network namespace to code 3 and a daemon without pods to 106', async () => {
    expectError(await runCni(cniEnv('ADD', 'c1', join(dir, 'gone')), netConf(sock)), 3, /network namespace .*gone does not exist/);
    daemon.failWith = { code: 'pods-unavailable', message: 'pod wiring is not enabled' };
    expectError(await runCni(cniEnv('ADD', 'c1', netns), netConf(sock)), 106, /pod wiring is not enabled/);
    daemon.failWith = { code: 'ipam-unavailable', message: 'etcd is unreachable' };
    expectError(await runCni(cniEnv('ADD', 'c1', netns), netConf(sock)), 11, /etcd is unreachable/);
  });

  it('answers a repeated ADD with the same result, and refuses one with different wiring', async () => {
    const first = await runCni(cniEnv('ADD', 'ctr1', netns), netConf(sock));
    const again = await runCni(cniEnv('ADD', 'ctr1', netns), netConf(sock));
    expect(again.exitCode).toBe(0);
    expect(again.json).toEqual(first.json);
    const other = join(dir, 'netns-b');
    writeFileSync(other, '');
    expectError(await runCni(cniEnv('ADD', 'ctr1', other), netConf(sock)), 109, /already exists with different wiring: netns is .*netns-a/);
    expect(daemon.pods.size).toBe(1);
  });

  it('keeps attachments of one container on two interfaces apart', async () => {
    await runCni(cniEnv('ADD', 'ctr1', netns, 'eth0'), netConf(sock));
    await runCni(cniEnv('ADD', 'ctr1', netns, 'net1'), netConf(sock));
    expect([...daemon.pods.keys()].sort()).toEqual(['cni/k8s-pod-network/ctr1/eth0', 'cni/k8s-pod-network/ctr1/net1']);
  });

  it('speaks 0.3.1 and 0.4.0 results (IPs carry a version) and echoes the configured dns', async () => {
    const dns = { nameservers: ['10.96.0.10'], search: ['svc.cluster.local'] };
    const out = await runCni(cniEnv('ADD', 'old', netns), netConf(sock, { cniVersion: '0.3.1', dns }));
    expect(out.exitCode, out.stdout).toBe(0);
    expect(out.json).toMatchObject({ cniVersion: '0.3.1', ips: [{ version: '4', interface: 1 }], dns });
  });

  it('passes a previous plugin result through when chained, with interface indexes shifted', async () => {
    const prevResult = {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'dummy0' }],
      ips: [{ address: '192.0.2.5/24', interface: 0 }],
      routes: [{ dst: '192.0.2.0/24' }],
      dns: { nameservers: ['192.0.2.53'] },
    };
    const out = await runCni(cniEnv('ADD', 'chained', netns), netConf(sock, { prevResult }));
    expect(out.exitCode, out.stdout).toBe(0);
    expect(out.json).toMatchObject({
      interfaces: [{ name: 'dummy0' }, { name: expect.stringMatching(/^wrn/) }, { name: 'eth0', sandbox: netns }],
      ips: [{ address: '192.0.2.5/24', interface: 0 }, { gateway: '169.254.1.1', interface: 2 }],
      routes: [{ dst: '192.0.2.0/24' }, { dst: '0.0.0.0/0', gw: '169.254.1.1' }],
      dns: { nameservers: ['192.0.2.53'] },
    });
  });
});

describe('DEL', () => {
  it('succeeds with no output for a container that was never added', async () => {
    const out = await runCni(cniEnv('DEL', 'never-added', netns), netConf(sock));
    expect(out.exitCode, out.stdout).toBe(0);
    expect(out.stdout).toBe('');
    expect(daemon.calls).toEqual([{ method: 'podDel', params: { id: 'cni/k8s-pod-network/never-added/eth0' } }]);
  });

  it('removes the pod, also without CNI_NETNS, and a second DEL still succeeds', async () => {
    await runCni(cniEnv('ADD', 'ctr1', netns), netConf(sock));
    expect(daemon.pods.size).toBe(1);
    const out = await runCni(cniEnv('DEL', 'ctr1', null), netConf(sock));
    expect(out.exitCode, out.stdout).toBe(0);
    expect(out.stdout).toBe('');
    expect(daemon.pods.size).toBe(0);
    expect((await runCni(cniEnv('DEL', 'ctr1', null), netConf(sock))).exitCode).toBe(0);
  });
});

describe('CHECK', () => {
  it('passes for a pod wired as its ADD result says', async () => {
    const add = await runCni(cniEnv('ADD', 'ctr1', netns), netConf(sock));
    const out = await runCni(cniEnv('CHECK', 'ctr1', netns), netConf(sock, { prevResult: add.json }));
    expect(out.exitCode, out.stdout).toBe(0);
    expect(out.stdout).toBe('');
    expect(daemon.calls.map((c) => c.method)).toEqual(['podAdd', 'podGet', 'podCheck']);
  });

  it('fails with code 110 listing what the daemon found wrong or prevResult disagrees with', async () => {
    const add = await runCni(cniEnv('ADD', 'ctr1', netns), netConf(sock));
    const address = `${daemon.pods.get('cni/k8s-pod-network/ctr1/eth0')!.ipv4}/32`;
    daemon.checkProblems = [`route ${address} missing from the kernel`];
    const out = await runCni(cniEnv('CHECK', 'ctr1', netns), netConf(sock, { prevResult: add.json }));
    expectError(out, 110, new RegExp(`not wired as expected: route ${address} missing from the kernel`));
    daemon.checkProblems = [];
    const wrongIp = { ...add.json, ips: [{ address: '10.244.1.99/32', gateway: '169.254.1.1', interface: 1 }] };
    expectError(await runCni(cniEnv('CHECK', 'ctr1', netns), netConf(sock, { prevResult: wrongIp })), 110, new RegExp(`prevResult does not list the pod's address ${address}`));
  });

  it('fails with code 3 for an unknown attachment, 7 without prevResult, 1 for pre-0.4.0 configs', async () => {
    const prevResult = { cniVersion: '1.0.0', interfaces: [], ips: [] };
    expectError(await runCni(cniEnv('CHECK', 'nope', netns), netConf(sock, { prevResult })), 3, /no pod cni\/k8s-pod-network\/nope\/eth0/);
    expectError(await runCni(cniEnv('CHECK', 'nope', netns), netConf(sock)), 7, /prevResult is required for CHECK/);
    expectError(await runCni(cniEnv('CHECK', 'nope', netns), netConf(sock, { cniVersion: '0.3.1', prevResult })), 1, /config version 0\.3\.1 does not allow CHECK/);
    expectError(await runCni(cniEnv('CHECK', 'nope', netns), netConf(sock, { prevResult: { ips: [{ address: 5 }] } })), 7, /prevResult\.ips\[0\]\.address must be a string/);
  });
});

describe('GC and STATUS (CNI 1.1)', () => {
  it('GC deletes only this network\'s CNI pods that are no longer valid', async () => {
    for (const [id, ifname] of [['keep', 'eth0'], ['stale', 'eth0'], ['keep', 'net1']]) {
      expect((await runCni(cniEnv('ADD', id!, netns, ifname), netConf(sock, { cniVersion: '1.1.0' }))).exitCode).toBe(0);
    }
    daemon.seed('manual-pod'); // made by `wren pod add`
    daemon.seed('cni/other-network/stale/eth0');
    const conf = netConf(sock, { cniVersion: '1.1.0', 'cni.dev/valid-attachments': [{ containerID: 'keep', ifname: 'eth0' }, { containerID: 'keep', ifname: 'net1' }] });
    const out = await runCni({ CNI_COMMAND: 'GC', CNI_PATH: '/opt/cni/bin' }, conf);
    expect(out.exitCode, out.stdout).toBe(0);
    expect(out.stdout).toBe('');
    expect([...daemon.pods.keys()].sort()).toEqual(['cni/k8s-pod-network/keep/eth0', 'cni/k8s-pod-network/keep/net1', 'cni/other-network/stale/eth0', 'manual-pod']);
  });

  it('GC needs a 1.1.0 config and the valid attachments list', async () => {
    expectError(await runCni({ CNI_COMMAND: 'GC' }, netConf(sock, { 'cni.dev/valid-attachments': [] })), 1, /config version 1\.0\.0 does not allow GC/);
    expectError(await runCni({ CNI_COMMAND: 'GC' }, netConf(sock, { cniVersion: '1.1.0' })), 7, /cni\.dev\/valid-attachments is required for GC/);
    expect(daemon.calls).toEqual([]);
  });

  it('STATUS succeeds when the daemon answers and is code 50 when it does not', async () => {
    const up = await runCni({ CNI_COMMAND: 'STATUS', CNI_PATH: '/opt/cni/bin' }, netConf(sock, { cniVersion: '1.1.0' }));
    expect(up.exitCode, up.stdout).toBe(0);
    expect(up.stdout).toBe('');
    const down = await runCni({ CNI_COMMAND: 'STATUS' }, netConf(absent(), { cniVersion: '1.1.0' }));
    expectError(down, 50, /plugin not available: cannot reach the wren daemon/);
    expect(down.json?.cniVersion).toBe('1.1.0');
  });
});
