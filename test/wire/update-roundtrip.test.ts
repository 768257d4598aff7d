// Property round trips: decode(encode(x)) deep-equals x for any representable UPDATE, on
// 4-octet and 2-octet AS sessions, with and without ADD-PATH, with and without AttrCache.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttrCache } from '../../src/wire/attributes/cache.js';
import { encodeAttributes } from '../../src/wire/attributes/encode-attributes.js';
import { decodeUpdate } from '../../src/wire/update-decode.js';
import { encodeUpdate } from '../../src/wire/update-encode.js';
import { updateCaseArb } from './update-arbitraries.js';
import { bodyOf } from './update-fixtures.js';

describe('UPDATE round trip', () => {
  for (const as4 of [true, false]) {
    it(`decode(encode(x)) equals x on a ${as4 ? '4' : '2'}-octet AS session`, () => {
      fc.assert(
        fc.property(updateCaseArb(as4), ({ ctx, msg }) => {
          expect(decodeUpdate(bodyOf(encodeUpdate(msg, ctx)), ctx)).toEqual(msg);
        }),
        { numRuns: 300, seed: as4 ? 7606 : 6793 },
      );
    });
  }

  it('re-encodes a decoded UPDATE to the same bytes', () => {
    fc.assert(
      fc.property(updateCaseArb(true), ({ ctx, msg }) => {
        const bytes = encodeUpdate(msg, ctx);
        expect(encodeUpdate(decodeUpdate(bodyOf(bytes), ctx), ctx).equals(bytes)).toBe(true);
      }),
      { numRuns: 200, seed: 4271 },
    );
  });

  it('returns the same PathAttributes object for byte-identical attributes through AttrCache', () => {
    const cache = new AttrCache();
    fc.assert(
      fc.property(updateCaseArb(false), ({ ctx, msg }) => {
        const bytes = encodeUpdate(msg, ctx);
        const first = decodeUpdate(bodyOf(bytes), ctx, cache);
        const second = decodeUpdate(bodyOf(Buffer.from(bytes)), ctx, cache);
        expect(first).toEqual(msg);
        expect(second).toEqual(msg);
        if (msg.attrs !== null) expect(second.attrs).toBe(first.attrs);
      }),
      { numRuns: 200, seed: 1997 },
    );
    expect(cache.hits).toBeGreaterThan(0);
  });

  it('encodeAttributes matches the attribute section encodeUpdate writes', () => {
    fc.assert(
      fc.property(updateCaseArb(true), ({ ctx, msg }) => {
        const bytes = encodeUpdate(msg, ctx);
        const wLen = bytes.readUInt16BE(19);
        const aLen = bytes.readUInt16BE(21 + wLen);
        const mp = { reach: msg.mpReach, unreach: msg.mpUnreach };
        expect(encodeAttributes(msg.attrs, ctx, mp).equals(bytes.subarray(23 + wLen, 23 + wLen + aLen))).toBe(true);
      }),
      { numRuns: 100, seed: 4760 },
    );
  });
});
