// Shared builders for session tests: plain message objects (no codec), a config, and a small
// harness that feeds inputs to the peer machine and keeps its state.
import { WireError, type WireErrorCode } from '../../src/wire/errors.js';
import type { BgpMessage, Capability, NotificationMessage, OpenMessage, UpdateMessage } from '../../src/wire/types.js';
import { ipv4ToNumber } from '../../src/lib/prefix.js';
import { defaultSessionConfig, type SessionConfig, type SessionConfigInit } from '../../src/session/config.js';
import type { FsmEffect, PeerEffect } from '../../src/session/fsm-types.js';
import { initialPeerState, peerStep, type PeerInput, type PeerState } from '../../src/session/peer.js';

export const LOCAL_AS = 65001;
export const PEER_AS = 65002;
export const LOCAL_ID = ipv4ToNumber('10.0.0.5');
export const PEER_ID_LOW = ipv4ToNumber('10.0.0.2');
export const PEER_ID_HIGH = ipv4ToNumber('10.0.0.9');

export function cfgOf(over: Partial<SessionConfigInit> = {}): SessionConfig {
  return defaultSessionConfig({ localAs: LOCAL_AS, peerAs: PEER_AS, routerId: LOCAL_ID, ...over });
}

export const V4_MP: Capability = { kind: 'multiprotocol', afi: 1, safi: 1 };
export const V6_MP: Capability = { kind: 'multiprotocol', afi: 2, safi: 1 };

/** A typical peer OPEN: AS 65002, hold 180, id 10.0.0.2, IPv4 unicast, route refresh, as4. */
export function peerOpen(over: Partial<OpenMessage> = {}): OpenMessage {
  return {
    kind: 'open',
    version: 4,
    myAs: PEER_AS,
    holdTime: 180,
    bgpId: PEER_ID_LOW,
    capabilities: [V4_MP, { kind: 'route-refresh' }, { kind: 'as4', asn: PEER_AS }],
    ...over,
  };
}

export const KEEPALIVE: BgpMessage = { kind: 'keepalive' };

export function notification(code: number, subcode: number, data: Buffer = Buffer.alloc(0)): NotificationMessage {
  return { kind: 'notification', code, subcode, data };
}

export function update(): UpdateMessage {
  return {
    kind: 'update',
    withdrawn: { family: 'ipv4-unicast', prefixes: [] },
    attrs: null,
    nlri: { family: 'ipv4-unicast', prefixes: [] },
    treatAsWithdraw: false,
    attributeErrors: [],
  };
}

export function wireError(code: WireErrorCode, notifCode: number, notifSubcode: number, data = Buffer.alloc(0)): WireError {
  return new WireError(code, notifCode, notifSubcode, data, `test ${code}`);
}

/** One compact line per effect, so tables of expected effects stay readable. */
export function summarize(e: FsmEffect | PeerEffect): string {
  const at = (conn: number | undefined): string => (conn === undefined ? '' : `@${conn}`);
  switch (e.kind) {
    case 'dial':
      return `dial ${e.conn}`;
    case 'send': {
      const m = e.message;
      return m.kind === 'notification' ? `send ${e.conn} notification ${m.code}/${m.subcode}` : `send ${e.conn} ${m.kind}`;
    }
    case 'close':
      return `close ${e.conn}`;
    case 'arm-timer':
      return `arm ${e.timer}${at(e.conn)} ${e.seconds}`;
    case 'cancel-timer':
      return `cancel ${e.timer}${at(e.conn)}`;
    case 'established':
      return `established ${e.conn}`;
    case 'update':
      return `update ${e.conn}`;
    case 'route-refresh':
      return `route-refresh ${e.conn}`;
    case 'conn-down':
      return `conn-down ${e.reason}${e.backoff ? ' backoff' : ''}`;
    case 'down':
      return `down ${e.reason}: ${e.lastError}`;
    case 'state':
      return `state ${e.state}`;
  }
}

export class Harness {
  state: PeerState;
  readonly all: PeerEffect[] = [];

  constructor(readonly cfg: SessionConfig = cfgOf()) {
    this.state = initialPeerState(cfg);
  }

  feed(input: PeerInput): PeerEffect[] {
    const r = peerStep(this.state, input, this.cfg);
    this.state = r.state;
    this.all.push(...r.effects);
    return r.effects;
  }

  /** Feed and summarize. */
  f(input: PeerInput): string[] {
    return this.feed(input).map(summarize);
  }

  /** start → dial 0 connected → OPEN → KEEPALIVE: Established on conn 0. */
  establishOut(open: OpenMessage = peerOpen()): void {
    this.feed({ kind: 'start' });
    this.feed({ kind: 'tcp-connected', conn: 0 });
    this.feed({ kind: 'message', conn: 0, message: open });
    this.feed({ kind: 'message', conn: 0, message: KEEPALIVE });
  }
}
