// The receive path of a PeerRunner over a real loopback connection: what one read's worth of
// messages does to deliveries, counters and metrics, including a read that ends the session
// half way. The peer side is a plain socket writing encoded messages.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerRunner } from '../../src/speaker/peer-runner.js';
import type { PeerInput } from '../../src/session/peer.js';
import { defaultSessionConfig } from '../../src/session/config.js';
import { SpeakerMetrics } from '../../src/daemon/metrics.js';
import { Framer } from '../../src/wire/framer.js';
import { decodeMessage, encodeMessage } from '../../src/wire/message.js';
import type { BgpMessage, UpdateMessage } from '../../src/wire/types.js';
import { waitFor } from '../harness/wait.js';
import { config, CTX, ip, p4, silentLogger } from './helpers.js';

const CFG = config(`
asn: 65001
routerId: 10.0.0.1
peers:
  - { address: 127.0.0.1, asn: 65002, passive: true }
`);
const SESSION = defaultSessionConfig({ localAs: 65001, peerAs: 65002, routerId: ip('10.0.0.1'), passive: true, families: ['ipv4-unicast'] });

const OPEN: BgpMessage = {
  kind: 'open',
  version: 4,
  myAs: 65002,
  holdTime: 90,
  bgpId: ip('10.0.0.2'),
  capabilities: [{ kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'as4', asn: 65002 }],
};
const KA: BgpMessage = { kind: 'keepalive' };
const CEASE: BgpMessage = { kind: 'notification', code: 6, subcode: 2, data: Buffer.alloc(0) };

/** UPDATE number `i` announces 10.<i>.0.0/24 (so deliveries can be told apart). */
function up(i: number): UpdateMessage {
  return {
    kind: 'update',
    withdrawn: { family: 'ipv4-unicast', prefixes: [] },
    attrs: { origin: 0, asPath: [{ type: 2, asns: [65002] }], nextHop: ip('127.0.0.1') },
    nlri: { family: 'ipv4-unicast', prefixes: [p4(`10.${i}.0.0/24`)] },
    treatAsWithdraw: false,
    attributeErrors: [],
  };
}

const wire = (...ms: BgpMessage[]): Buffer => Buffer.concat(ms.map((m) => encodeMessage(m, CTX)));

/** An UPDATE whose Withdrawn Routes Length runs past the message: RFC 4271 §6.3 error. */
const MALFORMED_UPDATE = ((): Buffer => {
  const b = Buffer.alloc(23, 0);
  b.fill(0xff, 0, 16);
  b.writeUInt16BE(23, 16);
  b[18] = 2;
  b.writeUInt16BE(0xffff, 19);
  return b;
})();

/** A runner that records its inputs, with everything it calls out to kept for the test. */
class Rig {
  readonly inputs: PeerInput[] = [];
  readonly delivered: number[] = [];
  reads = 0;
  up = false;
  downs = 0;
  /** called with the UPDATE number, before it is counted as delivered */
  onUpdate: (n: number) => void = () => {};
  readonly metrics = new SpeakerMetrics();
  readonly runner: PeerRunner;
  server: Server | null = null;
  client: Socket | null = null;
  /** what the peer side read from us */
  readonly fromUs: BgpMessage[] = [];

  constructor() {
    const rig = this;
    this.runner = new (class extends PeerRunner {
      override input(input: PeerInput): void {
        rig.inputs.push(input);
        super.input(input);
      }
    })(CFG.peers[0]!, SESSION, {
      logger: silentLogger,
      metrics: this.metrics,
      onEstablished: () => {
        this.up = true;
      },
      onUpdate: (_r, msg) => {
        const n = ((msg.nlri.prefixes[0] as number) / 64 / 65536) & 0xff;
        this.onUpdate(n);
        this.delivered.push(n);
      },
      onRouteRefresh: () => {},
      onDown: () => {
        this.downs++;
      },
      onMaxPrefix: () => {},
    });
  }

