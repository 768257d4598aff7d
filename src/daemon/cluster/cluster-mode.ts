// Cluster mode in the daemon (config `datastore.etcd`): the datastore, IPAM, the cluster agent,
// and the effective configuration (the file's, with the derived peers and this node's AS,
// router ID and reflector cluster ID from the cluster).
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { peerSchema, type PeerConfig, type WrenConfig } from '../../config/schema.js';
import { EtcdHttpDatastore } from '../../datastore/etcd-http.js';
import { Ipam, IpamGc } from '../../ipam/index.js';
import { toPeerConfig, type ClusterPeerType, type DerivedPeering } from '../../cluster/derive-peers.js';
import { ClusterAgent } from './cluster-agent.js';
import { IpamAddresses } from './ipam-addresses.js';
import { nextGcDelayMs } from './gc-schedule.js';

/** Cluster peers come and go with the nodes: retry a refused connection quickly. */
const CONNECT_RETRY_S = 1;
/**
 * The passive side of a session between two nodes waits for the dialling node's OPEN (RFC 4271
 * DelayOpen) and answers with its OPEN and KEEPALIVE in one write: per session one write, one
 * read and one packet fewer on each side, which a 100-node mesh forming on a few cores feels.
 * The dialling side is a Wren node, which never delays the OPEN of a connection it opens.
 */
const NODE_DELAY_OPEN_S = 5;

export interface ClusterHooks {
  /** Apply a new effective configuration (derived peers changed). */
  reconfigure(cfg: WrenConfig): Promise<void>;
  /** This node's confirmed blocks changed. */
  blocks(cidrs: string[]): void;
}

export class ClusterMode {
  readonly node: string;
  readonly ipam: Ipam;
  readonly addresses: IpamAddresses;
  readonly agent: ClusterAgent;
  private readonly store: EtcdHttpDatastore;
  private hooks: ClusterHooks | null = null;
  /** PEER TYPE of derived peers, by address. */
  readonly peerTypes = new Map<string, ClusterPeerType>();
  /** Derived peers that are nodes of the cluster (a few blocks and pods each), by address. */
  readonly nodePeers = new Set<string>();
  private blocks: string[] = [];
  private readonly cooldownMs: number;

  constructor(
    private fileCfg: WrenConfig,
    private readonly logger: Logger,
  ) {
    const etcd = fileCfg.datastore!.etcd;
    this.node = fileCfg.cluster?.nodeName ?? hostname();
    this.store = new EtcdHttpDatastore({
      endpoints: etcd.endpoints,
      ...(etcd.tls ? { tls: etcd.tls } : {}),
      ...(etcd.username ? { username: etcd.username } : {}),
      ...(etcd.password !== undefined ? { password: etcd.password } : {}),
    });
    this.cooldownMs = (fileCfg.cluster?.addressCooldown ?? 30) * 1000;
    this.ipam = new Ipam(this.store, { node: this.node, cooldownMs: this.cooldownMs, spreadClaims: true });
    this.addresses = new IpamAddresses(this.ipam);
    const c = fileCfg.cluster;
    this.agent = new ClusterAgent({
      store: this.store,
      node: this.node,
      self: {
        ipv4: fileCfg.routerId,
        ...(c?.ipv6 ? { ipv6: c.ipv6 } : {}),
        labels: c?.labels ?? {},
        ...(c?.routeReflectorClusterId ? { routeReflectorClusterId: c.routeReflectorClusterId } : {}),
      },
      leaseTtl: c?.leaseTtl ?? 10,
      deadNodeGrace: c?.deadNodeGrace ?? 120,
      logger,
      onPeering: (p) => this.onPeering(p),
      onBlocks: (b) => {
        this.blocks = b;
        this.addresses.setBlocks(b);
        this.hooks?.blocks(b);
      },
    });
  }

  /** Registers and reads the cluster, waiting at most `timeoutMs` (then carries on in the background). */
  async start(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    const ok = await Promise.race([this.agent.start().then(() => true), timeout]);
    clearTimeout(timer);
    if (!ok) this.logger.warn({ event: 'cluster.start-slow', node: this.node }, 'etcd not reachable yet; starting with the file configuration and retrying');
    return ok;
  }

