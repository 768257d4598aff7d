// The routing half of the speaker: the RIB, import checks and policy on the way in, update
// groups on the way out, graceful restart (receiving side), and the flush loop that writes
// coalesced changes as sockets allow. Sessions live in PeerRunner; this file never touches a
// socket directly (members write).
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import type { Logger } from 'pino';
import { nextHopResolutionOf, type PeerConfig, type WrenConfig } from '../config/schema.js';
import { Rib } from '../rib/rib.js';
import type { BestChange } from '../rib/loc-rib.js';
import type { Path, PathSource } from '../rib/types.js';
import { ConnectedResolver, type NextHopFeed } from '../rib/next-hop.js';
import { importCheck, type LoopReason } from '../reflector/import.js';
import { exportSignature, type ExportTarget } from '../reflector/export-target.js';
import { compilePolicy, type CompiledPolicy } from '../policy/compile.js';
import { MaxPrefixGuard } from '../policy/max-prefix.js';
import { ipv4ToNumber, parsePrefix } from '../lib/prefix.js';
import { isEndOfRib } from '../wire/end-of-rib.js';
import { encodeEndOfRib } from '../wire/end-of-rib.js';
import type { CodecContext, Family, PathAttributes, UpdateMessage } from '../wire/types.js';
import { UpdateGroup, type BestTable, type GroupMember } from './update-group.js';
import type { NextHopSelf } from './local-addresses.js';
import type { SpeakerMetrics } from '../daemon/metrics.js';

export const LOCAL_SOURCE_ID = 0;
/**
 * Input back-pressure: above this many prefixes waiting in update groups, sessions stop
 * reading until the groups are below INPUT_RESUME. Keeps memory proportional to what the
 * peers can take instead of to what a fast sender can push.
 */
export const INPUT_PAUSE = 40_000;
export const INPUT_RESUME = 10_000;

/** A session as the engine sees it. PeerRunner implements it. */
export interface EnginePeer {
  readonly peer: PeerConfig;
  readonly label: string;
  /** negotiated families of the Established session */
  families(): Family[];
  codecContext(): CodecContext | null;
  peerBgpId(): number | null;
  localNextHops(): NextHopSelf;
  /** the group member writing to this session's socket */
  member(sourceId: number): GroupMember;
  enhancedRouteRefresh(): boolean;
  /** sends RFC 7313 BoRR (1) / EoRR (2) */
  sendRefreshMarker(family: Family, subtype: 1 | 2): void;
  /** called when the socket drains below the limit */
  onDrain(fn: () => void): void;
  /** Cease / Maximum Number of Prefixes Reached; the speaker restarts it later if configured */
  stopForMaxPrefix(family: Family): void;
}

interface PeerEntry {
  source: PathSource;
  group: UpdateGroup | null;
  member: GroupMember | null;
  importPolicy: CompiledPolicy | null;
  guard: MaxPrefixGuard | null;
  /** RFC 4724 restart timer for stale paths */
  staleTimer: NodeJS.Timeout | null;
  /** families still waiting for End-of-RIB after a graceful restart */
  staleFamilies: Set<Family>;
}

export interface EngineStats {
  loopsDropped: Record<LoopReason, number>;
  importRejected: number;
}

/** What a local route puts in the kernel: a scope-link route to an interface, or a blackhole. */
export type LocalKernelTarget = { readonly device: number } | 'blackhole';

/** Where the best routes go in the kernel (src/kernel's FibProgrammer). */
export interface FibSink {
  /** the ECMP next hops for a prefix, a local target, or null to remove Wren's route for it */
  set(prefix: number | string, target: { gateway: number | string }[] | LocalKernelTarget | null): void;
  /** the RIB has converged: kernel routes of Wren's that it does not want may go now */
  converged(): void;
  /** a session that may bring many routes has come up: the sink gets ready to write them fast */
  expectBurst?(): void;
  /** next-hop resolution from the kernel's routing table (the FibProgrammer's) */
  readonly nextHops?: NextHopFeed;
}

