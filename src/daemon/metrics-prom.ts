// Prometheus metrics on an optional TCP listener (config `metrics.listen`). Loaded only when
// metrics are configured (metrics.ts forwards to it): prom-client costs about 10 MB of RSS.
import { createServer, type Server } from 'node:http';
import { Registry, Gauge, Counter, collectDefaultMetrics } from 'prom-client';
import type { MessageKind } from '../api/types.js';
import { STATES, type RibView, type SessionState, type SpeakerMetricsSink } from './metrics.js';

export class PromMetrics implements SpeakerMetricsSink {
  readonly registry = new Registry();
  private readonly sessionState = new Gauge({
    name: 'wren_bgp_session_state',
    help: 'BGP session state per peer: 1 for the current state, 0 for the others',
    labelNames: ['peer', 'state'] as const,
    registers: [this.registry],
  });
  private readonly established = new Gauge({
    name: 'wren_bgp_session_established',
    help: '1 when the session with the peer is Established',
    labelNames: ['peer'] as const,
    registers: [this.registry],
  });
  private readonly messages = new Counter({
    name: 'wren_bgp_messages_total',
    help: 'BGP messages by peer, direction and type',
    labelNames: ['peer', 'direction', 'type'] as const,
    registers: [this.registry],
  });
  private readonly flaps = new Counter({
    name: 'wren_bgp_session_flaps_total',
    help: 'Times an Established session went down',
    labelNames: ['peer'] as const,
    registers: [this.registry],
  });

  private readonly loops = new Counter({
    name: 'wren_bgp_loops_dropped_total',
    help: 'Routes dropped by loop detection (RFC 4456 ORIGINATOR_ID / CLUSTER_LIST, own AS in AS_PATH)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly coalescedCounter = new Counter({
    name: 'wren_bgp_updates_coalesced_total',
    help: 'Route changes absorbed by a prefix already waiting to be sent (latest state wins)',
    registers: [this.registry],
  });
  private coalescedSeen = 0;

  /** `ribView`: Loc-RIB sizes and paths per peer, read at scrape time. */
  constructor(ribView: () => RibView) {
    collectDefaultMetrics({ register: this.registry, prefix: 'wren_' });
    const view = ribView;
    new Gauge({
      name: 'wren_bgp_routes',
      help: 'Prefixes in the Loc-RIB per family',
      labelNames: ['family'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [family, n] of Object.entries(view().routes)) this.set({ family }, n);
      },
    });
    new Gauge({
      name: 'wren_bgp_prefixes',
      help: 'Per peer: paths received and held (its Adj-RIB-In after import policy), and prefixes advertised',
      labelNames: ['peer', 'direction'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const v = view();
        for (const [peer, n] of Object.entries(v.received)) this.set({ peer, direction: 'received' }, n);
        for (const [peer, n] of Object.entries(v.advertised)) this.set({ peer, direction: 'advertised' }, n);
      },
    });
  }

  loopDropped(reason: string): void {
    this.loops.inc({ reason });
  }

  /** `total` is the running count over all update groups; the counter follows it. */
  coalesced(total: number): void {
    if (total > this.coalescedSeen) this.coalescedCounter.inc(total - this.coalescedSeen);
    this.coalescedSeen = Math.max(this.coalescedSeen, total);
  }

  state(peer: string, state: SessionState): void {
    for (const s of STATES) this.sessionState.set({ peer, state: s }, s === state ? 1 : 0);
    this.established.set({ peer }, state === 'Established' ? 1 : 0);
  }

  message(peer: string, direction: 'in' | 'out', type: MessageKind): void {
    this.messages.inc({ peer, direction, type });
  }

  messageCount(peer: string, direction: 'in' | 'out', type: MessageKind, n: number): void {
    this.messages.inc({ peer, direction, type }, n);
  }

  flap(peer: string): void {
    this.flaps.inc({ peer });
  }

  forget(peer: string): void {
    for (const state of STATES) this.sessionState.remove({ peer, state });
    this.established.remove({ peer });
  }
}

export class MetricsServer {
  private server: Server | null = null;
  constructor(private readonly metrics: PromMetrics) {}

  async listen(hostPort: string): Promise<void> {
    const idx = hostPort.lastIndexOf(':');
    const host = hostPort.slice(0, idx).replace(/^\[|\]$/g, '');
    const port = Number(hostPort.slice(idx + 1));
    const server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end('not found; try /metrics\n');
        return;
      }
      this.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
