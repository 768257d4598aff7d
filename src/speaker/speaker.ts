// The speaker: one listener, one PeerRunner per configured peer, the originated routes, and
// reconfiguration without touching unchanged sessions.
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { PeerConfig, WrenConfig } from '../config/schema.js';
import { diffConfig, type ConfigDiff } from '../config/diff.js';
import { ipv4ToNumber } from '../lib/prefix.js';
import type { Family, UpdateMessage } from '../wire/types.js';
import { afiOf } from '../wire/family.js';
import { encodeShutdownCommunication } from '../wire/notification.js';
import { ErrorCode, CeaseSubcode } from '../wire/constants.js';
import type { SessionConfig } from '../session/config.js';
import { defaultSessionConfig } from '../session/config.js';
import { PeerRunner, type PeerRunnerComponents } from './peer-runner.js';
import { normalizeAddress } from './local-addresses.js';
import { PendingAccepts } from './pending-accepts.js';
import type { SpeakerMetrics } from '../daemon/metrics.js';
import type { PeerStatus, RouteView } from '../api/types.js';
import { routeViews, type RouteQuery } from './route-view.js';
import { RouteEngine, type FibSink } from './route-engine.js';

export interface SpeakerComponents {
  logger: Logger;
  metrics: SpeakerMetrics;
  /** the kernel route programmer, when `kernel.enabled` */
  fib?: FibSink;
  /**
   * Peers that are other nodes of the cluster (cluster mode). They bring a few routes each, so
   * their sessions coming up do not get the kernel writer ready for a burst (any other peer may
   * bring a full table), and they come and go with the cluster: configured and de-configured
   * at debug level (the daemon's cluster.applied line sums each change up).
   */
  isClusterNode?: (address: string) => boolean;
}

export function sessionConfigFor(cfg: WrenConfig, p: PeerConfig): SessionConfig {
  return defaultSessionConfig({
    localAs: cfg.asn,
    peerAs: p.asn,
    routerId: ipv4ToNumber(cfg.routerId),
    holdTime: p.holdTime,
    connectRetryTime: p.connectRetryTime,
    passive: p.passive,
    delayOpenTime: p.delayOpenTime,
    families: p.families ?? [p.address.includes(':') ? 'ipv6-unicast' : 'ipv4-unicast'],
    gracefulRestart: p.gracefulRestart,
    gracefulRestartTime: cfg.gracefulRestartTime,
    gracefulRestartForwarding: cfg.kernel.enabled,
    ...(cfg.hostname ? { hostname: cfg.hostname } : {}),
  });
}

/** How long a connection from an address not configured (yet) is held before it is closed. */
const PENDING_HOLD_MS = 3000;
/** At most this many such connections are held at once; more are closed at once. */
const PENDING_MAX = 256;

export class Speaker {
  private server: Server | null = null;
  private readonly peers = new Map<string, PeerRunner>();
  /** peers stopped for too many prefixes, waiting to be restarted */
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  /** connections from addresses not configured yet (pending-accepts.ts) */
  private readonly pending = new PendingAccepts(PENDING_HOLD_MS, PENDING_MAX, (remote, sock) => {
    this.c.logger.warn({ event: 'connection.rejected', remote, reason: 'not a configured peer' }, 'connection from unknown address closed');
    sock.destroy();
  });
  readonly engine: RouteEngine;

  constructor(private cfg: WrenConfig, private readonly c: SpeakerComponents) {
    this.engine = new RouteEngine(cfg, c);
    c.metrics.ribView = () => {
      const received: Record<string, number> = {};
      const advertised: Record<string, number> = {};
      for (const r of this.peers.values()) {
        const s = this.status(r);
        received[r.label] = s.prefixesReceived;
        advertised[r.label] = s.prefixesAdvertised;
      }
      return { routes: { 'ipv4-unicast': this.engine.rib.v4.prefixCount, 'ipv6-unicast': this.engine.rib.v6.prefixCount }, received, advertised };
    };
  }

  get config(): WrenConfig {
    return this.cfg;
  }

  async start(): Promise<void> {
    await this.listen();
    for (const p of this.cfg.peers) this.addPeer(p);
    this.engine.startConvergence(this.cfg.peers.length, this.cfg.kernel.convergeTimeout * 1000);
  }

