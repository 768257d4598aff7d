import { describe, expect, it } from 'vitest';
import { afiOf, afiSafiOf, ALL_FAMILIES, familyOf } from '../../src/wire/family.js';

describe('family ↔ (AFI, SAFI)', () => {
  it('maps IPv4 and IPv6 unicast both ways', () => {
    expect(familyOf(1, 1)).toBe('ipv4-unicast');
    expect(familyOf(2, 1)).toBe('ipv6-unicast');
    expect(afiSafiOf('ipv4-unicast')).toEqual({ afi: 1, safi: 1 });
    expect(afiSafiOf('ipv6-unicast')).toEqual({ afi: 2, safi: 1 });
    for (const f of ALL_FAMILIES) {
      const { afi, safi } = afiSafiOf(f);
      expect(afiOf(f)).toBe(afi);
      expect(familyOf(afi, safi)).toBe(f);
    }
  });

  it('returns null for pairs Wren does not handle', () => {
    expect(familyOf(1, 2)).toBeNull(); // IPv4 multicast
    expect(familyOf(1, 128)).toBeNull(); // VPNv4
    expect(familyOf(25, 70)).toBeNull(); // L2VPN EVPN
    expect(familyOf(0, 1)).toBeNull();
  });
});
