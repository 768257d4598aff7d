// `wren daemon`: wires config, speaker, control socket, metrics and signals together.
import { isDeepStrictEqual } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.js';
import type { WrenConfig } from '../config/schema.js';
import { Speaker } from '../speaker/speaker.js';
import { FibProgrammer } from '../kernel/fib-programmer.js';
import { RouteQueryError } from '../speaker/route-view.js';
import { ControlServer, ApiRequestError } from '../api/server.js';
import { numberToIpv4 } from '../lib/prefix.js';
import { createLogger } from './logger.js';
import { SpeakerMetrics } from './metrics.js';
import type { MetricsServer } from './metrics-prom.js';
import { VERSION } from '../version.js';
import { createPodManager, podCall } from './pods.js';
import { ClusterMode } from './cluster/cluster-mode.js';
import type { PeerStatus } from '../api/types.js';
import { releaseStartupPages } from './startup-pages.js';
import { startIdleGc } from './idle-gc.js';

/** Loads the Prometheus backend (only when metrics are configured) and listens. */
async function startMetricsServer(metrics: SpeakerMetrics, listen: string): Promise<MetricsServer> {
  const { MetricsServer } = await import('./metrics-prom.js');
  const server = new MetricsServer(await metrics.prometheus());
  await server.listen(listen);
  return server;
}

/** In cluster mode PEER TYPE says where the peer came from, as `calicoctl node status` does. */
function withClusterType<T extends PeerStatus>(s: T, cluster: ClusterMode | null): T {
  const t = cluster?.peerTypes.get(s.address);
  return t ? { ...s, type: t } : s;
}

export interface DaemonOptions {
  configFile: string;
  controlSocket: string;
}

