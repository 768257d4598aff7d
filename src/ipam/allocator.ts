// Cluster-unique address allocation through the datastore port, Calico's way (DESIGN.md):
// a node allocates from its own confirmed blocks first, claims a new block next
// (affinity pending → block created if absent → affinity confirmed, each step a
// compare-and-swap), and borrows single addresses from other nodes' blocks only when the pool
// has no unclaimed block left and the pool is not `strictAffinity`.
//
// Every write is one transaction guarded by the modRevision of everything it was computed from
// (block and handle record written together, so they never disagree). A lost race re-reads and
// tries again, a bounded number of times, then fails with IpamConflictError.

import { createHash } from 'node:crypto';
import { cmp, op, type Datastore, type KeyValue, type TxnOp } from '../datastore/port.js';
import { keys, parseKey, prefixes } from '../datastore/keys.js';
import { Block, blockContaining, blockSizeFor, poolBlocks } from './block.js';
import { cidrContains, cidrsOverlap, familyBits, formatCidr, parseAddress, parseCidr, type Cidr, type Family } from './cidr.js';
import { checkSnapshot, type IpamCheckReport } from './check.js';
import {
  IpamAddressInUseError,
  IpamAddressOutsidePoolsError,
  IpamConflictError,
  IpamExhaustedError,
  IpamNoPoolError,
  IpamPoolOverlapError,
  IpamUnknownPoolError,
} from './errors.js';
import {
  parseAffinity,
  parseBlock,
  parseHandle,
  parsePool,
  serializeAffinity,
  serializePool,
  withOrdinal,
  type AffinityState,
  type HandleData,
  type Pool,
} from './records.js';

/** Wall-clock milliseconds: release times are compared across nodes, so not a monotonic clock. */
export interface IpamClock {
  now(): number;
}

export interface IpamInit {
  /** This node's name: the affinity of the blocks it claims. */
  node: string;
  clock?: IpamClock;
  /** Minimum time before a released address is handed out again. Default 0. */
  cooldownMs?: number;
  /**
   * Look for a free block from a place that depends on the node's name instead of from the
   * pool's start, so nodes claiming at once (a cluster starting) do not all race for the same
   * block. Default false (first free block: predictable addresses).
   */
  spreadClaims?: boolean;
  /** Attempts per operation before IpamConflictError. Default 100. */
  maxAttempts?: number;
}

export interface AddPoolInput {
  cidr: string;
  blockSize?: number;
  strictAffinity?: boolean;
}

export interface BlockSummary {
  readonly cidr: string;
  readonly affinity: string | null;
  /** State of the affinity of `affinity` to this block (missing if no such key). */
  readonly affinityState: AffinityState | 'missing';
  readonly size: number;
  readonly allocations: ReadonlyArray<{ readonly address: string; readonly handle: string | undefined }>;
}

interface Snapshot {
  readonly pools: Pool[];
  readonly blocks: Map<string, { kv: KeyValue; block: Block }>;
  /** This node's affinities by block CIDR. */
  readonly mine: Map<string, { kv: KeyValue; state: AffinityState }>;
  readonly handleKv: KeyValue | undefined;
}

/** A key as a transaction that created it with one put left it: all of its writes share one revision. */
function written(key: string, value: string, revision: number): KeyValue {
  return { key, value, createRevision: revision, modRevision: revision, version: 1, lease: undefined };
}

/** An attempt lost a race (or changed state the next attempt builds on): read again. */
const AGAIN = Symbol('again');

export class Ipam {
  readonly node: string;
  private readonly clock: IpamClock;
  private readonly cooldownMs: number;
  private readonly maxAttempts: number;
  private readonly spreadClaims: boolean;

  constructor(
    private readonly store: Datastore,
    init: IpamInit,
  ) {
    keys.node(init.node); // validates the name
    this.node = init.node;
    this.clock = init.clock ?? { now: () => Date.now() };
    this.cooldownMs = init.cooldownMs ?? 0;
    this.maxAttempts = init.maxAttempts ?? 100;
    this.spreadClaims = init.spreadClaims ?? false;
  }

