import { describe, expect, it } from 'vitest';
import { validateOpen } from '../../src/session/open-validate.js';
import { cfgOf, LOCAL_ID, PEER_AS, peerOpen, V4_MP, V6_MP } from './helpers.js';

const cfg = cfgOf();
const hex = (b: Buffer | undefined): string | undefined => b?.toString('hex');

describe('OPEN validation (RFC 4271 §6.2)', () => {
  it('accepts a well-formed OPEN from the configured peer', () => {
    expect(validateOpen(peerOpen(), cfg)).toBeNull();
  });

  it('rejects a version other than 4 with Unsupported Version Number and data 0x0004', () => {
    const r = validateOpen(peerOpen({ version: 3 }), cfg);
    expect(r).toMatchObject({ reason: 'unsupported-version', code: 2, subcode: 1 });
    expect(hex(r?.data)).toBe('0004');
  });

  it('rejects the wrong AS with Bad Peer AS and no data', () => {
    const r = validateOpen(peerOpen({ myAs: 65003, capabilities: [V4_MP, { kind: 'as4', asn: 65003 }] }), cfg);
    expect(r).toMatchObject({ reason: 'bad-peer-as', code: 2, subcode: 2 });
    expect(r?.data.length).toBe(0);
  });

  it('judges the AS by the as4 capability, not My AS', () => {
    const c = cfgOf({ peerAs: 4200000001 });
    expect(validateOpen(peerOpen({ myAs: 23456, capabilities: [V4_MP, { kind: 'as4', asn: 4200000001 }] }), c)).toBeNull();
    // RFC 6793 says My AS should be AS_TRANS; a speaker that puts something else there is tolerated.
    expect(validateOpen(peerOpen({ myAs: 1234, capabilities: [V4_MP, { kind: 'as4', asn: 4200000001 }] }), c)).toBeNull();
    // Without the capability a 4-octet peer AS cannot match.
    expect(validateOpen(peerOpen({ myAs: 23456, capabilities: [V4_MP] }), c)).toMatchObject({ reason: 'bad-peer-as' });
  });

  it('uses My AS when the peer has no as4 capability', () => {
    expect(validateOpen(peerOpen({ capabilities: [V4_MP] }), cfg)).toBeNull();
  });

  it('rejects BGP identifier 0 always', () => {
    expect(validateOpen(peerOpen({ bgpId: 0 }), cfg)).toMatchObject({ reason: 'bad-bgp-id', code: 2, subcode: 3 });
  });

  it('rejects our own identifier from an iBGP peer but allows it over eBGP (RFC 6286)', () => {
    const ibgp = cfgOf({ peerAs: 65001 });
    const openI = peerOpen({ myAs: 65001, bgpId: LOCAL_ID, capabilities: [V4_MP, { kind: 'as4', asn: 65001 }] });
    expect(validateOpen(openI, ibgp)).toMatchObject({ reason: 'bad-bgp-id', subcode: 3 });
    expect(validateOpen(peerOpen({ bgpId: LOCAL_ID }), cfg)).toBeNull();
  });

  it.each([
    [0, null],
    [1, 'unacceptable-hold-time'],
    [2, 'unacceptable-hold-time'],
    [3, null],
    [65535, null],
  ])('hold time %i → %s', (holdTime, reason) => {
    const r = validateOpen(peerOpen({ holdTime }), cfg);
    if (reason === null) expect(r).toBeNull();
    else expect(r).toMatchObject({ reason, code: 2, subcode: 6 });
  });

  it('requires 4-octet AS support when our ASN needs it, naming our as4 capability', () => {
    const c = cfgOf({ localAs: 4200000000 });
    const r = validateOpen(peerOpen({ capabilities: [V4_MP] }), c);
    expect(r).toMatchObject({ reason: 'as4-required', code: 2, subcode: 7 });
    // code 65, length 4, 4200000000 = 0xfa56ea00
    expect(hex(r?.data)).toBe('4104fa56ea00');
    expect(validateOpen(peerOpen({ capabilities: [V4_MP, { kind: 'as4', asn: PEER_AS }] }), c)).toBeNull();
  });

  it('rejects a peer with no family in common, listing our multiprotocol capabilities', () => {
    const c = cfgOf({ families: ['ipv6-unicast'] });
    const r = validateOpen(peerOpen({ capabilities: [V4_MP, { kind: 'as4', asn: PEER_AS }] }), c);
    expect(r).toMatchObject({ reason: 'no-common-family', code: 2, subcode: 7 });
    expect(hex(r?.data)).toBe('010400020001');
    // RFC 4760 §8: no multiprotocol capability at all means IPv4 unicast.
    expect(validateOpen(peerOpen({ capabilities: [] }), c)).toMatchObject({ reason: 'no-common-family' });
    expect(validateOpen(peerOpen({ capabilities: [V6_MP] }), c)).toBeNull();
  });

  it('checks in RFC order: version before AS before identifier', () => {
    expect(validateOpen(peerOpen({ version: 5, myAs: 1, bgpId: 0, capabilities: [] }), cfg)?.reason).toBe('unsupported-version');
    expect(validateOpen(peerOpen({ myAs: 1, bgpId: 0, capabilities: [] }), cfg)?.reason).toBe('bad-peer-as');
  });
});
