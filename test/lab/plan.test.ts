// The pure parts of `wren lab` (no root needed): which namespaces belong to a lab (what `down`
// deletes), option checks, expected sessions per topology, the kernel-route check `up` waits
// for, and the ping matrix.
import { describe, expect, it } from 'vitest';
import { LabInputError } from '../../src/lab/errors.js';
import { unroutedAddresses } from '../../src/lab/observe.js';
import { expectedSessions, isLabNamespace, nodeAddress, planLab } from '../../src/lab/plan.js';
import type { LabPingReport } from '../../src/lab/ping.js';
import { renderPingMatrix } from '../../src/lab/render.js';

const base = { nodes: 4, reflectors: 0, podsPerNode: 2, dir: '/tmp/lab', prefix: 'wlab-' };

describe('lab plan', () => {
  it("recognises exactly its own namespaces, never another lab's or a stranger's", () => {
    for (const ns of ['wlab-sw', 'wlab-etcd', 'wlab-n1', 'wlab-n12p3']) expect(isLabNamespace('wlab-', ns), ns).toBe(true);
    for (const ns of ['wlab-x-n1', 'wlab-n1x', 'wlab-', 'wlab-bird', 'xwlab-n1', 'wlabn1', 'wlab-n']) expect(isLabNamespace('wlab-', ns), ns).toBe(false);
  });

  it('names every namespace within 15 characters and gives nodes distinct addresses in 10.99.0.0/16', () => {
    const plan = planLab({ ...base, nodes: 300, podsPerNode: 10 });
    const names = [plan.switchNs, plan.etcd.ns, ...plan.nodes.map((n) => n.ns), ...plan.pods.map((p) => p.ns)];
    expect(Math.max(...names.map((n) => n.length))).toBeLessThanOrEqual(15);
    expect(new Set(names).size).toBe(names.length);
    const addresses = plan.nodes.map((n) => n.address);
    expect(new Set([...addresses, plan.etcd.address]).size).toBe(301);
    expect(nodeAddress(1)).toBe('10.99.0.1');
    expect(nodeAddress(256)).toBe('10.99.1.0');
  });

  it('rejects bad options with a message naming the option', () => {
    const bad: [Partial<typeof base>, RegExp][] = [
      [{ nodes: 0 }, /--nodes/],
      [{ reflectors: 5 }, /--reflectors must be an integer 0\.\.4/],
      [{ podsPerNode: -1 }, /--pods/],
      [{ prefix: 'Wl' }, /--prefix "Wl"/],
    ];
    for (const [o, message] of bad) {
      expect(() => planLab({ ...base, ...o })).toThrow(LabInputError);
      expect(() => planLab({ ...base, ...o })).toThrow(message);
    }
  });

  it('expects N-1 sessions per node in a mesh; with reflectors N-1 on each reflector and K on each client', () => {
    const mesh = planLab(base);
    expect(expectedSessions(mesh.nodes, 0)).toEqual([3, 3, 3, 3]);
    const rr = planLab({ ...base, nodes: 5, reflectors: 2 });
    expect(rr.nodes.map((n) => n.reflector)).toEqual([true, true, false, false, false]);
    expect(expectedSessions(rr.nodes, 2)).toEqual([4, 4, 2, 2, 2]);
  });
});

describe('kernel route check', () => {
  const routes = [
    { dst: '10.99.0.0/16', dev: 'eth0' },
    { dst: '10.244.0.0/26', type: 'blackhole' },
    { dst: '10.244.0.1', dev: 'wren1234' },
    { dst: '10.244.0.64/26', gateway: '10.99.0.3', dev: 'eth0' },
    { dst: '10.244.0.128/26', nexthops: [{ gateway: '10.99.0.2' }, { gateway: '10.99.0.4' }] },
  ];

  it("counts a pod as routed only when its longest match goes through another node", () => {
    expect(unroutedAddresses(routes, ['10.244.0.65', '10.244.0.130'])).toEqual([]);
    // Inside this node's own block (blackhole) but not a local pod, or in no block at all.
    expect(unroutedAddresses(routes, ['10.244.0.5', '10.244.1.1', '10.244.0.200'])).toEqual(['10.244.0.5', '10.244.1.1', '10.244.0.200']);
  });
});

describe('ping matrix', () => {
  it('marks each pair and numbers the columns vertically past nine pods', () => {
    const pods = Array.from({ length: 10 }, (_, i) => ({ id: `node-${i + 1}-pod-1`, node: `node-${i + 1}`, ns: `wlab-n${i + 1}p1`, ipv4: `10.244.0.${i}` }));
    const reachable = pods.map((_, i) => pods.map((__, j) => (i === j ? null : !(i === 0 && j === 9))));
    const report: LabPingReport = {
      pods,
      reachable,
      pairs: 90,
      failures: [{ from: 'node-1-pod-1', to: 'node-10-pod-1', ip: '10.244.0.9', reason: 'no reply' }],
      ok: false,
      elapsedMs: 1234,
    };
    const lines = renderPingMatrix(report).split('\n');
    expect(lines[0]!.trimEnd().endsWith('1')).toBe(true); // tens digit of column 10
    expect(lines[1]).toMatch(/from \\ to +1 2 3 4 5 6 7 8 9 0$/);
    expect(lines[2]).toMatch(/^ 1 node-1-pod-1 +10\.244\.0\.0 +- \. \. \. \. \. \. \. \. X$/);
    expect(lines.at(-2)).toBe('1 of 90 pairs NOT reachable (1.2 s):');
    expect(lines.at(-1)).toBe('  node-1-pod-1 → node-10-pod-1 (10.244.0.9): no reply');
  });
});
