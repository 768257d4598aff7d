import { describe, expect, it } from 'vitest';
import { encodeShutdownCommunication } from '../../src/wire/notification.js';
import type { Capability } from '../../src/wire/types.js';
import { cfgOf, Harness, KEEPALIVE, notification, PEER_AS, PEER_ID_HIGH, peerOpen, update, V4_MP, wireError } from './helpers.js';

const grCap: Capability = { kind: 'graceful-restart', restarting: false, notification: false, restartTime: 120, families: [] };

describe('peer: happy path', () => {
  it('dials, exchanges OPEN and KEEPALIVE, and reports Established with negotiated values', () => {
    const h = new Harness();
    expect(h.f({ kind: 'start' })).toEqual(['dial 0', 'arm ConnectRetry 30', 'state Connect']);
    expect(h.f({ kind: 'tcp-connected', conn: 0 })).toEqual(['cancel ConnectRetry', 'send 0 open', 'arm Hold@0 240', 'state OpenSent']);
    expect(h.f({ kind: 'message', conn: 0, message: peerOpen() })).toEqual(['send 0 keepalive', 'arm Hold@0 90', 'arm Keepalive@0 30', 'state OpenConfirm']);
    const effects = h.feed({ kind: 'message', conn: 0, message: KEEPALIVE });
    expect(effects.map((e) => e.kind)).toEqual(['arm-timer', 'established', 'arm-timer', 'state']);
    const est = effects.find((e) => e.kind === 'established');
    expect(est).toMatchObject({
      conn: 0,
      negotiated: { peerAs: PEER_AS, holdTime: 90, keepaliveTime: 30, families: ['ipv4-unicast'], as4: true, routeRefresh: true, extendedMessage: false },
    });
    expect(effects.map((e) => (e.kind === 'arm-timer' ? `${e.timer} ${e.seconds}` : e.kind))).toContain('Stable 60');
    expect(h.state.visible).toBe('Established');
    // UPDATEs flow once Established.
    expect(h.f({ kind: 'message', conn: 0, message: update() })).toEqual(['arm Hold@0 90', 'update 0']);
  });

  it('delivers route refresh only when negotiated', () => {
    const rr = { kind: 'route-refresh', afi: 1, safi: 1, subtype: 0 } as const;
    const yes = new Harness();
    yes.establishOut();
    expect(yes.f({ kind: 'message', conn: 0, message: rr })).toContain('route-refresh 0');
    const no = new Harness();
    no.establishOut(peerOpen({ capabilities: [V4_MP, { kind: 'as4', asn: PEER_AS }] }));
    expect(no.state.visible).toBe('Established');
    expect(no.f({ kind: 'message', conn: 0, message: rr })).toEqual(['arm Hold@0 90']);
  });

  it('an UPDATE before Established is an FSM error', () => {
    const h = new Harness();
    h.feed({ kind: 'start' });
    h.feed({ kind: 'tcp-connected', conn: 0 });
    h.feed({ kind: 'message', conn: 0, message: peerOpen() });
    const out = h.f({ kind: 'message', conn: 0, message: update() });
    expect(out).toContain('send 0 notification 5/2');
    expect(out).toContain('down fsm-error: Error: Unexpected message in OpenConfirm state');
    expect(out).not.toContain('update 0');
  });
});

