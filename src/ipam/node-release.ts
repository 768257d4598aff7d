// Everything IPAM holds for a node that is gone for good (`wren node del`), released.
//
// The garbage collector (gc.ts) never takes addresses from a dead node: its pods may still run
// (a daemon killed with -9 leaves its routes in the kernel), so only its empty blocks go. An
// operator who removed a node knows better, and says so by deleting it, as with
// `calicoctl delete node`. Then:
//  - every handle attributed to the node (its pods) is released, wherever its addresses are:
//    its own blocks and blocks it borrowed from;
//  - its blocks, empty now, are deleted with their affinities and are free for any node to
//    claim. A block that still holds addresses of other nodes' pods (they borrowed from it) or
//    of handles that name no node is kept, and said so: those are not the node's to release;
//  - its affinities without a block of its own (a claim it never finished) are deleted.
//
// Refused while the node is live (its liveness key exists): a running daemon would go on using
// what is released here. Every write is a compare-and-swap guarded by what it was decided from
// and by the liveness key's absence, so a node coming back or a concurrent allocation makes it
// fail harmlessly; the release then starts again from a fresh snapshot, and what was already
// released stays released.

import { cmp, op, type Compare, type Datastore, type KeyValue, type TxnOp } from '../datastore/port.js';
import { keys, parseKey, prefixes } from '../datastore/keys.js';
import type { IpamClock } from './allocator.js';
import type { Block } from './block.js';
import { IpamConflictError, IpamNodeLiveError } from './errors.js';
import { handleRelease } from './handle-release.js';
import { parseBlock, parseHandle, type HandleData } from './records.js';

export interface NodeReleaseReport {
  readonly node: string;
  /** The node's handles (pod ids) and the addresses each held. */
  readonly releasedHandles: ReadonlyArray<{ readonly handle: string; readonly addresses: readonly string[] }>;
  /** The node's blocks deleted with their affinities. */
  readonly releasedBlocks: readonly string[];
  /** The node's blocks kept: who still holds addresses in them. */
  readonly keptBlocks: ReadonlyArray<{ readonly block: string; readonly holders: readonly string[] }>;
  /** Affinities of the node to blocks that were not its own (unfinished claims). */
  readonly removedAffinities: readonly string[];
}

interface Snapshot {
  blocks: Map<string, { kv: KeyValue; block: Block }>;
  handles: Map<string, { kv: KeyValue; data: HandleData }>;
  /** This node's affinities: block CIDR → record */
  affinities: Map<string, KeyValue>;
}

type Step = 'done' | 'conflict';

export async function releaseNode(store: Datastore, node: string, opts: { clock?: IpamClock; maxAttempts?: number } = {}): Promise<NodeReleaseReport> {
  keys.node(node); // validates the name
  const clock = opts.clock ?? { now: () => Date.now() };
  const maxAttempts = opts.maxAttempts ?? 20;
  const report = { node, releasedHandles: [] as Array<{ handle: string; addresses: string[] }>, releasedBlocks: [] as string[], keptBlocks: [] as Array<{ block: string; holders: string[] }>, removedAffinities: [] as string[] };
  const notLive = cmp.absent(keys.liveness(node));

  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    if ((await store.get(keys.liveness(node))) !== undefined) throw new IpamNodeLiveError(node);
    const snap = await snapshot(store, node);
    report.keptBlocks = [];

    /** One guarded transaction; on success the snapshot learns what it wrote. */
    const write = async (compares: Compare[], ops: TxnOp[]): Promise<boolean> => {
      const r = await store.txn([...compares, notLive], ops);
      if (!r.succeeded) return false;
      for (const o of ops) {
        const k = parseKey(o.key);
        if (k?.kind !== 'block') continue;
        if (o.kind === 'delete') snap.blocks.delete(k.cidr);
        else if (o.kind === 'put') {
          // Only modRevision guards later writes; the other fields are not read here.
          const kv: KeyValue = { key: o.key, value: o.value, createRevision: 0, modRevision: r.revision, version: 0, lease: undefined };
          snap.blocks.set(k.cidr, { kv, block: parseBlock(kv) });
        }
      }
      return true;
    };

    const step = async (): Promise<Step> => {
      // The node's pods: their handles and every address they hold.
      for (const [handle, h] of snap.handles) {
        if (h.data.node !== node) continue;
        const { compares, ops, addresses } = handleRelease(h, snap.blocks, clock.now());
        if (!(await write(compares, ops))) return 'conflict';
        snap.handles.delete(handle);
        report.releasedHandles.push({ handle, addresses });
      }

      // Its blocks: deleted when empty, kept (and why) otherwise.
      for (const [cidr, { kv, block }] of snap.blocks) {
        if (block.affinity !== node) continue;
        const aff = snap.affinities.get(cidr);
        if (block.allocatedCount() > 0) {
          report.keptBlocks.push({ block: cidr, holders: holdersOf(block, snap) });
          continue;
        }
        if (!(await write([cmp.unchanged(kv.key, kv), cmp.unchanged(keys.affinity(node, cidr), aff)], [op.delete(kv.key), ...(aff === undefined ? [] : [op.delete(aff.key)])]))) return 'conflict';
        snap.affinities.delete(cidr);
        report.releasedBlocks.push(cidr);
      }

      // Affinities to blocks that are not the node's own (a claim it never finished).
      for (const [cidr, aff] of snap.affinities) {
        const entry = snap.blocks.get(cidr);
        if (entry !== undefined && entry.block.affinity === node) continue; // a kept block keeps its affinity
        if (!(await write([cmp.unchanged(aff.key, aff), cmp.unchanged(keys.block(cidr), entry?.kv)], [op.delete(aff.key)]))) return 'conflict';
        report.removedAffinities.push(cidr);
      }
      return 'done';
    };

    if ((await step()) === 'done') return report;
  }
  throw new IpamConflictError(`releasing node ${node}`, maxAttempts);
}

/** Who holds the addresses left in a block: "node n2: 2 addresses", "handle h1 (no node): 1 address". */
function holdersOf(block: Block, snap: Snapshot): string[] {
  const counts = new Map<string, number>();
  for (const o of block.allocatedOrdinals()) {
    const handle = block.handleOf(o);
    const owner = handle === undefined ? undefined : snap.handles.get(handle)?.data.node;
    const who = owner !== undefined ? `node ${owner}` : handle === undefined ? 'no handle' : `handle ${handle} (no node)`;
    counts.set(who, (counts.get(who) ?? 0) + 1);
  }
  return [...counts].map(([who, n]) => `${who}: ${n} address${n === 1 ? '' : 'es'}`);
}

async function snapshot(store: Datastore, node: string): Promise<Snapshot> {
  const { kvs } = await store.list(prefixes.ipam);
  const snap: Snapshot = { blocks: new Map(), handles: new Map(), affinities: new Map() };
  for (const kv of kvs) {
    const k = parseKey(kv.key);
    // A record that does not parse stops the release (IpamCorruptRecordError names it):
    // deciding around it could free an address twice. `wren ipam check` shows them all.
    if (k?.kind === 'block') snap.blocks.set(k.cidr, { kv, block: parseBlock(kv) });
    else if (k?.kind === 'handle') snap.handles.set(k.handle, { kv, data: parseHandle(kv) });
    else if (k?.kind === 'affinity' && k.node === node) snap.affinities.set(k.cidr, kv);
  }
  return snap;
}
