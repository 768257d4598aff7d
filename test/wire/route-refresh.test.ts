import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WireError } from '../../src/wire/errors.js';
import { decodeRouteRefresh, encodeRouteRefresh, type RouteRefreshOptions } from '../../src/wire/route-refresh.js';
import type { RouteRefreshMessage, RouteRefreshSubtype } from '../../src/wire/types.js';
import { fromHex, MARKER, toHex } from './hex.js';

const decode = (raw: Buffer, opts?: RouteRefreshOptions): RouteRefreshMessage | null =>
  decodeRouteRefresh(raw.subarray(19), opts);
const rr = (afi: number, safi: number, subtype: RouteRefreshSubtype): RouteRefreshMessage => ({
  kind: 'route-refresh',
  afi,
  safi,
  subtype,
});

const GOLDEN: [name: string, hex: string, value: RouteRefreshMessage][] = [
  ['normal request ipv4 unicast (RFC 2918)', `${MARKER} 0017 05 0001 00 01`, rr(1, 1, 0)],
  ['BoRR ipv6 unicast (RFC 7313)', `${MARKER} 0017 05 0002 01 01`, rr(2, 1, 1)],
  ['EoRR ipv4 unicast (RFC 7313)', `${MARKER} 0017 05 0001 02 01`, rr(1, 1, 2)],
];

function wireError(fn: () => unknown): WireError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WireError) return e;
    throw e;
  }
  throw new Error('expected a WireError');
}

describe('ROUTE-REFRESH golden bytes', () => {
  for (const [name, hex, value] of GOLDEN) {
    it(`decodes and encodes ${name}`, () => {
      expect(decode(fromHex(hex))).toEqual(value);
      expect(toHex(encodeRouteRefresh(value))).toBe(toHex(fromHex(hex)));
    });
  }
});

describe('ROUTE-REFRESH error handling (RFC 7313 §5)', () => {
  it('ignores reserved subtypes, whatever the length', () => {
    expect(decode(fromHex(`${MARKER} 0017 05 0001 03 01`))).toBeNull();
    expect(decode(fromHex(`${MARKER} 0017 05 0001 ff 01`), { enhancedRouteRefresh: true })).toBeNull();
    expect(decode(fromHex(`${MARKER} 001b 05 0001 ff 01 01020304`))).toBeNull(); // ORF-like
  });

  it('answers a short BoRR with ROUTE-REFRESH Message Error carrying the whole message', () => {
    const raw = fromHex(`${MARKER} 0016 05 0001 01`);
    const e = wireError(() => decode(raw));
    expect([e.code, e.notifCode, e.notifSubcode, toHex(e.data)]).toEqual(['route-refresh-malformed', 7, 1, toHex(raw)]);
  });

  it('applies the RFC 7313 rule to every subtype once enhanced route refresh is negotiated', () => {
    for (const hex of [`${MARKER} 0016 05 0001 00`, `${MARKER} 0018 05 0001 00 01 00`, `${MARKER} 0014 05 00`]) {
      const raw = fromHex(hex);
      const e = wireError(() => decode(raw, { enhancedRouteRefresh: true }));
      expect([e.notifCode, e.notifSubcode, toHex(e.data)]).toEqual([7, 1, toHex(raw)]);
    }
  });

  it('uses Bad Message Length for a wrong-length plain RFC 2918 request', () => {
    const e = wireError(() => decode(fromHex(`${MARKER} 0018 05 0001 00 01 00`)));
    expect([e.notifCode, e.notifSubcode, toHex(e.data)]).toEqual([1, 2, '0018']);
  });

  it('refuses to encode out-of-range fields', () => {
    expect(wireError(() => encodeRouteRefresh(rr(65536, 1, 0))).code).toBe('encode-invalid');
    expect(wireError(() => encodeRouteRefresh(rr(1, 256, 0))).code).toBe('encode-invalid');
  });
});

describe('ROUTE-REFRESH round trip', () => {
  it('decodes what it encodes, for any AFI, SAFI and subtype', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom<RouteRefreshSubtype>(0, 1, 2),
        fc.boolean(),
        (afi, safi, subtype, enhancedRouteRefresh) => {
          const msg = rr(afi, safi, subtype);
          expect(decode(encodeRouteRefresh(msg), { enhancedRouteRefresh })).toEqual(msg);
        },
      ),
    );
  });
});