describe('peer: going down', () => {
  it('hold timer expiry sends Hold Timer Expired and goes down with the reason', () => {
    const h = new Harness();
    h.establishOut();
    const effects = h.feed({ kind: 'timer', timer: 'Hold', conn: 0 });
    const down = effects.find((e) => e.kind === 'down');
    expect(down).toEqual({
      kind: 'down',
      conn: 0,
      reason: 'hold-timer-expired',
      wasEstablished: true,
      notification: { direction: 'sent', code: 4, subcode: 0, data: Buffer.alloc(0) },
      lastError: 'Hold timer expired',
    });
    expect(effects.map((e) => (e.kind === 'send' ? `send ${e.message.kind}` : e.kind))).toEqual([
      'send notification',
      'close',
      'cancel-timer',
      'cancel-timer',
      'cancel-timer', // Stable
      'down',
      'arm-timer', // IdleHold
      'state',
    ]);
    expect(h.state.visible).toBe('Idle');
    // AutomaticStart after the IdleHold timer.
    expect(h.f({ kind: 'timer', timer: 'IdleHold' })).toEqual(['dial 2', 'arm ConnectRetry 30', 'state Connect']);
  });

  it('a received NOTIFICATION is reported in BIRD words', () => {
    const h = new Harness();
    h.establishOut();
    const out = h.f({ kind: 'message', conn: 0, message: notification(2, 2) });
    expect(out).toContain('down notification-received: Received: Bad peer AS');
  });

  it('a rejected OPEN sends exactly the NOTIFICATION of the check', () => {
    const h = new Harness();
    h.feed({ kind: 'start' });
    h.feed({ kind: 'tcp-connected', conn: 0 });
    const effects = h.feed({ kind: 'message', conn: 0, message: peerOpen({ holdTime: 2 }) });
    const sent = effects.find((e) => e.kind === 'send');
    expect(sent).toEqual({ kind: 'send', conn: 0, message: { kind: 'notification', code: 2, subcode: 6, data: Buffer.alloc(0) } });
    expect(effects.map((e) => e.kind)).toContain('close');
    expect(effects.find((e) => e.kind === 'down')).toMatchObject({ reason: 'open-rejected', wasEstablished: false, lastError: 'Error: Unacceptable hold time' });
  });

  it('a refused dial reports the socket error, stays Active and retries on ConnectRetry', () => {
    const h = new Harness();
    h.feed({ kind: 'start' });
    expect(h.f({ kind: 'tcp-failed', conn: 0, error: 'ECONNREFUSED' })).toEqual([
      'arm ConnectRetry 30',
      'down connection-failed: Connection refused',
      'state Active',
    ]);
    expect(h.f({ kind: 'timer', timer: 'ConnectRetry' })).toEqual(['dial 2', 'arm ConnectRetry 30', 'state Connect']);
  });

  it('a malformed UPDATE sends the NOTIFICATION the decoder chose', () => {
    const h = new Harness();
    h.establishOut();
    const out = h.f({ kind: 'decode-error', conn: 0, error: wireError('attribute-malformed', 3, 11) });
    expect(out[0]).toBe('send 0 notification 3/11');
    expect(out).toContain('down decode-error: Error: Malformed AS_PATH');
  });

  it('a malformed NOTIFICATION is not answered', () => {
    const h = new Harness();
    h.establishOut();
    const out = h.f({ kind: 'decode-error', conn: 0, error: wireError('notification-malformed', 1, 2) });
    expect(out.some((s) => s.startsWith('send'))).toBe(false);
    expect(out).toContain('close 0');
  });
});

describe('peer: ManualStop', () => {
  it('sends Cease / Administrative Shutdown with the given RFC 9003 text', () => {
    const h = new Harness();
    h.establishOut();
    const data = encodeShutdownCommunication('maintenance');
    const effects = h.feed({ kind: 'stop', notification: { code: 6, subcode: 2, data } });
    expect(effects.find((e) => e.kind === 'send')).toEqual({ kind: 'send', conn: 0, message: { kind: 'notification', code: 6, subcode: 2, data } });
    expect(effects.find((e) => e.kind === 'down')).toMatchObject({
      reason: 'admin-stop',
      wasEstablished: true,
      lastError: 'Shutdown: Administrative shutdown "maintenance"',
    });
    expect(effects.map((e) => e.kind)).toContain('close');
    expect(h.state.visible).toBe('Idle');
    expect(h.state.started).toBe(false);
  });

  it('defaults to Cease / Administrative Shutdown without data', () => {
    const h = new Harness();
    h.establishOut();
    expect(h.f({ kind: 'stop' })).toContain('send 0 notification 6/2');
  });

  it('Peer De-configured can be sent instead', () => {
    const h = new Harness();
    h.establishOut();
    expect(h.f({ kind: 'stop', notification: { code: 6, subcode: 3, data: Buffer.alloc(0) } })).toContain('send 0 notification 6/3');
  });

  it('a stopped peer refuses connections, ignores timers, and stop twice is a no-op', () => {
    const h = new Harness();
    h.establishOut();
    h.feed({ kind: 'stop' });
    expect(h.f({ kind: 'stop' })).toEqual([]);
    expect(h.f({ kind: 'tcp-accepted', conn: 1 })).toEqual(['close 1']);
    expect(h.f({ kind: 'timer', timer: 'IdleHold' })).toEqual([]);
    expect(h.f({ kind: 'timer', timer: 'ConnectRetry' })).toEqual([]);
  });

  it('stop while backing off cancels the IdleHold timer', () => {
    const h = new Harness();
    h.establishOut();
    h.feed({ kind: 'timer', timer: 'Hold', conn: 0 });
    expect(h.f({ kind: 'stop' })).toEqual(['cancel IdleHold', 'down admin-stop: Shutdown']);
  });
});

