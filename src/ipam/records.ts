// Stored IPAM values (JSON) and their validation. A record that does not parse is reported with
// its key (IpamCorruptRecordError) rather than silently skipped: skipping a block could hand its
// addresses out twice.

import * as z from '../config/zod.js';
import type { KeyValue } from '../datastore/port.js';
import { Block } from './block.js';
import { parseCidr, type Cidr } from './cidr.js';
import { IpamCorruptRecordError } from './errors.js';

/**
 * `disabled`: no address is given from the pool automatically (`wren pool disable`, Calico's
 * `disabled`); explicit ones still are. `deleting`: `wren pool del` is removing the pool; nothing
 * more is allocated from it at all.
 */
const poolSchema = z.object({
  cidr: z.string(),
  blockSize: z.number().check(z.int()),
  strictAffinity: z.boolean(),
  disabled: z.optional(z.boolean()),
  deleting: z.optional(z.boolean()),
});
export type PoolData = z.infer<typeof poolSchema>;

/** The stored form of a pool: its fields in a fixed order, the flags only when set. */
export function serializePool(p: PoolData): string {
  return JSON.stringify({
    cidr: p.cidr,
    blockSize: p.blockSize,
    strictAffinity: p.strictAffinity,
    ...(p.disabled === true ? { disabled: true } : {}),
    ...(p.deleting === true ? { deleting: true } : {}),
  });
}

export interface Pool extends PoolData {
  readonly parsed: Cidr;
  /** the record as read: a block is created only while its pool is unchanged (pool-delete.ts) */
  readonly kv: KeyValue;
}

export type AffinityState = 'pending' | 'confirmed';
const affinitySchema = z.object({ state: z.enum(['pending', 'confirmed']) });
export type AffinityData = z.infer<typeof affinitySchema>;

const ordinal = z.number().check(z.int(), z.minimum(0));

/** Block CIDR → ordinals held by this handle in that block. */
/** `node`: the node that allocated for this handle (pods live on one node), so a collector
 * knows whose pod ids decide whether the handle leaked. Absent in records from before it. */
const handleSchema = z.object({ handle: z.string(), node: z.optional(z.string()), blocks: z.record(z.string(), z.array(ordinal)) });
export type HandleData = z.infer<typeof handleSchema>;

const blockSchema = z.object({
  cidr: z.string(),
  affinity: z.nullable(z.string()),
  bitmap: z.string(),
  handles: z.record(z.string(), z.string()),
  freed: z.array(z.tuple([ordinal, z.number()])),
});

function parseJson<T>(kv: KeyValue, schema: z.ZodMiniType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(kv.value);
  } catch (e) {
    throw new IpamCorruptRecordError(kv.key, `not JSON: ${(e as Error).message}`);
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw new IpamCorruptRecordError(kv.key, r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return r.data;
}

export function parsePool(kv: KeyValue): Pool {
  const data = parseJson(kv, poolSchema);
  try {
    return { ...data, parsed: parseCidr(data.cidr), kv };
  } catch (e) {
    throw new IpamCorruptRecordError(kv.key, (e as Error).message);
  }
}

export function parseAffinity(kv: KeyValue): AffinityData {
  return parseJson(kv, affinitySchema);
}

export function parseHandle(kv: KeyValue): HandleData {
  return parseJson(kv, handleSchema);
}

export function parseBlock(kv: KeyValue): Block {
  const data = parseJson(kv, blockSchema);
  try {
    return Block.fromData(data);
  } catch (e) {
    throw new IpamCorruptRecordError(kv.key, (e as Error).message);
  }
}

export function serializeAffinity(state: AffinityState): string {
  return JSON.stringify({ state } satisfies AffinityData);
}

/** The handle record after adding one ordinal of one block. */
export function withOrdinal(rec: HandleData | undefined, handle: string, blockCidr: string, ordinal: number, node: string): HandleData {
  const blocks: Record<string, number[]> = { ...(rec?.blocks ?? {}) };
  blocks[blockCidr] = [...(blocks[blockCidr] ?? []), ordinal].sort((a, b) => a - b);
  return { handle, node: rec?.node ?? node, blocks };
}
