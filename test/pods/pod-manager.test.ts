// The pod manager's all-or-nothing add, against a kernel model that fails on demand: whatever
// step fails, the veth, the address and the local route are gone afterwards, and the error
// names the step and the errno.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PodStepError, type PodAddresses, type PodLinkInfo, type PodNetPort, type PodSideState, type PodVethSpec } from '../../src/kernel/pod-net.js';
import { LocalPool } from '../../src/pods/local-pool.js';
import { PodManager, type PodRouteSink } from '../../src/pods/pod-manager.js';
import { PodStore } from '../../src/pods/pod-store.js';
import type { LocalKernelTarget } from '../../src/speaker/route-engine.js';

type Step = 'createVeth' | 'configurePodSide' | 'configureHostSide';

/** An in-memory kernel: links by host name, each with its pod side. */
class FakeKernel implements PodNetPort {
  readonly links = new Map<string, { spec: PodVethSpec; ifindex: number; ipv4?: string; up: boolean }>();
  failAt: { step: Step; errno: string } | null = null;
  private nextIndex = 10;

  private maybeFail(step: Step): void {
    if (this.failAt?.step === step) throw new PodStepError(step === 'createVeth' ? 'veth' : step === 'configurePodSide' ? 'pod-side' : 'host-side', this.failAt.errno, `injected failure in ${step}`);
  }

  async createVeth(spec: PodVethSpec): Promise<PodLinkInfo> {
    this.maybeFail('createVeth');
    if (this.links.has(spec.hostIfname)) throw new PodStepError('veth', 'EEXIST', 'exists');
    const ifindex = this.nextIndex++;
    this.links.set(spec.hostIfname, { spec, ifindex, up: false });
    return { ifindex, mac: '02:00:00:00:00:01', up: false };
  }

  async configurePodSide(spec: PodVethSpec, addrs: PodAddresses): Promise<PodLinkInfo> {
    this.maybeFail('configurePodSide');
    this.links.get(spec.hostIfname)!.ipv4 = addrs.ipv4 ?? undefined;
    return { ifindex: 2, mac: '02:00:00:00:00:02', up: true };
  }

  async configureHostSide(hostIfname: string): Promise<void> {
    this.maybeFail('configureHostSide');
    this.links.get(hostIfname)!.up = true;
  }

  async deleteVeth(hostIfname: string): Promise<boolean> {
    return this.links.delete(hostIfname);
  }

  async hostLink(hostIfname: string): Promise<PodLinkInfo | null> {
    const l = this.links.get(hostIfname);
    return l ? { ifindex: l.ifindex, mac: '02:00:00:00:00:01', up: l.up } : null;
  }

  async podSide(spec: PodVethSpec): Promise<PodSideState | null> {
    const l = this.links.get(spec.hostIfname);
    return l ? { ifindex: 2, mac: '02:00:00:00:00:02', up: true, addresses: l.ipv4 ? [`${l.ipv4}/32`] : [], defaultRoute: true, defaultRoute6: false } : null;
  }

  close(): void {}
}

class Routes implements PodRouteSink {
  readonly local = new Map<string, { target: LocalKernelTarget | null; advertise: boolean }>();
  installErrno: string | null = null;
  async installed(): Promise<string | null> {
    return this.installErrno;
  }
  setLocalRoute(prefix: string, target: LocalKernelTarget | null, opts: { advertise: boolean }): void {
    this.local.set(prefix, { target, advertise: opts.advertise });
  }
  removeLocalRoute(prefix: string): void {
    this.local.delete(prefix);
  }
}

