// ipv4OrNull replaces node:net's isIPv4 on hot paths: it must accept exactly what isIPv4
// accepts, and give the address as a number.
import { isIPv4 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipv4OrNull, ipv4ToNumber, numberToIpv4 } from '../../src/lib/prefix.js';

describe('ipv4OrNull', () => {
  it('accepts exactly what isIPv4 accepts, on edge cases', () => {
    const cases = ['0.0.0.0', '255.255.255.255', '10.0.0.1', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.04', '1.2.3.00', '1..2.3', '.1.2.3', '1.2.3.', '', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.4/32', '::ffff:1.2.3.4', '1.2.3.1000', '1.2.3.a', '１.2.3.4'];
    for (const c of cases) expect([c, ipv4OrNull(c) !== null]).toEqual([c, isIPv4(c)]);
  });

  it('agrees with isIPv4 on random dotted text, and round-trips every address', () => {
    const part = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.stringMatching(/^[0-9]{0,4}$/), fc.constantFrom('', 'x', '-1', '+1'));
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 6 }), (parts) => {
        const text = parts.join('.');
        expect(ipv4OrNull(text) !== null).toBe(isIPv4(text));
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        expect(ipv4OrNull(numberToIpv4(n))).toBe(n);
        expect(ipv4ToNumber(numberToIpv4(n))).toBe(n);
      }),
    );
  });
});