  /** Creates a pool; rejects a malformed CIDR, a bad block size and any overlap. */
  async addPool(input: AddPoolInput): Promise<Pool> {
    const parsed = parseCidr(input.cidr);
    const data = { cidr: formatCidr(parsed), blockSize: blockSizeFor(parsed, input.blockSize), strictAffinity: input.strictAffinity ?? false };
    return this.retry('addPool', async () => {
      const pools = await this.listPools();
      const clash = pools.find((p) => cidrsOverlap(p.parsed, parsed));
      if (clash !== undefined) throw new IpamPoolOverlapError(data.cidr, clash.cidr);
      // Guard on the key only: two admins adding different overlapping pools at the same
      // instant is not prevented (the port has no range compare); `check` would flag blocks.
      const key = keys.pool(data.cidr);
      const value = serializePool(data);
      const r = await this.store.txn([cmp.absent(key)], [op.put(key, value)]);
      if (!r.succeeded) return AGAIN;
      return { ...data, parsed, kv: written(key, value, r.revision) };
    });
  }

  /**
   * `wren pool disable|enable`: whether addresses are given from the pool automatically. The
   * pods it holds keep their addresses. Returns false when it already was so. A claim in flight
   * fails (it compares the pool as it read it) and reads again.
   */
  async setPoolDisabled(cidrText: string, disabled: boolean): Promise<boolean> {
    const cidr = formatCidr(parseCidr(cidrText));
    const key = keys.pool(cidr);
    return this.retry('setPoolDisabled', async () => {
      const kv = await this.store.get(key);
      if (kv === undefined) throw new IpamUnknownPoolError(cidr, (await this.listPools()).map((p) => p.cidr));
      const pool = parsePool(kv);
      if (pool.deleting === true) throw new IpamNoPoolError(`pool ${cidr} is being deleted`);
      if ((pool.disabled === true) === disabled) return false;
      const value = serializePool({ ...pool, disabled });
      const r = await this.store.txn([cmp.unchanged(key, kv)], [op.put(key, value)]);
      return r.succeeded ? true : AGAIN;
    });
  }

  async listPools(): Promise<Pool[]> {
    const { kvs } = await this.store.list(prefixes.pools);
    return kvs.map(parsePool);
  }

  /** Allocates one address of `family` for `handle` (from `pool` only, if given). */
  async autoAssign(req: { handle: string; family: Family; pool?: string }): Promise<string> {
    const handleKey = keys.handle(req.handle);
    return this.retry('autoAssign', async () => {
      // 1. This node's confirmed blocks, from its own records first: with room there (every
      // pod but the first of each block) nothing else of the cluster's IPAM is read.
      const ownFirst = await this.fromOwnBlocks(req.family, req.pool, handleKey, req.handle);
      if (ownFirst !== undefined) return ownFirst;
      const snap = await this.snapshot(handleKey);
      const pools = this.poolsFor(snap.pools, req.family, req.pool);
      const now = this.clock.now();
      // 1 again, on the snapshot (the blocks may have changed since): in pool order then address order.
      const own = [...snap.mine]
        .filter(([, aff]) => aff.state === 'confirmed')
        .map(([cidr]) => snap.blocks.get(cidr))
        .filter((e): e is { kv: KeyValue; block: Block } => e !== undefined && e.block.affinity === this.node)
        .filter((e) => pools.some((p) => cidrContains(p.parsed, e.block.cidr.family, e.block.cidr.base)))
        .sort((a, b) => (a.block.cidr.base < b.block.cidr.base ? -1 : 1));
      for (const entry of own) {
        const got = await this.tryAllocate(entry, snap.handleKv, req.handle, now);
        if (got !== undefined) return got;
      }
      // 2. Claim the first unclaimed block of a pool.
      for (const pool of pools) {
        const free = this.firstUnclaimed(pool, snap);
        if (free !== undefined) {
          // The snapshot says what the claim would read again; its compares still guard it. A
          // claim that ends with the block ours allocates in it at once, from what it wrote.
          const text = formatCidr(free);
          const claimed = await this.claim(free, pool, { affinity: snap.mine.get(text)?.kv, block: snap.blocks.get(text) });
          if (claimed === undefined) return AGAIN;
          return (await this.tryAllocate(claimed, snap.handleKv, req.handle, now)) ?? AGAIN;
        }
      }
      // 3. Borrow from other nodes' blocks.
      for (const pool of pools) {
        if (pool.strictAffinity) continue;
        for (const entry of snap.blocks.values()) {
          if (entry.block.affinity === this.node && snap.mine.get(formatCidr(entry.block.cidr))?.state === 'confirmed') continue;
          if (!cidrContains(pool.parsed, entry.block.cidr.family, entry.block.cidr.base)) continue;
          const got = await this.tryAllocate(entry, snap.handleKv, req.handle, now);
          if (got !== undefined) return got;
        }
      }
      throw new IpamExhaustedError(pools.map((p) => p.cidr), this.node);
    });
  }

