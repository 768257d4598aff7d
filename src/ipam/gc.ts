// IPAM garbage collection (issue 5): what nobody will ever release by itself.
//
//  - Leaked handles of this node: a handle record attributed to this node whose pod the daemon
//    does not know (the daemon crashed between allocating and recording the pod, or a pod was
//    deleted while etcd was down). Released after it has stayed unknown, unchanged, for
//    `leakGraceMs` across two passes, so a pod being created right now (allocated, not yet
//    recorded) is never robbed.
//  - Orphan allocations: a block ordinal whose handle record no longer exists at all (the
//    allocator writes block and handle together, so only a manual edit or a corrupt store gets
//    here). Same grace rule.
//  - Blocks of dead nodes: a node whose liveness key is gone (its lease expired) for longer than
//    `deadNodeGraceMs` loses its empty blocks: the block and its affinity are deleted together,
//    once two consecutive passes after the grace period saw the block empty and unchanged. The
//    block is then free for any node to claim. Allocations of a dead node's pods are never
//    released here: the pods may still run (a daemon killed with -9 leaves its routes in the
//    kernel), only an empty block is safe to take away. Stale affinities of a dead node (a
//    pending claim it never finished, or a block another node now owns) go the same way.
//
// Every release is one compare-and-swap transaction guarded by the modRevision of everything it
// was decided from, including the absence of the dead node's liveness key, so a concurrent
// allocator, a node coming back, or another node's collector running at the same time makes the
// write fail harmlessly; the next pass decides again. The collector owns no timer: the daemon
// calls `pass()` (every minute, say). Its memory of earlier passes is what "seen twice" means.
//
// Which node a handle belongs to: handle records written by today's allocator do not say, and
// guessing from block affinity is unsafe (another node may have borrowed an address from this
// node's block, or assigned one explicitly). So a handle is attributed through `handleOwner`,
// by default the record's `node` field when it has one. Records without attribution are never
// released as leaks.

import { cmp, op, type Compare, type Datastore, type KeyValue, type TxnOp } from '../datastore/port.js';
import { keys, parseKey, prefixes } from '../datastore/keys.js';
import type { IpamClock } from './allocator.js';
import type { Block } from './block.js';
import { cidrContains, formatCidr, parseAddress } from './cidr.js';
import { IpamConflictError, IpamCorruptRecordError } from './errors.js';
import { handleRelease } from './handle-release.js';
import { parseAffinity, parseBlock, parseHandle, type AffinityState, type HandleData } from './records.js';

export interface IpamGcInit {
  /** The node this collector runs for: its leaked handles are collected; it is never "dead". */
  node: string;
  /** The pod ids (handles) this node runs now; read once per pass, after the store snapshot. */
  validHandles: () => Promise<Iterable<string>> | Iterable<string>;
  /** Wall clock in milliseconds, the one the allocator stamps releases with. Default Date.now. */
  clock?: IpamClock;
  /** How long a node must have had no liveness key before its empty blocks are released.
   * Default 10 minutes. */
  deadNodeGraceMs?: number;
  /** How long a leaked handle or orphan allocation must stay so before it is released.
   * Default 5 minutes. */
  leakGraceMs?: number;
  /** The allocator's reuse cooldown: a block whose addresses were freed more recently than
   * this is kept, so a new owner cannot hand them out early. Default 0. */
  cooldownMs?: number;
  /** The node a handle belongs to, or undefined when unknown (then it is never collected).
   * Default: the record's `node` field. */
  handleOwner?: (handle: string, record: Readonly<Record<string, unknown>>) => string | undefined;
}

export interface GcReport {
  /** Store revision of the snapshot the pass decided from. */
  readonly revision: number;
  readonly releasedHandles: ReadonlyArray<{ readonly handle: string; readonly addresses: readonly string[] }>;
  readonly releasedOrphans: ReadonlyArray<{ readonly block: string; readonly address: string; readonly handle: string }>;
  readonly releasedBlocks: ReadonlyArray<{ readonly node: string; readonly block: string }>;
  readonly removedAffinities: ReadonlyArray<{ readonly node: string; readonly block: string; readonly state: AffinityState }>;
  /** Nodes without liveness that hold IPAM state, and for how long this collector has seen
   * them so. */
  readonly deadNodes: ReadonlyArray<{ readonly node: string; readonly deadForMs: number }>;
  /** Candidates seen this pass and waiting for their grace period or second sighting. */
  readonly waiting: number;
  /** Releases that lost a race (state changed under them); decided again next pass. */
  readonly conflicts: number;
  /** Records that do not parse; left alone (`wren ipam check` reports them). */
  readonly corrupt: readonly string[];
  /** Pods of this node (valid handles) with no handle record: their addresses are not theirs
   * in IPAM (the node was deleted while down, a handle was released by hand, etcd restored
   * from an older backup). The daemon claims them again (IpamAddresses.reclaim). */
  readonly unrecordedPods: readonly string[];
}

