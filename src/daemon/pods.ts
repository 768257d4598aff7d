// The daemon's pod service: the pod manager wired to netlink, the local pool and the speaker.
import { writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { WrenConfig } from '../config/schema.js';
import { NetlinkPodNet } from '../kernel/pod-netlink.js';
import { LocalPool } from '../pods/local-pool.js';
import type { PodAddressSource } from '../pods/address-source.js';
import { PodManager } from '../pods/pod-manager.js';
import { PodStore } from '../pods/pod-store.js';
import { PodError } from '../pods/errors.js';
import type { Speaker } from '../speaker/speaker.js';
import type { FibProgrammer } from '../kernel/fib-programmer.js';
import { parsePrefix } from '../lib/prefix.js';
import { ApiRequestError } from '../api/server.js';

export class DaemonPods {
  private net: NetlinkPodNet | null = null;
  private manager: PodManager | null = null;

  constructor(
    private readonly cfg: WrenConfig,
    private readonly speaker: Speaker,
    private readonly logger: Logger,
    private readonly fib: FibProgrammer,
    /** cluster IPAM; absent: the local pool of the config file */
    private readonly ipam?: PodAddressSource,
  ) {}

  async start(): Promise<void> {
    const { pods } = this.cfg;
    const store = new PodStore(pods.stateFile);
    const state = store.load();
    const pool = new LocalPool(
      pods.pool ?? null,
      pods.aggregate,
      { ...(state.cursor !== undefined ? { cursor: state.cursor } : {}), ...(state.cursor6 !== undefined ? { cursor6: state.cursor6 } : {}) },
      pods.pool6 ?? null,
    );
    const addresses = this.ipam ?? pool;
    this.net = new NetlinkPodNet();
    const engine = this.speaker.engine;
    this.manager = new PodManager({
      net: this.net,
      addresses,
      routes: {
        setLocalRoute: (prefix, target, opts) => engine.setLocalRoute(prefix, target, opts),
        removeLocalRoute: (prefix) => engine.removeLocalRoute(prefix),
        installed: (prefix) => this.fib.outcome(parsePrefix(prefix).prefix, 2000),
      },
      store,
      logger: this.logger,
      sysctls: { proxyArp: true, forwarding: true, rpFilter: pods.rpFilter ?? null },
      ifPrefix: pods.interfacePrefix,
      extraState: () => pool.cursors(),
    });
    if (!this.ipam && pods.aggregate) {
      for (const p of [pods.pool, pods.pool6]) if (p) engine.setLocalRoute(p, 'blackhole', { advertise: true });
    }
    // Pods are routed through this host (Felix does the same).
    for (const file of ['/proc/sys/net/ipv4/ip_forward', '/proc/sys/net/ipv6/conf/all/forwarding']) {
      try {
        writeFileSync(file, '1');
      } catch (e) {
        this.logger.warn({ event: 'pods.forwarding-failed', file, err: (e as Error).message }, 'cannot enable forwarding; pods may be unreachable from other nodes');
      }
    }
    await this.manager.start();
  }

  get(): PodManager | null {
    return this.manager;
  }

  list(): ReturnType<PodManager['list']> {
    return this.manager ? this.manager.list() : [];
  }

  close(): void {
    this.net?.close();
    this.net = null;
  }
}

export function createPodManager(cfg: WrenConfig, speaker: Speaker, logger: Logger, fib: FibProgrammer, ipam?: PodAddressSource): DaemonPods {
  return new DaemonPods(cfg, speaker, logger, fib, ipam);
}

/** Runs a pod operation, mapping pod errors to API errors. */
export async function podCall<T>(pods: DaemonPods | null, fn: (m: PodManager) => Promise<T>): Promise<T> {
  const m = pods?.get();
  if (!m) throw new ApiRequestError('pods-unavailable', 'pod wiring needs kernel.enabled: true in the daemon configuration');
  try {
    return await fn(m);
  } catch (e) {
    if (e instanceof PodError) throw new ApiRequestError(e.code, e.message);
    throw e;
  }
}
