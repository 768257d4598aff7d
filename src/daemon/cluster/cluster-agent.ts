// The node's link to the cluster: registers the node, keeps its liveness lease, watches cluster
// state and hands derived peerings and confirmed blocks to the daemon as they change. If etcd
// goes away nothing is torn down: the last peering stays applied, and everything resumes from
// the last revision (or a re-list) when it returns.
import type { Logger } from 'pino';
import { keys, prefixes } from '../../datastore/keys.js';
import type { Datastore, KeepAlive, WatchEvent } from '../../datastore/port.js';
import { resyncingWatch, type ResyncingWatch } from '../../datastore/watch-resync.js';
import { parseNode, serializeNode, validateNode, type NodeRecord, type NodeRecordInput } from '../../cluster/records.js';
import { derivePeers, type DerivedPeering } from '../../cluster/derive-peers.js';
import { ClusterState } from './cluster-state.js';

export interface ClusterAgentInit {
  store: Datastore;
  node: string;
  /** What this node says about itself in its node record. */
  self: { ipv4: string; ipv6?: string; labels: Record<string, string>; routeReflectorClusterId?: string };
  leaseTtl: number;
  deadNodeGrace: number;
  logger: Logger;
  onPeering(p: DerivedPeering): void;
  onBlocks(confirmed: string[]): void;
}

/** Changes arriving together (a node joining writes node + liveness) are derived once. */
const DEBOUNCE_MS = 15;
const RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

export class ClusterAgent {
  readonly state: ClusterState;
  private watches: ResyncingWatch[] = [];
  private keepAlive: KeepAlive | null = null;
  private timer: NodeJS.Timeout | null = null;
  private graceTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private lastPeering = '';
  private lastBlocks = '';
  private closed = false;
  private registered = false;
  peering: DerivedPeering | null = null;

  constructor(private readonly o: ClusterAgentInit) {
    this.state = new ClusterState(o.node);
  }

  /**
   * Writes the node record and starts the watch; resolves once both have happened (retrying
   * meanwhile). The node is not live (other nodes do not dial it) until goLive().
   */
  async start(): Promise<void> {
    const registering = this.writeNodeRecord();
    // Only what peering and this node's blocks depend on: other nodes' IPAM traffic (every
    // allocation in the cluster) would otherwise reach every daemon.
    const watched = [keys.config(), prefixes.nodes, prefixes.liveness, prefixes.peers, prefixes.nodeAffinities(this.o.node)];
    this.watches = watched.map((prefix) =>
      resyncingWatch(this.o.store, prefix, (ev) => this.onEvent(ev), {
        retryMs: RETRY_MS + Math.floor(Math.random() * RETRY_MS),
        onError: (err) => this.o.logger.warn({ event: 'cluster.watch-error', prefix, code: err.code, err: err.message }, 'cluster watch interrupted; retrying'),
      }),
    );
    await Promise.all([registering, ...this.watches.map((w) => w.ready)]);
    this.derive();
  }

  /** Once the BGP listener is up: the liveness key (bound to a kept-alive lease) makes peers dial us. */
  goLive(): Promise<void> {
    return this.retrying('live', () => this.writeLiveness());
  }

  /** Retries with exponential back-off and jitter, so a struggling etcd is not stormed by every node at once. */
  private async retrying(what: string, fn: () => Promise<void>): Promise<void> {
    let delay = RETRY_MS;
    while (!this.closed) {
      try {
        await fn();
        return;
      } catch (e) {
        this.o.logger.warn({ event: 'cluster.register-failed', step: what, err: e instanceof Error ? e.message : String(e) }, 'cannot register the node; retrying');
        await new Promise((r) => setTimeout(r, delay / 2 + Math.random() * delay));
        delay = Math.min(delay * 2, MAX_RETRY_MS);
      }
    }
  }

  /** The node record, labels merged over those already there; retries until it works. */
  private writeNodeRecord(): Promise<void> {
    return this.retrying('node', async () => {
      // Known at once, not only when the watch echoes it: peers derive before we listen.
      this.state.nodes.set(this.o.node, await this.putNodeRecord());
      this.registered = true;
    });
  }