  /** Allocates a specific address (it must be free and inside a pool) to `handle`. A free
   * block is claimed for this node first; cooldown does not apply to explicit requests. */
  async assign(req: { handle: string; address: string }): Promise<string> {
    const { family, value } = parseAddress(req.address);
    const handleKey = keys.handle(req.handle);
    return this.retry('assign', async () => {
      const pool = (await this.listPools()).find((p) => cidrContains(p.parsed, family, value));
      if (pool === undefined) throw new IpamAddressOutsidePoolsError(req.address);
      if (pool.deleting === true) throw new IpamNoPoolError(`pool ${pool.cidr} is being deleted`);
      const cidr = blockContaining(pool.parsed, pool.blockSize, value);
      const blockKey = keys.block(formatCidr(cidr));
      const [blockKv, handleKv] = await Promise.all([this.store.get(blockKey), this.store.get(handleKey)]);
      if (blockKv === undefined) {
        await this.claim(cidr, pool);
        return AGAIN;
      }
      const block = parseBlock(blockKv);
      const ordinal = block.ordinalOf(family, value)!;
      if (block.isAllocated(ordinal)) throw new IpamAddressInUseError(block.addressOf(ordinal), block.handleOf(ordinal) ?? '(none)');
      block.assign(ordinal, req.handle);
      return (await this.commitAllocation(blockKv, block, handleKv, req.handle, ordinal)) ?? AGAIN;
    });
  }

  /** Whether `handle` has a record (whatever it holds, even if it does not parse). */
  async handleExists(handle: string): Promise<boolean> {
    return (await this.store.get(keys.handle(handle))) !== undefined;
  }

  /** Releases every address of `handle`; returns them (empty if the handle holds none). */
  async releaseByHandle(handle: string): Promise<string[]> {
    const handleKey = keys.handle(handle);
    return this.retry('releaseByHandle', async () => {
      const handleKv = await this.store.get(handleKey);
      if (handleKv === undefined) return [];
      const rec = parseHandle(handleKv);
      const now = this.clock.now();
      const compares = [cmp.unchanged(handleKey, handleKv)];
      const ops: TxnOp[] = [op.delete(handleKey)];
      const released: string[] = [];
      for (const [cidr, ordinals] of Object.entries(rec.blocks)) {
        const blockKey = keys.block(cidr);
        const blockKv = await this.store.get(blockKey);
        compares.push(cmp.unchanged(blockKey, blockKv));
        if (blockKv === undefined) continue;
        const block = parseBlock(blockKv);
        // Only ordinals this handle still holds: exactness even against a stale record.
        for (const o of ordinals) {
          if (block.handleOf(o) === handle && block.release(o, now)) released.push(block.addressOf(o));
        }
        ops.push(op.put(blockKey, block.serialize()));
      }
      const r = await this.store.txn(compares, ops);
      return r.succeeded ? released : AGAIN;
    });
  }

  /** Every block with its affinity and allocations. */
  async listBlocks(): Promise<BlockSummary[]> {
    const { kvs } = await this.store.list(prefixes.ipam);
    const affinities = new Map<string, AffinityState>();
    const blocks: Block[] = [];
    for (const kv of kvs) {
      const k = parseKey(kv.key);
      if (k?.kind === 'affinity') affinities.set(`${k.node} ${k.cidr}`, parseAffinity(kv).state);
      else if (k?.kind === 'block') blocks.push(parseBlock(kv));
    }
    return blocks.map((b) => ({
      cidr: formatCidr(b.cidr),
      affinity: b.affinity,
      affinityState: b.affinity === null ? 'missing' : (affinities.get(`${b.affinity} ${formatCidr(b.cidr)}`) ?? 'missing'),
      size: b.size,
      allocations: b.allocatedOrdinals().map((o) => ({ address: b.addressOf(o), handle: b.handleOf(o) })),
    }));
  }

  /** Blocks `node` may route (advertise and blackhole): confirmed affinities whose block is
   * affine to it. Pending claims are never included. */
  async confirmedBlocks(node: string = this.node): Promise<string[]> {
    const { kvs } = await this.store.list(prefixes.nodeAffinities(node));
    const out: string[] = [];
    for (const kv of kvs) {
      const k = parseKey(kv.key);
      if (k?.kind !== 'affinity' || parseAffinity(kv).state !== 'confirmed') continue;
      const blockKv = await this.store.get(keys.block(k.cidr));
      if (blockKv !== undefined && parseBlock(blockKv).affinity === node) out.push(k.cidr);
    }
    return out;
  }

  /** Consistency report over one snapshot of every IPAM key. */
  async check(): Promise<IpamCheckReport> {
    const { kvs, revision } = await this.store.list(prefixes.ipam);
    return checkSnapshot(kvs, revision);
  }