  /** The daemon is listening: apply changes from now on, and let the other nodes dial us. */
  attach(hooks: ClusterHooks): void {
    this.hooks = hooks;
    hooks.blocks(this.blocks);
    // a peering derived while the speaker was starting
    void hooks.reconfigure(this.effective()).catch((e: unknown) =>
      this.logger.error({ event: 'cluster.reconfigure-failed', err: e instanceof Error ? e.message : String(e) }, 'applying derived peers failed'),
    );
    void this.agent.goLive();
  }

  /** The file's configuration with what the cluster says (after a SIGHUP, the new file). */
  effective(fileCfg: WrenConfig = this.fileCfg): WrenConfig {
    this.fileCfg = fileCfg;
    const p = this.agent.peering;
    if (!p) return fileCfg;
    const own = new Set(fileCfg.peers.map((x) => x.address));
    const derived: PeerConfig[] = p.peers.filter((d) => !own.has(d.address)).map((d) => peerSchema.parse({ connectRetryTime: CONNECT_RETRY_S, ...(d.passive ? { delayOpenTime: NODE_DELAY_OPEN_S } : {}), ...toPeerConfig(d) }));
    return { ...fileCfg, asn: p.asn, routerId: p.routerId, ...(p.clusterId ? { clusterId: p.clusterId } : {}), peers: [...fileCfg.peers, ...derived] };
  }

  private onPeering(p: DerivedPeering): void {
    this.peerTypes.clear();
    this.nodePeers.clear();
    for (const d of p.peers) {
      this.peerTypes.set(d.address, d.type);
      if (d.node !== null) this.nodePeers.add(d.address);
    }
    this.logger.info({ event: 'cluster.peers-derived', peers: p.peers.length, asn: p.asn, clusterId: p.clusterId ?? null }, 'cluster peers derived');
    void this.hooks?.reconfigure(this.effective()).catch((e: unknown) =>
      this.logger.error({ event: 'cluster.reconfigure-failed', err: e instanceof Error ? e.message : String(e) }, 'applying derived peers failed'),
    );
  }

  private gcTimer: NodeJS.Timeout | null = null;
  /** set by close(): a pass still running schedules no next one */
  private gcClosed = false;

  /**
   * IPAM garbage collection about every `cluster.ipamGcInterval` (gc-schedule.ts): leaked
   * addresses of this node, empty blocks of dead nodes; pods of this node that IPAM has no
   * record of go to `onUnrecorded`. The next pass is timed when one ends, so passes never
   * overlap however slow etcd is.
   */
  startGc(validHandles: () => Iterable<string>, onUnrecorded: (pods: readonly string[]) => Promise<void>): void {
    const gc = new IpamGc(this.store, { node: this.node, validHandles, cooldownMs: this.cooldownMs });
    const schedule = (): void => {
      if (this.gcClosed) return;
      // Read each time: a reload (SIGHUP) may have changed it.
      this.gcTimer = setTimeout(run, nextGcDelayMs((this.fileCfg.cluster?.ipamGcInterval ?? 60) * 1000));
      this.gcTimer.unref();
    };
    const run = (): void => {
      gc.pass().then(
        (r) => {
          const released = r.releasedHandles.length + r.releasedOrphans.length;
          if (released > 0) this.logger.info({ event: 'ipam.gc', report: r }, 'IPAM garbage collected');
          if (r.unrecordedPods.length === 0) schedule();
          else void onUnrecorded(r.unrecordedPods).finally(schedule);
        },
        (e: unknown) => {
          this.logger.warn({ event: 'ipam.gc-failed', err: e instanceof Error ? e.message : String(e) }, 'IPAM garbage collection failed; next pass later');
          schedule();
        },
      );
    };
    schedule();
  }

  async close(): Promise<void> {
    this.gcClosed = true;
    if (this.gcTimer) clearTimeout(this.gcTimer);
    await this.agent.close({ revoke: true });
    await this.store.close();
  }
}
