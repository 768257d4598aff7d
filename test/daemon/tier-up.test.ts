import { describe, expect, it } from 'vitest';
import { DAEMON_INTERRUPT_BUDGET, V8_DEFAULT_INTERRUPT_BUDGET, tierUpFlag } from '../../src/daemon/tier-up.js';

describe('the daemon raises V8 tier-up budget', () => {
  it('sets a budget above V8 default when the operator chose none', () => {
    expect(tierUpFlag([], undefined)).toBe(`--interrupt-budget=${DAEMON_INTERRUPT_BUDGET}`);
    expect(tierUpFlag(['--max-old-space-size=256'], '--enable-source-maps')).toBe(`--interrupt-budget=${DAEMON_INTERRUPT_BUDGET}`);
    expect(DAEMON_INTERRUPT_BUDGET).toBeGreaterThan(V8_DEFAULT_INTERRUPT_BUDGET);
  });

  it('leaves a budget given on the command line or in NODE_OPTIONS alone', () => {
    expect(tierUpFlag(['--interrupt-budget=67584'], undefined)).toBeNull();
    expect(tierUpFlag(['--interrupt_budget=1000'], undefined)).toBeNull();
    expect(tierUpFlag([], '--inspect --interrupt-budget=5')).toBeNull();
  });

  it('is not fooled by a flag that only starts the same way', () => {
    expect(tierUpFlag(['--interrupt-budget-for-feedback-allocation=940'], undefined)).not.toBeNull();
  });
});