export interface RouteEngineComponents {
  logger: Logger;
  metrics: SpeakerMetrics;
  fib?: FibSink;
  /** the host's interfaces for connected next-hop resolution (default os.networkInterfaces) */
  interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
}

export class RouteEngine {
  readonly rib: Rib;
  private readonly peers = new Map<EnginePeer, PeerEntry>();
  private readonly groups = new Map<string, UpdateGroup>();
  /** private groups that send a full table to one member (new session, route refresh) */
  private readonly catchups = new Map<UpdateGroup, { peer: EnginePeer; done: () => void }>();
  private nextSourceId = 1;
  /** peers whose End-of-RIB ended their initial table (for kernel convergence) */
  private readonly eorSeen = new Set<EnginePeer>();
  private convergence: { expected: number; timer: NodeJS.Timeout } | null = null;
  private hasConverged = false;
  private flushScheduled = false;
  private readonly resumeWaiters: (() => void)[] = [];
  private readonly localSource: PathSource;
  private originated: { v4: number[]; v6: string[] } = { v4: [], v6: [] };
  private configOriginate: readonly string[] = [];
  /** Local routes added at run time (pods, IPAM blocks): advertised, with a kernel target. */
  private readonly dynamicLocal = new Map<number | string, LocalKernelTarget | null>();
  /** Kernel-only local routes (pods inside an advertised aggregate): they win locally over the RIB. */
  private readonly kernelOnly = new Map<number | string, LocalKernelTarget>();
  readonly stats: EngineStats = { loopsDropped: { 'originator-id-is-self': 0, 'cluster-list-loop': 0, 'own-as-in-path': 0 }, importRejected: 0 };
  private routerId: number;
  private clusterId: number;

  constructor(private cfg: WrenConfig, private readonly c: RouteEngineComponents) {
    this.routerId = ipv4ToNumber(cfg.routerId);
    this.clusterId = ipv4ToNumber(cfg.clusterId ?? cfg.routerId);
    // 'kernel': the kernel's routing table (connected subnets, static and other daemons' routes)
    // once it is loaded; the interfaces' subnets until then (and without a kernel programmer).
    const mode = nextHopResolutionOf(cfg);
    this.kernelNextHops = mode === 'kernel' ? (c.fib?.nextHops ?? null) : null;
    const kernelResolver = this.kernelNextHops?.resolver ?? null;
    this.rib = new Rib({
      resolver: mode === 'any' ? ConnectedResolver.everythingReachable() : (kernelResolver ?? ConnectedResolver.fromInterfaces(this.interfaces())),
      alwaysCompareMed: cfg.alwaysCompareMed,
      maxPaths: cfg.maxPaths,
    });
    this.localSource = { id: LOCAL_SOURCE_ID, address: 'local', addressKey: 0, bgpId: this.routerId, asn: cfg.asn, kind: 'local', rrClient: false };
    this.setOriginated(cfg.originate);
    if (mode !== 'any' && kernelResolver === null) {
      // Addresses come and go (DHCP, a new interface): re-resolve when the connected set changes.
      // Without the kernel programmer this poll is all there is; with it, it runs only until
      // the kernel's table is loaded, whose notifications then say when to re-resolve.
      this.connectedKey = connectedSignature(this.interfaces());
      this.connectedTimer = setInterval(() => this.refreshConnected(), CONNECTED_POLL_MS);
      this.connectedTimer.unref();
    }
    this.unsubscribeNextHops = this.kernelNextHops?.subscribe(() => this.kernelNextHopsChanged()) ?? null;
  }

  private connectedKey = '';
  private readonly interfaces = (): NodeJS.Dict<NetworkInterfaceInfo[]> => (this.c.interfaces ?? networkInterfaces)();
  private connectedTimer: NodeJS.Timeout | null = null;
  private readonly kernelNextHops: NextHopFeed | null;
  private readonly unsubscribeNextHops: (() => void) | null;
  private resolveTimer: NodeJS.Timeout | null = null;
  private lastResolveAt = -Infinity;

