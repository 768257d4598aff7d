// Pods on this node: wiring (through a PodNetPort), addresses (through a PodAddressSource),
// local routes (through the route engine), and the state file. Every mutation runs alone, in
// arrival order. An add is all or nothing: a failure undoes every step already done and the
// error names the step and the errno.
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { PodCheckResult, PodInfo } from '../api/types.js';
import type { LocalKernelTarget } from '../speaker/route-engine.js';
import { PodStepError, type HostSysctls, type PodNetPort, type PodVethSpec } from '../kernel/pod-net.js';
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
      if (pod.ipv4) {
        this.o.addresses.adopt(pod.id, pod.ipv4);
        this.publish(pod.ipv4, link.ifindex);
      }
    }
    if (dropped > 0) await this.save();
    this.o.logger.info({ event: 'pods.restored', pods: this.pods.size, dropped }, 'pods restored');
  }

  private readonly published = new Map<string, number>();

  private publish(ipv4: string, ifindex: number): void {
    this.published.set(ipv4, ifindex);
    this.o.routes.setLocalRoute(`${ipv4}/32`, { device: ifindex }, { advertise: !this.o.addresses.aggregated(ipv4) });
  }

  /** Recomputes which pod /32s are advertised (a block covering them was confirmed or released). */
  republish(): void {
    for (const [ipv4, ifindex] of this.published) this.publish(ipv4, ifindex);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private save(): Promise<void> {
    return this.o.store.save({ version: 1, pods: [...this.pods.values()], ...(this.o.extraState?.() ?? {}) });
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
      if (existing.netns !== req.netns || existing.ifname !== ifname || (req.ip !== undefined && req.ip !== existing.ipv4)) {
        throw new PodError('pod-conflict', `pod ${id} exists with netns ${existing.netns}, ifname ${existing.ifname}, ip ${existing.ipv4 ?? '-'}; delete it first`);
      }
      return { ...existing, created: false };
    }
    const spec: PodVethSpec = { hostIfname: hostIfname(this.o.ifPrefix, id), ifname, netns: req.netns };
    const clash = [...this.pods.values()].find((p) => p.hostIfname === spec.hostIfname);
    if (clash) throw new PodError('pod-conflict', `host interface name ${spec.hostIfname} is taken by pod ${clash.id}`);

    const undo: (() => Promise<unknown>)[] = [];
    try {
      const ip = await this.o.addresses.assign(id, req.ip);
      undo.push(() => this.o.addresses.release(id, ip));
      const host = await this.o.net.createVeth(spec);
      undo.push(() => this.o.net.deleteVeth(spec.hostIfname));
      const pod = await this.o.net.configurePodSide(spec, ip, host.mac);
      await this.o.net.configureHostSide(spec.hostIfname, host.ifindex, ip, pod.mac, this.o.sysctls);
      const info: PodInfo = { id, netns: req.netns, ifname, hostIfname: spec.hostIfname, ipv4: ip, ipv6: null, mac: pod.mac, hostMac: host.mac, createdAt: new Date().toISOString() };
      this.pods.set(id, info);
      undo.push(async () => this.pods.delete(id));
      this.publish(ip, host.ifindex);
      undo.push(async () => {
        this.published.delete(ip);
        this.o.routes.removeLocalRoute(`${ip}/32`);
      });
      // The reply means "the pod is reachable": its host route must be in the kernel.
      const errno = (await this.o.routes.installed?.(`${ip}/32`)) ?? null;
      if (errno !== null) throw new PodStepError('host-route', errno, `cannot install ${ip}/32 dev ${spec.hostIfname}`);
      await this.save();
      this.o.logger.info({ event: 'pod.added', pod: id, ip, hostIfname: spec.hostIfname, netns: req.netns }, 'pod wired');
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
      if (pod.ipv4) {
        this.o.routes.removeLocalRoute(`${pod.ipv4}/32`);
        this.published.delete(pod.ipv4);
      }
      try {
        await this.o.net.deleteVeth(pod.hostIfname);
      } catch (e) {
        if (pod.ipv4) this.publishAgain(pod);
        throw e instanceof PodStepError ? new PodError('kernel', e.message) : e;
      }
      this.pods.delete(id);
      if (pod.ipv4) await this.o.addresses.release(id, pod.ipv4);
      await this.save();
      this.o.logger.info({ event: 'pod.deleted', pod: id, ip: pod.ipv4 }, 'pod removed');
      return { id, deleted: true };
    });
  }

  private publishAgain(pod: PodInfo): void {
    void this.o.net.hostLink(pod.hostIfname).then((l) => {
      if (l && pod.ipv4) this.publish(pod.ipv4, l.ifindex);
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
      if (pod.ipv4 && !side.addresses.includes(`${pod.ipv4}/32`)) problems.push(`${pod.ifname} does not have ${pod.ipv4}/32`);
      if (!side.defaultRoute) problems.push('the pod has no default route via 169.254.1.1');
      if (side.mac !== pod.mac) problems.push(`${pod.ifname} has MAC ${side.mac}, recorded ${pod.mac}`);
    }
    return { id: pod.id, problems };
  }
}
