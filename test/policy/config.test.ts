import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { parsePrefix4 } from '../../src/lib/prefix.js';

const head = `
asn: 65000
routerId: 10.0.0.1
`;

const good = `${head}
policies:
  pods-in:
    terms:
      - match:
          prefixes:
            - { prefix: 10.244.0.0/16, ge: 26, le: 32 }
            - { prefix: "2001:db8:244::/48", ge: 122 }
          community: ["65000:100", no-export]
        then: { setLocalPref: 200, addCommunities: ["65000:1"], action: accept }
    default: reject
  tag-out:
    terms:
      - then: { addLargeCommunities: ["65000:1:2"] }
peers:
  - address: 10.0.0.2
    asn: 65000
    importPolicy: pods-in
    exportPolicy: tag-out
    maxPrefixes: { ipv4: 5000, ipv6: 1000, action: stop, restartAfter: 60 }
`;

function problems(text: string): string[] {
  try {
    parseConfig(text, 'wren.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected the config to be rejected');
}

/** A config with one policy whose single term is `term` (YAML flow text). */
function withTerm(term: string): string {
  return `${head}
policies:
  p:
    terms:
      - ${term}
`;
}

describe('policy configuration', () => {
  it('loads policies and per-peer settings with defaults', () => {
    const cfg = parseConfig(good, 'wren.yaml');
    expect(Object.keys(cfg.policies)).toEqual(['pods-in', 'tag-out']);
    expect(cfg.policies['tag-out']!.default).toBe('accept');
    expect(cfg.policies['tag-out']!.terms[0]!.match).toEqual({});
    expect(cfg.peers[0]).toMatchObject({ importPolicy: 'pods-in', exportPolicy: 'tag-out', maxPrefixes: { ipv4: 5000, ipv6: 1000, action: 'stop', restartAfter: 60 } });
    const pol = compilePolicy(cfg.policies['pods-in']!);
    const attrs = { asPath: [], communities: [0xffffff01] };
    expect(pol.evaluate('ipv4-unicast', parsePrefix4('10.244.3.64/26'), attrs)).toMatchObject({ accept: true, attrs: { localPref: 200 } });
    expect(pol.evaluate('ipv6-unicast', '2001:db8:244::40/122', attrs).accept).toBe(true);
    expect(pol.evaluate('ipv4-unicast', parsePrefix4('10.244.3.0/24'), attrs).accept).toBe(false);
  });

  it('has no policies by default', () => {
    expect(parseConfig(head, 'wren.yaml').policies).toEqual({});
  });

  it('defaults the max-prefix action to stop', () => {
    const cfg = parseConfig(`${head}peers:\n  - { address: 10.0.0.2, asn: 65000, maxPrefixes: { ipv4: 10 } }\n`, 'wren.yaml');
    expect(cfg.peers[0]!.maxPrefixes).toEqual({ ipv4: 10, action: 'stop' });
  });

  it('names the peer field that references an unknown policy', () => {
    const text = `${head}
policies: { known: { terms: [] } }
peers:
  - { address: 10.0.0.2, asn: 65000, importPolicy: known }
  - { address: 10.0.0.3, asn: 65000, importPolicy: missing, exportPolicy: other }
`;
    expect(problems(text)).toEqual(['peers[1].importPolicy: no policy named "missing" in policies', 'peers[1].exportPolicy: no policy named "other" in policies']);
  });

  it('does not take a built-in object property for a policy name', () => {
    expect(problems(`${head}peers:\n  - { address: 10.0.0.2, asn: 65000, importPolicy: toString }\n`)).toEqual(['peers[0].importPolicy: no policy named "toString" in policies']);
  });

  it('rejects ge shorter than the prefix and le shorter than ge, at the field', () => {
    expect(problems(withTerm('{ match: { prefixes: [{ prefix: 10.0.0.0/16, ge: 8 }] }, then: { action: accept } }'))).toEqual([
      'policies.p.terms[0].match.prefixes[0].ge: must be between the prefix length 16 and 32',
    ]);
    expect(problems(withTerm('{ match: { prefixes: [{ prefix: 10.0.0.0/16, ge: 24, le: 20 }] }, then: { action: accept } }'))).toEqual([
      'policies.p.terms[0].match.prefixes[0].le: must be between ge 24 and 32',
    ]);
    expect(problems(withTerm('{ match: { prefixes: [{ prefix: 10.0.0.0/16, le: 33 }] }, then: { action: accept } }'))).toEqual([
      'policies.p.terms[0].match.prefixes[0].le: must be between the prefix length 16 and 32',
    ]);
    expect(problems(withTerm('{ match: { prefixes: [{ prefix: "2001:db8::/32", ge: 129 }] }, then: { action: accept } }'))).toEqual([
      'policies.p.terms[0].match.prefixes[0].ge: must be between the prefix length 32 and 128',
    ]);
  });

  it('rejects a bad prefix at the prefix field', () => {
    expect(problems(withTerm('{ match: { prefixes: [{ prefix: 10.0.0.1/16 }] }, then: {} }'))).toEqual(['policies.p.terms[0].match.prefixes[0].prefix: host bits set']);
  });

  it('rejects malformed communities with their position', () => {
    expect(problems(withTerm('{ match: { community: ["65000:1", "65000:70000"] }, then: {} }'))).toEqual([
      'policies.p.terms[0].match.community[1]: invalid community "65000:70000": 70000 is larger than 65535',
    ]);
    expect(problems(withTerm('{ then: { addCommunities: [no-such-name] } }'))).toEqual([
      'policies.p.terms[0].then.addCommunities[0]: invalid community "no-such-name": expected ASN:VALUE or a well-known name',
    ]);
    expect(problems(withTerm('{ match: { largeCommunity: ["1:2"] }, then: {} }'))).toEqual([
      'policies.p.terms[0].match.largeCommunity[0]: invalid community "1:2": expected GLOBAL:LOCAL1:LOCAL2',
    ]);
  });

  it('rejects unknown fields and actions', () => {
    expect(problems(withTerm('{ then: { action: drop } }'))).toEqual([expect.stringMatching(/^policies\.p\.terms\[0\]\.then\.action: /)]);
    expect(problems(withTerm('{ then: { setLocalpref: 1 } }'))).toEqual(['policies.p.terms[0].then: unknown field(s) "setLocalpref"']);
  });

  it('rejects a bad policy name and bad max-prefix settings', () => {
    expect(problems(`${head}policies: { "bad name": { terms: [] } }\n`)).toEqual([expect.stringMatching(/^policies\.bad name: /)]);
    expect(problems(`${head}peers:\n  - { address: 10.0.0.2, asn: 65000, maxPrefixes: { action: warn } }\n`)).toEqual(['peers[0].maxPrefixes: set ipv4, ipv6 or both']);
    expect(problems(`${head}peers:\n  - { address: 10.0.0.2, asn: 65000, maxPrefixes: { ipv4: 5, action: warn, restartAfter: 30 } }\n`)).toEqual([
      'peers[0].maxPrefixes.restartAfter: only with action: stop',
    ]);
  });
});
