import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { diffConfig } from '../../src/config/diff.js';

const base = `
asn: 65000
routerId: 10.0.0.1
originate: [10.10.0.0/24, "2001:db8:10::/48"]
peers:
  - name: node-b
    address: 10.0.0.2
    asn: 65000
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

describe('config loading', () => {
  it('applies documented defaults', () => {
    const cfg = parseConfig(base, 'wren.yaml');
    expect(cfg.listen).toEqual({ port: 179 });
    expect(cfg.peers[0]).toMatchObject({ port: 179, passive: false, rrClient: false, holdTime: 90, gracefulRestart: true });
    expect(cfg.peers[0]!.families).toBeUndefined();
  });

  it('accepts JSON, being YAML', () => {
    const cfg = parseConfig('{"asn": 4200000001, "routerId": "1.2.3.4", "peers": []}', 'wren.json');
    expect(cfg.asn).toBe(4200000001);
  });

  it('names the field path and the problem', () => {
    expect(problems(base.replace('asn: 65000\nrouterId', 'asn: 0\nrouterId'))).toEqual([expect.stringMatching(/^asn: /)]);
    expect(problems(base.replace('address: 10.0.0.2', 'address: 10.0.0.300'))).toEqual(['peers[0].address: must be an IPv4 or IPv6 address']);
    expect(problems(base.replace('10.10.0.0/24', '10.10.0.1/24'))).toEqual(['originate[0]: host bits set']);
    expect(problems(`${base}    holdTime: 2\n`)).toEqual(['peers[0].holdTime: must be 0 or at least 3 (RFC 4271 §4.2)']);
    expect(problems(`${base}    hodlTime: 90\n`)).toEqual(['peers[0]: unknown field(s) "hodlTime"']);
    expect(problems(`${base}    delayOpenTime: 300\n`)).toEqual([expect.stringMatching(/^peers\[0\]\.delayOpenTime: .*240/)]);
    expect(problems(`${base}    families: [ipv4-multicast]\n`)[0]).toMatch(/^peers\[0\]\.families\[0\]: /);
  });

  it('takes the kernel writer thread and the next-hop resolution, refusing unknown values by name', () => {
    const cfg = parseConfig(`${base}kernel: { enabled: true, writer: worker }\n`, 'wren.yaml');
    expect(cfg.kernel.writer).toBe('worker');
    expect(parseConfig(base, 'wren.yaml').kernel.writer).toBe('auto');
    expect(problems(`${base}kernel: { enabled: true, writer: fast }\n`)).toEqual([expect.stringMatching(/^kernel\.writer: .*"auto"/)]);
    expect(problems(`${base}nextHopResolution: igp\n`)).toEqual([expect.stringMatching(/^nextHopResolution: .*"kernel"/)]);
  });

  it('refuses pod pools no pod can use, naming the reserved range', () => {
    expect(parseConfig(`${base}pods: { pool: 10.244.0.0/24, pool6: "fd00:10::/120" }\n`, 'wren.yaml').pods.pool).toBe('10.244.0.0/24');
    expect(problems(`${base}pods: { pool: 169.254.0.0/24 }\n`)).toEqual(["pods.pool: overlaps 169.254.0.0/16, link-local (pods' default gateway is 169.254.1.1)"]);
    expect(problems(`${base}pods: { pool6: "fe80::/64" }\n`)).toEqual(['pods.pool6: overlaps fe80::/10, link-local']);
    expect(problems(`${base}pods: { pool: 10.244.0.1/24 }\n`)).toEqual(['pods.pool: host bits set']);
  });

  it('rejects duplicate peers and mixed-family local addresses', () => {
    const dup = `${base}  - address: 10.0.0.2\n    asn: 65001\n`;
    expect(problems(dup)).toEqual(['peers[1].address: duplicate peer address (also peers[0])']);
    expect(problems(`${base}    localAddress: "fd00::1"\n`)).toEqual(['peers[0].localAddress: must be the same address family as address']);
  });

  it('reports YAML syntax errors with the file name', () => {
    expect(() => parseConfig('asn: [1,', 'bad.yaml')).toThrow(/bad\.yaml: invalid configuration\n {2}- not valid YAML/);
    expect(problems('- 1\n- 2\n')).toEqual(['(top level): must be a mapping of settings']);
  });
});

describe('config diff (SIGHUP)', () => {
  const before = parseConfig(`${base}  - address: 10.0.0.3\n    asn: 65003\n  - address: 10.0.0.4\n    asn: 65004\n`, 'a');

  it('classifies peers as added, removed, changed and unchanged', () => {
    const after = parseConfig(`${base.replace('node-b', 'node-bee')}  - address: 10.0.0.3\n    asn: 65003\n    holdTime: 30\n  - address: 10.0.0.5\n    asn: 65005\n`, 'b');
    const d = diffConfig(before, after);
    expect(d.added.map((p) => p.address)).toEqual(['10.0.0.5']);
    expect(d.removed.map((p) => p.address)).toEqual(['10.0.0.4']);
    expect(d.changed.map((c) => c.after.address)).toEqual(['10.0.0.3']);
    // a rename is cosmetic: the session is not reset
    expect(d.unchanged.map((p) => [p.address, p.name])).toEqual([['10.0.0.2', 'node-bee']]);
    expect(d.originateChanged).toBe(false);
  });

  it('resets every session when the router ID changes', () => {
    const after = parseConfig(`${base.replace('routerId: 10.0.0.1', 'routerId: 10.0.0.9')}  - address: 10.0.0.3\n    asn: 65003\n  - address: 10.0.0.4\n    asn: 65004\n`, 'b');
    const d = diffConfig(before, after);
    expect(d.changed).toHaveLength(3);
    expect(d.unchanged).toHaveLength(0);
  });
});