describe('peer: passive', () => {
  it('never dials, accepts, and comes back to Active after a failure', () => {
    const h = new Harness(cfgOf({ passive: true }));
    expect(h.f({ kind: 'start' })).toEqual(['state Active']);
    expect(h.f({ kind: 'timer', timer: 'ConnectRetry' })).toEqual([]);
    expect(h.f({ kind: 'tcp-accepted', conn: 1 })).toEqual(['send 1 open', 'arm Hold@1 240', 'state OpenSent']);
    h.feed({ kind: 'message', conn: 1, message: peerOpen() });
    expect(h.f({ kind: 'message', conn: 1, message: KEEPALIVE })).toContain('established 1');
    h.feed({ kind: 'timer', timer: 'Hold', conn: 1 });
    expect(h.state.visible).toBe('Idle');
    expect(h.f({ kind: 'tcp-accepted', conn: 3 })).toEqual(['close 3']); // backing off
    expect(h.f({ kind: 'timer', timer: 'IdleHold' })).toEqual(['state Active']);
    expect(h.all.some((e) => e.kind === 'dial')).toBe(false);
  });

  it('a closed accepted connection before OPEN leaves the peer in Active', () => {
    const h = new Harness(cfgOf({ passive: true }));
    h.feed({ kind: 'start' });
    h.feed({ kind: 'tcp-accepted', conn: 1 });
    expect(h.f({ kind: 'tcp-failed', conn: 1, error: 'ECONNRESET' })).toEqual([
      'cancel Hold@1',
      'down connection-closed: Connection reset by peer',
      'state Active',
    ]);
    expect(h.state.incoming).toEqual([]);
  });
});

