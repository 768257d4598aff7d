import { describe, expect, it } from 'vitest';
import { buildOpen, codecContextOf, keepaliveFor, negotiate } from '../../src/session/negotiate.js';
import type { Capability } from '../../src/wire/types.js';
import { cfgOf, PEER_AS, PEER_ID_LOW, peerOpen, V4_MP, V6_MP } from './helpers.js';

const as4: Capability = { kind: 'as4', asn: PEER_AS };

describe('buildOpen', () => {
  it('announces families, route refresh, as4 and extended message by default', () => {
    const open = buildOpen(cfgOf({ families: ['ipv4-unicast', 'ipv6-unicast'] }));
    expect(open).toEqual({
      kind: 'open',
      version: 4,
      myAs: 65001,
      holdTime: 90,
      bgpId: cfgOf().routerId,
      capabilities: [
        V4_MP,
        V6_MP,
        { kind: 'route-refresh' },
        { kind: 'enhanced-route-refresh' },
        { kind: 'as4', asn: 65001 },
        { kind: 'extended-message' },
      ],
    });
  });

  it('puts AS_TRANS in My AS for a 4-octet ASN', () => {
    const open = buildOpen(cfgOf({ localAs: 4200000000 }));
    expect(open.myAs).toBe(23456);
    expect(open.capabilities).toContainEqual({ kind: 'as4', asn: 4200000000 });
  });

  it('adds graceful restart (receiving side), add-path receive and the hostname when configured', () => {
    const open = buildOpen(cfgOf({ gracefulRestart: true, gracefulRestartTime: 90, addPathReceive: ['ipv4-unicast'], hostname: 'node-1' }));
    expect(open.capabilities).toContainEqual({ kind: 'graceful-restart', restarting: false, notification: false, restartTime: 90, families: [] });
    expect(open.capabilities).toContainEqual({ kind: 'add-path', families: [{ afi: 1, safi: 1, sendReceive: 1 }] });
    expect(open.capabilities).toContainEqual({ kind: 'fqdn', hostname: 'node-1', domain: '' });
  });
});

