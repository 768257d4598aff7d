import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RouteEncodeError } from '../../src/kernel/errors.js';
import {
  decodeErrno,
  decodeRoute,
  forEachMessage,
  routeMessageLength,
  writeBarrier,
  writeRouteMessage,
  type NetlinkMessageView,
  type RouteEncodeContext,
} from '../../src/kernel/rtnl-codec.js';
import type { DesiredRoute, RouteOp } from '../../src/kernel/types.js';
import { ipv4ToNumber, parsePrefix4 } from '../../src/lib/prefix.js';

const ctx: RouteEncodeContext = { protocol: 199, table: 254, pid: 0x01020304 };

function encode(op: RouteOp, seq = 7, c = ctx): Buffer {
  const buf = Buffer.alloc(routeMessageLength(op, c));
  expect(writeRouteMessage(buf, 0, op, seq, c)).toBe(buf.length);
  return buf;
}

function messages(buf: Buffer): NetlinkMessageView[] {
  const out: NetlinkMessageView[] = [];
  forEachMessage(buf, (m) => out.push(m));
  return out;
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('route requests (encode)', () => {
  const golden: Array<[string, RouteOp, string]> = [
    [
      'IPv4 add, one gateway: CREATE|EXCL, unicast, table + dst + gateway',
      { kind: 'add', route: { prefix: parsePrefix4('10.1.0.0/24'), nextHops: [{ gateway: ipv4ToNumber('10.91.0.2') }] } },
      '34000000 1800 0106 07000000 04030201' + '02180000 fec70001 00000000' + '0800 0f00 fe000000' + '0800 0100 0a010000' + '0800 0500 0a5b0002',
    ],
    [
      'IPv4 replace with an onlink gateway on an interface: CREATE|REPLACE, RTNH_F_ONLINK, RTA_OIF',
      { kind: 'replace', route: { prefix: parsePrefix4('10.1.0.0/24'), nextHops: [{ gateway: ipv4ToNumber('10.91.0.2'), ifindex: 3, onlink: true }] } },
      '3c000000 1800 0105 07000000 04030201' + '02180000 fec70001 04000000' + '0800 0f00 fe000000' + '0800 0100 0a010000' + '0800 0500 0a5b0002' + '0800 0400 03000000',
    ],
    [
      'delete: our protocol, any scope (NOWHERE) and any type, no next hops',
      { kind: 'delete', route: { prefix: parsePrefix4('10.1.0.0/24'), nextHops: [{ gateway: 1 }] } },
      '2c000000 1900 0100 07000000 04030201' + '02180000 fec7ff00 00000000' + '0800 0f00 fe000000' + '0800 0100 0a010000',
    ],
    [
      'IPv4 blackhole',
      { kind: 'add', route: { prefix: parsePrefix4('10.1.2.0/24'), nextHops: [], blackhole: true } },
      '2c000000 1800 0106 07000000 04030201' + '02180000 fec70006 00000000' + '0800 0f00 fe000000' + '0800 0100 0a010200',
    ],
    [
      'IPv6 ECMP: RTA_MULTIPATH with one rtnexthop + RTA_GATEWAY per member',
      { kind: 'add', route: { prefix: '2001:db8:2::/48', nextHops: [{ gateway: 'fd91::2' }, { gateway: 'fd91::3' }] } },
      '74000000 1800 0106 07000000 04030201' +
        '0a300000 fec70001 00000000' +
        '0800 0f00 fe000000' +
        '1400 0100 20010db8000200000000000000000000' +
        '3c00 0900' +
        '1c00 00 00 00000000 1400 0500 fd910000000000000000000000000002' +
        '1c00 00 00 00000000 1400 0500 fd910000000000000000000000000003',
    ],
  ];
  for (const [name, op, bytes] of golden) {
    it(`encodes ${name}`, () => {
      expect(encode(op).toString('hex')).toBe(hex(bytes).toString('hex'));
    });
  }

  it('puts a table id above 255 in RTA_TABLE with RT_TABLE_COMPAT in the header, and the metric in RTA_PRIORITY', () => {
    const b = encode({ kind: 'add', route: { prefix: parsePrefix4('10.0.0.0/8'), nextHops: [{ gateway: 1 }] } }, 1, { ...ctx, table: 1000, metric: 20 });
    expect(b[16 + 4]).toBe(252);
    expect(b.readUInt32LE(16 + 12 + 4)).toBe(1000);
    expect(b.subarray(16 + 12 + 16, 16 + 12 + 24).toString('hex')).toBe('0800060014000000');
  });

  it('refuses a next hop of the other family with a typed error', () => {
    const op: RouteOp = { kind: 'add', route: { prefix: parsePrefix4('10.0.0.0/8'), nextHops: [{ gateway: 'fd00::1' }] } };
    expect(() => writeRouteMessage(Buffer.alloc(256), 0, op, 1, ctx)).toThrow(RouteEncodeError);
  });

  it('writes a NOOP barrier asking for an ACK', () => {
    const b = Buffer.alloc(16);
    writeBarrier(b, 0, 9, 0x01020304);
    expect(b.toString('hex')).toBe('10000000010005000900000004030201');
  });
});

describe('route messages from the kernel (decode)', () => {
  // Captured from RTNLGRP_IPV4_ROUTE / RTNLGRP_IPV6_ROUTE (Linux 6.18) after `ip route add`.
  const ipv4Onlink = '3c00000018000006419f0a6b5a16000002180000fec700010400000008000f00fe000000080001000a010000080005000a5b00020800040003000000';
  const ipv6Ecmp =
    'a800000018000004419f0a6b5b1600000a300000fec700010000000008000f00fe0000001400010020010db800020000000000000000000008000600000400003c0009001c0000000300000014000500fd9100000000000000000000000000021c0000000300000014000500fd91000000000000000000000000000324000c0000000000000000000000000000000000000000000000000000000000000000000500140000000000';
  const ipv4Blackhole = '2c00000018000006419f0a6b5c16000002180000fec700060000000008000f00fe000000080001000a010200';

  const decodeOne = (h: string): ReturnType<typeof decodeRoute> => {
    const b = hex(h);
    const [m] = messages(b);
    return decodeRoute(b, m!);
  };

  it('decodes an IPv4 route with an onlink gateway and its interface', () => {
    expect(decodeOne(ipv4Onlink)).toEqual({
      protocol: 199,
      table: 254,
      route: { prefix: parsePrefix4('10.1.0.0/24'), nextHops: [{ gateway: ipv4ToNumber('10.91.0.2'), ifindex: 3, onlink: true }] },
    });
  });

  it('decodes an IPv6 ECMP route from RTA_MULTIPATH', () => {
    expect(decodeOne(ipv6Ecmp)).toEqual({
      protocol: 199,
      table: 254,
      route: { prefix: '2001:db8:2::/48', nextHops: [{ gateway: 'fd91::2', ifindex: 3 }, { gateway: 'fd91::3', ifindex: 3 }] },
    });
  });

  it('decodes a blackhole', () => {
    expect(decodeOne(ipv4Blackhole)?.route).toEqual({ prefix: parsePrefix4('10.1.2.0/24'), nextHops: [], blackhole: true });
  });

  it('splits a datagram into messages and reads the errno of an NLMSG_ERROR', () => {
    const err = Buffer.alloc(36);
    err.writeUInt32LE(36, 0);
    err.writeUInt16LE(2, 4);
    err.writeUInt32LE(42, 8);
    err.writeInt32LE(-101, 16);
    const both = Buffer.concat([hex(ipv4Blackhole), err]);
    const ms = messages(both);
    expect(ms.map((m) => m.type)).toEqual([24, 2]);
    expect(ms[1]!.seq).toBe(42);
    expect(decodeErrno(both, ms[1]!)).toBe(101);
    // A truncated tail is ignored, never read past.
    expect(messages(both.subarray(0, both.length - 4)).length).toBe(1);
  });

  it('round-trips any route through encode and decode', () => {
    const v4hop = fc.record({ gateway: fc.integer({ min: 1, max: 0xffffffff }), ifindex: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }), onlink: fc.boolean() });
    const v4route = fc.record({
      len: fc.integer({ min: 0, max: 32 }),
      addr: fc.integer({ min: 0, max: 0xffffffff }),
      hops: fc.array(v4hop, { minLength: 1, maxLength: 8 }),
    });
    fc.assert(
      fc.property(v4route, ({ len, addr, hops }) => {
        const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
        const prefix = ((addr & mask) >>> 0) * 64 + len;
        const nextHops = hops.map((h) => ({ gateway: h.gateway, ...(h.ifindex === undefined ? {} : { ifindex: h.ifindex }), ...(h.onlink ? { onlink: true } : {}) }));
        const route: DesiredRoute = { prefix, nextHops };
        const b = encode({ kind: 'add', route });
        const [m] = messages(b);
        expect(decodeRoute(b, m!)).toEqual({ protocol: 199, table: 254, route });
      }),
    );
  });
});
