import { describe, expect, it } from 'vitest';
import { initialConnState, step, LARGE_HOLD_TIME } from '../../src/session/fsm.js';
import type { ConnState, FsmInput, SessionState } from '../../src/session/fsm-types.js';
import { buildOpen, negotiate } from '../../src/session/negotiate.js';
import type { SessionConfig } from '../../src/session/config.js';
import { cfgOf, notification, peerOpen, summarize, update, wireError } from './helpers.js';

const cfg = cfgOf();
const passive = cfgOf({ passive: true });

/** An FSM in `state`, bound to `conn` where that state has a connection. */
function fsmIn(state: SessionState, role: 'out' | 'in' = 'out', conn = role === 'out' ? 0 : 1, c: SessionConfig = cfg): ConnState {
  const base = initialConnState(role);
  switch (state) {
    case 'Idle':
    case 'Active':
      return { ...base, state };
    case 'Connect':
      return { ...base, state, conn };
    case 'OpenSent':
      return { ...base, state, conn, sentOpen: buildOpen(c) };
    case 'OpenConfirm':
    case 'Established':
      return { ...base, state, conn, sentOpen: buildOpen(c), negotiated: negotiate(buildOpen(c), peerOpen()) };
  }
}

interface Row {
  name: string;
  from: ConnState;
  input: FsmInput;
  to: SessionState;
  effects: string[];
  config?: SessionConfig;
}

const hold = 90; // min(our 90, their 180)
const ka = 30;

