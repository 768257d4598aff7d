// Update groups (DESIGN.md): peers with the same export signature, export policy and codec
// context share one export computation and one encoded buffer per batch, written to every
// member's socket.
//
// No Adj-RIB-Out is stored: a group keeps a set of dirty prefixes, each with the best path it
// had when it was last sent (the `previous` of the first change after a flush). A flush reads
// the current best from the Loc-RIB and sends the latest state only, so a burst of changes to
// one prefix costs one announcement (coalescing), and a slow group never queues messages:
// its dirty set is bounded by the number of prefixes.
import type { Path } from '../rib/types.js';
import type { CodecContext, Family, PathAttributes } from '../wire/types.js';
import { exportPath, type ExportResult } from '../reflector/export.js';
import { ExportCache } from '../reflector/export-cache.js';
import type { ExportTarget } from '../reflector/export-target.js';
import { encodeAttributes } from '../wire/attributes/encode-attributes.js';
import { packIpv4, packIpv4Withdrawals, packIpv6, packIpv6Withdrawals } from '../wire/update-pack.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { DirtyQueue } from './dirty-queue.js';
import { attrsEqual } from '../rib/attrs-equal.js';

/** What a group needs from the Loc-RIB. */
export interface BestLookup {
  best4(prefix: number): Path | null;
  best6(prefix: string): Path | null;
}

/** The whole Loc-RIB, for a member that joins with the group's table (joinWithTable). */
export interface BestTable extends BestLookup {
  /** prefixes with a best route, over both families */
  prefixCount(): number;
  forEachBest4(fn: (prefix: number, best: Path) => void): void;
  forEachBest6(fn: (prefix: string, best: Path) => void): void;
}

/** What a group needs from a member session. */
export interface GroupMember {
  /** PathSource id of the session (routes it sent us are never sent back to it) */
  readonly sourceId: number;
  /** writes encoded UPDATEs; `count` is the number of messages in `buf` */
  write(buf: Buffer, count: number, prefixes: number): void;
  /** octets queued in user space for this socket */
  readonly backlog: number;
}

/** More than this queued on any member pauses the group until it drains. */
export const GROUP_BACKLOG_LIMIT = 8 * 1024 * 1024;
/** Derived attribute sets kept per group before the export cache is renewed. */
export const EXPORT_CACHE_LIMIT = 16_384;
/** Prefixes handled per flush slice before yielding to I/O. */
export const FLUSH_SLICE = 20_000;
/**
 * Loc-RIBs up to this size are sent to a joining member from the group's encoded table, kept
 * between joins (a node agent's few hundred routes: tens of kB). Larger ones go through a
 * catch-up group, sliced and paced by the member's socket.
 */
export const TABLE_JOIN_LIMIT = 4096;

export type GroupExport = ExportResult | { action: 'skip'; reason: 'export-policy' };
const REJECTED_BY_POLICY: GroupExport = Object.freeze({ action: 'skip', reason: 'export-policy' });

/** Encoded output of one slice: for everyone, for everyone but one member, for one member. */
interface Encoded {
  shared: Buffer[];
  except: Map<number, Buffer[]>;
  only: Map<number, Buffer[]>;
}

function push(map: Map<number, Buffer[]>, id: number, bufs: Buffer[]): void {
  const list = map.get(id);
  if (list) list.push(...bufs);
  else map.set(id, [...bufs]);
}

/** The group's whole output as its members hold it, encoded for a member that joins. */
interface EncodedTable {
  buf: Buffer | null;
  messages: number;
  prefixes: number;
  /** the sources of the routes in it: a member among them would get its own routes back */
  sources: Set<number>;
}

interface Batch<K> {
  /** attrs object → (excluded member id or -1) → prefixes */
  announce: Map<PathAttributes, Map<number | string, { nextHop: number | string; linkLocal?: string; prefixes: K[] }>>;
  /** prefixes to withdraw from every member */
  withdrawAll: K[];
  /** prefixes to withdraw from one member only (its own route became best) */
  withdrawOne: Map<number, K[]>;
}

export interface GroupStats {
  /** changes absorbed by an already dirty prefix (latest state wins) */
  coalesced: number;
  flushedPrefixes: number;
  updatesBuilt: number;
}

export class UpdateGroup {
  readonly members = new Set<GroupMember>();
  /** derived attribute sets by input identity; renewed when large (see EXPORT_CACHE_LIMIT) */
  cache: ExportCache;
  private readonly dirty4 = DirtyQueue.ipv4();
  private readonly dirty6 = DirtyQueue.ipv6();
  readonly stats: GroupStats = { coalesced: 0, flushedPrefixes: 0, updatesBuilt: 0 };
  /**
   * What joinWithTable sends: the group's output as its members hold it (a waiting prefix as
   * it was last sent). Valid until a flush changes what they hold, or a change skips the
   * queue (see noteExported).
   */
  private table: EncodedTable | null = null;
  /**
   * Plain iBGP towards a non-client: a route learned from a non-client iBGP peer never goes
   * out (RFC 4271 §9.1.3, RFC 4456 §6), so a change between two such paths is nothing to it.
   * In a node-to-node mesh that is every route a node learns.
   */
  private readonly plainIbgp: boolean;