describe('peer: DelayOpen on accepted connections (RFC 4271 §8.1.1, §8.2.2 Active)', () => {
  const delayed = () => new Harness(cfgOf({ passive: true, delayOpenTime: 5 }));

  it('answers the peer’s OPEN with OPEN and KEEPALIVE together, then comes up on its KEEPALIVE', () => {
    const h = delayed();
    h.feed({ kind: 'start' });
    expect(h.f({ kind: 'tcp-accepted', conn: 1 })).toEqual(['arm DelayOpen@1 5']);
    expect(h.state.visible).toBe('Active');
    expect(h.f({ kind: 'message', conn: 1, message: peerOpen() })).toEqual([
      'cancel DelayOpen@1',
      'send 1 open',
      'send 1 keepalive',
      'arm Hold@1 90',
      'arm Keepalive@1 30',
      'state OpenConfirm',
    ]);
    expect(h.f({ kind: 'message', conn: 1, message: KEEPALIVE })).toContain('established 1');
  });

  it('sends its OPEN alone when the timer expires first, and carries on as without DelayOpen', () => {
    const h = delayed();
    h.feed({ kind: 'start' });
    h.feed({ kind: 'tcp-accepted', conn: 1 });
    expect(h.f({ kind: 'timer', timer: 'DelayOpen', conn: 1 })).toEqual(['send 1 open', 'arm Hold@1 240', 'state OpenSent']);
    expect(h.f({ kind: 'message', conn: 1, message: peerOpen() })).toEqual(['send 1 keepalive', 'arm Hold@1 90', 'arm Keepalive@1 30', 'state OpenConfirm']);
  });

  it('sends the error for a bad OPEN although it sent no OPEN of its own', () => {
    const h = delayed();
    h.feed({ kind: 'start' });
    h.feed({ kind: 'tcp-accepted', conn: 1 });
    const out = h.f({ kind: 'message', conn: 1, message: peerOpen({ myAs: 1, capabilities: [] }) });
    expect(out.slice(0, 3)).toEqual(['send 1 notification 2/2', 'close 1', 'cancel DelayOpen@1']);
    // As without DelayOpen: a rejected OPEN is a failure, and the peer backs off.
    expect(out.some((o) => o.startsWith('down open-rejected'))).toBe(true);
    expect(out.some((o) => o.startsWith('arm IdleHold'))).toBe(true);
    expect(h.state.incoming).toEqual([]);
  });

  it('closes a connection whose first message is not an OPEN', () => {
    const h = delayed();
    h.feed({ kind: 'start' });
    h.feed({ kind: 'tcp-accepted', conn: 1 });
    const out = h.f({ kind: 'message', conn: 1, message: KEEPALIVE });
    expect(out.slice(0, 3)).toEqual(['send 1 notification 5/0', 'close 1', 'cancel DelayOpen@1']);
    expect(h.state.incoming).toEqual([]);
  });

  it('a connection closed while waiting leaves the peer in Active with no timer running', () => {
    const h = delayed();
    h.feed({ kind: 'start' });
    h.feed({ kind: 'tcp-accepted', conn: 1 });
    expect(h.f({ kind: 'tcp-failed', conn: 1, error: 'ECONNRESET' })).toEqual(['cancel DelayOpen@1', 'down connection-closed: Connection reset by peer']);
    expect(h.state.visible).toBe('Active');
    expect(h.state.incoming).toEqual([]);
  });

  it('never delays the OPEN on a connection it dials', () => {
    const h = new Harness(cfgOf({ delayOpenTime: 5 }));
    h.feed({ kind: 'start' });
    expect(h.f({ kind: 'tcp-connected', conn: 0 })).toEqual(['cancel ConnectRetry', 'send 0 open', 'arm Hold@0 240', 'state OpenSent']);
  });

  it('resolves a collision when the OPEN arrives on the waiting connection: the higher BGP identifier’s connection stays', () => {
    const h = new Harness(cfgOf({ delayOpenTime: 5 }));
    h.feed({ kind: 'start' });
    h.feed({ kind: 'tcp-connected', conn: 0 });
    h.feed({ kind: 'tcp-accepted', conn: 1 });
    h.feed({ kind: 'message', conn: 0, message: peerOpen() }); // our dial: OpenConfirm
    // Ours (10.0.0.5) is higher than theirs (10.0.0.2): their connection closes, ours stays.
    const out = h.f({ kind: 'message', conn: 1, message: peerOpen() });
    expect(out).toEqual(['send 1 notification 6/7', 'close 1', 'cancel DelayOpen@1']);
    expect(h.f({ kind: 'message', conn: 0, message: KEEPALIVE })).toContain('established 0');

    const theirs = new Harness(cfgOf({ delayOpenTime: 5 }));
    theirs.feed({ kind: 'start' });
    theirs.feed({ kind: 'tcp-connected', conn: 0 });
    theirs.feed({ kind: 'tcp-accepted', conn: 1 });
    const high = peerOpen({ bgpId: PEER_ID_HIGH });
    theirs.feed({ kind: 'message', conn: 0, message: high });
    const won = theirs.f({ kind: 'message', conn: 1, message: high });
    expect(won.slice(0, 2)).toEqual(['send 0 notification 6/7', 'close 0']);
    expect(won).toContain('send 1 open');
    expect(theirs.f({ kind: 'message', conn: 1, message: KEEPALIVE })).toContain('established 1');
  });

  it('closes a waiting connection when another one comes up', () => {
    const h = new Harness(cfgOf({ delayOpenTime: 5 }));
    h.feed({ kind: 'start' });
    h.feed({ kind: 'tcp-connected', conn: 0 });
    h.feed({ kind: 'tcp-accepted', conn: 1 });
    h.feed({ kind: 'message', conn: 0, message: peerOpen() });
    const out = h.f({ kind: 'message', conn: 0, message: KEEPALIVE });
    expect(out).toContain('established 0');
    expect(out).toContain('close 1');
    expect(out).toContain('cancel DelayOpen@1');
    expect(h.state.incoming).toEqual([]);
  });
});