describe('pod manager', () => {
  let dir: string;
  let kernel: FakeKernel;
  let routes: Routes;
  let store: PodStore;
  const netns = '/proc/self/ns/net'; // any existing path: the fake kernel never opens it

  const manager = (pool = new LocalPool('10.244.1.0/24', false)): PodManager =>
    new PodManager({
      net: kernel,
      addresses: pool,
      routes,
      store,
      logger: pino({ level: 'silent' }),
      sysctls: { proxyArp: true, forwarding: true, rpFilter: null },
      ifPrefix: 'wren',
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wren-pods-'));
    kernel = new FakeKernel();
    routes = new Routes();
    store = new PodStore(join(dir, 'pods.json'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const [step, errno] of [['createVeth', 'EEXIST'], ['configurePodSide', 'ENODEV'], ['configureHostSide', 'EPERM']] as const) {
    it(`leaves no residue when ${step} fails with ${errno}, and the address is free again`, async () => {
      const m = manager();
      kernel.failAt = { step, errno };
      const err = (await m.add({ id: "p1", netns }).then(() => new Error("no failure"), (e: unknown) => e)) as Error & { code: string };
      expect(err).toMatchObject({ code: 'kernel' });
      expect(err.message).toContain(errno);
      expect(err.message).toMatch(/^(veth|pod-side|host-side): /);
      expect(kernel.links.size).toBe(0);
      expect(routes.local.size).toBe(0);
      expect(m.list()).toEqual([]);
      expect(store.load().pods).toEqual([]);
      kernel.failAt = null;
      const ok = await m.add({ id: 'p1', netns, ip: '10.244.1.1' });
      expect(ok.ipv4).toBe('10.244.1.1');
    });
  }

  it("logs an add's time by step, so a slow CNI ADD shows where it waited", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const m = new PodManager({
      net: kernel,
      addresses: new LocalPool('10.244.1.0/24', false),
      routes,
      store,
      logger: pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) }),
      sysctls: { proxyArp: true, forwarding: true, rpFilter: null },
      ifPrefix: 'wren',
    });
    await m.add({ id: 'p1', netns });
    const added = lines.find((l) => l.event === 'pod.added');
    const ms = added?.ms as Record<string, number>;
    expect(Object.keys(ms)).toEqual(['address', 'veth', 'podSide', 'hostSide', 'routes', 'save', 'total']);
    const steps = Object.entries(ms).filter(([k]) => k !== 'total').reduce((n, [, v]) => n + v, 0);
    expect(Math.abs(ms.total! - steps)).toBeLessThanOrEqual(6); // each step rounded to a ms
  });

  it('undoes everything when the kernel refuses the host route, naming the step', async () => {
    const m = manager();
    routes.installErrno = 'ENETDOWN';
    await expect(m.add({ id: 'p1', netns })).rejects.toMatchObject({ code: 'kernel', message: expect.stringMatching(/^host-route: .*\(ENETDOWN\)/) as unknown });
    expect(kernel.links.size).toBe(0);
    expect(routes.local.size).toBe(0);
    expect(store.load().pods).toEqual([]);
  });

  it('publishes a wired pod as an advertised device route, kernel-only inside an aggregate', async () => {
    const m = manager();
    const p = await m.add({ id: 'p1', netns });
    expect(routes.local.get(`${p.ipv4}/32`)).toEqual({ target: { device: 10 }, advertise: true });
    const agg = manager(new LocalPool('10.245.0.0/24', true));
    const q = await agg.add({ id: 'q1', netns });
    expect(routes.local.get(`${q.ipv4}/32`)?.advertise).toBe(false);
  });

  it('serialises concurrent adds: distinct addresses, distinct interfaces', async () => {
    const m = manager();
    const all = await Promise.all(Array.from({ length: 20 }, (_, i) => m.add({ id: `pod-${i}`, netns })));
    expect(new Set(all.map((p) => p.ipv4)).size).toBe(20);
    expect(new Set(all.map((p) => p.hostIfname)).size).toBe(20);
    expect(kernel.links.size).toBe(20);
  });

  it('restores pods from the state file, dropping those whose interface vanished', async () => {
    const m = manager();
    await m.add({ id: 'keep', netns });
    const gone = await m.add({ id: 'gone', netns });
    kernel.links.delete(gone.hostIfname);
    routes.local.clear();
    const pool = new LocalPool('10.244.1.0/24', false);
    const again = manager(pool);
    await again.start();
    expect(again.list().map((p) => p.id)).toEqual(['keep']);
    expect([...routes.local.keys()]).toEqual(['10.244.1.1/32']);
    expect(store.load().pods.map((p) => p.id)).toEqual(['keep']);
    // the kept address is not handed out again
    await expect(again.add({ id: 'x', netns, ip: '10.244.1.1' })).rejects.toMatchObject({ code: 'address-in-use' });
  });

  it('rejects bad requests with the field named', async () => {
    const m = manager();
    await expect(m.add({ id: '', netns })).rejects.toThrow(/pod id/);
    await expect(m.add({ id: 'a', netns: 'relative/path' })).rejects.toThrow(/absolute path/);
    await expect(m.add({ id: 'a', netns, ifname: 'a/b' })).rejects.toThrow(/ifname/);
    await expect(m.add({ id: 'a', netns, ip: 'not-an-ip' })).rejects.toThrow(/not an IPv4 address/);
    await m.add({ id: 'a', netns });
    await expect(m.add({ id: 'a', netns, ifname: 'eth1' })).rejects.toMatchObject({ code: 'pod-conflict' });
  });
});
