// FibProgrammer.outcome(): what `wren pod add` waits on before it replies. It must resolve as
// soon as the kernel answered (not at its deadline), with the errno when the route was refused.
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { FibProgrammer } from '../../src/kernel/fib-programmer.js';
import type { DesiredRoute, KernelRoutePort, RouteOp, RouteOpFailure } from '../../src/kernel/types.js';

class Kernel implements KernelRoutePort {
  refuse: string | null = null;
  applied: RouteOp[] = [];
  async dump(): Promise<DesiredRoute[]> {
    return [];
  }
  async apply(ops: readonly RouteOp[]): Promise<RouteOpFailure[]> {
    this.applied.push(...ops);
    return this.refuse ? ops.map((op) => ({ op, errno: 19, code: this.refuse! })) : [];
  }
  subscribe(): void {}
  close(): void {}
}

const prefix = (a: number, b: number, c: number, d: number, len: number): number => (((a << 24) | (b << 16) | (c << 8) | d) >>> 0) * 64 + len;

describe('FibProgrammer.outcome', () => {
  it('resolves with null right after a device route is installed', async () => {
    const k = new Kernel();
    const fib = new FibProgrammer({ logger: pino({ level: 'silent' }), resyncIntervalMs: 0 }, { kernel: k });
    await fib.start();
    const p = prefix(10, 244, 1, 5, 32);
    const t0 = performance.now();
    fib.set(p, { device: 7 });
    expect(await fib.outcome(p, 2000)).toBeNull();
    expect(performance.now() - t0).toBeLessThan(500);
    expect(k.applied).toEqual([{ kind: 'add', route: { prefix: p, nextHops: [], device: 7 } }]);
    await fib.stop();
  });

  it('resolves with the errno name when the kernel refuses the route', async () => {
    const k = new Kernel();
    k.refuse = 'ENODEV';
    const fib = new FibProgrammer({ logger: pino({ level: 'silent' }), resyncIntervalMs: 0 }, { kernel: k });
    await fib.start();
    const p = prefix(10, 244, 1, 6, 32);
    fib.set(p, { device: 99 });
    expect(await fib.outcome(p, 2000)).toBe('ENODEV');
    await fib.stop();
  });
});