  /**
   * The kernel's answers changed (or were loaded): the decision runs again, at most every
   * RESOLVE_COALESCE_MS, since a burst of route notifications would otherwise recompute the
   * whole RIB per notification.
   */
  private kernelNextHopsChanged(): void {
    if (this.resolveTimer !== null) return;
    const wait = Math.max(0, this.lastResolveAt + RESOLVE_COALESCE_MS - performance.now());
    this.resolveTimer = setTimeout(() => {
      this.resolveTimer = null;
      this.applyKernelResolver();
    }, wait);
    this.resolveTimer.unref();
  }

  private applyKernelResolver(): void {
    const resolver = this.kernelNextHops?.resolver;
    if (!resolver) return;
    if (this.connectedTimer) {
      clearInterval(this.connectedTimer);
      this.connectedTimer = null;
    }
    if (this.rib.resolver !== resolver) this.c.logger.info({ event: 'next-hop.kernel' }, 'resolving next hops from the kernel routing table');
    this.lastResolveAt = performance.now();
    this.rib.setResolver(resolver, (ch) => this.onChange(ch));
    this.scheduleFlush();
  }

  private refreshConnected(): void {
    if (this.connectedTimer === null) return;
    const ifaces = this.interfaces();
    const key = connectedSignature(ifaces);
    if (key === this.connectedKey) return;
    this.connectedKey = key;
    this.c.logger.info({ event: 'next-hop.connected-changed' }, 'connected subnets changed; re-resolving next hops');
    this.rib.setResolver(ConnectedResolver.fromInterfaces(ifaces), (ch) => this.onChange(ch));
    this.scheduleFlush();
  }

  /** Global settings changed in place (sessions were reset by the speaker if needed). */
  reconfigure(cfg: WrenConfig): void {
    this.cfg = cfg;
    this.routerId = ipv4ToNumber(cfg.routerId);
    this.clusterId = ipv4ToNumber(cfg.clusterId ?? cfg.routerId);
    this.setOriginated(cfg.originate);
  }

  // --- local routes -----------------------------------------------------------------------

  setOriginated(list: readonly string[]): void {
    this.configOriginate = list;
    this.syncLocal();
  }

  /**
   * Adds or changes a local route at run time (a pod's /32, an IPAM block). `advertise: false`
   * keeps it out of BGP (a pod inside an advertised block) but still in the kernel, where it
   * wins over anything learned for the same prefix: the pod is here.
   */
  setLocalRoute(prefixText: string, target: LocalKernelTarget | null, opts: { advertise: boolean }): void {
    const key = parsePrefix(prefixText).prefix;
    if (!opts.advertise) {
      if (this.dynamicLocal.delete(key)) this.syncLocal();
      if (target === null) return this.removeLocalRoute(prefixText);
      this.kernelOnly.set(key, target);
      this.c.fib?.set(key, target);
      return;
    }
    if (this.kernelOnly.delete(key)) this.refreshKernel(key);
    const had = this.dynamicLocal.has(key);
    this.dynamicLocal.set(key, target);
    if (!had) this.syncLocal();
    else this.refreshKernel(key);
  }

  removeLocalRoute(prefixText: string): void {
    const key = parsePrefix(prefixText).prefix;
    if (this.kernelOnly.delete(key)) this.refreshKernel(key);
    if (this.dynamicLocal.delete(key)) this.syncLocal();
  }

  /** Re-sends the kernel's view of one prefix (its local target changed). */
  private refreshKernel(key: number | string): void {
    const fib = this.c.fib;
    if (!fib) return;
    const only = this.kernelOnly.get(key);
    if (only) return fib.set(key, only);
    const best = typeof key === 'number' ? this.rib.v4.best(key) : this.rib.v6.best(key);
    if (!best) return fib.set(key, null);
    if (best.source.kind === 'local') return fib.set(key, this.dynamicLocal.get(key) ?? null);
    fib.set(key, [{ gateway: best.nextHop }]);
  }