export async function runDaemon(opts: DaemonOptions): Promise<number> {
  const logger = createLogger();
  let cfg: WrenConfig;
  try {
    cfg = loadConfig(opts.configFile);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`wren: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const metrics = new SpeakerMetrics();
  // Cluster mode: peers, AS and router ID come from etcd; pod addresses from cluster IPAM.
  const cluster = cfg.datastore ? new ClusterMode(cfg, logger) : null;
  if (cluster) await cluster.start(5000);
  const runCfg = cluster ? cluster.effective(cfg) : cfg;
  // Kernel routes: adopted from a previous run at start, stale ones removed after convergence.
  const fib = cfg.kernel.enabled
    ? new FibProgrammer({ protocol: cfg.kernel.protocol, table: cfg.kernel.table, resyncIntervalMs: cfg.kernel.resyncInterval * 1000, writer: cfg.kernel.writer, logger })
    : null;
  // Sessions with other nodes carry a few blocks and pods each; any other peer (a top-of-rack
  // router, a standalone speaker's peers) may bring a full table (Speaker's isClusterNode).
  const isClusterNode = (address: string): boolean => cluster?.nodePeers.has(address) === true;
  const speaker = new Speaker(runCfg, { logger, metrics, isClusterNode, ...(fib ? { fib } : {}) });
  const pods = fib ? createPodManager(cfg, speaker, logger, fib, cluster?.addresses) : null;
  const startedAt = new Date().toISOString();
  let reloading = Promise.resolve();
  let advertisedBlocks: string[] = [];
  const control = new ControlServer(opts.controlSocket, {
    status: () => ({
      daemon: { version: VERSION, routerId: speaker.config.routerId, asn: speaker.config.asn, pid: process.pid, startedAt, configFile: opts.configFile },
      peers: speaker.runners().map((r) => withClusterType(speaker.status(r), cluster)),
    }),
    neighbors: (p) => {
      const all = speaker.runners().filter((r) => !p.address || r.peer.address === p.address || r.peer.name === p.address);
      if (p.address && all.length === 0) throw new ApiRequestError('unknown-peer', `no configured peer ${p.address}`);
      return all.map((r) => ({ ...r.detail(numberToIpv4), ...withClusterType(speaker.status(r), cluster) }));
    },
    routes: (p) => {
      try {
        return speaker.routes(p);
      } catch (e) {
        if (e instanceof RouteQueryError) throw new ApiRequestError(e.code, e.message);
        throw e;
      }
    },
    podAdd: (p) => podCall(pods, (m) => m.add(p)),
    podDel: (p) => podCall(pods, (m) => m.del(p.id)),
    podList: () => (pods ? pods.list() : []),
    podGet: (p) => podCall(pods, async (m) => m.get(p.id)),
    podCheck: (p) => podCall(pods, (m) => m.check(p.id)),
  });
  let metricsServer: MetricsServer | null = null;
  try {
    if (fib) await fib.start();
    // Pods first: their routes are in the RIB before any session comes up.
    if (pods) await pods.start();
    await speaker.start();
    await control.listen();
    if (cluster) {
      const c = cluster;
      c.startGc(
        () => (pods?.list() ?? []).map((p) => p.id),
        // Pods running here whose addresses IPAM no longer gives them: claimed again, one at a
        // time in the pod queue (no add or delete of the pod meanwhile).
        async (ids) => {
          for (const id of ids) {
            const r = await pods?.get()?.withPod(id, (addrs) => c.addresses.reclaim(id, addrs)).catch((e: unknown) => {
              logger.warn({ event: 'pod.reclaim-failed', pod: id, err: e instanceof Error ? e.message : String(e) }, 'claiming a pod address again failed; next pass later');
              return undefined;
            });
            if (r === undefined) continue;
            if (r.reclaimed.length > 0) logger.warn({ event: 'pod.address-reclaimed', pod: id, ip: r.reclaimed }, 'pod address was not recorded in IPAM; claimed for the pod again');
            for (const t of r.taken) {
              logger.error(
                { event: 'pod.address-conflict', pod: id, ip: t.address, holder: t.handle },
                t.handle === null ? 'pod address is outside every IPAM pool now; delete and add the pod again' : 'pod address is allocated to another handle in IPAM: two pods may share it; delete and add this pod again',
              );
            }
          }
        },
      );
    }
    cluster?.attach({
      reconfigure: async (next) => {
        const run = reloading.then(() => speaker.reconfigure(next)).then((d) => {
          logger.info({ event: 'cluster.applied', added: d.added.length, removed: d.removed.length, changed: d.changed.length, unchanged: d.unchanged.length }, 'cluster peers applied');
        });
        reloading = run.catch(() => undefined);
        await run;
      },
      blocks: (cidrs) => {
        const engine = speaker.engine;
        for (const old of advertisedBlocks) if (!cidrs.includes(old)) engine.removeLocalRoute(old);
        for (const b of cidrs) if (!advertisedBlocks.includes(b)) engine.setLocalRoute(b, 'blackhole', { advertise: true });
        advertisedBlocks = cidrs;
        pods?.get()?.republish();
        logger.info({ event: 'cluster.blocks', blocks: cidrs }, 'confirmed blocks advertised');
      },
    });
    if (cfg.metrics) {
      metricsServer = await startMetricsServer(metrics, cfg.metrics.listen);
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    logger.fatal({ event: 'daemon.start-failed', code: err.code, err: err.message }, 'cannot start');
    process.stderr.write(`wren: cannot start: ${err.message}\n`);
    await speaker.shutdown('wren failed to start');
    await fib?.stop({ flush: false });
    pods?.close();
    await cluster?.close();
    await control.close();
    return 1;
  }
  logger.info({ event: 'daemon.started', version: VERSION, config: opts.configFile, control: opts.controlSocket, peers: cfg.peers.length }, 'wren daemon started');
  // Start-up is over: what it alone touched of the node executable leaves our RSS (startup-pages.ts).
  setImmediate(() => {
    try {
      const released = releaseStartupPages();
      if (released) logger.info({ event: 'memory.startup-pages-released', ...released }, 'start-up pages handed back');
    } catch (e) {
      logger.warn({ event: 'memory.startup-pages-failed', err: (e as Error).message }, 'start-up pages not handed back');
    }
  });
  const stopIdleGc = startIdleGc({ onCollected: (r) => logger.info({ event: 'memory.idle-gc', ...r }, 'garbage collected after a burst') });

  process.on('SIGHUP', () => {
    reloading = reloading.then(async () => {
      let next: WrenConfig;
      try {
        next = loadConfig(opts.configFile);
      } catch (e) {
        const problems = e instanceof ConfigError ? e.problems : [String(e)];
        logger.error({ event: 'config.rejected', file: opts.configFile, problems }, 'new configuration rejected; keeping the running one');
        return;
      }
      if (!isDeepStrictEqual(speaker.config.kernel, next.kernel)) {
        logger.warn({ event: 'config.kernel-deferred' }, 'kernel settings changed; they apply when the daemon next starts');
      }
      try {
        const d = await speaker.reconfigure(cluster ? cluster.effective(next) : next);
        if (metricsServer && d.metricsChanged) await metricsServer.close();
        if (d.metricsChanged && next.metrics) {
          metricsServer = await startMetricsServer(metrics, next.metrics.listen).catch((e: Error) => {
            logger.error({ event: 'metrics.listen-failed', err: e.message }, 'metrics listener failed');
            return null;
          });
        }
        logger.info({ event: 'config.reloaded', added: d.added.length, removed: d.removed.length, changed: d.changed.length, unchanged: d.unchanged.length, originateChanged: d.originateChanged }, 'configuration reloaded');
      } catch (e) {
        // A reload must never take the daemon down, nor block the next reload.
        logger.error({ event: 'config.reload-failed', err: e instanceof Error ? e.message : String(e) }, 'reload failed part-way; running sessions are unchanged');
      }
    });
  });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ event: 'daemon.stopping', signal }, 'shutting down');
      stopIdleGc();
      void (async () => {
        await reloading;
        // A node whose routes stay in the kernel restarts gracefully: peers keep its routes.
        const k = speaker.config.kernel;
        await speaker.shutdown(`wren shutting down (${signal})`, { preserveForwarding: k.enabled && !k.flushOnExit });
        // The data plane outlives the daemon unless told otherwise (DESIGN.md).
        await fib?.stop({ flush: speaker.config.kernel.flushOnExit });
        pods?.close();
        await cluster?.close();
        await control.close();
        await metricsServer?.close();
        logger.info({ event: 'daemon.stopped' }, 'stopped');
        resolve(0);
      })();
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
