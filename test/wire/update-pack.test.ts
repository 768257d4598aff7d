// Packing many prefixes that share attributes into as few UPDATEs as the size limit allows,
// the raw fast path, and the size limits of the typed encoder.
import { describe, expect, it } from 'vitest';
import { AttrCache } from '../../src/wire/attributes/cache.js';
import { encodeAttributes } from '../../src/wire/attributes/encode-attributes.js';
import { WireError } from '../../src/wire/errors.js';
import { decodeUpdate } from '../../src/wire/update-decode.js';
import { encodeUpdate, encodeUpdateRaw, maxMessageSize } from '../../src/wire/update-encode.js';
import { packIpv4, packIpv4Withdrawals, packIpv6, packIpv6Withdrawals } from '../../src/wire/update-pack.js';
import type { PathAttributes, UpdateMessage } from '../../src/wire/types.js';
import { AS4, bodyOf, context } from './update-fixtures.js';

const attrs: PathAttributes = { origin: 0, asPath: [{ type: 2, asns: [65001, 65002] }], nextHop: 0x0a000001, communities: [1, 2, 3] };
const v6attrs: PathAttributes = { origin: 0, asPath: [{ type: 2, asns: [65001] }] };

function slash24s(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (0x0a000000 + i * 256) * 64 + 24);
}

function slash64s(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `2001:db8:${i.toString(16)}::/64`.replace(':0::', '::'));
}

function thrown(f: () => unknown): WireError {
  try {
    f();
  } catch (e) {
    if (e instanceof WireError) return e;
    throw e;
  }
  throw new Error('expected a WireError');
}

describe('packIpv4', () => {
  it('splits prefixes over UPDATEs of at most 4096 octets, in order, none lost', () => {
    const prefixes = slash24s(3000);
    const msgs = packIpv4(encodeAttributes(attrs, AS4), prefixes, 4096);
    expect(msgs.length).toBe(3); // 3000 × 4 octets over ~4050 octets each
    const seen: number[] = [];
    for (const m of msgs) {
      expect(m.length).toBeLessThanOrEqual(4096);
      expect(m.readUInt16BE(16)).toBe(m.length);
      const u = decodeUpdate(bodyOf(m), AS4);
      expect(u.attrs).toEqual(attrs);
      expect(u.treatAsWithdraw).toBe(false);
      seen.push(...u.nlri.prefixes);
    }
    expect(seen).toEqual(prefixes);
    expect(msgs[0]!.length).toBeGreaterThan(4090); // packed full
  });

  it('fits everything in one extended message (RFC 8654)', () => {
    expect(packIpv4(encodeAttributes(attrs, AS4), slash24s(3000), maxMessageSize(context(true, [], true)))).toHaveLength(1);
  });

  it('carries ADD-PATH identifiers when given', () => {
    const ctx = context(true, ['ipv4-unicast']);
    const prefixes = slash24s(1200);
    const ids = prefixes.map((_, i) => i + 1);
    const msgs = packIpv4(encodeAttributes(attrs, ctx), prefixes, 4096, ids);
    const got = msgs.map((m) => decodeUpdate(bodyOf(m), ctx).nlri);
    expect(got.flatMap((n) => n.prefixes)).toEqual(prefixes);
    expect(got.flatMap((n) => n.pathIds ?? [])).toEqual(ids);
  });

  it('packs withdrawals into the Withdrawn Routes field', () => {
    const prefixes = slash24s(2500);
    const msgs = packIpv4Withdrawals(prefixes, 4096);
    expect(msgs.length).toBe(3);
    const got = msgs.map((m) => decodeUpdate(bodyOf(m), AS4));
    expect(got.every((u) => u.attrs === null && !u.treatAsWithdraw)).toBe(true);
    expect(got.flatMap((u) => u.withdrawn.prefixes)).toEqual(prefixes);
  });

  it('returns nothing for no prefixes and refuses attributes that leave no room', () => {
    expect(packIpv4(encodeAttributes(attrs, AS4), [], 4096)).toEqual([]);
    expect(thrown(() => packIpv4(Buffer.alloc(4070), slash24s(1), 4096)).code).toBe('encode-too-large');
  });
});

