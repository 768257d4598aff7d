// The uniqueness proof on real etcd: several OS processes, each with its own etcd connection,
// on three nodes (two processes share a node, so they race on the same blocks), allocating and
// releasing at once from a pool small enough to force block races and borrowing. Each
// process is spawned through vite-node (TypeScript, no build step).

import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePackages } from '../harness/index.js';
import { EtcdHttpDatastore } from '../../src/datastore/index.js';
import { Ipam } from '../../src/ipam/index.js';
import { EtcdServer } from '../harness/index.js';

const skip = await ensurePackages(['etcd-server']);
if (skip !== undefined) console.warn(`IPAM etcd tests skipped: ${skip}`);

interface WorkerResult {
  id: string;
  node: string;
  held: Record<string, string>;
  released: number;
}

function runWorker(args: string[]): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['node_modules/vite-node/vite-node.mjs', 'test/ipam/ipam-worker.ts'], {
      env: { ...process.env, WREN_IPAM_WORKER: JSON.stringify(args) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) reject(new Error(`worker ${args.join(' ')} exited ${code}: ${err}${out}`));
      else resolve(JSON.parse(last) as WorkerResult);
    });
  });
}

describe.skipIf(skip !== undefined)('Ipam against a real etcd, concurrently', () => {
  let etcd: EtcdServer;
  let admin: EtcdHttpDatastore;

  beforeAll(async () => {
    etcd = await EtcdServer.launch();
    admin = new EtcdHttpDatastore({ endpoints: [etcd.endpoint], dialTimeoutMs: 1_000 });
  });

  afterAll(async () => {
    await admin?.close();
    await etcd?.destroy();
  });

  it('4 processes on 3 nodes allocate 200 addresses with releases interleaved: no duplicates, check clean', async () => {
    const ipam = new Ipam(admin, { node: 'admin' });
    // 8 blocks of 16: fewer blocks than the workers will want, so they race for claims and
    // then borrow from each other.
    await ipam.addPool({ cidr: '10.50.0.0/25', blockSize: 28 });
    // A fourth node takes 3 of the 8 blocks first: the 80 addresses left in unclaimed blocks
    // are fewer than the workers hold at their peak (~100), so they must borrow.
    for (const a of ['10.50.0.0', '10.50.0.16', '10.50.0.32']) await ipam.assign({ handle: `admin-${a}`, address: a });

    const started = performance.now();
    const results = await Promise.all(
      [
        ['n1', 'w1'],
        ['n2', 'w2'],
        ['n3', 'w3'],
        ['n1', 'w4'],
      ].map(([node, id], i) => runWorker([etcd.endpoint, node!, id!, '50', String(1234 + i)])),
    );
    const elapsed = performance.now() - started;

    const held = results.flatMap((r) => Object.entries(r.held));
    const addresses = held.map(([, a]) => a);
    expect(new Set(addresses).size).toBe(addresses.length);
    expect(results.reduce((n, r) => n + r.released, 0)).toBe(100);
    expect(held.length).toBe(100);

    const report = await ipam.check();
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.allocations).toBe(103);
    expect(report.handles).toBe(103);

    // What the store says each handle holds is exactly what its worker believes it holds.
    const stored = new Map<string, string>();
    let borrowed = 0;
    const nodeOf = new Map(results.map((r) => [r.id, r.node]));
    for (const b of await ipam.listBlocks()) {
      for (const a of b.allocations) {
        if (a.handle!.startsWith('admin-')) continue;
        stored.set(a.handle!, a.address);
        if (b.affinity !== nodeOf.get(a.handle!.split('-')[0]!)) borrowed++;
      }
    }
    expect(stored).toEqual(new Map(held));
    expect(borrowed).toBeGreaterThan(0);

    // Every block is confirmed to exactly one node that routes it.
    const blocks = await ipam.listBlocks();
    expect(blocks.every((b) => b.affinityState === 'confirmed')).toBe(true);
    const routed = (await Promise.all(['admin', 'n1', 'n2', 'n3'].map((n) => ipam.confirmedBlocks(n)))).flat();
    expect(routed.sort()).toEqual(blocks.map((b) => b.cidr).sort());
    console.info(`IPAM concurrency: 4 processes, 200 allocations + 100 releases in ${elapsed.toFixed(0)} ms, ${blocks.length} blocks, ${borrowed} borrowed addresses held at the end`);
  }, 60_000);
});