  private syncLocal(): void {
    const v4: number[] = [];
    const v6: string[] = [];
    for (const text of this.configOriginate) {
      const p = parsePrefix(text);
      if (p.family === 'ipv4-unicast') v4.push(p.prefix);
      else v6.push(p.prefix);
    }
    for (const key of this.dynamicLocal.keys()) {
      if (typeof key === 'number') v4.push(key);
      else v6.push(key);
    }
    const keep4 = new Set(v4);
    const keep6 = new Set(v6);
    for (const p of this.originated.v4) if (!keep4.has(p)) this.onChange(this.rib.withdraw(p, LOCAL_SOURCE_ID));
    for (const p of this.originated.v6) if (!keep6.has(p)) this.onChange(this.rib.withdraw(p, LOCAL_SOURCE_ID));
    // Local routes: empty AS_PATH, ORIGIN IGP; the next hop is filled in per group (self).
    const attrs4: PathAttributes = this.rib.interner.intern({ origin: 0, asPath: [], nextHop: 0 });
    const attrs6: PathAttributes = this.rib.interner.intern({ origin: 0, asPath: [] });
    const path4: Path = { source: this.localSource, attrs: attrs4, nextHop: 0 };
    const path6: Path = { source: this.localSource, attrs: attrs6, nextHop: '::' };
    const had4 = new Set(this.originated.v4);
    const had6 = new Set(this.originated.v6);
    for (const p of v4) if (!had4.has(p)) this.onChange(this.rib.update(p, path4));
    for (const p of v6) if (!had6.has(p)) this.onChange(this.rib.update(p, path6));
    this.originated = { v4, v6 };
    this.scheduleFlush();
  }

  // --- sessions ---------------------------------------------------------------------------

  private entry(p: EnginePeer): PeerEntry {
    let e = this.peers.get(p);
    if (!e) {
      const cfg = p.peer;
      const importName = cfg.importPolicy;
      const def = importName ? this.cfg.policies[importName] : undefined;
      e = {
        source: this.sourceFor(p, this.nextSourceId++),
        group: null,
        member: null,
        importPolicy: def ? compilePolicy(def) : null,
        guard: cfg.maxPrefixes ? new MaxPrefixGuard(cfg.maxPrefixes) : null,
        staleTimer: null,
        staleFamilies: new Set(),
      };
      this.peers.set(p, e);
    }
    return e;
  }

  private sourceFor(p: EnginePeer, id: number): PathSource {
    const cfg = p.peer;
    const ebgp = cfg.asn !== this.cfg.asn;
    const addressKey = cfg.address.includes(':') ? cfg.address : ipv4ToNumber(cfg.address);
    return { id, address: cfg.address, addressKey, bgpId: p.peerBgpId() ?? 0, asn: cfg.asn, kind: ebgp ? 'ebgp' : 'ibgp', rrClient: !ebgp && cfg.rrClient };
  }

  /** Session Established: join an update group after a full-table catch-up. */
  peerUp(p: EnginePeer): void {
    const e = this.entry(p);
    e.source = this.sourceFor(p, e.source.id);
    e.guard?.reset();
    if (e.staleTimer === null && e.staleFamilies.size > 0) e.staleFamilies.clear();
    // Families the restarted peer no longer offers, or a peer that no longer does GR, are swept.
    const families = p.families();
    for (const f of [...e.staleFamilies]) {
      if (!families.includes(f)) {
        e.staleFamilies.delete(f);
        this.sweep(e, f);
      }
    }
    const ctx = p.codecContext();
    if (!ctx) return;
    const target = this.targetFor(p);
    const exportName = p.peer.exportPolicy;
    const key = `${exportSignature(target)}|${exportName ?? ''}|${ctx.as4 ? 4 : 2}|${ctx.extendedMessage ? 'x' : ''}|${families.join(',')}`;
    let group = this.groups.get(key);
    if (!group) {
      const def = exportName ? this.cfg.policies[exportName] : undefined;
      group = new UpdateGroup(key, target, ctx, new Set(families), def ? compilePolicy(def) : null);
      this.groups.set(key, group);
    }
    const member = p.member(e.source.id);
    e.member = member;
    e.group = group;
    p.onDrain(() => this.scheduleFlush());
    if (group.joinWithTable(member, this.lookup)) {
      this.joined(p, group, member, families);
      return;
    }
    // The member joins the group only when its catch-up is done: until then the catch-up group
    // gets every change too (onChange), so joining earlier would send each changed prefix twice.
    this.sendFullTable(p, group, member, families, () => {
      // The group may have emptied and been dropped (or replaced) during the catch-up.
      let joined = this.groups.get(key);
      if (!joined) {
        joined = group;
        this.groups.set(key, joined);
      }
      e.group = joined;
      joined.members.add(member);
      this.joined(p, joined, member, families);
    });
  }

