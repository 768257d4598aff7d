// One full GC once a daemon is quiet after a burst (src/daemon/idle-gc.ts): when the decision
// fires, and a real daemon collecting after a table of 30,000 routes has arrived, and serving
// on. How much memory comes back is the benchmark's to measure (bench:cluster's reflectors).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AfterBurst } from '../../src/daemon/idle-gc.js';
import { startWren, type WrenHandle } from '../harness/wren.js';
import { waitFor } from '../harness/wait.js';

describe('when to collect', () => {
  const run = (busy: boolean[]): number[] => {
    const d = new AfterBurst();
    return busy.flatMap((b, i) => (d.next(b) ? [i] : []));
  };

  it('never while quiet', () => {
    expect(run([false, false, false, false])).toEqual([]);
  });

  it('once, in the first quiet interval after a burst, however long the burst', () => {
    expect(run([true, false, false])).toEqual([1]);
    expect(run([true, true, true, true, false, false])).toEqual([4]);
  });

  it('again after each later burst', () => {
    expect(run([true, false, false, true, false, true, true, false])).toEqual([1, 4, 7]);
  });
});

const portA = 22000 + (process.pid % 20000);
const portB = portA + 1;
const ROUTES = 30_000;
const table = Array.from({ length: ROUTES }, (_, i) => `10.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`);

interface IdleGc {
  time: string;
  anonBeforeKb: number;
  anonAfterKb: number;
  heapBeforeKb: number;
  heapAfterKb: number;
}

describe('a daemon after a burst', () => {
  let sender: WrenHandle;
  let receiver: WrenHandle;

  beforeAll(async () => {
    receiver = await startWren({
      name: 'wren-gc-receiver',
      config: { asn: 65001, routerId: '10.0.0.1', listen: { address: '127.0.0.1', port: portA }, peers: [{ address: '127.0.0.2', port: portB, asn: 65002, localAddress: '127.0.0.1', connectRetryTime: 1 }] },
    });
    sender = await startWren({
      name: 'wren-gc-sender',
      config: { asn: 65002, routerId: '10.0.0.2', listen: { address: '127.0.0.2', port: portB }, originate: table, peers: [{ address: '127.0.0.1', port: portA, asn: 65001, localAddress: '127.0.0.2', passive: true }] },
    });
  });
  afterAll(async () => {
    await sender?.stop();
    await receiver?.stop();
  });

  it('collects once the table has arrived and the daemon is quiet, leaving less heap in use', async () => {
    await waitFor(async () => ((await receiver.call('status')).peers[0]?.prefixesReceived ?? 0) >= ROUTES ? true : undefined, {
      timeoutMs: 30_000,
      what: `the receiver to hold ${ROUTES} routes`,
    });
    const arrived = new Date().toISOString();
    const collected = await waitFor(
      () =>
        receiver.daemon
          .logTail(400)
          .split('\n')
          .filter((l) => l.includes('"memory.idle-gc"'))
          .map((l) => JSON.parse(l) as IdleGc)
          .find((e) => e.time > arrived),
      { timeoutMs: 20_000, what: 'memory.idle-gc after the table arrived' },
    );
    // What it hands back depends on the garbage left (bench:cluster measures that); here the
    // figures must at least be the process's own.
    expect(collected.anonBeforeKb).toBeGreaterThan(0);
    expect(collected.heapBeforeKb).toBeGreaterThan(0);
    // Still serving: the table is all there after the collection.
    expect((await receiver.call('status')).peers[0]?.prefixesReceived).toBe(ROUTES);
  });
});