describe('peer: IdleHold back-off', () => {
  function failOnce(h: Harness): number {
    // Wherever we are, get to a connected FSM and have the peer refuse us.
    if (h.state.out.state === 'Idle' && !h.state.started) h.feed({ kind: 'start' });
    if (h.state.idleHoldRunning) h.feed({ kind: 'timer', timer: 'IdleHold' });
    const conn = h.state.out.conn!;
    h.feed({ kind: 'tcp-connected', conn });
    const effects = h.feed({ kind: 'message', conn, message: notification(6, 5) });
    const arm = effects.find((e) => e.kind === 'arm-timer' && e.timer === 'IdleHold');
    if (!arm || arm.kind !== 'arm-timer') throw new Error('no IdleHold armed');
    return arm.seconds;
  }

  it('grows exponentially and is capped', () => {
    const h = new Harness(cfgOf({ maxIdleHoldTime: 20 }));
    const delays = Array.from({ length: 7 }, () => failOnce(h));
    expect(delays).toEqual([1, 2, 4, 8, 16, 20, 20]);
  });

  it('resets after a session stays Established for the stable time', () => {
    const h = new Harness();
    expect([failOnce(h), failOnce(h), failOnce(h)]).toEqual([1, 2, 4]);
    h.feed({ kind: 'timer', timer: 'IdleHold' });
    const conn = h.state.out.conn!;
    h.feed({ kind: 'tcp-connected', conn });
    h.feed({ kind: 'message', conn, message: peerOpen() });
    h.feed({ kind: 'message', conn, message: KEEPALIVE });
    h.feed({ kind: 'timer', timer: 'Stable' });
    h.feed({ kind: 'timer', timer: 'Hold', conn });
    expect(h.all.filter((e) => e.kind === 'arm-timer' && e.timer === 'IdleHold').map((e) => (e.kind === 'arm-timer' ? e.seconds : 0))).toEqual([1, 2, 4, 1]);
  });

  it('keeps growing when a session dies before it is stable', () => {
    const h = new Harness();
    expect([failOnce(h), failOnce(h)]).toEqual([1, 2]);
    h.feed({ kind: 'timer', timer: 'IdleHold' });
    const conn = h.state.out.conn!;
    h.feed({ kind: 'tcp-connected', conn });
    h.feed({ kind: 'message', conn, message: peerOpen() });
    h.feed({ kind: 'message', conn, message: KEEPALIVE });
    const effects = h.feed({ kind: 'timer', timer: 'Hold', conn });
    expect(effects.find((e) => e.kind === 'arm-timer' && e.timer === 'IdleHold')).toMatchObject({ seconds: 4 });
  });

  it('a manual start begins at once and resets the count', () => {
    const h = new Harness();
    expect([failOnce(h), failOnce(h)]).toEqual([1, 2]);
    h.feed({ kind: 'stop' });
    expect(h.f({ kind: 'start' })[0]).toMatch(/^dial /);
    expect(failOnce(h)).toBe(1);
  });
});

