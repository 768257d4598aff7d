import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src/policy/compile.js';
import { policySchema, type PolicyDef } from '../../src/policy/schema.js';
import { parsePrefix4 } from '../../src/lib/prefix.js';
import type { PathAttributes } from '../../src/wire/types.js';

const p4 = parsePrefix4;
const C = (asn: number, v: number): number => asn * 65536 + v;

/** Policies are written as they appear in YAML and go through the schema (defaults applied). */
function policy(raw: unknown): ReturnType<typeof compilePolicy> {
  const def: PolicyDef = policySchema.parse(raw);
  return compilePolicy(def);
}

function attrs(over: Partial<PathAttributes> = {}): PathAttributes {
  return { origin: 0, asPath: [{ type: 2, asns: [65100] }], nextHop: 1, ...over };
}

describe('prefix matching', () => {
  const pol = policy({
    terms: [
      { match: { prefixes: [{ prefix: '10.244.0.0/16', ge: 24, le: 26 }, { prefix: '192.168.0.0/24' }] }, then: { action: 'accept' } },
      { match: { prefixes: [{ prefix: '2001:db8:100::/48', ge: 64 }] }, then: { action: 'accept' } },
    ],
    default: 'reject',
  });
  const a = attrs();
  const table: [string, boolean][] = [
    ['10.244.1.0/24', true],
    ['10.244.1.64/26', true],
    ['10.244.0.0/16', false], // shorter than ge
    ['10.244.1.0/27', false], // longer than le
    ['10.245.0.0/24', false], // outside
    ['192.168.0.0/24', true], // exact entry
    ['192.168.0.0/25', false],
    ['192.168.0.0/23', false],
  ];
  it.each(table)('IPv4 %s → %s', (text, accept) => {
    expect(pol.evaluate('ipv4-unicast', p4(text), a).accept).toBe(accept);
  });

  const table6: [string, boolean][] = [
    ['2001:db8:100:1::/64', true],
    ['2001:db8:100:1::1/128', true],
    ['2001:db8:100::/48', false],
    ['2001:db8:101::/64', false],
  ];
  it.each(table6)('IPv6 %s → %s', (text, accept) => {
    expect(pol.evaluate('ipv6-unicast', text, a).accept).toBe(accept);
  });

  it('treats ge alone as "up to the maximum" and le alone as "from the entry length"', () => {
    const ge = policy({ terms: [{ match: { prefixes: [{ prefix: '10.0.0.0/8', ge: 30 }] }, then: { action: 'accept' } }], default: 'reject' });
    expect(ge.evaluate('ipv4-unicast', p4('10.1.2.4/30'), a).accept).toBe(true);
    expect(ge.evaluate('ipv4-unicast', p4('10.1.2.4/32'), a).accept).toBe(true);
    expect(ge.evaluate('ipv4-unicast', p4('10.1.2.0/29'), a).accept).toBe(false);
    const le = policy({ terms: [{ match: { prefixes: [{ prefix: '10.0.0.0/8', le: 9 }] }, then: { action: 'accept' } }], default: 'reject' });
    expect(le.evaluate('ipv4-unicast', p4('10.0.0.0/8'), a).accept).toBe(true);
    expect(le.evaluate('ipv4-unicast', p4('10.128.0.0/9'), a).accept).toBe(true);
    expect(le.evaluate('ipv4-unicast', p4('10.0.0.0/10'), a).accept).toBe(false);
  });

  it('matches 0.0.0.0/0 le 32 for everything IPv4 and nothing IPv6', () => {
    const any = policy({ terms: [{ match: { prefixes: [{ prefix: '0.0.0.0/0', le: 32 }] }, then: { action: 'accept' } }], default: 'reject' });
    expect(any.evaluate('ipv4-unicast', p4('255.255.255.255/32'), a).accept).toBe(true);
    expect(any.evaluate('ipv4-unicast', p4('0.0.0.0/0'), a).accept).toBe(true);
    expect(any.evaluate('ipv6-unicast', '::/0', a).accept).toBe(false);
  });
});

