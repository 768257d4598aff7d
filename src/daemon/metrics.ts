// Prometheus metrics on an optional TCP listener (config `metrics.listen`).
import { createServer, type Server } from 'node:http';
import { Registry, Gauge, Counter, collectDefaultMetrics } from 'prom-client';
import type { MessageKind } from '../api/types.js';

const STATES = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'] as const;

export class SpeakerMetrics {
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
  private readonly prefixes = new Gauge({
    name: 'wren_bgp_prefixes',
    help: 'Prefixes received from and advertised to each peer',
    labelNames: ['peer', 'direction'] as const,
    registers: [this.registry],
  });
  private readonly flaps = new Counter({
    name: 'wren_bgp_session_flaps_total',
    help: 'Times an Established session went down',
    labelNames: ['peer'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'wren_' });
  }

  state(peer: string, state: (typeof STATES)[number]): void {
    for (const s of STATES) this.sessionState.set({ peer, state: s }, s === state ? 1 : 0);
    this.established.set({ peer }, state === 'Established' ? 1 : 0);
  }

  message(peer: string, direction: 'in' | 'out', type: MessageKind): void {
    this.messages.inc({ peer, direction, type });
  }

  prefixCount(peer: string, direction: 'received' | 'advertised', n: number): void {
    this.prefixes.set({ peer, direction }, n);
  }

  flap(peer: string): void {
    this.flaps.inc({ peer });
  }

  forget(peer: string): void {
    for (const state of STATES) this.sessionState.remove({ peer, state });
    this.established.remove({ peer });
    for (const direction of ['received', 'advertised']) this.prefixes.remove({ peer, direction });
  }
}

export class MetricsServer {
  private server: Server | null = null;
  constructor(private readonly metrics: SpeakerMetrics) {}

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