  private async listen(listen: WrenConfig['listen'] = this.cfg.listen): Promise<void> {
    const server = createServer((sock) => this.onIncoming(sock));
    const { address, port } = listen;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        // No IPv6 in this namespace: fall back to IPv4 any.
        if (!address && err.code === 'EAFNOSUPPORT') {
          server.listen(port, '0.0.0.0', () => resolve());
          return;
        }
        reject(err);
      };
      server.once('error', onError);
      server.listen(port, address ?? '::', () => {
        server.off('error', onError);
        resolve();
      });
    });
    this.server = server;
    const a = server.address();
    this.c.logger.info({ event: 'listen', address: typeof a === 'object' && a ? `${a.address}:${a.port}` : String(a) }, 'listening');
  }

  /** The port actually bound (useful when the config says 0). */
  get listenPort(): number | null {
    const a = this.server?.address();
    return typeof a === 'object' && a ? a.port : null;
  }

  private onIncoming(sock: Socket): void {
    const remote = normalizeAddress(sock.remoteAddress ?? '');
    const runner = this.peers.get(remote) ?? this.findPeer(remote);
    if (!runner) {
      this.pending.hold(remote, sock);
      return;
    }
    sock.setNoDelay(true);
    runner.accept(sock);
  }

  private findPeer(address: string): PeerRunner | undefined {
    for (const r of this.peers.values()) if (normalizeAddress(r.peer.address) === address) return r;
    return undefined;
  }

  private addPeer(p: PeerConfig): void {
    const runner = new PeerRunner(p, sessionConfigFor(this.cfg, p), this.runnerComponents());
    this.peers.set(p.address, runner);
    this.c.metrics.state(runner.label, 'Idle');
    runner.start();
    for (const sock of this.pending.claim(normalizeAddress(p.address))) {
      sock.setNoDelay(true);
      runner.accept(sock);
    }
  }

  private runnerComponents(): PeerRunnerComponents {
    return {
      logger: this.c.logger,
      metrics: this.c.metrics,
      onEstablished: (r) => {
        if (this.c.isClusterNode?.(r.peer.address) !== true) this.c.fib?.expectBurst?.();
        this.engine.peerUp(r);
      },
      onUpdate: (r, msg) => this.onUpdate(r, msg),
      onRouteRefresh: (r, family) => {
        this.c.logger.info({ event: 'route-refresh.received', peer: r.peer.address, family }, 'route refresh requested');
        this.engine.refresh(r, family);
      },
      onDown: (r, graceful) => this.engine.peerDown(r, graceful),
      onMaxPrefix: (r, family) => void this.maxPrefixStop(r, family),
      inputGate: this.engine,
    };
  }

  private onUpdate(r: PeerRunner, msg: UpdateMessage): void {
    if (msg.attributeErrors.length > 0) {
      this.c.logger.warn({ event: 'update.attribute-error', peer: r.peer.address, treatAsWithdraw: msg.treatAsWithdraw, errors: msg.attributeErrors }, 'malformed attributes handled per RFC 7606');
    }
    this.engine.receive(r, msg);
  }

  /** RFC 4486 Cease / Maximum Number of Prefixes Reached, then a restart if configured. */
  private async maxPrefixStop(r: PeerRunner, family: Family): Promise<void> {
    const limit = family === 'ipv4-unicast' ? r.peer.maxPrefixes?.ipv4 : r.peer.maxPrefixes?.ipv6;
    // RFC 4486 §4: data may carry AFI, SAFI and the upper bound.
    const data = Buffer.alloc(7);
    data.writeUInt16BE(afiOf(family), 0);
    data.writeUInt8(1, 2);
    data.writeUInt32BE(limit ?? 0, 3);
    if (this.peers.get(r.peer.address) !== r) return;
    this.peers.delete(r.peer.address);
    await r.stop({ code: ErrorCode.CEASE, subcode: CeaseSubcode.MAXIMUM_PREFIXES_REACHED, data });
    this.engine.forget(r);
    const after = r.peer.maxPrefixes?.restartAfter;
    const stopped = new PeerRunner(r.peer, sessionConfigFor(this.cfg, r.peer), this.runnerComponents());
    stopped.info = after ? `Maximum prefixes reached (${family}); restart in ${after}s` : `Maximum prefixes reached (${family}); stopped until the config changes`;
    this.peers.set(r.peer.address, stopped);
    if (after) {
      const t = setTimeout(() => {
        this.restartTimers.delete(r.peer.address);
        if (this.peers.get(r.peer.address) === stopped) stopped.start();
      }, after * 1000);
      t.unref();
      this.restartTimers.set(r.peer.address, t);
    }
  }

  /** SIGHUP: apply the difference between the running and the new config. */
  async reconfigure(next: WrenConfig): Promise<ConfigDiff> {
    const diff = diffConfig(this.cfg, next);
    const previousListen = this.cfg.listen;
    this.cfg = next;
    this.engine.reconfigure(next);
    const log = this.c.logger;
    const level = (address: string): 'debug' | 'info' => (this.c.isClusterNode?.(address) === true ? 'debug' : 'info');
    await Promise.all([
      ...diff.removed.map(async (p) => {
        const r = this.peers.get(p.address);
        this.peers.delete(p.address);
        if (!r) return;
        log[level(p.address)]({ event: 'peer.removed', peer: p.address }, 'peer de-configured');
        this.cancelRestart(p.address);
        await r.stop({ code: ErrorCode.CEASE, subcode: CeaseSubcode.PEER_DECONFIGURED, data: Buffer.alloc(0) });
        this.engine.forget(r);
        this.c.metrics.forget(r.label);
      }),
      ...diff.changed.map(async ({ after }) => {
        const r = this.peers.get(after.address);
        if (r) {
          log.info({ event: 'peer.changed', peer: after.address }, 'peer configuration changed; resetting session');
          this.cancelRestart(after.address);
          await r.stop({ code: ErrorCode.CEASE, subcode: CeaseSubcode.OTHER_CONFIGURATION_CHANGE, data: Buffer.alloc(0) });
          this.engine.forget(r);
          this.c.metrics.forget(r.label);
        }
        this.peers.delete(after.address);
        this.addPeer(after);
      }),
    ]);
    for (const p of diff.unchanged) {
      const r = this.peers.get(p.address);
      if (r) r.peer = p;
    }
    for (const p of diff.added) {
      log[level(p.address)]({ event: 'peer.added', peer: p.address }, 'peer configured');
      this.addPeer(p);
    }
    if (diff.listenChanged) await this.relisten(previousListen);
    return diff;
  }

  /**
   * Moves the listener. If the new address cannot be bound (in use, not ours), the old one is
   * bound again and the error logged: established and outgoing sessions carry on either way.
   */
  private async relisten(previous: WrenConfig['listen']): Promise<void> {
    const old = this.server;
    this.server = null;
    if (old) await new Promise<void>((resolve) => old.close(() => resolve()));
    try {
      await this.listen();
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      this.c.logger.error({ event: 'listen.failed', listen: this.cfg.listen, code: err.code, err: err.message }, 'cannot listen on the new address; keeping the previous one');
      await this.listen(previous).catch((e2: NodeJS.ErrnoException) =>
        this.c.logger.error({ event: 'listen.failed', listen: previous, code: e2.code, err: e2.message }, 'cannot listen on the previous address either; only outgoing sessions work'),
      );
    }
  }

  private cancelRestart(address: string): void {
    const t = this.restartTimers.get(address);
    if (t) clearTimeout(t);
    this.restartTimers.delete(address);
  }

  /**
   * SIGTERM: Cease / Administrative Shutdown with an RFC 9003 message to every peer. With
   * `preserveForwarding` (our kernel routes outlive us) peers that negotiated graceful restart
   * are left without a NOTIFICATION instead, so they keep our routes while we restart.
   */
  async shutdown(message: string, opts: { preserveForwarding?: boolean } = {}): Promise<void> {
    const data = encodeShutdownCommunication(message);
    const server = this.server;
    this.server = null;
    const closing = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    this.pending.closeAll();
    for (const a of [...this.restartTimers.keys()]) this.cancelRestart(a);
    await Promise.all(
      [...this.peers.values()].map((r) =>
        opts.preserveForwarding === true && r.gracefulRestartNegotiated
          ? r.detach()
          : r.stop({ code: ErrorCode.CEASE, subcode: CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, data }),
      ),
    );
    this.peers.clear();
    this.engine.close();
    await closing;
  }

  runners(): PeerRunner[] {
    return [...this.peers.values()];
  }

  /** Whether this speaker reflects (has route-reflector clients): iBGP peers are then non-clients. */
  get reflects(): boolean {
    return this.cfg.peers.some((p) => p.rrClient && p.asn === this.cfg.asn);
  }

  status(r: PeerRunner): PeerStatus {
    const s = r.status();
    return {
      ...s,
      type: s.type === 'ibgp' && this.reflects ? 'non-client' : s.type,
      prefixesReceived: this.engine.receivedFrom(r),
      prefixesAdvertised: r.visibleState === 'Established' ? this.engine.advertisedTo(r) : 0,
    };
  }

  routes(query: RouteQuery): RouteView[] {
    return routeViews(this.engine, this.runners(), query);
  }
}