  /** The member has the whole table and is in its group: End-of-RIB follows. */
  private joined(p: EnginePeer, group: UpdateGroup, member: GroupMember, families: Family[]): void {
    this.c.logger.debug({ event: 'update-group.join', peer: p.peer.address, group: shortKey(group.key), members: group.members.size }, 'peer joined update group');
    for (const f of families) member.write(encodeEndOfRib(f), 1, 0);
  }

  /** Sends every best route to one member through a private group with the same settings. */
  private sendFullTable(p: EnginePeer, like: UpdateGroup, member: GroupMember, families: Family[], done: () => void): void {
    const g = new UpdateGroup(`${like.key}|catch-up:${member.sourceId}`, like.target, like.ctx, new Set(families), like.exportPolicy);
    g.members.add(member);
    if (families.includes('ipv4-unicast')) this.rib.v4.forEachBest((prefix) => g.markDirty4(prefix, null));
    if (families.includes('ipv6-unicast')) this.rib.v6.forEachBest((prefix) => g.markDirty6(prefix, null));
    this.catchups.set(g, { peer: p, done });
    this.scheduleFlush();
  }

  /** Session left Established. `graceful`: RFC 4724 applies (the peer will come back). */
  peerDown(p: EnginePeer, graceful: { restartTime: number; families: Family[] } | null): void {
    const e = this.peers.get(p);
    if (!e) return;
    this.leaveGroup(p, e);
    if (graceful && graceful.families.length > 0) {
      for (const f of graceful.families) {
        this.rib.markStale(e.source.id, f);
        e.staleFamilies.add(f);
      }
      // Families without forwarding state preserved are not kept (RFC 4724 §4.2). Their paths
      // were not marked stale, so sweepStale would keep them: withdraw them outright.
      const sink = (ch: BestChange): void => this.onChange(ch);
      if (!graceful.families.includes('ipv4-unicast')) this.rib.v4.withdrawSource(e.source.id, sink);
      if (!graceful.families.includes('ipv6-unicast')) this.rib.v6.withdrawSource(e.source.id, sink);
      if (e.staleTimer) clearTimeout(e.staleTimer);
      e.staleTimer = setTimeout(() => {
        e.staleTimer = null;
        this.c.logger.warn({ event: 'graceful-restart.expired', peer: p.peer.address }, 'restart time expired; removing stale routes');
        for (const f of [...e.staleFamilies]) this.sweep(e, f);
      }, graceful.restartTime * 1000);
      e.staleTimer.unref();
      this.c.logger.info({ event: 'graceful-restart.stale', peer: p.peer.address, families: graceful.families, restartTime: graceful.restartTime }, 'peer restarting; keeping its routes as stale');
    } else {
      this.withdrawAll(p, e);
    }
    this.scheduleFlush();
  }

  /** Peer removed from the config: everything it sent goes. */
  forget(p: EnginePeer): void {
    const e = this.peers.get(p);
    if (!e) return;
    this.leaveGroup(p, e);
    this.withdrawAll(p, e);
    this.peers.delete(p);
    this.scheduleFlush();
  }

  private withdrawAll(p: EnginePeer, e: PeerEntry): void {
    if (e.staleTimer) clearTimeout(e.staleTimer);
    e.staleTimer = null;
    e.staleFamilies.clear();
    this.rib.withdrawSource(e.source.id, (ch) => this.onChange(ch));
    void p;
  }