describe('peer: connection collision (RFC 4271 §6.8)', () => {
  /** Our dial 0 and accepted 1 both in OpenSent; returns the harness. */
  function both(): Harness {
    const h = new Harness(cfgOf());
    h.feed({ kind: 'start' });
    h.feed({ kind: 'tcp-connected', conn: 0 });
    h.feed({ kind: 'tcp-accepted', conn: 1 });
    return h;
  }

  it('keeps our connection when our BGP identifier is higher', () => {
    const h = both(); // ours 10.0.0.5 > theirs 10.0.0.2
    h.feed({ kind: 'message', conn: 0, message: peerOpen() });
    const out = h.f({ kind: 'message', conn: 1, message: peerOpen() });
    expect(out).toEqual(['send 1 notification 6/7', 'close 1', 'cancel Hold@1']);
    expect(h.f({ kind: 'message', conn: 0, message: KEEPALIVE })).toContain('established 0');
  });

  it('keeps their connection when their BGP identifier is higher', () => {
    const h = both();
    const open = peerOpen({ bgpId: PEER_ID_HIGH }); // theirs 10.0.0.9 > ours 10.0.0.5
    h.feed({ kind: 'message', conn: 0, message: open });
    const out = h.f({ kind: 'message', conn: 1, message: open });
    expect(out).toEqual([
      'send 0 notification 6/7',
      'close 0',
      'cancel Hold@0',
      'cancel Keepalive@0',
      'send 1 keepalive',
      'arm Hold@1 90',
      'arm Keepalive@1 30',
    ]);
    expect(out.some((s) => s.startsWith('down'))).toBe(false);
    expect(h.f({ kind: 'message', conn: 1, message: KEEPALIVE })).toContain('established 1');
  });

  it('resolves the same way whichever connection receives the OPEN first', () => {
    const h = both();
    h.feed({ kind: 'message', conn: 1, message: peerOpen() });
    // Our id is higher: the OPEN arriving on our dial wins against the accepted one in OpenConfirm.
    expect(h.f({ kind: 'message', conn: 0, message: peerOpen() })).toEqual([
      'send 1 notification 6/7',
      'close 1',
      'cancel Hold@1',
      'cancel Keepalive@1',
      'send 0 keepalive',
      'arm Hold@0 90',
      'arm Keepalive@0 30',
    ]);
  });

  it('a Cease / collision received on the losing connection does not take the peer down', () => {
    const h = both();
    h.feed({ kind: 'message', conn: 0, message: peerOpen() });
    const out = h.f({ kind: 'message', conn: 1, message: notification(6, 7) });
    expect(out.some((s) => s.startsWith('down'))).toBe(false);
    expect(h.state.visible).toBe('OpenConfirm');
  });

  it('closes the other connection when one becomes Established', () => {
    const h = both();
    h.feed({ kind: 'message', conn: 0, message: peerOpen() });
    expect(h.f({ kind: 'message', conn: 0, message: KEEPALIVE })).toEqual([
      'arm Hold@0 90',
      'established 0',
      'send 1 notification 6/7',
      'close 1',
      'cancel Hold@1',
      'arm Stable 60',
      'state Established',
    ]);
  });

  it('an incoming connection while Established is closed with Cease / collision', () => {
    const h = new Harness();
    h.establishOut();
    expect(h.f({ kind: 'tcp-accepted', conn: 1 })).toEqual(['send 1 open', 'arm Hold@1 240']);
    expect(h.f({ kind: 'message', conn: 1, message: peerOpen() })).toEqual(['send 1 notification 6/7', 'close 1', 'cancel Hold@1']);
    expect(h.state.visible).toBe('Established');
    expect(h.f({ kind: 'message', conn: 0, message: KEEPALIVE })).toEqual(['arm Hold@0 90']);
  });

  it('with graceful restart, a new connection from the peer replaces the stale Established one', () => {
    const h = new Harness(cfgOf({ gracefulRestart: true }));
    const open = peerOpen({ capabilities: [V4_MP, { kind: 'as4', asn: PEER_AS }, grCap] });
    h.establishOut(open);
    h.feed({ kind: 'tcp-accepted', conn: 1 });
    const effects = h.feed({ kind: 'message', conn: 1, message: { ...open, capabilities: [V4_MP, { kind: 'as4', asn: PEER_AS }, { ...grCap, restarting: true }] } });
    expect(effects.map((e) => (e.kind === 'send' ? `send ${e.conn} ${e.message.kind}` : e.kind === 'close' ? `close ${e.conn}` : e.kind))).toEqual([
      'close 0',
      'cancel-timer',
      'cancel-timer',
      'cancel-timer',
      'down',
      'send 1 keepalive',
      'arm-timer',
      'arm-timer',
      'state',
    ]);
    expect(effects.find((e) => e.kind === 'down')).toMatchObject({ reason: 'peer-restarted', wasEstablished: true, conn: 0 });
    expect(h.state.visible).toBe('OpenConfirm');
  });

  it('an invalid OPEN on a new connection does not disturb the Established one', () => {
    const h = new Harness(cfgOf({ gracefulRestart: true }));
    h.establishOut(peerOpen({ capabilities: [V4_MP, { kind: 'as4', asn: PEER_AS }, grCap] }));
    h.feed({ kind: 'tcp-accepted', conn: 1 });
    const out = h.f({ kind: 'message', conn: 1, message: peerOpen({ myAs: 1, capabilities: [] }) });
    expect(out).toEqual(['send 1 notification 2/2', 'close 1', 'cancel Hold@1']);
    expect(h.state.visible).toBe('Established');
  });

  it('refuses a third simultaneous accepted connection', () => {
    const h = new Harness();
    h.feed({ kind: 'start' });
    h.feed({ kind: 'tcp-accepted', conn: 1 });
    h.feed({ kind: 'tcp-accepted', conn: 3 });
    expect(h.f({ kind: 'tcp-accepted', conn: 5 })).toEqual(['close 5']);
  });
});