  /** Listens, lets the peer side connect and brings the session to Established. */
  async establish(): Promise<void> {
    await this.metrics.prometheus();
    this.runner.start();
    const server = createServer((s) => {
      s.on('data', () => this.reads++);
      this.runner.accept(s);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const client = connect(port, '127.0.0.1');
    this.client = client;
    const framer = new Framer();
    client.on('data', (chunk: Buffer) => {
      for (const raw of framer.push(chunk)) {
        const m = decodeMessage(raw, CTX);
        if (m) this.fromUs.push(m);
      }
    });
    client.on('error', () => {});
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    client.write(wire(OPEN, KA));
    await waitFor(() => this.up, { timeoutMs: 5000, intervalMs: 5, what: 'session Established' });
    this.inputs.length = 0;
    this.reads = 0;
  }

  async messagesCounted(kind: string): Promise<number> {
    const prom = await this.metrics.prometheus();
    const got = await prom.registry.getSingleMetric('wren_bgp_messages_total')!.get();
    return got.values.find((v) => v.labels.direction === 'in' && v.labels.type === kind)?.value ?? 0;
  }

  async close(): Promise<void> {
    this.client?.destroy();
    await this.runner.stop({ code: 6, subcode: 2, data: Buffer.alloc(0) }, 500);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

let rig: Rig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

describe('peer runner: receiving', () => {
  it('delivers a read of UPDATEs and KEEPALIVEs in order, counts each, in one machine input per read', async () => {
    const r = (rig = new Rig());
    await r.establish();
    const ms: BgpMessage[] = [];
    for (let i = 0; i < 200; i++) {
      ms.push(up(i));
      if (i % 50 === 49) ms.push(KA);
    }
    r.client!.write(wire(...ms));
    await waitFor(() => r.delivered.length === 200, { timeoutMs: 5000, intervalMs: 5, what: '200 UPDATEs delivered' });
    expect(r.delivered).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(r.runner.received).toMatchObject({ open: 1, update: 200, keepalive: 5, notification: 0 });
    expect(await r.messagesCounted('update')).toBe(200);
    expect(await r.messagesCounted('keepalive')).toBe(5);
    // One 'messages' input per read, never one per message.
    expect(r.inputs.every((i) => i.kind === 'messages')).toBe(true);
    expect(r.inputs.length).toBeGreaterThan(0);
    expect(r.inputs.length).toBeLessThanOrEqual(r.reads);
    expect(r.runner.visibleState).toBe('Established');
  });

  it('a NOTIFICATION mid-read ends the session: what came before is delivered, nothing after is read', async () => {
    const r = (rig = new Rig());
    await r.establish();
    r.client!.write(wire(up(0), KA, up(1), CEASE, up(2), KA, up(3)));
    await waitFor(() => r.downs === 1, { timeoutMs: 5000, intervalMs: 5, what: 'session down' });
    expect(r.delivered).toEqual([0, 1]);
    expect(r.runner.received).toMatchObject({ update: 2, keepalive: 2, notification: 1 });
    expect(await r.messagesCounted('update')).toBe(2);
    expect(await r.messagesCounted('keepalive')).toBe(2);
    expect(await r.messagesCounted('notification')).toBe(1);
    expect(r.runner.lastNotificationReceived).toMatchObject({ code: 6, subcode: 2 });
    expect(r.runner.info).toBe('Received: Administrative shutdown');
  });

  it('a malformed UPDATE mid-read is answered with a NOTIFICATION; UPDATEs before it are delivered, none after', async () => {
    const r = (rig = new Rig());
    await r.establish();
    r.client!.write(Buffer.concat([wire(up(0), up(1)), MALFORMED_UPDATE, wire(up(2), KA)]));
    await waitFor(() => r.downs === 1, { timeoutMs: 5000, intervalMs: 5, what: 'session down' });
    expect(r.delivered).toEqual([0, 1]);
    expect(r.runner.received).toMatchObject({ update: 2, keepalive: 1 });
    expect(await r.messagesCounted('update')).toBe(2);
    const sent = await waitFor(() => r.fromUs.find((m) => m.kind === 'notification'), { timeoutMs: 5000, intervalMs: 5, what: 'NOTIFICATION to the peer' });
    expect(sent).toMatchObject({ code: 3 });
  });

  it('an UPDATE whose handling stops the session (a prefix limit) is the last one read', async () => {
    const r = (rig = new Rig());
    await r.establish();
    r.onUpdate = (n) => {
      if (n === 1) void r.runner.stop({ code: 6, subcode: 1, data: Buffer.alloc(0) }, 500);
    };
    r.client!.write(wire(up(0), KA, up(1), KA, up(2), up(3)));
    await waitFor(() => r.downs === 1, { timeoutMs: 5000, intervalMs: 5, what: 'session down' });
    expect(r.delivered).toEqual([0, 1]);
    expect(r.runner.received).toMatchObject({ update: 2, keepalive: 2 });
    expect(await r.messagesCounted('update')).toBe(2);
    expect(await r.messagesCounted('keepalive')).toBe(2);
    const sent = await waitFor(() => r.fromUs.find((m) => m.kind === 'notification'), { timeoutMs: 5000, intervalMs: 5, what: 'NOTIFICATION to the peer' });
    expect(sent).toMatchObject({ code: 6, subcode: 1 });
  });
});