const rows: Row[] = [
  // Idle
  { name: 'ManualStart dials and arms ConnectRetry', from: fsmIn('Idle'), input: { event: 'ManualStart', dialConn: 0 }, to: 'Connect', effects: ['dial 0', 'arm ConnectRetry 30'] },
  { name: 'ManualStart on a passive peer waits in Active', from: fsmIn('Idle'), input: { event: 'ManualStart', dialConn: 0 }, to: 'Active', effects: [], config: passive },
  { name: 'AutomaticStart dials with the given id', from: fsmIn('Idle'), input: { event: 'AutomaticStart', dialConn: 4 }, to: 'Connect', effects: ['dial 4', 'arm ConnectRetry 30'] },
  { name: 'ManualStop in Idle is ignored', from: fsmIn('Idle'), input: { event: 'ManualStop', notification: { code: 6, subcode: 2, data: Buffer.alloc(0) } }, to: 'Idle', effects: [] },
  { name: 'a stray HoldTimer in Idle is ignored', from: fsmIn('Idle'), input: { event: 'HoldTimer_Expires' }, to: 'Idle', effects: [] },
  { name: 'a KEEPALIVE in Idle is ignored', from: fsmIn('Idle'), input: { event: 'KeepAliveMsg' }, to: 'Idle', effects: [] },

  // Connect
  { name: 'Tcp_CR_Acked sends OPEN with a large hold timer', from: fsmIn('Connect'), input: { event: 'Tcp_CR_Acked' }, to: 'OpenSent', effects: ['cancel ConnectRetry', 'send 0 open', `arm Hold@0 ${LARGE_HOLD_TIME}`] },
  { name: 'a failed dial goes to Active and retries later', from: fsmIn('Connect'), input: { event: 'TcpConnectionFails', error: 'ECONNREFUSED' }, to: 'Active', effects: ['arm ConnectRetry 30', 'conn-down connection-failed'] },
  { name: 'ConnectRetry in Connect abandons the dial and dials again', from: fsmIn('Connect'), input: { event: 'ConnectRetryTimer_Expires', dialConn: 2 }, to: 'Connect', effects: ['close 0', 'conn-down connection-failed', 'dial 2', 'arm ConnectRetry 30'] },
  { name: 'ManualStop in Connect closes the dial', from: fsmIn('Connect'), input: { event: 'ManualStop', notification: { code: 6, subcode: 2, data: Buffer.alloc(0) } }, to: 'Idle', effects: ['close 0', 'cancel ConnectRetry', 'conn-down admin-stop'] },
  { name: 'a message before TCP is up is an FSM error without NOTIFICATION', from: fsmIn('Connect'), input: { event: 'KeepAliveMsg' }, to: 'Idle', effects: ['close 0', 'cancel ConnectRetry', 'conn-down fsm-error backoff'] },

  // Active
  { name: 'ConnectRetry in Active dials', from: fsmIn('Active'), input: { event: 'ConnectRetryTimer_Expires', dialConn: 2 }, to: 'Connect', effects: ['dial 2', 'arm ConnectRetry 30'] },
  { name: 'a passive FSM never dials on ConnectRetry', from: fsmIn('Active'), input: { event: 'ConnectRetryTimer_Expires', dialConn: 2 }, to: 'Active', effects: [], config: passive },
  { name: 'TcpConnectionConfirmed in Active sends OPEN', from: fsmIn('Active'), input: { event: 'TcpConnectionConfirmed', conn: 1 }, to: 'OpenSent', effects: ['cancel ConnectRetry', 'send 1 open', `arm Hold@1 ${LARGE_HOLD_TIME}`] },
  { name: 'an accepted connection sends OPEN at once', from: fsmIn('Active', 'in'), input: { event: 'TcpConnectionConfirmed', conn: 3 }, to: 'OpenSent', effects: ['send 3 open', `arm Hold@3 ${LARGE_HOLD_TIME}`] },
  { name: 'ManualStop in Active stops ConnectRetry', from: fsmIn('Active'), input: { event: 'ManualStop', notification: { code: 6, subcode: 2, data: Buffer.alloc(0) } }, to: 'Idle', effects: ['cancel ConnectRetry', 'conn-down admin-stop'] },

  // OpenSent
  { name: 'a valid OPEN: KEEPALIVE and negotiated timers', from: fsmIn('OpenSent'), input: { event: 'BGPOpen', message: peerOpen() }, to: 'OpenConfirm', effects: ['send 0 keepalive', `arm Hold@0 ${hold}`, `arm Keepalive@0 ${ka}`] },
  { name: 'an OPEN from the wrong AS is rejected', from: fsmIn('OpenSent'), input: { event: 'BGPOpen', message: peerOpen({ myAs: 65099, capabilities: [] }) }, to: 'Idle', effects: ['send 0 notification 2/2', 'close 0', 'cancel Hold@0', 'conn-down open-rejected backoff'] },
  { name: 'HoldTimer in OpenSent sends Hold Timer Expired', from: fsmIn('OpenSent'), input: { event: 'HoldTimer_Expires' }, to: 'Idle', effects: ['send 0 notification 4/0', 'close 0', 'cancel Hold@0', 'conn-down hold-timer-expired backoff'] },
  { name: 'TCP loss in OpenSent goes back to Active (dialling FSM)', from: fsmIn('OpenSent'), input: { event: 'TcpConnectionFails', error: 'ECONNRESET' }, to: 'Active', effects: ['cancel Hold@0', 'arm ConnectRetry 30', 'conn-down connection-closed'] },
  { name: 'TCP loss in OpenSent ends an accepted FSM', from: fsmIn('OpenSent', 'in'), input: { event: 'TcpConnectionFails', error: 'ECONNRESET' }, to: 'Idle', effects: ['cancel Hold@1', 'conn-down connection-closed'] },
  { name: 'KEEPALIVE in OpenSent is FSM error 1', from: fsmIn('OpenSent'), input: { event: 'KeepAliveMsg' }, to: 'Idle', effects: ['send 0 notification 5/1', 'close 0', 'cancel Hold@0', 'conn-down fsm-error backoff'] },
  { name: 'UPDATE in OpenSent is FSM error 1', from: fsmIn('OpenSent'), input: { event: 'UpdateMsg', message: update() }, to: 'Idle', effects: ['send 0 notification 5/1', 'close 0', 'cancel Hold@0', 'conn-down fsm-error backoff'] },
  { name: 'ROUTE-REFRESH in OpenSent is FSM error 1', from: fsmIn('OpenSent'), input: { event: 'RouteRefreshMsg', message: { kind: 'route-refresh', afi: 1, safi: 1, subtype: 0 } }, to: 'Idle', effects: ['send 0 notification 5/1', 'close 0', 'cancel Hold@0', 'conn-down fsm-error backoff'] },
  { name: 'NOTIFICATION in OpenSent closes without answering', from: fsmIn('OpenSent'), input: { event: 'NotifMsg', message: notification(6, 2) }, to: 'Idle', effects: ['close 0', 'cancel Hold@0', 'conn-down notification-received backoff'] },
  { name: 'a header error sends its own NOTIFICATION', from: fsmIn('OpenSent'), input: { event: 'BGPHeaderErr', error: wireError('bad-length', 1, 2) }, to: 'Idle', effects: ['send 0 notification 1/2', 'close 0', 'cancel Hold@0', 'conn-down decode-error backoff'] },
  { name: 'a malformed OPEN sends its own NOTIFICATION', from: fsmIn('OpenSent'), input: { event: 'BGPOpenMsgErr', error: wireError('open-malformed', 2, 0) }, to: 'Idle', effects: ['send 0 notification 2/0', 'close 0', 'cancel Hold@0', 'conn-down decode-error backoff'] },
  { name: 'OpenCollisionDump sends Cease / collision', from: fsmIn('OpenSent'), input: { event: 'OpenCollisionDump' }, to: 'Idle', effects: ['send 0 notification 6/7', 'close 0', 'cancel Hold@0', 'conn-down collision'] },
  { name: 'ManualStop sends the given NOTIFICATION', from: fsmIn('OpenSent'), input: { event: 'ManualStop', notification: { code: 6, subcode: 3, data: Buffer.alloc(0) } }, to: 'Idle', effects: ['send 0 notification 6/3', 'close 0', 'cancel Hold@0', 'conn-down admin-stop'] },
  { name: 'a malformed NOTIFICATION is not answered (RFC 4271 §6.4)', from: fsmIn('OpenSent'), input: { event: 'NotifMsgErr', error: wireError('notification-malformed', 1, 2) }, to: 'Idle', effects: ['close 0', 'cancel Hold@0', 'conn-down decode-error backoff'] },

  // OpenConfirm
  { name: 'KEEPALIVE in OpenConfirm establishes the session', from: fsmIn('OpenConfirm'), input: { event: 'KeepAliveMsg' }, to: 'Established', effects: [`arm Hold@0 ${hold}`, 'established 0'] },
  { name: 'KeepaliveTimer in OpenConfirm sends KEEPALIVE', from: fsmIn('OpenConfirm'), input: { event: 'KeepaliveTimer_Expires' }, to: 'OpenConfirm', effects: ['send 0 keepalive', `arm Keepalive@0 ${ka}`] },
  { name: 'HoldTimer in OpenConfirm', from: fsmIn('OpenConfirm'), input: { event: 'HoldTimer_Expires' }, to: 'Idle', effects: ['send 0 notification 4/0', 'close 0', 'cancel Hold@0', 'cancel Keepalive@0', 'conn-down hold-timer-expired backoff'] },
  { name: 'UPDATE in OpenConfirm is FSM error 2', from: fsmIn('OpenConfirm'), input: { event: 'UpdateMsg', message: update() }, to: 'Idle', effects: ['send 0 notification 5/2', 'close 0', 'cancel Hold@0', 'cancel Keepalive@0', 'conn-down fsm-error backoff'] },
  { name: 'a second OPEN in OpenConfirm is FSM error 2', from: fsmIn('OpenConfirm'), input: { event: 'BGPOpen', message: peerOpen() }, to: 'Idle', effects: ['send 0 notification 5/2', 'close 0', 'cancel Hold@0', 'cancel Keepalive@0', 'conn-down fsm-error backoff'] },
  { name: 'TCP loss in OpenConfirm goes Idle with back-off', from: fsmIn('OpenConfirm'), input: { event: 'TcpConnectionFails', error: 'ECONNRESET' }, to: 'Idle', effects: ['cancel Hold@0', 'cancel Keepalive@0', 'conn-down connection-closed backoff'] },
  { name: 'NOTIFICATION in OpenConfirm', from: fsmIn('OpenConfirm'), input: { event: 'NotifMsg', message: notification(2, 2) }, to: 'Idle', effects: ['close 0', 'cancel Hold@0', 'cancel Keepalive@0', 'conn-down notification-received backoff'] },

  // Established
  { name: 'KEEPALIVE restarts the hold timer', from: fsmIn('Established'), input: { event: 'KeepAliveMsg' }, to: 'Established', effects: [`arm Hold@0 ${hold}`] },
  { name: 'UPDATE restarts the hold timer and is delivered', from: fsmIn('Established'), input: { event: 'UpdateMsg', message: update() }, to: 'Established', effects: [`arm Hold@0 ${hold}`, 'update 0'] },
  { name: 'KeepaliveTimer sends KEEPALIVE', from: fsmIn('Established'), input: { event: 'KeepaliveTimer_Expires' }, to: 'Established', effects: ['send 0 keepalive', `arm Keepalive@0 ${ka}`] },
  { name: 'a malformed UPDATE resets with its NOTIFICATION', from: fsmIn('Established'), input: { event: 'UpdateMsgErr', error: wireError('update-malformed', 3, 1) }, to: 'Idle', effects: ['send 0 notification 3/1', 'close 0', 'cancel Hold@0', 'cancel Keepalive@0', 'conn-down decode-error backoff'] },
  { name: 'OPEN in Established is FSM error 3', from: fsmIn('Established'), input: { event: 'BGPOpen', message: peerOpen() }, to: 'Idle', effects: ['send 0 notification 5/3', 'close 0', 'cancel Hold@0', 'cancel Keepalive@0', 'conn-down fsm-error backoff'] },
  { name: 'HoldTimer in Established', from: fsmIn('Established'), input: { event: 'HoldTimer_Expires' }, to: 'Idle', effects: ['send 0 notification 4/0', 'close 0', 'cancel Hold@0', 'cancel Keepalive@0', 'conn-down hold-timer-expired backoff'] },
  { name: 'TCP loss in Established', from: fsmIn('Established'), input: { event: 'TcpConnectionFails', error: 'ECONNRESET' }, to: 'Idle', effects: ['cancel Hold@0', 'cancel Keepalive@0', 'conn-down connection-closed backoff'] },
  { name: 'ROUTE-REFRESH for a negotiated family is delivered', from: fsmIn('Established'), input: { event: 'RouteRefreshMsg', message: { kind: 'route-refresh', afi: 1, safi: 1, subtype: 0 } }, to: 'Established', effects: [`arm Hold@0 ${hold}`, 'route-refresh 0'] },
  { name: 'ROUTE-REFRESH for another family is ignored', from: fsmIn('Established'), input: { event: 'RouteRefreshMsg', message: { kind: 'route-refresh', afi: 2, safi: 1, subtype: 0 } }, to: 'Established', effects: [`arm Hold@0 ${hold}`] },
  { name: 'BoRR without enhanced route refresh is ignored', from: fsmIn('Established'), input: { event: 'RouteRefreshMsg', message: { kind: 'route-refresh', afi: 1, safi: 1, subtype: 1 } }, to: 'Established', effects: [`arm Hold@0 ${hold}`] },
  { name: 'ManualStop in Established', from: fsmIn('Established'), input: { event: 'ManualStop', notification: { code: 6, subcode: 2, data: Buffer.alloc(0) } }, to: 'Idle', effects: ['send 0 notification 6/2', 'close 0', 'cancel Hold@0', 'cancel Keepalive@0', 'conn-down admin-stop'] },
  { name: 'AutomaticStop without NOTIFICATION closes silently', from: fsmIn('Established'), input: { event: 'AutomaticStop', reason: 'peer-restarted' }, to: 'Idle', effects: ['close 0', 'cancel Hold@0', 'cancel Keepalive@0', 'conn-down peer-restarted'] },
];

