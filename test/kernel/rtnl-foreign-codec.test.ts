// Decoding other protocols' routes and link/address changes from rtnetlink bytes (as the
// kernel sends them: notifications and dump replies).
import { describe, expect, it } from 'vitest';
import { forEachMessage, type NetlinkMessageView } from '../../src/kernel/rtnl-codec.js';
import { decodeForeignRoute, decodeLinkEvent, routeProtocol } from '../../src/kernel/rtnl-foreign-codec.js';
import { ipv4ToNumber, parsePrefix4 } from '../../src/lib/prefix.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function one(buf: Buffer): NetlinkMessageView {
  const out: NetlinkMessageView[] = [];
  forEachMessage(buf, (m) => out.push(m));
  expect(out).toHaveLength(1);
  return out[0]!;
}

/** One netlink message: nlmsghdr (length computed; type 24 RTM_NEWROUTE unless given, seq and pid 0) and the body. */
function msg(body: string, type = '1800'): Buffer {
  const b = hex(body);
  const h = Buffer.alloc(16);
  h.writeUInt32LE(16 + b.length, 0);
  h.write(type, 4, 'hex');
  return Buffer.concat([h, b]);
}

describe('decodeForeignRoute', () => {
  it('a static IPv4 route with gateway, interface and metric', () => {
    // 10.99.0.0/24 via 10.91.0.2 dev 3 proto static metric 30, table main
    const buf = msg(
      '02180000 fe040001 00000000' + // AF_INET /24, tos 0, table 254, proto 4, scope universe, unicast
        '0800 0f00 fe000000' + // RTA_TABLE 254
        '0800 0100 0a630000' + // RTA_DST
        '0800 0600 1e000000' + // RTA_PRIORITY 30
        '0800 0500 0a5b0002' + // RTA_GATEWAY
        '0800 0400 03000000', // RTA_OIF 3
    );
    const m = one(buf);
    expect(routeProtocol(buf, m)).toBe(4);
    expect(decodeForeignRoute(buf, m)).toEqual({
      table: 254,
      route: { prefix: parsePrefix4('10.99.0.0/24'), protocol: 4, type: 'unicast', metric: 30, tos: 0, hops: [{ gateway: ipv4ToNumber('10.91.0.2'), ifindex: 3 }] },
    });
  });

  it('a connected IPv6 route (no gateway) and an ECMP route with onlink member', () => {
    // fd91::/64 dev 2 proto kernel metric 256
    const connected = msg('0a400000 fe02fd01 00000000' + '0800 0f00 fe000000' + '1400 0100 fd910000000000000000000000000000' + '0800 0600 00010000' + '0800 0400 02000000');
    expect(decodeForeignRoute(connected, one(connected))?.route).toEqual({ prefix: 'fd91::/64', protocol: 2, type: 'unicast', metric: 256, tos: 0, hops: [{ ifindex: 2 }] });
    // 10.98.0.0/24 nexthop via 10.91.0.2 dev 3 nexthop via 10.91.0.3 dev 4 onlink
    const ecmp = msg('02180000 fe030001 00000000' + '0800 0100 0a620000' + '2400 0900' + '1000 0000 03000000 0800 0500 0a5b0002' + '1000 0400 04000000 0800 0500 0a5b0003');
    expect(decodeForeignRoute(ecmp, one(ecmp))?.route.hops).toEqual([
      { gateway: ipv4ToNumber('10.91.0.2'), ifindex: 3 },
      { gateway: ipv4ToNumber('10.91.0.3'), ifindex: 4, onlink: true },
    ]);
  });

  it('route types, ToS, tables above 255, and cached clones', () => {
    const typed = (type: string): Buffer => msg(`02180000 fe0400${type} 00000000` + '0800 0100 0a630000');
    expect(['06', '07', '08', '09', '02', '01'].map((t) => decodeForeignRoute(typed(t), one(typed(t)))?.route.type)).toEqual([
      'blackhole',
      'unreachable',
      'prohibit',
      'throw',
      'other',
      'unicast',
    ]);
    const tos = msg('02180010 fe040001 00000000' + '0800 0100 0a630000');
    expect(decodeForeignRoute(tos, one(tos))?.route.tos).toBe(16);
    const bigTable = msg('02180000 fc040001 00000000' + '0800 0f00 10270000' + '0800 0100 0a630000');
    expect(decodeForeignRoute(bigTable, one(bigTable))?.table).toBe(10000);
    const cloned = msg('02180000 fe040001 00020000' + '0800 0100 0a630000');
    expect(decodeForeignRoute(cloned, one(cloned))).toBeUndefined();
    const short = msg('02180000 fe04');
    expect(decodeForeignRoute(short, one(short))).toBeUndefined();
  });
});

describe('decodeLinkEvent', () => {
  it('links up, down and deleted; addresses added and deleted', () => {
    const link = (type: string, flags: string): Buffer => msg(`00000000 05000000 ${flags} ffffffff`, type);
    expect(decodeLinkEvent(link('1000', '43100100'), one(link('1000', '43100100')))).toEqual({ kind: 'link-new', ifindex: 5, up: true });
    expect(decodeLinkEvent(link('1000', '02100000'), one(link('1000', '02100000')))).toEqual({ kind: 'link-new', ifindex: 5, up: false });
    expect(decodeLinkEvent(link('1100', '02100000'), one(link('1100', '02100000')))).toEqual({ kind: 'link-del', ifindex: 5 });
    const addr = (type: string): Buffer => msg('02180000 07000000', type);
    expect(decodeLinkEvent(addr('1400'), one(addr('1400')))).toEqual({ kind: 'addr-new', ifindex: 7 });
    expect(decodeLinkEvent(addr('1500'), one(addr('1500')))).toEqual({ kind: 'addr-del', ifindex: 7 });
    const route = msg('02180000 fe040001 00000000');
    expect(decodeLinkEvent(route, one(route))).toBeUndefined();
  });
});
