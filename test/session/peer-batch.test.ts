import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PeerEffect } from '../../src/session/fsm-types.js';
import { peerStep, type PeerInput, type PeerState } from '../../src/session/peer.js';
import type { SessionConfig } from '../../src/session/config.js';
import type { BgpMessage, UpdateMessage } from '../../src/wire/types.js';
import { cfgOf, Harness, KEEPALIVE, notification, PEER_AS, PEER_ID_HIGH, peerOpen, summarize, update, V4_MP } from './helpers.js';

const RR: BgpMessage = { kind: 'route-refresh', afi: 1, safi: 1, subtype: 0 };

/** Distinct UPDATEs, so the order of deliveries can be checked by identity. */
function updates(n: number): UpdateMessage[] {
  return Array.from({ length: n }, (_, i) => ({ ...update(), nlri: { family: 'ipv4-unicast' as const, prefixes: [i] } }));
}

function delivered(effects: PeerEffect[]): UpdateMessage[] {
  return effects.flatMap((e) => (e.kind === 'update' ? [e.message] : []));
}

/** The same messages as one 'message' input each, from the same state. */
function oneByOne(state: PeerState, conn: number, messages: readonly BgpMessage[], cfg: SessionConfig): { state: PeerState; effects: PeerEffect[] } {
  let s = state;
  const effects: PeerEffect[] = [];
  for (const message of messages) {
    const r = peerStep(s, { kind: 'message', conn, message }, cfg);
    s = r.state;
    effects.push(...r.effects);
  }
  return { state: s, effects };
}

/**
 * Drops a Hold restart when the last effect before it, UPDATE deliveries aside, is the same
 * restart: the HoldTimer restarts that a batch folds into one.
 */
function foldHoldRestarts(effects: PeerEffect[]): string[] {
  const out: string[] = [];
  let last: string | null = null;
  for (const e of effects) {
    const line = summarize(e);
    if (e.kind === 'update') {
      out.push(line);
      continue;
    }
    if (e.kind === 'arm-timer' && e.timer === 'Hold' && line === last) continue;
    out.push(line);
    last = line;
  }
  return out;
}

describe('peer: a batch of messages from one read', () => {
  it('delivers every UPDATE in order and restarts the Hold timer once for the whole batch', () => {
    const h = new Harness();
    h.establishOut();
    const before = h.state;
    const ups = updates(5);
    const batch = [ups[0]!, KEEPALIVE, ups[1]!, ups[2]!, KEEPALIVE, KEEPALIVE, ups[3]!, ups[4]!];
    const effects = h.feed({ kind: 'messages', conn: 0, messages: batch });
    expect(effects.map(summarize)).toEqual(['arm Hold@0 90', 'update 0', 'update 0', 'update 0', 'update 0', 'update 0']);
    expect(delivered(effects)).toEqual(ups);
    expect(delivered(effects)[0]).toBe(ups[0]);
    // UPDATEs and KEEPALIVEs change nothing in Established: the state object is kept.
    expect(h.state).toBe(before);
  });

  it('a batch of KEEPALIVEs only restarts the Hold timer, once', () => {
    const h = new Harness();
    h.establishOut();
    expect(h.f({ kind: 'messages', conn: 0, messages: [KEEPALIVE, KEEPALIVE, KEEPALIVE] })).toEqual(['arm Hold@0 90']);
  });

  it('with a negotiated Hold Time of zero there is no timer to restart', () => {
    const h = new Harness(cfgOf({ holdTime: 0 }));
    h.establishOut(peerOpen({ holdTime: 0 }));
    expect(h.f({ kind: 'messages', conn: 0, messages: [...updates(2), KEEPALIVE] })).toEqual(['update 0', 'update 0']);
  });

  it('a NOTIFICATION mid-batch ends the session: UPDATEs before it are delivered, none after', () => {
    const h = new Harness();
    h.establishOut();
    const ups = updates(4);
    const effects = h.feed({ kind: 'messages', conn: 0, messages: [ups[0]!, ups[1]!, notification(6, 2), ups[2]!, KEEPALIVE, ups[3]!] });
    expect(delivered(effects)).toEqual([ups[0], ups[1]]);
    const lines = effects.map(summarize);
    expect(lines).toEqual([
      'arm Hold@0 90',
      'update 0',
      'update 0',
      'close 0',
      'cancel Hold@0',
      'cancel Keepalive@0',
      'cancel Stable',
      'down notification-received: Received: Administrative shutdown',
      'arm IdleHold 1',
      'state Idle',
    ]);
    // The restart comes before the cancel, so no Hold timer is left for the closed connection.
    expect(lines.indexOf('arm Hold@0 90')).toBeLessThan(lines.indexOf('cancel Hold@0'));
    expect(h.state.visible).toBe('Idle');
  });

  it('an OPEN mid-batch is an FSM error that stops the batch where it stands', () => {
    const h = new Harness();
    h.establishOut();
    const ups = updates(3);
    const effects = h.feed({ kind: 'messages', conn: 0, messages: [ups[0]!, peerOpen(), ups[1]!, ups[2]!] });
    expect(delivered(effects)).toEqual([ups[0]]);
    expect(effects.map(summarize)).toContain('send 0 notification 5/3');
  });

  it('a ROUTE-REFRESH between UPDATEs keeps its place among the deliveries', () => {
    const h = new Harness();
    h.establishOut();
    const ups = updates(2);
    expect(h.f({ kind: 'messages', conn: 0, messages: [ups[0]!, RR, ups[1]!] })).toEqual([
      'arm Hold@0 90',
      'update 0',
      'arm Hold@0 90',
      'route-refresh 0',
      'arm Hold@0 90',
      'update 0',
    ]);
  });

  it('the KEEPALIVE that completes the session and the UPDATEs behind it: as one by one', () => {
    const h = new Harness();
    h.feed({ kind: 'start' });
    h.feed({ kind: 'tcp-connected', conn: 0 });
    h.feed({ kind: 'message', conn: 0, message: peerOpen() });
    const ups = updates(2);
    const effects = h.feed({ kind: 'messages', conn: 0, messages: [KEEPALIVE, ...ups] });
    expect(effects.map(summarize)).toEqual(['arm Hold@0 90', 'established 0', 'arm Stable 60', 'state Established', 'arm Hold@0 90', 'update 0', 'update 0']);
    expect(delivered(effects)).toEqual(ups);
  });

  it('UPDATEs before Established are an FSM error, as one by one', () => {
    const h = new Harness();
    h.feed({ kind: 'start' });
    h.feed({ kind: 'tcp-connected', conn: 0 });
    h.feed({ kind: 'message', conn: 0, message: peerOpen() });
    const effects = h.feed({ kind: 'messages', conn: 0, messages: updates(3) });
    expect(delivered(effects)).toEqual([]);
    expect(effects.map(summarize)).toContain('send 0 notification 5/2');
  });

  it('a batch for a connection the machine does not know changes nothing', () => {
    const h = new Harness();
    h.establishOut();
    const before = h.state;
    expect(h.f({ kind: 'messages', conn: 7, messages: [...updates(2), notification(6, 2)] })).toEqual([]);
    expect(h.f({ kind: 'messages', conn: 0, messages: [] })).toEqual([]);
    expect(h.state).toBe(before);
  });
});

