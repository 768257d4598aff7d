// What a reload changes (SIGHUP): peers keyed by address. Unchanged sessions are never touched.
import { isDeepStrictEqual } from 'node:util';
import type { PeerConfig, WrenConfig } from './schema.js';

export interface ConfigDiff {
  added: PeerConfig[];
  removed: PeerConfig[];
  /** peers whose settings changed: reset with Cease / Other Configuration Change */
  changed: { before: PeerConfig; after: PeerConfig }[];
  /** same session settings (a new name is applied in place, without a reset) */
  unchanged: PeerConfig[];
  originateChanged: boolean;
  listenChanged: boolean;
  metricsChanged: boolean;
}

/** Settings every session depends on: a change resets all peers. */
function sessionGlobals(c: WrenConfig): unknown {
  return {
    asn: c.asn,
    routerId: c.routerId,
    hostname: c.hostname,
    gracefulRestartTime: c.gracefulRestartTime,
    clusterId: c.clusterId,
    alwaysCompareMed: c.alwaysCompareMed,
    maxPaths: c.maxPaths,
    nextHopResolution: c.nextHopResolution,
  };
}

/** A peer's settings with the policies it names resolved, so an edited policy resets it. */
function peerView(c: WrenConfig, p: PeerConfig): unknown {
  return {
    ...p,
    name: null,
    importPolicy: p.importPolicy ? c.policies[p.importPolicy] : null,
    exportPolicy: p.exportPolicy ? c.policies[p.exportPolicy] : null,
  };
}

export function diffConfig(before: WrenConfig, after: WrenConfig): ConfigDiff {
  const globalsChanged = !isDeepStrictEqual(sessionGlobals(before), sessionGlobals(after));
  const old = new Map(before.peers.map((p) => [p.address, p]));
  const diff: ConfigDiff = {
    added: [],
    removed: [],
    changed: [],
    unchanged: [],
    originateChanged: !isDeepStrictEqual(before.originate, after.originate),
    listenChanged: !isDeepStrictEqual(before.listen, after.listen),
    metricsChanged: !isDeepStrictEqual(before.metrics, after.metrics),
  };
  for (const p of after.peers) {
    const prev = old.get(p.address);
    old.delete(p.address);
    if (!prev) diff.added.push(p);
    else if (globalsChanged || !isDeepStrictEqual(peerView(before, prev), peerView(after, p))) diff.changed.push({ before: prev, after: p });
    else diff.unchanged.push(p);
  }
  diff.removed.push(...old.values());
  return diff;
}
