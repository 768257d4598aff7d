import { describe, expect, it } from 'vitest';
import { MaxPrefixGuard } from '../../src/policy/max-prefix.js';

describe('MaxPrefixGuard', () => {
  it('reports the action once when a family first exceeds its limit', () => {
    const g = new MaxPrefixGuard({ ipv4: 100, action: 'stop' });
    expect(g.check('ipv4-unicast', 100)).toBe('ok');
    expect(g.check('ipv4-unicast', 101)).toBe('stop');
    expect(g.check('ipv4-unicast', 150)).toBe('ok');
  });

  it('re-arms when the count falls back to the limit, and on reset', () => {
    const g = new MaxPrefixGuard({ ipv4: 10, action: 'warn' });
    expect(g.check('ipv4-unicast', 11)).toBe('warn');
    expect(g.check('ipv4-unicast', 10)).toBe('ok');
    expect(g.check('ipv4-unicast', 12)).toBe('warn');
    g.reset();
    expect(g.check('ipv4-unicast', 12)).toBe('warn');
  });

  it('keeps families apart and ignores a family without a limit', () => {
    const g = new MaxPrefixGuard({ ipv6: 5, action: 'warn' });
    expect(g.check('ipv4-unicast', 1_000_000)).toBe('ok');
    expect(g.check('ipv6-unicast', 6)).toBe('warn');
    const both = new MaxPrefixGuard({ ipv4: 5, ipv6: 5, action: 'stop' });
    expect(both.check('ipv4-unicast', 6)).toBe('stop');
    expect(both.check('ipv6-unicast', 6)).toBe('stop');
  });
});
