import { describe, expect, it } from 'vitest';
import { diffOne, diffRoutes, indexRoutes, routeSatisfies } from '../../src/kernel/diff.js';
import type { DesiredRoute } from '../../src/kernel/types.js';
import { ipv4ToNumber, parsePrefix4 } from '../../src/lib/prefix.js';

const P = parsePrefix4;
const G = ipv4ToNumber;
const r = (prefix: string, ...gws: Array<string | { gateway: string; ifindex?: number; onlink?: boolean }>): DesiredRoute => ({
  prefix: P(prefix),
  nextHops: gws.map((g) => (typeof g === 'string' ? { gateway: G(g) } : { ...g, gateway: G(g.gateway) })),
});
const bh = (prefix: string): DesiredRoute => ({ prefix: P(prefix), nextHops: [], blackhole: true });

describe('routeSatisfies', () => {
  const cases: Array<[string, DesiredRoute, DesiredRoute, boolean]> = [
    ['same gateway', r('10.0.0.0/24', '1.1.1.1'), r('10.0.0.0/24', '1.1.1.1'), true],
    ['unset ifindex accepts the one the kernel resolved', r('10.0.0.0/24', '1.1.1.1'), r('10.0.0.0/24', { gateway: '1.1.1.1', ifindex: 3 }), true],
    ['a wanted ifindex must match', r('10.0.0.0/24', { gateway: '1.1.1.1', ifindex: 4 }), r('10.0.0.0/24', { gateway: '1.1.1.1', ifindex: 3 }), false],
    ['onlink must match', r('10.0.0.0/24', { gateway: '1.1.1.1', onlink: true }), r('10.0.0.0/24', '1.1.1.1'), false],
    ['other gateway', r('10.0.0.0/24', '1.1.1.1'), r('10.0.0.0/24', '1.1.1.2'), false],
    ['ECMP members in any order', r('10.0.0.0/24', '1.1.1.1', '1.1.1.2'), r('10.0.0.0/24', '1.1.1.2', '1.1.1.1'), true],
    ['ECMP with a member missing', r('10.0.0.0/24', '1.1.1.1', '1.1.1.2'), r('10.0.0.0/24', '1.1.1.1'), false],
    ['ECMP with a duplicate instead of a member', r('10.0.0.0/24', '1.1.1.1', '1.1.1.2'), r('10.0.0.0/24', '1.1.1.1', '1.1.1.1'), false],
    ['blackhole vs blackhole', bh('10.0.0.0/24'), bh('10.0.0.0/24'), true],
    ['blackhole vs unicast', bh('10.0.0.0/24'), r('10.0.0.0/24', '1.1.1.1'), false],
  ];
  for (const [name, want, have, expected] of cases) {
    it(`${expected ? 'accepts' : 'rejects'}: ${name}`, () => expect(routeSatisfies(want, have)).toBe(expected));
  }
});

describe('diffRoutes', () => {
  const desired = indexRoutes([r('10.0.0.0/24', '1.1.1.1'), r('10.0.1.0/24', '1.1.1.1'), r('10.0.2.0/24', '1.1.1.1', '1.1.1.2')]);
  const kernel = indexRoutes([
    r('10.0.0.0/24', { gateway: '1.1.1.1', ifindex: 2 }), // equal: adopted
    r('10.0.2.0/24', '1.1.1.1'), // ECMP member missing: replace
    r('10.0.9.0/24', '1.1.1.1'), // not wanted: stale
  ]);

  it('adopts equal routes, adds missing ones, replaces different ones, and keeps stale ones before convergence', () => {
    expect(diffRoutes(desired, kernel, { converged: false })).toEqual({
      add: [r('10.0.1.0/24', '1.1.1.1')],
      replace: [r('10.0.2.0/24', '1.1.1.1', '1.1.1.2')],
      delete: [],
    });
  });

  it('deletes stale routes once the RIB has converged', () => {
    expect(diffRoutes(desired, kernel, { converged: true }).delete).toEqual([r('10.0.9.0/24', '1.1.1.1')]);
  });

  it('does nothing when both sides agree', () => {
    expect(diffRoutes(desired, desired, { converged: true })).toEqual({ add: [], replace: [], delete: [] });
  });

  it('handles IPv6 prefixes as text keys', () => {
    const want: DesiredRoute = { prefix: '2001:db8::/32', nextHops: [{ gateway: 'fd00::1' }] };
    expect(diffOne(want, undefined, { converged: false })).toEqual({ kind: 'add', route: want });
    expect(diffOne(undefined, want, { converged: false })).toBeUndefined();
    expect(diffOne(undefined, want, { converged: true })).toEqual({ kind: 'delete', route: want });
  });
});
