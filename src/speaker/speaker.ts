// The speaker: one listener, one PeerRunner per configured peer, the originated routes, and
// reconfiguration without touching unchanged sessions.
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { PeerConfig, WrenConfig } from '../config/schema.js';
import { diffConfig, type ConfigDiff } from '../config/diff.js';
import { ipv4ToNumber, numberToIpv4, parsePrefix } from '../lib/prefix.js';
import { encodeEndOfRib } from '../wire/end-of-rib.js';
import type { Family, UpdateMessage } from '../wire/types.js';
import { encodeShutdownCommunication } from '../wire/notification.js';
import { ErrorCode, CeaseSubcode } from '../wire/constants.js';
import type { SessionConfig } from '../session/config.js';
import { defaultSessionConfig } from '../session/config.js';
import { PeerRunner } from './peer-runner.js';
import { announceOriginated, withdrawOriginated, type Originated } from './originate.js';
import { nextHopSelf, normalizeAddress } from './local-addresses.js';
import type { SpeakerMetrics } from '../daemon/metrics.js';
import type { RouteView } from '../api/types.js';
import { routeViews } from './route-view.js';

export interface SpeakerComponents {
  logger: Logger;
  metrics: SpeakerMetrics;
}

export function sessionConfigFor(cfg: WrenConfig, p: PeerConfig): SessionConfig {
  return defaultSessionConfig({
    localAs: cfg.asn,
    peerAs: p.asn,
    routerId: ipv4ToNumber(cfg.routerId),
    holdTime: p.holdTime,
    connectRetryTime: p.connectRetryTime,
    passive: p.passive,
    families: p.families ?? [p.address.includes(':') ? 'ipv6-unicast' : 'ipv4-unicast'],
    gracefulRestart: p.gracefulRestart,
    gracefulRestartTime: cfg.gracefulRestartTime,
    ...(cfg.hostname ? { hostname: cfg.hostname } : {}),
  });
}

function originatedOf(cfg: WrenConfig): Originated {
  const out: Originated = { v4: [], v6: [] };
  for (const text of cfg.originate) {
    const p = parsePrefix(text);
    if (p.family === 'ipv4-unicast') out.v4.push(p.prefix);
    else out.v6.push(p.prefix);
  }
  return out;
}

export class Speaker {
  private server: Server | null = null;
  private readonly peers = new Map<string, PeerRunner>();
  private originated: Originated;

  constructor(private cfg: WrenConfig, private readonly c: SpeakerComponents) {
    this.originated = originatedOf(cfg);
  }

  get config(): WrenConfig {
    return this.cfg;
  }

  async start(): Promise<void> {
    await this.listen();
    for (const p of this.cfg.peers) this.addPeer(p);
  }

  private async listen(): Promise<void> {
    const server = createServer((sock) => this.onIncoming(sock));
    const { address, port } = this.cfg.listen;
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
      this.c.logger.warn({ event: 'connection.rejected', remote, reason: 'not a configured peer' }, 'connection from unknown address closed');
      sock.destroy();
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
    const runner = new PeerRunner(p, sessionConfigFor(this.cfg, p), {
      logger: this.c.logger,
      metrics: this.c.metrics,
      onEstablished: (r) => this.sendInitialTable(r),
      onUpdate: (r, msg) => this.onUpdate(r, msg),
      onRouteRefresh: (r, family) => this.onRouteRefresh(r, family),
      onDown: (r) => this.c.metrics.prefixCount(r.label, 'received', 0),
    });
    this.peers.set(p.address, runner);
    this.c.metrics.state(runner.label, 'Idle');
    runner.start();
  }

  private families(r: PeerRunner): Family[] {
    return r.negotiated ? [...r.negotiated.families] : [];
  }

  private announceTo(r: PeerRunner, families: Family[], routes: Originated): number {
    const local = r.detail(numberToIpv4).localAddress;
    if (!local) return 0;
    const { updates, skipped } = announceOriginated(
      { localAs: this.cfg.asn, ebgp: r.ebgp, families, nextHop: nextHopSelf({ localAddress: local, peerAddress: r.peer.address, ...(r.peer.nextHop6 ? { nextHop6: r.peer.nextHop6 } : {}) }) },
      routes,
    );
    for (const s of skipped) this.c.logger.warn({ event: 'originate.skipped', peer: r.peer.address, family: s.family }, s.message);
    let n = 0;
    for (const u of updates) {
      r.sendEstablished(u);
      n += u.nlri.prefixes.length + (u.mpReach?.nlri.prefixes.length ?? 0);
    }
    return n;
  }