  private async putNodeRecord(): Promise<NodeRecord> {
    const { store, node, self } = this.o;
    const existing = await store.get(keys.node(node));
    let prior: NodeRecord | undefined;
    if (existing) {
      try {
        prior = parseNode(existing);
      } catch {
        // an unreadable record is replaced
      }
    }
    // What the cluster CLI set (`wren node set`: labels, reflector role, AS) survives a restart;
    // the config file wins where it says something.
    const rrId = self.routeReflectorClusterId ?? prior?.routeReflectorClusterId;
    const ipv6 = self.ipv6 ?? prior?.ipv6;
    const record: NodeRecordInput = {
      name: node,
      ipv4: self.ipv4,
      ...(ipv6 ? { ipv6 } : {}),
      ...(prior?.asn !== undefined ? { asn: prior.asn } : {}),
      ...(rrId ? { routeReflectorClusterId: rrId } : {}),
      labels: { ...(prior?.labels ?? {}), ...self.labels },
    };
    await store.put(keys.node(node), serializeNode(record));
    return validateNode(record);
  }

  private async writeLiveness(): Promise<void> {
    const { store, node, self } = this.o;
    const lease = await store.grantLease(this.o.leaseTtl);
    await store.put(keys.liveness(node), JSON.stringify({ since: new Date().toISOString(), pid: process.pid }), { lease });
    this.keepAlive?.stop();
    const ka = store.keepAlive(lease);
    ka.on('lost', (err) => {
      if (this.closed) return;
      this.o.logger.warn({ event: 'cluster.lease-lost', err: err.message }, 'liveness lease lost; registering again');
      void this.goLive();
    });
    this.keepAlive = ka;
    this.o.logger.info({ event: 'cluster.registered', node, ipv4: self.ipv4 }, 'node registered');
  }

  private onEvent(ev: WatchEvent): void {
    const problem = this.state.apply(ev, Date.now());
    if (problem) this.o.logger.error({ event: 'cluster.bad-record', key: problem.key, err: problem.message }, 'ignoring an invalid cluster record');
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.derive();
    }, DEBOUNCE_MS);
  }

  private derive(): void {
    if (this.closed) return;
    const s = this.state;
    const blocks = s.confirmedBlocks();
    const blocksKey = blocks.join(',');
    if (blocksKey !== this.lastBlocks) {
      this.lastBlocks = blocksKey;
      this.o.onBlocks(blocks);
    }
    if (!s.config) {
      if (this.registered) this.o.logger.warn({ event: 'cluster.not-initialised' }, 'no cluster config in the datastore yet (wren cluster init)');
      return;
    }
    if (!s.nodes.has(this.o.node)) return;
    const now = Date.now();
    const graceMs = this.o.deadNodeGrace * 1000;
    const live = s.peerable(now, graceMs);
    let peering: DerivedPeering;
    try {
      peering = derivePeers({ config: s.config, nodes: [...s.nodes.values()], live, peers: [...s.peers.values()], self: this.o.node });
    } catch (e) {
      this.o.logger.error({ event: 'cluster.derive-failed', err: e instanceof Error ? e.message : String(e) }, 'cannot derive peers');
      return;
    }
    this.armGraceTimer(now, graceMs);
    const key = JSON.stringify(peering);
    if (key === this.lastPeering) return;
    this.lastPeering = key;
    this.peering = peering;
    for (const sh of peering.shadowed) {
      this.o.logger.info({ event: 'cluster.peer-shadowed', peer: sh.name, address: sh.address, by: sh.shadowedBy }, 'derived peer shadowed by another for the same address');
    }
    this.o.onPeering(peering);
  }

  /** Re-derives when the next dead node's grace period ends. */
  private armGraceTimer(now: number, graceMs: number): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = null;
    let next = Infinity;
    for (const since of this.state.deadSince.values()) if (since + graceMs > now) next = Math.min(next, since + graceMs);
    if (!Number.isFinite(next)) return;
    this.graceTimer = setTimeout(() => this.schedule(), next - now + 5);
    this.graceTimer.unref();
  }

  async close(opts: { revoke: boolean }): Promise<void> {
    this.closed = true;
    for (const t of [this.timer, this.graceTimer, this.retryTimer]) if (t) clearTimeout(t);
    const lease = this.keepAlive?.lease;
    this.keepAlive?.stop();
    await Promise.all(this.watches.map((w) => w.close()));
    if (opts.revoke && lease !== undefined) await this.o.store.revokeLease(lease).catch(() => undefined);
  }
}
