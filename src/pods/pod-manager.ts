// Pods on this node: wiring (through a PodNetPort), addresses (through a PodAddressSource),
// local routes (through the route engine), and the state file. Every mutation runs alone, in
// arrival order. An add is all or nothing: a failure undoes every step already done and the
// error names the step and the errno.
import { existsSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import type { PodCheckResult, PodInfo } from '../api/types.js';
import type { LocalKernelTarget } from '../speaker/route-engine.js';
import { PodStepError, type HostSysctls, type PodAddresses, type PodNetPort, type PodVethSpec } from '../kernel/pod-net.js';
import type { PodAddressSource } from './address-source.js';
import { PodError } from './errors.js';
import { hostIfname, ifnameProblem } from './host-ifname.js';
import type { PodState, PodStore } from './pod-store.js';

export interface PodRouteSink {
  setLocalRoute(prefix: string, target: LocalKernelTarget | null, opts: { advertise: boolean }): void;
  removeLocalRoute(prefix: string): void;
  /** Waits for the kernel route of a local prefix: null when installed, else the errno name. */
  installed?(prefix: string): Promise<string | null>;
}

export interface PodManagerInit {
  net: PodNetPort;
  addresses: PodAddressSource;
  routes: PodRouteSink;
  store: PodStore;
  logger: Logger;
  sysctls: HostSysctls;
  /** host veth name prefix */
  ifPrefix: string;
  /** extra state saved with the pods (the local pool's cursor) */
  extraState?: () => Omit<PodState, 'version' | 'pods'>;
}

export interface PodAddRequest {
  id: string;
  netns: string;
  ip?: string;
  ifname?: string;
}

const ID_MAX = 256;

function addressesOf(pod: PodInfo): PodAddresses {
  return { ipv4: pod.ipv4, ipv6: pod.ipv6 };
}

/** The pod's host routes: its /32 and /128. */
function hostPrefixes(a: PodAddresses): string[] {
  return [...(a.ipv4 !== null ? [`${a.ipv4}/32`] : []), ...(a.ipv6 !== null ? [`${a.ipv6}/128`] : [])];
}

function checkId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0) throw new PodError('bad-request', 'pod id must be a non-empty string');
  if (id.length > ID_MAX) throw new PodError('bad-request', `pod id is longer than ${ID_MAX} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(id)) throw new PodError('bad-request', 'pod id must not contain control characters');
  return id;
}

export class PodManager {
  private readonly pods = new Map<string, PodInfo>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: PodManagerInit) {}

  /** Rebuilds the pods of a previous run from the state file and the kernel. */
  async start(): Promise<void> {
    const state = this.o.store.load();
    let dropped = 0;
    for (const pod of state.pods) {
      const link = await this.o.net.hostLink(pod.hostIfname);
      if (!link) {
        // The veth went away while we were down (the pod's namespace was deleted): forget it.
        dropped++;
        this.o.logger.warn({ event: 'pod.gone', pod: pod.id, hostIfname: pod.hostIfname }, 'pod interface gone while the daemon was down; releasing it');
        continue;
      }
      this.pods.set(pod.id, pod);
      const addrs = addressesOf(pod);
      this.o.addresses.adopt(pod.id, addrs);
      for (const a of hostPrefixes(addrs)) this.publish(a, link.ifindex);
    }
    if (dropped > 0) await this.save();
    this.o.logger.info({ event: 'pods.restored', pods: this.pods.size, dropped }, 'pods restored');
  }

  /** Host routes of the pods: "10.244.1.5/32" or "fd00::5/128" → the host veth's ifindex. */
  private readonly published = new Map<string, number>();

  private publish(prefix: string, ifindex: number): void {
    this.published.set(prefix, ifindex);
    this.o.routes.setLocalRoute(prefix, { device: ifindex }, { advertise: !this.o.addresses.aggregated(prefix.slice(0, prefix.indexOf('/'))) });
  }

  private unpublish(prefix: string): void {
    this.published.delete(prefix);
    this.o.routes.removeLocalRoute(prefix);
  }

  /** Recomputes which pod routes are advertised (a block covering them was confirmed or released). */
  republish(): void {
    for (const [prefix, ifindex] of this.published) this.publish(prefix, ifindex);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private save(): Promise<void> {
    return this.o.store.save({ version: 1, pods: [...this.pods.values()], ...(this.o.extraState?.() ?? {}) });
  }

  /**
   * Runs `fn` with pod `id`'s addresses in the pod queue, so no add or delete runs meanwhile;
   * undefined (and `fn` not run) when the pod is gone by then.
   */
  withPod<T>(id: string, fn: (addrs: PodAddresses) => Promise<T>): Promise<T | undefined> {
    return this.serial(async () => {
      const pod = this.pods.get(id);
      return pod === undefined ? undefined : fn(addressesOf(pod));
    });
  }

  list(): PodInfo[] {
    return [...this.pods.values()];
  }

  get(id: string): PodInfo {
    const pod = this.pods.get(checkId(id));
    if (!pod) throw new PodError('unknown-pod', `no pod with id ${JSON.stringify(id)}`);
    return pod;
  }

  add(req: PodAddRequest): Promise<PodInfo & { created: boolean }> {
    return this.serial(() => this.addNow(req));
  }

  private async addNow(req: PodAddRequest): Promise<PodInfo & { created: boolean }> {
    const id = checkId(req.id);
    if (typeof req.netns !== 'string' || !req.netns.startsWith('/')) throw new PodError('bad-request', 'netns must be an absolute path (e.g. /var/run/netns/pod1)');
    const ifname = req.ifname ?? 'eth0';
    const bad = ifnameProblem(ifname);
    if (bad) throw new PodError('bad-request', `ifname "${ifname}" ${bad}`);
    if (!existsSync(req.netns)) throw new PodError('netns-missing', `network namespace ${req.netns} does not exist`);
    const existing = this.pods.get(id);
    if (existing) {
      if (existing.netns !== req.netns || existing.ifname !== ifname || (req.ip !== undefined && req.ip !== existing.ipv4 && req.ip !== existing.ipv6)) {
        throw new PodError('pod-conflict', `pod ${id} exists with netns ${existing.netns}, ifname ${existing.ifname}, ip ${[existing.ipv4, existing.ipv6].filter(Boolean).join(', ') || '-'}; delete it first`);
      }
      return { ...existing, created: false };
    }
    const spec: PodVethSpec = { hostIfname: hostIfname(this.o.ifPrefix, id), ifname, netns: req.netns };
    const clash = [...this.pods.values()].find((p) => p.hostIfname === spec.hostIfname);
    if (clash) throw new PodError('pod-conflict', `host interface name ${spec.hostIfname} is taken by pod ${clash.id}`);

    const undo: (() => Promise<unknown>)[] = [];
    // Where an add's time goes (logged with pod.added): the address, the veth, the two sides, the routes.
    const t0 = performance.now();
    const ms: Record<string, number> = {};
    let mark = t0;
    const lap = (what: string): void => {
      const now = performance.now();
      ms[what] = Math.round(now - mark);
      mark = now;
    };
    try {
      const requested = req.ip === undefined ? {} : isIPv6(req.ip) ? { ipv6: req.ip } : { ipv4: req.ip };
      const addrs = await this.o.addresses.assign(id, requested);
      lap('address');
      undo.push(() => this.o.addresses.release(id, addrs));
      const host = await this.o.net.createVeth(spec);
      lap('veth');
      undo.push(() => this.o.net.deleteVeth(spec.hostIfname));
      const pod = await this.o.net.configurePodSide(spec, addrs, host.mac);
      lap('podSide');
      await this.o.net.configureHostSide(spec.hostIfname, host.ifindex, addrs, pod.mac, this.o.sysctls);
      lap('hostSide');
      const info: PodInfo = { id, netns: req.netns, ifname, hostIfname: spec.hostIfname, ipv4: addrs.ipv4, ipv6: addrs.ipv6, mac: pod.mac, hostMac: host.mac, createdAt: new Date().toISOString() };
      this.pods.set(id, info);
      undo.push(async () => this.pods.delete(id));
      const prefixes = hostPrefixes(addrs);
      for (const p of prefixes) {
        this.publish(p, host.ifindex);
        undo.push(async () => this.unpublish(p));
      }
      // The reply means "the pod is reachable": its host routes must be in the kernel.
      for (const p of prefixes) {
        const errno = (await this.o.routes.installed?.(p)) ?? null;
        if (errno !== null) throw new PodStepError('host-route', errno, `cannot install ${p} dev ${spec.hostIfname}`);
      }
      lap('routes');
      await this.save();
      lap('save');
      ms.total = Math.round(performance.now() - t0);
      this.o.logger.info({ event: 'pod.added', pod: id, ip: addrs.ipv4, ip6: addrs.ipv6, hostIfname: spec.hostIfname, netns: req.netns, ms }, 'pod wired');
      return { ...info, created: true };
    } catch (e) {
      for (const step of undo.reverse()) {
        await step().catch((u: unknown) =>
          this.o.logger.error({ event: 'pod.rollback-failed', pod: id, err: u instanceof Error ? u.message : String(u) }, 'rollback step failed'),
        );
      }
      if (e instanceof PodStepError) {
        throw new PodError(e.step === 'netns' && e.errno === 'netns-missing' ? 'netns-missing' : 'kernel', e.message);
      }
      throw e;
    }
  }

  del(id: string): Promise<{ id: string; deleted: boolean }> {
    return this.serial(async () => {
      const pod = this.pods.get(checkId(id));
      if (!pod) return { id, deleted: false };
      const addrs = addressesOf(pod);
      for (const p of hostPrefixes(addrs)) this.unpublish(p);
      try {
        await this.o.net.deleteVeth(pod.hostIfname);
      } catch (e) {
        this.publishAgain(pod);
        throw e instanceof PodStepError ? new PodError('kernel', e.message) : e;
      }
      this.pods.delete(id);
      await this.o.addresses.release(id, addrs);
      await this.save();
      this.o.logger.info({ event: 'pod.deleted', pod: id, ip: pod.ipv4 }, 'pod removed');
      return { id, deleted: true };
    });
  }

  private publishAgain(pod: PodInfo): void {
    void this.o.net.hostLink(pod.hostIfname).then((l) => {
      if (l) for (const p of hostPrefixes(addressesOf(pod))) this.publish(p, l.ifindex);
    });
  }

  async check(id: string): Promise<PodCheckResult> {
    const pod = this.get(id);
    const problems: string[] = [];
    const host = await this.o.net.hostLink(pod.hostIfname);
    if (!host) problems.push(`host interface ${pod.hostIfname} is missing`);
    else if (!host.up) problems.push(`host interface ${pod.hostIfname} is down`);
    const side = await this.o.net.podSide({ hostIfname: pod.hostIfname, ifname: pod.ifname, netns: pod.netns });
    if (!side) problems.push(`interface ${pod.ifname} is missing in ${pod.netns}`);
    else {
      if (!side.up) problems.push(`${pod.ifname} in the pod is down`);
      for (const p of hostPrefixes(addressesOf(pod))) if (!side.addresses.includes(p)) problems.push(`${pod.ifname} does not have ${p}`);
      if (pod.ipv4 && !side.defaultRoute) problems.push('the pod has no default route via 169.254.1.1');
      if (pod.ipv6 && !side.defaultRoute6) problems.push('the pod has no IPv6 default route via fe80::1');
      if (side.mac !== pod.mac) problems.push(`${pod.ifname} has MAC ${side.mac}, recorded ${pod.mac}`);
    }
    return { id: pod.id, problems };
  }
}