  private sendInitialTable(r: PeerRunner): void {
    const families = this.families(r);
    r.prefixesAdvertised = this.announceTo(r, families, this.originated);
    this.c.metrics.prefixCount(r.label, 'advertised', r.prefixesAdvertised);
    for (const f of families) r.sendEstablished(encodeEndOfRib(f));
  }

  private onUpdate(r: PeerRunner, msg: UpdateMessage): void {
    if (msg.attributeErrors.length > 0) {
      this.c.logger.warn({ event: 'update.attribute-error', peer: r.peer.address, treatAsWithdraw: msg.treatAsWithdraw, errors: msg.attributeErrors }, 'malformed attributes handled per RFC 7606');
    }
    r.adjRibIn.apply(msg);
    this.c.metrics.prefixCount(r.label, 'received', r.adjRibIn.size);
  }

  private onRouteRefresh(r: PeerRunner, family: Family): void {
    this.c.logger.info({ event: 'route-refresh.received', peer: r.peer.address, family }, 'route refresh requested');
    const enhanced = r.negotiated?.enhancedRouteRefresh ?? false;
    const afi = family === 'ipv4-unicast' ? 1 : 2;
    // RFC 7313 §4: bracket the re-advertisement with BoRR/EoRR when negotiated.
    if (enhanced) r.sendEstablished({ kind: 'route-refresh', afi, safi: 1, subtype: 1 });
    this.announceTo(r, [family], this.originated);
    if (enhanced) r.sendEstablished({ kind: 'route-refresh', afi, safi: 1, subtype: 2 });
  }

  /** SIGHUP: apply the difference between the running and the new config. */
  async reconfigure(next: WrenConfig): Promise<ConfigDiff> {
    const diff = diffConfig(this.cfg, next);
    const before = this.originated;
    this.cfg = next;
    this.originated = originatedOf(next);
    const log = this.c.logger;
    await Promise.all([
      ...diff.removed.map(async (p) => {
        const r = this.peers.get(p.address);
        this.peers.delete(p.address);
        if (!r) return;
        log.info({ event: 'peer.removed', peer: p.address }, 'peer de-configured');
        await r.stop({ code: ErrorCode.CEASE, subcode: CeaseSubcode.PEER_DECONFIGURED, data: Buffer.alloc(0) });
        this.c.metrics.forget(r.label);
      }),
      ...diff.changed.map(async ({ after }) => {
        const r = this.peers.get(after.address);
        if (r) {
          log.info({ event: 'peer.changed', peer: after.address }, 'peer configuration changed; resetting session');
          await r.stop({ code: ErrorCode.CEASE, subcode: CeaseSubcode.OTHER_CONFIGURATION_CHANGE, data: Buffer.alloc(0) });
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
      log.info({ event: 'peer.added', peer: p.address }, 'peer configured');
      this.addPeer(p);
    }
    if (diff.originateChanged) this.applyOriginateChange(before, diff);
    if (diff.listenChanged) {
      const old = this.server;
      this.server = null;
      if (old) await new Promise<void>((resolve) => old.close(() => resolve()));
      await this.listen();
    }
    return diff;
  }

  private applyOriginateChange(before: Originated, diff: ConfigDiff): void {
    const now = this.originated;
    const gone: Originated = { v4: before.v4.filter((p) => !now.v4.includes(p)), v6: before.v6.filter((p) => !now.v6.includes(p)) };
    const fresh: Originated = { v4: now.v4.filter((p) => !before.v4.includes(p)), v6: now.v6.filter((p) => !before.v6.includes(p)) };
    for (const p of diff.unchanged) {
      const r = this.peers.get(p.address);
      if (!r || r.visibleState !== 'Established') continue;
      const families = this.families(r);
      for (const u of withdrawOriginated(families, gone)) r.sendEstablished(u);
      this.announceTo(r, families, fresh);
      r.prefixesAdvertised = families.reduce((n, f) => n + (f === 'ipv4-unicast' ? now.v4.length : now.v6.length), 0);
    }
  }

  /** SIGTERM: Cease / Administrative Shutdown with an RFC 9003 message to every peer. */
  async shutdown(message: string): Promise<void> {
    const data = encodeShutdownCommunication(message);
    const server = this.server;
    this.server = null;
    const closing = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    await Promise.all([...this.peers.values()].map((r) => r.stop({ code: ErrorCode.CEASE, subcode: CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, data })));
    this.peers.clear();
    await closing;
  }

  runners(): PeerRunner[] {
    return [...this.peers.values()];
  }

  routes(filter: { family?: 'ipv4' | 'ipv6'; peer?: string }): RouteView[] {
    return routeViews(this.originated, this.runners(), filter);
  }
}
