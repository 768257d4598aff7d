import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WireError } from '../../src/wire/errors.js';
import { decodeOpen, encodeOpen } from '../../src/wire/open.js';
import type { Capability, OpenMessage } from '../../src/wire/types.js';
import { fromHex, MARKER, toHex } from './hex.js';

const decode = (raw: Buffer): OpenMessage => decodeOpen(raw.subarray(19));

// A BIRD 2 style OPEN: AS 65001, hold 240, id 10.0.0.1, every capability in one parameter.
const BIRD_OPEN_HEX = `
  ${MARKER} 0056 01
  04 fde9 00f0 0a000001  # version 4, AS 65001, hold 240, id 10.0.0.1
  39                     # optional parameters length 57
  02 37                  # Capabilities parameter, 55 octets
    01 04 0001 00 01     # multiprotocol ipv4 unicast
    01 04 0002 00 01     # multiprotocol ipv6 unicast
    02 00                # route refresh
    46 00                # enhanced route refresh
    06 00                # extended message
    40 0a 4078 0001 01 80 0002 01 80  # graceful restart: N bit, 120 s, v4 + v6 forwarding
    41 04 0000fde9       # 4-octet AS 65001
    45 08 0001 01 03 0002 01 03       # add-path send+receive v4 and v6
    49 07 05 6e6f646531 00            # fqdn "node1", domain ""
`;
const BIRD_OPEN: OpenMessage = {
  kind: 'open',
  version: 4,
  myAs: 65001,
  holdTime: 240,
  bgpId: 0x0a000001,
  capabilities: [
    { kind: 'multiprotocol', afi: 1, safi: 1 },
    { kind: 'multiprotocol', afi: 2, safi: 1 },
    { kind: 'route-refresh' },
    { kind: 'enhanced-route-refresh' },
    { kind: 'extended-message' },
    {
      kind: 'graceful-restart',
      restarting: false,
      notification: true,
      restartTime: 120,
      families: [
        { afi: 1, safi: 1, forwardingPreserved: true },
        { afi: 2, safi: 1, forwardingPreserved: true },
      ],
    },
    { kind: 'as4', asn: 65001 },
    { kind: 'add-path', families: [{ afi: 1, safi: 1, sendReceive: 3 }, { afi: 2, safi: 1, sendReceive: 3 }] },
    { kind: 'fqdn', hostname: 'node1', domain: '' },
  ],
};

/** An OPEN (AS_TRANS, hold 90, id 192.0.2.1) carrying `capsHex` in one Capabilities parameter. */
function openWith(capsHex: string): Buffer {
  const caps = fromHex(capsHex);
  const body = Buffer.concat([fromHex('04 5ba0 005a c0000201'), Buffer.of(caps.length + 2, 2, caps.length), caps]);
  const header = fromHex(MARKER + '0000 01');
  header.writeUInt16BE(19 + body.length, 16);
  return Buffer.concat([header, body]);
}
const openValue = (capabilities: Capability[]): OpenMessage => ({
  kind: 'open',
  version: 4,
  myAs: 23456,
  holdTime: 90,
  bgpId: 0xc0000201,
  capabilities,
});

// One row per capability kind: decoded from the hex, and encoded back to the same hex.
const CAPABILITY_GOLDEN: [name: string, hex: string, cap: Capability][] = [
  ['multiprotocol ipv4 unicast', '01 04 0001 00 01', { kind: 'multiprotocol', afi: 1, safi: 1 }],
  ['multiprotocol ipv6 unicast', '01 04 0002 00 01', { kind: 'multiprotocol', afi: 2, safi: 1 }],
  ['route refresh', '02 00', { kind: 'route-refresh' }],
  ['enhanced route refresh', '46 00', { kind: 'enhanced-route-refresh' }],
  ['extended message', '06 00', { kind: 'extended-message' }],
  [
    'graceful restart, restarting, one family',
    '40 06 8078 0001 01 80',
    { kind: 'graceful-restart', restarting: true, notification: false, restartTime: 120, families: [{ afi: 1, safi: 1, forwardingPreserved: true }] },
  ],
  [
    'graceful restart, helper only (no families), max time',
    '40 02 4fff',
    { kind: 'graceful-restart', restarting: false, notification: true, restartTime: 4095, families: [] },
  ],
  ['4-octet AS 200000', '41 04 00030d40', { kind: 'as4', asn: 200000 }],
  ['add-path receive ipv4', '45 04 0001 01 01', { kind: 'add-path', families: [{ afi: 1, safi: 1, sendReceive: 1 }] }],
  ['fqdn with domain', '49 0b 05 6e6f646531 04 74657374', { kind: 'fqdn', hostname: 'node1', domain: 'test' }],
  ['unknown (LLGR, 71) kept verbatim', '47 00', { kind: 'unknown', code: 71, value: Buffer.alloc(0) }],
  ['unknown private code kept verbatim', 'aa 03 010203', { kind: 'unknown', code: 0xaa, value: fromHex('010203') }],
];

