import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PeerEffect } from '../../src/session/fsm-types.js';
import { initialPeerState, peerStep, type PeerInput, type PeerState } from '../../src/session/peer.js';
import type { BgpMessage } from '../../src/wire/types.js';
import { cfgOf, KEEPALIVE, notification, PEER_AS, PEER_ID_HIGH, peerOpen, update, V4_MP, wireError } from './helpers.js';

const grCap = { kind: 'graceful-restart' as const, restarting: false, notification: false, restartTime: 120, families: [] };

const messages: BgpMessage[] = [
  peerOpen(),
  peerOpen({ bgpId: PEER_ID_HIGH }),
  peerOpen({ holdTime: 0 }),
  peerOpen({ capabilities: [V4_MP, { kind: 'as4', asn: PEER_AS }, grCap] }),
  peerOpen({ myAs: 1, capabilities: [] }),
  KEEPALIVE,
  update(),
  notification(6, 7),
  notification(2, 1),
  { kind: 'route-refresh', afi: 1, safi: 1, subtype: 0 },
];

const errors = [
  wireError('bad-length', 1, 2),
  wireError('open-malformed', 2, 0),
  wireError('update-malformed', 3, 1),
  wireError('notification-malformed', 1, 2),
  wireError('route-refresh-malformed', 7, 1),
];

const conn = fc.integer({ min: 0, max: 9 });
const input: fc.Arbitrary<PeerInput> = fc.oneof(
  fc.constant<PeerInput>({ kind: 'start' }),
  fc.constant<PeerInput>({ kind: 'stop' }),
  conn.map<PeerInput>((c) => ({ kind: 'tcp-connected', conn: c })),
  conn.map<PeerInput>((c) => ({ kind: 'tcp-accepted', conn: c | 1 })),
  fc.tuple(conn, fc.constantFrom('ECONNREFUSED', 'ECONNRESET')).map<PeerInput>(([c, error]) => ({ kind: 'tcp-failed', conn: c, error })),
  fc.constantFrom('ConnectRetry', 'IdleHold', 'Stable').map<PeerInput>((timer) => ({ kind: 'timer', timer })),
  fc.tuple(fc.constantFrom('Hold', 'Keepalive', 'DelayOpen'), conn).map<PeerInput>(([timer, c]) => ({ kind: 'timer', timer, conn: c })),
  fc.tuple(conn, fc.constantFrom(...messages)).map<PeerInput>(([c, message]) => ({ kind: 'message', conn: c, message })),
  fc.tuple(conn, fc.constantFrom(...errors)).map<PeerInput>(([c, error]) => ({ kind: 'decode-error', conn: c, error })),
);

const configs = [
  cfgOf(),
  cfgOf({ passive: true }),
  cfgOf({ gracefulRestart: true, holdTime: 0 }),
  cfgOf({ gracefulRestart: true }),
  cfgOf({ passive: true, delayOpenTime: 5 }),
  cfgOf({ delayOpenTime: 5, gracefulRestart: true }),
];

function connOf(e: PeerEffect): number | undefined {
  switch (e.kind) {
    case 'dial':
    case 'send':
    case 'close':
    case 'established':
    case 'update':
    case 'route-refresh':
      return e.conn;
    case 'arm-timer':
    case 'cancel-timer':
      return e.conn;
    case 'down':
    case 'state':
      return undefined;
  }
}

function fsmConns(s: PeerState): number[] {
  return [s.out, ...s.incoming].flatMap((c) => (c.conn === null ? [] : [c.conn]));
}

describe('peer machine properties', () => {
  it('never throws, never touches unknown connections, and leaks no per-connection timer', () => {
    fc.assert(
      fc.property(fc.constantFrom(...configs.keys()), fc.array(input, { maxLength: 80 }), (ci, inputs) => {
        const cfg = configs[ci]!;
        let state = initialPeerState(cfg);
        const known = new Set<number>(); // connections the shell holds
        const everDialled = new Set<number>();
        const armed = new Set<string>(); // per-connection timers the shell runs
        for (const inp of inputs) {
          // A per-connection timer input the shell could really deliver has fired and is gone.
          if (inp.kind === 'timer' && inp.conn !== undefined) armed.delete(`${inp.timer}:${inp.conn}`);
          // The shell never reports on ids it does not hold (it may reuse an odd id after close).
          if ((inp.kind === 'tcp-connected' || inp.kind === 'tcp-failed') && !known.has(inp.conn)) continue;
          if (inp.kind === 'tcp-accepted' && known.has(inp.conn)) continue;

          const { state: next, effects } = peerStep(state, inp, cfg);
          const allowed = new Set(known);
          if (inp.kind === 'tcp-accepted') allowed.add(inp.conn);
          const closed = new Set<number>();
          for (const e of effects) {
            const c = connOf(e);
            if (e.kind === 'dial') {
              expect(c! % 2).toBe(0);
              expect(everDialled.has(c!) || known.has(c!)).toBe(false);
              everDialled.add(c!);
              allowed.add(c!);
              continue;
            }
            if (c === undefined) continue;
            expect(allowed.has(c)).toBe(true);
            if (closed.has(c)) expect(e.kind).toBe('cancel-timer');
            if (e.kind === 'close') closed.add(c);
            if (e.kind === 'arm-timer') armed.add(`${e.timer}:${c}`);
            if (e.kind === 'cancel-timer') armed.delete(`${e.timer}:${c}`);
            if (e.kind === 'update' || e.kind === 'route-refresh') {
              const owner = [next.out, ...next.incoming].find((f) => f.conn === c);
              expect(owner?.state).toBe('Established');
            }
          }
          for (const c of allowed) known.add(c);
          for (const c of closed) known.delete(c);
          if (inp.kind === 'tcp-failed') known.delete(inp.conn);
          // Every connection the machine still uses is one the shell holds, and no two FSMs share one.
          const conns = fsmConns(next);
          expect(new Set(conns).size).toBe(conns.length);
          for (const c of conns) expect(known.has(c)).toBe(true);
          // Connections the machine let go of have no timer left running.
          for (const key of armed) expect(conns).toContain(Number(key.split(':')[1]));
          // Never stuck: a started peer that is not backing off is dialling, listening or connected.
          if (next.started && !next.idleHoldRunning) {
            const alive = [next.out, ...next.incoming].some((f) => f.state !== 'Idle');
            expect(alive).toBe(true);
          }
          // At most one Established FSM.
          expect([next.out, ...next.incoming].filter((f) => f.state === 'Established').length).toBeLessThanOrEqual(1);
          // A 'state' effect is emitted exactly when the visible state changes.
          const st = effects.filter((e) => e.kind === 'state');
          expect(st.length).toBe(next.visible !== state.visible ? 1 : 0);
          state = next;
        }
      }),
      { numRuns: 1500 },
    );
  });
});
