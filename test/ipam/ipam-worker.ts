// One IPAM client process for the concurrency test: its own etcd connection, allocating and
// releasing at random, printing what it still holds as the last line of stdout (JSON).
// Usage: WREN_IPAM_WORKER='["<endpoint>","<node>","<id>","<allocations>","<seed>"]' vite-node test/ipam/ipam-worker.ts
// (arguments in the environment: vite-node's own option parser would take argv.)

import { EtcdHttpDatastore } from '../../src/datastore/index.js';
import { Ipam } from '../../src/ipam/index.js';

const [endpoint, node, id, countText, seedText] = JSON.parse(process.env.WREN_IPAM_WORKER ?? '[]') as Array<string | undefined>;
if (endpoint === undefined || node === undefined || id === undefined || countText === undefined || seedText === undefined) {
  throw new Error('usage: ipam-worker <endpoint> <node> <id> <allocations> <seed>');
}

// Deterministic per-worker randomness (mulberry32), so a failure can be replayed.
let seed = Number(seedText) >>> 0;
function random(): number {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const store = new EtcdHttpDatastore({ endpoints: [endpoint], dialTimeoutMs: 2_000 });
const ipam = new Ipam(store, { node, maxAttempts: 500 });
const held = new Map<string, string>();
let released = 0;
for (let i = 0; i < Number(countText); i++) {
  const handle = `${id}-pod-${i}`;
  held.set(handle, await ipam.autoAssign({ handle, family: 4 }));
  if (i % 2 === 1) {
    const victims = [...held.keys()];
    const victim = victims[Math.floor(random() * victims.length)]!;
    const addrs = await ipam.releaseByHandle(victim);
    if (addrs.length !== 1 || addrs[0] !== held.get(victim)) throw new Error(`release of ${victim} returned ${addrs.join(',')}`);
    held.delete(victim);
    released++;
  }
}
await store.close();
console.log(JSON.stringify({ id, node, held: Object.fromEntries(held), released }));
