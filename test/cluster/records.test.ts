import { describe, expect, it } from 'vitest';
import { keys } from '../../src/datastore/keys.js';
import type { KeyValue } from '../../src/datastore/port.js';
import {
  ClusterRecordError,
  InvalidSelectorError,
  parseClusterConfig,
  parseNode,
  parsePeer,
  parseSelector,
  selectorMatches,
  serializeClusterConfig,
  serializeNode,
  serializePeer,
  validatePeer,
} from '../../src/cluster/index.js';

const kv = (key: string, value: string): KeyValue => ({ key, value, createRevision: 2, modRevision: 2, version: 1, lease: undefined });

function issues(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ClusterRecordError) return e.message;
    throw e;
  }
  throw new Error('expected a ClusterRecordError');
}

describe('cluster records', () => {
  it('cluster config: defaults mesh on and Calico block sizes; round-trips', () => {
    const text = serializeClusterConfig({ asn: 64512 });
    expect(parseClusterConfig(kv(keys.config(), text))).toEqual({ asn: 64512, nodeToNodeMesh: true, blockSize: { ipv4: 26, ipv6: 122 } });
  });

  it('cluster config: errors name the field', () => {
    expect(issues(() => serializeClusterConfig({ asn: 0 }))).toMatch(/^invalid cluster config: asn: /);
    expect(issues(() => serializeClusterConfig({ asn: 1, blockSize: { ipv4: 8 } }))).toMatch(/blockSize\.ipv4: must be 20\.\.32/);
    expect(issues(() => serializeClusterConfig({ asn: 1, holdTime: 9, keepaliveTime: 9 }))).toMatch(/keepaliveTime: must be below holdTime \(9\)/);
    expect(issues(() => parseClusterConfig(kv(keys.config(), '{"asn":1,"mesh":false}')))).toMatch(/mesh: unknown field/);
    expect(issues(() => parseClusterConfig(kv(keys.config(), 'nope')))).toMatch(/not JSON/);
  });

  it('node: round-trips and must match its key', () => {
    const text = serializeNode({ name: 'n1', ipv4: '10.0.0.1', ipv6: 'fd00::1', routeReflectorClusterId: '1.0.0.1', labels: { 'example.com/rack': 'a1' } });
    expect(parseNode(kv(keys.node('n1'), text))).toMatchObject({ name: 'n1', routeReflectorClusterId: '1.0.0.1', labels: { 'example.com/rack': 'a1' } });
    expect(issues(() => parseNode(kv(keys.node('n2'), text)))).toMatch(/name: "n1" does not match the key's node "n2"/);
  });

  it('node: errors name the field', () => {
    expect(issues(() => serializeNode({ name: 'n1', ipv4: '10.0.0.300' }))).toBe('invalid node "n1": ipv4: must be an IPv4 address');
    expect(issues(() => serializeNode({ name: 'n1', ipv4: '10.0.0.1', routeReflectorClusterId: '7' }))).toMatch(/routeReflectorClusterId: must be an IPv4 address/);
    expect(issues(() => serializeNode({ name: 'n/1', ipv4: '10.0.0.1' }))).toMatch(/name: letters, digits/);
    expect(issues(() => serializeNode({ name: 'n1', ipv4: '10.0.0.1', labels: { rack: 'a b' } }))).toMatch(/labels\.rack: label values/);
  });

  it('peer: global, node and selector forms; selectors stored canonically', () => {
    expect(validatePeer({ name: 'tor', peerIp: '192.168.1.1', asn: 65000 })).toEqual({ name: 'tor', peerIp: '192.168.1.1', asn: 65000 });
    const p = parsePeer(kv(keys.peer('rr'), serializePeer({ name: 'rr', nodeSelector: ' all( ) ', peerSelector: 'has( route-reflector )&&zone=="a"' })));
    expect(p).toEqual({ name: 'rr', nodeSelector: 'all()', peerSelector: "has(route-reflector) && zone == 'a'" });
  });

  it('peer: errors name the field', () => {
    expect(issues(() => validatePeer({ name: 'x', asn: 1 }))).toMatch(/peerIp: one of peerIp or peerSelector is required/);
    expect(issues(() => validatePeer({ name: 'x', peerIp: '1.2.3.4' }))).toMatch(/asn: required with peerIp/);
    expect(issues(() => validatePeer({ name: 'x', peerIp: '1.2.3.4', asn: 1, peerSelector: 'all()' }))).toMatch(/peerSelector: peerIp and peerSelector exclude each other/);
    expect(issues(() => validatePeer({ name: 'x', peerSelector: 'all()', asn: 1 }))).toMatch(/asn: not allowed with peerSelector/);
    expect(issues(() => validatePeer({ name: 'x', peerIp: '1.2.3.4', asn: 1, node: 'n1', nodeSelector: 'all()' }))).toMatch(/nodeSelector: node and nodeSelector exclude/);
    expect(issues(() => validatePeer({ name: 'x', peerIp: '1.2.3.4', asn: 1, nodeSelector: 'rack = a' }))).toMatch(/nodeSelector: invalid selector "rack = a" at character 6: expected == or !=/);
    expect(issues(() => validatePeer({ name: 'x', peerIp: '1.2.3.4', asn: 1, password: 'secret' }))).toMatch(/password: BGP session passwords \(TCP MD5\) are not supported/);
    expect(issues(() => validatePeer({ name: 'x', peerIp: '1.2.3.4', asn: 1, nodeSelecter: 'all()' }))).toMatch(/nodeSelecter: unknown field/);
  });
});

describe('label selectors', () => {
  const labels = { 'route-reflector': 'true', rack: 'a' };
  const cases: Array<[string, boolean]> = [
    ['all()', true],
    ['has(route-reflector)', true],
    ['has(zone)', false],
    ['!has(zone)', true],
    ["rack == 'a'", true],
    ['rack == "b"', false],
    ["rack != 'b'", true],
    ["zone != 'x'", true],
    ["has(rack) && rack == 'a' && !has(zone)", true],
    ["has(rack) && rack == 'b'", false],
  ];
  for (const [text, expected] of cases) {
    it(`${text} ${expected ? 'matches' : 'does not match'}`, () => {
      expect(selectorMatches(parseSelector(text), labels)).toBe(expected);
    });
  }

  it.each([
    ['', /empty selector/],
    ["rack == 'a' || rack == 'b'", /"\|\|" is not supported/],
    ['has(rack', /expected "\)"/],
    ["rack == 'a", /unterminated quoted value/],
    ['rack == a', /expected a quoted value/],
    ["(rack == 'a')", /expected a label key/],
  ])('rejects %j with the position', (text, why) => {
    expect(() => parseSelector(text)).toThrow(InvalidSelectorError);
    expect(() => parseSelector(text)).toThrow(why);
  });
});
