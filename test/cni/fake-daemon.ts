// A stand-in wren daemon for the plugin's tests: the real control socket server
// (src/api/server.ts) with pod handlers that keep pods in a Map. It follows the control API's
// contract (idempotent add and delete, the documented error codes) without touching the kernel;
// test/cni/cni-e2e.test.ts runs the plugin against the real daemon.
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { ApiRequestError, ControlServer } from '../../src/api/server.js';
import type { ApiMethods, PodInfo } from '../../src/api/types.js';

export interface FakeCall {
  method: string;
  params: unknown;
}

export class FakeDaemon {
  readonly pods = new Map<string, PodInfo>();
  readonly calls: FakeCall[] = [];
  /** when set, every pod method fails with this daemon error code */
  failWith: { code: string; message: string } | null = null;
  /** podCheck reports these problems for every pod */
  checkProblems: string[] = [];
  private next = 2;
  private readonly server: ControlServer;

  constructor(readonly socketPath: string) {
    const pod = <T>(method: string, params: unknown, fn: () => T): T => {
      this.calls.push({ method, params });
      if (this.failWith) throw new ApiRequestError(this.failWith.code, this.failWith.message);
      return fn();
    };
    this.server = new ControlServer(socketPath, {
      status: () => ({
        daemon: { version: 'fake', routerId: '10.0.0.1', asn: 65000, pid: process.pid, startedAt: new Date().toISOString(), configFile: '/dev/null' },
        peers: [],
      }),
      neighbors: () => [],
      routes: () => [],
      podAdd: (p) => pod('podAdd', p, () => this.add(p)),
      podDel: (p) => pod('podDel', p, () => ({ id: p.id, deleted: this.pods.delete(p.id) })),
      podList: (p) => pod('podList', p, () => [...this.pods.values()]),
      podGet: (p) => pod('podGet', p, () => this.get(p.id)),
      podCheck: (p) => pod('podCheck', p, () => ({ id: this.get(p.id).id, problems: this.checkProblems })),
    });
  }

  listen(): Promise<void> {
    return this.server.listen();
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** A pod as `wren pod add` would have made it, bypassing the plugin. */
  seed(id: string, netns = '/run/netns/seeded'): PodInfo {
    return this.add({ id, netns, ifname: 'eth0' });
  }

  private get(id: string): PodInfo {
    const p = this.pods.get(id);
    if (!p) throw new ApiRequestError('unknown-pod', `no pod ${id}`);
    return p;
  }

  private add(p: ApiMethods['podAdd']['params']): ApiMethods['podAdd']['result'] {
    const existing = this.pods.get(p.id);
    if (existing) return { ...existing, created: false };
    if (!p.netns.startsWith('/run/netns/seeded') && !existsSync(p.netns)) throw new ApiRequestError('netns-missing', `network namespace ${p.netns} does not exist`);
    let ip: string;
    if (p.ip !== undefined) {
      if (!p.ip.startsWith('10.244.1.')) throw new ApiRequestError('address-outside-pool', `${p.ip} is outside the pod pool 10.244.1.0/24`);
      if ([...this.pods.values()].some((x) => x.ipv4 === p.ip)) throw new ApiRequestError('address-in-use', `${p.ip} is already used by another pod`);
      ip = p.ip;
    } else {
      ip = `10.244.1.${this.next++}`;
    }
    const h = createHash('sha256').update(p.id).digest('hex');
    const info: PodInfo = {
      id: p.id,
      netns: p.netns,
      ifname: p.ifname ?? 'eth0',
      hostIfname: `wrn${h.slice(0, 11)}`,
      ipv4: ip,
      ipv6: null,
      mac: `02:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}:${h.slice(6, 8)}:01`,
      hostMac: 'ee:ee:ee:ee:ee:ee',
      createdAt: new Date().toISOString(),
    };
    this.pods.set(p.id, info);
    return { ...info, created: true };
  }
}