describe('peer: robustness', () => {
  it('restarts even when the last connection fails without back-off after our dial was dropped', () => {
    const h = new Harness();
    h.feed({ kind: 'start' }); // dial 0
    h.feed({ kind: 'tcp-accepted', conn: 1 });
    h.feed({ kind: 'message', conn: 1, message: peerOpen() });
    h.feed({ kind: 'message', conn: 1, message: KEEPALIVE }); // Established on 1; dial 0 dropped
    expect(h.state.out.state).toBe('Idle');
    h.feed({ kind: 'tcp-accepted', conn: 3 }); // a newcomer in OpenSent
    h.feed({ kind: 'timer', timer: 'Hold', conn: 1 }); // the session dies, the newcomer lives
    expect(h.state.idleHoldRunning).toBe(false);
    const out = h.f({ kind: 'tcp-failed', conn: 3, error: 'ECONNRESET' });
    expect(out).toContain('arm IdleHold 1');
    expect(h.f({ kind: 'timer', timer: 'IdleHold' })[0]).toBe('dial 2');
  });

  it('ignores inputs for connections it does not know', () => {
    const h = new Harness();
    h.establishOut();
    expect(h.f({ kind: 'message', conn: 42, message: KEEPALIVE })).toEqual([]);
    expect(h.f({ kind: 'tcp-failed', conn: 42, error: 'ECONNRESET' })).toEqual([]);
    expect(h.f({ kind: 'timer', timer: 'Hold', conn: 42 })).toEqual([]);
    expect(h.f({ kind: 'tcp-connected', conn: 42 })).toEqual([]);
    expect(h.f({ kind: 'decode-error', conn: 42, error: wireError('bad-marker', 1, 1) })).toEqual([]);
  });

  it('never dials an id already used by an accepted connection', () => {
    const h = new Harness(cfgOf({ passive: false }));
    h.feed({ kind: 'start' }); // dials 0
    h.feed({ kind: 'tcp-accepted', conn: 2 }); // a shell that breaks the odd-id rule
    h.feed({ kind: 'tcp-failed', conn: 0, error: 'ECONNREFUSED' });
    const out = h.f({ kind: 'timer', timer: 'ConnectRetry' });
    expect(out[0]).toBe('dial 4');
  });
});
