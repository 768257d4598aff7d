// What the speaker records for metrics. The recorder below is always there and costs nothing;
// the Prometheus backend (metrics-prom.ts, with prom-client) is loaded only when
// `metrics.listen` is configured. Session states are remembered, so a backend enabled later
// (SIGHUP) starts with every peer's current state; counters start at zero then.
import type { MessageKind } from '../api/types.js';

export const STATES = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'] as const;
export type SessionState = (typeof STATES)[number];

export interface RibView {
  routes: Record<string, number>;
  received: Record<string, number>;
  advertised: Record<string, number>;
}

export interface SpeakerMetricsSink {
  loopDropped(reason: string): void;
  /** `total` is the running count over all update groups. */
  coalesced(total: number): void;
  state(peer: string, state: SessionState): void;
  message(peer: string, direction: 'in' | 'out', type: MessageKind): void;
  messageCount(peer: string, direction: 'in' | 'out', type: MessageKind, n: number): void;
  flap(peer: string): void;
  forget(peer: string): void;
}

export class SpeakerMetrics implements SpeakerMetricsSink {
  private backend: SpeakerMetricsSink | null = null;
  private readonly states = new Map<string, SessionState>();
  /** set by the speaker: Loc-RIB sizes and paths per peer, read at scrape time */
  ribView: (() => RibView) | null = null;

  /** The Prometheus backend, loaded on first use. */
  async prometheus(): Promise<import('./metrics-prom.js').PromMetrics> {
    const { PromMetrics } = await import('./metrics-prom.js');
    if (this.backend instanceof PromMetrics) return this.backend;
    const prom = new PromMetrics(() => this.ribView?.() ?? { routes: {}, received: {}, advertised: {} });
    for (const [peer, state] of this.states) prom.state(peer, state);
    this.backend = prom;
    return prom;
  }

  loopDropped(reason: string): void {
    this.backend?.loopDropped(reason);
  }

  coalesced(total: number): void {
    this.backend?.coalesced(total);
  }

  state(peer: string, state: SessionState): void {
    this.states.set(peer, state);
    this.backend?.state(peer, state);
  }

  message(peer: string, direction: 'in' | 'out', type: MessageKind): void {
    this.backend?.message(peer, direction, type);
  }

  messageCount(peer: string, direction: 'in' | 'out', type: MessageKind, n: number): void {
    this.backend?.messageCount(peer, direction, type, n);
  }

  flap(peer: string): void {
    this.backend?.flap(peer);
  }

  forget(peer: string): void {
    this.states.delete(peer);
    this.backend?.forget(peer);
  }
}
