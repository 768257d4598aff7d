// The malformed-UPDATE corpus: every test/wire/corpus-update/*.hex (an UPDATE body, after the
// header) has one expectation here, either the session reset it must raise (WireError code,
// NOTIFICATION subcode) or the exact RFC 7606 findings (action, code, reason) it must yield.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WireError, type WireErrorCode } from '../../src/wire/errors.js';
import { decodeUpdate } from '../../src/wire/update-decode.js';
import type { AttributeError, CodecContext } from '../../src/wire/types.js';
import { AS2, AS4, hex } from './update-fixtures.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'corpus-update');

type Finding = [AttributeError['action'], number, string];
type Expectation =
  | { ctx?: CodecContext; reset: { code: WireErrorCode; subcode: number; data?: string } }
  | { ctx?: CodecContext; treatAsWithdraw: boolean; errors: Finding[] };

const TAW = 'treat-as-withdraw' as const;
const DISCARD = 'attribute-discard' as const;

const EXPECTATIONS: Record<string, Expectation> = {
  // RFC 4271 §6.3 / RFC 7606 §4: lengths inconsistent with the message → Malformed Attribute List
  'update-too-short': { reset: { code: 'update-malformed', subcode: 1 } },
  'withdrawn-length-overrun': { reset: { code: 'update-malformed', subcode: 1 } },
  'attribute-length-overrun': { reset: { code: 'update-malformed', subcode: 1 } },
  // RFC 7606 §5.3: syntactically incorrect NLRI / withdrawn → Invalid Network Field
  'withdrawn-prefix-too-long': { reset: { code: 'update-malformed', subcode: 10 } },
  'nlri-prefix-too-long': { reset: { code: 'update-malformed', subcode: 10 } },
  'nlri-prefix-overrun': { reset: { code: 'update-malformed', subcode: 10 } },
  // RFC 7606 §7.1
  'origin-bad-length': { treatAsWithdraw: true, errors: [[TAW, 1, 'origin-bad-length']] },
  'origin-bad-value': { treatAsWithdraw: true, errors: [[TAW, 1, 'origin-bad-value']] },
  // RFC 7606 §3.c: conflicting flags → the attribute's malformed action
  'origin-bad-flags': { treatAsWithdraw: true, errors: [[TAW, 1, 'origin-bad-flags']] },
  'as-path-bad-flags': { treatAsWithdraw: true, errors: [[TAW, 2, 'as-path-bad-flags']] },
  // RFC 7606 §7.2
  'as-path-bad-segment-type': { treatAsWithdraw: true, errors: [[TAW, 2, 'as-path-bad-segment-type']] },
  'as-path-segment-overrun': { treatAsWithdraw: true, errors: [[TAW, 2, 'as-path-segment-overrun']] },
  'as-path-segment-underrun': { treatAsWithdraw: true, errors: [[TAW, 2, 'as-path-segment-underrun']] },
  'as-path-zero-length-segment': { treatAsWithdraw: true, errors: [[TAW, 2, 'as-path-zero-length-segment']] },
  // RFC 7606 §7.3, RFC 4271 §6.3 (semantically incorrect next hop: route ignored)
  'next-hop-bad-length': { treatAsWithdraw: true, errors: [[TAW, 3, 'next-hop-bad-length']] },
  'next-hop-zero-address': { treatAsWithdraw: true, errors: [[TAW, 3, 'next-hop-invalid']] },
  'next-hop-multicast-address': { treatAsWithdraw: true, errors: [[TAW, 3, 'next-hop-invalid']] },
  // RFC 4760 §3: NEXT_HOP is ignored when only MP_REACH_NLRI carries NLRI
  'next-hop-bad-length-mp-only': { treatAsWithdraw: false, errors: [[DISCARD, 3, 'next-hop-bad-length']] },
  // RFC 7606 §7.4 - §7.10, §7.14, RFC 8092 §6
  'med-bad-length': { treatAsWithdraw: true, errors: [[TAW, 4, 'med-bad-length']] },
  'local-pref-bad-length': { treatAsWithdraw: true, errors: [[TAW, 5, 'local-pref-bad-length']] },
  'atomic-aggregate-bad-length': { treatAsWithdraw: false, errors: [[DISCARD, 6, 'atomic-aggregate-bad-length']] },
  'aggregator-bad-length-as4': { treatAsWithdraw: false, errors: [[DISCARD, 7, 'aggregator-bad-length']] },
  'communities-bad-length': { treatAsWithdraw: true, errors: [[TAW, 8, 'communities-bad-length']] },
  'communities-empty': { treatAsWithdraw: true, errors: [[TAW, 8, 'communities-bad-length']] },
  'originator-id-bad-length': { treatAsWithdraw: true, errors: [[TAW, 9, 'originator-id-bad-length']] },
  'cluster-list-bad-length': { treatAsWithdraw: true, errors: [[TAW, 10, 'cluster-list-bad-length']] },
  'ext-communities-bad-length': { treatAsWithdraw: true, errors: [[TAW, 16, 'ext-communities-bad-length']] },
  'large-communities-bad-length': { treatAsWithdraw: true, errors: [[TAW, 32, 'large-communities-bad-length']] },
  // RFC 6793 §6: AS4_PATH / AS4_AGGREGATOR malformed → attribute-discard
  'as4-path-segment-overrun-as2': { ctx: AS2, treatAsWithdraw: false, errors: [[DISCARD, 17, 'as4-path-segment-overrun']] },
  'as4-path-confed-segment-as2': { ctx: AS2, treatAsWithdraw: false, errors: [[DISCARD, 17, 'as4-path-confed-segment']] },
  'as4-aggregator-bad-length-as2': { ctx: AS2, treatAsWithdraw: false, errors: [[DISCARD, 18, 'as4-aggregator-bad-length']] },
  // RFC 6793 §4.1: between 4-octet speakers AS4_* are discarded
  'as4-path-from-as4-peer': { treatAsWithdraw: false, errors: [[DISCARD, 17, 'as4-path-from-as4-peer']] },
  // RFC 7606 §3.g
  'duplicate-med': { treatAsWithdraw: false, errors: [[DISCARD, 4, 'duplicate-attribute']] },
  'duplicate-mp-reach': { reset: { code: 'attribute-malformed', subcode: 1 } },
  // RFC 4271 §6.3: data is the unrecognized attribute
  'unrecognized-well-known': { reset: { code: 'attribute-malformed', subcode: 2, data: '40630100' } },
  // RFC 7606 §4: attribute overrunning the section / truncated header → treat-as-withdraw
  'attribute-length-overrun-in-section': { treatAsWithdraw: true, errors: [[TAW, 4, 'attribute-length-overrun']] },
  'attribute-header-truncated': { treatAsWithdraw: true, errors: [[TAW, 4, 'attribute-header-truncated']] },
  // RFC 7606 §3.d
  'missing-origin': { treatAsWithdraw: true, errors: [[TAW, 1, 'missing-origin']] },
  'missing-next-hop': { treatAsWithdraw: true, errors: [[TAW, 3, 'missing-next-hop']] },
  'missing-origin-mp-reach': { treatAsWithdraw: true, errors: [[TAW, 1, 'missing-origin']] },
  'nlri-without-attributes': {
    treatAsWithdraw: true,
    errors: [
      [TAW, 1, 'missing-origin'],
      [TAW, 2, 'missing-as-path'],
      [TAW, 3, 'missing-next-hop'],
    ],
  },
  'withdrawals-only': { treatAsWithdraw: false, errors: [] },
  'mp-unreach-only': { treatAsWithdraw: false, errors: [] },
  // RFC 7606 §7.11 / §7.12 (session reset chosen over AFI/SAFI disable), RFC 4760 §7 subcode
  'mp-reach-bad-flags': { reset: { code: 'attribute-malformed', subcode: 4 } },
  'mp-reach-bad-next-hop-length': { reset: { code: 'attribute-malformed', subcode: 9 } },
  'mp-reach-nlri-overrun': { reset: { code: 'attribute-malformed', subcode: 9 } },
  'mp-reach-too-short': { reset: { code: 'attribute-malformed', subcode: 9 } },
  'mp-reach-length-overrun': { reset: { code: 'update-malformed', subcode: 1 } },
  'mp-unreach-prefix-too-long': { reset: { code: 'attribute-malformed', subcode: 9 } },
  'mp-reach-unsupported-family': { treatAsWithdraw: false, errors: [] },
  // RFC 4271 §5: unknown optional non-transitive dropped, transitive kept
  'unknown-optional-non-transitive': { treatAsWithdraw: false, errors: [] },
  'unknown-optional-transitive': { treatAsWithdraw: false, errors: [] },
};