  private sweep(e: PeerEntry, family: Family, quiet = false): void {
    e.staleFamilies.delete(family);
    if (e.staleFamilies.size === 0 && e.staleTimer) {
      clearTimeout(e.staleTimer);
      e.staleTimer = null;
    }
    const changes = this.rib.sweepStale(e.source.id, family, (ch) => this.onChange(ch));
    void changes;
    if (!quiet) this.c.logger.info({ event: 'graceful-restart.swept', peer: e.source.address, family }, 'stale routes swept');
    this.scheduleFlush();
  }

  private leaveGroup(p: EnginePeer, e: PeerEntry): void {
    if (e.group && e.member) {
      e.group.members.delete(e.member);
      if (e.group.members.size === 0) this.groups.delete(e.group.key);
    }
    for (const [g, c] of this.catchups) if (c.peer === p) this.catchups.delete(g);
    e.group = null;
    e.member = null;
  }

  private targetFor(p: EnginePeer): ExportTarget {
    const cfg = p.peer;
    const ebgp = cfg.asn !== this.cfg.asn;
    return {
      kind: ebgp ? 'ebgp' : 'ibgp',
      rrClient: !ebgp && cfg.rrClient,
      asn: cfg.asn,
      localAs: this.cfg.asn,
      routerId: this.routerId,
      clusterId: this.clusterId,
      nextHopSelf: cfg.nextHopSelf,
      nextHopKeep: cfg.nextHopKeep,
      localAddress: p.localNextHops(),
    };
  }

  // --- receiving ----------------------------------------------------------------------------

  receive(p: EnginePeer, msg: UpdateMessage): void {
    const e = this.peers.get(p);
    if (!e) return;
    const eor = isEndOfRib(msg);
    if (eor) {
      if (e.staleFamilies.has(eor)) this.sweep(e, eor);
      this.noteEndOfRib(p, eor);
      return;
    }
    let update = msg;
    const attrs = msg.attrs;
    if (attrs && !msg.treatAsWithdraw) {
      const nh = msg.mpReach?.nextHop ?? attrs.nextHop ?? 0;
      const verdict = importCheck({ source: e.source, attrs, nextHop: nh }, { asn: this.cfg.asn, routerId: this.routerId, clusterId: this.clusterId, allowOwnAs: p.peer.allowOwnAs });
      if (!verdict.ok) {
        this.stats.loopsDropped[verdict.reason]++;
        this.c.metrics.loopDropped(verdict.reason);
        this.c.logger.debug({ event: 'route.loop-dropped', peer: p.peer.address, reason: verdict.reason }, 'route dropped: loop');
        // The routes are unusable; any earlier path of this source for them goes (implicit withdraw).
        update = { ...msg, treatAsWithdraw: true };
      }
    }
    const policy = e.importPolicy;
    const importFn = policy
      ? (family: Family, prefix: number | string, path: Path): Path | null => {
          const v = policy.evaluate(family, prefix, path.attrs);
          if (!v.accept) {
            this.stats.importRejected++;
            return null;
          }
          return v.attrs === path.attrs ? path : { ...path, attrs: this.rib.interner.intern(v.attrs) };
        }
      : undefined;
    this.rib.applyUpdate(e.source, update, importFn, (ch) => this.onChange(ch));
    if (e.guard) this.checkMaxPrefix(p, e);
    this.scheduleFlush();
  }

  private checkMaxPrefix(p: EnginePeer, e: PeerEntry): void {
    const counts = this.rib.countFrom(e.source.id);
    for (const family of ['ipv4-unicast', 'ipv6-unicast'] as const) {
      const verdict = e.guard!.check(family, family === 'ipv4-unicast' ? counts.ipv4 : counts.ipv6);
      if (verdict === 'warn') this.c.logger.warn({ event: 'max-prefix.exceeded', peer: p.peer.address, family, count: family === 'ipv4-unicast' ? counts.ipv4 : counts.ipv6 }, 'maximum prefixes exceeded');
      if (verdict === 'stop') {
        this.c.logger.error({ event: 'max-prefix.stop', peer: p.peer.address, family }, 'maximum prefixes exceeded; stopping the session');
        p.stopForMaxPrefix(family);
        return;
      }
    }
  }