describe('community and family matching', () => {
  const pol = policy({
    terms: [
      { match: { community: ['65000:100', 'no-export'] }, then: { action: 'accept' } },
      { match: { largeCommunity: ['65000:1:2'] }, then: { action: 'accept' } },
      { match: { family: 'ipv6' }, then: { action: 'accept' } },
    ],
    default: 'reject',
  });

  it('accepts when any listed community is present', () => {
    expect(pol.evaluate('ipv4-unicast', p4('10.0.0.0/24'), attrs({ communities: [C(1, 1), C(65000, 100)] })).accept).toBe(true);
    expect(pol.evaluate('ipv4-unicast', p4('10.0.0.0/24'), attrs({ communities: [0xffffff01] })).accept).toBe(true);
    expect(pol.evaluate('ipv4-unicast', p4('10.0.0.0/24'), attrs({ communities: [C(65000, 101)] })).accept).toBe(false);
    expect(pol.evaluate('ipv4-unicast', p4('10.0.0.0/24'), attrs()).accept).toBe(false);
  });

  it('matches large communities by all three parts', () => {
    expect(pol.evaluate('ipv4-unicast', p4('10.0.0.0/24'), attrs({ largeCommunities: [{ global: 65000, local1: 1, local2: 2 }] })).accept).toBe(true);
    expect(pol.evaluate('ipv4-unicast', p4('10.0.0.0/24'), attrs({ largeCommunities: [{ global: 65000, local1: 2, local2: 1 }] })).accept).toBe(false);
  });

  it('matches a family', () => {
    expect(pol.evaluate('ipv6-unicast', '2001:db8::/64', attrs()).accept).toBe(true);
    const longName = policy({ terms: [{ match: { family: 'ipv4-unicast' }, then: { action: 'reject' } }] });
    expect(longName.evaluate('ipv4-unicast', p4('10.0.0.0/24'), attrs()).accept).toBe(false);
    expect(longName.evaluate('ipv6-unicast', '2001:db8::/64', attrs()).accept).toBe(true);
  });

  it('requires every condition of a term to hold', () => {
    const both = policy({
      terms: [{ match: { prefixes: [{ prefix: '10.0.0.0/8', le: 32 }], community: ['65000:1'] }, then: { action: 'accept' } }],
      default: 'reject',
    });
    expect(both.evaluate('ipv4-unicast', p4('10.1.0.0/16'), attrs({ communities: [C(65000, 1)] })).accept).toBe(true);
    expect(both.evaluate('ipv4-unicast', p4('10.1.0.0/16'), attrs()).accept).toBe(false);
    expect(both.evaluate('ipv4-unicast', p4('11.1.0.0/16'), attrs({ communities: [C(65000, 1)] })).accept).toBe(false);
  });
});

