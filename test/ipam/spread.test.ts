// spreadClaims: nodes claiming blocks at the same moment (a cluster starting) start their
// search at different places, so they do not all race for the pool's first free block; the
// result is still one block per node, no overlap, and the IPAM check stays clean.
import { describe, expect, it } from 'vitest';
import { MemoryDatastore } from '../../src/datastore/memory.js';
import { Ipam } from '../../src/ipam/index.js';

describe('IPAM spreadClaims', () => {
  it('gives nodes claiming at once mostly different starting blocks, all distinct and valid', async () => {
    const store = new MemoryDatastore();
    const nodes = Array.from({ length: 20 }, (_, i) => new Ipam(store, { node: `node${i}`, spreadClaims: true }));
    await nodes[0]!.addPool({ cidr: '10.244.0.0/16' });
    const addrs = await Promise.all(nodes.map((n, i) => n.autoAssign({ handle: `pod-${i}`, family: 4 })));
    const blocks = addrs.map((a) => a.split('.').slice(0, 3).join('.') + '.' + String(Number(a.split('.')[3]) & ~63));
    expect(new Set(blocks).size).toBe(20);
    // not simply the pool's first twenty blocks in order
    expect(blocks.filter((b) => b.startsWith('10.244.0.')).length).toBeLessThan(4);
    expect((await nodes[0]!.check()).ok).toBe(true);
  });

  it('still finds the last free block of a nearly full pool', async () => {
    const store = new MemoryDatastore();
    const a = new Ipam(store, { node: 'a', spreadClaims: true });
    const b = new Ipam(store, { node: 'b', spreadClaims: true });
    await a.addPool({ cidr: '10.245.0.0/25', blockSize: 26 });
    await a.autoAssign({ handle: 'a1', family: 4 });
    const got = await b.autoAssign({ handle: 'b1', family: 4 });
    expect(['10.245.0.0', '10.245.0.64']).toContain(got.replace(/\.\d+$/, (m) => (Number(m.slice(1)) >= 64 ? '.64' : '.0')));
    expect((await a.listBlocks()).map((x) => x.affinity).sort()).toEqual(['a', 'b']);
  });
});