describe('negotiate', () => {
  it.each([
    [90, 180, 90, 30],
    [90, 3, 3, 1],
    [90, 0, 0, 0],
    [0, 90, 0, 0],
    [10, 30, 10, 3],
  ])('hold ours %i theirs %i → hold %i keepalive %i', (ours, theirs, hold, ka) => {
    const n = negotiate(buildOpen(cfgOf({ holdTime: ours })), peerOpen({ holdTime: theirs }));
    expect(n.holdTime).toBe(hold);
    expect(n.keepaliveTime).toBe(ka);
  });

  it('keepaliveFor is a third, at least 1, and 0 for 0', () => {
    expect([keepaliveFor(0), keepaliveFor(3), keepaliveFor(4), keepaliveFor(90)]).toEqual([0, 1, 1, 30]);
  });

  it('intersects families, in our order', () => {
    const local = buildOpen(cfgOf({ families: ['ipv6-unicast', 'ipv4-unicast'] }));
    expect(negotiate(local, peerOpen({ capabilities: [V4_MP, V6_MP] })).families).toEqual(['ipv6-unicast', 'ipv4-unicast']);
    expect(negotiate(local, peerOpen({ capabilities: [V6_MP] })).families).toEqual(['ipv6-unicast']);
  });

  it('assumes IPv4 unicast for a peer without multiprotocol capabilities (RFC 4760 §8)', () => {
    const local = buildOpen(cfgOf({ families: ['ipv4-unicast', 'ipv6-unicast'] }));
    expect(negotiate(local, peerOpen({ capabilities: [] })).families).toEqual(['ipv4-unicast']);
  });

  it('needs both sides for as4, route refresh, enhanced route refresh and extended message', () => {
    const local = buildOpen(cfgOf());
    const none = negotiate(local, peerOpen({ capabilities: [V4_MP] }));
    expect(none).toMatchObject({ as4: false, routeRefresh: false, enhancedRouteRefresh: false, extendedMessage: false, peerAs: PEER_AS });
    const all = negotiate(local, peerOpen({ capabilities: [V4_MP, as4, { kind: 'route-refresh' }, { kind: 'enhanced-route-refresh' }, { kind: 'extended-message' }] }));
    expect(all).toMatchObject({ as4: true, routeRefresh: true, enhancedRouteRefresh: true, extendedMessage: true });
  });

  it('takes the peer AS from the as4 capability', () => {
    const n = negotiate(buildOpen(cfgOf({ peerAs: 4200000001 })), peerOpen({ myAs: 23456, capabilities: [V4_MP, { kind: 'as4', asn: 4200000001 }] }));
    expect(n.peerAs).toBe(4200000001);
    expect(n.peerBgpId).toBe(PEER_ID_LOW);
  });

  it('pairs add-path directions per RFC 7911 §4', () => {
    const local = buildOpen(cfgOf({ families: ['ipv4-unicast', 'ipv6-unicast'], addPathReceive: ['ipv4-unicast', 'ipv6-unicast'] }));
    const peer = peerOpen({
      capabilities: [
        V4_MP,
        V6_MP,
        as4,
        { kind: 'add-path', families: [{ afi: 1, safi: 1, sendReceive: 3 }, { afi: 2, safi: 1, sendReceive: 1 }] },
      ],
    });
    // We only said "receive": we receive v4 (they send), not v6 (they only receive); we send nothing.
    expect(negotiate(local, peer).addPath).toEqual({ receive: ['ipv4-unicast'], send: [] });
    // Mirror image: they ask to receive, we offered to send.
    const sender = { ...local, capabilities: [V4_MP, { kind: 'add-path' as const, families: [{ afi: 1, safi: 1, sendReceive: 2 as const }] }] };
    const receiver = peerOpen({ capabilities: [V4_MP, { kind: 'add-path', families: [{ afi: 1, safi: 1, sendReceive: 1 }] }] });
    expect(negotiate(sender, receiver).addPath).toEqual({ receive: [], send: ['ipv4-unicast'] });
  });

  it('reports the peer graceful restart capability when both sides announced one', () => {
    const gr: Capability = {
      kind: 'graceful-restart',
      restarting: true,
      notification: false,
      restartTime: 120,
      families: [{ afi: 1, safi: 1, forwardingPreserved: true }, { afi: 2, safi: 1, forwardingPreserved: true }],
    };
    const peer = peerOpen({ capabilities: [V4_MP, as4, gr] });
    expect(negotiate(buildOpen(cfgOf()), peer).gracefulRestart).toBeNull();
    expect(negotiate(buildOpen(cfgOf({ gracefulRestart: true })), peer).gracefulRestart).toEqual({
      restartTime: 120,
      peerRestarting: true,
      notification: false,
      // IPv6 was not negotiated, so it is left out.
      families: [{ family: 'ipv4-unicast', forwardingPreserved: true }],
    });
  });

  it('keeps the peer hostname and its capabilities', () => {
    const caps: Capability[] = [V4_MP, as4, { kind: 'fqdn', hostname: 'rr-1', domain: 'example' }, { kind: 'unknown', code: 200, value: Buffer.from([1]) }];
    const n = negotiate(buildOpen(cfgOf()), peerOpen({ capabilities: caps }));
    expect(n.hostname).toBe('rr-1');
    expect(n.peerCapabilities).toEqual(caps);
  });

  it('codecContextOf carries as4, extended message and add-path sets', () => {
    const local = buildOpen(cfgOf({ addPathReceive: ['ipv4-unicast'] }));
    const peer = peerOpen({ capabilities: [V4_MP, as4, { kind: 'extended-message' }, { kind: 'add-path', families: [{ afi: 1, safi: 1, sendReceive: 2 }] }] });
    const ctx = codecContextOf(negotiate(local, peer));
    expect(ctx.as4).toBe(true);
    expect(ctx.extendedMessage).toBe(true);
    expect([...ctx.addPathReceive]).toEqual(['ipv4-unicast']);
    expect([...ctx.addPathSend]).toEqual([]);
  });
});