describe('actions', () => {
  it('applies set actions and accepts', () => {
    const pol = policy({
      terms: [{ match: {}, then: { setLocalPref: 200, setMed: 7, addCommunities: ['65000:9', 'no-export'], addLargeCommunities: ['1:2:3'], action: 'accept' } }],
    });
    const input = attrs({ communities: [C(65000, 1)] });
    const v = pol.evaluate('ipv4-unicast', p4('10.0.0.0/24'), input);
    expect(v.accept).toBe(true);
    expect(v.attrs).toEqual({ ...input, localPref: 200, med: 7, communities: [C(65000, 1), C(65000, 9), 0xffffff01], largeCommunities: [{ global: 1, local1: 2, local2: 3 }] });
    expect(input.localPref).toBeUndefined();
  });

  it('removes communities, dropping the attribute when none are left', () => {
    const pol = policy({ terms: [{ then: { removeCommunities: ['65000:1', '65000:2'], removeLargeCommunities: ['1:2:3'] } }] });
    const v = pol.evaluate('ipv4-unicast', p4('10.0.0.0/24'), attrs({ communities: [C(65000, 1), C(65000, 2)], largeCommunities: [{ global: 1, local1: 2, local2: 3 }, { global: 4, local1: 5, local2: 6 }] }));
    expect(v.attrs.communities).toBeUndefined();
    expect('communities' in v.attrs).toBe(false);
    expect(v.attrs.largeCommunities).toEqual([{ global: 4, local1: 5, local2: 6 }]);
  });

  it('does not add a community twice', () => {
    const pol = policy({ terms: [{ then: { addCommunities: ['65000:1', '65000:1'] } }] });
    expect(pol.evaluate('ipv4-unicast', p4('10.0.0.0/24'), attrs({ communities: [C(65000, 1)] })).attrs.communities).toEqual([C(65000, 1)]);
    expect(pol.evaluate('ipv4-unicast', p4('10.0.0.0/24'), attrs()).attrs.communities).toEqual([C(65000, 1)]);
  });

  it('continues to the next term without an action, and later terms see earlier edits', () => {
    const pol = policy({
      terms: [
        { match: { prefixes: [{ prefix: '10.0.0.0/8', le: 32 }] }, then: { addCommunities: ['65000:50'] } },
        { match: { community: ['65000:50'] }, then: { setLocalPref: 300, action: 'accept' } },
      ],
      default: 'reject',
    });
    const v = pol.evaluate('ipv4-unicast', p4('10.1.0.0/16'), attrs());
    expect(v).toEqual({ accept: true, attrs: { ...attrs(), communities: [C(65000, 50)], localPref: 300 } });
    expect(pol.evaluate('ipv4-unicast', p4('11.0.0.0/8'), attrs()).accept).toBe(false);
  });

  it('rejects on the first rejecting term and returns the input attributes', () => {
    const pol = policy({ terms: [{ match: { community: ['no-advertise'] }, then: { action: 'reject' } }, { then: { setMed: 1, action: 'accept' } }] });
    const input = attrs({ communities: [0xffffff02] });
    expect(pol.evaluate('ipv4-unicast', p4('10.0.0.0/24'), input)).toEqual({ accept: false, attrs: input });
    expect(pol.evaluate('ipv4-unicast', p4('10.0.0.0/24'), attrs()).attrs.med).toBe(1);
  });

  it('applies the default: accept unless set, keeping edits of non-terminal terms', () => {
    const acc = policy({ terms: [{ then: { setMed: 3 } }] });
    expect(acc.evaluate('ipv4-unicast', p4('10.0.0.0/24'), attrs())).toEqual({ accept: true, attrs: attrs({ med: 3 }) });
    const rej = policy({ terms: [], default: 'reject' });
    expect(rej.evaluate('ipv4-unicast', p4('10.0.0.0/24'), attrs()).accept).toBe(false);
  });

  it('yields the identical derived object for the same interned input', () => {
    const pol = policy({ terms: [{ then: { setLocalPref: 200 } }, { match: { family: 'ipv4' }, then: { addCommunities: ['65000:7'], action: 'accept' } }] });
    const shared = attrs();
    const first = pol.evaluate('ipv4-unicast', p4('10.0.0.0/24'), shared).attrs;
    for (let i = 1; i < 100; i++) expect(pol.evaluate('ipv4-unicast', p4(`10.0.${i}.0/24`), shared).attrs).toBe(first);
    expect(pol.evaluate('ipv4-unicast', p4('10.0.0.0/24'), attrs()).attrs).not.toBe(first);
  });

  it('returns the input object when a set action changes nothing', () => {
    const pol = policy({ terms: [{ then: { setLocalPref: 100, removeCommunities: ['65000:1'] } }] });
    const input = attrs({ localPref: 100 });
    expect(pol.evaluate('ipv4-unicast', p4('10.0.0.0/24'), input).attrs).toBe(input);
  });
});