  constructor(
    readonly key: string,
    readonly target: ExportTarget,
    readonly ctx: CodecContext,
    readonly families: ReadonlySet<Family>,
    readonly exportPolicy: CompiledPolicy | null,
  ) {
    this.cache = new ExportCache(key);
    this.plainIbgp = target.kind === 'ibgp' && !target.rrClient;
  }

  get maxSize(): number {
    return this.ctx.extendedMessage ? 65535 : 4096;
  }

  get pending(): number {
    return this.dirty4.size + this.dirty6.size;
  }

  /**
   * Records a best-path change; `previous` is what the prefix had before this change. `best`,
   * the new best path, lets a group whose only member is that path's source drop the change at
   * once when the member held nothing for the prefix (`previous` absent or its own too): there
   * is nothing to send it. Only for callers where a member joins a group after a catch-up of the
   * whole table (RouteEngine), since a member added later would never hear of the prefix here.
   */
  markDirty4(prefix: number, previous: Path | null, best?: Path | null): void {
    if (!this.families.has('ipv4-unicast')) return;
    if (best !== undefined && this.neverSent(best, previous)) return;
    if (best && this.ownsOnly(best, previous)) return this.noteExported();
    if (!this.dirty4.add(prefix, previous)) this.stats.coalesced++;
  }

  markDirty6(prefix: string, previous: Path | null, best?: Path | null): void {
    if (!this.families.has('ipv6-unicast')) return;
    if (best !== undefined && this.neverSent(best, previous)) return;
    if (best && this.ownsOnly(best, previous)) return this.noteExported();
    if (!this.dirty6.add(prefix, previous)) this.stats.coalesced++;
  }

  /**
   * Neither the old nor the new best path is one this group ever sends: the flush would find
   * nothing to announce or withdraw. (A prefix already waiting keeps its entry: the flush reads
   * the best path then.)
   */
  private neverSent(best: Path | null, previous: Path | null): boolean {
    return this.plainIbgp && unreflected(best) && unreflected(previous);
  }

  /** The group's output for some prefix may have changed: the encoded table is out of date. */
  private noteExported(): void {
    this.table = null;
  }

  /** The group's one member is the source of `best` and was not sent `previous` either. */
  private ownsOnly(best: Path, previous: Path | null): boolean {
    if (this.members.size !== 1 || (previous !== null && previous.source.id !== best.source.id)) return false;
    for (const m of this.members) return m.sourceId === best.source.id;
    return false;
  }

  blocked(): GroupMember | null {
    for (const m of this.members) if (m.backlog > GROUP_BACKLOG_LIMIT) return m;
    return null;
  }

  /** The path as this group sends it, after the propagation rules and export policy. */
  exportOf(path: Path, family: Family, prefix: number | string): GroupExport {
    const r = exportPath(path, this.target, this.cache);
    if (r.action !== 'send' || !this.exportPolicy) return r;
    const v = this.exportPolicy.evaluate(family, prefix, r.attrs);
    if (!v.accept) return REJECTED_BY_POLICY;
    return v.attrs === r.attrs ? r : { ...r, attrs: v.attrs };
  }

