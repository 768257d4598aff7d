import { describe, expect, it } from 'vitest';
import { ConnectedResolver } from '../../src/rib/next-hop.js';
import { ip, p4 } from './helpers.js';

describe('ConnectedResolver', () => {
  it('resolves IPv4 and IPv6 next hops inside connected prefixes only', () => {
    const r = new ConnectedResolver({ prefixes: [p4('10.1.0.0/16'), p4('192.0.2.0/24'), '2001:db8:1::/48', 'fd00::/7'] });
    expect(r.resolve(ip('10.1.255.254')).reachable).toBe(true);
    expect(r.resolve(ip('10.2.0.1')).reachable).toBe(false);
    expect(r.resolve(ip('192.0.2.200')).reachable).toBe(true);
    expect(r.resolve('2001:db8:1:ffff::1').reachable).toBe(true);
    expect(r.resolve('2001:db8:2::1').reachable).toBe(false);
    expect(r.resolve('fdff::1').reachable).toBe(true);
    expect(r.resolve('fe80::1').reachable).toBe(false);
    expect(r.resolve('not-an-address').reachable).toBe(false);
  });

  it('reports the configured cost for reachable next hops', () => {
    const r = new ConnectedResolver({ prefixes: [p4('10.0.0.0/8')], igpCost: 7 });
    expect(r.resolve(ip('10.9.9.9'))).toEqual({ reachable: true, igpCost: 7 });
  });

  it('everything-reachable mode resolves any next hop at cost 0', () => {
    const r = ConnectedResolver.everythingReachable();
    expect(r.resolve(ip('203.0.113.1'))).toEqual({ reachable: true, igpCost: 0 });
    expect(r.resolve('2001:db8::1')).toEqual({ reachable: true, igpCost: 0 });
  });

  it('a default route makes every IPv4 next hop reachable', () => {
    const r = new ConnectedResolver({ prefixes: [p4('0.0.0.0/0')] });
    expect(r.resolve(ip('203.0.113.1')).reachable).toBe(true);
  });

  it('builds connected prefixes from interface addresses', () => {
    const r = ConnectedResolver.fromInterfaces({
      eth0: [
        { address: '10.1.2.3', netmask: '255.255.0.0', family: 'IPv4', mac: '00:00:00:00:00:01', internal: false, cidr: '10.1.2.3/16' },
        { address: '2001:db8:1::5', netmask: 'ffff:ffff:ffff::', family: 'IPv6', mac: '00:00:00:00:00:01', internal: false, cidr: '2001:db8:1::5/48', scopeid: 0 },
      ],
    });
    expect(r.resolve(ip('10.1.200.1')).reachable).toBe(true);
    expect(r.resolve(ip('10.2.0.1')).reachable).toBe(false);
    expect(r.resolve('2001:db8:1:2::9').reachable).toBe(true);
    expect(r.resolve('2001:db8:2::9').reachable).toBe(false);
  });
});
