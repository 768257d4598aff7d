import { describe, expect, it } from 'vitest';
import { defaultSessionConfig, InvalidSessionConfigError } from '../../src/session/config.js';
import { idleHoldDelay } from '../../src/session/backoff.js';
import { collisionWinner } from '../../src/session/collision.js';

describe('defaultSessionConfig', () => {
  it('fills documented defaults and derives isIbgp', () => {
    const c = defaultSessionConfig({ localAs: 65000, peerAs: 65000, routerId: 1 });
    expect(c).toMatchObject({
      holdTime: 90,
      connectRetryTime: 30,
      passive: false,
      families: ['ipv4-unicast'],
      gracefulRestart: false,
      gracefulRestartTime: 120,
      addPathReceive: [],
      maxIdleHoldTime: 120,
      stableTime: 60,
      isIbgp: true,
    });
    expect(defaultSessionConfig({ localAs: 65000, peerAs: 65001, routerId: 1 }).isIbgp).toBe(false);
  });

  it.each([
    [{ holdTime: 2 }, 'bad-hold-time'],
    [{ routerId: 0 }, 'bad-router-id'],
    [{ peerAs: 0 }, 'bad-asn'],
    [{ families: [] }, 'no-families'],
    [{ addPathReceive: ['ipv6-unicast' as const] }, 'bad-add-path-family'],
    [{ gracefulRestartTime: 5000 }, 'bad-timer'],
    [{ connectRetryTime: 0 }, 'bad-timer'],
  ])('rejects %j with %s', (over, code) => {
    const f = (): unknown => defaultSessionConfig({ localAs: 65000, peerAs: 65001, routerId: 1, ...over });
    expect(f).toThrow(InvalidSessionConfigError);
    try {
      f();
    } catch (e) {
      expect((e as InvalidSessionConfigError).code).toBe(code);
    }
  });
});

describe('idleHoldDelay', () => {
  it('doubles from 1 s and stops at the cap', () => {
    expect([0, 1, 2, 3, 4, 8, 100].map((n) => idleHoldDelay(n, 120))).toEqual([0, 1, 2, 4, 8, 120, 120]);
  });
});

describe('collisionWinner', () => {
  it('keeps the connection of the higher identifier, compared as unsigned', () => {
    expect(collisionWinner({ localId: 2, remoteId: 1, localAs: 1, remoteAs: 2 })).toBe('local');
    expect(collisionWinner({ localId: 1, remoteId: 2, localAs: 2, remoteAs: 1 })).toBe('remote');
    expect(collisionWinner({ localId: 0xc0000001, remoteId: 0x0a000001, localAs: 1, remoteAs: 1 })).toBe('local');
  });

  it('breaks equal identifiers by the larger AS (RFC 6286 §2.3)', () => {
    expect(collisionWinner({ localId: 5, remoteId: 5, localAs: 65010, remoteAs: 65001 })).toBe('local');
    expect(collisionWinner({ localId: 5, remoteId: 5, localAs: 65001, remoteAs: 65010 })).toBe('remote');
  });
});