  /**
   * Sends up to `limit` dirty prefixes to every member. Returns how many were handled; the
   * caller schedules the next slice while `pending > 0` and no member is blocked.
   */
  flush(rib: BestLookup, limit = FLUSH_SLICE): number {
    if (this.members.size === 0) {
      const n = this.pending;
      if (n > 0) this.noteExported();
      this.dirty4.clear();
      this.dirty6.clear();
      return n;
    }
    // A million routes with as many attribute sets would otherwise keep a derived set each
    // alive for as long as the routes live; packing only needs identity within one slice.
    if (this.cache.built > EXPORT_CACHE_LIMIT) this.cache = new ExportCache(this.key);
    const memberIds = new Set<number>();
    for (const m of this.members) memberIds.add(m.sourceId);
    let done = 0;
    const enc: Encoded = { shared: [], except: new Map(), only: new Map() };
    if (this.dirty4.size > 0) {
      const { batch, handled } = this.collect(this.dirty4, limit, memberIds, 'ipv4-unicast', (p) => rib.best4(p));
      done += handled;
      this.encode4(batch, enc);
    }
    if (done < limit && this.dirty6.size > 0) {
      const { batch, handled } = this.collect(this.dirty6, limit - done, memberIds, 'ipv6-unicast', (p) => rib.best6(p));
      done += handled;
      this.encode6(batch, enc);
    }
    this.stats.flushedPrefixes += done;
    const join = (bufs: Buffer[]): Buffer => (bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs));
    const shared = enc.shared.length > 0 ? join(enc.shared) : null;
    const except = [...enc.except].map(([id, bufs]) => ({ id, buf: join(bufs), count: bufs.length }));
    this.stats.updatesBuilt += enc.shared.length + except.reduce((n, e) => n + e.count, 0);
    for (const m of this.members) {
      if (shared) m.write(shared, enc.shared.length, done);
      for (const e of except) if (e.id !== m.sourceId) m.write(e.buf, e.count, 0);
      const mine = enc.only.get(m.sourceId);
      if (mine) m.write(join(mine), mine.length, 0);
    }
    return done;
  }

  private collect<K extends number | string>(
    dirty: DirtyQueue<K>,
    limit: number,
    memberIds: ReadonlySet<number>,
    family: Family,
    best: (p: K) => Path | null,
  ): { batch: Batch<K>; handled: number } {
    const batch: Batch<K> = { announce: new Map(), withdrawAll: [], withdrawOne: new Map() };
    // With one member (a single peer, or a catch-up group), that member's own routes go to
    // nobody: split horizon excludes everyone. Their export and encoding would be thrown away,
    // and a node learning a full table from its only peer would do that for every route.
    let sole = -1;
    if (memberIds.size === 1) for (const id of memberIds) sole = id;
    const handled = dirty.take(limit, (prefix, previous) => {
      const cur = best(prefix);
      if (cur !== null && cur.source.id === sole) {
        // Not sent to the sole member, but other members would get it: the table changed.
        this.noteExported();
        // The member may only have to lose what it was sent before (another source's path).
        // Its own earlier path never went to it, so there is nothing to withdraw then.
        if (previous && previous.source.id !== sole && this.exportOf(previous, family, prefix).action === 'send') batch.withdrawAll.push(prefix);
        return;
      }
      const exp = cur ? this.exportOf(cur, family, prefix) : null;
      if (this.table !== null && ((exp !== null && exp.action === 'send') || (previous !== null && (previous.source.id === sole || this.exportOf(previous, family, prefix).action === 'send')))) this.noteExported();
      if (exp && exp.action === 'send' && cur && previous && previous.source.id === cur.source.id && sameExport(exp, this.exportOf(previous, family, prefix))) {
        // Same source re-announced what it had (e.g. after a graceful restart): the peers
        // already hold exactly this, so nothing goes out.
        return;
      }
      if (exp && exp.action === 'send' && cur) {
        // A member never gets its own route back (split horizon); it must lose what it had.
        const excluded = memberIds.has(cur.source.id) ? cur.source.id : -1;
        addAnnounce(batch, exp, excluded, prefix);
        if (excluded >= 0 && previous && previous.source.id !== excluded && this.exportOf(previous, family, prefix).action === 'send') {
          let list = batch.withdrawOne.get(excluded);
          if (!list) batch.withdrawOne.set(excluded, (list = []));
          list.push(prefix);
        }
      } else if (previous && previous.source.id !== sole && this.exportOf(previous, family, prefix).action === 'send') {
        // (A sole member's own earlier path was never sent to it: nothing to withdraw.)
        batch.withdrawAll.push(prefix);
      }
    });
    return { batch, handled };
  }

  /**
   * Adds a member whose session has just come up and sends it the whole table as the other
   * members hold it, from an encoding kept between joins. What is still waiting in the group
   * reaches it with them at the next flush, as a change from what it was sent. Returns false,
   * adding nothing, when the Loc-RIB is too large for that, the member's socket is full, or
   * the member is the source of routes in the table (a graceful restart): the caller then
   * sends a catch-up.
   */
  joinWithTable(member: GroupMember, rib: BestTable): boolean {
    if (rib.prefixCount() > TABLE_JOIN_LIMIT || member.backlog > GROUP_BACKLOG_LIMIT) return false;
    const table = (this.table ??= this.encodeTable(rib));
    if (table.sources.has(member.sourceId)) return false;
    if (table.buf !== null) member.write(table.buf, table.messages, table.prefixes);
    this.members.add(member);
    return true;
  }

  private encodeTable(rib: BestTable): EncodedTable {
    const sources = new Set<number>();
    let prefixes = 0;
    const enc: Encoded = { shared: [], except: new Map(), only: new Map() };
    // A waiting prefix as it was last sent (what the members hold), the others as they are.
    const held = <K extends number | string>(family: Family, forEachBest: (fn: (prefix: K, best: Path) => void) => void, dirty: DirtyQueue<K>): Batch<K> => {
      const batch: Batch<K> = { announce: new Map(), withdrawAll: [], withdrawOne: new Map() };
      const add = (prefix: K, path: Path): void => {
        const exp = this.exportOf(path, family, prefix);
        if (exp.action !== 'send') return;
        sources.add(path.source.id);
        prefixes++;
        addAnnounce(batch, exp, -1, prefix);
      };
      forEachBest((prefix, best) => {
        if (dirty.previousOf(prefix) === undefined) add(prefix, best);
      });
      dirty.forEachWaiting((prefix, previous) => {
        if (previous !== null) add(prefix, previous);
      });
      return batch;
    };
    if (this.families.has('ipv4-unicast')) this.encode4(held('ipv4-unicast', (fn) => rib.forEachBest4(fn), this.dirty4), enc);
    if (this.families.has('ipv6-unicast')) this.encode6(held('ipv6-unicast', (fn) => rib.forEachBest6(fn), this.dirty6), enc);
    const buf = enc.shared.length === 0 ? null : enc.shared.length === 1 ? enc.shared[0]! : Buffer.concat(enc.shared);
    return { buf, messages: enc.shared.length, prefixes, sources };
  }

  /** Encoded once per bucket per slice: caching across slices cost more memory than time. */
  private bytesOf(attrs: PathAttributes): Buffer {
    return encodeAttributes(attrs, this.ctx);
  }

  private encode4(batch: Batch<number>, enc: Encoded): void {
    if (batch.withdrawAll.length > 0) enc.shared.push(...packIpv4Withdrawals(batch.withdrawAll, this.maxSize));
    for (const [id, list] of batch.withdrawOne) push(enc.only, id, packIpv4Withdrawals(list, this.maxSize));
    for (const [attrs, byExcl] of batch.announce) {
      for (const [key, bucket] of byExcl) {
        const withNh = typeof bucket.nextHop === 'number' && attrs.nextHop !== bucket.nextHop ? { ...attrs, nextHop: bucket.nextHop } : attrs;
        const bufs = packIpv4(this.bytesOf(withNh), bucket.prefixes as number[], this.maxSize);
        const excl = excludedOf(key);
        if (excl === -1) enc.shared.push(...bufs);
        else push(enc.except, excl, bufs);
      }
    }
  }

  private encode6(batch: Batch<string>, enc: Encoded): void {
    if (batch.withdrawAll.length > 0) enc.shared.push(...packIpv6Withdrawals(batch.withdrawAll, this.maxSize));
    for (const [id, list] of batch.withdrawOne) push(enc.only, id, packIpv6Withdrawals(list, this.maxSize));
    for (const [attrs, byExcl] of batch.announce) {
      for (const [key, bucket] of byExcl) {
        const nh = bucket.linkLocal ? { nextHop: bucket.nextHop as string, linkLocalNextHop: bucket.linkLocal } : { nextHop: bucket.nextHop as string };
        const bufs = packIpv6(this.bytesOf(attrs), nh, bucket.prefixes as string[], this.maxSize);
        const excl = excludedOf(key);
        if (excl === -1) enc.shared.push(...bufs);
        else push(enc.except, excl, bufs);
      }
    }
  }
}