  // --- internals ---

  private async retry<T>(operation: string, attempt: () => Promise<T | typeof AGAIN>): Promise<T> {
    for (let i = 0; i < this.maxAttempts; i++) {
      const r = await attempt();
      if (r !== AGAIN) return r;
    }
    throw new IpamConflictError(operation, this.maxAttempts);
  }

  private async snapshot(handleKey: string): Promise<Snapshot> {
    const { kvs } = await this.store.list(prefixes.ipam);
    const snap: Snapshot = { pools: [], blocks: new Map(), mine: new Map(), handleKv: undefined };
    for (const kv of kvs) {
      const k = parseKey(kv.key);
      if (k?.kind === 'pool') snap.pools.push(parsePool(kv));
      else if (k?.kind === 'block') snap.blocks.set(k.cidr, { kv, block: parseBlock(kv) });
      else if (k?.kind === 'affinity' && k.node === this.node) snap.mine.set(k.cidr, { kv, state: parseAffinity(kv).state });
    }
    return { ...snap, handleKv: kvs.find((kv) => kv.key === handleKey) };
  }

  /**
   * Step 1 of autoAssign from this node's records only: the pools, its affinities and the
   * handle, then those blocks (two round trips), a few keys where the snapshot reads every
   * block and handle of the cluster. The commit compares the block and the handle as read, as
   * from the snapshot. undefined: no room in this node's confirmed blocks (or none yet).
   */
  private async fromOwnBlocks(family: Family, poolCidr: string | undefined, handleKey: string, handle: string): Promise<string | typeof AGAIN | undefined> {
    const [allPools, { kvs }, handleKv] = await Promise.all([this.listPools(), this.store.list(prefixes.nodeAffinities(this.node)), this.store.get(handleKey)]);
    const pools = this.poolsFor(allPools, family, poolCidr);
    const confirmed: string[] = [];
    for (const kv of kvs) {
      const k = parseKey(kv.key);
      if (k?.kind === 'affinity' && parseAffinity(kv).state === 'confirmed') confirmed.push(k.cidr);
    }
    if (confirmed.length === 0) return undefined;
    const blockKvs = await Promise.all(confirmed.map((cidr) => this.store.get(keys.block(cidr))));
    const own = blockKvs
      .filter((kv): kv is KeyValue => kv !== undefined)
      .map((kv) => ({ kv, block: parseBlock(kv) }))
      .filter((e) => e.block.affinity === this.node && pools.some((p) => cidrContains(p.parsed, e.block.cidr.family, e.block.cidr.base)))
      .sort((a, b) => (a.block.cidr.base < b.block.cidr.base ? -1 : 1));
    const now = this.clock.now();
    for (const entry of own) {
      const got = await this.tryAllocate(entry, handleKv, handle, now);
      if (got !== undefined) return got;
    }
    return undefined;
  }

  /** The pools to allocate from automatically: not disabled (`wren pool disable`), not being deleted (`wren pool del`). */
  private poolsFor(pools: Pool[], family: Family, poolCidr: string | undefined): Pool[] {
    const why = (p: Pool): string | undefined => (p.deleting === true ? 'being deleted' : p.disabled === true ? 'disabled' : undefined);
    if (poolCidr !== undefined) {
      const want = formatCidr(parseCidr(poolCidr));
      const pool = pools.find((p) => p.cidr === want);
      if (pool === undefined) throw new IpamNoPoolError(`pool ${want} does not exist`);
      const not = why(pool);
      if (not !== undefined) throw new IpamNoPoolError(`pool ${want} is ${not}`);
      return [pool];
    }
    const ofFamily = pools.filter((p) => p.parsed.family === family);
    const usable = ofFamily.filter((p) => why(p) === undefined);
    if (usable.length === 0) {
      const unusable = ofFamily.map((p) => `${p.cidr} ${why(p)}`);
      throw new IpamNoPoolError(`no IPv${family} pool${unusable.length > 0 ? ` (${unusable.join(', ')})` : ''}`, unusable);
    }
    return usable;
  }

  /** First block of the pool with no block record (our own half-done claim counts as free). */
  private firstUnclaimed(pool: Pool, snap: Snapshot): Cidr | undefined {
    // Bounded by the number of existing blocks + 1, however large the pool.
    for (const cidr of this.spreadClaims ? spreadBlocks(pool, this.node) : poolBlocks(pool.parsed, pool.blockSize)) {
      const text = formatCidr(cidr);
      const entry = snap.blocks.get(text);
      if (entry === undefined) return cidr;
      if (entry.block.affinity === this.node && snap.mine.get(text)?.state !== 'confirmed') return cidr;
    }
    return undefined;
  }