interface Sighting {
  /** Clock time of the first sighting in the current unchanged state. */
  readonly since: number;
  /** modRevision of what was seen (the candidate must be unchanged to be released). */
  readonly modRevision: number;
  /** The previous pass saw it too. */
  readonly seenBefore: boolean;
}

interface Snapshot {
  readonly revision: number;
  readonly blocks: Map<string, { kv: KeyValue; block: Block }>;
  /** node → block CIDR → affinity */
  readonly affinities: Map<string, Map<string, { kv: KeyValue; state: AffinityState }>>;
  readonly handles: Map<string, { kv: KeyValue; raw: Record<string, unknown>; data: HandleData }>;
  readonly live: Set<string>;
  readonly corrupt: string[];
}

const DEFAULT_DEAD_NODE_GRACE_MS = 10 * 60_000;
const DEFAULT_LEAK_GRACE_MS = 5 * 60_000;

const defaultOwner = (_handle: string, record: Readonly<Record<string, unknown>>): string | undefined =>
  typeof record.node === 'string' ? record.node : undefined;

export class IpamGc {
  readonly node: string;
  private readonly validHandles: IpamGcInit['validHandles'];
  private readonly clock: IpamClock;
  private readonly deadNodeGraceMs: number;
  private readonly leakGraceMs: number;
  private readonly cooldownMs: number;
  private readonly handleOwner: NonNullable<IpamGcInit['handleOwner']>;
  /** node → clock time this collector first saw it without liveness. */
  private deadSince = new Map<string, number>();
  /** Candidates of the previous pass, by a key naming what they are. */
  private sightings = new Map<string, Sighting>();

  constructor(
    private readonly store: Datastore,
    init: IpamGcInit,
  ) {
    keys.node(init.node); // validates the name
    this.node = init.node;
    this.validHandles = init.validHandles;
    this.clock = init.clock ?? { now: () => Date.now() };
    this.deadNodeGraceMs = init.deadNodeGraceMs ?? DEFAULT_DEAD_NODE_GRACE_MS;
    this.leakGraceMs = init.leakGraceMs ?? DEFAULT_LEAK_GRACE_MS;
    this.cooldownMs = init.cooldownMs ?? 0;
    this.handleOwner = init.handleOwner ?? defaultOwner;
  }