describe('packIpv6', () => {
  it('packs prefixes into MP_REACH_NLRI (first attribute) within the size limit', () => {
    const prefixes = slash64s(900);
    const msgs = packIpv6(encodeAttributes(v6attrs, AS4), { nextHop: '2001:db8::1', linkLocalNextHop: 'fe80::1' }, prefixes, 4096);
    expect(msgs.length).toBeGreaterThan(1);
    const seen: string[] = [];
    for (const m of msgs) {
      expect(m.length).toBeLessThanOrEqual(4096);
      expect(m[23]! & ~0x10).toBe(0x80); // optional non-transitive (extended length when > 255)
      expect(m[24]).toBe(14);
      const u = decodeUpdate(bodyOf(m), AS4);
      expect(u.attrs).toEqual(v6attrs);
      expect(u.mpReach?.nextHop).toBe('2001:db8::1');
      expect(u.mpReach?.linkLocalNextHop).toBe('fe80::1');
      expect(u.treatAsWithdraw).toBe(false);
      const nlri = u.mpReach!.nlri;
      if (nlri.family === 'ipv6-unicast') seen.push(...nlri.prefixes);
    }
    expect(seen).toEqual(prefixes);
  });

  it('uses a one-octet attribute length when the MP_REACH_NLRI value is short', () => {
    const [m] = packIpv6(encodeAttributes(v6attrs, AS4), { nextHop: '2001:db8::1' }, ['2001:db8::/32'], 4096);
    expect(m![23]).toBe(0x80);
    expect(decodeUpdate(bodyOf(m!), AS4).mpReach?.nlri.prefixes).toEqual(['2001:db8::/32']);
  });

  it('packs IPv6 withdrawals into MP_UNREACH_NLRI, with ADD-PATH ids', () => {
    const ctx = context(true, ['ipv6-unicast']);
    const prefixes = slash64s(700);
    const ids = prefixes.map((_, i) => 1000 + i);
    const msgs = packIpv6Withdrawals(prefixes, 4096, ids);
    const got = msgs.map((m) => decodeUpdate(bodyOf(m), ctx).mpUnreach!);
    expect(got.flatMap((n) => (n.family === 'ipv6-unicast' ? n.prefixes : []))).toEqual(prefixes);
    expect(got.flatMap((n) => n.pathIds ?? [])).toEqual(ids);
  });
});

describe('encodeUpdateRaw and size limits', () => {
  const msg: UpdateMessage = {
    kind: 'update',
    withdrawn: { family: 'ipv4-unicast', prefixes: slash24s(3) },
    attrs,
    nlri: { family: 'ipv4-unicast', prefixes: slash24s(10).slice(5) },
    treatAsWithdraw: false,
    attributeErrors: [],
  };

  it('builds the same bytes as encodeUpdate from pre-encoded attributes', () => {
    const raw = encodeUpdateRaw(encodeAttributes(attrs, AS4), msg.nlri.prefixes, msg.withdrawn.prefixes);
    expect(raw.equals(encodeUpdate(msg, AS4))).toBe(true);
  });

  it('refuses an UPDATE above 4096 octets unless extended messages were negotiated', () => {
    const big: UpdateMessage = { ...msg, nlri: { family: 'ipv4-unicast', prefixes: slash24s(1100) } };
    expect(thrown(() => encodeUpdate(big, AS4)).code).toBe('encode-too-large');
    expect(encodeUpdate(big, context(true, [], true)).length).toBeGreaterThan(4096);
    expect(thrown(() => encodeUpdateRaw(encodeAttributes(attrs, AS4), big.nlri.prefixes, [])).code).toBe('encode-too-large');
  });

  it('refuses NLRI without path attributes', () => {
    expect(thrown(() => encodeUpdate({ ...msg, attrs: null }, AS4)).code).toBe('encode-invalid');
  });
});

describe('AttrCache', () => {
  it('shares one PathAttributes object between UPDATEs with identical attribute bytes', () => {
    const cache = new AttrCache();
    const bytes = encodeAttributes(attrs, AS4);
    const a = decodeUpdate(bodyOf(encodeUpdateRaw(bytes, slash24s(2), [])), AS4, cache);
    const b = decodeUpdate(bodyOf(encodeUpdateRaw(bytes, slash24s(5).slice(2), [])), AS4, cache);
    expect(b.attrs).toBe(a.attrs);
    expect(cache.hits).toBe(1);
    expect(cache.misses).toBe(1);
  });

  it('keeps 2-octet and 4-octet decodings of the same bytes apart', () => {
    const cache = new AttrCache();
    // Valid both ways: 4-octet [SEQ 0x00010002 0x02010003], 2-octet [SEQ 1 2][SEQ 3].
    const body = Buffer.from('0000 0011 40010100 40020a 0202 0001 0002 0201 0003'.replace(/ /g, ''), 'hex');
    const four = decodeUpdate(body, AS4, cache);
    const two = decodeUpdate(body, context(false), cache);
    expect(four.attrs?.asPath).toEqual([{ type: 2, asns: [0x00010002, 0x02010003] }]);
    expect(two.attrs?.asPath).toEqual([
      { type: 2, asns: [1, 2] },
      { type: 2, asns: [3] },
    ]);
  });

  it('is cleared when it reaches its bound', () => {
    const cache = new AttrCache({ maxEntries: 3 });
    for (let i = 0; i < 5; i++) {
      decodeUpdate(bodyOf(encodeUpdateRaw(encodeAttributes({ ...attrs, med: i }, AS4), slash24s(1), [])), AS4, cache);
    }
    expect(cache.entries).toBeLessThanOrEqual(3);
  });

  it('caches the attributes around an MP_REACH_NLRI placed first', () => {
    const cache = new AttrCache();
    const bytes = encodeAttributes(v6attrs, AS4);
    const [m1] = packIpv6(bytes, { nextHop: '2001:db8::1' }, ['2001:db8:1::/48'], 4096);
    const [m2] = packIpv6(bytes, { nextHop: '2001:db8::2' }, ['2001:db8:2::/48'], 4096);
    const a = decodeUpdate(bodyOf(m1!), AS4, cache);
    const b = decodeUpdate(bodyOf(m2!), AS4, cache);
    expect(b.attrs).toBe(a.attrs);
    expect(b.mpReach?.nextHop).toBe('2001:db8::2');
  });
});