describe('OPEN golden bytes', () => {
  it('decodes a BIRD 2 OPEN with every capability kind', () => {
    expect(decode(fromHex(BIRD_OPEN_HEX))).toEqual(BIRD_OPEN);
  });

  it('encodes the BIRD 2 OPEN to the same bytes', () => {
    expect(toHex(encodeOpen(BIRD_OPEN))).toBe(toHex(fromHex(BIRD_OPEN_HEX)));
  });

  it('decodes and encodes an OPEN without optional parameters', () => {
    const hex = `${MARKER} 001d 01 04 fde9 00b4 0a000002 00`;
    const value = { ...openValue([]), myAs: 65001, holdTime: 180, bgpId: 0x0a000002 };
    expect(decode(fromHex(hex))).toEqual(value);
    expect(toHex(encodeOpen(value))).toBe(toHex(fromHex(hex)));
  });

  for (const [name, hex, cap] of CAPABILITY_GOLDEN) {
    it(`decodes and encodes capability: ${name}`, () => {
      expect(decode(openWith(hex))).toEqual(openValue([cap]));
      expect(toHex(encodeOpen(openValue([cap])))).toBe(toHex(openWith(hex)));
    });
  }
});

describe('OPEN decoding of what other speakers send', () => {
  it('accepts one capability per parameter (GoBGP, FRR, Cisco style)', () => {
    const raw = fromHex(`
      ${MARKER} 0031 01 04 fde9 005a 0a000003
      14                      # 20 octets of parameters, three of them
      02 06 01 04 0001 00 01
      02 02 02 00
      02 06 41 04 0000fde9
    `);
    expect(decode(raw).capabilities).toEqual([
      { kind: 'multiprotocol', afi: 1, safi: 1 },
      { kind: 'route-refresh' },
      { kind: 'as4', asn: 65001 },
    ]);
  });

  it('decodes the Cisco pre-standard route refresh (128) as route-refresh', () => {
    expect(decode(openWith('80 00 02 00')).capabilities).toEqual([{ kind: 'route-refresh' }, { kind: 'route-refresh' }]);
  });

  it('ignores the reserved octet of multiprotocol (RFC 4760 §8)', () => {
    expect(decode(openWith('01 04 0002 ff 01')).capabilities).toEqual([{ kind: 'multiprotocol', afi: 2, safi: 1 }]);
  });

  it('accepts an empty Capabilities parameter', () => {
    expect(decode(openWith('')).capabilities).toEqual([]);
  });

  it('decodes the RFC 9072 extended optional parameters length', () => {
    const raw = fromHex(`
      ${MARKER} 0029 01 04 fde9 005a 0a000004
      ff ff 0009               # non-ext length 255, type 255, extended length 9
      02 0006 41 04 0000fde9   # Capabilities with a 2-octet length
    `);
    expect(decode(raw).capabilities).toEqual([{ kind: 'as4', asn: 65001 }]);
  });

  it('keeps add-path with a send/receive value outside 1..3 as unknown (RFC 7911 §4)', () => {
    expect(decode(openWith('45 08 0001 01 01 0002 01 04')).capabilities).toEqual([
      { kind: 'unknown', code: 69, value: fromHex('0001 01 01 0002 01 04') },
    ]);
  });

  it('never fails on a malformed fqdn: invalid UTF-8, overruns and trailing octets stay unknown', () => {
    for (const v of ['02 c328 00', '09 6e6f6465', '05 6e6f646531', '01 61 01 62 ff', '']) {
      const value = fromHex(v);
      const capHex = `49 ${value.length.toString(16).padStart(2, '0')} ${v}`;
      expect(decode(openWith(capHex)).capabilities).toEqual([{ kind: 'unknown', code: 73, value }]);
    }
  });

  it('does not judge version, hold time or identifier: that is the session', () => {
    const raw = fromHex(`${MARKER} 001d 01 03 0001 0001 00000000 00`);
    expect(decode(raw)).toMatchObject({ version: 3, myAs: 1, holdTime: 1, bgpId: 0 });
  });
});

function wireError(fn: () => unknown): WireError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WireError) return e;
    throw e;
  }
  throw new Error('expected a WireError');
}

describe('OPEN decoding errors', () => {
  it('rejects a capability that runs past its parameter with OPEN Message Error / Unspecific', () => {
    const e = wireError(() => decode(openWith('41 08 0000fde9')));
    expect([e.code, e.notifCode, e.notifSubcode]).toEqual(['open-bad-capability', 2, 0]);
  });

  it('rejects capabilities of the wrong length, with the capability as data', () => {
    for (const hex of ['01 03 000101', '01 05 0001000100', '41 02 fde9', '02 01 00', '46 01 00', '06 01 00', '40 03 000001', '40 05 0078000101', '45 03 000101']) {
      const e = wireError(() => decode(openWith(hex)));
      expect([e.notifCode, e.notifSubcode, toHex(e.data)]).toEqual([2, 0, toHex(fromHex(hex))]);
    }
  });

  it('rejects the deprecated Authentication parameter as Unsupported Optional Parameter', () => {
    const raw = fromHex(`${MARKER} 0020 01 04 fde9 005a 0a000001 03 01 01 00`);
    const e = wireError(() => decode(raw));
    expect([e.notifCode, e.notifSubcode, toHex(e.data)]).toEqual([2, 4, '010100']);
  });

  it('rejects a parameter header cut short with OPEN Message Error / Unspecific', () => {
    const e = wireError(() => decode(fromHex(`${MARKER} 001e 01 04 fde9 005a 0a000001 01 02`)));
    expect([e.notifCode, e.notifSubcode]).toEqual([2, 0]);
  });
});