  /** One claim attempt: pending affinity → block created if absent → affinity confirmed.
   * Any lost race simply ends the attempt; the caller re-reads and retries. The block is
   * created only while its pool is as read: `wren pool del` marks the pool first, so after the
   * mark no new block appears in it. */
  private async claim(cidr: Cidr, pool: Pool, known?: { affinity: KeyValue | undefined; block: { kv: KeyValue; block: Block } | undefined }): Promise<{ kv: KeyValue; block: Block } | undefined> {
    const text = formatCidr(cidr);
    const affKey = keys.affinity(this.node, text);
    const blockKey = keys.block(text);
    let affKv = known !== undefined ? known.affinity : await this.store.get(affKey);
    if (affKv === undefined) {
      const value = serializeAffinity('pending');
      const r = await this.store.txn([cmp.absent(affKey)], [op.put(affKey, value)]);
      if (!r.succeeded) return undefined;
      affKv = written(affKey, value, r.revision);
    }
    if (parseAffinity(affKv).state === 'confirmed') return undefined;
    let entry: { kv: KeyValue; block: Block } | undefined;
    if (known !== undefined) entry = known.block;
    else {
      const kv = await this.store.get(blockKey);
      entry = kv === undefined ? undefined : { kv, block: parseBlock(kv) };
    }
    if (entry === undefined) {
      const block = Block.create(cidr, this.node);
      const value = block.serialize();
      const created = await this.store.txn([cmp.absent(blockKey), cmp.unchanged(affKey, affKv), cmp.unchanged(pool.kv.key, pool.kv)], [op.put(blockKey, value)]);
      if (!created.succeeded) {
        await this.store.txn([cmp.unchanged(affKey, affKv)], [op.delete(affKey)]);
        return undefined;
      }
      entry = { kv: written(blockKey, value, created.revision), block };
    } else if (entry.block.affinity !== this.node) {
      // Another node won the block: withdraw our pending claim.
      await this.store.txn([cmp.unchanged(affKey, affKv)], [op.delete(affKey)]);
      return undefined;
    }
    const confirmed = await this.store.txn([cmp.unchanged(affKey, affKv), cmp.exists(blockKey)], [op.put(affKey, serializeAffinity('confirmed'))]);
    return confirmed.succeeded ? entry : undefined;
  }

  /** Allocates from one block: the address, undefined if the block is full, AGAIN on a race. */
  private async tryAllocate(
    entry: { kv: KeyValue; block: Block },
    handleKv: KeyValue | undefined,
    handle: string,
    now: number,
  ): Promise<string | typeof AGAIN | undefined> {
    // Work on a copy: the snapshot's block must stay as read for later candidates.
    const block = parseBlock(entry.kv);
    const ordinal = block.allocate(handle, now, this.cooldownMs);
    if (ordinal === undefined) return undefined;
    return (await this.commitAllocation(entry.kv, block, handleKv, handle, ordinal)) ?? AGAIN;
  }

  private async commitAllocation(
    blockKv: KeyValue,
    block: Block,
    handleKv: KeyValue | undefined,
    handle: string,
    ordinal: number,
  ): Promise<string | undefined> {
    const handleKey = keys.handle(handle);
    const rec: HandleData | undefined = handleKv === undefined ? undefined : parseHandle(handleKv);
    const next = withOrdinal(rec, handle, formatCidr(block.cidr), ordinal, this.node);
    const r = await this.store.txn(
      [cmp.unchanged(blockKv.key, blockKv), cmp.unchanged(handleKey, handleKv)],
      [op.put(blockKv.key, block.serialize()), op.put(handleKey, JSON.stringify(next))],
    );
    return r.succeeded ? block.addressOf(ordinal) : undefined;
  }
}

/** Every block of the pool once, starting at one picked from the node's name, wrapping around. */
function* spreadBlocks(pool: Pool, node: string): Generator<Cidr> {
  const bits = familyBits(pool.parsed.family);
  const count = 1n << BigInt(pool.blockSize - pool.parsed.length);
  const step = 1n << BigInt(bits - pool.blockSize);
  const start = BigInt(`0x${createHash('sha256').update(node).digest('hex').slice(0, 12)}`) % count;
  for (let i = 0n; i < count; i++) {
    yield { family: pool.parsed.family, base: pool.parsed.base + ((start + i) % count) * step, length: pool.blockSize };
  }
}
