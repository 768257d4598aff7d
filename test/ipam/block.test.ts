import { describe, expect, it } from 'vitest';
import { Block, blockContaining, blockSizeFor, poolBlocks } from '../../src/ipam/block.js';
import { formatCidr, parseAddress, parseCidr } from '../../src/ipam/cidr.js';
import { IpamInvalidPoolError } from '../../src/ipam/errors.js';
import { InvalidPrefixError } from '../../src/lib/prefix.js';

function take<T>(it: Iterator<T>, n: number): T[] {
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const r = it.next();
    if (r.done === true) break;
    out.push(r.value);
  }
  return out;
}

describe('block math', () => {
  it('splits an IPv4 pool into /26 blocks by default', () => {
    const pool = parseCidr('10.244.0.0/24');
    const blocks = [...poolBlocks(pool, blockSizeFor(pool))].map(formatCidr);
    expect(blocks).toEqual(['10.244.0.0/26', '10.244.0.64/26', '10.244.0.128/26', '10.244.0.192/26']);
  });

  it('splits an IPv6 pool into /122 blocks by default, lazily even for a /48', () => {
    const pool = parseCidr('fd00:1::/48');
    expect(blockSizeFor(pool)).toBe(122);
    expect(take(poolBlocks(pool, 122), 3).map(formatCidr)).toEqual(['fd00:1::/122', 'fd00:1::40/122', 'fd00:1::80/122']);
  });

  it('honours a per-pool block size and rejects impossible ones', () => {
    const pool = parseCidr('10.0.0.0/16');
    expect([...poolBlocks(pool, blockSizeFor(pool, 20))].length).toBe(16);
    expect(() => blockSizeFor(pool, 19)).toThrow(IpamInvalidPoolError);
    expect(() => blockSizeFor(parseCidr('10.0.0.0/28'), 26)).toThrow(/larger than the pool/);
    expect(() => blockSizeFor(parseCidr('fd00::/64'), 112)).toThrow(IpamInvalidPoolError);
  });

  it('refuses pools that touch a reserved range, naming it; ranges beside them are fine', () => {
    const cases: Array<[string, string]> = [
      ['169.254.0.0/16', "overlaps 169.254.0.0/16, link-local (pods' default gateway is 169.254.1.1)"],
      ['169.254.1.0/24', 'overlaps 169.254.0.0/16, link-local'],
      ['127.0.0.0/16', 'overlaps 127.0.0.0/8, loopback'],
      ['0.0.0.0/0', 'overlaps 0.0.0.0/8, "this network" (RFC 1122)'],
      ['224.0.0.0/8', 'overlaps 224.0.0.0/4, multicast'],
      ['255.255.255.0/24', 'overlaps 255.255.255.255/32, limited broadcast'],
      ['::/0', 'overlaps ::/128, the unspecified address'],
      ['::1/128', 'overlaps ::1/128, loopback'],
      ['::ffff:10.0.0.0/120', 'overlaps ::ffff:0:0/96, IPv4-mapped'],
      ['fe80::/64', 'overlaps fe80::/10, link-local'],
      ['ff02::/16', 'overlaps ff00::/8, multicast'],
    ];
    for (const [pool, why] of cases) {
      expect(() => blockSizeFor(parseCidr(pool), pool.includes(':') ? 128 : 32), pool).toThrow(`invalid pool ${formatCidr(parseCidr(pool))}: ${why}`);
    }
    for (const pool of ['169.253.0.0/16', '169.255.0.0/16', '126.0.0.0/8', '128.0.0.0/8', '223.255.255.0/24', '240.0.0.0/8', 'fe00::/16', 'fec0::/10', '::2/127']) {
      expect(() => blockSizeFor(parseCidr(pool), pool.includes(':') ? 128 : 32), pool).not.toThrow();
    }
  });

  it('finds the block containing an address', () => {
    const v4 = parseCidr('10.244.0.0/16');
    expect(formatCidr(blockContaining(v4, 26, parseAddress('10.244.3.77').value))).toBe('10.244.3.64/26');
    const v6 = parseCidr('fd00::/64');
    expect(formatCidr(blockContaining(v6, 122, parseAddress('fd00::1:c5').value))).toBe('fd00::1:c0/122');
  });

  it('rejects malformed CIDRs', () => {
    expect(() => parseCidr('10.0.0.1/24')).toThrow(InvalidPrefixError);
    expect(() => parseCidr('10.0.0.0/33')).toThrow(InvalidPrefixError);
    expect(() => parseCidr('nonsense')).toThrow(InvalidPrefixError);
  });
});

describe('block allocation', () => {
  const cidr = parseCidr('10.244.1.0/29');

  it('allocates lowest ordinals first and records the handle per ordinal', () => {
    const b = Block.create(cidr, 'n1');
    expect([b.allocate('a', 0, 0), b.allocate('b', 0, 0), b.allocate('c', 0, 0)]).toEqual([0, 1, 2]);
    expect(b.addressOf(2)).toBe('10.244.1.2');
    expect(b.handleOf(1)).toBe('b');
    expect(b.allocatedOrdinals()).toEqual([0, 1, 2]);
  });

  it('survives a JSON round trip unchanged', () => {
    const b = Block.create(parseCidr('fd00::/122'), 'n1');
    b.allocate('a', 0, 0);
    b.allocate('b', 0, 0);
    b.release(0, 5);
    const again = Block.fromData(JSON.parse(b.serialize()));
    expect(again.toData()).toEqual(b.toData());
    expect(again.size).toBe(64);
    expect(again.addressOf(1)).toBe('fd00::1');
  });

  it('reuses a released ordinal only after the cooldown, oldest-freed first, never-used ones before', () => {
    const b = Block.create(cidr, 'n1'); // 8 ordinals
    for (let i = 0; i < 6; i++) b.allocate(`h${i}`, 0, 1000);
    expect(b.release(4, 100)).toBe(true);
    expect(b.release(1, 200)).toBe(true);
    expect(b.allocate('x', 250, 1000)).toBe(6); // never-used first
    expect(b.allocate('y', 250, 1000)).toBe(7);
    expect(b.allocate('z', 1099, 1000)).toBeUndefined(); // 4 freed at 100: cooling until 1100
    expect(b.allocate('z', 1100, 1000)).toBe(4); // oldest freed
    expect(b.allocate('w', 1100, 1000)).toBeUndefined();
    expect(b.allocate('w', 1200, 1000)).toBe(1);
  });

  it('release of a free ordinal changes nothing', () => {
    const b = Block.create(cidr, 'n1');
    expect(b.release(3, 0)).toBe(false);
    expect(b.toData().freed).toEqual([]);
  });
});