// --- a batch is the same as its messages one by one, Hold restarts folded ---------------------

const grCap = { kind: 'graceful-restart' as const, restarting: false, notification: false, restartTime: 120, families: [] };
const pool: BgpMessage[] = [
  ...updates(4),
  KEEPALIVE,
  RR,
  { kind: 'route-refresh', afi: 2, safi: 1, subtype: 0 },
  notification(6, 2),
  peerOpen(),
  peerOpen({ bgpId: PEER_ID_HIGH }),
  peerOpen({ capabilities: [V4_MP, { kind: 'as4', asn: PEER_AS }, grCap] }),
];

/** Where a batch may find the machine: a few histories, each a list of inputs. */
const histories: PeerInput[][] = [
  [{ kind: 'start' }, { kind: 'tcp-connected', conn: 0 }],
  [{ kind: 'start' }, { kind: 'tcp-connected', conn: 0 }, { kind: 'message', conn: 0, message: peerOpen() }],
  [{ kind: 'start' }, { kind: 'tcp-connected', conn: 0 }, { kind: 'message', conn: 0, message: peerOpen() }, { kind: 'message', conn: 0, message: KEEPALIVE }],
  // Established on 0, a second connection from the peer accepted as 1 (OpenSent).
  [{ kind: 'start' }, { kind: 'tcp-connected', conn: 0 }, { kind: 'message', conn: 0, message: peerOpen({ capabilities: [V4_MP, { kind: 'as4', asn: PEER_AS }, grCap] }) }, { kind: 'message', conn: 0, message: KEEPALIVE }, { kind: 'tcp-accepted', conn: 1 }],
  // Our dial in OpenSent and an accepted one in OpenConfirm: a collision pending.
  [{ kind: 'start' }, { kind: 'tcp-connected', conn: 0 }, { kind: 'tcp-accepted', conn: 1 }, { kind: 'message', conn: 1, message: peerOpen({ bgpId: PEER_ID_HIGH }) }],
];
const configs = [cfgOf(), cfgOf({ holdTime: 0 }), cfgOf({ gracefulRestart: true }), cfgOf({ passive: true })];

describe('peer: batch equals one by one', () => {
  it('same final state, same deliveries in the same order, same effects but for folded Hold restarts', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...configs.keys()),
        fc.constantFrom(...histories.keys()),
        fc.constantFrom(0, 1),
        fc.array(fc.constantFrom(...pool), { maxLength: 12 }),
        (ci, hi, conn, batch) => {
          const cfg = configs[ci]!;
          const h = new Harness(cfg);
          for (const inp of histories[hi]!) h.feed(inp);
          const together = peerStep(h.state, { kind: 'messages', conn, messages: batch }, cfg);
          const apart = oneByOne(h.state, conn, batch, cfg);
          expect(together.state).toEqual(apart.state);
          expect(delivered(together.effects)).toEqual(delivered(apart.effects));
          expect(foldHoldRestarts(together.effects)).toEqual(foldHoldRestarts(apart.effects));
          // Folding only ever removes Hold restarts.
          const holds = (es: PeerEffect[]): number => es.filter((e) => e.kind === 'arm-timer' && e.timer === 'Hold').length;
          expect(together.effects.length - holds(together.effects)).toBe(apart.effects.length - holds(apart.effects));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