describe('OPEN encoding', () => {
  it('switches to the RFC 9072 extended form only when capabilities exceed 253 octets', () => {
    const fits = openValue([{ kind: 'unknown', code: 200, value: Buffer.alloc(251, 7) }]); // 253 octets
    expect(encodeOpen(fits)[28]).toBe(255); // 2 + 253, still non-extended
    expect(encodeOpen(fits)[29]).toBe(2);
    expect(decode(encodeOpen(fits))).toEqual(fits); // 255 followed by type 2 is not RFC 9072

    const big = openValue([
      { kind: 'unknown', code: 200, value: Buffer.alloc(200, 7) },
      { kind: 'unknown', code: 201, value: Buffer.alloc(52, 8) },
    ]); // 202 + 54 = 256 octets
    const raw = encodeOpen(big);
    expect(toHex(raw.subarray(28, 35))).toBe('ffff0103020100');
    expect(raw.length).toBe(19 + 10 + 6 + 256);
    expect(decode(raw)).toEqual(big);
  });

  it('refuses an OPEN above 4096 octets (RFC 8654 §3 keeps OPEN small)', () => {
    const caps: Capability[] = Array.from({ length: 17 }, (_, i) => ({ kind: 'unknown', code: 200 + i, value: Buffer.alloc(255) }));
    expect(wireError(() => encodeOpen(openValue(caps))).code).toBe('encode-too-large');
  });

  it('refuses out-of-range fields', () => {
    const bad: OpenMessage[] = [
      { ...openValue([]), myAs: 65536 },
      { ...openValue([]), bgpId: -1 },
      openValue([{ kind: 'as4', asn: 2 ** 32 }]),
      openValue([{ kind: 'graceful-restart', restarting: false, notification: false, restartTime: 4096, families: [] }]),
      openValue([{ kind: 'fqdn', hostname: 'x'.repeat(256), domain: '' }]),
      openValue([{ kind: 'unknown', code: 300, value: Buffer.alloc(0) }]),
    ];
    for (const msg of bad) expect(wireError(() => encodeOpen(msg)).code).toBe('encode-invalid');
  });
});

// ---------------------------------------------------------------------------------------------
// Property: decode(encode(open)) === open for every encodable OPEN.

const KNOWN_CODES = new Set([1, 2, 6, 64, 65, 69, 70, 73, 128]);
const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const shortText = fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => Buffer.byteLength(s) <= 120);

const capabilityArb: fc.Arbitrary<Capability> = fc.oneof(
  fc.record({ kind: fc.constant('multiprotocol' as const), afi: u16, safi: u8 }),
  fc.constant({ kind: 'route-refresh' as const }),
  fc.constant({ kind: 'enhanced-route-refresh' as const }),
  fc.constant({ kind: 'extended-message' as const }),
  fc.record({
    kind: fc.constant('graceful-restart' as const),
    restarting: fc.boolean(),
    notification: fc.boolean(),
    restartTime: fc.integer({ min: 0, max: 4095 }),
    families: fc.array(fc.record({ afi: u16, safi: u8, forwardingPreserved: fc.boolean() }), { maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('as4' as const), asn: u32 }),
  fc.record({
    kind: fc.constant('add-path' as const),
    families: fc.array(fc.record({ afi: u16, safi: u8, sendReceive: fc.constantFrom(1 as const, 2 as const, 3 as const) }), { maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('fqdn' as const), hostname: shortText, domain: shortText }),
  fc.record({
    kind: fc.constant('unknown' as const),
    code: u8.filter((c) => !KNOWN_CODES.has(c)),
    value: fc.uint8Array({ maxLength: 255 }).map((a) => Buffer.from(a)),
  }),
);

const openArb: fc.Arbitrary<OpenMessage> = fc.record({
  kind: fc.constant('open' as const),
  version: u8,
  myAs: u16,
  holdTime: u16,
  bgpId: u32,
  capabilities: fc.array(capabilityArb, { maxLength: 12 }),
});

describe('OPEN round trip', () => {
  it('decodes what it encodes, for any OPEN', () => {
    fc.assert(
      fc.property(openArb, (open) => {
        expect(decode(encodeOpen(open))).toEqual(open);
      }),
      { numRuns: 500 },
    );
  });
});