  /** Peer asked for our routes again (RFC 2918), bracketed by BoRR/EoRR when enhanced (RFC 7313). */
  refresh(p: EnginePeer, family: Family): void {
    const e = this.peers.get(p);
    if (!e || !e.group || !e.member) return;
    if (!p.families().includes(family)) return;
    const enhanced = p.enhancedRouteRefresh();
    if (enhanced) p.sendRefreshMarker(family, 1);
    this.sendFullTable(p, e.group, e.member, [family], () => {
      if (enhanced) p.sendRefreshMarker(family, 2);
    });
  }

  // --- sending ------------------------------------------------------------------------------

  private onChange(ch: BestChange | null): void {
    if (!ch) return;
    const fib = this.c.fib;
    if (fib && !this.kernelOnly.has(ch.prefix)) {
      const local = ch.best?.source.kind === 'local';
      fib.set(ch.prefix, local ? (this.dynamicLocal.get(ch.prefix) ?? null) : kernelNextHops(ch));
    }
    if (typeof ch.prefix === 'number') {
      for (const g of this.groups.values()) g.markDirty4(ch.prefix, ch.previous, ch.best);
      for (const g of this.catchups.keys()) g.markDirty4(ch.prefix, ch.previous, ch.best);
    } else {
      for (const g of this.groups.values()) g.markDirty6(ch.prefix, ch.previous, ch.best);
      for (const g of this.catchups.keys()) g.markDirty6(ch.prefix, ch.previous, ch.best);
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private readonly lookup: BestTable = {
    best4: (p: number): Path | null => this.rib.v4.best(p),
    best6: (p: string): Path | null => this.rib.v6.best(p),
    forEachBest4: (fn) => this.rib.v4.forEachBest(fn),
    forEachBest6: (fn) => this.rib.v6.forEachBest(fn),
    prefixCount: () => this.rib.prefixCount,
  };

  /** One slice per group; more slices are scheduled while work remains and sockets allow. */
  private flush(): void {
    let more = false;
    for (const g of [...this.groups.values(), ...this.catchups.keys()]) {
      if (g.pending === 0) continue;
      if (g.blocked()) continue; // its member's drain reschedules us
      g.flush(this.lookup);
      if (g.pending > 0) more = true;
    }
    for (const [g, c] of this.catchups) {
      if (g.pending === 0 && !g.blocked()) {
        this.catchups.delete(g);
        c.done();
      }
    }
    this.c.metrics.coalesced(this.coalescedTotal());
    if (this.resumeWaiters.length > 0 && this.groupPending() < INPUT_RESUME) {
      for (const fn of this.resumeWaiters.splice(0)) fn();
    }
    if (more) this.scheduleFlush();
  }

  private groupPending(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.pending;
    return n;
  }

  /** True when sessions should stop reading until `whenDrained` calls back. */
  overloaded(): boolean {
    return this.groupPending() > INPUT_PAUSE;
  }

  whenDrained(fn: () => void): void {
    this.resumeWaiters.push(fn);
    this.scheduleFlush();
  }

  private coalescedTotal(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.stats.coalesced;
    return n;
  }

  // --- kernel convergence -----------------------------------------------------------------------

  /**
   * Stale kernel routes are removed only once the RIB has converged (DESIGN.md: the data plane
   * never blinks): End-of-RIB for every negotiated family from `expectedPeers` peers, or the
   * timeout (the graceful-restart time), whichever comes first.
   */
  startConvergence(expectedPeers: number, timeoutMs: number): void {
    if (!this.c.fib || this.hasConverged) return;
    const timer = setTimeout(() => this.converge('timeout'), timeoutMs);
    timer.unref();
    this.convergence = { expected: expectedPeers, timer };
    if (expectedPeers === 0) this.converge('no-peers');
  }

  private readonly eorFamilies = new Map<EnginePeer, Set<Family>>();

  private noteEndOfRib(p: EnginePeer, family: Family): void {
    if (this.hasConverged || !this.convergence) return;
    let fams = this.eorFamilies.get(p);
    if (!fams) this.eorFamilies.set(p, (fams = new Set()));
    fams.add(family);
    if (p.families().every((f) => fams!.has(f))) this.eorSeen.add(p);
    if (this.eorSeen.size >= this.convergence.expected) this.converge('end-of-rib');
  }

  private converge(why: string): void {
    if (this.hasConverged) return;
    this.hasConverged = true;
    if (this.convergence) clearTimeout(this.convergence.timer);
    this.c.logger.info({ event: 'rib.converged', why, peers: this.eorSeen.size }, 'RIB converged; removing stale kernel routes');
    this.c.fib?.converged();
  }

  // --- views ----------------------------------------------------------------------------------

  sourceOf(p: EnginePeer): PathSource | null {
    return this.peers.get(p)?.source ?? null;
  }

  receivedFrom(p: EnginePeer): number {
    const e = this.peers.get(p);
    if (!e) return 0;
    const c = this.rib.countFrom(e.source.id);
    return c.ipv4 + c.ipv6;
  }

  private readonly advertisedCache = new WeakMap<UpdateGroup, { at: number; n: number; source: number }>();

  /**
   * Prefixes this peer's group exports (computed from the Loc-RIB, not stored; cached for a
   * second so a polling CLI does not walk a million routes each time).
   */
  advertisedTo(p: EnginePeer): number {
    const e = this.peers.get(p);
    if (!e?.group) return 0;
    const g = e.group;
    const cached = this.advertisedCache.get(g);
    if (cached && cached.source === e.source.id && Date.now() - cached.at < 1000 && g.pending === 0) return cached.n;
    let n = 0;
    const count = (family: Family) => (prefix: number | string, best: Path) => {
      if (best.source.id !== e.source.id && g.exportOf(best, family, prefix).action === 'send') n++;
    };
    if (g.families.has('ipv4-unicast')) this.rib.v4.forEachBest(count('ipv4-unicast'));
    if (g.families.has('ipv6-unicast')) this.rib.v6.forEachBest(count('ipv6-unicast'));
    this.advertisedCache.set(g, { at: Date.now(), n, source: e.source.id });
    return n;
  }

  groupOf(p: EnginePeer): { key: string; members: number } | null {
    const g = this.peers.get(p)?.group;
    return g ? { key: shortKey(g.key), members: g.members.size } : null;
  }

  close(): void {
    for (const e of this.peers.values()) if (e.staleTimer) clearTimeout(e.staleTimer);
    if (this.convergence) clearTimeout(this.convergence.timer);
    if (this.connectedTimer) clearInterval(this.connectedTimer);
    if (this.resolveTimer) clearTimeout(this.resolveTimer);
    this.unsubscribeNextHops?.();
  }
}

/** The kernel's view of a best-path change: ECMP gateways, none for our own routes. */
function kernelNextHops(ch: BestChange): { gateway: number | string }[] | null {
  const best = ch.best;
  if (!best || best.source.kind === 'local') return null;
  const out: { gateway: number | string }[] = [];
  for (const p of ch.multipath) {
    if (p.source.kind === 'local') continue;
    if (!out.some((h) => h.gateway === p.nextHop)) out.push({ gateway: p.nextHop });
  }
  return out.length > 0 ? out : [{ gateway: best.nextHop }];
}

function shortKey(key: string): string {
  return key.length > 60 ? `${key.slice(0, 57)}...` : key;
}

const CONNECTED_POLL_MS = 5000;
/** Shortest time between two decision re-runs for kernel next-hop changes. */
const RESOLVE_COALESCE_MS = 100;

/** The connected subnets as one comparable string. */
function connectedSignature(ifaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string {
  const cidrs: string[] = [];
  for (const infos of Object.values(ifaces)) for (const i of infos ?? []) if (i.cidr) cidrs.push(i.cidr);
  return cidrs.sort().join(',');
}