  /** One collection pass over one snapshot of the store. */
  async pass(): Promise<GcReport> {
    const snap = await this.snapshot();
    const valid = new Set(await this.validHandles());
    const now = this.clock.now();
    const next = new Map<string, Sighting>();
    let conflicts = 0;
    /** Records a candidate; true when it is due for release. */
    const sight = (key: string, modRevision: number, graceMs: number): boolean => {
      const prev = this.sightings.get(key);
      const s: Sighting =
        prev !== undefined && prev.modRevision === modRevision
          ? { since: prev.since, modRevision, seenBefore: true }
          : { since: now, modRevision, seenBefore: false };
      next.set(key, s);
      return s.seenBefore && now - s.since >= graceMs;
    };

    // Leaked handles of this node.
    const releasedHandles: Array<{ handle: string; addresses: string[] }> = [];
    for (const [handle, h] of snap.handles) {
      if (valid.has(handle) || this.handleOwner(handle, h.raw) !== this.node) continue;
      if (!sight(`handle ${handle}`, h.kv.modRevision, this.leakGraceMs)) continue;
      const addresses = await this.releaseHandle(snap, handle);
      if (addresses === undefined) conflicts++;
      else {
        releasedHandles.push({ handle, addresses });
        next.delete(`handle ${handle}`);
      }
    }

    // Orphan allocations in this node's blocks: a handle attribute with no handle record at
    // all, and no pod of this node by that id.
    const releasedOrphans: Array<{ block: string; address: string; handle: string }> = [];
    for (const [cidr, { kv, block }] of snap.blocks) {
      if (block.affinity !== this.node) continue;
      for (const o of block.allocatedOrdinals()) {
        const handle = block.handleOf(o);
        if (handle === undefined || snap.handles.has(handle) || valid.has(handle)) continue;
        // The block changes with every allocation in it; the orphan itself is what must persist.
        const key = `orphan ${cidr} ${o} ${handle}`;
        if (!sight(key, 0, this.leakGraceMs)) continue;
        const released = await this.releaseOrdinal(kv, o, handle, now);
        if (!released) conflicts++;
        else {
          releasedOrphans.push({ block: cidr, address: block.addressOf(o), handle });
          next.delete(key);
        }
        break; // the block record changed: its other orphans wait for the next pass
      }
    }

    // Dead nodes: those holding blocks or affinities without a liveness key.
    const holders = new Set<string>(snap.affinities.keys());
    for (const { block } of snap.blocks.values()) if (block.affinity !== null) holders.add(block.affinity);
    const deadSince = new Map<string, number>();
    for (const n of holders) {
      if (n === this.node || snap.live.has(n)) continue;
      deadSince.set(n, this.deadSince.get(n) ?? now);
    }
    this.deadSince = deadSince;

    const releasedBlocks: Array<{ node: string; block: string }> = [];
    const removedAffinities: Array<{ node: string; block: string; state: AffinityState }> = [];
    for (const [n, since] of deadSince) {
      if (now - since < this.deadNodeGraceMs) continue;
      const affinities = snap.affinities.get(n) ?? new Map<string, { kv: KeyValue; state: AffinityState }>();
      for (const [cidr, { kv, block }] of snap.blocks) {
        if (block.affinity !== n || !this.isReleasable(block, now)) continue;
        // Grace is already over: the first sighting counts, the second releases.
        const key = `block ${cidr}`;
        if (!sight(key, kv.modRevision, 0)) continue;
        const aff = affinities.get(cidr);
        const r = await this.store.txn(
          [cmp.unchanged(kv.key, kv), cmp.unchanged(keys.affinity(n, cidr), aff?.kv), cmp.absent(keys.liveness(n))],
          [op.delete(kv.key), ...(aff === undefined ? [] : [op.delete(aff.kv.key)])],
        );
        if (!r.succeeded) conflicts++;
        else {
          releasedBlocks.push({ node: n, block: cidr });
          next.delete(key);
        }
      }
      for (const [cidr, aff] of affinities) {
        const blockEntry = snap.blocks.get(cidr);
        if (blockEntry !== undefined && blockEntry.block.affinity === n) continue; // handled with its block
        const key = `affinity ${n} ${cidr}`;
        if (!sight(key, aff.kv.modRevision, 0)) continue;
        const r = await this.store.txn(
          [cmp.unchanged(aff.kv.key, aff.kv), cmp.unchanged(keys.block(cidr), blockEntry?.kv), cmp.absent(keys.liveness(n))],
          [op.delete(aff.kv.key)],
        );
        if (!r.succeeded) conflicts++;
        else {
          removedAffinities.push({ node: n, block: cidr, state: aff.state });
          next.delete(key);
        }
      }
    }

    this.sightings = next;
    return {
      revision: snap.revision,
      releasedHandles,
      releasedOrphans,
      releasedBlocks,
      removedAffinities,
      deadNodes: [...deadSince].map(([node, since]) => ({ node, deadForMs: now - since })).sort((a, b) => (a.node < b.node ? -1 : 1)),
      waiting: next.size,
      conflicts,
      corrupt: snap.corrupt,
      unrecordedPods: [...valid].filter((h) => !snap.handles.has(h)).sort(),
    };
  }

  /** Empty, and nothing freed in it still cooling down. */
  private isReleasable(block: Block, now: number): boolean {
    if (block.allocatedCount() !== 0) return false;
    return block.toData().freed.every(([, at]) => now - at >= this.cooldownMs);
  }