/** Files a prefix under its attributes and next hop (and the member it must not go to, or -1). */
function addAnnounce<K>(batch: Batch<K>, exp: ExportResult & { action: 'send' }, excluded: number, prefix: K): void {
  let byExcl = batch.announce.get(exp.attrs);
  if (!byExcl) {
    byExcl = new Map();
    batch.announce.set(exp.attrs, byExcl);
  }
  const key = typeof exp.nextHop === 'string' ? hashNextHop(excluded, exp.nextHop, exp.linkLocalNextHop) : excluded;
  let bucket = byExcl.get(key);
  if (!bucket) {
    bucket = exp.linkLocalNextHop ? { nextHop: exp.nextHop, linkLocal: exp.linkLocalNextHop, prefixes: [] } : { nextHop: exp.nextHop, prefixes: [] };
    byExcl.set(key, bucket);
  }
  bucket.prefixes.push(prefix);
}

/** A path learned over iBGP from a peer that is not our route-reflector client (or none). */
function unreflected(p: Path | null): boolean {
  return p === null || (p.source.kind === 'ibgp' && !p.source.rrClient);
}

function excludedOf(key: number | string): number {
  return typeof key === 'number' ? key : Number(key.slice(0, key.indexOf('|')));
}

function hashNextHop(excluded: number, nextHop: string, linkLocal?: string): string {
  return `${excluded}|${nextHop}|${linkLocal ?? ''}`;
}

/** Two export results that would put identical bytes on the wire (attrs are shared objects). */
function sameExport(a: GroupExport, b: GroupExport): boolean {
  return a.action === 'send' && b.action === 'send' && a.nextHop === b.nextHop && a.linkLocalNextHop === b.linkLocalNextHop && (a.attrs === b.attrs || attrsEqual(a.attrs, b.attrs));
}