describe('RFC 4271 §8.2.2 transitions', () => {
  it.each(rows.map((r) => [`${r.from.state} + ${r.input.event}: ${r.name}`, r] as const))('%s', (_n, r) => {
    const out = step(r.from, r.input, r.config ?? cfg);
    expect(out.state.state).toBe(r.to);
    expect(out.effects.map(summarize)).toEqual(r.effects);
  });
});

describe('FSM details', () => {
  it('records the NOTIFICATION sent and received in conn-down', () => {
    const sent = step(fsmIn('Established'), { event: 'HoldTimer_Expires' }, cfg).effects.find((e) => e.kind === 'conn-down');
    expect(sent).toMatchObject({ notification: { direction: 'sent', code: 4, subcode: 0 }, wasEstablished: true });
    const rcvd = step(fsmIn('OpenConfirm'), { event: 'NotifMsg', message: notification(6, 4) }, cfg).effects.find((e) => e.kind === 'conn-down');
    expect(rcvd).toMatchObject({ notification: { direction: 'received', code: 6, subcode: 4 }, wasEstablished: false });
  });

  it('a hold time of 0 arms neither hold nor keepalive timers', () => {
    const c = cfgOf({ holdTime: 0 });
    const s = fsmIn('OpenSent', 'out', 0, c);
    const r1 = step(s, { event: 'BGPOpen', message: peerOpen({ holdTime: 30 }) }, c);
    expect(r1.state.negotiated?.holdTime).toBe(0);
    expect(r1.effects.map(summarize)).toEqual(['send 0 keepalive', 'cancel Hold@0']);
    const r2 = step(r1.state, { event: 'KeepAliveMsg' }, c);
    expect(r2.state.state).toBe('Established');
    expect(r2.effects.map(summarize)).toEqual(['established 0']);
    expect(step(r2.state, { event: 'KeepaliveTimer_Expires' }, c).effects).toEqual([]);
    expect(step(r2.state, { event: 'KeepAliveMsg' }, c).effects).toEqual([]);
  });

  it('ConnectRetryCounter counts failures and ManualStart resets it', () => {
    let s = fsmIn('OpenSent');
    s = step(s, { event: 'HoldTimer_Expires' }, cfg).state;
    expect(s.connectRetryCounter).toBe(1);
    s = step(s, { event: 'ManualStart', dialConn: 2 }, cfg).state;
    expect(s.connectRetryCounter).toBe(0);
  });

  it('the OPEN it sends is built from the config', () => {
    const r = step(fsmIn('Connect'), { event: 'Tcp_CR_Acked' }, cfg);
    const send = r.effects.find((e) => e.kind === 'send');
    expect(send).toMatchObject({ kind: 'send', conn: 0, message: { kind: 'open', version: 4, myAs: 65001, holdTime: 90 } });
    expect(r.state.sentOpen).toEqual(buildOpen(cfg));
  });
});
