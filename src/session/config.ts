// Per-peer session settings, as an `Init` with documented defaults (STYLE.md).
import type { Family } from '../wire/types.js';
import { ALL_FAMILIES } from '../wire/family.js';

export interface SessionConfig {
  /** our ASN (4-octet capable) */
  readonly localAs: number;
  /** the ASN the peer must present (RFC 4271 §6.2 Bad Peer AS otherwise) */
  readonly peerAs: number;
  /** our BGP identifier, u32 */
  readonly routerId: number;
  /** Hold Time we offer, seconds; 0 (no keepalives) or 3..65535. Default 90. */
  readonly holdTime: number;
  /** ConnectRetryTimer, seconds (RFC 4271 §10 suggests 120; we default to 30). */
  readonly connectRetryTime: number;
  /** never dial; wait for the peer to connect (full mesh: the higher address is passive) */
  readonly passive: boolean;
  /**
   * RFC 4271 §8.1.1 DelayOpen, for connections the peer opens: our OPEN waits for the peer's
   * (then goes out with our KEEPALIVE: one write and one segment fewer per session) or for this
   * many seconds. 0 (default) sends it at once. Connections we open never wait.
   */
  readonly delayOpenTime: number;
  /** families we offer (multiprotocol capabilities, RFC 4760) */
  readonly families: readonly Family[];
  /** advertise the Graceful Restart capability as a receiving speaker (RFC 4724) */
  readonly gracefulRestart: boolean;
  /** Restart Time we advertise, seconds, 12 bits. Default 120. */
  readonly gracefulRestartTime: number;
  /**
   * We keep forwarding across our own restart (kernel routes outlive the daemon): list our
   * families in the capability with the F bit, so peers keep our routes while we restart.
   */
  readonly gracefulRestartForwarding: boolean;
  /** families for which we ask to receive ADD-PATH path identifiers (RFC 7911) */
  readonly addPathReceive: readonly Family[];
  /** FQDN capability hostname, if any */
  readonly hostname?: string;
  /** cap of the IdleHold back-off after repeated failures, seconds. Default 120. */
  readonly maxIdleHoldTime: number;
  /**
   * How long a session must stay Established before the IdleHold back-off resets, seconds.
   * Default 60. (RFC 4271 §8.1.1 DampPeerOscillations leaves the damping method open.)
   */
  readonly stableTime: number;
  /** derived: localAs === peerAs */
  readonly isIbgp: boolean;
}

export type SessionConfigInit = Pick<SessionConfig, 'localAs' | 'peerAs' | 'routerId'> &
  Partial<Omit<SessionConfig, 'localAs' | 'peerAs' | 'routerId' | 'isIbgp'>>;

export type InvalidSessionConfigCode =
  | 'bad-asn'
  | 'bad-router-id'
  | 'bad-hold-time'
  | 'bad-timer'
  | 'no-families'
  | 'bad-add-path-family'
  | 'bad-hostname';

export class InvalidSessionConfigError extends Error {
  override readonly name = 'InvalidSessionConfigError';
  constructor(
    readonly code: InvalidSessionConfigCode,
    message: string,
  ) {
    super(message);
  }
}

const U32_MAX = 0xffffffff;

function isU32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= U32_MAX;
}

/** A complete SessionConfig from the required fields and defaults; throws on bad values. */
export function defaultSessionConfig(init: SessionConfigInit): SessionConfig {
  const cfg: SessionConfig = {
    localAs: init.localAs,
    peerAs: init.peerAs,
    routerId: init.routerId,
    holdTime: init.holdTime ?? 90,
    connectRetryTime: init.connectRetryTime ?? 30,
    passive: init.passive ?? false,
    delayOpenTime: init.delayOpenTime ?? 0,
    families: [...(init.families ?? ['ipv4-unicast'])],
    gracefulRestart: init.gracefulRestart ?? false,
    gracefulRestartTime: init.gracefulRestartTime ?? 120,
    gracefulRestartForwarding: init.gracefulRestartForwarding ?? false,
    addPathReceive: [...(init.addPathReceive ?? [])],
    ...(init.hostname !== undefined ? { hostname: init.hostname } : {}),
    maxIdleHoldTime: init.maxIdleHoldTime ?? 120,
    stableTime: init.stableTime ?? 60,
    isIbgp: init.localAs === init.peerAs,
  };
  validate(cfg);
  return cfg;
}

function validate(cfg: SessionConfig): void {
  for (const [what, asn] of [['localAs', cfg.localAs], ['peerAs', cfg.peerAs]] as const) {
    if (!isU32(asn) || asn === 0) throw new InvalidSessionConfigError('bad-asn', `${what} must be 1..4294967295, got ${asn}`);
  }
  // RFC 6286 §2.1: any non-zero 4-octet value.
  if (!isU32(cfg.routerId) || cfg.routerId === 0) {
    throw new InvalidSessionConfigError('bad-router-id', `routerId must be a non-zero u32, got ${cfg.routerId}`);
  }
  // RFC 4271 §4.2: zero or at least three seconds.
  const h = cfg.holdTime;
  if (!Number.isInteger(h) || h < 0 || h > 65535 || h === 1 || h === 2) {
    throw new InvalidSessionConfigError('bad-hold-time', `holdTime must be 0 or 3..65535, got ${h}`);
  }
  const positive: [string, number][] = [
    ['connectRetryTime', cfg.connectRetryTime],
    ['maxIdleHoldTime', cfg.maxIdleHoldTime],
    ['stableTime', cfg.stableTime],
  ];
  for (const [what, v] of positive) {
    if (!Number.isFinite(v) || v <= 0) throw new InvalidSessionConfigError('bad-timer', `${what} must be > 0, got ${v}`);
  }
  // RFC 4271 §10 gives no value; FRR allows 1..240 seconds.
  if (!Number.isInteger(cfg.delayOpenTime) || cfg.delayOpenTime < 0 || cfg.delayOpenTime > 240) {
    throw new InvalidSessionConfigError('bad-timer', `delayOpenTime must be 0..240, got ${cfg.delayOpenTime}`);
  }
  // RFC 4724 §3: Restart Time is 12 bits.
  if (!Number.isInteger(cfg.gracefulRestartTime) || cfg.gracefulRestartTime < 0 || cfg.gracefulRestartTime > 4095) {
    throw new InvalidSessionConfigError('bad-timer', `gracefulRestartTime must be 0..4095, got ${cfg.gracefulRestartTime}`);
  }
  if (cfg.families.length === 0) throw new InvalidSessionConfigError('no-families', 'at least one family is required');
  for (const f of cfg.families) {
    if (!ALL_FAMILIES.includes(f)) throw new InvalidSessionConfigError('no-families', `unknown family ${String(f)}`);
  }
  for (const f of cfg.addPathReceive) {
    if (!cfg.families.includes(f)) {
      throw new InvalidSessionConfigError('bad-add-path-family', `addPathReceive family ${f} is not in families`);
    }
  }
  // draft-walton-bgp-hostname-capability: one length octet.
  if (cfg.hostname !== undefined && Buffer.byteLength(cfg.hostname, 'utf8') > 255) {
    throw new InvalidSessionConfigError('bad-hostname', 'hostname longer than 255 octets');
  }
}