  private async snapshot(): Promise<Snapshot> {
    const { kvs, revision } = await this.store.list(prefixes.root);
    const snap: Snapshot = { revision, blocks: new Map(), affinities: new Map(), handles: new Map(), live: new Set(), corrupt: [] };
    for (const kv of kvs) {
      const k = parseKey(kv.key);
      try {
        if (k?.kind === 'liveness') snap.live.add(k.node);
        else if (k?.kind === 'block') snap.blocks.set(k.cidr, { kv, block: parseBlock(kv) });
        else if (k?.kind === 'handle') {
          const data = parseHandle(kv); // first: it reports bad JSON as a corrupt record
          snap.handles.set(k.handle, { kv, raw: JSON.parse(kv.value) as Record<string, unknown>, data });
        }
        else if (k?.kind === 'affinity') {
          const mine = snap.affinities.get(k.node) ?? new Map<string, { kv: KeyValue; state: AffinityState }>();
          mine.set(k.cidr, { kv, state: parseAffinity(kv).state });
          snap.affinities.set(k.node, mine);
        }
      } catch (e) {
        if (!(e instanceof IpamCorruptRecordError)) throw e;
        snap.corrupt.push(kv.key);
      }
    }
    return snap;
  }

  /** Releases every address of a leaked handle, guarded by the handle record and its blocks
   * as snapshotted; undefined when something changed since. */
  private async releaseHandle(snap: Snapshot, handle: string): Promise<string[] | undefined> {
    const { compares, ops, addresses } = handleRelease(snap.handles.get(handle)!, snap.blocks, this.clock.now());
    const r = await this.store.txn(compares, ops);
    return r.succeeded ? addresses : undefined;
  }

  /** Frees one orphan ordinal if the block and the (absent) handle record are as read. */
  private async releaseOrdinal(blockKv: KeyValue, ordinal: number, handle: string, now: number): Promise<boolean> {
    const block = parseBlock(blockKv);
    block.release(ordinal, now);
    const r = await this.store.txn([cmp.unchanged(blockKv.key, blockKv), cmp.absent(keys.handle(handle))], [op.put(blockKv.key, block.serialize())]);
    return r.succeeded;
  }
}

export interface ReleasedAddress {
  readonly address: string;
  readonly block: string;
  /** The handle that held it. */
  readonly handle: string | undefined;
}

/**
 * Releases one address (`wren ipam release --ip`): frees its ordinal and removes it from its
 * handle's record (deleting the record when it held nothing else), in one transaction.
 * Undefined when the address is not allocated (or in no block). Retries lost races.
 */
export async function releaseAddress(
  store: Datastore,
  address: string,
  opts: { clock?: IpamClock; maxAttempts?: number } = {},
): Promise<ReleasedAddress | undefined> {
  const { family, value } = parseAddress(address);
  const clock = opts.clock ?? { now: () => Date.now() };
  const maxAttempts = opts.maxAttempts ?? 100;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const { kvs } = await store.list(prefixes.blocks);
    let found: { kv: KeyValue; block: Block } | undefined;
    for (const kv of kvs) {
      const k = parseKey(kv.key);
      if (k?.kind !== 'block') continue;
      const block = parseBlock(kv);
      if (cidrContains(block.cidr, family, value)) found = { kv, block };
    }
    if (found === undefined) return undefined;
    const { kv, block } = found;
    const ordinal = block.ordinalOf(family, value)!;
    if (!block.isAllocated(ordinal)) return undefined;
    const handle = block.handleOf(ordinal);
    const cidr = formatCidr(block.cidr);
    block.release(ordinal, clock.now());
    const compares: Compare[] = [cmp.unchanged(kv.key, kv)];
    const ops: TxnOp[] = [op.put(kv.key, block.serialize())];
    if (handle !== undefined) {
      const handleKey = keys.handle(handle);
      const handleKv = await store.get(handleKey);
      compares.push(cmp.unchanged(handleKey, handleKv));
      if (handleKv !== undefined) {
        const raw = JSON.parse(handleKv.value) as Record<string, unknown>;
        const rec = parseHandle(handleKv);
        const blocks: Record<string, number[]> = {};
        for (const [c, ords] of Object.entries(rec.blocks)) {
          const left = c === cidr ? ords.filter((o) => o !== ordinal) : ords;
          if (left.length > 0) blocks[c] = left;
        }
        // Keep any other fields of the record (attribution) as they were.
        ops.push(Object.keys(blocks).length === 0 ? op.delete(handleKey) : op.put(handleKey, JSON.stringify({ ...raw, blocks })));
      }
    }
    const r = await store.txn(compares, ops);
    if (r.succeeded) return { address: block.addressOf(ordinal), block: cidr, handle };
  }
  throw new IpamConflictError('releaseAddress', maxAttempts);
}
