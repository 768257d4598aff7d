import { describe, expect, it } from 'vitest';
import { WireError } from '../../src/wire/errors.js';
import { Framer } from '../../src/wire/framer.js';
import { decodeMessage, encodeMessage, maxMessageSize, type MessageContext } from '../../src/wire/message.js';
import { DEFAULT_CODEC_CONTEXT, type BgpMessage, type Capability, type CodecContext } from '../../src/wire/types.js';
import { fromHex, MARKER, toHex } from './hex.js';

const CTX: CodecContext = DEFAULT_CODEC_CONTEXT;
const EXT: CodecContext = { ...DEFAULT_CODEC_CONTEXT, extendedMessage: true };

function wireError(fn: () => unknown): WireError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WireError) return e;
    throw e;
  }
  throw new Error('expected a WireError');
}

// Whole messages both ways through the dispatcher.
const GOLDEN: [name: string, hex: string, value: BgpMessage][] = [
  ['KEEPALIVE', `${MARKER} 0013 04`, { kind: 'keepalive' }],
  [
    'OPEN',
    `${MARKER} 0025 01 04 fde9 00f0 0a000001 08 02 06 41 04 0000fde9`,
    { kind: 'open', version: 4, myAs: 65001, holdTime: 240, bgpId: 0x0a000001, capabilities: [{ kind: 'as4', asn: 65001 }] },
  ],
  ['NOTIFICATION', `${MARKER} 0015 03 04 00`, { kind: 'notification', code: 4, subcode: 0, data: Buffer.alloc(0) }],
  ['ROUTE-REFRESH', `${MARKER} 0017 05 0002 01 01`, { kind: 'route-refresh', afi: 2, safi: 1, subtype: 1 }],
];

describe('decodeMessage / encodeMessage dispatch', () => {
  for (const [name, hex, value] of GOLDEN) {
    it(`decodes and encodes a ${name}`, () => {
      expect(decodeMessage(fromHex(hex), CTX)).toEqual(value);
      expect(toHex(encodeMessage(value, CTX))).toBe(toHex(fromHex(hex)));
    });
  }

  it('dispatches an End-of-RIB UPDATE to the UPDATE codec', () => {
    const hex = `${MARKER} 0017 02 0000 0000`; // RFC 4724 §2: no withdrawn, no attributes, no NLRI
    const msg = decodeMessage(fromHex(hex), CTX);
    expect(msg).toMatchObject({ kind: 'update', attrs: null });
    expect(toHex(encodeMessage(msg!, CTX))).toBe(toHex(fromHex(hex)));
  });

  it('rejects an UPDATE shorter than 23 octets with Bad Message Length', () => {
    const e = wireError(() => decodeMessage(fromHex(`${MARKER} 0016 02 0000 00`), CTX));
    expect([e.notifCode, e.notifSubcode, toHex(e.data)]).toEqual([1, 2, '0016']);
  });

  it('rejects unknown message types with Bad Message Type and the type as data', () => {
    for (const type of [0, 6, 9, 255]) {
      const raw = fromHex(`${MARKER} 0013 00`);
      raw[18] = type;
      const e = wireError(() => decodeMessage(raw, CTX));
      expect([e.code, e.notifCode, e.notifSubcode, e.data[0]]).toEqual(['bad-type', 1, 3, type]);
    }
  });

  it('re-checks the header of buffers that did not come from a Framer', () => {
    const badMarker = fromHex(`${MARKER} 0013 04`);
    badMarker[0] = 0;
    expect([wireError(() => decodeMessage(badMarker, CTX)).notifSubcode]).toEqual([1]);
    const mismatch = wireError(() => decodeMessage(fromHex(`${MARKER} 0014 04`), CTX));
    expect([mismatch.notifCode, mismatch.notifSubcode, toHex(mismatch.data)]).toEqual([1, 2, '0014']);
    expect(wireError(() => decodeMessage(fromHex('ffff'), CTX)).notifSubcode).toBe(2);
  });

  it('holds OPEN to 4096 octets even with extended messages (RFC 8654 §3)', () => {
    const raw = Buffer.alloc(4097, 0);
    fromHex(`${MARKER} 1001 01`).copy(raw);
    const e = wireError(() => decodeMessage(raw, EXT));
    expect([e.notifCode, e.notifSubcode, toHex(e.data)]).toEqual([1, 2, '1001']);
  });

  it('returns null for a ROUTE-REFRESH the RFC says to ignore', () => {
    expect(decodeMessage(fromHex(`${MARKER} 0017 05 0001 07 01`), CTX)).toBeNull();
  });

  it('passes the enhanced route refresh flag through to the ROUTE-REFRESH decoder', () => {
    const raw = fromHex(`${MARKER} 0016 05 0001 00`);
    expect(wireError(() => decodeMessage(raw, CTX)).notifCode).toBe(1);
    const ctx: MessageContext = { ...CTX, enhancedRouteRefresh: true };
    expect(wireError(() => decodeMessage(raw, ctx)).notifCode).toBe(7);
  });

  it('knows the size limit of each type', () => {
    expect([maxMessageSize(2, CTX), maxMessageSize(2, EXT), maxMessageSize(1, EXT), maxMessageSize(4, EXT), maxMessageSize(3, EXT)]).toEqual([
      4096, 65535, 4096, 4096, 65535,
    ]);
  });

  it('refuses to encode an OPEN above 4096 octets even with extended messages', () => {
    const caps: Capability[] = Array.from({ length: 17 }, (_, i) => ({ kind: 'unknown', code: 200 + i, value: Buffer.alloc(255) }));
    const open: BgpMessage = { kind: 'open', version: 4, myAs: 1, holdTime: 90, bgpId: 1, capabilities: caps };
    expect(wireError(() => encodeMessage(open, EXT)).code).toBe('encode-too-large');
  });

  it('carries a whole session exchange through encode, Framer and decode unchanged', () => {
    const msgs = GOLDEN.map(([, , v]) => v);
    const stream = Buffer.concat(msgs.map((m) => encodeMessage(m, CTX)));
    const framer = new Framer();
    const got: (BgpMessage | null)[] = [];
    for (let i = 0; i < stream.length; i += 7) {
      for (const raw of framer.push(stream.subarray(i, i + 7))) got.push(decodeMessage(raw, CTX));
    }
    expect(got).toEqual(msgs);
  });
});