const files = readdirSync(dir)
  .filter((f) => f.endsWith('.hex'))
  .map((f) => f.slice(0, -4))
  .sort();

describe('malformed UPDATE corpus (RFC 7606)', () => {
  it('has exactly one expectation per corpus file', () => {
    expect(files).toEqual(Object.keys(EXPECTATIONS).sort());
  });

  for (const name of files) {
    const exp = EXPECTATIONS[name];
    if (!exp) continue;
    const body = hex(readFileSync(join(dir, `${name}.hex`), 'utf8'));
    const ctx = exp.ctx ?? AS4;
    if ('reset' in exp) {
      it(`${name}: session reset ${exp.reset.code}/${exp.reset.subcode}`, () => {
        let caught: unknown;
        try {
          decodeUpdate(body, ctx);
        } catch (e) {
          caught = e;
        }
        expect(caught).toBeInstanceOf(WireError);
        const err = caught as WireError;
        expect(err.code).toBe(exp.reset.code);
        expect(err.notifCode).toBe(3);
        expect(err.notifSubcode).toBe(exp.reset.subcode);
        if (exp.reset.data !== undefined) expect(err.data.toString('hex')).toBe(exp.reset.data);
      });
    } else {
      it(`${name}: ${exp.errors.map((e) => `${e[0]} ${e[2]}`).join(', ') || 'no findings'}`, () => {
        const msg = decodeUpdate(body, ctx);
        expect(msg.treatAsWithdraw).toBe(exp.treatAsWithdraw);
        expect(msg.attributeErrors.map((e) => [e.action, e.code, e.reason])).toEqual(exp.errors);
      });
    }
  }
});

