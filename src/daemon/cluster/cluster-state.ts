// What this node's etcd watch holds: cluster config, nodes, liveness, peer objects and this
// node's block affinities. Applies watch events; knows nothing about sockets or timers.
import type { KeyValue, WatchEvent } from '../../datastore/port.js';
import { parseKey } from '../../datastore/keys.js';
import { parseAffinity } from '../../ipam/records.js';
import { parseClusterConfig, parseNode, parsePeer, type ClusterConfig, type NodeRecord, type PeerObject } from '../../cluster/records.js';

export interface StateProblem {
  key: string;
  message: string;
}

export class ClusterState {
  config: ClusterConfig | null = null;
  readonly nodes = new Map<string, NodeRecord>();
  readonly live = new Set<string>();
  /** When a node's liveness key went away (ms, wall clock). */
  readonly deadSince = new Map<string, number>();
  readonly peers = new Map<string, PeerObject>();
  /** This node's blocks by state. */
  readonly affinities = new Map<string, 'pending' | 'confirmed'>();

  constructor(private readonly self: string) {}

  /** Applies one event; returns a problem for a value that does not parse (the old one is kept). */
  apply(ev: WatchEvent, now: number): StateProblem | null {
    const k = parseKey(ev.key);
    if (!k) return null;
    const kv: KeyValue | null =
      ev.type === 'put' ? { key: ev.key, value: ev.value, modRevision: ev.modRevision, createRevision: ev.createRevision, version: ev.version, lease: ev.lease } : null;
    try {
      switch (k.kind) {
        case 'config':
          this.config = kv ? parseClusterConfig(kv) : null;
          return null;
        case 'node':
          if (kv) this.nodes.set(k.node, parseNode(kv));
          else this.nodes.delete(k.node);
          return null;
        case 'liveness':
          if (kv) {
            this.live.add(k.node);
            this.deadSince.delete(k.node);
          } else if (this.live.delete(k.node)) {
            this.deadSince.set(k.node, now);
          }
          return null;
        case 'peer':
          if (kv) this.peers.set(k.name, parsePeer(kv));
          else this.peers.delete(k.name);
          return null;
        case 'affinity':
          if (k.node !== this.self) return null;
          if (!kv) this.affinities.delete(k.cidr);
          else {
            // IPAM owns the affinity record's shape; a malformed one is reported, not guessed at.
            this.affinities.set(k.cidr, parseAffinity(kv).state);
          }
          return null;
        default:
          return null;
      }
    } catch (e) {
      return { key: ev.key, message: e instanceof Error ? e.message : String(e) };
    }
  }

  /** Nodes to peer with: live ones, and those dead for less than `graceMs` (their routes are kept meanwhile). */
  peerable(now: number, graceMs: number): Set<string> {
    const out = new Set(this.live);
    for (const [node, since] of this.deadSince) if (now - since < graceMs) out.add(node);
    out.add(this.self);
    return out;
  }

  confirmedBlocks(): string[] {
    return [...this.affinities].filter(([, s]) => s === 'confirmed').map(([c]) => c).sort();
  }
}
