import { describe, expect, it } from 'vitest';
import { InvalidKeyError, keys, parseKey, prefixes } from '../../src/datastore/keys.js';

describe('key schema', () => {
  it('builds every key under /wren/v1/ with CIDR slashes replaced by dashes', () => {
    expect(keys.config()).toBe('/wren/v1/config');
    expect(keys.node('n1')).toBe('/wren/v1/nodes/n1');
    expect(keys.liveness('n1')).toBe('/wren/v1/liveness/n1');
    expect(keys.peer('tor')).toBe('/wren/v1/peers/tor');
    expect(keys.pool('10.244.0.0/16')).toBe('/wren/v1/ipam/pools/10.244.0.0-16');
    expect(keys.block('10.244.1.0/26')).toBe('/wren/v1/ipam/blocks/10.244.1.0-26');
    expect(keys.block('fd00::/122')).toBe('/wren/v1/ipam/blocks/fd00::-122');
    expect(keys.affinity('n1', '10.244.1.0/26')).toBe('/wren/v1/ipam/affinity/n1/10.244.1.0-26');
    expect(keys.handle('ns/pod-a')).toBe('/wren/v1/ipam/handles/ns%2Fpod-a');
    expect(keys.affinity('n1', '10.0.0.0/26').startsWith(prefixes.nodeAffinities('n1'))).toBe(true);
  });

  it('parses what it builds and rejects foreign keys', () => {
    expect(parseKey(keys.config())).toEqual({ kind: 'config' });
    expect(parseKey(keys.node('n1'))).toEqual({ kind: 'node', node: 'n1' });
    expect(parseKey(keys.liveness('n2'))).toEqual({ kind: 'liveness', node: 'n2' });
    expect(parseKey(keys.peer('tor'))).toEqual({ kind: 'peer', name: 'tor' });
    expect(parseKey(keys.pool('fd00::/48'))).toEqual({ kind: 'pool', cidr: 'fd00::/48' });
    expect(parseKey(keys.block('10.244.1.0/26'))).toEqual({ kind: 'block', cidr: '10.244.1.0/26' });
    expect(parseKey(keys.affinity('n1', 'fd00::40/122'))).toEqual({ kind: 'affinity', node: 'n1', cidr: 'fd00::40/122' });
    expect(parseKey(keys.handle('ns/pod a'))).toEqual({ kind: 'handle', handle: 'ns/pod a' });
    expect(parseKey('/other/v1/nodes/n1')).toBeUndefined();
    expect(parseKey('/wren/v1/ipam/blocks/not-a-cidr')).toBeUndefined();
    expect(parseKey('/wren/v1/nodes/a/b')).toBeUndefined();
  });

  it('rejects names that would break the key structure', () => {
    expect(() => keys.node('a/b')).toThrow(InvalidKeyError);
    expect(() => keys.node('')).toThrow(InvalidKeyError);
    expect(() => keys.handle('')).toThrow(InvalidKeyError);
  });
});