describe('RFC 7606 outcomes beyond the classification', () => {
  const load = (name: string): Buffer => hex(readFileSync(join(dir, `${name}.hex`), 'utf8'));

  it('keeps the first of duplicated attributes', () => {
    expect(decodeUpdate(load('duplicate-med'), AS4).attrs?.med).toBe(100);
  });

  it('still locates the NLRI after an attribute overruns the section', () => {
    const msg = decodeUpdate(load('attribute-length-overrun-in-section'), AS4);
    expect(msg.nlri.prefixes).toHaveLength(1);
    expect(msg.attrs?.origin).toBe(0);
  });

  it('passes unknown optional transitive attributes on with Partial set and drops non-transitive ones', () => {
    expect(decodeUpdate(load('unknown-optional-transitive'), AS4).attrs?.unknown).toEqual([{ flags: 0xe0, code: 0x64, value: Buffer.from([0xff]) }]);
    expect(decodeUpdate(load('unknown-optional-non-transitive'), AS4).attrs?.unknown).toBeUndefined();
  });

  it('reports MP_REACH of unsupported families in mpOther and ignores them otherwise', () => {
    const msg = decodeUpdate(load('mp-reach-unsupported-family'), AS4);
    expect(msg.mpOther).toEqual([{ afi: 1, safi: 128 }]);
    expect(msg.mpReach).toBeUndefined();
  });

  it('keeps AGGREGATOR as AS_TRANS when AS4_AGGREGATOR is discarded', () => {
    const msg = decodeUpdate(load('as4-aggregator-bad-length-as2'), AS2);
    expect(msg.attrs?.aggregator).toEqual({ asn: 23456, address: 0xc0000201 });
  });

  it('drops the malformed NEXT_HOP but keeps the IPv6 routes when only MP_REACH carries NLRI', () => {
    const msg = decodeUpdate(load('next-hop-bad-length-mp-only'), AS4);
    expect(msg.attrs?.nextHop).toBeUndefined();
    expect(msg.mpReach?.nlri.prefixes).toEqual(['2001:db8:1::/48']);
  });
});
