import { describe, expect, it } from 'vitest';
import type { NetworkInterfaceInfo } from 'node:os';
import { indexInterfaces, nextHopSelf } from '../../src/speaker/local-addresses.js';
import { ipv4ToNumber } from '../../src/lib/prefix.js';

// What os.networkInterfaces() reports for a node: loopback, the uplink with IPv4, a global IPv6
// and a link-local, and a second link.
const v4 = (address: string, cidr: string): NetworkInterfaceInfo => ({ address, netmask: '', family: 'IPv4', mac: '00:00:00:00:00:00', internal: false, cidr });
const v6 = (address: string, cidr: string | null): NetworkInterfaceInfo => ({ address, netmask: '', family: 'IPv6', mac: '00:00:00:00:00:00', internal: false, cidr, scopeid: 0 });
const host = indexInterfaces({
  lo: [v4('127.0.0.1', '127.0.0.1/8'), v6('::1', '::1/128')],
  eth0: [v4('10.0.0.5', '10.0.0.5/24'), v6('2001:db8::5', '2001:db8::5/64'), v6('fe80::5', 'fe80::5/64')],
  eth1: [v4('192.168.7.5', '192.168.7.5/24'), v6('fe80::7:5%eth1', 'fe80::7:5/64')],
});

describe('next hop self (RFC 2545 §3)', () => {
  it('takes the other family and the link-local from the interface of the session address', () => {
    expect(nextHopSelf({ localAddress: '10.0.0.5', peerAddress: '10.0.0.9' }, host)).toEqual({
      ipv4: ipv4ToNumber('10.0.0.5'),
      ipv6: '2001:db8::5',
      ipv6LinkLocal: 'fe80::5',
    });
  });

  it('gives no link-local to a peer that is not on the link', () => {
    expect(nextHopSelf({ localAddress: '10.0.0.5', peerAddress: '10.9.0.9' }, host)).toEqual({ ipv4: ipv4ToNumber('10.0.0.5'), ipv6: '2001:db8::5' });
  });

  it('answers an IPv6 session from the same interface, and strips the mapped-IPv4 form and zone ids', () => {
    expect(nextHopSelf({ localAddress: '2001:db8::5', peerAddress: '2001:db8::9' }, host)).toEqual({ ipv4: ipv4ToNumber('10.0.0.5'), ipv6: '2001:db8::5', ipv6LinkLocal: 'fe80::5' });
    expect(nextHopSelf({ localAddress: '::ffff:192.168.7.5', peerAddress: '::ffff:192.168.7.1' }, host)).toEqual({ ipv4: ipv4ToNumber('192.168.7.5'), ipv6LinkLocal: 'fe80::7:5' });
  });

  it('uses a configured IPv6 next hop over what the interface has', () => {
    expect(nextHopSelf({ localAddress: '10.0.0.5', peerAddress: '10.9.0.9', nextHop6: '2001:db8:ffff::1' }, host).ipv6).toBe('2001:db8:ffff::1');
  });

  it('has only the session address when no interface holds it', () => {
    expect(nextHopSelf({ localAddress: '10.1.1.1', peerAddress: '10.1.1.2' }, host)).toEqual({ ipv4: ipv4ToNumber('10.1.1.1') });
  });
});

describe('next hop self from the host itself', () => {
  it('finds the loopback interface from its address', () => {
    const own = nextHopSelf({ localAddress: '127.0.0.1', peerAddress: '127.0.0.2' });
    expect(own.ipv4).toBe(ipv4ToNumber('127.0.0.1'));
    // Debian's loopback carries ::1 unless IPv6 is off on the host.
    if (own.ipv6 !== undefined) expect(own.ipv6).toBe('::1');
  });
});
